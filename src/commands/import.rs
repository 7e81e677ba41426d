//! `handoff import FILE.csv [--map SPEC] [--set FIELD=VALUE] [--dry-run] [--skip-bad [--rejects FILE]]
//! [--partial]`: leads from a spreadsheet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::{refused, workspace};
use crate::output::{Format, Table, emit};
use crate::store::{LEAD_FILE_MODE, read_limited, write_atomic_mode};
use crate::{import, import_map};

/// Import leads from CSV (record-field columns, common CRM headers, or --map); each row
/// checked like capture.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff --as ana import web-leads.csv --dry-run\n  handoff --as ana import web-leads.csv\n  handoff --as ana import crm.csv --set service_type=estimate --set urgency=standard\n  handoff --as ana import export.csv --map 'Given+Family=full_name,Tel=primary_phone,Created=-' \\\n    --set source=ads --set service_type=repair --set urgency=standard --dry-run\n\nColumns: full_name, primary_phone, service_address, market, service_type, urgency, fit,\nsource, referral, notes, next_action, next_action_due, follow_up_on, owner; or a CRM\nexport's headers (First Name, Last Name, Phone, Email, Address, Lead Source, Notes, ...:\nnames are joined, Email goes into the notes); --map names the rest (COLUMN=- leaves a\ncolumn out). A value such as 'Web Form' is read as the vocabulary's web-form. A row whose\nphone is already on an open lead (or an earlier row) is imported with a note, as capture does.\nEvery row is checked first; unless every row is good nothing is written and the exit\ncode is 1, with each refused row listed by its spreadsheet row number (the header is row\n1). With --skip-bad the good rows are imported and the refused ones are written, with\ntheir reasons, to a rejects CSV (NAME.rejects.csv, or --rejects FILE; fix it and import it\nalone); the exit code is 0, or 1 when every row was refused. --dry-run checks and writes\nnothing."
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
    // One flush for the whole file, not two per row (100k rows: minutes of fsyncs).
    let mut bulk = (!args.dry_run).then(|| crate::store::DeferredSync::start(&ctx.ws));
    // Good rows not imported because another row was refused (all or nothing).
    let mut held_back = 0;
    let outcome = {
        let mut tx = ctx.transaction(&by)?;
        // All or nothing (the default) checks every row first, writing nothing, then
        // imports only a clean file; --skip-bad imports the good rows in one pass.
        let check_first = args.dry_run || !args.skip_bad;
        let mut outcome = import::import(ctx, &mut tx, &text, &by, &columns, args.partial, check_first)?;
        let mut second_pass = false;
        if !args.dry_run && !args.skip_bad {
            if outcome.refused.is_empty() {
                outcome = import::import(ctx, &mut tx, &text, &by, &columns, args.partial, false)?;
                second_pass = true;
            } else {
                held_back = outcome.imported.len();
                outcome.imported.clear(); // nothing was, and no id of a check run exists
            }
        }
        // The lead files are written in the background: wait for the last of them. The
        // flush it starts runs during the commit, which reads the files from memory (and
        // stores their content in git with git's own fsync); the import is done when both are.
        let written = match bulk.take() {
            Some(bulk) if !tx.written().is_empty() => bulk.finish().map(Some),
            _ => Ok(None), // nothing written: nothing to wait for or flush
        };
        // Every row of a second pass passed the check, so a row refused there is a write
        // failing (disk full, say), as is a failed background write: all or nothing still
        // holds, so the rows written by this run go again.
        let failed: Vec<String> = match &written {
            Err(e) => vec![format!("{e:#}")],
            Ok(_) if second_pass => outcome.refused.iter().map(|r| format!("row {}: {}", r.row, r.reason)).collect(),
            Ok(_) => Vec::new(),
        };
        if !failed.is_empty() {
            for file in tx.written() {
                let _ = std::fs::remove_file(file);
            }
            return Err(workspace(format!("import failed while writing, nothing was imported: {}", failed.join("; "))));
        }
        let flush = written?;
        if let Some(first) = outcome.imported.first().filter(|_| !outcome.dry_run) {
            let n = outcome.imported.len();
            let message = format!("import {}: {n} lead{} from CSV", first.id, if n == 1 { "" } else { "s" });
            tx.finish(&message)?;
            if let Some(flush) = flush {
                flush.wait()?;
            }
        }
        outcome
    };
    if ctx.format == Format::Table && !outcome.mapping.is_empty() {
        eprintln!("columns: {}", outcome.mapping.join("; "));
    }
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
    let verb = if args.dry_run { "would import" } else { "imported" };
    match held_back {
        0 => eprintln!("{verb} {} row(s), refused {}", outcome.imported.len(), outcome.refused.len()),
        good => eprintln!("imported 0 row(s): {good} good, refused {}", outcome.refused.len()),
    }
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
