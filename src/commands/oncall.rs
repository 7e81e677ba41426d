//! `handoff oncall [SCHEDULE] [--at TIME] [--days N] [--ics]`: who is on call, from which
//! layer or override, and the hand-overs ahead; `handoff oncall override …` records,
//! lists and removes overrides (committed in oncall.yaml).

use anyhow::Result;
use clap::{Args, Subcommand};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::clock::{self, Stamp};
use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, emit};
use crate::schedule::{Override, Schedule, Shift, ics};

/// Who is on call now (or at TIME), from which layer or override, and the hand-overs ahead.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  handoff oncall\n  handoff oncall field --at '2026-11-26 02:00' --days 14\n  handoff oncall field --ics --days 60 > field.ics\n  handoff oncall override field --who sam --from '2026-11-26 00:00' --until '2026-11-27 00:00' --reason 'Dev at Thanksgiving'"
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
    Override(OverrideArgs),
}

/// Record, list (--list) or remove (--remove N) an on-call override.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff oncall override field --who sam --from '2026-11-26 00:00' --until '2026-11-27 00:00' --reason 'Dev at Thanksgiving'\n  handoff oncall override --list\n  handoff oncall override --remove 3"
)]
pub struct OverrideArgs {
    /// The schedule (a `schedules:` name in rules.yaml).
    #[arg(required_unless_present_any = ["list", "remove"])]
    pub schedule: Option<String>,
    /// Who is on call instead (staff id).
    #[arg(long, value_name = "STAFF", required_unless_present_any = ["list", "remove"])]
    pub who: Option<String>,
    /// Start of the override.
    #[arg(long, value_name = "TIME", required_unless_present_any = ["list", "remove"])]
    pub from: Option<String>,
    /// End of the override (exclusive).
    #[arg(long, value_name = "TIME", required_unless_present_any = ["list", "remove"])]
    pub until: Option<String>,
    /// Why (shown in lists and the feed).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// List the overrides that have not ended (of SCHEDULE, when given).
    #[arg(long, conflicts_with_all = ["who", "from", "until", "reason", "remove"])]
    pub list: bool,
    /// Remove override N (its number from --list).
    #[arg(long, value_name = "N", conflicts_with_all = ["who", "from", "until", "reason", "schedule"])]
    pub remove: Option<u32>,
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

/// How far ahead `until` and the feed look for the end of a shift (and back for its start).
const REACH: SignedDuration = SignedDuration::from_hours(35 * 24);

pub fn run(ctx: &Ctx, args: OncallArgs) -> Result<()> {
    if let Some(OncallAction::Override(o)) = args.action {
        return run_override(ctx, o);
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
        let far = |t: Timestamp, d: SignedDuration| t.checked_add(d).unwrap_or(t);
        let mut all: Vec<(&str, Shift)> = Vec::new();
        for s in &schedules {
            let shifts = s.shifts(&roster, far(at.timestamp(), -REACH), far(until, REACH));
            all.extend(
                shifts
                    .into_iter()
                    .filter(|sh| sh.end > at.timestamp() && sh.start < until)
                    .map(|sh| (s.name.as_str(), sh)),
            );
        }
        let entries: Vec<ics::Entry> = all
            .iter()
            .map(|(schedule, shift)| {
                let who = shift.on_call.as_ref().map(|o| o.who.as_str()).unwrap_or_default();
                let name = ctx.rules.staff(who).map_or(who, |s| s.name.as_str()).to_owned();
                ics::Entry { schedule, shift, name }
            })
            .collect();
        let title = match &args.schedule {
            Some(name) => format!("On call: {name}"),
            None => "On call".to_owned(),
        };
        print!("{}", ics::render(&title, &entries, ctx.now.timestamp()));
        return Ok(());
    }
    let mut report = Report { at, schedules: Vec::new() };
    for s in &schedules {
        let now = s.resolve(&roster, at.timestamp());
        let shifts = s.shifts(&roster, at.timestamp(), until);
        let current_end = s.shifts(&roster, at.timestamp(), at.timestamp().checked_add(REACH).unwrap_or(until));
        let on = now.on_call.as_ref();
        report.schedules.push(Duty {
            name: s.name.clone(),
            on_call: on.map(|o| o.who.clone()),
            source: on.map(|o| o.source.label().to_owned()),
            covering_for: on.and_then(|o| o.covering_for.clone()),
            until: current_end.first().filter(|_| current_end.len() > 1).map(|sh| local(ctx, sh.end)),
            skipped: now.skipped.into_iter().map(|k| Skip { who: k.who, why: k.why }).collect(),
            handovers: shifts
                .iter()
                .skip(1)
                .map(|sh| Handover {
                    at: local(ctx, sh.start),
                    on_call: sh.on_call.as_ref().map(|o| o.who.clone()),
                    source: sh.on_call.as_ref().map(|o| o.source.label().to_owned()),
                })
                .collect(),
        });
    }
    if schedules.is_empty() {
        eprintln!("no schedules in rules.yaml; add one under `schedules:` (see the README's \"Who is on duty\")");
    }
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

fn short(ctx: &Ctx, s: &Stamp) -> String {
    clock::short(&ctx.local(s))
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

fn no_schedule(ctx: &Ctx, name: &str) -> String {
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

fn run_override(ctx: &Ctx, args: OverrideArgs) -> Result<()> {
    if args.list {
        let now = ctx.now.timestamp();
        let list: Vec<&Override> = ctx
            .rules
            .duty
            .overrides
            .iter()
            .filter(|o| o.until.timestamp() > now && args.schedule.as_ref().is_none_or(|s| *s == o.schedule))
            .collect();
        return emit(ctx.format, &serde_json::json!({ "overrides": list }), || {
            let mut t = Table::new(&["#", "schedule", "who", "from", "until", "reason", "by"]);
            for o in &list {
                t.row(vec![
                    o.id.to_string(),
                    o.schedule.clone(),
                    o.who.clone(),
                    short(ctx, &o.from),
                    short(ctx, &o.until),
                    o.reason.clone().unwrap_or_default(),
                    o.by.clone(),
                ]);
            }
            t
        });
    }
    let by = ctx.actor()?.id.clone();
    let mut tx = ctx.transaction(&by)?;
    let mut duty = tx.read_duty()?;
    if let Some(id) = args.remove {
        let Some(o) = duty.remove_override(id) else {
            let ids: Vec<String> = duty.overrides.iter().map(|o| o.id.to_string()).collect();
            return Err(refused(format!(
                "there is no override {id}; overrides: {} (see `handoff oncall override --list`)",
                if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
            )));
        };
        tx.write_duty(&duty)?;
        tx.finish(&format!("oncall override --remove {id}: {} {}", o.schedule, o.who))?;
        eprintln!("removed override {id} ({} on call for {}, {})", o.who, o.schedule, period(ctx, &o.from, &o.until));
        return Ok(());
    }
    // clap requires these unless --list or --remove, handled above.
    let (Some(schedule), Some(who), Some(from), Some(until)) = (args.schedule, args.who, args.from, args.until) else {
        return Err(refused("give SCHEDULE, --who, --from and --until"));
    };
    if ctx.rules.schedule(&schedule).is_none() {
        return Err(refused(no_schedule(ctx, &schedule)));
    }
    let staff = check_staff(ctx, "--who", &who)?;
    if !staff.active {
        return Err(refused(format!("{who} is inactive (active: false in rules.yaml); choose someone active")));
    }
    let (from, until) = (ctx.time_arg("--from", &from)?, ctx.time_arg("--until", &until)?);
    check_period(ctx, &from, &until)?;
    if let Some(a) = duty.away.iter().find(|a| a.who == who && a.from < until && from < a.until) {
        eprintln!("warning: {who} is away from {} until {}; while away the override is skipped", a.from, a.until);
    }
    let id = duty.next_override_id();
    let o = Override { id, schedule, who, from, until, reason: args.reason, by: by.clone(), at: ctx.stamp() };
    let summary = format!("{}: {} {}", o.schedule, o.who, period(ctx, &o.from, &o.until));
    duty.overrides.push(o.clone());
    tx.write_duty(&duty)?;
    tx.finish(&format!("oncall override {summary}"))?;
    emit(ctx.format, &o, || {
        let mut t = Table::new(&["override", "schedule", "who", "from", "until"]);
        t.row(vec![
            format!("override {id}"),
            o.schedule.clone(),
            o.who.clone(),
            short(ctx, &o.from),
            short(ctx, &o.until),
        ]);
        t
    })
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
