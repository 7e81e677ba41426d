//! Commits that cost the same at 100 leads and at a million: git's objects are written
//! here, and only the trees along the changed paths are rebuilt.
//!
//! `git commit` reads and rewrites the whole index (100k entries are ~10 MB: 0.3–0.9 s per
//! command, measured) and, with `--only`, builds a second temporary one. Here instead:
//! one `git rev-parse` (HEAD, the object directory), one `git cat-file --batch` (HEAD's
//! trees along the changed paths: `leads/`, `leads/YYYY/`, `leads/YYYY/MM/`), the new
//! blobs and trees written as loose objects in-process (SHA-1, zlib), `git commit-tree`,
//! `git update-ref` (locks, reflog, packed refs: git's job), and one `git update-index`
//! so the user's own `git status` stays clean (only the changed entries; the index is put
//! in split mode, so git rewrites a small file, not the 100k entries).
//!
//! Anything unusual (no commit yet, SHA-256 repository, alternate object directory, a
//! path git cannot take) answers `Ok(false)` and the caller falls back to `git commit`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::Author;

/// An index larger than this (about 10k entries) is put in split mode.
const SPLIT_ABOVE: u64 = 1 << 20;

/// A git object name (SHA-1).
type Oid = [u8; 20];

/// One entry of a tree: mode as git writes it (`100644`, `40000`, …) and the object.
#[derive(Clone, Debug, PartialEq)]
struct TreeEntry {
    mode: String,
    oid: Oid,
}

fn git(top: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(top).stdin(Stdio::null());
    cmd
}

/// Commit exactly `files` (paths relative to the work tree `top`, as they are on disk now;
/// a missing file is a deletion) on top of HEAD. `Ok(false)`: not done, use `git commit`.
pub fn commit(top: &Path, files: &[String], author: &Author, message: &str) -> Result<bool> {
    if std::env::var_os("GIT_OBJECT_DIRECTORY").is_some() || std::env::var_os("GIT_INDEX_FILE").is_some() {
        return Ok(false);
    }
    let out = git(top)
        .args([
            "rev-parse",
            "--show-object-format",
            "--git-path",
            "objects",
            "--git-path",
            "index",
            "--verify",
            "-q",
            "HEAD",
        ])
        .stderr(Stdio::null())
        .output()
        .context("cannot run git rev-parse")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (Some("sha1"), Some(objects), Some(index), Some(head)) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return Ok(false);
    };
    // A big index not yet in split mode is split once (git then keeps it so, re-splitting
    // by itself now and then); asking on every commit would rewrite the shared part each time.
    let split = std::fs::metadata(top.join(index)).is_ok_and(|m| m.len() > SPLIT_ABOVE);
    if !out.status.success() || head.len() != 40 {
        return Ok(false);
    }
    let objects = top.join(objects);
    let Some(paths) = files.iter().map(|f| split_path(f)).collect::<Option<Vec<_>>>() else { return Ok(false) };

    // Every directory along the changed paths, and HEAD's tree for each.
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for (dir, _) in &paths {
        let mut d = dir.as_str();
        loop {
            dirs.insert(d.to_owned());
            match d.rfind('/') {
                Some(i) => d = &d[..i],
                None if !d.is_empty() => d = "",
                None => break,
            }
        }
    }
    let dirs: Vec<String> = dirs.into_iter().collect();
    let mut trees = read_trees(top, head, &dirs)?;

    // New blobs, then each directory's new tree, deepest first.
    let mut written = Writer { objects, count: 0 };
    for ((dir, name), rel) in paths.iter().zip(files) {
        let tree = trees.entry(dir.clone()).or_default();
        match fs::read(top.join(rel)) {
            Ok(bytes) => {
                let oid = written.write("blob", &bytes)?;
                tree.insert(name.clone(), TreeEntry { mode: "100644".to_owned(), oid });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tree.remove(name);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {rel}")),
        }
    }
    let mut order = dirs.clone();
    order.sort_by_key(|d| std::cmp::Reverse(if d.is_empty() { 0 } else { d.matches('/').count() + 1 }));
    let mut root = None;
    for dir in order {
        let entries = trees.remove(&dir).unwrap_or_default();
        let oid = if entries.is_empty() && !dir.is_empty() {
            None
        } else {
            Some(written.write("tree", &tree_bytes(&entries))?)
        };
        if dir.is_empty() {
            root = oid;
            break;
        }
        let (parent, name) = match dir.rfind('/') {
            Some(i) => (dir[..i].to_owned(), dir[i + 1..].to_owned()),
            None => (String::new(), dir.clone()),
        };
        let parent = trees.entry(parent).or_default();
        match oid {
            Some(oid) => parent.insert(name, TreeEntry { mode: "40000".to_owned(), oid }),
            None => parent.remove(&name),
        };
    }
    let Some(root) = root else { return Ok(false) };

    let new = commit_tree(top, &hex(&root), head, author, message)?;
    // The index first, as `git add` then `git commit` would: if git is busy (its index is
    // locked), nothing is committed and the next command's commit picks the file up.
    sync_index(top, files, split)?;
    let mut update = git(top);
    update.args(["update-ref", "-m", &format!("commit: {}", message.lines().next().unwrap_or("")), "HEAD", &new, head]);
    run(&mut update, "git update-ref")?;
    Ok(true)
}

/// `dir/name` → (`dir`, `name`); `None` for a path git would not take as is.
fn split_path(rel: &str) -> Option<(String, String)> {
    if rel.is_empty()
        || rel.starts_with('/')
        || rel.split('/').any(|c| c.is_empty() || c == "." || c == ".." || c == ".git")
    {
        return None;
    }
    Some(match rel.rfind('/') {
        Some(i) => (rel[..i].to_owned(), rel[i + 1..].to_owned()),
        None => (String::new(), rel.to_owned()),
    })
}

/// HEAD's trees for `dirs` (`""` is the root), parsed; a directory HEAD lacks is empty.
fn read_trees(top: &Path, head: &str, dirs: &[String]) -> Result<BTreeMap<String, BTreeMap<String, TreeEntry>>> {
    let mut child = git(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut request = String::new();
    for d in dirs {
        if d.is_empty() {
            request.push_str(&format!("{head}^{{tree}}\n"));
        } else {
            request.push_str(&format!("{head}:{d}\n"));
        }
    }
    let mut stdin = child.stdin.take().context("cannot talk to git cat-file")?;
    // Feed on a thread: the answers may not fit in the pipe before all requests are read.
    let feeder = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = Vec::new();
    child.stdout.take().context("cannot talk to git cat-file")?.read_to_end(&mut out)?;
    let _ = feeder.join();
    if !child.wait()?.success() {
        bail!("git cat-file failed");
    }
    let mut trees = BTreeMap::new();
    let mut at = 0;
    for d in dirs {
        let end = out[at..].iter().position(|&b| b == b'\n').context("git cat-file: short answer")? + at;
        let header = std::str::from_utf8(&out[at..end]).context("git cat-file: bad answer")?;
        at = end + 1;
        let mut parts = header.split(' ');
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        let mut entries = BTreeMap::new();
        if kind == Some("missing") {
            trees.insert(d.clone(), entries);
            continue;
        }
        let size: usize = size.and_then(|s| s.parse().ok()).context("git cat-file: bad size")?;
        let body = out.get(at..at + size).context("git cat-file: short object")?;
        at += size + 1;
        if kind != Some("tree") {
            // A file where a directory should be: leave it to git commit to explain.
            bail!("{d} is not a directory in HEAD");
        }
        parse_tree(body, &mut entries)?;
        trees.insert(d.clone(), entries);
    }
    Ok(trees)
}

fn parse_tree(mut body: &[u8], entries: &mut BTreeMap<String, TreeEntry>) -> Result<()> {
    while !body.is_empty() {
        let sp = body.iter().position(|&b| b == b' ').context("bad tree")?;
        let nul = body.iter().position(|&b| b == 0).context("bad tree")?;
        let mode = std::str::from_utf8(&body[..sp])?.to_owned();
        let name = String::from_utf8(body[sp + 1..nul].to_vec())?;
        let oid: Oid = body.get(nul + 1..nul + 21).context("bad tree")?.try_into()?;
        entries.insert(name, TreeEntry { mode, oid });
        body = &body[nul + 21..];
    }
    Ok(())
}

/// A tree object's bytes: entries in git's order (a directory sorts as `name/`).
fn tree_bytes(entries: &BTreeMap<String, TreeEntry>) -> Vec<u8> {
    let mut sorted: Vec<(&String, &TreeEntry)> = entries.iter().collect();
    let key = |(name, e): &(&String, &TreeEntry)| {
        let mut k = name.as_bytes().to_vec();
        if e.mode == "40000" {
            k.push(b'/');
        }
        k
    };
    sorted.sort_by_cached_key(key);
    let mut out = Vec::with_capacity(entries.len() * 52);
    for (name, e) in sorted {
        out.extend_from_slice(e.mode.as_bytes());
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(&e.oid);
    }
    out
}

/// Writes loose objects the way git does: zlib-compressed, named by the SHA-1 of
/// `type size\0content`, temp file then rename, never replacing an existing object.
struct Writer {
    objects: PathBuf,
    count: usize,
}

impl Writer {
    fn write(&mut self, kind: &str, content: &[u8]) -> Result<Oid> {
        let mut raw = format!("{kind} {}\0", content.len()).into_bytes();
        raw.extend_from_slice(content);
        let oid = sha1_smol::Sha1::from(&raw).digest().bytes();
        let name = hex(&oid);
        let dir = self.objects.join(&name[..2]);
        let path = dir.join(&name[2..]);
        if path.exists() {
            return Ok(oid);
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 1);
        let tmp = dir.join(format!("tmp_obj_handoff_{}_{}", std::process::id(), self.count));
        self.count += 1;
        fs::write(&tmp, &packed)
            .and_then(|()| fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o444)))
            .and_then(|()| fs::rename(&tmp, &path))
            .with_context(|| format!("cannot write the git object {}", path.display()))?;
        Ok(oid)
    }
}

fn hex(oid: &Oid) -> String {
    oid.iter().map(|b| format!("{b:02x}")).collect()
}

/// `git commit-tree`: git fills in the committer (identity, clock) as `git commit` would;
/// on a machine without a git identity the author commits.
fn commit_tree(top: &Path, tree: &str, parent: &str, author: &Author, message: &str) -> Result<String> {
    let attempt = |committer: Option<(&str, &str)>| -> Result<std::process::Output> {
        let mut cmd = git(top);
        cmd.args(["commit-tree", "--no-gpg-sign", tree, "-p", parent, "-F", "-"])
            .env("GIT_AUTHOR_NAME", author.name)
            .env("GIT_AUTHOR_EMAIL", author.email)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(at) = author.at {
            cmd.env("GIT_AUTHOR_DATE", at);
        }
        if let Some((name, email)) = committer {
            cmd.env("GIT_COMMITTER_NAME", name).env("GIT_COMMITTER_EMAIL", email);
        }
        let mut child = cmd.spawn().context("cannot run git commit-tree")?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(message.as_bytes()).context("cannot write to git commit-tree")?;
        }
        Ok(child.wait_with_output()?)
    };
    let mut out = attempt(None)?;
    if !out.status.success() {
        out = attempt(Some((author.name, author.email)))?;
    }
    if !out.status.success() {
        bail!("git commit-tree failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Bring the user's index in step with the new HEAD for `files` (hashing them again fills
/// in the stat data, so `git status` stays clean and fast). Split index mode keeps this a
/// small write however many leads the workspace has.
fn sync_index(top: &Path, files: &[String], split: bool) -> Result<()> {
    let mut child = git(top)
        .arg("update-index")
        .args(split.then_some("--split-index"))
        .args(["--add", "--remove", "-z", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git update-index")?;
    let mut list = Vec::new();
    for f in files {
        list.extend_from_slice(f.as_bytes());
        list.push(0);
    }
    let mut stdin = child.stdin.take().context("cannot talk to git update-index")?;
    let feeder = std::thread::spawn(move || stdin.write_all(&list));
    let out = child.wait_with_output()?;
    let _ = feeder.join();
    if !out.status.success() {
        bail!("git update-index failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_sort_directories_as_if_slashed() {
        let mut entries = BTreeMap::new();
        entries.insert("a.b".to_owned(), TreeEntry { mode: "100644".to_owned(), oid: [1; 20] });
        entries.insert("a".to_owned(), TreeEntry { mode: "40000".to_owned(), oid: [2; 20] });
        let bytes = tree_bytes(&entries);
        // "a.b" < "a/" because '.' (0x2e) < '/' (0x2f).
        assert!(bytes.starts_with(b"100644 a.b\0"));
        let mut back = BTreeMap::new();
        parse_tree(&bytes, &mut back).unwrap();
        assert_eq!(back, entries);
    }

    #[test]
    fn odd_paths_are_left_to_git() {
        assert!(split_path("leads/2026/11/x.yaml").is_some());
        assert!(split_path("../x").is_none());
        assert!(split_path("a//b").is_none());
        assert!(split_path(".git/config").is_none());
    }
}
