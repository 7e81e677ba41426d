//! The end-of-day review: what still needs a next action, what is overdue or unaccepted,
//! and what happened today. Pure: built from leads, a day and an "as of" instant, so any
//! past day can be replayed from history.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::clock::Stamp;
use crate::lead::{EventKind, Lead, LeadId, Status};

/// A lead's handoff state as of an instant, replayed from its history.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub status: Status,
    pub owner: Option<String>,
    pub next_action: Option<String>,
    pub next_action_due: Option<Stamp>,
    /// When the current owner was handed the lead (assigned or transferred).
    pub handed_at: Option<Stamp>,
}

/// Replay `lead`'s history up to `t`; `None` if it was captured after `t`.
///
/// Fields that no event carries (a next action typed at capture by an older version, or
/// a hand edit) fall back to the record's current value.
pub fn state_at(lead: &Lead, t: Timestamp) -> Option<State> {
    if lead.created_at.timestamp() > t {
        return None;
    }
    let mut s =
        State { status: Status::Intake, owner: None, next_action: None, next_action_due: None, handed_at: None };
    let (mut action_known, mut due_known) = (false, false);
    let mut before_close = Status::Intake;
    for e in &lead.history {
        action_known |= e.action.is_some();
        due_known |= e.due.is_some();
        if e.at.timestamp() > t {
            continue;
        }
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
                s.owner = e.to.clone();
                s.handed_at = Some(e.at);
            }
            EventKind::Accepted => s.status = Status::Accepted,
            EventKind::Rejected => {
                s.status = Status::Intake;
                s.owner = None;
            }
            EventKind::Closed => {
                before_close = s.status;
                s.status = Status::Closed;
            }
            EventKind::Reopened => s.status = before_close,
            _ => {}
        }
    }
    if !action_known {
        s.next_action = lead.next_action.clone();
    }
    if !due_known {
        s.next_action_due = lead.next_action_due;
    }
    Some(s)
}

#[derive(Debug, Serialize)]
pub struct Review {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub status: Status,
    pub owner: Option<String>,
    pub urgency: Option<String>,
    pub service_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Overdue {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub owner: Option<String>,
    pub next_action: Option<String>,
    pub due: Stamp,
    pub overdue_minutes: i64,
}

#[derive(Debug, Serialize)]
pub struct Unaccepted {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub owner: Option<String>,
    pub handed_at: Option<Stamp>,
    pub waiting_minutes: i64,
}

#[derive(Debug, Serialize)]
pub struct Escalated {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub at: Stamp,
    pub rule: Option<String>,
    pub escalate_to: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub owner: String,
    pub at: Stamp,
    /// From the handoff (assignment or transfer) to this acceptance.
    pub minutes_to_accept: i64,
    /// From capture to this acceptance.
    pub minutes_from_capture: i64,
}

#[derive(Debug, Serialize)]
pub struct Rejected {
    pub id: LeadId,
    /// The customer's name (`full_name`), shown next to the id where people read.
    pub customer: Option<String>,
    pub by: String,
    pub at: Stamp,
    pub reason: Option<String>,
    pub missing: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub open: usize,
    pub unaccepted: usize,
    pub overdue: usize,
    pub accepted_today: usize,
}

/// What one lead contributes to a report.
#[derive(Debug, Default)]
pub struct Facts {
    review: Option<Review>,
    overdue: Option<Overdue>,
    unaccepted: Option<Unaccepted>,
    escalations: Vec<Escalated>,
    accepted: Vec<Accepted>,
    rejected: Vec<Rejected>,
    /// (owner, open, unaccepted, overdue) at the as-of instant.
    owned: Option<(String, bool, bool)>,
}

/// The report's window: the day `[start, end)` and the instant the state is taken at.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
    pub as_of: Timestamp,
}

impl Window {
    fn today(&self, at: &Stamp) -> bool {
        let t = at.timestamp();
        t >= self.start && t < self.end && t <= self.as_of
    }
}

/// Extract one lead's facts (run on the scanning thread, so only this is kept).
pub fn facts(lead: &Lead, w: Window) -> Option<Facts> {
    let state = state_at(lead, w.as_of)?;
    let mut f = Facts::default();
    let minutes = |from: Timestamp, to: Timestamp| to.duration_since(from).as_secs() / 60;
    if state.status != Status::Closed {
        let has_action = state.next_action.as_deref().is_some_and(|a| !a.trim().is_empty());
        if !has_action {
            f.review = Some(Review {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                status: state.status,
                owner: state.owner.clone(),
                urgency: lead.urgency.clone(),
                service_type: lead.service_type.clone(),
            });
        }
        let overdue = state.next_action_due.filter(|d| d.timestamp() < w.as_of);
        if let Some(due) = overdue {
            f.overdue = Some(Overdue {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                owner: state.owner.clone(),
                next_action: state.next_action.clone(),
                due,
                overdue_minutes: minutes(due.timestamp(), w.as_of),
            });
        }
        if state.status == Status::Assigned {
            f.unaccepted = Some(Unaccepted {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                owner: state.owner.clone(),
                handed_at: state.handed_at,
                waiting_minutes: state.handed_at.map_or(0, |h| minutes(h.timestamp(), w.as_of)),
            });
        }
        if let Some(owner) = &state.owner {
            f.owned = Some((owner.clone(), state.status == Status::Assigned, overdue.is_some()));
        }
    }
    let mut handed_at = None;
    for e in &lead.history {
        if matches!(e.event, EventKind::Assigned | EventKind::Transferred) {
            handed_at = Some(e.at);
        }
        if !w.today(&e.at) {
            continue;
        }
        match e.event {
            EventKind::Escalated => f.escalations.push(Escalated {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                at: e.at,
                rule: e.rule.clone(),
                escalate_to: e.to.clone(),
                reason: e.reason.clone(),
            }),
            EventKind::Accepted => f.accepted.push(Accepted {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                owner: e.by.clone(),
                at: e.at,
                minutes_to_accept: minutes(handed_at.unwrap_or(lead.created_at).timestamp(), e.at.timestamp()),
                minutes_from_capture: minutes(lead.created_at.timestamp(), e.at.timestamp()),
            }),
            EventKind::Rejected => f.rejected.push(Rejected {
                id: lead.id.clone(),
                customer: lead.full_name.clone(),
                by: e.by.clone(),
                at: e.at,
                reason: e.reason.clone(),
                missing: e.missing.clone(),
            }),
            _ => {}
        }
    }
    let empty = f.review.is_none()
        && f.overdue.is_none()
        && f.unaccepted.is_none()
        && f.owned.is_none()
        && f.escalations.is_empty()
        && f.accepted.is_empty()
        && f.rejected.is_empty();
    (!empty).then_some(f)
}

/// The end-of-day report (SPEC's JSON keys).
#[derive(Debug, Serialize)]
pub struct Report {
    pub date: String,
    pub as_of: String,
    pub needs_review: Vec<Review>,
    pub overdue: Vec<Overdue>,
    pub unaccepted: Vec<Unaccepted>,
    pub escalations: Vec<Escalated>,
    pub accepted: Vec<Accepted>,
    pub rejected: Vec<Rejected>,
    pub by_owner: Vec<OwnerRow>,
}

impl Report {
    /// Assemble the report from every lead's facts; `staff` orders the per-owner summary.
    pub fn assemble(date: String, as_of: String, staff: &[&str], all: Vec<Facts>) -> Report {
        let mut r = Report {
            date,
            as_of,
            needs_review: Vec::new(),
            overdue: Vec::new(),
            unaccepted: Vec::new(),
            escalations: Vec::new(),
            accepted: Vec::new(),
            rejected: Vec::new(),
            by_owner: Vec::new(),
        };
        let mut owners: BTreeMap<String, OwnerRow> = BTreeMap::new();
        for f in all {
            if let Some((owner, unaccepted, overdue)) = f.owned {
                let row = owners.entry(owner.clone()).or_insert_with(|| OwnerRow { owner, ..OwnerRow::default() });
                row.open += 1;
                row.unaccepted += usize::from(unaccepted);
                row.overdue += usize::from(overdue);
            }
            for a in &f.accepted {
                let row = owners
                    .entry(a.owner.clone())
                    .or_insert_with(|| OwnerRow { owner: a.owner.clone(), ..OwnerRow::default() });
                row.accepted_today += 1;
            }
            r.needs_review.extend(f.review);
            r.overdue.extend(f.overdue);
            r.unaccepted.extend(f.unaccepted);
            r.escalations.extend(f.escalations);
            r.accepted.extend(f.accepted);
            r.rejected.extend(f.rejected);
        }
        r.overdue.sort_by(|a, b| b.overdue_minutes.cmp(&a.overdue_minutes).then(a.id.cmp(&b.id)));
        r.unaccepted.sort_by(|a, b| b.waiting_minutes.cmp(&a.waiting_minutes).then(a.id.cmp(&b.id)));
        r.escalations.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        r.accepted.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        r.rejected.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        r.needs_review.sort_by(|a, b| a.id.cmp(&b.id));
        for id in staff {
            if let Some(row) = owners.remove(*id) {
                r.by_owner.push(row);
            }
        }
        r.by_owner.extend(owners.into_values());
        r
    }
}
