//! The handoff: routing, assign, accept, reject, transfer, next, close, ownership rules.

use crate::{TestEnv, events, stderr};

/// Assert a refusal: exit 1, the message contains `needle`, the lead's bytes unchanged.
fn refused(env: &TestEnv, id: &str, who: &str, args: &[&str], needle: &str) {
    let before = env.lead_text(id);
    let out = env.run(who, args);
    assert_eq!(out.status.code(), Some(1), "{args:?} should be refused: {}", stderr(&out));
    assert!(stderr(&out).contains(needle), "{args:?}: `{needle}` not in {}", stderr(&out));
    assert_eq!(env.lead_text(id), before, "{args:?} changed the file");
}

#[test]
fn intake_to_owner_workflow() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    env.ok("ana", &["assign", &id]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "dev");
    assert_eq!(lead["routing_rule"], "default");
    assert_eq!(lead["status"], "assigned");
    env.ok("dev", &["accept", &id, "--yes"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["status"], "accepted");
    assert_eq!(lead["handed_off"], true);
    assert_eq!(events(&lead), ["captured", "assigned", "accepted"]);
    env.ok("dev", &["next", &id, "--action", "Send estimate", "--due", "+1d"]);
    env.ok("dev", &["close", &id, "--outcome", "booked"]);
    assert_eq!(events(&env.lead_json(&id)), ["captured", "assigned", "accepted", "next", "closed"]);
}

#[test]
fn reject_fix_reassign_accept_loop() {
    let env = TestEnv::new();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+30m"]);
    env.ok("dev", &["reject", &id, "--reason", "Which unit? No apartment number", "--missing", "service_address"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["status"], "intake");
    assert!(lead.get("owner").is_none());
    assert_eq!(lead["history"][2]["reason"], "Which unit? No apartment number");
    assert_eq!(lead["history"][2]["missing"], serde_json::json!(["service_address"]));
    env.ok("ana", &["update", &id, "--address", "12 Elm St Apt 4"]);
    env.ok("ana", &["assign", &id, "--to", "dev"]);
    env.ok("dev", &["accept", &id, "--yes"]);
    assert_eq!(events(&env.lead_json(&id)), ["captured", "assigned", "rejected", "updated", "assigned", "accepted"]);
}

#[test]
fn refusals_name_the_fix_and_change_nothing() {
    let env = TestEnv::new();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+30m"]);
    refused(&env, &id, "sam", &["accept", &id, "--yes"], "only dev");
    refused(&env, &id, "sam", &["reject", &id, "--reason", "x"], "only dev");
    refused(&env, &id, "dev", &["reject", &id, "--reason", "x", "--missing", "colour"], "not a record field");
    refused(&env, &id, "dev", &["accept", &id], "--yes");
    refused(&env, &id, "ana", &["assign", &id, "--to", "nobody"], "not in the staff");
    refused(&env, &id, "dev", &["transfer", &id, "--to", "sam", "--reason", "x"], "accepted lead");
    env.ok("dev", &["accept", &id, "--yes"]);
    refused(&env, &id, "ana", &["assign", &id, "--to", "sam"], "handoff transfer");
    refused(&env, &id, "dev", &["reject", &id, "--reason", "x"], "transfer");
    refused(&env, &id, "dev", &["accept", &id, "--yes"], "not waiting for acceptance");
    refused(&env, &id, "dev", &["close", &id, "--outcome", "maybe"], "booked");
    refused(&env, &id, "sam", &["close", &id, "--outcome", "won"], "only dev");
    refused(&env, &id, "sam", &["next", &id, "--action", "x", "--due", "+1h"], "only dev");
    env.ok("dev", &["close", &id, "--outcome", "won"]);
    refused(&env, &id, "ana", &["update", &id, "--notes", "more"], "closed");
}

#[test]
fn accept_refuses_an_incomplete_record_pointing_to_reject() {
    let env = TestEnv::new();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+30m"]);
    // A hand edit removes the notes after assignment.
    let text = env.lead_text(&id).replace("notes: Kitchen sink drains slowly\n", "");
    std::fs::write(env.lead_path(&id), text).unwrap();
    refused(&env, &id, "dev", &["accept", &id, "--yes"], "handoff reject");
}

#[test]
fn transfer_moves_responsibility_and_needs_acceptance() {
    let env = TestEnv::new();
    let id = env.capture(&["--to", "dev", "--next-action", "Call back", "--due", "+30m"]);
    env.ok("dev", &["accept", &id, "--yes"]);
    refused(&env, &id, "dev", &["transfer", &id, "--to", "sam", "--reason", " "], "reason");
    env.ok("dev", &["transfer", &id, "--to", "sam", "--reason", "Needs a replacement quote"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "sam");
    assert_eq!(lead["status"], "assigned");
    assert_eq!(lead["history"][3]["from"], "dev");
    refused(&env, &id, "dev", &["accept", &id, "--yes"], "only sam");
    env.ok("sam", &["accept", &id, "--yes"]);
    assert_eq!(events(&env.lead_json(&id)), ["captured", "assigned", "accepted", "transferred", "accepted"]);
}

#[test]
fn emergency_capture_is_routed_at_once() {
    let env = TestEnv::new();
    let id = env.capture(&["--urgency", "emergency"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "dev");
    assert_eq!(lead["status"], "assigned");
    assert_eq!(lead["routing_rule"], "emergency-to-dispatch");
    assert_eq!(lead["next_action_due"], "2026-11-24T07:15:00-06:00");
}

#[test]
fn missed_call_is_never_left_unowned() {
    let env = TestEnv::new();
    let id = env.capture(&["--source", "missed-call-recovered"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "olive");
    assert_eq!(lead["routing_rule"], "missed-call-to-office");
}

#[test]
fn estimates_need_a_follow_up_date() {
    let env = TestEnv::new();
    let id = env.capture(&["--service", "estimate"]);
    env.ok("ana", &["assign", &id]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["owner"], "sam");
    assert_eq!(lead["follow_up_on"], "2026-11-26");
    // Without a default in the routing rule, --to must come with --follow-up.
    let id = env.capture(&["--service", "consult"]);
    let rules = env.rules().replace("    follow_up: 2d\n", "").replace("    follow_up: 1d\n", "");
    env.set_rules(&rules);
    refused(&env, &id, "ana", &["assign", &id, "--to", "sam", "--next-action", "Call", "--due", "+1h"], "follow_up_on");
    env.ok(
        "ana",
        &["assign", &id, "--to", "sam", "--next-action", "Call", "--due", "+1h", "--follow-up", "2026-11-30"],
    );
    // An accepted repair that turns out to be an estimate keeps the rule: update needs
    // the follow-up date in the same breath, and can set it after acceptance.
    let id = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    env.ok("dev", &["accept", &id, "--yes"]);
    refused(&env, &id, "dev", &["update", &id, "--service", "consult"], "--follow-up");
    env.ok("dev", &["update", &id, "--service", "consult", "--follow-up", "+3d"]);
    let lead = env.lead_json(&id);
    assert_eq!((lead["service_type"].as_str(), lead["follow_up_on"].as_str()), (Some("consult"), Some("2026-11-27")));
    refused(&env, &id, "dev", &["update", &id, "--follow-up", "someday"], "--follow-up");
}

#[test]
fn referral_leads_keep_the_referral_context() {
    let env = TestEnv::new();
    let out = env.capture_output(&[
        "--name",
        "A",
        "--phone",
        "3125550100",
        "--market",
        "N",
        "--service",
        "repair",
        "--urgency",
        "low",
        "--source",
        "referral",
        "--notes",
        "n",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("referral"), "{}", stderr(&out));
    let id = env.capture(&["--source", "referral", "--referral", "Neighbour Jan at 14 Elm"]);
    assert_eq!(env.lead_json(&id)["referral"], "Neighbour Jan at 14 Elm");
}

#[test]
fn round_robin_pool_takes_turns_over_six_captures() {
    let env = TestEnv::new();
    let rules = env.add_sales_staff_sue();
    env.set_rules(&rules.replace("pool: [sam]", "pool: [sam, sue]"));
    let owners: Vec<String> = (0..6)
        .map(|_| {
            let id = env.capture(&["--service", "estimate", "--route"]);
            env.lead_json(&id)["owner"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(owners, ["sam", "sue", "sam", "sue", "sam", "sue"]);
}

#[test]
fn least_open_pool_picks_the_least_loaded() {
    let env = TestEnv::new();
    let rules = env.add_sales_staff_sue();
    env.set_rules(
        &rules.replace("pool: [sam]\n    strategy: round-robin", "pool: [sam, sue]\n    strategy: least-open"),
    );
    env.capture(&["--to", "sam", "--next-action", "x", "--due", "+1h"]);
    env.capture(&["--to", "sam", "--next-action", "x", "--due", "+1h"]);
    let a = env.capture(&["--service", "estimate", "--route"]);
    assert_eq!(env.lead_json(&a)["owner"], "sue");
    let b = env.capture(&["--service", "estimate", "--route"]);
    assert_eq!(env.lead_json(&b)["owner"], "sue");
    let c = env.capture(&["--service", "estimate", "--route"]);
    // sam 2, sue 2: the tie goes to the first in the pool.
    assert_eq!(env.lead_json(&c)["owner"], "sam");
}

#[test]
fn routing_is_first_match_in_order() {
    let env = TestEnv::new();
    // premium fit matches the first rule before the estimate rule.
    let id = env.capture(&["--service", "estimate", "--fit", "premium", "--route"]);
    assert_eq!(env.lead_json(&id)["routing_rule"], "emergency-to-dispatch");
}
