//! Git's index in split mode, updated in-process for the few paths a command commits.
//!
//! With 100k leads the index is ~10 MB; `git update-index` reads all of it and rewrites
//! the small split part (`.git/index`) on every commit. Here only `.git/index` is parsed
//! and rewritten; the shared part (`.git/sharedindex.<sha1>`, `shared_index.rs`) is never
//! hashed or written, only looked into for the positions of the committed paths (see
//! git's Documentation/gitformat-index.txt, "Split index").
//!
//! Only a shape fully understood is touched: versions 2 and 3, split mode, extensions
//! `link`, `TREE` (the cache tree: the committed paths' directories are invalidated, as
//! git does) and `REUC` (copied). Anything else (`UNTR`, `FSMN`, a sparse index, version 4,
//! a split part grown past [`MAX_SPLIT_ENTRIES`], ...) is left to `git update-index`.
//! Racily clean entries are smudged as git's `do_write_index` does, so a later edit
//! within the same timestamp is never taken for clean.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::ewah;
use super::lock::LockFile;
use super::objects::{Kind, Oid, object_id};
use super::plain::Writes;
use super::shared_index::{Shared, Summary};

pub const SIGNATURE: &[u8; 4] = b"DIRC";
const FLAG_EXTENDED: u16 = 0x4000;
const STAGE_MASK: u16 = 0x3000;
const NAME_MASK: u16 = 0x0fff;
/// A split part with more entries than this (~200 KB) is left to git with
/// `--split-index`, which writes a new shared index and an empty split part: reading and
/// writing the split part on every commit stays cheap. (Git's own threshold,
/// `splitIndex.maxPercentChange`, counts added entries only, so replacements would pile up.)
const MAX_SPLIT_ENTRIES: usize = 2048;
/// More racily clean entries than this to check: left to git.
const MAX_RACY: usize = 64;

/// One index entry as stored: stat data, mode, object, flags and path.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size: ten big-endian u32.
    stat: [u8; 40],
    pub oid: Oid,
    /// The on-disk flags without the name length.
    flags: u16,
    extended: Option<u16>,
    pub name: Vec<u8>,
}

impl Entry {
    /// A stage-0 entry for a regular file, from the stat data taken before its content was
    /// read (a change after that shows in the stat data).
    pub fn for_file(name: &str, meta: &fs::Metadata, oid: Oid) -> Entry {
        let mode: u32 = if meta.mode() & 0o100 != 0 { 0o100755 } else { 0o100644 };
        let fields = [
            meta.ctime() as u32,
            meta.ctime_nsec() as u32,
            meta.mtime() as u32,
            meta.mtime_nsec() as u32,
            meta.dev() as u32,
            meta.ino() as u32,
            mode,
            meta.uid(),
            meta.gid(),
            meta.size() as u32,
        ];
        let mut stat = [0; 40];
        for (i, f) in fields.iter().enumerate() {
            stat[i * 4..i * 4 + 4].copy_from_slice(&f.to_be_bytes());
        }
        Entry { stat, oid, flags: 0, extended: None, name: name.as_bytes().to_vec() }
    }

    fn field(&self, i: usize) -> u32 {
        u32::from_be_bytes(self.stat[i * 4..i * 4 + 4].try_into().unwrap_or([0; 4]))
    }

    fn mtime_sec(&self) -> u32 {
        self.field(2)
    }

    fn mode(&self) -> u32 {
        self.field(6)
    }

    pub fn stage(&self) -> u16 {
        (self.flags & STAGE_MASK) >> 12
    }

    /// Set the cached size to 0: git then compares the content before calling it clean.
    fn smudge(&mut self) {
        self.stat[36..40].copy_from_slice(&[0; 4]);
    }

    /// Parse the entry at the start of `data` (index version 2 or 3).
    fn parse(data: &[u8]) -> Result<(Entry, usize)> {
        let Layout { flags, name_at, name_len, size } = Layout::of(data)?;
        let extended = (flags & FLAG_EXTENDED != 0).then(|| u16::from_be_bytes([data[62], data[63]]));
        let mut stat = [0; 40];
        stat.copy_from_slice(&data[..40]);
        let oid: Oid = data[40..60].try_into()?;
        let name = data[name_at..name_at + name_len].to_vec();
        Ok((Entry { stat, oid, flags: flags & !NAME_MASK, extended, name }, size))
    }

    /// The entry's bytes; `strip_name`: a replacement in the split part, named by position.
    fn write(&self, out: &mut Vec<u8>, strip_name: bool) {
        let name: &[u8] = if strip_name { &[] } else { &self.name };
        let start = out.len();
        out.extend_from_slice(&self.stat);
        out.extend_from_slice(&self.oid);
        let len = name.len().min(usize::from(NAME_MASK)) as u16;
        let mut flags = self.flags | len;
        if self.extended.is_some() {
            flags |= FLAG_EXTENDED;
        }
        out.extend_from_slice(&flags.to_be_bytes());
        if let Some(x) = self.extended {
            out.extend_from_slice(&x.to_be_bytes());
        }
        out.extend_from_slice(name);
        let size = (out.len() - start + 8) & !7;
        out.resize(start + size, 0);
    }
}

/// Where the parts of an index entry (version 2 or 3) lie, from its start.
pub struct Layout {
    pub flags: u16,
    pub name_at: usize,
    pub name_len: usize,
    /// The bytes the entry takes, padding included.
    pub size: usize,
}

impl Layout {
    /// The layout of the entry at the start of `data`, checked to fit in it.
    pub fn of(data: &[u8]) -> Result<Layout> {
        let fixed = data.get(..62).context("index entry cut short")?;
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let name_at = if flags & FLAG_EXTENDED != 0 { 64 } else { 62 };
        let name_len = match usize::from(flags & NAME_MASK) {
            long if long == usize::from(NAME_MASK) => data
                .get(name_at..)
                .and_then(|d| d.iter().position(|&b| b == 0))
                .context("index entry name unterminated")?,
            len => len,
        };
        let size = (name_at + name_len + 8) & !7;
        if data.len() < size {
            bail!("index entry cut short");
        }
        Ok(Layout { flags, name_at, name_len, size })
    }
}

/// `git`'s index order: by path bytes, then stage.
fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    a.name.cmp(&b.name).then(a.stage().cmp(&b.stage()))
}

/// What [`SplitIndex::open`] found.
pub enum Opened {
    /// A split index this module updates.
    Ready(Box<SplitIndex>),
    /// One for `git update-index`; `resplit`: with `--split-index` (a new shared part).
    Git { resplit: bool },
}

/// A split index read under its lock, with the committed paths located.
pub struct SplitIndex {
    /// `.git/index.lock`, held from before the index is read until it replaces the index.
    lock: LockFile,
    work_tree: PathBuf,
    git_dir: PathBuf,
    version: u32,
    base: Oid,
    /// Shared entries replaced by an entry of the split part, by position.
    replaced: BTreeMap<usize, Entry>,
    deleted: BTreeSet<usize>,
    /// Entries of the split part that are not in the shared part, in index order.
    added: Vec<Entry>,
    cache_tree: Option<CacheTree>,
    resolve_undo: Option<Vec<u8>>,
    /// Each wanted path's stage entries in the shared part: (position, entry).
    located: BTreeMap<Vec<u8>, Vec<(usize, Entry)>>,
}

impl SplitIndex {
    /// Lock and read the index of `git_dir` (work tree `top`), locating `paths`. When it is
    /// not a shape this module writes, the lock is released and git is to do it.
    pub fn open(top: &Path, git_dir: &Path, how: &Writes, paths: &[String]) -> Result<Opened> {
        let index_path = git_dir.join("index");
        let lock = LockFile::take(&index_path, how)?;
        let mut file = match File::open(&index_path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Opened::Git { resplit: false }),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", index_path.display())),
        };
        let meta = file.metadata()?;
        // A big index (not split yet, or a split part grown big) is git's to split anew.
        if meta.len() > 1 << 20 {
            return Ok(Opened::Git { resplit: true });
        }
        let mut data = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut data)?;
        let timestamp = (meta.mtime() as u32, meta.mtime_nsec() as u32);
        Self::parse(lock, top, git_dir, &data, timestamp, paths, how)
    }

    fn parse(
        lock: LockFile,
        top: &Path,
        git_dir: &Path,
        data: &[u8],
        timestamp: (u32, u32),
        paths: &[String],
        how: &Writes,
    ) -> Result<Opened> {
        let as_is = Ok(Opened::Git { resplit: false });
        let Some((version, entries, extensions)) = parse_file(data)? else { return as_is };
        let (mut link, mut cache_tree, mut resolve_undo) = (None, None, None);
        for (sig, body) in extensions {
            match &sig {
                b"link" => link = Some(body),
                b"TREE" => match CacheTree::parse(body) {
                    Some(t) => cache_tree = Some(t),
                    None => return as_is,
                },
                b"REUC" => resolve_undo = Some(body.to_vec()),
                _ => return as_is,
            }
        }
        let Some(link) = link else { return as_is };
        if link.len() < 20 || link[..20] == [0; 20] || link.len() == 20 {
            return as_is;
        }
        if entries.len() + paths.len() > MAX_SPLIT_ENTRIES {
            return Ok(Opened::Git { resplit: true });
        }
        let base: Oid = link[..20].try_into()?;
        let (deleted, used) = ewah::read(&link[20..])?;
        let (replace, used2) = ewah::read(&link[20 + used..])?;
        if 20 + used + used2 != link.len() {
            bail!("corrupt link extension in the git index");
        }
        if replace.len() > entries.len() {
            bail!("corrupt link extension in the git index (more replacements than entries)");
        }
        let mut entries = entries.into_iter();
        let mut replaced = BTreeMap::new();
        for pos in replace {
            let e = entries.next().context("corrupt git index")?;
            if !e.name.is_empty() {
                bail!("corrupt link extension in the git index (a replacement has a name)");
            }
            replaced.insert(pos, e);
        }
        let added: Vec<Entry> = entries.collect();
        if added.iter().any(|e| e.name.is_empty()) {
            bail!("corrupt link extension in the git index (an added entry has no name)");
        }
        let deleted: BTreeSet<usize> = deleted.into_iter().collect();
        if replaced.keys().any(|p| deleted.contains(p)) {
            bail!("corrupt link extension in the git index (an entry both replaced and deleted)");
        }

        let mut ix = SplitIndex {
            lock,
            work_tree: top.to_path_buf(),
            git_dir: git_dir.to_path_buf(),
            version,
            base,
            replaced,
            deleted,
            added,
            cache_tree,
            resolve_undo,
            located: BTreeMap::new(),
        };
        if !ix.read_shared(timestamp, paths, how)? {
            return as_is;
        }
        Ok(Opened::Ready(Box::new(ix)))
    }

    /// Read the shared part: where each wanted path is, and the racily clean entries (as of
    /// the split part's `timestamp`) smudged where their file changed. With the shared
    /// part's summary, only the few entries around the wanted paths are looked at, unless
    /// some entry may be racy. `false`: leave it to git.
    fn read_shared(&mut self, timestamp: (u32, u32), paths: &[String], how: &Writes) -> Result<bool> {
        let Some(shared) = Shared::open(&self.git_dir, &self.base)? else { return Ok(false) };
        let count = shared.count;
        if self.replaced.keys().chain(&self.deleted).any(|&p| p >= count) {
            bail!("corrupt link extension in the git index (a position past the shared index)");
        }
        let mut wanted: Vec<&[u8]> = paths.iter().map(|p| p.as_bytes()).collect();
        wanted.sort();
        wanted.dedup();
        // Racy entries: those whose mtime is not older than the split part's (seconds only:
        // git may be built without nanosecond timestamps; checking more is only slower).
        let racy = |e_mtime: u32| e_mtime >= timestamp.0;
        let racy_replaced: Vec<usize> =
            self.replaced.iter().filter(|(_, e)| racy(e.mtime_sec())).map(|(p, _)| *p).collect();
        let mut racy_shared: Vec<(usize, Entry)> = Vec::new();
        let mut names_of_racy_replaced: Vec<(usize, Vec<u8>)> = Vec::new();
        let summary = shared.summary(&self.git_dir, &self.base);
        match &summary {
            Some(summary) if !racy(summary.max_mtime) => {
                for name in &wanted {
                    let (pos, offset) = summary.start_for_name(name);
                    for e in shared.walk_from(pos, offset) {
                        let e = e?;
                        if e.name > *name {
                            break;
                        }
                        if e.name == *name && !self.deleted.contains(&e.pos) {
                            self.located.entry(e.name.to_vec()).or_default().push((e.pos, Entry::parse(e.bytes)?.0));
                        }
                    }
                }
                for &target in &racy_replaced {
                    let (pos, offset) = summary.start_for_pos(target);
                    let found = shared.walk_from(pos, offset).find(|e| e.as_ref().map_or(true, |e| e.pos == target));
                    let e = found.context("shared index cut short")??;
                    names_of_racy_replaced.push((target, e.name.to_vec()));
                }
            }
            _ => {
                let mut noted = Summary::default();
                let (mut next_wanted, mut next_replaced) = (0, 0);
                for e in shared.walk() {
                    let e = e?;
                    noted.note(&e);
                    let mut matched = false;
                    if next_wanted < wanted.len() {
                        while next_wanted < wanted.len() && wanted[next_wanted] < e.name {
                            next_wanted += 1;
                        }
                        matched = next_wanted < wanted.len() && wanted[next_wanted] == e.name;
                    }
                    let replaced_here = racy_replaced.get(next_replaced) == Some(&e.pos);
                    if replaced_here {
                        next_replaced += 1;
                    }
                    let is_racy = racy(e.mtime_sec());
                    if !(matched || replaced_here || is_racy) || self.deleted.contains(&e.pos) {
                        continue;
                    }
                    if matched {
                        self.located.entry(e.name.to_vec()).or_default().push((e.pos, Entry::parse(e.bytes)?.0));
                    }
                    if replaced_here {
                        names_of_racy_replaced.push((e.pos, e.name.to_vec()));
                    } else if is_racy && !self.replaced.contains_key(&e.pos) {
                        racy_shared.push((e.pos, Entry::parse(e.bytes)?.0));
                        if racy_shared.len() > MAX_RACY {
                            return Ok(false);
                        }
                    }
                }
                if summary.is_none() {
                    shared.keep(&self.git_dir, &self.base, &noted, how);
                }
            }
        }
        if racy_shared.len() + names_of_racy_replaced.len() > MAX_RACY {
            return Ok(false);
        }
        for (pos, mut e) in racy_shared {
            match self.falsely_clean(&e.name, &e)? {
                Some(true) => {
                    e.smudge();
                    e.name.clear();
                    self.replaced.insert(pos, e);
                }
                Some(false) => {}
                None => return Ok(false),
            }
        }
        for (pos, name) in names_of_racy_replaced {
            let Some(e) = self.replaced.get(&pos) else { continue };
            match self.falsely_clean(&name, e)? {
                Some(true) => {
                    if let Some(e) = self.replaced.get_mut(&pos) {
                        e.smudge();
                    }
                }
                Some(false) => {}
                None => return Ok(false),
            }
        }
        let racy_added: Vec<usize> =
            (0..self.added.len()).filter(|&i| racy(self.added[i].mtime_sec())).take(MAX_RACY + 1).collect();
        if racy_added.len() > MAX_RACY {
            return Ok(false);
        }
        for i in racy_added {
            let e = &self.added[i];
            match self.falsely_clean(&e.name, e)? {
                Some(true) => self.added[i].smudge(),
                Some(false) => {}
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Whether the file of a racily clean entry differs from what the entry records (then
    /// its stat data must not be trusted). `None`: not a regular file's stage-0 entry (a
    /// symbolic link, a submodule, a conflict): git is to judge.
    fn falsely_clean(&self, name: &[u8], e: &Entry) -> Result<Option<bool>> {
        if e.mode() & 0o170000 == 0o160000 {
            // A submodule is never racy for git.
            return Ok(Some(false));
        }
        if e.mode() & 0o170000 != 0o100000 || e.stage() != 0 {
            return Ok(None);
        }
        let path = self.work_tree.join(std::str::from_utf8(name).context("index path is not UTF-8")?);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(object_id(Kind::Blob, &bytes) != e.oid)),
            // Gone: its stat data differs, git sees the change.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Some(false)),
            // Unreadable: smudged (always safe: git then compares the content).
            Err(_) => Ok(Some(true)),
        }
    }

    /// The paths among `paths` the index holds unmerged (a stage other than 0).
    pub fn unmerged(&self, paths: &[String]) -> Vec<String> {
        let mut stuck = Vec::new();
        for p in paths {
            let name = p.as_bytes();
            let in_shared = self.located.get(name).into_iter().flatten().any(|(pos, e)| {
                let e = self.replaced.get(pos).unwrap_or(e);
                e.stage() != 0
            });
            let in_added = self.added.iter().any(|e| e.name == name && e.stage() != 0);
            if (in_shared || in_added) && !stuck.contains(p) {
                stuck.push(p.clone());
            }
        }
        stuck
    }

    /// Whether `path`'s current stage-0 entry carries flags git alone should handle
    /// (assume-valid, skip-worktree, intent-to-add).
    pub fn has_special_flags(&self, path: &str) -> bool {
        let name = path.as_bytes();
        let special = |e: &Entry| e.stage() == 0 && (e.flags & 0x8000 != 0 || e.extended.is_some_and(|x| x != 0));
        self.located.get(name).into_iter().flatten().any(|(pos, e)| special(self.replaced.get(pos).unwrap_or(e)))
            || self.added.iter().any(|e| e.name == name && special(e))
    }

    /// Record `path` as `entry` (`None`: removed), stage 0.
    #[cfg(test)]
    pub fn set(&mut self, path: &str, entry: Option<Entry>) {
        self.set_all([(path, entry)]);
    }

    /// Record each path as its entry (`None`: removed), stage 0; a path named twice is
    /// what the last says.
    pub fn set_all<'p>(&mut self, changes: impl IntoIterator<Item = (&'p str, Option<Entry>)>) {
        let changes: BTreeMap<&[u8], Option<Entry>> = changes.into_iter().map(|(p, e)| (p.as_bytes(), e)).collect();
        let mut new_added = Vec::new();
        for (name, entry) in &changes {
            let shared = self.located.get(*name).and_then(|v| v.iter().find(|(_, e)| e.stage() == 0)).map(|(p, _)| *p);
            match (shared, entry) {
                (Some(pos), Some(e)) => {
                    let mut e = e.clone();
                    e.name.clear();
                    self.replaced.insert(pos, e);
                }
                (Some(pos), None) => {
                    self.replaced.remove(&pos);
                    self.deleted.insert(pos);
                }
                (None, Some(e)) => new_added.push(e.clone()),
                (None, None) => {}
            }
            if let Some(tree) = &mut self.cache_tree {
                tree.invalidate(name);
            }
        }
        // The split part's own entries for these paths give way; the new ones join it in
        // index order.
        self.added.retain(|e| !(e.stage() == 0 && changes.contains_key(e.name.as_slice())));
        self.added.extend(new_added);
        self.added.sort_by(order);
    }

    /// Write the new index into its lock file; [`Staged::commit`] puts it in place.
    pub fn stage(self) -> Result<Staged> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&((self.replaced.len() + self.added.len()) as u32).to_be_bytes());
        let version3 = self.version == 3;
        for e in self.replaced.values() {
            if e.extended.is_some() && !version3 {
                bail!("an index entry needs version 3");
            }
            e.write(&mut out, true);
        }
        for e in &self.added {
            if e.extended.is_some() && !version3 {
                bail!("an index entry needs version 3");
            }
            e.write(&mut out, false);
        }
        let mut link = self.base.to_vec();
        link.extend(ewah::write(&self.deleted.iter().copied().collect::<Vec<_>>()));
        link.extend(ewah::write(&self.replaced.keys().copied().collect::<Vec<_>>()));
        extension(&mut out, b"link", &link);
        if let Some(tree) = &self.cache_tree {
            let mut body = Vec::new();
            tree.write(&mut body);
            extension(&mut out, b"TREE", &body);
        }
        if let Some(reuc) = &self.resolve_undo {
            extension(&mut out, b"REUC", reuc);
        }
        let sum = sha1_smol::Sha1::from(&out).digest().bytes();
        out.extend_from_slice(&sum);
        let shared = self.git_dir.join(format!("sharedindex.{}", super::objects::hex(&self.base)));
        let mut lock = self.lock;
        lock.write(&out)?;
        Ok(Staged { lock, shared })
    }
}

/// A new index written to `index.lock`, not yet in place (dropped: removed).
pub struct Staged {
    lock: LockFile,
    shared: PathBuf,
}

impl Staged {
    /// Replace the index with the new one.
    pub fn commit(self) -> Result<()> {
        self.lock.commit()?;
        // As git does after writing a split index: the shared part is in use (unused ones
        // expire after two weeks).
        if let Ok(f) = OpenOptions::new().write(true).open(&self.shared) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        Ok(())
    }
}

fn extension(out: &mut Vec<u8>, sig: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(sig);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

type Extensions<'a> = Vec<([u8; 4], &'a [u8])>;

/// An index file's version, entries and extensions; `None`: a version this module does
/// not write. Its checksum is verified (the split part is small).
fn parse_file(data: &[u8]) -> Result<Option<(u32, Vec<Entry>, Extensions<'_>)>> {
    if data.len() < 12 + 20 || data[..4] != *SIGNATURE {
        bail!("the git index is corrupt (bad signature)");
    }
    let version = u32::from_be_bytes(data[4..8].try_into()?);
    if !(version == 2 || version == 3) {
        return Ok(None);
    }
    let end = data.len() - 20;
    let sum = &data[end..];
    if sum != [0; 20] && sha1_smol::Sha1::from(&data[..end]).digest().bytes() != sum {
        bail!("the git index is corrupt (bad checksum)");
    }
    let count = u32::from_be_bytes(data[8..12].try_into()?) as usize;
    let mut entries = Vec::with_capacity(count);
    let mut at = 12;
    for _ in 0..count {
        let (e, size) = Entry::parse(data.get(at..end).context("git index cut short")?)?;
        if e.extended.is_some() && version == 2 {
            bail!("the git index is corrupt (extended flags in version 2)");
        }
        entries.push(e);
        at += size;
    }
    let mut extensions = Vec::new();
    while at < end {
        let head = data.get(at..at + 8).context("git index extension cut short")?;
        let sig: [u8; 4] = head[..4].try_into()?;
        let len = u32::from_be_bytes(head[4..8].try_into()?) as usize;
        let body =
            data.get(at + 8..at + 8 + len).filter(|_| at + 8 + len <= end).context("git index extension cut short")?;
        extensions.push((sig, body));
        at += 8 + len;
    }
    Ok(Some((version, entries, extensions)))
}

/// The `TREE` extension: for each directory, how many index entries it covers and its tree
/// object when known (`count` -1: invalid, to be recomputed by git).
#[derive(Debug, PartialEq)]
struct CacheTree {
    name: Vec<u8>,
    count: i64,
    oid: Option<Oid>,
    subtrees: Vec<CacheTree>,
}

impl CacheTree {
    fn parse(data: &[u8]) -> Option<CacheTree> {
        let mut at = 0;
        let tree = Self::parse_one(data, &mut at)?;
        (at == data.len()).then_some(tree)
    }

    fn parse_one(data: &[u8], at: &mut usize) -> Option<CacheTree> {
        let rest = data.get(*at..)?;
        let nul = rest.iter().position(|&b| b == 0)?;
        let name = rest[..nul].to_vec();
        let nl = rest[nul..].iter().position(|&b| b == b'\n')? + nul;
        let counts = std::str::from_utf8(&rest[nul + 1..nl]).ok()?;
        let (count, subtrees) = counts.split_once(' ')?;
        let count: i64 = count.parse().ok()?;
        let subtrees: usize = subtrees.parse().ok()?;
        *at += nl + 1;
        let oid = if count >= 0 {
            let oid: Oid = data.get(*at..*at + 20)?.try_into().ok()?;
            *at += 20;
            Some(oid)
        } else {
            None
        };
        let mut tree = CacheTree { name, count, oid, subtrees: Vec::new() };
        for _ in 0..subtrees {
            tree.subtrees.push(Self::parse_one(data, at)?);
        }
        Some(tree)
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.name);
        out.push(0);
        let count = if self.oid.is_some() { self.count } else { -1 };
        out.extend_from_slice(format!("{count} {}\n", self.subtrees.len()).as_bytes());
        if let Some(oid) = &self.oid {
            out.extend_from_slice(oid);
        }
        for t in &self.subtrees {
            t.write(out);
        }
    }

    /// Mark every directory along `path` invalid, as git's `cache_tree_invalidate_path`.
    fn invalidate(&mut self, path: &[u8]) {
        self.count = -1;
        self.oid = None;
        match path.iter().position(|&b| b == b'/') {
            None => self.subtrees.retain(|t| t.name != path),
            Some(i) => {
                let (first, rest) = (&path[..i], &path[i + 1..]);
                if let Some(t) = self.subtrees.iter_mut().find(|t| t.name == first) {
                    t.invalidate(rest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        String::from_utf8(crate::git::test_git(dir, args)).expect("utf8")
    }

    fn ready(opened: Opened) -> SplitIndex {
        match opened {
            Opened::Ready(ix) => *ix,
            Opened::Git { resplit } => panic!("left to git (resplit: {resplit})"),
        }
    }

    /// A file with an old mtime, so no index entry of it is racily clean.
    fn write_old(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        let then = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        File::options().write(true).open(path).unwrap().set_modified(then).unwrap();
    }

    #[test]
    fn a_split_index_is_written_back_byte_for_byte_as_git_wrote_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for i in 0..150 {
            write_old(&dir.join(format!("leads/2026/{:02}/lead-{i:03}.yaml", i % 12 + 1)), &format!("lead {i}\n"));
        }
        write_old(&dir.join("rules.yaml"), "git: true\n");
        git(dir, &["add", "."]);
        git(dir, &["update-index", "--split-index"]);
        git(dir, &["commit", "-qm", "leads"]);
        // Replacements, a deletion and additions in the split part, a cache tree.
        write_old(&dir.join("leads/2026/03/lead-002.yaml"), "changed\n");
        write_old(&dir.join("leads/2026/05/lead-100.yaml"), "changed too\n");
        write_old(&dir.join("leads/2026/11/new-1.yaml"), "new\n");
        git(dir, &["add", "leads"]);
        git(dir, &["rm", "-q", "--cached", "leads/2026/07/lead-006.yaml"]);
        git(dir, &["write-tree"]);
        let index = fs::read(dir.join(".git/index")).unwrap();
        let git_dir = dir.join(".git");
        let paths = ["leads/2026/03/lead-002.yaml".to_owned(), "rules.yaml".to_owned()];
        let ix = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &paths).unwrap());
        assert!(!ix.replaced.is_empty() && !ix.deleted.is_empty() && !ix.added.is_empty(), "all three kinds");
        assert!(ix.cache_tree.is_some());
        assert_eq!(ix.located.len(), 2, "both paths found in the shared index");
        assert!(ix.unmerged(&paths).is_empty());
        let staged = ix.stage().unwrap();
        let written = fs::read(git_dir.join("index.lock")).unwrap();
        drop(staged);
        assert!(!git_dir.join("index.lock").exists(), "the lock is removed when not committed");
        assert_eq!(written, index, "the index as git wrote it");
    }

    #[test]
    fn the_shared_part_summary_finds_what_a_full_walk_finds() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for i in 0..1500 {
            write_old(&dir.join(format!("leads/2026/{:02}/lead-{i:04}.yaml", i % 12 + 1)), &format!("lead {i}\n"));
        }
        git(dir, &["add", "."]);
        git(dir, &["update-index", "--split-index"]);
        git(dir, &["commit", "-qm", "leads"]);
        let git_dir = dir.join(".git");
        let paths: Vec<String> = [
            "leads/2026/01/lead-0000.yaml",
            "leads/2026/07/lead-0786.yaml",
            "leads/2026/12/lead-1499.yaml",
            "leads/2026/12/new.yaml",
        ]
        .map(str::to_owned)
        .to_vec();
        let summaries = || fs::read_dir(git_dir.join("handoff")).map_or(0, |d| d.count());
        assert_eq!(summaries(), 0);
        let walked = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &paths).unwrap()).located;
        assert_eq!(walked.len(), 3, "the three existing paths");
        assert_eq!(summaries(), 1, "the walk left a summary");
        let looked_up = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &paths).unwrap()).located;
        assert_eq!(looked_up, walked);
        // A damaged summary is not trusted: a walk again, and a new summary.
        let summary = fs::read_dir(git_dir.join("handoff")).unwrap().next().unwrap().unwrap().path();
        let mut bytes = fs::read(&summary).unwrap();
        let n = bytes.len();
        bytes[n / 2] ^= 0xff;
        fs::write(&summary, &bytes).unwrap();
        let again = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &paths).unwrap()).located;
        assert_eq!(again, walked);
        assert_ne!(fs::read(&summary).unwrap(), bytes, "written again");
    }

    #[test]
    fn a_racily_clean_entry_whose_file_changed_is_smudged() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for i in 0..20 {
            write_old(&dir.join(format!("leads/{i:02}.yaml")), &format!("lead {i}\n"));
        }
        // An entry stamped in the future: racily clean for any index written before then.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let racy = dir.join("leads/racy.yaml");
        fs::write(&racy, "aaaa\n").unwrap();
        File::options().write(true).open(&racy).unwrap().set_modified(later).unwrap();
        git(dir, &["add", "."]);
        git(dir, &["update-index", "--split-index"]);
        git(dir, &["commit", "-qm", "leads"]);
        // Same size, same mtime, other content: only the content tells.
        fs::write(&racy, "bbbb\n").unwrap();
        File::options().write(true).open(&racy).unwrap().set_modified(later).unwrap();
        let git_dir = dir.join(".git");
        let ix = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &[]).unwrap());
        let smudged: Vec<&Entry> = ix.replaced.values().chain(&ix.added).filter(|e| e.field(9) == 0).collect();
        assert_eq!(smudged.len(), 1, "{:?}", ix.replaced);
        assert_eq!(smudged[0].oid, object_id(Kind::Blob, b"aaaa\n"));
        ix.stage().unwrap().commit().unwrap();
        assert_eq!(git(dir, &["status", "--porcelain"]), " M leads/racy.yaml\n");
        git(dir, &["fsck", "--strict", "--no-progress"]);
    }

    #[test]
    fn an_entry_set_here_reads_back_through_git() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for i in 0..40 {
            write_old(&dir.join(format!("leads/{i:02}.yaml")), &format!("lead {i}\n"));
        }
        git(dir, &["add", "."]);
        git(dir, &["update-index", "--split-index"]);
        git(dir, &["commit", "-qm", "leads"]);
        let git_dir = dir.join(".git");
        write_old(&dir.join("leads/07.yaml"), "seven, changed\n");
        write_old(&dir.join("leads/99.yaml"), "new\n");
        fs::remove_file(dir.join("leads/13.yaml")).unwrap();
        let paths = ["leads/07.yaml".to_owned(), "leads/99.yaml".to_owned(), "leads/13.yaml".to_owned()];
        let mut ix = ready(SplitIndex::open(dir, &git_dir, &Writes::DEFAULT, &paths).unwrap());
        for p in &paths[..2] {
            git(dir, &["hash-object", "-w", p]);
            let bytes = fs::read(dir.join(p)).unwrap();
            let meta = fs::metadata(dir.join(p)).unwrap();
            ix.set(p, Some(Entry::for_file(p, &meta, object_id(Kind::Blob, &bytes))));
        }
        ix.set(&paths[2], None);
        ix.stage().unwrap().commit().unwrap();
        // git sees the three changes staged, and nothing else changed in the work tree.
        assert_eq!(git(dir, &["status", "--porcelain"]), "M  leads/07.yaml\nD  leads/13.yaml\nA  leads/99.yaml\n");
        assert_eq!(git(dir, &["ls-files", "--", "leads/99.yaml"]), "leads/99.yaml\n");
        git(dir, &["commit", "-qm", "by git"]);
        assert_eq!(git(dir, &["status", "--porcelain"]), "");
        git(dir, &["fsck", "--strict", "--no-progress"]);
    }

    fn entry(name: &str, stage: u16) -> Entry {
        Entry { stat: [7; 40], oid: [9; 20], flags: stage << 12, extended: None, name: name.as_bytes().to_vec() }
    }

    #[test]
    fn entries_are_written_padded_and_read_back() {
        for name in ["a", "leads/2026/11/20261124-k3f9qx2ab.yaml", "1234567"] {
            let e = entry(name, 0);
            let mut out = Vec::new();
            e.write(&mut out, false);
            assert_eq!(out.len() % 8, 0);
            assert!(out.len() - 62 - name.len() >= 1, "at least one NUL after the name");
            let (back, size) = Entry::parse(&out).unwrap();
            assert_eq!((back, size), (e, out.len()));
        }
        let mut out = Vec::new();
        entry("x", 2).write(&mut out, true);
        assert_eq!(out.len(), 64, "a replacement's name is stripped");
        assert_eq!(Entry::parse(&out).unwrap().0.stage(), 2);
    }

    #[test]
    fn the_cache_tree_is_invalidated_along_the_path_only() {
        let leaf = |name: &str| CacheTree { name: name.into(), count: 3, oid: Some([1; 20]), subtrees: vec![] };
        let mut tree = CacheTree {
            name: vec![],
            count: 9,
            oid: Some([2; 20]),
            subtrees: vec![
                leaf("docs"),
                CacheTree {
                    name: b"leads".to_vec(),
                    count: 6,
                    oid: Some([3; 20]),
                    subtrees: vec![leaf("2025"), leaf("2026")],
                },
            ],
        };
        let mut bytes = Vec::new();
        tree.write(&mut bytes);
        assert_eq!(CacheTree::parse(&bytes).as_ref(), Some(&tree));
        tree.invalidate(b"leads/2026/x.yaml");
        assert_eq!(tree.count, -1);
        assert_eq!(tree.subtrees[0].count, 3, "docs/ untouched");
        assert_eq!(tree.subtrees[1].count, -1);
        assert_eq!(tree.subtrees[1].subtrees[0].count, 3, "leads/2025/ untouched");
        assert_eq!(tree.subtrees[1].subtrees[1].oid, None);
        let mut bytes = Vec::new();
        tree.write(&mut bytes);
        assert!(bytes.starts_with(b"\0-1 2\n"));
        assert_eq!(CacheTree::parse(&bytes).as_ref(), Some(&tree));
    }
}
