//! CSV as spreadsheets write it (RFC 4180): quoted fields with commas, doubled quotes and
//! line breaks, CRLF or LF line ends, an optional UTF-8 BOM.

use anyhow::{Result, bail};

/// Parse CSV text into records of fields. Each record carries the line it starts on.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let (mut line, mut start_line) = (1, 1);
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '"' => bail!("line {line}: a quote inside an unquoted field; quote the whole field and double the quote"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push((start_line, std::mem::take(&mut record)));
                line += 1;
                start_line = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        bail!("line {start_line}: a quoted field is never closed");
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start_line, record));
    }
    Ok(records)
}

/// One field, quoted when it needs to be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// One record, CRLF-terminated.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    cells.iter().map(|c| field(c.as_ref())).collect::<Vec<_>>().join(",") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_line_ends() {
        let text = "\u{feff}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,,3";
        let rows = parse(text).unwrap();
        assert_eq!(rows[0], (1, vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]));
        assert_eq!(rows[1].1, ["x, y", "say \"hi\"", "two\nlines"]);
        assert_eq!(rows[2], (4, vec!["1".to_owned(), String::new(), "3".to_owned()]));
        assert!(parse("\"open").is_err());
        assert_eq!(record(&["a,b", "c"]), "\"a,b\",c\r\n");
        let back = parse(&record(&["x\ny", "q\"q"])).unwrap();
        assert_eq!(back[0].1, ["x\ny", "q\"q"]);
    }
}
