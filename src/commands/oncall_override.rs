//! `handoff oncall override SCHEDULE --who STAFF --from TIME --until TIME [--reason]`:
//! put someone on call for a while (beats every layer), committed in oncall.yaml by the
//! person who made it; `--list` and `--remove N`.

use anyhow::Result;
use clap::Args;

use crate::commands::oncall::{check_period, check_staff, no_schedule, period, short};
use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, emit};
use crate::schedule::Override;

/// Record, list (--list) or remove (--remove N) an on-call override.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff oncall override field --who sam --from '2026-11-26 00:00' \\\n    --until '2026-11-27 00:00' --reason 'Dev at Thanksgiving'\n  handoff oncall override --list\n  handoff oncall override --remove 3"
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

pub fn run(ctx: &Ctx, args: OverrideArgs) -> Result<()> {
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
