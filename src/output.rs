//! Printing records and reports in the formats of `--format`: table, json, yaml, csv, md.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, LineStyle, Table as Comfy, TableStyle};
use serde::Serialize;

use crate::error::Failure;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// A readable table (the default).
    #[default]
    Table,
    Json,
    Yaml,
    Csv,
    /// A Markdown table, for mail and wikis.
    Md,
    /// One self-contained HTML page (where a command has one, e.g. `stats`).
    Html,
}

/// How a cell is emphasised on a colour terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// Overdue, escalated: needs action now.
    Alert,
}

/// Rows of text with headers: what table, csv and md print.
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per row, how to colour it on a terminal.
    pub tones: Vec<Tone>,
    /// Wrap to this width when neither a terminal nor `$COLUMNS` gives one (long text
    /// such as `log`'s event descriptions).
    pub wrap_at: Option<u16>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table { headers: headers.iter().map(|h| (*h).to_owned()).collect(), ..Table::default() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.push(cells, Tone::Plain);
    }

    pub fn push(&mut self, cells: Vec<String>, tone: Tone) {
        self.rows.push(cells);
        self.tones.push(tone);
    }
}

/// Whether stdout gets colour: anstream's choice (a terminal, no `NO_COLOR`, not
/// `TERM=dumb`; `CLICOLOR_FORCE` forces it).
pub fn colour_enabled() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// `s` on one line, cut to at most `width` terminal columns, with `…` where it was cut
/// (wide characters such as CJK count as two columns, combining marks as none).
pub fn cut(s: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let s = s.replace('\n', " ");
    if s.width() <= width {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// What a command hands the output layer besides its data (which json and yaml print):
/// the ways it reads as text. Only this module decides which one a format uses.
#[derive(Default)]
pub struct View<'a> {
    table: Option<Box<dyn FnOnce() -> Table + 'a>>,
    text: Option<Box<dyn FnOnce() -> String + 'a>>,
    markdown: Option<Box<dyn FnOnce() -> String + 'a>>,
    html: Option<Box<dyn FnOnce() -> String + 'a>>,
    empty: Option<&'a str>,
    one_line: bool,
}

impl<'a> View<'a> {
    /// Rows and headers: the terminal table, csv and markdown.
    pub fn table(table: impl FnOnce() -> Table + 'a) -> View<'a> {
        View { table: Some(Box::new(table)), ..View::default() }
    }

    /// A layout for people at a terminal, used instead of the plain table.
    pub fn text(mut self, text: impl FnOnce() -> String + 'a) -> View<'a> {
        self.text = Some(Box::new(text));
        self
    }

    /// A markdown document, used instead of the markdown table.
    pub fn markdown(mut self, md: impl FnOnce() -> String + 'a) -> View<'a> {
        self.markdown = Some(Box::new(md));
        self
    }

    /// A self-contained HTML page (`--format html`).
    pub fn html(mut self, html: impl FnOnce() -> String + 'a) -> View<'a> {
        self.html = Some(Box::new(html));
        self
    }

    /// JSON on one line (capture's `{"id": …}` is stdout's first line).
    pub fn one_line_json(mut self) -> View<'a> {
        self.one_line = true;
        self
    }

    /// What to say on stderr when a terminal table has no rows.
    pub fn when_empty(mut self, note: &'a str) -> View<'a> {
        self.empty = Some(note);
        self
    }
}

/// Print `data` as json/yaml, or `table()` as table/csv/md.
pub fn emit<T: Serialize>(format: Format, data: &T, table: impl FnOnce() -> Table) -> Result<()> {
    print(format, data, View::table(table))
}

/// Print a command's output in `format`: `data` for json and yaml, the view for the rest.
pub fn print<T: Serialize>(format: Format, data: &T, view: View) -> Result<()> {
    let table = |view: View| view.table.map(|t| t()).unwrap_or_default();
    let text = match format {
        Format::Json => return stream_json(data, view.one_line),
        Format::Yaml => serde_norway::to_string(data).context("cannot print YAML")?,
        Format::Table => match view.text {
            Some(text) => text(),
            None => {
                let empty = view.empty;
                let t = table(view);
                if let (true, Some(note)) = (t.rows.is_empty(), empty) {
                    eprintln!("{note}");
                }
                render_table(&t, colour_enabled())
            }
        },
        Format::Csv => render_csv(&table(view)),
        Format::Md => match view.markdown {
            Some(md) => md(),
            None => render_md(&table(view)),
        },
        Format::Html => match view.html {
            Some(html) => html(),
            None => {
                return Err(Failure::Usage(
                    "--format html is a page for `handoff stats`; this command prints table, json, yaml, csv or md"
                        .to_owned(),
                )
                .into());
            }
        },
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(())
}

/// JSON written to stdout as it is made: at 100k leads the text is tens of MB, and holding
/// it whole beside the data doubled a scan's memory. (A reader gone away stays a broken
/// pipe: `io::Error::from` unwraps serde_json's I/O errors.)
fn stream_json<T: Serialize>(data: &T, one_line: bool) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written =
        if one_line { serde_json::to_writer(&mut out, data) } else { serde_json::to_writer_pretty(&mut out, data) };
    written.map_err(std::io::Error::from).context("cannot print JSON")?;
    out.write_all(b"\n").and_then(|()| out.flush()).context("cannot write to stdout")
}

/// Columns at most this wide are never wrapped when a table is fitted to the terminal.
const KEEP_WIDTH: usize = 10;

/// Column gaps and one rule under the header: compact enough for an 80×40 terminal.
const STYLE: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

pub fn render_table(t: &Table, colour: bool) -> String {
    if t.rows.is_empty() {
        return String::new();
    }
    let mut c = Comfy::new();
    c.load_style(STYLE);
    // Fit the terminal's width (or `$COLUMNS`, as a pager or `watch` sets it); a width
    // nobody gave, or a silly one, gets the natural width rather than a column per letter.
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok());
    if std::io::stdout().is_terminal() {
        if c.width().is_some_and(|w| w >= 40) {
            c.set_content_arrangement(ContentArrangement::Dynamic);
        }
    } else {
        c.force_no_tty();
        if let Some(w) = columns.or(t.wrap_at).filter(|w| *w >= 40) {
            c.set_width(w);
            c.set_content_arrangement(ContentArrangement::Dynamic);
        }
    }
    c.set_header(&t.headers);
    for (row, tone) in t.rows.iter().zip(t.tones.iter()) {
        let colour_of = match tone {
            Tone::Alert if colour => Some(Color::Red),
            _ => None,
        };
        c.add_row(row.iter().map(|cell| match colour_of {
            Some(col) => Cell::new(cell).fg(col),
            None => Cell::new(cell),
        }));
    }
    // When the table must wrap, short columns (ids, statuses, owners, urgencies) keep
    // their width and the long text (names, next actions, reasons) wraps instead.
    if !matches!(c.content_arrangement(), ContentArrangement::Disabled) {
        for i in 0..t.headers.len() {
            let widest = std::iter::once(&t.headers[i])
                .chain(t.rows.iter().filter_map(|r| r.get(i)))
                .flat_map(|s| s.lines().map(unicode_width::UnicodeWidthStr::width))
                .max()
                .unwrap_or(0);
            if widest <= KEEP_WIDTH
                && let Some(col) = c.column_mut(i)
            {
                col.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    format!("{c}\n")
}

/// RFC 4180 CSV, every cell a spreadsheet would run as a formula neutralised
/// (see [`crate::csv::neutralise`]).
pub fn render_csv(t: &Table) -> String {
    let mut out = crate::csv::record(&t.headers);
    for row in &t.rows {
        let safe: Vec<_> = row.iter().map(|c| crate::csv::neutralise(c)).collect();
        out.push_str(&crate::csv::record(&safe));
    }
    out
}

/// RFC 4180 CSV with every cell as stored (`export --raw`).
pub fn render_csv_raw(t: &Table) -> String {
    let mut out = crate::csv::record(&t.headers);
    for row in &t.rows {
        out.push_str(&crate::csv::record(row));
    }
    out
}

pub fn render_md(t: &Table) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
    let mut out = format!("| {} |\n", t.headers.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
    for row in &t.rows {
        out.push_str(&format!("| {} |\n", row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_counts_terminal_columns() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("two\nlines", 20), "two lines");
        assert_eq!(cut("abcdefghij", 5), "abcd…");
        // Each CJK character takes two columns: four of them fill 8, the ellipsis one more.
        assert_eq!(cut("漏水漏水漏水", 9), "漏水漏水…");
    }
}
