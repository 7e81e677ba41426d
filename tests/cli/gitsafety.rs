//! Git safety (issue 15): the merge driver found without PATH, no command on an unmerged
//! lead, stale locks, hand edits committed on their own, and a history that keeps every
//! value (old and new values, contradictory edits flagged, one replay for every view).

use serde_json::Value;

use crate::sync::{PLAIN_PATH, Team};
use crate::{TestEnv, lead_rel, stderr};

fn subjects(env: &TestEnv) -> Vec<String> {
    env.git(&["log", "--reverse", "--format=%s"]).lines().map(str::to_owned).collect()
}

/// `git` in `dir` with handoff off PATH (cron's environment) and its own HOME.
fn plain_git(dir: &std::path::Path, home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .env_clear()
        .env("PATH", PLAIN_PATH)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_merge_driver_is_registered_by_absolute_path_with_path_as_fallback() {
    let env = TestEnv::with_git();
    let driver = env.git(&["config", "merge.handoff.driver"]);
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    assert!(driver.contains(bin.to_str().unwrap()), "{driver}");
    assert!(driver.contains("handoff merge-driver %O %A %B %P"), "PATH fallback missing: {driver}");
    // An old PATH-only registration is upgraded by the next command.
    env.git(&["config", "merge.handoff.driver", "handoff merge-driver %O %A %B %P"]);
    env.ok("ana", &["list"]);
    assert!(env.git(&["config", "merge.handoff.driver"]).contains(bin.to_str().unwrap()));
}

#[test]
fn a_plain_git_pull_without_handoff_on_path_merges_through_the_absolute_driver() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    office.ok("olive", "07:01", &["note", &id, "office note"]);
    laptop.ok("dev", "07:02", &["note", &id, "laptop note"]);
    office.git(&["push", "-q", "origin", "main"]);
    // cron's PATH: no handoff. The driver is still found.
    let home = laptop.dir.parent().unwrap().join("home-laptop");
    let pull = plain_git(&laptop.dir, &home, &["pull", "--no-rebase", "--no-edit", "-q", "origin", "main"]);
    assert!(pull.status.success(), "{}", stderr(&pull));
    let lead = laptop.lead(&id);
    let texts: Vec<&str> = lead["history"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["office note", "laptop note"]);
}

/// Two clones with concurrent notes on one lead, and a pull whose merge driver is not
/// found (the old PATH-only registration, run by cron): git leaves the lead unmerged.
fn unmerged_pull() -> (Team, crate::sync::Machine, String) {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    office.ok("olive", "07:01", &["note", &id, "office note"]);
    office.ok("olive", "07:01", &["sync"]);
    laptop.ok("dev", "07:02", &["note", &id, "laptop note"]);
    laptop.git(&["config", "merge.handoff.driver", "handoff merge-driver %O %A %B %P"]);
    let home = laptop.dir.parent().unwrap().join("home-laptop");
    let pull = plain_git(&laptop.dir, &home, &["pull", "--no-rebase", "--no-edit", "origin", "main"]);
    assert!(!pull.status.success(), "the pull was expected to stop on the lead");
    assert!(!laptop.git(&["ls-files", "-u"]).is_empty());
    (team, laptop, id)
}

#[test]
fn every_command_refuses_while_a_lead_is_unmerged_and_never_stages_it() {
    let (_team, laptop, id) = unmerged_pull();
    let unmerged = laptop.git(&["ls-files", "-u"]);
    for (who, args) in [
        ("dev", vec!["note", id.as_str(), "more"]),
        ("ana", vec!["list"]),
        ("ana", vec!["show", id.as_str()]),
        ("system", vec!["escalate-check"]),
        ("ana", vec!["report"]),
    ] {
        let out = laptop.run(who, "07:03", &args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("{id}.yaml")) && err.contains("handoff sync"), "{args:?}: {err}");
    }
    assert_eq!(laptop.git(&["ls-files", "-u"]), unmerged, "a command staged the unmerged lead");
    // `handoff sync` merges the lead itself and finishes the merge: both notes kept.
    let report = laptop.json("dev", "07:04", &["sync"]);
    assert_eq!(report["resolved"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(laptop.git(&["ls-files", "-u"]), "");
    assert_eq!(laptop.git(&["status", "--porcelain"]), "");
    let lead = laptop.lead(&id);
    let texts: Vec<&str> = lead["history"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["office note", "laptop note"]);
}

#[test]
fn a_stale_index_lock_is_recovered_and_the_change_committed() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    // What kill -9 during `git commit` leaves: the lock, and no git process.
    std::fs::write(env.root().join(".git/index.lock"), "").unwrap();
    let out = env.run("ana", &["note", &id, "after the crash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("stale"), "{}", stderr(&out));
    assert!(!env.root().join(".git/index.lock").exists());
    let committed = env.git(&["show", &format!("HEAD:{}", rel(&env, &id))]);
    assert!(committed.contains("after the crash"), "the note was not committed");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_lock_held_by_a_live_process_refuses_with_exit_3_and_writes_nothing() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let lock = env.root().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    // A process that has the lock open, as a running git commit does.
    let mut holder =
        std::process::Command::new("sleep").arg("30").stdin(std::fs::File::open(&lock).unwrap()).spawn().unwrap();
    let before = env.lead_text(&id);
    let out = env.run("ana", &["note", &id, "while git works"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("index.lock"), "{}", stderr(&out));
    assert_eq!(env.lead_text(&id), before, "a refused command wrote the lead");
    assert!(lock.exists(), "a live lock was removed");
}

fn rel(env: &TestEnv, id: &str) -> String {
    env.lead_path(id).strip_prefix(env.root()).unwrap().display().to_string()
}

#[test]
fn a_hand_edit_is_committed_on_its_own_before_the_next_command() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let text = env.lead_text(&id).replace("Kitchen sink drains slowly", "Kitchen sink drains slowly, hand fixed");
    std::fs::write(env.lead_path(&id), text).unwrap();
    env.ok("dev", &["note", &id, "dev's note"]);
    let log = subjects(&env);
    let n = log.len();
    assert!(log[n - 2].starts_with(&format!("hand edit {id}")), "{log:?}");
    assert!(log[n - 1].starts_with(&format!("note {id}")), "{log:?}");
    // The hand edit is not in dev's commit, and dev is not its author.
    let dev_diff = env.git(&["show", "--format=%an", "HEAD"]);
    assert!(dev_diff.starts_with("Dev Dispatch"), "{dev_diff}");
    assert!(!dev_diff.contains("hand fixed"), "{dev_diff}");
    let hand = env.git(&["show", "--format=%an <%ae>", "HEAD~1"]);
    assert!(hand.starts_with("Test Machine <machine@example.com>"), "{hand}");
    assert!(hand.contains("hand fixed"), "{hand}");
}

#[test]
fn updated_events_keep_the_old_and_new_value_of_each_field() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    env.ok("ana", &["update", &id, "--address", "14 Oak Ave", "--urgency", "urgent"]);
    let lead = env.lead_json(&id);
    let updated = lead["history"].as_array().unwrap().iter().find(|e| e["event"] == "updated").unwrap().clone();
    assert_eq!(updated["changed"], serde_json::json!(["service_address", "urgency"]));
    assert_eq!(
        updated["changes"],
        serde_json::json!([
            {"field": "service_address", "from": "12 Elm St, Springfield", "to": "14 Oak Ave"},
            {"field": "urgency", "from": "standard", "to": "urgent"}
        ])
    );
}

#[test]
fn contradictory_edits_of_one_field_keep_both_values_and_flag_the_lead() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    office.ok("olive", "07:01", &["update", &id, "--notes", "Gate code 4471; dog in yard"]);
    laptop.ok("ana", "07:02", &["update", &id, "--notes", "Call before 9am"]);
    office.ok("olive", "07:03", &["sync"]);
    let report = laptop.json("ana", "07:04", &["sync"]);
    assert_eq!(report["needs_review"], serde_json::json!([id]), "{report}");
    let lead = laptop.lead(&id);
    assert_eq!(lead["notes"], "Call before 9am", "the later edit stands");
    let conflict = lead["history"].as_array().unwrap().iter().find(|e| e["event"] == "conflict").unwrap().clone();
    let all = lead["history"].to_string();
    assert!(all.contains("Gate code 4471; dog in yard") && all.contains("Call before 9am"), "{all}");
    assert!(conflict["reason"].as_str().unwrap().contains("notes"), "{conflict}");
    assert_eq!(conflict["changes"][0]["field"], "notes", "{conflict}");
}

#[test]
fn report_list_and_show_agree_on_the_owner_after_a_contradictory_merge() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    // Laptop reassigns to sam first; the office's dev accepts a minute later.
    laptop.ok("ana", "07:05", &["assign", &id, "--to", "sam"]);
    office.ok("dev", "07:06", &["accept", &id, "--yes"]);
    laptop.ok("ana", "07:07", &["sync"]);
    office.ok("dev", "07:08", &["sync"]);
    let show = office.lead(&id);
    let list: Value = office.json("olive", "23:59", &["list"]);
    let row = list.as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap().clone();
    let report = office.json("olive", "23:59", &["report"]);
    let owners: Vec<&str> = report["by_owner"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["open"].as_u64() > Some(0))
        .map(|r| r["owner"].as_str().unwrap())
        .collect();
    assert_eq!(show["owner"], row["owner"]);
    assert_eq!(owners, [show["owner"].as_str().unwrap()], "report: {report}");
    assert_eq!(show["status"], row["status"]);
}

/// The lead files HEAD holds for `id`, at any path.
fn committed_paths(env_git: impl Fn(&[&str]) -> String, id: &str) -> Vec<String> {
    env_git(&["ls-tree", "-r", "--name-only", "HEAD", "leads"])
        .lines()
        .filter(|p| p.ends_with(&format!("/{id}.yaml")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_lead_moved_by_hand_is_committed_as_a_move_never_as_a_second_copy() {
    // A lead file moved by hand between the month layout and the flat one (an old copy put
    // back, `handoff validate`'s "move the file there" followed the other way): the next
    // command on it commits the move, so HEAD holds the lead once and a clone can use it.
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let sharded = env.lead_path(&id);
    let flat = env.root().join("leads").join(format!("{id}.yaml"));
    std::fs::rename(&sharded, &flat).unwrap();
    env.ok("dev", &["note", &id, "dev's note"]);
    assert_eq!(committed_paths(|a| env.git(a), &id), vec![format!("leads/{id}.yaml")]);
    assert_eq!(env.git(&["status", "--porcelain"]), "", "the move is committed whole");
    let log = subjects(&env);
    assert!(log[log.len() - 2].starts_with(&format!("hand edit {id}")), "{log:?}");

    // And back again (validate's advice for a file outside its capture month).
    std::fs::rename(&flat, &sharded).unwrap();
    env.ok("dev", &["note", &id, "moved back"]);
    assert_eq!(committed_paths(|a| env.git(a), &id), vec![lead_rel(&id)]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");

    // A clone sees one lead and can act on it.
    let clone = tempfile::tempdir().unwrap();
    crate::git_in(env.root(), &["clone", "-q", ".", clone.path().to_str().unwrap()]);
    let mut list = env.cmd(&["--root", clone.path().to_str().unwrap(), "list", "--json"]);
    let listed: Value = serde_json::from_slice(&list.output().unwrap().stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn sync_commits_a_lead_moved_by_hand_as_a_move() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    std::fs::rename(office.dir.join(lead_rel(&id)), office.dir.join("leads").join(format!("{id}.yaml"))).unwrap();
    office.ok("olive", "07:01", &["sync"]);
    assert_eq!(committed_paths(|a| office.git(a), &id), vec![format!("leads/{id}.yaml")]);
    assert_eq!(office.git(&["status", "--porcelain"]), "");
    let laptop = team.join("laptop", true);
    let listed: Value = laptop.json("ana", "07:02", &["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    laptop.ok("dev", "07:03", &["note", &id, "one lead, one file"]);
}
