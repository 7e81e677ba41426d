//! The handoff contract and the status machine, `intake → assigned → accepted → closed`.
//!
//! Pure: each transition checks the SOP's rules against a lead and the rules, then edits the
//! lead and appends its history event. A refusal names the fix and the legal next commands.

use std::collections::BTreeMap;

use anyhow::Result;
use jiff::civil::Date;

use crate::clock::Stamp;
use crate::error::refused;
use crate::field::Field;
use crate::lead::{Event, EventKind, Lead, Status};
use crate::rules::{Rules, Strategy};

/// What an assignment sets.
#[derive(Debug, Clone, Default)]
pub struct Handoff {
    pub owner: String,
    /// The routing rule that picked the owner, when routing did.
    pub rule: Option<String>,
    /// Who routing passed over and why (`dev skipped: away until …`).
    pub reason: Option<String>,
    pub next_action: Option<String>,
    pub due: Option<Stamp>,
    pub follow_up_on: Option<Date>,
}

/// The commands that make sense next for a lead in `status`, for refusal messages.
pub fn legal_next(status: Status) -> &'static str {
    match status {
        Status::Intake => "`handoff update` to complete it, `handoff assign` to hand it off, or `handoff close`",
        Status::Assigned => "the owner's `handoff accept` or `handoff reject`, or `handoff assign --to` to reassign",
        Status::Accepted => "the owner's `handoff next`, `handoff transfer` or `handoff close`",
        Status::Closed => "nothing: it is closed (capture a new lead for new work)",
    }
}

fn field_list(fields: &[&str]) -> String {
    fields.join(", ")
}

/// Assign (or reassign before acceptance) a lead to one owner.
pub fn assign(lead: &mut Lead, rules: &Rules, h: Handoff, by: &str, at: Stamp) -> Result<()> {
    match lead.status {
        Status::Intake | Status::Assigned => {}
        Status::Accepted => {
            return Err(refused(format!(
                "lead {} was accepted by {}; once accepted, responsibility moves only by \
                 `handoff transfer {} --to STAFF --reason TEXT`",
                lead.id,
                lead.owner.as_deref().unwrap_or("its owner"),
                lead.id
            )));
        }
        Status::Closed => return Err(refused(format!("lead {} is closed; {}", lead.id, legal_next(Status::Closed)))),
    }
    if rules.staff(&h.owner).is_none() {
        return Err(refused(format!(
            "`{}` is not in the staff of rules.yaml; assign to one of: {}",
            h.owner,
            rules.active_staff_ids().join(", ")
        )));
    }
    refuse_inactive(rules, &h.owner)?;
    let mut next = lead.clone();
    let mut changed = Vec::new();
    if next.owner.as_deref() != Some(h.owner.as_str()) {
        changed.push("owner".to_owned());
    }
    next.owner = Some(h.owner.clone());
    if let Some(action) = &h.next_action {
        if next.next_action.as_ref() != Some(action) {
            changed.push("next_action".to_owned());
        }
        next.next_action = Some(action.clone());
    }
    if let Some(due) = h.due {
        if next.next_action_due != Some(due) {
            changed.push("next_action_due".to_owned());
        }
        next.next_action_due = Some(due);
    }
    if let Some(date) = h.follow_up_on {
        if next.follow_up_on != Some(date) {
            changed.push("follow_up_on".to_owned());
        }
        next.follow_up_on = Some(date);
    }
    let missing = next.missing_for_handoff(rules.requirements(&next));
    if !missing.is_empty() {
        let hints = missing.iter().map(|f| hint(f)).collect::<Vec<_>>().join("; ");
        return Err(refused(format!(
            "lead {} cannot be handed off: missing {}; {hints}",
            lead.id,
            field_list(&missing)
        )));
    }
    next.status = Status::Assigned;
    next.history.push(Event {
        to: Some(h.owner),
        rule: h.rule,
        reason: h.reason,
        action: next.next_action.clone(),
        due: next.next_action_due,
        changes: Field::changes(lead, &next, &changed),
        changed,
        ..Event::new(at, by, EventKind::Assigned)
    });
    *lead = next;
    Ok(())
}

/// Leads never go to someone with `active: false` (kept in staff for history only).
fn refuse_inactive(rules: &Rules, who: &str) -> Result<()> {
    if rules.staff(who).is_some_and(|s| !s.active) {
        let active: Vec<&str> = rules.staff.iter().filter(|s| s.active).map(|s| s.id.as_str()).collect();
        return Err(refused(format!(
            "{who} is inactive (active: false in rules.yaml) and takes no leads; use one of: {}",
            active.join(", ")
        )));
    }
    Ok(())
}

/// How to fill a missing field (`service_address/market` counts as the address), for
/// refusal messages.
pub fn hint(field: &str) -> String {
    match field.split('/').next().and_then(|f| f.parse::<Field>().ok()) {
        Some(f) => format!("set {field} with `{}`", f.fill_with()),
        None => format!("set {field}"),
    }
}

/// The assigned owner confirms acceptance.
pub fn accept(lead: &mut Lead, rules: &Rules, by: &str, at: Stamp) -> Result<()> {
    if lead.status != Status::Assigned {
        return Err(refused(format!(
            "lead {} is {}, not waiting for acceptance; next: {}",
            lead.id,
            lead.status,
            legal_next(lead.status)
        )));
    }
    require_owner(lead, by, "accept")?;
    let missing = lead.missing_for_handoff(rules.requirements(lead));
    if !missing.is_empty() {
        return Err(refused(format!(
            "lead {} is incomplete (missing {}); do not sit on it: send it back with \
             `handoff reject {} --reason TEXT --missing {}`",
            lead.id,
            field_list(&missing),
            lead.id,
            missing.join(",").replace("service_address/market", "service_address")
        )));
    }
    lead.status = Status::Accepted;
    lead.history.push(Event { to: Some(by.to_owned()), ..Event::new(at, by, EventKind::Accepted) });
    Ok(())
}

fn require_owner(lead: &Lead, by: &str, verb: &str) -> Result<()> {
    match lead.owner.as_deref() {
        Some(owner) if owner == by => Ok(()),
        Some(owner) => Err(refused(format!(
            "only {owner}, the assigned owner of lead {}, can {verb} it (you are acting as {by}); \
             run it as --as {owner}",
            lead.id
        ))),
        None => Err(refused(format!("lead {} has no owner yet; {}", lead.id, legal_next(lead.status)))),
    }
}

/// The assigned owner sends the lead back to intake with a reason.
pub fn reject(lead: &mut Lead, by: &str, at: Stamp, reason: &str, missing: &[Field]) -> Result<()> {
    if lead.status != Status::Assigned {
        let why = match lead.status {
            Status::Accepted => {
                "it was accepted already; responsibility now moves only by `handoff transfer`".to_owned()
            }
            s => format!("it is {s}; next: {}", legal_next(s)),
        };
        return Err(refused(format!("lead {} cannot be rejected: {why}", lead.id)));
    }
    require_owner(lead, by, "reject")?;
    if reason.trim().is_empty() {
        return Err(refused("--reason is empty; say what is wrong so intake can fix it"));
    }
    lead.status = Status::Intake;
    let from = lead.owner.take();
    lead.history.push(Event {
        from,
        reason: Some(reason.to_owned()),
        missing: missing.iter().map(|f| f.name().to_owned()).collect(),
        ..Event::new(at, by, EventKind::Rejected)
    });
    Ok(())
}

/// Move an accepted lead to a new owner, who must accept it.
pub fn transfer(lead: &mut Lead, rules: &Rules, to: &str, reason: &str, by: &str, at: Stamp) -> Result<()> {
    if lead.status != Status::Accepted {
        return Err(refused(format!(
            "lead {} is {}; transfer moves an accepted lead. Next: {}",
            lead.id,
            lead.status,
            legal_next(lead.status)
        )));
    }
    let owner = lead.owner.clone().unwrap_or_default();
    let is_manager = rules.staff(by).is_some_and(|s| s.roles.iter().any(|r| r == "manager" || r == "office-lead"));
    if owner != by && !is_manager {
        return Err(refused(format!(
            "only {owner} (the owner) or a manager can transfer lead {}; ask them, or act --as {owner}",
            lead.id
        )));
    }
    if rules.staff(to).is_none() {
        return Err(refused(format!(
            "`{to}` is not in the staff of rules.yaml; use one of: {}",
            rules.active_staff_ids().join(", ")
        )));
    }
    refuse_inactive(rules, to)?;
    if to == owner {
        return Err(refused(format!("lead {} is already owned by {to}", lead.id)));
    }
    if reason.trim().is_empty() {
        return Err(refused("--reason is empty; say why responsibility moves"));
    }
    lead.owner = Some(to.to_owned());
    lead.status = Status::Assigned;
    lead.history.push(Event {
        from: Some(owner),
        to: Some(to.to_owned()),
        reason: Some(reason.to_owned()),
        ..Event::new(at, by, EventKind::Transferred)
    });
    Ok(())
}

/// The owner records the next action and its due time (movement).
pub fn next(lead: &mut Lead, by: &str, at: Stamp, action: &str, due: Stamp) -> Result<()> {
    if !matches!(lead.status, Status::Assigned | Status::Accepted) {
        return Err(refused(format!("lead {} is {}; next: {}", lead.id, lead.status, legal_next(lead.status))));
    }
    require_owner(lead, by, "record the next action of")?;
    if action.trim().is_empty() {
        return Err(refused("--action is empty; say what happens next"));
    }
    let mut changed = Vec::new();
    if lead.next_action.as_deref() != Some(action) {
        changed.push("next_action".to_owned());
    }
    if lead.next_action_due != Some(due) {
        changed.push("next_action_due".to_owned());
    }
    let before = lead.clone();
    lead.next_action = Some(action.to_owned());
    lead.next_action_due = Some(due);
    lead.history.push(Event {
        action: Some(action.to_owned()),
        due: Some(due),
        changes: Field::changes(&before, lead, &changed),
        changed,
        ..Event::new(at, by, EventKind::Next)
    });
    Ok(())
}

/// Close a lead with an outcome from the vocabulary.
pub fn close(lead: &mut Lead, rules: &Rules, by: &str, at: Stamp, outcome: &str, note: Option<String>) -> Result<()> {
    if lead.status == Status::Closed {
        return Err(refused(format!("lead {} is closed already", lead.id)));
    }
    rules.check_value("outcome", outcome).map_err(refused)?;
    // Intake may close a duplicate it captured itself until the owner has accepted it
    // (the caller was already on file; nobody needs to accept it first).
    let own_unaccepted_duplicate =
        lead.status == Status::Assigned && lead.captured_by == by && outcome == DUPLICATE_OUTCOME;
    if lead.status != Status::Intake && !own_unaccepted_duplicate {
        require_owner(lead, by, "close").map_err(|e| {
            if lead.status == Status::Assigned && lead.captured_by == by {
                refused(format!("{e:#}; as its capturer you may close it only as a duplicate (--outcome duplicate)"))
            } else {
                e
            }
        })?;
    }
    lead.status = Status::Closed;
    lead.history.push(Event { outcome: Some(outcome.to_owned()), text: note, ..Event::new(at, by, EventKind::Closed) });
    Ok(())
}

/// The outcome intake may close its own unaccepted capture with.
pub const DUPLICATE_OUTCOME: &str = "duplicate";

/// The roles that may reopen any closed lead (besides its owner and whoever closed it).
const REOPEN_ROLES: [&str; 2] = ["manager", "office-lead"];

/// Open a closed lead again, with a reason: it returns to the status it had when it was
/// closed (same owner), so a lead closed by mistake carries on where it stopped. Its owner,
/// whoever closed it, or a manager / office lead may reopen it.
pub fn reopen(lead: &mut Lead, rules: &Rules, by: &str, at: Stamp, reason: &str) -> Result<()> {
    if lead.status != Status::Closed {
        return Err(refused(format!(
            "lead {} is {}, not closed; only a closed lead can be reopened",
            lead.id, lead.status
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(refused("--reason is empty; say why the lead is reopened"));
    }
    let closer = lead.last_event(EventKind::Closed).map(|e| e.by.clone());
    let is_manager = rules.staff(by).is_some_and(|s| s.roles.iter().any(|r| REOPEN_ROLES.contains(&r.as_str())));
    if lead.owner.as_deref() != Some(by) && closer.as_deref() != Some(by) && !is_manager {
        return Err(refused(format!(
            "lead {} can be reopened by its owner ({}), by {} who closed it, or by a manager; you are acting as {by}",
            lead.id,
            lead.owner.as_deref().unwrap_or("none"),
            closer.as_deref().unwrap_or("whoever"),
        )));
    }
    lead.status = lead.status_before_close();
    lead.history.push(Event { reason: Some(reason.to_owned()), ..Event::new(at, by, EventKind::Reopened) });
    Ok(())
}

/// Pick one member of a pool.
///
/// round-robin: `turn` counts earlier picks by this rule; least-open: fewest open leads,
/// ties broken by pool order.
pub fn pick_from_pool(
    pool: &[String],
    strategy: Strategy,
    turn: u64,
    open: &BTreeMap<String, usize>,
) -> Option<String> {
    if pool.is_empty() {
        return None;
    }
    match strategy {
        Strategy::RoundRobin => pool.get((turn % pool.len() as u64) as usize).cloned(),
        Strategy::LeastOpen => pool.iter().min_by_key(|m| open.get(*m).copied().unwrap_or(0)).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools() {
        let pool: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let picks: Vec<_> =
            (0..6).map(|t| pick_from_pool(&pool, Strategy::RoundRobin, t, &BTreeMap::new()).unwrap()).collect();
        assert_eq!(picks, ["a", "b", "c", "a", "b", "c"]);
        let open = BTreeMap::from([("a".to_owned(), 3), ("b".to_owned(), 1), ("c".to_owned(), 1)]);
        assert_eq!(pick_from_pool(&pool, Strategy::LeastOpen, 0, &open).unwrap(), "b");
    }

    /// The commands' status and owner gates and the replay's (which flags contradictions in
    /// merged histories) are one status machine: they refuse exactly the same moves.
    #[test]
    fn the_commands_and_the_replay_refuse_the_same_moves() {
        use crate::history::refusal;
        use crate::lead::{EventKind, LeadId};
        let rules = Rules::parse(&crate::rules::default_rules("America/Chicago")).unwrap();
        let at: Stamp = "2026-11-24T08:00:00-06:00".parse().unwrap();
        let complete = |status: Status, owner: Option<&str>| {
            let mut lead: Lead = serde_norway::from_str(
                "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n\
                 full_name: Pat\nprimary_phone: '+13125550100'\nservice_address: 1 Main\nservice_type: repair\n\
                 urgency: standard\nsource: phone\nnotes: n\nnext_action: Call\nnext_action_due: 2026-11-24T09:00:00-06:00\n",
            )
            .unwrap();
            lead.id = "20261124-abcdefghj".parse::<LeadId>().unwrap();
            lead.status = status;
            lead.owner = owner.map(str::to_owned);
            lead
        };
        for status in Status::ALL {
            for owner in [None, Some("dev"), Some("sam")] {
                if status != Status::Intake && owner.is_none() {
                    continue; // not a state the commands leave a lead in
                }
                for by in ["dev", "sam"] {
                    let moves: [(EventKind, Result<()>); 4] = [
                        (EventKind::Accepted, accept(&mut complete(status, owner), &rules, by, at)),
                        (EventKind::Rejected, reject(&mut complete(status, owner), by, at, "why", &[])),
                        (EventKind::Next, next(&mut complete(status, owner), by, at, "Visit", at)),
                        (EventKind::Closed, close(&mut complete(status, owner), &rules, by, at, "won", None)),
                    ];
                    for (kind, result) in moves {
                        assert_eq!(
                            result.is_err(),
                            refusal(status, owner, kind, by).is_some(),
                            "{kind} by {by} on a {status} lead owned by {owner:?}: command {result:?}"
                        );
                    }
                    let assigned = assign(
                        &mut complete(status, owner),
                        &rules,
                        Handoff { owner: "sam".into(), ..Handoff::default() },
                        by,
                        at,
                    );
                    assert_eq!(
                        assigned.is_err(),
                        refusal(status, owner, EventKind::Assigned, by).is_some(),
                        "assign on {status}"
                    );
                }
            }
        }
    }
}
