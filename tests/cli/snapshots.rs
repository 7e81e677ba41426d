//! What people read, snapshotted (insta): a whole day's report, a lead's `show` and the
//! `list` table. Ids are pinned with `HANDOFF_SEED`, so the text is exact; a change to any
//! of these screens shows up as a reviewable diff (`cargo insta review`).

use crate::{TestEnv, stderr};

fn at(hm: &str) -> String {
    format!("2026-11-24T{hm}:00-06:00")
}

/// Run as `who` at `hm` with the id generator pinned; returns stdout's first line.
fn run(env: &TestEnv, who: &str, hm: &str, args: &[&str]) -> String {
    let out = env.as_(who, args).env("HANDOFF_NOW", at(hm)).env("HANDOFF_SEED", "1").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().lines().next().unwrap_or_default().to_owned()
}

fn capture(env: &TestEnv, hm: &str, name: &str, extra: &[&str]) -> String {
    let with_name: Vec<&str> = ["--name", name].iter().chain(extra).copied().collect();
    run(env, "ana", hm, &env.capture_args(&with_name))
}

/// A small day: an emergency accepted at once, a rejection and re-handoff, a lead left
/// unowned (escalated), a won job.
fn day(env: &TestEnv) -> Vec<String> {
    let a = capture(env, "07:00", "Maria Lopez", &["--urgency", "emergency"]);
    run(env, "dev", "07:03", &["accept", &a, "--yes"]);
    let b = capture(env, "09:00", "Pat Doe", &[]);
    run(env, "ana", "09:05", &["assign", &b, "--to", "dev"]);
    run(env, "dev", "09:20", &["reject", &b, "--reason", "No address", "--missing", "service_address"]);
    run(env, "ana", "09:30", &["update", &b, "--address", "1 Main St"]);
    run(env, "ana", "09:31", &["assign", &b, "--to", "dev", "--next-action", "Call to schedule", "--due", "11:00"]);
    run(env, "dev", "09:45", &["accept", &b, "--yes"]);
    let c = capture(env, "10:00", "Lee Park", &["--source", "ads"]);
    let d = capture(env, "11:00", "Sam Ortiz", &["--to", "sam", "--next-action", "Quote", "--due", "12:00"]);
    run(env, "sam", "11:10", &["accept", &d, "--yes"]);
    run(env, "sam", "12:30", &["close", &d, "--outcome", "won"]);
    run(env, "system", "13:00", &["escalate-check"]);
    vec![a, b, c, d]
}

#[test]
fn the_end_of_day_report_reads_as_before() {
    let env = TestEnv::new();
    day(&env);
    let out = env.cmd(&["report"]).env("HANDOFF_NOW", at("17:05")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("report_day", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn show_and_list_read_as_before() {
    let env = TestEnv::new();
    let ids = day(&env);
    let show = env.cmd(&["show", &ids[1]]).env("HANDOFF_NOW", at("17:05")).output().unwrap();
    assert!(show.status.success(), "{}", stderr(&show));
    insta::assert_snapshot!("show_rejected_then_accepted", String::from_utf8(show.stdout).unwrap());
    let list = env.cmd(&["list"]).env("HANDOFF_NOW", at("17:05")).output().unwrap();
    assert!(list.status.success(), "{}", stderr(&list));
    insta::assert_snapshot!("list_open_leads", String::from_utf8(list.stdout).unwrap());
}
