//! Weekly QA: qa-sample, qa-record, qa-report.

use serde_json::Value;

use crate::{TestEnv, stderr};

const WEEK: &str = "2026-W48";

fn at(day: u8, hm: &str) -> String {
    format!("2026-11-{day:02}T{hm}:00-06:00")
}

fn run_at(env: &TestEnv, who: &str, when: &str, args: &[&str]) -> std::process::Output {
    let out = env.as_(who, args).env("HANDOFF_NOW", when).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// Capture a lead handed to `owner` at `when` and accept it two minutes later.
fn handoff(env: &TestEnv, day: u8, hm: &str, owner: &str, urgency: &str) -> String {
    let out = run_at(
        env,
        "ana",
        &at(day, hm),
        &[
            "capture",
            "--name",
            "Pat Doe",
            "--phone",
            "3125550100",
            "--market",
            "North",
            "--service",
            "repair",
            "--urgency",
            urgency,
            "--source",
            "phone",
            "--notes",
            "Leaking pipe",
            "--to",
            owner,
            "--next-action",
            "Call back",
            "--due",
            "+1h",
        ],
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let accept_at = at(day, &format!("{}:{}", &hm[..2], "30"));
    run_at(env, owner, &accept_at, &["accept", &id, "--yes"]);
    id
}

fn sample(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["qa-sample", "--json", "--week", WEEK];
    args.extend_from_slice(extra);
    let out = env.cmd(&args).env("HANDOFF_NOW", at(28, "12:00")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(v: &Value) -> Vec<String> {
    v["sample"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

fn owners(v: &Value) -> std::collections::BTreeSet<String> {
    v["sample"].as_array().unwrap().iter().map(|s| s["owner"].as_str().unwrap().to_owned()).collect()
}

fn twelve(env: &TestEnv) -> Vec<String> {
    let owners = ["dev", "sam", "olive"];
    let urgencies = ["urgent", "standard", "low"];
    (0..12)
        .map(|i| {
            handoff(env, 23 + (i / 4) as u8, &format!("{:02}:00", 8 + i % 4), owners[i % 3], urgencies[(i / 3) % 3])
        })
        .collect()
}

#[test]
fn a_sample_of_five_covers_every_owner_and_is_deterministic() {
    let env = TestEnv::new();
    twelve(&env);
    let first = sample(&env, &[]);
    assert_eq!(first["week"], WEEK);
    assert_eq!(ids(&first).len(), 5);
    assert_eq!(owners(&first).len(), 3);
    let urgencies: std::collections::BTreeSet<_> =
        first["sample"].as_array().unwrap().iter().map(|s| s["urgency"].to_string()).collect();
    assert_eq!(urgencies.len(), 3);
    assert_eq!(ids(&sample(&env, &[])), ids(&first));
    let others: Vec<Value> = (1..=5).map(|s| sample(&env, &["--seed", &s.to_string()])).collect();
    assert!(others.iter().any(|o| ids(o) != ids(&first)), "every seed drew the same sample");
    for o in &others {
        assert_eq!(ids(o).len(), 5);
        assert_eq!(owners(o).len(), 3);
    }
    // A smaller --size is honoured, with a note that it is below the weekly floor.
    let out = env
        .cmd(&["qa-sample", "--json", "--week", WEEK, "--size", "2"])
        .env("HANDOFF_NOW", at(28, "12:00"))
        .output()
        .unwrap();
    let small: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&small).len(), 2);
    assert!(stderr(&out).contains("below the 5 reviews"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("all are in the sample"), "{}", stderr(&out));
    for s in first["sample"].as_array().unwrap() {
        let evidence = s["evidence"].as_object().unwrap();
        let keys: Vec<&str> = evidence.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5);
        for key in ["owner-correct", "notes-sufficient", "waited-too-long", "customer-repeated", "outcome-matched"] {
            assert!(evidence.contains_key(key), "{key}");
        }
    }
}

#[test]
fn small_weeks_take_everything_and_empty_weeks_say_so() {
    let env = TestEnv::new();
    let three: Vec<String> =
        (0..3).map(|i| handoff(&env, 24, &format!("{:02}:00", 8 + i), "dev", "standard")).collect();
    let mut got = ids(&sample(&env, &[]));
    got.sort();
    let mut want = three.clone();
    want.sort();
    assert_eq!(got, want);
    let out = env.cmd(&["qa-sample", "--json", "--week", "2026-W40"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sample"], serde_json::json!([]));
    assert!(stderr(&out).contains("no handoffs were accepted in 2026-W40"), "{}", stderr(&out));
    let out = env.cmd(&["qa-sample", "--week", "48"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("YYYY-Www"));
}

#[test]
fn evidence_for_a_rejected_escalated_transferred_lead_matches_the_golden_file() {
    let env = TestEnv::new();
    let d = 23;
    let out = run_at(
        &env,
        "ana",
        &at(d, "07:00"),
        &[
            "capture",
            "--name",
            "Pat Doe",
            "--phone",
            "3125550100",
            "--market",
            "North",
            "--service",
            "repair",
            "--urgency",
            "standard",
            "--source",
            "referral",
            "--referral",
            "Neighbour Jan",
            "--notes",
            "Leaking pipe",
        ],
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    run_at(&env, "ana", &at(d, "07:01"), &["assign", &id, "--to", "dev"]);
    run_at(
        &env,
        "dev",
        &at(d, "07:05"),
        &["reject", &id, "--reason", "Which building?", "--missing", "service_address"],
    );
    run_at(&env, "ana", &at(d, "07:10"), &["update", &id, "--address", "12 Elm St, unit 4"]);
    run_at(&env, "system", &at(d, "07:20"), &["escalate-check"]);
    run_at(&env, "ana", &at(d, "07:25"), &["assign", &id, "--to", "dev"]);
    run_at(&env, "dev", &at(d, "07:40"), &["accept", &id, "--yes"]);
    run_at(&env, "dev", &at(d, "08:00"), &["transfer", &id, "--to", "sam", "--reason", "Needs a replacement quote"]);
    run_at(&env, "sam", &at(d, "08:05"), &["accept", &id, "--yes"]);
    run_at(&env, "sam", &at(d, "15:00"), &["close", &id, "--outcome", "won"]);
    // An earlier lead from the same phone, in the prior 30 days.
    let earlier = {
        let out = run_at(
            &env,
            "ana",
            &at(10, "09:00"),
            &[
                "capture",
                "--name",
                "Pat Doe",
                "--phone",
                "312-555-0100",
                "--market",
                "North",
                "--service",
                "repair",
                "--urgency",
                "low",
                "--source",
                "phone",
                "--notes",
                "Dripping tap",
            ],
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let v = sample(&env, &[]);
    let entry = v["sample"].as_array().unwrap().iter().find(|s| s["id"] == id.as_str()).expect("sampled").clone();
    let text = serde_json::to_string_pretty(&entry).unwrap().replace(&id, "LEAD").replace(&earlier, "EARLIER") + "\n";
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/golden/qa-evidence.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&golden).expect("golden; UPDATE_GOLDEN=1 creates it"));
}

const GOOD: [&str; 10] = [
    "--answer",
    "owner-correct=yes",
    "--answer",
    "notes-sufficient=no",
    "--answer",
    "waited-too-long=yes",
    "--answer",
    "customer-repeated=no",
    "--answer",
    "outcome-matched=yes",
];

#[test]
fn qa_record_refuses_bad_answers_and_writes_nothing() {
    let env = TestEnv::new();
    let id = handoff(&env, 24, "08:00", "dev", "standard");
    let before = env.lead_text(&id);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (GOOD[..8].to_vec(), "outcome-matched"),
        ([&GOOD[..], &["--answer", "owner-correct=no"]].concat(), "twice"),
        ([&GOOD[..8], &["--answer", "vibes=yes"]].concat(), "unknown question"),
        ([&GOOD[..8], &["--answer", "outcome-matched=maybe"]].concat(), "yes or no"),
    ];
    for (answers, needle) in cases {
        let mut args = vec!["qa-record", &id];
        args.extend(answers);
        let out = env.run("olive", &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(needle), "{needle}: {}", stderr(&out));
        assert_eq!(env.lead_text(&id), before);
    }
}

#[test]
fn recorded_reviews_are_counted_and_not_drawn_again() {
    let env = TestEnv::new();
    let all = twelve(&env);
    let first = ids(&sample(&env, &[]));
    for id in &first[..2] {
        let mut args = vec!["qa-record", id.as_str()];
        args.extend(GOOD);
        args.extend(["--comment", "Address lacked the unit"]);
        run_at(&env, "olive", &at(28, "12:00"), &args);
    }
    let lead = env.lead_json(&first[0]);
    let review = lead["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(review["event"], "qa-review");
    assert_eq!(review["by"], "olive");
    assert_eq!(review["week"], WEEK);
    assert_eq!(review["answers"]["notes-sufficient"], false);
    let again = ids(&sample(&env, &["--size", "12"]));
    assert_eq!(again.len(), all.len() - 2);
    assert!(!again.contains(&first[0]) && !again.contains(&first[1]));
    let out = env.run("olive", &[&["qa-record", first[0].as_str()], &GOOD[..]].concat());
    assert_eq!(out.status.code(), Some(1));
    let out = env.cmd(&["qa-report", "--json", "--week", WEEK]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reviewed"], 2);
    assert_eq!(v["required"], 5);
    assert_eq!(v["questions"][0]["key"], "owner-correct");
    assert_eq!(v["questions"][0]["yes"], 2);
    assert_eq!(v["questions"][1]["no"], 2);
    assert_eq!(v["flagged"].as_array().unwrap().len(), 2);
    assert_eq!(v["flagged"][0]["flags"], serde_json::json!(["notes-sufficient", "waited-too-long"]));
    let md = env.cmd(&["qa-sample", "--format", "md", "--week", WEEK]).output().unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# QA review 2026-W48"), "{md}");
    assert!(md.contains("- [ ] yes [ ] no — **Was the owner assignment correct?**"), "{md}");
}
