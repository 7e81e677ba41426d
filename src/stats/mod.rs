//! Team statistics over a period: how fast leads are reached, who lets them wait, which
//! sources turn into booked jobs, how QA answers trend; their charts (terminal and a
//! self-contained HTML page); and `simulate`, which replays history under proposed rules.
//!
//! Pure: built from leads, rules, a period and an "as of" instant. Every figure's
//! definition is in docs/stats.md; the JSON keys of `Stats` are a contract.

pub mod chart;
mod facts;
pub mod html;
pub mod simulate;

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Serialize, Serializer};

pub use facts::{BusinessHours, InWindow, LeadFacts, Wait, facts};

use crate::clock::Stamp;
use crate::lead::LeadId;
use crate::qa::{QUESTIONS, Week};
use crate::rules::{Hours, Rules};

/// Days in the default period (the last 30 days, today included).
pub const DEFAULT_DAYS: i64 = 30;

/// Rows in the "waited longest" list.
pub const SLOWEST_ROWS: usize = 10;

/// The days a statistic covers: `since` to `until` inclusive, in the workspace time zone,
/// and the instant state is taken at (now, or the period's end when it is over).
#[derive(Debug, Clone)]
pub struct Period {
    pub since: Date,
    pub until: Date,
    pub start: Timestamp,
    pub end: Timestamp,
    pub as_of: Timestamp,
}

/// The flags that choose a period (`--since`, `--until`, `--week`, `--month`).
#[derive(Debug, Clone, Default)]
pub struct PeriodSpec {
    pub since: Option<Date>,
    pub until: Option<Date>,
    pub week: Option<String>,
    pub month: Option<String>,
}

impl Period {
    /// The period the flags name; by default the last 30 days up to today.
    pub fn choose(spec: &PeriodSpec, now: Timestamp, tz: &TimeZone) -> Result<Period> {
        let today = now.to_zoned_datetime(tz.clone()).date();
        let (since, until) = match (&spec.week, &spec.month) {
            (Some(_), Some(_)) => bail!("--week and --month both name a period; give one of them"),
            (Some(w), None) => {
                let monday = Week::parse(w)?.monday;
                (monday, monday.checked_add(jiff::Span::new().days(6))?)
            }
            (None, Some(m)) => {
                let first = parse_month(m)?;
                (first, first.last_of_month())
            }
            (None, None) => {
                let back = jiff::Span::new().days(DEFAULT_DAYS - 1);
                match (spec.since, spec.until) {
                    (Some(s), Some(u)) => (s, u),
                    (Some(s), None) => (s, today.max(s)),
                    (None, Some(u)) => (u.checked_sub(back)?, u),
                    (None, None) => (today.checked_sub(back)?, today),
                }
            }
        };
        if (spec.week.is_some() || spec.month.is_some()) && (spec.since.is_some() || spec.until.is_some()) {
            bail!("--week/--month name the whole period; leave out --since and --until");
        }
        if since > until {
            bail!("--since {since} is after --until {until}; swap them");
        }
        if since > today {
            bail!("the period starts {since}, after today ({today}); statistics cover days that have begun");
        }
        let start = since.to_zoned_datetime(tz.clone())?.timestamp();
        let end = until.tomorrow()?.to_zoned_datetime(tz.clone())?.timestamp();
        Ok(Period { since, until, start, end, as_of: now.min(end) })
    }

    /// Whether an instant lies in the period and is not after its "as of" instant.
    pub fn contains(&self, t: Timestamp) -> bool {
        t >= self.start && t < self.end && t <= self.as_of
    }
}

/// `YYYY-MM` → the first of that month.
pub fn parse_month(s: &str) -> Result<Date> {
    let bad = || anyhow!("`{s}` is not a month; write it as YYYY-MM, e.g. 2026-11");
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Date::new(y, m, 1).map_err(|_| bad())
}

/// A figure: printed as an integer when whole (`7`), else with its decimals (`7.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 { write!(f, "{}", self.0 as i64) } else { write!(f, "{}", self.0) }
    }
}

/// Seconds as minutes, to one decimal.
fn minutes(secs: f64) -> Num {
    Num((secs / 6.0).round() / 10.0)
}

/// Median of sorted values: the middle one, or the mean of the two middle ones.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p` % of the
/// values at or below it, i.e. the value at rank ⌈p/100 · n⌉ (1-based).
pub fn percentile(sorted: &[i64], p: u32) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (u64::from(p) * n as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank.min(n) - 1] as f64)
}

/// Median and 90th percentile of a set of waits, in minutes.
#[derive(Debug, Clone, Serialize)]
pub struct Speed {
    pub count: usize,
    pub median_minutes: Option<Num>,
    pub p90_minutes: Option<Num>,
    pub median_business_minutes: Option<Num>,
    pub p90_business_minutes: Option<Num>,
}

impl Speed {
    pub fn of<'a>(waits: impl IntoIterator<Item = &'a Wait>) -> Speed {
        let mut wall = Vec::new();
        let mut business = Vec::new();
        for w in waits {
            wall.push(w.wall);
            business.extend(w.business);
        }
        wall.sort_unstable();
        business.sort_unstable();
        Speed {
            count: wall.len(),
            median_minutes: median(&wall).map(minutes),
            p90_minutes: percentile(&wall, 90).map(minutes),
            median_business_minutes: median(&business).map(minutes),
            p90_business_minutes: percentile(&business, 90).map(minutes),
        }
    }
}

/// A share: `count` of `total`, and their ratio (0–1, four decimals; null when total is 0).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Share {
    pub count: usize,
    pub total: usize,
    pub share: Option<Num>,
}

impl Share {
    pub fn new(count: usize, total: usize) -> Share {
        let share = (total > 0).then(|| Num((count as f64 / total as f64 * 10_000.0).round() / 10_000.0));
        Share { count, total, share }
    }
}

/// Acceptance within the SOP window, for one urgency.
#[derive(Debug, Clone, Serialize)]
pub struct UrgencyWindow {
    pub urgency: String,
    /// The window (minutes) and how it counts (`always` or `business`), from the escalation rule.
    pub window_minutes: Option<i64>,
    pub hours: Option<&'static str>,
    pub within: usize,
    pub total: usize,
    pub share: Option<Num>,
    /// Not accepted yet, window still running: not in `total`.
    pub pending: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowShare {
    pub within: usize,
    pub total: usize,
    pub share: Option<Num>,
    pub pending: usize,
    pub by_urgency: Vec<UrgencyWindow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnerStats {
    pub owner: String,
    pub name: Option<String>,
    /// Handoffs to this person in the period (assignments and transfers).
    pub handed: usize,
    pub accepted: usize,
    /// Handoff → acceptance, for this person's acceptances in the period.
    pub median_minutes_to_accept: Option<Num>,
    pub rejections: usize,
    pub transfers_out: usize,
    pub transfers_in: usize,
    /// Escalations recorded while this person owned the lead.
    pub escalations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectionRow {
    pub id: LeadId,
    pub customer: Option<String>,
    pub by: String,
    pub by_name: Option<String>,
    pub at: Stamp,
    pub reason: Option<String>,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceStats {
    pub source: String,
    pub captured: usize,
    pub open: usize,
    /// Closed leads per outcome.
    pub outcomes: BTreeMap<String, usize>,
    /// booked + won
    pub converted: usize,
    /// lost + no-response
    pub lost: usize,
    /// converted / (converted + lost)
    pub conversion: Option<Num>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QaRate {
    pub key: String,
    pub question: String,
    pub yes: usize,
    pub no: usize,
    pub yes_rate: Option<Num>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayStats {
    pub date: Date,
    pub captured: usize,
    pub accepted_in_window: Share,
}

/// A bucket of the capture → acceptance histogram.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub label: &'static str,
    pub count: usize,
}

/// A lead of the cohort that waited long for acceptance.
#[derive(Debug, Clone, Serialize)]
pub struct Slow {
    pub id: LeadId,
    pub customer: Option<String>,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub urgency: Option<String>,
    /// Capture → acceptance, or capture → now for a lead still waiting.
    pub minutes: Num,
    pub accepted: bool,
}

/// The figures of one `--by` group (leads captured in the period).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub key: String,
    pub name: Option<String>,
    pub captured: usize,
    pub speed_to_accept: Speed,
    pub speed_to_first_movement: Speed,
    pub accepted_in_window: Share,
    pub conversion: Share,
    pub escalations: usize,
}

/// What `--by` groups the cohort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Owner,
    Source,
    Urgency,
    ServiceType,
    Week,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Owner => "owner",
            By::Source => "source",
            By::Urgency => "urgency",
            By::ServiceType => "service_type",
            By::Week => "week",
        }
    }
}

/// The statistics of a period (`handoff stats --json`).
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub since: Date,
    pub until: Date,
    pub as_of: Stamp,
    pub captured: usize,
    pub speed_to_accept: Speed,
    pub speed_to_first_movement: Speed,
    pub accepted_in_window: WindowShare,
    pub next_action_at_eod: Share,
    pub escalations: usize,
    pub by_owner: Vec<OwnerStats>,
    pub rejections: Vec<RejectionRow>,
    pub by_source: Vec<SourceStats>,
    pub qa: Vec<QaRate>,
    pub daily: Vec<DayStats>,
    pub accept_histogram: Vec<Bucket>,
    pub slowest: Vec<Slow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
}

const CONVERTED: [&str; 2] = ["booked", "won"];
const LOST: [&str; 2] = ["lost", "no-response"];

/// Upper bounds (minutes, exclusive of the next) of the acceptance histogram's buckets.
const BUCKETS: [(i64, &str); 6] =
    [(5, "≤5m"), (15, "5–15m"), (30, "15–30m"), (60, "30–60m"), (240, "1–4h"), (i64::MAX, ">4h")];

fn window_share<'a>(facts: impl IntoIterator<Item = &'a LeadFacts>) -> (Share, usize) {
    let (mut within, mut total, mut pending) = (0, 0, 0);
    for f in facts {
        match f.window.as_ref().map(|w| w.result) {
            Some(InWindow::Within) => (within, total) = (within + 1, total + 1),
            Some(InWindow::Missed) => total += 1,
            Some(InWindow::Pending) => pending += 1,
            None => {}
        }
    }
    (Share::new(within, total), pending)
}

fn conversion<'a>(facts: impl IntoIterator<Item = &'a LeadFacts>) -> Share {
    let (mut won, mut decided) = (0, 0);
    for o in facts.into_iter().filter_map(|f| f.outcome.as_deref()) {
        if CONVERTED.contains(&o) {
            won += 1;
            decided += 1;
        } else if LOST.contains(&o) {
            decided += 1;
        }
    }
    Share::new(won, decided)
}

/// Order keys by a preferred list (vocabulary or staff order), the rest alphabetically.
fn ordered<T>(mut map: BTreeMap<String, T>, order: &[&str]) -> Vec<(String, T)> {
    let mut out = Vec::new();
    for k in order {
        if let Some(v) = map.remove(*k) {
            out.push(((*k).to_owned(), v));
        }
    }
    out.extend(map);
    out
}

const NONE: &str = "(none)";
const UNOWNED: &str = "(unowned)";

impl Stats {
    /// Assemble the statistics from every lead's facts.
    pub fn assemble(rules: &Rules, period: &Period, by: Option<By>, all: &[LeadFacts]) -> Stats {
        let tz = &rules.tz;
        let name = |id: &str| rules.staff(id).map(|s| s.name.clone());
        let cohort: Vec<&LeadFacts> = all.iter().filter(|f| f.in_cohort).collect();
        let vocab = |field: &str| -> Vec<&str> {
            rules.vocabulary(field).unwrap_or_default().iter().map(String::as_str).collect()
        };

        let (share, pending) = window_share(cohort.iter().copied());
        let mut per_urgency: BTreeMap<String, Vec<&LeadFacts>> = BTreeMap::new();
        for f in cohort.iter().filter(|f| f.window.is_some()) {
            per_urgency.entry(f.urgency.clone().unwrap_or_else(|| NONE.to_owned())).or_default().push(f);
        }
        let by_urgency = ordered(per_urgency, &vocab("urgency"))
            .into_iter()
            .map(|(urgency, fs)| {
                let (s, pending) = window_share(fs.iter().copied());
                // The window shown is the one most of the urgency's leads had.
                let mut windows: BTreeMap<(i64, &'static str), usize> = BTreeMap::new();
                for w in fs.iter().filter_map(|f| f.window.as_ref()) {
                    let hours = if w.hours == Hours::Business { "business" } else { "always" };
                    *windows.entry((w.window_minutes, hours)).or_default() += 1;
                }
                let common = windows.into_iter().max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k))).map(|(k, _)| k);
                UrgencyWindow {
                    urgency,
                    window_minutes: common.map(|c| c.0),
                    hours: common.map(|c| c.1),
                    within: s.count,
                    total: s.total,
                    share: s.share,
                    pending,
                }
            })
            .collect();

        let (eod_with, eod_open) = all.iter().fold((0, 0), |(w, o), f| (w + f.eod_with_action, o + f.eod_open));

        let mut owners: BTreeMap<String, (OwnerStats, Vec<i64>)> = BTreeMap::new();
        fn entry<'m>(
            owners: &'m mut BTreeMap<String, (OwnerStats, Vec<i64>)>,
            rules: &Rules,
            id: &str,
        ) -> &'m mut (OwnerStats, Vec<i64>) {
            owners.entry(id.to_owned()).or_insert_with(|| {
                let stats = OwnerStats {
                    owner: id.to_owned(),
                    name: rules.staff(id).map(|s| s.name.clone()),
                    handed: 0,
                    accepted: 0,
                    median_minutes_to_accept: None,
                    rejections: 0,
                    transfers_out: 0,
                    transfers_in: 0,
                    escalations: 0,
                };
                (stats, Vec::new())
            })
        }
        let mut rejections = Vec::new();
        let mut escalations = 0;
        for f in all {
            for to in &f.handed {
                entry(&mut owners, rules, to).0.handed += 1;
            }
            for (by, secs) in &f.accepted {
                let o = entry(&mut owners, rules, by);
                o.0.accepted += 1;
                o.1.push(*secs);
            }
            for r in &f.rejections {
                entry(&mut owners, rules, &r.by).0.rejections += 1;
                rejections.push(RejectionRow {
                    id: f.id.clone(),
                    customer: f.customer.clone(),
                    by: r.by.clone(),
                    by_name: name(&r.by),
                    at: r.at,
                    reason: r.reason.clone(),
                    missing: r.missing.clone(),
                });
            }
            for (from, to) in &f.transfers {
                if let Some(from) = from {
                    entry(&mut owners, rules, from).0.transfers_out += 1;
                }
                if let Some(to) = to {
                    entry(&mut owners, rules, to).0.transfers_in += 1;
                }
            }
            for (who, _) in &f.escalations {
                escalations += 1;
                entry(&mut owners, rules, who.as_deref().unwrap_or(UNOWNED)).0.escalations += 1;
            }
        }
        rejections.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let by_owner = ordered(owners, &rules.staff_ids())
            .into_iter()
            .map(|(_, (mut o, mut secs))| {
                secs.sort_unstable();
                o.median_minutes_to_accept = median(&secs).map(minutes);
                o
            })
            .collect();

        let mut sources: BTreeMap<String, Vec<&LeadFacts>> = BTreeMap::new();
        for f in &cohort {
            sources.entry(f.source.clone().unwrap_or_else(|| NONE.to_owned())).or_default().push(f);
        }
        let by_source = ordered(sources, &vocab("source"))
            .into_iter()
            .map(|(source, fs)| {
                let mut outcomes = BTreeMap::new();
                for o in fs.iter().filter_map(|f| f.outcome.as_deref()) {
                    *outcomes.entry(o.to_owned()).or_insert(0) += 1;
                }
                let c = conversion(fs.iter().copied());
                SourceStats {
                    source,
                    captured: fs.len(),
                    open: fs.iter().filter(|f| f.outcome.is_none()).count(),
                    outcomes,
                    converted: c.count,
                    lost: c.total - c.count,
                    conversion: c.share,
                }
            })
            .collect();

        let mut answers: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (k, yes) in all.iter().flat_map(|f| &f.qa) {
            if let Some((key, _)) = QUESTIONS.iter().find(|(q, _)| q == k) {
                let e = answers.entry(key).or_default();
                if *yes { e.0 += 1 } else { e.1 += 1 }
            }
        }
        let qa = QUESTIONS
            .iter()
            .map(|(key, question)| {
                let (yes, no) = answers.get(key).copied().unwrap_or_default();
                QaRate {
                    key: (*key).to_owned(),
                    question: (*question).to_owned(),
                    yes,
                    no,
                    yes_rate: Share::new(yes, yes + no).share,
                }
            })
            .collect();

        let mut daily = Vec::new();
        let mut date = period.since;
        while date <= period.until {
            let day: Vec<&LeadFacts> = cohort.iter().copied().filter(|f| f.day == date).collect();
            daily.push(DayStats { date, captured: day.len(), accepted_in_window: window_share(day).0 });
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => break,
            }
        }

        let mut accept_histogram: Vec<Bucket> = BUCKETS.iter().map(|(_, label)| Bucket { label, count: 0 }).collect();
        for w in cohort.iter().filter_map(|f| f.to_accept) {
            let m = w.wall / 60;
            let i = BUCKETS.iter().position(|(max, _)| m <= *max).unwrap_or(BUCKETS.len() - 1);
            accept_histogram[i].count += 1;
        }

        let mut slowest: Vec<Slow> = cohort
            .iter()
            .filter_map(|f| {
                let (secs, accepted) = match (f.to_accept, f.waiting) {
                    (Some(w), _) => (w.wall, true),
                    (None, Some(_)) => (period.as_of.duration_since(f.created_at.timestamp()).as_secs(), false),
                    (None, None) => return None,
                };
                Some(Slow {
                    id: f.id.clone(),
                    customer: f.customer.clone(),
                    owner: f.owner.clone(),
                    owner_name: f.owner.as_deref().and_then(name),
                    urgency: f.urgency.clone(),
                    minutes: minutes(secs as f64),
                    accepted,
                })
            })
            .collect();
        slowest.sort_by(|a, b| b.minutes.0.total_cmp(&a.minutes.0).then(a.id.cmp(&b.id)));
        slowest.truncate(SLOWEST_ROWS);

        let groups = by.map(|by| {
            let mut map: BTreeMap<String, Vec<&LeadFacts>> = BTreeMap::new();
            for f in &cohort {
                let key = match by {
                    By::Owner => f.owner.clone().unwrap_or_else(|| UNOWNED.to_owned()),
                    By::Source => f.source.clone().unwrap_or_else(|| NONE.to_owned()),
                    By::Urgency => f.urgency.clone().unwrap_or_else(|| NONE.to_owned()),
                    By::ServiceType => f.service_type.clone().unwrap_or_else(|| NONE.to_owned()),
                    By::Week => f.week.clone(),
                };
                map.entry(key).or_default().push(f);
            }
            let order = match by {
                By::Owner => rules.staff_ids(),
                By::Source => vocab("source"),
                By::Urgency => vocab("urgency"),
                By::ServiceType => vocab("service_type"),
                By::Week => Vec::new(),
            };
            ordered(map, &order)
                .into_iter()
                .map(|(key, fs)| Group {
                    name: if by == By::Owner { name(&key) } else { None },
                    captured: fs.len(),
                    speed_to_accept: Speed::of(fs.iter().filter_map(|f| f.to_accept.as_ref())),
                    speed_to_first_movement: Speed::of(fs.iter().filter_map(|f| f.to_first_movement.as_ref())),
                    accepted_in_window: window_share(fs.iter().copied()).0,
                    conversion: conversion(fs.iter().copied()),
                    escalations: fs.iter().map(|f| f.escalations.len()).sum(),
                    key,
                })
                .collect()
        });

        Stats {
            since: period.since,
            until: period.until,
            as_of: Stamp::from_zoned(&period.as_of.to_zoned_datetime(tz.clone())),
            captured: cohort.len(),
            speed_to_accept: Speed::of(cohort.iter().filter_map(|f| f.to_accept.as_ref())),
            speed_to_first_movement: Speed::of(cohort.iter().filter_map(|f| f.to_first_movement.as_ref())),
            accepted_in_window: WindowShare {
                within: share.count,
                total: share.total,
                share: share.share,
                pending,
                by_urgency,
            },
            next_action_at_eod: Share::new(eod_with, eod_open),
            escalations,
            by_owner,
            rejections,
            by_source,
            qa,
            daily,
            accept_histogram,
            slowest,
            by,
            groups,
        }
    }
}

#[cfg(test)]
mod tests;
