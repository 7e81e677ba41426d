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
                match fit(&t) {
                    Fit::Natural => return stream_table(&t),
                    fit => render_fitted(&t, colour_enabled(), fit),
                }
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

/// A table written to stdout a row at a time as it is padded (see [`write_natural`]): at
/// 100k leads, comfy-table's cells, lines and whole text tripled the memory of a listing.
fn stream_table(t: &Table) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    write_natural(t, &mut out).and_then(|()| out.flush()).context("cannot write to stdout")
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

/// How a table is laid out on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fit {
    /// Fitted to the terminal by comfy-table when it knows a usable width, coloured.
    Terminal,
    /// Not a terminal, fitted to this width (`$COLUMNS`, else the table's `wrap_at`).
    Width(u16),
    /// Not a terminal and no usable width: every column as wide as its widest cell.
    Natural,
}

fn fit(t: &Table) -> Fit {
    if std::io::stdout().is_terminal() {
        return Fit::Terminal;
    }
    // A width nobody gave, or a silly one, gets the natural width rather than a column
    // per letter.
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok());
    match columns.or(t.wrap_at).filter(|w| *w >= 40) {
        Some(w) => Fit::Width(w),
        None => Fit::Natural,
    }
}

pub fn render_table(t: &Table, colour: bool) -> String {
    if t.rows.is_empty() {
        return String::new();
    }
    match fit(t) {
        Fit::Natural => {
            let mut out = Vec::new();
            write_natural(t, &mut out).expect("writing to memory cannot fail");
            String::from_utf8(out).expect("a table of strings is UTF-8")
        }
        fit => render_fitted(t, colour, fit),
    }
}

/// The table as comfy-table lays it out: fitted to the terminal (or `$COLUMNS`), wrapping
/// long text, coloured on a terminal. With [`Fit::Natural`] it prints what
/// [`write_natural`] does, which the tests check.
fn render_fitted(t: &Table, colour: bool, fit: Fit) -> String {
    if t.rows.is_empty() {
        return String::new();
    }
    let mut c = Comfy::new();
    c.load_style(STYLE);
    // Fit the terminal's width (or `$COLUMNS`, as a pager or `watch` sets it).
    match fit {
        Fit::Terminal => {
            if c.width().is_some_and(|w| w >= 40) {
                c.set_content_arrangement(ContentArrangement::Dynamic);
            }
        }
        Fit::Width(w) => {
            c.force_no_tty();
            c.set_width(w);
            c.set_content_arrangement(ContentArrangement::Dynamic);
        }
        Fit::Natural => {
            c.force_no_tty();
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

/// The table comfy-table draws with [`STYLE`] when it does no layout (not a terminal, so
/// no colour either, and no width to fit), written a row at a time instead of built whole:
/// a column is as wide as its widest line (in terminal columns, at least 1, counted to at
/// most `u16::MAX` as comfy-table does); each cell line is a space, the text padded to that
/// width, a space; columns are joined by a space; a row missing a cell, or a cell with
/// fewer lines than its row's tallest, shows blanks; a rule of `─` under the header.
fn write_natural(t: &Table, out: &mut impl Write) -> std::io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    if t.rows.is_empty() {
        return Ok(());
    }
    let columns = t.rows.iter().map(Vec::len).fold(t.headers.len(), usize::max);
    let mut widths = vec![1u16; columns];
    for row in std::iter::once(&t.headers).chain(&t.rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            let widest = cell.split('\n').map(|line| line.width()).max().unwrap_or(0);
            *width = (*width).max(u16::try_from(widest).unwrap_or(u16::MAX));
        }
    }
    let mut lines = Vec::with_capacity(columns);
    write_natural_row(&t.headers, &widths, &mut lines, out)?;
    for (i, width) in widths.iter().enumerate() {
        if i > 0 {
            out.write_all("─".as_bytes())?;
        }
        repeat(out, "─", width.saturating_add(2).into())?;
    }
    out.write_all(b"\n")?;
    for row in &t.rows {
        write_natural_row(row, &widths, &mut lines, out)?;
    }
    Ok(())
}

/// One row of [`write_natural`]: as many lines as its tallest cell (none when the table
/// has no columns). `lines` is room for each cell's lines, kept between rows.
fn write_natural_row<'a>(
    row: &'a [String],
    widths: &[u16],
    lines: &mut Vec<Option<std::str::Split<'a, char>>>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if widths.is_empty() {
        return Ok(());
    }
    // The common case, one line in every cell, without the iterators.
    if row.iter().all(|cell| !cell.contains('\n')) {
        for (i, width) in widths.iter().enumerate() {
            if i > 0 {
                out.write_all(b" ")?;
            }
            write_cell(out, row.get(i).map(String::as_str), *width)?;
        }
        return out.write_all(b"\n");
    }
    lines.clear();
    lines.extend((0..widths.len()).map(|i| row.get(i).map(|cell| cell.split('\n'))));
    let height = row.iter().map(|cell| cell.split('\n').count()).max().unwrap_or(1).max(1);
    for _ in 0..height {
        for (i, width) in widths.iter().enumerate() {
            if i > 0 {
                out.write_all(b" ")?;
            }
            write_cell(out, lines[i].as_mut().and_then(Iterator::next), *width)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One line of a cell padded to its column's `width`, or blanks where it has none.
fn write_cell(out: &mut impl Write, line: Option<&str>, width: u16) -> std::io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    match line {
        Some(line) => {
            out.write_all(b" ")?;
            out.write_all(line.as_bytes())?;
            repeat(out, " ", usize::from(width).saturating_sub(line.width()) + 1)
        }
        None => repeat(out, " ", width.saturating_add(2).into()),
    }
}

/// `unit` written `n` times.
fn repeat(out: &mut impl Write, unit: &str, n: usize) -> std::io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    if unit == " " {
        let mut left = n;
        while left > 0 {
            let now = left.min(SPACES.len());
            out.write_all(&SPACES[..now])?;
            left -= now;
        }
        return Ok(());
    }
    for _ in 0..n {
        out.write_all(unit.as_bytes())?;
    }
    Ok(())
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
