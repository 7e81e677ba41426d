//! The clock: escalate-check through a day, idempotency, DST, corrupt files; the report.

use serde_json::Value;

use crate::{TestEnv, events, stderr};

/// `handoff escalate-check --json` at `at` (RFC 3339); returns (exit code, JSON).
fn check_at(env: &TestEnv, at: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["escalate-check", "--json"];
    args.extend_from_slice(extra);
    let out = env.cmd(&args).env("HANDOFF_NOW", at).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("json: {}", stderr(&out)));
    (out.status.code().unwrap_or(-1), json)
}

/// The (id, rule, escalate_to) of the new escalations in an escalate-check result.
fn new_ones(v: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = v["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["new"] == true)
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["rule"].as_str().unwrap().to_owned(),
                e["escalate_to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn at(hm: &str) -> String {
    format!("2026-11-24T{hm}:00-06:00")
}

/// Capture at a given time (07:00 unless changed), as ana.
fn capture_at(env: &TestEnv, when: &str, args: &[&str]) -> String {
    let out = env.as_("ana", args).env("HANDOFF_NOW", when).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().lines().next().unwrap().to_owned()
}

const PARTIAL_EMERGENCY: &[&str] = &[
    "capture",
    "--partial",
    "--name",
    "Gas smell",
    "--phone",
    "3125550101",
    "--urgency",
    "emergency",
    "--source",
    "phone",
];

fn standard<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "capture",
        "--name",
        "Pat Doe",
        "--phone",
        "3125550102",
        "--market",
        "North",
        "--service",
        "repair",
        "--urgency",
        "standard",
        "--source",
        "web-form",
        "--notes",
        "Dripping tap",
    ];
    for pair in extra.chunks(2) {
        match v.iter().position(|a| *a == pair[0]) {
            Some(i) if pair.len() == 2 => v[i + 1] = pair[1],
            _ => v.extend_from_slice(pair),
        }
    }
    v
}

#[test]
fn unowned_emergency_escalates_at_once_and_unaccepted_at_five_minutes() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), PARTIAL_EMERGENCY);
    let (code, v) = check_at(&env, &at("07:00"), &[]);
    assert_eq!(code, 0);
    assert_eq!(new_ones(&v), [(id.clone(), "hot-unowned".into(), "dev".into())]);
    let (_, v) = check_at(&env, &at("07:04"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("07:05"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "hot-unaccepted".into(), "dev".into())]);
    let lead = env.lead_json(&id);
    assert_eq!(events(&lead), ["captured", "escalated", "escalated"]);
    assert_eq!(lead["history"][1]["by"], "system");
    assert_eq!(lead["history"][1]["clock"], "2026-11-24T07:00:00-06:00");
}

#[test]
fn a_rejected_emergency_escalates_at_once_and_a_transfer_restarts_the_acceptance_clock() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&["--urgency", "emergency"]));
    assert_eq!(env.lead_json(&id)["owner"], "dev", "an emergency is routed at capture");
    env.as_("dev", &["accept", &id, "--yes"]).env("HANDOFF_NOW", at("07:02")).assert().success();
    let (_, v) = check_at(&env, &at("07:10"), &[]);
    assert!(v["escalations"].as_array().unwrap().is_empty(), "{v}");
    // Transferred to sam: sam gets the same five minutes to accept as dev had.
    env.as_("dev", &["transfer", &id, "--to", "sam", "--reason", "Needs a quote first"])
        .env("HANDOFF_NOW", at("08:00"))
        .assert()
        .success();
    let (_, v) = check_at(&env, &at("08:04"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("08:05"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "hot-unaccepted".into(), "dev".into())]);
    assert!(
        v["escalations"][0]["reason"].as_str().unwrap().contains("not accepted by sam 5 min after transfer"),
        "{v}"
    );
    // sam rejects it: an unowned emergency escalates at once, again.
    env.as_("sam", &["reject", &id, "--reason", "Not a sales lead"]).env("HANDOFF_NOW", at("08:06")).assert().success();
    let (_, v) = check_at(&env, &at("08:06"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "hot-unowned".into(), "dev".into())]);
    let (_, v) = check_at(&env, &at("08:07"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
}

#[test]
fn an_escalation_recorded_before_the_clock_restart_rule_is_not_repeated() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("09:00"), &standard(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]));
    env.as_("dev", &["reject", &id, "--reason", "Wrong area"]).env("HANDOFF_NOW", at("09:05")).assert().success();
    // What an earlier handoff wrote after the rejection: clocked from capture.
    let text = env.lead_text(&id)
        + "- at: 2026-11-24T09:16:00-06:00\n  by: system\n  event: escalated\n  to: olive\n  rule: unaccepted\n  \
           reason: standard repair lead unowned 16 min after capture (window 15m)\n  clock: 2026-11-24T09:00:00-06:00\n";
    std::fs::write(env.lead_path(&id), text).unwrap();
    env.cmd(&["validate"]).assert().success();
    let (_, v) = check_at(&env, &at("09:30"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
}

#[test]
fn a_partial_emergency_is_routed_the_moment_update_completes_it() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), PARTIAL_EMERGENCY);
    assert_eq!(env.lead_json(&id)["status"], "intake");
    let out = env
        .as_("ana", &["update", &id, "--address", "12 Elm St", "--service", "repair", "--notes", "Gas smell"])
        .env("HANDOFF_NOW", at("07:03"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("assigned to dev"), "{}", stderr(&out));
    let lead = env.lead_json(&id);
    assert_eq!(lead["status"], "assigned");
    assert_eq!(lead["owner"], "dev");
    assert_eq!(events(&lead), ["captured", "updated", "assigned"]);
    // Rejected, it stays with intake through updates: routing again would hand it back to
    // the person who just sent it back.
    env.as_("dev", &["reject", &id, "--reason", "Olive's area"]).env("HANDOFF_NOW", at("07:05")).assert().success();
    env.as_("ana", &["update", &id, "--notes", "Gas smell, called again"])
        .env("HANDOFF_NOW", at("07:06"))
        .assert()
        .success();
    let lead = env.lead_json(&id);
    assert_eq!((lead["status"].as_str(), lead["owner"].as_str()), (Some("intake"), None));
}

#[test]
fn premium_fit_escalates_like_an_emergency() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&["--fit", "premium"]));
    let (_, v) = check_at(&env, &at("07:00"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "hot-unowned".into(), "dev".into())]);
    let (_, v) = check_at(&env, &at("07:05"), &[]);
    assert_eq!(new_ones(&v), [(id, "hot-unaccepted".into(), "dev".into())]);
}

#[test]
fn standard_lead_escalates_at_fifteen_minutes_not_fourteen() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&[]));
    let (_, v) = check_at(&env, &at("07:14"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("07:15"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "unaccepted".into(), "olive".into())]);
    let e = &v["escalations"][0];
    assert_eq!(e["overdue_minutes"], 0);
    assert!(e["reason"].as_str().unwrap().contains("unowned"), "{e}");
    // Later runs report it as known, not new, while it stays unresolved.
    let (_, v) = check_at(&env, &at("07:40"), &[]);
    assert!(new_ones(&v).is_empty());
    assert_eq!(v["escalations"][0]["new"], false);
    assert_eq!(v["escalations"][0]["overdue_minutes"], 25);
}

#[test]
fn accepted_leads_never_escalate_for_acceptance() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&["--to", "dev", "--next-action", "Call", "--due", "+2h"]));
    env.as_("dev", &["accept", &id, "--yes"]).env("HANDOFF_NOW", at("07:02")).assert().success();
    for t in ["07:15", "08:00", "12:00"] {
        let (_, v) = check_at(&env, &at(t), &[]);
        assert!(v["escalations"].as_array().unwrap().is_empty(), "{t}: {v}");
    }
}

#[test]
fn estimate_without_movement_escalates_at_sixty_and_a_note_restarts_the_clock() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&["--service", "estimate"]));
    let (_, v) = check_at(&env, &at("07:15"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "unaccepted".into(), "olive".into())]);
    env.as_("olive", &["note", &id, "Customer asked for a call after lunch"])
        .env("HANDOFF_NOW", at("07:30"))
        .assert()
        .success();
    // Without the note it would fire at 08:00; the escalation at 07:15 is not movement.
    let (_, v) = check_at(&env, &at("08:00"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("08:29"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("08:30"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "estimate-stalled".into(), "sam".into())]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["history"][3]["clock"], "2026-11-24T07:30:00-06:00");
}

#[test]
fn estimate_stall_goes_to_its_sales_owner() {
    let env = TestEnv::new();
    let id = capture_at(
        &env,
        &at("07:00"),
        &standard(&["--service", "estimate", "--to", "sam", "--next-action", "Book", "--due", "+3h"]),
    );
    env.as_("sam", &["accept", &id, "--yes"]).env("HANDOFF_NOW", at("07:01")).assert().success();
    // The booked next action (due 10:00) is movement promised: no stall alarm before it,
    // and the 60 minutes count from it (issue 17).
    let (_, v) = check_at(&env, &at("08:01"), &[]);
    assert!(!new_ones(&v).iter().any(|(_, rule, _)| rule == "estimate-stalled"), "{v}");
    let (_, v) = check_at(&env, &at("10:59"), &[]);
    assert!(!new_ones(&v).iter().any(|(_, rule, _)| rule == "estimate-stalled"), "{v}");
    let (_, v) = check_at(&env, &at("11:00"), &[]);
    assert!(new_ones(&v).contains(&(id.clone(), "estimate-stalled".into(), "sam".into())), "{v}");
}

#[test]
fn estimate_stall_without_a_booked_action_counts_from_the_last_movement() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&["--service", "estimate", "--to", "sam"]));
    env.as_("sam", &["accept", &id, "--yes"]).env("HANDOFF_NOW", at("07:01")).assert().success();
    // The next action's due time has passed: silence counts from the later of the two.
    env.as_("sam", &["next", &id, "--action", "Call back", "--due", "07:30"])
        .env("HANDOFF_NOW", at("07:10"))
        .assert()
        .success();
    let (_, v) = check_at(&env, &at("08:29"), &[]);
    assert!(!new_ones(&v).iter().any(|(_, rule, _)| rule == "estimate-stalled"), "{v}");
    let (_, v) = check_at(&env, &at("08:30"), &[]);
    assert!(new_ones(&v).contains(&(id, "estimate-stalled".into(), "sam".into())), "{v}");
}

#[test]
fn end_of_day_review_flags_leads_without_next_action_from_five_pm() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("09:00"), &standard(&[]));
    let with_action = capture_at(&env, &at("09:00"), &standard(&["--next-action", "Call back", "--due", "16:00"]));
    check_at(&env, &at("09:30"), &[]);
    let (_, v) = check_at(&env, &at("16:59"), &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, &at("17:00"), &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "eod-review".into(), "olive".into())]);
    assert!(!new_ones(&v).iter().any(|(i, _, _)| *i == with_action));
    // The next day is a new clock.
    let (_, v) = check_at(&env, "2026-11-25T17:00:00-06:00", &[]);
    assert_eq!(new_ones(&v), [(id, "eod-review".into(), "olive".into())]);
}

#[test]
fn dst_days_in_chicago() {
    // Spring forward: 01:55 CST + 15 min is 03:10 CDT.
    let env = TestEnv::new();
    let id = capture_at(&env, "2026-03-08T01:55:00-06:00", &standard(&[]));
    let (_, v) = check_at(&env, "2026-03-08T03:09:00-05:00", &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, "2026-03-08T03:10:00-05:00", &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "unaccepted".into(), "olive".into())]);
    let (_, v) = check_at(&env, "2026-03-08T16:59:00-05:00", &[]);
    assert!(new_ones(&v).is_empty());
    let (_, v) = check_at(&env, "2026-03-08T17:00:00-05:00", &[]);
    assert_eq!(new_ones(&v), [(id, "eod-review".into(), "olive".into())]);

    // Fall back: 01:50 CDT + 15 min is the second 01:05, in CST.
    let env = TestEnv::new();
    let id = capture_at(&env, "2026-11-01T01:50:00-05:00", &standard(&[]));
    let (_, v) = check_at(&env, "2026-11-01T01:04:00-06:00", &[]);
    assert!(new_ones(&v).is_empty(), "{v}");
    let (_, v) = check_at(&env, "2026-11-01T01:05:00-06:00", &[]);
    assert_eq!(new_ones(&v), [(id.clone(), "unaccepted".into(), "olive".into())]);
    let (_, v) = check_at(&env, "2026-11-01T17:00:00-06:00", &[]);
    assert_eq!(new_ones(&v), [(id, "eod-review".into(), "olive".into())]);
}

#[test]
fn dry_run_writes_nothing_and_notify_runs_once_per_new_escalation() {
    let env = TestEnv::new();
    let a = capture_at(&env, &at("07:00"), &standard(&[]));
    let b = capture_at(&env, &at("07:00"), PARTIAL_EMERGENCY);
    let before = (env.lead_text(&a), env.lead_text(&b));
    let (_, v) = check_at(&env, &at("07:20"), &["--dry-run"]);
    assert_eq!(new_ones(&v).len(), 3, "{v}");
    assert_eq!((env.lead_text(&a), env.lead_text(&b)), before);
    let log = env.root().join("notify.log");
    let cmd = format!("cat >> {}", log.display());
    let (_, v) = check_at(&env, &at("07:20"), &["--notify", &cmd]);
    assert_eq!(new_ones(&v).len(), 3);
    let lines: Vec<Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["new"] == true && l["id"].is_string() && l["escalate_to"].is_string()));
    check_at(&env, &at("07:21"), &["--notify", &cmd]);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);
}

#[test]
fn a_failing_notify_does_not_lose_the_escalation() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&[]));
    let out =
        env.cmd(&["escalate-check", "--json", "--notify", "exit 7"]).env("HANDOFF_NOW", at("07:15")).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "cron must hear that a notification failed");
    assert!(stderr(&out).contains("--notify failed"), "{}", stderr(&out));
    assert_eq!(events(&env.lead_json(&id)), ["captured", "escalated"]);
    // The next run delivers it (the escalation itself is not new any more), once.
    let sink = env.root().join("sent.jsonl");
    let notify = format!("cat >> {}", sink.display());
    let out =
        env.cmd(&["escalate-check", "--json", "--notify", &notify]).env("HANDOFF_NOW", at("07:16")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = std::fs::read_to_string(&sink).unwrap();
    assert_eq!(sent.lines().count(), 1, "{sent}");
    let e: Value = serde_json::from_str(sent.lines().next().unwrap()).unwrap();
    assert_eq!((e["id"].as_str(), e["rule"].as_str()), (Some(id.as_str()), Some("unaccepted")));
    env.cmd(&["escalate-check", "--notify", &notify]).env("HANDOFF_NOW", at("07:17")).assert().success();
    assert_eq!(std::fs::read_to_string(&sink).unwrap().lines().count(), 1);
    assert_eq!(events(&env.lead_json(&id)), ["captured", "escalated"]);
    // A run killed mid-delivery leaves its claim file (its lock died with it): the next
    // run takes it over and delivers it.
    let state = env.root().join(".handoff");
    std::fs::write(state.join("notify-claim-4000000-1.jsonl"), &sent).unwrap();
    env.cmd(&["escalate-check", "--notify", &notify]).env("HANDOFF_NOW", at("07:18")).assert().success();
    assert_eq!(std::fs::read_to_string(&sink).unwrap().lines().count(), 2);
    assert!(!state.join("notify-claim-4000000-1.jsonl").exists());
    // A queued notification whose escalation no longer stands (the lead is closed) is dropped.
    env.as_("ana", &["close", &id, "--outcome", "spam"]).env("HANDOFF_NOW", at("07:19")).assert().success();
    std::fs::write(state.join("notify-retry.jsonl"), &sent).unwrap();
    let out = env.cmd(&["escalate-check", "--notify", &notify]).env("HANDOFF_NOW", at("07:20")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("dropped 1"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&sink).unwrap().lines().count(), 2);
    let left: Vec<_> = std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().starts_with("notify-")), "{left:?}");
}

#[test]
fn every_minute_of_a_day_escalates_each_lead_rule_and_clock_once() {
    let env = TestEnv::new();
    let mut ids = Vec::new();
    for i in 0..50 {
        let when = format!("2026-11-24T{:02}:{:02}:00-06:00", 8 + i / 12, (i % 12) * 5);
        let lead = match i % 5 {
            0 => capture_at(&env, &when, PARTIAL_EMERGENCY),
            1 => capture_at(&env, &when, &standard(&["--service", "estimate"])),
            2 => capture_at(&env, &when, &standard(&["--fit", "premium"])),
            3 => capture_at(&env, &when, &standard(&["--to", "dev", "--next-action", "Call", "--due", "+1h"])),
            _ => capture_at(&env, &when, &standard(&[])),
        };
        ids.push(lead);
    }
    // Movement on some estimates starts new clocks (written ahead: the runs below replay
    // the day, and runs after 14:00 see the new clock).
    for id in ids.iter().skip(1).step_by(10) {
        env.as_("olive", &["note", id, "called, no answer"]).env("HANDOFF_NOW", at("14:00")).assert().success();
    }
    let mut total_new = 0;
    for minute in (8 * 60..=18 * 60).step_by(1) {
        let when = format!("2026-11-24T{:02}:{:02}:00-06:00", minute / 60, minute % 60);
        let (code, v) = check_at(&env, &when, &[]);
        assert_eq!(code, 0);
        total_new += new_ones(&v).len();
    }
    let mut recorded = 0;
    for id in &ids {
        let lead = env.lead_json(id);
        let mut seen = std::collections::BTreeSet::new();
        for e in lead["history"].as_array().unwrap().iter().filter(|e| e["event"] == "escalated") {
            let key = (e["rule"].to_string(), e["clock"].to_string());
            assert!(seen.insert(key.clone()), "{id}: {key:?} escalated twice");
            recorded += 1;
        }
        assert!(!seen.is_empty(), "{id} never escalated");
    }
    assert_eq!(recorded, total_new);
}

#[test]
fn two_runs_at_the_same_moment_record_each_escalation_once() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..20).map(|_| capture_at(&env, &at("07:00"), &standard(&[]))).collect();
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    let outputs: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (bin, root) = (&bin, env.root());
                s.spawn(move || {
                    let out = std::process::Command::new(bin)
                        .current_dir(root)
                        .env("HANDOFF_NOW", at("07:20"))
                        .args(["escalate-check", "--json"])
                        .output()
                        .unwrap();
                    serde_json::from_slice::<Value>(&out.stdout).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let new_total: usize = outputs.iter().map(|v| new_ones(v).len()).sum();
    assert_eq!(new_total, 20);
    for id in &ids {
        assert_eq!(events(&env.lead_json(id)), ["captured", "escalated"], "{id}");
    }
}

#[test]
fn a_corrupt_file_never_stops_the_run() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("07:00"), &standard(&[]));
    let template = env.lead_text(&id);
    for i in 0..98 {
        let other = format!("20261124-bulk{i:05}");
        std::fs::write(env.lead_path(&other), template.replace(&id, &other)).unwrap();
    }
    let bad = "20261124-corrupt00";
    std::fs::write(env.lead_path(bad), "id: 20261124-corrupt00\nstatus: [unclosed\n").unwrap();
    let (code, v) = check_at(&env, &at("07:20"), &[]);
    assert_eq!(code, 3);
    assert_eq!(new_ones(&v).len(), 99);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["file"], crate::lead_rel(bad));
    assert!(v["errors"][0]["message"].as_str().unwrap().contains(&format!("{}:2", crate::lead_rel(bad))), "{v}");
    // The views that scan print what they could read, name the file, and exit 3 too, so
    // nobody mistakes an end-of-day report with a lead left out for a complete one.
    for args in [&["list", "--json"][..], &["report", "--json"], &["export"], &["qa-report", "--json"]] {
        let out = env.cmd(args).env("HANDOFF_NOW", at("07:30")).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
        assert!(stderr(&out).contains(&crate::lead_rel(bad)), "{args:?}: {}", stderr(&out));
    }
    let out = env.cmd(&["list", "--json"]).env("HANDOFF_NOW", at("07:30")).output().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().len(), 99);
}

/// Build a fixture day by driving the binary; returns ids in capture order.
fn fixture_day(env: &TestEnv) -> Vec<String> {
    let run = |who: &str, t: &str, args: &[&str]| {
        let out = env.as_(who, args).env("HANDOFF_NOW", at(t)).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    let a = capture_at(env, &at("07:00"), &standard(&["--urgency", "emergency"]));
    run("dev", "07:03", &["accept", &a, "--yes"]);
    let b = capture_at(env, &at("08:00"), &standard(&["--service", "estimate", "--route"]));
    let c = capture_at(env, &at("09:00"), &standard(&[]));
    run("ana", "09:05", &["assign", &c, "--to", "dev"]);
    run("dev", "09:20", &["reject", &c, "--reason", "No address", "--missing", "service_address"]);
    run("ana", "09:30", &["update", &c, "--address", "1 Main St"]);
    run("ana", "09:31", &["assign", &c, "--to", "dev", "--next-action", "Call to schedule", "--due", "11:00"]);
    run("dev", "09:45", &["accept", &c, "--yes"]);
    let d = capture_at(env, &at("10:00"), &standard(&["--source", "ads"]));
    let e = capture_at(env, &at("11:00"), &standard(&["--to", "sam", "--next-action", "Quote", "--due", "12:00"]));
    run("sam", "11:10", &["accept", &e, "--yes"]);
    run("sam", "12:30", &["close", &e, "--outcome", "won"]);
    run("system", "13:00", &["escalate-check"]);
    vec![a, b, c, d, e]
}

#[test]
fn report_json_for_a_fixture_day_matches_the_golden_file() {
    let env = TestEnv::new();
    let ids = fixture_day(&env);
    let out = env.cmd(&["report", "--json"]).env("HANDOFF_NOW", at("17:05")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut text = String::from_utf8(out.stdout).unwrap();
    for (i, id) in ids.iter().enumerate() {
        text = text.replace(id.as_str(), &format!("LEAD-{}", (b'A' + i as u8) as char));
    }
    // Ids are random, so entries that tie on time may come in either order: sort them.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for (_, section) in v.as_object_mut().unwrap().iter_mut() {
        if let Some(list) = section.as_array_mut() {
            list.sort_by_key(|e| e.to_string());
        }
    }
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    let golden_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/golden/report-day.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).expect("golden file; run with UPDATE_GOLDEN=1 to create");
    assert_eq!(text, golden);
    // The same day replayed the next morning gives the state at its end (as of midnight).
    let out = env
        .cmd(&["report", "--json", "--date", "2026-11-24"])
        .env("HANDOFF_NOW", "2026-11-25T08:00:00-06:00")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accepted"].as_array().unwrap().len(), 3);
    assert_eq!(v["rejected"][0]["reason"], "No address");
}

#[test]
fn past_days_are_replayed_from_history() {
    let env = TestEnv::new();
    let id = capture_at(&env, &at("09:00"), &standard(&["--to", "dev", "--next-action", "Call", "--due", "10:00"]));
    env.as_("dev", &["accept", &id, "--yes"]).env("HANDOFF_NOW", "2026-11-25T09:00:00-06:00").assert().success();
    env.as_("dev", &["close", &id, "--outcome", "booked"])
        .env("HANDOFF_NOW", "2026-11-25T10:00:00-06:00")
        .assert()
        .success();
    // On the 24th it was handed off but not accepted, and overdue by the evening.
    let out = env
        .cmd(&["report", "--json", "--date", "2026-11-24"])
        .env("HANDOFF_NOW", "2026-11-26T08:00:00-06:00")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unaccepted"][0]["id"], id.as_str());
    assert_eq!(v["overdue"][0]["id"], id.as_str());
    assert_eq!(v["by_owner"][0]["owner"], "dev");
    assert_eq!(v["by_owner"][0]["open"], 1);
    let out = env
        .cmd(&["report", "--json", "--date", "2026-11-25"])
        .env("HANDOFF_NOW", "2026-11-26T08:00:00-06:00")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["unaccepted"].as_array().unwrap().is_empty());
    assert_eq!(v["accepted"][0]["minutes_to_accept"], 24 * 60);
    // `yesterday` is the day before --now in the workspace timezone.
    let yesterday = env
        .cmd(&["report", "--json", "--date", "yesterday"])
        .env("HANDOFF_NOW", "2026-11-26T08:00:00-06:00")
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&yesterday.stdout).unwrap(), v);
}

#[test]
fn report_table_fits_a_terminal() {
    let env = TestEnv::new();
    fixture_day(&env);
    let out = env.cmd(&["report"]).env("HANDOFF_NOW", at("17:05")).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() <= 40, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    for format in ["csv", "md", "yaml"] {
        env.cmd(&["report", "--format", format]).env("HANDOFF_NOW", at("17:05")).assert().success();
    }
}
