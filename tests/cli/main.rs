//! Integration tests: the real `handoff` binary in a temporary workspace, clock pinned.

mod bench;
mod capture;
mod climb;
mod clock;
mod commit_path;
mod desk;
mod domain;
mod everyday;
mod git;
mod gitsafety;
mod handoff;
mod import;
mod integrity;
mod layers;
mod notify;
mod oncall;
mod qa;
mod reliability;
mod scale;
mod shared;
mod snapshots;
mod stats;
mod sync;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The instant tests run at unless they say otherwise: 07:00 in Chicago on 2026-11-24.
pub const NOW: &str = "2026-11-24T07:00:00-06:00";

/// A temporary workspace and a way to run `handoff` in it with a clean environment.
pub struct TestEnv {
    dir: tempfile::TempDir,
    pub now: String,
}

impl Default for TestEnv {
    fn default() -> TestEnv {
        TestEnv::new()
    }
}

impl TestEnv {
    /// A fresh workspace made by `handoff init` (America/Chicago), without git.
    pub fn new() -> TestEnv {
        let env = TestEnv::bare();
        env.cmd(&["init", ".", "--timezone", "America/Chicago"]).assert().success();
        env.set_rules(&env.rules().replace("git: true", "git: false"));
        env
    }

    /// A fresh workspace with git on: a repository with a committer identity.
    pub fn with_git() -> TestEnv {
        let env = TestEnv::bare();
        env.cmd(&["init", ".", "--timezone", "America/Chicago"]).assert().success();
        env.git(&["branch", "-M", "main"]);
        env.git(&["config", "user.name", "Test Machine"]);
        env.git(&["config", "user.email", "machine@example.com"]);
        env
    }

    /// An empty directory.
    pub fn bare() -> TestEnv {
        TestEnv { dir: tempfile::tempdir().expect("temp dir"), now: NOW.to_owned() }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `handoff ARGS` in the workspace with the clock pinned and no inherited HANDOFF_*.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("handoff").expect("binary");
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", path_with_handoff())
            .env("HOME", self.root())
            .env("NO_COLOR", "1")
            .env("HANDOFF_NOW", &self.now)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args);
        cmd
    }

    /// `handoff --as WHO ARGS`.
    pub fn as_(&self, who: &str, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.env("HANDOFF_USER", who);
        cmd
    }

    /// Run and return stdout, asserting success.
    pub fn ok(&self, who: &str, args: &[&str]) -> String {
        let out = self.as_(who, args).output().expect("run");
        assert!(out.status.success(), "handoff {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf8")
    }

    /// Run and return the whole output, whatever the status.
    pub fn run(&self, who: &str, args: &[&str]) -> Output {
        self.as_(who, args).output().expect("run")
    }

    /// A complete standard lead captured by ana; returns its id.
    pub fn capture_standard(&self) -> String {
        self.capture(&[])
    }

    /// `capture` argv with the standard complete fields (see [`capture_argv`]).
    pub fn capture_args<'a>(&self, extra: &[&'a str]) -> Vec<&'a str> {
        capture_argv(extra)
    }

    /// Capture as ana (see `capture_args`), whatever the outcome.
    pub fn capture_output(&self, extra: &[&str]) -> Output {
        self.run("ana", &self.capture_args(extra))
    }

    /// Capture as ana (see `capture_args`); returns the new id.
    pub fn capture(&self, extra: &[&str]) -> String {
        let out = self.ok("ana", &self.capture_args(extra));
        out.lines().next().expect("id line").to_owned()
    }

    /// Add `sue`, a second sales person, to rules.yaml (before sam).
    pub fn add_sales_staff_sue(&self) -> String {
        let rules = self.rules().replace(
            "  - id: sam\n",
            "  - id: sue\n    name: Sue Sales\n    email: sue@example.com\n    roles: [sales]\n  - id: sam\n",
        );
        self.set_rules(&rules);
        rules
    }

    /// Where lead `id`'s file is: `leads/YYYY/MM/<id>.yaml` (its capture month), or a
    /// flat `leads/<id>.yaml` a test wrote by hand; where a new one goes when neither is.
    pub fn lead_path(&self, id: &str) -> PathBuf {
        let sharded = self.root().join(lead_rel(id));
        let flat = self.root().join("leads").join(format!("{id}.yaml"));
        if !sharded.exists() && flat.exists() { flat } else { sharded }
    }

    pub fn lead_text(&self, id: &str) -> String {
        std::fs::read_to_string(self.lead_path(id)).expect("lead file")
    }

    /// The lead as JSON, via `handoff show --json`.
    pub fn lead_json(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok("ana", &["show", id, "--json"])).expect("json")
    }

    pub fn rules(&self) -> String {
        std::fs::read_to_string(self.root().join("rules.yaml")).expect("rules.yaml")
    }

    pub fn set_rules(&self, text: &str) {
        std::fs::write(self.root().join("rules.yaml"), text).expect("write rules.yaml");
    }

    /// Every `.yaml` file under `leads/`, at any depth, sorted.
    pub fn lead_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![self.root().join("leads")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("leads dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    /// Run git in the workspace, returning stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.root(), args)
    }
}

/// `capture` argv with the standard complete fields; `extra` flags replace a default
/// of the same name or are added.
pub fn capture_argv<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<(&str, Option<&str>)> = vec![
        ("--name", Some("Maria Lopez")),
        ("--phone", Some("(312) 555-0142")),
        ("--address", Some("12 Elm St, Springfield")),
        ("--service", Some("repair")),
        ("--urgency", Some("standard")),
        ("--source", Some("phone")),
        ("--notes", Some("Kitchen sink drains slowly")),
    ];
    let mut i = 0;
    while i < extra.len() {
        let flag = extra[i];
        let value = extra.get(i + 1).filter(|v| !v.starts_with("--")).copied();
        i += if value.is_some() { 2 } else { 1 };
        match args.iter_mut().find(|(f, _)| *f == flag) {
            Some(slot) => slot.1 = value,
            None => args.push((flag, value)),
        }
    }
    let mut argv = vec!["capture"];
    for (flag, value) in &args {
        argv.push(flag);
        argv.extend(value);
    }
    argv
}

/// `leads/YYYY/MM/<id>.yaml`: where a lead's file lives, relative to the workspace root.
pub fn lead_rel(id: &str) -> String {
    format!("leads/{}/{}/{id}.yaml", &id[..4], &id[4..6])
}

/// PATH with the directory of the `handoff` under test first, so git's merge driver
/// (`handoff merge-driver …`) runs this build.
pub fn path_with_handoff() -> std::ffi::OsString {
    let bin = assert_cmd::cargo::cargo_bin("handoff");
    let mut paths = vec![bin.parent().expect("bin dir").to_path_buf()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).expect("PATH")
}

/// Run git in `dir` with a clean configuration, returning stdout; asserts success.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir, args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

/// A git command in `dir` with a clean configuration and `handoff` on PATH.
pub fn git_cmd(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir).env("GIT_CONFIG_NOSYSTEM", "1").env("HOME", dir).env("PATH", path_with_handoff()).args(args);
    cmd
}

/// History event names of a lead, in order.
pub fn events(lead: &serde_json::Value) -> Vec<String> {
    lead["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Whether an outside tool is installed. Missing under CI (`CI` set) is a failure, never a
/// silent skip: `.ci/run` installs every tool the tests use.
pub fn require(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "`{tool}` is not installed; under CI .ci/run must install it");
        eprintln!("notice: `{tool}` not installed; the checks that need it are skipped (CI installs it)");
    }
    found
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
