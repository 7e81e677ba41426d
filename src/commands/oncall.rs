//! `handoff oncall [SCHEDULE] [--at TIME] [--days N] [--ics]`: who is on call, from which
//! layer or override, and the hand-overs ahead (`oncall override` is in oncall_override.rs).

use anyhow::Result;
use clap::{Args, Subcommand};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::clock::Stamp;
use crate::commands::oncall_override;
use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, emit};
use crate::schedule::{Schedule, Shift, ics};

/// Who is on call now (or at TIME), from which layer or override, and the hand-overs ahead.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  handoff oncall\n  handoff oncall field --at '2026-11-26 02:00' --days 14\n  handoff oncall field --ics --days 60 > field.ics\n  handoff oncall override field --who sam --from '2026-11-26 00:00' \\\n    --until '2026-11-27 00:00' --reason 'Dev at Thanksgiving'"
)]
pub struct OncallArgs {
    #[command(subcommand)]
    pub action: Option<OncallAction>,
    /// Show only this schedule (default: all of rules.yaml's schedules).
    pub schedule: Option<String>,
    /// Ask about this time instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// List the hand-overs of the next N days (default 7; 28 with --ics).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=366))]
    pub days: Option<u16>,
    /// Print an iCalendar (RFC 5545) feed of the shifts instead, for calendar apps.
    #[arg(long)]
    pub ics: bool,
}

#[derive(Debug, Subcommand)]
pub enum OncallAction {
    /// Put someone on call for a schedule for a while (beats every layer); list or remove overrides.
    Override(oncall_override::OverrideArgs),
}

#[derive(Serialize)]
struct Handover {
    at: Stamp,
    on_call: Option<String>,
    source: Option<String>,
}

#[derive(Serialize)]
struct Skip {
    who: String,
    why: String,
}

#[derive(Serialize)]
struct Duty {
    name: String,
    on_call: Option<String>,
    source: Option<String>,
    covering_for: Option<String>,
    /// End of the current shift (within the next 35 days).
    until: Option<Stamp>,
    skipped: Vec<Skip>,
    handovers: Vec<Handover>,
}

#[derive(Serialize)]
struct Report {
    at: Stamp,
    schedules: Vec<Duty>,
}

pub fn run(ctx: &Ctx, args: OncallArgs) -> Result<()> {
    if let Some(OncallAction::Override(o)) = args.action {
        return oncall_override::run(ctx, o);
    }
    let at = match &args.at {
        Some(s) => ctx.time_arg("--at", s)?,
        None => ctx.stamp(),
    };
    let schedules = selected(ctx, args.schedule.as_deref())?;
    let days = i64::from(args.days.unwrap_or(if args.ics { 28 } else { 7 }));
    let until =
        at.timestamp().checked_add(SignedDuration::from_hours(24 * days)).map_err(|e| refused(format!("{e}")))?;
    let roster = ctx.rules.roster();
    if args.ics {
        let shifts: Vec<(&str, Shift)> = schedules
            .iter()
            .flat_map(|s| s.whole_shifts(&roster, at.timestamp(), until).into_iter().map(|sh| (s.name.as_str(), sh)))
            .collect();
        let entries: Vec<ics::Entry> = shifts
            .iter()
            .map(|(schedule, shift)| {
                let who = shift.on_call.as_ref().map(|o| o.who.as_str()).unwrap_or_default();
                let name = ctx.rules.staff(who).map_or(who, |s| s.name.as_str()).to_owned();
                ics::Entry { schedule, shift, name }
            })
            .collect();
        let title = args.schedule.as_ref().map_or_else(|| "On call".to_owned(), |name| format!("On call: {name}"));
        print!("{}", ics::render(&title, &entries, ctx.now.timestamp()));
        return Ok(());
    }
    if schedules.is_empty() {
        eprintln!("no schedules in rules.yaml; add one under `schedules:` (see the README's \"Who is on duty\")");
    }
    let report = Report {
        at,
        schedules: schedules
            .iter()
            .map(|s| {
                let o = s.overview(&roster, at.timestamp(), until);
                let on = o.resolution.on_call.as_ref();
                Duty {
                    name: s.name.clone(),
                    on_call: on.map(|o| o.who.clone()),
                    source: on.map(|o| o.source.label().to_owned()),
                    covering_for: on.and_then(|o| o.covering_for.clone()),
                    until: o.until.map(|t| local(ctx, t)),
                    skipped: o
                        .resolution
                        .skipped
                        .iter()
                        .map(|k| Skip { who: k.who.clone(), why: k.why.clone() })
                        .collect(),
                    handovers: o
                        .handovers
                        .iter()
                        .map(|sh| Handover {
                            at: local(ctx, sh.start),
                            on_call: sh.on_call.as_ref().map(|o| o.who.clone()),
                            source: sh.on_call.as_ref().map(|o| o.source.label().to_owned()),
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    emit(ctx.format, &report, || {
        let mut t = Table::new(&["schedule", "when", "on call", "from"]);
        for d in &report.schedules {
            let who = |w: &Option<String>| w.clone().unwrap_or_else(|| "NOBODY".to_owned());
            let mut from = d.source.clone().unwrap_or_default();
            if let Some(c) = &d.covering_for {
                from.push_str(&format!(", covering for {c}"));
            }
            let until = d.until.map(|u| format!("now, until {}", short(ctx, &u))).unwrap_or_else(|| "now".to_owned());
            t.row(vec![d.name.clone(), until, who(&d.on_call), from]);
            for k in &d.skipped {
                t.row(vec![String::new(), String::new(), format!("({} skipped)", k.who), k.why.clone()]);
            }
            for h in &d.handovers {
                t.row(vec![String::new(), short(ctx, &h.at), who(&h.on_call), h.source.clone().unwrap_or_default()]);
            }
        }
        t
    })
}

fn local(ctx: &Ctx, t: Timestamp) -> Stamp {
    Stamp::from_zoned(&t.to_zoned_datetime(ctx.rules.tz.clone()))
}

pub(super) fn short(ctx: &Ctx, s: &Stamp) -> String {
    ctx.short(s)
}

/// The schedules asked for: one by name, or all.
fn selected<'r>(ctx: &'r Ctx, name: Option<&str>) -> Result<Vec<&'r Schedule>> {
    match name {
        None => Ok(ctx.rules.schedules.iter().collect()),
        Some(name) => match ctx.rules.schedule(name) {
            Some(s) => Ok(vec![s]),
            None => Err(refused(no_schedule(ctx, name))),
        },
    }
}

pub(super) fn no_schedule(ctx: &Ctx, name: &str) -> String {
    let names: Vec<&str> = ctx.rules.schedules.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        format!("no schedule `{name}`: rules.yaml has no `schedules:` yet")
    } else {
        format!("no schedule `{name}` in rules.yaml; schedules: {}", names.join(", "))
    }
}

/// `2026-11-24 15:00 until 16:00` (the date again only when it changes).
pub fn period(ctx: &Ctx, from: &Stamp, until: &Stamp) -> String {
    let (f, u) = (ctx.local(from), ctx.local(until));
    let end =
        if f.date() == u.date() { u.strftime("%H:%M").to_string() } else { u.strftime("%Y-%m-%d %H:%M").to_string() };
    format!("{} until {end}", f.strftime("%Y-%m-%d %H:%M"))
}

/// A staff member named by a flag, or a refusal listing the staff.
pub fn check_staff<'c>(ctx: &'c Ctx, flag: &str, who: &str) -> Result<&'c crate::rules::Staff> {
    ctx.rules.staff(who).ok_or_else(|| {
        refused(format!(
            "{flag}: `{who}` is not in the staff of rules.yaml; use one of: {}",
            ctx.rules.staff_ids().join(", ")
        ))
    })
}

/// `--from` before `--until`, and not over already.
pub fn check_period(ctx: &Ctx, from: &Stamp, until: &Stamp) -> Result<()> {
    if from >= until {
        return Err(refused(format!("--from {from} is not before --until {until}; give the start first")));
    }
    if *until <= ctx.stamp() {
        return Err(refused(format!("--until {until} is in the past; nothing to record")));
    }
    Ok(())
}
