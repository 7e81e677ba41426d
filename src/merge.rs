//! Merging two clones' versions of one lead (the git merge driver), without conflict markers
//! and without losing an event. Pure.
//!
//! - **History** is append-only on both sides: the merge is the union of both histories,
//!   identical events once, ordered by time (ties keep our order first). An escalation that
//!   both clones recorded for the same rule and clock (two machines ran escalate-check) is
//!   one escalation: the earlier record stands, so nobody is alerted twice.
//! - **Handoff state** (`status`, `owner`, `next_action`, `next_action_due`) is replayed
//!   from the merged history by [`crate::history`] (the replay every view uses), so it
//!   follows the latest event whichever clone wrote it.
//! - **Record fields** (name, phone, address, notes, follow-up date, ...) merge three-way:
//!   a field changed on one side only takes that side; changed on both sides to different
//!   values takes the side that changed it later (ours on a tie), and the lead is flagged.
//! - **Contradictions**: each clone's history was legal on its own; if the interleaved one
//!   is not (one clone accepted while the other reassigned, two owners accepted, a closed
//!   lead moved on elsewhere), or both clones set one field to different values, everything
//!   is kept, the later change stands, and a `conflict` event by `system` names what
//!   happened (with both values of each contested field in its `changes`) and flags the
//!   lead for review until a person acts on it.

use std::collections::HashSet;

use jiff::civil::Date;

use crate::clock::Stamp;
use crate::history;
use crate::lead::{Change, Event, EventKind, Lead, SYSTEM};

/// Merge `ours` and `theirs`, both descended from `base`.
pub fn merge(base: &Lead, ours: &Lead, theirs: &Lead) -> Lead {
    let base_events: HashSet<&Event> = base.history.iter().collect();
    let ours_new: Vec<&Event> = ours.history.iter().filter(|e| !base_events.contains(e)).collect();
    let theirs_new: Vec<&Event> = theirs.history.iter().filter(|e| !base_events.contains(e)).collect();

    let mut history: Vec<Event> = ours.history.clone();
    let mut seen: HashSet<Event> = history.iter().cloned().collect();
    for e in &theirs.history {
        if seen.insert(e.clone()) {
            history.push(e.clone());
        }
    }
    history.sort_by_key(|e| e.at);
    let history = one_escalation_per_clock(history);

    // Who changed a field last: the latest new event naming it, else the side's latest event.
    let last_change = |events: &[&Event], field: &str| {
        events.iter().filter(|e| e.changed.iter().any(|c| c == field)).map(|e| e.at).max()
    };
    let latest = |events: &[&Event]| events.iter().map(|e| e.at).max();
    let mut contested: Vec<Change> = Vec::new();
    let mut pick = |field: &str, b: Option<String>, o: Option<String>, t: Option<String>| -> Option<String> {
        if o == t || t == b {
            return o;
        }
        if o == b {
            return t;
        }
        let ours_at = last_change(&ours_new, field).or(latest(&ours_new));
        let theirs_at = last_change(&theirs_new, field).or(latest(&theirs_new));
        let (kept, dropped) = if theirs_at > ours_at { (t, o) } else { (o, t) };
        contested.push(Change { field: field.to_owned(), from: dropped, to: kept.clone() });
        kept
    };
    let date = |d: Option<Date>| d.map(|d| d.to_string());
    let mut merged = Lead {
        id: ours.id.clone(),
        status: ours.status,
        created_at: ours.created_at.min(theirs.created_at),
        captured_by: ours.captured_by.clone(),
        full_name: pick("full_name", base.full_name.clone(), ours.full_name.clone(), theirs.full_name.clone()),
        primary_phone: pick(
            "primary_phone",
            base.primary_phone.clone(),
            ours.primary_phone.clone(),
            theirs.primary_phone.clone(),
        ),
        service_address: pick(
            "service_address",
            base.service_address.clone(),
            ours.service_address.clone(),
            theirs.service_address.clone(),
        ),
        market: pick("market", base.market.clone(), ours.market.clone(), theirs.market.clone()),
        service_type: pick(
            "service_type",
            base.service_type.clone(),
            ours.service_type.clone(),
            theirs.service_type.clone(),
        ),
        urgency: pick("urgency", base.urgency.clone(), ours.urgency.clone(), theirs.urgency.clone()),
        fit: pick("fit", base.fit.clone(), ours.fit.clone(), theirs.fit.clone()),
        source: pick("source", base.source.clone(), ours.source.clone(), theirs.source.clone()),
        referral: pick("referral", base.referral.clone(), ours.referral.clone(), theirs.referral.clone()),
        notes: pick("notes", base.notes.clone(), ours.notes.clone(), theirs.notes.clone()),
        next_action: ours.next_action.clone(),
        next_action_due: ours.next_action_due,
        follow_up_on: pick("follow_up_on", date(base.follow_up_on), date(ours.follow_up_on), date(theirs.follow_up_on))
            .and_then(|d| d.parse().ok()),
        owner: ours.owner.clone(),
        history,
    };
    // Without a history entry for the next action (hand edits), fall back three-way.
    merged.next_action =
        three_way(&base.next_action, &ours.next_action, &theirs.next_action, latest(&theirs_new) > latest(&ours_new));
    merged.next_action_due = three_way(
        &base.next_action_due,
        &ours.next_action_due,
        &theirs.next_action_due,
        latest(&theirs_new) > latest(&ours_new),
    );
    // Only what this merge brings together: a contradiction flagged by an earlier merge is
    // in the history already and is not flagged again.
    let new: HashSet<&Event> = ours_new.iter().chain(&theirs_new).copied().collect();
    let flagged: Vec<String> =
        merged.history.iter().filter(|e| e.event == EventKind::Conflict).filter_map(|e| e.reason.clone()).collect();
    let known = |text: &str| flagged.iter().any(|r| r.contains(text));
    let found = history::settle(&mut merged);
    // An event flagged once (named by who did what, when) is not flagged again, even when
    // later merges show it against a different state.
    let flagged_event = |e: &Event| {
        let (what, when) = (format!("{} by {} ", e.event, e.by), format!("(at {})", e.at));
        flagged.iter().any(|r| r.split("; ").any(|part| part.contains(&what) && part.contains(&when)))
    };
    let mut what: Vec<String> = found
        .into_iter()
        .filter(|c| merged.history.get(c.index).is_some_and(|e| new.contains(e) && !flagged_event(e)))
        .map(|c| c.text)
        .collect();
    contested.retain(|c| !known(&contest(c)));
    what.extend(contested.iter().map(contest));
    let both_moved = !ours_new.is_empty() && !theirs_new.is_empty();
    if both_moved && !what.is_empty() {
        let at = merged.history.iter().map(|e| e.at).max().unwrap_or(merged.created_at);
        let conflict = Event {
            reason: Some(format!(
                "two clones changed this lead at the same time: {}; the later change stands, review it",
                what.join("; ")
            )),
            to: merged.owner.clone(),
            changes: contested,
            ..Event::new(at, SYSTEM, EventKind::Conflict)
        };
        if !merged.history.contains(&conflict) {
            merged.history.push(conflict);
        }
    }
    merged
}

/// A contested field in words (also how an earlier merge's flag is recognised).
fn contest(c: &Change) -> String {
    format!(
        "{} was set to {} and to {}, and the later, {}, stands",
        c.field,
        shown(&c.from),
        shown(&c.to),
        shown(&c.to)
    )
}

fn shown(v: &Option<String>) -> String {
    v.as_deref().map_or("nothing".to_owned(), |s| format!("{s:?}"))
}

fn three_way<T: Clone + PartialEq>(
    base: &Option<T>,
    ours: &Option<T>,
    theirs: &Option<T>,
    theirs_later: bool,
) -> Option<T> {
    if ours == theirs || theirs == base {
        ours.clone()
    } else if ours == base || theirs_later {
        theirs.clone()
    } else {
        ours.clone()
    }
}

/// Keep the first record of each escalation (rule and clock): a rule fires once per clock,
/// whichever machines recorded it.
fn one_escalation_per_clock(history: Vec<Event>) -> Vec<Event> {
    let mut fired: HashSet<(Option<String>, Stamp)> = HashSet::new();
    history
        .into_iter()
        .filter(|e| match (e.event, e.clock) {
            (EventKind::Escalated, Some(clock)) => fired.insert((e.rule.clone(), clock)),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::{LeadId, Status};

    fn stamp(hm: &str) -> Stamp {
        format!("2026-11-24T{hm}:00-06:00").parse().unwrap()
    }

    fn ev(hm: &str, by: &str, kind: EventKind) -> Event {
        Event::new(stamp(hm), by, kind)
    }

    fn base() -> Lead {
        Lead {
            id: "20261124-abcdefghj".parse::<LeadId>().unwrap(),
            status: Status::Assigned,
            created_at: stamp("07:00"),
            captured_by: "ana".into(),
            full_name: Some("Pat".into()),
            primary_phone: Some("+13125550100".into()),
            service_address: Some("1 Main".into()),
            market: None,
            service_type: Some("repair".into()),
            urgency: Some("standard".into()),
            fit: None,
            source: Some("phone".into()),
            referral: None,
            notes: Some("n".into()),
            next_action: Some("Call".into()),
            next_action_due: Some(stamp("09:00")),
            follow_up_on: None,
            owner: Some("dev".into()),
            history: vec![
                ev("07:00", "ana", EventKind::Captured),
                Event {
                    to: Some("dev".into()),
                    action: Some("Call".into()),
                    due: Some(stamp("09:00")),
                    ..ev("07:01", "ana", EventKind::Assigned)
                },
            ],
        }
    }

    #[test]
    fn notes_on_both_sides_are_all_kept_in_time_order() {
        let b = base();
        let mut o = b.clone();
        o.history.push(Event { text: Some("ours".into()), ..ev("08:00", "ana", EventKind::Noted) });
        let mut t = b.clone();
        t.history.push(Event { text: Some("theirs".into()), ..ev("07:30", "olive", EventKind::Noted) });
        let m = merge(&b, &o, &t);
        let texts: Vec<_> = m.history.iter().filter_map(|e| e.text.clone()).collect();
        assert_eq!(texts, ["theirs", "ours"]);
        assert!(!m.history.iter().any(|e| e.event == EventKind::Conflict));
    }

    #[test]
    fn accept_here_and_reassign_there_keeps_both_and_flags_a_conflict() {
        let b = base();
        let mut o = b.clone();
        o.status = Status::Accepted;
        o.history.push(ev("08:00", "dev", EventKind::Accepted));
        let mut t = b.clone();
        t.owner = Some("sam".into());
        t.history.push(Event { to: Some("sam".into()), ..ev("08:05", "ana", EventKind::Assigned) });
        let m = merge(&b, &o, &t);
        assert_eq!(m.owner.as_deref(), Some("sam"));
        assert_eq!(m.status, Status::Assigned);
        let kinds: Vec<_> = m.history.iter().map(|e| e.event).collect();
        assert_eq!(
            kinds,
            [EventKind::Captured, EventKind::Assigned, EventKind::Accepted, EventKind::Assigned, EventKind::Conflict]
        );
        // Merging is symmetric in content.
        let m2 = merge(&b, &t, &o);
        assert_eq!(m2.history.len(), m.history.len());
        assert_eq!(m2.owner, m.owner);
    }

    #[test]
    fn a_field_changed_on_one_side_takes_that_side() {
        let b = base();
        let mut o = b.clone();
        o.service_address = Some("2 Main".into());
        o.history.push(Event { changed: vec!["service_address".into()], ..ev("08:00", "ana", EventKind::Updated) });
        let mut t = b.clone();
        t.urgency = Some("urgent".into());
        t.history.push(Event { changed: vec!["urgency".into()], ..ev("08:10", "olive", EventKind::Updated) });
        let m = merge(&b, &o, &t);
        assert_eq!(m.service_address.as_deref(), Some("2 Main"));
        assert_eq!(m.urgency.as_deref(), Some("urgent"));
    }

    #[test]
    fn contradictory_edits_of_one_field_keep_both_values_in_a_conflict_event() {
        let b = base();
        let mut o = b.clone();
        o.notes = Some("gate code 4471".into());
        o.history.push(Event { changed: vec!["notes".into()], ..ev("08:00", "ana", EventKind::Updated) });
        let mut t = b.clone();
        t.notes = Some("call first".into());
        t.history.push(Event { changed: vec!["notes".into()], ..ev("08:10", "olive", EventKind::Updated) });
        let m = merge(&b, &o, &t);
        assert_eq!(m.notes.as_deref(), Some("call first"), "the later edit stands");
        let conflict = m.history.last().unwrap();
        assert_eq!(conflict.event, EventKind::Conflict);
        assert_eq!(
            conflict.changes,
            [Change { field: "notes".into(), from: Some("gate code 4471".into()), to: Some("call first".into()) }]
        );
        assert!(crate::history::needs_review(&m));
        // The other way round, the same content.
        let m2 = merge(&b, &t, &o);
        assert_eq!(m2.notes, m.notes);
        assert_eq!(m2.history.last().unwrap().changes, conflict.changes);
    }

    #[test]
    fn an_escalation_recorded_on_both_sides_for_one_clock_is_kept_once() {
        let b = base();
        let esc = |hm: &str| Event {
            rule: Some("unaccepted".into()),
            clock: Some(stamp("07:01")),
            to: Some("olive".into()),
            ..ev(hm, SYSTEM, EventKind::Escalated)
        };
        let mut o = b.clone();
        o.history.push(esc("07:20"));
        let mut t = b.clone();
        t.history.push(esc("07:21"));
        let m = merge(&b, &o, &t);
        let fired: Vec<_> = m.history.iter().filter(|e| e.event == EventKind::Escalated).map(|e| e.at).collect();
        assert_eq!(fired, [stamp("07:20")]);
        assert!(!m.history.iter().any(|e| e.event == EventKind::Conflict));
    }
}
