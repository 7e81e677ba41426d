//! Anchors and aliases as the YAML parser itself sees them.
//!
//! Lead files refuse anchors and aliases (an alias bomb is a few hundred bytes that expand
//! to gigabytes). Telling `*urgent*` at the start of a line inside a block scalar, a folded
//! plain scalar or a quoted string from a real alias needs the YAML tokenizer, so this asks
//! libyaml (the parser serde_norway runs on) for its event stream and looks at the events:
//! no hand-written screen to get wrong. Only files off the fast path get here.

use std::mem::MaybeUninit;

use unsafe_libyaml_norway as unsafe_yaml;

/// What the event stream shows.
#[derive(Debug, PartialEq, Eq)]
pub enum Finding {
    /// No anchor or alias.
    Clean,
    /// An anchor (`&name`) or alias (`*name`) at this 1-based line.
    AnchorOrAlias(usize),
    /// The parser stopped with an error; serde_norway reports it with its line.
    Unparsable,
}

/// Walk the events of `text` and report the first anchor or alias.
pub fn find_anchor_or_alias(text: &str) -> Finding {
    let input = text.as_bytes();
    let mut parser = MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit();
    // SAFETY: the parser is initialised before use and deleted once, on every path; it
    // reads from `input`, which outlives it; each event is deleted after it is inspected,
    // and only the fields of the union member that matches `type_` are read.
    unsafe {
        let parser = parser.as_mut_ptr();
        if unsafe_yaml::yaml_parser_initialize(parser).fail {
            return Finding::Unparsable;
        }
        unsafe_yaml::yaml_parser_set_encoding(parser, unsafe_yaml::YAML_UTF8_ENCODING);
        unsafe_yaml::yaml_parser_set_input_string(parser, input.as_ptr(), input.len() as u64);
        let mut finding = Finding::Unparsable;
        loop {
            let mut event = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
            let event = event.as_mut_ptr();
            if unsafe_yaml::yaml_parser_parse(parser, event).fail {
                break;
            }
            let e = &*event;
            let anchored = match e.type_ {
                unsafe_yaml::YAML_ALIAS_EVENT => true,
                unsafe_yaml::YAML_SCALAR_EVENT => !e.data.scalar.anchor.is_null(),
                unsafe_yaml::YAML_SEQUENCE_START_EVENT => !e.data.sequence_start.anchor.is_null(),
                unsafe_yaml::YAML_MAPPING_START_EVENT => !e.data.mapping_start.anchor.is_null(),
                _ => false,
            };
            let line = e.start_mark.line as usize + 1;
            let end = e.type_ == unsafe_yaml::YAML_STREAM_END_EVENT;
            unsafe_yaml::yaml_event_delete(event);
            if anchored {
                finding = Finding::AnchorOrAlias(line);
                break;
            }
            if end {
                finding = Finding::Clean;
                break;
            }
        }
        unsafe_yaml::yaml_parser_delete(parser);
        finding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_tells_aliases_from_text() {
        assert_eq!(find_anchor_or_alias("a: &x [1]\nb: *x\n"), Finding::AnchorOrAlias(1));
        assert_eq!(find_anchor_or_alias("a: 1\nb:\n- *x\n"), Finding::AnchorOrAlias(3));
        assert_eq!(find_anchor_or_alias("notes: call at 5 & ask for *Bob\n"), Finding::Clean);
        assert_eq!(find_anchor_or_alias("notes: |-\n  first\n  *urgent* call\nx: \"a\\tb\"\n"), Finding::Clean);
        // A folded plain scalar, as YAML tools write long lines.
        assert_eq!(find_anchor_or_alias("notes: a long line\n  *urgent* call back\n"), Finding::Clean);
        assert_eq!(find_anchor_or_alias("notes: 'quoted\n  *urgent* text'\n"), Finding::Clean);
        assert_eq!(find_anchor_or_alias("a: [\n"), Finding::Unparsable);
    }
}
