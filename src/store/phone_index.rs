//! The same-phone fast path: which leads have a phone number, without reading every file.
//!
//! `.handoff/phones/NN` holds `digits id` lines for the numbers ending in the digits NN
//! (100 buckets, so a lookup reads 1 % of the list), appended when capture or update
//! sets a phone.
//! `.handoff/phones.stamp` holds the modification times of `leads/` and its month
//! directories (`leads/YYYY/MM/`) as handoff last left them. Every handoff write moves
//! that stamp along (`Workspace::write`); a `git pull`, a hand edit through an editor that
//! renames, or a deleted file changes a directory behind handoff's back, the stamps
//! differ, and the list is rebuilt from the scan index (`index`), which re-reads only the
//! files whose stat changed. Entries may be stale (a changed
//! phone keeps its old line): callers confirm candidates against the lead itself. The
//! warning it feeds is advice, never a gate, so a missed match costs a repeated question,
//! not a lead.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::lead::{LeadId, Status};
use crate::phone;
use crate::store::{Workspace, read_limited};

const INDEX: &str = "phones";
const STAMP: &str = "phones.stamp";

fn index_dir(ws: &Workspace) -> PathBuf {
    ws.state_dir().join(INDEX)
}

/// The bucket of a number: its last two digits.
fn bucket(digits: &str) -> String {
    let tail = &digits[digits.len().saturating_sub(2)..];
    format!("{tail:0>2}")
}

fn index_path(ws: &Workspace, digits: &str) -> PathBuf {
    index_dir(ws).join(bucket(digits))
}

fn stamp_path(ws: &Workspace) -> PathBuf {
    ws.state_dir().join(STAMP)
}

/// A directory's modification time, as text.
fn mtime(p: &Path) -> Option<String> {
    fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
}

/// The stamp as it is now: one `mtime dir` line for `leads/`, each year and each month
/// directory (listed here, when the list is rebuilt; checks only `stat` the listed
/// directories, since a new year or month changes its parent's time). Empty when unknown.
pub fn dir_stamp(ws: &Workspace) -> String {
    let leads = ws.leads_dir();
    let digits =
        |n: &std::ffi::OsStr, len: usize| n.len() == len && n.to_string_lossy().bytes().all(|b| b.is_ascii_digit());
    let subdirs = |dir: &Path, len: usize| -> Vec<PathBuf> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| digits(&e.file_name(), len) && e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let mut dirs = vec![leads.clone()];
    for year in subdirs(&leads, 4) {
        dirs.push(year.clone());
        dirs.extend(subdirs(&year, 2));
    }
    stamp_of(ws, &dirs)
}

fn stamp_of(ws: &Workspace, dirs: &[PathBuf]) -> String {
    let mut stamp = String::new();
    for dir in dirs {
        let Some(m) = mtime(dir) else { return String::new() };
        stamp.push_str(&format!("{m} {}\n", ws.relative(dir)));
    }
    stamp
}

/// The directories a stamp lists.
fn stamp_dirs(ws: &Workspace, stamp: &str) -> Vec<PathBuf> {
    stamp.lines().filter_map(|l| l.split_once(' ')).map(|(_, dir)| ws.root.join(dir)).collect()
}

/// Whether the stored stamp still matches the directories (a dozen or so `stat`s).
pub fn is_fresh(ws: &Workspace) -> bool {
    let stored = read_stamp(ws);
    let fresh = !stored.is_empty() && stamp_of(ws, &stamp_dirs(ws, &stored)) == stored;
    if fresh {
        remember(ws, stored);
    }
    fresh
}

/// The stamp this process last found matching the directories, or wrote, with its
/// workspace's root: a write carries it along without reading the file again and
/// `stat`-ing every directory a second time.
static KNOWN: Mutex<Option<(PathBuf, String)>> = Mutex::new(None);

fn known() -> std::sync::MutexGuard<'static, Option<(PathBuf, String)>> {
    KNOWN.lock().unwrap_or_else(|p| p.into_inner())
}

fn remember(ws: &Workspace, stamp: String) {
    *known() = Some((ws.root.clone(), stamp));
}

/// Overwrite the stamp in place. Not `fs::write`: truncating a file to zero makes ext4
/// flush it to disk at once (its guard for replace-by-truncate), a wait on every write of
/// an import. A cache, so a torn stamp only costs a rebuild.
fn write_stamp(ws: &Workspace, stamp: &str) {
    let _ = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(stamp_path(ws))
        .and_then(|mut f| f.write_all(stamp.as_bytes()).and_then(|()| f.set_len(stamp.len() as u64)));
}

fn read_stamp(ws: &Workspace) -> String {
    fs::read_to_string(stamp_path(ws)).unwrap_or_default()
}

/// Whether the list matches the files before a write (see [`carry_stamp`]); while writes
/// are deferred, as it was when they started.
pub fn fresh_before_write(ws: &Workspace) -> bool {
    match &*pending() {
        Some(p) if p.root == ws.root => p.was_fresh,
        _ => is_fresh(ws),
    }
}

/// After handoff itself wrote `written`, keep a list that was fresh before (`was_fresh`)
/// fresh: the new time of the directory the file was written in, and of the year
/// directory and `leads/` when the write created the month or the year. The caller holds
/// the workspace lock.
pub fn carry_stamp(ws: &Workspace, was_fresh: bool, written: &Path) {
    if !was_fresh {
        return;
    }
    let Some(month) = written.parent().filter(|d| d.starts_with(ws.leads_dir())) else { return };
    if let Some(p) = pending().as_mut().filter(|p| p.root == ws.root) {
        // An import writes one month after another: most writes add nothing.
        if !p.dirs.contains(month) {
            p.dirs.insert(month.to_path_buf());
        }
        return;
    }
    write_carried_stamp(ws, [month.to_path_buf()]);
}

/// The stamp carried over writes into the directories `months`: the stamp this process
/// found fresh (see [`is_fresh`]) with the new times of those directories only, and of
/// their parents where a write created a directory the stamp does not list. A change by
/// another program to any other directory since then still shows, as before. Without such
/// a stamp, the stored one with every listed directory's time now.
fn write_carried_stamp(ws: &Workspace, months: impl IntoIterator<Item = PathBuf>) {
    let known = known().as_ref().filter(|(root, _)| *root == ws.root).map(|(_, s)| s.clone());
    let stamp = match known {
        Some(base) => carried(ws, &base, months),
        None => {
            let mut dirs = stamp_dirs(ws, &read_stamp(ws));
            for month in months {
                for dir in [month.parent().map(Path::to_path_buf), Some(month)].into_iter().flatten() {
                    if dir.starts_with(ws.leads_dir()) && !dirs.contains(&dir) {
                        dirs.push(dir);
                    }
                }
            }
            stamp_of(ws, &dirs)
        }
    };
    if !stamp.is_empty() {
        // A cache: if this write is lost the list is rebuilt, so no fsync.
        write_stamp(ws, &stamp);
        remember(ws, stamp);
    }
}

/// `base` (a stamp found fresh) after writes into `months`; empty when a time is unknown.
fn carried(ws: &Workspace, base: &str, months: impl IntoIterator<Item = PathBuf>) -> String {
    // Each listed directory with its time, `None` where it must be read again.
    let mut lines: Vec<(PathBuf, Option<&str>)> =
        base.lines().filter_map(|l| l.split_once(' ')).map(|(m, dir)| (ws.root.join(dir), Some(m))).collect();
    let leads = ws.leads_dir();
    for month in months {
        // The month's entries changed; a month (or year) the stamp does not list was
        // created, which changed its parent's entries too.
        let mut new = Vec::new();
        let mut dir = month;
        loop {
            if let Some(line) = lines.iter_mut().find(|(d, _)| *d == dir) {
                line.1 = None;
                break;
            }
            new.push(dir.clone());
            match dir.parent() {
                Some(parent) if dir != leads && parent.starts_with(&leads) => dir = parent.to_path_buf(),
                _ => break,
            }
        }
        lines.extend(new.into_iter().rev().map(|d| (d, None)));
    }
    let mut stamp = String::new();
    for (dir, time) in lines {
        let Some(time) = time.map(str::to_owned).or_else(|| mtime(&dir)) else { return String::new() };
        stamp.push_str(&format!("{time} {}\n", ws.relative(&dir)));
    }
    stamp
}

/// The index updates of a bulk write (an import), held until it is done: then each
/// bucket is appended to once and the stamp carried once, not 100k times each.
#[derive(Default)]
struct Pending {
    root: PathBuf,
    /// The list matched the files when the writes started.
    was_fresh: bool,
    /// The directories lead files were written in.
    dirs: std::collections::BTreeSet<PathBuf>,
    /// `digits id` lines by bucket.
    lines: std::collections::BTreeMap<String, String>,
}

/// Held updates; a process writes one workspace at a time (under its lock).
static PENDING: Mutex<Option<Pending>> = Mutex::new(None);

fn pending() -> std::sync::MutexGuard<'static, Option<Pending>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Hold the index updates of the writes to come until [`flush`] (or [`discard`]). The
/// caller holds the workspace lock.
pub fn defer(ws: &Workspace) {
    let was_fresh = index_dir(ws).is_dir() && is_fresh(ws);
    *pending() = Some(Pending { root: ws.root.clone(), was_fresh, ..Pending::default() });
}

/// Apply the held updates: append each bucket's new lines, carry the stamp. A crash
/// before this leaves the stamp behind the directories, so the list is rebuilt.
pub fn flush(ws: &Workspace) -> Result<()> {
    let Some(p) = pending().take().filter(|p| p.root == ws.root) else { return Ok(()) };
    if !index_dir(ws).is_dir() {
        return Ok(());
    }
    for (bucket, lines) in &p.lines {
        let path = index_dir(ws).join(bucket);
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(super::LEAD_FILE_MODE)
            .open(&path)
            .and_then(|mut f| f.write_all(lines.as_bytes()))
            .with_context(|| format!("cannot append to {}", path.display()))?;
    }
    if p.was_fresh {
        write_carried_stamp(ws, p.dirs);
    }
    Ok(())
}

/// Forget the held updates (the writes were undone, or failed half way).
pub fn discard() {
    pending().take();
}

/// Ids of leads that may have this phone number, a local number (no area code) matching
/// the full numbers ending in it (confirm each against the lead).
/// The caller holds the workspace lock.
pub fn candidates(ws: &Workspace, phone: &str) -> Result<Vec<LeadId>> {
    let digits = phone::digits(phone);
    // An index of the old single-file shape is rebuilt as buckets.
    let text = if !index_dir(ws).is_dir() || !is_fresh(ws) {
        let current = dir_stamp(ws);
        rebuild(ws, &current)?.remove(&bucket(&digits)).unwrap_or_default()
    } else {
        read_limited(&index_path(ws, &digits), 64 * 1024 * 1024).unwrap_or_default()
    };
    Ok(text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(d, _)| phone::same_number(d, &digits))
        .filter_map(|(_, id)| id.parse().ok())
        .collect())
}

/// The whole same-phone list in memory, for many lookups in one transaction (an import
/// checks every row): read once, then each lookup is a hash probe, not a bucket read.
#[derive(Debug, Default)]
pub struct PhoneBook {
    /// `digits id` pairs by the numbers' last [`phone::LOCAL_DIGITS`] digits, which any two
    /// numbers `phone::same_number` matches share.
    by_tail: HashMap<String, Vec<(String, LeadId)>>,
}

impl PhoneBook {
    /// Read the list (rebuilt first when stale). The caller holds the workspace lock.
    pub fn load(ws: &Workspace) -> Result<PhoneBook> {
        let buckets = if !index_dir(ws).is_dir() || !is_fresh(ws) {
            rebuild(ws, &dir_stamp(ws))?
        } else {
            (0..100)
                .map(|n| format!("{n:02}"))
                .map(|name| {
                    let text = read_limited(&index_dir(ws).join(&name), 64 * 1024 * 1024).unwrap_or_default();
                    (name, text)
                })
                .collect()
        };
        let mut book = PhoneBook::default();
        for text in buckets.values() {
            for (digits, id) in text.lines().filter_map(|line| line.split_once(' ')) {
                if let Ok(id) = id.parse() {
                    book.insert(digits.to_owned(), id);
                }
            }
        }
        Ok(book)
    }

    /// Add lead `id` with `phone` to the book (not to the list on disk).
    pub fn add(&mut self, id: &LeadId, phone: &str) {
        self.insert(phone::digits(phone), id.clone());
    }

    fn insert(&mut self, digits: String, id: LeadId) {
        self.by_tail.entry(tail(&digits).to_owned()).or_default().push((digits, id));
    }

    /// Ids of leads that may have this phone number, as [`candidates`] finds them.
    pub fn candidates(&self, phone: &str) -> Vec<LeadId> {
        let digits = phone::digits(phone);
        let Some(list) = self.by_tail.get(tail(&digits)) else { return Vec::new() };
        list.iter().filter(|(d, _)| phone::same_number(d, &digits)).map(|(_, id)| id.clone()).collect()
    }
}

/// The last [`phone::LOCAL_DIGITS`] digits of a number (all of a shorter one).
fn tail(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(phone::LOCAL_DIGITS)..]
}

/// An open lead with a given phone number, as the same-phone note names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SameNumber {
    pub id: LeadId,
    pub status: Status,
    pub owner: Option<String>,
}

/// The open leads among `ids` whose number is `phone`'s, read from their files. A closed
/// lead in the writer's shape is passed over unparsed, and the others' status, owner and
/// number are taken by the fast reader where it can (most same-number leads of a busy
/// workspace are closed, and a full parse each costs a capture a millisecond); a file
/// that cannot be read is passed over, as the note this feeds is advice.
pub fn open_with_number(ws: &Workspace, ids: &[LeadId], phone: &str) -> Vec<SameNumber> {
    let digits = phone::digits(phone);
    let mut found = Vec::new();
    for id in ids {
        let path = ws.lead_path(id);
        let Ok(text) = read_limited(&path, super::MAX_LEAD_BYTES) else { continue };
        if super::scan::plainly_closed(&text) {
            continue;
        }
        let fields = fast_fields(&text, id).or_else(|| {
            let lead = ws.parse_file(&path, &text).ok()?;
            Some((lead.status, lead.owner, lead.primary_phone))
        });
        let Some((status, owner, number)) = fields else { continue };
        if status != Status::Closed && number.is_some_and(|n| phone::same_number(&phone::digits(&n), &digits)) {
            found.push(SameNumber { id: id.clone(), status, owner });
        }
    }
    found
}

/// Status, owner and number of lead `id` as the fast reader reads its file (it agrees with
/// the YAML parser on every file it answers for); `None`: ask the YAML parser.
fn fast_fields(text: &str, id: &LeadId) -> Option<(Status, Option<String>, Option<String>)> {
    let v = super::fast_reader::parse(text)?;
    if v.get("id")?.as_str()? != id.as_str() {
        return None;
    }
    let status: Status = serde_json::from_value(v.get("status")?.clone()).ok()?;
    let field = |key: &str| v.get(key).and_then(|f| f.as_str()).map(str::to_owned);
    Some((status, field("owner"), field("primary_phone")))
}

/// Record that lead `id` has `phone`. The caller holds the workspace lock.
pub fn add(ws: &Workspace, id: &LeadId, phone: &str) -> Result<()> {
    let digits = phone::digits(phone);
    if let Some(p) = pending().as_mut().filter(|p| p.root == ws.root) {
        p.lines.entry(bucket(&digits)).or_default().push_str(&format!("{digits} {id}\n"));
        return Ok(());
    }
    if !index_dir(ws).is_dir() {
        // No index yet: the next lookup builds it from the files, this lead included.
        return Ok(());
    }
    let path = index_path(ws, &digits);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(super::LEAD_FILE_MODE)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    writeln!(f, "{digits} {id}").context("cannot append to the phone index")
}

/// Rebuild the buckets from the scan index; returns each bucket's text.
fn rebuild(ws: &Workspace, stamp: &str) -> Result<std::collections::BTreeMap<String, String>> {
    let mut buckets: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (file, known) in ws.indexed_files()? {
        if let super::index::Known::Lead(s) = known
            && let Some(digits) = s.phone
            && let Some(id) = file.id()
        {
            buckets.entry(bucket(&digits)).or_default().push_str(&format!("{digits} {id}\n"));
        }
    }
    let dir = index_dir(ws);
    if dir.is_file() {
        // The single-file index of earlier versions.
        fs::remove_file(&dir).with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for n in 0..100 {
        let name = format!("{n:02}");
        // A cache (rebuilt whenever the stamp disagrees): no fsync for 100 small files.
        let path = dir.join(&name);
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(super::LEAD_FILE_MODE)
            .open(&path)
            .and_then(|mut f| f.write_all(buckets.get(&name).map_or("", |t| t.as_str()).as_bytes()))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !stamp.is_empty() {
        write_stamp(ws, stamp);
        remember(ws, stamp.to_owned());
    }
    if let Some(p) = pending().as_mut().filter(|p| p.root == ws.root) {
        // Held updates are in the rebuilt list; later writes carry its stamp.
        *p = Pending { root: p.root.clone(), was_fresh: !stamp.is_empty(), ..Pending::default() };
    }
    Ok(buckets)
}

#[cfg(test)]
mod tests {
    use super::{PhoneBook, carried, dir_stamp};
    use crate::lead::LeadId;

    #[test]
    fn a_carried_stamp_reads_again_only_the_directories_a_write_changed() {
        let (_dir, ws, path) = crate::store::test_workspace_with_lead("");
        let month = path.parent().unwrap().to_path_buf();
        // The stamp as found fresh, every time marked so a time read again shows.
        let old = "1.000000000";
        let found: String =
            dir_stamp(&ws).lines().map(|l| format!("{old} {}\n", l.split_once(' ').unwrap().1)).collect();
        assert_eq!(found, format!("{old} leads\n{old} leads/2026\n{old} leads/2026/11\n"));
        // Then a write into that month, and one that created a new year and month.
        let new_month = ws.leads_dir().join("2027").join("01");
        std::fs::create_dir_all(&new_month).unwrap();
        let stamp = carried(&ws, &found, [month, new_month]);
        let times: Vec<(&str, &str)> = stamp.lines().map(|l| l.split_once(' ').unwrap()).map(|(t, d)| (d, t)).collect();
        let dirs: Vec<&str> = times.iter().map(|(d, _)| *d).collect();
        assert_eq!(dirs, ["leads", "leads/2026", "leads/2026/11", "leads/2027", "leads/2027/01"]);
        for (dir, time) in times {
            // 2026 only gained a file in a month it had: its time stays as found, so a
            // change another program made there still shows at the next check.
            assert_eq!(time == old, dir == "leads/2026", "{dir}: {time}");
        }
    }

    #[test]
    fn a_book_finds_the_same_number_written_either_way() {
        let id = |s: &str| -> LeadId { s.parse().unwrap() };
        let mut book = PhoneBook::default();
        book.add(&id("20261124-aaaaaaaaa"), "+13125550142");
        book.add(&id("20261124-bbbbbbbbb"), "5550142");
        book.add(&id("20261124-ccccccccc"), "+13125550143");
        book.add(&id("20261124-ddddddddd"), "+17085550142");
        let found = |phone: &str| -> Vec<String> { book.candidates(phone).iter().map(ToString::to_string).collect() };
        assert_eq!(found("+1 (312) 555-0142"), ["20261124-aaaaaaaaa", "20261124-bbbbbbbbb"]);
        // A local number is any full number ending in it.
        assert_eq!(found("555-0142"), ["20261124-aaaaaaaaa", "20261124-bbbbbbbbb", "20261124-ddddddddd"]);
        assert!(found("+13125550199").is_empty());
    }
}
