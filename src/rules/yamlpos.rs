//! Find the line of a key path in hand-written YAML, so semantic errors (an unknown staff
//! id, a value outside the vocabulary) can name `file:line` like parse errors do.
//!
//! This reads block-style YAML as people write it; when a path cannot be followed to the
//! end, the line of the deepest part found is returned.

/// One step of a path: a mapping key or a sequence index.
#[derive(Clone, Copy, Debug)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Line<'t> {
    /// 1-based line number.
    number: usize,
    indent: usize,
    text: &'t str,
}

fn content_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return None;
            }
            Some(Line { number: i + 1, indent: raw.len() - trimmed.len(), text: trimmed })
        })
        .collect()
}

/// Whether `text` (a line's content after indentation and any `- `) starts with `key:`.
fn starts_with_key(text: &str, key: &str) -> bool {
    let text = text.trim_start_matches(['"', '\'']);
    text.strip_prefix(key).map(|rest| rest.trim_start_matches(['"', '\''])).is_some_and(|rest| rest.starts_with(':'))
}

/// The 1-based line where `path` is written, or the deepest line found on the way.
pub fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let lines = content_lines(text);
    let (mut lo, mut hi) = (0, lines.len());
    // Column at which keys of the current mapping start.
    let mut key_col: Option<usize> = None;
    let mut found = None;
    for seg in path {
        match *seg {
            Seg::Key(key) => {
                let hit = (lo..hi).find_map(|i| {
                    let l = &lines[i];
                    let (col, body) = match l.text.strip_prefix("- ") {
                        Some(rest) => (l.indent + 2, rest.trim_start()),
                        None => (l.indent, l.text),
                    };
                    let at_level = key_col.is_none_or(|c| col == c);
                    (at_level && starts_with_key(body, key)).then_some((i, col))
                });
                let Some((i, col)) = hit else { return found };
                found = Some(lines[i].number);
                // A block sequence may sit at its key's own column (`history:` then `- at:`).
                let ends = |l: &Line| l.indent < col || (l.indent == col && !l.text.starts_with("- "));
                let end = (i + 1..hi).find(|&j| ends(&lines[j])).unwrap_or(hi);
                lo = i + 1;
                hi = end;
                key_col = lines[lo..hi].first().map(|l| l.indent);
            }
            Seg::Index(n) => {
                let dash_col = lines[lo..hi].iter().find(|l| l.text.starts_with('-')).map(|l| l.indent);
                let Some(dash_col) = dash_col else { return found };
                let items: Vec<usize> =
                    (lo..hi).filter(|&j| lines[j].indent == dash_col && lines[j].text.starts_with('-')).collect();
                let Some(&i) = items.get(n) else { return found };
                found = Some(lines[i].number);
                let end = items.get(n + 1).copied().unwrap_or(hi);
                lo = i;
                hi = end;
                key_col = Some(dash_col + 2);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "a: 1\nrouting:\n  # comment\n  - name: x\n    to: dev\n  - name: y\n    when:\n      urgency: [q]\n    to: sam\nz: 2\n";

    #[test]
    fn finds_nested_paths() {
        assert_eq!(locate(DOC, &[Seg::Key("z")]), Some(10));
        assert_eq!(locate(DOC, &[Seg::Key("routing"), Seg::Index(1), Seg::Key("to")]), Some(9));
        assert_eq!(locate(DOC, &[Seg::Key("routing"), Seg::Index(0), Seg::Key("name")]), Some(4));
        assert_eq!(locate(DOC, &[Seg::Key("routing"), Seg::Index(1), Seg::Key("when"), Seg::Key("urgency")]), Some(8));
        assert_eq!(locate(DOC, &[Seg::Key("routing"), Seg::Index(5)]), Some(2));
    }

    #[test]
    fn finds_sequences_at_their_keys_column() {
        let doc = "id: x\nhistory:\n- at: 1\n  by: ana\n- at: 2\n  by: dev\nafter: 3\n";
        assert_eq!(locate(doc, &[Seg::Key("history"), Seg::Index(1), Seg::Key("by")]), Some(6));
        assert_eq!(locate(doc, &[Seg::Key("history"), Seg::Index(0), Seg::Key("at")]), Some(3));
        assert_eq!(locate(doc, &[Seg::Key("after")]), Some(7));
    }
}
