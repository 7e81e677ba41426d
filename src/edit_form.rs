//! The text `handoff edit` puts in the editor: the lead's editable fields as YAML, with a
//! comment header, and reading it back. Pure: no files, no editor, no clock.
//!
//! The record is editable (the intake fields, the next action and its due time, the
//! follow-up date); the id, status, owner and history move only through their own
//! commands (assign, accept, transfer, close…), so the SOP's checks and the audit trail
//! cannot be bypassed by an edit.

use std::collections::BTreeMap;

use jiff::ZonedDateTime;

use crate::field::Field;
use crate::lead::{Event, EventKind, Lead, Status};
use crate::rules::Rules;

/// The fields `edit` offers, in record order: every field but the owner (which moves only
/// by assign and transfer).
pub const EDITABLE: &[Field] = Field::ALL.split_at(13).0;

/// The prefix of the lines that report problems in a reopened form.
pub const ERROR_PREFIX: &str = "# ERROR: ";

/// The form for `lead`: a comment header, then one `field: value` line per editable field
/// (an empty value for a field not set).
pub fn render(lead: &Lead) -> String {
    let mut out = format!(
        "# handoff edit: lead {} ({}, owner {}).\n\
         # Change the values below, save and quit. Leave a value empty to clear it.\n\
         # To abandon the edit, delete everything (or quit without saving).\n",
        lead.id,
        lead.status,
        lead.owner.as_deref().unwrap_or("none")
    );
    for &field in EDITABLE {
        out.push_str(&line(field, field.get(lead).as_deref()));
    }
    out
}

/// One `field: value` line (a block scalar for text with line breaks).
fn line(field: Field, value: Option<&str>) -> String {
    match value {
        None => format!("{field}:\n"),
        Some(v) => {
            let map = BTreeMap::from([(field.name(), v)]);
            serde_norway::to_string(&map).unwrap_or_else(|_| format!("{field}:\n"))
        }
    }
}

/// The form again, after a failed save: the problems as comments at the top, then what
/// the user wrote (without the problems of an earlier round).
pub fn with_errors(text: &str, errors: &[String]) -> String {
    let mut out: String = errors.iter().map(|e| format!("{ERROR_PREFIX}{}\n", e.replace('\n', " "))).collect();
    out.push_str("# Fix the values below and save again, or delete everything to abandon the edit.\n");
    out.push_str(&without_errors(text));
    out
}

/// The form without the problem comments of an earlier round (to compare two saves).
pub fn without_errors(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(ERROR_PREFIX) && !l.starts_with("# Fix the values below"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Whether the user emptied the form (nothing but comments and blank lines): abandon.
pub fn is_abandoned(text: &str) -> bool {
    text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// Read a saved form: every editable field's value (`None` = empty), or the problems
/// found (an unknown or repeated key, a value that is not text, invalid YAML).
pub fn parse(text: &str) -> Result<BTreeMap<Field, Option<String>>, Vec<String>> {
    let value: serde_norway::Value = serde_norway::from_str(text).map_err(|e| vec![format!("not valid YAML: {e}")])?;
    let serde_norway::Value::Mapping(map) = value else {
        return Err(vec!["the form must be `field: value` lines".to_owned()]);
    };
    let mut values = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in map {
        let Some(name) = key.as_str() else {
            problems.push(format!("`{key:?}` is not a field name"));
            continue;
        };
        let field = match name.parse::<Field>() {
            Ok(f) if EDITABLE.contains(&f) => f,
            _ => {
                let names: Vec<&str> = EDITABLE.iter().map(|f| f.name()).collect();
                problems.push(format!("`{name}` is not a field edit can change; the fields are {}", names.join(", ")));
                continue;
            }
        };
        let text = match value {
            serde_norway::Value::Null => None,
            serde_norway::Value::String(s) => Some(s),
            serde_norway::Value::Number(n) => Some(n.to_string()),
            serde_norway::Value::Bool(b) => Some(b.to_string()),
            _ => {
                problems.push(format!("{name}: give plain text, not a list or a map"));
                continue;
            }
        };
        values.insert(field, text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()));
    }
    if problems.is_empty() { Ok(values) } else { Err(problems) }
}

/// What the user changed: the fields whose value in `edited` differs from `original` (a
/// field left out of the edited form is unchanged).
pub fn changes(
    original: &BTreeMap<Field, Option<String>>,
    edited: &BTreeMap<Field, Option<String>>,
) -> BTreeMap<Field, Option<String>> {
    edited.iter().filter(|(f, v)| original.get(*f) != Some(*v)).map(|(f, v)| (*f, v.clone())).collect()
}

/// Check one value and set it on `lead`: whether it changed, and the value as stored.
fn set_value(
    lead: &mut Lead,
    field: Field,
    value: Option<&str>,
    rules: &Rules,
    now: &ZonedDateTime,
) -> Result<(bool, Option<String>), String> {
    Ok(match field {
        Field::FollowUpOn => {
            let date =
                value.map(|v| crate::clock::parse_date(v, now)).transpose().map_err(|e| format!("{field}: {e:#}"))?;
            let did = lead.follow_up_on != date;
            lead.follow_up_on = date;
            (did, date.map(|d| d.to_string()))
        }
        Field::NextActionDue => {
            let due = value
                .map(|v| crate::clock::parse_time(v, now, rules.eod).map(|z| crate::clock::Stamp::from_zoned(&z)))
                .transpose()
                .map_err(|e| format!("{field}: {e:#}"))?;
            let did = lead.next_action_due != due;
            lead.next_action_due = due;
            (did, due.map(|d| d.to_string()))
        }
        Field::NextAction => {
            let value = value
                .map(|v| field.check(rules, v))
                .transpose()
                .map_err(|e| e.replacen(field.flag(), field.name(), 1))?;
            let did = lead.next_action != value;
            lead.next_action = value.clone();
            (did, value)
        }
        _ => {
            let value = value
                .map(|v| field.check(rules, v))
                .transpose()
                .map_err(|e| e.replacen(field.flag(), field.name(), 1))?;
            (field.set_opt(lead, value.clone()), value)
        }
    })
}

/// Check every change against the rules and the SOP, then apply them all to `lead` and
/// record one `updated` event by `by` with the old and new values; or list every problem
/// and leave `lead` untouched.
pub fn apply(
    lead: &mut Lead,
    rules: &Rules,
    changes: &BTreeMap<Field, Option<String>>,
    now: &ZonedDateTime,
    by: &str,
) -> Result<Vec<Field>, Vec<String>> {
    if lead.status == Status::Closed {
        return Err(vec![format!(
            "lead {} is closed; reopen it first with `handoff reopen ID --reason TEXT`",
            lead.id
        )]);
    }
    let mut next = lead.clone();
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    let mut event = Event::new(crate::clock::Stamp::from_zoned(now), by, EventKind::Updated);
    for (field, value) in changes {
        let old = field.get(lead);
        let (did, value) = match set_value(&mut next, *field, value.as_deref(), rules, now) {
            Ok(done) => done,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if did {
            changed.push(*field);
            if let Some(o) = old {
                event.old.insert(field.name().to_owned(), o);
            }
            if let Some(n) = value {
                event.new.insert(field.name().to_owned(), n);
            }
        }
    }
    let req = rules.requirements(&next);
    let missing = next.missing_intake(req);
    if next.status != Status::Intake {
        // An owned lead keeps the whole contract, as with `update`.
        for m in &missing {
            problems.push(format!("{m} is required once a lead is {}; give it a value", next.status));
        }
        if req.follow_up && next.follow_up_on.is_none() {
            problems.push(format!("follow_up_on is required for this service type once a lead is {}", next.status));
        }
        if next.next_action.is_none() || next.next_action_due.is_none() {
            problems.push(format!("next_action and next_action_due are required once a lead is {}", next.status));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    event.changed = changed.iter().map(|f| f.name().to_owned()).collect();
    event.missing = missing.iter().map(|m| (*m).to_owned()).collect();
    next.history.push(event);
    *lead = next;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead() -> Lead {
        let mut l: Lead = serde_norway::from_str(
            "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n",
        )
        .unwrap();
        l.full_name = Some("Maria Lopez".into());
        l.primary_phone = Some("+13125550142".into());
        l.notes = Some("line one\nline: two # not a comment".into());
        l
    }

    #[test]
    fn a_form_reads_back_as_the_lead() {
        let form = render(&lead());
        assert!(form.contains("full_name: Maria Lopez\n"), "{form}");
        assert!(form.contains("market:\n"), "{form}");
        let values = parse(&form).unwrap();
        assert_eq!(values[&Field::FullName].as_deref(), Some("Maria Lopez"));
        assert_eq!(values[&Field::PrimaryPhone].as_deref(), Some("+13125550142"));
        assert_eq!(values[&Field::Notes].as_deref(), Some("line one\nline: two # not a comment"));
        assert_eq!(values[&Field::Market], None);
        assert_eq!(values.len(), EDITABLE.len());
    }

    #[test]
    fn unknown_keys_and_lists_are_problems() {
        let errs = parse("full_name: [a, b]\nstatus: closed\n").unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(parse("full_name: 'open").is_err());
    }

    #[test]
    fn errors_go_on_top_once() {
        let once = with_errors("urgency: soon\n", &["urgency: `soon` is not an urgency".into()]);
        let twice = with_errors(&once, &["urgency: `later` is not an urgency".into()]);
        assert_eq!(twice.matches(ERROR_PREFIX).count(), 1, "{twice}");
        assert!(twice.ends_with("urgency: soon\n"));
        assert!(is_abandoned("# only\n\n"));
        assert!(!is_abandoned(&twice));
    }
}
