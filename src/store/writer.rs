//! The lead-file writer: deterministic YAML (same content, same bytes) that every YAML
//! reader, 1.1 or 1.2, reads back as the same strings.
//!
//! The layout is serde_norway's (block maps, `- ` lists at their key's column, literal
//! `|-` blocks for multi-line text), so files written before keep their bytes. Scalars
//! are written plain only when no YAML reader could take them for anything but that text:
//! anything a YAML 1.1 reader (PyYAML, yq) would type — `yes`, `off`, `y`, `~`, `10:30`,
//! `1_000`, `0123`, `0x1F`, `.inf`, dates — is quoted, and text with characters YAML
//! treats as line breaks or controls (CR, NEL, U+2028/9, tabs) is double-quoted with
//! escapes. The fast reader accepts a file only when this writer reproduces its bytes, so
//! what it reads is provably what serde_norway reads (see `fast_reader`).

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde_norway::Value;

/// Keys whose values are handoff's own times and dates, written plain in their canonical
/// form (readers that type them as timestamps keep the instant; handoff reads either form).
const TIME_KEYS: [&str; 6] = ["created_at", "next_action_due", "follow_up_on", "at", "due", "clock"];

/// The YAML text of any serialisable record shaped like a lead (maps, lists, strings, bools).
pub fn to_yaml<T: serde::Serialize>(record: &T) -> Result<String> {
    let value = serde_norway::to_value(record)?;
    let Value::Mapping(map) = &value else { bail!("a lead must serialise to a map") };
    let mut out = String::with_capacity(2048);
    write_map(&mut out, map, 0, false)?;
    Ok(out)
}

fn write_map(out: &mut String, map: &serde_norway::Mapping, indent: usize, inline_first: bool) -> Result<()> {
    for (i, (k, v)) in map.iter().enumerate() {
        let Value::String(key) = k else { bail!("map keys must be text") };
        if i > 0 || !inline_first {
            push_indent(out, indent);
        }
        if is_plain_key(key) {
            out.push_str(key);
        } else {
            write_quoted(out, key);
        }
        out.push(':');
        write_value(out, key, v, indent)?;
    }
    Ok(())
}

/// `v` after `key:` at `indent`, ending with its line break.
fn write_value(out: &mut String, key: &str, v: &Value, indent: usize) -> Result<()> {
    match v {
        Value::Sequence(items) if items.is_empty() => out.push_str(" []\n"),
        Value::Sequence(items) => {
            out.push('\n');
            for item in items {
                push_indent(out, indent);
                out.push_str("- ");
                match item {
                    Value::Mapping(m) if !m.is_empty() => write_map(out, m, indent + 2, true)?,
                    Value::String(s) => {
                        write_inline_scalar(out, s);
                        out.push('\n');
                    }
                    _ => bail!("list items must be maps or text"),
                }
            }
        }
        Value::Mapping(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Mapping(m) => {
            out.push('\n');
            write_map(out, m, indent + 2, false)?;
        }
        Value::String(s) => {
            out.push(' ');
            if TIME_KEYS.contains(&key) && is_canonical_time(s) {
                out.push_str(s);
            } else if let Some(chomp) = literal_block(s) {
                write_literal(out, s, chomp, indent + 2);
                return Ok(());
            } else {
                write_inline_scalar(out, s);
            }
            out.push('\n');
        }
        Value::Bool(b) => {
            out.push(' ');
            out.push_str(if *b { "true" } else { "false" });
            out.push('\n');
        }
        Value::Number(n) => {
            let _ = writeln!(out, " {n}");
        }
        Value::Null => out.push_str(" null\n"),
        Value::Tagged(_) => bail!("tagged values are not written"),
    }
    Ok(())
}

fn push_indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// A one-line scalar: plain when nothing could mistake it, else single- or double-quoted.
fn write_inline_scalar(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
    } else if s.chars().all(is_safe_char) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        write_quoted(out, s);
    }
}

/// Double-quoted with escapes for everything outside printable, non-break characters.
fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if is_safe_char(c) => out.push(c),
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

/// Whether multi-line text can be a literal block, and with which chomping indicator:
/// lines of safe characters, none with trailing spaces, the first neither empty nor
/// indented, and at most one final line break.
fn literal_block(s: &str) -> Option<&'static str> {
    if !s.contains('\n') {
        return None;
    }
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(b) => (b, ""),
        None => (s, "-"),
    };
    if body.is_empty() || body.ends_with('\n') || body.starts_with([' ', '\n']) {
        return None;
    }
    let ok = body.split('\n').all(|line| !line.ends_with(' ') && line.chars().all(is_safe_char));
    ok.then_some(chomp)
}

fn write_literal(out: &mut String, s: &str, chomp: &str, indent: usize) {
    out.push('|');
    out.push_str(chomp);
    out.push('\n');
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            push_indent(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Printable and not a line break for YAML (libyaml's printable set minus CR, LF, NEL,
/// U+2028, U+2029, the BOM and tabs).
pub fn is_safe_char(c: char) -> bool {
    let u = c as u32;
    matches!(u, 0x20..=0x7E | 0xA0..=0x2027 | 0x202A..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF) && u != 0xFEFF
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') && !looks_typed(k)
}

/// Plain style: only text that no YAML reader takes for an indicator, a comment, a key or
/// a typed value.
pub fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    !"-?:,[]{}#&*!|>'\"%@` ".contains(first)
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && s.chars().all(is_safe_char)
        && !looks_typed(s)
}

/// Whether a YAML 1.1 or 1.2 reader might resolve `s` as something other than text: the
/// null and boolean words (YAML 1.1's `y`/`n`/`on`/`off` included), the merge and value
/// keys, and anything shaped like an int (decimal, octal, `0x`, `0o`, `0b`, `_` separators,
/// sexagesimal `10:30`), a float (`1e3`, `.5`, `.inf`, `.nan`) or a timestamp (`2026-11-24`,
/// `2026-11-24 7:00:00`). Over-approximates within those shapes; never for ordinary text.
pub fn looks_typed(s: &str) -> bool {
    const WORDS: [&str; 12] = ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "="];
    if s.is_empty() || WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return true;
    }
    let u = s.strip_prefix(['+', '-']).unwrap_or(s);
    if [".inf", ".nan"].iter().any(|w| u.eq_ignore_ascii_case(w)) {
        return true;
    }
    let all = |t: &str, set: &[u8]| !t.is_empty() && t.bytes().all(|b| set.contains(&b));
    let radix =
        |prefix: &str, set: &[u8]| u.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) && all(&u[2..], set);
    let first = u.as_bytes().first().copied().unwrap_or(b' ');
    let number = (first.is_ascii_digit() || first == b'.') && all(u, b"0123456789_.:eE+-");
    let hex = radix("0x", b"0123456789abcdefABCDEF_");
    let octal = radix("0o", b"01234567_");
    let binary = radix("0b", b"01_");
    let b = s.as_bytes();
    let timestamp =
        b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && all(s, b"0123456789-:.TtZz +\t");
    number || hex || octal || binary || timestamp
}

/// `2026-11-24T07:00:00-06:00` or `2026-11-26`: the forms `Stamp` and `Date` write.
fn is_canonical_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let date = |b: &[u8]| b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    match b.len() {
        10 => date(b) && digits(0..4) && digits(5..7) && digits(8..10),
        25 => {
            date(b)
                && digits(0..4)
                && digits(5..7)
                && digits(8..10)
                && b[10] == b'T'
                && digits(11..13)
                && b[13] == b':'
                && digits(14..16)
                && b[16] == b':'
                && digits(17..19)
                && (b[19] == b'+' || b[19] == b'-')
                && digits(20..22)
                && b[22] == b':'
                && digits(23..25)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_11_typed_scalars_are_quoted() {
        for s in [
            "yes",
            "No",
            "OFF",
            "on",
            "y",
            "N",
            "~",
            "null",
            "10:30",
            "1_000",
            "0123",
            "0x1F",
            ".inf",
            "-.Inf",
            ".NaN",
            "2026-11-24",
            "2026-11-24 7:00:00",
            "1e3",
            "+13125550142",
            "12",
            "",
            "<<",
            "=",
        ] {
            assert!(!is_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "Maria O'Brien",
            "12 Elm St",
            "418 Cedar Blvd",
            "repair",
            "Call back at 3pm",
            "x-y",
            "2026-W48",
            "a,b [c]",
            "20261114-aext8652b",
            "20261124-tz0t1zzzz",
            "3 dead beef",
        ] {
            assert!(is_plain(s), "{s:?} can stay plain");
        }
    }

    #[test]
    fn odd_text_is_double_quoted_and_blocks_are_literal() {
        let mut out = String::new();
        write_inline_scalar(&mut out, "a\u{2028}b\tc\u{85}\r");
        assert_eq!(out, "\"a\\u2028b\\tc\\x85\\r\"");
        assert_eq!(literal_block("a\nb"), Some("-"));
        assert_eq!(literal_block("a\nb\n"), Some(""));
        assert_eq!(literal_block("\nb"), None);
        assert_eq!(literal_block("\n"), None);
        assert_eq!(literal_block("a\n\n"), None);
        assert_eq!(literal_block(" a\nb"), None);
    }
}
