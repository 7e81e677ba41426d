//! What one lead contributes to the statistics of a period, extracted in one pass over its
//! history (so a scan keeps only this, not the lead). Pure.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use crate::clock::{self, Stamp};
use crate::lead::{EventKind, Lead, LeadId, Status};
use crate::qa::Week;
use crate::report::state_at;
use crate::rules::{ClockKind, Hours, Rules};
use crate::schedule::Calendar;

use super::Period;

/// A measured wait: wall-clock seconds, and business seconds when business hours are defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub wall: i64,
    pub business: Option<i64>,
}

/// Whether a lead was accepted within its SOP window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InWindow {
    Within,
    Missed,
    /// Not accepted, and the window has not run out yet (or the lead was closed before it
    /// did, without needing acceptance): left out of the share.
    Pending,
}

/// The SOP acceptance window that applies to a lead, and how the lead did against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFact {
    /// The escalation rule whose window this is.
    pub rule: String,
    pub window_minutes: i64,
    pub hours: Hours,
    pub result: InWindow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub at: Stamp,
    pub by: String,
    pub reason: Option<String>,
    pub missing: Vec<String>,
}

/// One lead's contribution to a period's statistics.
#[derive(Debug, Clone)]
pub struct LeadFacts {
    pub id: LeadId,
    pub customer: Option<String>,
    pub created_at: Stamp,
    /// Captured within the period: counted in the capture cohort (speed, window, outcomes).
    pub in_cohort: bool,
    /// Capture date and ISO week in the workspace time zone.
    pub day: Date,
    pub week: String,
    /// Who the lead is attributed to: the first person who accepted it, else its owner.
    pub owner: Option<String>,
    pub status: Status,
    pub source: Option<String>,
    pub urgency: Option<String>,
    pub service_type: Option<String>,
    /// Capture → first acceptance.
    pub to_accept: Option<Wait>,
    /// Capture → first event recorded by the person who owned the lead at the time.
    pub to_first_movement: Option<Wait>,
    pub window: Option<WindowFact>,
    /// Ends of day in the period at which the lead was open, and of those, with a next action.
    pub eod_open: usize,
    pub eod_with_action: usize,
    /// Escalations recorded in the period: (owner at the time, rule).
    pub escalations: Vec<(Option<String>, String)>,
    pub rejections: Vec<Rejection>,
    /// Transfers recorded in the period: (from, to).
    pub transfers: Vec<(Option<String>, Option<String>)>,
    /// Handoffs (assignments and transfers) in the period: the new owner.
    pub handed: Vec<String>,
    /// Acceptances in the period: (who, seconds from their handoff to the acceptance).
    pub accepted: Vec<(String, i64)>,
    /// The closing outcome, when closed.
    pub outcome: Option<String>,
    /// QA answers recorded in the period.
    pub qa: Vec<(String, bool)>,
    /// Seconds the lead has waited unaccepted at the period's end (assigned, never accepted).
    pub waiting: Option<i64>,
}

/// Business days and open hours, as the escalation clock counts them.
/// Business time as the escalation clocks count it: the business calendar's open hours,
/// its holidays and closures skipped.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    pub tz: TimeZone,
    pub calendar: Calendar,
}

impl BusinessHours {
    pub fn of(rules: &Rules) -> Option<BusinessHours> {
        rules.business.as_ref()?;
        Some(BusinessHours { tz: rules.tz.clone(), calendar: rules.business_calendar.clone()? })
    }

    /// Seconds of open business time in `[from, to)` (0 when `to` is not after `from`).
    pub fn seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut date = from.to_zoned_datetime(self.tz.clone()).date();
        let last = to.to_zoned_datetime(self.tz.clone()).date();
        // A lead waits days, not decades; the cap keeps a hand-edited date from looping long.
        for _ in 0..3700 {
            if date > last {
                break;
            }
            if let Some((open, close)) = self.calendar.hours_on(date) {
                let at = |t: Time| date.to_datetime(t).to_zoned_datetime(self.tz.clone()).map(|z| z.timestamp());
                if let (Ok(opens), Ok(closes)) = (at(open), at(close)) {
                    let (a, b) = (opens.max(from), closes.min(to));
                    if a < b {
                        total += b.duration_since(a).as_secs();
                    }
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => break,
            }
        }
        total
    }

    fn deadline(&self, start: Timestamp, minutes: i64) -> Option<Timestamp> {
        self.calendar.add_open_time(start, jiff::SignedDuration::from_mins(minutes), &self.tz)
    }
}

fn wait(from: Timestamp, to: Timestamp, bh: Option<&BusinessHours>) -> Wait {
    Wait { wall: to.duration_since(from).as_secs().max(0), business: bh.map(|b| b.seconds_between(from, to)) }
}

/// The SOP acceptance window for a lead: the shortest window among the escalation rules
/// that watch it while it waits for acceptance (status `assigned`, capture or assignment clock).
fn acceptance_rule<'r>(rules: &'r Rules, lead: &Lead) -> Option<&'r crate::rules::EscalationRule> {
    rules
        .escalation
        .iter()
        .filter(|r| matches!(r.clock, ClockKind::Capture | ClockKind::Assignment))
        .filter(|r| r.status.contains(&Status::Assigned))
        .filter(|r| r.when.admits(lead) && !r.unless.excludes(lead))
        .min_by_key(|r| r.window())
}

/// Extract `lead`'s facts for `period`; `None` when it has nothing to contribute.
pub fn facts(lead: &Lead, rules: &Rules, period: &Period) -> Option<LeadFacts> {
    let created = lead.created_at.timestamp();
    if created >= period.end || created > period.as_of {
        return None;
    }
    let last_at = lead.history.last().map_or(created, |e| e.at.timestamp());
    if lead.status == Status::Closed && last_at < period.start {
        return None;
    }
    let bh = BusinessHours::of(rules);
    let tz = &rules.tz;
    let in_period = |t: &Stamp| period.contains(t.timestamp());
    let day = lead.created_at.in_zone(tz).date();
    let mut f = LeadFacts {
        id: lead.id.clone(),
        customer: lead.full_name.clone(),
        created_at: lead.created_at,
        in_cohort: period.contains(created),
        day,
        week: Week::of(day).to_string(),
        owner: None,
        status: lead.status,
        source: lead.source.clone(),
        urgency: lead.urgency.clone(),
        service_type: lead.service_type.clone(),
        to_accept: None,
        to_first_movement: None,
        window: None,
        eod_open: 0,
        eod_with_action: 0,
        escalations: Vec::new(),
        rejections: Vec::new(),
        transfers: Vec::new(),
        handed: Vec::new(),
        accepted: Vec::new(),
        outcome: None,
        qa: Vec::new(),
        waiting: None,
    };

    let mut owner: Option<String> = None;
    let mut handed_at: Option<Timestamp> = None;
    let mut first_handoff: Option<Timestamp> = None;
    let mut first_accept: Option<(Timestamp, String)> = None;
    for (i, e) in lead.history.iter().enumerate() {
        let at = e.at.timestamp();
        if at > period.as_of {
            break;
        }
        if i > 0 && f.to_first_movement.is_none() && e.is_movement() && owner.as_deref() == Some(e.by.as_str()) {
            f.to_first_movement = Some(wait(created, at, bh.as_ref()));
        }
        let now_in = in_period(&e.at);
        match e.event {
            EventKind::Assigned | EventKind::Transferred => {
                if now_in {
                    f.handed.extend(e.to.clone());
                    if e.event == EventKind::Transferred {
                        f.transfers.push((e.from.clone().or_else(|| owner.clone()), e.to.clone()));
                    }
                }
                owner = e.to.clone();
                handed_at = Some(at);
                first_handoff.get_or_insert(at);
            }
            EventKind::Accepted => {
                if first_accept.is_none() {
                    first_accept = Some((at, e.by.clone()));
                }
                if now_in {
                    f.accepted.push((e.by.clone(), at.duration_since(handed_at.unwrap_or(created)).as_secs()));
                }
            }
            EventKind::Rejected => {
                if now_in {
                    f.rejections.push(Rejection {
                        at: e.at,
                        by: e.by.clone(),
                        reason: e.reason.clone(),
                        missing: e.missing.clone(),
                    });
                }
                owner = None;
            }
            EventKind::Escalated if now_in => {
                f.escalations.push((owner.clone(), e.rule.clone().unwrap_or_default()));
            }
            EventKind::QaReview if now_in => {
                f.qa.extend(e.answers.iter().map(|(k, v)| (k.clone(), *v)));
            }
            EventKind::Closed => f.outcome = e.outcome.clone(),
            _ => {}
        }
    }
    if lead.status != Status::Closed {
        f.outcome = None;
    }
    f.owner = first_accept.as_ref().map(|(_, by)| by.clone()).or_else(|| lead.owner.clone());
    f.to_accept = first_accept.as_ref().map(|(at, _)| wait(created, *at, bh.as_ref()));
    let waiting_at_end = state_at(lead, period.as_of).is_some_and(|s| s.status == Status::Assigned);
    if first_accept.is_none() && waiting_at_end {
        f.waiting = handed_at.map(|h| period.as_of.duration_since(h).as_secs().max(0));
    }

    if let Some(rule) = acceptance_rule(rules, lead) {
        let start = match rule.clock {
            ClockKind::Assignment => first_handoff.unwrap_or(created),
            _ => created,
        };
        let minutes = rule.window().as_secs() / 60;
        let deadline = match (rule.hours, bh.as_ref()) {
            (Hours::Business, Some(b)) => b.deadline(start, minutes),
            _ => start.checked_add(rule.window()).ok(),
        };
        let closed_at = lead.last_event(EventKind::Closed).map(|e| e.at.timestamp());
        let result = match (first_accept.as_ref(), deadline) {
            (Some((at, _)), Some(d)) if *at <= d => InWindow::Within,
            (Some(_), _) => InWindow::Missed,
            (None, Some(d)) if period.as_of <= d => InWindow::Pending,
            (None, Some(d)) if closed_at.is_some_and(|c| c <= d) => InWindow::Pending,
            (None, _) => InWindow::Missed,
        };
        f.window = Some(WindowFact { rule: rule.name.clone(), window_minutes: minutes, hours: rule.hours, result });
    }

    let mut date = period.since;
    while date <= period.until {
        let Ok(eod) = clock::end_of_day(date, rules.eod, tz) else { break };
        let eod = eod.timestamp();
        if eod > period.as_of {
            break;
        }
        if eod >= created
            && let Some(state) = state_at(lead, eod)
            && state.status != Status::Closed
        {
            f.eod_open += 1;
            f.eod_with_action += usize::from(state.next_action.as_deref().is_some_and(|a| !a.trim().is_empty()));
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Weekday;

    #[test]
    fn business_seconds_skip_nights_and_weekends() {
        let hours = crate::schedule::Hours {
            days: vec![Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday],
            open: Time::constant(8, 0, 0, 0),
            close: Time::constant(17, 0, 0, 0),
        };
        let calendar = Calendar { name: "office".into(), hours: Some(hours), closures: vec![] };
        let bh = BusinessHours { tz: TimeZone::get("America/Chicago").unwrap(), calendar };
        let at = |s: &str| s.parse::<Stamp>().unwrap().timestamp();
        // Friday 16:50 → Monday 08:05: 10 + 5 business minutes.
        assert_eq!(bh.seconds_between(at("2026-11-27T16:50:00-06:00"), at("2026-11-30T08:05:00-06:00")), 15 * 60);
        // Within one day.
        assert_eq!(bh.seconds_between(at("2026-11-24T09:00:00-06:00"), at("2026-11-24T09:07:00-06:00")), 7 * 60);
        // A Saturday wait is no business time at all.
        assert_eq!(bh.seconds_between(at("2026-11-28T09:00:00-06:00"), at("2026-11-28T18:00:00-06:00")), 0);
        // Backwards is zero, not negative.
        assert_eq!(bh.seconds_between(at("2026-11-24T09:07:00-06:00"), at("2026-11-24T09:00:00-06:00")), 0);
    }
}
