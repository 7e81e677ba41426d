//! On-call schedules: who is on duty at an instant, the hand-overs ahead, and the gaps.
//!
//! A schedule (rules.yaml `schedules:`) is a stack of layers; each layer is a rotation of
//! members taking turns of a fixed length (`1w`, `1d`, `12h`) from a first hand-over, and may
//! be restricted to days and hours, or to when a calendar is open or closed. At any instant
//! the last layer that applies wins; an override (committed in `oncall.yaml`) beats every
//! layer; someone away or inactive is skipped (their away backup covers when named, else the
//! layers below show through). Turns are counted in wall-clock time, so an `08:00` hand-over
//! stays at 08:00 across daylight-saving changes.
//!
//! Pure: the instant, the zone, the calendars and the committed overrides/away periods are
//! arguments (a [`Roster`]); nothing here reads the clock or a file.

pub mod calendar;
pub mod duty;
pub mod ics;

use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer};

pub use calendar::{Calendar, CalendarSpec, Hours};
pub use duty::{Away, Duty, Override};

/// The prefix of a rule target that names a schedule: `to: oncall:field`.
pub const TARGET_PREFIX: &str = "oncall:";

/// The schedule a rule target names, if it is an `oncall:NAME` target.
pub fn schedule_target(target: &str) -> Option<&str> {
    target.strip_prefix(TARGET_PREFIX)
}

/// A problem found in a schedule or calendar, with its key path relative to that entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: Vec<PathKey>,
    pub message: String,
}

/// One step of an [`Issue`]'s path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKey {
    Key(&'static str),
    Index(usize),
}

/// `HH:MM` wall-clock time.
pub fn parse_hhmm(s: &str) -> Option<Time> {
    crate::clock::parse_hhmm(s)
}

/// Day names (`mon` … `sun`, or longer); on error the index and value of the bad one.
pub fn parse_days(list: &[String]) -> Result<Vec<Weekday>, (usize, String)> {
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(match d.to_ascii_lowercase().get(..3) {
                Some("mon") => Weekday::Monday,
                Some("tue") => Weekday::Tuesday,
                Some("wed") => Weekday::Wednesday,
                Some("thu") => Weekday::Thursday,
                Some("fri") => Weekday::Friday,
                Some("sat") => Weekday::Saturday,
                Some("sun") => Weekday::Sunday,
                _ => return Err((i, d.clone())),
            })
        })
        .collect()
}

/// A turn length such as `1w`, `1d`, `12h`, `30m` (jiff's friendly or ISO 8601 duration),
/// as wall-clock time: a day is 24 wall-clock hours whatever daylight saving does.
pub fn parse_turn(s: &str) -> Option<SignedDuration> {
    let d = crate::clock::parse_window(s)?;
    (d.as_secs() >= 60 && d.subsec_nanos() == 0).then_some(d)
}

/// `rules.yaml` `schedules:` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    pub name: String,
    pub description: Option<String>,
    pub layers: Vec<LayerSpec>,
}

/// One layer (a rotation), as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    pub name: String,
    /// Staff ids taking turns, in order.
    pub members: Vec<String>,
    /// The first hand-over: `2026-11-02` (with `handover`) or `"2026-11-02 08:00"`.
    pub start: String,
    /// Wall-clock time of every hand-over, `"08:00"`.
    pub handover: Option<String>,
    /// Turn length: `1w`, `1d`, `12h`.
    pub turn: String,
    /// When the layer stops (a replaced rotation): `2027-01-04` or `"2027-01-04 08:00"`.
    pub end: Option<String>,
    /// Windows the layer covers (any of them); none: around the clock.
    #[serde(default, deserialize_with = "one_or_many")]
    pub restrict: Vec<WindowSpec>,
    /// Cover only while the calendar is `open`, or only while it is `closed`.
    pub only_when: Option<OnlyWhen>,
    /// The calendar `only_when` asks; default: the business calendar.
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnlyWhen {
    Open,
    Closed,
}

/// A restriction window, as written: `days: [sat, sun]` and/or `hours: "17:00-08:00"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub days: Option<Vec<String>>,
    pub hours: Option<String>,
}

/// Accept one map or a list of maps.
fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
    })
}

/// A window of days and wall-clock hours. `from == until` covers whole days; `from > until`
/// runs past midnight and belongs to the day it starts on (`fri 17:00-08:00` is Friday night).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub days: Vec<Weekday>,
    pub from: Time,
    pub until: Time,
}

impl Window {
    pub fn contains(&self, dt: DateTime) -> bool {
        let on = |d: Date| self.days.contains(&d.weekday());
        let t = dt.time();
        if self.from == self.until {
            on(dt.date())
        } else if self.from < self.until {
            on(dt.date()) && self.from <= t && t < self.until
        } else {
            (t >= self.from && on(dt.date())) || (t < self.until && dt.date().yesterday().is_ok_and(on))
        }
    }
}

/// A checked layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub name: String,
    pub members: Vec<String>,
    /// First hand-over, wall clock.
    pub first: DateTime,
    /// Turn length in wall-clock time.
    pub turn: SignedDuration,
    pub end: Option<DateTime>,
    pub windows: Vec<Window>,
    /// `only_when` with the calendar it asks.
    pub only_when: Option<(OnlyWhen, String)>,
}

/// A checked schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    pub description: Option<String>,
    pub layers: Vec<Layer>,
}

/// Where an on-call answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An override, by its number in `oncall.yaml`.
    Override(u32),
    /// A layer, by name.
    Layer(String),
}

impl Source {
    /// `override` or the layer's name (the JSON `source`).
    pub fn label(&self) -> &str {
        match self {
            Source::Override(_) => "override",
            Source::Layer(name) => name,
        }
    }
}

/// Who is on call, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    pub who: String,
    pub source: Source,
    /// The person this one covers for as their away backup.
    pub covering_for: Option<String>,
}

/// Someone passed over, and why (`away until …`, `inactive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub who: String,
    pub why: String,
}

/// The answer for one instant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    pub on_call: Option<OnCall>,
    pub skipped: Vec<Skipped>,
}

/// How far [`Schedule::overview`] and [`Schedule::whole_shifts`] look for a shift's ends.
pub const REACH: SignedDuration = SignedDuration::from_hours(35 * 24);

/// [`Schedule::overview`]: who is on call at an instant, until when, and what comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub resolution: Resolution,
    /// End of the current shift, when it ends within [`REACH`].
    pub until: Option<Timestamp>,
    pub handovers: Vec<Shift>,
}

/// A stretch of time with one answer: who is on call from `start` until `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub start: Timestamp,
    pub end: Timestamp,
    pub on_call: Option<OnCall>,
}

/// Why someone cannot take work at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable<'a> {
    Inactive,
    Away(&'a Away),
}

impl fmt::Display for Unavailable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Inactive => f.write_str("inactive"),
            Unavailable::Away(a) => {
                write!(f, "away until {}", a.until)?;
                if let Some(r) = &a.reason {
                    write!(f, " ({r})")?;
                }
                Ok(())
            }
        }
    }
}

/// Everything beyond the schedule itself that decides who is on call.
#[derive(Debug, Clone, Copy)]
pub struct Roster<'a> {
    pub tz: &'a TimeZone,
    pub calendars: &'a [Calendar],
    pub duty: &'a Duty,
    /// Staff ids with `active: false`.
    pub inactive: &'a [String],
}

impl<'a> Roster<'a> {
    /// Why `who` cannot take work at `at`, or `None` when they can.
    pub fn unavailable(&self, who: &str, at: Timestamp) -> Option<Unavailable<'a>> {
        if self.inactive.iter().any(|s| s == who) {
            return Some(Unavailable::Inactive);
        }
        self.duty.away_at(who, at).map(Unavailable::Away)
    }

    fn calendar(&self, name: &str) -> Option<&'a Calendar> {
        self.calendars.iter().find(|c| c.name == name)
    }

    /// `who` if available, else their away backup if that one is available.
    fn cover(&self, who: &str, at: Timestamp, skipped: &mut Vec<Skipped>) -> Option<(String, Option<String>)> {
        let why = match self.unavailable(who, at) {
            None => return Some((who.to_owned(), None)),
            Some(why) => why,
        };
        skipped.push(Skipped { who: who.to_owned(), why: why.to_string() });
        if let Unavailable::Away(Away { backup: Some(backup), .. }) = why {
            match self.unavailable(backup, at) {
                None => return Some((backup.clone(), Some(who.to_owned()))),
                Some(w) => skipped.push(Skipped { who: backup.clone(), why: format!("{w} (backup for {who})") }),
            }
        }
        None
    }
}

fn to_instant(dt: DateTime, tz: &TimeZone) -> Option<Timestamp> {
    dt.to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp())
}

impl Layer {
    /// The instant of hand-over `k` (0 is the first).
    pub fn boundary(&self, k: i64, tz: &TimeZone) -> Option<Timestamp> {
        let offset = SignedDuration::from_secs(self.turn.as_secs().checked_mul(k)?);
        to_instant(self.first.checked_add(offset).ok()?, tz)
    }

    /// The turn running at `at` (0 from the first hand-over), or `None` before the layer
    /// starts or after it ends.
    pub fn turn_at(&self, at: Timestamp, tz: &TimeZone) -> Option<i64> {
        if at < self.boundary(0, tz)? || self.end.and_then(|e| to_instant(e, tz)).is_some_and(|e| at >= e) {
            return None;
        }
        let wall = at.to_zoned_datetime(tz.clone()).datetime();
        let mut k = self.first.duration_until(wall).as_secs().div_euclid(self.turn.as_secs());
        // Wall-clock arithmetic is off by one turn at most near a daylight-saving fold.
        while self.boundary(k + 1, tz).is_some_and(|b| b <= at) {
            k += 1;
        }
        while k > 0 && self.boundary(k, tz).is_some_and(|b| b > at) {
            k -= 1;
        }
        Some(k)
    }

    /// Roughly the turn running at `at`, ignoring the layer's start and end (0 before it).
    fn turn_estimate(&self, at: Timestamp, tz: &TimeZone) -> i64 {
        let wall = at.to_zoned_datetime(tz.clone()).datetime();
        (self.first.duration_until(wall).as_secs().div_euclid(self.turn.as_secs()) - 1).max(0)
    }

    /// The member whose turn `k` is.
    pub fn member(&self, k: i64) -> Option<&str> {
        let n = self.members.len() as i64;
        (n > 0).then(|| self.members[k.rem_euclid(n) as usize].as_str())
    }

    /// Whether the layer covers `at` (started, not ended, inside its restrictions).
    fn applies(&self, at: Timestamp, roster: &Roster) -> Option<i64> {
        let k = self.turn_at(at, roster.tz)?;
        let wall = at.to_zoned_datetime(roster.tz.clone()).datetime();
        if !self.windows.is_empty() && !self.windows.iter().any(|w| w.contains(wall)) {
            return None;
        }
        if let Some((when, cal)) = &self.only_when {
            let open = roster.calendar(cal).is_some_and(|c| c.is_open_at(at, roster.tz));
            if open != (*when == OnlyWhen::Open) {
                return None;
            }
        }
        Some(k)
    }
}

impl Schedule {
    /// Who is on call at `at`: an override beats the layers (the latest override wins), a
    /// later layer beats an earlier one where it applies, and unavailable people are skipped.
    pub fn resolve(&self, roster: &Roster, at: Timestamp) -> Resolution {
        let mut skipped = Vec::new();
        for o in roster.duty.overrides.iter().rev() {
            if o.schedule == self.name
                && o.from.timestamp() <= at
                && at < o.until.timestamp()
                && let Some((who, covering_for)) = roster.cover(&o.who, at, &mut skipped)
            {
                let on_call = OnCall { who, source: Source::Override(o.id), covering_for };
                return Resolution { on_call: Some(on_call), skipped };
            }
        }
        for layer in self.layers.iter().rev() {
            let Some(k) = layer.applies(at, roster) else { continue };
            let Some(member) = layer.member(k) else { continue };
            if let Some((who, covering_for)) = roster.cover(member, at, &mut skipped) {
                let on_call = OnCall { who, source: Source::Layer(layer.name.clone()), covering_for };
                return Resolution { on_call: Some(on_call), skipped };
            }
        }
        Resolution { on_call: None, skipped }
    }

    /// The instants in `(from, until)` where the answer may change.
    fn edges(&self, roster: &Roster, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
        let tz = roster.tz;
        let mut out = Vec::new();
        let first_day = from.to_zoned_datetime(tz.clone()).date().yesterday().ok();
        let last_day = until.to_zoned_datetime(tz.clone()).date();
        let mut days = Vec::new();
        let mut d = first_day;
        while let Some(day) = d.filter(|day| *day <= last_day) {
            days.push(day);
            d = day.tomorrow().ok();
        }
        for layer in &self.layers {
            let mut k = layer.turn_at(from, tz).unwrap_or_else(|| layer.turn_estimate(from, tz));
            while let Some(b) = layer.boundary(k, tz) {
                if b >= until {
                    break;
                }
                out.push(b);
                k += 1;
            }
            out.extend(layer.end.and_then(|e| to_instant(e, tz)));
            let times: Vec<Time> = layer.windows.iter().flat_map(|w| [w.from, w.until]).collect();
            let cal = layer.only_when.as_ref().and_then(|(_, name)| roster.calendar(name));
            for day in &days {
                let mut on_day = times.clone();
                if let Some(cal) = cal {
                    on_day.push(Time::midnight());
                    on_day.extend(cal.edges_on(*day));
                }
                out.extend(on_day.into_iter().filter_map(|t| to_instant(day.to_datetime(t), tz)));
            }
        }
        for o in roster.duty.overrides.iter().filter(|o| o.schedule == self.name) {
            out.extend([o.from.timestamp(), o.until.timestamp()]);
        }
        for a in &roster.duty.away {
            out.extend([a.from.timestamp(), a.until.timestamp()]);
        }
        out.retain(|t| *t > from && *t < until);
        out.sort();
        out.dedup();
        out
    }

    /// The shifts from `from` until `until`, consecutive and merged where the answer stays
    /// the same (the first starts at `from`, the last ends at `until`).
    pub fn shifts(&self, roster: &Roster, from: Timestamp, until: Timestamp) -> Vec<Shift> {
        let mut out: Vec<Shift> = Vec::new();
        if from >= until {
            return out;
        }
        let mut starts = vec![from];
        starts.extend(self.edges(roster, from, until));
        for start in starts {
            let on_call = self.resolve(roster, start).on_call;
            match out.last_mut() {
                Some(last) if last.on_call == on_call => {}
                Some(last) => {
                    last.end = start;
                    out.push(Shift { start, end: until, on_call });
                }
                None => out.push(Shift { start, end: until, on_call }),
            }
        }
        out
    }

    /// One schedule at a glance: the answer at `at`, when that shift ends (looking up to
    /// [`REACH`] ahead), and the hand-overs before `until`.
    pub fn overview(&self, roster: &Roster, at: Timestamp, until: Timestamp) -> Overview {
        let resolution = self.resolve(roster, at);
        let ahead = self.shifts(roster, at, at.checked_add(REACH).unwrap_or(until).max(until));
        let shift_end = ahead.first().filter(|_| ahead.len() > 1).map(|s| s.end);
        let handovers = ahead.into_iter().skip(1).filter(|s| s.start < until).collect();
        Overview { resolution, until: shift_end, handovers }
    }

    /// The whole shifts overlapping `from..until`, unclipped (their true starts and ends,
    /// looking up to [`REACH`] either side), so a feed's events keep the same start — and
    /// UID — whenever it is exported.
    pub fn whole_shifts(&self, roster: &Roster, from: Timestamp, until: Timestamp) -> Vec<Shift> {
        let (wide_from, wide_until) =
            (from.checked_sub(REACH).unwrap_or(from), until.checked_add(REACH).unwrap_or(until));
        self.shifts(roster, wide_from, wide_until).into_iter().filter(|s| s.end > from && s.start < until).collect()
    }

    /// The stretches in `from..until` when nobody is on call.
    pub fn gaps(&self, roster: &Roster, from: Timestamp, until: Timestamp) -> Vec<Shift> {
        self.shifts(roster, from, until).into_iter().filter(|s| s.on_call.is_none()).collect()
    }
}

/// Parse `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` (a `T` may stand for the space).
fn parse_wall(s: &str) -> Option<(Date, Option<Time>)> {
    let s = s.trim();
    match s.split_once([' ', 'T']) {
        Some((d, t)) => Some((d.parse().ok()?, Some(parse_hhmm(t)?))),
        None => Some((s.parse().ok()?, None)),
    }
}

impl ScheduleSpec {
    /// Check and compile. `staff` are the known staff ids, `calendars` the known calendar
    /// names, `default_calendar` the business calendar for `only_when` without `calendar`.
    pub fn compile(
        &self,
        staff: &[&str],
        calendars: &[&str],
        default_calendar: Option<&str>,
    ) -> Result<Schedule, Vec<Issue>> {
        let mut issues = Vec::new();
        let name = &self.name;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            issues.push(Issue {
                path: vec![PathKey::Key("name")],
                message: format!(
                    "schedule name `{name}` must be letters, digits, '-' or '_' (it is written `oncall:{name}`)"
                ),
            });
        }
        if self.layers.is_empty() {
            issues.push(Issue {
                path: vec![PathKey::Key("layers")],
                message: format!("schedule `{name}` has no layers; add one with members, start, handover and turn"),
            });
        }
        let mut layers = Vec::new();
        for (i, spec) in self.layers.iter().enumerate() {
            let mut issue = |key: PathKey, tail: Option<PathKey>, message: String| {
                let mut path = vec![PathKey::Key("layers"), PathKey::Index(i), key];
                path.extend(tail);
                issues.push(Issue { path, message });
            };
            let layer = &spec.name;
            if self.layers[..i].iter().any(|l| l.name == *layer) {
                issue(PathKey::Key("name"), None, format!("schedule `{name}`: layer name `{layer}` appears twice"));
            }
            if spec.members.is_empty() {
                issue(
                    PathKey::Key("members"),
                    None,
                    format!("layer `{layer}` has no members; list the staff who take turns"),
                );
            }
            for (m, member) in spec.members.iter().enumerate() {
                if !staff.contains(&member.as_str()) {
                    issue(
                        PathKey::Key("members"),
                        Some(PathKey::Index(m)),
                        format!("layer `{layer}`: member `{member}` is not in staff ({})", staff.join(", ")),
                    );
                }
            }
            let handover = match &spec.handover {
                Some(h) => parse_hhmm(h).map(Some).unwrap_or_else(|| {
                    issue(
                        PathKey::Key("handover"),
                        None,
                        format!("layer `{layer}`: handover `{h}` is not a time; write it as \"08:00\""),
                    );
                    None
                }),
                None => None,
            };
            let first = match parse_wall(&spec.start) {
                None => {
                    issue(
                        PathKey::Key("start"),
                        None,
                        format!(
                            "layer `{layer}`: start `{}` is not a date; write 2026-11-02 (with handover) or \"2026-11-02 08:00\"",
                            spec.start
                        ),
                    );
                    None
                }
                Some((date, time)) => match (time, handover) {
                    (Some(t), Some(h)) if t != h => {
                        issue(
                            PathKey::Key("handover"),
                            None,
                            format!(
                                "layer `{layer}`: start says {} but handover says {}; give the time once",
                                t.strftime("%H:%M"),
                                h.strftime("%H:%M")
                            ),
                        );
                        None
                    }
                    (Some(t), _) | (None, Some(t)) => Some(date.to_datetime(t)),
                    (None, None) => {
                        issue(
                            PathKey::Key("start"),
                            None,
                            format!("layer `{layer}`: when do turns change? add `handover: \"08:00\"` (wall clock)"),
                        );
                        None
                    }
                },
            };
            let turn = parse_turn(&spec.turn).or_else(|| {
                issue(
                    PathKey::Key("turn"),
                    None,
                    format!("layer `{layer}`: turn `{}` is not a length such as 1w, 1d or 12h", spec.turn),
                );
                None
            });
            let end = match &spec.end {
                None => None,
                Some(e) => match (parse_wall(e), first) {
                    (Some((date, time)), Some(first)) => {
                        let end = date.to_datetime(time.unwrap_or(first.time()));
                        if end <= first {
                            issue(PathKey::Key("end"), None, format!("layer `{layer}` ends before it starts"));
                        }
                        Some(end)
                    }
                    (None, _) => {
                        issue(
                            PathKey::Key("end"),
                            None,
                            format!("layer `{layer}`: end `{e}` is not a date; write 2027-01-04"),
                        );
                        None
                    }
                    _ => None,
                },
            };
            let mut windows = Vec::new();
            for (w, ws) in spec.restrict.iter().enumerate() {
                let days = match ws.days.as_deref().map(parse_days) {
                    None => vec![
                        Weekday::Monday,
                        Weekday::Tuesday,
                        Weekday::Wednesday,
                        Weekday::Thursday,
                        Weekday::Friday,
                        Weekday::Saturday,
                        Weekday::Sunday,
                    ],
                    Some(Ok(days)) => days,
                    Some(Err((_, bad))) => {
                        issue(
                            PathKey::Key("restrict"),
                            Some(PathKey::Index(w)),
                            format!("layer `{layer}`: `{bad}` is not a day; use mon, tue, wed, thu, fri, sat, sun"),
                        );
                        continue;
                    }
                };
                let (from, until) = match &ws.hours {
                    None => (Time::midnight(), Time::midnight()),
                    Some(h) => match h.split_once('-').and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?))) {
                        Some(pair) => pair,
                        None => {
                            issue(
                                PathKey::Key("restrict"),
                                Some(PathKey::Index(w)),
                                format!(
                                    "layer `{layer}`: hours `{h}` is not a range such as \"08:00-17:00\" or \"17:00-08:00\""
                                ),
                            );
                            continue;
                        }
                    },
                };
                windows.push(Window { days, from, until });
            }
            let only_when = match (spec.only_when, spec.calendar.as_deref().or(default_calendar)) {
                (None, _) => {
                    if spec.calendar.is_some() {
                        issue(
                            PathKey::Key("calendar"),
                            None,
                            format!("layer `{layer}`: calendar goes with `only_when: open` or `only_when: closed`"),
                        );
                    }
                    None
                }
                (Some(w), Some(cal)) if calendars.contains(&cal) => Some((w, cal.to_owned())),
                (Some(_), Some(cal)) => {
                    issue(
                        PathKey::Key("calendar"),
                        None,
                        format!(
                            "layer `{layer}`: calendar `{cal}` is not defined (calendars: {})",
                            calendars.join(", ")
                        ),
                    );
                    None
                }
                (Some(_), None) => {
                    issue(
                        PathKey::Key("only_when"),
                        None,
                        format!("layer `{layer}`: only_when needs business_hours or a calendar to ask"),
                    );
                    None
                }
            };
            if let (Some(first), Some(turn)) = (first, turn) {
                layers.push(Layer {
                    name: layer.clone(),
                    members: spec.members.clone(),
                    first,
                    turn,
                    end,
                    windows,
                    only_when,
                });
            }
        }
        if issues.is_empty() {
            Ok(Schedule { name: name.clone(), description: self.description.clone(), layers })
        } else {
            Err(issues)
        }
    }
}

#[cfg(test)]
mod tests;
