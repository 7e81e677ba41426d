//! `rules.yaml`: the business's routing and escalation policy. Parse, check, and the pure
//! decisions made from it (vocabularies, requirements, routing, escalation targets).

use anyhow::Result;
use jiff::SignedDuration;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::clock;
use crate::lead::{Lead, Requirements, Status};
use crate::schedule::{Calendar, CalendarSpec, Duty, Schedule, ScheduleSpec};
mod check;
mod conditions;
mod duty;
pub mod notifications;
pub mod yamlpos;

pub use conditions::{Condition, Conditions};
pub use notifications::{Contacts, Notifications};

/// The default `rules.yaml` written by `init`; `{{TIMEZONE}}` is filled in.
pub const DEFAULT_RULES: &str = include_str!("default_rules.yaml");

/// Largest rules.yaml accepted (a hand-written policy is a few KiB).
pub const MAX_RULES_BYTES: u64 = 1024 * 1024;

/// rules.yaml as written: the serde schema, strings where the file has strings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    pub timezone: String,
    pub end_of_day: String,
    #[serde(default = "yes")]
    pub git: bool,
    #[serde(default = "default_country_code")]
    pub phone_country_code: String,
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
    pub staff: Vec<Staff>,
    pub vocabulary: Vocabulary,
    #[serde(default)]
    pub ownership: Ownership,
    pub routing: Vec<RoutingRule>,
    #[serde(default)]
    pub escalation: Vec<EscalationRule>,
    #[serde(default)]
    pub qa: Qa,
    /// Holidays and closures, as written (checked into `Rules::calendars`).
    #[serde(default, rename = "calendars")]
    pub calendar_specs: Vec<CalendarSpec>,
    /// On-call schedules, as written (checked into `Rules::schedules`).
    #[serde(default, rename = "schedules")]
    pub schedule_specs: Vec<ScheduleSpec>,
    /// Who is told about the events addressed to them, and through which channels.
    #[serde(default)]
    pub notifications: Notifications,
}

/// rules.yaml parsed once and checked: what is written (`RulesFile`, reached through
/// `Deref`, so `rules.staff` reads the staff list) and the values resolved from it, typed.
/// A `Rules` exists only when the whole file checked clean.
#[derive(Debug)]
pub struct Rules {
    file: RulesFile,
    /// The workspace time zone (`timezone`).
    pub tz: TimeZone,
    /// The end of the working day (`end_of_day`).
    pub eod: Time,
    /// Business days and hours (`business_hours`), when defined.
    pub business: Option<Business>,
    /// The calendars (`calendars`), checked.
    pub calendars: Vec<Calendar>,
    /// The calendar business-hour clocks and `eod` use: the one `business_hours.calendar`
    /// names, else the first calendar, else plain business hours without holidays.
    pub business_calendar: Option<Calendar>,
    /// The on-call schedules (`schedules`), checked.
    pub schedules: Vec<Schedule>,
    /// Staff ids with `active: false`.
    pub inactive: Vec<String>,
    /// The committed overrides and away periods (`oncall.yaml`), filled by the store.
    pub duty: Duty,
}

impl std::ops::Deref for Rules {
    type Target = RulesFile;
    fn deref(&self) -> &RulesFile {
        &self.file
    }
}

/// Business days and hours, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub days: Vec<Weekday>,
    pub open: Time,
    pub close: Time,
}

fn yes() -> bool {
    true
}
fn default_country_code() -> String {
    "1".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// `false`: never routed to, kept for the history of the leads they touched.
    #[serde(default = "yes")]
    pub active: bool,
    /// Most open leads routing gives this person at once.
    pub max_open: Option<usize>,
    /// Where notifications reach this person, and their quiet hours.
    #[serde(default)]
    pub contacts: Contacts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub urgency: Vec<String>,
    pub fit: Vec<String>,
    pub source: Vec<String>,
    pub service_type: Vec<String>,
    #[serde(default = "default_outcomes")]
    pub outcome: Vec<String>,
}

fn default_outcomes() -> Vec<String> {
    ["booked", "estimate-sent", "won", "lost", "no-response", "not-a-fit", "duplicate", "spam"]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ownership {
    #[serde(default)]
    pub route_at_capture: Conditions,
    #[serde(default)]
    pub referral_sources: Vec<String>,
    #[serde(default)]
    pub follow_up_required: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub days: Vec<String>,
    pub open: String,
    pub close: String,
    /// The calendar whose closed days business-hour clocks skip (default: the first).
    pub calendar: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qa {
    #[serde(default = "five")]
    pub sample_size: usize,
}

fn five() -> usize {
    5
}

impl Default for Qa {
    fn default() -> Qa {
        Qa { sample_size: 5 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    RoundRobin,
    LeastOpen,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub name: String,
    #[serde(default)]
    pub when: Conditions,
    pub to: Option<String>,
    pub pool: Option<Vec<String>>,
    pub strategy: Option<Strategy>,
    pub next_action: Option<String>,
    pub due: Option<String>,
    /// Default follow-up date, days from the handoff (e.g. `2d`), for estimate/consult leads.
    pub follow_up: Option<String>,
    /// Most open leads each pool member may hold for this rule to pick them.
    pub max_open: Option<usize>,
    /// Who gets the lead when everyone the rule names is away or full (staff, role, or
    /// `oncall:NAME`).
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    Capture,
    Assignment,
    Movement,
    EndOfDay,
    /// From the recorded next action's due time: an overdue next action.
    NextActionDue,
}

/// What an escalation step does besides telling its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Tell the target (an `escalated` event addressed to them).
    #[default]
    Notify,
    /// Re-route an unaccepted lead to the target (an acknowledgement timeout): recorded as
    /// an `escalated` and an `assigned` event by `system`, with the reason.
    Reassign,
}

/// The `to:` of a reassign step that picks the member after the owner in the lead's
/// routing pool.
pub const NEXT_IN_POOL: &str = "next-in-pool";

/// A further level of an escalation rule: it fires `after` from the same clock start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub after: String,
    pub to: String,
    pub fallback: Option<String>,
    #[serde(default)]
    pub action: Action,
    pub repeat: Option<String>,
    pub limit: Option<u32>,
}

/// One step of a rule's climb, as escalation evaluates it.
#[derive(Debug, Clone, Copy)]
pub struct Step<'r> {
    /// 1 for the rule's own `after`/`to`, 2… for its `levels`.
    pub level: u32,
    pub after: &'r str,
    pub to: &'r str,
    pub fallback: Option<&'r str>,
    pub action: Action,
    pub repeat: Option<&'r str>,
    pub limit: Option<u32>,
}

impl Step<'_> {
    pub fn window(&self) -> SignedDuration {
        clock::parse_window(self.after).unwrap_or(SignedDuration::ZERO)
    }

    /// The repeat interval and the number of firings in all (1 without `repeat`).
    pub fn repeats(&self) -> (SignedDuration, u32) {
        match self.repeat.and_then(clock::parse_window) {
            Some(every) if !every.is_zero() => (every, self.limit.unwrap_or(DEFAULT_REPEAT_LIMIT).max(1)),
            _ => (SignedDuration::ZERO, 1),
        }
    }
}

/// How many times a repeating step fires in all when the rule sets no `limit`.
pub const DEFAULT_REPEAT_LIMIT: u32 = 3;
/// The most firings one step may have (`limit`).
pub const MAX_REPEAT_LIMIT: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hours {
    #[default]
    Always,
    Business,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    pub name: String,
    #[serde(default)]
    pub when: Conditions,
    #[serde(default)]
    pub unless: Conditions,
    pub status: Vec<Status>,
    pub clock: ClockKind,
    pub after: String,
    #[serde(default)]
    pub hours: Hours,
    pub to: String,
    pub fallback: Option<String>,
    /// The calendar a `hours: business` clock skips closed days of (default: the business one).
    pub calendar: Option<String>,
    /// `reassign`: re-route an unaccepted lead instead of only telling someone.
    #[serde(default)]
    pub action: Action,
    /// Fire again every this long (`5m`) while the lead still waits, `limit` times in all.
    pub repeat: Option<String>,
    pub limit: Option<u32>,
    /// Climb: further steps from the same clock start, each `after` longer.
    #[serde(default)]
    pub levels: Vec<Level>,
}

impl EscalationRule {
    /// The rule's steps: its own `after`/`to`, then its `levels`, in order.
    pub fn steps(&self) -> Vec<Step<'_>> {
        let first = Step {
            level: 1,
            after: &self.after,
            to: &self.to,
            fallback: self.fallback.as_deref(),
            action: self.action,
            repeat: self.repeat.as_deref(),
            limit: self.limit,
        };
        let more = self.levels.iter().zip(2..).map(|(l, level)| Step {
            level,
            after: &l.after,
            to: &l.to,
            fallback: l.fallback.as_deref(),
            action: l.action,
            repeat: l.repeat.as_deref(),
            limit: l.limit,
        });
        std::iter::once(first).chain(more).collect()
    }

    /// The rule's window (checked by `Rules::check`, so this never fails on loaded rules).
    pub fn window(&self) -> SignedDuration {
        clock::parse_window(&self.after).unwrap_or(SignedDuration::ZERO)
    }

    /// Whether the rule watches this lead at all (status and conditions).
    pub fn applies_to(&self, lead: &Lead) -> bool {
        self.status.contains(&lead.status) && self.when.admits(lead) && !self.unless.excludes(lead)
    }
}

/// One problem found in a file, with the line it is on when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    /// `file:line: message` (or `file: message`).
    pub fn render(&self, file: &str) -> String {
        match self.line {
            Some(line) => format!("{file}:{line}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

/// Turn a serde_norway error into a problem with its line.
pub fn yaml_problem(err: &serde_norway::Error) -> Problem {
    let message = err.to_string();
    // serde_norway appends " at line L column C"; the line goes in front instead.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    Problem { line: err.location().map(|l| l.line()), message }
}

/// Refuse text that is too large or nested absurdly deep (before the YAML parser sees it).
pub fn screen_yaml(text: &str, max: u64) -> Option<Problem> {
    if text.len() as u64 > max {
        return Some(Problem {
            line: None,
            message: format!(
                "file is {} bytes, larger than the {max} bytes allowed; is it the right file?",
                text.len()
            ),
        });
    }
    // The YAML parser takes time quadratic in nesting depth; nothing handoff reads nests
    // more than a few levels, so a long run of opening brackets is refused up front.
    // Byte-wise: brackets and whitespace are ASCII, and the line is only counted on refusal.
    // Whitespace, line breaks included, does not end a run: `[` on 60,000 lines nests too.
    let mut run = 0usize;
    for (at, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => run += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => run = 0,
        }
        if run > MAX_FLOW_NESTING {
            return Some(Problem {
                line: Some(text[..at].matches('\n').count() + 1),
                message: format!("brackets nested more than {MAX_FLOW_NESTING} deep; this is not a file handoff wrote"),
            });
        }
    }
    None
}

/// Deepest run of `[`/`{` accepted in YAML input.
pub const MAX_FLOW_NESTING: usize = 64;

impl Rules {
    /// Parse and check rules.yaml text. Every problem is returned, each with its line.
    pub fn parse(text: &str) -> Result<Rules, Vec<Problem>> {
        if let Some(p) = screen_yaml(text, MAX_RULES_BYTES) {
            return Err(vec![p]);
        }
        let file: RulesFile = serde_norway::from_str(text).map_err(|e| vec![yaml_problem(&e)])?;
        let (resolved, on_duty, problems) = file.check(text);
        match resolved {
            Some((tz, eod, business)) if problems.is_empty() => Ok(Rules {
                file,
                tz,
                eod,
                business,
                calendars: on_duty.calendars,
                business_calendar: on_duty.business_calendar,
                schedules: on_duty.schedules,
                inactive: on_duty.inactive,
                duty: Duty::default(),
            }),
            _ => Err(problems),
        }
    }
}

impl Rules {
    /// Who an escalation's first step goes to for this lead at `at`.
    pub fn escalation_target(&self, rule: &EscalationRule, lead: &Lead, at: jiff::Timestamp) -> Option<String> {
        self.step_target(&rule.steps()[0], lead, at)
    }

    /// Who one step of an escalation goes to for this lead at `at`: an `oncall:NAME` target
    /// is whoever is on call then; a person away goes to their backup; a role to its first
    /// member who is not away. With nobody available, the step's fallback, else who it is
    /// on paper: an escalation is never dropped. A reassign step never picks the owner it
    /// re-routes from: then its `fallback` (the backup), else nobody.
    pub fn step_target(&self, step: &Step, lead: &Lead, at: jiff::Timestamp) -> Option<String> {
        let fallback = || step.fallback.and_then(|f| self.resolve_target_at(f, at));
        if step.to == "owner" {
            return lead.owner.clone().or_else(fallback).or_else(|| step.fallback.and_then(|f| self.on_paper(f, at)));
        }
        let primary =
            if step.to == NEXT_IN_POOL { self.next_in_pool(lead) } else { self.resolve_target_at(step.to, at) };
        if step.action == Action::Reassign {
            let not_owner = |t: &String| lead.owner.as_ref() != Some(t);
            return primary.filter(not_owner).or_else(|| fallback().filter(not_owner));
        }
        primary.or_else(fallback).or_else(|| self.on_paper(step.to, at))
    }
}

impl RulesFile {
    fn is_target(&self, to: &str) -> bool {
        to == "owner"
            || self.staff(to).is_some()
            || self.staff.iter().any(|s| s.roles.iter().any(|r| r == to))
            || crate::schedule::schedule_target(to)
                .is_some_and(|name| self.schedule_specs.iter().any(|s| s.name == name))
    }

    pub fn staff(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.id == id)
    }

    /// A staff member who is still active (`active: false` marks those who left).
    pub fn active_staff(&self, id: &str) -> Option<&Staff> {
        self.staff(id).filter(|s| s.active)
    }

    /// The staff ids, in file order (for messages and completions).
    pub fn staff_ids(&self) -> Vec<&str> {
        self.staff.iter().map(|s| s.id.as_str()).collect()
    }

    /// The ids of active staff, in file order (whom work may go to).
    pub fn active_staff_ids(&self) -> Vec<&str> {
        self.staff.iter().filter(|s| s.active).map(|s| s.id.as_str()).collect()
    }

    /// The first active staff member with `role`, or the active staff member whose id it is.
    pub fn resolve_target(&self, target: &str) -> Option<&str> {
        if let Some(s) = self.staff(target) {
            return s.active.then_some(s.id.as_str());
        }
        self.staff.iter().find(|s| s.active && s.roles.iter().any(|r| r == target)).map(|s| s.id.as_str())
    }

    /// Who an escalation goes to for this lead.
    pub fn escalation_target(&self, rule: &EscalationRule, lead: &Lead) -> Option<String> {
        if rule.to == "owner" {
            if let Some(owner) = lead.owner.as_ref().filter(|o| self.staff(o).is_none_or(|s| s.active)) {
                return Some(owner.clone());
            }
            return rule.fallback.as_deref().and_then(|f| self.resolve_target(f)).map(str::to_owned);
        }
        self.resolve_target(&rule.to).map(str::to_owned)
    }

    /// The member after the owner in the pool of the routing rule the lead matches.
    pub fn next_in_pool(&self, lead: &Lead) -> Option<String> {
        let pool = self.routing_rule(lead)?.pool.as_ref()?;
        let at = lead.owner.as_ref().and_then(|o| pool.iter().position(|m| m == o));
        let next = match at {
            Some(i) => pool.get((i + 1) % pool.len())?,
            None => pool.first()?,
        };
        Some(next.clone())
    }

    /// The policy-dependent requirements for a lead.
    pub fn requirements(&self, lead: &Lead) -> Requirements {
        let has = |list: &[String], v: &Option<String>| v.as_ref().is_some_and(|v| list.contains(v));
        Requirements {
            referral: has(&self.ownership.referral_sources, &lead.source),
            follow_up: has(&self.ownership.follow_up_required, &lead.service_type),
        }
    }

    /// Whether the SOP says this lead must be routed to a named owner at capture.
    pub fn routes_at_capture(&self, lead: &Lead) -> bool {
        self.ownership.route_at_capture.excludes(lead)
    }

    /// The first routing rule that matches the lead.
    pub fn routing_rule(&self, lead: &Lead) -> Option<&RoutingRule> {
        self.routing.iter().find(|r| r.when.admits(lead))
    }

    /// Vocabulary list for a field name (`urgency`, `fit`, `source`, `service_type`, `outcome`).
    pub fn vocabulary(&self, field: &str) -> Option<&[String]> {
        let v = &self.vocabulary;
        Some(match field {
            "urgency" => &v.urgency,
            "fit" => &v.fit,
            "source" => &v.source,
            "service_type" => &v.service_type,
            "outcome" => &v.outcome,
            _ => return None,
        })
    }

    /// Check a value against a vocabulary, with the allowed values in the message.
    pub fn check_value(&self, field: &str, value: &str) -> Result<(), String> {
        match self.vocabulary(field) {
            Some(list) if !list.iter().any(|v| v == value) => Err(format!(
                "`{value}` is not a {field} in rules.yaml; use one of: {} (or add it to vocabulary.{field})",
                list.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

pub fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// The default rules.yaml for a time zone.
pub fn default_rules(timezone: &str) -> String {
    DEFAULT_RULES.replace("{{TIMEZONE}}", timezone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn default_rules_are_valid() {
        let rules = Rules::parse(&default_rules("America/Chicago")).unwrap();
        assert_eq!(rules.staff_ids(), ["ana", "dev", "olive", "sam"]);
        assert_eq!(rules.escalation.len(), 6);
        assert_eq!(rules.resolve_target("on-call"), Some("dev"));
        assert_eq!(rules.resolve_target("office-lead"), Some("olive"));
        let monday = "2026-11-23T03:00:00-06:00".parse::<crate::clock::Stamp>().unwrap().timestamp();
        assert_eq!(rules.resolve_target_at("oncall:field", monday).as_deref(), Some("dev"));
        assert!(rules.duty_findings(monday, 28).is_empty());
    }

    #[test]
    fn routing_passes_over_people_away_or_full() {
        use crate::schedule::Away;
        let stamp = |s: &str| s.parse::<crate::clock::Stamp>().unwrap();
        let text = default_rules("America/Chicago")
            .replace("    roles: [dispatch, on-call]\n", "    roles: [dispatch, on-call]\n    max_open: 3\n")
            .replace("    roles: [office-lead, manager]\n", "    roles: [office-lead, manager, dispatch]\n");
        let mut rules = Rules::parse(&text).unwrap();
        let at = stamp("2026-11-24T10:00:00-06:00");
        let rule = rules.routing.iter().find(|r| r.name == "default").unwrap();
        let open = BTreeMap::from([("dev".to_owned(), 3)]);
        // dev is at max_open: the next holder of dev's role (dispatch) takes it.
        let pick = rules.pick_owner(rule, at.timestamp(), 0, &open).unwrap();
        assert_eq!(pick.owner, "olive");
        assert_eq!(pick.reason().as_deref(), Some("dev skipped: 3 open leads (max_open 3)"));
        // Under the cap but away with a backup: the backup.
        rules.duty.away.push(Away {
            who: "dev".into(),
            from: stamp("2026-11-24T00:00:00-06:00"),
            until: stamp("2026-11-25T00:00:00-06:00"),
            reason: None,
            backup: Some("sam".into()),
            by: "dev".into(),
            at,
        });
        let rule = rules.routing.iter().find(|r| r.name == "default").unwrap();
        let pick = rules.pick_owner(rule, at.timestamp(), 0, &BTreeMap::new()).unwrap();
        assert_eq!((pick.owner.as_str(), pick.nobody_available), ("sam", false));
        // An escalation to the on-call role goes to its first member not away.
        // An escalation to a role goes to its first member not away, else an away member's
        // backup; a schedule's turn to the away person's backup.
        assert_eq!(rules.resolve_target_at("dispatch", at.timestamp()).as_deref(), Some("olive"));
        assert_eq!(
            rules.resolve_target_at("on-call", at.timestamp()).as_deref(),
            Some("sam"),
            "only dev holds on-call"
        );
        assert_eq!(rules.resolve_target_at("oncall:field", at.timestamp()).as_deref(), Some("sam"));
        rules.duty.away[0].backup = None;
        assert_eq!(rules.resolve_target_at("on-call", at.timestamp()).as_deref(), Some("dev"), "nobody else: dev");
        assert_eq!(rules.resolve_target_at("oncall:field", at.timestamp()), None, "nobody on call");
        assert_eq!(rules.on_paper("oncall:field", at.timestamp()).as_deref(), Some("dev"));
    }

    #[test]
    fn oncall_targets_must_name_a_schedule() {
        let text = default_rules("UTC").replace("    to: on-call\n", "    to: oncall:nights\n");
        let problems = Rules::parse(&text).unwrap_err();
        assert!(problems.iter().all(|p| p.message.contains("oncall:nights") && p.line.is_some()), "{problems:?}");
        let text = default_rules("UTC").replace("members: [dev]", "members: [dev, zed]");
        let problems = Rules::parse(&text).unwrap_err();
        assert!(problems[0].message.contains("member `zed` is not in staff"), "{problems:?}");
        let zed_line = text.lines().position(|l| l.contains("members: [dev, zed]")).unwrap() + 1;
        assert_eq!(problems[0].line, Some(zed_line));
    }

    #[test]
    fn problems_carry_lines() {
        let text = default_rules("Mars/Base").replace("    to: olive\n", "    to: nobody\n");
        let problems = Rules::parse(&text).unwrap_err();
        let tz_line = text.lines().position(|l| l.starts_with("timezone:")).unwrap() + 1;
        assert!(problems.iter().any(|p| p.line == Some(tz_line) && p.message.contains("Mars/Base")), "{problems:?}");
        let to_line = text.lines().position(|l| l == "    to: nobody").unwrap() + 1;
        assert!(problems.iter().any(|p| p.line == Some(to_line) && p.message.contains("nobody")), "{problems:?}");
    }

    #[test]
    fn unknown_key_is_named_with_line() {
        let text = default_rules("UTC").replace("git: true", "git: true\ncolour: blue");
        let problems = Rules::parse(&text).unwrap_err();
        assert!(problems[0].message.contains("colour"), "{problems:?}");
        assert!(problems[0].line.is_some());
    }
}
