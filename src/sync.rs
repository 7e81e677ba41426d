//! A team on several machines: `handoff sync` (fetch, merge with the lead merge driver,
//! commit, push; never rebase), the git safety checks every mutating command runs first,
//! and the health each machine keeps (last sync, last escalate-check) for `handoff status`.
//!
//! Modelled on `dstask sync` (pull with a merge commit, then push; the user never sees
//! git) and git-bug (refs outside the branches for data that is not history: here each
//! machine's health, so a heartbeat every minute never clutters `git log`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::clock::Stamp;
use crate::error::workspace;
use crate::git::{self as g, Identity, LockCheck, Merged, RemoteError};
use crate::lead::LeadId;
use crate::store::{
    LEADS_DIR, MAX_LEAD_BYTES, ScanError, Want, Workspace, parse_lead, read_limited, serialize_lead, write_atomic_mode,
};

/// How often a push that lost the race to another machine is retried (fetch, merge, push).
pub const PUSH_ATTEMPTS: u32 = 5;

/// What `handoff sync` did (the `--json` output).
#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    /// Commits brought in from the remote.
    pub pulled: u64,
    /// Commits the remote received from this machine.
    pub pushed: u64,
    /// Leads the merge changed here, by id.
    pub changed: Vec<String>,
    /// Of the changed leads, those flagged by a merge for someone to review.
    pub needs_review: Vec<String>,
    pub remote: String,
    pub branch: String,
    /// Lead files merged here by handoff itself (the merge driver did not run, e.g. off PATH).
    pub resolved: Vec<String>,
    /// Hand edits found uncommitted and committed on their own first.
    pub hand_edits: Vec<String>,
    /// Push attempts that lost the race to another machine.
    pub retries: u32,
}

/// The workspace's git repository: its work tree, git directory, and where the leads are.
pub struct Repo {
    pub top: PathBuf,
    pub git_dir: PathBuf,
    /// `leads/` relative to `top` (the workspace may be a folder of a larger repository).
    pub leads: String,
    /// The permissions lead files are written with.
    pub lead_mode: u32,
}

impl Repo {
    /// The repository holding the workspace, if it is in one (runs git once).
    pub fn open(ws: &Workspace) -> Result<Option<Repo>> {
        let Some(top) = g::work_tree(&ws.root) else { return Ok(None) };
        let git_dir = g::git_dir(&top)?;
        let leads = g::relative_to(&top, &ws.leads_dir());
        Ok(Some(Repo { top, git_dir, leads, lead_mode: ws.lead_file_mode() }))
    }

    /// Lead files (relative to `top`) whose path is under `leads/`.
    fn is_lead(&self, path: &str) -> bool {
        path.strip_prefix(&self.leads).is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Whether git stopped half way through a merge, cherry-pick, revert or rebase (files may
/// be unmerged). Reads files only.
pub fn operation_in_progress(git_dir: &Path) -> bool {
    ["MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply"]
        .iter()
        .any(|f| git_dir.join(f).exists())
}

/// Refuse (exit 3) while a lead file is unmerged: committing it would drop the other
/// clone's events, and its content is one side only. Cheap when git is not half way through
/// a merge (file tests only); every command runs it.
pub fn refuse_unmerged(ws: &Workspace) -> Result<()> {
    let Some(git_dir) = g::find_git_dir(&ws.root) else { return Ok(()) };
    if !operation_in_progress(&git_dir) {
        return Ok(());
    }
    let Some(repo) = Repo::open(ws)? else { return Ok(()) };
    let files = g::unmerged(&repo.top, &[repo.leads.as_str()])?;
    if files.is_empty() {
        return Ok(());
    }
    Err(workspace(format!(
        "{} {} unmerged (a git pull stopped half way, e.g. the lead merge driver was not found); \
         nothing was changed. Fix: run `handoff sync`, which merges lead files itself and finishes the merge \
         (or `git merge --abort` to undo the pull)",
        files.join(", "),
        if files.len() == 1 { "is" } else { "are" }
    )))
}

/// The checks a mutating command runs before it writes (under the workspace lock): no merge
/// half done and no stale git lock. Reads files only (no git process) unless a lock is left.
pub fn before_write(ws: &Workspace) -> Result<()> {
    let Some(git_dir) = g::find_git_dir(&ws.root) else { return Ok(()) };
    if operation_in_progress(&git_dir) {
        return Err(workspace(format!(
            "git is half way through a merge in {}; nothing was changed. Finish it with `handoff sync` \
             (lead files are merged for you) or `git merge --abort`, then run the command again",
            ws.root.display()
        )));
    }
    let top = git_dir.parent().map_or_else(|| ws.root.clone(), Path::to_path_buf);
    clear_stale_lock(&top, &git_dir)
}

/// Before a command commits the lead files it wrote: any of them that held an uncommitted
/// change before the command read it (a hand edit) is committed first, on its own, as
/// "hand edit ID" by `by()` (asked only then: it may run git), so the command's commit
/// carries only its own change. `before` holds each written file's bytes as the command
/// found them (`None`: it did not exist); they are compared with HEAD by object name.
pub fn commit_hand_edits_before(
    top: &Path,
    files: &[(PathBuf, Option<Vec<u8>>)],
    by: impl Fn() -> Identity,
    actor: &str,
) -> Result<Vec<String>> {
    let found: Vec<(&PathBuf, &Vec<u8>)> = files.iter().filter_map(|(p, b)| b.as_ref().map(|b| (p, b))).collect();
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let rel: Vec<String> = found.iter().map(|(p, _)| g::relative_to(top, p)).collect();
    let head = g::head_blob_ids(top, &rel)?;
    let mut done = Vec::new();
    for (((path, original), rel), committed) in found.into_iter().zip(rel).zip(head) {
        if committed == Some(g::blob_id(original)) {
            continue;
        }
        // Not in HEAD here: perhaps moved by hand from the other layout, whose path
        // leaves with it (else HEAD would hold the lead twice).
        let mut paths = vec![rel.clone()];
        if committed.is_none() {
            paths.extend(moved_from(top, &rel)?);
        }
        let by = by();
        let ours = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mode = std::fs::metadata(path).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777);
        let mode = mode.unwrap_or(crate::store::LEAD_FILE_MODE);
        write_atomic_mode(path, original, mode)?;
        let id = Path::new(&rel).file_stem().and_then(|s| s.to_str()).unwrap_or("lead").to_owned();
        let author = g::Author { name: &by.name, email: &by.email, at: None };
        let committed =
            g::commit(top, &paths, &author, &format!("hand edit {id}: found uncommitted before {actor}'s change"));
        write_atomic_mode(path, &ours, mode)?;
        committed?;
        done.push(rel);
    }
    Ok(done)
}

/// Remove a lock git left behind when provably stale; exit 3 when a git process may hold it.
pub fn clear_stale_lock(top: &Path, git_dir: &Path) -> Result<()> {
    match g::recover_stale_lock(top, git_dir)? {
        LockCheck::Free => Ok(()),
        LockCheck::Recovered(path) => {
            eprintln!(
                "warning: removed a stale {} (left by a git process that was killed; none is running now)",
                path.display()
            );
            Ok(())
        }
        LockCheck::Busy(path, pid) => Err(workspace(format!(
            "{} exists and {}; nothing was changed. Wait for it to finish and run the command again; \
             if no git is running, remove {} and retry",
            path.display(),
            if pid == 0 {
                "a git process of another user may be using the repository".to_owned()
            } else {
                format!("git process {pid} may be using the repository")
            },
            path.display()
        ))),
    }
}

/// Commit each lead file found changed but uncommitted (a hand edit, or a write whose
/// commit was interrupted) on its own, as "hand edit ID", before a command commits its
/// own change, so nobody's commit carries someone else's edit. Files that do not parse are
/// left alone (validate and the scans report them). Returns the committed paths.
pub fn commit_hand_edits(repo: &Repo, by: &Identity, before: &str) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for path in g::dirty(&repo.top, &repo.leads)? {
        let Some(id) = Path::new(&path).file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
        if !path.ends_with(".yaml") || id.starts_with('.') {
            continue;
        }
        let Ok(text) = read_limited(&repo.top.join(&path), MAX_LEAD_BYTES) else { continue };
        if parse_lead(&text).is_err() {
            continue;
        }
        let mut paths = vec![path.clone()];
        paths.extend(moved_from(&repo.top, &path)?);
        let author = crate::git::Author { name: &by.name, email: &by.email, at: None };
        crate::git::commit(&repo.top, &paths, &author, &format!("hand edit {id}: found uncommitted before {before}"))?;
        done.push(path);
    }
    Ok(done)
}

/// The path a lead file at `rel` (relative to the work tree `top`) was moved from by hand:
/// the same lead's path in the other layout (`leads/YYYY/MM/<id>.yaml` or `leads/<id>.yaml`)
/// when HEAD holds it and it is gone from disk. Committed with the new path, the move
/// leaves one file per lead in HEAD, never two copies (every clone would then find the id
/// twice and refuse it).
fn moved_from(top: &Path, rel: &str) -> Result<Option<String>> {
    let path = Path::new(rel);
    let Some(id) = path.file_stem().and_then(|s| s.to_str()).filter(|s| LeadId::is_valid(s)) else {
        return Ok(None);
    };
    let Some(dir) = path.parent() else { return Ok(None) };
    let twin = if dir.file_name().is_some_and(|d| d == LEADS_DIR) {
        dir.join(&id[..4]).join(&id[4..6]).join(format!("{id}.yaml"))
    } else {
        match dir.parent().and_then(Path::parent) {
            Some(leads) if leads.file_name().is_some_and(|d| d == LEADS_DIR) => leads.join(format!("{id}.yaml")),
            _ => return Ok(None),
        }
    };
    let twin = twin.to_string_lossy().into_owned();
    if top.join(&twin).symlink_metadata().is_ok() {
        return Ok(None);
    }
    let committed = g::head_blob_ids(top, std::slice::from_ref(&twin))?;
    Ok(committed.into_iter().next().flatten().map(|_| twin))
}

/// Merge each unmerged lead file with the lead merge (from the index's base, ours and
/// theirs), write it and mark it resolved. A lead deleted on one side keeps the other
/// side's version: a lead is never lost. Returns the files it could not merge.
pub fn resolve_leads(repo: &Repo, files: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let (mut resolved, mut failed) = (Vec::new(), Vec::new());
    for path in files {
        let read = |n: u8| g::stage(&repo.top, n, path).map(|t| parse_lead(&t));
        let merged = match (read(1), read(2), read(3)) {
            (base, Some(Ok(ours)), Some(Ok(theirs))) => {
                let base = match base {
                    Some(Ok(b)) => b,
                    _ => ours.clone(),
                };
                crate::merge::merge(&base, &ours, &theirs)
            }
            (_, Some(Ok(one)), None) | (_, None, Some(Ok(one))) => one,
            _ => {
                failed.push(path.clone());
                continue;
            }
        };
        let text = serialize_lead(&merged)?;
        write_atomic_mode(&repo.top.join(path), text.as_bytes(), repo.lead_mode)?;
        resolved.push(path.clone());
    }
    if !resolved.is_empty() {
        g::add(&repo.top, &resolved)?;
    }
    Ok((resolved, failed))
}

/// The remote to sync with: the branch's upstream remote, else `origin`, else the only one.
pub fn pick_remote(repo: &Repo, branch: &str) -> Result<String> {
    let remotes = g::remotes(&repo.top)?;
    let configured = g::config_get(&repo.top, &format!("branch.{branch}.remote")).filter(|s| remotes.contains(s));
    if let Some(r) = configured {
        return Ok(r);
    }
    if remotes.iter().any(|r| r == "origin") {
        return Ok("origin".to_owned());
    }
    match remotes.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(workspace(
            "this workspace has no git remote to sync with; add the shared repository with \
             `git remote add origin URL` (or start from it with `handoff clone URL`)",
        )),
        many => Err(workspace(format!(
            "this workspace has several remotes ({}) and none is `origin` or the branch's upstream; \
             set one with `git branch --set-upstream-to REMOTE/BRANCH`",
            many.join(", ")
        ))),
    }
}

fn remote_failure(e: RemoteError, remote: &str, done: &str) -> anyhow::Error {
    match e {
        RemoteError::Offline(msg) => workspace(format!(
            "cannot reach `{remote}` (offline?): {msg}\n{done}; run `handoff sync` again when the network is back"
        )),
        RemoteError::Auth(msg) => workspace(format!(
            "`{remote}` refused this machine's credentials: {msg}\n{done}; fix the SSH key or token for the \
             remote, then run `handoff sync`"
        )),
        RemoteError::Race(msg) | RemoteError::Other(msg) => {
            workspace(format!("git could not sync with `{remote}`: {msg}\n{done}"))
        }
    }
}

/// Whether a lead file's text still holds git's conflict markers.
pub fn has_markers(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("<<<<<<< ") || l.starts_with(">>>>>>> ") || l == "=======")
}

/// Fetch, merge (lead files with the lead merge), push; on a lost push race, again.
/// The caller holds the workspace lock and has committed hand edits.
pub fn sync(repo: &Repo, by: &Identity, at: &str, health: &Health) -> Result<SyncReport> {
    let Some(branch) = g::current_branch(&repo.top) else {
        return Err(workspace("HEAD is not on a branch; `git switch main`, then `handoff sync`"));
    };
    let remote = pick_remote(repo, &branch)?;
    let mut report = SyncReport { remote: remote.clone(), branch: branch.clone(), ..SyncReport::default() };
    finish_merge(repo, by, at, &mut report)?;
    let upstream = format!("refs/remotes/{remote}/{branch}");
    let mut changed = BTreeSet::new();
    let health_ref = format!("{}{}", g::HEALTH_REFS, health.machine);
    for attempt in 0..PUSH_ATTEMPTS {
        let has_remote = g::fetch(&repo.top, &remote, &branch)
            .map_err(|e| remote_failure(e, &remote, "nothing was merged; your work is committed on this machine"))?;
        let before = g::rev(&repo.top, "HEAD");
        if has_remote && let Some(theirs) = g::rev(&repo.top, &upstream) {
            let incoming = g::count(&repo.top, before.as_deref(), &theirs)?;
            if incoming > 0 {
                let message = format!("sync: merge {remote}/{branch}");
                if let Merged::Conflicts(files) = g::merge(&repo.top, &upstream, &message, by, Some(at))? {
                    settle_conflicts(repo, &files, &mut report)?;
                    g::conclude_merge(&repo.top, by, Some(at))?;
                }
                report.pulled += incoming;
                if let (Some(b), Some(after)) = (before.as_deref(), g::rev(&repo.top, "HEAD")) {
                    changed.extend(g::changed_files(&repo.top, b, &after, &repo.leads)?);
                }
            }
        }
        let Some(head) = g::rev(&repo.top, "HEAD") else { return Ok(report) };
        let outgoing = g::count(&repo.top, g::rev(&repo.top, &upstream).as_deref(), &head)?;
        let mut published = health.clone();
        published.last_sync = Some(at.to_owned());
        let published_ref =
            g::publish(&repo.top, &health_ref, &published.to_json(), by).ok().map(|()| health_ref.as_str());
        if outgoing == 0 && published_ref.is_none() {
            break;
        }
        match g::push(&repo.top, &remote, &branch, published_ref) {
            Ok(()) => {
                report.pushed = outgoing;
                break;
            }
            Err(RemoteError::Race(_)) if attempt + 1 < PUSH_ATTEMPTS => {
                report.retries += 1;
                continue;
            }
            Err(RemoteError::Race(msg)) => {
                return Err(workspace(format!(
                    "the remote `{remote}` kept moving while syncing ({PUSH_ATTEMPTS} attempts): {msg}\n\
                     everything is merged and committed here; run `handoff sync` again"
                )));
            }
            Err(e) => {
                return Err(remote_failure(
                    e,
                    &remote,
                    "the remote's changes are merged here, and yours are committed on this machine",
                ));
            }
        }
    }
    g::set_upstream(&repo.top, &remote, &branch)?;
    for path in &changed {
        let file = repo.top.join(path);
        let Ok(text) = read_limited(&file, MAX_LEAD_BYTES) else { continue };
        if has_markers(&text) {
            return Err(workspace(format!(
                "{path} holds git conflict markers after the merge; restore it with `git checkout HEAD~1 -- {path}` \
                 and report this as a bug"
            )));
        }
        let Some(id) = Path::new(path).file_stem().and_then(|s| s.to_str()) else { continue };
        report.changed.push(id.to_owned());
        if parse_lead(&text).is_ok_and(|l| crate::history::needs_review(&l)) {
            report.needs_review.push(id.to_owned());
        }
    }
    Ok(report)
}

/// Finish a merge that an earlier pull left half done (the driver was not found, or git
/// stopped): lead files are merged here, anything else is for the user.
fn finish_merge(repo: &Repo, by: &Identity, at: &str, report: &mut SyncReport) -> Result<()> {
    if !g::merging(&repo.git_dir) {
        return Ok(());
    }
    let files = g::unmerged(&repo.top, &[])?;
    settle_conflicts(repo, &files, report)?;
    g::conclude_merge(&repo.top, by, Some(at))
}

fn settle_conflicts(repo: &Repo, files: &[String], report: &mut SyncReport) -> Result<()> {
    let (lead_files, others): (Vec<String>, Vec<String>) = files.iter().cloned().partition(|f| repo.is_lead(f));
    if !others.is_empty() {
        g::abort_merge(&repo.top).ok();
        return Err(workspace(format!(
            "conflict outside leads/: {} changed here and on the remote; the merge was undone, nothing is lost. \
             Merge by hand: `git pull --no-rebase`, fix {}, `git commit`, then `handoff sync`",
            others.join(", "),
            if others.len() == 1 { "it" } else { "them" }
        )));
    }
    let (resolved, failed) = resolve_leads(repo, &lead_files)?;
    if !failed.is_empty() {
        g::abort_merge(&repo.top).ok();
        return Err(workspace(format!(
            "{} cannot be merged (a version does not read as a lead); the merge was undone. Fix the file \
             (`handoff validate`), commit, then `handoff sync`",
            failed.join(", ")
        )));
    }
    report.resolved.extend(resolved);
    Ok(())
}

/// This machine's health, kept in `.handoff/health.json` and published to the remote
/// (under `refs/handoff/health/MACHINE`) by every sync.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Health {
    /// A random name for this clone, made once.
    pub machine: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub last_sync: Option<String>,
    #[serde(default)]
    pub last_escalate_check: Option<String>,
}

impl Health {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// This clone's health (a fresh one with a new machine name when there is none).
    pub fn load(ws: &Workspace) -> Health {
        let mut h: Health = ws.read_health().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        if h.machine.is_empty() {
            let random = crate::store::Entropy::Os.bytes().unwrap_or_default();
            h.machine = random.iter().take(8).map(|b| crate::lead::ID_ALPHABET[usize::from(b % 32)] as char).collect();
        }
        if h.host.is_empty() {
            h.host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim().to_owned();
        }
        h
    }

    /// Save it. The caller holds the workspace lock.
    pub fn save(&self, ws: &Workspace) -> Result<()> {
        ws.write_health(&self.to_json())
    }

    /// The other machines' health, as last fetched.
    pub fn others(top: &Path) -> Vec<Health> {
        g::ref_messages(top, g::REMOTE_HEALTH_REFS)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, msg)| serde_json::from_str(&msg).ok())
            .collect()
    }
}

/// What `handoff status` reports (the `--json` keys).
#[derive(Debug, Serialize)]
pub struct Status {
    pub workspace: String,
    pub now: String,
    pub git: bool,
    pub branch: Option<String>,
    pub remote: Option<String>,
    /// Commits here that the remote has not got (as of the last fetch).
    pub ahead: Option<u64>,
    /// Commits on the remote not merged here (as of the last fetch).
    pub behind: Option<u64>,
    pub last_sync: Option<String>,
    pub last_escalate_check: Option<String>,
    /// Which machine ran it last.
    pub escalate_check_host: Option<String>,
    pub escalate_check_late: bool,
    pub needs_review: Vec<String>,
    pub unmerged: Vec<String>,
    pub uncommitted: Vec<String>,
    pub pending_notifications: usize,
    pub rules_valid: bool,
    pub rules_problem: Option<String>,
    pub errors: Vec<ScanError>,
    pub attention: Vec<String>,
}

/// The workspace's health (`handoff status`): everything that needs attention is named in
/// `attention`. `rules` is rules.yaml as read (or why it could not be), `late_after` how old
/// the last escalate-check may be (`late_after_text` as the user gave it, for messages),
/// `pending_notifications` the notifications waiting to go out.
pub fn health_report(
    ws: &Workspace,
    rules: &Result<crate::rules::Rules>,
    now: &jiff::ZonedDateTime,
    late_after: jiff::SignedDuration,
    late_after_text: &str,
    pending_notifications: usize,
) -> Result<Status> {
    let mut attention = Vec::new();
    let (rules_valid, rules_problem) = match &rules {
        Ok(_) => (true, None),
        Err(e) => {
            attention.push("rules.yaml is invalid: `handoff validate` lists the problems".to_owned());
            (false, Some(format!("{e:#}")))
        }
    };

    let health = Health::load(ws);
    let mut s = Status {
        workspace: ws.root.display().to_string(),
        now: Stamp::from_zoned(now).to_string(),
        git: false,
        branch: None,
        remote: None,
        ahead: None,
        behind: None,
        last_sync: health.last_sync.clone(),
        last_escalate_check: None,
        escalate_check_host: None,
        escalate_check_late: false,
        needs_review: Vec::new(),
        unmerged: Vec::new(),
        uncommitted: Vec::new(),
        pending_notifications,
        rules_valid,
        rules_problem,
        errors: Vec::new(),
        attention: Vec::new(),
    };

    // The last escalate-check anywhere: this machine's, or another's as of the last sync.
    let mut runs: Vec<(String, String)> =
        health.last_escalate_check.iter().map(|t| (t.clone(), health.host.clone())).collect();
    let repo = if g::available() { Repo::open(ws)? } else { None };
    if let Some(repo) = &repo {
        runs.extend(Health::others(&repo.top).into_iter().filter_map(|h| h.last_escalate_check.map(|t| (t, h.host))));
    }
    let latest =
        runs.iter().filter_map(|(t, host)| t.parse::<Stamp>().ok().map(|s| (s, host.clone()))).max_by_key(|(s, _)| *s);
    match latest {
        Some((at, host)) => {
            s.last_escalate_check = Some(at.to_string());
            s.escalate_check_host = Some(host);
            let age = now.timestamp().duration_since(at.timestamp());
            if age > late_after {
                s.escalate_check_late = true;
                attention.push(format!(
                    "escalate-check last ran {} minutes ago (more than {}): is cron still running it? \
                     see README \"A team on several machines\"",
                    age.as_mins(),
                    late_after_text
                ));
            }
        }
        None => {
            s.escalate_check_late = true;
            attention.push(
                "escalate-check has never run here or on a synced machine: set up cron (README \"A team on several machines\")"
                    .to_owned(),
            );
        }
    }

    if let Some(repo) = repo {
        s.git = true;
        s.branch = g::current_branch(&repo.top);
        s.unmerged = g::unmerged(&repo.top, &[]).unwrap_or_default();
        if !s.unmerged.is_empty() {
            attention.push(format!("unmerged: {}; run `handoff sync` to finish the merge", s.unmerged.join(", ")));
        }
        s.uncommitted = g::dirty(&repo.top, &repo.leads).unwrap_or_default();
        if !s.uncommitted.is_empty() {
            attention.push(format!(
                "uncommitted lead files: {}; `handoff sync` commits them as hand edits (a command commits only the lead it changes)",
                s.uncommitted.join(", ")
            ));
        }
        if let Some(branch) = &s.branch
            && let Ok(remote) = pick_remote(&repo, branch)
        {
            if let Some((ahead, behind)) = g::ahead_behind(&repo.top, &format!("refs/remotes/{remote}/{branch}")) {
                s.ahead = Some(ahead);
                s.behind = Some(behind);
            }
            s.remote = Some(remote);
            let stale = s
                .last_sync
                .as_deref()
                .and_then(|t| t.parse::<Stamp>().ok())
                .is_none_or(|t| now.timestamp().duration_since(t.timestamp()).as_hours() >= 24);
            if s.ahead.unwrap_or(1) > 0 && stale {
                attention.push("this machine has not synced for a day or more: run `handoff sync`".to_owned());
            }
        }
    }

    let (review, errors) =
        ws.scan_map(Want::All, |lead| crate::history::needs_review(&lead).then(|| lead.id.to_string()))?;
    s.needs_review = review;
    s.needs_review.sort();
    if !s.needs_review.is_empty() {
        attention.push(format!(
            "{} lead(s) need review after a merge: `handoff show ID`, then `handoff note ID \"reviewed: ...\"`",
            s.needs_review.len()
        ));
    }
    if !errors.is_empty() {
        attention.push(format!("{} lead file(s) cannot be read: `handoff validate`", errors.len()));
    }
    s.errors = errors;
    if s.pending_notifications > 0 {
        attention.push(format!(
            "{} notification(s) waiting to be delivered: check the notification channel",
            s.pending_notifications
        ));
    }
    s.attention = attention;

    Ok(s)
}
