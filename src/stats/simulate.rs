//! `simulate`: replay recorded history under proposed rules and say what would have gone
//! differently — who routing would have picked, which escalations would have fired and
//! when — so a change to rules.yaml can be judged before it is adopted. Pure.
//!
//! Routing: for each lead whose first assignment was made by the routing rules (the event
//! names a rule), the proposed rules pick an owner for the lead as it stood just before that
//! assignment (round-robin turns counted through the replay, least-open counted from the
//! recorded ownership of every lead at that instant).
//!
//! Escalation: the escalation engine (`escalation::evaluate`) runs against each prefix of
//! the lead's history (recorded escalations left out), at the end of every quiet interval
//! between two events and at every end of day within it, as a cron that never misses a
//! minute would. A rule firing in the replay is added to the prefix, so it fires once per
//! clock exactly as `escalate-check` does. What happened is the escalations recorded in
//! history together with those the current rules owed (so a cron that did not run does not
//! make a change look bigger); escalations are the same when rule and clock start agree.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::clock::{self, Stamp};
use crate::escalation::evaluate;
use crate::handoff::pick_from_pool;
use crate::lead::{Event, EventKind, Lead, LeadId, SYSTEM, Status};
use crate::report::state_at;
use crate::rules::{Rules, Strategy};

/// A lead the proposed routing would have handed to someone else.
#[derive(Debug, Clone, Serialize)]
pub struct Rerouted {
    pub id: LeadId,
    pub customer: Option<String>,
    /// When the recorded routing happened.
    pub at: Stamp,
    pub actual: Option<String>,
    pub actual_rule: Option<String>,
    pub proposed: Option<String>,
    pub proposed_rule: Option<String>,
}

/// One escalation (recorded, owed or simulated).
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub id: LeadId,
    pub customer: Option<String>,
    pub rule: String,
    pub at: Stamp,
    /// When the rule's clock started (an escalation fires once per lead per clock).
    pub clock: Stamp,
    pub escalate_to: Option<String>,
}

/// Per escalation rule: how many fired in what happened (`before`) and under the proposal.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDiff {
    pub rule: String,
    pub before: usize,
    pub after: usize,
    pub added: usize,
    pub removed: usize,
}

/// The differences `handoff simulate` prints (SPEC keys first).
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub routed_differently: Vec<Rerouted>,
    pub escalations_added: Vec<Escalation>,
    pub escalations_removed: Vec<Escalation>,
    pub by_rule: Vec<RuleDiff>,
    /// Leads replayed (captured since `since`), and of those, routed by the rules.
    pub leads: usize,
    pub routed: usize,
    pub as_of: Stamp,
}

/// What one lead contributes to a simulation (computed while scanning, so only this is
/// kept in memory, never the lead).
#[derive(Debug, Clone, Default)]
pub struct LeadSim {
    /// Ownership changes (instant, owner, +1/−1), for least-open routing.
    deltas: Vec<(Timestamp, String, i64)>,
    /// The lead is in the replay (captured at or after `since`).
    replayed: bool,
    route: Option<RouteQuery>,
    before: Vec<Escalation>,
    after: Vec<Escalation>,
}

/// A routed lead's first assignment, and the proposed rule for the lead as it stood then.
#[derive(Debug, Clone)]
struct RouteQuery {
    id: LeadId,
    customer: Option<String>,
    created_at: Stamp,
    at: Stamp,
    actual: Option<String>,
    actual_rule: Option<String>,
    proposed_rule: Option<String>,
}

/// One lead's part of the simulation: its ownership changes, and when captured at or after
/// `since`, its routing query and its escalations before (recorded, or owed under `current`)
/// and after (under `proposed`), up to `now`.
pub fn lead_sim(current: &Rules, proposed: &Rules, lead: &Lead, since: Option<Timestamp>, now: Timestamp) -> LeadSim {
    let created = lead.created_at.timestamp();
    let mut sim = LeadSim { deltas: ownership_deltas(lead), ..LeadSim::default() };
    if since.is_some_and(|s| created < s) || created > now {
        return sim;
    }
    sim.replayed = true;
    if let Some(i) = lead.history.iter().position(|e| e.event == EventKind::Assigned)
        && lead.history[i].rule.is_some()
    {
        let assigned = &lead.history[i];
        let events: Vec<Event> =
            lead.history[..i].iter().filter(|e| e.event != EventKind::Escalated).cloned().collect();
        let before = as_of(lead, &events, &[]);
        sim.route = Some(RouteQuery {
            id: lead.id.clone(),
            customer: lead.full_name.clone(),
            created_at: lead.created_at,
            at: assigned.at,
            actual: assigned.to.clone(),
            actual_rule: assigned.rule.clone(),
            proposed_rule: proposed.routing_rule(&before).map(|r| r.name.clone()),
        });
    }
    let mut before: BTreeMap<(String, Stamp), Escalation> = BTreeMap::new();
    for e in lead.history.iter().filter(|e| e.event == EventKind::Escalated && e.at.timestamp() <= now) {
        let rule = e.rule.clone().unwrap_or_default();
        let clock = e.clock.unwrap_or(e.at);
        before.entry((rule.clone(), clock)).or_insert_with(|| Escalation {
            id: lead.id.clone(),
            customer: lead.full_name.clone(),
            rule,
            at: e.at,
            clock,
            escalate_to: e.to.clone(),
        });
    }
    for x in replay(current, lead, now) {
        before.entry((x.rule.clone(), x.clock)).or_insert(x);
    }
    sim.before = before.into_values().collect();
    sim.after = replay(proposed, lead, now);
    sim
}

/// Put the leads' parts together: routing replayed in capture order, escalations diffed.
pub fn assemble(current: &Rules, proposed: &Rules, sims: Vec<LeadSim>, now: Timestamp) -> Simulation {
    let leads = sims.iter().filter(|s| s.replayed).count();
    let mut deltas: Vec<(Timestamp, String, i64)> = sims.iter().flat_map(|s| s.deltas.iter().cloned()).collect();
    deltas.sort();
    let mut queries: Vec<&RouteQuery> = sims.iter().filter_map(|s| s.route.as_ref()).collect();
    queries.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let (routed, routed_differently) = reroute(proposed, &deltas, &queries);

    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut per_rule: BTreeMap<String, RuleDiff> = BTreeMap::new();
    fn diff<'m>(per_rule: &'m mut BTreeMap<String, RuleDiff>, rule: &str) -> &'m mut RuleDiff {
        per_rule.entry(rule.to_owned()).or_insert_with(|| RuleDiff {
            rule: rule.to_owned(),
            before: 0,
            after: 0,
            added: 0,
            removed: 0,
        })
    }
    for sim in sims {
        let key = |x: &Escalation| (x.rule.clone(), x.clock);
        let before: BTreeMap<(String, Stamp), Escalation> = sim.before.into_iter().map(|x| (key(&x), x)).collect();
        let after: BTreeMap<(String, Stamp), Escalation> = sim.after.into_iter().map(|x| (key(&x), x)).collect();
        for (key, x) in &before {
            diff(&mut per_rule, &key.0).before += 1;
            if !after.contains_key(key) {
                diff(&mut per_rule, &key.0).removed += 1;
                removed.push(x.clone());
            }
        }
        for (key, x) in after {
            diff(&mut per_rule, &key.0).after += 1;
            if !before.contains_key(&key) {
                diff(&mut per_rule, &key.0).added += 1;
                added.push(x);
            }
        }
    }
    let by_time = |a: &Escalation, b: &Escalation| a.at.cmp(&b.at).then(a.id.cmp(&b.id)).then(a.rule.cmp(&b.rule));
    added.sort_by(by_time);
    removed.sort_by(by_time);
    let mut by_rule = Vec::new();
    for name in proposed.escalation.iter().chain(&current.escalation).map(|r| r.name.as_str()) {
        by_rule.extend(per_rule.remove(name));
    }
    by_rule.extend(per_rule.into_values());

    Simulation {
        routed_differently,
        escalations_added: added,
        escalations_removed: removed,
        by_rule,
        leads,
        routed,
        as_of: Stamp::from_zoned(&now.to_zoned_datetime(current.tz.clone())),
    }
}

/// Replay `leads` captured at or after `since` under `proposed`, against what happened
/// under `current`, up to `now` (`lead_sim` for each, then `assemble`).
pub fn simulate(
    current: &Rules,
    proposed: &Rules,
    leads: &[Lead],
    since: Option<Timestamp>,
    now: Timestamp,
) -> Simulation {
    let sims = leads.iter().map(|l| lead_sim(current, proposed, l, since, now)).collect();
    assemble(current, proposed, sims, now)
}

/// The lead as it stood after `events` (plus simulated escalations): status, owner and next
/// action replayed by `report::state_at`, tags as recorded now.
fn as_of(lead: &Lead, events: &[Event], escalations: &[Event]) -> Lead {
    let mut l = lead.clone();
    // state_at falls back to the record's next action when no event carries one; a prefix
    // must not see an action that only a later event recorded.
    if lead.history.iter().any(|e| e.action.is_some()) {
        l.next_action = None;
    }
    if lead.history.iter().any(|e| e.due.is_some()) {
        l.next_action_due = None;
    }
    l.history = events.to_vec();
    l.history.extend(escalations.iter().cloned());
    if let Some(s) = state_at(&l, Timestamp::MAX) {
        l.status = s.status;
        l.owner = s.owner;
        l.next_action = s.next_action;
        l.next_action_due = s.next_action_due;
    }
    l
}

/// The escalations `rules` would have fired for `lead` up to `horizon`.
pub fn replay(rules: &Rules, lead: &Lead, horizon: Timestamp) -> Vec<Escalation> {
    let tz = &rules.tz;
    let events: Vec<Event> = lead.history.iter().filter(|e| e.event != EventKind::Escalated).cloned().collect();
    let mut fired: Vec<Event> = Vec::new();
    let mut out = Vec::new();
    for i in 0..events.len() {
        let from = events[i].at.timestamp();
        if from > horizon {
            break;
        }
        let (end, last) = match events.get(i + 1).map(|e| e.at.timestamp()) {
            Some(next) if next <= horizon => {
                // Events in the same second leave no moment for a check between them.
                if next <= from {
                    continue;
                }
                (next - SignedDuration::from_secs(1), false)
            }
            _ => (horizon, true),
        };
        let mut prefix = as_of(lead, &events[..=i], &fired);
        if prefix.status == Status::Closed {
            continue;
        }
        let mut instants: Vec<Timestamp> = Vec::new();
        let mut date = from.to_zoned_datetime(tz.clone()).date();
        let last_date = end.to_zoned_datetime(tz.clone()).date();
        while date <= last_date {
            if let Ok(eod) = clock::end_of_day(date, rules.eod, tz) {
                let t = eod.timestamp();
                if t >= from && t < end {
                    instants.push(t);
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => break,
            }
        }
        instants.push(end);
        for t in instants {
            let now = t.to_zoned_datetime(tz.clone());
            for due in evaluate(rules, &prefix, &now) {
                if due.fired {
                    continue;
                }
                let at = Stamp::from_zoned(&due.deadline.max(from).to_zoned_datetime(tz.clone()));
                let event = Event {
                    to: Some(due.escalate_to.clone()),
                    rule: Some(due.rule.clone()),
                    reason: Some(due.reason.clone()),
                    clock: Some(due.clock),
                    ..Event::new(at, SYSTEM, EventKind::Escalated)
                };
                prefix.history.push(event.clone());
                fired.push(event);
                out.push(Escalation {
                    id: lead.id.clone(),
                    customer: lead.full_name.clone(),
                    rule: due.rule,
                    at,
                    clock: due.clock,
                    escalate_to: Some(due.escalate_to),
                });
            }
        }
        if last {
            break;
        }
    }
    out
}

/// A lead's ownership changes as (instant, owner, +1/−1): summed over every lead, the open
/// leads each person held at any instant, for least-open routing.
fn ownership_deltas(lead: &Lead) -> Vec<(Timestamp, String, i64)> {
    let mut out = Vec::new();
    let mut owner: Option<String> = None;
    for e in &lead.history {
        let t = e.at.timestamp();
        match e.event {
            EventKind::Assigned | EventKind::Transferred => {
                if let Some(o) = owner.take() {
                    out.push((t, o, -1));
                }
                if let Some(to) = &e.to {
                    out.push((t, to.clone(), 1));
                    owner = Some(to.clone());
                }
            }
            EventKind::Rejected | EventKind::Closed => {
                if let Some(o) = owner.take() {
                    out.push((t, o, -1));
                }
            }
            _ => {}
        }
    }
    out
}

/// Re-run routing for every routed lead, in capture order; returns (routed, routed differently).
fn reroute(proposed: &Rules, deltas: &[(Timestamp, String, i64)], queries: &[&RouteQuery]) -> (usize, Vec<Rerouted>) {
    let mut applied = 0;
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    let mut turns: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for q in queries {
        let at = q.at.timestamp();
        while applied < deltas.len() && deltas[applied].0 < at {
            let (_, who, d) = &deltas[applied];
            let n = open.entry(who.clone()).or_insert(0);
            *n = n.saturating_add_signed(*d as isize);
            applied += 1;
        }
        let rule = q.proposed_rule.as_deref().and_then(|name| proposed.routing.iter().find(|r| r.name == name));
        let owner = rule.and_then(|r| {
            if let Some(to) = &r.to {
                // `oncall:NAME`: who that schedule had on call at the time.
                return Some(proposed.on_paper(to, at).unwrap_or_else(|| to.clone()));
            }
            let pool = r.pool.as_deref().unwrap_or_default();
            let strategy = r.strategy.unwrap_or(Strategy::RoundRobin);
            // The replay's first turn of a pool the same rule already used starts where the
            // record did (the turn counter itself is not in history).
            let turn = turns.entry(r.name.clone()).or_insert_with(|| {
                let same_rule = q.actual_rule.as_deref() == Some(r.name.as_str());
                let start = q.actual.as_ref().and_then(|a| pool.iter().position(|m| m == a));
                if same_rule { start.unwrap_or(0) as u64 } else { 0 }
            });
            let pick = pick_from_pool(pool, strategy, *turn, &open);
            if strategy == Strategy::RoundRobin {
                *turn += 1;
            }
            pick
        });
        if owner != q.actual {
            out.push(Rerouted {
                id: q.id.clone(),
                customer: q.customer.clone(),
                at: q.at,
                actual: q.actual.clone(),
                actual_rule: q.actual_rule.clone(),
                proposed: owner,
                proposed_rule: q.proposed_rule.clone(),
            });
        }
    }
    (queries.len(), out)
}
