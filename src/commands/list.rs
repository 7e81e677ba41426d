//! `handoff list [--status S] [--owner STAFF] [--overdue]`.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::clock::Stamp;
use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{Lead, LeadId, Status};
use crate::output::{Format, Table, Tone, View, print};
use crate::store::Want;

/// List leads, oldest first.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff list --overdue\n  handoff list --owner sam --status accepted --format csv > sam.csv\n\nWithout --status, closed leads are left out; --status closed shows them."
)]
pub struct ListArgs {
    /// Only leads in this status (intake, assigned, accepted, closed).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<Status>,
    /// Only leads owned by this staff id.
    #[arg(long, value_name = "STAFF")]
    pub owner: Option<String>,
    /// Only open leads whose next action is past due.
    #[arg(long)]
    pub overdue: bool,
    /// Include closed leads.
    #[arg(long)]
    pub all: bool,
}

/// One listed lead: what the table shows and the JSON keys (see docs/json.md).
#[derive(Serialize)]
struct Row {
    id: LeadId,
    status: Status,
    owner: Option<String>,
    urgency: Option<String>,
    service_type: Option<String>,
    source: Option<String>,
    full_name: Option<String>,
    next_action: Option<String>,
    next_action_due: Option<Stamp>,
    overdue: bool,
    created_at: Stamp,
}

/// The CSV a spreadsheet or script reads: full ids, the JSON keys as headers, times in
/// RFC 3339 and `overdue` as its own column (never display text in a data column).
fn machine_table(rows: &[Row]) -> Table {
    let mut t = Table::new(&[
        "id",
        "status",
        "owner",
        "urgency",
        "service_type",
        "source",
        "full_name",
        "next_action",
        "next_action_due",
        "overdue",
        "created_at",
    ]);
    for r in rows {
        t.row(vec![
            r.id.to_string(),
            r.status.to_string(),
            r.owner.clone().unwrap_or_default(),
            r.urgency.clone().unwrap_or_default(),
            r.service_type.clone().unwrap_or_default(),
            r.source.clone().unwrap_or_default(),
            r.full_name.clone().unwrap_or_default(),
            r.next_action.clone().unwrap_or_default(),
            r.next_action_due.map(|d| d.to_string()).unwrap_or_default(),
            r.overdue.to_string(),
            r.created_at.to_string(),
        ]);
    }
    t
}

pub fn is_overdue(lead: &Lead, now: jiff::Timestamp) -> bool {
    lead.is_open() && lead.next_action_due.is_some_and(|d| d.timestamp() < now)
}

pub fn run(ctx: &Ctx, args: ListArgs) -> Result<()> {
    if let Some(owner) = &args.owner
        && ctx.rules.staff(owner).is_none()
    {
        return Err(refused(format!(
            "--owner: `{owner}` is not in staff; use one of: {}",
            ctx.rules.staff_ids().join(", ")
        )));
    }
    let now = ctx.now.timestamp();
    let want = if args.all || args.status == Some(Status::Closed) { Want::All } else { Want::Open };
    // The same filter on the index's summary first, so only listed leads are read.
    let now_s = now.as_second();
    let may_match = |s: &crate::store::index::Summary| {
        args.status.map_or(args.all || s.status != Status::Closed, |st| s.status == st)
            && args.owner.as_ref().is_none_or(|o| s.owner.as_ref() == Some(o))
            && (!args.overdue || (s.status != Status::Closed && s.next_action_due.is_some_and(|d| d <= now_s)))
    };
    let (mut rows, errors) = ctx.scan_brief(
        want,
        may_match,
        |_| true,
        |l| {
            let keep = args.status.map_or(args.all || l.is_open(), |s| l.status == s)
                && args.owner.as_ref().is_none_or(|o| l.owner.as_ref() == Some(o))
                && (!args.overdue || is_overdue(&l, now));
            keep.then(|| Row {
                overdue: is_overdue(&l, now),
                id: l.id.clone(),
                status: l.status,
                owner: l.owner,
                urgency: l.urgency,
                service_type: l.service_type,
                source: l.source,
                full_name: l.full_name,
                next_action: l.next_action,
                next_action_due: l.next_action_due,
                created_at: l.created_at,
            })
        },
    )?;
    rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    let short = ctx.short_ids()?;
    let table = || {
        if ctx.format == Format::Csv {
            return machine_table(&rows);
        }
        let mut t = Table::new(&["id", "status", "owner", "urgency", "service", "name", "next action", "due"]);
        for r in &rows {
            let due = r.next_action_due.map(|d| ctx.show_time(&d)).unwrap_or_default();
            let due = if r.overdue { format!("{due} OVERDUE") } else { due };
            t.push(
                vec![
                    short.get(&r.id).to_owned(),
                    r.status.to_string(),
                    r.owner.clone().unwrap_or_else(|| "-".to_owned()),
                    r.urgency.clone().unwrap_or_default(),
                    r.service_type.clone().unwrap_or_default(),
                    r.full_name.clone().unwrap_or_default(),
                    r.next_action.clone().unwrap_or_default(),
                    due,
                ],
                if r.overdue { Tone::Alert } else { Tone::Plain },
            );
        }
        t
    };
    print(ctx.format, &rows, View::table(table).when_empty("no leads match"))?;
    super::skipped(&errors)
}
