//! Workspaces: init, discovery, validate, global options.

use crate::TestEnv;

#[test]
fn init_writes_rules_that_validate() {
    let env = TestEnv::new();
    let rules = env.rules();
    assert!(rules.contains("timezone: America/Chicago"));
    for staff in ["id: ana", "id: dev", "id: olive", "id: sam"] {
        assert!(rules.contains(staff), "{staff}");
    }
    assert!(rules.contains("end_of_day: \"17:00\""));
    assert!(env.root().join("leads").is_dir());
    env.cmd(&["validate"]).assert().success();
}

/// A write killed between its temp file and the rename leaves `.ID.yaml.tmp` beside the
/// leads, in a month directory; git never shows it as a change to commit.
#[test]
fn a_temp_file_left_by_a_killed_write_is_ignored_by_git_at_any_depth() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let month = env.root().join(crate::lead_rel(&id)).parent().unwrap().to_path_buf();
    std::fs::write(month.join(format!(".{id}.yaml.tmp")), "half").unwrap();
    std::fs::write(env.root().join("leads").join(".stray.yaml.tmp"), "half").unwrap();
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn init_refuses_an_existing_workspace_and_a_bad_zone() {
    let env = TestEnv::new();
    env.cmd(&["init", "."]).assert().code(1);
    let other = TestEnv::bare();
    let out = other.cmd(&["init", ".", "--timezone", "Mars/Olympus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(crate::stderr(&out).contains("Mars/Olympus"));
    assert!(!other.root().join("rules.yaml").exists());
}

#[test]
fn workspace_is_found_from_a_subdirectory_root_flag_and_env() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let sub = env.root().join("leads");
    let out = env.as_("ana", &["show", &id]).current_dir(&sub).output().unwrap();
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let elsewhere = tempfile::tempdir().unwrap();
    let root = env.root().to_str().unwrap();
    env.as_("ana", &["--root", root, "show", &id]).current_dir(elsewhere.path()).assert().success();
    env.as_("ana", &["show", &id]).current_dir(elsewhere.path()).env("HANDOFF_ROOT", root).assert().success();
    let out = env.as_("ana", &["show", &id]).current_dir(elsewhere.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(crate::stderr(&out).contains("handoff init"));
}

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    let env = TestEnv::new();
    env.capture_standard();
    let a = env.ok("ana", &["list", "--json"]);
    let b = env.ok("ana", &["--json", "list"]);
    assert_eq!(a, b);
    assert!(a.trim_start().starts_with('['));
}

#[test]
fn unknown_key_in_a_hand_edited_lead_is_named_with_file_and_line() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let text = env.lead_text(&id).replace("source: phone\n", "source: phone\ncolour: blue\n");
    std::fs::write(env.lead_path(&id), &text).unwrap();
    let line = text.lines().position(|l| l == "colour: blue").unwrap() + 1;
    let out = env.cmd(&["validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&crate::lead_rel(&id)), "{stdout}");
    assert!(stdout.contains("colour"), "{stdout}");
    assert!(stdout.contains(&format!(" {line} ")), "line {line} in {stdout}");
    // A scan names the file once, with the line, as `path:line: problem`.
    let out = env.cmd(&["list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = crate::stderr(&out);
    let named = err.lines().find(|l| l.contains("colour")).expect("the bad file is named");
    assert_eq!(named.matches(&crate::lead_rel(&id)).count(), 1, "{named}");
    assert!(named.starts_with(&format!("error: {}:{line}: ", crate::lead_rel(&id))), "{named}");
}

#[test]
fn every_bad_field_of_a_lead_is_listed_with_its_own_line() {
    let env = TestEnv::new();
    let id = env.capture(&["--next-action", "Call", "--due", "+1h"]);
    let text = env.lead_text(&id);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line_of = |lines: &[String], prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    let created = line_of(&lines, "created_at:");
    lines[created] = "created_at: yesterday-ish".into();
    let due = line_of(&lines, "next_action_due:");
    lines[due] = "next_action_due: soon".into();
    let event = line_of(&lines, "- at:");
    lines[event] = "- at: whenever".into();
    std::fs::write(env.lead_path(&id), lines.join("\n") + "\n").unwrap();
    let out = env.cmd(&["validate", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(u64, bool)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["message"].as_str().unwrap().contains("RFC 3339")))
        .collect();
    let expected: Vec<(u64, bool)> = [created, due, event].iter().map(|i| (*i as u64 + 1, true)).collect();
    assert_eq!(found, expected, "{v}");
    // A missing required field is listed with the bad values, not after they are fixed.
    lines.retain(|l| !l.starts_with("captured_by:"));
    std::fs::write(env.lead_path(&id), lines.join("\n") + "\n").unwrap();
    let out = env.cmd(&["validate", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> =
        v["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("missing `captured_by`")), "{messages:?}");
}

#[test]
fn validate_lists_every_problem_in_rules_yaml_with_lines() {
    let env = TestEnv::new();
    let rules = env
        .rules()
        .replace("end_of_day: \"17:00\"", "end_of_day: \"5pm\"")
        .replace("    to: olive\n", "    to: nobody\n");
    env.set_rules(&rules);
    let out = env.cmd(&["validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = crate::stderr(&out);
    let eod_line = rules.lines().position(|l| l.starts_with("end_of_day")).unwrap() + 1;
    assert!(err.contains(&format!("rules.yaml:{eod_line}:")), "{err}");
    assert!(err.contains("nobody"), "{err}");
    assert!(err.contains("2 problems"), "{err}");
}

#[test]
fn validate_reports_vocabulary_and_staff_problems_in_leads() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let text = env.lead_text(&id).replace("urgency: standard", "urgency: whenever");
    std::fs::write(env.lead_path(&id), text).unwrap();
    let out = env.cmd(&["validate", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["problems"][0]["file"], crate::lead_rel(&id));
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("whenever"));
    assert!(v["problems"][0]["line"].as_u64().is_some());
}

#[test]
fn bad_now_is_a_usage_error() {
    let env = TestEnv::new();
    let out = env.cmd(&["--now", "yesterday", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(crate::stderr(&out).contains("RFC 3339"));
}

#[test]
fn unknown_actor_is_refused() {
    let env = TestEnv::new();
    let out = env.run("zed", &["capture", "--name", "X"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(crate::stderr(&out).contains("zed"));
    assert!(env.lead_files().is_empty());
}

#[test]
fn a_lead_in_two_files_is_a_validation_problem_naming_both() {
    // A copy of a lead in the flat layout beside its month file (an old backup put back):
    // every command then refuses the id as ambiguous, so validate must say why.
    let env = TestEnv::new();
    let id = env.capture_standard();
    let flat = format!("leads/{id}.yaml");
    std::fs::copy(env.lead_path(&id), env.root().join(&flat)).unwrap();
    let out = env.cmd(&["validate"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let row = stdout.lines().find(|l| l.contains(&id) && l.contains("two files")).unwrap_or_default();
    assert!(row.contains(&flat) && row.contains(&crate::lead_rel(&id)), "{stdout}");
}
