//! The iCalendar feed of on-call shifts (`handoff oncall --ics`), per RFC 5545: CRLF line
//! ends, lines folded at 75 octets, text escaped, times in UTC, and a UID per shift that
//! stays the same between exports so calendar apps update events instead of duplicating them.
//!
//! Pure: the shifts and the export time are arguments.

use jiff::Timestamp;

use super::Shift;

/// One shift to export, with its schedule and the on-call person's display name.
pub struct Entry<'a> {
    pub schedule: &'a str,
    pub shift: &'a Shift,
    /// Display name of who is on call (the staff entry's `name`).
    pub name: String,
}

/// `20261101T140000Z`
fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escape a TEXT value (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Append one content line, folded so no physical line exceeds 75 octets (§3.1), never
/// splitting a UTF-8 character.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// The feed: one VEVENT per shift with someone on call; gaps are left out.
pub fn render(title: &str, entries: &[Entry], exported_at: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//handoff//on-call schedules//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(title)));
    for e in entries {
        let Some(on_call) = &e.shift.on_call else { continue };
        let start = utc(e.shift.start);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}-{start}@handoff", e.schedule));
        line(&mut out, &format!("DTSTAMP:{}", utc(exported_at)));
        line(&mut out, &format!("DTSTART:{start}"));
        line(&mut out, &format!("DTEND:{}", utc(e.shift.end)));
        line(&mut out, &format!("SUMMARY:{}", escape(&format!("On call ({}): {}", e.schedule, e.name))));
        let mut desc =
            format!("{} ({}) is on call for {}; from {}", e.name, on_call.who, e.schedule, on_call.source.label());
        if let Some(away) = &on_call.covering_for {
            desc.push_str(&format!(", covering for {away}"));
        }
        desc.push('.');
        line(&mut out, &format!("DESCRIPTION:{}", escape(&desc)));
        // A list of TEXT values: each escaped, the commas between them not.
        line(&mut out, &format!("CATEGORIES:on-call,{}", escape(e.schedule)));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{OnCall, Source};

    #[test]
    fn folds_escapes_and_uses_crlf() {
        let at = |s: &str| s.parse::<crate::clock::Stamp>().unwrap().timestamp();
        let shift = Shift {
            start: at("2026-11-01T08:00:00-06:00"),
            end: at("2026-11-02T08:00:00-06:00"),
            on_call: Some(OnCall { who: "dev".into(), source: Source::Layer("weekly".into()), covering_for: None }),
        };
        let long = "Dëv Dispatch; the night-shift lead, who covers the whole north side of town".to_owned();
        let entries = [Entry { schedule: "field", shift: &shift, name: long }];
        let text = render("handoff on call", &entries, at("2026-10-30T12:00:00Z"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF");
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "line longer than 75 octets: {l:?}");
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("UID:field-20261101T140000Z@handoff\r\n"));
        assert!(unfolded.contains("DTSTART:20261101T140000Z\r\n"));
        assert!(unfolded.contains("DTEND:20261102T140000Z\r\n"));
        assert!(unfolded.contains("SUMMARY:On call (field): Dëv Dispatch\\; the night-shift lead\\, who"));
        assert!(unfolded.contains("DTSTAMP:20261030T120000Z\r\n"));
        assert!(unfolded.contains("CATEGORIES:on-call,field\r\n"));
    }
}
