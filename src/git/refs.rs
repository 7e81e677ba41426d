//! HEAD's branch moved in-process, as `git update-ref -m MSG HEAD NEW OLD` does with the
//! files backend: `HEAD.lock` and the branch's lock taken, the old value checked (loose or
//! packed), both reflogs appended, the branch written. Only when HEAD is a branch whose
//! reflogs exist and no `reference-transaction` hook may run; otherwise `Ok(false)` and
//! git does it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::ident::Ident;
use super::lock::LockFile;
use super::objects::{Oid, hex, parse_hex};
use super::plain::Plain;

/// The branch HEAD names (`refs/heads/...`), if it is one with a name git would take.
pub fn head_branch(git_dir: &Path) -> Result<Option<String>> {
    let head = fs::read_to_string(git_dir.join("HEAD")).context("cannot read .git/HEAD")?;
    let Some(target) = head.strip_prefix("ref: ").map(|t| t.trim_end_matches('\n')) else { return Ok(None) };
    let plain_name = target.starts_with("refs/heads/")
        && target.split('/').all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
        && !target.contains("..")
        && target.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    Ok(plain_name.then(|| target.to_owned()))
}

/// A ref's value: its loose file, else its line in `packed-refs`. `None` too for a ref
/// that is not a plain object name (a symbolic ref, a directory in its place).
pub fn read_ref(git_dir: &Path, name: &str) -> Result<Option<Oid>> {
    let loose = git_dir.join(name);
    match fs::symlink_metadata(&loose) {
        Ok(m) if m.is_file() => {
            let text = fs::read_to_string(&loose).with_context(|| format!("cannot read {name}"))?;
            return Ok(parse_hex(text.trim_end_matches('\n')));
        }
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {name}")),
    }
    let packed = match fs::read_to_string(git_dir.join("packed-refs")) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("cannot read packed-refs"),
    };
    Ok(packed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .find_map(|l| l.split_once(' ').filter(|(_, n)| *n == name).and_then(|(oid, _)| parse_hex(oid))))
}

/// git's `copy_reflog_msg`: runs of blanks become one space, none at either end.
fn reflog_message(msg: &str) -> String {
    msg.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Move HEAD's branch from `old` to `new`, logged as `committer` with `message`.
/// `Ok(false)`: not a case handled here; nothing was changed.
pub fn update_head(repo: &Plain, new: &Oid, old: &Oid, committer: &Ident, message: &str) -> Result<bool> {
    let git_dir = repo.git_dir.as_path();
    let Some(branch) = head_branch(git_dir)? else { return Ok(false) };
    let ref_path = git_dir.join(&branch);
    let logs = [git_dir.join("logs").join(&branch), git_dir.join("logs/HEAD")];
    // (A packed branch's directory may be gone, `git pack-refs --prune`: git makes it.)
    if repo.has_hook("reference-transaction")
        || logs.iter().any(|l| !l.is_file())
        || !ref_path.parent().is_some_and(Path::is_dir)
        || fs::symlink_metadata(&ref_path).is_ok_and(|m| !m.file_type().is_file())
    {
        return Ok(false);
    }
    let head_lock = LockFile::take(&git_dir.join("HEAD"), &repo.writes)?;
    if head_branch(git_dir)?.as_deref() != Some(branch.as_str()) {
        bail!("HEAD moved to another branch while committing; run the command again");
    }
    let mut lock = LockFile::take(&ref_path, &repo.writes)?;
    let current = read_ref(git_dir, &branch)?;
    if current != Some(*old) {
        bail!(
            "cannot lock ref 'HEAD': is at {} but expected {}",
            current.as_ref().map_or_else(|| "nothing".to_owned(), hex),
            hex(old)
        );
    }
    lock.write(format!("{}\n", hex(new)).as_bytes())?;
    let line = format!("{} {} {}\t{}\n", hex(old), hex(new), committer.line(), reflog_message(message));
    for log in &logs {
        OpenOptions::new()
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .with_context(|| format!("unable to append to '{}'", log.display()))?;
    }
    lock.commit()?;
    drop(head_lock);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflog_messages_are_squeezed_as_git_does() {
        assert_eq!(reflog_message("  commit:  note x:\tadded a note \n"), "commit: note x: added a note");
    }
}
