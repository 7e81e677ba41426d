//! `handoff import FILE.csv [--map SPEC] [--set FIELD=VALUE] [--dry-run] [--strict] [--partial]`:
//! leads from a spreadsheet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::{refused, workspace};
use crate::output::{Format, Table, emit};
use crate::store::read_limited;
use crate::{import, import_map};

/// Import leads from CSV (record-field columns, common CRM headers, or --map); each row
/// checked like capture.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff --as ana import web-leads.csv --dry-run\n  handoff --as ana import web-leads.csv\n  handoff --as ana import crm.csv --set service_type=estimate --set urgency=standard\n  handoff --as ana import export.csv --map 'Given+Family=full_name,Tel=primary_phone,Created=-' \\\n    --set source=ads --set service_type=repair --set urgency=standard --dry-run\n\nColumns: full_name, primary_phone, service_address, market, service_type, urgency, fit,\nsource, referral, notes, next_action, next_action_due, follow_up_on, owner; or a CRM\nexport's headers (First Name, Last Name, Phone, Email, Address, Lead Source, Notes, ...:\nnames are joined, Email goes into the notes); --map names the rest (COLUMN=- leaves a\ncolumn out). A value such as 'Web Form' is read as the vocabulary's web-form. A row whose\nphone is already on an open lead (or an earlier row) is imported with a note, as capture does.\nGood rows are imported, each whole, and refused rows are listed with their spreadsheet row\nnumber (the header is row 1): fix those rows and import them alone (importing the whole\nfile again would duplicate the good ones). With --strict any refused row refuses the whole\nfile: nothing is written and the exit code is 1. --dry-run exits 1 when any row would be\nrefused."
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
    /// Which columns fill which fields: 'First Name+Last Name=full_name,Phone=primary_phone'
    /// (COLUMN=- leaves a column out).
    #[arg(long, value_name = "SPEC")]
    pub map: Option<String>,
    /// Give a field the same value on every row (repeatable), e.g. --set source=ads.
    #[arg(long, value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
}

pub fn run(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let columns = import::Columns {
        map: match &args.map {
            Some(spec) => import_map::parse_spec(spec).map_err(refused)?,
            None => Vec::new(),
        },
        set: args.set.iter().map(|s| import_map::parse_set(s)).collect::<Result<_, _>>().map_err(refused)?,
    };
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        read_limited(&args.file, 64 * 1024 * 1024).map_err(|e| refused(format!("{e:#}")))?
    };
    let outcome = {
        let mut tx = ctx.transaction(&by)?;
        // --strict checks every row first (writing nothing), then imports only a clean file.
        let check_only = args.dry_run || args.strict;
        let mut outcome = import::import(ctx, &mut tx, &text, &by, &columns, args.partial, check_only)?;
        if args.strict && !args.dry_run {
            if outcome.refused.is_empty() {
                outcome = import::import(ctx, &mut tx, &text, &by, &columns, args.partial, false)?;
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
    if ctx.format == Format::Table && !outcome.mapping.is_empty() {
        eprintln!("columns: {}", outcome.mapping.join("; "));
    }
    emit(ctx.format, &outcome, || {
        if outcome.dry_run {
            return preview(&outcome);
        }
        let mut t = Table::new(&["row", "result", "detail", "note"]);
        for i in &outcome.imported {
            t.row(vec![i.row.to_string(), "imported".to_owned(), i.id.to_string(), same_phone_note(i)]);
        }
        for r in &outcome.refused {
            t.row(vec![r.row.to_string(), "refused".to_owned(), r.reason.clone(), String::new()]);
        }
        t
    })?;
    for i in outcome.imported.iter().filter(|i| !i.same_phone.is_empty()) {
        eprintln!(
            "note: row {} has the same phone number as {}; check it before asking the customer again",
            i.row,
            i.same_phone.join(", ")
        );
    }
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

/// `same phone as …` for a table's note column.
fn same_phone_note(i: &import::Imported) -> String {
    if i.same_phone.is_empty() { String::new() } else { format!("same phone as {}", i.same_phone.join(", ")) }
}

/// The --dry-run table: each row as it would be saved.
fn preview(outcome: &import::Outcome) -> Table {
    let mut t = Table::new(&["row", "result", "name", "phone", "address", "service", "urgency", "source", "note"]);
    let field = |i: &import::Imported, f: &str| i.fields.get(f).cloned().unwrap_or_default();
    for i in &outcome.imported {
        let address = i.fields.get("service_address").or_else(|| i.fields.get("market")).cloned().unwrap_or_default();
        t.row(vec![
            i.row.to_string(),
            "would import".to_owned(),
            field(i, "full_name"),
            field(i, "primary_phone"),
            address,
            field(i, "service_type"),
            field(i, "urgency"),
            field(i, "source"),
            same_phone_note(i),
        ]);
    }
    for r in &outcome.refused {
        let mut row = vec![r.row.to_string(), "refused".to_owned()];
        row.extend(std::iter::repeat_n(String::new(), 6));
        row.push(r.reason.clone());
        t.row(row);
    }
    t
}
