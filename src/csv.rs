//! CSV as spreadsheets write it (RFC 4180): quoted fields with commas, doubled quotes and
//! line breaks, CRLF or LF line ends, an optional UTF-8 BOM. The `csv` crate does the work;
//! this is the shape import and export use.

use anyhow::{Result, bail};

/// Parse CSV text into records of fields. Each record carries the line it starts on.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The reader takes an unclosed quote to the end of the file; a spreadsheet never
    // writes one, so it is a damaged file (RFC 4180 quotes always come in pairs).
    if text.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        bail!("a quoted field is never closed (an odd number of \" characters)");
    }
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        records.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(records)
}

/// One record, CRLF-terminated, each field quoted when it needs to be.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut writer = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory cannot fail, and the text is UTF-8 in, UTF-8 out.
    let _ = writer.write_record(cells.iter().map(|c| c.as_ref()));
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A cell a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a CR) gets a leading `'`, so opening an export never runs what a caller said on the
/// phone (CSV injection). Plain numbers (`+13125550142`, `-5`, `-2.5`) are left alone: a
/// spreadsheet reads them as numbers, never as formulas.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = {
        let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    if risky && !number { format!("'{cell}").into() } else { cell.into() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        use super::neutralise;
        for (cell, out) in [
            ("=1+1", "'=1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-2+3", "'-2+3"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("+13125550142", "+13125550142"),
            ("-2.5", "-2.5"),
            ("Maria", "Maria"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), out);
        }
    }

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
