//! `handoff status`: the workspace's health in one screen, and a monitoring check (exit 3).

use anyhow::{Context, Result};
use clap::Args;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::clock::{self, Stamp};
use crate::context::Options;
use crate::error::{Failure, workspace};
use crate::git;

use crate::output::{Table, Tone, emit};
use crate::store::{ScanError, Want, Workspace};
use crate::sync::{Health, Repo};

/// Show what needs attention: sync, review, unmerged files, cron, notifications, rules.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff status\n  handoff status --json\n  handoff status --late-after 30m   # cron runs escalate-check every 10 minutes\n\n\
Exit 3 when something needs attention (so a monitor can run it): leads to review, unmerged\n\
files, escalate-check late or never run (cron stopped), notifications waiting, rules.yaml\n\
invalid, unreadable lead files, or this machine's commits not pushed for a day."
)]
pub struct StatusArgs {
    /// escalate-check is late when its last run (on any machine) is older than this.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub late_after: String,
}

#[derive(Debug, Serialize)]
struct Status {
    workspace: String,
    now: String,
    git: bool,
    branch: Option<String>,
    remote: Option<String>,
    /// Commits here that the remote has not got (as of the last fetch).
    ahead: Option<u64>,
    /// Commits on the remote not merged here (as of the last fetch).
    behind: Option<u64>,
    last_sync: Option<String>,
    last_escalate_check: Option<String>,
    /// Which machine ran it last.
    escalate_check_host: Option<String>,
    escalate_check_late: bool,
    needs_review: Vec<String>,
    unmerged: Vec<String>,
    uncommitted: Vec<String>,
    pending_notifications: usize,
    rules_valid: bool,
    rules_problem: Option<String>,
    errors: Vec<ScanError>,
    attention: Vec<String>,
}

pub fn run(global: &Options, args: StatusArgs) -> Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let ws = Workspace::discover(global.root.as_deref(), &cwd)?;
    let rules = ws.load_rules();
    let tz = match &rules {
        Ok(r) => r.tz.clone(),
        Err(_) => TimeZone::try_system().unwrap_or(TimeZone::UTC),
    };
    let now = match &global.now {
        Some(s) => clock::parse_now(s, &tz).map_err(|e| Failure::Usage(format!("{e:#}")))?,
        None => jiff::Timestamp::now().to_zoned_datetime(tz.clone()),
    };
    let late_after = clock::parse_window(&args.late_after).ok_or_else(|| {
        Failure::Usage(format!("--late-after: `{}` is not a duration; use e.g. 10m, 1h", args.late_after))
    })?;
    let mut attention = Vec::new();
    let (rules_valid, rules_problem) = match &rules {
        Ok(_) => (true, None),
        Err(e) => {
            attention.push("rules.yaml is invalid: `handoff validate` lists the problems".to_owned());
            (false, Some(format!("{e:#}")))
        }
    };

    let health = Health::load(&ws);
    let mut s = Status {
        workspace: ws.root.display().to_string(),
        now: Stamp::from_zoned(&now).to_string(),
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
        pending_notifications: ws.pending_notifications(),
        rules_valid,
        rules_problem,
        errors: Vec::new(),
        attention: Vec::new(),
    };

    // The last escalate-check anywhere: this machine's, or another's as of the last sync.
    let mut runs: Vec<(String, String)> =
        health.last_escalate_check.iter().map(|t| (t.clone(), health.host.clone())).collect();
    let repo = if git::available() { Repo::open(&ws)? } else { None };
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
                    args.late_after
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
        s.branch = git::current_branch(&repo.top);
        s.unmerged = git::unmerged(&repo.top, &[]).unwrap_or_default();
        if !s.unmerged.is_empty() {
            attention.push(format!("unmerged: {}; run `handoff sync` to finish the merge", s.unmerged.join(", ")));
        }
        s.uncommitted = git::dirty(&repo.top, &repo.leads).unwrap_or_default();
        if !s.uncommitted.is_empty() {
            attention.push(format!(
                "uncommitted lead files: {}; the next command or `handoff sync` commits them as hand edits",
                s.uncommitted.join(", ")
            ));
        }
        if let Some(branch) = &s.branch
            && let Ok(remote) = crate::sync::pick_remote(&repo, branch)
        {
            if let Some((ahead, behind)) = git::ahead_behind(&repo.top, &format!("refs/remotes/{remote}/{branch}")) {
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

    let format = global.format;
    emit(format, &s, || table(&s))?;
    if s.attention.is_empty() {
        return Ok(());
    }
    if !matches!(format, crate::output::Format::Table) {
        for a in &s.attention {
            eprintln!("attention: {a}");
        }
    }
    Err(workspace(format!("{} thing(s) need attention", s.attention.len())))
}

fn table(s: &Status) -> Table {
    let mut t = Table::new(&["", ""]);
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let num = |v: Option<u64>| v.map_or("-".to_owned(), |n| n.to_string());
    t.row(vec!["workspace".into(), s.workspace.clone()]);
    if s.git {
        t.row(vec![
            "remote".into(),
            format!("{} on {} (ahead {}, behind {})", opt(&s.branch), opt(&s.remote), num(s.ahead), num(s.behind)),
        ]);
        t.row(vec!["last sync".into(), opt(&s.last_sync)]);
    }
    let late = if s.escalate_check_late { Tone::Alert } else { Tone::Plain };
    t.push(vec!["last escalate-check".into(), opt(&s.last_escalate_check)], late);
    t.row(vec!["needs review".into(), if s.needs_review.is_empty() { "-".into() } else { s.needs_review.join(" ") }]);
    t.row(vec!["pending notifications".into(), s.pending_notifications.to_string()]);
    t.row(vec!["rules.yaml".into(), if s.rules_valid { "valid".into() } else { "INVALID".into() }]);
    for a in &s.attention {
        t.push(vec!["attention".into(), a.clone()], Tone::Alert);
    }
    t
}
