//! The same-phone fast path: which leads have a phone number, without reading every file.
//!
//! `.handoff/phones` holds `digits id` lines, appended when capture or update sets a phone.
//! `.handoff/phones.stamp` holds the modification time of `leads/` as handoff last left
//! it. Every handoff write moves that stamp along (`Workspace::write`); a `git pull`, a
//! hand edit through an editor that renames, or a deleted file changes the directory
//! behind handoff's back, the stamps differ, and the index is rebuilt from the files
//! (reading just each file's `primary_phone:` line). Entries may be stale (a changed
//! phone keeps its old line): callers confirm candidates against the lead itself. The
//! warning it feeds is advice, never a gate, so a missed match costs a repeated question,
//! not a lead.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::lead::LeadId;
use crate::phone;
use crate::store::{Workspace, read_limited, write_atomic};

const INDEX: &str = "phones";
const STAMP: &str = "phones.stamp";

fn index_path(ws: &Workspace) -> PathBuf {
    ws.state_dir().join(INDEX)
}

fn stamp_path(ws: &Workspace) -> PathBuf {
    ws.state_dir().join(STAMP)
}

/// `leads/`'s modification time, as text; empty when unknown.
pub fn dir_stamp(ws: &Workspace) -> String {
    fs::metadata(ws.leads_dir())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(String::new(), |d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
}

fn read_stamp(ws: &Workspace) -> String {
    fs::read_to_string(stamp_path(ws)).unwrap_or_default()
}

/// After handoff itself changed `leads/` (from `before` to now), keep a fresh index fresh.
/// The caller holds the workspace lock.
pub fn carry_stamp(ws: &Workspace, before: &str) {
    if !before.is_empty() && read_stamp(ws) == before {
        // A cache: if this write is lost the index is rebuilt, so no fsync.
        let _ = fs::write(stamp_path(ws), dir_stamp(ws));
    }
}

/// Ids of leads that may have this phone number, a local number (no area code) matching
/// the full numbers ending in it (confirm each against the lead).
/// The caller holds the workspace lock.
pub fn candidates(ws: &Workspace, phone: &str) -> Result<Vec<LeadId>> {
    let digits = phone::digits(phone);
    let current = dir_stamp(ws);
    let text = if current.is_empty() || read_stamp(ws) != current {
        rebuild(ws, &current)?
    } else {
        read_limited(&index_path(ws), 64 * 1024 * 1024).unwrap_or_default()
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
    fs::create_dir_all(ws.state_dir()).with_context(|| format!("cannot create {}", ws.state_dir().display()))?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(index_path(ws))
        .with_context(|| format!("cannot open {}", index_path(ws).display()))?;
    writeln!(f, "{} {id}", phone::digits(phone)).context("cannot append to the phone index")
}

/// Rebuild the index from the lead files; returns its text.
fn rebuild(ws: &Workspace, stamp: &str) -> Result<String> {
    let lines = ws.par_files(|file, buf| {
        let text = super::scan::read_into(file, buf).ok()?;
        let value = text.lines().find_map(|l| l.strip_prefix("primary_phone:"))?;
        let value = value.trim().trim_matches(['\'', '"']);
        let id = file.path.file_stem()?.to_str()?;
        Some(format!("{} {id}\n", phone::digits(value)))
    })?;
    let text: String = lines.concat();
    fs::create_dir_all(ws.state_dir()).with_context(|| format!("cannot create {}", ws.state_dir().display()))?;
    write_atomic(&index_path(ws), text.as_bytes())?;
    if !stamp.is_empty() {
        let _ = fs::write(stamp_path(ws), stamp);
    }
    Ok(text)
}
