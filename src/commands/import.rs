//! `handoff import FILE.csv [--dry-run] [--skip-bad [--rejects FILE]] [--partial]`: leads from a spreadsheet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::{refused, workspace};
use crate::import;
use crate::output::{Table, emit};
use crate::store::{LEAD_FILE_MODE, read_limited, write_atomic_mode};

/// Import leads from CSV (columns named as record fields); each row checked like capture.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff --as ana import web-leads.csv --dry-run\n  handoff --as ana import web-leads.csv\n  handoff --as ana import web-leads.csv --skip-bad   # refused rows go to web-leads.rejects.csv\n\nColumns: full_name, primary_phone, service_address, market, service_type, urgency, fit,\nsource, referral, notes, next_action, next_action_due, follow_up_on, owner.\nEvery row is checked first; unless every row is good nothing is written and the exit\ncode is 1, with each refused row listed by its spreadsheet row number (the header is row\n1). With --skip-bad the good rows are imported and the refused ones are written, with\ntheir reasons, to a rejects CSV (fix it and import it alone); the exit code is 0, or 1\nwhen every row was refused. --dry-run checks and writes nothing."
)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows and write the refused ones, with reasons, to a rejects CSV.
    #[arg(long)]
    pub skip_bad: bool,
    /// Where --skip-bad writes refused rows (default: beside the file, NAME.rejects.csv).
    #[arg(long, value_name = "FILE", requires = "skip_bad")]
    pub rejects: Option<PathBuf>,
    /// Import nothing unless every row is good: the default; kept for scripts.
    #[arg(long, hide = true, conflicts_with = "skip_bad")]
    pub strict: bool,
    /// Save rows with missing required fields as incomplete intake leads.
    #[arg(long)]
    pub partial: bool,
}

pub fn run(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        read_limited(&args.file, 64 * 1024 * 1024).map_err(|e| refused(format!("{e:#}")))?
    };
    let outcome = {
        let mut tx = ctx.transaction(&by)?;
        // All or nothing (the default) checks every row first, writing nothing, then
        // imports only a clean file; --skip-bad imports the good rows in one pass.
        let check_first = args.dry_run || !args.skip_bad;
        let mut outcome = import::import(ctx, &mut tx, &text, &by, args.partial, check_first)?;
        if !args.dry_run && !args.skip_bad {
            if outcome.refused.is_empty() {
                outcome = import::import(ctx, &mut tx, &text, &by, args.partial, false)?;
                if !outcome.refused.is_empty() {
                    // Every row passed the check, so this is a write failing (disk full, say):
                    // all or nothing still holds, so the rows written by this run go again.
                    for file in tx.written() {
                        let _ = std::fs::remove_file(file);
                    }
                    let why: Vec<String> =
                        outcome.refused.iter().map(|r| format!("row {}: {}", r.row, r.reason)).collect();
                    return Err(workspace(format!(
                        "import failed while writing, nothing was imported: {}",
                        why.join("; ")
                    )));
                }
            } else {
                outcome.imported.clear(); // nothing was, and no id of a check run exists
            }
        }
        if let Some(first) = outcome.imported.first().filter(|_| !outcome.dry_run) {
            let n = outcome.imported.len();
            let message = format!("import {}: {n} lead{} from CSV", first.id, if n == 1 { "" } else { "s" });
            tx.finish(&message)?;
        }
        outcome
    };
    let rejects = match (&outcome.refused[..], args.skip_bad && !args.dry_run) {
        ([], _) | (_, false) => None,
        (_, true) => {
            let path = args.rejects.clone().unwrap_or_else(|| import::default_rejects_path(&args.file));
            let csv = import::rejects_csv(&text, &outcome)?;
            write_atomic_mode(&path, csv.as_bytes(), LEAD_FILE_MODE)?;
            Some(path)
        }
    };
    emit(ctx.format, &outcome, || {
        let mut t = Table::new(&["row", "result", "detail"]);
        for i in &outcome.imported {
            let verb = if outcome.dry_run { "would import" } else { "imported" };
            t.row(vec![i.row.to_string(), verb.to_owned(), i.id.to_string()]);
        }
        for r in &outcome.refused {
            t.row(vec![r.row.to_string(), "refused".to_owned(), r.reason.clone()]);
        }
        t
    })?;
    let written = !outcome.dry_run;
    let verb = if written { "imported" } else { "would import" };
    eprintln!("{verb} {} row(s), refused {}", outcome.imported.len(), outcome.refused.len());
    for r in &outcome.refused {
        eprintln!("  row {}: {}", r.row, r.reason);
    }
    let n = outcome.refused.len();
    if n == 0 {
        return Ok(());
    }
    if args.dry_run {
        return Err(refused(format!("{n} row(s) would be refused (listed above); nothing was written")));
    }
    if !args.skip_bad {
        return Err(refused(format!(
            "{n} row(s) refused (listed above), so nothing was imported; fix them and import the file again, \
             or import the good rows with --skip-bad"
        )));
    }
    let path = rejects.map(|p| p.display().to_string()).unwrap_or_default();
    if outcome.imported.is_empty() {
        return Err(refused(format!(
            "every row ({n}) was refused, so nothing was imported; they are in {path} with the reasons"
        )));
    }
    eprintln!(
        "warning: {n} row(s) refused and written with their reasons to {path}; fix them there and import \
         that file (the other rows are saved: importing the whole file again would duplicate them)"
    );
    Ok(())
}
