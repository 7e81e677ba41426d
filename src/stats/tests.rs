//! Hand-computed figures for a small week (America/Chicago, the default rules: business
//! hours Mon–Fri 08:00–17:00, windows 5m for emergencies and 15m for the rest).

use super::simulate::simulate;
use super::*;
use crate::lead::Lead;
use crate::rules::default_rules;

fn rules() -> Rules {
    Rules::parse(&default_rules("America/Chicago")).unwrap()
}

/// A lead from a compact description: `header` lines go into the record, each event is
/// `(at, by, event, extra YAML fields)` with times on 2026-11-24 unless a full date is given.
fn lead(id: &str, header: &str, events: &[(&str, &str, &str, &str)]) -> Lead {
    let at = |t: &str| if t.len() == 5 { format!("2026-11-24T{t}:00-06:00") } else { format!("{t}-06:00") };
    let mut y = format!("id: {id}\n{header}\nhistory:\n");
    for (t, by, event, extra) in events {
        y.push_str(&format!("- at: {}\n  by: {by}\n  event: {event}\n", at(t)));
        for line in extra.lines().filter(|l| !l.trim().is_empty()) {
            y.push_str(&format!("  {}\n", line.trim()));
        }
    }
    serde_norway::from_str(&y).unwrap_or_else(|e| panic!("{e}\n{y}"))
}

fn head(status: &str, created: &str, name: &str, urgency: &str, service: &str, source: &str, extra: &str) -> String {
    format!(
        "status: {status}\ncreated_at: 2026-11-24T{created}:00-06:00\ncaptured_by: ana\nfull_name: {name}\n\
         primary_phone: '+15125550100'\nmarket: Austin\nservice_type: {service}\nurgency: {urgency}\n\
         source: {source}\nnotes: test\n{extra}"
    )
}

const CALL: &str = "action: Call\ndue: 2026-11-24T18:00:00-06:00";

fn week() -> Vec<Lead> {
    vec![
        // A: accepted after 4 min, booked.
        lead(
            "20261124-aaaaaa",
            &head("closed", "09:00", "Alma Reyes", "standard", "repair", "phone", "owner: dev"),
            &[
                ("09:00", "ana", "captured", ""),
                ("09:00", "ana", "assigned", &format!("to: dev\nrule: default\n{CALL}")),
                ("09:04", "dev", "accepted", ""),
                ("10:00", "dev", "closed", "outcome: booked"),
                (
                    "2026-11-25T10:00:00",
                    "olive",
                    "qa-review",
                    "answers: {owner-correct: true, notes-sufficient: false, waited-too-long: false, customer-repeated: false, outcome-matched: true}\nweek: 2026-W48",
                ),
            ],
        ),
        // B: accepted after 20 min (escalated at 09:25), lost.
        lead(
            "20261124-bbbbbb",
            &head("closed", "09:10", "Bo Lin", "standard", "repair", "web-form", "owner: dev"),
            &[
                ("09:10", "ana", "captured", ""),
                ("09:10", "ana", "assigned", &format!("to: dev\nrule: default\n{CALL}")),
                ("09:25", "system", "escalated", "to: olive\nrule: unaccepted\nclock: 2026-11-24T09:10:00-06:00"),
                ("09:30", "dev", "accepted", ""),
                ("11:00", "dev", "closed", "outcome: lost"),
                (
                    "2026-11-25T10:05:00",
                    "olive",
                    "qa-review",
                    "answers: {owner-correct: true, notes-sufficient: true, waited-too-long: true, customer-repeated: false, outcome-matched: true}\nweek: 2026-W48",
                ),
            ],
        ),
        // C: emergency accepted after 3 min; transferred to sam the next day.
        lead(
            "20261124-cccccc",
            &head("accepted", "10:00", "Cy Ortiz", "emergency", "repair", "phone", "owner: sam"),
            &[
                ("10:00", "ana", "captured", ""),
                ("10:00", "ana", "assigned", &format!("to: dev\nrule: emergency-to-dispatch\n{CALL}")),
                ("10:03", "dev", "accepted", ""),
                ("2026-11-25T09:00:00", "dev", "transferred", "to: sam\nfrom: dev\nreason: sales follow-up"),
                ("2026-11-25T09:20:00", "sam", "accepted", ""),
            ],
        ),
        // D: rejected by dev after 5 min, handed to sam, accepted 50 min after capture.
        lead(
            "20261124-dddddd",
            &head(
                "accepted",
                "11:00",
                "Dee Park",
                "standard",
                "install",
                "referral",
                "referral: neighbour\nowner: sam",
            ),
            &[
                ("11:00", "ana", "captured", ""),
                ("11:00", "ana", "assigned", &format!("to: dev\nrule: default\n{CALL}")),
                ("11:05", "dev", "rejected", "reason: no address\nmissing: [service_address]"),
                ("11:10", "ana", "assigned", "to: sam"),
                ("11:50", "sam", "accepted", ""),
            ],
        ),
        // E: handed at 16:50 without a next action, accepted next morning at 08:10.
        lead(
            "20261124-eeeeee",
            &head("accepted", "16:50", "Eve Stone", "standard", "repair", "phone", "owner: dev"),
            &[
                ("16:50", "ana", "captured", ""),
                ("16:50", "ana", "assigned", "to: dev\nrule: default"),
                ("2026-11-25T08:10:00", "dev", "accepted", ""),
                ("2026-11-25T08:15:00", "dev", "next", "action: Call back\ndue: 2026-11-25T12:00:00-06:00"),
            ],
        ),
    ]
}

fn period(rules: &Rules) -> Period {
    let spec = PeriodSpec {
        since: Some(Date::constant(2026, 11, 24)),
        until: Some(Date::constant(2026, 11, 25)),
        ..PeriodSpec::default()
    };
    let now: Timestamp = "2026-11-25T18:00:00-06:00".parse().unwrap();
    Period::choose(&spec, now, &rules.tz).unwrap()
}

fn stats(by: Option<By>) -> Stats {
    let rules = rules();
    let p = period(&rules);
    let all: Vec<LeadFacts> = week().iter().filter_map(|l| facts(l, &rules, &p)).collect();
    Stats::assemble(&rules, &p, by, &all)
}

#[test]
fn median_and_nearest_rank_percentile() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[7]), Some(7.0));
    assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    // p90 of 10 values is the 9th; of 5 values, the 5th (⌈4.5⌉); of 20, the 18th.
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&ten, 90), Some(9.0));
    assert_eq!(percentile(&[1, 2, 3, 4, 5], 90), Some(5.0));
    let twenty: Vec<i64> = (1..=20).collect();
    assert_eq!(percentile(&twenty, 90), Some(18.0));
    assert_eq!(percentile(&[4], 90), Some(4.0));
}

#[test]
fn speed_to_lead_median_and_p90() {
    let s = stats(None);
    assert_eq!(s.captured, 5);
    // Capture → acceptance: A 4, B 20, C 3, D 50, E 920 (16:50 → 08:10 next day).
    let a = &s.speed_to_accept;
    assert_eq!(a.count, 5);
    assert_eq!(a.median_minutes, Some(Num(20.0)));
    assert_eq!(a.p90_minutes, Some(Num(920.0)));
    // Business hours: E waited 10 + 10 minutes; sorted 3, 4, 20, 20, 50.
    assert_eq!(a.median_business_minutes, Some(Num(20.0)));
    assert_eq!(a.p90_business_minutes, Some(Num(50.0)));
    // First movement by the owner: A 4, B 20, C 3, D 5 (dev's rejection), E 920.
    let m = &s.speed_to_first_movement;
    assert_eq!((m.count, m.median_minutes, m.p90_minutes), (5, Some(Num(5.0)), Some(Num(920.0))));
}

#[test]
fn shares_in_window_and_at_end_of_day() {
    let s = stats(None);
    let w = &s.accepted_in_window;
    // Within: A (4 ≤ 15) and C (3 ≤ 5); missed: B (20), D (50), E (1280).
    assert_eq!((w.within, w.total, w.share, w.pending), (2, 5, Some(Num(0.4)), 0));
    let by: Vec<_> = w.by_urgency.iter().map(|u| (u.urgency.as_str(), u.window_minutes, u.within, u.total)).collect();
    assert_eq!(by, [("emergency", Some(5), 1, 1), ("standard", Some(15), 1, 4)]);
    // 24th 17:00: C, D (next action from the handoff) and E (none) open; 25th: C, D, E all with one.
    let e = &s.next_action_at_eod;
    assert_eq!((e.count, e.total), (5, 6));
    assert_eq!(e.share, Some(Num(0.8333)));
}

#[test]
fn owners_sources_and_qa() {
    let s = stats(None);
    let owner = |id: &str| s.by_owner.iter().find(|o| o.owner == id).unwrap();
    let dev = owner("dev");
    assert_eq!(dev.name.as_deref(), Some("Dev Dispatch"));
    assert_eq!((dev.handed, dev.accepted, dev.rejections, dev.transfers_out, dev.escalations), (5, 4, 1, 1, 1));
    // Handoff → acceptance: 3, 4, 20, 920 → (4 + 20) / 2.
    assert_eq!(dev.median_minutes_to_accept, Some(Num(12.0)));
    let sam = owner("sam");
    assert_eq!((sam.handed, sam.accepted, sam.transfers_in), (2, 2, 1));
    // D 11:10 → 11:50 and C 09:00 → 09:20.
    assert_eq!(sam.median_minutes_to_accept, Some(Num(30.0)));

    assert_eq!(s.rejections.len(), 1);
    assert_eq!(s.rejections[0].customer.as_deref(), Some("Dee Park"));
    assert_eq!(s.rejections[0].reason.as_deref(), Some("no address"));

    let src: Vec<_> =
        s.by_source.iter().map(|x| (x.source.as_str(), x.captured, x.converted, x.lost, x.conversion)).collect();
    assert_eq!(
        src,
        [("phone", 3, 1, 0, Some(Num(1.0))), ("web-form", 1, 0, 1, Some(Num(0.0))), ("referral", 1, 0, 0, None),]
    );
    let qa: Vec<_> = s.qa.iter().map(|q| (q.key.as_str(), q.yes, q.no, q.yes_rate)).collect();
    assert_eq!(qa[0], ("owner-correct", 2, 0, Some(Num(1.0))));
    assert_eq!(qa[1], ("notes-sufficient", 1, 1, Some(Num(0.5))));
    assert_eq!(qa[2], ("waited-too-long", 1, 1, Some(Num(0.5))));
    assert_eq!(s.escalations, 1);
    // The slowest wait first, named.
    assert_eq!(s.slowest[0].customer.as_deref(), Some("Eve Stone"));
    assert_eq!(s.slowest[0].owner_name.as_deref(), Some("Dev Dispatch"));
}

#[test]
fn groups_by_urgency_and_week() {
    let s = stats(Some(By::Urgency));
    let g = s.groups.unwrap();
    let rows: Vec<_> = g.iter().map(|g| (g.key.as_str(), g.captured, g.speed_to_accept.median_minutes)).collect();
    // standard: 4, 20, 50, 920 → (20 + 50) / 2.
    assert_eq!(rows, [("emergency", 1, Some(Num(3.0))), ("standard", 4, Some(Num(35.0)))]);
    let s = stats(Some(By::Week));
    assert_eq!(s.groups.unwrap()[0].key, "2026-W48");
}

#[test]
fn periods_from_flags() {
    let tz = TimeZone::get("America/Chicago").unwrap();
    let now: Timestamp = "2026-11-25T18:00:00-06:00".parse().unwrap();
    let p = Period::choose(&PeriodSpec { week: Some("2026-W48".into()), ..Default::default() }, now, &tz).unwrap();
    assert_eq!((p.since, p.until, p.as_of), (Date::constant(2026, 11, 23), Date::constant(2026, 11, 29), now));
    let p = Period::choose(&PeriodSpec { month: Some("2026-02".into()), ..Default::default() }, now, &tz).unwrap();
    assert_eq!((p.since, p.until), (Date::constant(2026, 2, 1), Date::constant(2026, 2, 28)));
    assert_eq!(p.as_of, p.end, "a past period is taken as of its end");
    let p = Period::choose(&PeriodSpec::default(), now, &tz).unwrap();
    assert_eq!((p.since, p.until), (Date::constant(2026, 10, 27), Date::constant(2026, 11, 25)));
    let bad = |spec: PeriodSpec| Period::choose(&spec, now, &tz).unwrap_err().to_string();
    assert!(bad(PeriodSpec { month: Some("2026-13".into()), ..Default::default() }).contains("YYYY-MM"));
    assert!(
        bad(PeriodSpec {
            since: Some(Date::constant(2026, 11, 25)),
            until: Some(Date::constant(2026, 11, 1)),
            ..Default::default()
        })
        .contains("swap")
    );
    assert!(bad(PeriodSpec { since: Some(Date::constant(2027, 1, 1)), ..Default::default() }).contains("after today"));
}

#[test]
fn the_page_names_people_and_fetches_nothing() {
    let s = stats(Some(By::Owner));
    let page = html::render(&s);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"), "no scripts");
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing fetched");
    assert!(page.contains("Eve Stone") && page.contains("Dev Dispatch"));
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
}

fn tightened(window: &str) -> Rules {
    let text = default_rules("America/Chicago").replace(
        "    status: [intake, assigned]\n    clock: capture\n    after: 15m\n",
        &format!("    status: [intake, assigned]\n    clock: capture\n    after: {window}\n"),
    );
    assert!(text.contains(&format!("after: {window}\n")));
    Rules::parse(&text).unwrap()
}

#[test]
fn same_rules_change_nothing() {
    let rules = rules();
    let now: Timestamp = "2026-11-25T18:00:00-06:00".parse().unwrap();
    let sim = simulate(&rules, &rules, &week(), None, now);
    assert!(sim.routed_differently.is_empty(), "{sim:#?}");
    assert!(sim.escalations_added.is_empty(), "{sim:#?}");
    assert!(sim.escalations_removed.is_empty(), "{sim:#?}");
    assert_eq!((sim.leads, sim.routed), (5, 5));
}

#[test]
fn a_tighter_window_adds_known_escalations() {
    let now: Timestamp = "2026-11-25T18:00:00-06:00".parse().unwrap();
    let sim = simulate(&rules(), &tightened("3m"), &week(), None, now);
    // A (accepted after 4 min) now escalates at 09:03; D, rejected 5 min after capture,
    // at 11:03 for its first wait. B escalated already (same clock), and so did D's second
    // wait (clock 11:05) and E (clock 16:50): those fire earlier, not additionally.
    let added: Vec<_> =
        sim.escalations_added.iter().map(|e| (e.id.as_str(), e.rule.as_str(), e.at.to_string())).collect();
    assert_eq!(
        added,
        [
            ("20261124-aaaaaa", "unaccepted", "2026-11-24T09:03:00-06:00".to_owned()),
            ("20261124-dddddd", "unaccepted", "2026-11-24T11:03:00-06:00".to_owned()),
        ]
    );
    assert!(sim.escalations_removed.is_empty(), "{sim:#?}");
    let rule = sim.by_rule.iter().find(|r| r.rule == "unaccepted").unwrap();
    // Before: B (recorded), D (owed at 11:20, clock 11:05), E (owed at 17:05).
    assert_eq!((rule.before, rule.after, rule.added, rule.removed), (3, 5, 2, 0));
}

#[test]
fn a_looser_window_removes_escalations_and_routing_changes_show() {
    let now: Timestamp = "2026-11-25T18:00:00-06:00".parse().unwrap();
    let loose = tightened("30m");
    let sim = simulate(&rules(), &loose, &week(), None, now);
    // B accepted at 20 min no longer escalates; D's 11:05 clock would end at 11:35 and it was
    // accepted at 11:50 (still fires); E's window runs to 17:20 (still fires).
    let removed: Vec<_> = sim.escalations_removed.iter().map(|e| (e.id.as_str(), e.rule.as_str())).collect();
    assert_eq!(removed, [("20261124-bbbbbb", "unaccepted")]);

    let text = default_rules("America/Chicago")
        .replace("  - name: default\n    to: dev\n", "  - name: default\n    to: sam\n");
    let proposed = Rules::parse(&text).unwrap();
    let sim = simulate(&rules(), &proposed, &week(), None, now);
    let moved: Vec<_> =
        sim.routed_differently.iter().map(|r| (r.id.as_str(), r.actual.as_deref(), r.proposed.as_deref())).collect();
    assert_eq!(
        moved,
        [
            ("20261124-aaaaaa", Some("dev"), Some("sam")),
            ("20261124-bbbbbb", Some("dev"), Some("sam")),
            ("20261124-dddddd", Some("dev"), Some("sam")),
            ("20261124-eeeeee", Some("dev"), Some("sam")),
        ]
    );
}

#[test]
fn pools_are_replayed_in_capture_order() {
    let estimate = |id: &str, t: &str| {
        lead(
            id,
            &head(
                "assigned",
                t,
                "Est Mate",
                "standard",
                "estimate",
                "web-form",
                "owner: sam\nfollow_up_on: 2026-11-26",
            ),
            &[
                (t, "ana", "captured", ""),
                (t, "ana", "assigned", &format!("to: sam\nrule: estimates-to-sales\n{CALL}")),
            ],
        )
    };
    let leads = [
        estimate("20261124-aaaaaa", "09:00"),
        estimate("20261124-bbbbbb", "09:10"),
        estimate("20261124-cccccc", "09:20"),
    ];
    let with_pool = |pool: &str| {
        let text = default_rules("America/Chicago")
            .replace(
                "  - id: sam\n",
                "  - id: sue\n    name: Sue Sales\n    email: sue@example.com\n    roles: [sales]\n  - id: sam\n",
            )
            .replace("    pool: [sam]\n    strategy: round-robin\n", pool);
        Rules::parse(&text).unwrap()
    };
    let now: Timestamp = "2026-11-24T12:00:00-06:00".parse().unwrap();
    let moved = |proposed: &Rules| -> Vec<(String, Option<String>)> {
        simulate(&rules(), proposed, &leads, None, now)
            .routed_differently
            .into_iter()
            .map(|r| (r.id.to_string(), r.proposed))
            .collect()
    };
    // Round-robin over [sam, sue] starts where the record did (sam): sam, sue, sam.
    let rr = with_pool("    pool: [sam, sue]\n    strategy: round-robin\n");
    assert_eq!(moved(&rr), [("20261124-bbbbbb".to_owned(), Some("sue".to_owned()))]);
    // Least-open over [sue, sam] counts the recorded owners: sue has none all morning.
    let lo = with_pool("    pool: [sue, sam]\n    strategy: least-open\n");
    assert_eq!(moved(&lo).len(), 3);
    // Least-open over [sam, sue]: sam is free at 09:00 (tie, pool order), then holds one.
    let lo = with_pool("    pool: [sam, sue]\n    strategy: least-open\n");
    let ids: Vec<String> = moved(&lo).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["20261124-bbbbbb", "20261124-cccccc"]);
}
