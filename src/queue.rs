//! "What do I need to do now?": the leads waiting on one person, most pressing first.
//!
//! A lead is in its owner's queue when it waits for their acceptance, when its next action
//! is overdue or due today, or when its follow-up date (estimates, consults) has come.
//! Each lead is listed once, under the first of those reasons. Pure: the leads, the
//! clock and the urgency order are arguments.

use jiff::ZonedDateTime;
use jiff::civil::Date;
use serde::Serialize;

use crate::clock::Stamp;
use crate::lead::{Lead, LeadId, Status};

/// Why a lead is in a queue, most pressing first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Handed to its owner, who has not accepted it yet.
    Accept,
    /// The next action's due time has passed.
    Overdue,
    /// The next action is due later today.
    DueToday,
    /// The follow-up date (estimates, consults) is today or past.
    FollowUp,
}

impl Reason {
    /// How tables say it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Accept => "to accept",
            Reason::Overdue => "OVERDUE",
            Reason::DueToday => "due today",
            Reason::FollowUp => "follow up",
        }
    }
}

/// One lead in a queue (the JSON keys of `handoff queue --json`).
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub id: LeadId,
    pub reason: Reason,
    pub owner: String,
    pub status: Status,
    pub urgency: Option<String>,
    pub full_name: Option<String>,
    pub next_action: Option<String>,
    pub due: Option<Stamp>,
    pub follow_up_on: Option<Date>,
}

/// The queue entry of an open, owned lead at `now`, if it needs its owner now.
pub fn item(lead: &Lead, now: &ZonedDateTime) -> Option<Item> {
    if !lead.is_open() {
        return None;
    }
    let owner = lead.owner.clone()?;
    let today = now.date();
    let due_local = lead.next_action_due.map(|d| d.in_zone(now.time_zone()));
    let reason = if lead.status == Status::Assigned {
        Reason::Accept
    } else if lead.next_action_due.is_some_and(|d| d.timestamp() < now.timestamp()) {
        Reason::Overdue
    } else if due_local.is_some_and(|d| d.date() == today) {
        Reason::DueToday
    } else if lead.follow_up_on.is_some_and(|d| d <= today) {
        Reason::FollowUp
    } else {
        return None;
    };
    Some(Item {
        id: lead.id.clone(),
        reason,
        owner,
        status: lead.status,
        urgency: lead.urgency.clone(),
        full_name: lead.full_name.clone(),
        next_action: lead.next_action.clone(),
        due: lead.next_action_due,
        follow_up_on: lead.follow_up_on,
    })
}

/// Order a queue: by urgency (the order of `urgencies`, most urgent first; unknown last),
/// then by due time (earliest first; a follow-up date counts from its midnight, none last),
/// then by id. With `by_owner`, grouped by owner first (a manager's view).
pub fn sort(items: &mut [Item], urgencies: &[String], by_owner: bool, tz: &jiff::tz::TimeZone) {
    let rank = |i: &Item| i.urgency.as_ref().and_then(|u| urgencies.iter().position(|v| v == u)).unwrap_or(usize::MAX);
    let when = |i: &Item| {
        i.due.map(|d| d.timestamp()).or_else(|| {
            i.follow_up_on
                .and_then(|d| d.to_datetime(jiff::civil::Time::midnight()).to_zoned_datetime(tz.clone()).ok())
                .map(|z| z.timestamp())
        })
    };
    items.sort_by(|a, b| {
        let owner = if by_owner { a.owner.cmp(&b.owner) } else { std::cmp::Ordering::Equal };
        owner
            .then_with(|| rank(a).cmp(&rank(b)))
            .then_with(|| match (when(a), when(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::{Event, EventKind};

    fn now() -> ZonedDateTime {
        crate::clock::parse_now("2026-11-24T09:00:00-06:00", &jiff::tz::TimeZone::get("America/Chicago").unwrap())
            .unwrap()
    }

    fn lead(id: &str, status: Status, urgency: &str, due: Option<&str>) -> Lead {
        let mut l: Lead = serde_norway::from_str(&format!(
            "id: 20261124-{id}\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n"
        ))
        .unwrap();
        l.status = status;
        l.owner = Some("sam".into());
        l.urgency = Some(urgency.into());
        l.next_action_due = due.map(|d| d.parse().unwrap());
        l.history.push(Event::new(l.created_at, "ana", EventKind::Captured));
        l
    }

    #[test]
    fn reasons_and_order() {
        let urg: Vec<String> = ["emergency", "urgent", "standard"].map(String::from).to_vec();
        let leads = [
            lead("aaaaaa", Status::Accepted, "standard", Some("2026-11-24T08:00:00-06:00")),
            lead("bbbbbb", Status::Assigned, "standard", Some("2026-11-24T10:00:00-06:00")),
            lead("cccccc", Status::Accepted, "emergency", Some("2026-11-24T16:00:00-06:00")),
            lead("dddddd", Status::Accepted, "urgent", Some("2026-11-25T10:00:00-06:00")),
            lead("eeeeee", Status::Closed, "emergency", Some("2026-11-24T08:00:00-06:00")),
        ];
        let mut items: Vec<Item> = leads.iter().filter_map(|l| item(l, &now())).collect();
        sort(&mut items, &urg, false, now().time_zone());
        let got: Vec<(&str, Reason)> = items.iter().map(|i| (i.id.random_part(), i.reason)).collect();
        assert_eq!(got, [("cccccc", Reason::DueToday), ("aaaaaa", Reason::Overdue), ("bbbbbb", Reason::Accept)]);
    }

    #[test]
    fn follow_up_dates_that_have_come() {
        let mut l = lead("ffffff", Status::Accepted, "standard", Some("2026-11-30T10:00:00-06:00"));
        l.follow_up_on = Some(Date::constant(2026, 11, 24));
        assert_eq!(item(&l, &now()).map(|i| i.reason), Some(Reason::FollowUp));
        l.follow_up_on = Some(Date::constant(2026, 11, 25));
        assert!(item(&l, &now()).is_none());
    }
}
