//! The lead record of the SOP: its fields, status, id and append-only history. Pure: no I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::clock::Stamp;

/// The acting identity of automated runs (`escalate-check`): its events are not movement.
pub const SYSTEM: &str = "system";

/// Lowercase Crockford base32 (no i, l, o, u: nothing to misread on the phone): the
/// alphabet new ids are drawn from.
pub const ID_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Whether a byte may appear in an id's random part (any lowercase letter or digit, so
/// hand-made ids work; never `/`, `.` or anything that could leave `leads/`).
pub fn is_id_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Length of the random part of new ids (SPEC: at least 6).
pub const ID_RANDOM_LEN: usize = 9;

/// A lead id: `YYYYMMDD-` then at least six lowercase base32 characters.
///
/// Validated on construction, so an id can never name a path outside `leads/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LeadId(String);

impl LeadId {
    /// A new id for a lead captured on `date`, from the given random bytes.
    pub fn new(date: Date, random: &[u8]) -> LeadId {
        let tail: String =
            random.iter().take(ID_RANDOM_LEN).map(|b| ID_ALPHABET[usize::from(b % 32)] as char).collect();
        LeadId(format!("{}-{tail}", date.strftime("%Y%m%d")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The random part after the date (what prefixes match against).
    pub fn random_part(&self) -> &str {
        &self.0[9..]
    }

    /// Whether `s` is a well-formed id.
    pub fn is_valid(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() >= 15 && b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'-' && b[9..].iter().all(|&c| is_id_char(c))
    }
}

impl FromStr for LeadId {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<LeadId> {
        if !LeadId::is_valid(s) {
            bail!(
                "`{}` is not a lead id; ids look like 20261124-k3f9qx2ab (capture date, dash, lowercase letters and digits)",
                s.escape_debug()
            );
        }
        Ok(LeadId(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for LeadId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LeadId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|e: anyhow::Error| serde::de::Error::custom(e))
    }
}

impl fmt::Display for LeadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a lead stands in the handoff: `intake → assigned → accepted → closed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Intake,
    Assigned,
    Accepted,
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Intake, Status::Assigned, Status::Accepted, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Intake => "intake",
            Status::Assigned => "assigned",
            Status::Accepted => "accepted",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| anyhow::anyhow!("unknown status `{s}`; use one of intake, assigned, accepted, closed"))
    }
}

/// One lead, fields in the order of SPEC.md's table (serialisation follows this order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lead {
    pub id: LeadId,
    pub status: Status,
    pub created_at: Stamp,
    pub captured_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action_due: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub history: Vec<Event>,
}

/// What happened to a lead. Every kind but `escalated` (by `system`) is a person's movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    Captured,
    Updated,
    Noted,
    Assigned,
    Accepted,
    Rejected,
    Transferred,
    Next,
    Closed,
    /// A closed lead opened again (`handoff reopen`), with the reason.
    Reopened,
    Escalated,
    QaReview,
    /// Written by the merge driver when two clones contradict each other.
    Conflict,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Captured => "captured",
            EventKind::Updated => "updated",
            EventKind::Noted => "noted",
            EventKind::Assigned => "assigned",
            EventKind::Accepted => "accepted",
            EventKind::Rejected => "rejected",
            EventKind::Transferred => "transferred",
            EventKind::Next => "next",
            EventKind::Closed => "closed",
            EventKind::Reopened => "reopened",
            EventKind::Escalated => "escalated",
            EventKind::QaReview => "qa-review",
            EventKind::Conflict => "conflict",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One history entry: `at`, `by`, `event`, then the fields that event carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub at: Stamp,
    pub by: String,
    pub event: EventKind,
    /// New owner (assigned, transferred) or escalation target (escalated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Previous owner (transferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The routing or escalation rule that acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Record fields missing (captured --partial, rejected --missing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Record fields changed (updated, assigned, next).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    /// The next action promised (assigned, next).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Stamp>,
    /// When the escalated clock started: a rule fires once per lead per clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Free text (noted, closed --note, qa-review --comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// QA answers, question key → yes/no.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, bool>,
    /// The ISO week a QA review belongs to (`2026-W48`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week: Option<String>,
    /// Values before the change, field → value (updated by `edit`; a field that was empty
    /// is left out).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub old: BTreeMap<String, String>,
    /// Values after the change, field → value (a field cleared is left out).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub new: BTreeMap<String, String>,
}

impl Event {
    /// A bare event; set the fields it carries with struct update syntax.
    pub fn new(at: Stamp, by: &str, event: EventKind) -> Event {
        Event {
            at,
            by: by.to_owned(),
            event,
            to: None,
            from: None,
            rule: None,
            reason: None,
            missing: Vec::new(),
            changed: Vec::new(),
            action: None,
            due: None,
            clock: None,
            outcome: None,
            text: None,
            answers: BTreeMap::new(),
            week: None,
            old: BTreeMap::new(),
            new: BTreeMap::new(),
        }
    }

    /// Movement: any event recorded by a person (SPEC "Escalation" rule 3); QA reviews look
    /// back at a handoff and do not move it.
    pub fn is_movement(&self) -> bool {
        self.by != SYSTEM && !matches!(self.event, EventKind::Escalated | EventKind::Conflict | EventKind::QaReview)
    }
}

/// The SOP requirements that depend on policy (rules.yaml) rather than on the record.
#[derive(Clone, Copy, Debug, Default)]
pub struct Requirements {
    /// The lead's source is a referral source: `referral` is required.
    pub referral: bool,
    /// The lead's service type needs a follow-up date once owned.
    pub follow_up: bool,
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

impl Lead {
    pub fn is_open(&self) -> bool {
        self.status != Status::Closed
    }

    /// Required intake fields that are missing, by record field name.
    ///
    /// Address and market count as one requirement, named `service_address/market`.
    pub fn missing_intake(&self, req: Requirements) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if blank(&self.full_name) {
            missing.push("full_name");
        }
        if blank(&self.primary_phone) {
            missing.push("primary_phone");
        }
        if blank(&self.service_address) && blank(&self.market) {
            missing.push("service_address/market");
        }
        if blank(&self.service_type) {
            missing.push("service_type");
        }
        if blank(&self.urgency) {
            missing.push("urgency");
        }
        if blank(&self.source) {
            missing.push("source");
        }
        if req.referral && blank(&self.referral) {
            missing.push("referral");
        }
        if blank(&self.notes) {
            missing.push("notes");
        }
        missing
    }

    /// Everything the handoff contract needs besides acceptance: intake fields, the next
    /// action and its due time, the owner, and a follow-up date where policy asks for one.
    pub fn missing_for_handoff(&self, req: Requirements) -> Vec<&'static str> {
        let mut missing = self.missing_intake(req);
        if blank(&self.next_action) {
            missing.push("next_action");
        }
        if self.next_action_due.is_none() {
            missing.push("next_action_due");
        }
        if req.follow_up && self.follow_up_on.is_none() {
            missing.push("follow_up_on");
        }
        if blank(&self.owner) {
            missing.push("owner");
        }
        missing
    }

    /// Keep history in time order after appending to it: an event appended after `from`
    /// that is stamped earlier than the one before it (its command read the clock, then
    /// waited for another command's lock) takes that event's time. Events before `from`
    /// are never touched.
    pub fn keep_history_ordered(&mut self, from: usize) {
        for i in from.max(1)..self.history.len() {
            let previous = self.history[i - 1].at;
            if self.history[i].at < previous {
                self.history[i].at = previous;
            }
        }
    }

    /// The status the lead had when it was last closed, replayed from its history (what
    /// `reopen` returns it to); intake when the history does not say.
    pub fn status_before_close(&self) -> Status {
        let mut status = Status::Intake;
        let mut before_close = Status::Intake;
        for e in &self.history {
            status = match e.event {
                EventKind::Captured | EventKind::Rejected => Status::Intake,
                EventKind::Assigned | EventKind::Transferred => Status::Assigned,
                EventKind::Accepted => Status::Accepted,
                EventKind::Closed => {
                    before_close = status;
                    Status::Closed
                }
                EventKind::Reopened => before_close,
                _ => status,
            };
        }
        if status == Status::Closed { before_close } else { status }
    }

    /// The latest event recorded by a person.
    pub fn last_movement(&self) -> Option<&Event> {
        self.history.iter().rev().find(|e| e.is_movement())
    }

    /// The latest event of a kind.
    pub fn last_event(&self, kind: EventKind) -> Option<&Event> {
        self.history.iter().rev().find(|e| e.event == kind)
    }

    /// Whether the current owner has confirmed acceptance.
    pub fn is_accepted(&self) -> bool {
        matches!(self.status, Status::Accepted | Status::Closed) && self.last_event(EventKind::Accepted).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_events_never_go_back_in_time() {
        let at = |m: u8| format!("2026-11-24T07:{m:02}:00-06:00").parse::<Stamp>().unwrap();
        let mut lead: Lead = serde_norway::from_str(
            "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n",
        )
        .unwrap();
        lead.history = vec![Event::new(at(5), "ana", EventKind::Noted), Event::new(at(3), "ana", EventKind::Noted)];
        lead.history.push(Event::new(at(1), "dev", EventKind::Noted));
        lead.keep_history_ordered(2);
        let times: Vec<_> = lead.history.iter().map(|e| e.at).collect();
        // The old, hand-made disorder is left for validate to report; the new event follows.
        assert_eq!(times, [at(5), at(3), at(3)]);
    }

    #[test]
    fn ids_are_checked() {
        assert!(LeadId::is_valid("20261124-k3f9qx"));
        assert!(!LeadId::is_valid("20261124-k3f9q"));
        assert!(!LeadId::is_valid("../x"));
        assert!(!LeadId::is_valid("20261124-K3F9QX"));
        assert!(!LeadId::is_valid("20261124-k3f9qx/../../etc"));
        let id = LeadId::new(Date::constant(2026, 11, 24), &[0, 1, 2, 31, 32, 33, 8, 9, 255]);
        assert_eq!(id.as_str(), "20261124-012z0189z");
        assert_eq!(id.random_part(), "012z0189z");
    }
}
