//! The committed duty changes in `oncall.yaml`: on-call overrides (`handoff oncall override`)
//! and away periods (`handoff away` / `handoff back`). Like leads, they are data in git,
//! authored by whoever made them; unlike rules.yaml, commands write them.
//!
//! Pure: the types, their checks and edits; the store reads and writes the file.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::clock::Stamp;

/// The file's name in the workspace root.
pub const FILE: &str = "oncall.yaml";

/// Written above the data so a reader of the file knows what it is.
pub const HEADER: &str = "\
# On-call overrides and away periods, written by `handoff oncall override`, `handoff away`
# and `handoff back` (each change is a commit by the person who made it). Hand edits are
# fine: `handoff validate` checks them. Times are RFC 3339; `until` is exclusive.
";

/// Everything in `oncall.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duty {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub away: Vec<Away>,
}

/// Someone takes a schedule's shift from `from` until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Number for `handoff oncall override --remove N`.
    pub id: u32,
    pub schedule: String,
    pub who: String,
    pub from: Stamp,
    pub until: Stamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who recorded it, and when.
    pub by: String,
    pub at: Stamp,
}

/// Someone is away (holiday, sick, training) from `from` until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Away {
    pub who: String,
    pub from: Stamp,
    pub until: Stamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who takes their named leads and on-call turns meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    pub by: String,
    pub at: Stamp,
}

impl Away {
    pub fn covers(&self, at: Timestamp) -> bool {
        self.from.timestamp() <= at && at < self.until.timestamp()
    }
}

/// A problem in `oncall.yaml`: the entry (`overrides[2]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyProblem {
    pub section: &'static str,
    pub index: usize,
    pub message: String,
}

impl Duty {
    /// Parse the file's text (empty text is an empty file).
    pub fn parse(text: &str) -> Result<Duty, serde_norway::Error> {
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return Ok(Duty::default());
        }
        serde_norway::from_str(text)
    }

    /// The file's text: header, then the data (deterministic).
    pub fn render(&self) -> Result<String, serde_norway::Error> {
        if self.overrides.is_empty() && self.away.is_empty() {
            return Ok(HEADER.to_owned());
        }
        Ok(format!("{HEADER}{}", serde_norway::to_string(self)?))
    }

    /// The away period covering `at` for `who` (the last one listed, when several do).
    pub fn away_at(&self, who: &str, at: Timestamp) -> Option<&Away> {
        self.away.iter().rev().find(|a| a.who == who && a.covers(at))
    }

    /// The number the next override gets.
    pub fn next_override_id(&self) -> u32 {
        self.overrides.iter().map(|o| o.id).max().unwrap_or(0) + 1
    }

    /// Remove override `id`, returning it.
    pub fn remove_override(&mut self, id: u32) -> Option<Override> {
        let i = self.overrides.iter().position(|o| o.id == id)?;
        Some(self.overrides.remove(i))
    }

    /// `who` is back at `now`: away periods running at `now` end now; later ones stay.
    /// Returns how many periods were ended.
    pub fn back(&mut self, who: &str, now: Stamp) -> usize {
        let mut ended = 0;
        for a in self.away.iter_mut().filter(|a| a.who == who && a.covers(now.timestamp())) {
            a.until = now;
            ended += 1;
        }
        ended
    }

    /// Check names against the staff and schedules, and every period's order.
    pub fn check(&self, staff: &[&str], schedules: &[&str]) -> Vec<DutyProblem> {
        let mut out = Vec::new();
        let known = |who: &str| staff.contains(&who);
        for (index, o) in self.overrides.iter().enumerate() {
            let mut p = |message: String| out.push(DutyProblem { section: "overrides", index, message });
            if !schedules.contains(&o.schedule.as_str()) {
                p(format!("override {}: schedule `{}` is not in rules.yaml", o.id, o.schedule));
            }
            if !known(&o.who) {
                p(format!("override {}: `{}` is not in staff", o.id, o.who));
            }
            if o.from >= o.until {
                p(format!("override {}: from {} is not before until {}", o.id, o.from, o.until));
            }
            if self.overrides[..index].iter().any(|e| e.id == o.id) {
                p(format!("override number {} appears twice; renumber one", o.id));
            }
        }
        for (index, a) in self.away.iter().enumerate() {
            let mut p = |message: String| out.push(DutyProblem { section: "away", index, message });
            if !known(&a.who) {
                p(format!("away: `{}` is not in staff", a.who));
            }
            if let Some(b) = &a.backup
                && (!known(b) || *b == a.who)
            {
                p(format!("away: backup `{b}` for {} is not another staff member", a.who));
            }
            if a.from >= a.until {
                p(format!("away: {}'s from {} is not before until {}", a.who, a.from, a.until));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(s: &str) -> Stamp {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let duty = Duty {
            overrides: vec![Override {
                id: 1,
                schedule: "field".into(),
                who: "sam".into(),
                from: stamp("2026-11-26T00:00:00-06:00"),
                until: stamp("2026-11-27T00:00:00-06:00"),
                reason: Some("Dev: Thanksgiving, family: visiting".into()),
                by: "olive".into(),
                at: stamp("2026-11-20T10:00:00-06:00"),
            }],
            away: vec![Away {
                who: "dev".into(),
                from: stamp("2026-11-26T00:00:00-06:00"),
                until: stamp("2026-11-30T00:00:00-06:00"),
                reason: None,
                backup: Some("sam".into()),
                by: "dev".into(),
                at: stamp("2026-11-20T10:00:00-06:00"),
            }],
        };
        let text = duty.render().unwrap();
        assert!(text.starts_with("# On-call overrides"));
        let back = Duty::parse(&text).unwrap();
        assert_eq!(back, duty);
        assert_eq!(back.render().unwrap(), text);
        assert_eq!(Duty::parse(HEADER).unwrap(), Duty::default());
        assert!(Duty::parse("overrides: []\nvacations: []\n").is_err(), "unknown keys refused");
    }

    #[test]
    fn back_ends_only_the_running_period() {
        let mut duty = Duty::default();
        for (from, until) in [("2026-11-20", "2026-11-25"), ("2026-12-20", "2026-12-31")] {
            duty.away.push(Away {
                who: "dev".into(),
                from: stamp(&format!("{from}T00:00:00-06:00")),
                until: stamp(&format!("{until}T00:00:00-06:00")),
                reason: None,
                backup: None,
                by: "dev".into(),
                at: stamp("2026-11-01T00:00:00-06:00"),
            });
        }
        let now = stamp("2026-11-22T09:00:00-06:00");
        assert_eq!(duty.back("dev", now), 1);
        assert_eq!(duty.away[0].until, now);
        assert_eq!(duty.away[1].until, stamp("2026-12-31T00:00:00-06:00"));
        assert!(duty.away_at("dev", now.timestamp()).is_none());
        assert_eq!(duty.back("dev", now), 0);
    }

    #[test]
    fn check_names_bad_entries() {
        let mut duty = Duty::default();
        duty.away.push(Away {
            who: "dev".into(),
            from: stamp("2026-11-25T00:00:00-06:00"),
            until: stamp("2026-11-20T00:00:00-06:00"),
            reason: None,
            backup: Some("ghost".into()),
            by: "dev".into(),
            at: stamp("2026-11-01T00:00:00-06:00"),
        });
        let problems = duty.check(&["dev", "sam"], &["field"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("ghost"));
        assert!(problems[1].message.contains("not before"));
    }
}
