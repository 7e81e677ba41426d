//! `rules.yaml`: the business's routing and escalation policy. Parse, check, and the pure
//! decisions made from it (vocabularies, requirements, routing, escalation targets).

use anyhow::Result;
use jiff::SignedDuration;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::clock;
use crate::lead::{Lead, Requirements, Status};
mod check;
mod conditions;
pub mod yamlpos;

pub use conditions::{Condition, Conditions};

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
    /// `false` for staff who left: kept so history and old leads still name them, never
    /// routed, assigned or escalated to.
    #[serde(default = "yes")]
    pub active: bool,
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
        let file: RulesFile = serde_norway::from_str(text).map_err(|e| vec![yaml_problem(&e)])?;
        let (resolved, problems) = file.check(text);
        match resolved {
            Some((tz, eod, business)) if problems.is_empty() => Ok(Rules { file, tz, eod, business }),
            _ => Err(problems),
        }
    }
}

impl RulesFile {
    fn is_target(&self, to: &str) -> bool {
        to == "owner" || self.staff(to).is_some() || self.staff.iter().any(|s| s.roles.iter().any(|r| r == to))
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
