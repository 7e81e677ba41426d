//! `handoff import FILE.csv [--dry-run] [--strict] [--partial]`: leads from a spreadsheet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::{refused, workspace};
use crate::import;
use crate::output::{Table, emit};
use crate::store::read_limited;

/// Import leads from CSV (columns named as record fields); each row checked like capture.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff --as ana import web-leads.csv --dry-run\n  handoff --as ana import web-leads.csv\n\nColumns: full_name, primary_phone, service_address, market, service_type, urgency, fit,\nsource, referral, notes, next_action, next_action_due, follow_up_on, owner.\nGood rows are imported, each whole, and refused rows are listed with their spreadsheet row\nnumber (the header is row 1): fix those rows and import them alone (importing the whole\nfile again would duplicate the good ones). With --strict any refused row refuses the whole\nfile: nothing is written and the exit code is 1. --dry-run exits 1 when any row would be\nrefused."
)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import nothing unless every row is good (exit 1 naming the bad rows).
    #[arg(long)]
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
        // --strict checks every row first (writing nothing), then imports only a clean file.
        let check_only = args.dry_run || args.strict;
        let mut outcome = import::import(ctx, &mut tx, &text, &by, args.partial, check_only)?;
        if args.strict && !args.dry_run {
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
        if let Some(first) = outcome.imported.first() {
            let n = outcome.imported.len();
            let message = format!("import {}: {n} lead{} from CSV", first.id, if n == 1 { "" } else { "s" });
            tx.finish(&message)?;
        }
        outcome
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
    let n = outcome.refused.len();
    match (n, written) {
        (0, _) => Ok(()),
        (_, true) => {
            eprintln!(
                "warning: {n} row(s) refused (listed above); fix those rows and import them alone: \
                 the other rows are saved, and importing the whole file again would duplicate them"
            );
            Ok(())
        }
        (_, false) if args.strict && !args.dry_run => Err(refused(format!(
            "{n} row(s) refused (listed above), so nothing was imported (--strict); fix them and import the file again"
        ))),
        (_, false) => Err(refused(format!("{n} row(s) would be refused (listed above); nothing was written"))),
    }
}
