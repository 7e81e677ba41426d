//! `handoff assign ID [--to STAFF] [--next-action TEXT] [--due TIME] [--follow-up DATE]`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;

use crate::clock;
use crate::context::Ctx;
use crate::error::refused;
use crate::handoff::{self, Handoff};
use crate::lead::Lead;
use crate::rules::{RoutingRule, Strategy};
use crate::store::Want;

/// Hand a lead to one owner (the routing rules pick one unless --to names them).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff assign k3f9 --to sam --next-action 'Book estimate visit' --due +2h --follow-up +2d\n  handoff assign k3f9            # the routing rules pick the owner\n\nRefused (exit 1) when required fields are missing, after acceptance (use transfer), or for unknown staff."
)]
pub struct AssignArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    #[command(flatten)]
    pub handoff: HandoffArgs,
}

/// The handoff flags shared by `assign` and `capture`.
#[derive(Debug, Args, Default, Clone)]
pub struct HandoffArgs {
    /// Owner (staff id); without it the routing rules pick.
    #[arg(long, value_name = "STAFF")]
    pub to: Option<String>,
    /// The promised next step (default: the routing rule's).
    #[arg(long, value_name = "TEXT")]
    pub next_action: Option<String>,
    /// When the next step is due (default: the routing rule's window from now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub due: Option<String>,
    /// Target follow-up date (required for estimate/consult leads).
    #[arg(long = "follow-up", value_name = "DATE")]
    pub follow_up: Option<String>,
}

pub fn run(ctx: &Ctx, args: AssignArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "assign", |lead| {
        let (h, turn_rule) = resolve_handoff(ctx, lead, &args.handoff)?;
        handoff::assign(lead, &ctx.rules, h, &by, ctx.stamp())?;
        if let Some(rule) = turn_rule {
            ctx.ws.bump_turn(&rule)?;
        }
        Ok(format!("assigned to {}", lead.owner.as_deref().unwrap_or_default()))
    })?;
    println!("{}", lead.id);
    eprintln!("{}", handoff_summary(ctx, &lead));
    Ok(())
}

/// One line for stderr after a handoff: owner, next action, due.
pub fn handoff_summary(ctx: &Ctx, lead: &Lead) -> String {
    let due = lead.next_action_due.map(|d| clock::short(&ctx.local(&d))).unwrap_or_default();
    format!(
        "assigned to {} — next: {} (due {due}); waiting for {} to accept",
        lead.owner.as_deref().unwrap_or("?"),
        lead.next_action.as_deref().unwrap_or("?"),
        lead.owner.as_deref().unwrap_or("?"),
    )
}

/// Turn the flags into a `Handoff`, routing when no owner is given. Returns the name of a
/// round-robin rule whose turn must advance once the handoff is written.
pub fn resolve_handoff(ctx: &Ctx, lead: &Lead, args: &HandoffArgs) -> Result<(Handoff, Option<String>)> {
    let rule = ctx.rules.routing_rule(lead);
    let (owner, rule_name, turn_rule) = match &args.to {
        Some(to) => (to.clone(), None, None),
        None => {
            let rule = rule.ok_or_else(|| {
                refused("no routing rule matches this lead; add a default rule to rules.yaml or pass --to STAFF")
            })?;
            let (owner, turn) = route_owner(ctx, rule)?;
            (owner, Some(rule.name.clone()), turn)
        }
    };
    let due = match (&args.due, rule.and_then(|r| r.due.as_deref())) {
        (Some(s), _) => Some(ctx.time_arg("--due", s)?),
        (None, Some(window)) if lead.next_action_due.is_none() => {
            let w = clock::parse_window(window).unwrap_or_default();
            Some(crate::clock::Stamp::from_zoned(&ctx.now.checked_add(w).map_err(|e| refused(format!("{e}")))?))
        }
        _ => None,
    };
    let next_action = args
        .next_action
        .clone()
        .or_else(|| lead.next_action.is_none().then(|| rule.and_then(|r| r.next_action.clone())).flatten());
    let follow_up_on = match (&args.follow_up, rule.and_then(|r| r.follow_up.as_deref())) {
        (Some(s), _) => Some(ctx.date_arg("--follow-up", s)?),
        (None, Some(window)) if lead.follow_up_on.is_none() && ctx.rules.requirements(lead).follow_up => {
            let days = clock::parse_window(window).map_or(0, |w| w.as_secs() / 86_400);
            Some(ctx.now.date().checked_add(jiff::Span::new().days(days)).map_err(|e| refused(format!("{e}")))?)
        }
        _ => None,
    };
    Ok((Handoff { owner, rule: rule_name, next_action, due, follow_up_on }, turn_rule))
}

/// The owner a routing rule picks: its named person, or a pool member by its strategy.
fn route_owner(ctx: &Ctx, rule: &RoutingRule) -> Result<(String, Option<String>)> {
    if let Some(to) = &rule.to {
        return Ok((to.clone(), None));
    }
    let pool = rule.pool.as_deref().unwrap_or_default();
    let strategy = rule.strategy.unwrap_or(Strategy::RoundRobin);
    let (turn, open) = match strategy {
        Strategy::RoundRobin => (ctx.ws.turn(&rule.name)?, BTreeMap::new()),
        Strategy::LeastOpen => (0, open_counts(ctx)?),
    };
    let owner = handoff::pick_from_pool(pool, strategy, turn, &open)
        .ok_or_else(|| refused(format!("routing rule `{}` has an empty pool", rule.name)))?;
    Ok((owner, (strategy == Strategy::RoundRobin).then(|| rule.name.clone())))
}

/// Open leads per owner, for least-open routing.
fn open_counts(ctx: &Ctx) -> Result<BTreeMap<String, usize>> {
    let (owners, _) = ctx.ws.scan_map(Want::Open, |l| l.owner)?;
    let mut counts = BTreeMap::new();
    for owner in owners {
        *counts.entry(owner).or_insert(0) += 1;
    }
    Ok(counts)
}
