//! Who is on duty: on-call schedules, overrides, calendars, away periods and away-aware routing.

use serde_json::{Value, json};

use crate::{TestEnv, stderr};

/// A field on-call schedule (daily turns, dev then sam, hand-over at 08:00) and an office
/// calendar closed on Thanksgiving and half a day on Christmas Eve.
const FIELD: &str = r#"
calendars:
  - name: office
    closed:
      - name: Thanksgiving
        yearly: 4th thu nov
      - name: Christmas Eve
        yearly: 12-24
        close: "12:00"

schedules:
  - name: field
    layers:
      - name: nights
        members: [dev, sam]
        start: 2026-10-25
        handover: "08:00"
        turn: 1d
"#;

/// `rules` with the default example schedule replaced by FIELD's schedule and calendar.
fn with_field(rules: &str) -> String {
    let start = rules.find("\nschedules:\n").expect("the default rules have an example schedule");
    let end = start + rules[start..].find("\n\n").expect("a blank line after it");
    format!("{}{}{FIELD}", &rules[..start], &rules[end..])
}

fn field_env() -> TestEnv {
    let env = TestEnv::new();
    env.set_rules(&with_field(&env.rules()));
    env
}

fn json_of(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn oncall_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut argv = vec!["oncall"];
    argv.extend(args);
    argv.push("--json");
    json_of(&env.ok("olive", &argv))
}

#[test]
fn dst_weekend_hand_over_in_chicago() {
    let mut env = field_env();
    env.now = "2026-10-31T12:00:00-05:00".to_owned();
    let out = oncall_json(&env, &["field", "--days", "3"]);
    assert_eq!(out["at"], "2026-10-31T12:00:00-05:00");
    let field = &out["schedules"][0];
    assert_eq!(
        (&field["name"], &field["on_call"], &field["source"]),
        (&json!("field"), &json!("dev"), &json!("nights"))
    );
    // The Saturday turn runs 25 hours: Sunday's hand-over is at 08:00 CST, not 07:00.
    assert_eq!(field["until"], "2026-11-01T08:00:00-06:00");
    let handovers: Vec<(String, String)> = field["handovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["at"].as_str().unwrap().to_owned(), h["on_call"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        handovers,
        [
            ("2026-11-01T08:00:00-06:00", "sam"),
            ("2026-11-02T08:00:00-06:00", "dev"),
            ("2026-11-03T08:00:00-06:00", "sam")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // Asking for an instant during the repeated hour.
    let out = oncall_json(&env, &["field", "--at", "2026-11-01T01:30:00-06:00"]);
    assert_eq!(out["schedules"][0]["on_call"], "dev");
    let text = env.ok("olive", &["oncall", "--days", "2"]);
    assert!(text.contains("field") && text.contains("dev") && text.contains("nights"), "{text}");
    assert!(text.contains("Sun 01 Nov 08:00"), "{text}");
}

#[test]
fn override_beats_the_rotation_and_is_committed_by_its_author() {
    let env = TestEnv::with_git();
    env.set_rules(&with_field(&env.rules()));
    env.git(&["add", "rules.yaml"]);
    env.git(&["commit", "-qm", "schedules"]);
    // Dev's turn started on 25 October, alternate days since: at 07:00 on the 24th it is
    // still the 23rd's turn (sam); from 08:00 dev's.
    assert_eq!(oncall_json(&env, &["field"])["schedules"][0]["on_call"], "sam");
    let out = env.ok(
        "olive",
        &[
            "oncall",
            "override",
            "field",
            "--who",
            "olive",
            "--from",
            "2026-11-24 12:00",
            "--until",
            "2026-11-24 18:00",
            "--reason",
            "Sam at the dentist",
        ],
    );
    assert!(out.contains("override 1"), "{out}");
    let at = |t: &str| oncall_json(&env, &["field", "--at", t])["schedules"][0].clone();
    assert_eq!(
        (at("2026-11-24 11:59")["on_call"].clone(), at("2026-11-24 11:59")["source"].clone()),
        (json!("dev"), json!("nights"))
    );
    assert_eq!(
        (at("2026-11-24 12:00")["on_call"].clone(), at("2026-11-24 12:00")["source"].clone()),
        (json!("olive"), json!("override"))
    );
    assert_eq!(at("2026-11-24 18:00")["on_call"], "dev", "until is exclusive");
    // A later override wins over an earlier one where they overlap.
    env.ok(
        "olive",
        &["oncall", "override", "field", "--who", "sam", "--from", "2026-11-24 15:00", "--until", "2026-11-24 16:00"],
    );
    assert_eq!(at("2026-11-24 15:30")["on_call"], "sam");
    assert_eq!(at("2026-11-24 16:30")["on_call"], "olive");

    // Committed data: the file, a commit authored by olive naming the command.
    let file = std::fs::read_to_string(env.root().join("oncall.yaml")).unwrap();
    assert!(file.contains("who: olive") && file.contains("reason: Sam at the dentist"), "{file}");
    assert_eq!(
        env.git(&["log", "-1", "--format=%an|%s"]).trim(),
        "Olive Office|oncall override field: sam 2026-11-24 15:00 until 16:00"
    );
    assert_eq!(env.git(&["status", "--porcelain"]).trim(), "");

    let list = json_of(&env.ok("olive", &["oncall", "override", "--list", "--json"]));
    assert_eq!(list["overrides"].as_array().unwrap().len(), 2);
    assert_eq!(list["overrides"][0]["id"], 1);
    env.ok("olive", &["oncall", "override", "--remove", "1"]);
    assert_eq!(at("2026-11-24 12:30")["on_call"], "dev");
    assert!(env.git(&["log", "-1", "--format=%s"]).contains("remove"));

    // Refusals: unknown schedule, unknown person, backwards period. Nothing written.
    let before = std::fs::read_to_string(env.root().join("oncall.yaml")).unwrap();
    for (args, needle) in [
        (vec!["--who", "sam", "--from", "+1h", "--until", "+2h", "nights"], "no schedule `nights`"),
        (vec!["field", "--who", "zed", "--from", "+1h", "--until", "+2h"], "`zed` is not in the staff"),
        (vec!["field", "--who", "sam", "--from", "+2h", "--until", "+1h"], "before"),
    ] {
        let mut argv = vec!["oncall", "override"];
        argv.extend(args);
        let out = env.run("olive", &argv);
        assert_eq!(out.status.code(), Some(1), "{argv:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{argv:?}: {}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(env.root().join("oncall.yaml")).unwrap(), before);
}

#[test]
fn away_owner_lead_goes_to_the_backup() {
    let env = TestEnv::new();
    // An open lead dev already owns before going away.
    let owned = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+1h"]);
    let out = env.ok(
        "dev",
        &[
            "away",
            "dev",
            "--from",
            "2026-11-24 00:00",
            "--until",
            "2026-11-28 00:00",
            "--reason",
            "vacation",
            "--backup",
            "sam",
        ],
    );
    assert!(out.contains(&owned), "away lists the leads dev still owns: {out}");
    assert!(out.contains("handoff transfer --all-from dev --to sam"), "{out}");

    let list = json_of(&env.ok("olive", &["away", "--json"]));
    assert_eq!(list["away"][0]["who"], "dev");
    assert_eq!(list["away"][0]["backup"], "sam");
    assert_eq!(list["away"][0]["until"], "2026-11-28T00:00:00-06:00");

    // The emergency rule names dev; dev is away, so sam (the backup) gets the lead.
    let id = env.capture(&["--urgency", "emergency"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "sam");
    let show = env.ok("ana", &["show", &id]);
    assert!(show.contains("dev skipped: away until 2026-11-28T00:00:00-06:00 (vacation)"), "{show}");

    // transfer --all-from moves what dev holds (accepted or waiting for acceptance).
    env.ok("dev", &["accept", &owned, "--yes"]);
    let out = env.ok("olive", &["transfer", "--all-from", "dev", "--to", "sam", "--reason", "dev on vacation"]);
    assert!(out.contains(&owned), "{out}");
    let lead = env.lead_json(&owned);
    assert_eq!((lead["owner"].clone(), lead["status"].clone()), (json!("sam"), json!("assigned")));

    // Back early: routing names dev again (and the away period now ends at the return).
    env.ok("dev", &["back", "dev"]);
    let id = env.capture(&["--urgency", "emergency"]);
    assert_eq!(env.lead_json(&id)["owner"], "dev");
    let out = env.run("dev", &["back", "dev"]);
    assert_eq!(out.status.code(), Some(1), "not away: {}", stderr(&out));
    let file = std::fs::read_to_string(env.root().join("oncall.yaml")).unwrap();
    assert!(file.contains("until: 2026-11-24T07:00:00-06:00"), "{file}");

    // A staff member's own max_open: dev holds one open lead (the emergency routed after
    // coming back); with max_open 1 the next one goes to the next holder of dev's role.
    let rules = env
        .rules()
        .replace("    roles: [dispatch, on-call]\n", "    roles: [dispatch, on-call]\n    max_open: 1\n")
        .replace("    roles: [office-lead, manager]\n", "    roles: [office-lead, manager, dispatch]\n");
    env.set_rules(&rules);
    let id = env.capture(&["--urgency", "emergency"]);
    assert_eq!(env.lead_json(&id)["owner"], "olive");
    assert!(env.ok("ana", &["show", &id]).contains("dev skipped: 1 open lead (max_open 1)"));
}

#[test]
fn away_pool_member_is_skipped_and_the_pool_takes_its_next_member() {
    let env = TestEnv::new();
    env.add_sales_staff_sue();
    env.set_rules(&env.rules().replace("pool: [sam]", "pool: [sam, sue]"));
    env.ok("olive", &["away", "sam", "--from", "2026-11-23 00:00", "--until", "2026-11-30 00:00"]);
    for _ in 0..2 {
        let id = env.capture(&["--service", "estimate", "--follow-up", "+2d"]);
        env.ok("ana", &["assign", &id]);
        assert_eq!(env.lead_json(&id)["owner"], "sue");
    }
    // sue capped at 2 open leads, sam away: the rule's fallback takes it.
    env.set_rules(&env.rules().replace(
        "    pool: [sam, sue]\n    strategy: round-robin\n",
        "    pool: [sam, sue]\n    strategy: round-robin\n    max_open: 2\n    fallback: olive\n",
    ));
    let id = env.capture(&["--service", "estimate", "--follow-up", "+2d"]);
    env.ok("ana", &["assign", &id]);
    assert_eq!(env.lead_json(&id)["owner"], "olive");
    let show = env.ok("ana", &["show", &id]);
    assert!(show.contains("sam skipped: away") && show.contains("sue skipped: 2 open leads (max_open 2)"), "{show}");
}

#[test]
fn holiday_is_skipped_by_a_business_hours_clock() {
    let rules_for = |with_calendar: bool| {
        let env = TestEnv::new();
        let mut rules = env.rules().replace(
            "    after: 15m\n    to: office-lead\n",
            "    after: 15m\n    hours: business\n    to: office-lead\n",
        );
        if with_calendar {
            rules = with_field(&rules);
        }
        env.set_rules(&rules);
        env
    };
    for with_calendar in [true, false] {
        let mut env = rules_for(with_calendar);
        env.now = "2026-11-25T16:50:00-06:00".to_owned();
        let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+1d"]);
        let fired = |env: &TestEnv| -> Vec<String> {
            let out = json_of(&env.ok("olive", &["escalate-check", "--dry-run", "--json"]));
            out["escalations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["id"] == id.as_str())
                .map(|e| e["rule"].as_str().unwrap().to_owned())
                .collect()
        };
        // Thanksgiving noon: 10 business minutes on Wednesday, none on the holiday.
        env.now = "2026-11-26T12:00:00-06:00".to_owned();
        if with_calendar {
            assert!(fired(&env).is_empty(), "escalated on Thanksgiving");
            env.now = "2026-11-27T08:04:00-06:00".to_owned();
            assert!(fired(&env).is_empty());
            env.now = "2026-11-27T08:05:00-06:00".to_owned();
            assert_eq!(fired(&env), ["unaccepted"]);
        } else {
            assert_eq!(fired(&env), ["unaccepted"], "without the calendar Thursday is a working day");
        }
    }
    // No end-of-day review on the holiday itself; the next working day's runs as usual.
    let mut env = rules_for(true);
    env.now = "2026-11-26T09:00:00-06:00".to_owned();
    let id = env.capture_standard();
    let eod_review = |env: &TestEnv| {
        let out = json_of(&env.ok("olive", &["escalate-check", "--dry-run", "--json"]));
        out["escalations"].as_array().unwrap().iter().any(|e| e["id"] == id.as_str() && e["rule"] == "eod-review")
    };
    env.now = "2026-11-26T17:30:00-06:00".to_owned();
    assert!(!eod_review(&env), "end-of-day review on Thanksgiving");
    env.now = "2026-11-27T17:30:00-06:00".to_owned();
    assert!(eod_review(&env));

    // `eod` on the holiday is the next open day's end of day; Christmas Eve closes at noon.
    let mut env = rules_for(true);
    env.now = "2026-11-26T09:00:00-06:00".to_owned();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "eod"]);
    assert_eq!(env.lead_json(&id)["next_action_due"], "2026-11-27T17:00:00-06:00");
    env.now = "2026-12-24T09:00:00-06:00".to_owned();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "eod"]);
    assert_eq!(env.lead_json(&id)["next_action_due"], "2026-12-24T12:00:00-06:00");

    let cal = json_of(&env.ok("olive", &["calendar", "--year", "2027", "--json"]));
    assert_eq!(cal["year"], 2027);
    assert_eq!(cal["calendars"][0]["name"], "office");
    assert_eq!(
        cal["calendars"][0]["closed"][0],
        json!({"date": "2027-11-25", "name": "Thanksgiving", "open": null, "close": null})
    );
    assert_eq!(cal["calendars"][0]["closed"][1]["close"], "12:00");
    let text = env.ok("olive", &["calendar"]);
    assert!(text.contains("Thu 26 Nov 2026") && text.contains("Thanksgiving"), "{text}");
}

#[test]
fn validate_finds_coverage_gaps_and_inactive_targets() {
    let env = field_env();
    let weekdays = "        turn: 1d\n        restrict:\n          days: [mon, tue, wed, thu, fri]\n";
    let rules = env.rules().replace("        turn: 1d\n", weekdays);
    // Not named by any rule: no gap reported.
    env.set_rules(&rules);
    env.ok("olive", &["validate"]);
    // Named by the hot escalation rules: the weekend is a gap.
    env.set_rules(&rules.replace("    to: on-call\n", "    to: oncall:field\n"));
    let out = env.run("olive", &["validate"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(err.contains("schedule `field` has nobody on call from Sat 28 Nov 00:00 until Mon 30 Nov 00:00"), "{err}");
    // An override for the weekend closes that gap; the next weekend is still reported.
    env.ok(
        "olive",
        &["oncall", "override", "field", "--who", "olive", "--from", "2026-11-28 00:00", "--until", "2026-11-30 00:00"],
    );
    let err = String::from_utf8_lossy(&env.run("olive", &["validate"]).stdout).into_owned();
    assert!(!err.contains("Sat 28 Nov") && err.contains("Sat 05 Dec 00:00"), "{err}");

    // A rule that targets an inactive person.
    let env = TestEnv::new();
    env.set_rules(
        &env.rules()
            .replace("    roles: [office-lead, manager]\n", "    roles: [office-lead, manager]\n    active: false\n"),
    );
    let out = env.run("olive", &["validate"]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("`olive` is inactive"), "{text}");
    // Never routed to by hand either; the history of her leads stays valid.
    let id = env.capture_standard();
    let out = env.run("ana", &["assign", &id, "--to", "olive"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("olive is inactive"), "{}", stderr(&out));
}

#[test]
fn escalation_to_a_schedule_reaches_who_is_on_call_then() {
    let mut env = field_env();
    env.set_rules(&env.rules().replace("    to: on-call\n", "    to: oncall:field\n"));
    // An emergency routed to dev at 07:00, not accepted: hot-unaccepted fires after 5 minutes
    // to whoever is on call when escalate-check runs.
    let id = env.capture(&["--urgency", "emergency"]);
    let target = |env: &TestEnv| {
        let out = json_of(&env.ok("olive", &["escalate-check", "--dry-run", "--json"]));
        let esc = out["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str() && e["rule"] == "hot-unaccepted")
            .cloned();
        esc.map(|e| e["escalate_to"].as_str().unwrap().to_owned())
    };
    // 07:30 on the 24th: still the 23rd's turn (sam); from 08:00 it is dev's.
    env.now = "2026-11-24T07:30:00-06:00".to_owned();
    assert_eq!(target(&env).as_deref(), Some("sam"));
    env.now = "2026-11-24T08:30:00-06:00".to_owned();
    assert_eq!(target(&env).as_deref(), Some("dev"));
}

/// Parse the feed with Python's `icalendar` (a real RFC 5545 parser). Outside CI a missing
/// package skips with a note; in CI (`CI` set) it fails: .ci/run installs it.
fn parse_ics(ics: &str) -> Option<Value> {
    const SCRIPT: &str = r#"
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = []
for ev in cal.walk("VEVENT"):
    events.append({
        "uid": str(ev["UID"]),
        "start": ev.decoded("DTSTART").isoformat(),
        "end": ev.decoded("DTEND").isoformat(),
        "summary": str(ev["SUMMARY"]),
        "description": str(ev["DESCRIPTION"]),
        "categories": [str(c) for c in ev.get("CATEGORIES").cats],
    })
print(json.dumps({"name": str(cal["X-WR-CALNAME"]), "version": str(cal["VERSION"]), "events": events}))
"#;
    let probe = std::process::Command::new("python3").args(["-c", "import icalendar"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with the icalendar package is required in CI (.ci/run installs it)"
        );
        eprintln!("skipping the iCalendar parse: python3 -m pip install icalendar");
        return None;
    }
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(ics.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python3");
    assert!(out.status.success(), "icalendar refused the feed: {}", String::from_utf8_lossy(&out.stderr));
    Some(json_of(&String::from_utf8(out.stdout).expect("utf8")))
}

#[test]
fn ics_feed_is_parsed_back_by_an_icalendar_parser() {
    let mut env = field_env();
    env.set_rules(&env.rules().replace("    name: Sam Sales\n", "    name: \"Sam Sales, Jr.; nights\"\n"));
    env.now = "2026-10-31T12:00:00-05:00".to_owned();
    let ics = env.ok("olive", &["oncall", "field", "--ics", "--days", "3"]);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    // Same data, same feed: UIDs are stable between exports.
    assert_eq!(env.ok("olive", &["oncall", "field", "--ics", "--days", "3"]), ics);
    let Some(cal) = parse_ics(&ics) else { return };
    assert_eq!(cal["version"], "2.0");
    let events = cal["events"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e["start"].as_str().unwrap(), e["end"].as_str().unwrap(), e["summary"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-10-31T13:00:00+00:00", "2026-11-01T14:00:00+00:00", "On call (field): Dev Dispatch"),
            ("2026-11-01T14:00:00+00:00", "2026-11-02T14:00:00+00:00", "On call (field): Sam Sales, Jr.; nights"),
            ("2026-11-02T14:00:00+00:00", "2026-11-03T14:00:00+00:00", "On call (field): Dev Dispatch"),
            ("2026-11-03T14:00:00+00:00", "2026-11-04T14:00:00+00:00", "On call (field): Sam Sales, Jr.; nights"),
        ]
    );
    assert_eq!(events[1]["uid"], "field-20261101T140000Z@handoff");
    assert_eq!(events[1]["categories"], json!(["on-call", "field"]));
    assert_eq!(events[1]["description"], "Sam Sales, Jr.; nights (sam) is on call for field; from nights.");
}

#[test]
fn a_new_workspace_has_dev_on_call_and_bad_input_is_refused() {
    let env = TestEnv::new();
    let out = oncall_json(&env, &[]);
    assert_eq!(
        out["schedules"][0],
        json!({
            "name": "field", "on_call": "dev", "source": "weekly", "covering_for": null, "until": null,
            "skipped": [], "handovers": [],
        })
    );
    for (args, code, needle) in [
        (vec!["oncall", "nights"], 1, "no schedule `nights` in rules.yaml; schedules: field"),
        (vec!["oncall", "--at", "soon"], 1, "--at: `soon` is not a time"),
        (vec!["away", "dev", "--until", "+1d", "--backup", "dev"], 1, "--backup is the person who is away"),
        (vec!["away", "dev", "--from", "+2d", "--until", "+1d"], 1, "is not before --until"),
        (vec!["away", "dev", "--from", "+1d"], 2, "give --until TIME"),
        (vec!["away", "zed", "--until", "+1d"], 1, "`zed` is not in the staff"),
        (vec!["oncall", "override", "--remove", "7"], 1, "there is no override 7"),
        (vec!["calendar", "field"], 1, "no calendar `field`"),
    ] {
        let out = env.run("olive", &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert!(!env.root().join("oncall.yaml").exists(), "a refused command wrote oncall.yaml");
    // Nobody acting: refused before anything is written.
    let out = env.cmd(&["away", "dev", "--until", "+1d"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!env.root().join("oncall.yaml").exists());
}
