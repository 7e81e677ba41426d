//! The benchmark stays runnable: a small run of scripts/bench on the debug binary.

use std::process::Command;

#[test]
fn benchmark_runs_at_small_size_and_checks_its_workspace() {
    if !crate::require("python3") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench"))
        .args(["--sizes", "300", "--runs", "1", "--bin"])
        .arg(&bin)
        .arg("--data")
        .arg(data.path())
        .env_remove("HANDOFF_ROOT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for row in ["escalate-check", "report", "list --overdue", "show", "capture", "accept", "note", "cat floor"] {
        assert!(stdout.lines().any(|l| l.starts_with(row)), "no `{row}` row in:\n{stdout}");
    }
    assert!(stdout.contains("targets") && stdout.contains("peak RSS"), "{stdout}");
    // The generated workspace is valid and has the intended mix.
    let root = data.path().join("300-1");
    let check = Command::new(&bin).arg("--root").arg(&root).arg("validate").output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let all = Command::new(&bin).arg("--root").arg(&root).args(["export", "--json"]).output().unwrap();
    let leads: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let leads = leads.as_array().unwrap();
    assert_eq!(leads.len(), 300);
    let closed = leads.iter().filter(|l| l["status"] == "closed").count();
    assert!((200..=280).contains(&closed), "{closed} closed of 300");
}
