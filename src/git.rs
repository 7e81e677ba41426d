//! The only module that runs git. The audit log: every change a command makes is committed,
//! authored as the acting staff member.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Who a commit is authored as.
pub struct Author<'a> {
    pub name: &'a str,
    pub email: &'a str,
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

/// Commit exactly `files` (paths relative to `root`), authored as `author`.
///
/// Only these paths are staged and committed (`git commit --only`), so a user's unrelated
/// staged or unstaged edits are never swept up.
pub fn commit(root: &Path, files: &[String], author: &Author, message: &str) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut add = git(root);
    add.args(["add", "--"]).args(files);
    run(&mut add, "git add")?;
    let mut commit = git(root);
    commit
        .args(["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "--only", "-m", message])
        .arg(format!("--author={} <{}>", author.name, author.email))
        .env("GIT_COMMITTER_NAME", committer_name(author))
        .env("GIT_COMMITTER_EMAIL", committer_email(author))
        .arg("--")
        .args(files);
    run(&mut commit, "git commit")
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
