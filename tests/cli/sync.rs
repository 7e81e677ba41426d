//! A team on several machines: `handoff clone`, `handoff sync`, `handoff status`, a cron
//! clone, and a simulated day of concurrent work merged through a real bare repository.
//!
//! Every machine here runs with `PATH=/usr/bin:/bin`: handoff is NOT on PATH (as under cron),
//! so merges only work through the merge driver's absolute path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::stderr;

/// The PATH of every simulated machine: git, sh and coreutils, but no handoff.
pub const PLAIN_PATH: &str = "/usr/bin:/bin";

/// A shared bare repository in a temporary directory, and the machines around it.
pub struct Team {
    tmp: tempfile::TempDir,
}

/// One clone of the team's workspace, with its own HOME (its own git identity, or none).
pub struct Machine {
    pub dir: PathBuf,
    home: PathBuf,
}

impl Team {
    pub fn new() -> Team {
        let team = Team { tmp: tempfile::tempdir().expect("temp dir") };
        git_plain(team.tmp.path(), &["init", "--quiet", "--bare", "-b", "main", "remote.git"]);
        team
    }

    pub fn url(&self) -> String {
        self.tmp.path().join("remote.git").display().to_string()
    }

    fn home(&self, name: &str, identity: bool) -> PathBuf {
        let home = self.tmp.path().join(format!("home-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        if identity {
            std::fs::write(
                home.join(".gitconfig"),
                format!("[user]\n\tname = {name} box\n\temail = {name}@machines\n"),
            )
            .unwrap();
        }
        home
    }

    /// The first machine: `handoff init`, add the remote, first `handoff sync`.
    pub fn founder(&self, name: &str) -> Machine {
        let m = Machine { dir: self.tmp.path().join(name), home: self.home(name, true) };
        let out =
            m.cmd(None, "06:55", &["init", m.dir.to_str().unwrap(), "--timezone", "America/Chicago"]).output().unwrap();
        assert!(out.status.success(), "init: {}", stderr(&out));
        m.git(&["remote", "add", "origin", &self.url()]);
        m.ok("ana", "06:56", &["sync"]);
        m
    }

    /// Another machine: `handoff clone URL DIR`.
    pub fn join(&self, name: &str, identity: bool) -> Machine {
        let m = Machine { dir: self.tmp.path().join(name), home: self.home(name, identity) };
        let out = m
            .cmd(None, "06:57", &["clone", &self.url(), m.dir.to_str().unwrap()])
            .current_dir(self.tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "clone: {}", stderr(&out));
        m
    }
}

impl Machine {
    /// `handoff ARGS` on this machine at `hm` on 2026-11-24, acting as `who`.
    pub fn cmd(&self, who: Option<&str>, hm: &str, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("handoff").unwrap();
        let cwd = if self.dir.exists() { self.dir.clone() } else { self.home.clone() };
        cmd.current_dir(cwd)
            .env_clear()
            .env("PATH", PLAIN_PATH)
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HANDOFF_NOW", format!("2026-11-24T{hm}:00-06:00"))
            .args(args);
        if let Some(who) = who {
            cmd.env("HANDOFF_USER", who);
        }
        cmd
    }

    /// The same command as a std process, to run several machines at once.
    pub fn std_cmd(&self, who: &str, hm: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"));
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", PLAIN_PATH)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HANDOFF_NOW", format!("2026-11-24T{hm}:00-06:00"))
            .env("HANDOFF_USER", who)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .args(args);
        cmd
    }

    pub fn run(&self, who: &str, hm: &str, args: &[&str]) -> Output {
        let who = (who != "system").then_some(who);
        self.cmd(who, hm, args).output().unwrap()
    }

    pub fn ok(&self, who: &str, hm: &str, args: &[&str]) -> String {
        let out = self.run(who, hm, args);
        assert!(out.status.success(), "{} {args:?} at {hm}: {}", self.name(), stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, who: &str, hm: &str, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(who, hm, &args)).unwrap()
    }

    pub fn name(&self) -> String {
        self.dir.file_name().unwrap().to_string_lossy().into_owned()
    }

    /// git in this clone, with the machine's environment (no handoff on PATH).
    pub fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", PLAIN_PATH)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?} in {}: {}", self.name(), stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn capture(&self, who: &str, hm: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "capture",
            "--name",
            "Maria Lopez",
            "--phone",
            "(312) 555-0142",
            "--address",
            "12 Elm St",
            "--service",
            "repair",
            "--urgency",
            "standard",
            "--source",
            "phone",
            "--notes",
            "Sink drains slowly",
        ];
        args.extend_from_slice(extra);
        self.ok(who, hm, &args).lines().next().unwrap().to_owned()
    }

    pub fn lead(&self, id: &str) -> Value {
        self.json("olive", "23:59", &["show", id])
    }

    /// Every lead file's bytes, by path under leads/.
    pub fn lead_files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        for entry in walk(&self.dir.join("leads")) {
            if entry.extension().is_some_and(|e| e == "yaml") {
                let rel = entry.strip_prefix(&self.dir).unwrap().display().to_string();
                files.insert(rel, std::fs::read_to_string(&entry).unwrap());
            }
        }
        files
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

fn git_plain(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn history(lead: &Value) -> Vec<Value> {
    lead["history"].as_array().unwrap().clone()
}

fn has_markers(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>") || l == "=======")
}

#[test]
fn init_makes_main_and_clone_configures_the_driver_by_absolute_path() {
    let team = Team::new();
    let office = team.founder("office");
    assert_eq!(office.git(&["branch", "--show-current"]).trim(), "main");
    let laptop = team.join("laptop", false);
    let driver = laptop.git(&["config", "merge.handoff.driver"]);
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    assert!(driver.contains(bin.to_str().unwrap()), "driver not by absolute path: {driver}");
    assert_eq!(laptop.git(&["branch", "--show-current"]).trim(), "main");
    assert!(laptop.dir.join("rules.yaml").is_file());
    // No git identity on the laptop: its commits are made as the acting staff member.
    let id = laptop.capture("ana", "07:00", &[]);
    assert_eq!(
        laptop.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"]).trim(),
        "Ana Intake <ana@example.com>|Ana Intake <ana@example.com>"
    );
    let sync = laptop.json("ana", "07:01", &["sync"]);
    assert_eq!(sync["pushed"], 1, "{sync}");
    assert_eq!(sync["pulled"], 0, "{sync}");
    // The merge commit of a later sync, too, is made as the acting staff member.
    office.capture("olive", "07:02", &[]);
    office.ok("olive", "07:03", &["sync"]);
    laptop.ok("ana", "07:03", &["note", &id, "laptop note"]);
    let sync = laptop.json("ana", "07:04", &["sync"]);
    // The office's capture and its merge of the laptop's first push come in.
    assert_eq!((sync["pulled"].as_u64(), sync["pushed"].as_u64()), (Some(2), Some(2)), "{sync}");
    assert_eq!(laptop.git(&["log", "-1", "--format=%P|%cn"]).split('|').next().unwrap().split(' ').count(), 2);
    assert_eq!(laptop.git(&["log", "-1", "--format=%cn"]).trim(), "Ana Intake");
}

#[test]
fn a_clone_of_a_repository_without_a_workspace_is_refused_with_the_reason() {
    let team = Team::new();
    let m = Machine { dir: team.tmp.path().join("x"), home: team.home("x", true) };
    let out = m.cmd(None, "07:00", &["clone", &team.url(), m.dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("no rules.yaml"), "{}", stderr(&out));
    let out = m
        .cmd(None, "07:00", &["clone", "/nonexistent/repo.git", m.dir.with_extension("y").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn sync_merges_both_sides_reports_changes_and_flags_contradictions_for_review() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &["--to", "dev", "--next-action", "Call", "--due", "+1h"]);
    office.ok("ana", "07:01", &["sync"]);
    let laptop = team.join("laptop", true);
    // Office: dev accepts. Laptop (concurrently): ana reassigns to sam.
    office.ok("dev", "07:05", &["accept", &id, "--yes"]);
    laptop.ok("ana", "07:06", &["assign", &id, "--to", "sam"]);
    office.ok("dev", "07:07", &["sync"]);
    let out = laptop.run("ana", "07:08", &["sync", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["pulled"], 1, "{report}");
    assert_eq!(report["changed"], serde_json::json!([id]), "{report}");
    assert_eq!(report["needs_review"], serde_json::json!([id]), "{report}");
    assert!(stderr(&out).contains(&format!("handoff show {id}")), "hint missing: {}", stderr(&out));
    let lead = laptop.lead(&id);
    let events = history(&lead);
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"accepted") && kinds.contains(&"conflict"), "{kinds:?}");
    // status names the lead and exits 3 until a person reviews it.
    laptop.ok("system", "07:08", &["escalate-check"]);
    let out = laptop.cmd(None, "07:09", &["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["needs_review"], serde_json::json!([id]), "{status}");
    laptop.ok("olive", "07:10", &["note", &id, "reviewed: sam owns it"]);
    laptop.ok("olive", "07:10", &["sync"]);
    let status = laptop.cmd(None, "07:11", &["status", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["needs_review"], serde_json::json!([]), "{v}");
    assert_eq!(status.status.code(), Some(0), "{v}");
    // The office gets everything on its next sync; both clones end identical.
    office.ok("dev", "07:12", &["sync"]);
    assert_eq!(office.lead_files(), laptop.lead_files());
}

#[test]
fn sync_offline_exits_3_keeps_the_work_and_a_later_sync_delivers_it() {
    let team = Team::new();
    let office = team.founder("office");
    let laptop = team.join("laptop", true);
    let moved = team.tmp.path().join("moved.git");
    std::fs::rename(team.tmp.path().join("remote.git"), &moved).unwrap();
    let id = laptop.capture("ana", "07:00", &[]);
    let out = laptop.run("ana", "07:01", &["sync"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot reach") && err.contains("committed on this machine"), "{err}");
    assert!(laptop.git(&["log", "-1", "--format=%s"]).starts_with("capture "));
    std::fs::rename(&moved, team.tmp.path().join("remote.git")).unwrap();
    laptop.ok("ana", "07:30", &["sync"]);
    office.ok("ana", "07:31", &["sync"]);
    assert_eq!(office.lead(&id)["id"], id.as_str());
}

#[test]
fn a_conflict_outside_leads_undoes_the_merge_and_says_how_to_finish() {
    let team = Team::new();
    let office = team.founder("office");
    let laptop = team.join("laptop", true);
    for (m, tag) in [(&office, "office"), (&laptop, "laptop")] {
        let rules = std::fs::read_to_string(m.dir.join("rules.yaml")).unwrap();
        std::fs::write(m.dir.join("rules.yaml"), rules.replacen("\n", &format!("\n# edited on the {tag}\n"), 1))
            .unwrap();
        m.git(&["commit", "-qam", "edit rules"]);
    }
    office.ok("olive", "07:00", &["sync"]);
    let head = laptop.git(&["rev-parse", "HEAD"]);
    let out = laptop.run("olive", "07:01", &["sync"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("conflict outside leads/: rules.yaml"), "{}", stderr(&out));
    assert_eq!(laptop.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(laptop.git(&["status", "--porcelain"]), "", "the merge was undone");
}

#[test]
fn a_push_race_is_fetched_merged_and_pushed_again() {
    let team = Team::new();
    let office = team.founder("office");
    let laptop = team.join("laptop", true);
    let id = laptop.capture("ana", "07:00", &[]);
    let office_id = office.capture("olive", "07:01", &[]);
    // The remote lets the office push first, while the laptop's push is being received:
    // the laptop's push then loses the race, as on a busy morning.
    let hook = team.tmp.path().join("remote.git/hooks/pre-receive");
    let flag = team.tmp.path().join("raced");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n[ -e '{flag}' ] && exit 0\ntouch '{flag}'\n\
             unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n\
             cd '{office}' && HOME='{home}' git push -q origin main >&2\nexit 0\n",
            flag = flag.display(),
            office = office.dir.display(),
            home = office.home.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let report = laptop.json("ana", "07:02", &["sync"]);
    assert!(flag.exists(), "the race was not staged");
    assert!(report["retries"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(report["pulled"], 1, "the office's commit came in: {report}");
    assert_eq!(report["changed"], serde_json::json!([office_id]), "{report}");
    office.ok("olive", "07:04", &["sync"]);
    assert_eq!(office.lead(&id)["id"], id.as_str());
    assert_eq!(office.lead_files(), laptop.lead_files());
}

#[test]
fn a_real_push_race_between_two_machines_ends_with_both_changes() {
    let team = Team::new();
    let office = team.founder("office");
    let laptop = team.join("laptop", true);
    let field = team.join("field", true);
    let ids: Vec<String> = [&office, &laptop, &field].iter().map(|m| m.capture("ana", "07:00", &[])).collect();
    // Three machines sync at once, several times: some pushes lose the race.
    for round in 0..3 {
        let handles: Vec<_> = [&office, &laptop, &field]
            .iter()
            .map(|m| m.std_cmd("ana", &format!("07:1{round}"), &["sync", "--json"]).spawn().unwrap())
            .collect();
        for h in handles {
            let out = h.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let files = office.lead_files();
    assert_eq!(files.len(), 3);
    assert_eq!(laptop.lead_files(), files);
    assert_eq!(field.lead_files(), files);
    for id in ids {
        assert!(files.keys().any(|k| k.contains(&id)));
    }
}

#[test]
fn status_reports_health_and_exits_3_when_cron_stopped() {
    let team = Team::new();
    let office = team.founder("office");
    let cron = team.join("cron", true);
    // Never run: attention.
    let out = office.cmd(None, "07:00", &["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in
        ["ahead", "behind", "needs_review", "last_sync", "last_escalate_check", "pending_notifications", "rules_valid"]
    {
        assert!(v.get(key).is_some(), "status --json lacks {key}: {v}");
    }
    assert_eq!(v["last_escalate_check"], Value::Null);
    assert_eq!(v["rules_valid"], true);
    assert_eq!(v["ahead"], 0);
    assert_eq!(v["last_sync"], "2026-11-24T06:56:00-06:00");
    // The cron box runs escalate-check and syncs: the office sees it after its own sync.
    cron.ok("system", "07:00", &["sync"]);
    cron.ok("system", "07:00", &["escalate-check"]);
    cron.ok("system", "07:00", &["sync"]);
    office.ok("olive", "07:02", &["sync"]);
    let out = office.cmd(None, "07:05", &["status", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["last_escalate_check"], "2026-11-24T07:00:00-06:00", "{v}");
    assert_eq!(out.status.code(), Some(0), "{v}");
    // Half an hour later, nothing new from cron: late.
    let out = office.cmd(None, "07:35", &["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["attention"].to_string().contains("cron"), "{v}");
    // A local commit not pushed: ahead 1.
    office.capture("ana", "07:36", &[]);
    let v: Value =
        serde_json::from_slice(&office.cmd(None, "07:36", &["status", "--json"]).output().unwrap().stdout).unwrap();
    assert_eq!(v["ahead"], 1, "{v}");
    // A broken rules.yaml: status still runs, says so.
    std::fs::write(office.dir.join("rules.yaml"), "timezone: [\n").unwrap();
    let out = office.cmd(None, "07:37", &["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rules_valid"], false);
}

#[test]
fn escalations_recorded_on_two_machines_for_the_same_clock_merge_into_one() {
    let team = Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    // Both machines run escalate-check (a misconfigured second cron), a minute apart.
    office.ok("system", "07:20", &["escalate-check"]);
    laptop.ok("system", "07:21", &["escalate-check"]);
    office.ok("system", "07:22", &["sync"]);
    laptop.ok("system", "07:23", &["sync"]);
    office.ok("system", "07:24", &["sync"]);
    for m in [&office, &laptop] {
        let escalations: Vec<Value> = history(&m.lead(&id)).into_iter().filter(|e| e["event"] == "escalated").collect();
        assert_eq!(escalations.len(), 1, "{escalations:?}");
        assert_eq!(escalations[0]["at"], "2026-11-24T07:20:00-06:00", "the first one stands");
    }
    // And escalate-check does not fire it again.
    let v = laptop.json("system", "07:25", &["escalate-check", "--dry-run"]);
    assert!(v["escalations"].as_array().unwrap().iter().all(|e| e["new"] == false), "{v}");
}

/// A tiny seeded generator (xorshift), so the day is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The identity of an event across merges: escalations by (lead, rule, clock), the rest
/// by their whole content.
fn event_key(id: &str, e: &Value) -> String {
    if e["event"] == "escalated" { format!("{id} escalated {} {}", e["rule"], e["clock"]) } else { format!("{id} {e}") }
}

#[test]
fn a_simulated_day_on_three_clones_and_a_cron_box_loses_nothing() {
    let seed: u64 = std::env::var("HANDOFF_SYNC_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_f00d);
    let mut rng = Rng(seed);
    let team = Team::new();
    let desk = team.founder("desk");
    let dispatch = team.join("dispatch", true);
    let field = team.join("field", false);
    let cron = team.join("cron", true);
    let people = [&desk, &dispatch, &field];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut record = |m: &Machine, id: &str| {
        for e in history(&m.lead(id)) {
            seen.insert(event_key(id, &e));
        }
    };
    let mut ids: Vec<String> = Vec::new();
    let (mut actions, mut escalations) = (0, 0);
    for step in 0..30 {
        let minutes = 7 * 60 + 5 + step * 20;
        let hm = format!("{:02}:{:02}", minutes / 60, minutes % 60);
        // The desk captures; routing or a named owner.
        if rng.chance(60) {
            let to = ["dev", "sam"][rng.below(2)];
            let id = desk.capture("ana", &hm, &["--to", to, "--next-action", "Call back", "--due", "+2h"]);
            record(&desk, &id);
            ids.push(id);
            actions += 1;
        }
        // Everyone works on the leads they know, several on the same lead between syncs.
        for m in people {
            if ids.is_empty() {
                break;
            }
            for _ in 0..2 {
                let id = ids[rng.below(ids.len())].clone();
                if !m.lead_files().keys().any(|k| k.contains(&id)) {
                    continue;
                }
                let lead = m.lead(&id);
                let owner = lead["owner"].as_str().unwrap_or("dev").to_owned();
                let (who, args): (&str, Vec<String>) = match (lead["status"].as_str().unwrap(), rng.below(4)) {
                    ("assigned", 0 | 1) => (owner.as_str(), vec!["accept".into(), id.clone(), "--yes".into()]),
                    ("accepted", 0) => {
                        let to = if owner == "dev" { "sam" } else { "dev" };
                        (
                            owner.as_str(),
                            vec![
                                "transfer".into(),
                                id.clone(),
                                "--to".into(),
                                to.into(),
                                "--reason".into(),
                                format!("shift change {hm}"),
                            ],
                        )
                    }
                    ("accepted", 1) => (
                        owner.as_str(),
                        vec![
                            "next".into(),
                            id.clone(),
                            "--action".into(),
                            format!("Visit {hm}"),
                            "--due".into(),
                            "+3h".into(),
                        ],
                    ),
                    ("intake", _) => (
                        "ana",
                        vec![
                            "assign".into(),
                            id.clone(),
                            "--to".into(),
                            "dev".into(),
                            "--next-action".into(),
                            "Call".into(),
                            "--due".into(),
                            "+1h".into(),
                        ],
                    ),
                    _ => (
                        ["ana", "olive", "dev"][rng.below(3)],
                        vec!["note".into(), id.clone(), format!("{} note at {hm}", m.name())],
                    ),
                };
                let who = if who.is_empty() { "olive" } else { who };
                let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = m.run(who, &hm, &argv);
                match out.status.code() {
                    Some(0) => {
                        record(m, &id);
                        actions += 1;
                    }
                    Some(1) => {} // refused by the SOP on this machine's view: fine.
                    _ => panic!("{} {argv:?} at {hm}: {}", m.name(), stderr(&out)),
                }
            }
        }
        // Machines sync in a random order; some skip this round (offline for a while).
        let mut order: Vec<&Machine> = people.to_vec();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for m in order {
            if rng.chance(70) {
                m.ok("olive", &hm, &["sync"]);
            }
        }
        // The cron box: sync → escalate-check → sync.
        cron.ok("system", &hm, &["sync"]);
        let out = cron.run("system", &hm, &["escalate-check", "--json"]);
        assert!(out.status.success(), "escalate-check at {hm}: {}", stderr(&out));
        let fired: Value = serde_json::from_slice(&out.stdout).unwrap();
        for e in fired["escalations"].as_array().unwrap().iter().filter(|e| e["new"] == true) {
            escalations += 1;
            record(&cron, e["id"].as_str().unwrap());
        }
        cron.ok("system", &hm, &["sync"]);
    }
    assert!(actions > 40, "the day was too quiet to test anything: {actions} actions");
    // Final sync: everyone twice, so every merge reaches everyone.
    for _ in 0..2 {
        for m in [&desk, &dispatch, &field, &cron] {
            m.ok("olive", "18:00", &["sync"]);
        }
    }
    let reference = desk.lead_files();
    assert_eq!(reference.len(), ids.len());
    let head = desk.git(&["rev-parse", "HEAD"]);
    for m in [&dispatch, &field, &cron] {
        assert_eq!(m.lead_files(), reference, "{} differs from desk", m.name());
        assert_eq!(m.git(&["rev-parse", "HEAD"]), head, "{} is at another commit", m.name());
        assert_eq!(m.git(&["status", "--porcelain"]), "", "{} has uncommitted changes", m.name());
    }
    for (path, text) in &reference {
        assert!(!has_markers(text), "conflict markers in {path}");
    }
    let mut finals: BTreeSet<String> = BTreeSet::new();
    for id in &ids {
        let events = history(&desk.lead(id));
        let mut clocks = BTreeSet::new();
        for e in &events {
            if e["event"] == "escalated" {
                assert!(
                    clocks.insert((e["rule"].to_string(), e["clock"].to_string())),
                    "escalation recorded twice on {id}: {e}"
                );
            }
            finals.insert(event_key(id, e));
        }
    }
    let conflicts = finals.iter().filter(|k| k.contains("\"conflict\"")).count();
    eprintln!(
        "simulated day: {} leads, {actions} actions, {escalations} escalations, {conflicts} merge conflicts flagged, {} events",
        ids.len(),
        finals.len()
    );
    assert!(escalations > 0, "cron escalated nothing: the day tests no escalation");
    assert!(conflicts > 0, "no two machines ever moved the same lead at once: the day tests no contradiction");
    let lost: Vec<&String> = seen.difference(&finals).collect();
    assert!(lost.is_empty(), "{} events lost, e.g. {:?}", lost.len(), lost.iter().take(3).collect::<Vec<_>>());
    for m in [&desk, &dispatch, &field, &cron] {
        let out = m.run("olive", "18:01", &["validate"]);
        assert!(
            out.status.success(),
            "validate on {}: {}{}",
            m.name(),
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
}

#[test]
fn the_server_recipe_runs_the_cycle_under_crons_path() {
    let team = Team::new();
    let desk = team.founder("desk");
    let id = desk.capture("ana", "07:00", &[]);
    desk.ok("ana", "07:00", &["sync"]);
    let cron = team.join("cron", true);
    let recipe = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/server");
    // cron's environment: a PATH without handoff; the crontab sets HANDOFF.
    let cycle = |hm: &str, handoff: Option<&Path>| {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg(recipe.join("handoff-cycle"))
            .arg(&cron.dir)
            .env_clear()
            .env("PATH", PLAIN_PATH)
            .env("HOME", &cron.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HANDOFF_NOW", format!("2026-11-24T{hm}:00-06:00"));
        if let Some(h) = handoff {
            cmd.env("HANDOFF", h);
        }
        cmd.output().unwrap()
    };
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    let out = cycle("07:20", Some(&bin));
    assert!(out.status.success(), "{}", stderr(&out));
    // The escalation went out with the cycle's last sync: the desk has it, and sees cron alive.
    desk.ok("ana", "07:21", &["sync"]);
    let escalated = history(&desk.lead(&id)).iter().filter(|e| e["event"] == "escalated").count();
    assert_eq!(escalated, 1);
    let out = desk.cmd(None, "07:22", &["status", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["last_escalate_check"], "2026-11-24T07:20:00-06:00", "{v}");
    assert_eq!(v["escalate_check_late"], false, "{v}");
    // Without HANDOFF (and no ~/.cargo/bin/handoff, no handoff on PATH): a clear failure.
    let out = cycle("07:30", None);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("set HANDOFF="), "{}", stderr(&out));
    // The crontab and the systemd units run this same script, with HANDOFF set.
    let read = |f: &str| std::fs::read_to_string(recipe.join(f)).unwrap();
    let crontab = read("crontab");
    assert!(crontab.contains("\nHANDOFF=/") && crontab.contains("/usr/local/bin/handoff-cycle "), "{crontab}");
    let service = read("handoff-cycle.service");
    assert!(service.contains("Environment=HANDOFF=/") && service.contains("ExecStart=/usr/local/bin/handoff-cycle "));
    assert!(read("handoff-cycle.timer").contains("OnUnitActiveSec=2min"));
}

#[test]
fn status_says_truly_who_commits_a_lead_file_left_uncommitted() {
    // A capture killed between its write and its commit leaves a lead file git does not
    // know. Another command commits only its own lead, so status must not promise that
    // "the next command" commits the stray file: `handoff sync` does.
    let team = Team::new();
    let office = team.founder("office");
    let stray = office.capture("ana", "07:00", &[]);
    let rel = crate::lead_rel(&stray);
    office.git(&["rm", "-q", "--cached", &rel]);
    office.git(&["commit", "-q", "-m", "a killed capture's commit never happened"]);
    office.capture("ana", "07:01", &[]);
    assert!(office.git(&["status", "--porcelain"]).contains(&rel), "the next command committed it after all");
    let out = office.cmd(None, "07:02", &["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = v["attention"].to_string();
    assert!(said.contains(&rel) && said.contains("handoff sync"), "{said}");
    assert!(!said.contains("the next command or"), "status promises what the next command does not do: {said}");
    office.ok("olive", "07:03", &["sync"]);
    assert_eq!(office.git(&["status", "--porcelain"]), "");
}
