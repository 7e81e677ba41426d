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
pub fn parse_lead(text: &str) -> Result<Lead, Problem> {
    // The canonical reader is linear and accepts neither flow nesting nor anchors, so
    // the screens below only guard the general YAML parser.
    if text.len() as u64 <= MAX_LEAD_BYTES
        && let Some(value) = super::fast_reader::parse(text)
        && let Ok(lead) = serde_json::from_value(value)
    {
        return Ok(lead);
    }
    if let Some(p) = screen_lead(text) {
        return Err(p);
    }
    serde_norway::from_str(text).map_err(|e| yaml_problem(&e))
}

/// Refuse lead text the general YAML parser must never see: oversized, nested absurdly
/// deep (quadratic to parse), or using anchors and aliases (alias bombs).
pub fn screen_lead(text: &str) -> Option<Problem> {
    if let Some(p) = screen_yaml(text, MAX_LEAD_BYTES) {
        return Some(p);
    }
    (text.contains(['&', '*']) && has_anchor_or_alias(text)).then(|| Problem {
        line: None,
        message: "YAML anchors and aliases (&name, *name) are not allowed in lead files".to_owned(),
    })
}

/// Whether YAML text uses an anchor or alias outside quoted or block text. Conservative:
/// a token starting with `&` or `*` right after `: `, `- `, `[`, `,` or at line start.
fn has_anchor_or_alias(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t);
        let value = t.split_once(": ").map_or(t, |(_, v)| v).trim_start();
        let value = value.trim_start_matches(['[', '{']);
        (value.starts_with('&') || value.starts_with('*'))
            && value[1..].chars().next().is_some_and(|c| c.is_alphanumeric())
    })
}

/// The deterministic YAML of a lead: same content, same bytes.
pub fn serialize_lead(lead: &Lead) -> Result<String> {
    serde_norway::to_string(lead).context("cannot serialise the lead")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_spotted() {
        assert!(has_anchor_or_alias("a: &x [1]\nb: *x\n"));
        assert!(has_anchor_or_alias("- *x\n"));
        assert!(!has_anchor_or_alias("notes: call at 5 & ask for *Bob\n"));
        assert!(!has_anchor_or_alias("notes: 2 * 3\n"));
    }
}
