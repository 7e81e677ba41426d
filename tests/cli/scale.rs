//! Issue 19: leads sharded by capture month, `migrate`, the scan index, cheap commits.

use crate::{TestEnv, lead_rel, stderr};

/// Move every lead file of `env` to the flat layout by hand, as an older handoff left it,
/// and commit that (with git on).
fn flatten(env: &TestEnv, git: bool) -> Vec<String> {
    let mut ids = Vec::new();
    for path in env.lead_files() {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let flat = env.root().join("leads").join(&name);
        if path != flat {
            if git {
                let rel = path.strip_prefix(env.root()).unwrap().to_str().unwrap().to_owned();
                env.git(&["mv", &rel, &format!("leads/{name}")]);
            } else {
                std::fs::rename(&path, &flat).unwrap();
            }
        }
        ids.push(name.trim_end_matches(".yaml").to_owned());
    }
    if git {
        std::fs::write(env.root().join(".gitattributes"), "leads/*.yaml merge=handoff\n").unwrap();
        env.git(&["add", ".gitattributes"]);
        env.git(&["commit", "-q", "-m", "the flat layout of earlier versions"]);
    }
    ids
}

#[test]
fn new_leads_are_written_under_their_capture_month() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    assert!(id.starts_with("20261124-"), "{id}");
    assert!(env.root().join("leads/2026/11").join(format!("{id}.yaml")).is_file());
    assert!(!env.root().join("leads").join(format!("{id}.yaml")).exists());
    // Found by full id and by prefix.
    let prefix = &id[9..13];
    assert!(env.ok("ana", &["show", prefix]).contains(&id));
    env.ok("ana", &["note", &id, "called back"]);
    assert!(env.lead_text(&id).contains("called back"));
}

#[test]
fn a_flat_workspace_works_until_migrate_moves_it_in_one_commit_that_keeps_history() {
    let env = TestEnv::with_git();
    let a = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let b = env.capture(&["--name", "Tom Becker", "--phone", "312-555-0199", "--notes", "Furnace bangs at start-up"]);
    let ids = flatten(&env, true);
    assert_eq!(ids.len(), 2);
    // Every command still finds the flat files, and rewrites them where they are.
    env.ok("dev", &["accept", &a, "--yes"]);
    env.ok("ana", &["note", &b[9..14], "still flat"]);
    assert!(env.root().join("leads").join(format!("{b}.yaml")).is_file());
    assert!(env.ok("ana", &["list", "--json"]).contains(&a));
    let commits_before: usize = env.git(&["rev-list", "--count", "HEAD"]).trim().parse().unwrap();

    let out = env.ok("ana", &["migrate"]);
    assert!(out.contains("moved 2 lead files"), "{out}");
    for id in [&a, &b] {
        assert!(env.root().join(lead_rel(id)).is_file(), "{id} not moved");
        assert!(!env.root().join("leads").join(format!("{id}.yaml")).exists());
    }
    // One commit, of renames, and nothing left over for `git status`.
    let commits_after: usize = env.git(&["rev-list", "--count", "HEAD"]).trim().parse().unwrap();
    assert_eq!(commits_after, commits_before + 1);
    let renames = env.git(&["show", "-M", "--name-status", "--format=", "HEAD"]);
    assert_eq!(renames.lines().filter(|l| l.starts_with('R')).count(), 2, "{renames}");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    // `git log --follow` reaches back past the move, to the capture.
    let log = env.git(&["log", "--follow", "--format=%s", "--", &lead_rel(&b)]);
    assert!(log.lines().any(|l| l.starts_with(&format!("capture {b}"))), "{log}");
    assert!(log.lines().any(|l| l.starts_with(&format!("note {b}"))), "{log}");
    // The merge driver now covers the month directories.
    let attrs = std::fs::read_to_string(env.root().join(".gitattributes")).unwrap();
    assert_eq!(attrs, "leads/**/*.yaml merge=handoff\n");
    assert_eq!(
        env.git(&["check-attr", "merge", "--", &lead_rel(&a)]).trim(),
        format!("{}: merge: handoff", lead_rel(&a))
    );
    // Again: nothing to do, no commit.
    let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["migrate", "--json"])).unwrap();
    assert_eq!(v["moved"], 0);
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim().parse::<usize>().unwrap(), commits_after);
    env.ok("ana", &["note", &a, "after the move"]);
    env.cmd(&["validate"]).assert().success();
    // `handoff log` still joins the events from before the move with their commits.
    let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["log", &b, "--json"])).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries[0]["event"], "captured");
    assert!(entries[0]["commit"]["subject"].as_str().unwrap().starts_with(&format!("capture {b}")), "{v}");
}

#[test]
fn migrate_refuses_a_lead_in_both_layouts_and_moves_nothing() {
    let env = TestEnv::new();
    let a = env.capture_standard();
    let b = env.capture_standard();
    flatten(&env, false);
    // A copy of `a` under its month as well.
    let sharded = env.root().join(lead_rel(&a));
    std::fs::create_dir_all(sharded.parent().unwrap()).unwrap();
    std::fs::copy(env.root().join("leads").join(format!("{a}.yaml")), &sharded).unwrap();
    let out = env.run("ana", &["migrate"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains(&lead_rel(&a)), "{}", stderr(&out));
    assert!(env.root().join("leads").join(format!("{b}.yaml")).is_file(), "b was moved");
}

#[test]
fn a_file_in_the_wrong_month_is_named_by_validate() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let wrong = env.root().join("leads/2026/10");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::rename(env.lead_path(&id), wrong.join(format!("{id}.yaml"))).unwrap();
    let out = env.cmd(&["validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leads/2026/11/"), "{text}");
}

/// A lead file outside the layout (a year directory, a month spelled `1`, a folder inside
/// a month) and a link where a month should be are never passed over silently: every scan
/// and `validate` name each of them, and nothing is read through the link.
#[test]
fn lead_files_outside_the_layout_are_named_by_every_scan_never_skipped() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..4).map(|i| env.capture(&["--phone", &format!("31255501{i:02}")])).collect();
    let leads = env.root().join("leads");
    let places = ["2026/bad-month", "2026", "2026/11/old", "2026/1"];
    for (id, place) in ids.iter().zip(places) {
        std::fs::create_dir_all(leads.join(place)).unwrap();
        std::fs::rename(env.lead_path(id), leads.join(place).join(format!("{id}.yaml"))).unwrap();
    }
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), leads.join("2026/12")).unwrap();
    let named = |out: &std::process::Output, text: &str| {
        for (id, place) in ids.iter().zip(places) {
            let rel = format!("leads/{place}/{id}.yaml");
            assert!(text.contains(&rel), "{rel} not named: {text}");
        }
        assert!(text.contains("leads/2026/12"), "the link not named: {text}");
        assert_eq!(out.status.code(), Some(3), "{text}");
    };
    for args in [&["list", "--all"][..], &["escalate-check", "--dry-run"], &["report"]] {
        let out = env.cmd(args).output().unwrap();
        named(&out, &crate::stderr(&out));
    }
    let out = env.cmd(&["validate"]).output().unwrap();
    named(&out, &format!("{}{}", String::from_utf8_lossy(&out.stdout), crate::stderr(&out)));
}

#[test]
fn the_scan_index_sees_hand_edits_deletions_and_survives_damage() {
    let env = TestEnv::new();
    let a = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let b = env.capture(&["--to", "sam", "--next-action", "Call", "--due", "+1h"]);
    let listed = |env: &TestEnv| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["list", "--json"])).unwrap();
        let mut ids: Vec<String> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(listed(&env), both);
    let index = env.root().join(".handoff/index");
    assert!(index.is_file(), "a scan leaves the index");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&index).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the index holds phone numbers: owner-only, not {mode:o}");
    // A hand edit that keeps the size: only the stat's times tell.
    let text = env.lead_text(&a);
    std::fs::write(env.lead_path(&a), text.replace("owner: dev", "owner: sam")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["list", "--owner", "sam", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    // Closing a lead by hand takes it off the open list; deleting a file drops it.
    std::fs::write(env.lead_path(&a), env.lead_text(&a).replace("status: assigned", "status: closed")).unwrap();
    assert_eq!(listed(&env), vec![b.clone()]);
    std::fs::remove_file(env.lead_path(&b)).unwrap();
    assert!(listed(&env).is_empty());
    // A damaged or foreign index is rebuilt from the files.
    let c = env.capture(&["--to", "olive", "--next-action", "Call", "--due", "+1h"]);
    std::fs::write(&index, b"HOIDX01\nnot an index at all").unwrap();
    assert_eq!(listed(&env), vec![c.clone()]);
    std::fs::remove_file(&index).unwrap();
    assert_eq!(listed(&env), vec![c.clone()]);
    // A corrupt lead is reported by every scan until it is fixed.
    let good = env.lead_text(&c);
    std::fs::write(env.lead_path(&c), "id: [unclosed\n").unwrap();
    for _ in 0..2 {
        let out = env.cmd(&["list", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert!(stderr(&out).contains(&lead_rel(&c)), "{}", stderr(&out));
    }
    std::fs::write(env.lead_path(&c), good).unwrap();
    assert_eq!(listed(&env), vec![c]);
}

#[test]
fn escalations_are_found_through_the_index_as_the_clock_runs() {
    let env = TestEnv::new();
    let id = env.capture(&["--urgency", "emergency", "--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let check = |at: &str| -> serde_json::Value {
        let out = env.cmd(&["escalate-check", "--dry-run", "--json"]).env("HANDOFF_NOW", at).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["id"] == id.as_str())
            .map(|e| e["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    // Indexed right after capture: not due yet; minutes later the same unchanged file is.
    let now = check(&env.now);
    assert!(!names(&now).contains(&"hot-unaccepted".to_owned()), "{now}");
    let later = check("2026-11-24T11:00:00-06:00");
    assert!(names(&later).contains(&"hot-unaccepted".to_owned()), "{later}");
}

#[test]
fn commits_touch_only_the_changed_paths_and_leave_git_status_clean() {
    let env = TestEnv::with_git();
    let a = env.capture_standard();
    let b = env.capture_standard();
    // The user's own staged work on another file stays staged, uncommitted.
    std::fs::write(env.root().join("notes.txt"), "mine\n").unwrap();
    env.git(&["add", "notes.txt"]);
    env.ok("ana", &["note", &a, "one"]);
    env.ok("ana", &["update", &b, "--notes", "Gas smell near the meter"]);
    let stat = env.git(&["show", "--name-only", "--format=%an|%s", "HEAD"]);
    let lines: Vec<&str> = stat.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with(&format!("Ana Intake|update {b}")), "{stat}");
    assert_eq!(lines[1..], [lead_rel(&b).as_str()], "{stat}");
    assert_eq!(env.git(&["status", "--porcelain"]), "A  notes.txt\n");
    assert_eq!(env.git(&["diff", "--cached", "--name-only"]).trim(), "notes.txt");
    // The committed blobs are the files on disk, and the repository is sound.
    for id in [&a, &b] {
        assert_eq!(env.git(&["show", &format!("HEAD:{}", lead_rel(id))]), env.lead_text(id));
    }
    env.git(&["fsck", "--strict", "--no-progress"]);
}

#[test]
fn escalate_check_and_list_read_unchanged_leads_from_the_index_exactly_as_from_the_files() {
    let env = TestEnv::new();
    let at = |hm: &str| format!("2026-11-24T{hm}:00-06:00");
    let run = |who: &str, when: &str, args: &[&str]| {
        env.as_(who, args).env("HANDOFF_NOW", when).assert().success();
    };
    let routed = ["--next-action", "Call", "--due", "+1h"];
    let with = |extra: &[&'static str]| [extra, &routed[..]].concat();
    let hot = env.capture(&with(&["--urgency", "emergency", "--to", "dev", "--phone", "(312) 555-0101"]));
    let accepted = env.capture(&with(&["--to", "sam", "--phone", "(312) 555-0102", "--name", "Ann Plain"]));
    run("sam", &at("07:10"), &["accept", &accepted, "--yes"]);
    run("sam", &at("07:20"), &["note", &accepted, "left a voicemail"]);
    let rejected = env.capture(&with(&["--to", "dev", "--phone", "(312) 555-0103"]));
    run("dev", &at("07:05"), &["reject", &rejected, "--reason", "Wrong area"]);
    run("ana", &at("07:30"), &["assign", &rejected, "--to", "sam", "--next-action", "Call", "--due", "+1h"]);
    let moved = env.capture(&with(&["--to", "dev", "--phone", "(312) 555-0104", "--urgency", "low"]));
    run("dev", &at("07:06"), &["accept", &moved, "--yes"]);
    run("dev", &at("07:40"), &["transfer", &moved, "--to", "sam", "--reason", "Needs a quote first"]);
    let _unowned = env.capture(&["--phone", "(312) 555-0105", "--notes", "long notes\nover two lines"]);
    let closed = env.capture(&with(&["--to", "dev", "--phone", "(312) 555-0106"]));
    run("dev", &at("07:08"), &["accept", &closed, "--yes"]);
    run("dev", &at("07:50"), &["close", &closed, "--outcome", "booked"]);
    // Escalations recorded by cron on the way, so some are fired and some new.
    for when in [at("08:00"), at("11:00")] {
        env.cmd(&["escalate-check"]).env("HANDOFF_NOW", &when).assert().code(predicates::ord::lt(4));
    }
    // Files last changed an hour before any scan: the index trusts them (no racy re-read).
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for path in env.lead_files() {
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(hour_ago).unwrap();
    }
    let index = env.root().join(".handoff/index");
    let commands: [&[&str]; 6] = [
        &["escalate-check", "--dry-run", "--json"],
        &["list", "--json"],
        &["list", "--overdue", "--json"],
        &["list", "--all", "--json"],
        // A lead quiet since before the day reviewed is reported from its index brief.
        &["report", "--json"],
        &["report", "--date", "2026-11-24", "--json"],
    ];
    for when in
        [at("12:00"), at("18:30"), "2026-11-25T09:00:00-06:00".to_owned(), "2026-12-02T09:00:00-06:00".to_owned()]
    {
        for args in commands {
            let out = |env: &TestEnv| {
                let o = env.as_("olive", args).env("HANDOFF_NOW", &when).output().unwrap();
                assert!(o.status.code().is_some_and(|c| c < 4), "{args:?}: {}", stderr(&o));
                String::from_utf8(o.stdout).unwrap()
            };
            let _ = std::fs::remove_file(&index);
            let cold = out(&env); // every lead read from its file
            let warm = out(&env); // unchanged open leads read from the index
            let again = out(&env);
            assert_eq!(warm, cold, "{args:?} at {when}");
            assert_eq!(again, cold, "{args:?} at {when}");
        }
    }
    assert!(std::fs::read_to_string(env.lead_path(&hot)).unwrap().contains("escalated"));
}

/// A file changed within 2 s of the index's write is racily clean: the next scan reads it
/// again. Once that read finds it unchanged and the 2 s are past, the index is written
/// again, so later scans trust the entry (as `git status` does); else the file was read
/// by every scan until some other lead changed.
#[test]
fn a_racily_clean_entry_is_settled_by_rewriting_the_index() {
    let env = TestEnv::new();
    let id = env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(env.lead_path(&id)).unwrap().set_modified(hour_ago).unwrap();
    let list = || {
        let v: serde_json::Value = serde_json::from_str(&env.ok("ana", &["list", "--json"])).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    };
    list();
    // The index as if written one second after the file's last change: racy.
    let index = env.root().join(".handoff/index");
    let written = hour_ago + std::time::Duration::from_secs(1);
    std::fs::File::options().write(true).open(&index).unwrap().set_modified(written).unwrap();
    list();
    let now = std::fs::metadata(&index).unwrap().modified().unwrap();
    assert!(
        now > written + std::time::Duration::from_secs(60),
        "the racy entry was checked but the index not rewritten"
    );
}
