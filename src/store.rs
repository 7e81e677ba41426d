//! The only module that touches lead files: find the workspace, read, write, lock.
//!
//! Writes are atomic (temp file in the same directory, fsync, rename, fsync the directory);
//! mutating commands hold an exclusive `flock` on `.handoff/lock`, which the kernel drops
//! when the process dies, so a crash never leaves a stale lock.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::error::{refused, workspace};
use crate::lead::{Lead, LeadId};
use crate::rules::{Problem, Rules, screen_yaml, yaml_problem};

/// Largest lead file read (a lead with a long history is a few KiB).
pub const MAX_LEAD_BYTES: u64 = 256 * 1024;

pub const RULES_FILE: &str = "rules.yaml";
pub const LEADS_DIR: &str = "leads";
/// Local state (lock, caches); never committed.
pub const STATE_DIR: &str = ".handoff";

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
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
        let ws = Workspace { root };
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

    /// Path of a lead's file. `LeadId` is validated, so this stays inside `leads/`.
    pub fn lead_path(&self, id: &LeadId) -> PathBuf {
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
        Rules::parse(&text).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  {}", p.render(RULES_FILE))).collect();
            workspace(format!(
                "rules.yaml has {} problem{}; fix {} and run `handoff validate`:\n{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                if problems.len() == 1 { "it" } else { "them" },
                list.join("\n")
            ))
        })
    }

    /// Take the workspace's exclusive lock (waits for other handoff commands).
    pub fn lock(&self) -> Result<WorkspaceLock> {
        let dir = self.state_dir();
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
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

    /// Every lead id with a file in `leads/`, unsorted.
    pub fn ids(&self) -> Result<Vec<LeadId>> {
        let dir = self.leads_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name();
            if let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".yaml"))
                && let Ok(id) = stem.parse()
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Every `.yaml` file in `leads/` (including badly named ones, which `validate` reports).
    pub fn lead_files(&self) -> Result<Vec<LeadFile>> {
        let dir = self.leads_dir();
        let mut files = Vec::new();
        if !dir.is_dir() {
            return Ok(files);
        }
        for entry in walkdir::WalkDir::new(&dir).min_depth(1).max_depth(1) {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy();
            if !name.starts_with('.') && name.ends_with(".yaml") {
                let symlink = entry.path_is_symlink();
                files.push(LeadFile { path: entry.into_path(), symlink });
            }
        }
        // One directory, so byte order of the whole path is file name order, and far
        // cheaper than comparing path components.
        files.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
        Ok(files)
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
        let rel = self.relative(path);
        let lead = parse_lead(text)
            .map_err(|p| workspace(format!("{}; fix the file by hand, then run `handoff validate`", p.render(&rel))))?;
        let expected = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if lead.id.as_str() != expected {
            return Err(workspace(format!(
                "{rel}: the file holds lead `{}` but is named for `{expected}`; rename the file or fix its id",
                lead.id
            )));
        }
        Ok(lead)
    }

    /// Write a lead atomically. The caller holds the workspace lock.
    pub fn write(&self, lead: &Lead) -> Result<PathBuf> {
        let path = self.lead_path(&lead.id);
        let before = crate::phone_index::dir_stamp(self);
        write_atomic_mode(&path, serialize_lead(lead)?.as_bytes(), LEAD_FILE_MODE)?;
        crate::phone_index::carry_stamp(self, &before);
        Ok(path)
    }

    /// Write a new lead; refuses to replace an existing file.
    pub fn create(&self, lead: &Lead) -> Result<PathBuf> {
        let path = self.lead_path(&lead.id);
        if path.exists() {
            return Err(workspace(format!("{} exists already", self.relative(&path))));
        }
        fs::create_dir_all(self.leads_dir())
            .with_context(|| format!("cannot create {}", self.leads_dir().display()))?;
        self.write(lead)
    }

    /// How many leads a round-robin routing rule has handed out (local state, not committed).
    pub fn turn(&self, rule: &str) -> Result<u64> {
        Ok(self.read_turns()?.get(rule).copied().unwrap_or(0))
    }

    /// Advance a round-robin rule's turn. The caller holds the workspace lock.
    pub fn bump_turn(&self, rule: &str) -> Result<()> {
        let mut turns = self.read_turns()?;
        *turns.entry(rule.to_owned()).or_insert(0) += 1;
        fs::create_dir_all(self.state_dir())
            .with_context(|| format!("cannot create {}", self.state_dir().display()))?;
        let text = serde_norway::to_string(&turns).context("cannot serialise round-robin turns")?;
        write_atomic(&self.state_dir().join("round-robin.yaml"), text.as_bytes())
    }

    fn read_turns(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let path = self.state_dir().join("round-robin.yaml");
        if !path.exists() {
            return Ok(Default::default());
        }
        let text = read_limited(&path, 64 * 1024)?;
        // A damaged state file only resets the rotation; it never blocks a capture.
        Ok(serde_norway::from_str(&text).unwrap_or_default())
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
        // `f` runs on the reading thread, so only what it keeps outlives the parse.
        let results = self.par_files(|file, buf| {
            let parsed = read_into(file, buf)
                .and_then(|text| if want.skips(text) { Ok(None) } else { self.parse_file(&file.path, text).map(&f) });
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

/// Read a file of at most `max` bytes as UTF-8, refusing symlinks and other oddities.
pub fn read_limited(path: &Path, max: u64) -> Result<String> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(workspace(format!(
            "{} is a symbolic link; handoff reads only regular files inside the workspace",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(workspace(format!("{} is not a regular file", path.display())));
    }
    if meta.len() > max {
        return Err(workspace(format!(
            "{} is {} bytes, larger than the {max} bytes allowed; it is not a lead file handoff wrote",
            path.display(),
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        workspace(format!("{} is not UTF-8 text (bad byte at offset {})", path.display(), e.utf8_error().valid_up_to()))
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}

/// Parse lead YAML; the problem carries the line when the parser knows it.
pub fn parse_lead(text: &str) -> Result<Lead, Problem> {
    // The canonical reader is linear and accepts neither flow nesting nor anchors, so
    // the screens below only guard the general YAML parser.
    if text.len() as u64 <= MAX_LEAD_BYTES
        && let Some(value) = crate::canonical::parse(text)
        && let Ok(lead) = serde_json::from_value(value)
    {
        return Ok(lead);
    }
    if let Some(p) = screen_lead(text) {
        return Err(p);
    }
    serde_norway::from_str(text).map_err(|e| yaml_problem(&e))
}

/// Refuse lead text the general YAML parser must never see: oversized, nested absurdly
/// deep (quadratic to parse), or using anchors and aliases (alias bombs).
pub fn screen_lead(text: &str) -> Option<Problem> {
    if let Some(p) = screen_yaml(text, MAX_LEAD_BYTES) {
        return Some(p);
    }
    (text.contains(['&', '*']) && has_anchor_or_alias(text)).then(|| Problem {
        line: None,
        message: "YAML anchors and aliases (&name, *name) are not allowed in lead files".to_owned(),
    })
}

/// Whether YAML text uses an anchor or alias outside quoted or block text. Conservative:
/// a token starting with `&` or `*` right after `: `, `- `, `[`, `,` or at line start.
fn has_anchor_or_alias(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t);
        let value = t.split_once(": ").map_or(t, |(_, v)| v).trim_start();
        let value = value.trim_start_matches(['[', '{']);
        (value.starts_with('&') || value.starts_with('*'))
            && value[1..].chars().next().is_some_and(|c| c.is_alphanumeric())
    })
}

/// The deterministic YAML of a lead: same content, same bytes.
pub fn serialize_lead(lead: &Lead) -> Result<String> {
    serde_norway::to_string(lead).context("cannot serialise the lead")
}

/// Write `bytes` to `path` atomically: temp file beside it, fsync, rename, fsync the dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

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

/// Lead files hold customer phone numbers: owner-only by default (docs/threat-model.md).
pub const LEAD_FILE_MODE: u32 = 0o600;

/// [`write_atomic`] with the permissions a new file gets (before the umask).
///
/// The temp file is `.NAME.tmp` beside the target: writers hold the workspace lock, so one
/// name per file is enough, and a temp file left by a killed process is simply replaced
/// by the next write of that file (scans ignore dot files).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| -> std::io::Result<()> {
        // A leftover from a crash may have other permissions: start afresh.
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Random bytes for new ids, from the OS.
pub fn random_bytes() -> [u8; 16] {
    let mut buf = [0u8; 16];
    if File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in buf.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    buf
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

    #[test]
    fn aliases_are_spotted() {
        assert!(has_anchor_or_alias("a: &x [1]\nb: *x\n"));
        assert!(has_anchor_or_alias("- *x\n"));
        assert!(!has_anchor_or_alias("notes: call at 5 & ask for *Bob\n"));
        assert!(!has_anchor_or_alias("notes: 2 * 3\n"));
    }
}
