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

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::lead::LeadId;
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
    !stored.is_empty() && stamp_of(ws, &stamp_dirs(ws, &stored)) == stored
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

/// After handoff itself wrote `written`, keep a list that was fresh before (`was_fresh`)
/// fresh: the listed directories' new times, and the written file's month and year
/// directories when the write created them. The caller holds the workspace lock.
pub fn carry_stamp(ws: &Workspace, was_fresh: bool, written: &Path) {
    if !was_fresh {
        return;
    }
    let mut dirs = stamp_dirs(ws, &read_stamp(ws));
    let month = written.parent();
    for dir in [month.and_then(Path::parent), month].into_iter().flatten() {
        if dir.starts_with(ws.leads_dir()) && !dirs.iter().any(|d| d == dir) {
            dirs.push(dir.to_path_buf());
        }
    }
    let stamp = stamp_of(ws, &dirs);
    if !stamp.is_empty() {
        // A cache: if this write is lost the list is rebuilt, so no fsync.
        write_stamp(ws, &stamp);
    }
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

/// Record that lead `id` has `phone`. The caller holds the workspace lock.
pub fn add(ws: &Workspace, id: &LeadId, phone: &str) -> Result<()> {
    let digits = phone::digits(phone);
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
            && let Some(id) = file.path.file_stem().and_then(|s| s.to_str())
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
    }
    Ok(buckets)
}
