//! The only module that touches lead files: find the workspace, read, write, lock.
//!
//! Writes are atomic (temp file in the same directory, fsync, rename, fsync the directory);
//! mutating commands hold an exclusive `flock` on `.handoff/lock`, which the kernel drops
//! when the process dies, so a crash never leaves a stale lock.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{refused, workspace};
use crate::lead::{Lead, LeadId};
use crate::rules::Rules;

mod atomic;
mod brief;
mod duty;
mod fast_reader;
pub mod format;
#[cfg(test)]
mod format_props;
pub mod index;
pub mod notify_ledger;
pub mod notify_queue;
pub mod phone_index;
pub mod scan;
mod state;
mod writer;
mod yaml_events;

pub use atomic::{
    DeferredSync, Entropy, Flush, LEAD_FILE_MODE, SHARED_LEAD_FILE_MODE, write_atomic, write_atomic_mode,
};
pub use duty::MAX_DUTY_BYTES;
pub use format::{MAX_LEAD_BYTES, parse_lead, read_limited, screen_lead, serialize_lead};
pub use notify_queue::NotifyClaim;
pub use scan::{LeadFile, ScanError, Want};

pub const RULES_FILE: &str = "rules.yaml";
pub const LEADS_DIR: &str = "leads";
/// Local state (lock, caches); never committed.
/// The last rules.yaml that was valid, in the state directory (see `load_rules_or_last_good`).
pub const LAST_GOOD_RULES: &str = "rules.last-good.yaml";
pub const STATE_DIR: &str = ".handoff";

/// `YYYY/MM`: the shard (capture month) a lead's file lives in, from the date its id
/// starts with (validated digits, so never a path outside `leads/`).
pub fn shard_of(id: &LeadId) -> String {
    let s = id.as_str();
    format!("{}/{}", &s[..4], &s[4..6])
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// The lead ids the last scan of this process listed (see [`Workspace::listed_ids`]);
    /// forgotten when a lead is created.
    /// Kept as one text of ids, a line each: a `LeadId` apiece would cost three times the
    /// memory (at 1M leads, 56 MB against 19 MB) in every scan, and only tables use them.
    listed: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<str>>>>,
}

/// Held while a command reads, changes and commits leads.
pub struct WorkspaceLock {
    _file: File,
}

impl Workspace {
    /// Find the workspace: `--root`, else `$HANDOFF_ROOT`, else the nearest ancestor of
    /// `cwd` holding `rules.yaml`.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Workspace> {
        if let Some(root) = explicit {
            if !root.join(RULES_FILE).is_file() {
                return Err(workspace(format!(
                    "{} has no rules.yaml; create a workspace there with `handoff init {}`",
                    root.display(),
                    root.display()
                )));
            }
            return Workspace::checked(root.to_path_buf());
        }
        for dir in cwd.ancestors() {
            if dir.join(RULES_FILE).is_file() {
                return Workspace::checked(dir.to_path_buf());
            }
        }
        Err(workspace(format!(
            "no handoff workspace here: neither {} nor any parent holds rules.yaml; \
             pass --root DIR, set HANDOFF_ROOT, or create one with `handoff init`",
            cwd.display()
        )))
    }

    /// A workspace whose `leads/` is a real directory (never a link out of the workspace).
    fn checked(root: PathBuf) -> Result<Workspace> {
        let ws = Workspace { root, listed: Default::default() };
        if fs::symlink_metadata(ws.leads_dir()).is_ok_and(|m| !m.is_dir()) {
            return Err(workspace(format!(
                "{} is not a directory (a symbolic link?); handoff keeps leads in a real leads/ directory inside the workspace",
                ws.leads_dir().display()
            )));
        }
        Ok(ws)
    }

    pub fn rules_path(&self) -> PathBuf {
        self.root.join(RULES_FILE)
    }

    pub fn leads_dir(&self) -> PathBuf {
        self.root.join(LEADS_DIR)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Whether several Unix accounts share this workspace (`handoff init --shared`): its
    /// `leads/` directory is set-group-ID, so lead files are written group-readable.
    pub fn is_shared(&self) -> bool {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(self.leads_dir()).is_ok_and(|m| m.permissions().mode() & 0o2000 != 0)
    }

    /// The permissions lead files are written with (before the umask).
    pub fn lead_file_mode(&self) -> u32 {
        if self.is_shared() { SHARED_LEAD_FILE_MODE } else { LEAD_FILE_MODE }
    }

    /// Path of a lead's file: where it is, or where a new one goes. Lead files live under
    /// their capture month, `leads/YYYY/MM/<id>.yaml` (the id starts with the capture date,
    /// so the path is computed, never searched for); a workspace not migrated yet keeps
    /// flat `leads/<id>.yaml` files, which are read and rewritten where they are.
    /// `LeadId` is validated, so this stays inside `leads/`.
    pub fn lead_path(&self, id: &LeadId) -> PathBuf {
        let sharded = self.sharded_path(id);
        if sharded.exists() {
            return sharded;
        }
        let flat = self.flat_path(id);
        if flat.exists() { flat } else { sharded }
    }

    /// `leads/YYYY/MM/<id>.yaml`: the place of a lead in the sharded layout.
    pub fn sharded_path(&self, id: &LeadId) -> PathBuf {
        self.leads_dir().join(shard_of(id)).join(format!("{id}.yaml"))
    }

    /// `leads/<id>.yaml`: the place of a lead in the flat layout (before `handoff migrate`).
    pub fn flat_path(&self, id: &LeadId) -> PathBuf {
        self.leads_dir().join(format!("{id}.yaml"))
    }

    /// The path relative to the root, as shown in messages and given to git.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// Read and check rules.yaml; every problem is listed, with its line.
    pub fn load_rules(&self) -> Result<Rules> {
        let path = self.rules_path();
        let text = read_limited(&path, crate::rules::MAX_RULES_BYTES)?;
        let mut rules = Rules::parse(&text).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  {}", p.render(RULES_FILE))).collect();
            workspace(format!(
                "rules.yaml has {} problem{}; fix {} and run `handoff validate`:\n{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                if problems.len() == 1 { "it" } else { "them" },
                list.join("\n")
            ))
        })?;
        rules.duty = self.load_duty()?;
        Ok(rules)
    }

    /// rules.yaml, or when it is broken the last valid rules kept under `.handoff/`, so a
    /// typo never stops intake: `Ok((rules, Some(problem)))` says which happened. Valid
    /// rules are kept as the new last valid copy. No copy yet: the problem is the error.
    pub fn load_rules_or_last_good(&self) -> Result<(Rules, Option<String>)> {
        let kept = self.state_dir().join(LAST_GOOD_RULES);
        match self.load_rules() {
            Ok(rules) => {
                self.keep_good_rules(&kept);
                Ok((rules, None))
            }
            Err(problem) => {
                let Some(rules) =
                    read_limited(&kept, crate::rules::MAX_RULES_BYTES).ok().and_then(|text| Rules::parse(&text).ok())
                else {
                    return Err(problem);
                };
                Ok((rules, Some(format!("{problem:#}"))))
            }
        }
    }

    /// Copy valid rules.yaml to the last valid copy when they differ. Best effort: a copy
    /// that cannot be made only means an older one (or none) is the fallback.
    fn keep_good_rules(&self, kept: &Path) {
        let Ok(text) = read_limited(&self.rules_path(), crate::rules::MAX_RULES_BYTES) else { return };
        if read_limited(kept, crate::rules::MAX_RULES_BYTES).is_ok_and(|old| old == text) {
            return;
        }
        if fs::create_dir_all(self.state_dir()).is_ok() {
            let _ = write_atomic(kept, text.as_bytes());
        }
    }

    /// Take the workspace's exclusive lock (waits for other handoff commands).
    ///
    /// `flock` needs only a readable file, so in a workspace shared by several Unix
    /// accounts the lock file another account created still locks (opened read-only).
    pub fn lock(&self) -> Result<WorkspaceLock> {
        let dir = self.state_dir();
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("lock");
        let file = match OpenOptions::new().create(true).truncate(false).write(true).open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => File::open(&path),
            other => other,
        }
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WorkspaceLock { _file: file })
    }

    /// Resolve a full id, or a unique prefix (≥ 4 chars) of an id's random part.
    pub fn resolve(&self, arg: &str) -> Result<LeadId> {
        if LeadId::is_valid(arg) {
            let id: LeadId = arg.parse()?;
            if self.lead_path(&id).exists() {
                return Ok(id);
            }
        }
        let is_prefix = arg.len() >= 4 && arg.bytes().all(crate::lead::is_id_char);
        if !is_prefix {
            if LeadId::is_valid(arg) {
                return Err(refused(format!("no lead {arg}; `handoff list` shows the leads")));
            }
            return Err(refused(format!(
                "`{}` is not a lead id; give the full id (20261124-k3f9qx2ab) or at least 4 characters \
                 of its part after the dash",
                arg.escape_debug()
            )));
        }
        let mut hits: Vec<LeadId> = self.ids()?.into_iter().filter(|id| id.random_part().starts_with(arg)).collect();
        match hits.len() {
            0 => Err(refused(format!("no lead id has `{arg}` after the dash; `handoff list` shows the leads"))),
            1 => Ok(hits.remove(0)),
            _ => {
                hits.sort();
                let list: Vec<String> = hits.iter().map(|id| format!("  {id}")).collect();
                Err(refused(format!(
                    "`{arg}` matches {} leads; give more characters:\n{}",
                    hits.len(),
                    list.join("\n")
                )))
            }
        }
    }

    /// Every lead id with a file in `leads/` (either layout), unsorted.
    pub fn ids(&self) -> Result<Vec<LeadId>> {
        Ok(self.lead_files()?.iter().filter_map(|f| f.id()?.parse().ok()).collect())
    }

    /// [`Workspace::ids`], taken from this process's last scan when there was one and no
    /// lead was created since (a scan then a table of short ids lists `leads/` once).
    pub fn listed_ids(&self) -> Result<Vec<LeadId>> {
        if let Some(ids) = self.listed.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(ids.lines().filter_map(|id| id.parse().ok()).collect());
        }
        self.ids()
    }

    /// Remember the ids a scan listed, for [`Workspace::listed_ids`].
    fn remember_listing(&self, files: &[scan::LeadFile]) {
        let mut ids = String::with_capacity(files.len() * 19);
        for id in files.iter().filter_map(scan::LeadFile::id) {
            ids.push_str(id);
            ids.push('\n');
        }
        *self.listed.lock().unwrap_or_else(|p| p.into_inner()) = Some(ids.into());
    }

    /// Read one lead by id. A missing file is a refusal (unknown id); a corrupt one exit 3.
    pub fn read(&self, id: &LeadId) -> Result<Lead> {
        let path = self.lead_path(id);
        if !path.exists() {
            return Err(refused(format!("no lead {id}; `handoff list` shows the leads")));
        }
        self.read_path(&path)
    }

    /// Read and parse a lead file; errors name `leads/<file>:line`.
    pub fn read_path(&self, path: &Path) -> Result<Lead> {
        let text = read_limited(path, MAX_LEAD_BYTES)?;
        self.parse_file(path, &text)
    }

    /// Parse the text of a lead file, checking that it holds the lead it is named for.
    fn parse_file(&self, path: &Path, text: &str) -> Result<Lead> {
        self.parse_file_kind(path, text, false).map(|(lead, _)| lead)
    }

    /// [`Workspace::parse_file`], also saying whether the text was the writer's own bytes;
    /// `trusted` as in [`format::parse_lead_kind`].
    fn parse_file_kind(&self, path: &Path, text: &str, trusted: bool) -> Result<(Lead, bool)> {
        let rel = self.relative(path);
        let (lead, canonical) = format::parse_lead_kind(text, trusted)
            .map_err(|p| workspace(format!("{}; fix the file by hand, then run `handoff validate`", p.render(&rel))))?;
        let expected = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if lead.id.as_str() != expected {
            return Err(workspace(format!(
                "{rel}: the file holds lead `{}` but is named for `{expected}`; rename the file or fix its id",
                lead.id
            )));
        }
        let dir = path.parent().unwrap_or(path);
        if dir != self.leads_dir() && dir != self.leads_dir().join(shard_of(&lead.id)) {
            return Err(workspace(format!(
                "{rel}: lead {} belongs in {LEADS_DIR}/{}/ (its capture month); move the file there",
                lead.id,
                shard_of(&lead.id)
            )));
        }
        Ok((lead, canonical))
    }

    /// Write a lead atomically. The caller holds the workspace lock (a `Transaction`);
    /// `phone_before` is the lead's phone as read, so the index learns only a new number.
    pub fn write(&self, lead: &Lead, phone_before: Option<&str>) -> Result<PathBuf> {
        let path = self.lead_path(&lead.id);
        self.write_at(path, lead, phone_before)
    }

    /// Write a new lead (in its capture month's directory); refuses to replace an existing file.
    pub fn create(&self, lead: &Lead) -> Result<PathBuf> {
        *self.listed.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let path = self.sharded_path(&lead.id);
        for existing in [&path, &self.flat_path(&lead.id)] {
            if existing.exists() {
                return Err(workspace(format!("{} exists already", self.relative(existing))));
            }
        }
        self.write_at(path, lead, None)
    }

    fn write_at(&self, path: PathBuf, lead: &Lead, phone_before: Option<&str>) -> Result<PathBuf> {
        let text = serialize_lead(lead)?;
        if text.len() as u64 > MAX_LEAD_BYTES {
            // A file past the read limit could never be read again: refuse the write.
            return Err(refused(format!(
                "lead {} would grow to {} bytes, more than the {MAX_LEAD_BYTES} a lead file may hold; \
                 nothing was written: shorten the text (keep long documents elsewhere and note where)",
                lead.id,
                text.len()
            )));
        }
        let fresh = phone_index::fresh_before_write(self);
        if let Some(dir) = path.parent().filter(|d| !d.is_dir()) {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_atomic_mode(&path, text.as_bytes(), self.lead_file_mode())?;
        self.after_write(lead, phone_before, fresh, &path)?;
        Ok(path)
    }

    /// The one hook every lead write runs: keeps the local indexes in step with the files.
    /// `was_fresh`: the same-phone list matched the files before the write. The caller
    /// holds the lock.
    fn after_write(&self, lead: &Lead, phone_before: Option<&str>, was_fresh: bool, path: &Path) -> Result<()> {
        phone_index::carry_stamp(self, was_fresh, path);
        if let Some(phone) = lead.primary_phone.as_deref().filter(|p| Some(*p) != phone_before) {
            phone_index::add(self, &lead.id, phone)?;
        }
        Ok(())
    }
}

/// For tests: a workspace holding one intake lead, `20261124-abcdefghj` (with `extra`
/// record lines, e.g. `notes: …\n`), its file dated an hour ago so no scan finds it racily
/// clean. The directory lives as long as the returned guard.
#[cfg(test)]
pub(crate) fn test_workspace_with_lead(extra: &str) -> (tempfile::TempDir, Workspace, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), "").unwrap();
    let ws = Workspace::discover(Some(dir.path()), dir.path()).unwrap();
    let lead: Lead = serde_norway::from_str(&format!(
        "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n{extra}history:\n- at: 2026-11-24T07:00:00-06:00\n  by: ana\n  event: captured\n"
    ))
    .unwrap();
    let path = ws.create(&lead).unwrap();
    set_an_hour_ago(&path);
    (dir, ws, path)
}

/// For tests: date `path`'s modification an hour back (outside the racy window).
#[cfg(test)]
pub(crate) fn set_an_hour_ago(path: &Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(hour_ago).unwrap();
}
