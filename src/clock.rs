//! Time: the stored timestamp type, parsing of the SPEC's time arguments, and business time.
//!
//! Pure: the current time is always an argument (`now`), never read here.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, anyhow};
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp, ZonedDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The accepted time forms, quoted in every refusal of a bad time.
pub const TIME_FORMS: &str = "RFC 3339 (2026-11-24T09:30:00-06:00), \"YYYY-MM-DD HH:MM\", \
     \"HH:MM\" (today), \"tomorrow HH:MM\", relative \"+15m\" / \"+2h\" / \"+1d\", or \"eod\" (today's end of day)";

/// The accepted date forms.
pub const DATE_FORMS: &str = "YYYY-MM-DD, \"today\", \"tomorrow\", \"yesterday\", or relative \"+1d\" / \"+2w\"";

/// A stored instant: RFC 3339 with the offset it was written with.
///
/// Keeping the offset makes a hand-edited file round-trip byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    ts: Timestamp,
    offset: Offset,
}

impl Stamp {
    /// The instant `zdt`, with its offset, to whole seconds.
    pub fn from_zoned(zdt: &ZonedDateTime) -> Stamp {
        let ts = Timestamp::from_second(zdt.timestamp().as_second()).unwrap_or(zdt.timestamp());
        Stamp { ts, offset: zdt.offset() }
    }

    pub fn timestamp(&self) -> Timestamp {
        self.ts
    }

    /// The UTC offset the stamp was written with.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The instant `ts` written with `offset` (as [`Stamp::timestamp`] and
    /// [`Stamp::offset`] give them back).
    pub fn from_parts(ts: Timestamp, offset: Offset) -> Stamp {
        Stamp { ts, offset }
    }

    /// Whole minutes from `self` to `later` (negative when `later` is earlier).
    pub fn minutes_until(&self, later: Timestamp) -> i64 {
        later.duration_since(self.ts).as_secs() / 60
    }

    /// This instant in the workspace time zone.
    pub fn in_zone(&self, tz: &TimeZone) -> ZonedDateTime {
        self.ts.to_zoned_datetime(tz.clone())
    }
}

impl Ord for Stamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.ts.cmp(&other.ts)
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.offset.to_datetime(self.ts);
        let secs = self.offset.seconds();
        let sign = if secs < 0 { b'-' } else { b'+' };
        let secs = secs.abs();
        let Ok(year) = u16::try_from(dt.year()) else {
            return write!(
                f,
                "{}{}{:02}:{:02}",
                dt.strftime("%Y-%m-%dT%H:%M:%S"),
                sign as char,
                secs / 3600,
                (secs % 3600) / 60
            );
        };
        // By hand: every scan's JSON and every write prints stamps, and strftime is slow.
        let mut out = *b"0000-00-00T00:00:00+00:00";
        let mut put = |at: usize, n: u16, width: usize| {
            let mut n = n;
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, year, 4);
        put(5, dt.month() as u16, 2);
        put(8, dt.day() as u16, 2);
        put(11, dt.hour() as u16, 2);
        put(14, dt.minute() as u16, 2);
        put(17, dt.second() as u16, 2);
        put(20, (secs / 3600) as u16, 2);
        put(23, ((secs % 3600) / 60) as u16, 2);
        out[19] = sign;
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Stamp {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Stamp> {
        let pieces = jiff::fmt::temporal::Pieces::parse(s)
            .map_err(|_| anyhow!("`{s}` is not an RFC 3339 time such as 2026-11-24T09:30:00-06:00"))?;
        let offset = match pieces.offset() {
            Some(jiff::fmt::temporal::PiecesOffset::Numeric(n)) => n.offset(),
            Some(jiff::fmt::temporal::PiecesOffset::Zulu) => Offset::UTC,
            _ => return Err(anyhow!("`{s}` has no UTC offset; write it as 2026-11-24T09:30:00-06:00")),
        };
        // The pieces already hold the instant: no second parse of the text.
        let bad = || anyhow!("`{s}` is not an RFC 3339 time such as 2026-11-24T09:30:00-06:00");
        let time = pieces.time().ok_or_else(bad)?;
        let ts = offset.to_timestamp(pieces.date().to_datetime(time)).map_err(|_| bad())?;
        Ok(Stamp { ts, offset })
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Stamp, D::Error> {
        // A visitor, so the text is parsed where it lies (no String per stamp).
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Stamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an RFC 3339 time such as 2026-11-24T09:30:00-06:00")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Stamp, E> {
                s.parse().map_err(|e: anyhow::Error| E::custom(format!("{e:#}")))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Parse a wall-clock `HH:MM` (as in `end_of_day: "17:00"`).
pub fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// A span as people write it (`15m`, `2h`, `1d`, `1w`, `90min`, `1h30m`), by jiff's
/// friendly format: the one parser behind rules.yaml windows and `+15m` arguments.
/// Negative spans and out-of-range numbers are `None`, never a panic.
pub fn parse_span(s: &str) -> Option<Span> {
    let t = s.trim();
    // jiff also reads `-15m` and `15m ago`; a window or an offset from now is forward.
    if t.starts_with('-') || t.ends_with("ago") {
        return None;
    }
    t.parse::<Span>().ok().filter(|span| span.signum() >= 0)
}

/// A window such as `0m`, `15m`, `2h`, `1d` as a fixed duration (a day is 24 hours).
pub fn parse_window(s: &str) -> Option<SignedDuration> {
    // Scans read a rule's window once per open lead: the common `15m`, `2h`, `1d` skip
    // the general parser (the test holds both to the same answers).
    if let Some(d) = simple_window(s) {
        return Some(d);
    }
    parse_span(s)?.to_duration(SpanRelativeTo::days_are_24_hours()).ok()
}

/// `<digits><m|h|d>` with at most six digits, as [`parse_window`] reads it; else `None`.
fn simple_window(s: &str) -> Option<SignedDuration> {
    let (digits, unit) = s.split_at_checked(s.len().checked_sub(1)?)?;
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    match unit {
        "m" => Some(SignedDuration::from_mins(n)),
        "h" => Some(SignedDuration::from_hours(n)),
        "d" => Some(SignedDuration::from_hours(n * 24)),
        _ => None,
    }
}

/// Whether a span counts whole days and weeks only (what a date offset may add).
fn is_days(span: &Span) -> bool {
    span.get_years() == 0
        && span.get_months() == 0
        && span.get_hours() == 0
        && span.get_minutes() == 0
        && span.get_seconds() == 0
        && span.get_milliseconds() == 0
        && span.get_microseconds() == 0
        && span.get_nanoseconds() == 0
}

/// The end of day on `date` in `tz` (DST-correct).
pub fn end_of_day(date: Date, eod: Time, tz: &TimeZone) -> Result<ZonedDateTime> {
    Ok(date.to_datetime(eod).to_zoned_datetime(tz.clone())?)
}

/// Parse a time argument (SPEC "Time") relative to `now` in the workspace zone.
pub fn parse_time(s: &str, now: &ZonedDateTime, eod: Time) -> Result<ZonedDateTime> {
    let bad = || anyhow!("`{s}` is not a time I understand; use {TIME_FORMS}");
    let tz = now.time_zone().clone();
    let t = s.trim();
    if t.eq_ignore_ascii_case("eod") {
        return end_of_day(now.date(), eod, &tz);
    }
    if let Some(rel) = t.strip_prefix('+') {
        let span = parse_span(rel).filter(|s| s.get_years() == 0 && s.get_months() == 0).ok_or_else(bad)?;
        return now.checked_add(span).map_err(|_| anyhow!("`{s}` is too far from now; give a time within a few years"));
    }
    if let Some(time) = parse_hhmm(t) {
        return Ok(now.date().to_datetime(time).to_zoned_datetime(tz)?);
    }
    // `today 10:00`, `tomorrow 10:00`, `tomorrow eod`: a day word, then a time of day.
    if let Some((day, rest)) = t.split_once(' ')
        && let Ok(date) = parse_day_word(day, now)
    {
        let rest = rest.trim();
        let time = if rest.eq_ignore_ascii_case("eod") { Some(eod) } else { parse_hhmm(rest) };
        if let Some(time) = time {
            return Ok(date.to_datetime(time).to_zoned_datetime(tz)?);
        }
    }
    if let Ok(stamp) = t.parse::<Stamp>() {
        return Ok(stamp.in_zone(&tz));
    }
    if let Some((d, hm)) = t.split_once([' ', 'T'])
        && let (Ok(date), Some(time)) = (d.parse::<Date>(), parse_hhmm(hm))
    {
        return Ok(date.to_datetime(time).to_zoned_datetime(tz)?);
    }
    Err(bad())
}

/// Parse a date argument (`--follow-up`, `--date`) relative to `now`.
pub fn parse_date(s: &str, now: &ZonedDateTime) -> Result<Date> {
    let bad = || anyhow!("`{s}` is not a date I understand; use {DATE_FORMS}");
    let t = s.trim();
    if let Ok(date) = parse_day_word(t, now) {
        return Ok(date);
    }
    if let Some(rel) = t.strip_prefix('+') {
        let span = parse_span(rel).filter(is_days).ok_or_else(bad)?;
        return now.date().checked_add(span).map_err(|_| anyhow!("`{s}` is too far from today; give a nearer date"));
    }
    t.parse::<Date>().map_err(|_| bad())
}

/// `today`, `tomorrow` or `yesterday` as a date.
fn parse_day_word(word: &str, now: &ZonedDateTime) -> Result<Date> {
    let date = match word.to_ascii_lowercase().as_str() {
        "today" => Ok(now.date()),
        "tomorrow" => now.date().tomorrow(),
        "yesterday" => now.date().yesterday(),
        _ => return Err(anyhow!("`{word}` is not today, tomorrow or yesterday")),
    };
    date.map_err(|_| anyhow!("`{word}` is outside the calendar"))
}

/// Parse `--now` / `$HANDOFF_NOW`: RFC 3339 only (it is how cron runs are replayed).
pub fn parse_now(s: &str, tz: &TimeZone) -> Result<ZonedDateTime> {
    let stamp: Stamp =
        s.parse().map_err(|_| anyhow!("--now `{s}` must be an RFC 3339 time such as 2026-11-24T09:30:00-06:00"))?;
    Ok(stamp.in_zone(tz))
}

/// How tables show a time: `Tue 24 Nov 09:30`, with the year (`Mon 24 Nov 2025 09:30`)
/// when it is not `now`'s year, so a date of another year is never taken for this one.
pub fn short(zdt: &ZonedDateTime, now: &ZonedDateTime) -> String {
    // By hand, as strftime's `%a %d %b [%Y] %H:%M`: `list` prints one per row.
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = DAYS[usize::from(zdt.weekday().to_monday_zero_offset() as u8)];
    let month = MONTHS[usize::from(zdt.month() as u8 - 1)];
    let (d, h, m) = (zdt.day(), zdt.hour(), zdt.minute());
    if zdt.year() == now.year() {
        format!("{day} {d:02} {month} {h:02}:{m:02}")
    } else {
        format!("{day} {d:02} {month} {:04} {h:02}:{m:02}", zdt.year())
    }
}

/// A duration as people say it: `25 min`, `3 h 10 min`, `2 days`.
pub fn ago(d: SignedDuration) -> String {
    let mins = d.as_secs().abs() / 60;
    match mins {
        0..60 => format!("{mins} min"),
        60..1440 if mins % 60 == 0 => format!("{} h", mins / 60),
        60..1440 => format!("{} h {} min", mins / 60, mins % 60),
        _ => format!("{} day{}", mins / 1440, if mins / 1440 == 1 { "" } else { "s" }),
    }
}

/// A date as tables show it: `Tue 24 Nov`, with the year when it is not `now`'s year.
pub fn short_date(date: Date, now: &ZonedDateTime) -> String {
    if date.year() == now.year() {
        date.strftime("%a %d %b").to_string()
    } else {
        date.strftime("%a %d %b %Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_read_the_instant_jiff_reads() {
        for text in [
            "2026-11-24T09:30:00-06:00",
            "2026-11-24T09:30:00Z",
            "2026-11-24t09:30:00+05:45",
            "2026-11-24T09:30:00.25-06:00",
            "2026-11-24 09:30:00-06:00",
            "2026-03-08T02:30:00-06:00",
            "2026-11-24T09:30-06:00",
            "2026-11-24T09:30:00-06:00[America/Chicago]",
        ] {
            let ours: Stamp = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(ours.timestamp(), text.parse::<Timestamp>().unwrap(), "{text}");
        }
        for bad in ["2026-11-24", "2026-11-24T09:30:00", "2026-11-24T25:00:00-06:00", "soon"] {
            assert!(bad.parse::<Stamp>().is_err(), "{bad}");
        }
    }

    fn chicago(s: &str) -> ZonedDateTime {
        parse_now(s, &TimeZone::get("America/Chicago").unwrap()).unwrap()
    }

    #[test]
    fn stamp_round_trips_with_its_offset() {
        let s: Stamp = "2026-11-24T07:05:00-06:00".parse().unwrap();
        assert_eq!(s.to_string(), "2026-11-24T07:05:00-06:00");
        let z: Stamp = "2026-11-24T13:05:00Z".parse().unwrap();
        assert_eq!(z.to_string(), "2026-11-24T13:05:00+00:00");
        assert!("2026-11-24 07:05".parse::<Stamp>().is_err());
        // The hand-made text is strftime's, across years, offsets east and west, and leap days.
        let mut x: i64 = 1;
        for _ in 0..2000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let ts = Timestamp::from_second(x.rem_euclid(253_000_000_000) - 62_000_000_000).unwrap();
            let offset = Offset::from_seconds((x >> 20).rem_euclid(26 * 3600 * 2) as i32 - 26 * 3600 + 1).unwrap();
            let dt = offset.to_datetime(ts);
            let o = offset.seconds();
            let sign = if o < 0 { '-' } else { '+' };
            let want =
                format!("{}{sign}{:02}:{:02}", dt.strftime("%Y-%m-%dT%H:%M:%S"), o.abs() / 3600, (o.abs() % 3600) / 60);
            assert_eq!(Stamp::from_parts(ts, offset).to_string(), want);
        }
    }

    #[test]
    fn short_times_read_as_strftime_writes_them() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let now = chicago("2026-11-24T09:00:00-06:00");
        for day in 0..800 {
            let t = Timestamp::from_second(1_700_000_000 + day * 86_400 + day * 3_671)
                .unwrap()
                .to_zoned_datetime(tz.clone());
            let want = if t.year() == now.year() {
                t.strftime("%a %d %b %H:%M").to_string()
            } else {
                t.strftime("%a %d %b %Y %H:%M").to_string()
            };
            assert_eq!(short(&t, &now), want);
        }
    }

    #[test]
    fn relative_day_is_calendar_day_across_dst() {
        let now = chicago("2026-03-07T09:00:00-06:00");
        let t = parse_time("+1d", &now, parse_hhmm("17:00").unwrap()).unwrap();
        assert_eq!(Stamp::from_zoned(&t).to_string(), "2026-03-08T09:00:00-05:00");
    }

    #[test]
    fn other_years_show_their_year() {
        let now = chicago("2026-11-24T07:00:00-06:00");
        assert_eq!(short(&chicago("2026-11-25T10:00:00-06:00"), &now), "Wed 25 Nov 10:00");
        assert_eq!(short(&chicago("2025-11-25T10:00:00-06:00"), &now), "Tue 25 Nov 2025 10:00");
        assert_eq!(short_date(Date::constant(2027, 1, 4), &now), "Mon 04 Jan 2027");
    }

    #[test]
    fn forms() {
        let now = chicago("2026-11-24T07:00:00-06:00");
        let eod = parse_hhmm("17:00").unwrap();
        let p = |s| Stamp::from_zoned(&parse_time(s, &now, eod).unwrap()).to_string();
        assert_eq!(p("eod"), "2026-11-24T17:00:00-06:00");
        assert_eq!(p("+15m"), "2026-11-24T07:15:00-06:00");
        assert_eq!(p("9:30"), "2026-11-24T09:30:00-06:00");
        assert_eq!(p("2026-11-25 08:00"), "2026-11-25T08:00:00-06:00");
        assert_eq!(p("tomorrow 10:00"), "2026-11-25T10:00:00-06:00");
        assert_eq!(p("Today 16:30"), "2026-11-24T16:30:00-06:00");
        assert_eq!(p("tomorrow eod"), "2026-11-25T17:00:00-06:00");
        assert!(parse_time("tomorrow", &now, eod).is_err());
        assert!(parse_time("someday 10:00", &now, eod).is_err());
        assert!(parse_time("soon", &now, eod).is_err());
        assert!(parse_time("25:00", &now, eod).is_err());
        assert_eq!(parse_window("15m"), Some(SignedDuration::from_mins(15)));
        for s in ["0m", "15m", "007m", "2h", "48h", "1d", "30d", "999999m", "1000000m", "m", "h", "5x", "5 m", "١m"] {
            let general = parse_span(s).and_then(|sp| sp.to_duration(SpanRelativeTo::days_are_24_hours()).ok());
            assert_eq!(parse_window(s), general, "{s}");
            if let Some(fast) = simple_window(s) {
                assert_eq!(Some(fast), general, "{s}: the shortcut agrees with jiff");
            }
        }
        assert_eq!(parse_window("2h"), Some(SignedDuration::from_mins(120)));
        assert_eq!(parse_window("x"), None);
    }

    #[test]
    fn spans_come_from_one_parser_and_never_panic() {
        let now = chicago("2026-11-24T07:00:00-06:00");
        let eod = parse_hhmm("17:00").unwrap();
        assert_eq!(parse_window("0m"), Some(SignedDuration::ZERO));
        assert_eq!(parse_window("1d"), Some(SignedDuration::from_hours(24)));
        assert_eq!(parse_window("90min"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_window("1h30m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_window("-15m"), None);
        assert_eq!(parse_window("1mo"), None, "a month is no fixed window");
        for extreme in ["+9999999d", "+999999999999m", "+99999999999999999999h", "+-5m", "+5m ago"] {
            assert!(parse_time(extreme, &now, eod).is_err(), "{extreme}");
        }
        assert_eq!(parse_date("+2w", &now).unwrap().to_string(), "2026-12-08");
        assert!(parse_date("+3h", &now).is_err(), "a date offset counts days");
        assert!(parse_date("+9999999d", &now).is_err());
    }
}
