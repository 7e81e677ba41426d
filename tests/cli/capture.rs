//! Capture, update, note, show, list: the record on disk.

use crate::{TestEnv, events, stderr};

#[test]
fn capture_writes_the_record_in_spec_field_order() {
    let env = TestEnv::new();
    let id = env.capture(&["--fit", "premium", "--market", "North", "--route"]);
    assert!(id.starts_with("20261124-"), "{id}");
    assert!(id.len() >= 15);
    let text = env.lead_text(&id);
    let keys: Vec<&str> =
        text.lines().filter(|l| !l.starts_with([' ', '-'])).map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "id",
            "status",
            "created_at",
            "captured_by",
            "full_name",
            "primary_phone",
            "service_address",
            "market",
            "service_type",
            "urgency",
            "fit",
            "source",
            "notes",
            "next_action",
            "next_action_due",
            "owner",
            "history"
        ]
    );
    assert!(text.contains("primary_phone: '+13125550142'"), "{text}");
    assert!(text.contains("created_at: 2026-11-24T07:00:00-06:00"), "{text}");
    assert!(text.contains("captured_by: ana"));
}

#[test]
fn capture_prints_json_id_with_json() {
    let env = TestEnv::new();
    let out = env.ok(
        "ana",
        &[
            "capture",
            "--json",
            "--name",
            "A B",
            "--phone",
            "3125550100",
            "--market",
            "North",
            "--service",
            "repair",
            "--urgency",
            "low",
            "--source",
            "ads",
            "--notes",
            "n",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(env.lead_path(v["id"].as_str().unwrap()).exists());
}

#[test]
fn missing_fields_are_all_named_and_nothing_is_written() {
    let env = TestEnv::new();
    let out = env.run(
        "ana",
        &[
            "capture",
            "--name",
            "Bob",
            "--phone",
            "3125550199",
            "--source",
            "web-form",
            "--address",
            "1 Main",
            "--notes",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("service_type") && err.contains("urgency"), "{err}");
    let out = env.run("ana", &["capture", "--name", "Bob", "--phone", "3125550199", "--source", "web-form"]);
    let err = stderr(&out);
    for field in ["service_address/market", "service_type", "urgency", "notes"] {
        assert!(err.contains(field), "{field} in {err}");
    }
    assert!(env.lead_files().is_empty());
}

#[test]
fn partial_capture_is_saved_incomplete_and_cannot_be_assigned() {
    let env = TestEnv::new();
    let out =
        env.ok("ana", &["capture", "--partial", "--name", "Bob", "--phone", "3125550199", "--source", "web-form"]);
    let id = out.trim();
    let lead = env.lead_json(id);
    assert_eq!(lead["status"], "intake");
    assert_eq!(
        lead["history"][0]["missing"],
        serde_json::json!(["service_address/market", "service_type", "urgency", "notes"])
    );
    let before = env.lead_text(id);
    let out = env.run("ana", &["assign", id, "--to", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("urgency"));
    assert_eq!(env.lead_text(id), before);
}

#[test]
fn bad_values_are_refused_with_the_accepted_forms() {
    let env = TestEnv::new();
    let out = env.capture_output(&[
        "--name",
        "A",
        "--phone",
        "call me maybe",
        "--market",
        "N",
        "--service",
        "repair",
        "--urgency",
        "low",
        "--source",
        "ads",
        "--notes",
        "n",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--phone"), "{}", stderr(&out));
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
        "asap",
        "--source",
        "ads",
        "--notes",
        "n",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("asap") && err.contains("emergency, active-loss, urgent, standard, low"), "{err}");
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
        "ads",
        "--notes",
        "n",
        "--next-action",
        "call",
        "--due",
        "soonish",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("soonish") && err.contains("+15m") && err.contains("eod") && err.contains("HH:MM"), "{err}");
    assert!(env.lead_files().is_empty());
}

#[test]
fn same_content_gives_the_same_bytes() {
    let env = TestEnv::new();
    let a = env.capture(&["--notes", "Line one\nLine two"]);
    let b = env.capture(&["--notes", "Line one\nLine two"]);
    assert_ne!(a, b);
    let ta = env.lead_text(&a).replace(&a, "ID");
    let tb = env.lead_text(&b).replace(&b, "ID");
    assert_eq!(ta, tb);
    assert!(ta.contains("notes: |-\n  Line one\n  Line two\n"), "{ta}");
}

#[test]
fn same_phone_warns_naming_the_open_lead_and_still_saves() {
    let env = TestEnv::new();
    let first = env.capture_standard();
    let out = env.capture_output(&[
        "--name",
        "Maria L",
        "--phone",
        "312.555.0142",
        "--market",
        "N",
        "--service",
        "repair",
        "--urgency",
        "low",
        "--source",
        "phone",
        "--notes",
        "again",
    ]);
    assert!(out.status.success());
    assert!(stderr(&out).contains(&first), "{}", stderr(&out));
    assert_eq!(env.lead_files().len(), 2);
}

#[test]
fn prefix_lookup_and_ambiguous_prefix() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let random = &id[9..];
    let shown = env.ok("ana", &["show", &random[..4], "--json"]);
    assert!(shown.contains(&id));
    // Make a second lead share the first four characters of the random part.
    let twin = format!("20261124-{}zzzz", &random[..4]);
    std::fs::write(env.lead_path(&twin), env.lead_text(&id).replace(&id, &twin)).unwrap();
    let out = env.run("ana", &["show", &random[..4]]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&id) && err.contains(&twin), "{err}");
    let out = env.run("ana", &["show", &random[..3]]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn ids_cannot_reach_outside_leads() {
    let env = TestEnv::new();
    for bad in ["../x", "../../etc/passwd", "/etc/passwd", "20261124-abcdef/../../x"] {
        let out = env.run("ana", &["note", bad, "hi"]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(stderr(&out).contains("not a lead id"), "{bad}: {}", stderr(&out));
    }
}

#[test]
fn update_and_note_are_recorded_with_what_changed() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    env.ok("ana", &["update", &id, "--address", "14 Elm St", "--fit", "premium"]);
    env.ok("ana", &["note", &id, "Customer prefers mornings"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["service_address"], "14 Elm St");
    assert_eq!(events(&lead), ["captured", "updated", "noted"]);
    assert_eq!(lead["history"][1]["changed"], serde_json::json!(["service_address", "fit"]));
    assert_eq!(lead["history"][2]["text"], "Customer prefers mornings");
    let out = env.run("ana", &["update", &id, "--urgency", "meh"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn list_filters_and_formats() {
    let env = TestEnv::new();
    let a = env.capture_standard();
    let b = env.capture(&["--to", "sam", "--next-action", "Call", "--due", "07:30"]);
    let json: serde_json::Value = serde_json::from_str(&env.ok("ana", &["list", "--owner", "sam", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["id"], b.as_str());
    let mut later = env.cmd(&["list", "--overdue", "--format", "csv"]);
    later.env("HANDOFF_NOW", "2026-11-24T08:00:00-06:00");
    let csv = String::from_utf8(later.output().unwrap().stdout).unwrap();
    assert!(csv.starts_with("id,status,owner"), "{csv}");
    assert!(csv.contains(&b) && !csv.contains(&a), "{csv}");
    let md = env.ok("ana", &["list", "--format", "md"]);
    assert!(md.starts_with("| id | status |"), "{md}");
    let yaml = env.ok("ana", &["list", "--status", "intake", "--format", "yaml"]);
    assert!(yaml.contains(&a) && !yaml.contains(&b));
}

#[test]
fn show_prints_the_checklist_and_history() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let out = env.ok("ana", &["show", &id]);
    assert!(out.contains("[ ] owner named"), "{out}");
    assert!(out.contains("[ ] acceptance confirmed"));
    assert!(out.contains("captured"));
}

#[test]
fn eight_processes_adding_notes_lose_nothing() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    std::thread::scope(|s| {
        for p in 0..8 {
            let (bin, root, id) = (&bin, env.root(), &id);
            s.spawn(move || {
                for n in 0..25 {
                    let st = std::process::Command::new(bin)
                        .current_dir(root)
                        .env("HANDOFF_USER", "ana")
                        .env("HANDOFF_NOW", crate::NOW)
                        .args(["note", id, &format!("note {p}-{n}")])
                        .output()
                        .unwrap();
                    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
                }
            });
        }
    });
    let lead = env.lead_json(&id);
    let notes = events(&lead).iter().filter(|e| *e == "noted").count();
    assert_eq!(notes, 200);
}

#[test]
fn same_phone_is_found_after_files_change_behind_handoffs_back() {
    let env = TestEnv::new();
    let first = env.capture_standard();
    // A lead arriving by `git pull` (or a hand copy) with another phone number.
    let pulled = "20261124-pu11ed000";
    let text = env.lead_text(&first).replace(&first, pulled).replace("+13125550142", "+17085550199");
    std::fs::write(env.lead_path(pulled), text).unwrap();
    let out = env.capture_output(&["--name", "T", "--phone", "708-555-0199"]);
    assert!(stderr(&out).contains(pulled), "{}", stderr(&out));
    // A phone corrected with update is found by the next capture.
    env.ok("ana", &["update", &first, "--phone", "630-555-0150"]);
    let out = env.capture_output(&["--name", "U", "--phone", "(630) 555-0150"]);
    assert!(stderr(&out).contains(&first), "{}", stderr(&out));
    // Closed leads are not reported.
    env.ok("ana", &["close", &first, "--outcome", "spam"]);
    let out = env.capture_output(&["--name", "V", "--phone", "(630) 555-0150"]);
    assert!(!stderr(&out).contains(&first), "{}", stderr(&out));
}

#[test]
fn same_phone_names_open_leads_in_any_shape_and_never_closed_ones() {
    let env = TestEnv::new();
    let open = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let closed = env.capture_standard();
    env.ok("ana", &["close", &closed, "--outcome", "spam"]);
    // Hand edits the fast reader leaves to the YAML parser: a comment, a quoted status.
    let edited = env.capture_standard();
    let text = env.lead_text(&edited).replace("status: intake", "# called twice\nstatus: \"intake\"");
    std::fs::write(env.lead_path(&edited), text).unwrap();
    let closed_by_hand = env.capture_standard();
    let text = env.lead_text(&closed_by_hand).replace("status: intake", "status: closed # by hand");
    std::fs::write(env.lead_path(&closed_by_hand), text).unwrap();
    let out = env.capture_output(&["--name", "Again"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("open lead {open} (assigned, owner dev)")), "{err}");
    assert!(err.contains(&format!("open lead {edited} (intake, owner none)")), "{err}");
    assert!(!err.contains(&closed) && !err.contains(&closed_by_hand), "{err}");
}
