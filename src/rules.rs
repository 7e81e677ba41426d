//! `rules.yaml`: the business's routing and escalation policy. Parse, check, and the pure
//! decisions made from it (vocabularies, requirements, routing, escalation targets).

use std::collections::BTreeSet;
use std::fmt;

use anyhow::Result;
use jiff::SignedDuration;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer};

use crate::clock;
use crate::lead::{Lead, Requirements, Status};
use crate::yamlpos::{Seg, locate};

/// The default `rules.yaml` written by `init`; `{{TIMEZONE}}` is filled in.
pub const DEFAULT_RULES: &str = include_str!("default_rules.yaml");

/// Largest rules.yaml accepted (a hand-written policy is a few KiB).
pub const MAX_RULES_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
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
    /// Resolved from `timezone` by `check`.
    #[serde(skip, default = "TimeZone::unknown")]
    pub tz: TimeZone,
    /// Resolved from `end_of_day` by `check`.
    #[serde(skip, default = "midnight")]
    pub eod: Time,
}

fn yes() -> bool {
    true
}
fn default_country_code() -> String {
    "1".to_owned()
}
fn midnight() -> Time {
    Time::midnight()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub roles: Vec<String>,
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

/// Conditions on a lead's tags. Every key given must hold (values within a key are
/// alternatives); absent keys hold always.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub urgency: Option<Vec<String>>,
    pub fit: Option<Vec<String>>,
    pub service_type: Option<Vec<String>>,
    pub source: Option<Vec<String>>,
    pub market: Option<Vec<String>>,
    /// `true`: the lead has an owner; `false`: it has none.
    pub owned: Option<bool>,
    /// `true`: a next action is recorded; `false`: none is.
    pub next_action: Option<bool>,
}

impl Condition {
    pub fn matches(&self, lead: &Lead) -> bool {
        fn one(allowed: &Option<Vec<String>>, value: &Option<String>) -> bool {
            match allowed {
                None => true,
                Some(list) => value.as_ref().is_some_and(|v| list.contains(v)),
            }
        }
        one(&self.urgency, &lead.urgency)
            && one(&self.fit, &lead.fit)
            && one(&self.service_type, &lead.service_type)
            && one(&self.source, &lead.source)
            && one(&self.market, &lead.market)
            && self.owned.is_none_or(|o| o == lead.owner.is_some())
            && self.next_action.is_none_or(|n| n == lead.next_action.as_deref().is_some_and(|a| !a.trim().is_empty()))
    }
}

/// A `when:` / `unless:` value: one condition map, or a list of them of which any may hold.
/// An empty list (the key left out) matches every lead when used as `when`.
#[derive(Debug, Default, Clone)]
pub struct Conditions(pub Vec<Condition>);

impl Conditions {
    /// `when` semantics: no conditions match everything.
    pub fn admits(&self, lead: &Lead) -> bool {
        self.0.is_empty() || self.0.iter().any(|c| c.matches(lead))
    }

    /// `unless` semantics: no conditions exclude nothing.
    pub fn excludes(&self, lead: &Lead) -> bool {
        self.0.iter().any(|c| c.matches(lead))
    }
}

impl<'de> Deserialize<'de> for Conditions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Conditions, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Conditions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of conditions, or a list of such maps (any of them)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Conditions, A::Error> {
                let c = Condition::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Conditions(vec![c]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Conditions, A::Error> {
                let mut out = Vec::new();
                while let Some(c) = seq.next_element::<Condition>()? {
                    out.push(c);
                }
                Ok(Conditions(out))
            }
        }
        d.deserialize_any(V)
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    Capture,
    Assignment,
    Movement,
    EndOfDay,
}

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
}

impl EscalationRule {
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
        let mut rules: Rules = serde_norway::from_str(text).map_err(|e| vec![yaml_problem(&e)])?;
        let problems = rules.check(text);
        if problems.is_empty() { Ok(rules) } else { Err(problems) }
    }

    /// Semantic checks after parsing; fills `tz` and `eod`.
    fn check(&mut self, text: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut problem = |path: &[Seg], message: String| {
            out.push(Problem { line: locate(text, path), message });
        };
        match TimeZone::get(&self.timezone) {
            Ok(tz) => self.tz = tz,
            Err(_) => problem(
                &[Seg::Key("timezone")],
                format!("unknown time zone `{}`; use an IANA name such as America/Chicago or UTC", self.timezone),
            ),
        }
        match clock::parse_hhmm(&self.end_of_day) {
            Some(t) => self.eod = t,
            None => problem(
                &[Seg::Key("end_of_day")],
                format!("end_of_day `{}` is not a time; write it as \"17:00\"", self.end_of_day),
            ),
        }
        if self.phone_country_code.is_empty()
            || self.phone_country_code.len() > 3
            || !self.phone_country_code.bytes().all(|b| b.is_ascii_digit())
        {
            problem(
                &[Seg::Key("phone_country_code")],
                "phone_country_code must be 1 to 3 digits, e.g. \"1\" or \"44\"".to_owned(),
            );
        }
        if let Some(bh) = &self.business_hours {
            for (i, d) in bh.days.iter().enumerate() {
                if parse_weekday(d).is_none() {
                    problem(
                        &[Seg::Key("business_hours"), Seg::Key("days"), Seg::Index(i)],
                        format!("`{d}` is not a day; use mon, tue, wed, thu, fri, sat, sun"),
                    );
                }
            }
            for (key, v) in [("open", &bh.open), ("close", &bh.close)] {
                if clock::parse_hhmm(v).is_none() {
                    problem(
                        &[Seg::Key("business_hours"), Seg::Key(key)],
                        format!("business_hours.{key} `{v}` is not a time; write it as \"08:00\""),
                    );
                }
            }
        }

        let mut ids = BTreeSet::new();
        for (i, s) in self.staff.iter().enumerate() {
            let at = [Seg::Key("staff"), Seg::Index(i), Seg::Key("id")];
            if s.id.is_empty()
                || s.id == crate::lead::SYSTEM
                || !s.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            {
                problem(&at, format!("staff id `{}` must be letters, digits, '-', '_' or '.', and not `system`", s.id));
            }
            if !ids.insert(s.id.as_str()) {
                problem(&at, format!("staff id `{}` appears twice; each person once", s.id));
            }
            if !s.email.contains('@') || s.email.contains(['<', '>', '\n']) {
                problem(
                    &[Seg::Key("staff"), Seg::Index(i), Seg::Key("email")],
                    format!("`{}` is not an email address (git authors commits with it)", s.email),
                );
            }
            if s.name.trim().is_empty() || s.name.contains(['<', '>', '\n']) {
                problem(
                    &[Seg::Key("staff"), Seg::Index(i), Seg::Key("name")],
                    format!("staff `{}` needs a plain name", s.id),
                );
            }
        }
        if self.staff.is_empty() {
            problem(&[Seg::Key("staff")], "staff is empty; list at least one person".to_owned());
        }

        let v = &self.vocabulary;
        for (key, list) in [
            ("urgency", &v.urgency),
            ("fit", &v.fit),
            ("source", &v.source),
            ("service_type", &v.service_type),
            ("outcome", &v.outcome),
        ] {
            if list.is_empty() {
                problem(
                    &[Seg::Key("vocabulary"), Seg::Key(key)],
                    format!("vocabulary.{key} is empty; list at least one value"),
                );
            }
            let mut seen = BTreeSet::new();
            for (i, value) in list.iter().enumerate() {
                if !seen.insert(value) {
                    problem(
                        &[Seg::Key("vocabulary"), Seg::Key(key), Seg::Index(i)],
                        format!("`{value}` appears twice in vocabulary.{key}"),
                    );
                }
            }
        }

        let mut conds: Vec<(Vec<Seg>, &Conditions)> =
            vec![(vec![Seg::Key("ownership"), Seg::Key("route_at_capture")], &self.ownership.route_at_capture)];
        for (i, r) in self.routing.iter().enumerate() {
            conds.push((vec![Seg::Key("routing"), Seg::Index(i), Seg::Key("when")], &r.when));
        }
        for (i, r) in self.escalation.iter().enumerate() {
            conds.push((vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key("when")], &r.when));
            conds.push((vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key("unless")], &r.unless));
        }
        for (path, c) in conds {
            for cond in &c.0 {
                for (key, values, vocab) in [
                    ("urgency", &cond.urgency, &v.urgency),
                    ("fit", &cond.fit, &v.fit),
                    ("service_type", &cond.service_type, &v.service_type),
                    ("source", &cond.source, &v.source),
                ] {
                    for value in values.iter().flatten() {
                        if !vocab.contains(value) {
                            let mut p = path.clone();
                            p.push(Seg::Key(key));
                            problem(&p, format!("`{value}` is not in vocabulary.{key} ({})", vocab.join(", ")));
                        }
                    }
                }
            }
        }
        for (key, list, vocab) in [
            ("referral_sources", &self.ownership.referral_sources, &v.source),
            ("follow_up_required", &self.ownership.follow_up_required, &v.service_type),
        ] {
            for value in list {
                if !vocab.contains(value) {
                    problem(
                        &[Seg::Key("ownership"), Seg::Key(key)],
                        format!("`{value}` in ownership.{key} is not in the vocabulary ({})", vocab.join(", ")),
                    );
                }
            }
        }

        if self.routing.is_empty() {
            problem(
                &[Seg::Key("routing")],
                "routing is empty; add at least a default rule with `to: STAFF`".to_owned(),
            );
        }
        let mut names = BTreeSet::new();
        for (i, r) in self.routing.iter().enumerate() {
            let at = |k: &'static str| vec![Seg::Key("routing"), Seg::Index(i), Seg::Key(k)];
            if !names.insert(r.name.as_str()) {
                problem(&at("name"), format!("routing rule name `{}` appears twice", r.name));
            }
            match (&r.to, &r.pool) {
                (Some(to), None) => {
                    if !ids.contains(to.as_str()) {
                        problem(&at("to"), format!("routing rule `{}` routes to `{to}`, who is not in staff", r.name));
                    }
                    if r.strategy.is_some() {
                        problem(
                            &at("strategy"),
                            format!("routing rule `{}`: strategy goes with `pool`, not `to`", r.name),
                        );
                    }
                }
                (None, Some(pool)) => {
                    if pool.is_empty() {
                        problem(&at("pool"), format!("routing rule `{}` has an empty pool", r.name));
                    }
                    for m in pool {
                        if !ids.contains(m.as_str()) {
                            problem(
                                &at("pool"),
                                format!("routing rule `{}`: pool member `{m}` is not in staff", r.name),
                            );
                        }
                    }
                    if r.strategy.is_none() {
                        problem(
                            &at("pool"),
                            format!(
                                "routing rule `{}` has a pool; add `strategy: round-robin` or `strategy: least-open`",
                                r.name
                            ),
                        );
                    }
                }
                _ => problem(
                    &at("name"),
                    format!("routing rule `{}` needs exactly one of `to: STAFF` or `pool: [STAFF, ...]`", r.name),
                ),
            }
            if let Some(due) = &r.due
                && clock::parse_window(due).is_none()
            {
                problem(
                    &at("due"),
                    format!("routing rule `{}`: due `{due}` is not a window such as 15m, 2h or 1d", r.name),
                );
            }
            if let Some(f) = &r.follow_up
                && clock::parse_window(f).is_none_or(|w| w.as_secs() % 86_400 != 0)
            {
                problem(
                    &at("follow_up"),
                    format!("routing rule `{}`: follow_up `{f}` is not a number of days such as 1d or 2d", r.name),
                );
            }
        }
        if let Some(last) = self.routing.last()
            && !last.when.0.is_empty()
        {
            problem(
                &[Seg::Key("routing"), Seg::Index(self.routing.len() - 1)],
                format!(
                    "the last routing rule `{}` has conditions; end with a default rule without `when` so every lead has an owner",
                    last.name
                ),
            );
        }

        let mut names = BTreeSet::new();
        for (i, r) in self.escalation.iter().enumerate() {
            let at = |k: &'static str| vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key(k)];
            if !names.insert(r.name.as_str()) {
                problem(&at("name"), format!("escalation rule name `{}` appears twice", r.name));
            }
            if clock::parse_window(&r.after).is_none() {
                problem(
                    &at("after"),
                    format!("escalation rule `{}`: after `{}` is not a window such as 0m, 15m, 2h", r.name, r.after),
                );
            }
            if r.status.is_empty() || r.status.contains(&Status::Closed) {
                problem(
                    &at("status"),
                    format!(
                        "escalation rule `{}`: status lists the open statuses it watches (intake, assigned, accepted)",
                        r.name
                    ),
                );
            }
            if r.hours == Hours::Business && self.business_hours.is_none() {
                problem(
                    &at("hours"),
                    format!("escalation rule `{}` counts business hours; define business_hours", r.name),
                );
            }
            if !self.is_target(&r.to) {
                problem(
                    &at("to"),
                    format!("escalation rule `{}`: `to: {}` is not a staff id, a role, or `owner`", r.name, r.to),
                );
            }
            match (&r.fallback, r.to.as_str()) {
                (Some(f), _) if f == "owner" || !self.is_target(f) => {
                    problem(
                        &at("fallback"),
                        format!("escalation rule `{}`: fallback `{f}` is not a staff id or a role", r.name),
                    );
                }
                (None, "owner") => problem(
                    &at("to"),
                    format!(
                        "escalation rule `{}`: `to: owner` needs a `fallback` (a role or staff id) for unowned leads",
                        r.name
                    ),
                ),
                _ => {}
            }
        }
        if self.qa.sample_size == 0 {
            problem(
                &[Seg::Key("qa"), Seg::Key("sample_size")],
                "qa.sample_size must be at least 1 (the SOP asks for 5)".to_owned(),
            );
        }
        out
    }

    fn is_target(&self, to: &str) -> bool {
        to == "owner" || self.staff(to).is_some() || self.staff.iter().any(|s| s.roles.iter().any(|r| r == to))
    }

    pub fn staff(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.id == id)
    }

    /// The staff ids, in file order (for messages and completions).
    pub fn staff_ids(&self) -> Vec<&str> {
        self.staff.iter().map(|s| s.id.as_str()).collect()
    }

    /// The first staff member with `role`, or the staff member whose id it is.
    pub fn resolve_target(&self, target: &str) -> Option<&str> {
        if let Some(s) = self.staff(target) {
            return Some(&s.id);
        }
        self.staff.iter().find(|s| s.roles.iter().any(|r| r == target)).map(|s| s.id.as_str())
    }

    /// Who an escalation goes to for this lead.
    pub fn escalation_target(&self, rule: &EscalationRule, lead: &Lead) -> Option<String> {
        if rule.to == "owner" {
            if let Some(owner) = &lead.owner {
                return Some(owner.clone());
            }
            return rule.fallback.as_deref().and_then(|f| self.resolve_target(f)).map(str::to_owned);
        }
        self.resolve_target(&rule.to).map(str::to_owned)
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

    /// Business days and hours, when defined and valid.
    pub fn business_hours(&self) -> Option<(Vec<Weekday>, Time, Time)> {
        let bh = self.business_hours.as_ref()?;
        Some((
            bh.days.iter().filter_map(|d| parse_weekday(d)).collect(),
            clock::parse_hhmm(&bh.open)?,
            clock::parse_hhmm(&bh.close)?,
        ))
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

    #[test]
    fn default_rules_are_valid() {
        let rules = Rules::parse(&default_rules("America/Chicago")).unwrap();
        assert_eq!(rules.staff_ids(), ["ana", "dev", "olive", "sam"]);
        assert_eq!(rules.escalation.len(), 5);
        assert_eq!(rules.resolve_target("on-call"), Some("dev"));
        assert_eq!(rules.resolve_target("office-lead"), Some("olive"));
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
