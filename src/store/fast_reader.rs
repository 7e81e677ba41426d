//! A fast reader for lead files in the shape handoff writes them, for the year-of-leads scan.
//!
//! serde_norway (libyaml) is correct for any YAML but costs ~30 µs per lead; a scan over a
//! year of leads parses tens of thousands. Files handoff wrote are a small, regular subset
//! of YAML: top-level `key: value` lines, block-scalar text, and a `history:` list of flat
//! maps with short lists and an `answers:` map. This reader accepts exactly that subset
//! and turns it into a JSON value for serde; the moment it meets anything else (a comment,
//! a flow collection, an escape, a scalar YAML would read as a number or boolean, odd
//! indentation, a duplicate key) it gives up and the caller uses serde_norway, which also
//! produces the error message with its line. Both paths must agree on every file they both
//! accept; the tests below check that on generated leads full of awkward text.

use serde_json::{Map, Value};

/// Parse `text` if it is in canonical shape; `None` means "use the full YAML parser".
pub fn parse(text: &str) -> Option<Value> {
    let mut lines = text.lines().peekable();
    let mut top = Map::new();
    while let Some(line) = lines.next() {
        let (key, rest) = key_value(line, 0)?;
        let value = if key == "history" {
            match rest {
                "[]" => Value::Array(Vec::new()),
                "" => history(&mut lines)?,
                _ => return None,
            }
        } else {
            value(rest, &mut lines, 2)?
        };
        if top.insert(key.to_owned(), value).is_some() {
            return None;
        }
    }
    Some(Value::Object(top))
}

/// Split `  key: rest` at exactly `indent` spaces; keys are plain words.
fn key_value(line: &str, indent: usize) -> Option<(&str, &str)> {
    let body = line.strip_prefix(&" ".repeat(indent)[..])?;
    if body.starts_with(' ') {
        return None;
    }
    let (key, rest) = match body.split_once(": ") {
        Some((k, r)) => (k, r),
        None => (body.strip_suffix(':')?, ""),
    };
    let plain_key = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    plain_key.then_some((key, rest))
}

/// A scalar value, or a block scalar whose lines follow at `indent`.
fn value<'a>(rest: &'a str, lines: &mut std::iter::Peekable<std::str::Lines<'a>>, indent: usize) -> Option<Value> {
    match rest {
        "|-" | "|" => {
            let prefix = " ".repeat(indent);
            let mut text = String::new();
            let mut first = true;
            while let Some(next) = lines.peek() {
                let content = if next.is_empty() {
                    ""
                } else if let Some(c) = next.strip_prefix(&prefix[..]) {
                    c
                } else {
                    break;
                };
                if first && content.starts_with(' ') {
                    return None;
                }
                if !first {
                    text.push('\n');
                }
                text.push_str(content);
                first = false;
                lines.next();
            }
            if text.ends_with('\n') || first {
                return None; // trailing blank lines: chomping rules the full parser knows
            }
            if rest == "|" {
                text.push('\n');
            }
            Some(Value::String(text))
        }
        _ => scalar(rest).map(Value::String),
    }
}

/// A one-line scalar as a string, or `None` when YAML could read it as anything else.
fn scalar(s: &str) -> Option<String> {
    if s.is_empty() || s.contains('\t') {
        return None;
    }
    if let Some(inner) = s.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        if inner.replace("''", "").contains('\'') {
            return None;
        }
        return Some(inner.replace("''", "'"));
    }
    if let Some(inner) = s.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        return (!inner.contains(['\\', '"'])).then(|| inner.to_owned());
    }
    let first = s.chars().next()?;
    let indicator = "-?:,[]{}#&*!|>%@`~.".contains(first);
    // Only text that starts like a number (or Rust's `inf`/`nan`) is tried as one: most
    // values are words, and this runs for every field of every open lead in a scan.
    let numeric = (first.is_ascii_digit() || "+iInN".contains(first))
        && (s.parse::<f64>().is_ok()
            || s.trim_start_matches(['+', '-']).starts_with("0x")
            || s.trim_start_matches(['+', '-']).starts_with("0o"));
    const RESERVED: [&str; 9] = ["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    let reserved = s.len() <= 5 && RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r));
    if indicator || numeric || reserved || s.contains(": ") || s.contains(" #") || s.ends_with([':', ' ']) {
        return None;
    }
    Some(s.to_owned())
}

/// The `history:` list: items `- key: value` with `  key: value` continuations, nested
/// `  - item` lists and an `answers:` map at four spaces.
fn history<'a>(lines: &mut std::iter::Peekable<std::str::Lines<'a>>) -> Option<Value> {
    let mut events = Vec::new();
    while let Some(line) = lines.peek() {
        let Some(first) = line.strip_prefix("- ") else { break };
        lines.next();
        let mut event = Map::new();
        let mut pending = Some(first);
        loop {
            let body = match pending.take() {
                Some(b) => b,
                None => match lines.peek() {
                    Some(l) if l.starts_with("  ") && !l.starts_with("  - ") => lines.next()?.strip_prefix("  ")?,
                    _ => break,
                },
            };
            let (key, rest) = key_value(body, 0)?;
            let v = match (key, rest) {
                ("answers", "") => answers(lines)?,
                (_, "") => {
                    let mut items = Vec::new();
                    while let Some(item) = lines.peek().and_then(|l| l.strip_prefix("  - ")) {
                        items.push(Value::String(scalar(item)?));
                        lines.next();
                    }
                    if items.is_empty() {
                        return None;
                    }
                    Value::Array(items)
                }
                _ => value(rest, lines, 4)?,
            };
            if event.insert(key.to_owned(), v).is_some() {
                return None;
            }
        }
        events.push(Value::Object(event));
    }
    if lines.peek().is_some() && events.is_empty() {
        return None;
    }
    Some(Value::Array(events))
}

fn answers<'a>(lines: &mut std::iter::Peekable<std::str::Lines<'a>>) -> Option<Value> {
    let mut map = Map::new();
    while let Some(line) = lines.peek() {
        let Some((key, rest)) = key_value(line, 4) else { break };
        let v = match rest {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        if map.insert(key.to_owned(), Value::Bool(v)).is_some() {
            return None;
        }
        lines.next();
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lead::{Event, EventKind, Lead, LeadId, Status};
    use crate::store::serialize_lead;

    /// Awkward text: YAML indicators, quotes, numbers, booleans, comments, unicode, newlines.
    const PIECES: [&str; 32] = [
        "plain",
        "two words",
        "x: y",
        "#hash",
        "a #b",
        "'quoted'",
        "\"dq\"",
        "back\\slash",
        "123",
        "0x1F",
        "1e3",
        "true",
        "no",
        "~",
        "null",
        "- dash",
        "? q",
        "[list]",
        "{map}",
        "&anchor",
        "*alias",
        "!tag",
        "%pct",
        "@at",
        "`tick`",
        "tab\there",
        "émoji 🚰",
        " lead",
        "trail ",
        "line\nbreak",
        "end\n",
        "",
    ];

    fn text(seed: &mut u64) -> String {
        let mut s = String::new();
        for _ in 0..(1 + (*seed % 3)) {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s.push_str(PIECES[(*seed >> 33) as usize % PIECES.len()]);
        }
        s
    }

    fn lead(seed: &mut u64) -> Lead {
        let at = |h: u8| format!("2026-11-24T{h:02}:00:00-06:00").parse().unwrap();
        let mut history = vec![Event::new(at(7), "ana", EventKind::Captured)];
        history.push(Event {
            to: Some("dev".into()),
            reason: Some(text(seed)),
            missing: vec![text(seed), "service_address".into()],
            changed: vec!["owner".into()],
            action: Some(text(seed)),
            due: Some(at(9)),
            text: Some(text(seed)),
            ..Event::new(at(8), "dev", EventKind::Rejected)
        });
        history.push(Event {
            answers: BTreeMap::from([("owner-correct".into(), true), ("waited-too-long".into(), false)]),
            week: Some("2026-W48".into()),
            text: Some(text(seed)),
            ..Event::new(at(10), "olive", EventKind::QaReview)
        });
        Lead {
            id: "20261124-abcdefghj".parse::<LeadId>().unwrap(),
            status: Status::Accepted,
            created_at: at(7),
            captured_by: "ana".into(),
            full_name: Some(text(seed)),
            primary_phone: Some("+13125550100".into()),
            service_address: Some(text(seed)),
            market: Some(text(seed)),
            service_type: Some("repair".into()),
            urgency: Some("standard".into()),
            fit: None,
            source: Some("referral".into()),
            referral: Some(text(seed)),
            notes: Some(text(seed)),
            next_action: Some(text(seed)),
            next_action_due: Some(at(9)),
            follow_up_on: Some(jiff::civil::date(2026, 11, 26)),
            owner: Some("dev".into()),
            history,
        }
    }

    #[test]
    fn the_fast_reader_agrees_with_serde_norway_or_steps_aside() {
        let mut seed = 7u64;
        let mut fast_hits = 0;
        for _ in 0..3000 {
            let lead = lead(&mut seed);
            let yaml = serialize_lead(&lead).unwrap();
            let slow: Lead = serde_norway::from_str(&yaml).unwrap();
            assert_eq!(slow, lead, "serde round trip");
            if let Some(v) = super::parse(&yaml) {
                let fast: Lead = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
                assert_eq!(fast, lead, "fast reader differs on:\n{yaml}");
                fast_hits += 1;
            }
        }
        // Even with awkward text in a dozen fields, many files take the fast path.
        assert!(fast_hits > 500, "fast path used for only {fast_hits} of 3000");
    }

    #[test]
    fn ordinary_leads_take_the_fast_path() {
        let mut seed = 1u64;
        let mut lead = lead(&mut seed);
        for (i, field) in [
            &mut lead.full_name,
            &mut lead.service_address,
            &mut lead.market,
            &mut lead.referral,
            &mut lead.next_action,
        ]
        .into_iter()
        .enumerate()
        {
            *field = Some(format!("Maria O'Brien, 12 Elm St #{i} (back door)"));
        }
        lead.notes = Some("Water heater leaking.\nGate code 4471: use the side door.\n\nCall after 3pm".into());
        for e in &mut lead.history {
            e.reason = e.reason.as_ref().map(|_| "Which unit?".to_owned());
            e.text = e.text.as_ref().map(|_| "Left a voicemail; will retry at 3pm".to_owned());
            e.action = e.action.as_ref().map(|_| "Call back".to_owned());
            e.missing = vec!["service_address".into()];
        }
        let yaml = serialize_lead(&lead).unwrap();
        let fast: Lead = serde_json::from_value(super::parse(&yaml).expect("fast path")).unwrap();
        assert_eq!(fast, lead);
    }

    #[test]
    fn anything_unusual_falls_back() {
        for odd in [
            "id: x\n# comment\n",
            "id: x\nstatus: {a: 1}\n",
            "id: &a x\n",
            "id: x\nid: y\n",
            "id: 12\n",
            "id: x\n  indented: y\n",
            "notes: \"a\\tb\"\n",
            "id: x # trailing comment\n",
            "---\nid: x\n",
        ] {
            assert!(super::parse(odd).is_none(), "{odd:?}");
        }
    }
}
