//! Commits of many files at once (an import of 100k leads): the blobs go into one pack,
//! not one loose object (a file, an inode) per blob, and nothing is quadratic in the
//! number of files.
//!
//! The pack is written here (each blob zlib-compressed, no deltas: `git gc` finds those
//! later) and handed to `git index-pack --stdin`, which checks every object, stores the
//! pack and writes its index, as it does for a `git fetch`. The trees come from a scratch
//! index: `git read-tree HEAD`, `git update-index --index-info` with the new blobs, `git
//! write-tree`. Then `git commit-tree`, one `git update-index` of the user's index over the
//! paths (each file hashed again, not written: that fills in the stat data, so `git status`
//! stays clean), and `git update-ref` (the reflog says `commit:` as `git commit` would).
//!
//! (Measured at 100k files: `git fast-import` and `git update-index` with
//! `core.bigFileThreshold` both take over a minute; each searches a list per file.)
//!
//! Anything unusual (no commit yet, a SHA-256 repository, a path git would not take as
//! is) answers `Ok(false)`, having changed nothing, and the caller commits the plain way.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::objects::{Kind, Oid, adler32, hex, object_id};
use super::{Author, output_with_input, run, stdout_of};

/// From how many files a commit takes this path: below it, loose objects cost less than a
/// pack and a few more git processes.
pub const MANY: usize = 1000;

fn git(top: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(top).stdin(Stdio::null());
    cmd
}

/// Of `files` (relative to `top`), those the index holds unmerged: one `git ls-files -u`
/// over the whole index, as a list of 100k paths would not fit in an argument list.
pub fn unmerged_among(top: &Path, files: &[String]) -> Result<Vec<String>> {
    let out = git(top).args(["ls-files", "-u", "-z"]).output().context("cannot run git ls-files")?;
    if !out.status.success() {
        bail!("git ls-files failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let wanted: HashSet<&str> = files.iter().map(String::as_str).collect();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut stuck: Vec<String> = text
        .split('\0')
        .filter_map(|rec| rec.split_once('\t').map(|(_, p)| p))
        .filter(|p| wanted.contains(p))
        .map(str::to_owned)
        .collect();
    stuck.dedup();
    Ok(stuck)
}

/// Commit exactly `files` (paths relative to the work tree `top`, as they are on disk now;
/// a missing file is a deletion) on top of HEAD, authored as `author`. `Ok(false)`: not
/// done, nothing changed; commit the plain way.
pub fn commit(top: &Path, files: &[String], author: &Author, message: &str) -> Result<bool> {
    if std::env::var_os("GIT_INDEX_FILE").is_some()
        || std::env::var_os("GIT_OBJECT_DIRECTORY").is_some()
        || !files.iter().all(|f| plain_path(f))
    {
        return Ok(false);
    }
    let out = git(top)
        .args(["rev-parse", "--show-object-format", "--absolute-git-dir", "--verify", "-q", "HEAD"])
        .stderr(Stdio::null())
        .output()
        .context("cannot run git rev-parse")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (Some("sha1"), Some(git_dir), Some(head)) = (lines.next(), lines.next(), lines.next()) else {
        return Ok(false);
    };
    if !out.status.success() || head.len() != 40 {
        return Ok(false);
    }

    let (pack, blobs) = pack(top, files)?;
    if !blobs.is_empty() {
        index_pack(top, &pack)?;
    }
    drop(pack);
    let tree = write_tree(top, Path::new(git_dir), head, files, &blobs)?;
    let new = commit_tree(top, &tree, head, author, message)?;
    // The index first, as `git add` then `git commit` would: if git is busy (its index is
    // locked), nothing is committed and the next command's commit picks the files up.
    sync_index(top, files)?;
    let reflog = format!("commit: {}", message.lines().next().unwrap_or(""));
    run(git(top).args(["update-ref", "-m", &reflog, "HEAD", &new, head]), "git update-ref")?;
    Ok(true)
}

/// A path git takes as it is in every list used here: no control character (a line
/// break would end an `--index-info` line), no leading `"` (which asks git to unquote it),
/// and no empty, `.`, `..` or `.git` component.
fn plain_path(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.starts_with(['/', '"'])
        && !rel.chars().any(char::is_control)
        && !rel.split('/').any(|c| c.is_empty() || c == "." || c == ".." || c == ".git")
}

/// A pack of `files`' contents (version 2, whole objects) and, per file, its blob's name
/// (`None`: the file is gone). The files are read and hashed on every core.
fn pack(top: &Path, files: &[String]) -> Result<(Vec<u8>, Vec<Option<Oid>>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Result<PackPart>> = std::thread::scope(|s| {
        let handles: Vec<_> = files.chunks(chunk).map(|part| s.spawn(move || pack_part(top, part))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut pack = Vec::new();
    pack.extend_from_slice(b"PACK");
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&[0; 4]); // the count, once known
    let mut blobs = Vec::with_capacity(files.len());
    for part in parts {
        let mut part = part?;
        pack.append(&mut part.body);
        blobs.append(&mut part.blobs);
    }
    let count = u32::try_from(blobs.iter().flatten().count()).context("too many files for one pack")?;
    pack[8..12].copy_from_slice(&count.to_be_bytes());
    let sum = sha1_smol::Sha1::from(&pack).digest().bytes();
    pack.extend_from_slice(&sum);
    Ok((pack, blobs))
}

/// The packed objects of some of the files, in order, and their names.
struct PackPart {
    body: Vec<u8>,
    blobs: Vec<Option<Oid>>,
}

fn pack_part(top: &Path, files: &[String]) -> Result<PackPart> {
    let mut part = PackPart { body: Vec::new(), blobs: Vec::with_capacity(files.len()) };
    for rel in files {
        let bytes = match std::fs::read(top.join(rel)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                part.blobs.push(None);
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {rel}")),
        };
        part.blobs.push(Some(object_id(Kind::Blob, &bytes)));
        // The object's header: type 3 (blob) and its size, four bits then seven a byte.
        let mut size = bytes.len();
        let mut byte = (3 << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            part.body.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        part.body.push(byte);
        zlib_stored(&bytes, &mut part.body);
    }
    Ok(part)
}

/// `data` as a zlib stream of stored (uncompressed) blocks. Lead files are a few hundred
/// bytes, which deflate shrinks by a third at a cost of 25-90 µs each (a compressor's
/// tables cleared per file): 100k of them would take seconds. `git gc` compresses them
/// later, as deltas.
fn zlib_stored(data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(&[data]).to_be_bytes());
}

/// Store `pack` in the repository: `git index-pack --stdin` checks it and writes it with
/// its index into the object directory.
fn index_pack(top: &Path, pack: &[u8]) -> Result<()> {
    output_with_input(git(top).args(["index-pack", "--stdin"]), pack, "git index-pack").map(drop)
}

/// The root tree of HEAD with `files` replaced by `blobs` (or removed), built in a
/// scratch index so the user's own index is never touched by it.
fn write_tree(top: &Path, git_dir: &Path, head: &str, files: &[String], blobs: &[Option<Oid>]) -> Result<String> {
    let scratch = ScratchIndex(git_dir.join(format!("handoff-bulk-index-{}", std::process::id())));
    let _ = std::fs::remove_file(&scratch.0);
    let with_index = |args: &[&str]| {
        let mut cmd = git(top);
        cmd.env("GIT_INDEX_FILE", &scratch.0).args(args);
        cmd
    };
    run(&mut with_index(&["read-tree", head]), "git read-tree")?;
    // In the index's order: each entry then goes at the end, not into the middle.
    let mut entries: Vec<(&String, &Option<Oid>)> = files.iter().zip(blobs).collect();
    entries.sort_unstable_by_key(|(rel, _)| rel.as_bytes());
    let mut info = String::with_capacity(files.len() * 100);
    for (rel, blob) in entries {
        let (mode, oid) = blob.as_ref().map_or(("0", [0; 20]), |oid| ("100644", *oid));
        info.push_str(&format!("{mode} {}\t{rel}\n", hex(&oid)));
    }
    output_with_input(&mut with_index(&["update-index", "--index-info"]), info.as_bytes(), "git update-index")?;
    let tree = stdout_of(&mut with_index(&["write-tree"]), "git write-tree")?;
    Ok(tree.trim().to_owned())
}

/// The scratch index file, removed however `write_tree` ends.
struct ScratchIndex(PathBuf);

impl Drop for ScratchIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("lock"));
    }
}

/// `git commit-tree`: authored as `author`, committed by the machine's git identity, or
/// the author on a machine without one (as `git::commit`'s fallback does).
fn commit_tree(top: &Path, tree: &str, parent: &str, author: &Author, message: &str) -> Result<String> {
    let mut cmd = git(top);
    cmd.args(["commit-tree", "--no-gpg-sign", tree, "-p", parent, "-F", "-"])
        .env("GIT_AUTHOR_NAME", author.name)
        .env("GIT_AUTHOR_EMAIL", author.email)
        .env("GIT_COMMITTER_NAME", super::committer_name(top, author))
        .env("GIT_COMMITTER_EMAIL", super::committer_email(top, author));
    if let Some(at) = author.at {
        cmd.env("GIT_AUTHOR_DATE", at);
    }
    let out = output_with_input(&mut cmd, message.as_bytes(), "git commit-tree")?;
    Ok(String::from_utf8_lossy(&out).trim().to_owned())
}

/// Bring the user's index in step with the new HEAD for `files`: each file is hashed again
/// (not written: the pack holds it), which fills in the stat data `git status` checks.
fn sync_index(top: &Path, files: &[String]) -> Result<()> {
    let mut sorted: Vec<&String> = files.iter().collect();
    sorted.sort_unstable_by_key(|f| f.as_bytes());
    let mut list = Vec::with_capacity(files.len() * 40);
    for f in sorted {
        list.extend_from_slice(f.as_bytes());
        list.push(0);
    }
    let mut cmd = git(top);
    cmd.args(["update-index", "--add", "--remove", "--info-only", "-z", "--stdin"]);
    output_with_input(&mut cmd, &list, "git update-index").map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_zlib_inflates_to_the_data() {
        for len in [0, 1, 312, 0xffff, 0x1_0000, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut z = Vec::new();
            zlib_stored(&data, &mut z);
            assert_eq!(miniz_oxide::inflate::decompress_to_vec_zlib(&z).unwrap(), data, "{len} bytes");
        }
    }

    #[test]
    fn only_plain_paths_take_the_bulk_path() {
        assert!(plain_path("leads/2026/11/20261124-k3f9qx2ab.yaml"));
        assert!(plain_path("Our Office/leads/2026/11/20261124-k3f9qx2ab.yaml"));
        for odd in ["", "/abs", "a//b", "../x", ".git/config", "\"quoted\"", "new\nline", "tab\there"] {
            assert!(!plain_path(odd), "{odd:?}");
        }
    }
}
