//! The message a person gets: one JSON payload per lead and recipient and run, built at
//! delivery time from the lead file (customer data never goes into git or the ledger).
//!
//! Several notices about one lead for one person in one run (two rules firing together, a
//! handoff and its escalation) collapse into one message: `event`/`key` name the first,
//! `events` lists them all, and `text` says it in one line fit for a chat or a pager.

use jiff::ZonedDateTime;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::notice::Notice;
use crate::clock::{self, Stamp};
use crate::lead::Lead;
use crate::rules::notifications::{Contacts, NoticeKind};

/// A recipient as rules.yaml describes them.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// The staff entry's email (where `email` channels write unless `contacts.email` is set).
    pub email: String,
    pub contacts: Contacts,
}

impl Person {
    pub fn email(&self) -> &str {
        self.contacts.email.as_deref().unwrap_or(&self.email)
    }
}

/// The customer, as the person needs them to act without looking anything up.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Customer {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The service address, else the market.
    pub address: Option<String>,
}

/// One event inside a (possibly collapsed) message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventRef {
    pub key: String,
    pub event: NoticeKind,
    pub at: Stamp,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The JSON every channel receives (docs/json.md, "handoff notify payload").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Payload {
    /// Stable per event: receivers dedupe on it. A collapsed message joins its events'
    /// keys with `+`.
    pub key: String,
    /// The first event's kind.
    pub event: NoticeKind,
    /// The lead id.
    pub id: String,
    /// The recipient's staff id, and name.
    pub to: String,
    pub to_name: String,
    pub customer: Customer,
    pub urgency: Option<String>,
    pub fit: Option<String>,
    pub service_type: Option<String>,
    pub status: String,
    pub owner: Option<String>,
    pub next_action: Option<String>,
    /// When the next action is due.
    pub due: Option<Stamp>,
    pub follow_up_on: Option<String>,
    pub notes: Option<String>,
    pub at: Stamp,
    pub by: String,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub events: Vec<EventRef>,
    /// One line to read: what happened, the customer, the next step. Slack and Teams
    /// incoming webhooks show this field.
    pub text: String,
}

impl Payload {
    /// The message for `notices` (all about `lead`, all to `person`, oldest first).
    /// `None` when `notices` is empty.
    pub fn build(lead: &Lead, person: &Person, notices: &[&Notice], tz: &TimeZone) -> Option<Payload> {
        let first = notices.first()?;
        let events: Vec<EventRef> = notices
            .iter()
            .map(|n| EventRef {
                key: n.key.clone(),
                event: n.kind,
                at: n.at,
                by: n.by.clone(),
                rule: n.rule.clone(),
                reason: n.reason.clone(),
            })
            .collect();
        let customer = Customer {
            name: lead.full_name.clone(),
            phone: lead.primary_phone.clone(),
            address: lead.service_address.clone().or_else(|| lead.market.clone()),
        };
        let mut payload = Payload {
            key: notices.iter().map(|n| n.key.as_str()).collect::<Vec<_>>().join("+"),
            event: first.kind,
            id: lead.id.to_string(),
            to: person.id.clone(),
            to_name: person.name.clone(),
            customer,
            urgency: lead.urgency.clone(),
            fit: lead.fit.clone(),
            service_type: lead.service_type.clone(),
            status: lead.status.to_string(),
            owner: lead.owner.clone(),
            next_action: lead.next_action.clone(),
            due: lead.next_action_due,
            follow_up_on: lead.follow_up_on.map(|d| d.to_string()),
            notes: lead.notes.clone(),
            at: first.at,
            by: first.by.clone(),
            rule: first.rule.clone(),
            reason: first.reason.clone(),
            events,
            text: String::new(),
        };
        payload.text = payload.summary(tz);
        Some(payload)
    }

    /// A short subject line without customer data (mail subjects travel far).
    pub fn subject(&self) -> String {
        let urgency = self.urgency.as_deref().unwrap_or("untagged");
        let what = match self.event {
            NoticeKind::Assigned => "assigned to you",
            NoticeKind::Transferred => "transferred to you",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Escalated => "escalated to you",
            NoticeKind::Accepted => "accepted",
            NoticeKind::Closed => "closed",
        };
        let more = if self.events.len() > 1 { format!(" (+{} more)", self.events.len() - 1) } else { String::new() };
        format!("[handoff] {urgency} lead {} {what}{more}", self.id)
    }

    /// The one-line text: `EMERGENCY lead … escalated to you (hot-unowned: why). Customer:
    /// name, phone, address. Next: action, due …`.
    fn summary(&self, tz: &TimeZone) -> String {
        let mut parts = Vec::new();
        let urgency = self.urgency.as_deref().unwrap_or("untagged");
        let shout =
            if matches!(urgency, "emergency" | "active-loss") { urgency.to_uppercase() } else { urgency.to_owned() };
        for (i, e) in self.events.iter().enumerate() {
            let what = match e.event {
                NoticeKind::Assigned if e.by == crate::lead::SYSTEM => "re-routed to you".to_owned(),
                NoticeKind::Assigned => format!("assigned to you by {}", e.by),
                NoticeKind::Transferred => format!("transferred to you by {}", e.by),
                NoticeKind::Rejected => format!("rejected by {}", e.by),
                NoticeKind::Escalated => "escalated to you".to_owned(),
                NoticeKind::Accepted => format!("accepted by {}", e.by),
                NoticeKind::Closed => format!("closed by {}", e.by),
            };
            let why = match (&e.rule, &e.reason) {
                (Some(rule), Some(reason)) if e.event == NoticeKind::Escalated => format!(" ({rule}: {reason})"),
                (_, Some(reason)) => format!(" ({reason})"),
                _ => String::new(),
            };
            if i == 0 {
                parts.push(format!("{shout} lead {} {what}{why}.", self.id));
            } else {
                parts.push(format!("Also {what}{why}."));
            }
        }
        let customer: Vec<&str> = [&self.customer.name, &self.customer.phone, &self.customer.address]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !customer.is_empty() {
            parts.push(format!("Customer: {}.", customer.join(", ")));
        }
        match (&self.next_action, &self.due) {
            (Some(action), Some(due)) => parts.push(format!("Next: {action}, due {}.", {
                let z = due.in_zone(tz);
                clock::short(&z, &self.at.in_zone(tz))
            })),
            (Some(action), None) => parts.push(format!("Next: {action}.")),
            (None, _) => parts.push("No next action recorded.".to_owned()),
        }
        if let Some(owner) = &self.owner
            && *owner != self.to
        {
            parts.push(format!("Owner: {owner}."));
        }
        parts.push(format!("handoff show {}", self.id));
        parts.join(" ")
    }
}

/// When quiet hours `(from, until)` around `now` end, if `now` falls inside them.
pub fn quiet_until(span: (Time, Time), now: &ZonedDateTime) -> Option<ZonedDateTime> {
    let (from, until) = span;
    let t = now.time();
    let inside = if from < until { t >= from && t < until } else { t >= from || t < until };
    if !inside {
        return None;
    }
    let date = if t < until { now.date() } else { now.date().tomorrow().ok()? };
    date.to_datetime(until).to_zoned_datetime(now.time_zone().clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::{Event, EventKind};

    fn tz() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    fn at(s: &str) -> ZonedDateTime {
        clock::parse_now(s, &tz()).unwrap()
    }

    #[test]
    fn quiet_hours_span_midnight() {
        let night = (clock::parse_hhmm("21:00").unwrap(), clock::parse_hhmm("07:00").unwrap());
        let ends = |s: &str| quiet_until(night, &at(s)).map(|z| Stamp::from_zoned(&z).to_string());
        assert_eq!(ends("2026-11-28T02:00:00-06:00").as_deref(), Some("2026-11-28T07:00:00-06:00"));
        assert_eq!(ends("2026-11-28T22:00:00-06:00").as_deref(), Some("2026-11-29T07:00:00-06:00"));
        assert_eq!(ends("2026-11-28T07:00:00-06:00"), None);
        assert_eq!(ends("2026-11-28T12:00:00-06:00"), None);
        let lunch = (clock::parse_hhmm("12:00").unwrap(), clock::parse_hhmm("13:00").unwrap());
        assert!(quiet_until(lunch, &at("2026-11-28T12:30:00-06:00")).is_some());
        assert!(quiet_until(lunch, &at("2026-11-28T13:30:00-06:00")).is_none());
    }

    #[test]
    fn a_collapsed_message_carries_the_customer_and_every_event() {
        let yaml = "id: 20261128-k3f9qx2ab\nstatus: assigned\ncreated_at: 2026-11-28T02:00:00-06:00\ncaptured_by: ana\nfull_name: Maria Lopez\nprimary_phone: '+13125550142'\nservice_address: 12 Elm St\nurgency: emergency\nnext_action: Call back\nnext_action_due: 2026-11-28T02:15:00-06:00\nowner: dev\n";
        let mut lead: Lead = serde_norway::from_str(yaml).unwrap();
        for rule in ["hot-unowned", "hot-unaccepted"] {
            lead.history.push(Event {
                to: Some("dev".into()),
                rule: Some(rule.into()),
                reason: Some("unowned".into()),
                ..Event::new("2026-11-28T02:05:00-06:00".parse().unwrap(), "system", EventKind::Escalated)
            });
        }
        let notices = super::super::notice::notices(&lead, &[], "2026-11-27T00:00:00Z".parse().unwrap());
        let refs: Vec<&Notice> = notices.iter().collect();
        let person = Person {
            id: "dev".into(),
            name: "Dev Dispatch".into(),
            email: "dev@example.com".into(),
            ..Person::default()
        };
        let p = Payload::build(&lead, &person, &refs, &tz()).unwrap();
        assert_eq!(p.events.len(), 2);
        assert_eq!(p.key, format!("{}+{}", notices[0].key, notices[1].key));
        let json = serde_json::to_value(&p).unwrap();
        for k in ["key", "event", "id", "to", "customer", "urgency", "next_action", "due", "text"] {
            assert!(json.get(k).is_some(), "payload lacks {k}");
        }
        assert_eq!(json["customer"]["phone"], "+13125550142");
        assert_eq!(json["due"], "2026-11-28T02:15:00-06:00");
        assert!(
            p.text.starts_with("EMERGENCY lead 20261128-k3f9qx2ab escalated to you (hot-unowned: unowned)."),
            "{}",
            p.text
        );
        assert!(p.text.contains("Also escalated to you (hot-unaccepted"), "{}", p.text);
        assert!(p.text.contains("Customer: Maria Lopez, +13125550142, 12 Elm St."), "{}", p.text);
        assert!(!p.subject().contains("Maria"));
    }
}
