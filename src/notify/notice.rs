//! Which events of a lead's history are addressed to a person, and whether each still
//! matters. Pure: derived from the lead alone, so every machine derives the same notices
//! from the same history, whichever of them recorded the event.
//!
//! A notice's key is `ID/AT/EVENT/TO[/RULE]`: the lead id, the event time in UTC
//! (`20261128T080000Z`), the event, the recipient's staff id, and the rule that acted when
//! there is one. It holds no customer data, is the same on every machine and in every run,
//! and is what receivers dedupe on and the delivery ledger records.

use jiff::Timestamp;

use crate::clock::Stamp;
use crate::lead::{Event, EventKind, Lead, LeadId, SYSTEM, Status};
use crate::rules::notifications::NoticeKind;

/// One event addressed to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub kind: NoticeKind,
    pub lead: LeadId,
    /// The recipient's staff id.
    pub to: String,
    pub at: Stamp,
    /// Who recorded the event (`system` for escalations and re-routes).
    pub by: String,
    pub rule: Option<String>,
    pub reason: Option<String>,
    /// Where the event sits in the history (what [`is_current`] looks after).
    index: usize,
}

/// The stable key of an event addressed to `to` (see the module docs).
pub fn key(lead: &LeadId, event: &Event, to: &str) -> String {
    let at = event.at.timestamp().strftime("%Y%m%dT%H%M%SZ");
    let mut key = format!("{lead}/{at}/{}/{to}", event.event);
    if let Some(rule) = &event.rule {
        key.push('/');
        key.push_str(rule);
    }
    key
}

/// The notices in `lead`'s history recorded at or after `since`, oldest first. `tell_assigner`
/// lists the extra events (accepted, closed) told to whoever assigned the lead. Nobody is
/// told about what they did themselves.
pub fn notices(lead: &Lead, tell_assigner: &[NoticeKind], since: Timestamp) -> Vec<Notice> {
    let mut out = Vec::new();
    for (index, e) in lead.history.iter().enumerate() {
        if e.at.timestamp() < since {
            continue;
        }
        let (kind, to) = match e.event {
            EventKind::Assigned => (NoticeKind::Assigned, e.to.clone()),
            EventKind::Transferred => (NoticeKind::Transferred, e.to.clone()),
            EventKind::Escalated => (NoticeKind::Escalated, e.to.clone()),
            EventKind::Rejected => (NoticeKind::Rejected, assigner(lead, index)),
            EventKind::Accepted if tell_assigner.contains(&NoticeKind::Accepted) => {
                (NoticeKind::Accepted, assigner(lead, index))
            }
            EventKind::Closed if tell_assigner.contains(&NoticeKind::Closed) => {
                (NoticeKind::Closed, assigner(lead, index))
            }
            _ => continue,
        };
        let Some(to) = to.filter(|to| *to != e.by && to != SYSTEM) else { continue };
        out.push(Notice {
            key: key(&lead.id, e, &to),
            kind,
            lead: lead.id.clone(),
            to,
            at: e.at,
            by: e.by.clone(),
            rule: e.rule.clone(),
            reason: e.reason.clone(),
            index,
        });
    }
    out
}

/// Who handed the lead over before event `index`: the person who recorded the last
/// assignment or transfer (a re-route by `system` counts the person before it).
fn assigner(lead: &Lead, index: usize) -> Option<String> {
    lead.history[..index]
        .iter()
        .rev()
        .find(|e| matches!(e.event, EventKind::Assigned | EventKind::Transferred) && e.by != SYSTEM)
        .map(|e| e.by.clone())
}

/// Whether telling the person still matters, given what the lead's history says now: a
/// handoff only while it waits for that person's acceptance; an escalation or a rejection
/// only while the lead is open and nobody has acted since (PagerDuty's "acknowledged"
/// resolves the page); acceptance and closing always.
pub fn is_current(notice: &Notice, lead: &Lead) -> bool {
    let later = lead.history.get(notice.index + 1..).unwrap_or_default();
    match notice.kind {
        NoticeKind::Assigned | NoticeKind::Transferred => {
            lead.status == Status::Assigned
                && lead.owner.as_deref() == Some(notice.to.as_str())
                && !later.iter().any(|e| matches!(e.event, EventKind::Assigned | EventKind::Transferred))
        }
        NoticeKind::Escalated => lead.is_open() && !later.iter().any(Event::is_movement),
        NoticeKind::Rejected => {
            lead.is_open() && !later.iter().any(|e| matches!(e.event, EventKind::Assigned | EventKind::Transferred))
        }
        NoticeKind::Accepted | NoticeKind::Closed => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(history: &[(&str, &str, EventKind, Option<&str>)]) -> Lead {
        let yaml = "id: 20261128-k3f9qx2ab\nstatus: intake\ncreated_at: 2026-11-28T02:00:00-06:00\ncaptured_by: ana\n";
        let mut lead: Lead = serde_norway::from_str(yaml).unwrap();
        for (at, by, kind, to) in history {
            lead.history.push(Event { to: to.map(str::to_owned), ..Event::new(at.parse().unwrap(), by, *kind) });
        }
        lead
    }

    const SINCE: &str = "2026-11-27T00:00:00Z";

    #[test]
    fn keys_are_stable_and_name_no_customer() {
        let mut l = lead(&[("2026-11-28T02:00:00-06:00", "system", EventKind::Escalated, Some("dev"))]);
        l.history[0].rule = Some("hot-unowned".into());
        let n = notices(&l, &[], SINCE.parse().unwrap());
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].key, "20261128-k3f9qx2ab/20261128T080000Z/escalated/dev/hot-unowned");
        // The same instant written with another offset gives the same key.
        l.history[0].at = "2026-11-28T08:00:00Z".parse().unwrap();
        assert_eq!(notices(&l, &[], SINCE.parse().unwrap())[0].key, n[0].key);
    }

    #[test]
    fn recipients_follow_the_event() {
        let l = lead(&[
            ("2026-11-28T02:00:00-06:00", "ana", EventKind::Captured, None),
            ("2026-11-28T02:00:00-06:00", "ana", EventKind::Assigned, Some("dev")),
            ("2026-11-28T02:05:00-06:00", "dev", EventKind::Rejected, None),
            ("2026-11-28T02:06:00-06:00", "olive", EventKind::Assigned, Some("olive")),
            ("2026-11-28T02:07:00-06:00", "olive", EventKind::Accepted, None),
            ("2026-11-28T03:00:00-06:00", "olive", EventKind::Transferred, Some("sam")),
            ("2026-11-28T03:10:00-06:00", "sam", EventKind::Accepted, None),
        ]);
        let got: Vec<(String, &str)> = notices(&l, &[NoticeKind::Accepted], SINCE.parse().unwrap())
            .iter()
            .map(|n| (n.to.clone(), n.kind.as_str()))
            .collect();
        // Self-assignment and olive's own acceptance tell nobody; the rejection goes to ana.
        assert_eq!(
            got,
            [
                ("dev".into(), "assigned"),
                ("ana".into(), "rejected"),
                ("sam".into(), "transferred"),
                ("olive".into(), "accepted")
            ]
        );
        // Older than `since`: not announced.
        assert!(notices(&l, &[], "2026-11-29T00:00:00Z".parse().unwrap()).is_empty());
    }

    #[test]
    fn a_handoff_stops_mattering_once_accepted_or_moved() {
        let mut l = lead(&[
            ("2026-11-28T02:00:00-06:00", "ana", EventKind::Assigned, Some("dev")),
            ("2026-11-28T02:00:00-06:00", "system", EventKind::Escalated, Some("olive")),
        ]);
        l.status = Status::Assigned;
        l.owner = Some("dev".into());
        let n = notices(&l, &[], SINCE.parse().unwrap());
        assert!(n.iter().all(|n| is_current(n, &l)));
        l.history.push(Event::new("2026-11-28T02:03:00-06:00".parse().unwrap(), "dev", EventKind::Accepted));
        l.status = Status::Accepted;
        assert!(n.iter().all(|n| !is_current(n, &l)));
    }
}
