//! Commits that cost the same at 100 leads and at a million: only what changed is written.
//!
//! `git commit` reads and rewrites the whole index (100k entries are ~10 MB: 0.3–0.9 s per
//! command, measured), and each git process costs milliseconds. In a plain repository
//! (`plain.rs`) no git process runs at all: HEAD and its trees along the changed paths
//! (`leads/`, `leads/YYYY/`, `leads/YYYY/MM/`) are read in-process (`objects.rs`: loose
//! objects and packs), the new blobs, trees and the commit written as loose objects, the
//! committer named as git would (`ident.rs`), the split index updated for the committed
//! paths only (`index.rs`), and HEAD's branch moved with its reflogs (`refs.rs`). The index
//! and the objects are two independent jobs, done on two threads.
//!
//! Each step falls back to git on its own when the repository is not in a shape understood
//! here: `git cat-file --batch` for trees not found, `git ls-files -u` and
//! `git update-index` for an index that is not a split index of a known shape (a big one is
//! then put in split mode), `git commit-tree` when the committer is not known for sure,
//! `git update-ref` for a detached HEAD, missing reflogs or hooks. Outside a plain
//! repository, git reads HEAD and the object format (`git rev-parse`) too.
//!
//! Anything more unusual (no commit yet, SHA-256 repository, a path git cannot take, an
//! executable or a symbolic link, an index entry flagged assume-unchanged or
//! skip-worktree, a hook `git commit` runs) answers `Ok(false)` and the caller falls back
//! to `git commit`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::config;
use super::ident::{self, Ident};
use super::index::{Entry, Opened, SplitIndex};
use super::objects::{Kind, Object, Odb, Oid, hex, object_id, parse_hex};
use super::plain::{Plain, Writes};
use super::refs;
use super::{Author, git, run, run_with_input, stdout_of};

/// An index larger than this (about 10k entries) is put in split mode.
const SPLIT_ABOVE: u64 = 1 << 20;

/// The hooks `git commit --no-verify` runs (it skips pre-commit and commit-msg only).
const COMMIT_HOOKS: [&str; 2] = ["prepare-commit-msg", "post-commit"];

/// The mode of a directory in a tree object.
const DIR_MODE: &str = "40000";
/// The mode of the files handoff commits.
const FILE_MODE: &str = "100644";

/// A committed file as found on disk: its stat data (taken before its content was read)
/// and its blob, written. `None`: the file is gone (a deletion).
type Found = Option<(fs::Metadata, Oid)>;

/// Commit exactly `files` (paths relative to the work tree `top`, as they are on disk now;
/// a missing file is a deletion) on top of HEAD. `Ok(false)`: not done, use `git commit`.
pub fn commit(top: &Path, files: &[String], author: &Author, message: &str) -> Result<bool> {
    let Some(paths) = files.iter().map(|f| split_path(f)).collect::<Option<Vec<_>>>() else { return Ok(false) };
    match Plain::open(top) {
        // Stored otherwise than as its bytes (end of lines, filters), or a hook that
        // `git commit --no-verify` still runs: `git add` and `git commit` do it.
        Some(repo) if repo.converts(&dirs_along(&paths)) || COMMIT_HOOKS.iter().any(|h| repo.has_hook(h)) => Ok(false),
        Some(repo) => commit_plain(&repo, files, &paths, author, message),
        None => commit_via_git(top, files, &paths, author, message),
    }
}

/// The blob each of `paths` has at HEAD (`None`: not in HEAD), read in-process.
/// `Ok(None)`: not a plain repository, or an object is not here; ask git.
pub fn head_blob_ids(top: &Path, paths: &[String]) -> Result<Option<Vec<Option<Oid>>>> {
    let Some(repo) = Plain::open(top) else { return Ok(None) };
    let Some(head) = repo.head()? else { return Ok(None) };
    let Some(split) = paths.iter().map(|p| split_path(p)).collect::<Option<Vec<_>>>() else { return Ok(None) };
    let odb = Odb::new(repo.objects());
    let Some(trees) = trees_in_process(&odb, &head, &dirs_along(&split))? else { return Ok(None) };
    let mut ids = Vec::with_capacity(paths.len());
    for (dir, name) in &split {
        let found = match trees.get(dir) {
            Some(raw) => find_entry(&raw.1, name)?,
            None => None,
        };
        ids.push(found.filter(|(mode, _)| mode != DIR_MODE).map(|(_, oid)| oid));
    }
    Ok(Some(ids))
}

/// Each file's stat data, and its blob written to `odb` (one at a time: an import commits
/// 100k files). `None` when one is neither a regular non-executable file nor missing
/// (git commit handles those).
fn read_files(top: &Path, files: &[String], odb: &Odb, how: &Writes) -> Result<Option<Vec<Found>>> {
    let mut found = Vec::with_capacity(files.len());
    let mut bytes = Vec::new();
    for rel in files {
        let path = top.join(rel);
        let mut file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                found.push(None);
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {rel}")),
        };
        let link = fs::symlink_metadata(&path).with_context(|| format!("cannot read {rel}"))?;
        let meta = file.metadata().with_context(|| format!("cannot read {rel}"))?;
        if !link.file_type().is_file() || std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0 {
            return Ok(None);
        }
        bytes.clear();
        file.read_to_end(&mut bytes).with_context(|| format!("cannot read {rel}"))?;
        found.push(Some((meta, odb.write(Kind::Blob, &bytes, how)?)));
    }
    Ok(Some(found))
}

fn commit_plain(
    repo: &Plain,
    files: &[String],
    paths: &[(String, String)],
    author: &Author,
    message: &str,
) -> Result<bool> {
    let Some(head) = repo.head()? else { return Ok(false) };
    let top = repo.top.as_path();
    let odb = Odb::new(repo.objects());
    let Some(found) = read_files(top, files, &odb, &repo.writes)? else { return Ok(false) };
    // Two independent jobs, on two cores: the index (lock, read, locate the paths) and the
    // new objects (HEAD's trees, rebuilt, compressed and written).
    std::thread::scope(|s| -> Result<bool> {
        let index_job = s.spawn(|| SplitIndex::open(top, &repo.git_dir, &repo.writes, files));
        let dirs = dirs_along(paths);
        let trees = match trees_in_process(&odb, &head, &dirs)? {
            Some(t) => t,
            None => read_trees(top, &hex(&head), &dirs)?,
        };
        let Some((root, objects)) = plan_objects(trees, paths, &found)? else { return Ok(false) };
        let how = &repo.writes;
        let odb = &odb;
        let store_job = s.spawn(move || -> Result<()> {
            for (kind, content, oid) in &objects {
                odb.store(*kind, content, oid, how)?;
            }
            Ok(())
        });
        let mut index = index_job.join().map_err(|_| anyhow::anyhow!("reading the git index failed"))??;
        let (stuck, flagged) = match &index {
            Opened::Ready(ix) => (ix.unmerged(files), files.iter().any(|f| ix.has_special_flags(f))),
            Opened::Git { .. } => index_says(top, files)?,
        };
        if !stuck.is_empty() {
            let _ = store_job.join();
            bail!(super::unmerged_message(&stuck));
        }
        // Flags `git add` handles its own way (and `git update-index` otherwise).
        if flagged {
            return Ok(false);
        }
        // A hook git runs when it writes the index.
        if matches!(index, Opened::Ready(_)) && repo.has_hook("post-index-change") {
            index = Opened::Git { resplit: false };
        }
        // The committer as git would name it, read from its config files; else git names it.
        let committer = ident::committer(&repo.config);
        let written = match &committer {
            Some(c) => write_commit(odb, how, &root, &head, author, c, message)?,
            None => None,
        };
        let staged = match index {
            Opened::Ready(mut ix) => {
                let entries = files.iter().zip(&found);
                ix.set_all(
                    entries.map(|(rel, f)| (rel.as_str(), f.as_ref().map(|(m, oid)| Entry::for_file(rel, m, *oid)))),
                );
                // The new index waits in its lock file while HEAD moves, as with `git commit`.
                Ok(ix.stage()?)
            }
            Opened::Git { resplit } => Err(resplit),
        };
        store_job.join().map_err(|_| anyhow::anyhow!("writing git objects failed"))??;
        let new = match written {
            Some(oid) => oid,
            None => parse_hex(&commit_tree(top, &hex(&root), &hex(&head), author, message)?)
                .context("git commit-tree printed no commit")?,
        };
        let move_head = || -> Result<()> {
            if let (Some(c), Some(_)) = (&committer, written)
                && refs::update_head(repo, &new, &head, c, &reflog_message(message))?
            {
                return Ok(());
            }
            update_ref(top, &hex(&new), &hex(&head), message)
        };
        match staged {
            Ok(staged) => {
                move_head()?;
                staged.commit()?;
            }
            Err(resplit) => {
                sync_index(top, files, resplit)?;
                move_head()?;
            }
        }
        let auto = repo.config.get("gc", "auto").map(|e| e.value.as_deref().and_then(config::int));
        gc_if_due(top, &repo.objects(), auto.unwrap_or(Some(GC_AUTO)).unwrap_or(GC_AUTO));
        Ok(true)
    })
}

/// git's default `gc.auto`: about this many loose objects call for a repack.
const GC_AUTO: i64 = 6700;

/// What `git commit` does after committing: start `git gc --auto` (in the background, as
/// it detaches) when the loose objects may be more than `auto` — estimated the way git
/// does, from the objects whose names start with `17`. Commits made here write loose
/// objects like any other; without this, only a `git commit` or a sync's merge would
/// ever pack them.
fn gc_if_due(top: &Path, objects: &Path, auto: i64) {
    if auto <= 0 {
        return;
    }
    let threshold = usize::try_from(auto).unwrap_or(usize::MAX).div_ceil(256);
    let Ok(dir) = fs::read_dir(objects.join("17")) else { return };
    let loose = dir
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.len() == 38 && n.bytes().all(|b| b.is_ascii_hexdigit())))
        .take(threshold + 1)
        .count();
    if loose > threshold {
        let _ = git(top).args(["gc", "--auto", "--quiet"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    }
}

/// The commit object `git commit-tree` would write for `tree` on `parent`, written here.
/// `None`: the author is one git would write otherwise (or refuse); git writes it.
fn write_commit(
    odb: &Odb,
    how: &Writes,
    tree: &Oid,
    parent: &Oid,
    author: &Author,
    committer: &Ident,
    message: &str,
) -> Result<Option<Oid>> {
    let Some(who) = ident::name_email(author.name, author.email) else { return Ok(None) };
    let when = match author.at {
        Some(at) => match ident::git_date(at) {
            Some(d) => d,
            None => return Ok(None),
        },
        None if std::env::var_os("GIT_AUTHOR_DATE").is_some() => return Ok(None),
        None => (committer.seconds, committer.offset.clone()),
    };
    let body = format!(
        "tree {}\nparent {}\nauthor {who} {} {}\ncommitter {}\n\n{message}",
        hex(tree),
        hex(parent),
        when.0,
        when.1,
        committer.line()
    );
    Ok(Some(odb.write(Kind::Commit, body.as_bytes(), how)?))
}

/// What the reflog says of a commit made by `git commit`: `commit: SUBJECT`.
fn reflog_message(message: &str) -> String {
    format!("commit: {}", message.lines().next().unwrap_or(""))
}

/// The same commit with git doing the reading: `git rev-parse` (HEAD, object format,
/// object directory), `git ls-files -u`, `git cat-file --batch` for the trees, and
/// `git update-index`.
fn commit_via_git(
    top: &Path,
    files: &[String],
    paths: &[(String, String)],
    author: &Author,
    message: &str,
) -> Result<bool> {
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
            "--git-path",
            &format!("hooks/{}", COMMIT_HOOKS[0]),
            "--git-path",
            &format!("hooks/{}", COMMIT_HOOKS[1]),
            "--verify",
            "-q",
            "HEAD",
        ])
        .stderr(Stdio::null())
        .output()
        .context("cannot run git rev-parse")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (Some("sha1"), Some(objects), Some(index), Some(hook_a), Some(hook_b), Some(head)) =
        (lines.next(), lines.next(), lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return Ok(false);
    };
    // (`--git-path hooks/...` follows core.hooksPath.)
    let hooked = [hook_a, hook_b].iter().any(|h| top.join(h).exists());
    if !out.status.success() || parse_hex(head).is_none() || hooked {
        return Ok(false);
    }
    let (stuck, flagged) = index_says(top, files)?;
    if !stuck.is_empty() {
        bail!(super::unmerged_message(&stuck));
    }
    if flagged || !stored_as_is(top, files)? {
        return Ok(false);
    }
    // A big index not yet in split mode is split once (git then keeps it so, re-splitting
    // by itself now and then); asking on every commit would rewrite the shared part each time.
    // A user who set `core.splitIndex=false` keeps a whole index.
    let split = fs::metadata(top.join(index)).is_ok_and(|m| m.len() > SPLIT_ABOVE) && !split_index_refused(top);
    let odb_dir = top.join(objects);
    let odb = Odb::new(odb_dir.clone());
    let Some(found) = read_files(top, files, &odb, &Writes::DEFAULT)? else { return Ok(false) };
    let trees = read_trees(top, head, &dirs_along(paths))?;
    let Some((root, objects)) = plan_objects(trees, paths, &found)? else { return Ok(false) };
    for (kind, content, oid) in &objects {
        odb.store(*kind, content, oid, &Writes::DEFAULT)?;
    }
    let new = commit_tree(top, &hex(&root), head, author, message)?;
    // The index first, as `git add` then `git commit` would: if git is busy (its index is
    // locked), nothing is committed and the next command's commit picks the file up.
    sync_index(top, files, split)?;
    update_ref(top, &new, head, message)?;
    gc_if_due(top, &odb_dir, GC_AUTO);
    Ok(true)
}

/// Whether git stores each of `files` (those on disk) as its bytes, as `git hash-object`
/// says with the attributes and configuration only git reads here (clean filters, end
/// of lines). Checked before anything is written: a filter may be what keeps the bytes
/// out of the repository.
fn stored_as_is(top: &Path, files: &[String]) -> Result<bool> {
    let mut present = Vec::new();
    for f in files {
        match fs::read(top.join(f)) {
            Ok(bytes) => present.push((f, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read {f}")),
        }
    }
    if present.is_empty() {
        return Ok(true);
    }
    if present.iter().any(|(f, _)| f.contains('\n')) {
        return Ok(false);
    }
    let list: String = present.iter().map(|(f, _)| format!("{f}\n")).collect();
    let out =
        super::output_with_input(git(top).args(["hash-object", "--stdin-paths"]), list.as_bytes(), "git hash-object")?;
    let names = String::from_utf8_lossy(&out);
    let mut names = names.lines();
    Ok(present.iter().all(|(_, bytes)| names.next().and_then(parse_hex) == Some(object_id(Kind::Blob, bytes))))
}

/// What git's index holds for `files`, as `git ls-files` reads it: the unmerged ones, and
/// whether any is flagged assume-unchanged or skip-worktree. `git update-index` would
/// keep such an entry's old blob or drop it, where `git add` and `git commit --only`
/// commit the change and clear the flag, or refuse: those are left to `git commit`.
fn index_says(top: &Path, files: &[String]) -> Result<(Vec<String>, bool)> {
    let out = stdout_of(git(top).args(["ls-files", "-s", "-v", "-z", "--"]).args(files), "git ls-files")?;
    let mut stuck: Vec<String> = Vec::new();
    let mut flagged = false;
    // `TAG MODE OBJECT STAGE\tPATH`: a lowercase tag is assume-unchanged, `S` skip-worktree.
    for record in out.split('\0').filter(|r| !r.is_empty()) {
        let Some((meta, path)) = record.split_once('\t') else { continue };
        let fields: Vec<&str> = meta.split(' ').collect();
        let (Some(tag), Some(stage)) = (fields.first(), fields.get(3)) else { continue };
        flagged |= *tag == "S" || tag.chars().all(|c| c.is_ascii_lowercase());
        if *stage != "0" && stuck.last().map(String::as_str) != Some(path) {
            stuck.push(path.to_owned());
        }
    }
    Ok((stuck, flagged))
}

/// Whether git's configuration says `core.splitIndex=false` (unset: git splits when asked).
fn split_index_refused(top: &Path) -> bool {
    let out = git(top).args(["config", "--type=bool", "--get", "core.splitIndex"]).output();
    out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "false")
}

fn update_ref(top: &Path, new: &str, old: &str, message: &str) -> Result<()> {
    let mut update = git(top);
    update.args(["update-ref", "-m", &reflog_message(message), "HEAD", new, old]);
    run(&mut update, "git update-ref")
}

/// Every directory along the changed paths (`""` is the root), parents first.
fn dirs_along(paths: &[(String, String)]) -> Vec<String> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for (dir, _) in paths {
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
    dirs.into_iter().collect()
}

/// HEAD's trees for `dirs` (parents first), raw, read in-process; a directory HEAD lacks
/// is empty. `None`: an object is not here (git can find it).
fn trees_in_process(odb: &Odb, head: &Oid, dirs: &[String]) -> Result<Option<Trees>> {
    let Some(commit) = odb.read(head)? else { return Ok(None) };
    let (Kind::Commit, commit) = commit.as_ref() else { bail!("HEAD is not a commit") };
    let Some(root) = commit.strip_prefix(b"tree ").and_then(|r| r.get(..40)) else { bail!("HEAD is not a commit") };
    let Some(root) = std::str::from_utf8(root).ok().and_then(parse_hex) else { bail!("HEAD is not a commit") };
    let mut trees: Trees = BTreeMap::new();
    let mut oids: BTreeMap<String, Option<Oid>> = BTreeMap::new();
    oids.insert(String::new(), Some(root));
    for d in dirs {
        let oid = match oids.get(d) {
            Some(o) => *o,
            None => {
                let (parent, name) = match d.rfind('/') {
                    Some(i) => (&d[..i], &d[i + 1..]),
                    None => ("", d.as_str()),
                };
                match trees.get(parent).map(|t| find_entry(&t.1, name)).transpose()?.flatten() {
                    Some((mode, oid)) if mode == DIR_MODE => Some(oid),
                    Some(_) => bail!("{d} is not a directory in HEAD"),
                    None => None,
                }
            }
        };
        let raw = match oid {
            Some(oid) => match odb.read(&oid)? {
                Some(found) if found.0 == Kind::Tree => found,
                Some(_) => bail!("{d} is not a directory in HEAD"),
                None => return Ok(None),
            },
            None => Arc::new((Kind::Tree, Vec::new())),
        };
        trees.insert(d.clone(), raw);
    }
    Ok(Some(trees))
}

/// A directory's changed entries: name → new mode and object (`None`: removed).
type Changes<'a> = BTreeMap<String, Option<(&'a str, Oid)>>;

/// Raw trees by directory (`""`: the root).
type Trees = BTreeMap<String, Object>;

/// An object to write: its kind, content and name.
type NewObject = (Kind, Vec<u8>, Oid);

/// Each directory's new tree, deepest first (the blobs are written): the new root tree and
/// the trees to write. `None`: the root would be empty (left to git commit).
fn plan_objects(
    mut trees: Trees,
    paths: &[(String, String)],
    found: &[Found],
) -> Result<Option<(Oid, Vec<NewObject>)>> {
    let mut objects = Vec::new();
    let mut changes: BTreeMap<String, Changes> = BTreeMap::new();
    for ((dir, name), f) in paths.iter().zip(found) {
        let entry = f.as_ref().map(|(_, oid)| (FILE_MODE, *oid));
        changes.entry(dir.clone()).or_default().insert(name.clone(), entry);
    }
    let mut order: Vec<String> = trees.keys().cloned().collect();
    order.sort_by_key(|d| std::cmp::Reverse(if d.is_empty() { 0 } else { d.matches('/').count() + 1 }));
    for dir in order {
        let raw = trees.remove(&dir);
        let raw = raw.as_ref().map_or(&[][..], |t| t.1.as_slice());
        let rebuilt = rebuild_tree(raw, changes.remove(&dir).unwrap_or_default())?;
        let oid = if rebuilt.is_empty() && !dir.is_empty() {
            None
        } else {
            let oid = object_id(Kind::Tree, &rebuilt);
            objects.push((Kind::Tree, rebuilt, oid));
            Some(oid)
        };
        if dir.is_empty() {
            // The biggest first: it takes longest to compress.
            objects.sort_by_key(|o| std::cmp::Reverse(o.1.len()));
            return Ok(oid.map(|o| (o, objects)));
        }
        let (parent, name) = match dir.rfind('/') {
            Some(i) => (dir[..i].to_owned(), dir[i + 1..].to_owned()),
            None => (String::new(), dir.clone()),
        };
        changes.entry(parent).or_default().insert(name, oid.map(|o| (DIR_MODE, o)));
    }
    Ok(None)
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

/// HEAD's trees for `dirs` (`""` is the root), raw, from `git cat-file --batch`; a
/// directory HEAD lacks is empty.
fn read_trees(top: &Path, head: &str, dirs: &[String]) -> Result<Trees> {
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
        if kind == Some("missing") {
            trees.insert(d.clone(), Arc::new((Kind::Tree, Vec::new())));
            continue;
        }
        let size: usize = size.and_then(|s| s.parse().ok()).context("git cat-file: bad size")?;
        let body = out.get(at..at + size).context("git cat-file: short object")?;
        at += size + 1;
        if kind != Some("tree") {
            // A file where a directory should be: leave it to git commit to explain.
            bail!("{d} is not a directory in HEAD");
        }
        trees.insert(d.clone(), Arc::new((Kind::Tree, body.to_vec())));
    }
    Ok(trees)
}

/// One entry of a raw tree.
struct TreeItem<'a> {
    mode: &'a [u8],
    name: &'a [u8],
    oid: &'a [u8],
    /// The bytes it takes.
    len: usize,
}

/// The entry at the start of the raw tree `raw`.
fn tree_entry(raw: &[u8]) -> Result<TreeItem<'_>> {
    let sp = raw.iter().take(8).position(|&b| b == b' ').context("bad tree object")?;
    let nul = sp + 1 + raw[sp + 1..].iter().position(|&b| b == 0).context("bad tree object")?;
    let oid = raw.get(nul + 1..nul + 21).context("bad tree object")?;
    Ok(TreeItem { mode: &raw[..sp], name: &raw[sp + 1..nul], oid, len: nul + 21 })
}

/// The mode and object of `name` in the raw tree `raw`.
fn find_entry(raw: &[u8], name: &str) -> Result<Option<(String, Oid)>> {
    let mut rest = raw;
    while !rest.is_empty() {
        let e = tree_entry(rest)?;
        if e.name == name.as_bytes() {
            let mode = std::str::from_utf8(e.mode).context("bad tree object")?;
            return Ok(Some((mode.to_owned(), e.oid.try_into()?)));
        }
        rest = &rest[e.len..];
    }
    Ok(None)
}

/// git's order of tree entries: by name, a directory's name read as if it ended in `/`.
fn tree_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let next = |name: &[u8], dir: bool| name.get(common).copied().unwrap_or(if dir { b'/' } else { 0 });
        next(a, a_dir).cmp(&next(b, b_dir))
    })
}

/// The raw tree `raw` with `changes` applied (name → new mode and object, `None`: removed),
/// in one pass: the unchanged entries are copied as they are.
fn rebuild_tree(raw: &[u8], changes: Changes) -> Result<Vec<u8>> {
    let mut added: Vec<(&[u8], &str, Oid)> =
        changes.iter().filter_map(|(name, e)| e.map(|(mode, oid)| (name.as_bytes(), mode, oid))).collect();
    added.sort_by(|a, b| tree_order(a.0, a.1 == DIR_MODE, b.0, b.1 == DIR_MODE));
    let push = |out: &mut Vec<u8>, mode: &str, name: &[u8], oid: &Oid| {
        out.extend_from_slice(mode.as_bytes());
        out.push(b' ');
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(oid);
    };
    let changed: BTreeSet<&[u8]> = changes.keys().map(|n| n.as_bytes()).collect();
    let mut out = Vec::with_capacity(raw.len() + added.len() * 64);
    let mut next = added.into_iter().peekable();
    let mut rest = raw;
    // The unchanged runs between changed entries are copied in one piece.
    let mut run = 0;
    while run < rest.len() {
        let TreeItem { mode, name, len: used, .. } = tree_entry(&rest[run..])?;
        let dir = mode == DIR_MODE.as_bytes();
        let before = next.peek().is_some_and(|a| tree_order(a.0, a.1 == DIR_MODE, name, dir).is_lt());
        let replaced = changed.contains(name);
        if before || replaced {
            out.extend_from_slice(&rest[..run]);
            rest = &rest[run..];
            run = 0;
            while let Some((n, m, oid)) = next.next_if(|a| tree_order(a.0, a.1 == DIR_MODE, name, dir).is_lt()) {
                push(&mut out, m, n, &oid);
            }
            if replaced {
                rest = &rest[used..];
            }
            continue;
        }
        run += used;
    }
    out.extend_from_slice(rest);
    for (n, m, oid) in next {
        push(&mut out, m, n, &oid);
    }
    Ok(out)
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
    let mut list = Vec::new();
    for f in files {
        list.extend_from_slice(f.as_bytes());
        list.push(0);
    }
    let mut update = git(top);
    update.arg("update-index").args(split.then_some("--split-index")).args(["--add", "--remove", "-z", "--stdin"]);
    run_with_input(&mut update, &list, "git update-index")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_sort_directories_as_if_slashed() {
        let mut changes = BTreeMap::new();
        changes.insert("a.b".to_owned(), Some((FILE_MODE, [1; 20])));
        changes.insert("a".to_owned(), Some((DIR_MODE, [2; 20])));
        let bytes = rebuild_tree(&[], changes).unwrap();
        // "a.b" < "a/" because '.' (0x2e) < '/' (0x2f).
        assert!(bytes.starts_with(b"100644 a.b\0"));
        assert_eq!(find_entry(&bytes, "a").unwrap(), Some((DIR_MODE.to_owned(), [2; 20])));
    }

    #[test]
    fn a_rebuilt_tree_keeps_git_order_and_the_untouched_entries() {
        let mut changes = BTreeMap::new();
        for name in ["b", "d", "f"] {
            changes.insert(name.to_owned(), Some((FILE_MODE, [1; 20])));
        }
        let base = rebuild_tree(&[], changes).unwrap();
        let mut changes = BTreeMap::new();
        changes.insert("a".to_owned(), Some((FILE_MODE, [2; 20])));
        changes.insert("d".to_owned(), None);
        changes.insert("e".to_owned(), Some((DIR_MODE, [3; 20])));
        changes.insert("f".to_owned(), Some((FILE_MODE, [4; 20])));
        changes.insert("g".to_owned(), Some((FILE_MODE, [5; 20])));
        let tree = rebuild_tree(&base, changes).unwrap();
        let mut names = Vec::new();
        let mut rest = tree.as_slice();
        while !rest.is_empty() {
            let e = tree_entry(rest).unwrap();
            names.push((
                String::from_utf8(e.name.to_vec()).unwrap(),
                String::from_utf8(e.mode.to_vec()).unwrap(),
                e.oid[0],
            ));
            rest = &rest[e.len..];
        }
        let want =
            [("a", FILE_MODE, 2), ("b", FILE_MODE, 1), ("e", DIR_MODE, 3), ("f", FILE_MODE, 4), ("g", FILE_MODE, 5)];
        assert_eq!(names, want.map(|(n, m, o)| (n.to_owned(), m.to_owned(), o)));
    }

    #[test]
    fn odd_paths_are_left_to_git() {
        assert!(split_path("leads/2026/11/x.yaml").is_some());
        assert!(split_path("../x").is_none());
        assert!(split_path("a//b").is_none());
        assert!(split_path(".git/config").is_none());
    }
}
