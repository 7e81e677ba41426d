//! The domain without the binary: the status machine, the escalation clocks, the report's
//! facts and QA sampling, called as library functions on leads built in memory.

use handoff::clock::Stamp;
use handoff::escalation;
use handoff::field::Field;
use handoff::handoff::{self as sop, Handoff};
use handoff::lead::{EventKind, Lead, Status};
use handoff::qa::{self, Candidate};
use handoff::report::{Report, Window, facts};
use handoff::rules::{Rules, default_rules};
use jiff::Timestamp;
use jiff::tz::TimeZone;

fn rules() -> Rules {
    Rules::parse(&default_rules("America/Chicago")).expect("default rules")
}

fn at(s: &str) -> Stamp {
    s.parse().expect("stamp")
}

fn ts(s: &str) -> Timestamp {
    at(s).timestamp()
}

fn chicago(s: &str) -> jiff::ZonedDateTime {
    at(s).in_zone(&TimeZone::get("America/Chicago").expect("zone"))
}

/// A complete lead captured by ana at 07:00, in intake.
fn lead(urgency: &str, service: &str) -> Lead {
    let text = format!(
        "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n\
         full_name: Maria Lopez\nprimary_phone: '+13125550142'\nservice_address: 12 Elm St\n\
         service_type: {service}\nurgency: {urgency}\nsource: phone\nnotes: Sink drains slowly\n\
         history:\n- at: 2026-11-24T07:00:00-06:00\n  by: ana\n  event: captured\n"
    );
    handoff::store::parse_lead(&text).expect("lead")
}

fn hand_to(lead: &mut Lead, owner: &str, when: &str) {
    let h = Handoff {
        owner: owner.to_owned(),
        next_action: Some("Call back".to_owned()),
        due: Some(at("2026-11-24T09:00:00-06:00")),
        ..Handoff::default()
    };
    sop::assign(lead, &rules(), h, "ana", at(when)).expect("assign");
}

#[test]
fn the_status_machine_moves_only_along_the_sop() {
    let r = rules();
    let mut l = lead("standard", "repair");
    // Nobody accepts or rejects an unassigned lead.
    assert!(sop::accept(&mut l, &r, "dev", at("2026-11-24T07:01:00-06:00")).is_err());
    hand_to(&mut l, "dev", "2026-11-24T07:02:00-06:00");
    assert_eq!((l.status, l.owner.as_deref()), (Status::Assigned, Some("dev")));
    // Only the owner accepts; a stranger is refused and nothing changes.
    let before = l.clone();
    assert!(sop::accept(&mut l, &r, "sam", at("2026-11-24T07:03:00-06:00")).is_err());
    assert_eq!(l, before);
    // The owner rejects with what is missing: back to intake, unowned.
    sop::reject(&mut l, "dev", at("2026-11-24T07:04:00-06:00"), "no gate code", &[Field::Notes]).expect("reject");
    assert_eq!((l.status, l.owner.as_deref()), (Status::Intake, None));
    assert_eq!(l.history.last().map(|e| e.missing.clone()), Some(vec!["notes".to_owned()]));
    hand_to(&mut l, "dev", "2026-11-24T07:05:00-06:00");
    sop::accept(&mut l, &r, "dev", at("2026-11-24T07:06:00-06:00")).expect("accept");
    assert!(l.is_accepted());
    // Once accepted, assign is refused: responsibility moves only by transfer.
    let h = Handoff { owner: "sam".to_owned(), ..Handoff::default() };
    assert!(sop::assign(&mut l, &r, h, "ana", at("2026-11-24T07:07:00-06:00")).is_err());
    sop::transfer(&mut l, &r, "sam", "sales visit", "dev", at("2026-11-24T07:08:00-06:00")).expect("transfer");
    assert_eq!((l.status, l.owner.as_deref()), (Status::Assigned, Some("sam")));
    assert!(!l.is_accepted(), "the new owner must accept");
    sop::accept(&mut l, &r, "sam", at("2026-11-24T07:09:00-06:00")).expect("accept");
    sop::close(&mut l, &r, "sam", at("2026-11-24T07:10:00-06:00"), "booked", None).expect("close");
    assert_eq!(l.status, Status::Closed);
    assert!(sop::close(&mut l, &r, "sam", at("2026-11-24T07:11:00-06:00"), "booked", None).is_err());
    let kinds: Vec<EventKind> = l.history.iter().map(|e| e.event).collect();
    use EventKind::*;
    assert_eq!(kinds, [Captured, Assigned, Rejected, Assigned, Accepted, Transferred, Accepted, Closed]);
}

#[test]
fn an_incomplete_record_cannot_be_handed_off_and_an_unknown_outcome_is_refused() {
    let r = rules();
    let mut l = lead("standard", "repair");
    l.notes = None;
    let h = Handoff { owner: "dev".to_owned(), ..Handoff::default() };
    let err = sop::assign(&mut l, &r, h, "ana", at("2026-11-24T07:02:00-06:00")).unwrap_err();
    assert!(format!("{err:#}").contains("notes"), "{err:#}");
    assert_eq!(l.status, Status::Intake);
    let mut l = lead("standard", "repair");
    hand_to(&mut l, "dev", "2026-11-24T07:02:00-06:00");
    sop::accept(&mut l, &r, "dev", at("2026-11-24T07:03:00-06:00")).expect("accept");
    assert!(sop::close(&mut l, &r, "dev", at("2026-11-24T07:04:00-06:00"), "maybe", None).is_err());
}

#[test]
fn escalation_clocks_fire_at_the_minute_and_once() {
    let r = rules();
    // An emergency captured unowned escalates at once (rule 1).
    let l = lead("emergency", "repair");
    let due = escalation::evaluate(&r, &l, &chicago("2026-11-24T07:00:00-06:00"));
    assert!(due.iter().any(|d| d.escalate_to == "dev" && !d.fired), "{due:?}");
    // A standard lead assigned but not accepted: nothing at 14 minutes, the manager at 15.
    let mut l = lead("standard", "repair");
    hand_to(&mut l, "dev", "2026-11-24T07:01:00-06:00");
    let names = |now: &str| -> Vec<String> {
        escalation::evaluate(&r, &l, &chicago(now)).into_iter().map(|d| d.escalate_to).collect()
    };
    assert!(!names("2026-11-24T07:14:00-06:00").contains(&"olive".to_owned()));
    assert!(names("2026-11-24T07:15:00-06:00").contains(&"olive".to_owned()));
    // Accepting stops the acceptance clock.
    sop::accept(&mut l, &r, "dev", at("2026-11-24T07:10:00-06:00")).expect("accept");
    let later = escalation::evaluate(&r, &l, &chicago("2026-11-24T07:30:00-06:00"));
    assert!(later.iter().all(|d| d.escalate_to != "olive"), "{later:?}");
}

#[test]
fn report_facts_count_an_acceptance_and_its_time() {
    let mut l = lead("standard", "repair");
    hand_to(&mut l, "dev", "2026-11-24T07:01:00-06:00");
    sop::accept(&mut l, &rules(), "dev", at("2026-11-24T07:13:00-06:00")).expect("accept");
    let window = Window {
        start: ts("2026-11-24T00:00:00-06:00"),
        end: ts("2026-11-25T00:00:00-06:00"),
        as_of: ts("2026-11-24T17:00:00-06:00"),
    };
    let f = facts(&l, window).expect("facts");
    let report = Report::assemble("2026-11-24".into(), "now".into(), &["ana", "dev"], vec![f]);
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["accepted"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["accepted"][0]["id"], "20261124-abcdefghj");
    assert_eq!(json["unaccepted"].as_array().map(Vec::len), Some(0));
    assert_eq!(json["by_owner"][0]["owner"], "dev");
    assert_eq!(json["by_owner"][0]["accepted_today"], 1);
    // Before the acceptance, the same lead is waiting.
    let early = Window { as_of: ts("2026-11-24T07:10:00-06:00"), ..window };
    let report = Report::assemble("d".into(), "t".into(), &["dev"], vec![facts(&l, early).expect("facts")]);
    assert_eq!(serde_json::to_value(&report).expect("json")["unaccepted"][0]["id"], "20261124-abcdefghj");
}

#[test]
fn qa_sampling_is_deterministic_and_spreads_across_owners() {
    let candidates: Vec<Candidate> = (0..12)
        .map(|i| Candidate {
            id: format!("20261124-abcdefg{}{}", ['h', 'j', 'k'][i % 3], ['m', 'n', 'p', 'q'][i / 3])
                .parse()
                .expect("id"),
            owner: ["dev", "dev", "dev", "sam"][i % 4].to_owned(),
            urgency: Some(["standard", "urgent"][i % 2].to_owned()),
            source: Some("phone".to_owned()),
            accepted_at: at("2026-11-24T08:00:00-06:00"),
        })
        .collect();
    let a = qa::sample(candidates.clone(), 5, "2026-W48", 0);
    let b = qa::sample(candidates.clone(), 5, "2026-W48", 0);
    let ids = |s: &[Candidate]| s.iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b), "same data, week and seed: same sample");
    assert_eq!(a.len(), 5);
    assert!(a.iter().any(|c| c.owner == "sam"), "every owner is drawn before any repeats");
    assert!(a.iter().any(|c| c.urgency.as_deref() == Some("urgent")));
    assert!(a.iter().any(|c| c.urgency.as_deref() == Some("standard")));
    let other_seed = qa::sample(candidates.clone(), 5, "2026-W48", 99);
    let other_week = qa::sample(candidates.clone(), 5, "2026-W49", 0);
    assert!(ids(&other_seed) != ids(&a) || ids(&other_week) != ids(&a), "the seed and the week change the draw");
    assert_eq!(qa::sample(candidates[..3].to_vec(), 5, "2026-W48", 0).len(), 3, "fewer than asked: all of them");
}
