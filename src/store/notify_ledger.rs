//! The delivery ledger: which notices went out over which channel, and which failed and
//! when to try them again. Local state in `.handoff/notify/`, never committed (deliveries
//! are per machine; the events themselves travel in git).
//!
//! - `delivered.tsv`: one line per delivery, `EVENT_AT<TAB>CHANNEL<TAB>KEY`, appended and
//!   synced right after the receiver took the message, so a run killed mid-way repeats at
//!   most the message it was sending (at-least-once); lines older than the announce window
//!   are dropped when a run finishes.
//! - `retry.tsv`: failed deliveries, `KEY<TAB>CHANNEL<TAB>ATTEMPTS<TAB>NEXT_TRY<TAB>ERROR`.
//! - `lock`: held by the run delivering, so overlapping cron runs never send one twice.
//!
//! Nothing here holds customer data: keys name the lead id, time, event and staff id.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jiff::{SignedDuration, Timestamp};

use super::{LEAD_FILE_MODE, Workspace, read_limited, write_atomic_mode};

impl Workspace {
    /// Where the delivery ledger lives (`.handoff/notify/`).
    pub fn notify_dir(&self) -> PathBuf {
        self.state_dir().join("notify")
    }
}

const DELIVERED: &str = "delivered.tsv";
const RETRY: &str = "retry.tsv";
const LOCK: &str = "lock";
const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;

/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: SignedDuration = SignedDuration::from_mins(1);
pub const MAX_BACKOFF: SignedDuration = SignedDuration::from_hours(1);

/// A delivery that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub next_try: Timestamp,
    pub error: String,
}

/// The ledger of one workspace.
pub struct Ledger {
    dir: PathBuf,
    /// (key, channel) → the event's time (to forget it once it is too old to announce).
    delivered: BTreeMap<(String, String), Timestamp>,
    retries: BTreeMap<(String, String), Retry>,
    /// The lock and the open journal, when this ledger may record deliveries.
    writer: Option<(File, File)>,
}

impl Ledger {
    /// Read the ledger in `dir` without taking it (for `--pending` and `--dry-run`).
    pub fn read(dir: &Path) -> Result<Ledger> {
        let mut ledger =
            Ledger { dir: dir.to_path_buf(), delivered: BTreeMap::new(), retries: BTreeMap::new(), writer: None };
        let delivered = dir.join(DELIVERED);
        if delivered.exists() {
            for line in read_limited(&delivered, MAX_STATE_BYTES)?.lines() {
                // A line cut short by a crash is skipped: at worst that message goes again.
                let mut f = line.splitn(3, '\t');
                if let (Some(at), Some(channel), Some(key)) = (f.next(), f.next(), f.next())
                    && let Ok(at) = at.parse::<Timestamp>()
                {
                    ledger.delivered.insert((key.to_owned(), channel.to_owned()), at);
                }
            }
        }
        let retry = dir.join(RETRY);
        if retry.exists() {
            for line in read_limited(&retry, MAX_STATE_BYTES)?.lines() {
                let f: Vec<&str> = line.splitn(5, '\t').collect();
                if let [key, channel, attempts, next, error] = f[..]
                    && let (Ok(attempts), Ok(next_try)) = (attempts.parse(), next.parse())
                {
                    let retry = Retry { attempts, next_try, error: error.to_owned() };
                    ledger.retries.insert((key.to_owned(), channel.to_owned()), retry);
                }
            }
        }
        Ok(ledger)
    }

    /// Take the ledger in `dir` to deliver: `None` while another run holds it.
    pub fn take(dir: &Path) -> Result<Option<Ledger>> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let lock_path = dir.join(LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        let mut ledger = Ledger::read(dir)?;
        let journal_path = dir.join(DELIVERED);
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(LEAD_FILE_MODE)
            .open(&journal_path)
            .with_context(|| format!("cannot open {}", journal_path.display()))?;
        ledger.writer = Some((lock, journal));
        Ok(Some(ledger))
    }

    pub fn is_delivered(&self, key: &str, channel: &str) -> bool {
        self.delivered.contains_key(&(key.to_owned(), channel.to_owned()))
    }

    pub fn retry(&self, key: &str, channel: &str) -> Option<&Retry> {
        self.retries.get(&(key.to_owned(), channel.to_owned()))
    }

    /// Whether a delivery may be tried at `now` (never failed, or its backoff has passed).
    pub fn may_try(&self, key: &str, channel: &str, now: Timestamp) -> bool {
        self.retry(key, channel).is_none_or(|r| r.next_try <= now)
    }

    /// Record a delivery at once, synced to disk (the ledger must have been taken).
    pub fn delivered(&mut self, key: &str, channel: &str, event_at: Timestamp) -> Result<()> {
        let (_, journal) = self.writer.as_mut().context("the delivery ledger is not taken")?;
        let line = format!("{event_at}\t{channel}\t{key}\n");
        journal
            .write_all(line.as_bytes())
            .and_then(|()| journal.sync_data())
            .with_context(|| format!("cannot record a delivery in {}", self.dir.join(DELIVERED).display()))?;
        self.delivered.insert((key.to_owned(), channel.to_owned()), event_at);
        self.retries.remove(&(key.to_owned(), channel.to_owned()));
        Ok(())
    }

    /// Record a failed attempt; the next one waits twice as long as the last (1 min to 1 h).
    pub fn failed(&mut self, key: &str, channel: &str, error: &str, now: Timestamp) -> &Retry {
        let entry = self.retries.entry((key.to_owned(), channel.to_owned())).or_insert(Retry {
            attempts: 0,
            next_try: now,
            error: String::new(),
        });
        entry.attempts = entry.attempts.saturating_add(1);
        entry.next_try = now.checked_add(backoff(entry.attempts)).unwrap_or(now);
        entry.error = error.replace(['\t', '\n', '\r'], " ");
        entry
    }

    /// End a delivering run: forget deliveries of events older than `keep_from`, and
    /// retries for notices no longer `live` (delivered, stale or too old).
    pub fn finish(mut self, keep_from: Timestamp, live: &HashSet<String>) -> Result<()> {
        self.delivered.retain(|_, at| *at >= keep_from);
        self.retries.retain(|(key, _), _| live.contains(key));
        let mut text = String::new();
        for ((key, channel), at) in &self.delivered {
            text.push_str(&format!("{at}\t{channel}\t{key}\n"));
        }
        write_atomic_mode(&self.dir.join(DELIVERED), text.as_bytes(), LEAD_FILE_MODE)?;
        let mut text = String::new();
        for ((key, channel), r) in &self.retries {
            text.push_str(&format!("{key}\t{channel}\t{}\t{}\t{}\n", r.attempts, r.next_try, r.error));
        }
        let retry = self.dir.join(RETRY);
        if text.is_empty() {
            match fs::remove_file(&retry) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("cannot remove {}", retry.display()))
                }
                _ => Ok(()),
            }
        } else {
            write_atomic_mode(&retry, text.as_bytes(), LEAD_FILE_MODE)
        }
    }
}

/// How long to wait after the `attempts`-th failure.
pub fn backoff(attempts: u32) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(10);
    let wait = FIRST_BACKOFF.checked_mul(1 << doublings).unwrap_or(MAX_BACKOFF);
    wait.min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let mins: Vec<i64> = (1..=9).map(|n| backoff(n).as_mins()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn deliveries_survive_a_new_process_and_old_ones_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let now = ts("2026-11-28T08:00:00Z");
        let mut l = Ledger::take(dir.path()).unwrap().unwrap();
        // While one run holds the ledger, another cannot take it.
        assert!(Ledger::take(dir.path()).unwrap().is_none());
        l.delivered("a/old", "mail", ts("2026-11-20T08:00:00Z")).unwrap();
        l.delivered("b/new", "mail", now).unwrap();
        l.failed("c/fails", "hook", "HTTP 500", now);
        l.failed("c/fails", "hook", "HTTP 500\tagain", now);
        l.failed("d/gone", "hook", "HTTP 500", now);
        // Before `finish`, a fresh reader already sees the deliveries (synced as they happen).
        assert!(Ledger::read(dir.path()).unwrap().is_delivered("b/new", "mail"));
        let live: HashSet<String> = ["c/fails".to_owned()].into();
        l.finish(ts("2026-11-26T08:00:00Z"), &live).unwrap();
        let l = Ledger::read(dir.path()).unwrap();
        assert!(l.is_delivered("b/new", "mail"));
        assert!(!l.is_delivered("b/new", "hook"));
        assert!(!l.is_delivered("a/old", "mail"));
        let r = l.retry("c/fails", "hook").unwrap();
        assert_eq!((r.attempts, r.next_try, r.error.as_str()), (2, ts("2026-11-28T08:02:00Z"), "HTTP 500 again"));
        assert!(!l.may_try("c/fails", "hook", ts("2026-11-28T08:01:00Z")));
        assert!(l.may_try("c/fails", "hook", ts("2026-11-28T08:02:00Z")));
        assert!(l.retry("d/gone", "hook").is_none());
        // The lock went with the first ledger.
        assert!(Ledger::take(dir.path()).unwrap().is_some());
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(DELIVERED), "2026-11-28T08:00:00Z\tmail\tk1\n2026-11-28T08:0").unwrap();
        let l = Ledger::read(dir.path()).unwrap();
        assert!(l.is_delivered("k1", "mail"));
        assert_eq!(l.delivered.len(), 1);
    }
}
