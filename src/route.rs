//! Picking an owner for a lead: the routing rule's choice (domain: `rules`, `handoff`)
//! with the workspace state it needs (round-robin turns, open leads per owner).

use std::collections::BTreeMap;

use anyhow::Result;

use crate::clock::{self, Stamp};
use crate::context::Ctx;
use crate::error::refused;
use crate::handoff::{self, Handoff};
use crate::lead::{Lead, Status};
use crate::rules::{RoutingRule, Strategy};
use crate::store::index::Known;

/// What a person asked for in a handoff (`--to`, `--next-action`, `--due`, `--follow-up`),
/// as typed; anything left out is filled from the routing rule.
#[derive(Debug, Default, Clone)]
pub struct HandoffRequest {
    pub to: Option<String>,
    pub next_action: Option<String>,
    pub due: Option<String>,
    pub follow_up: Option<String>,
    /// A `due` in the past is recorded rather than refused (imports of older records).
    pub allow_past: bool,
}

/// What routing several leads in one transaction shares (an import routes thousands): the
/// open leads per owner, counted once and kept up to date as leads are handed off.
#[derive(Debug, Default)]
pub struct Routing {
    open: Option<BTreeMap<String, usize>>,
}

impl Routing {
    /// Open leads per owner: counted on first use, then as this routing hands leads off.
    fn open_counts(&mut self, ctx: &Ctx) -> Result<&BTreeMap<String, usize>> {
        if self.open.is_none() {
            self.open = Some(open_counts(ctx)?);
        }
        Ok(self.open.get_or_insert_default())
    }

    /// `lead` changed owner from `before`: move it between the counts (when counted).
    fn moved(&mut self, before: Option<&str>, lead: &Lead) {
        let Some(open) = &mut self.open else { return };
        if let Some(n) = before.and_then(|b| open.get_mut(b)) {
            *n = n.saturating_sub(1);
        }
        if let Some(owner) = lead.owner.as_ref().filter(|_| lead.is_open()) {
            *open.entry(owner.clone()).or_insert(0) += 1;
        }
    }
}

/// Turn a request into a `Handoff`, routing when no owner is given. Returns the name of a
/// round-robin rule whose turn must advance once the handoff is written.
fn resolve_handoff(
    ctx: &Ctx,
    routing: &mut Routing,
    lead: &Lead,
    req: &HandoffRequest,
) -> Result<(Handoff, Option<String>)> {
    let rule = ctx.rules.routing_rule(lead);
    let (owner, rule_name, turn_rule, reason) = match &req.to {
        Some(to) => (to.clone(), None, None, None),
        None => {
            let rule = rule.ok_or_else(|| {
                refused("no routing rule matches this lead; add a default rule to rules.yaml or pass --to STAFF")
            })?;
            let (owner, turn, reason) = route_owner(ctx, routing, rule)?;
            (owner, Some(rule.name.clone()), turn, reason)
        }
    };
    let due = match (&req.due, rule.and_then(|r| r.due.as_deref())) {
        (Some(s), _) => Some(ctx.due_arg("--due", s, req.allow_past)?),
        (None, Some(window)) if lead.next_action_due.is_none() => {
            let w = clock::parse_window(window).unwrap_or_default();
            Some(Stamp::from_zoned(&ctx.now.checked_add(w).map_err(|e| refused(format!("{e}")))?))
        }
        _ => None,
    };
    let next_action = req
        .next_action
        .clone()
        .or_else(|| lead.next_action.is_none().then(|| rule.and_then(|r| r.next_action.clone())).flatten());
    let follow_up_on = match (&req.follow_up, rule.and_then(|r| r.follow_up.as_deref())) {
        (Some(s), _) => Some(ctx.date_arg("--follow-up", s)?),
        (None, Some(window)) if lead.follow_up_on.is_none() && ctx.rules.requirements(lead).follow_up => {
            let days = clock::parse_window(window).map_or(0, |w| w.as_secs() / 86_400);
            Some(ctx.now.date().checked_add(jiff::Span::new().days(days)).map_err(|e| refused(format!("{e}")))?)
        }
        _ => None,
    };
    Ok((Handoff { owner, rule: rule_name, reason, next_action, due, follow_up_on }, turn_rule))
}

/// Resolve and apply a handoff to `lead`, advancing a round-robin turn when one was used.
/// The caller holds the workspace lock (inside a transaction).
pub fn hand_off(ctx: &Ctx, lead: &mut Lead, req: &HandoffRequest, by: &str, advance_turn: bool) -> Result<()> {
    hand_off_in(ctx, &mut Routing::default(), lead, req, by, advance_turn)
}

/// [`hand_off`] for one of several leads routed in one transaction, sharing `routing`.
pub fn hand_off_in(
    ctx: &Ctx,
    routing: &mut Routing,
    lead: &mut Lead,
    req: &HandoffRequest,
    by: &str,
    advance_turn: bool,
) -> Result<()> {
    let (h, turn_rule) = resolve_handoff(ctx, routing, lead, req)?;
    let before = lead.owner.clone();
    handoff::assign(lead, &ctx.rules, h, by, ctx.stamp())?;
    routing.moved(before.as_deref(), lead);
    if let (Some(rule), true) = (turn_rule, advance_turn) {
        ctx.ws.bump_turn(&rule)?;
    }
    Ok(())
}

/// One line for stderr after a handoff: owner, next action, due.
pub fn handoff_summary(ctx: &Ctx, lead: &Lead) -> String {
    let due = lead.next_action_due.map(|d| ctx.show_time(&d)).unwrap_or_default();
    format!(
        "assigned to {} — next: {} (due {due}); waiting for {} to accept",
        lead.owner.as_deref().unwrap_or("?"),
        lead.next_action.as_deref().unwrap_or("?"),
        lead.owner.as_deref().unwrap_or("?"),
    )
}

/// The owner a routing rule picks at `now`: its named person, the one on call, or a pool
/// member by its strategy, passing over people away, inactive or at their `max_open`
/// (`rules::duty`). Returns the owner, the round-robin rule whose turn advances, and who
/// was skipped and why (recorded on the assignment, shown by `show`).
fn route_owner(
    ctx: &Ctx,
    routing: &mut Routing,
    rule: &RoutingRule,
) -> Result<(String, Option<String>, Option<String>)> {
    let round_robin = rule.pool.is_some() && rule.strategy != Some(Strategy::LeastOpen);
    let counts_matter = rule.strategy == Some(Strategy::LeastOpen)
        || rule.max_open.is_some()
        || ctx.rules.staff.iter().any(|s| s.max_open.is_some());
    let none = BTreeMap::new();
    let open = if counts_matter { routing.open_counts(ctx)? } else { &none };
    let turn = if round_robin { ctx.ws.turn(&rule.name)? } else { 0 };
    let pick = ctx.rules.pick_owner(rule, ctx.now.timestamp(), turn, open).map_err(refused)?;
    if pick.nobody_available {
        eprintln!(
            "warning: nobody routing rule `{}` names is available ({}); routed to {} anyway",
            rule.name,
            pick.reason().unwrap_or_default(),
            pick.owner
        );
    }
    let reason = pick.reason();
    Ok((pick.owner, round_robin.then(|| rule.name.clone()), reason))
}

/// Open leads per owner, for least-open routing and `max_open`: from the scan index's
/// summaries (a `stat` per file; only files changed since the last scan are read).
fn open_counts(ctx: &Ctx) -> Result<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    for (_, known) in ctx.ws.indexed_files()? {
        if let Known::Lead(s) = known
            && s.status != Status::Closed
            && let Some(owner) = s.owner
        {
            *counts.entry(owner).or_insert(0) += 1;
        }
    }
    Ok(counts)
}
