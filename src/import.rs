//! Importing leads from a spreadsheet's CSV: each row checked and saved like `capture`.
//!
//! Columns are named as the record fields (`full_name`, `primary_phone`, `service_address`,
//! `market`, `service_type`, `urgency`, `fit`, `source`, `referral`, `notes`,
//! `next_action`, `next_action_due`, `follow_up_on`, `owner`), or as a CRM export names
//! them (`First Name`, `Phone`, `Lead Source`…), or mapped with `--map`; `--set` gives a
//! field one value for every row (see `import_map`). A row is imported whole or refused
//! whole, with its row number as the spreadsheet shows it (the header is row 1). A row
//! whose phone is already on an open lead (or on an earlier row) is imported with a note,
//! as capture does.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::import_map;
use crate::intake;
use crate::lead::LeadId;
use crate::route::HandoffRequest;
use crate::store::phone_index::PhoneBook;
use crate::transaction::Transaction;

#[derive(Debug, Serialize)]
pub struct Imported {
    pub row: usize,
    pub id: LeadId,
    /// Open leads (ids) and earlier rows (`row N`) with the same phone number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_phone: Vec<String>,
    /// The record as it would be saved (with --dry-run: the preview).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// How the file's columns become fields: `--map` pairs and `--set` values.
#[derive(Debug, Default, Clone)]
pub struct Columns {
    pub map: Vec<import_map::MapRule>,
    pub set: Vec<(Field, String)>,
}

#[derive(Debug, Serialize)]
pub struct Refused {
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    /// How each field is filled (`full_name ← First Name + Last Name`).
    pub mapping: Vec<String>,
    pub imported: Vec<Imported>,
    pub refused: Vec<Refused>,
    pub dry_run: bool,
}

/// Import the CSV `text` as `by`, in the caller's transaction (which commits).
#[allow(clippy::too_many_arguments)]
pub fn import(
    ctx: &Ctx,
    tx: &mut Transaction,
    text: &str,
    by: &str,
    columns: &Columns,
    partial: bool,
    dry_run: bool,
) -> Result<Outcome> {
    let records = crate::csv::parse(text).map_err(|e| refused(format!("the file is not valid CSV: {e:#}")))?;
    let Some((_, header)) = records.first() else {
        return Err(refused("the file is empty; the first row names the columns (full_name, primary_phone, ...)"));
    };
    let mapping = import_map::build(header, &columns.map, &columns.set).map_err(refused)?;
    let mut outcome = Outcome { dry_run, mapping: mapping.describe(), ..Outcome::default() };
    // Looked up once for the whole file: an import of 100k rows must not read the
    // same-phone list, or count the open leads for routing, 100k times.
    let mut batch = intake::Batch { phones: Some(PhoneBook::load(&ctx.ws)?), ..intake::Batch::default() };
    // This file's earlier rows, by phone: their ids, and each id's row.
    let mut rows_by_phone = PhoneBook::default();
    let mut row_of: HashMap<LeadId, usize> = HashMap::new();
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
        let get = |field: Field| -> Option<String> {
            let value = mapping.value(field, cells)?;
            Some(vocabulary_spelling(ctx, field, value))
        };
        let record: Vec<(Field, String)> = Field::INTAKE.iter().filter_map(|&f| get(f).map(|v| (f, v))).collect();
        let handoff = HandoffRequest {
            to: get(Field::Owner),
            next_action: get(Field::NextAction),
            due: get(Field::NextActionDue),
            follow_up: get(Field::FollowUpOn),
            allow_past: true,
        };
        let result = (|| {
            let mut lead = intake::blank(ctx, by)?;
            intake::apply_fields(ctx, &mut lead, &record)?;
            intake::save_in(ctx, tx, &mut batch, lead, by, &handoff, false, partial, dry_run)
        })();
        match result {
            Ok(saved) => {
                let mut same_phone: Vec<String> = intake::open_with_same_phone(ctx, &saved.lead, &saved.same_phone)
                    .into_iter()
                    .map(|l| l.id.to_string())
                    .collect();
                if let Some(phone) = saved.lead.primary_phone.as_deref() {
                    let earlier = rows_by_phone.candidates(phone);
                    if dry_run {
                        // A dry run's rows have no file to name: the first earlier row.
                        same_phone.extend(earlier.first().and_then(|id| row_of.get(id)).map(|r| format!("row {r}")));
                    } else {
                        same_phone.extend(earlier.iter().map(ToString::to_string));
                    }
                    rows_by_phone.add(&saved.lead.id, phone);
                    row_of.insert(saved.lead.id.clone(), row);
                }
                let fields = if dry_run {
                    Field::ALL
                        .into_iter()
                        .filter_map(|f| f.get(&saved.lead).map(|v| (f.name().to_owned(), v)))
                        .collect()
                } else {
                    BTreeMap::new()
                };
                outcome.imported.push(Imported { row, id: saved.lead.id.clone(), same_phone, fields });
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

/// A CRM's label for a vocabulary value (`Web Form`) as rules.yaml spells it (`web-form`),
/// when that is a value of the vocabulary; anything else is left for the check to refuse.
fn vocabulary_spelling(ctx: &Ctx, field: Field, value: String) -> String {
    let Some(list) = field.vocab().and_then(|_| ctx.rules.vocabulary(field.name())) else { return value };
    if list.contains(&value) {
        return value;
    }
    let slug = import_map::slug(&value);
    if list.contains(&slug) { slug } else { value }
}
