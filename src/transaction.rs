//! The one write path: every mutating command opens a [`Transaction`] — lock the
//! workspace, read, mutate, write atomically, commit on [`Transaction::finish`] — so
//! locking, history order, the local indexes and git cannot be forgotten by a new command
//! (jj's `start_transaction()` … `tx.finish()`).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;

use crate::context::Ctx;
use crate::error::workspace;
use crate::lead::{Lead, LeadId};
use crate::schedule::Duty;
use crate::store::WorkspaceLock;

/// A unit of change, holding the workspace lock until it is finished or dropped.
#[must_use = "a transaction commits only when finished: call `finish`"]
pub struct Transaction<'c> {
    ctx: &'c Ctx,
    /// Who the commit is authored by (a staff id, or `system`).
    by: String,
    _lock: WorkspaceLock,
    /// For each lead read: its history length and phone as read, so a write keeps the
    /// history ordered and the phone index learns only a changed number.
    read: HashMap<LeadId, (usize, Option<String>)>,
    written: Vec<PathBuf>,
    /// Each written file's bytes before this transaction (`None`: it did not exist), to
    /// undo the writes when git cannot record them.
    before: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Ctx {
    /// Start a transaction authored by `by`: waits for the workspace lock.
    ///
    /// In a git workspace it first makes sure the commit can be made: no merge half done, no
    /// stale git lock (recovered when provably stale). [`Transaction::finish`] commits a
    /// hand edit of a file it changes on its own first.
    pub fn transaction(&self, by: &str) -> Result<Transaction<'_>> {
        let lock = self.ws.lock()?;
        if self.rules.git {
            crate::sync::before_write(&self.ws)?;
        }
        Ok(Transaction {
            ctx: self,
            by: by.to_owned(),
            _lock: lock,
            read: HashMap::new(),
            written: Vec::new(),
            before: Vec::new(),
        })
    }

    /// The one way a command changes one existing lead: a transaction that reads the lead,
    /// lets `change` edit it (returning the commit summary), writes and commits it. A
    /// refusal from `change` leaves the file untouched.
    pub fn change_lead(
        &self,
        arg: &str,
        command: &str,
        change: impl FnOnce(&mut Lead) -> Result<String>,
    ) -> Result<Lead> {
        let by = self.actor()?.id.clone();
        let mut tx = self.transaction(&by)?;
        let mut lead = tx.read(arg)?;
        let summary = change(&mut lead)?;
        tx.write(&mut lead)?;
        tx.finish(&format!("{command} {}: {summary}", lead.id))?;
        Ok(lead)
    }
}

impl Transaction<'_> {
    /// Resolve an id argument (full id or unique prefix) and read that lead.
    pub fn read(&mut self, arg: &str) -> Result<Lead> {
        let id = self.ctx.ws.resolve(arg)?;
        self.read_id(&id)
    }

    /// Read a lead by id.
    pub fn read_id(&mut self, id: &LeadId) -> Result<Lead> {
        let lead = self.ctx.ws.read(id)?;
        self.read.insert(lead.id.clone(), (lead.history.len(), lead.primary_phone.clone()));
        Ok(lead)
    }

    /// Write a lead read in this transaction (or a new one). Events appended since the read
    /// are kept in time order.
    pub fn write(&mut self, lead: &mut Lead) -> Result<()> {
        let (appended_from, phone_before) = self.read.get(&lead.id).cloned().unwrap_or((0, None));
        lead.keep_history_ordered(appended_from);
        self.remember(&self.ctx.ws.lead_path(&lead.id));
        let path = self.ctx.ws.write(lead, phone_before.as_deref())?;
        self.read.insert(lead.id.clone(), (lead.history.len(), lead.primary_phone.clone()));
        self.written.push(path);
        Ok(())
    }

    /// Write a new lead; refuses to replace an existing file.
    pub fn create(&mut self, lead: &Lead) -> Result<PathBuf> {
        self.remember(&self.ctx.ws.lead_path(&lead.id));
        let path = self.ctx.ws.create(lead)?;
        self.read.insert(lead.id.clone(), (lead.history.len(), lead.primary_phone.clone()));
        self.written.push(path.clone());
        Ok(path)
    }

    /// Read the overrides and away periods afresh, under the lock.
    pub fn read_duty(&mut self) -> Result<Duty> {
        self.ctx.ws.load_duty()
    }

    /// Write the overrides and away periods (committed with the rest on finish).
    pub fn write_duty(&mut self, duty: &Duty) -> Result<()> {
        let path = self.ctx.ws.write_duty(duty)?;
        self.written.push(path);
        Ok(())
    }

    /// The files written so far.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }

    fn remember(&mut self, path: &std::path::Path) {
        if !self.ctx.rules.git {
            // Nothing to commit, so nothing to undo or to commit first: no read.
            return;
        }
        let bytes = std::fs::read(path).ok();
        // A file not there yet cannot have been remembered with other bytes (a transaction
        // never deletes): no search, which would make an import of 100k leads quadratic.
        if bytes.is_none() || !self.before.iter().any(|(p, _)| p == path) {
            self.before.push((path.to_path_buf(), bytes));
        }
    }

    /// Commit what was written (nothing to commit, no commit) and release the lock.
    ///
    /// A command never succeeds without its commit: when git cannot record the change, the
    /// files are put back as they were and the command fails (exit 3) with git's reason.
    pub fn finish(self, message: &str) -> Result<()> {
        if self.written.is_empty() {
            return Ok(());
        }
        let Err(e) = self.ctx.commit(&self.written, &self.before, &self.by, message) else { return Ok(()) };
        let mut undone = true;
        for (path, bytes) in &self.before {
            let restored = match bytes {
                Some(b) => crate::store::write_atomic_mode(path, b, self.ctx.ws.lead_file_mode()).is_ok(),
                None => std::fs::remove_file(path).is_ok(),
            };
            undone &= restored;
        }
        Err(workspace(format!(
            "git could not record the change, so {}: {e:#}\nfix the repository (`git status` shows its state), then run the command again",
            if undone { "it was undone" } else { "it is saved but NOT committed (the next command commits it)" }
        )))
    }
}
