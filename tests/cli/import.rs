//! `handoff import` at size (issue 19): one commit whatever the row count, the same-phone
//! notes and routing counts kept across rows, and a killed import that loses nothing.

use crate::{TestEnv, lead_rel, stderr};

const HEADER: &str = "full_name,primary_phone,market,service_type,urgency,source,notes\n";

/// `n` good rows, each with its own phone number unless `phone` names one for a row
/// (1-based, as in the file after the header).
fn rows(n: usize, phone: impl Fn(usize) -> Option<&'static str>) -> String {
    let mut csv = HEADER.to_owned();
    for i in 1..=n {
        let number = phone(i).map_or_else(|| format!("+1312{:07}", 2_000_000 + i), str::to_owned);
        csv.push_str(&format!("Customer {i},{number},North,repair,standard,phone,Imported lead {i}\n"));
    }
    csv
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("json")
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["imported"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_big_import_is_one_commit_in_one_pack_and_leaves_git_clean() {
    let env = TestEnv::with_git();
    let open = env.capture_standard(); // (312) 555-0142
    // The user's own staged work stays staged, uncommitted.
    std::fs::write(env.root().join("notes.txt"), "mine\n").unwrap();
    env.git(&["add", "notes.txt"]);
    let loose_before = loose_objects(&env);
    let n = 1200;
    std::fs::write(env.root().join("in.csv"), rows(n, |i| (i <= 2).then_some("312-555-0142"))).unwrap();
    let commits = env.git(&["rev-list", "--count", "HEAD"]);

    let out = env.run("ana", &["import", "in.csv", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let ids = ids(&v);
    assert_eq!(ids.len(), n);
    // Same phone: the open lead for the first row, the open lead and the first row for the second.
    assert_eq!(v["imported"][0]["same_phone"], serde_json::json!([open]));
    assert_eq!(v["imported"][1]["same_phone"], serde_json::json!([open, ids[0]]));
    assert!(v["imported"][2].get("same_phone").is_none(), "{}", v["imported"][2]);

    // One commit, by the importer, of exactly the new files.
    let count = |s: &str| s.trim().parse::<usize>().unwrap();
    assert_eq!(count(&env.git(&["rev-list", "--count", "HEAD"])), count(&commits) + 1);
    let head = env.git(&["log", "-1", "--format=%an|%s"]);
    assert_eq!(head.trim(), format!("Ana Intake|import {}: {n} leads from CSV", ids[0]));
    assert_eq!(
        env.git(&["reflog", "-1", "--format=%gs"]).trim(),
        format!("commit: import {}: {n} leads from CSV", ids[0])
    );
    let mut committed: Vec<String> =
        env.git(&["show", "--name-only", "--format=", "HEAD"]).lines().map(str::to_owned).collect();
    let mut expected: Vec<String> = ids.iter().map(|id| lead_rel(id)).collect();
    committed.sort();
    expected.sort();
    assert_eq!(committed, expected);
    // The committed blobs are the files on disk; the index knows them (status is clean).
    for id in [&ids[0], &ids[n / 2], &ids[n - 1]] {
        assert_eq!(env.git(&["show", &format!("HEAD:{}", lead_rel(id))]), env.lead_text(id));
    }
    assert_eq!(env.git(&["status", "--porcelain"]), "A  notes.txt\n?? in.csv\n");
    assert_eq!(env.git(&["diff", "--cached", "--name-only"]).trim(), "notes.txt");
    // The blobs went into a pack, not one loose object each.
    assert!(loose_objects(&env) < loose_before + 50, "{} loose objects", loose_objects(&env));
    env.git(&["fsck", "--strict", "--no-progress"]);
    let valid = env.run("ana", &["validate"]);
    assert!(valid.status.success(), "{}", stderr(&valid));
    assert!(stderr(&valid).contains(&format!("and {} lead files", n + 1)), "{}", stderr(&valid));

    // Commands after it commit as before, and the imported leads are found by phone.
    let out = env.capture_output(&["--phone", &format!("+1312{:07}", 2_000_000 + 7)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("open lead {}", ids[6])), "{}", stderr(&out));
    assert_eq!(env.git(&["status", "--porcelain"]), "A  notes.txt\n?? in.csv\n");
    env.git(&["fsck", "--strict", "--no-progress"]);
}

/// How many loose objects the repository holds.
fn loose_objects(env: &TestEnv) -> usize {
    let v = env.git(&["count-objects", "-v"]);
    v.lines().find_map(|l| l.strip_prefix("count: ")).unwrap().trim().parse().unwrap()
}

#[test]
fn a_refused_row_still_refuses_a_big_file_whole() {
    let env = TestEnv::with_git();
    let mut csv = rows(1100, |_| None);
    csv.push_str("Bad Row,+13125550000,North,repair,urgency?,phone,x\n");
    std::fs::write(env.root().join("in.csv"), csv).unwrap();
    let out = env.run("ana", &["import", "in.csv"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("row 1102"), "{}", stderr(&out));
    assert!(env.lead_files().is_empty());
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(env.git(&["status", "--porcelain"]), "?? in.csv\n");
}

#[test]
fn an_import_routes_each_row_counting_the_rows_before_it() {
    let env = TestEnv::new();
    // Emergencies are routed at capture, here to the least loaded of a pool.
    let rules = env.rules();
    let pooled = rules.replacen(
        "    to: dev\n    next_action: Call the customer back and dispatch a crew",
        "    pool: [dev, olive]\n    strategy: least-open\n    next_action: Call the customer back and dispatch a crew",
        1,
    );
    assert_ne!(pooled, rules);
    env.set_rules(&pooled);
    env.capture(&["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    let csv = rows(5, |_| None).replace("standard", "emergency");
    std::fs::write(env.root().join("in.csv"), csv).unwrap();
    let owners = |v: &serde_json::Value| -> Vec<String> {
        ids(v).iter().map(|id| env.lead_json(id)["owner"].as_str().unwrap_or_default().to_owned()).collect()
    };
    let out = env.run("ana", &["import", "in.csv", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // dev holds one already: olive, then the tie goes to the first in the pool.
    assert_eq!(owners(&json(&out)), ["olive", "dev", "olive", "dev", "olive"]);
}

#[test]
fn a_killed_import_leaves_every_lead_whole_and_git_consistent() {
    let env = TestEnv::with_git();
    let open = env.capture_standard();
    let open_text = env.lead_text(&open);
    let n = 4000;
    std::fs::write(env.root().join("in.csv"), rows(n, |_| None)).unwrap();
    let head = env.git(&["rev-parse", "HEAD"]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"))
        .args(["import", "in.csv"])
        .current_dir(env.root())
        .env_clear()
        .env("PATH", crate::path_with_handoff())
        .env("HOME", env.root())
        .env("HANDOFF_NOW", &env.now)
        .env("HANDOFF_USER", "ana")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while it writes (or, on a fast machine, whenever it is done).
    let start = std::time::Instant::now();
    while env.lead_files().len() < 200 && start.elapsed() < std::time::Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();

    // The lead that was there is untouched and committed; every file is a whole lead.
    assert_eq!(env.lead_text(&open), open_text);
    env.git(&["diff", "--quiet", "HEAD", "--", &lead_rel(&open)]);
    env.cmd(&["validate"]).assert().success();
    env.git(&["fsck", "--strict", "--no-progress"]);
    let files = env.lead_files();
    if env.git(&["rev-parse", "HEAD"]) == head {
        // Not committed: the new files are left as they are, untracked, and git's index
        // holds nothing half done.
        let status = env.git(&["status", "--porcelain", "--untracked-files=all"]);
        assert!(status.lines().all(|l| l.starts_with("?? ")), "{status}");
    } else {
        assert_eq!(files.len(), n + 1);
        assert_eq!(env.git(&["status", "--porcelain"]), "?? in.csv\n");
    }
    // The next command works, and the same-phone check sees the leads the import wrote.
    let written = files.iter().find(|f| !f.ends_with(format!("{open}.yaml"))).expect("a lead was written");
    let text = std::fs::read_to_string(written).unwrap();
    let phone = text.lines().find_map(|l| l.strip_prefix("primary_phone: ")).unwrap().trim_matches('\'');
    let id = written.file_stem().unwrap().to_str().unwrap();
    let out = env.capture_output(&["--phone", phone]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("open lead {id}")), "{}", stderr(&out));
    env.git(&["fsck", "--strict", "--no-progress"]);
}

#[test]
fn a_lead_file_failing_to_write_imports_nothing_and_the_file_can_go_again() {
    let env = TestEnv::with_git();
    let open = env.capture_standard();
    let head = env.git(&["rev-parse", "HEAD"]);
    let n = 30;
    let csv = rows(n, |_| None);
    std::fs::write(env.root().join("in.csv"), &csv).unwrap();
    // With a seed the ids are known: the check pass takes the first n, the writing pass
    // the next n, as a dry run of the rows twice over shows.
    let twice = format!("{csv}{}", csv.strip_prefix(HEADER).unwrap());
    std::fs::write(env.root().join("twice.csv"), twice).unwrap();
    let seeded = |args: &[&str]| env.as_("ana", args).env("HANDOFF_SEED", "7").output().unwrap();
    let dry = seeded(&["import", "twice.csv", "--dry-run", "--json"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let target = ids(&json(&dry))[n + n / 2].clone();
    // A directory where that lead's temp file goes: its write fails, late in the file.
    let lead = env.root().join(lead_rel(&target));
    let blocker = lead.with_file_name(format!(".{target}.yaml.tmp"));
    std::fs::create_dir_all(&blocker).unwrap();

    let out = seeded(&["import", "in.csv"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("import failed while writing, nothing was imported"), "{}", stderr(&out));
    assert!(stderr(&out).contains(&target), "{}", stderr(&out));
    // The rows written before and after it are gone again; nothing was committed.
    assert_eq!(env.lead_files(), vec![env.lead_path(&open)]);
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(env.git(&["status", "--porcelain"]), "?? in.csv\n?? twice.csv\n");
    env.cmd(&["validate"]).assert().success();

    // Fixed, the same file imports whole.
    std::fs::remove_dir(&blocker).unwrap();
    let out = env.run("ana", &["import", "in.csv", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(ids(&json(&out)).len(), n);
    assert_eq!(env.lead_files().len(), n + 1);
    assert_eq!(env.git(&["status", "--porcelain"]), "?? in.csv\n?? twice.csv\n");
    let committed = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(committed.lines().count(), n);
    env.cmd(&["validate"]).assert().success();
}

#[test]
fn migrate_moves_a_big_flat_workspace_in_one_commit() {
    let env = TestEnv::with_git();
    let first = env.capture_standard();
    let text = env.lead_text(&first);
    std::fs::remove_file(env.lead_path(&first)).unwrap();
    // 1100 leads in the flat layout of earlier versions, committed.
    let mut ids = Vec::new();
    for i in 0..1100 {
        let id = format!("20261124-flat{i:05}");
        std::fs::write(env.root().join("leads").join(format!("{id}.yaml")), text.replace(&first, &id)).unwrap();
        ids.push(id);
    }
    std::fs::write(env.root().join(".gitattributes"), "leads/*.yaml merge=handoff\n").unwrap();
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "the flat layout of earlier versions"]);

    let out = env.ok("ana", &["migrate"]);
    assert!(out.contains("moved 1100 lead files"), "{out}");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    let renames = env.git(&["show", "-M", "--name-status", "--format=", "HEAD"]);
    assert_eq!(renames.lines().filter(|l| l.starts_with('R')).count(), 1100);
    let tree = env.git(&["ls-tree", "-r", "--name-only", "HEAD", "leads"]);
    let leads: Vec<&str> = tree.lines().filter(|p| p.ends_with(".yaml")).collect();
    assert_eq!(leads.len(), 1100);
    assert!(leads.iter().all(|p| p.starts_with("leads/2026/11/")), "{tree}");
    let log = env.git(&["log", "--follow", "--format=%s", "--", &lead_rel(&ids[7])]);
    assert!(log.lines().any(|l| l.starts_with("migrate: 1100 lead files")), "{log}");
    assert!(log.lines().any(|l| l == "the flat layout of earlier versions"), "{log}");
    env.git(&["fsck", "--strict", "--no-progress"]);
    env.ok("ana", &["note", &ids[7], "after the move"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}
