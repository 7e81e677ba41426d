//! The commit path at scale (issue 19): in a plain repository with a split index, a
//! command's commit runs no git process at all, and git agrees with everything it wrote
//! (index, objects, refs, reflogs); every repository shape handoff does not write itself
//! falls back to the git command, with the same result.

use std::path::{Path, PathBuf};

use crate::{TestEnv, lead_rel, path_with_handoff, stderr};

/// A `git` first on PATH that logs each call before running the real one.
struct GitLog {
    dir: tempfile::TempDir,
}

impl GitLog {
    fn new() -> GitLog {
        let dir = tempfile::tempdir().unwrap();
        let real = std::env::split_paths(&path_with_handoff())
            .map(|d| d.join("git"))
            .find(|g| g.is_file())
            .expect("git on PATH");
        let log = dir.path().join("calls");
        let script =
            format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.display());
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("git"), script).unwrap();
        std::fs::set_permissions(bin.join("git"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        GitLog { dir }
    }

    /// `handoff ARGS` as `who` with the logging git first on PATH.
    fn run(&self, env: &TestEnv, who: &str, args: &[&str]) -> std::process::Output {
        let mut path = vec![self.dir.path().join("bin")];
        path.extend(std::env::split_paths(&path_with_handoff()));
        let _ = std::fs::remove_file(self.dir.path().join("calls"));
        env.as_(who, args).env("PATH", std::env::join_paths(path).unwrap()).output().unwrap()
    }

    /// `run`, asserting success; returns the git subcommands it ran.
    fn ok(&self, env: &TestEnv, who: &str, args: &[&str]) -> Vec<String> {
        let out = self.run(env, who, args);
        assert!(out.status.success(), "handoff {args:?}: {}", stderr(&out));
        self.calls()
    }

    /// The subcommand of each git call (`-C DIR` and `-c KEY=VALUE` skipped).
    fn calls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.dir.path().join("calls")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut words = l.split(' ');
                while let Some(w) = words.next() {
                    if w == "-C" || w == "-c" {
                        words.next();
                    } else if !w.starts_with('-') {
                        return Some(w.to_owned());
                    }
                }
                None
            })
            .collect()
    }
}

/// Index, HEAD and work tree agree on every lead, as after a `git commit`.
fn assert_in_step(env: &TestEnv) {
    assert_eq!(env.git(&["status", "--porcelain"]), "", "git status");
    assert_eq!(env.git(&["diff", "--cached", "--name-only"]), "", "staged changes");
    let staged: Vec<String> = env
        .git(&["ls-files", "-s", "leads"])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let mut f = meta.split(' ');
            let (mode, oid, stage) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            assert_eq!(stage, "0", "{l}");
            format!("{mode} {oid}\t{path}")
        })
        .collect();
    let committed: Vec<String> = env
        .git(&["ls-tree", "-r", "HEAD", "leads"])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let f: Vec<&str> = meta.split(' ').collect();
            format!("{} {}\t{path}", f[0], f[2])
        })
        .collect();
    assert_eq!(staged, committed, "the index holds HEAD's leads");
}

fn split(env: &TestEnv) {
    env.git(&["update-index", "--split-index"]);
    assert!(index_is_split(env.root()));
}

fn index_is_split(root: &Path) -> bool {
    let index = std::fs::read(root.join(".git/index")).unwrap();
    let shared = std::fs::read_dir(root.join(".git"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
    shared && index.windows(4).any(|w| w == b"link")
}

fn shared_index(root: &Path) -> PathBuf {
    std::fs::read_dir(root.join(".git"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("sharedindex."))
        .unwrap()
}

#[test]
fn with_a_split_index_every_command_commits_without_git_and_git_agrees() {
    let env = TestEnv::with_git();
    let first = env.capture_standard();
    env.capture(&["--name", "Pat Doe", "--phone", "3125550199"]);
    split(&env);
    let log = GitLog::new();
    let id = env.capture(&["--name", "Lee Chan", "--phone", "3125550111"]);
    for (who, args) in [
        ("ana", vec!["note", &first, "first note"]),
        ("ana", vec!["assign", &id, "--to", "dev", "--next-action", "Call", "--due", "+1h"]),
        ("dev", vec!["accept", &id, "--yes"]),
        ("dev", vec!["note", &id, "called, no answer"]),
        ("dev", vec!["next", &id, "--action", "Call back", "--due", "+2h"]),
        ("ana", vec!["update", &first, "--notes", "Gas smell near the meter"]),
        ("ana", env.capture_args(&["--name", "Kim Park", "--phone", "3125550122", "--market", "North"])),
    ] {
        // (git itself may write a new shared part, e.g. `git status` when a fifth of the
        // entries are new: that of this tiny index, here.)
        let shared = shared_index(env.root());
        let calls = log.ok(&env, who, &args);
        assert_eq!(calls, Vec::<String>::new(), "{args:?} ran git");
        assert_eq!(shared_index(env.root()), shared, "{args:?} wrote a shared index");
        assert_in_step(&env);
        assert!(index_is_split(env.root()), "{args:?} left the index unsplit");
    }
    let out = log.run(&env, "system", &["escalate-check", "--now", "2026-11-24T09:00:00-06:00"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(log.calls(), Vec::<String>::new(), "escalate-check ran git");
    assert_in_step(&env);
    // The committer and the reflogs are as git writes them.
    assert_eq!(env.git(&["log", "-1", "--format=%cn <%ce>"]).trim(), "Test Machine <machine@example.com>");
    let reflog = env.git(&["reflog", "-1", "--format=%gn <%ge>|%gs"]);
    assert!(reflog.starts_with("Test Machine <machine@example.com>|commit: escalate-check"), "{reflog}");
    let branch_log = env.git(&["reflog", "show", "-1", "--format=%gs", "main"]);
    assert!(branch_log.starts_with("commit: escalate-check"), "{branch_log}");
    assert_eq!(env.git(&["rev-parse", "HEAD"]), env.git(&["rev-parse", "main"]));
    env.git(&["fsck", "--strict", "--no-progress"]);
    // Plain git goes on working: a commit of the user's own, then gc (packs what handoff
    // wrote), then handoff again, reading its trees from the pack.
    std::fs::write(env.root().join("todo.txt"), "call the supplier\n").unwrap();
    env.git(&["add", "todo.txt"]);
    env.git(&["commit", "-qm", "todo"]);
    env.git(&["gc", "-q"]);
    env.git(&["repack", "-adfq", "--depth=20", "--window=50"]);
    let calls = log.ok(&env, "ana", &["note", &first, "after gc"]);
    assert_eq!(calls, Vec::<String>::new(), "read from the pack with git");
    assert_in_step(&env);
    assert_eq!(env.git(&["show", &format!("HEAD:{}", lead_rel(&first))]), env.lead_text(&first));
    env.git(&["fsck", "--strict", "--no-progress"]);
}

#[test]
fn a_lead_unmerged_in_a_split_index_is_never_committed() {
    for in_shared_part in [false, true] {
        let env = TestEnv::with_git();
        let id = env.capture_standard();
        split(&env);
        // Stages 1-3 for the lead, as a stash pop or a merge leaves them (no MERGE_HEAD).
        let rel = lead_rel(&id);
        let blob = env.git(&["rev-parse", &format!("HEAD:{rel}")]);
        let blob = blob.trim();
        let info = format!(
            "0 0000000000000000000000000000000000000000\t{rel}\n100644 {blob} 1\t{rel}\n100644 {blob} 2\t{rel}\n100644 {blob} 3\t{rel}\n"
        );
        let mut cmd = crate::git_cmd(env.root(), &["update-index", "--index-info"]);
        cmd.stdin(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), info.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
        if in_shared_part {
            // A new shared part now holds the stages.
            env.git(&["update-index", "--split-index"]);
        }
        let unmerged = env.git(&["ls-files", "-u"]);
        assert_eq!(unmerged.lines().count(), 3, "{unmerged}");
        let before = env.lead_text(&id);
        let head = env.git(&["rev-parse", "HEAD"]);
        let log = GitLog::new();
        let out = log.run(&env, "ana", &["note", &id, "must not be committed"]);
        assert_eq!(log.calls(), Vec::<String>::new(), "the stages were found without git");
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(stderr(&out).contains("unmerged"), "{}", stderr(&out));
        assert_eq!(env.lead_text(&id), before, "the refused note was undone");
        assert_eq!(env.git(&["ls-files", "-u"]), unmerged, "the stages were touched");
        assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    }
}

#[test]
fn a_small_index_is_left_to_git_update_index() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let log = GitLog::new();
    let calls = log.ok(&env, "ana", &["note", &id, "small"]);
    assert_eq!(calls, ["ls-files", "update-index"], "only the index is git's");
    assert_in_step(&env);
    assert!(!index_is_split(env.root()));
}

#[test]
fn an_index_with_extensions_not_written_here_is_left_to_git() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    env.git(&["config", "core.untrackedCache", "true"]);
    env.git(&["update-index", "--untracked-cache", "--split-index"]);
    env.git(&["status", "--porcelain"]);
    let log = GitLog::new();
    let calls = log.ok(&env, "ana", &["note", &id, "with an untracked cache"]);
    assert_eq!(calls, ["ls-files", "update-index"]);
    assert_in_step(&env);
    let index = std::fs::read(env.root().join(".git/index")).unwrap();
    assert!(index.windows(4).any(|w| w == b"UNTR"), "git kept its untracked cache");
}

#[test]
fn unusual_refs_are_moved_by_git_and_packed_refs_read_here() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    let log = GitLog::new();
    // The branch only in packed-refs: read there, written loose, as git does.
    env.git(&["pack-refs", "--all", "--prune"]);
    assert!(!env.root().join(".git/refs/heads/main").exists());
    assert_eq!(log.ok(&env, "ana", &["note", &id, "packed"]), Vec::<String>::new());
    assert_in_step(&env);
    assert_eq!(env.git(&["rev-parse", "main"]), env.git(&["rev-parse", "HEAD"]));
    // No reflog to append to: git decides whether to start one.
    std::fs::remove_file(env.root().join(".git/logs/refs/heads/main")).unwrap();
    assert_eq!(log.ok(&env, "ana", &["note", &id, "no reflog"]), ["update-ref"]);
    assert_in_step(&env);
    // A detached HEAD: the commit goes there, the branch stays.
    let main = env.git(&["rev-parse", "main"]);
    env.git(&["checkout", "-q", "--detach"]);
    assert_eq!(log.ok(&env, "ana", &["note", &id, "detached"]), ["update-ref"]);
    assert_in_step(&env);
    assert_eq!(env.git(&["rev-parse", "main"]), main);
    assert_eq!(env.git(&["log", "-1", "--format=%s"]).trim(), format!("note {id}: added a note"));
    env.git(&["fsck", "--strict", "--no-progress"]);
}

#[test]
fn without_a_git_identity_git_names_the_committer() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    env.git(&["config", "--unset", "user.name"]);
    env.git(&["config", "--unset", "user.email"]);
    let log = GitLog::new();
    let calls = log.ok(&env, "olive", &["note", &id, "no identity here"]);
    assert!(calls.contains(&"commit-tree".to_owned()), "{calls:?}");
    assert!(calls.contains(&"update-ref".to_owned()), "{calls:?}");
    assert!(!calls.contains(&"update-index".to_owned()), "{calls:?}");
    assert_in_step(&env);
    assert_eq!(env.git(&["log", "-1", "--format=%an"]).trim(), "Olive Office");
}

#[test]
fn a_redirected_or_sha256_repository_commits_through_git() {
    // GIT_DIR set: git finds the repository, reads and writes everything.
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let log = GitLog::new();
    let mut path = vec![log.dir.path().join("bin")];
    path.extend(std::env::split_paths(&path_with_handoff()));
    let out = env
        .as_("ana", &["note", &id, "redirected"])
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("GIT_DIR", env.root().join(".git"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = log.calls();
    for git in ["rev-parse", "ls-files", "cat-file", "commit-tree", "update-index", "update-ref"] {
        assert!(calls.contains(&git.to_owned()), "{git} not in {calls:?}");
    }
    assert_in_step(&env);
    // SHA-256: not written here at all; git commit does it.
    let env = TestEnv::bare();
    env.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    env.git(&["config", "user.name", "Test Machine"]);
    env.git(&["config", "user.email", "machine@example.com"]);
    let out = env.cmd(&["init", ".", "--timezone", "America/Chicago"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "init"]);
    let id = env.capture_standard();
    let calls = log.ok(&env, "ana", &["note", &id, "sha256"]);
    assert!(calls.contains(&"commit".to_owned()), "{calls:?}");
    assert_in_step(&env);
    assert_eq!(env.git(&["rev-parse", "HEAD"]).trim().len(), 64);
}

#[test]
fn clones_with_split_indexes_sync_and_go_on_committing() {
    let team = crate::sync::Team::new();
    let office = team.founder("office");
    let id = office.capture("ana", "07:00", &[]);
    office.ok("ana", "07:00", &["sync"]);
    let laptop = team.join("laptop", true);
    for m in [&office, &laptop] {
        m.git(&["update-index", "--split-index"]);
    }
    office.ok("olive", "07:01", &["note", &id, "office note"]);
    laptop.ok("dev", "07:02", &["note", &id, "laptop note"]);
    let capture = crate::capture_argv(&["--name", "Pat Doe", "--phone", "3125550199", "--market", "North"]);
    laptop.ok("dev", "07:03", &capture);
    office.ok("olive", "07:04", &["sync"]);
    laptop.ok("dev", "07:05", &["sync"]);
    office.ok("olive", "07:06", &["sync"]);
    for m in [&office, &laptop] {
        let texts: Vec<String> = m.lead(&id)["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["text"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(texts, ["office note", "laptop note"], "{}", m.name());
        m.ok("ana", "07:10", &["note", &id, &format!("after the merge on {}", m.name())]);
        assert_eq!(m.git(&["status", "--porcelain"]), "", "{}", m.name());
        assert_eq!(m.git(&["diff", "--cached", "--name-only"]), "", "{}", m.name());
        m.git(&["fsck", "--strict", "--no-progress"]);
    }
    office.ok("ana", "07:11", &["sync"]);
    laptop.ok("ana", "07:12", &["sync"]);
    office.ok("ana", "07:13", &["sync"]);
    assert_eq!(office.lead_files(), laptop.lead_files());
}

#[test]
fn hooks_run_by_git_and_converting_attributes_leave_the_work_to_git() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    let log = GitLog::new();
    // A reference-transaction hook: git moves the branch (and runs it).
    let hooks = env.root().join(".git/hooks");
    let ran = env.root().join(".git/hook-ran");
    let hook = format!("#!/bin/sh\necho \"$1\" >> '{}'\n", ran.display());
    std::fs::write(hooks.join("reference-transaction"), &hook).unwrap();
    std::fs::set_permissions(hooks.join("reference-transaction"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    assert_eq!(log.ok(&env, "ana", &["note", &id, "hooked ref"]), ["update-ref"]);
    assert!(std::fs::read_to_string(&ran).unwrap().contains("committed"));
    assert_in_step(&env);
    std::fs::remove_file(hooks.join("reference-transaction")).unwrap();
    // A post-index-change hook: git writes the index (and runs it).
    std::fs::write(hooks.join("post-index-change"), &hook).unwrap();
    std::fs::set_permissions(hooks.join("post-index-change"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    std::fs::remove_file(&ran).unwrap();
    assert_eq!(log.ok(&env, "ana", &["note", &id, "hooked index"]), ["update-index"]);
    assert!(ran.exists(), "the hook ran");
    assert_in_step(&env);
    std::fs::remove_file(hooks.join("post-index-change")).unwrap();
    // Lead files stored with CRLF line ends: `git add` converts, so git commits.
    let attributes = std::fs::read_to_string(env.root().join(".gitattributes")).unwrap();
    std::fs::write(env.root().join(".gitattributes"), format!("{attributes}leads/** text eol=crlf\n")).unwrap();
    env.git(&["commit", "-qam", "crlf"]);
    let calls = log.ok(&env, "ana", &["note", &id, "converted"]);
    assert!(calls.contains(&"add".to_owned()) && calls.contains(&"commit".to_owned()), "{calls:?}");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn in_a_shared_repository_files_get_the_groups_permissions_as_from_git() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    env.git(&["config", "core.sharedRepository", "group"]);
    env.git(&["config", "core.fsync", "all"]);
    split(&env);
    let objects = |root: &Path| -> Vec<PathBuf> {
        let mut all = Vec::new();
        for dir in std::fs::read_dir(root.join(".git/objects")).unwrap().flatten() {
            if dir.file_name().len() == 2 {
                all.extend(std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()));
                all.push(dir.path());
            }
        }
        all
    };
    let before = objects(env.root());
    let log = GitLog::new();
    // (a umask that would keep the group out)
    let mut path = vec![log.dir.path().join("bin")];
    path.extend(std::env::split_paths(&path_with_handoff()));
    let out = std::process::Command::new("sh")
        .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
        .arg(assert_cmd::cargo::cargo_bin("handoff"))
        .args(["note", &id, "shared"])
        .current_dir(env.root())
        .env_clear()
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("HOME", env.root())
        .env("HANDOFF_NOW", &env.now)
        .env("HANDOFF_USER", "ana")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(log.calls(), Vec::<String>::new());
    assert_in_step(&env);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let new: Vec<PathBuf> = objects(env.root()).into_iter().filter(|p| !before.contains(p)).collect();
    assert!(!new.is_empty());
    for p in new {
        let want = if p.is_dir() { 0o2770 } else { 0o440 };
        assert_eq!(mode(&p) & want, want, "{} is {:o}", p.display(), mode(&p));
    }
    for p in [".git/index", ".git/refs/heads/main"] {
        assert_eq!(mode(&env.root().join(p)) & 0o660, 0o660, "{p} is {:o}", mode(&env.root().join(p)));
    }
}

#[test]
fn loose_objects_past_gc_auto_start_git_gc_as_a_git_commit_does() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    // git estimates the loose objects from those named 17…: make sure there are some.
    let blobs = tempfile::tempdir().unwrap();
    let mut paths = String::new();
    for i in 0..3000 {
        let p = blobs.path().join(format!("b{i}"));
        std::fs::write(&p, format!("blob {i}\n")).unwrap();
        paths.push_str(&format!("{}\n", p.display()));
    }
    let mut cmd = crate::git_cmd(env.root(), &["hash-object", "-w", "--stdin-paths"]);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), paths.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(std::fs::read_dir(env.root().join(".git/objects/17")).unwrap().count() > 1);
    let log = GitLog::new();
    env.git(&["config", "gc.auto", "0"]);
    assert_eq!(log.ok(&env, "ana", &["note", &id, "gc off"]), Vec::<String>::new());
    env.git(&["config", "gc.auto", "256"]);
    log.ok(&env, "ana", &["note", &id, "gc due"]);
    // The gc is started, not waited for: give it a moment to show, and to finish before
    // the workspace goes.
    let start = std::time::Instant::now();
    while log.calls().is_empty() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(log.calls(), ["gc"]);
    while env.root().join(".git/gc.pid").exists() && start.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_in_step(&env);
}

/// A lead flagged assume-unchanged or skip-worktree in the index: `git add` and
/// `git commit --only` decide (the first commits and clears the flag, the second refuses),
/// never `git update-index`, which keeps the old blob staged (assume-unchanged) or drops
/// the entry (skip-worktree): the user's next `git commit` would undo the lead's change.
#[test]
fn a_lead_flagged_in_the_index_is_committed_as_git_commit_would() {
    for index_version in ["3", "4"] {
        let env = TestEnv::with_git();
        let id = env.capture_standard();
        let rel = lead_rel(&id);
        env.git(&["update-index", "--index-version", index_version]);
        split(&env);
        env.git(&["update-index", "--assume-unchanged", &rel]);
        env.ok("ana", &["note", &id, "assumed unchanged"]);
        assert_in_step(&env);
        assert_eq!(env.git(&["show", &format!("HEAD:{rel}")]), env.lead_text(&id), "index v{index_version}");

        env.git(&["update-index", "--skip-worktree", &rel]);
        let head = env.git(&["rev-parse", "HEAD"]);
        let out = env.run("ana", &["note", &id, "outside the sparse checkout"]);
        if out.status.success() {
            assert_in_step(&env);
        } else {
            assert_eq!(env.git(&["rev-parse", "HEAD"]), head, "index v{index_version}");
        }
        assert_eq!(env.git(&["ls-files", "--", &rel]), format!("{rel}\n"), "the lead is still in the index");
        assert_eq!(env.git(&["diff", "--cached", "--name-only"]), "", "index v{index_version}: staged changes");
    }
}

/// A branch named with a slash, packed and pruned (its loose directory gone): git moves
/// it as usual (creating the directory), so the commit goes through.
#[test]
fn a_packed_branch_whose_directory_is_gone_is_moved() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    env.git(&["checkout", "-q", "-b", "team/north"]);
    env.git(&["pack-refs", "--all", "--prune"]);
    assert!(!env.root().join(".git/refs/heads/team").exists());
    env.ok("ana", &["note", &id, "on a packed branch"]);
    assert_in_step(&env);
    assert_eq!(env.git(&["rev-parse", "team/north"]), env.git(&["rev-parse", "HEAD"]));
    assert_eq!(env.git(&["log", "-1", "--format=%s"]).trim(), format!("note {id}: added a note"));
    let reflog = env.git(&["reflog", "show", "-1", "--format=%gs", "team/north"]);
    assert!(reflog.starts_with("commit: note"), "{reflog}");
    env.git(&["fsck", "--strict", "--no-progress"]);
}

/// The committer is named as git reads its config: only ASCII blanks are trimmed, a
/// no-break space ending a name is part of it.
#[test]
fn the_committer_is_named_as_git_reads_a_hand_written_config() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    split(&env);
    let config = env.root().join(".git/config");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("name = Test Machine", "name = Test Machine\u{a0}")).unwrap();
    let git_says = env.git(&["config", "user.name"]);
    assert_eq!(git_says, "Test Machine\u{a0}\n");
    let log = GitLog::new();
    assert_eq!(log.ok(&env, "ana", &["note", &id, "no-break space"]), Vec::<String>::new());
    assert_eq!(env.git(&["log", "-1", "--format=%cn"]), git_says);
    assert_eq!(env.git(&["reflog", "-1", "--format=%gn"]), git_says);
}

/// The hooks `git commit --no-verify` still runs (prepare-commit-msg, post-commit) run
/// for handoff's commits too, in a plain repository or not (here: not, as a config
/// includes another on a condition): git commits when one is there.
#[test]
fn commit_hooks_git_commit_runs_still_run() {
    for (name, plain) in [("post-commit", true), ("prepare-commit-msg", true), ("post-commit", false)] {
        let env = TestEnv::with_git();
        let id = env.capture_standard();
        split(&env);
        if !plain {
            env.git(&["config", "includeIf.onbranch:nothing/**.path", "nothing.cfg"]);
        }
        let hook = env.root().join(".git/hooks").join(name);
        let ran = env.root().join(".git/hook-ran");
        std::fs::write(&hook, format!("#!/bin/sh\necho {name} >> '{}'\n", ran.display())).unwrap();
        std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        env.ok("ana", &["note", &id, "hooked commit"]);
        assert_eq!(std::fs::read_to_string(&ran).unwrap_or_default(), format!("{name}\n"));
        assert_in_step(&env);
        assert_eq!(env.git(&["log", "-1", "--format=%s"]).trim(), format!("note {id}: added a note"));
    }
}

/// Outside a plain repository (here a linked worktree) a lead that git stores through a
/// clean filter is never committed as its raw bytes (a filter may be what keeps them out
/// of the repository), and the index is left in step. (handoff's own check for hand edits
/// compares raw bytes, so with a filter the command itself may be refused.)
#[test]
fn a_filtered_lead_in_a_linked_worktree_is_never_committed_raw() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    env.git(&["config", "filter.rev.clean", "rev"]);
    env.git(&["config", "filter.rev.smudge", "rev"]);
    let attributes = std::fs::read_to_string(env.root().join(".gitattributes")).unwrap();
    std::fs::write(env.root().join(".gitattributes"), format!("{attributes}leads/** filter=rev\n")).unwrap();
    env.git(&["rm", "-q", "-r", "--cached", "leads"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "leads through a filter"]);
    let linked = tempfile::tempdir().unwrap();
    let linked = linked.path().join("linked");
    env.git(&["worktree", "add", "-q", "-b", "office", linked.to_str().unwrap()]);
    let git = |args: &[&str]| crate::git_in(&linked, args);
    let head = git(&["rev-parse", "HEAD"]);
    let out = env.as_("ana", &["note", &id, "filtered"]).current_dir(&linked).output().unwrap();
    let rel = lead_rel(&id);
    for commit in git(&["rev-list", &format!("{}..HEAD", head.trim())]).lines() {
        let stored = git(&["rev-parse", &format!("{commit}:{rel}")]);
        let raw = git(&["hash-object", "--no-filters", &rel]);
        assert_ne!(stored, raw, "{commit} holds the raw bytes ({})", stderr(&out));
    }
    assert_eq!(git(&["diff", "--cached", "--name-only"]), "", "staged changes in the linked worktree");
}

/// Outside a plain repository (GIT_DIR set) a big index is split for speed, unless the
/// user's git config says `core.splitIndex=false`: then it stays whole.
#[test]
fn a_big_index_is_split_outside_a_plain_repository_unless_git_config_says_no() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    // 15k index entries (over 1 MB) of an empty file, committed.
    let empty = {
        let mut cmd = crate::git_cmd(env.root(), &["hash-object", "-w", "--stdin"]);
        let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let info: String = (0..15_000).map(|i| format!("100644 {empty}\tfiller/{i:05}.txt\n")).collect();
    let mut cmd = crate::git_cmd(env.root(), &["update-index", "--index-info"]);
    let mut child = cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), info.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    env.git(&["commit", "-qm", "filler"]);
    assert!(std::fs::metadata(env.root().join(".git/index")).unwrap().len() > 1 << 20);
    let note = |text: &str| {
        let out = env.as_("ana", &["note", &id, text]).env("GIT_DIR", env.root().join(".git")).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    env.git(&["config", "core.splitIndex", "false"]);
    note("kept whole");
    assert!(!index_is_split(env.root()), "split against core.splitIndex=false");
    assert_eq!(env.git(&["log", "-1", "--format=%s"]).trim(), format!("note {id}: added a note"));
    env.git(&["config", "--unset", "core.splitIndex"]);
    note("split now");
    assert!(index_is_split(env.root()), "a big index is split when git's config allows it");
}

/// Every path writes a commit's message as `git commit -m` does: one newline at the end.
#[test]
fn every_commit_path_ends_its_message_as_git_commit_does() {
    let env = TestEnv::with_git();
    let id = env.capture_standard();
    let raw = |env: &TestEnv| env.git(&["cat-file", "commit", "HEAD"]);
    // Small index: `git commit`.
    assert!(raw(&env).ends_with("captured\n"), "{}", raw(&env));
    split(&env);
    env.ok("ana", &["note", &id, "in-process"]);
    assert!(raw(&env).ends_with(": added a note\n"), "{}", raw(&env));
    let out = env.as_("ana", &["note", &id, "through git"]).env("GIT_DIR", env.root().join(".git")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(raw(&env).ends_with(": added a note\n"), "{}", raw(&env));
    assert!(!raw(&env).ends_with("\n\n"), "{}", raw(&env));
}
