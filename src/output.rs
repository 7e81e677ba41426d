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
    /// Every cell's text, one after another: at 100k rows a `String` per cell and a `Vec`
    /// per row were most of a listing's memory.
    text: String,
    /// Where each cell ends in `text`.
    cell_ends: Vec<usize>,
    /// Where each row's cells end in `cell_ends`.
    row_ends: Vec<usize>,
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
        for cell in &cells {
            self.text.push_str(cell);
            self.cell_ends.push(self.text.len());
        }
        self.row_ends.push(self.cell_ends.len());
        self.tones.push(tone);
    }

    /// Whether the table has no rows (it may still have headers).
    pub fn is_empty(&self) -> bool {
        self.row_ends.is_empty()
    }

    /// The rows, in the order they were pushed.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        let starts = std::iter::once(0).chain(self.row_ends.iter().copied());
        starts.zip(&self.row_ends).map(|(first, &end)| Row {
            text: &self.text,
            start: if first == 0 { 0 } else { self.cell_ends[first - 1] },
            ends: &self.cell_ends[first..end],
        })
    }
}

/// One row of a [`Table`]: its cells' text.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    text: &'a str,
    /// Where the first cell starts in `text`.
    start: usize,
    /// Where each cell ends in `text`.
    ends: &'a [usize],
}

impl<'a> Row<'a> {
    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th cell, if the row has one.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { self.start } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let row = *self;
        (0..row.len()).filter_map(move |i| row.get(i))
    }
}

/// Cells laid out as a [`Table`] lays out a row, for headers to be drawn like rows.
struct Flat {
    text: String,
    ends: Vec<usize>,
}

impl Flat {
    fn new(cells: &[String]) -> Flat {
        let mut flat = Flat { text: String::new(), ends: Vec::with_capacity(cells.len()) };
        for cell in cells {
            flat.text.push_str(cell);
            flat.ends.push(flat.text.len());
        }
        flat
    }

    fn row(&self) -> Row<'_> {
        Row { text: &self.text, start: 0, ends: &self.ends }
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
                if let (true, Some(note)) = (t.is_empty(), empty) {
                    eprintln!("{note}");
                }
                match (fit(&t), natural_widths(&t)) {
                    (Fit::Natural, Some(widths)) => return stream_table(&t, &widths),
                    (fit, _) => render_fitted(&t, colour_enabled(), fit),
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
fn stream_table(t: &Table, widths: &[u16]) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    write_natural(t, widths, &mut out).and_then(|()| out.flush()).context("cannot write to stdout")
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
    if t.is_empty() {
        return String::new();
    }
    match fit(t) {
        Fit::Natural => render_natural(t, colour),
        fit => render_fitted(t, colour, fit),
    }
}

/// [`Fit::Natural`]'s table as a string: [`write_natural`]'s, or comfy-table's for a
/// column too wide for it.
fn render_natural(t: &Table, colour: bool) -> String {
    match natural_widths(t) {
        Some(widths) => {
            let mut out = Vec::new();
            write_natural(t, &widths, &mut out).expect("writing to memory cannot fail");
            String::from_utf8(out).expect("a table of strings is UTF-8")
        }
        None => render_fitted(t, colour, Fit::Natural),
    }
}

/// The table as comfy-table lays it out: fitted to the terminal (or `$COLUMNS`), wrapping
/// long text, coloured on a terminal. With [`Fit::Natural`] it prints what
/// [`write_natural`] does, which the tests check.
fn render_fitted(t: &Table, colour: bool, fit: Fit) -> String {
    if t.is_empty() {
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
    for (row, tone) in t.rows().zip(t.tones.iter()) {
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
                .map(String::as_str)
                .chain(t.rows().filter_map(|r| r.get(i)))
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

/// Each column's width in [`write_natural`]: its widest line in terminal columns, at
/// least 1. None when a line is wider than `u16::MAX`, which comfy-table (counting in
/// `u16`) would split over several lines.
fn natural_widths(t: &Table) -> Option<Vec<u16>> {
    use unicode_width::UnicodeWidthStr;
    let columns = t.rows().map(|r| r.len()).fold(t.headers.len(), usize::max);
    let mut widths = vec![1u16; columns];
    let headers = Flat::new(&t.headers);
    for row in std::iter::once(headers.row()).chain(t.rows()) {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            let widest = cell.split('\n').map(|line| line.width()).max().unwrap_or(0);
            *width = (*width).max(u16::try_from(widest).ok()?);
        }
    }
    Some(widths)
}

/// The table comfy-table draws with [`STYLE`] when it does no layout (not a terminal, so
/// no colour either, and no width to fit), written a row at a time instead of built whole:
/// each cell line is a space, the text padded to its column's width (see
/// [`natural_widths`]), a space; columns are joined by a space; a row missing a cell, or a
/// cell with fewer lines than its row's tallest, shows blanks; a rule of `─` under the
/// header. (Hand-drawn, against the style guide, because comfy-table holds every cell and
/// line at once; the tests check it prints comfy-table's bytes.)
fn write_natural(t: &Table, widths: &[u16], out: &mut impl Write) -> std::io::Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::with_capacity(widths.len());
    let headers = Flat::new(&t.headers);
    write_natural_row(headers.row(), widths, &mut lines, out)?;
    for (i, width) in widths.iter().enumerate() {
        if i > 0 {
            out.write_all("─".as_bytes())?;
        }
        repeat(out, "─", width.saturating_add(2).into())?;
    }
    out.write_all(b"\n")?;
    for row in t.rows() {
        write_natural_row(row, widths, &mut lines, out)?;
    }
    Ok(())
}

/// One row of [`write_natural`]: as many lines as its tallest cell (none when the table
/// has no columns). `lines` is room for each cell's lines, kept between rows.
fn write_natural_row<'a>(
    row: Row<'a>,
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
            write_cell(out, row.get(i), *width)?;
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
    for row in t.rows() {
        let safe: Vec<_> = row.iter().map(crate::csv::neutralise).collect();
        out.push_str(&crate::csv::record(&safe));
    }
    out
}

/// RFC 4180 CSV with every cell as stored (`export --raw`).
pub fn render_csv_raw(t: &Table) -> String {
    let mut out = crate::csv::record(&t.headers);
    for row in t.rows() {
        out.push_str(&crate::csv::record(&row.iter().collect::<Vec<_>>()));
    }
    out
}

pub fn render_md(t: &Table) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
    let mut out = format!("| {} |\n", t.headers.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
    for row in t.rows() {
        out.push_str(&format!("| {} |\n", row.iter().map(esc).collect::<Vec<_>>().join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Fit, Table, Tone, cut, render_fitted, render_natural};

    /// What comfy-table prints for `t` on a pipe with no width to fit, and what the
    /// streaming writer prints, coloured or not (a pipe gets no colour either way).
    fn both(t: &Table, colour: bool) -> (String, String) {
        (render_fitted(t, colour, Fit::Natural), render_natural(t, colour))
    }

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        let mut t = Table::new(headers);
        for (i, row) in rows.iter().enumerate() {
            t.push(row.iter().map(|c| (*c).to_owned()).collect(), if i % 2 == 0 { Tone::Alert } else { Tone::Plain });
        }
        t
    }

    /// Text from pieces that measure differently: ASCII, spaces (also trailing), line
    /// breaks, wide CJK, a combining accent, emoji alone and joined, a tab, a carriage return,
    /// the rule's own `─`.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "ab",
            "owner",
            "Next action",
            " ",
            "  ",
            "\n",
            "漏水",
            "e\u{301}",
            "🔧",
            "👩\u{200d}🔧",
            "\t",
            "\r",
            "─",
            "-",
            "2026-11-24 09:00 OVERDUE",
            "",
        ]);
        prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
    }

    fn tables() -> impl Strategy<Value = Table> {
        let row = prop::collection::vec(text(), 0..6);
        let headers = prop::collection::vec(text(), 0..6);
        let rows = prop::collection::vec((row, any::<bool>()), 0..8);
        (headers, rows, any::<Option<u16>>()).prop_map(|(headers, rows, wrap_at)| {
            let mut t = Table { headers, wrap_at, ..Table::default() };
            for (cells, alert) in rows {
                t.push(cells, if alert { Tone::Alert } else { Tone::Plain });
            }
            t
        })
    }

    proptest! {
        /// The renderers above see the table through `rows()`, so its cells must come back
        /// exactly as pushed, empty cells and rows included.
        #[test]
        fn rows_are_the_cells_pushed(rows in prop::collection::vec(prop::collection::vec(text(), 0..6), 0..8)) {
            let mut t = Table::new(&["h"]);
            for row in &rows {
                t.row(row.clone());
            }
            let back: Vec<Vec<String>> = t.rows().map(|r| r.iter().map(str::to_owned).collect()).collect();
            prop_assert_eq!(&back, &rows);
            prop_assert_eq!(t.is_empty(), rows.is_empty());
            for (r, row) in t.rows().zip(&rows) {
                prop_assert_eq!(r.len(), row.len());
                prop_assert_eq!(r.get(row.len()), None);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn streamed_table_is_comfy_tables_bytes(t in tables(), colour in any::<bool>()) {
            let (comfy, ours) = both(&t, colour);
            prop_assert_eq!(ours, comfy);
        }
    }

    #[test]
    fn streamed_table_pads_like_comfy() {
        let cases: &[(&[&str], &[&[&str]])] = &[
            // Plain ASCII, a column wider in the header than in any row.
            (&["id", "status", "next action"], &[&["k3f9", "new", "call back"], &["a", "in_progress", ""]]),
            // Rows shorter and longer than the header; an empty row.
            (&["a", "b"], &[&["1"], &["1", "2", "3"], &[]]),
            // No headers at all, and rows of nothing but empty cells.
            (&[], &[&["", ""], &[]]),
            (&[], &[&[]]),
            // Every column at its least width, 1.
            (&["", ""], &[&["", ""]]),
            // Wide and zero-width characters, trailing spaces.
            (&["name", "x"], &[&["漏水漏水", "e\u{301}e\u{301}"], &["🔧 ", "👩\u{200d}🔧  "]]),
            // Cells over several lines, the header too; a trailing line break.
            (&["two\nlines", "c"], &[&["a\nb\nc", "d"], &["e\n", ""]]),
        ];
        for (headers, rows) in cases {
            let t = table(headers, rows);
            for colour in [false, true] {
                let (comfy, ours) = both(&t, colour);
                assert_eq!(ours, comfy, "{headers:?} {rows:?}");
            }
        }
        let spot = table(&["id", "name"], &[&["k3", "Ana"], &["k3f9", "漏水"]]);
        let lines = [" id     name ", "─────────────", " k3     Ana  ", " k3f9   漏水 "];
        assert_eq!(render_natural(&spot, false), lines.map(|l| format!("{l}\n")).concat());
    }

    #[test]
    fn no_rows_print_nothing() {
        let t = table(&["id", "name"], &[]);
        assert_eq!(both(&t, false), (String::new(), String::new()));
    }

    /// comfy-table counts widths in `u16` and splits a longer line; such a table is left
    /// to it.
    #[test]
    fn a_line_wider_than_u16_is_left_to_comfy() {
        let long = "x".repeat(usize::from(u16::MAX) + 5);
        let t = table(&["id", "text"], &[&["1", &long], &["2", "short"]]);
        let (comfy, ours) = both(&t, false);
        assert_eq!(ours, comfy);
        assert!(super::natural_widths(&t).is_none());
        let edge = "x".repeat(usize::from(u16::MAX));
        let t = table(&["id", "text"], &[&["1", &edge], &["2", "short"]]);
        let (comfy, ours) = both(&t, false);
        assert_eq!(ours, comfy);
        assert!(super::natural_widths(&t).is_some());
    }

    #[test]
    fn cut_counts_terminal_columns() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("two\nlines", 20), "two lines");
        assert_eq!(cut("abcdefghij", 5), "abcd…");
        // Each CJK character takes two columns: four of them fill 8, the ellipsis one more.
        assert_eq!(cut("漏水漏水漏水", 9), "漏水漏水…");
    }
}
