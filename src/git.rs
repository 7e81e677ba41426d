//! The only module that runs git. The audit log: every change a command makes is committed,
//! authored as the acting staff member.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};

mod bulk;
mod config;
mod ewah;
mod fast_commit;
mod ident;
mod index;
mod lock;
mod objects;
mod plain;
mod refs;
mod shared_index;

/// A git object's name (SHA-1).
pub type ObjectId = objects::Oid;

/// The name git gives a file with these bytes.
pub fn blob_id(bytes: &[u8]) -> ObjectId {
    objects::object_id(objects::Kind::Blob, bytes)
}

/// Who a commit is authored as.
pub struct Author<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// When the author acted (RFC 3339): the command's `--now`, so replays keep history and
    /// commits in step. `None`: git's clock.
    pub at: Option<&'a str>,
}

fn git(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).stdin(Stdio::null());
    cmd
}

/// Whether git is installed at all.
pub fn available() -> bool {
    Command::new("git").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The top of the git work tree holding `dir`, if any: found without git when the nearest
/// `.git` is a plain repository's (see `plain.rs`), else as `git rev-parse` says.
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    if let Some(top) = plain::work_tree(dir) {
        return Some(top);
    }
    let out = git(dir).args(["rev-parse", "--show-toplevel"]).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(top.trim_end()))
}

/// Create a repository in `dir` whose first branch is `main` (whatever git's default), so
/// `git push -u origin main` and `handoff sync` work from the first commit.
/// `shared`: the repository is shared by a Unix group (`core.sharedRepository=group`).
pub fn init(dir: &Path, shared: bool) -> Result<()> {
    run(git(dir).args(["init", "--quiet"]).args(shared.then_some("--shared=group")), "git init")?;
    run(git(dir).args(["symbolic-ref", "HEAD", "refs/heads/main"]), "git symbolic-ref")
}

/// The merge driver git runs (through `sh`) for `leads/**/*.yaml` (see `.gitattributes`):
/// this binary by its absolute path, so cron, git GUIs and a PATH without `~/.cargo/bin`
/// still find it; `handoff` on PATH when that file is gone (the binary moved).
pub fn merge_driver(exe: &Path) -> String {
    let quoted = exe.display().to_string().replace('\'', "'\\''");
    format!("if [ -x '{quoted}' ]; then exec '{quoted}' {DRIVER_ARGS}; else exec handoff {DRIVER_ARGS}; fi")
}

/// The driver's arguments: git substitutes base, ours, theirs and the path.
const DRIVER_ARGS: &str = "merge-driver %O %A %B %P";

/// The `.gitattributes` line that routes lead files to the merge driver.
pub const ATTRIBUTES: &str = "leads/**/*.yaml merge=handoff\n";

/// The git config file of the repository holding `dir`, found without running git
/// (read-only commands must stay cheap): walk up to `.git`, follow a `gitdir:` file and a
/// worktree's `commondir`.
fn config_path(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.ancestors().map(|d| d.join(".git")).find(|p| p.exists())?;
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
        if target.is_absolute() { target } else { dot_git.parent()?.join(target) }
    } else {
        dot_git
    };
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => git_dir.join(c.trim()),
        Err(_) => git_dir,
    };
    Some(common.join("config"))
}

/// Make sure the repository holding `root` has handoff's merge driver configured (a clone
/// does not carry config) and that it names an executable; an old PATH-only registration
/// is upgraded to `exe`'s absolute path. Returns whether it had to configure it. Reads the
/// config file; runs git only to change it.
pub fn ensure_merge_driver(root: &Path, exe: &Path) -> Result<bool> {
    let Some(config) = config_path(root) else { return Ok(false) };
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    if text.contains(&merge_driver(exe)) {
        return Ok(false);
    }
    if text.contains("[merge \"handoff\"]") {
        // Another working install's absolute path is left alone (two binaries on one machine).
        let configured = text
            .split("if [ -x '")
            .nth(1)
            .and_then(|rest| rest.split("' ]").next())
            .map(PathBuf::from)
            .filter(|p| is_executable(p));
        if configured.is_some() {
            return Ok(false);
        }
    }
    if !is_executable(exe) {
        return Ok(false);
    }
    configure_merge_driver(root, exe)?;
    Ok(true)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Register the merge driver (by `exe`'s absolute path) in the repository's local config.
pub fn configure_merge_driver(root: &Path, exe: &Path) -> Result<()> {
    run(git(root).args(["config", "--local", "merge.handoff.name", "handoff lead merge"]), "git config")?;
    run(git(root).args(["config", "--local", "merge.handoff.driver"]).arg(merge_driver(exe)), "git config")
}

/// The git directory of the repository holding `dir`, found without running git.
pub fn find_git_dir(dir: &Path) -> Option<PathBuf> {
    config_path(dir).and_then(|c| c.parent().map(Path::to_path_buf))
}

/// One commit that changed a file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileCommit {
    pub hash: String,
    pub author: String,
    pub email: String,
    pub date: String,
    pub subject: String,
}

/// The commits that changed `path` (relative to `top`), oldest first.
pub fn file_log(top: &Path, path: &str) -> Result<Vec<FileCommit>> {
    let out = git(top)
        .args(["log", "--reverse", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s", "--", path])
        .output()
        .context("cannot run git log")?;
    if !out.status.success() {
        bail!("git log failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\x1f');
            Some(FileCommit {
                hash: f.next()?.to_owned(),
                author: f.next()?.to_owned(),
                email: f.next()?.to_owned(),
                date: f.next()?.to_owned(),
                subject: f.next()?.to_owned(),
            })
        })
        .collect())
}

/// The commits that changed `path` (relative to `top`), oldest first, following renames
/// (`handoff migrate` moved flat lead files): each with the file's path in that commit.
pub fn file_log_follow(top: &Path, path: &str) -> Result<Vec<(FileCommit, String)>> {
    let out = git(top)
        .args(["log", "--follow", "--name-only", "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s", "--", path])
        .output()
        .context("cannot run git log")?;
    if !out.status.success() {
        bail!("git log failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut commits: Vec<(FileCommit, String)> = text
        .split('\x1e')
        .filter_map(|record| {
            let mut lines = record.lines();
            let mut f = lines.next()?.split('\x1f');
            let commit = FileCommit {
                hash: f.next()?.to_owned(),
                author: f.next()?.to_owned(),
                email: f.next()?.to_owned(),
                date: f.next()?.to_owned(),
                subject: f.next()?.to_owned(),
            };
            let at = lines.find(|l| !l.trim().is_empty()).unwrap_or(path).to_owned();
            Some((commit, at))
        })
        .collect();
    commits.reverse();
    Ok(commits)
}

/// A file's content at a commit.
pub fn show_file(top: &Path, hash: &str, path: &str) -> Option<String> {
    let out = git(top).arg("show").arg(format!("{hash}:{path}")).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Commit exactly `files` (paths relative to `root`), authored as `author`.
///
/// Only these paths are committed, so a user's unrelated staged or unstaged edits are
/// never swept up. The fast path (`fast_commit`) writes the objects itself and costs the
/// same at any workspace size; `git add` + `git commit --only` is the fallback for what
/// it does not handle (the first commit, SHA-256 repositories).
pub fn commit(root: &Path, files: &[String], author: &Author, message: &str) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    // One newline at the end, as `git commit -m` leaves a message: the commit's bytes are
    // the same whichever path below writes it.
    let message = &format!("{}\n", message.trim_end());
    // Many files (an import) go into one pack; a few are written in-process.
    let many = files.len() >= bulk::MANY;
    if !many && fast_commit::commit(root, files, author, message)? {
        return Ok(());
    }
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let stuck = if many { bulk::unmerged_among(root, files)? } else { unmerged(root, &refs)? };
    if !stuck.is_empty() {
        bail!(unmerged_message(&stuck));
    }
    if many && bulk::commit(root, files, author, message)? {
        return Ok(());
    }
    // The path list goes on stdin: an import or a migration names more files than an
    // argument list holds.
    let list: String = files.iter().map(|f| format!("{f}\n")).collect();
    let mut add = git(root);
    add.args(["add", "--pathspec-from-file=-"]);
    run_with_input(&mut add, list.as_bytes(), "git add")?;
    let mut commit = git(root);
    commit
        .args(["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "--only", "-m", message])
        .arg(format!("--author={} <{}>", author.name, author.email))
        .args(author.at.map(|at| format!("--date={at}")))
        .env("GIT_COMMITTER_NAME", committer_name(root, author))
        .env("GIT_COMMITTER_EMAIL", committer_email(root, author))
        .arg("--pathspec-from-file=-");
    run_with_input(&mut commit, list.as_bytes(), "git commit")
}

/// For tests: run git in `dir` (no system or user config, a fixed identity), asserting
/// success; its stdout.
#[cfg(test)]
pub(crate) fn test_git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Why a commit of unmerged paths is refused.
fn unmerged_message(paths: &[String]) -> String {
    format!("{} is unmerged; it is never staged as it is (that would drop the other side's events)", paths.join(", "))
}

fn run_with_input(cmd: &mut Command, input: &[u8], what: &str) -> Result<()> {
    output_with_input(cmd, input, what).map(drop)
}

/// Run `cmd` with `input` on its stdin (fed from another thread, so a full pipe either way
/// never blocks), returning its stdout; a failure names `what` with git's message.
fn output_with_input(cmd: &mut Command, input: &[u8], what: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    let mut stdin = child.stdin.take().with_context(|| format!("cannot talk to {what}"))?;
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().with_context(|| format!("cannot run {what}"))?;
    let fed = feeder.join();
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    if !matches!(fed, Ok(Ok(()))) {
        bail!("{what} stopped reading its input");
    }
    Ok(out.stdout)
}

// The committer is the machine's git identity when it has one; otherwise the author, so a
// fresh machine without user.name never fails a commit.
fn committer_name(root: &Path, author: &Author) -> String {
    std::env::var("GIT_COMMITTER_NAME")
        .ok()
        .or_else(|| config_value(root, "user.name"))
        .unwrap_or_else(|| author.name.to_owned())
}

fn committer_email(root: &Path, author: &Author) -> String {
    std::env::var("GIT_COMMITTER_EMAIL")
        .ok()
        .or_else(|| config_value(root, "user.email"))
        .unwrap_or_else(|| author.email.to_owned())
}

fn config_value(root: &Path, key: &str) -> Option<String> {
    let out = git(root).args(["config", "--get", key]).stderr(Stdio::null()).output().ok()?;
    let v = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !v.is_empty()).then_some(v)
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// `file`'s path relative to the work tree `top`, as git wants it.
pub fn relative_to(top: &Path, file: &Path) -> String {
    // Under `top` as written, with nothing to resolve: as is (an import names 100k files,
    // and resolving each costs a dozen system calls).
    if let Ok(rel) = file.strip_prefix(top)
        && rel.components().all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return rel.display().to_string();
    }
    let canon_top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    let canon = file
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.join(file.file_name().unwrap_or_default()))
        .unwrap_or_else(|| file.to_path_buf());
    canon.strip_prefix(&canon_top).unwrap_or(&canon).display().to_string()
}

// ---- Safety and sync: unmerged files, stale locks, hand edits, fetch/merge/push. ----

fn output(cmd: &mut Command, what: &str) -> Result<Output> {
    cmd.output().with_context(|| format!("cannot run {what}"))
}

fn stdout_of(cmd: &mut Command, what: &str) -> Result<String> {
    let out = output(cmd, what)?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The repository's git directory (`.git`, or a worktree's), absolute.
pub fn git_dir(top: &Path) -> Result<PathBuf> {
    let out = stdout_of(git(top).args(["rev-parse", "--absolute-git-dir"]), "git rev-parse")?;
    Ok(PathBuf::from(out.trim_end()))
}

/// Paths (relative to `top`) that the index holds unmerged, under `pathspec`.
pub fn unmerged(top: &Path, pathspec: &[&str]) -> Result<Vec<String>> {
    let out = stdout_of(git(top).args(["ls-files", "-u", "-z", "--"]).args(pathspec), "git ls-files")?;
    let mut paths: Vec<String> =
        out.split('\0').filter_map(|rec| rec.split_once('\t').map(|(_, p)| p.to_owned())).collect();
    paths.dedup();
    Ok(paths)
}

/// One stage of an unmerged path (1 base, 2 ours, 3 theirs), if the index holds it.
pub fn stage(top: &Path, n: u8, path: &str) -> Option<String> {
    let out = git(top).arg("show").arg(format!(":{n}:{path}")).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The blob each of `paths` (relative to `top`) has at HEAD (`None`: not in HEAD): read
/// in-process in a plain repository, else from `git cat-file --batch`.
pub fn head_blob_ids(top: &Path, paths: &[String]) -> Result<Vec<Option<ObjectId>>> {
    if let Some(ids) = fast_commit::head_blob_ids(top, paths)? {
        return Ok(ids);
    }
    Ok(head_contents(top, paths)?.into_iter().map(|c| c.map(|b| blob_id(&b))).collect())
}

/// The content of each of `paths` (relative to `top`) at HEAD (`None`: not in HEAD), from
/// one `git cat-file --batch`.
pub fn head_contents(top: &Path, paths: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
    use std::io::{Read, Write};
    let mut child = git(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file has no stdin")?;
    let input: String = paths.iter().map(|p| format!("HEAD:{p}\n")).collect();
    // Written from another thread: git answers while it reads, and a full pipe both ways
    // would wait forever.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .context("git cat-file has no stdout")?
        .read_to_end(&mut out)
        .context("cannot read git cat-file")?;
    child.wait().context("git cat-file")?;
    let _ = writer.join();
    let mut contents = Vec::with_capacity(paths.len());
    let mut rest = out.as_slice();
    for _ in paths {
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else { bail!("git cat-file stopped early") };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            contents.push(None);
            continue;
        }
        let size: usize = header.rsplit(' ').next().and_then(|n| n.parse().ok()).context("git cat-file: bad header")?;
        if rest.len() < size + 1 {
            bail!("git cat-file: short output");
        }
        contents.push(Some(rest[..size].to_vec()));
        rest = &rest[size + 1..];
    }
    Ok(contents)
}

/// Mark `paths` resolved (after writing their merged content).
pub fn add(top: &Path, paths: &[String]) -> Result<()> {
    stdout_of(git(top).args(["add", "--"]).args(paths), "git add").map(drop)
}

/// Files under `pathspec` whose work-tree content differs from HEAD (modified, added or
/// untracked), relative to `top`. Deleted files are not listed.
pub fn dirty(top: &Path, pathspec: &str) -> Result<Vec<String>> {
    let out = stdout_of(
        git(top).args(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", pathspec]),
        "git status",
    )?;
    Ok(out
        .split('\0')
        .filter(|rec| rec.len() > 3)
        .filter(|rec| !rec[..2].contains('D') && !rec[..2].contains('U'))
        .map(|rec| rec[3..].to_owned())
        .collect())
}

/// A lock file git left in `git_dir` (a commit killed with kill -9 leaves `index.lock`).
pub const LOCK_FILES: [&str; 2] = ["index.lock", "HEAD.lock"];

/// What a leftover lock turned out to be.
#[derive(Debug, PartialEq)]
pub enum LockCheck {
    /// No lock file.
    Free,
    /// A lock nobody holds: removed.
    Recovered(PathBuf),
    /// A git process may be using the repository (pid, or 0 when it cannot be told).
    Busy(PathBuf, u32),
}

/// Remove a lock file git left behind, when it is provably stale: no process on this machine
/// has it open, and no git process works in this repository. Otherwise report who may.
///
/// The caller holds the workspace lock, so no handoff command is running git here.
pub fn recover_stale_lock(top: &Path, git_dir: &Path) -> Result<LockCheck> {
    for name in LOCK_FILES {
        let lock = git_dir.join(name);
        if !lock.exists() {
            continue;
        }
        if let Some(pid) = git_process_in(top, git_dir, &lock) {
            return Ok(LockCheck::Busy(lock, pid));
        }
        std::fs::remove_file(&lock).with_context(|| format!("cannot remove the stale {}", lock.display()))?;
        return Ok(LockCheck::Recovered(lock));
    }
    Ok(LockCheck::Free)
}

/// A process that may be using the repository: one with `lock` open, or a git process whose
/// working directory is inside the work tree or the git directory, or one whose details we
/// cannot read (another user's: then we cannot prove anything, and say so with pid 0).
fn git_process_in(top: &Path, git_dir: &Path, lock: &Path) -> Option<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else { return Some(0) };
    let me = std::process::id();
    let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    let git_dir = git_dir.canonicalize().unwrap_or_else(|_| git_dir.to_path_buf());
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let dir = entry.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let is_git = comm.trim_end().starts_with("git");
        // Unreadable details (another user's process) prove nothing; a process that is gone
        // or a zombie holds nothing.
        let denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
        match std::fs::read_dir(dir.join("fd")) {
            Ok(fds) => {
                if fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == lock)) {
                    return Some(pid);
                }
            }
            Err(e) if denied(&e) && is_git => return Some(pid),
            Err(_) => {}
        }
        if is_git {
            match std::fs::read_link(dir.join("cwd")) {
                Ok(cwd) if cwd.starts_with(&top) || cwd.starts_with(&git_dir) => return Some(pid),
                Ok(_) => {}
                Err(e) if denied(&e) => return Some(pid),
                Err(_) => continue,
            }
            let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            if cmdline.split('\0').any(|a| Path::new(a).starts_with(&top)) {
                return Some(pid);
            }
        }
    }
    None
}

/// Who a commit made by handoff itself (a merge, a hand edit) is authored as.
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// The machine's git identity (`user.name`/`user.email` as git reads them for `top`).
pub fn machine_identity(top: &Path) -> Option<Identity> {
    Some(Identity { name: config_value(top, "user.name")?, email: config_value(top, "user.email")? })
}

fn with_identity(cmd: &mut Command, id: &Identity) {
    for (k, v) in [
        ("GIT_AUTHOR_NAME", &id.name),
        ("GIT_AUTHOR_EMAIL", &id.email),
        ("GIT_COMMITTER_NAME", &id.name),
        ("GIT_COMMITTER_EMAIL", &id.email),
    ] {
        if std::env::var_os(k).is_none() {
            cmd.env(k, v);
        }
    }
}

/// A git config value as git reads it for `top`, if set.
pub fn config_get(top: &Path, key: &str) -> Option<String> {
    config_value(top, key)
}

/// The current branch's name (`main`), if HEAD is on a branch.
pub fn current_branch(top: &Path) -> Option<String> {
    let out = git(top).args(["symbolic-ref", "--quiet", "--short", "HEAD"]).output().ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !name.is_empty()).then_some(name)
}

/// The commit a revision names, if it exists.
pub fn rev(top: &Path, rev: &str) -> Option<String> {
    let out = git(top).args(["rev-parse", "--verify", "--quiet"]).arg(format!("{rev}^{{commit}}")).output().ok()?;
    let hash = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !hash.is_empty()).then_some(hash)
}

/// The names of the repository's remotes.
pub fn remotes(top: &Path) -> Result<Vec<String>> {
    Ok(stdout_of(git(top).arg("remote"), "git remote")?.lines().map(str::to_owned).collect())
}

/// How many commits `a..b` holds (in `b`, not in `a`).
pub fn count(top: &Path, a: Option<&str>, b: &str) -> Result<u64> {
    let range = match a {
        Some(a) => format!("{a}..{b}"),
        None => b.to_owned(),
    };
    let out = stdout_of(git(top).args(["rev-list", "--count", &range]), "git rev-list")?;
    out.trim().parse().context("git rev-list --count printed no number")
}

/// Files that differ between two commits, under `pathspec`.
pub fn changed_files(top: &Path, a: &str, b: &str, pathspec: &str) -> Result<Vec<String>> {
    let out =
        stdout_of(git(top).args(["diff", "--name-only", "-z", "--no-renames", a, b, "--", pathspec]), "git diff")?;
    Ok(out.split('\0').filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

/// Why talking to a remote failed, as the user can act on it.
#[derive(Debug)]
pub enum RemoteError {
    /// The remote could not be reached (no network, wrong host, server down).
    Offline(String),
    /// The remote refused our credentials.
    Auth(String),
    /// The remote moved on since we fetched: fetch and merge again.
    Race(String),
    /// Anything else git said.
    Other(String),
}

impl RemoteError {
    fn classify(stderr: &str) -> RemoteError {
        let s = stderr.trim().to_owned();
        let l = s.to_lowercase();
        if ["[rejected]", "fetch first", "non-fast-forward", "[remote rejected]", "stale info", "cannot lock ref"]
            .iter()
            .any(|k| l.contains(k))
        {
            RemoteError::Race(s)
        } else if ["permission denied", "authentication failed", "could not read username", "access denied", "403"]
            .iter()
            .any(|k| l.contains(k))
        {
            RemoteError::Auth(s)
        } else if [
            "could not resolve host",
            "connection refused",
            "connection timed out",
            "network is unreachable",
            "unable to access",
            "could not read from remote repository",
            "does not appear to be a git repository",
            "no route to host",
        ]
        .iter()
        .any(|k| l.contains(k))
        {
            RemoteError::Offline(s)
        } else {
            RemoteError::Other(s)
        }
    }
}

/// Fetch `branch` and every machine's health ref from `remote`. `Ok(false)`: the remote has
/// no such branch yet (a fresh, empty repository).
pub fn fetch(top: &Path, remote: &str, branch: &str) -> Result<bool, RemoteError> {
    let mut cmd = git(top);
    cmd.args(["fetch", "--quiet", "--no-tags", remote])
        .arg(format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}"))
        .arg(format!("+{HEALTH_REFS}*:{REMOTE_HEALTH_REFS}*"))
        .env("GIT_TERMINAL_PROMPT", "0");
    let out = cmd.output().map_err(|e| RemoteError::Other(format!("cannot run git fetch: {e}")))?;
    if out.status.success() {
        return Ok(true);
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("couldn't find remote ref") {
        // An empty remote: fetch what it has of the health refs and go on.
        return Ok(false);
    }
    Err(RemoteError::classify(&err))
}

/// Push `branch` (and this machine's health ref, forced: it is ours alone) to `remote`.
pub fn push(top: &Path, remote: &str, branch: &str, health: Option<&str>) -> Result<(), RemoteError> {
    let mut cmd = git(top);
    cmd.args(["push", "--quiet", "--porcelain", remote])
        .arg(format!("refs/heads/{branch}:refs/heads/{branch}"))
        .env("GIT_TERMINAL_PROMPT", "0");
    if let Some(r) = health {
        cmd.arg(format!("+{r}:{r}"));
    }
    let out = cmd.output().map_err(|e| RemoteError::Other(format!("cannot run git push: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(RemoteError::classify(&text))
}

/// Make `branch` track `remote`'s branch of that name.
pub fn set_upstream(top: &Path, remote: &str, branch: &str) -> Result<()> {
    stdout_of(git(top).args(["config", &format!("branch.{branch}.remote"), remote]), "git config")?;
    stdout_of(
        git(top).args(["config", &format!("branch.{branch}.merge"), &format!("refs/heads/{branch}")]),
        "git config",
    )
    .map(drop)
}

/// What a merge of the remote branch did.
#[derive(Debug, PartialEq)]
pub enum Merged {
    /// Nothing to merge, or a fast-forward / merge commit made.
    Done,
    /// Files left unmerged (the merge is still in progress).
    Conflicts(Vec<String>),
}

/// Merge `upstream` into the current branch, never rebasing. The lead merge driver handles
/// `leads/`; the merge commit is made by `id` when the machine has no identity of its own.
pub fn merge(top: &Path, upstream: &str, message: &str, id: &Identity, at: Option<&str>) -> Result<Merged> {
    let mut cmd = git(top);
    cmd.args(["-c", "commit.gpgsign=false", "merge", "--no-edit", "--no-verify", "-m", message]).arg(upstream);
    with_identity(&mut cmd, id);
    if let Some(at) = at {
        cmd.env("GIT_AUTHOR_DATE", at);
    }
    let out = output(&mut cmd, "git merge")?;
    if out.status.success() {
        return Ok(Merged::Done);
    }
    let conflicts = unmerged(top, &[])?;
    if conflicts.is_empty() {
        bail!(
            "git merge failed: {}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(Merged::Conflicts(conflicts))
}

/// Conclude a merge whose conflicts have been resolved and added.
pub fn conclude_merge(top: &Path, id: &Identity, at: Option<&str>) -> Result<()> {
    let mut cmd = git(top);
    cmd.args(["-c", "commit.gpgsign=false", "commit", "--no-edit", "--no-verify", "--quiet"]);
    with_identity(&mut cmd, id);
    if let Some(at) = at {
        cmd.env("GIT_AUTHOR_DATE", at);
    }
    stdout_of(&mut cmd, "git commit").map(drop)
}

/// Abandon a merge in progress.
pub fn abort_merge(top: &Path) -> Result<()> {
    stdout_of(git(top).args(["merge", "--abort"]), "git merge --abort").map(drop)
}

/// Whether a merge is in progress (git wrote `MERGE_HEAD`).
pub fn merging(git_dir: &Path) -> bool {
    git_dir.join("MERGE_HEAD").exists()
}

/// Where every machine publishes its health (last sync, last escalate-check): one ref per
/// machine, pointing at a commit whose message is JSON. Not part of any branch's history.
pub const HEALTH_REFS: &str = "refs/handoff/health/";
/// Where `fetch` puts the other machines' health refs.
pub const REMOTE_HEALTH_REFS: &str = "refs/handoff/remote-health/";

/// Point `refname` at a new parentless commit holding `message` (an empty tree).
pub fn publish(top: &Path, refname: &str, message: &str, id: &Identity) -> Result<()> {
    let mut mktree = git(top);
    mktree.arg("mktree");
    let tree = stdout_of(&mut mktree, "git mktree")?;
    let mut commit = git(top);
    commit.args(["commit-tree", tree.trim(), "-m", message]);
    with_identity(&mut commit, id);
    let hash = stdout_of(&mut commit, "git commit-tree")?;
    stdout_of(git(top).args(["update-ref", refname, hash.trim()]), "git update-ref").map(drop)
}

/// The messages of the commits under `prefix` refs, by ref name.
pub fn ref_messages(top: &Path, prefix: &str) -> Result<Vec<(String, String)>> {
    let out = stdout_of(
        git(top).args(["for-each-ref", "--format=%(refname)%00%(contents)%00%00", prefix]),
        "git for-each-ref",
    )?;
    Ok(out
        .split("\0\0")
        .filter_map(|rec| {
            let (name, msg) = rec.trim_start_matches('\n').split_once('\0')?;
            Some((name.to_owned(), msg.trim().to_owned()))
        })
        .collect())
}

/// Clone `url` into `dir` (checking out `main` when the remote has it).
pub fn clone(url: &str, dir: &Path) -> Result<(), RemoteError> {
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-tags", "--origin", "origin", url])
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RemoteError::Other(format!("cannot run git clone: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(RemoteError::classify(&String::from_utf8_lossy(&out.stderr)))
}

/// Ahead/behind counts of HEAD against `upstream` (`None` when either is missing).
pub fn ahead_behind(top: &Path, upstream: &str) -> Option<(u64, u64)> {
    let out = git(top)
        .args(["rev-list", "--left-right", "--count"])
        .arg(format!("HEAD...{upstream}"))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut it = text.split_whitespace().map(|n| n.parse::<u64>().ok());
    Some((it.next()??, it.next()??))
}

#[cfg(test)]
mod remote_tests {
    use super::*;

    #[test]
    fn remote_errors_are_told_apart() {
        assert!(matches!(
            RemoteError::classify("fatal: unable to access 'https://x/': Could not resolve host: x"),
            RemoteError::Offline(_)
        ));
        assert!(matches!(
            RemoteError::classify(
                "git@x: Permission denied (publickey).\nfatal: Could not read from remote repository."
            ),
            RemoteError::Auth(_)
        ));
        assert!(matches!(
            RemoteError::classify(" ! [rejected]        main -> main (fetch first)"),
            RemoteError::Race(_)
        ));
        assert!(matches!(RemoteError::classify("fatal: something else"), RemoteError::Other(_)));
    }
}
