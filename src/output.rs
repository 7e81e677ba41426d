//! Printing records and reports in the formats of `--format`: table, json, yaml, csv, md.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use comfy_table::{Cell, Color, ContentArrangement, LineStyle, Table as Comfy, TableStyle};
use serde::Serialize;

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

/// Whether stdout gets colour: a terminal and no NO_COLOR.
pub fn colour_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Print text to stdout; a reader that went away (`| head`) is an error the caller can
/// recognise (a broken pipe), never a panic.
pub fn print(text: &str) -> Result<()> {
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")
}

/// Print `data` as json/yaml, or `table()` as table/csv/md.
pub fn emit<T: Serialize>(format: Format, data: &T, table: impl FnOnce() -> Table) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let text = match format {
        Format::Json => serde_json::to_string_pretty(data).context("cannot print JSON")? + "\n",
        Format::Yaml => serde_norway::to_string(data).context("cannot print YAML")?,
        Format::Table => render_table(&table(), colour_enabled()),
        Format::Csv => render_csv(&table()),
        Format::Md => render_md(&table()),
    };
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(())
}

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
    format!("{c}\n")
}

/// RFC 4180 CSV.
pub fn render_csv(t: &Table) -> String {
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
