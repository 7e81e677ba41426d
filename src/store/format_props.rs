//! Property tests of the lead-file format (issue 15): every file the writer makes reads
//! back equal through serde_norway and through `parse_lead`, and on any file — written or
//! mutated — the fast reader either declines or agrees with serde_norway.

use proptest::prelude::*;

use super::format::{parse_lead, read_canonical, serialize_lead};
use crate::lead::{Event, EventKind, Lead, LeadId, Status};

/// Pieces YAML treats specially: breaks and separators, indicators, typed words, markers.
const PIECES: &[&str] = &[
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\r",
    "\r\n",
    "\t",
    " ",
    "  ",
    "\n",
    "\n\n",
    "*",
    "&",
    "!",
    "#",
    ":",
    ": ",
    " #",
    "*urgent*",
    "&a",
    "*a",
    "!!str",
    "|",
    "|-",
    ">",
    "'",
    "''",
    "\"",
    "\\",
    "\\t",
    "-",
    "- ",
    "? ",
    "yes",
    "No",
    "off",
    "y",
    "n",
    "~",
    "null",
    "10:30",
    "1_000",
    "0123",
    "0x1F",
    ".inf",
    "-.Inf",
    ".nan",
    "1e3",
    "+1",
    "2026-11-24",
    "2026-11-24 7:00:00",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "\u{a0}",
    "é",
    "🚰",
    "---",
    "...",
    "%",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "<<",
    "=",
    "<<<<<<< HEAD",
    "=======",
    "plain",
    "two words",
    "Maria O'Brien",
];

fn awkward() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-z]{1,8}",
    ];
    proptest::collection::vec(piece, 0..7).prop_map(|v| v.concat())
}

/// Mostly ordinary text (so most files take the fast path), sometimes awkward.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[A-Za-z][A-Za-z ,.']{0,20}[a-z]", 1 => awkward()]
}

fn opt_awkward() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.8, text())
}

fn at(minute: u32) -> crate::clock::Stamp {
    format!("2026-11-24T{:02}:{:02}:00-06:00", 7 + minute / 60, minute % 60).parse().unwrap()
}

prop_compose! {
    fn event()(
        kind in proptest::sample::select(vec![EventKind::Noted, EventKind::Rejected, EventKind::Assigned, EventKind::QaReview]),
        minute in 0u32..600,
        by in text(),
        to in opt_awkward(),
        reason in opt_awkward(),
        missing in proptest::collection::vec(text(), 0..3),
        action in opt_awkward(),
        text in opt_awkward(),
        answers in proptest::collection::btree_map("[a-z][a-z-]{0,12}", any::<bool>(), 0..3),
    ) -> Event {
        Event { to, reason, missing, action, text, answers, due: Some(at(minute + 30)), ..Event::new(at(minute), &by, kind) }
    }
}

prop_compose! {
    fn lead()(
        full_name in opt_awkward(),
        primary_phone in opt_awkward(),
        service_address in opt_awkward(),
        market in opt_awkward(),
        urgency in opt_awkward(),
        fit in opt_awkward(),
        referral in opt_awkward(),
        notes in opt_awkward(),
        next_action in opt_awkward(),
        owner in opt_awkward(),
        captured_by in text(),
        history in proptest::collection::vec(event(), 0..4),
    ) -> Lead {
        Lead {
            id: "20261124-abcdefghj".parse::<LeadId>().unwrap(),
            status: Status::Assigned,
            created_at: at(0),
            captured_by,
            full_name,
            primary_phone,
            service_address,
            market,
            service_type: Some("repair".into()),
            urgency,
            fit,
            source: Some("phone".into()),
            referral,
            notes,
            next_action,
            next_action_due: Some(at(90)),
            follow_up_on: Some(jiff::civil::date(2026, 11, 26)),
            owner,
            history,
        }
    }
}

/// A mutation of a file's text: insert, delete, replace or duplicate, at a char boundary.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, String),
    Delete(usize, usize),
    DuplicateLine(usize),
    Indent(usize, String),
    /// Insert right after a line's `key:` (where a value starts) or at its end.
    AfterColon(usize, String),
    LineEnd(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), awkward()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 1usize..6).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), proptest::sample::select(vec![" ", "  ", "\t", "- ", "# ", "? "]).prop_map(str::to_owned))
            .prop_map(|(i, s)| Mutation::Indent(i, s)),
        (any::<usize>(), small()).prop_map(|(i, s)| Mutation::AfterColon(i, s)),
        (any::<usize>(), small()).prop_map(|(i, s)| Mutation::LineEnd(i, s)),
    ]
}

/// One or two pieces: what a hand edit or a YAML tool changes.
fn small() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES).prop_map(str::to_owned), 1..3).prop_map(|v| v.concat())
}

fn apply(text: &str, m: &Mutation) -> String {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let at = |i: usize| boundaries[i % boundaries.len()];
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match m {
        Mutation::Insert(i, s) => format!("{}{s}{}", &text[..at(*i)], &text[at(*i)..]),
        Mutation::Delete(i, n) => {
            let start = i % boundaries.len();
            let end = boundaries[(start + n).min(boundaries.len() - 1)];
            format!("{}{}", &text[..boundaries[start]], &text[end..])
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let mut out: Vec<&str> = lines.clone();
            out.insert(i % lines.len(), lines[i % lines.len()]);
            out.concat()
        }
        Mutation::Indent(i, s) if !lines.is_empty() => {
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let n = i % out.len();
            out[n] = format!("{s}{}", out[n]);
            out.concat()
        }
        Mutation::AfterColon(i, s) | Mutation::LineEnd(i, s) if !lines.is_empty() => {
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let n = i % out.len();
            let line = &out[n];
            let cut = match m {
                Mutation::AfterColon(..) => line.find(':').map_or(0, |c| c + 1),
                _ => line.trim_end_matches('\n').len(),
            };
            out[n] = format!("{}{s}{}", &line[..cut], &line[cut..]);
            out.concat()
        }
        _ => text.to_owned(),
    }
}

/// The fast reader's verdict must be serde_norway's: when it takes a file, serde_norway
/// reads the same lead from it.
fn fast_agrees_or_declines(text: &str) -> Result<(), TestCaseError> {
    if let Some(fast) = read_canonical(text) {
        let slow: Result<Lead, _> = serde_norway::from_str(text);
        prop_assert_eq!(slow.as_ref().ok(), Some(&fast), "fast reader disagrees on:\n{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_written_file_reads_back_equal(lead in lead()) {
        let text = serialize_lead(&lead).unwrap();
        let slow: Lead = serde_norway::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&slow, &lead, "serde_norway reads back another lead from:\n{}", text);
        let read = parse_lead(&text).map_err(|p| TestCaseError::fail(format!("{}\n{text}", p.message)))?;
        prop_assert_eq!(&read, &lead);
        // Deterministic: the same lead gives the same bytes.
        prop_assert_eq!(serialize_lead(&read).unwrap(), text.clone());
        fast_agrees_or_declines(&text)?;
    }

    #[test]
    fn on_mutated_files_the_fast_reader_declines_or_agrees(lead in lead(), ms in proptest::collection::vec(mutation(), 1..4)) {
        let mut text = serialize_lead(&lead).unwrap();
        for m in &ms {
            text = apply(&text, m);
        }
        fast_agrees_or_declines(&text)?;
    }
}

#[test]
fn ordinary_files_take_the_fast_path() {
    let text = "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n\
                full_name: Maria O'Brien\nprimary_phone: '+13125550142'\nservice_address: '12 Elm St #4'\n\
                notes: |-\n  Water heater leaking.\n\n  *urgent* call back\nhistory:\n- at: 2026-11-24T07:00:00-06:00\n  \
                by: ana\n  event: captured\n";
    let lead = read_canonical(text).expect("fast path");
    assert_eq!(lead.notes.as_deref(), Some("Water heater leaking.\n\n*urgent* call back"));
}

#[test]
fn the_issue_15_misreads_are_read_as_yaml_reads_them() {
    let base = "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n";
    for (extra, urgency) in [
        ("urgency:  emergency\n", "emergency"),
        ("urgency: emergency \n", "emergency"),
        ("urgency: \"emer\\\n  gency\"\n", "emergency"),
    ] {
        let text = format!("{base}{extra}");
        assert_eq!(read_canonical(&text), None, "{text}");
        assert_eq!(parse_lead(&text).unwrap().urgency.as_deref(), Some(urgency));
    }
    // U+2028 in a name: the writer escapes it; a raw one is a line break to YAML, so
    // handoff refuses the file exactly when serde_norway does.
    for raw in [format!("{base}full_name: Ma\u{2028}ria\n"), format!("{base}full_name: \"Ma\u{2028}ria\"\n")] {
        let slow: Option<Lead> = serde_norway::from_str(&raw).ok();
        assert_eq!(parse_lead(&raw).ok(), slow, "{raw}");
    }
    // Block scalars that start with a blank line, and a `|` block of one empty line.
    for notes in ["|-\n\n  after a blank line\n", "|\n\n", "|+\n  kept\n\n"] {
        let text = format!("{base}notes: {notes}");
        let slow: Lead = serde_norway::from_str(&text).unwrap();
        assert_eq!(parse_lead(&text).unwrap(), slow, "{text}");
        let rewritten = serialize_lead(&slow).unwrap();
        assert_eq!(parse_lead(&rewritten).unwrap(), slow, "{rewritten}");
    }
}
