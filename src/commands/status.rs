//! `handoff status`: the workspace's health in one screen, and a monitoring check (exit 3).

use anyhow::Result;
use clap::Args;

use crate::clock;
use crate::context::{Located, Options};
use crate::error::{Failure, workspace};
use crate::output::{Table, Tone, emit};
use crate::sync::{Status, health_report};

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

pub fn run(global: &Options, args: StatusArgs) -> Result<()> {
    let Located { ws, rules, now } = crate::context::locate(global)?;
    let late_after = clock::parse_window(&args.late_after).ok_or_else(|| {
        Failure::Usage(format!("--late-after: `{}` is not a duration; use e.g. 10m, 1h", args.late_after))
    })?;
    let s = health_report(&ws, &rules, &now, late_after, &args.late_after)?;
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
