//! The escalation clock: which of rules.yaml's escalation rules are due for a lead at `now`.
//!
//! Pure. A rule watches leads by status and conditions; its clock starts at capture (or at
//! the last rejection or transfer, when the lead waits for an owner or an acceptance anew),
//! at the last assignment, at the last movement (a person's event), or at the end of the
//! business day; it fires `after` its window (counting only business hours when `hours: business`).
//! Each firing is recorded as an `escalated` event carrying the clock's start, so a rule
//! fires once per lead per clock: a new movement starts a new clock, and an escalation
//! (recorded by `system`) is not movement.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};

use crate::clock::{self, Stamp};
use crate::lead::{EventKind, Lead};
use crate::rules::{ClockKind, EscalationRule, Hours, Rules};

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
}

/// Every escalation rule due for `lead` at `now`, in rules.yaml order.
pub fn evaluate(rules: &Rules, lead: &Lead, now: &ZonedDateTime) -> Vec<Due> {
    rules.escalation.iter().filter_map(|rule| due(rules, rule, lead, now)).collect()
}

fn due(rules: &Rules, rule: &EscalationRule, lead: &Lead, now: &ZonedDateTime) -> Option<Due> {
    if !rule.applies_to(lead) {
        return None;
    }
    let tz = &rules.tz;
    let start: Stamp = match rule.clock {
        ClockKind::Capture => handed_back_or_on(lead).map_or(lead.created_at, |e| e.at),
        ClockKind::Assignment => {
            lead.history.iter().rev().find(|e| matches!(e.event, EventKind::Assigned | EventKind::Transferred))?.at
        }
        ClockKind::Movement => lead.last_movement().map_or(lead.created_at, |e| e.at),
        ClockKind::EndOfDay => {
            let eod = clock::end_of_day(now.date(), rules.eod, tz).ok()?;
            if lead.created_at.timestamp() > eod.timestamp() {
                return None;
            }
            Stamp::from_zoned(&eod)
        }
    };
    let deadline = match (rule.hours, &rules.business) {
        (Hours::Business, Some(b)) => {
            add_business_time(start.timestamp(), rule.window(), tz, &b.days, b.open, b.close)?
        }
        _ => start.timestamp().checked_add(rule.window()).ok()?,
    };
    let now_ts = now.timestamp();
    if now_ts < deadline {
        return None;
    }
    let escalate_to = rules.escalation_target(rule, lead)?;
    // Fired for this clock: recorded with this clock's start, or recorded after it started
    // (an escalation written before the capture clock restarted at rejections carries the
    // capture time, and must not fire again).
    let fired = lead.history.iter().any(|e| {
        e.event == EventKind::Escalated
            && e.rule.as_deref() == Some(rule.name.as_str())
            && (e.clock == Some(start) || e.at >= start)
    });
    Some(Due {
        rule: rule.name.clone(),
        clock: start,
        deadline,
        escalate_to,
        reason: reason(rule, lead, start, now_ts),
        overdue_minutes: now_ts.duration_since(deadline).as_secs() / 60,
        fired,
    })
}

/// The last rejection or transfer: the lead is waiting for an owner, or for a new owner's
/// acceptance, again, so the capture clock counts from there (a rule fires once per clock,
/// so it can fire again for the new wait).
fn handed_back_or_on(lead: &Lead) -> Option<&crate::lead::Event> {
    lead.history.iter().rev().find(|e| matches!(e.event, EventKind::Rejected | EventKind::Transferred))
}

/// Why, in words without customer data.
fn reason(rule: &EscalationRule, lead: &Lead, start: Stamp, now: Timestamp) -> String {
    let minutes = now.duration_since(start.timestamp()).as_secs() / 60;
    let mut tags: Vec<&str> = [lead.urgency.as_deref(), lead.service_type.as_deref()].into_iter().flatten().collect();
    let fit = lead.fit.as_deref().map(|f| format!("({f} fit)"));
    tags.extend(fit.as_deref());
    let tags = if tags.is_empty() { "untagged".to_owned() } else { tags.join(" ") };
    match rule.clock {
        ClockKind::EndOfDay => format!("{tags} lead open at end of day without a recorded next action"),
        ClockKind::Movement => format!("{tags} lead without movement for {minutes} min (window {})", rule.after),
        ClockKind::Capture | ClockKind::Assignment => {
            let since = match (rule.clock, handed_back_or_on(lead).map(|e| e.event)) {
                (ClockKind::Assignment, _) => "assignment",
                (_, Some(EventKind::Rejected)) => "rejection",
                (_, Some(EventKind::Transferred)) => "transfer",
                _ => "capture",
            };
            match &lead.owner {
                None => format!("{tags} lead unowned {minutes} min after {since} (window {})", rule.after),
                Some(owner) => {
                    format!("{tags} lead not accepted by {owner} {minutes} min after {since} (window {})", rule.after)
                }
            }
        }
    }
}

/// `start + window`, counting only the open hours of business days (DST-correct).
pub fn add_business_time(
    start: Timestamp,
    window: SignedDuration,
    tz: &TimeZone,
    days: &[Weekday],
    open: Time,
    close: Time,
) -> Option<Timestamp> {
    let mut left = window;
    let mut date: Date = start.to_zoned_datetime(tz.clone()).date();
    for _ in 0..400 {
        if days.contains(&date.weekday()) {
            let opens = date.to_datetime(open).to_zoned_datetime(tz.clone()).ok()?.timestamp();
            let closes = date.to_datetime(close).to_zoned_datetime(tz.clone()).ok()?.timestamp();
            let from = opens.max(start);
            if from < closes {
                let available = closes.duration_since(from);
                if left <= available {
                    return from.checked_add(left).ok();
                }
                left -= available;
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_time_skips_nights_and_weekends() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let days = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
        let (open, close) = (Time::constant(8, 0, 0, 0), Time::constant(17, 0, 0, 0));
        let at = |s: &str| s.parse::<Stamp>().unwrap().timestamp();
        // Friday 16:50 + 15 business minutes = Monday 08:05.
        let got =
            add_business_time(at("2026-11-27T16:50:00-06:00"), SignedDuration::from_mins(15), &tz, &days, open, close);
        assert_eq!(got, Some(at("2026-11-30T08:05:00-06:00")));
        // Saturday night counts from Monday's opening.
        let got =
            add_business_time(at("2026-11-28T22:00:00-06:00"), SignedDuration::from_mins(60), &tz, &days, open, close);
        assert_eq!(got, Some(at("2026-11-30T09:00:00-06:00")));
        // Within the day.
        let got =
            add_business_time(at("2026-11-24T09:00:00-06:00"), SignedDuration::from_mins(15), &tz, &days, open, close);
        assert_eq!(got, Some(at("2026-11-24T09:15:00-06:00")));
    }
}
