//! `handoff import FILE.csv [--dry-run] [--partial]`: leads from a spreadsheet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::import;
use crate::output::{Table, emit};
use crate::store::read_limited;

/// Import leads from CSV (columns named as record fields); each row checked like capture.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff --as ana import web-leads.csv --dry-run\n  handoff --as ana import web-leads.csv\n\nColumns: full_name, primary_phone, service_address, market, service_type, urgency, fit,\nsource, referral, notes, next_action, next_action_due, follow_up_on, owner.\nGood rows are imported, each whole; refused rows are listed with their spreadsheet row\nnumber (the header is row 1) and the exit code is 1 so scripts notice."
)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
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
        let _lock = ctx.ws.lock()?;
        let (outcome, files) = import::import(ctx, &text, &by, args.partial, args.dry_run)?;
        if let Some(first) = outcome.imported.first() {
            let n = outcome.imported.len();
            let message = format!("import {}: {n} lead{} from CSV", first.id, if n == 1 { "" } else { "s" });
            ctx.commit(&files, &by, &message);
        }
        outcome
    };
    emit(ctx.format, &outcome, || {
        let mut t = Table::new(&["row", "result", "detail"]);
        for i in &outcome.imported {
            let verb = if args.dry_run { "would import" } else { "imported" };
            t.row(vec![i.row.to_string(), verb.to_owned(), i.id.to_string()]);
        }
        for r in &outcome.refused {
            t.row(vec![r.row.to_string(), "refused".to_owned(), r.reason.clone()]);
        }
        t
    })?;
    let verb = if args.dry_run { "would import" } else { "imported" };
    eprintln!("{verb} {} row(s), refused {}", outcome.imported.len(), outcome.refused.len());
    if !outcome.refused.is_empty() {
        return Err(refused(format!(
            "{} row(s) refused (listed above); fix those rows and import them again",
            outcome.refused.len()
        )));
    }
    Ok(())
}
