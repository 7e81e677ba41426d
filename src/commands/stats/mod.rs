//! `handoff stats [--since DATE] [--until DATE] [--week W | --month M] [--by KEY]`: how the
//! team is doing over a period (definitions in docs/stats.md).

mod view;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::context::Ctx;
use crate::error::refused;
use crate::output::{View, colour_enabled, print};
use crate::stats::{By, LeadFacts, Period, PeriodSpec, Stats, facts, html};
use crate::store::Want;

/// Team statistics: speed to lead, acceptance within the SOP window, outcomes by source, QA.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff stats                              # the last 30 days\n  handoff stats --week 2026-W48 --by owner\n  handoff stats --month 2026-11 --json\n  handoff stats --week 2026-W48 --format html > week48.html\n\nEvery figure is defined in docs/stats.md."
)]
pub struct StatsArgs {
    /// First day of the period: YYYY-MM-DD, `yesterday`, … (default: 30 days ago).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Last day of the period, inclusive (default: today).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// One ISO week, YYYY-Www (instead of --since/--until).
    #[arg(long, value_name = "YYYY-Www", conflicts_with_all = ["since", "until", "month"])]
    pub week: Option<String>,
    /// One month, YYYY-MM (instead of --since/--until).
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["since", "until"])]
    pub month: Option<String>,
    /// Also split the leads captured in the period by this key.
    #[arg(long, value_name = "KEY", value_enum)]
    pub by: Option<ByArg>,
}

/// What `--by` splits by.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ByArg {
    Owner,
    Source,
    Urgency,
    ServiceType,
    Week,
}

impl From<ByArg> for By {
    fn from(b: ByArg) -> By {
        match b {
            ByArg::Owner => By::Owner,
            ByArg::Source => By::Source,
            ByArg::Urgency => By::Urgency,
            ByArg::ServiceType => By::ServiceType,
            ByArg::Week => By::Week,
        }
    }
}

pub fn run(ctx: &Ctx, args: StatsArgs) -> Result<()> {
    let spec = PeriodSpec {
        since: args.since.as_deref().map(|d| ctx.date_arg("--since", d)).transpose()?,
        until: args.until.as_deref().map(|d| ctx.date_arg("--until", d)).transpose()?,
        week: args.week,
        month: args.month,
    };
    let period = Period::choose(&spec, ctx.now.timestamp(), &ctx.rules.tz).map_err(|e| refused(format!("{e:#}")))?;
    let rules = &ctx.rules;
    let (all, errors): (Vec<LeadFacts>, _) =
        ctx.scan_map(Want::ActiveSince(period.start), |lead| facts(&lead, rules, &period))?;
    let stats = Stats::assemble(rules, &period, args.by.map(By::from), &all);
    let view = View::table(|| view::flat(&stats))
        .text(|| view::render(&stats, colour_enabled()))
        .markdown(|| view::markdown(&stats))
        .html(|| html::render(&stats));
    print(ctx.format, &stats, view)?;
    super::skipped(&errors)
}
