//! `handoff away STAFF --from TIME --until TIME [--reason] [--backup STAFF]`: record that
//! someone is away (routing and schedules skip them), listing the leads they still own;
//! `handoff away` alone lists who is away now or later.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::clock::Stamp;
use crate::commands::oncall::{check_period, check_staff, period};
use crate::context::Ctx;
use crate::error::{Failure, refused};
use crate::lead::Status;
use crate::output::{Table, emit};
use crate::schedule::Away;
use crate::store::Want;

/// Record that someone is away: routing and on-call schedules skip them meanwhile.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff away dev --from '2026-11-26 00:00' --until '2026-11-30 08:00' \\\n    --reason vacation --backup sam\n  handoff away            # who is away now or later\n  handoff away dev --from 07:00 --until +2d && handoff back dev   # back early"
)]
pub struct AwayArgs {
    /// Who is away (staff id); leave out to list away periods.
    pub staff: Option<String>,
    /// Start (default: now).
    #[arg(long, value_name = "TIME", requires = "staff")]
    pub from: Option<String>,
    /// End (exclusive).
    #[arg(long, value_name = "TIME", requires = "staff")]
    pub until: Option<String>,
    /// Why (holiday, sick, training).
    #[arg(long, value_name = "TEXT", requires = "staff")]
    pub reason: Option<String>,
    /// Who takes their named leads and on-call turns meanwhile (staff id).
    #[arg(long, value_name = "STAFF", requires = "staff")]
    pub backup: Option<String>,
}

#[derive(Serialize)]
struct OpenLead {
    id: String,
    status: Status,
    next_action: Option<String>,
    next_action_due: Option<Stamp>,
}

#[derive(Serialize)]
struct Recorded<'a> {
    #[serde(flatten)]
    away: &'a Away,
    open_leads: Vec<OpenLead>,
}

pub fn run(ctx: &Ctx, args: AwayArgs) -> Result<()> {
    let Some(who) = args.staff else { return list(ctx) };
    let by = ctx.actor()?.id.clone();
    check_staff(ctx, "STAFF", &who)?;
    if let Some(b) = &args.backup {
        check_staff(ctx, "--backup", b)?;
        if *b == who {
            return Err(refused("--backup is the person who is away; name someone else"));
        }
        if !ctx.rules.staff(b).is_some_and(|s| s.active) {
            return Err(refused(format!("--backup {b} is inactive (active: false); name someone active")));
        }
    }
    let from = match &args.from {
        Some(s) => ctx.time_arg("--from", s)?,
        None => ctx.stamp(),
    };
    let Some(until) = &args.until else {
        return Err(Failure::Usage(format!("when is {who} back? give --until TIME")).into());
    };
    let until = ctx.time_arg("--until", until)?;
    check_period(ctx, &from, &until)?;
    let mut tx = ctx.transaction(&by)?;
    let mut duty = tx.read_duty()?;
    let away = Away { who: who.clone(), from, until, reason: args.reason, backup: args.backup, by, at: ctx.stamp() };
    duty.away.push(away.clone());
    tx.write_duty(&duty)?;
    tx.finish(&format!("away {who}: {}", period(ctx, &from, &until)))?;

    let (mut owned, errors) = ctx.ws.scan_map(Want::Open, |l| {
        (l.owner.as_deref() == Some(who.as_str())).then(|| OpenLead {
            id: l.id.to_string(),
            status: l.status,
            next_action: l.next_action.clone(),
            next_action_due: l.next_action_due,
        })
    })?;
    owned.sort_by(|a, b| a.id.cmp(&b.id));
    let out = Recorded { away: &away, open_leads: owned };
    emit(ctx.format, &out, || {
        let mut t = Table::new(&["lead", "status", "next action", "due"]);
        for l in &out.open_leads {
            t.row(vec![
                l.id.clone(),
                l.status.to_string(),
                l.next_action.clone().unwrap_or_default(),
                l.next_action_due.map(|d| ctx.short(&d)).unwrap_or_default(),
            ]);
        }
        t
    })?;
    let backup = away.backup.as_deref().map(|b| format!(", backup {b}")).unwrap_or_default();
    eprintln!("{who} is away {}{backup}", period(ctx, &away.from, &away.until));
    if !out.open_leads.is_empty() && ctx.format == crate::output::Format::Table {
        let to = away.backup.as_deref().unwrap_or("STAFF");
        println!(
            "{who} still owns {} open lead{}; move them with: handoff transfer --all-from {who} --to {to} --reason TEXT",
            out.open_leads.len(),
            if out.open_leads.len() == 1 { "" } else { "s" }
        );
    }
    crate::commands::skipped(&errors)
}

/// Away periods that have not ended.
fn list(ctx: &Ctx) -> Result<()> {
    let now = ctx.now.timestamp();
    let list: Vec<&Away> = ctx.rules.duty.away.iter().filter(|a| a.until.timestamp() > now).collect();
    emit(ctx.format, &serde_json::json!({ "away": list }), || {
        let mut t = Table::new(&["who", "from", "until", "backup", "reason"]);
        for a in &list {
            t.row(vec![
                a.who.clone(),
                ctx.short(&a.from),
                ctx.short(&a.until),
                a.backup.clone().unwrap_or_default(),
                a.reason.clone().unwrap_or_default(),
            ]);
        }
        t
    })
}
