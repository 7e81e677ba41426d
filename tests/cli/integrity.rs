//! Issue 15: no lead slips through silently. Every lead file reads as YAML reads it, every
//! misfit is loud (errors, exit 3), extreme input is refused, never a panic.

use std::process::Command;
use std::time::Duration;

use crate::{TestEnv, require, stderr};

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

/// An urgent lead captured unowned at 07:00 (not routed at capture), whose file is then
/// replaced by `edit(original)`.
fn emergency_with_file(env: &TestEnv, edit: impl Fn(&str) -> String) -> String {
    let id = env.capture(&["--urgency", "urgent"]);
    let text = env.lead_text(&id);
    std::fs::write(env.lead_path(&id), edit(&text)).unwrap();
    id
}

#[test]
fn a_note_with_a_line_starting_with_an_asterisk_then_a_tab_stays_readable() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    env.ok("ana", &["note", &id, "first line\n*urgent* call back\n&also this"]);
    env.ok("ana", &["note", &id, "tab\there"]);
    let list = env.run("ana", &["list", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert_eq!(json(&list.stdout).as_array().unwrap().len(), 1);
    env.cmd(&["validate"]).assert().success();
    let lead = env.lead_json(&id);
    let texts: Vec<&str> = lead["history"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["first line\n*urgent* call back\n&also this", "tab\there"]);
}

#[test]
fn text_a_yaml_tool_folded_is_not_taken_for_an_alias_but_real_aliases_are_refused() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let text = env.lead_text(&id);
    let folded = text.replace(
        "notes: Kitchen sink drains slowly\n",
        "notes: Kitchen sink drains slowly and the customer says it is\n  *urgent* because guests arrive\n",
    );
    std::fs::write(env.lead_path(&id), &folded).unwrap();
    let lead = env.lead_json(&id);
    assert_eq!(lead["notes"], "Kitchen sink drains slowly and the customer says it is *urgent* because guests arrive");
    let aliased = text.replace("notes: Kitchen sink drains slowly\n", "notes: &n Kitchen\nreferral: *n\n");
    std::fs::write(env.lead_path(&id), aliased).unwrap();
    let out = env.run("ana", &["show", &id]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("anchors and aliases"), "{}", stderr(&out));
}

#[test]
fn hand_edited_spacing_reads_as_yaml_reads_it() {
    let env = TestEnv::new();
    let id = emergency_with_file(&env, |t| t.replace("urgency: urgent", "urgency:  emergency"));
    assert_eq!(env.lead_json(&id)["urgency"], "emergency");
    // The emergency gets the on-call rule, not the 15-minute rule.
    let out =
        env.cmd(&["escalate-check", "--dry-run", "--json", "--now", "2026-11-24T07:01:00-06:00"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out.stdout);
    assert_eq!(v["escalations"][0]["rule"], "hot-unowned", "{v}");
}

#[test]
fn awkward_text_round_trips_through_every_write() {
    let env = TestEnv::new();
    let name = "Ma\u{2028}ria\u{2029}Ló\u{85}pez";
    let address = "10:30";
    let notes = "\nstarts with a blank line\r\n\tand a tab  ";
    let id = env.capture(&["--name", name, "--address", address, "--notes", "x"]);
    env.ok("ana", &["update", &id, "--notes", notes, "--referral", "yes"]);
    env.ok("ana", &["note", &id, "one\n\n*two*\n#three: four\n"]);
    let before = env.lead_json(&id);
    env.ok("ana", &["note", &id, "another write"]);
    let after = env.lead_json(&id);
    for key in ["full_name", "service_address", "notes", "referral"] {
        assert_eq!(before[key], after[key], "{key}");
    }
    assert_eq!(after["service_address"], "10:30");
    assert_eq!(after["referral"], "yes");
    let text = env.lead_text(&id);
    assert!(text.contains("service_address: '10:30'"), "{text}");
    assert!(text.contains("referral: 'yes'"), "{text}");
}

#[test]
fn a_write_past_the_read_limit_is_refused_and_the_lead_stays_readable() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let big = "x".repeat(100 * 1024);
    env.ok("ana", &["note", &id, &big]);
    env.ok("ana", &["note", &id, &big]);
    let before = env.lead_text(&id);
    let out = env.run("ana", &["note", &id, &big]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert_eq!(env.lead_text(&id), before);
    env.ok("ana", &["show", &id]);
}

#[test]
fn conflict_markers_or_a_second_status_are_reported_never_skipped() {
    for edit in [
        |t: &str| {
            t.replace("status: intake\n", "<<<<<<< HEAD\nstatus: closed\n=======\nstatus: intake\n>>>>>>> theirs\n")
        },
        |t: &str| {
            t.replace("status: intake\n", "status: closed\n")
                .replace("captured_by: ana\n", "captured_by: ana\nstatus: intake\n")
        },
    ] {
        let env = TestEnv::new();
        let id = emergency_with_file(&env, |t| edit(t).replace("urgency: urgent", "urgency: emergency"));
        for args in [&["escalate-check", "--dry-run", "--json"][..], &["list", "--json"], &["report", "--json"]] {
            let out = env.cmd(args).output().unwrap();
            assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
            assert!(stderr(&out).contains(&id), "{args:?}: {}", stderr(&out));
        }
        let out = env.cmd(&["escalate-check", "--dry-run", "--json"]).output().unwrap();
        let rel = env.lead_path(&id).strip_prefix(env.root()).unwrap().display().to_string();
        assert_eq!(json(&out.stdout)["errors"][0]["file"], rel.as_str());
    }
}

#[test]
fn a_value_outside_the_vocabulary_is_loud_and_case_never_downgrades_an_emergency() {
    let env = TestEnv::new();
    let id = emergency_with_file(&env, |t| t.replace("urgency: urgent", "urgency: Emergency"));
    let out =
        env.cmd(&["escalate-check", "--dry-run", "--json", "--now", "2026-11-24T07:01:00-06:00"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json(&out.stdout);
    assert_eq!(v["escalations"][0]["id"], id.as_str());
    assert_eq!(v["escalations"][0]["rule"], "hot-unowned", "read as emergency: {v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("Emergency"), "{v}");
    // A word that matches nothing is still listed, and reported.
    std::fs::write(env.lead_path(&id), env.lead_text(&id).replace("urgency: Emergency", "urgency: emergncy")).unwrap();
    let out = env.cmd(&["list", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out.stdout)[0]["id"], id.as_str());
    assert!(stderr(&out).contains("emergncy"), "{}", stderr(&out));
    env.cmd(&["validate"]).assert().code(3);
}

#[test]
fn a_fifo_named_like_a_lead_never_hangs_a_command() {
    let env = TestEnv::new();
    env.capture_standard();
    for name in ["x.yaml", "20261124-fifofifo0.yaml"] {
        let fifo = env.root().join("leads").join(name);
        assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    }
    for args in [
        &["list"][..],
        &["report"],
        &["export"],
        &["escalate-check"],
        &["validate"],
        &["qa-sample"],
        &["show", "20261124-fifofifo0"],
    ] {
        let out = env.as_("ana", args).timeout(Duration::from_secs(20)).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?} (None = hung): {}", stderr(&out));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(said.contains("x.yaml") || said.contains("fifofifo0.yaml"), "{args:?}: {said}");
    }
    let out = env
        .as_("ana", &env.capture_args(&["--phone", "312-555-0199"]))
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c != 101), "capture hung or panicked: {}", stderr(&out));
}

#[test]
fn extreme_numbers_times_and_sizes_are_refused_never_a_panic() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let huge = "9".repeat(40);
    let long = "é".repeat(60_000);
    let mut runs: Vec<Vec<String>> = Vec::new();
    for due in
        ["+9999999d", "+999999999999m", "+99999999999h", "+9999999999w", &format!("+{huge}d"), "9999-12-31 23:59"]
    {
        runs.push(vec![
            "assign".into(),
            id.clone(),
            "--to".into(),
            "dev".into(),
            "--next-action".into(),
            "x".into(),
            "--due".into(),
            due.into(),
        ]);
        runs.push(vec!["next".into(), id.clone(), "--action".into(), "x".into(), "--due".into(), due.into()]);
        let mut capture: Vec<String> =
            env.capture_args(&["--to", "dev", "--next-action", "x"]).iter().map(|s| s.to_string()).collect();
        capture.extend(["--due".into(), due.into()]);
        runs.push(capture);
    }
    for date in ["+9999999d", "+99999999999w", &format!("+{huge}d"), "9999-12-31"] {
        runs.push(vec!["update".into(), id.clone(), "--follow-up".into(), date.into()]);
        runs.push(vec!["report".into(), "--date".into(), date.into()]);
    }
    for (flag, v) in [
        ("--size", huge.as_str()),
        ("--size", "18446744073709551615"),
        ("--week", "9999-W52"),
        ("--seed", huge.as_str()),
    ] {
        runs.push(vec!["qa-sample".into(), flag.into(), v.into()]);
    }
    runs.push(vec!["note".into(), id.clone(), long.clone()]);
    runs.push(vec!["update".into(), id.clone(), "--name".into(), long]);
    runs.push(vec!["reject".into(), id.clone(), "--reason".into(), "x".repeat(120_000)]);
    runs.push(vec!["transfer".into(), id.clone(), "--to".into(), "sam".into(), "--reason".into(), huge.clone()]);
    runs.push(vec!["close".into(), id.clone(), "--outcome".into(), huge.clone(), "--note".into(), "x".repeat(120_000)]);
    runs.push(vec!["qa-record".into(), id.clone(), "--answer".into(), format!("{huge}=yes")]);
    runs.push(vec!["qa-report".into(), "--week".into(), "9999-W99".into()]);
    runs.push(vec!["log".into(), id.clone()]);
    runs.push(vec!["list".into(), "--owner".into(), huge.clone()]);
    // A CSV whose one row would make a lead past the read limit: refused, nothing written.
    let big_csv = env.root().join("big.csv");
    let cell = "y".repeat(300_000);
    std::fs::write(
        &big_csv,
        format!(
            "full_name,primary_phone,market,service_type,urgency,source,notes\nA,312-555-0111,N,repair,low,ads,{cell}\n"
        ),
    )
    .unwrap();
    runs.push(vec!["import".into(), big_csv.display().to_string()]);
    runs.push(vec!["import".into(), big_csv.display().to_string(), "--skip-bad".into()]);
    for now in ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "2026-11-24T07:00:00+25:00"] {
        runs.push(vec!["escalate-check".into(), "--now".into(), now.into()]);
        runs.push(vec!["list".into(), "--overdue".into(), "--now".into(), now.into()]);
        runs.push(vec!["report".into(), "--now".into(), now.into()]);
    }
    for args in runs {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run("ana", &argv);
        let code = out.status.code();
        assert!(
            code.is_some_and(|c| (0..=3).contains(&c)),
            "{:?} exited {code:?}: {}",
            &argv[..argv.len().min(4)],
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{argv:?}");
        if code != Some(0) {
            assert!(!stderr(&out).trim().is_empty(), "{argv:?} failed without a message");
        }
    }
    env.cmd(&["validate"]).assert().success();
    assert_eq!(env.lead_files().len(), 1, "no extreme input left a lead behind");
}

const IMPORT: &str = "full_name,primary_phone,service_address,service_type,urgency,source,notes\n\
    Ann One,312-555-0101,1 Main St,repair,standard,web-form,Leaky tap\n\
    Cy Three,312-555-0103,3 Main St,repair,urgency?,phone,x\n\
    Bob Two,312-555-0102,2 Main St,install,low,ads,New dishwasher\n";

#[test]
fn import_writes_nothing_unless_every_row_is_good() {
    let env = TestEnv::new();
    std::fs::write(env.root().join("in.csv"), IMPORT).unwrap();
    let out = env.run("ana", &["import", "in.csv"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("row 3"), "{}", stderr(&out));
    assert!(env.lead_files().is_empty());
}

#[test]
fn import_skip_bad_imports_the_good_rows_and_writes_the_rejects() {
    let env = TestEnv::new();
    std::fs::write(env.root().join("in.csv"), IMPORT).unwrap();
    let out = env.run("ana", &["import", "in.csv", "--skip-bad", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.lead_files().len(), 2);
    let rejects = std::fs::read_to_string(env.root().join("in.rejects.csv")).expect("rejects file");
    let mut lines = rejects.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,reason,full_name,primary_phone,service_address,service_type,urgency,source,notes"
    );
    let bad = lines.next().unwrap();
    assert!(bad.starts_with("3,") && bad.contains("urgency?") && bad.contains("Cy Three"), "{rejects}");
    assert!(lines.next().is_none());
    // Every row refused: nothing to import is a failure, whatever the flags.
    std::fs::write(env.root().join("bad.csv"), "full_name,urgency\nX,nope\n").unwrap();
    let out = env.run("ana", &["import", "bad.csv", "--skip-bad"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env.lead_files().len(), 2);
}

#[test]
fn export_neutralises_formula_cells_unless_raw() {
    let env = TestEnv::new();
    let id = env.capture(&["--name", "=HYPERLINK(\"http://x\")", "--notes", "@SUM(A1)", "--referral=-2+3"]);
    env.ok("ana", &["note", &id, "x"]);
    let csv = env.ok("ana", &["export"]);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'@SUM(A1)"), "{csv}");
    assert!(csv.contains("'-2+3"), "{csv}");
    assert!(csv.contains(",+13125550142,"), "a plain number is not a formula: {csv}");
    let list = env.ok("ana", &["list", "--format", "csv"]);
    assert!(list.contains("'=HYPERLINK") && !list.contains(",=HYPERLINK"), "{list}");
    let raw = env.ok("ana", &["export", "--raw"]);
    assert!(raw.contains("\"=HYPERLINK(\"\"http://x\"\")\""), "{raw}");
    assert!(raw.contains(",@SUM(A1),"), "{raw}");
}

#[test]
fn a_broken_rules_file_never_stops_intake() {
    let env = TestEnv::new();
    let id = emergency_with_file(&env, |t| t.replace("urgency: urgent", "urgency: emergency"));
    env.ok("ana", &["list"]); // a run on valid rules keeps them as the last good copy
    let good = env.rules();
    env.set_rules(&good.replace("end_of_day:", "end_of_dya:"));
    let out = env.capture_output(&["--phone", "312-555-0177"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("rules.yaml") && stderr(&out).contains("end_of_dya"), "{}", stderr(&out));
    let out = env.cmd(&["escalate-check", "--json", "--now", "2026-11-24T07:01:00-06:00"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json(&out.stdout);
    assert!(v["escalations"].as_array().unwrap().iter().any(|e| e["id"] == id.as_str()), "{v}");
    assert!(stderr(&out).contains("end_of_dya"), "{}", stderr(&out));
    env.cmd(&["validate"]).assert().code(3);
    // Fixed rules are used again at once.
    env.set_rules(&good);
    let out = env.capture_output(&["--phone", "312-555-0178"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn staff_who_left_stay_inactive_and_validate_says_so() {
    let env = TestEnv::new();
    let id = env.capture(&[
        "--service",
        "estimate",
        "--to",
        "sam",
        "--next-action",
        "Visit",
        "--due",
        "+2h",
        "--follow-up",
        "+2d",
    ]);
    let rules = env.add_sales_staff_sue().replace("pool: [sam]", "pool: [sue]");
    // Marked as left: kept for history, never handed new work.
    env.set_rules(&rules.replace("  - id: sam\n", "  - id: sam\n    active: false\n"));
    env.cmd(&["validate"]).assert().success();
    assert_eq!(env.lead_json(&id)["owner"], "sam");
    let other = env.capture(&["--phone", "312-555-0190"]);
    let out = env.run("ana", &["assign", &other, "--to", "sam", "--next-action", "Call", "--due", "+1h"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("sam is inactive"), "{}", stderr(&out));
    // Removed outright, the lead names an unknown id: validate fails and suggests `active: false`.
    let without_sam =
        rules.replace("  - id: sam\n    name: Sam Sales\n    email: sam@example.com\n    roles: [sales]\n", "");
    assert_ne!(without_sam, rules);
    env.set_rules(&without_sam);
    let out = env.cmd(&["validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(said.contains("`sam`") && said.contains("active: false"), "{said}");
}

/// PyYAML, an independent YAML 1.1 reader: under CI it must be there (.ci/run installs it).
fn pyyaml() -> bool {
    if !require("python3") {
        return false;
    }
    let ok = Command::new("python3").args(["-c", "import yaml"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "PyYAML is not installed; under CI .ci/run must install it");
        eprintln!("notice: PyYAML not installed; the independent rewrite is not checked");
    }
    ok
}

#[test]
fn a_pyyaml_rewrite_of_every_lead_changes_no_value() {
    if !pyyaml() {
        return;
    }
    let env = TestEnv::new();
    let awkward = [
        "yes",
        "off",
        "on",
        "y",
        "n",
        "~",
        "null",
        "10:30",
        "1_000",
        "0123",
        "0x1F",
        ".inf",
        "2026-11-24",
        "1e3",
        "Ma\u{2028}ria",
        "tab\there",
        " lead",
        "trail ",
        "*urgent*",
        "&a",
        "!tag",
        "# hash",
        "a: b",
        "'q'",
        "\"dq\"",
    ];
    let mut ids = Vec::new();
    for (i, text) in awkward.iter().enumerate() {
        let phone = format!("312-555-{:04}", 1000 + i);
        let id = env.capture(&[
            "--name",
            text,
            "--phone",
            &phone,
            "--address",
            text,
            "--notes",
            &format!("{text}\n*urgent* {text}"),
        ]);
        env.ok("ana", &["note", &id, text]);
        env.ok("ana", &["update", &id, "--referral", text]);
        ids.push(id);
    }
    let show = |id: &str| env.lead_json(id);
    let before: Vec<_> = ids.iter().map(|id| show(id)).collect();
    let check = |out: std::process::Output| {
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out.stdout)
    };
    let esc_before = check(
        env.cmd(&["escalate-check", "--dry-run", "--json", "--now", "2026-11-24T09:00:00-06:00"]).output().unwrap(),
    );
    let script = "import sys, yaml\nfor p in sys.argv[1:]:\n    d = yaml.safe_load(open(p, encoding='utf-8'))\n    \
                  open(p, 'w', encoding='utf-8').write(yaml.safe_dump(d, allow_unicode=True, sort_keys=False))\n";
    let status = Command::new("python3").arg("-c").arg(script).args(env.lead_files()).status().unwrap();
    assert!(status.success());
    for (id, b) in ids.iter().zip(&before) {
        assert_eq!(&show(id), b, "{}", env.lead_text(id));
    }
    let esc_after = check(
        env.cmd(&["escalate-check", "--dry-run", "--json", "--now", "2026-11-24T09:00:00-06:00"]).output().unwrap(),
    );
    assert_eq!(esc_before, esc_after);
}
