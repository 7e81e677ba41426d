//! Importing leads from a spreadsheet's CSV: each row checked and saved like `capture`.
//!
//! Columns are named as the record fields (`full_name`, `primary_phone`, `service_address`,
//! `market`, `service_type`, `urgency`, `fit`, `source`, `referral`, `notes`,
//! `next_action`, `next_action_due`, `follow_up_on`, `owner`). A row is imported whole or
//! refused whole, with its row number as the spreadsheet shows it (the header is row 1).

use anyhow::Result;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::intake;
use crate::lead::LeadId;
use crate::route::HandoffRequest;
use crate::transaction::Transaction;

#[derive(Debug, Serialize)]
pub struct Imported {
    pub row: usize,
    pub id: LeadId,
}

#[derive(Debug, Serialize)]
pub struct Refused {
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub imported: Vec<Imported>,
    pub refused: Vec<Refused>,
    pub dry_run: bool,
}

/// Import the CSV `text` as `by`, in the caller's transaction (which commits).
pub fn import(ctx: &Ctx, tx: &mut Transaction, text: &str, by: &str, partial: bool, dry_run: bool) -> Result<Outcome> {
    let records = crate::csv::parse(text).map_err(|e| refused(format!("the file is not valid CSV: {e:#}")))?;
    let Some((_, header)) = records.first() else {
        return Err(refused("the file is empty; the first row names the columns (full_name, primary_phone, ...)"));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    for h in &header {
        if h.parse::<Field>().is_err() {
            return Err(refused(format!(
                "unknown column `{h}`; columns are named as record fields: {}",
                Field::names()
            )));
        }
    }
    let mut outcome = Outcome { dry_run, ..Outcome::default() };
    for (n, (_, cells)) in records.iter().enumerate().skip(1) {
        let row = n + 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cells.len() > header.len() {
            outcome
                .refused
                .push(Refused { row, reason: format!("{} cells but {} columns", cells.len(), header.len()) });
            continue;
        }
        let get = |col: &str| -> Option<String> {
            let i = header.iter().position(|h| h == col)?;
            cells.get(i).map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())
        };
        let record: Vec<(Field, String)> =
            Field::INTAKE.iter().filter_map(|&f| get(f.name()).map(|v| (f, v))).collect();
        let handoff = HandoffRequest {
            to: get("owner"),
            next_action: get("next_action"),
            due: get("next_action_due"),
            follow_up: get("follow_up_on"),
        };
        let result = (|| {
            let mut lead = intake::blank(ctx, by)?;
            intake::apply_fields(ctx, &mut lead, &record)?;
            intake::save(ctx, tx, lead, by, &handoff, false, partial, dry_run)
        })();
        match result {
            Ok(saved) => {
                outcome.imported.push(Imported { row, id: saved.lead.id.clone() });
            }
            Err(e) => outcome.refused.push(Refused { row, reason: format!("{e:#}") }),
        }
    }
    Ok(outcome)
}

/// The rows `outcome` refused, as CSV for the user to fix and import again: `row`,
/// `reason`, then the row's own cells under the file's own header.
pub fn rejects_csv(text: &str, outcome: &Outcome) -> Result<String> {
    let records = crate::csv::parse(text).map_err(|e| refused(format!("the file is not valid CSV: {e:#}")))?;
    let header = records.first().map(|(_, h)| h.clone()).unwrap_or_default();
    let mut out = crate::csv::record(&[&["row".to_owned(), "reason".to_owned()][..], &header[..]].concat());
    for r in &outcome.refused {
        let cells = records.get(r.row - 1).map(|(_, c)| c.clone()).unwrap_or_default();
        out.push_str(&crate::csv::record(&[&[r.row.to_string(), r.reason.clone()][..], &cells[..]].concat()));
    }
    Ok(out)
}

/// Where `import --skip-bad` writes refused rows unless told: beside the input,
/// `NAME.rejects.csv` (`import.rejects.csv` in the current directory for standard input).
pub fn default_rejects_path(input: &std::path::Path) -> std::path::PathBuf {
    if input.as_os_str() == "-" {
        return std::path::PathBuf::from("import.rejects.csv");
    }
    let stem = input.file_stem().map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    input.with_file_name(format!("{stem}.rejects.csv"))
}
