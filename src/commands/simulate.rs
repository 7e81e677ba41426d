//! `handoff simulate --rules PROPOSED.yaml [--since DATE]`: replay recorded history under
//! proposed rules and print what would have gone differently (docs/stats.md, "Simulate").

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::clock;
use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, View, colour_enabled, print, render_table};
use crate::rules::{MAX_RULES_BYTES, Rules};
use crate::stats::simulate::{Escalation, Simulation, assemble, lead_sim};
use crate::store::{Want, read_limited};

/// Replay history under proposed rules: leads routed differently, escalations added or removed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cp rules.yaml proposed.yaml && $EDITOR proposed.yaml\n  handoff simulate --rules proposed.yaml --since 2026-11-01\n  handoff simulate --rules proposed.yaml --json | jq '.escalations_added | length'"
)]
pub struct SimulateArgs {
    /// The proposed rules file (same format as rules.yaml).
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// Replay leads captured on or after this day (default: all).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub since: Option<String>,
}

pub fn run(ctx: &Ctx, args: SimulateArgs) -> Result<()> {
    let shown = args.rules.display().to_string();
    let text = read_limited(&args.rules, MAX_RULES_BYTES).map_err(|e| refused(format!("--rules: {e:#}")))?;
    let proposed = Rules::parse(&text).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  {}", p.render(&shown))).collect();
        refused(format!(
            "{shown} is not valid rules; fix {} (the same checks as `handoff validate`):\n{}",
            if problems.len() == 1 { "this problem" } else { "these problems" },
            list.join("\n")
        ))
    })?;
    let since = match &args.since {
        Some(d) => {
            let date = ctx.date_arg("--since", d)?;
            Some(date.to_zoned_datetime(ctx.rules.tz.clone())?.timestamp())
        }
        None => None,
    };
    let now = ctx.now.timestamp();
    // Leads closed before the replay starts change nothing in it: skipped unread.
    let want = since.map_or(Want::All, Want::ActiveSince);
    let (sims, errors) = ctx.ws.scan_map(want, |lead| Some(lead_sim(&ctx.rules, &proposed, &lead, since, now)))?;
    let sim = assemble(&ctx.rules, &proposed, sims, now);
    print(ctx.format, &sim, View::table(|| flat(ctx, &sim)).text(|| render(ctx, &sim)))?;
    super::skipped(&errors)
}

fn person(ctx: &Ctx, id: Option<&str>) -> String {
    match id {
        None => "-".to_owned(),
        Some(id) => match ctx.rules.staff(id) {
            Some(s) => format!("{} ({id})", s.name),
            None => id.to_owned(),
        },
    }
}

fn when(ctx: &Ctx, at: &clock::Stamp) -> String {
    ctx.show_time(at)
}

fn escalation_rows(ctx: &Ctx, t: &mut Table, change: &str, list: &[Escalation]) {
    for x in list {
        t.row(vec![
            change.to_owned(),
            x.id.to_string(),
            x.customer.clone().unwrap_or_default(),
            x.rule.clone(),
            when(ctx, &x.at),
            person(ctx, x.escalate_to.as_deref()),
        ]);
    }
}

/// Every difference as one row (csv and md).
fn flat(ctx: &Ctx, s: &Simulation) -> Table {
    let mut t = Table::new(&["change", "id", "customer", "rule", "at", "to"]);
    for r in &s.routed_differently {
        t.row(vec![
            "routed".to_owned(),
            r.id.to_string(),
            r.customer.clone().unwrap_or_default(),
            r.proposed_rule.clone().unwrap_or_default(),
            when(ctx, &r.at),
            format!("{} → {}", r.actual.as_deref().unwrap_or("-"), r.proposed.as_deref().unwrap_or("-")),
        ]);
    }
    escalation_rows(ctx, &mut t, "escalation added", &s.escalations_added);
    escalation_rows(ctx, &mut t, "escalation removed", &s.escalations_removed);
    t
}

fn render(ctx: &Ctx, s: &Simulation) -> String {
    let colour = colour_enabled();
    let mut out = format!(
        "Replayed {} lead{} ({} routed by the rules) up to {}\n",
        s.leads,
        if s.leads == 1 { "" } else { "s" },
        s.routed,
        when(ctx, &s.as_of)
    );
    out.push_str(&format!("\nRouted differently ({})\n", s.routed_differently.len()));
    let mut t = Table::new(&["id", "customer", "at", "was", "would be", "rule"]);
    for r in &s.routed_differently {
        t.row(vec![
            r.id.to_string(),
            r.customer.clone().unwrap_or_default(),
            when(ctx, &r.at),
            person(ctx, r.actual.as_deref()),
            person(ctx, r.proposed.as_deref()),
            r.proposed_rule.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&render_table(&t, colour));
    for (title, list) in [("Escalations added", &s.escalations_added), ("Escalations removed", &s.escalations_removed)]
    {
        out.push_str(&format!("\n{title} ({})\n", list.len()));
        let mut t = Table::new(&["id", "customer", "rule", "at", "to"]);
        for x in list {
            t.row(vec![
                x.id.to_string(),
                x.customer.clone().unwrap_or_default(),
                x.rule.clone(),
                when(ctx, &x.at),
                person(ctx, x.escalate_to.as_deref()),
            ]);
        }
        out.push_str(&render_table(&t, colour));
    }
    out.push_str("\nPer escalation rule\n");
    let mut t = Table::new(&["rule", "before", "after", "added", "removed"]);
    for r in &s.by_rule {
        t.row(vec![
            r.rule.clone(),
            r.before.to_string(),
            r.after.to_string(),
            r.added.to_string(),
            r.removed.to_string(),
        ]);
    }
    out.push_str(&render_table(&t, colour));
    out
}
