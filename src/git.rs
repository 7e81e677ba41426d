//! The only module that runs git. The audit log: every change a command makes is committed,
//! authored as the acting staff member.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

mod fast_commit;

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

/// The top of the git work tree holding `dir`, if any.
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let out = git(dir).args(["rev-parse", "--show-toplevel"]).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(top.trim_end()))
}

/// Create a repository in `dir`.
pub fn init(dir: &Path) -> Result<()> {
    run(git(dir).args(["init", "--quiet"]), "git init")
}

/// The merge driver git runs for lead files (`leads/**/*.yaml`) (see `.gitattributes`). `handoff` is found
/// on PATH, as git finds its other helpers, so the same config works on every machine.
pub const MERGE_DRIVER: &str = "handoff merge-driver %O %A %B %P";

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
/// does not carry config). Returns whether it had to configure it. Runs git only then.
pub fn ensure_merge_driver(root: &Path) -> Result<bool> {
    let Some(config) = config_path(root) else { return Ok(false) };
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    if text.contains("[merge \"handoff\"]") {
        return Ok(false);
    }
    configure_merge_driver(root)?;
    Ok(true)
}

/// Register the merge driver in the repository's local config.
pub fn configure_merge_driver(root: &Path) -> Result<()> {
    run(git(root).args(["config", "--local", "merge.handoff.name", "handoff lead merge"]), "git config")?;
    run(git(root).args(["config", "--local", "merge.handoff.driver", MERGE_DRIVER]), "git config")
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
    if fast_commit::commit(root, files, author, message)? {
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
        .env("GIT_COMMITTER_NAME", committer_name(author))
        .env("GIT_COMMITTER_EMAIL", committer_email(author))
        .arg("--pathspec-from-file=-");
    run_with_input(&mut commit, list.as_bytes(), "git commit")
}

fn run_with_input(cmd: &mut Command, input: &[u8], what: &str) -> Result<()> {
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
    let _ = feeder.join();
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

// The committer is the machine's git identity when it has one; otherwise the author, so a
// fresh machine without user.name never fails a commit.
fn committer_name(author: &Author) -> String {
    std::env::var("GIT_COMMITTER_NAME")
        .ok()
        .or_else(|| config_value("user.name"))
        .unwrap_or_else(|| author.name.to_owned())
}

fn committer_email(author: &Author) -> String {
    std::env::var("GIT_COMMITTER_EMAIL")
        .ok()
        .or_else(|| config_value("user.email"))
        .unwrap_or_else(|| author.email.to_owned())
}

fn config_value(key: &str) -> Option<String> {
    let out = Command::new("git").args(["config", "--get", key]).stderr(Stdio::null()).output().ok()?;
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
