//! Git as the audit log: authored commits, `handoff log`, merges between clones.

use crate::{TestEnv, events, git_cmd, git_in, stderr};

fn log(env: &TestEnv, format: &str) -> Vec<String> {
    env.git(&["log", "--reverse", &format!("--format={format}")]).lines().map(str::to_owned).collect()
}

#[test]
fn init_commits_the_workspace_and_registers_the_merge_driver() {
    let env = TestEnv::with_git();
    assert_eq!(log(&env, "%s"), ["init: handoff workspace (rules.yaml, leads/)"]);
    let attrs = std::fs::read_to_string(env.root().join(".gitattributes")).unwrap();
    assert_eq!(attrs, "leads/**/*.yaml merge=handoff\n");
    assert!(env.git(&["config", "merge.handoff.driver"]).starts_with("handoff merge-driver"));
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn init_inside_an_existing_repository_leaves_its_history_alone() {
    let env = TestEnv::bare();
    env.git(&["init", "--quiet"]);
    std::fs::create_dir(env.root().join("office")).unwrap();
    let out = env.cmd(&["init", "office", "--timezone", "America/Chicago"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let head = git_cmd(env.root(), &["rev-parse", "--verify", "-q", "HEAD"]).output().unwrap();
    assert!(!head.status.success(), "init committed into the user's repository");
    assert!(env.git(&["config", "merge.handoff.driver"]).starts_with("handoff merge-driver"));
    assert!(env.root().join("office/.gitattributes").exists());
}

#[test]
fn each_command_is_one_commit_authored_by_the_actor_without_pii() {
    let env = TestEnv::with_git();
    let id = env.capture(&["--name", "Maria Lopez", "--phone", "(312) 555-0142"]);
    env.ok("ana", &["assign", &id, "--to", "dev"]);
    env.ok("dev", &["accept", &id, "--yes"]);
    env.ok("olive", &["note", &id, "Customer's gate code is 4471"]);
    env.ok("dev", &["next", &id, "--action", "Send the quote to maria@example.com", "--due", "+1d"]);
    let authors = log(&env, "%an <%ae>");
    assert_eq!(
        authors[1..],
        [
            "Ana Intake <ana@example.com>",
            "Ana Intake <ana@example.com>",
            "Dev Dispatch <dev@example.com>",
            "Olive Office <olive@example.com>",
            "Dev Dispatch <dev@example.com>"
        ]
    );
    let subjects = log(&env, "%s");
    for (subject, command) in subjects[1..].iter().zip(["capture", "assign", "accept", "note", "next"]) {
        assert!(subject.starts_with(&format!("{command} {id}: ")), "{subject}");
    }
    let messages = env.git(&["log", "--format=%B"]);
    for secret in ["5550142", "3125550142", "555-0142", "Maria", "Lopez", "4471", "maria@example.com"] {
        assert!(!messages.contains(secret), "`{secret}` leaked into: {messages}");
    }
    let committer = env.git(&["log", "-1", "--format=%cn"]);
    assert_eq!(committer.trim(), "Test Machine");
    // The author date is the command's --now, so a replayed day reads true in `git log`.
    let out =
        env.as_("olive", &["note", &id, "Replayed"]).env("HANDOFF_NOW", "2026-11-30T08:15:00-06:00").output().unwrap();
    assert!(out.status.success(), "{}", crate::stderr(&out));
    assert_eq!(env.git(&["log", "-1", "--format=%aI"]).trim(), "2026-11-30T08:15:00-06:00");
}

#[test]
fn a_commit_touches_only_the_leads_file_and_never_the_users_edits() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    std::fs::write(env.root().join("todo.txt"), "call the supplier\n").unwrap();
    env.git(&["add", "todo.txt"]);
    let rules = env.rules() + "# my local edit\n";
    env.set_rules(&rules);
    env.ok("ana", &["note", &id, "hello"]);
    let stat = env.git(&["show", "--stat", "--format=", "HEAD"]);
    assert!(stat.contains(&crate::lead_rel(&id)), "{stat}");
    assert!(stat.contains("1 file changed"), "{stat}");
    assert_eq!(env.git(&["diff", "--cached", "--name-only"]).trim(), "todo.txt");
    assert!(env.git(&["diff", "--name-only"]).contains("rules.yaml"));
}

#[test]
fn escalate_check_makes_one_commit_per_run_with_escalations() {
    let env = TestEnv::with_git();
    for _ in 0..5 {
        env.capture_standard();
    }
    let before = log(&env, "%s").len();
    let out = env.cmd(&["escalate-check", "--json"]).env("HANDOFF_NOW", "2026-11-24T07:20:00-06:00").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = log(&env, "%an|%s");
    assert_eq!(after.len(), before + 1);
    assert!(after.last().unwrap().starts_with("handoff|escalate-check "), "{after:?}");
    assert!(after.last().unwrap().contains("5 escalations"), "{after:?}");
    assert_eq!(env.git(&["show", "--stat", "--format=", "HEAD"]).matches("leads/").count(), 5);
    env.cmd(&["escalate-check"]).env("HANDOFF_NOW", "2026-11-24T07:21:00-06:00").assert().success();
    assert_eq!(log(&env, "%s").len(), before + 1);
}

#[test]
fn git_off_or_no_repository_works_without_commits() {
    let env = TestEnv::with_git();
    env.set_rules(&env.rules().replace("git: true", "git: false"));
    env.git(&["commit", "-qam", "git off"]);
    let id = env.capture_standard();
    assert!(env.lead_path(&id).exists());
    assert_eq!(log(&env, "%s").len(), 2);
}

#[test]
fn a_git_failure_never_loses_the_write() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let lock = env.root().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let out = env.run("ana", &["note", &id, "while git is locked"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("git could not record it"), "{}", stderr(&out));
    assert!(env.lead_text(&id).contains("while git is locked"));
    std::fs::remove_file(&lock).unwrap();
    env.ok("ana", &["note", &id, "after"]);
    let committed = env.git(&["show", &format!("HEAD:{}", crate::lead_rel(&id))]);
    assert!(committed.contains("while git is locked") && committed.contains("after"));
}

#[test]
fn log_joins_history_with_commits() {
    let env = TestEnv::with_git();
    let id = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    env.ok("dev", &["accept", &id, "--yes"]);
    let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["log", &id, "--json"])).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["event"], "captured");
    assert_eq!(entries[0]["commit"]["author"], "Ana Intake");
    assert_eq!(entries[1]["commit"]["hash"], entries[0]["commit"]["hash"]);
    assert_eq!(entries[2]["event"], "accepted");
    assert_eq!(entries[2]["commit"]["author"], "Dev Dispatch");
    assert_ne!(entries[2]["commit"]["hash"], entries[0]["commit"]["hash"]);
    let table = env.ok("ana", &["log", &id]);
    assert!(table.contains("Dev Dispatch"), "{table}");
}

/// `handoff` in a clone at `dir`, as `who`, at `hm` on the test day.
fn in_clone(dir: &std::path::Path, who: &str, hm: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("handoff").unwrap();
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", crate::path_with_handoff())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HANDOFF_USER", who)
        .env("HANDOFF_NOW", format!("2026-11-24T{hm}:00-06:00"))
        .args(args);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

#[test]
fn two_clones_diverge_four_ways_and_merge_without_markers_or_lost_events() {
    let office = TestEnv::with_git();
    let lead = office.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let other = office.capture(&["--name", "Pat Doe", "--phone", "3125550199"]);
    let bare = tempfile::tempdir().unwrap();
    git_in(bare.path(), &["init", "--quiet", "--bare", "-b", "main"]);
    office.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
    office.git(&["push", "--quiet", "origin", "main"]);
    let laptop_dir = tempfile::tempdir().unwrap();
    git_in(laptop_dir.path(), &["clone", "--quiet", bare.path().to_str().unwrap(), "ws"]);
    let laptop = laptop_dir.path().join("ws");
    git_in(&laptop, &["config", "user.name", "Laptop"]);
    git_in(&laptop, &["config", "user.email", "laptop@example.com"]);
    // A fresh clone has no driver config until its first handoff command.
    assert!(git_cmd(&laptop, &["config", "merge.handoff.driver"]).output().unwrap().stdout.is_empty());
    in_clone(&laptop, "ana", "07:05", &["show", &lead]);
    assert!(git_in(&laptop, &["config", "merge.handoff.driver"]).starts_with("handoff merge-driver"));

    // Office: a note, dev accepts, an address fix, escalate-check.
    let o = office.root();
    in_clone(o, "olive", "07:06", &["note", &lead, "office note"]);
    in_clone(o, "dev", "07:08", &["accept", &lead, "--yes"]);
    in_clone(o, "ana", "07:09", &["update", &lead, "--address", "14 Elm St"]);
    in_clone(o, "system", "07:20", &["escalate-check"]);
    // Laptop: a note, ana reassigns to sam, an urgency change, escalate-check.
    in_clone(&laptop, "ana", "07:07", &["note", &lead, "laptop note"]);
    in_clone(&laptop, "ana", "07:10", &["assign", &lead, "--to", "sam"]);
    in_clone(&laptop, "ana", "07:11", &["update", &lead, "--urgency", "urgent"]);
    in_clone(&laptop, "system", "07:20", &["escalate-check"]);
    // Every event of both clones, to find in the merge.
    let all_events = |dir: &std::path::Path| -> Vec<serde_json::Value> {
        [&lead, &other]
            .iter()
            .flat_map(|id| {
                let v: serde_json::Value =
                    serde_json::from_slice(&in_clone(dir, "ana", "07:30", &["show", id, "--json"]).stdout).unwrap();
                v["history"].as_array().unwrap().clone()
            })
            .collect()
    };
    let mut before = all_events(o);
    before.extend(all_events(&laptop));

    office.git(&["push", "--quiet", "origin", "main"]);
    let pull = git_cmd(&laptop, &["pull", "--no-rebase", "--no-edit", "origin", "main"]).output().unwrap();
    assert!(pull.status.success(), "pull: {}{}", String::from_utf8_lossy(&pull.stdout), stderr(&pull));

    for id in [&lead, &other] {
        let text = std::fs::read_to_string(laptop.join(crate::lead_rel(id))).unwrap();
        assert!(!text.contains("<<<<<<<") && !text.contains(">>>>>>>"), "{text}");
    }
    let show = |id: &str| -> serde_json::Value {
        serde_json::from_slice(&in_clone(&laptop, "ana", "07:30", &["show", id, "--json"]).stdout).unwrap()
    };
    let merged = show(&lead);
    let texts: Vec<&str> = merged["history"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["office note", "laptop note"]);
    let kinds = events(&merged);
    assert!(
        kinds.contains(&"accepted".to_owned()) && kinds.iter().filter(|k| *k == "assigned").count() == 2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"conflict".to_owned()), "{kinds:?}");
    assert_eq!(merged["service_address"], "14 Elm St");
    assert_eq!(merged["urgency"], "urgent");
    assert_eq!(merged["owner"], "sam");
    // Nothing lost: every event of both clones is in the merge (identical ones once).
    let after = all_events(&laptop);
    for e in &before {
        assert!(after.contains(e), "lost in the merge: {e}");
    }
    assert!(after.len() < before.len(), "shared events appear once");
    let validate = assert_cmd::Command::cargo_bin("handoff")
        .unwrap()
        .current_dir(&laptop)
        .env("PATH", crate::path_with_handoff())
        .arg("validate")
        .output()
        .unwrap();
    assert!(validate.status.success(), "{}", String::from_utf8_lossy(&validate.stdout));
}
