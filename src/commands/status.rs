//! `handoff status`: the workspace's health in one screen, and a monitoring check (exit 3).

use anyhow::Result;
use clap::Args;

use crate::clock;
use crate::context::{Ctx, Located, Options};
use crate::error::{Failure, workspace};
use crate::output::{Table, Tone, View, print};
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
    // Waiting notifications: `escalate-check --notify` retries, and the messages `handoff
    // notify` has yet to deliver (its ledger; needs valid rules for the channels).
    let mut pending = ws.pending_notifications();
    if rules.is_ok() {
        match Ctx::load(global).and_then(|ctx| crate::notify::pending_count(&ctx)) {
            Ok(n) => pending += n,
            Err(e) => eprintln!("warning: cannot count the notifications `handoff notify` has to send: {e:#}"),
        }
    }
    let s = health_report(&ws, &rules, &now, late_after, &args.late_after, pending)?;
    let format = global.format;
    print(format, &s, View::table(|| table(&s)).text(|| text(&s)))?;
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

/// The status as (label, value, alert) rows, for the table and the terminal text.
fn rows(s: &Status) -> Vec<(&'static str, String, bool)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let num = |v: Option<u64>| v.map_or("-".to_owned(), |n| n.to_string());
    let mut rows = vec![("workspace", s.workspace.clone(), false)];
    if s.git {
        rows.push((
            "remote",
            format!("{} on {} (ahead {}, behind {})", opt(&s.branch), opt(&s.remote), num(s.ahead), num(s.behind)),
            false,
        ));
        rows.push(("last sync", opt(&s.last_sync), false));
    }
    rows.push(("last escalate-check", opt(&s.last_escalate_check), s.escalate_check_late));
    let review = if s.needs_review.is_empty() { "-".to_owned() } else { s.needs_review.join(" ") };
    rows.push(("needs review", review, !s.needs_review.is_empty()));
    rows.push(("pending notifications", s.pending_notifications.to_string(), s.pending_notifications > 0));
    rows.push(("rules.yaml", if s.rules_valid { "valid".into() } else { "INVALID".into() }, !s.rules_valid));
    for a in &s.attention {
        rows.push(("attention", a.clone(), true));
    }
    rows
}

fn table(s: &Status) -> Table {
    let mut t = Table::new(&["", ""]);
    for (label, value, alert) in rows(s) {
        t.push(vec![label.to_owned(), value], if alert { Tone::Alert } else { Tone::Plain });
    }
    t
}

/// `label  value` lines for a person at a terminal.
fn text(s: &Status) -> String {
    rows(s).into_iter().map(|(label, value, _)| format!("{label:<22} {value}\n")).collect()
}
