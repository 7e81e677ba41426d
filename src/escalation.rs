//! The escalation clock: which of rules.yaml's escalation rules are due for a lead at `now`.
//!
//! Pure. A rule watches leads by status and conditions; its clock starts at capture (or at
//! the last rejection, transfer or re-assignment, when the lead waits for an owner or an
//! acceptance anew), at the last assignment, at the last movement (a person's event, or a
//! booked next action's due time), at the next action's due time, or at the end of the
//! business day; it fires `after` its window (counting only business hours when `hours: business`).
//! A rule may climb: `repeat` fires it again every so often up to a `limit`, and `levels`
//! add later steps to other targets, one of which may re-route the lead (`action: reassign`).
//! Each firing is recorded as an `escalated` event carrying the clock's start and the
//! step's name, so a step fires once per lead per clock: a new movement starts a new clock,
//! and an escalation (recorded by `system`) is not movement.

use jiff::{SignedDuration, Timestamp, ZonedDateTime};

use crate::clock::Stamp;
use crate::lead::{EventKind, Lead, Status};
use crate::rules::{Action, ClockKind, EscalationRule, Hours, Rules, Step};

/// One rule that is due for one lead.
#[derive(Debug, Clone)]
pub struct Due {
    pub rule: String,
    /// When this rule's clock started (recorded in the event; once per clock).
    pub clock: Stamp,
    pub deadline: Timestamp,
    pub escalate_to: String,
    pub reason: String,
    pub overdue_minutes: i64,
    /// Whether this escalation was recorded already (by an earlier run).
    pub fired: bool,
    /// The step re-routes the lead to `escalate_to` (an acknowledgement timeout).
    pub reassign: bool,
    /// 1 for the rule's first step, 2… as it climbs.
    pub level: u32,
}

/// Every escalation rule due for `lead` at `now`, in rules.yaml order.
pub fn evaluate(rules: &Rules, lead: &Lead, now: &ZonedDateTime) -> Vec<Due> {
    rules.escalation.iter().filter_map(|rule| due(rules, rule, lead, now)).collect()
}

fn due(rules: &Rules, rule: &EscalationRule, lead: &Lead, now: &ZonedDateTime) -> Option<Due> {
    if !rule.applies_to(lead) {
        return None;
    }
    let now_ts = now.timestamp();
    let start: Stamp = match rule.clock {
        ClockKind::Capture => handed_back_or_on(lead).map_or(lead.created_at, |e| e.at),
        ClockKind::Assignment => {
            lead.history.iter().rev().find(|e| matches!(e.event, EventKind::Assigned | EventKind::Transferred))?.at
        }
        ClockKind::Movement => {
            // A booked next action is movement promised: no "stalled" alarm before it is
            // due, and the silence counts from then.
            let due = lead.next_action_due.filter(|_| has_next_action(lead));
            if due.is_some_and(|d| d.timestamp() > now_ts) {
                return None;
            }
            let moved = lead.last_movement().map_or(lead.created_at, |e| e.at);
            due.map_or(moved, |d| d.max(moved))
        }
        ClockKind::NextActionDue => lead.next_action_due.filter(|_| has_next_action(lead))?,
        ClockKind::EndOfDay => {
            // No end-of-day review on a holiday; a half day ends at its closing time.
            if rules.is_closed_day(now.date()) {
                return None;
            }
            let eod = rules.end_of_day_on(now.date())?;
            if lead.created_at.timestamp() > eod.timestamp() {
                return None;
            }
            Stamp::from_zoned(&eod)
        }
    };
    let deadline_after = |window: SignedDuration| match rule.hours {
        // Open hours of business days, skipping the calendar's holidays and closures.
        Hours::Business if rules.business.is_some() => {
            rules.business_deadline(start.timestamp(), window, rule.calendar.as_deref())
        }
        _ => start.timestamp().checked_add(window).ok(),
    };
    // The step in force: the latest of the rule's steps (levels, and their repeats) whose
    // time has come; a later level wins a tie. Steps passed over while no check ran are
    // not sent late: the climb goes on from where it stands.
    let mut current: Option<(Timestamp, Step, u32)> = None;
    for step in rule.steps() {
        let (every, times) = step.repeats();
        for n in 0..times {
            let Some(window) = step.window().checked_add(every.checked_mul(n as i32)?) else { break };
            let Some(deadline) = deadline_after(window) else { break };
            if deadline > now_ts {
                break;
            }
            if current.as_ref().is_none_or(|(d, _, _)| deadline >= *d) {
                current = Some((deadline, step, n + 1));
            }
        }
    }
    let (deadline, step, nth) = current?;
    let name = step_name(&rule.name, step.level, nth);
    let escalate_to = rules.step_target(&step, lead, now_ts)?;
    // Fired for this clock: recorded with this clock's start, or recorded after it started
    // (an escalation written before the capture clock restarted at rejections carries the
    // capture time, and must not fire again).
    let fired = lead.history.iter().any(|e| {
        e.event == EventKind::Escalated
            && e.rule.as_deref() == Some(name.as_str())
            && (e.clock == Some(start) || e.at >= start)
    });
    let reassign = step.action == Action::Reassign && lead.status == Status::Assigned;
    let mut why = reason(rule, step.after, lead, start, now_ts);
    let (_, times) = step.repeats();
    if reassign {
        why = format!("re-routed from {} to {escalate_to}: {why}", lead.owner.as_deref().unwrap_or("nobody"));
    } else if step.level > 1 || times > 1 {
        let mut tag = Vec::new();
        if step.level > 1 {
            tag.push(format!("level {}", step.level));
        }
        if times > 1 {
            tag.push(format!("alert {nth} of {times}"));
        }
        why = format!("{why}; {}", tag.join(", "));
    }
    Some(Due {
        rule: name,
        clock: start,
        deadline,
        escalate_to,
        reason: why,
        overdue_minutes: now_ts.duration_since(deadline).as_secs() / 60,
        fired,
        reassign,
        level: step.level,
    })
}

/// The part of a lead [`evaluate`] and a report of a quiet lead read, for the scan index to
/// keep beside each open lead so escalate-check, `list` (which reads only the record's
/// fields) and `report` need not open the file: the record without its notes, address and
/// phone, and of the history every event that moves the lead's state (captured, the
/// handoffs, accepted, closed, reopened, any that sets the next action), the escalations and
/// the last movement, each without its free text. `evaluate(brief(l)) == evaluate(l)` at
/// any `now`, and [`crate::history::replay`] of either gives the same state (tested).
pub fn brief(lead: &Lead) -> Lead {
    let history = brief_events(lead)
        .map(|e| crate::lead::Event {
            to: e.to.clone(),
            from: e.from.clone(),
            rule: e.rule.clone(),
            action: e.action.clone(),
            due: e.due,
            clock: e.clock,
            ..crate::lead::Event::new(e.at, &e.by, e.event)
        })
        .collect();
    Lead { notes: None, service_address: None, primary_phone: None, history, ..lead.clone() }
}

/// The events of `lead` its [`brief`] keeps (each then without its free text).
pub fn brief_events(lead: &Lead) -> impl Iterator<Item = &crate::lead::Event> + Clone {
    let last_movement = lead.history.iter().rposition(crate::lead::Event::is_movement);
    lead.history.iter().enumerate().filter_map(move |(i, e)| {
        let kept = Some(i) == last_movement
            || e.action.is_some()
            || e.due.is_some()
            || matches!(
                e.event,
                EventKind::Captured
                    | EventKind::Assigned
                    | EventKind::Accepted
                    | EventKind::Rejected
                    | EventKind::Transferred
                    | EventKind::Escalated
                    | EventKind::Closed
                    | EventKind::Reopened
            );
        kept.then_some(e)
    })
}

/// What [`may_be_due`] needs of a lead: its status and where its clocks start (Unix
/// seconds, rounded down), as the scan index keeps them.
pub struct ClockStarts {
    pub status: Status,
    /// Capture, or the last rejection or transfer (the clock never starts earlier).
    pub capture: i64,
    /// The last assignment or transfer.
    pub assignment: Option<i64>,
    /// The last movement, else capture (the clock never starts earlier).
    pub movement: i64,
    /// The next action's due time.
    pub next_action_due: Option<i64>,
}

/// Whether any rule could be due for a lead whose clocks start at `s`: a cheap first
/// filter that never says no to a lead [`evaluate`] would return. It ignores the
/// conditions, takes each clock's earliest possible start, each rule's shortest step, and
/// counts windows in wall-clock time (business hours only ever push a deadline later).
pub fn may_be_due(rules: &Rules, s: &ClockStarts, now: &ZonedDateTime) -> bool {
    let now_s = now.timestamp().as_second();
    rules.escalation.iter().any(|rule| {
        if !rule.status.contains(&s.status) {
            return false;
        }
        let start = match rule.clock {
            ClockKind::Capture => s.capture,
            ClockKind::Assignment | ClockKind::NextActionDue => {
                match if rule.clock == ClockKind::Assignment { s.assignment } else { s.next_action_due } {
                    Some(at) => at,
                    None => return false,
                }
            }
            ClockKind::Movement => s.movement,
            ClockKind::EndOfDay => match rules.end_of_day_on(now.date()) {
                Some(eod) => eod.timestamp().as_second(),
                None => return true,
            },
        };
        let shortest = rule.steps().iter().map(|step| step.window().as_secs()).min().unwrap_or(0);
        // Start times are rounded down to the second: one second of slack.
        start.saturating_add(shortest) <= now_s.saturating_add(1)
    })
}

/// The name a step's escalation is recorded under: the rule's name for its first firing,
/// `NAME/LEVEL` for a further level, `#N` for the N-th firing of a repeating step.
pub fn step_name(rule: &str, level: u32, nth: u32) -> String {
    let mut name = rule.to_owned();
    if level > 1 {
        name.push_str(&format!("/{level}"));
    }
    if nth > 1 {
        name.push_str(&format!("#{nth}"));
    }
    name
}

fn has_next_action(lead: &Lead) -> bool {
    lead.next_action.as_deref().is_some_and(|a| !a.trim().is_empty())
}

/// Where the current wait for an owner or an acceptance began: capture, the last rejection
/// or transfer, or a new assignment, meaning any but the first handoff after capture or a
/// rejection (a re-assignment, a re-route, or a handoff after the lead was escalated). The
/// first handoff keeps the capture clock, as the SOP counts from capture; every later one
/// starts a new wait, so a rule fires again for it (once per clock).
fn handed_back_or_on(lead: &Lead) -> Option<&crate::lead::Event> {
    let mut start = None;
    let mut first_handoff = true;
    for e in &lead.history {
        match e.event {
            EventKind::Rejected => {
                start = Some(e);
                first_handoff = true;
            }
            EventKind::Transferred => {
                start = Some(e);
                first_handoff = false;
            }
            EventKind::Assigned if first_handoff => first_handoff = false,
            EventKind::Assigned => start = Some(e),
            EventKind::Escalated => first_handoff = false,
            _ => {}
        }
    }
    start
}

/// Why, in words without customer data.
fn reason(rule: &EscalationRule, after: &str, lead: &Lead, start: Stamp, now: Timestamp) -> String {
    let minutes = now.duration_since(start.timestamp()).as_secs() / 60;
    let mut tags: Vec<&str> = [lead.urgency.as_deref(), lead.service_type.as_deref()].into_iter().flatten().collect();
    let fit = lead.fit.as_deref().map(|f| format!("({f} fit)"));
    tags.extend(fit.as_deref());
    let tags = if tags.is_empty() { "untagged".to_owned() } else { tags.join(" ") };
    match rule.clock {
        ClockKind::EndOfDay => format!("{tags} lead open at end of day without a recorded next action"),
        ClockKind::Movement => format!("{tags} lead without movement for {minutes} min (window {after})"),
        ClockKind::NextActionDue => {
            format!("{tags} lead's next action overdue by {minutes} min (window {after})")
        }
        ClockKind::Capture | ClockKind::Assignment => {
            let since = match (rule.clock, handed_back_or_on(lead)) {
                (ClockKind::Assignment, _) => "assignment",
                (_, Some(e)) if e.event == EventKind::Rejected => "rejection",
                (_, Some(e)) if e.event == EventKind::Transferred => "transfer",
                (_, Some(e)) if e.by == crate::lead::SYSTEM => "re-route",
                (_, Some(_)) => "assignment",
                _ => "capture",
            };
            match &lead.owner {
                None => format!("{tags} lead unowned {minutes} min after {since} (window {after})"),
                Some(owner) => {
                    format!("{tags} lead not accepted by {owner} {minutes} min after {since} (window {after})")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn climbing_rules(extra: &str) -> Rules {
        let text = crate::rules::default_rules("America/Chicago").replace(
            "escalation:\n",
            &format!("escalation:\n  - name: climb\n    status: [assigned]\n    clock: capture\n    after: 10m\n    to: owner\n    fallback: dispatch\n{extra}"),
        );
        Rules::parse(&text).unwrap_or_else(|p| panic!("{p:?}"))
    }

    fn assigned_lead(at: &str) -> Lead {
        let yaml = format!(
            "id: 20261124-k3f9qx2ab\nstatus: assigned\ncreated_at: {at}\ncaptured_by: ana\nurgency: low\nowner: sam\nhistory:\n- at: {at}\n  by: ana\n  event: assigned\n  to: sam\n"
        );
        serde_norway::from_str(&yaml).unwrap()
    }

    fn climb(rules: &Rules, lead: &Lead, now: &str) -> Option<(String, String, bool)> {
        let now = crate::clock::parse_now(now, &rules.tz).unwrap();
        evaluate(rules, lead, &now)
            .into_iter()
            .find(|d| d.rule.starts_with("climb"))
            .map(|d| (d.rule, d.escalate_to, d.reassign))
    }

    #[test]
    fn the_brief_escalates_exactly_as_the_whole_lead() {
        let rules =
            climbing_rules("    repeat: 5m\n    limit: 3\n    levels:\n      - after: 45m\n        to: manager\n");
        let ev = |at: &str, by: &str, rest: &str| format!("- at: 2026-11-24T{at}:00-06:00\n  by: {by}\n{rest}");
        let history = [
            ev("07:00", "ana", "  event: captured\n"),
            ev(
                "07:01",
                "ana",
                "  event: assigned\n  to: dev\n  rule: default\n  action: Call\n  due: 2026-11-24T08:00:00-06:00\n",
            ),
            ev("07:05", "dev", "  event: noted\n  text: |-\n    rang twice\n    no answer\n"),
            ev("07:06", "dev", "  event: rejected\n  reason: Wrong area\n  missing:\n  - service_address\n"),
            ev(
                "07:20",
                "system",
                "  event: escalated\n  to: olive\n  rule: climb\n  reason: slow\n  clock: 2026-11-24T07:06:00-06:00\n",
            ),
            ev("07:30", "ana", "  event: assigned\n  to: sam\n  rule: default\n"),
            ev("07:40", "sam", "  event: noted\n  text: call back after lunch\n"),
            ev(
                "08:10",
                "system",
                "  event: escalated\n  to: sam\n  rule: climb#2\n  clock: 2026-11-24T07:30:00-06:00\n",
            ),
        ]
        .concat();
        // Accepted, closed and reopened, with a next action set after: none of it a
        // handoff or an escalation, all of it state a report replays.
        let worked = [
            ev("07:00", "ana", "  event: captured\n"),
            ev("07:01", "ana", "  event: assigned\n  to: dev\n  rule: default\n"),
            ev("07:05", "dev", "  event: accepted\n  to: dev\n"),
            ev("07:06", "dev", "  event: noted\n  text: on it\n"),
            ev("07:07", "dev", "  event: next\n  action: Send the quote\n  due: 2026-11-24T10:00:00-06:00\n"),
            ev("07:10", "dev", "  event: closed\n  outcome: lost\n"),
            ev("07:20", "dev", "  event: reopened\n"),
            ev("07:30", "dev", "  event: noted\n  text: customer called back\n"),
        ]
        .concat();
        let worked: Lead = serde_norway::from_str(&format!(
            "id: 20261124-k3f9qx2ac\nstatus: accepted\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\nowner: dev\nhistory:\n{worked}"
        ))
        .unwrap();
        let small = brief(&worked);
        assert!(small.history.len() < worked.history.len());
        for hm in ["07:03", "07:05", "07:08", "07:15", "07:25", "07:31"] {
            let now = crate::clock::parse_now(&format!("2026-11-24T{hm}:00-06:00"), &rules.tz).unwrap();
            let state = |l: &Lead| format!("{:?}", crate::history::replay(l, Some(now.timestamp())).state);
            assert_eq!(state(&worked), state(&small), "at {hm}");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (status, owner, extra) in [
            ("assigned", "owner: sam\n", ""),
            ("accepted", "owner: sam\n", "next_action: Call back\nnext_action_due: 2026-11-24T09:00:00-06:00\n"),
            ("intake", "", "notes: |-\n  two\n  lines\n"),
        ] {
            let yaml = format!(
                "id: 20261124-k3f9qx2ab\nstatus: {status}\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\nfull_name: Ann\nprimary_phone: '+13125550142'\nurgency: emergency\nservice_type: repair\n{extra}{owner}history:\n{history}"
            );
            let lead: Lead = serde_norway::from_str(&yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
            let small = brief(&lead);
            assert!(small.history.len() < lead.history.len() && small.notes.is_none());
            for hm in ["07:10", "07:35", "07:42", "07:47", "07:50", "08:15", "09:05", "12:00", "23:59"] {
                let now = crate::clock::parse_now(&format!("2026-11-24T{hm}:00-06:00"), &rules.tz).unwrap();
                let (a, b) = (evaluate(&rules, &lead, &now), evaluate(&rules, &small, &now));
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{status} at {hm}");
                let state = |l: &Lead| format!("{:?}", crate::history::replay(l, Some(now.timestamp())).state);
                assert_eq!(state(&lead), state(&small), "{status} at {hm}");
                seen.extend(a.iter().map(|d| (d.rule.clone(), d.fired)));
            }
        }
        // Not a vacuous match: rules came due, fired and not, the climbing one among them.
        assert!(seen.iter().any(|(_, fired)| *fired) && seen.iter().any(|(_, fired)| !*fired), "{seen:?}");
        assert!(seen.iter().any(|(rule, _)| rule.starts_with("climb")), "{seen:?}");
    }

    #[test]
    fn the_step_in_force_is_the_latest_due_and_a_reassign_never_picks_the_owner() {
        let rules = climbing_rules(
            "    repeat: 5m\n    limit: 2\n    levels:\n      - after: 20m\n        to: manager\n      - after: 30m\n        action: reassign\n        to: sales\n        fallback: dispatch\n",
        );
        let lead = assigned_lead("2026-11-24T07:00:00-06:00");
        let at = |hm: &str| format!("2026-11-24T{hm}:00-06:00");
        assert_eq!(climb(&rules, &lead, &at("07:09")), None);
        assert_eq!(climb(&rules, &lead, &at("07:10")), Some(("climb".into(), "sam".into(), false)));
        assert_eq!(climb(&rules, &lead, &at("07:15")), Some(("climb#2".into(), "sam".into(), false)));
        assert_eq!(climb(&rules, &lead, &at("07:19")), Some(("climb#2".into(), "sam".into(), false)), "limit 2");
        assert_eq!(climb(&rules, &lead, &at("07:20")), Some(("climb/2".into(), "olive".into(), false)));
        // Level 3 re-routes to sales, who is sam, the owner: its fallback (dispatch) instead.
        assert_eq!(climb(&rules, &lead, &at("09:00")), Some(("climb/3".into(), "dev".into(), true)));
        assert_eq!(step_name("x", 2, 3), "x/2#3");
    }
}
