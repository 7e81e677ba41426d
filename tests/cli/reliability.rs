//! Reliability: the suite at small sizes, and regressions for what it found.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::{TestEnv, stderr};

#[test]
fn reliability_suite_passes_at_small_sizes() {
    if !crate::require("python3") {
        return;
    }
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/reliability"))
        .args(["--procs", "4", "--commands", "120", "--crashes", "20", "--corpus", "600", "--fuzz", "200", "--bin"])
        .arg(assert_cmd::cargo::cargo_bin("handoff"))
        .env_remove("HANDOFF_ROOT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    // The differential needs PyYAML: missing under CI, the script fails (never skips).
    for section in ["load: PASS", "crash: PASS", "bad input: PASS", "differential: PASS"] {
        assert!(stdout.contains(section), "{stdout}");
    }
}

#[test]
fn deeply_nested_yaml_is_refused_at_once() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let pristine = env.lead_text(&id);
    // On one line, and one bracket per line: the YAML parser is quadratic in both.
    for nesting in ["[".repeat(20_000) + &"]".repeat(20_000), "[\n".repeat(60_000)] {
        std::fs::write(env.lead_path(&id), pristine.clone() + "extra: " + &nesting + "\n").unwrap();
        let out = env.run("ana", &["show", &id]);
        assert_eq!(out.status.code(), Some(3));
        assert!(stderr(&out).contains("nested more than 64 deep"), "{}", stderr(&out));
    }
}

#[test]
fn lead_files_are_private_and_leftover_temp_files_are_replaced() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let mode = std::fs::metadata(env.lead_path(&id)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o077, 0, "lead file mode {mode:o} is readable by others");
    // A process killed mid-write leaves `.ID.yaml.tmp`; the next write replaces it.
    let tmp = env.lead_path(&id).with_file_name(format!(".{id}.yaml.tmp"));
    std::fs::write(&tmp, "half a lea").unwrap();
    env.ok("ana", &["note", &id, "after a crash"]);
    assert!(!tmp.exists());
    env.cmd(&["validate"]).assert().success();
}

#[test]
fn a_symlinked_leads_directory_or_lead_file_is_refused() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let link = env.root().join("leads").join("20261124-linked000.yaml");
    std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
    let out = env.run("ana", &["show", "20261124-linked000"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    std::fs::remove_file(&link).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::rename(env.root().join("leads"), outside.path().join("leads")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("leads"), env.root().join("leads")).unwrap();
    let out = env.run("ana", &["note", &id, "x"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}
