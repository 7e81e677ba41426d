//! One Linux host, several Unix accounts of one group: `handoff init --shared`.
//!
//! Runs the real binary as other users through `setpriv` (util-linux), so it needs root;
//! without root it is skipped, except under CI, where it fails.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::stderr;
use crate::sync::PLAIN_PATH;

const GROUP: u32 = 47_000;
const OTHER_GROUP: u32 = 47_001;

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

struct Host {
    tmp: tempfile::TempDir,
    ws: PathBuf,
}

impl Host {
    /// `handoff ARGS` as Unix account `uid` of group `gid`, with umask 002.
    fn run_as(&self, uid: u32, gid: u32, who: &str, args: &[&str]) -> Output {
        let home = self.tmp.path().join(format!("home-{uid}"));
        if !home.exists() {
            std::fs::create_dir(&home).unwrap();
            std::fs::write(
                home.join(".gitconfig"),
                format!(
                    "[user]\n\tname = account {uid}\n\temail = {uid}@host\n[safe]\n\tdirectory = {}\n",
                    self.ws.display()
                ),
            )
            .unwrap();
            std::os::unix::fs::chown(&home, Some(uid), Some(gid)).unwrap();
            std::os::unix::fs::chown(home.join(".gitconfig"), Some(uid), Some(gid)).unwrap();
        }
        let bin = assert_cmd::cargo::cargo_bin("handoff");
        std::process::Command::new("setpriv")
            .args([format!("--reuid={uid}"), format!("--regid={gid}"), "--clear-groups".to_owned()])
            .args(["/bin/sh", "-c", "umask 002 && exec \"$0\" \"$@\""])
            .arg(&bin)
            .args(args)
            .current_dir(&self.ws)
            .env_clear()
            .env("PATH", PLAIN_PATH)
            .env("HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HANDOFF_NOW", "2026-11-24T07:00:00-06:00")
            .env("HANDOFF_USER", who)
            .output()
            .unwrap()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn two_unix_accounts_of_one_group_share_a_workspace() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "this test runs handoff as other Unix accounts: run it as root in CI"
        );
        eprintln!("skipped: needs root to run handoff as two Unix accounts");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The administrator makes the directory, owned by the office group.
    let ws = tmp.path().join("leads");
    std::fs::create_dir(&ws).unwrap();
    std::os::unix::fs::chown(&ws, Some(0), Some(GROUP)).unwrap();
    std::fs::set_permissions(&ws, std::fs::Permissions::from_mode(0o2775)).unwrap();
    let host = Host { tmp, ws: ws.clone() };

    let ws_arg = ws.to_str().unwrap();
    let out = host.run_as(47_101, GROUP, "ana", &["init", ws_arg, "--shared", "--timezone", "America/Chicago"]);
    assert!(out.status.success(), "init --shared: {}", stderr(&out));
    assert_eq!(mode(&ws.join("leads")), 0o2770);
    assert_eq!(host.run_as(47_101, GROUP, "ana", &["status", "--json"]).status.code(), Some(3), "never escalated yet");

    let capture = [
        "capture",
        "--name",
        "Pat Doe",
        "--phone",
        "3125550100",
        "--address",
        "1 Main",
        "--service",
        "repair",
        "--urgency",
        "standard",
        "--source",
        "phone",
        "--notes",
        "n",
    ];
    let out = host.run_as(47_101, GROUP, "ana", &capture);
    assert!(out.status.success(), "capture as the first account: {}", stderr(&out));
    let id = String::from_utf8(out.stdout).unwrap().lines().next().unwrap().to_owned();
    let lead = ws.join("leads").join(&id[..4]).join(&id[4..6]).join(format!("{id}.yaml"));
    let meta = std::fs::metadata(&lead).unwrap();
    assert_eq!(meta.gid(), GROUP, "the lead keeps the workspace's group");
    assert_eq!(meta.mode() & 0o777, 0o660, "group-readable and writable, nobody else");

    // The second account changes the first one's lead, and both work at once.
    let out = host.run_as(47_102, GROUP, "dev", &["note", &id, "from the second account"]);
    assert!(out.status.success(), "note as the second account: {}", stderr(&out));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| host.run_as(47_101, GROUP, "ana", &["note", &id, "at once A"]));
        let b = s.spawn(|| host.run_as(47_102, GROUP, "dev", &["note", &id, "at once B"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success() && b.status.success(), "{} {}", stderr(&a), stderr(&b));
    let text = std::fs::read_to_string(&lead).unwrap();
    for note in ["from the second account", "at once A", "at once B"] {
        assert!(text.contains(note), "lost: {note}");
    }
    let safe = format!("safe.directory={}", ws.display());
    let log = crate::git_in(
        &ws,
        &["-c", &safe, "log", "--format=%an", "--", &format!("leads/{}/{}/{id}.yaml", &id[..4], &id[4..6])],
    );
    assert_eq!(log.lines().count(), 4, "one commit per command: {log}");
    let status = crate::git_in(&ws, &["-c", &safe, "status", "--porcelain"]);
    assert_eq!(status, "");

    // An account outside the group cannot read the leads.
    let out = host.run_as(47_201, OTHER_GROUP, "ana", &["show", &id]);
    assert!(!out.status.success(), "an outsider read a lead");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Pat Doe"));
}
