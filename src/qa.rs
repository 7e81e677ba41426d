//! The weekly QA review of the SOP: which handoffs to sample, and the evidence each record
//! already holds for the five questions. Pure.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use jiff::Timestamp;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::clock::Stamp;
use crate::lead::{EventKind, Lead, LeadId};
use crate::phone;
use crate::rules::{ClockKind, Rules};

/// The SOP's five questions, in its order: (key, question).
pub const QUESTIONS: [(&str, &str); 5] = [
    ("owner-correct", "Was the owner assignment correct?"),
    ("notes-sufficient", "Were the notes sufficient?"),
    ("waited-too-long", "Did the lead wait too long before action?"),
    ("customer-repeated", "Did the customer have to repeat themselves?"),
    ("outcome-matched", "Did the final outcome match the urgency and source quality?"),
];

/// The answer that flags a handoff for attention, per question.
pub fn is_bad(key: &str, yes: bool) -> bool {
    match key {
        "waited-too-long" | "customer-repeated" => yes,
        _ => !yes,
    }
}

/// An ISO week (`2026-W48`) in the workspace time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub monday: Date,
}

impl Week {
    pub fn parse(s: &str) -> Result<Week> {
        let bad = || anyhow!("`{s}` is not an ISO week; write it as YYYY-Www, e.g. 2026-W48");
        let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
        let (year, week): (i16, i8) = (year.parse().map_err(|_| bad())?, week.parse().map_err(|_| bad())?);
        let monday = ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| bad())?.date();
        Ok(Week { monday })
    }

    pub fn of(date: Date) -> Week {
        let iso = date.iso_week_date();
        let monday = ISOWeekDate::new(iso.year(), iso.week(), Weekday::Monday).map_or(date, ISOWeekDate::date);
        Week { monday }
    }

    /// `[Monday 00:00, next Monday 00:00)` in `tz`.
    pub fn span(&self, tz: &TimeZone) -> Result<(Timestamp, Timestamp)> {
        let start = self.monday.to_zoned_datetime(tz.clone())?.timestamp();
        let end = self.monday.checked_add(jiff::Span::new().days(7))?.to_zoned_datetime(tz.clone())?.timestamp();
        Ok((start, end))
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let iso = self.monday.iso_week_date();
        write!(f, "{}-W{:02}", iso.year(), iso.week())
    }
}

/// A handoff accepted in the week: the sampling unit.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub id: LeadId,
    pub owner: String,
    pub urgency: Option<String>,
    pub source: Option<String>,
    pub accepted_at: Stamp,
}

/// The candidate for `lead` in the week: its latest acceptance in the week, unless the
/// lead was already reviewed for that week.
pub fn candidate(lead: &Lead, week: &str, start: Timestamp, end: Timestamp) -> Option<Candidate> {
    if lead.history.iter().any(|e| e.event == EventKind::QaReview && e.week.as_deref() == Some(week)) {
        return None;
    }
    let accepted = lead
        .history
        .iter()
        .rev()
        .find(|e| e.event == EventKind::Accepted && e.at.timestamp() >= start && e.at.timestamp() < end)?;
    Some(Candidate {
        id: lead.id.clone(),
        owner: accepted.by.clone(),
        urgency: lead.urgency.clone(),
        source: lead.source.clone(),
        accepted_at: accepted.at,
    })
}

/// SplitMix64 over a string: a stable, seeded shuffle key.
fn key(seed: u64, s: &str) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Draw `size` candidates (all when fewer), deterministically for the same candidates,
/// week and seed. Every owner appears before any appears twice, then urgencies spread.
pub fn sample(mut pool: Vec<Candidate>, size: usize, week: &str, seed: u64) -> Vec<Candidate> {
    let seed = key(seed, week);
    pool.sort_by_key(|c| (key(seed, c.id.as_str()), c.id.clone()));
    let mut picked: Vec<Candidate> = Vec::new();
    let mut by_owner: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_urgency: BTreeMap<Option<String>, usize> = BTreeMap::new();
    while picked.len() < size && !pool.is_empty() {
        let (i, _) = pool
            .iter()
            .enumerate()
            .min_by_key(|(i, c)| {
                (by_owner.get(&c.owner).copied().unwrap_or(0), by_urgency.get(&c.urgency).copied().unwrap_or(0), *i)
            })
            .expect("pool is not empty");
        let c = pool.remove(i);
        *by_owner.entry(c.owner.clone()).or_insert(0) += 1;
        *by_urgency.entry(c.urgency.clone()).or_insert(0) += 1;
        picked.push(c);
    }
    picked
}

/// Another lead's phone and capture time, for the "repeated themselves" evidence.
#[derive(Debug, Clone)]
pub struct PhoneSeen {
    pub digits: String,
    pub id: LeadId,
    pub created_at: Timestamp,
}

fn hm(minutes: i64) -> String {
    if minutes < 60 { format!("{minutes} min") } else { format!("{}h{:02}m", minutes / 60, minutes % 60) }
}

/// The evidence lines for the five questions, keyed by question key.
pub fn evidence(rules: &Rules, lead: &Lead, phones: &[PhoneSeen]) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    let tz = &rules.tz;
    let time = |s: &Stamp| s.in_zone(tz).strftime("%a %H:%M").to_string();

    // 1. Owner: what routing would pick today vs who got it, and how it moved.
    let routed = match rules.routing_rule(lead) {
        Some(r) => match (&r.to, &r.pool) {
            (Some(to), _) => format!("routing today: rule {} → {to}", r.name),
            (None, Some(pool)) => format!("routing today: rule {} → pool [{}]", r.name, pool.join(", ")),
            _ => format!("routing today: rule {}", r.name),
        },
        None => "routing today: no rule matches".to_owned(),
    };
    let chain: Vec<String> = lead
        .history
        .iter()
        .filter_map(|e| match e.event {
            EventKind::Assigned => Some(format!(
                "assigned to {} by {}{}",
                e.to.as_deref().unwrap_or("?"),
                e.by,
                e.rule.as_ref().map(|r| format!(" (rule {r})")).unwrap_or_default()
            )),
            EventKind::Transferred => Some(format!(
                "transferred {} → {} ({})",
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?"),
                e.reason.as_deref().unwrap_or("")
            )),
            _ => None,
        })
        .collect();
    out.insert(
        "owner-correct",
        format!("{routed}; actual owner: {}; {}", lead.owner.as_deref().unwrap_or("none"), chain.join("; ")),
    );

    // 2. Notes: missing-data rejections, fields filled later, size of the notes.
    let rejections: Vec<String> = lead
        .history
        .iter()
        .filter(|e| e.event == EventKind::Rejected)
        .map(|e| {
            let missing =
                if e.missing.is_empty() { String::new() } else { format!(", missing {}", e.missing.join(", ")) };
            format!("{} rejected: \"{}\"{missing}", e.by, e.reason.as_deref().unwrap_or(""))
        })
        .collect();
    let filled: Vec<String> = lead
        .history
        .iter()
        .filter(|e| e.event == EventKind::Updated)
        .map(|e| format!("{} at {}", e.changed.join(", "), time(&e.at)))
        .collect();
    let captured_missing = lead.history.first().map(|e| e.missing.clone()).unwrap_or_default();
    out.insert(
        "notes-sufficient",
        format!(
            "{} missing-data rejection{}{}; captured incomplete: {}; fields filled later: {}; notes {} chars",
            rejections.len(),
            if rejections.len() == 1 { "" } else { "s" },
            if rejections.is_empty() { String::new() } else { format!(" ({})", rejections.join("; ")) },
            if captured_missing.is_empty() { "no".to_owned() } else { captured_missing.join(", ") },
            if filled.is_empty() { "none".to_owned() } else { filled.join("; ") },
            lead.notes.as_deref().map_or(0, |n| n.chars().count()),
        ),
    );

    // 3. Waiting: capture to acceptance against the acceptance window; escalations fired.
    let accepted = lead.history.iter().find(|e| e.event == EventKind::Accepted);
    let window = rules.escalation.iter().find(|r| {
        matches!(r.clock, ClockKind::Capture | ClockKind::Assignment)
            && r.status.contains(&crate::lead::Status::Assigned)
            && r.when.admits(lead)
            && !r.unless.excludes(lead)
    });
    let wait = match accepted {
        Some(a) => {
            let minutes = lead.created_at.minutes_until(a.at.timestamp());
            match window {
                Some(w) => {
                    let limit = w.window().as_secs() / 60;
                    let verdict =
                        if minutes > limit { format!("over by {}", hm(minutes - limit)) } else { "within".to_owned() };
                    format!("capture → acceptance {} (window {} of rule {}: {verdict})", hm(minutes), w.after, w.name)
                }
                None => format!("capture → acceptance {} (no acceptance window applies)", hm(minutes)),
            }
        }
        None => "not accepted".to_owned(),
    };
    let escalations: Vec<String> = lead
        .history
        .iter()
        .filter(|e| e.event == EventKind::Escalated)
        .map(|e| {
            format!("{} → {} at {}", e.rule.as_deref().unwrap_or("?"), e.to.as_deref().unwrap_or("?"), time(&e.at))
        })
        .collect();
    out.insert(
        "waited-too-long",
        format!(
            "{wait}; escalations: {}",
            if escalations.is_empty() { "none".to_owned() } else { escalations.join("; ") }
        ),
    );

    // 4. Repeats: rejections, the same phone on other recent leads, notes edited after acceptance.
    let digits = lead.primary_phone.as_deref().map(phone::digits).unwrap_or_default();
    let since =
        lead.created_at.timestamp().checked_sub(jiff::SignedDuration::from_hours(30 * 24)).unwrap_or(Timestamp::MIN);
    let mut same: Vec<String> = phones
        .iter()
        .filter(|p| {
            !digits.is_empty()
                && phone::same_number(&p.digits, &digits)
                && p.id != lead.id
                && p.created_at >= since
                && p.created_at <= lead.created_at.timestamp()
        })
        .map(|p| p.id.to_string())
        .collect();
    same.sort();
    let notes_after = accepted.is_some_and(|a| {
        lead.history
            .iter()
            .any(|e| e.at > a.at && e.event == EventKind::Updated && e.changed.iter().any(|c| c == "notes"))
    });
    out.insert(
        "customer-repeated",
        format!(
            "{} rejection{}; same phone on other leads in the prior 30 days: {}; notes updated after acceptance: {}",
            rejections.len(),
            if rejections.len() == 1 { "" } else { "s" },
            if same.is_empty() { "none".to_owned() } else { same.join(", ") },
            if notes_after { "yes" } else { "no" }
        ),
    );

    // 5. Outcome against urgency, source and fit.
    let outcome = match lead.last_event(EventKind::Closed) {
        Some(c) => format!("outcome {} ({})", c.outcome.as_deref().unwrap_or("?"), time(&c.at)),
        None => format!("still open ({})", lead.status),
    };
    out.insert(
        "outcome-matched",
        format!(
            "{outcome}; urgency {}, source {}, fit {}",
            lead.urgency.as_deref().unwrap_or("-"),
            lead.source.as_deref().unwrap_or("-"),
            lead.fit.as_deref().unwrap_or("-")
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_and_print() {
        let w = Week::parse("2026-W48").unwrap();
        assert_eq!(w.monday, Date::constant(2026, 11, 23));
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(Week::of(Date::constant(2026, 11, 29)), w);
        assert!(Week::parse("2026-48").is_err());
        assert!(Week::parse("2026-W54").is_err());
    }
}
