//! Merging two clones' versions of one lead (the git merge driver), without conflict markers
//! and without losing an event. Pure.
//!
//! - **History** is append-only on both sides: the merge is the union of both histories,
//!   identical events once, ordered by time (ties keep our order first).
//! - **Handoff state** (`status`, `owner`, `next_action`, `next_action_due`) is replayed
//!   from the merged history, so it follows the latest event whichever clone wrote it.
//! - **Record fields** (name, phone, address, tags, notes, follow-up date, ...) merge
//!   three-way: a field changed on one side only takes that side; changed on both sides to
//!   different values takes the side whose latest new event is later (ours on a tie).
//! - **Contradictions**: each clone's history was legal on its own; if the interleaved one
//!   is not (one clone accepted while the other reassigned, two owners accepted, a closed
//!   lead moved on elsewhere), both events are kept, the later event's state wins, and a
//!   `conflict` event by `system` flags the lead for review.

use std::collections::HashSet;

use crate::clock::Stamp;
use crate::lead::{Event, EventKind, Lead, SYSTEM, Status};

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

    let latest = |events: &[&Event]| events.iter().map(|e| e.at).max();
    let theirs_later = latest(&theirs_new) > latest(&ours_new);
    let pick = |b: &Option<String>, o: &Option<String>, t: &Option<String>| -> Option<String> {
        three_way(b, o, t, theirs_later)
    };
    let mut merged = Lead {
        id: ours.id.clone(),
        status: ours.status,
        created_at: ours.created_at.min(theirs.created_at),
        captured_by: ours.captured_by.clone(),
        full_name: pick(&base.full_name, &ours.full_name, &theirs.full_name),
        primary_phone: pick(&base.primary_phone, &ours.primary_phone, &theirs.primary_phone),
        service_address: pick(&base.service_address, &ours.service_address, &theirs.service_address),
        market: pick(&base.market, &ours.market, &theirs.market),
        service_type: pick(&base.service_type, &ours.service_type, &theirs.service_type),
        urgency: pick(&base.urgency, &ours.urgency, &theirs.urgency),
        fit: pick(&base.fit, &ours.fit, &theirs.fit),
        source: pick(&base.source, &ours.source, &theirs.source),
        referral: pick(&base.referral, &ours.referral, &theirs.referral),
        notes: pick(&base.notes, &ours.notes, &theirs.notes),
        next_action: pick(&base.next_action, &ours.next_action, &theirs.next_action),
        next_action_due: three_way(&base.next_action_due, &ours.next_action_due, &theirs.next_action_due, theirs_later),
        follow_up_on: three_way(&base.follow_up_on, &ours.follow_up_on, &theirs.follow_up_on, theirs_later),
        owner: pick(&base.owner, &ours.owner, &theirs.owner),
        history,
    };
    let contradictions = replay(&mut merged);
    if !contradictions.is_empty() && !ours_new.is_empty() && !theirs_new.is_empty() {
        let at = merged.history.iter().map(|e| e.at).max().unwrap_or(merged.created_at);
        let conflict = Event {
            reason: Some(format!(
                "two clones changed this lead at the same time: {}; the later event stands, review who owns it",
                contradictions.join("; ")
            )),
            to: merged.owner.clone(),
            ..Event::new(at, SYSTEM, EventKind::Conflict)
        };
        if !merged.history.contains(&conflict) {
            merged.history.push(conflict);
        }
    }
    merged
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

/// Replay the handoff state from the history onto `lead`; returns the transitions that
/// would have been refused (each a short description).
fn replay(lead: &mut Lead) -> Vec<String> {
    let mut bad = Vec::new();
    let mut status = Status::Intake;
    let mut before_close = Status::Intake;
    let mut owner: Option<String> = None;
    let mut action: Option<String> = None;
    let mut due: Option<Stamp> = None;
    let (mut action_known, mut due_known) = (false, false);
    for e in &lead.history {
        let who = &e.by;
        let illegal = match e.event {
            EventKind::Assigned => matches!(status, Status::Accepted | Status::Closed),
            EventKind::Accepted => status != Status::Assigned || owner.as_deref() != Some(who.as_str()),
            EventKind::Rejected => status != Status::Assigned,
            EventKind::Transferred => status != Status::Accepted,
            EventKind::Next => status == Status::Closed,
            EventKind::Closed => status == Status::Closed,
            EventKind::Reopened => status != Status::Closed,
            _ => false,
        };
        if illegal {
            bad.push(format!("{} by {who} at {} came after the lead was {status}", e.event, e.at));
        }
        if let Some(a) = &e.action {
            action = Some(a.clone());
            action_known = true;
        }
        if let Some(d) = e.due {
            due = Some(d);
            due_known = true;
        }
        match e.event {
            EventKind::Captured => {}
            EventKind::Assigned | EventKind::Transferred => {
                status = Status::Assigned;
                owner = e.to.clone().or(owner);
            }
            EventKind::Accepted => {
                status = Status::Accepted;
                owner = Some(who.clone());
            }
            EventKind::Rejected => {
                status = Status::Intake;
                owner = None;
            }
            EventKind::Closed => {
                before_close = status;
                status = Status::Closed;
            }
            EventKind::Reopened if status == Status::Closed => status = before_close,
            _ => {}
        }
    }
    lead.status = status;
    lead.owner = owner;
    if action_known {
        lead.next_action = action;
    }
    if due_known {
        lead.next_action_due = due;
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::LeadId;

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
}
