//! Who is on duty, from the rules' side: checking `calendars:` and `schedules:`, resolving
//! a rule's target at an instant (`oncall:NAME`, a role, someone away), the away-aware
//! choice of a routing rule's owner, business-hour deadlines and `eod` on closed days, and
//! what `validate` reports about coverage.
//!
//! Pure: the instant, the open-lead counts and the round-robin turn are arguments; the
//! committed overrides and away periods come with the rules (`Rules::duty`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};

use super::check::Problems;
use super::yamlpos::Seg;
use super::{Business, RoutingRule, Rules, RulesFile, Strategy};
use crate::clock;
use crate::schedule::{Calendar, Hours, PathKey, Roster, Schedule, Skipped, schedule_target};

/// What `check_duty` compiles: calendars, the business calendar, schedules, inactive staff.
pub(super) struct OnDuty {
    pub calendars: Vec<Calendar>,
    pub business_calendar: Option<Calendar>,
    pub schedules: Vec<Schedule>,
    pub inactive: Vec<String>,
}

/// The owner a routing rule picked, and who was passed over on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub owner: String,
    pub skipped: Vec<Skipped>,
    /// Nobody the rule names was available: `owner` is the rule's own choice regardless.
    pub nobody_available: bool,
}

impl Pick {
    /// `dev skipped: away until …; sue skipped: 2 open leads (max_open 2)`, for the event.
    pub fn reason(&self) -> Option<String> {
        let parts: Vec<String> = self.skipped.iter().map(|s| format!("{} skipped: {}", s.who, s.why)).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

fn seg(k: &PathKey) -> Seg<'static> {
    match *k {
        PathKey::Key(k) => Seg::Key(k),
        PathKey::Index(i) => Seg::Index(i),
    }
}

impl RulesFile {
    /// Staff availability settings, calendars and schedules, checked and compiled;
    /// `business` is the typed business hours, when they checked clean.
    pub(super) fn check_duty(&self, p: &mut Problems, business: Option<&Business>) -> OnDuty {
        let inactive = self.staff.iter().filter(|s| !s.active).map(|s| s.id.clone()).collect();
        for (i, s) in self.staff.iter().enumerate() {
            if s.max_open == Some(0) {
                p.at(
                    &[Seg::Key("staff"), Seg::Index(i), Seg::Key("max_open")],
                    format!("staff `{}`: max_open must be at least 1 (or `active: false`)", s.id),
                );
            }
        }
        let hours = business.map(|b| Hours { days: b.days.clone(), open: b.open, close: b.close });
        let mut calendars: Vec<Calendar> = Vec::new();
        let mut names = BTreeSet::new();
        for (i, spec) in self.calendar_specs.iter().enumerate() {
            if !names.insert(spec.name.clone()) {
                p.at(
                    &[Seg::Key("calendars"), Seg::Index(i), Seg::Key("name")],
                    format!("calendar name `{}` appears twice", spec.name),
                );
            }
            match spec.compile(hours.as_ref()) {
                Ok(c) => calendars.push(c),
                Err(issues) => {
                    for issue in issues {
                        let mut path = vec![Seg::Key("calendars"), Seg::Index(i)];
                        path.extend(issue.path.iter().map(seg));
                        p.at(&path, issue.message);
                    }
                }
            }
        }
        let named = self.business_hours.as_ref().and_then(|b| b.calendar.clone());
        let business_calendar = match &named {
            Some(name) => {
                let found = calendars.iter().find(|c| c.name == *name);
                if found.is_none() {
                    p.at(
                        &[Seg::Key("business_hours"), Seg::Key("calendar")],
                        format!("business_hours.calendar `{name}` is not one of calendars"),
                    );
                }
                found.cloned()
            }
            None => calendars.first().cloned(),
        }
        .or_else(|| hours.map(|h| Calendar { name: "business_hours".to_owned(), hours: Some(h), closures: vec![] }));

        let staff: Vec<&str> = self.staff_ids();
        let calendar_names: Vec<&str> = calendars.iter().map(|c| c.name.as_str()).collect();
        let default_calendar = business_calendar.as_ref().map(|c| c.name.as_str());
        let mut compiled = Vec::new();
        let mut names = BTreeSet::new();
        for (i, spec) in self.schedule_specs.iter().enumerate() {
            if !names.insert(spec.name.clone()) {
                p.at(
                    &[Seg::Key("schedules"), Seg::Index(i), Seg::Key("name")],
                    format!("schedule name `{}` appears twice", spec.name),
                );
            }
            // Plain business hours (no calendars) are a calendar too, for `only_when`.
            let mut known = calendar_names.clone();
            known.extend(default_calendar.filter(|c| !calendar_names.contains(c)));
            match spec.compile(&staff, &known, default_calendar) {
                Ok(s) => compiled.push(s),
                Err(issues) => {
                    for issue in issues {
                        let mut path = vec![Seg::Key("schedules"), Seg::Index(i)];
                        path.extend(issue.path.iter().map(seg));
                        p.at(&path, issue.message);
                    }
                }
            }
        }
        OnDuty { calendars, business_calendar, schedules: compiled, inactive }
    }
}

impl Rules {
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name == name)
    }

    /// A calendar by name (the plain business hours answer to `business_hours`).
    pub fn calendar(&self, name: &str) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.name == name).or(self.business_calendar.as_ref().filter(|c| c.name == name))
    }

    /// The zone, calendars, overrides, away periods and inactive staff, for schedules.
    pub fn roster(&self) -> Roster<'_> {
        Roster {
            tz: &self.tz,
            calendars: if self.calendars.is_empty() { self.business_calendar.as_slice() } else { &self.calendars },
            duty: &self.duty,
            inactive: &self.inactive,
        }
    }

    /// Whether `who` can take work at `at`, and why not.
    pub fn unavailable(&self, who: &str, at: Timestamp) -> Option<String> {
        self.roster().unavailable(who, at).map(|u| u.to_string())
    }

    /// Who a target means at `at`: `oncall:NAME` is whoever is on call then; a staff id is
    /// that person, or their away backup while they are away; a role is its first member
    /// who can take work, else an away member's backup, else its first active member.
    /// `None` when nobody fits (a schedule with nobody on call).
    pub fn resolve_target_at(&self, target: &str, at: Timestamp) -> Option<String> {
        let roster = self.roster();
        if let Some(name) = schedule_target(target) {
            return self.schedule(name)?.resolve(&roster, at).on_call.map(|o| o.who);
        }
        if self.staff(target).is_some() {
            let backup = self.duty.away_at(target, at).and_then(|a| a.backup.clone());
            return Some(backup.filter(|b| roster.unavailable(b, at).is_none()).unwrap_or_else(|| target.to_owned()));
        }
        let members: Vec<&str> = self
            .staff
            .iter()
            .filter(|s| s.active && s.roles.iter().any(|r| r == target))
            .map(|s| s.id.as_str())
            .collect();
        let available = |who: &str| roster.unavailable(who, at).is_none();
        let backup = |m: &&str| self.duty.away_at(m, at).and_then(|a| a.backup.as_deref()).filter(|b| available(b));
        members
            .iter()
            .find(|m| available(m))
            .copied()
            .or_else(|| members.iter().find_map(backup))
            .or(members.first().copied())
            .map(str::to_owned)
            .or_else(|| self.resolve_target(target).map(str::to_owned))
    }

    /// Who a target means on paper at `at`, ignoring away periods and `active: false`: the
    /// member whose turn it is (or the override's person), the role's first member, the
    /// person named. For a schedule with no layer covering `at`, its last layer's first
    /// member. The last resort when nobody available is named, so a lead or an escalation
    /// never goes to nobody.
    pub fn on_paper(&self, target: &str, at: Timestamp) -> Option<String> {
        let Some(name) = schedule_target(target) else { return self.resolve_target(target).map(str::to_owned) };
        let schedule = self.schedule(name)?;
        let duty = crate::schedule::Duty { overrides: self.duty.overrides.clone(), away: vec![] };
        let roster = Roster { duty: &duty, inactive: &[], ..self.roster() };
        schedule
            .resolve(&roster, at)
            .on_call
            .map(|o| o.who)
            .or_else(|| schedule.layers.last().and_then(|l| l.members.first()).cloned())
    }

    /// The owner a routing rule picks at `at`, skipping people away, inactive or at their
    /// `max_open`: a pool takes its next member; a named person's away backup, else the next
    /// holder of their role, stands in; else the rule's `fallback`. When nobody at all is
    /// available the rule's own choice is kept (`nobody_available`), so a lead is never
    /// left without an owner; an `oncall:` rule whose schedule has nobody is an error.
    pub fn pick_owner(
        &self,
        rule: &RoutingRule,
        at: Timestamp,
        turn: u64,
        open: &BTreeMap<String, usize>,
    ) -> Result<Pick, String> {
        let roster = self.roster();
        let mut skipped: Vec<Skipped> = Vec::new();
        let blocked = |who: &str| -> Option<String> {
            if let Some(u) = roster.unavailable(who, at) {
                return Some(u.to_string());
            }
            let cap = [self.staff(who).and_then(|s| s.max_open), rule.max_open].into_iter().flatten().min()?;
            let n = open.get(who).copied().unwrap_or(0);
            (n >= cap).then(|| format!("{n} open lead{} (max_open {cap})", if n == 1 { "" } else { "s" }))
        };
        let mut first_choice = None;
        if let Some(to) = &rule.to {
            if let Some(name) = schedule_target(to) {
                let schedule = self.schedule(name).ok_or_else(|| format!("no schedule `{name}`"))?;
                let r = schedule.resolve(&roster, at);
                skipped.extend(r.skipped);
                if let Some(on) = r.on_call {
                    return Ok(Pick { owner: on.who, skipped, nobody_available: false });
                }
                first_choice = self.on_paper(to, at);
            } else {
                first_choice = Some(to.clone());
                match blocked(to) {
                    None => return Ok(Pick { owner: to.clone(), skipped, nobody_available: false }),
                    Some(why) => skipped.push(Skipped { who: to.clone(), why }),
                }
                let mut stand_ins: Vec<String> = Vec::new();
                stand_ins.extend(self.duty.away_at(to, at).and_then(|a| a.backup.clone()));
                // The next holder of each of their roles, in staff order after them.
                if let Some(me) = self.staff.iter().position(|s| s.id == *to) {
                    for role in &self.staff[me].roles {
                        let n = self.staff.len();
                        stand_ins.extend(
                            (1..n)
                                .map(|k| &self.staff[(me + k) % n])
                                .filter(|s| s.roles.contains(role))
                                .map(|s| s.id.clone()),
                        );
                    }
                }
                for s in stand_ins {
                    if skipped.iter().any(|k| k.who == s) {
                        continue;
                    }
                    match blocked(&s) {
                        None => return Ok(Pick { owner: s, skipped, nobody_available: false }),
                        Some(why) => skipped.push(Skipped { who: s, why }),
                    }
                }
            }
        }
        if let Some(pool) = rule.pool.as_deref().filter(|p| !p.is_empty()) {
            let start = (turn % pool.len() as u64) as usize;
            let mut order: Vec<&String> = pool[start..].iter().chain(&pool[..start]).collect();
            if rule.strategy == Some(Strategy::LeastOpen) {
                order = pool.iter().collect();
                order.sort_by_key(|m| open.get(*m).copied().unwrap_or(0));
            }
            first_choice = order.first().map(|m| (*m).clone());
            for m in order {
                match blocked(m) {
                    None => return Ok(Pick { owner: m.clone(), skipped, nobody_available: false }),
                    Some(why) => skipped.push(Skipped { who: m.clone(), why }),
                }
            }
        }
        if let Some(f) = &rule.fallback
            && let Some(who) = self.resolve_target_at(f, at)
        {
            match blocked(&who) {
                None => return Ok(Pick { owner: who, skipped, nobody_available: false }),
                Some(why) => skipped.push(Skipped { who, why }),
            }
        }
        match first_choice {
            Some(owner) => Ok(Pick { owner, skipped, nobody_available: true }),
            None => Err(format!(
                "routing rule `{}`: nobody is on call{}; add an override (`handoff oncall override`), a `fallback`, or pass --to STAFF",
                rule.name,
                Pick { owner: String::new(), skipped, nobody_available: true }
                    .reason()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )),
        }
    }

    /// `start + window` counting only open business time (skipping the closed days of
    /// `calendar`, default the business calendar); `None` without business hours.
    pub fn business_deadline(
        &self,
        start: Timestamp,
        window: SignedDuration,
        calendar: Option<&str>,
    ) -> Option<Timestamp> {
        let cal = match calendar {
            Some(name) => self.calendar(name)?,
            None => self.business_calendar.as_ref()?,
        };
        cal.add_open_time(start, window, &self.tz)
    }

    /// Whether `date` is a holiday or closure of the business calendar (closed all day).
    /// Weekdays outside `business_hours.days` are not closures: the end-of-day review and
    /// `eod` run on them as before.
    pub fn is_closed_day(&self, date: Date) -> bool {
        self.business_calendar.as_ref().and_then(|c| c.closure(date)).is_some_and(|c| !c.is_half_day())
    }

    /// The end of the business day for `date`: on a holiday, that of the next day that is
    /// not one; on a half day that closes before `end_of_day`, the closing time.
    pub fn end_of_day_on(&self, date: Date) -> Option<ZonedDateTime> {
        let mut day = date;
        for _ in 0..366 {
            if !self.is_closed_day(day) {
                break;
            }
            day = day.tomorrow().ok()?;
        }
        let close = self.business_calendar.as_ref().and_then(|c| c.closure(day)).and_then(|c| c.close);
        let close: Time = close.map_or(self.eod, |c| c.min(self.eod));
        clock::end_of_day(day, close, &self.tz).ok()
    }

    /// Every place the rules name someone: (path, target).
    fn targets(&self) -> Vec<(Vec<Seg<'static>>, &str)> {
        let mut out = Vec::new();
        for (i, r) in self.routing.iter().enumerate() {
            let at = |k| vec![Seg::Key("routing"), Seg::Index(i), Seg::Key(k)];
            out.extend(r.to.as_deref().map(|t| (at("to"), t)));
            out.extend(r.pool.iter().flatten().map(|m| (at("pool"), m.as_str())));
            out.extend(r.fallback.as_deref().map(|t| (at("fallback"), t)));
        }
        for (i, r) in self.escalation.iter().enumerate() {
            let at = |k| vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key(k)];
            out.push((at("to"), r.to.as_str()));
            out.extend(r.fallback.as_deref().map(|t| (at("fallback"), t)));
        }
        out
    }

    /// What `validate` reports beyond parse problems: rules naming someone inactive (or a
    /// role only inactive people hold), schedule members who are inactive, and every
    /// stretch in `from..from+days` when a schedule a rule names has nobody on call.
    pub fn duty_findings(&self, from: Timestamp, days: i64) -> Vec<(Vec<Seg<'static>>, String)> {
        let mut out = Vec::new();
        let active_role = |role: &str| self.staff.iter().any(|s| s.active && s.roles.iter().any(|r| r == role));
        let mut named_schedules = BTreeSet::new();
        for (path, target) in self.targets() {
            if let Some(name) = schedule_target(target) {
                named_schedules.insert(name);
            } else if let Some(s) = self.staff(target) {
                if !s.active {
                    out.push((path, format!("`{target}` is inactive (active: false) but a rule still sends leads to them; name someone else")));
                }
            } else if target != "owner" && !active_role(target) {
                out.push((
                    path,
                    format!("everyone with role `{target}` is inactive; give the role to an active staff member"),
                ));
            }
        }
        let until = from.checked_add(SignedDuration::from_hours(24 * days)).unwrap_or(from);
        let roster = self.roster();
        for (i, schedule) in self.schedules.iter().enumerate() {
            let at = vec![Seg::Key("schedules"), Seg::Index(i), Seg::Key("name")];
            for (l, layer) in schedule.layers.iter().enumerate() {
                for m in layer.members.iter().filter(|m| self.inactive.contains(m)) {
                    out.push((
                        vec![
                            Seg::Key("schedules"),
                            Seg::Index(i),
                            Seg::Key("layers"),
                            Seg::Index(l),
                            Seg::Key("members"),
                        ],
                        format!(
                            "schedule `{}`, layer `{}`: member `{m}` is inactive and is skipped",
                            schedule.name, layer.name
                        ),
                    ));
                }
            }
            if !named_schedules.contains(schedule.name.as_str()) {
                continue;
            }
            let gaps = schedule.gaps(&roster, from, until);
            let now = from.to_zoned_datetime(self.tz.clone());
            let local = |t: Timestamp| clock::short(&t.to_zoned_datetime(self.tz.clone()), &now);
            for g in gaps.iter().take(5) {
                out.push((
                    at.clone(),
                    format!(
                        "schedule `{}` has nobody on call from {} until {}; add a layer or `handoff oncall override {} --who STAFF --from … --until …`",
                        schedule.name,
                        local(g.start),
                        local(g.end),
                        schedule.name
                    ),
                ));
            }
            if gaps.len() > 5 {
                out.push((
                    at.clone(),
                    format!("schedule `{}` has {} more gaps in the next {days} days", schedule.name, gaps.len() - 5),
                ));
            }
        }
        out
    }
}
