//! `handoff export`: every lead, for spreadsheets (CSV by default) or backups (JSON/YAML).

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::field::Field;
use crate::lead::{EventKind, Lead, Status};
use crate::output::{Format, Table, emit};
use crate::store::Want;

/// Export leads: CSV with one column per record field (default), or full records as json/yaml.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff export > leads.csv\n  handoff export --status closed --format csv > closed.csv\n  handoff export --json > backup.json      # full records with history\n\nCSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a\nCR, other than plain numbers) are written with a leading ' ; --raw keeps them as stored."
)]
pub struct ExportArgs {
    /// Only leads in this status.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<Status>,
    /// Write CSV cells exactly as stored: no `'` before cells a spreadsheet would run as
    /// formulas (`=`, `+`, `-`, `@`, tab, CR). Only for files you will not open in one.
    #[arg(long)]
    pub raw: bool,
}

pub fn run(ctx: &Ctx, args: ExportArgs) -> Result<()> {
    let (mut leads, errors) = ctx.scan_map(Want::All, |l| args.status.is_none_or(|s| l.status == s).then_some(l))?;
    leads.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    let format = if ctx.format_given { ctx.format } else { Format::Csv };
    if args.raw && format == Format::Csv {
        let text = crate::output::render_csv_raw(&table(&leads));
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    } else {
        emit(format, &leads, || table(&leads))?;
    }
    super::skipped(&errors)
}

fn table(leads: &[Lead]) -> Table {
    let mut headers = vec!["id", "status", "created_at", "captured_by"];
    headers.extend(Field::ALL.map(Field::name));
    headers.extend(["accepted_at", "outcome", "closed_at"]);
    let mut t = Table::new(&headers);
    for l in leads {
        let mut row = vec![l.id.to_string(), l.status.to_string(), l.created_at.to_string(), l.captured_by.clone()];
        row.extend(Field::ALL.map(|f| f.get(l).unwrap_or_default()));
        let accepted = l.last_event(EventKind::Accepted).map(|e| e.at.to_string()).unwrap_or_default();
        let closed = l.last_event(EventKind::Closed);
        row.push(accepted);
        row.push(closed.and_then(|e| e.outcome.clone()).unwrap_or_default());
        row.push(closed.map(|e| e.at.to_string()).unwrap_or_default());
        t.row(row);
    }
    t
}
