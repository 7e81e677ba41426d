//! The lead-file format: read limits, the YAML screens, parsing (the fast canonical
//! reader first, serde_norway for anything else) and the deterministic serialiser.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::error::workspace;
use crate::lead::Lead;
use crate::rules::{Problem, screen_yaml, yaml_problem};

/// Largest lead file read (a lead with a long history is a few KiB).
pub const MAX_LEAD_BYTES: u64 = 256 * 1024;

/// Read a file of at most `max` bytes as UTF-8, refusing symlinks and other oddities.
pub fn read_limited(path: &Path, max: u64) -> Result<String> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(workspace(format!(
            "{} is a symbolic link; handoff reads only regular files inside the workspace",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(workspace(format!("{} is not a regular file", path.display())));
    }
    if meta.len() > max {
        return Err(workspace(format!(
            "{} is {} bytes, larger than the {max} bytes allowed; it is not a lead file handoff wrote",
            path.display(),
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        workspace(format!("{} is not UTF-8 text (bad byte at offset {})", path.display(), e.utf8_error().valid_up_to()))
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}

/// Parse lead YAML; the problem carries the line when the parser knows it.
///
/// A file the fast reader takes is one the writer reproduces byte for byte, so it reads
/// exactly as serde_norway reads it; anything else is screened and parsed by serde_norway.
pub fn parse_lead(text: &str) -> Result<Lead, Problem> {
    parse_lead_kind(text, false).map(|(lead, _)| lead)
}

/// [`parse_lead`], also saying whether the fast reader took the text as the writer's own
/// bytes. `trusted`: these very bytes were found canonical before (the scan index says the
/// file is unchanged since), so the fast reader's result is taken without the
/// byte-for-byte check; anything it declines still goes the careful way.
pub fn parse_lead_kind(text: &str, trusted: bool) -> Result<(Lead, bool), Problem> {
    if trusted
        && text.len() as u64 <= MAX_LEAD_BYTES
        && let Some(lead) = super::fast_reader::parse(text).and_then(|v| serde_json::from_value::<Lead>(v).ok())
    {
        return Ok((lead, true));
    }
    if let Some(line) = conflict_marker_line(text) {
        return Err(Problem {
            line: Some(line),
            message: "unresolved git conflict markers (<<<<<<<, =======, >>>>>>>); keep one version of each \
                      field, delete the marker lines"
                .to_owned(),
        });
    }
    if let Some(lead) = read_canonical(text) {
        return Ok((lead, true));
    }
    if let Some(p) = screen_lead(text) {
        return Err(p);
    }
    serde_norway::from_str(text).map(|lead| (lead, false)).map_err(|e| yaml_problem(&e))
}

/// The lead in `text` when `text` is exactly what the writer makes of it; `None` sends the
/// file to serde_norway. Accepting only the writer's own bytes is what makes the fast
/// reader safe: for those bytes serde_norway's reading is known (the writer's round trip
/// is property-tested), whatever the fast reader's own rules say.
pub fn read_canonical(text: &str) -> Option<Lead> {
    if text.len() as u64 > MAX_LEAD_BYTES {
        return None;
    }
    let lead: Lead = serde_json::from_value(super::fast_reader::parse(text)?).ok()?;
    let written = serialize_lead(&lead).ok()?;
    (written == text || same_but_quotes(&written, text)).then_some(lead)
}

/// Whether `text` is the writer's `written` except that some one-line values the writer
/// leaves plain are single-quoted (as other writers and older versions quote them). A
/// single-quoted scalar of printable, non-break characters reads as its content in any
/// YAML reader, and quoting a value never changes the lines around it, so such a file
/// still reads exactly as the writer's bytes do.
fn same_but_quotes(written: &str, text: &str) -> bool {
    let (mut w, mut t) = (written.split('\n'), text.split('\n'));
    loop {
        match (w.next(), t.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let Some(cut) = b.find(": '").map(|i| i + 2).or_else(|| b.starts_with("- '").then_some(2)) else {
                    return false;
                };
                let (prefix, quoted) = b.split_at(cut);
                let Some(plain) = a.strip_prefix(prefix) else { return false };
                let inner = quoted.strip_prefix('\'').and_then(|q| q.strip_suffix('\''));
                let same = inner.is_some_and(|q| q == plain.replace('\'', "''"));
                if !same || !super::writer::is_plain(plain) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The 1-based line of the first git conflict marker (`<<<<<<< `, `=======`, `>>>>>>> `,
/// `||||||| `) at the start of a line, if any. Such a file has two values for some field,
/// so it is never read as either.
pub fn conflict_marker_line(text: &str) -> Option<usize> {
    if !text.contains("<<<<<<<") && !text.contains("=======") && !text.contains(">>>>>>>") {
        return None;
    }
    text.lines().position(is_conflict_marker).map(|i| i + 1)
}

fn is_conflict_marker(line: &str) -> bool {
    let line = line.trim_end_matches('\r');
    ["<<<<<<<", ">>>>>>>", "|||||||"].iter().any(|m| line == *m || line.starts_with(&format!("{m} ")))
        || line == "======="
}

/// Refuse lead text the general YAML parser must never see: oversized, nested absurdly
/// deep (quadratic to parse), or using anchors and aliases (alias bombs). Anchors are
/// found by libyaml's own event stream, so text that merely starts with `*` is never
/// mistaken for one.
pub fn screen_lead(text: &str) -> Option<Problem> {
    if let Some(p) = screen_yaml(text, MAX_LEAD_BYTES) {
        return Some(p);
    }
    if !text.contains(['&', '*']) {
        return None;
    }
    match super::yaml_events::find_anchor_or_alias(text) {
        super::yaml_events::Finding::AnchorOrAlias(line) => Some(Problem {
            line: Some(line),
            message: "YAML anchors and aliases (&name, *name) are not allowed in lead files; write the value out"
                .to_owned(),
        }),
        _ => None,
    }
}

/// The deterministic YAML of a lead: same content, same bytes (see `writer`).
pub fn serialize_lead(lead: &Lead) -> Result<String> {
    super::writer::to_yaml(lead).context("cannot serialise the lead")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_a_plain_value_keeps_the_fast_path_but_nothing_else_does() {
        let w = "id: x\nservice_address: 955 Lake Shore Dr\nhistory:\n- at: t\n  text: Gate code; O'Brien\n";
        assert!(same_but_quotes(w, &w.replace("955 Lake Shore Dr", "'955 Lake Shore Dr'")));
        assert!(same_but_quotes(w, &w.replace("Gate code; O'Brien", "'Gate code; O''Brien'")));
        assert!(!same_but_quotes(w, &w.replace("Gate code; O'Brien", "'Gate code; O'Brien'")));
        assert!(!same_but_quotes(w, &w.replace("955 Lake Shore Dr", "'955 Lake Shore Dr '")));
        assert!(!same_but_quotes(w, &w.replace("955 Lake Shore Dr", "\"955 Lake Shore Dr\"")));
        assert!(!same_but_quotes(w, &w.replace("955 Lake Shore Dr\n", "'955 Lake Shore Dr'\nx: y\n")));
    }

    #[test]
    fn conflict_markers_are_found_at_line_starts_only() {
        assert_eq!(conflict_marker_line("id: x\n<<<<<<< HEAD\nstatus: closed\n=======\n"), Some(2));
        assert_eq!(conflict_marker_line("notes: |-\n  ======= not a marker\n"), None);
        assert_eq!(conflict_marker_line("notes: a <<<<<<< b\n"), None);
    }
}
