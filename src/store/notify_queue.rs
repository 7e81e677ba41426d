//! The `--notify` retry queue and the claims of runs delivering notifications.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use super::{LEAD_FILE_MODE, Workspace, read_limited, write_atomic_mode};

/// Undelivered `--notify` payloads, in the local state directory.
const NOTIFY_RETRY_FILE: &str = "notify-retry.jsonl";
/// Payloads a running `escalate-check` is delivering (`notify-claim-PID-NANOS.jsonl`).
const NOTIFY_CLAIM_PREFIX: &str = "notify-claim-";
const NOTIFY_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Notifications one run is delivering; see [`Workspace::claim_notifications`].
pub struct NotifyClaim {
    path: PathBuf,
    /// Holds the claim's lock until the claim is finished or the process ends.
    _file: File,
    /// What to deliver, as JSON texts: retries first, then the fresh ones.
    pub items: Vec<String>,
    /// How many of `items` are retries.
    pub retried: usize,
    /// Retries dropped because `keep` no longer wanted them.
    pub dropped: usize,
}

impl Workspace {
    /// How many `escalate-check --notify` payloads of earlier runs wait to be delivered
    /// (`handoff status` adds the messages `handoff notify` has yet to send).
    pub fn pending_notifications(&self) -> usize {
        read_limited(&self.state_dir().join(NOTIFY_RETRY_FILE), NOTIFY_MAX_BYTES)
            .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
            .unwrap_or(0)
    }

    /// Claim the notifications this run must deliver: those earlier runs could not deliver
    /// (the retry queue, and the claims of runs that died mid-delivery) that `keep` still
    /// wants, then `fresh`. The claim is a file locked for as long as this process lives:
    /// if it dies, the kernel drops the lock and the next run takes the file over, so every
    /// notification is delivered at least once and overlapping runs never share one.
    pub fn claim_notifications(&self, keep: impl Fn(&str) -> bool, fresh: Vec<String>) -> Result<NotifyClaim> {
        let _lock = self.lock()?;
        let dir = self.state_dir();
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut earlier = Vec::new();
        let mut taken = Vec::new();
        let queue = dir.join(NOTIFY_RETRY_FILE);
        if queue.exists() {
            earlier.extend(read_limited(&queue, NOTIFY_MAX_BYTES)?.lines().map(str::to_owned));
            taken.push(queue);
        }
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with(NOTIFY_CLAIM_PREFIX) && File::open(&path).is_ok_and(|f| f.try_lock().is_ok()) {
                earlier.extend(read_limited(&path, NOTIFY_MAX_BYTES)?.lines().map(str::to_owned));
                taken.push(path);
            }
        }
        let mut items: Vec<String> = Vec::new();
        let mut dropped = 0;
        for item in earlier.into_iter().filter(|l| !l.trim().is_empty()) {
            if !keep(&item) {
                dropped += 1;
            } else if !items.contains(&item) {
                items.push(item);
            }
        }
        let retried = items.len();
        items.extend(fresh);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = dir.join(format!("{NOTIFY_CLAIM_PREFIX}{}-{nanos}.jsonl", std::process::id()));
        let mut file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(LEAD_FILE_MODE)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        let text: String = items.iter().map(|i| format!("{i}\n")).collect();
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        for old in taken {
            fs::remove_file(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        Ok(NotifyClaim { path, _file: file, items, retried, dropped })
    }

    /// End a claim: what could not be delivered goes back on the retry queue.
    pub fn finish_notifications(&self, claim: NotifyClaim, undelivered: &[String]) -> Result<()> {
        let _lock = self.lock()?;
        if !undelivered.is_empty() {
            let queue = self.state_dir().join(NOTIFY_RETRY_FILE);
            let mut text = if queue.exists() { read_limited(&queue, NOTIFY_MAX_BYTES)? } else { String::new() };
            for item in undelivered {
                text.push_str(item);
                text.push('\n');
            }
            write_atomic_mode(&queue, text.as_bytes(), LEAD_FILE_MODE)?;
        }
        fs::remove_file(&claim.path).with_context(|| format!("cannot remove {}", claim.path.display()))
    }
}
