//! Scans: every lead file of the workspace, read in parallel, closed leads skipped
//! cheaply, unreadable files reported (never dropped silently).

use std::fs::{self, File};
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{MAX_LEAD_BYTES, Workspace};
use crate::error::workspace;
use crate::lead::Lead;

impl Workspace {
    /// Every `.yaml` file in `leads/` (including badly named ones, which `validate` reports).
    pub fn lead_files(&self) -> Result<Vec<LeadFile>> {
        let dir = self.leads_dir();
        let mut files = Vec::new();
        if !dir.is_dir() {
            return Ok(files);
        }
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('.') && name.ends_with(".yaml") {
                // The listing's type, not the target's: a link is never followed.
                let symlink = entry.file_type().is_ok_and(|t| t.is_symlink());
                files.push(LeadFile { path: entry.path(), symlink });
            }
        }
        // One directory, so byte order of the whole path is file name order, and far
        // cheaper than comparing path components.
        files.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
        Ok(files)
    }

    /// Read the lead files `want` asks for and map each lead through `f`, on all cores.
    ///
    /// This is the year-of-leads path (escalate-check, report, list): files are read in
    /// parallel, closed leads are skipped from their `status:` line without a YAML parse
    /// when `want` allows, and only what `f` keeps stays in memory. Results come in file
    /// name order (ids start with the capture date, so oldest first).
    pub fn scan_map<T: Send>(
        &self,
        want: Want,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_map_where(want, |_| true, f)
    }

    /// [`Workspace::scan_map`], parsing only the files whose text `may_match` admits (a
    /// search passes most files over on a substring test, without a YAML parse).
    pub fn scan_map_where<T: Send>(
        &self,
        want: Want,
        may_match: impl Fn(&str) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        // `f` runs on the reading thread, so only what it keeps outlives the parse.
        let results = self.par_files(|file, buf| {
            let parsed = read_into(file, buf).and_then(|text| {
                if want.skips(text) || !may_match(text) { Ok(None) } else { self.parse_file(&file.path, text).map(&f) }
            });
            match parsed {
                Ok(Some(value)) => Some(Ok(value)),
                Ok(None) => None,
                Err(e) => Some(Err(ScanError { file: self.relative(&file.path), message: format!("{e:#}") })),
            }
        })?;
        let mut kept = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(value) => kept.push(value),
                Err(e) => errors.push(e),
            }
        }
        Ok((kept, errors))
    }

    /// Run `f` over every lead file, several threads at once (reading files is mostly
    /// waiting on the kernel, so more threads than cores pay), keeping what it returns in
    /// file name order. `f` gets a buffer to read into, reused across files.
    pub fn par_files<T: Send>(&self, f: impl Fn(&LeadFile, &mut Vec<u8>) -> Option<T> + Sync) -> Result<Vec<T>> {
        let files = self.lead_files()?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = (cores * 4).clamp(2, 16);
        let chunk = files.len().div_ceil(threads).max(256);
        let parts: Vec<Vec<T>> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    let f = &f;
                    s.spawn(move || {
                        let mut buf = Vec::with_capacity(8 * 1024);
                        part.iter().filter_map(|file| f(file, &mut buf)).collect::<Vec<T>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
        Ok(parts.into_iter().flatten().collect())
    }
}

/// A `.yaml` file in `leads/`, as the directory listing describes it.
#[derive(Debug, Clone)]
pub struct LeadFile {
    pub path: PathBuf,
    /// The listing says it is a symbolic link (never followed).
    pub symlink: bool,
}

/// Read a lead file into `buf` and return it as text: no symlinks, no oversized files,
/// UTF-8 only, a BOM dropped. One open and one or two reads per file.
pub fn read_into<'b>(file: &LeadFile, buf: &'b mut Vec<u8>) -> Result<&'b str> {
    let path = &file.path;
    if file.symlink {
        return Err(workspace(format!(
            "{} is a symbolic link; handoff reads only regular files inside the workspace",
            path.display()
        )));
    }
    buf.clear();
    File::open(path)
        .and_then(|f| f.take(MAX_LEAD_BYTES + 1).read_to_end(buf))
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > MAX_LEAD_BYTES {
        return Err(workspace(format!(
            "{} is larger than the {MAX_LEAD_BYTES} bytes allowed; it is not a lead file handoff wrote",
            path.display()
        )));
    }
    let text = std::str::from_utf8(buf).map_err(|e| {
        workspace(format!("{} is not UTF-8 text (bad byte at offset {})", path.display(), e.valid_up_to()))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Which leads a scan needs. Skipping is decided from the file's text without parsing it,
/// and only for files handoff wrote in its canonical shape; anything unusual is parsed.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    /// Every lead.
    All,
    /// Leads that are not closed.
    Open,
    /// Open leads, and closed leads whose last event is at or after this instant (what a
    /// report for a past day needs).
    ActiveSince(jiff::Timestamp),
}

impl Want {
    /// Whether a file's text can be passed over unparsed.
    pub fn skips(self, text: &str) -> bool {
        let closed = || peek_status(text) == Some(crate::lead::Status::Closed);
        match self {
            Want::All => false,
            Want::Open => closed(),
            Want::ActiveSince(since) => closed() && last_event_at(text).is_some_and(|at| at < since),
        }
    }
}

/// The `status:` of a lead file from its first lines (canonical files have it second).
fn peek_status(text: &str) -> Option<crate::lead::Status> {
    text.lines().take(4).find_map(|l| l.strip_prefix("status: ")).and_then(|v| v.trim().parse().ok())
}

/// The time of the last history event (events are appended oldest first).
fn last_event_at(text: &str) -> Option<jiff::Timestamp> {
    let start = text.rfind("\n- at: ")? + "\n- at: ".len();
    let line = text[start..].lines().next()?;
    line.trim().parse::<crate::clock::Stamp>().ok().map(|s| s.timestamp())
}

/// A lead file that could not be read: its path relative to the root, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanError {
    pub file: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_leads_are_skipped_from_their_status_line() {
        let closed = "id: 20261124-abcdefghj\nstatus: closed\nhistory:\n- at: 2026-11-24T07:00:00-06:00\n  by: ana\n- at: 2026-11-24T09:00:00-06:00\n  by: dev\n";
        let open = closed.replace("status: closed", "status: accepted");
        let nine: jiff::Timestamp = "2026-11-24T15:00:00Z".parse().unwrap();
        let ten: jiff::Timestamp = "2026-11-24T16:00:00Z".parse().unwrap();
        assert!(Want::Open.skips(closed));
        assert!(!Want::Open.skips(&open));
        assert!(!Want::All.skips(closed));
        assert!(!Want::ActiveSince(nine).skips(closed));
        assert!(Want::ActiveSince(ten).skips(closed));
        assert!(!Want::Open.skips("garbage"));
    }
}
