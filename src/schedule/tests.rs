use super::*;
use crate::clock::Stamp;

const STAFF: &[&str] = &["ana", "dev", "olive", "sam"];

fn chicago() -> TimeZone {
    TimeZone::get("America/Chicago").unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse::<Stamp>().unwrap().timestamp()
}

fn stamp(s: &str) -> Stamp {
    s.parse().unwrap()
}

/// Render an instant the way a person reads it: Chicago wall clock with offset.
fn wall(ts: Timestamp) -> String {
    Stamp::from_zoned(&ts.to_zoned_datetime(chicago())).to_string()
}

fn office() -> Calendar {
    let spec: CalendarSpec =
        serde_norway::from_str("name: office\nclosed:\n  - name: Thanksgiving\n    yearly: 4th thu nov\n").unwrap();
    let hours = Hours {
        days: vec![Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday],
        open: Time::constant(8, 0, 0, 0),
        close: Time::constant(17, 0, 0, 0),
    };
    spec.compile(Some(&hours)).unwrap()
}

fn schedule(yaml: &str) -> Schedule {
    let spec: ScheduleSpec = serde_norway::from_str(yaml).unwrap();
    spec.compile(STAFF, &["office"], Some("office")).unwrap()
}

struct World {
    tz: TimeZone,
    calendars: Vec<Calendar>,
    duty: Duty,
    inactive: Vec<String>,
}

impl World {
    fn new() -> World {
        World { tz: chicago(), calendars: vec![office()], duty: Duty::default(), inactive: vec![] }
    }
    fn roster(&self) -> Roster<'_> {
        Roster { tz: &self.tz, calendars: &self.calendars, duty: &self.duty, inactive: &self.inactive }
    }
    fn who(&self, s: &Schedule, t: &str) -> Option<(String, String)> {
        s.resolve(&self.roster(), at(t)).on_call.map(|o| (o.who, o.source.label().to_owned()))
    }
    fn override_(&mut self, who: &str, from: &str, until: &str) {
        let id = self.duty.next_override_id();
        self.duty.overrides.push(Override {
            id,
            schedule: "field".into(),
            who: who.into(),
            from: stamp(from),
            until: stamp(until),
            reason: None,
            by: "olive".into(),
            at: stamp("2026-10-01T09:00:00-05:00"),
        });
    }
    fn away(&mut self, who: &str, from: &str, until: &str, backup: Option<&str>) {
        self.duty.away.push(Away {
            who: who.into(),
            from: stamp(from),
            until: stamp(until),
            reason: Some("holiday".into()),
            backup: backup.map(str::to_owned),
            by: who.into(),
            at: stamp("2026-10-01T09:00:00-05:00"),
        });
    }
}

fn pair(who: &str, source: &str) -> Option<(String, String)> {
    Some((who.to_owned(), source.to_owned()))
}

const WEEKLY: &str = "
name: field
layers:
  - name: weekly
    members: [dev, sam]
    start: 2026-10-04
    handover: \"08:00\"
    turn: 1w
";

#[test]
fn weekly_rotation_takes_turns() {
    let w = World::new();
    let s = schedule(WEEKLY);
    assert_eq!(w.who(&s, "2026-10-04T07:59:00-05:00"), None, "before the first hand-over");
    assert_eq!(w.who(&s, "2026-10-04T08:00:00-05:00"), pair("dev", "weekly"));
    assert_eq!(w.who(&s, "2026-10-11T07:59:00-05:00"), pair("dev", "weekly"));
    assert_eq!(w.who(&s, "2026-10-11T08:00:00-05:00"), pair("sam", "weekly"));
    assert_eq!(w.who(&s, "2026-10-18T08:00:00-05:00"), pair("dev", "weekly"));
}

#[test]
fn dst_weekend_hand_over_stays_at_eight_wall_clock() {
    // Daylight saving ends in Chicago at 02:00 on Sunday 2026-11-01 (CDT -05:00 → CST -06:00).
    let w = World::new();
    let s = schedule(&WEEKLY.replace("start: 2026-10-04", "start: 2026-10-25").replace("turn: 1w", "turn: 1d"));
    let shifts = s.shifts(&w.roster(), at("2026-10-31T00:00:00-05:00"), at("2026-11-03T00:00:00-06:00"));
    let got: Vec<(String, String)> =
        shifts.iter().map(|sh| (wall(sh.start), sh.on_call.as_ref().unwrap().who.clone())).collect();
    assert_eq!(
        got,
        [
            ("2026-10-31T00:00:00-05:00", "sam"),
            ("2026-10-31T08:00:00-05:00", "dev"),
            ("2026-11-01T08:00:00-06:00", "sam"),
            ("2026-11-02T08:00:00-06:00", "dev"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // Saturday's turn is 25 hours long: the hour repeats at 01:00.
    assert_eq!(shifts[1].end.duration_since(shifts[1].start).as_hours(), 25);
    // 01:30 happens twice that night; both are still Saturday's turn.
    assert_eq!(w.who(&s, "2026-11-01T01:30:00-05:00"), pair("dev", "weekly"));
    assert_eq!(w.who(&s, "2026-11-01T01:30:00-06:00"), pair("dev", "weekly"));

    // A weekly rotation handing over on the DST Sunday does so at 08:00 CST.
    let weekly = schedule(&WEEKLY.replace("start: 2026-10-04", "start: 2026-10-25"));
    let shifts = weekly.shifts(&w.roster(), at("2026-10-30T00:00:00-05:00"), at("2026-11-05T00:00:00-06:00"));
    assert_eq!(wall(shifts[1].start), "2026-11-01T08:00:00-06:00");
    assert_eq!(shifts[1].on_call.as_ref().unwrap().who, "sam");
}

#[test]
fn twelve_hour_turns_keep_wall_clock_across_dst() {
    let w = World::new();
    let s = schedule(&WEEKLY.replace("turn: 1w", "turn: 12h"));
    let shifts = s.shifts(&w.roster(), at("2026-10-31T12:00:00-05:00"), at("2026-11-01T21:00:00-06:00"));
    let starts: Vec<String> = shifts.iter().map(|sh| wall(sh.start)).collect();
    assert_eq!(
        starts,
        [
            "2026-10-31T12:00:00-05:00",
            "2026-10-31T20:00:00-05:00",
            "2026-11-01T08:00:00-06:00",
            "2026-11-01T20:00:00-06:00"
        ]
    );
}

const LAYERED: &str = "
name: field
layers:
  - name: weekly
    members: [dev, sam]
    start: \"2026-10-04 08:00\"
    turn: 1w
  - name: office-hours
    members: [olive]
    start: 2026-10-05
    handover: \"08:00\"
    turn: 1d
    only_when: open
  - name: friday-night
    members: [ana]
    start: 2026-10-02
    handover: \"17:00\"
    turn: 1w
    restrict:
      days: [fri]
      hours: \"17:00-08:00\"
";

#[test]
fn later_layer_wins_where_it_applies() {
    let w = World::new();
    let s = schedule(LAYERED);
    // Tuesday 10:00: the office is open, olive's layer is above the weekly one.
    assert_eq!(w.who(&s, "2026-11-24T10:00:00-06:00"), pair("olive", "office-hours"));
    // Tuesday 20:00: closed, the weekly rotation shows through.
    assert_eq!(w.who(&s, "2026-11-24T20:00:00-06:00"), pair("sam", "weekly"));
    // Thanksgiving 10:00: the office calendar is closed all day.
    assert_eq!(w.who(&s, "2026-11-26T10:00:00-06:00"), pair("sam", "weekly"));
    // Friday 23:00 and Saturday 07:59 belong to Friday night's window; Saturday 08:00 not.
    assert_eq!(w.who(&s, "2026-11-27T23:00:00-06:00"), pair("ana", "friday-night"));
    assert_eq!(w.who(&s, "2026-11-28T07:59:00-06:00"), pair("ana", "friday-night"));
    assert_eq!(w.who(&s, "2026-11-28T08:00:00-06:00"), pair("sam", "weekly"));
    // Thursday night is not Friday night.
    assert_eq!(w.who(&s, "2026-11-27T03:00:00-06:00"), pair("sam", "weekly"));
}

#[test]
fn override_beats_layers_and_the_latest_override_wins() {
    let mut w = World::new();
    let s = schedule(LAYERED);
    w.override_("dev", "2026-11-24T09:00:00-06:00", "2026-11-24T12:00:00-06:00");
    w.override_("ana", "2026-11-24T11:00:00-06:00", "2026-11-24T13:00:00-06:00");
    assert_eq!(w.who(&s, "2026-11-24T08:59:00-06:00"), pair("olive", "office-hours"));
    assert_eq!(w.who(&s, "2026-11-24T09:00:00-06:00"), pair("dev", "override"));
    assert_eq!(w.who(&s, "2026-11-24T11:30:00-06:00"), pair("ana", "override"));
    assert_eq!(w.who(&s, "2026-11-24T13:00:00-06:00"), pair("olive", "office-hours"), "until is exclusive");
    let r = s.resolve(&w.roster(), at("2026-11-24T11:30:00-06:00"));
    assert_eq!(r.on_call.unwrap().source, Source::Override(2));
    // An override for another schedule changes nothing here.
    w.duty.overrides[1].schedule = "office".into();
    assert_eq!(w.who(&s, "2026-11-24T12:30:00-06:00"), pair("olive", "office-hours"));
}

#[test]
fn away_people_are_skipped_for_their_backup_or_the_layer_below() {
    let mut w = World::new();
    let s = schedule(LAYERED);
    // olive away without backup: the weekly layer shows through.
    w.away("olive", "2026-11-23T00:00:00-06:00", "2026-11-25T00:00:00-06:00", None);
    let r = s.resolve(&w.roster(), at("2026-11-24T10:00:00-06:00"));
    assert_eq!(r.on_call.as_ref().map(|o| o.who.as_str()), Some("sam"));
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].who, "olive");
    assert!(r.skipped[0].why.starts_with("away until 2026-11-25T00:00:00-06:00 (holiday)"), "{:?}", r.skipped);
    // sam away with ana as backup: ana covers sam's weekly turn.
    w.away("sam", "2026-11-24T00:00:00-06:00", "2026-11-25T00:00:00-06:00", Some("ana"));
    let r = s.resolve(&w.roster(), at("2026-11-24T10:00:00-06:00"));
    let on = r.on_call.unwrap();
    assert_eq!((on.who.as_str(), on.source.label(), on.covering_for.as_deref()), ("ana", "weekly", Some("sam")));
    // ana inactive too: nobody.
    w.inactive.push("ana".into());
    let r = s.resolve(&w.roster(), at("2026-11-24T10:00:00-06:00"));
    assert_eq!(r.on_call, None);
    assert_eq!(r.skipped.iter().map(|s| s.who.as_str()).collect::<Vec<_>>(), ["olive", "sam", "ana"]);
    // An override to someone away is skipped, too.
    w.override_("olive", "2026-11-24T09:00:00-06:00", "2026-11-24T12:00:00-06:00");
    assert_eq!(s.resolve(&w.roster(), at("2026-11-24T10:00:00-06:00")).on_call, None);
}

#[test]
fn gaps_are_found_and_shifts_merge() {
    let mut w = World::new();
    let s = schedule(
        "
name: field
layers:
  - name: weekdays
    members: [dev]
    start: 2026-11-02
    handover: \"08:00\"
    turn: 1d
    restrict:
      days: [mon, tue, wed, thu, fri]
",
    );
    let (from, until) = (at("2026-11-23T00:00:00-06:00"), at("2026-11-30T00:00:00-06:00"));
    let shifts = s.shifts(&w.roster(), from, until);
    // dev every weekday, one merged shift; the weekend is a gap.
    assert_eq!(shifts.len(), 2, "{shifts:?}");
    assert_eq!(shifts[0].on_call.as_ref().unwrap().who, "dev");
    assert_eq!(wall(shifts[1].start), "2026-11-28T00:00:00-06:00");
    assert_eq!(shifts[1].on_call, None);
    let gaps = s.gaps(&w.roster(), from, until);
    assert_eq!(gaps.len(), 1);
    // dev away on Wednesday afternoon: a second gap.
    w.away("dev", "2026-11-25T12:00:00-06:00", "2026-11-25T18:00:00-06:00", None);
    let gaps: Vec<(String, String)> =
        s.gaps(&w.roster(), from, until).iter().map(|g| (wall(g.start), wall(g.end))).collect();
    assert_eq!(
        gaps,
        [
            ("2026-11-25T12:00:00-06:00", "2026-11-25T18:00:00-06:00"),
            ("2026-11-28T00:00:00-06:00", "2026-11-30T00:00:00-06:00"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn layer_end_hands_over_to_the_layer_below() {
    let w = World::new();
    let s = schedule(&format!(
        "{LAYERED}  - name: old-rotation\n    members: [ana]\n    start: 2026-10-01\n    handover: \"00:00\"\n    turn: 1w\n    end: 2026-11-01\n"
    ));
    assert_eq!(w.who(&s, "2026-10-31T23:59:00-05:00"), pair("ana", "old-rotation"));
    assert_eq!(w.who(&s, "2026-11-01T00:00:00-05:00"), pair("sam", "weekly"));
}

#[test]
fn mistakes_are_named_with_their_paths() {
    let spec: ScheduleSpec = serde_norway::from_str(
        "
name: field
layers:
  - name: weekly
    members: [dev, ghost]
    start: 2026-10-04
    turn: 1 fortnight
  - name: weekly
    members: [dev]
    start: \"2026-10-04 08:00\"
    handover: \"09:00\"
    turn: 1mo
    restrict:
      - days: [sat, funday]
      - hours: 17-8
",
    )
    .unwrap();
    let issues = spec.compile(STAFF, &[], None).unwrap_err();
    let messages: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
    for needle in [
        "ghost",
        "handover: \\\"08:00\\\"",
        "1 fortnight",
        "appears twice",
        "says 08:00 but handover says 09:00",
        "1mo",
        "funday",
        "17-8",
    ] {
        let needle = needle.replace("\\\"", "\"");
        assert!(messages.iter().any(|m| m.contains(&needle)), "no issue mentions {needle}: {messages:#?}");
    }
    assert_eq!(
        issues[0].path,
        vec![PathKey::Key("layers"), PathKey::Index(0), PathKey::Key("members"), PathKey::Index(1)]
    );
    assert!(
        serde_norway::from_str::<ScheduleSpec>("name: x\nlayers: []\nrotation: 1w\n").is_err(),
        "unknown keys refused"
    );
}

#[test]
fn turn_lengths() {
    assert_eq!(parse_turn("1w"), Some(SignedDuration::from_hours(168)));
    assert_eq!(parse_turn("1d"), Some(SignedDuration::from_hours(24)));
    assert_eq!(parse_turn("12h"), Some(SignedDuration::from_hours(12)));
    assert_eq!(parse_turn("2 weeks"), Some(SignedDuration::from_hours(336)));
    assert_eq!(parse_turn("P1W"), Some(SignedDuration::from_hours(168)));
    assert_eq!(parse_turn("0d"), None);
    assert_eq!(parse_turn("1 month"), None);
    assert_eq!(parse_turn("-1d"), None);
    assert_eq!(parse_turn("weekly"), None);
}

#[test]
fn targets() {
    assert_eq!(schedule_target("oncall:field"), Some("field"));
    assert_eq!(schedule_target("dev"), None);
}
