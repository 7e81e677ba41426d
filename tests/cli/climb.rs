//! Escalation that climbs (issue 17): clocks restart on every assignment, repeats up to a
//! limit, levels, re-routing to the next pool member, the overdue-next-action clock.

use serde_json::Value;

use crate::{TestEnv, stderr};

fn at(hm: &str) -> String {
    format!("2026-11-24T{hm}:00-06:00")
}

/// `escalate-check --json` at `hm`: the (rule, to, action) of the new escalations.
fn check(env: &TestEnv, hm: &str) -> Vec<(String, String, String)> {
    let out = env.cmd(&["escalate-check", "--json"]).env("HANDOFF_NOW", at(hm)).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["escalations"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["new"] == true)
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("rule"), s("escalate_to"), s("action"))
        })
        .collect()
}

fn run(env: &TestEnv, who: &str, hm: &str, args: &[&str]) -> String {
    let out = env.as_(who, args).env("HANDOFF_NOW", at(hm)).output().expect("run");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).expect("utf8")
}

fn capture(env: &TestEnv, hm: &str, extra: &[&str]) -> String {
    let args = env.capture_args(extra);
    run(env, "ana", hm, &args).lines().next().expect("id").to_owned()
}

fn n(rule: &str, to: &str, action: &str) -> (String, String, String) {
    (rule.to_owned(), to.to_owned(), action.to_owned())
}

#[test]
fn a_lead_assigned_after_its_first_escalation_escalates_again() {
    let env = TestEnv::new();
    let id = capture(&env, "07:00", &[]);
    assert_eq!(check(&env, "07:15"), [n("unaccepted", "olive", "notify")]);
    run(&env, "olive", "07:20", &["assign", &id, "--to", "dev"]);
    // The assignment is a new wait for acceptance: its own 15 minutes.
    assert!(check(&env, "07:34").is_empty());
    assert_eq!(check(&env, "07:35"), [n("unaccepted", "olive", "notify")]);
    assert!(check(&env, "09:00").is_empty(), "once per clock");
}

#[test]
fn a_rule_repeats_up_to_its_limit_then_climbs_then_reroutes_to_the_next_in_the_pool() {
    let env = TestEnv::new();
    env.add_sales_staff_sue();
    let rules = env.rules().replace("    pool: [sam]\n", "    pool: [sue, sam]\n");
    let rules = rules.replace(
        "  - name: estimate-stalled\n",
        "  - name: estimate-ack\n    when:\n      service_type: [estimate]\n    status: [assigned]\n    clock: capture\n    after: 10m\n    to: owner\n    fallback: sales\n    repeat: 10m\n    limit: 2\n    levels:\n      - after: 30m\n        to: manager\n      - after: 40m\n        action: reassign\n        to: next-in-pool\n        fallback: manager\n  - name: estimate-stalled\n",
    );
    env.set_rules(&rules);
    let out = env.run("ana", &["validate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = capture(&env, "07:00", &["--service", "estimate", "--route", "--urgency", "urgent"]);
    let owner = env.lead_json(&id)["owner"].as_str().expect("owner").to_owned();
    assert_eq!(owner, "sue");
    let ack = |hm: &str| -> Vec<(String, String, String)> {
        check(&env, hm).into_iter().filter(|(rule, _, _)| rule.starts_with("estimate-ack")).collect()
    };
    assert_eq!(ack("07:10"), [n("estimate-ack", "sue", "notify")]);
    assert_eq!(ack("07:20"), [n("estimate-ack#2", "sue", "notify")]);
    assert!(ack("07:29").is_empty(), "limit 2: no third alert");
    assert_eq!(ack("07:30"), [n("estimate-ack/2", "olive", "notify")]);
    assert_eq!(ack("07:40"), [n("estimate-ack/3", "sam", "reassign")]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "sam");
    let last = lead["history"].as_array().and_then(|h| h.last()).expect("event");
    assert_eq!(
        (last["event"].as_str(), last["by"].as_str(), last["from"].as_str()),
        (Some("assigned"), Some("system"), Some("sue"))
    );
    // sam's wait is a new clock: his own reminder 10 minutes on.
    assert_eq!(ack("07:50"), [n("estimate-ack", "sam", "notify")]);
}

#[test]
fn an_overdue_next_action_escalates_with_the_clock_enabled() {
    let env = TestEnv::new();
    // Uncomment the rule the default rules.yaml ships commented.
    let commented = "  # - name: next-action-overdue\n  #   status: [accepted]\n  #   clock: next-action-due\n  #   after: 15m\n  #   to: owner\n  #   fallback: office-lead\n  #   levels:\n  #     - after: 75m\n  #       to: office-lead\n";
    let rules = env.rules();
    assert!(rules.contains(commented), "the default rules ship the overdue rule commented");
    let rules = rules.replace(commented, &commented.replace("  # ", "  "));
    env.set_rules(&rules);
    let out = env.run("ana", &["validate"]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), env.rules());
    let id = capture(&env, "07:00", &["--to", "dev", "--next-action", "Call back", "--due", "08:00"]);
    run(&env, "dev", "07:01", &["accept", &id, "--yes"]);
    assert!(!check(&env, "08:14").iter().any(|(r, _, _)| r.starts_with("next-action-overdue")));
    assert_eq!(check(&env, "08:15"), [n("next-action-overdue", "dev", "notify")]);
    assert_eq!(check(&env, "09:15"), [n("next-action-overdue/2", "olive", "notify")]);
    // A new next action is a new clock.
    run(&env, "dev", "09:20", &["next", &id, "--action", "Visit", "--due", "10:00"]);
    assert!(check(&env, "10:14").is_empty());
    assert_eq!(check(&env, "10:15"), [n("next-action-overdue", "dev", "notify")]);
}

#[test]
fn bad_climbs_are_named_with_their_line() {
    let env = TestEnv::new();
    let rules = env.rules().replace(
        "      - after: 30m\n        action: reassign\n",
        "      - after: 10m\n        action: reassign\n        repeat: 5m\n",
    );
    env.set_rules(&rules);
    let out = env.run("ana", &["validate"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("`hot-climb` level 2: after `10m` must be later than the level before it"), "{err}");
    assert!(err.contains("a reassign step happens once"), "{err}");
    let line = rules.lines().position(|l| l == "      - after: 10m").expect("line") + 1;
    assert!(err.contains(&format!("rules.yaml:{line}:")), "{err}");
}
