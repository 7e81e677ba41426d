//! Calendars: the days a business is closed (holidays, closures, half days), on top of its
//! weekly open hours. Business-hour clocks, `eod` and schedule layers ask a calendar whether
//! an instant is open.
//!
//! Pure: dates and instants are arguments; nothing here reads the clock.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{Issue, PathKey, parse_days, parse_hhmm};

/// `calendars:` entry in rules.yaml, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub name: String,
    /// Open days; default: `business_hours.days`.
    pub days: Option<Vec<String>>,
    /// Opening time; default: `business_hours.open`.
    pub open: Option<String>,
    /// Closing time; default: `business_hours.close`.
    pub close: Option<String>,
    /// Holidays and closures.
    #[serde(default)]
    pub closed: Vec<ClosureSpec>,
}

/// One holiday or closure, as written: a `date` or a `yearly` rule, closed all day unless
/// `open` (opens late) or `close` (closes early) make it a half day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureSpec {
    pub name: String,
    pub date: Option<String>,
    pub yearly: Option<String>,
    pub open: Option<String>,
    pub close: Option<String>,
}

/// Weekly open hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    pub days: Vec<Weekday>,
    pub open: Time,
    pub close: Time,
}

/// Which dates a closure falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRule {
    /// One date.
    On(Date),
    /// The same month and day every year (`12-25`).
    Yearly { month: i8, day: i8 },
    /// The nth (or, with -1, the last) weekday of a month every year (`4th thu nov`).
    NthWeekday { nth: i8, weekday: Weekday, month: i8 },
}

impl DateRule {
    /// The date this rule falls on in `year`, if any (Feb 29 only in leap years).
    pub fn in_year(&self, year: i16) -> Option<Date> {
        match *self {
            DateRule::On(d) => (d.year() == year).then_some(d),
            DateRule::Yearly { month, day } => Date::new(year, month, day).ok(),
            DateRule::NthWeekday { nth, weekday, month } => {
                Date::new(year, month, 1).ok()?.nth_weekday_of_month(nth, weekday).ok()
            }
        }
    }

    pub fn matches(&self, date: Date) -> bool {
        self.in_year(date.year()) == Some(date)
    }
}

/// One holiday or closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub name: String,
    pub on: DateRule,
    /// A half day that opens late.
    pub open: Option<Time>,
    /// A half day that closes early.
    pub close: Option<Time>,
}

impl Closure {
    pub fn is_half_day(&self) -> bool {
        self.open.is_some() || self.close.is_some()
    }
}

/// A named calendar: open hours (none: open around the clock) and closures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub name: String,
    pub hours: Option<Hours>,
    pub closures: Vec<Closure>,
}

impl Calendar {
    /// The closure on `date`, if any (the first listed wins).
    pub fn closure(&self, date: Date) -> Option<&Closure> {
        self.closures.iter().find(|c| c.on.matches(date))
    }

    /// Open from–until on `date` (wall clock), or `None` when closed all day.
    /// An open-around-the-clock day is `00:00`–`23:59:59.999…`.
    pub fn hours_on(&self, date: Date) -> Option<(Time, Time)> {
        let (mut open, mut close) = match &self.hours {
            Some(h) if !h.days.contains(&date.weekday()) => return None,
            Some(h) => (h.open, h.close),
            None => (Time::midnight(), Time::MAX),
        };
        if let Some(c) = self.closure(date) {
            if !c.is_half_day() {
                return None;
            }
            open = c.open.map_or(open, |o| o.max(open));
            close = c.close.map_or(close, |cl| cl.min(close));
        }
        (open < close).then_some((open, close))
    }

    /// Whether `date` has any open hours.
    pub fn is_open_day(&self, date: Date) -> bool {
        self.hours_on(date).is_some()
    }

    /// Whether the business is open at instant `at`.
    pub fn is_open_at(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let dt = at.to_zoned_datetime(tz.clone()).datetime();
        self.hours_on(dt.date()).is_some_and(|(o, c)| o <= dt.time() && dt.time() < c)
    }

    /// The first open day on or after `date` (within a year), for `eod` on a closed day.
    pub fn next_open_day(&self, date: Date) -> Option<Date> {
        let mut d = date;
        for _ in 0..366 {
            if self.is_open_day(d) {
                return Some(d);
            }
            d = d.tomorrow().ok()?;
        }
        None
    }

    /// The closures falling in `year`, by date.
    pub fn year(&self, year: i16) -> Vec<(Date, &Closure)> {
        let mut out: Vec<(Date, &Closure)> =
            self.closures.iter().filter_map(|c| c.on.in_year(year).map(|d| (d, c))).collect();
        out.sort_by_key(|(d, _)| *d);
        out.dedup_by_key(|(d, _)| *d);
        out
    }

    /// `start + window`, counting only the open hours of open days (DST-correct).
    pub fn add_open_time(&self, start: Timestamp, window: SignedDuration, tz: &TimeZone) -> Option<Timestamp> {
        let mut left = window;
        let mut date = start.to_zoned_datetime(tz.clone()).date();
        // Two years of closed days in a row is a broken calendar, not a long weekend.
        for _ in 0..740 {
            if let Some((open, close)) = self.hours_on(date) {
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

    /// The wall-clock times on `date` when this calendar opens or closes (for finding the
    /// instants where an `only_when` layer starts or stops applying).
    pub(crate) fn edges_on(&self, date: Date) -> Vec<Time> {
        match self.hours_on(date) {
            Some((o, c)) if c == Time::MAX => vec![o],
            Some((o, c)) => vec![o, c],
            None => vec![],
        }
    }
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn parse_month(s: &str) -> Option<i8> {
    let s = s.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| s.get(..3) == Some(*m))?;
    Some(i as i8 + 1)
}

/// Parse a `yearly:` value: `12-25`, `dec 25`, `4th thu nov`, `last mon of may`.
pub fn parse_yearly(s: &str) -> Option<DateRule> {
    let s = s.trim();
    if let Some((m, d)) = s.split_once('-') {
        let (month, day): (i8, i8) = (m.trim().parse().ok()?, d.trim().parse().ok()?);
        // 2024 is a leap year: Feb 29 is a valid yearly date (it falls only in leap years).
        Date::new(2024, month, day).ok()?;
        return Some(DateRule::Yearly { month, day });
    }
    let words: Vec<String> = s.split_whitespace().map(str::to_ascii_lowercase).filter(|w| w != "of").collect();
    match words.as_slice() {
        [month, day] if day.bytes().all(|b| b.is_ascii_digit()) => {
            let (month, day) = (parse_month(month)?, day.parse().ok()?);
            Date::new(2024, month, day).ok()?;
            Some(DateRule::Yearly { month, day })
        }
        [nth, weekday, month] => {
            let nth = match nth.as_str() {
                "1st" | "first" => 1,
                "2nd" | "second" => 2,
                "3rd" | "third" => 3,
                "4th" | "fourth" => 4,
                "5th" | "fifth" => 5,
                "last" => -1,
                _ => return None,
            };
            let weekday = *parse_days(std::slice::from_ref(weekday)).ok()?.first()?;
            Some(DateRule::NthWeekday { nth, weekday, month: parse_month(month)? })
        }
        _ => None,
    }
}

impl CalendarSpec {
    /// Check and compile; `default_hours` is `business_hours` when defined. Problems carry
    /// paths relative to this calendar.
    pub fn compile(&self, default_hours: Option<&Hours>) -> Result<Calendar, Vec<Issue>> {
        let mut issues = Vec::new();
        let mut issue = |path: Vec<PathKey>, message: String| issues.push(Issue { path, message });
        let days = match &self.days {
            Some(d) => match parse_days(d) {
                Ok(days) => Some(days),
                Err((i, bad)) => {
                    issue(
                        vec![PathKey::Key("days"), PathKey::Index(i)],
                        format!("`{bad}` is not a day; use mon, tue, wed, thu, fri, sat, sun"),
                    );
                    None
                }
            },
            None => default_hours.map(|h| h.days.clone()),
        };
        let mut time = |key: &'static str, v: &Option<String>, default: Option<Time>| match v {
            Some(s) => parse_hhmm(s).or_else(|| {
                issue(
                    vec![PathKey::Key(key)],
                    format!("calendar `{}`: {key} `{s}` is not a time; write it as \"08:00\"", self.name),
                );
                None
            }),
            None => default,
        };
        let open = time("open", &self.open, default_hours.map(|h| h.open));
        let close = time("close", &self.close, default_hours.map(|h| h.close));
        let hours = match (days, open, close) {
            (Some(days), Some(open), Some(close)) => {
                if open >= close {
                    issue(vec![PathKey::Key("close")], format!("calendar `{}` closes before it opens", self.name));
                }
                Some(Hours { days, open, close })
            }
            (None, None, None) => None,
            _ => {
                if self.days.is_some() || self.open.is_some() || self.close.is_some() {
                    issue(
                        vec![PathKey::Key("name")],
                        format!(
                            "calendar `{}` needs all of days, open and close (or none, to use business_hours)",
                            self.name
                        ),
                    );
                }
                None
            }
        };
        let mut closures = Vec::new();
        for (i, c) in self.closed.iter().enumerate() {
            let at = |k: &'static str| vec![PathKey::Key("closed"), PathKey::Index(i), PathKey::Key(k)];
            let on = match (&c.date, &c.yearly) {
                (Some(d), None) => match d.trim().parse::<Date>() {
                    Ok(d) => Some(DateRule::On(d)),
                    Err(_) => {
                        issue(at("date"), format!("closure `{}`: `{d}` is not a date; write it as 2026-11-26", c.name));
                        None
                    }
                },
                (None, Some(y)) => parse_yearly(y).or_else(|| {
                    issue(
                        at("yearly"),
                        format!(
                            "closure `{}`: yearly `{y}` is not a yearly date; write 12-25, \"dec 25\", \"4th thu nov\" or \"last mon may\"",
                            c.name
                        ),
                    );
                    None
                }),
                _ => {
                    issue(at("name"), format!("closure `{}` needs exactly one of `date: YYYY-MM-DD` or `yearly: MM-DD`", c.name));
                    None
                }
            };
            let mut half = |key: &'static str, v: &Option<String>| {
                v.as_ref().and_then(|s| {
                    parse_hhmm(s).or_else(|| {
                        issue(
                            at(key),
                            format!("closure `{}`: {key} `{s}` is not a time; write it as \"12:00\"", c.name),
                        );
                        None
                    })
                })
            };
            let (open, close) = (half("open", &c.open), half("close", &c.close));
            if let Some(on) = on {
                closures.push(Closure { name: c.name.clone(), on, open, close });
            }
        }
        if issues.is_empty() { Ok(Calendar { name: self.name.clone(), hours, closures }) } else { Err(issues) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn office() -> Calendar {
        let spec: CalendarSpec = serde_norway::from_str(
            r#"
name: office
closed:
  - name: Thanksgiving
    yearly: 4th thu nov
  - name: Christmas Eve
    yearly: 12-24
    close: "12:00"
  - name: Christmas Day
    yearly: dec 25
  - name: Memorial Day
    yearly: last mon of may
  - name: Inventory day
    date: 2026-12-30
"#,
        )
        .unwrap();
        let hours = Hours {
            days: vec![Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday],
            open: Time::constant(8, 0, 0, 0),
            close: Time::constant(17, 0, 0, 0),
        };
        spec.compile(Some(&hours)).unwrap()
    }

    #[test]
    fn yearly_rules_land_on_the_right_dates() {
        let cal = office();
        let days: Vec<(String, String)> =
            cal.year(2026).into_iter().map(|(d, c)| (d.to_string(), c.name.clone())).collect();
        assert_eq!(
            days,
            [
                ("2026-05-25", "Memorial Day"),
                ("2026-11-26", "Thanksgiving"),
                ("2026-12-24", "Christmas Eve"),
                ("2026-12-25", "Christmas Day"),
                ("2026-12-30", "Inventory day"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        // 2027: Thanksgiving is the 25th; the one-off date does not recur.
        assert_eq!(cal.year(2027).iter().find(|(_, c)| c.name == "Thanksgiving").unwrap().0, date(2027, 11, 25));
        assert!(cal.year(2027).iter().all(|(_, c)| c.name != "Inventory day"));
    }

    #[test]
    fn open_days_hours_and_half_days() {
        let cal = office();
        assert!(!cal.is_open_day(date(2026, 11, 26)), "Thanksgiving is closed");
        assert!(cal.is_open_day(date(2026, 11, 25)));
        assert!(!cal.is_open_day(date(2026, 11, 28)), "Saturday is closed");
        let noon = Time::constant(12, 0, 0, 0);
        assert_eq!(cal.hours_on(date(2026, 12, 24)), Some((Time::constant(8, 0, 0, 0), noon)));
        assert_eq!(cal.next_open_day(date(2026, 11, 26)), Some(date(2026, 11, 27)));
        assert_eq!(cal.next_open_day(date(2026, 11, 28)), Some(date(2026, 11, 30)));
        let tz = TimeZone::get("America/Chicago").unwrap();
        let at = |s: &str| s.parse::<crate::clock::Stamp>().unwrap().timestamp();
        assert!(cal.is_open_at(at("2026-12-24T11:59:00-06:00"), &tz));
        assert!(!cal.is_open_at(at("2026-12-24T12:00:00-06:00"), &tz));
        assert!(!cal.is_open_at(at("2026-11-26T10:00:00-06:00"), &tz));
    }

    #[test]
    fn business_clock_skips_thanksgiving() {
        let cal = office();
        let tz = TimeZone::get("America/Chicago").unwrap();
        let at = |s: &str| s.parse::<crate::clock::Stamp>().unwrap().timestamp();
        // Wednesday 16:50 + 15 business minutes: Thursday is Thanksgiving, so Friday 08:05.
        let got = cal.add_open_time(at("2026-11-25T16:50:00-06:00"), SignedDuration::from_mins(15), &tz);
        assert_eq!(got, Some(at("2026-11-27T08:05:00-06:00")));
        // Friday 16:50 + 15 business minutes = Monday 08:05; Saturday night counts from Monday.
        let got = cal.add_open_time(at("2026-11-27T16:50:00-06:00"), SignedDuration::from_mins(15), &tz);
        assert_eq!(got, Some(at("2026-11-30T08:05:00-06:00")));
        let got = cal.add_open_time(at("2026-11-28T22:00:00-06:00"), SignedDuration::from_mins(60), &tz);
        assert_eq!(got, Some(at("2026-11-30T09:00:00-06:00")));
        // Christmas Eve closes at noon: 11:30 + 60 minutes runs into the 28th (Monday).
        let got = cal.add_open_time(at("2026-12-24T11:30:00-06:00"), SignedDuration::from_mins(60), &tz);
        assert_eq!(got, Some(at("2026-12-28T08:30:00-06:00")));
    }

    #[test]
    fn bad_entries_are_named() {
        let spec: CalendarSpec = serde_norway::from_str(
            "name: x\nclosed:\n  - name: A\n    yearly: 2nd blursday nov\n  - name: B\n    date: 2026-02-30\n  - name: C\n",
        )
        .unwrap();
        let issues = spec.compile(None).unwrap_err();
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(issues[0].message.contains("blursday"));
        assert!(issues[1].message.contains("2026-02-30"));
        assert!(issues[2].message.contains("exactly one of"));
        assert!(serde_norway::from_str::<CalendarSpec>("name: x\nholidays: []\n").is_err(), "unknown keys refused");
    }

    #[test]
    fn yearly_forms() {
        assert_eq!(parse_yearly("02-29"), Some(DateRule::Yearly { month: 2, day: 29 }));
        assert_eq!(DateRule::Yearly { month: 2, day: 29 }.in_year(2027), None);
        assert_eq!(parse_yearly("first mon sep").unwrap().in_year(2026), Some(date(2026, 9, 7)));
        assert_eq!(parse_yearly("13-01"), None);
        assert_eq!(parse_yearly("jul 4").unwrap().in_year(2026), Some(date(2026, 7, 4)));
    }
}
