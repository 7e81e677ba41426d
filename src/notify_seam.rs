//! The seam to the notification ledger: how many notifications wait to be delivered.
//!
//! Until the notification ledger (branch `notify`) lands, this counts the undelivered
//! `escalate-check --notify` payloads queued in `.handoff/notify-retry.jsonl`; replace the
//! body with the ledger's pending count.

use crate::store::Workspace;

/// Notifications that failed and wait for the next run.
pub fn pending(ws: &Workspace) -> usize {
    let path = ws.state_dir().join("notify-retry.jsonl");
    crate::store::read_limited(&path, 16 * 1024 * 1024)
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .unwrap_or(0)
}
