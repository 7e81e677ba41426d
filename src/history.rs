//! The handoff state replayed from a lead's history: the one status machine that the merge
//! driver, the report, `list` and `show` share, so they agree after any merge. Pure.
//!
//! Each event moves the state the way its command did: `assigned`/`transferred` hand the lead
//! to `to`, `accepted` makes the acceptor the owner, `rejected` returns it to intake without
//! an owner, `closed` closes it, `reopened` returns it to where it was when closed;
//! `action`/`due` carried by an event set the next action.
//! Replayed over a merged history, an event its command would have refused (two clones moved
//! the lead at once) still applies, and is reported as a contradiction.

use jiff::Timestamp;

use crate::clock::Stamp;
use crate::lead::{Event, EventKind, Lead, Status};

/// A lead's handoff state, replayed from its history.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub status: Status,
    pub owner: Option<String>,
    pub next_action: Option<String>,
    pub next_action_due: Option<Stamp>,
    /// When the current owner was handed the lead (assigned or transferred).
    pub handed_at: Option<Stamp>,
}

/// The state, and the events that the commands would have refused at their place in
/// the history, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub state: State,
    pub contradictions: Vec<Contradiction>,
}

/// An event its command would have refused where the merged history puts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contradiction {
    /// Its place in the history.
    pub index: usize,
    /// What happened, in words.
    pub text: String,
}

/// Why `event` by `by` could not follow a lead that is `status` and owned by `owner`, or
/// `None` when it could: the status and owner part of the SOP's transition rules, the same
/// gates `handoff.rs`'s commands apply (a unit test there holds them to it); the commands
/// add the rules that depend on the record and on rules.yaml (complete fields, managers
/// transferring, known staff).
pub fn refusal(status: Status, owner: Option<&str>, event: EventKind, by: &str) -> Option<String> {
    let owned_by_actor = owner == Some(by);
    let bad = match event {
        EventKind::Assigned => matches!(status, Status::Accepted | Status::Closed),
        EventKind::Accepted | EventKind::Rejected => status != Status::Assigned || !owned_by_actor,
        EventKind::Transferred => status != Status::Accepted,
        EventKind::Next => !matches!(status, Status::Assigned | Status::Accepted) || !owned_by_actor,
        EventKind::Closed => status == Status::Closed || (status != Status::Intake && !owned_by_actor),
        EventKind::Reopened => status != Status::Closed,
        _ => false,
    };
    bad.then(|| match owner {
        Some(o) if status != Status::Intake && status != Status::Closed && o != by => {
            format!("{event} by {by} while {o} held the lead ({status})")
        }
        _ => format!("{event} by {by} came after the lead was {status}"),
    })
}

/// Replay `lead`'s history, up to and including `until` when given.
///
/// The next action and its due time fall back to the record's values when no event carries
/// them (a next action typed at capture by an older version, or a hand edit).
pub fn replay(lead: &Lead, until: Option<Timestamp>) -> Replay {
    let mut s =
        State { status: Status::Intake, owner: None, next_action: None, next_action_due: None, handed_at: None };
    let mut contradictions = Vec::new();
    let (mut action_known, mut due_known) = (false, false);
    // What a `reopened` lead goes back to: its status when it was closed.
    let mut before_close = Status::Intake;
    for (index, e) in lead.history.iter().enumerate() {
        action_known |= e.action.is_some();
        due_known |= e.due.is_some();
        if until.is_some_and(|t| e.at.timestamp() > t) {
            continue;
        }
        if let Some(why) = refusal(s.status, s.owner.as_deref(), e.event, &e.by) {
            contradictions.push(Contradiction { index, text: format!("{why} (at {})", e.at) });
        }
        if e.event == EventKind::Closed {
            before_close = s.status;
        }
        apply(&mut s, e, before_close);
    }
    if !action_known {
        s.next_action = lead.next_action.clone();
    }
    if !due_known {
        s.next_action_due = lead.next_action_due;
    }
    Replay { state: s, contradictions }
}

fn apply(s: &mut State, e: &Event, before_close: Status) {
    if let Some(a) = &e.action {
        s.next_action = Some(a.clone());
    }
    if let Some(d) = e.due {
        s.next_action_due = Some(d);
    }
    match e.event {
        EventKind::Captured => s.status = Status::Intake,
        EventKind::Assigned | EventKind::Transferred => {
            s.status = Status::Assigned;
            if let Some(to) = &e.to {
                s.owner = Some(to.clone());
            }
            s.handed_at = Some(e.at);
        }
        EventKind::Accepted => {
            s.status = Status::Accepted;
            s.owner = Some(e.by.clone());
        }
        EventKind::Rejected => {
            s.status = Status::Intake;
            s.owner = None;
        }
        EventKind::Closed => s.status = Status::Closed,
        EventKind::Reopened if s.status == Status::Closed => s.status = before_close,
        _ => {}
    }
}

/// Set the record's handoff fields (`status`, `owner`, `next_action`, `next_action_due`)
/// from the replay of its whole history; returns the contradictions found.
pub fn settle(lead: &mut Lead) -> Vec<Contradiction> {
    let Replay { state, contradictions } = replay(lead, None);
    lead.status = state.status;
    lead.owner = state.owner;
    lead.next_action = state.next_action;
    lead.next_action_due = state.next_action_due;
    contradictions
}

/// The merge flagged this lead (a `conflict` event) and no person has acted on it since:
/// someone should read its history and confirm who owns it (`handoff note ID …` does).
pub fn needs_review(lead: &Lead) -> bool {
    lead.history
        .iter()
        .rposition(|e| e.event == EventKind::Conflict)
        .is_some_and(|i| !lead.history[i + 1..].iter().any(Event::is_movement))
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

    fn lead(history: Vec<Event>) -> Lead {
        let mut lead: Lead = serde_norway::from_str(
            "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n",
        )
        .unwrap();
        lead.id = "20261124-abcdefghj".parse::<LeadId>().unwrap();
        lead.history = history;
        lead
    }

    fn assigned(hm: &str, to: &str) -> Event {
        Event {
            to: Some(to.into()),
            action: Some("Call".into()),
            due: Some(stamp("09:00")),
            ..ev(hm, "ana", EventKind::Assigned)
        }
    }

    #[test]
    fn an_ordinary_history_replays_without_contradictions() {
        let l = lead(vec![
            ev("07:00", "ana", EventKind::Captured),
            assigned("07:01", "dev"),
            ev("07:02", "dev", EventKind::Accepted),
        ]);
        let r = replay(&l, None);
        assert_eq!(r.state.status, Status::Accepted);
        assert_eq!(r.state.owner.as_deref(), Some("dev"));
        assert_eq!(r.state.next_action.as_deref(), Some("Call"));
        assert_eq!(r.state.handed_at, Some(stamp("07:01")));
        assert!(r.contradictions.is_empty());
        // As of before the acceptance.
        let r = replay(&l, Some(stamp("07:01").timestamp()));
        assert_eq!(r.state.status, Status::Assigned);
    }

    #[test]
    fn an_acceptance_after_a_concurrent_reassignment_makes_the_acceptor_owner_and_is_flagged() {
        // Clone A reassigned to sam at 07:05; clone B's dev accepted at 07:06.
        let l = lead(vec![
            ev("07:00", "ana", EventKind::Captured),
            assigned("07:01", "dev"),
            assigned("07:05", "sam"),
            ev("07:06", "dev", EventKind::Accepted),
        ]);
        let r = replay(&l, None);
        assert_eq!(r.state.status, Status::Accepted);
        assert_eq!(r.state.owner.as_deref(), Some("dev"), "the one who accepted holds it");
        assert_eq!(r.contradictions.len(), 1, "{:?}", r.contradictions);
        assert!(r.contradictions[0].text.contains("while sam held the lead"), "{:?}", r.contradictions);
        assert_eq!(r.contradictions[0].index, 3);
    }

    #[test]
    fn a_conflict_needs_review_until_a_person_acts() {
        let mut l = lead(vec![ev("07:00", "ana", EventKind::Captured), ev("07:05", "system", EventKind::Conflict)]);
        assert!(needs_review(&l));
        l.history.push(ev("07:06", "system", EventKind::Escalated));
        assert!(needs_review(&l), "an escalation is not a review");
        l.history.push(ev("07:07", "olive", EventKind::Noted));
        assert!(!needs_review(&l));
    }

    #[test]
    fn settle_writes_the_replay_onto_the_record() {
        let mut l = lead(vec![ev("07:00", "ana", EventKind::Captured), assigned("07:01", "dev")]);
        l.owner = Some("sam".into());
        assert!(settle(&mut l).is_empty());
        assert_eq!((l.status, l.owner.as_deref()), (Status::Assigned, Some("dev")));
    }
}
