//! `handoff notify [--pending] [--dry-run]`: deliver the events addressed to people.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::clock::Stamp;
use crate::context::Ctx;
use crate::error::workspace;
use crate::notify::{self, Planned, Sent, Unreachable, Wait};
use crate::output::{Table, Tone, emit};
use crate::store::ScanError;

/// Tell people about the leads handed, transferred, rejected or escalated to them.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff notify                  # cron: every minute, after escalate-check\n  handoff notify --pending        # what is still to be delivered, and why\n  handoff notify --dry-run --json # what a run would send, without sending\n\nEvents are derived from the lead histories (so one that arrives by git pull is delivered\nby whichever machine runs this next) and sent over the channels in rules.yaml\n(notifications.channels: command, webhook, email). Each delivery is recorded in\n.handoff/notify/ as it happens; a failed one is retried with backoff (1 min doubling to\n1 h) and makes the run exit 3. Payload keys: docs/json.md."
)]
pub struct NotifyArgs {
    /// List what is still to be delivered (due, in quiet hours, or waiting to retry); send nothing.
    #[arg(long)]
    pub pending: bool,
    /// Show what a run would send; send nothing, record nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// One message still to deliver.
#[derive(Serialize)]
struct Pending<'a> {
    key: &'a str,
    event: &'a str,
    id: &'a str,
    to: &'a str,
    channel: &'a str,
    #[serde(flatten)]
    wait: &'a Wait,
}

#[derive(Serialize)]
struct Output<'a> {
    now: String,
    delivered: Vec<&'a Sent>,
    failed: Vec<&'a Sent>,
    pending: Vec<Pending<'a>>,
    unreachable: &'a [Unreachable],
    errors: &'a [ScanError],
}

pub fn run(ctx: &Ctx, args: NotifyArgs) -> Result<()> {
    let dry = args.dry_run || args.pending;
    let progress = |s: &Sent| {
        if let Some(err) = &s.error {
            eprintln!("warning: {} to {} over {} failed: {err}", s.key, s.to, s.channel);
        }
    };
    if ctx.rules.notifications.channels.is_empty() {
        eprintln!("note: rules.yaml has no notifications.channels; nothing is delivered (see `handoff notify --help`)");
    }
    let result = notify::run(ctx, dry, progress)?;
    if result.busy {
        eprintln!("another `handoff notify` is delivering right now; this run leaves it to that one");
    }
    let channels = &ctx.rules.notifications.channels;
    let pending: Vec<Pending> = result
        .plan
        .messages
        .iter()
        .map(|m: &Planned| Pending {
            key: &m.payload.key,
            event: m.payload.event.as_str(),
            id: &m.payload.id,
            to: &m.person.id,
            channel: channels.get(m.channel).map_or("", |c| c.name.as_str()),
            wait: &m.wait,
        })
        .collect();
    let output = Output {
        now: Stamp::from_zoned(&ctx.now).to_string(),
        delivered: result.sent.iter().filter(|s| s.error.is_none()).collect(),
        failed: result.sent.iter().filter(|s| s.error.is_some()).collect(),
        pending,
        unreachable: &result.plan.unreachable,
        errors: &result.errors,
    };
    emit(ctx.format, &output, || table(&output, ctx))?;
    for u in &result.plan.unreachable {
        eprintln!("warning: {} cannot reach {}: {}", u.key, u.to, u.why);
    }
    super::skipped(&result.errors)?;
    let failed = output.failed.len();
    if failed > 0 {
        return Err(workspace(format!(
            "{failed} deliver{} failed; {} retried with backoff by the next runs (`handoff notify --pending` lists {})",
            if failed == 1 { "y" } else { "ies" },
            if failed == 1 { "it is" } else { "they are" },
            if failed == 1 { "it" } else { "them" },
        )));
    }
    Ok(())
}

fn table(o: &Output, ctx: &Ctx) -> Table {
    let mut t = Table::new(&["", "lead", "to", "channel", "event", "detail"]);
    let local = |s: &Stamp| ctx.short(s);
    for s in &o.delivered {
        t.push(
            vec!["SENT".into(), s.id.clone(), s.to.clone(), s.channel.clone(), s.event.as_str().into(), String::new()],
            Tone::Plain,
        );
    }
    for s in &o.failed {
        let next = s.next_try.as_ref().map(|n| format!("; retry {}", local(n))).unwrap_or_default();
        let detail = format!("{}{next}", s.error.as_deref().unwrap_or_default());
        t.push(
            vec!["FAILED".into(), s.id.clone(), s.to.clone(), s.channel.clone(), s.event.as_str().into(), detail],
            Tone::Alert,
        );
    }
    for p in &o.pending {
        let (state, detail) = match p.wait {
            Wait::Due => ("DUE", String::new()),
            Wait::QuietHours { until } => ("QUIET", format!("quiet hours until {}", local(until))),
            Wait::Retry { attempts, next_try, error } => {
                ("RETRY", format!("{attempts} failed, next {}: {error}", local(next_try)))
            }
        };
        t.push(vec![state.into(), p.id.into(), p.to.into(), p.channel.into(), p.event.into(), detail], Tone::Plain);
    }
    t
}
