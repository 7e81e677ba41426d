//! Putting a new lead on disk: the checks and steps `capture` and `import` share.
//!
//! The required intake fields are checked (or the lead saved incomplete with `partial`),
//! SOP leads that must not sit unowned are routed at once, the lead is written under the
//! workspace lock with a fresh id (the store's write hook files its phone in the index). Committing is
//! the caller's: capture commits one lead, import one batch.

use std::path::PathBuf;

use anyhow::Result;

use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::lead::{Event, EventKind, Lead, LeadId, Status};
use crate::phone;
use crate::route::{self, HandoffRequest};
use crate::store::phone_index::{self, PhoneBook, SameNumber};
use crate::transaction::Transaction;

/// A lead with nothing but its id, capture time and capturer.
pub fn blank(ctx: &Ctx, by: &str) -> Result<Lead> {
    Ok(Lead {
        id: ctx.new_lead_id()?,
        status: Status::Intake,
        created_at: ctx.stamp(),
        captured_by: by.to_owned(),
        full_name: None,
        primary_phone: None,
        service_address: None,
        market: None,
        service_type: None,
        urgency: None,
        fit: None,
        source: None,
        referral: None,
        notes: None,
        next_action: None,
        next_action_due: None,
        follow_up_on: None,
        owner: None,
        history: Vec::new(),
    })
}

/// A lead written to disk.
pub struct Saved {
    pub lead: Lead,
    pub path: PathBuf,
    /// Intake fields still missing (a `partial` save).
    pub missing: Vec<&'static str>,
    /// Leads that may share the phone number (confirm with `warn_same_phone`).
    pub same_phone: Vec<LeadId>,
}

/// The flag(s) that fill a missing intake field.
pub fn missing_flag(field: &str) -> String {
    match field {
        "service_address/market" => "--address or --market".to_owned(),
        f => f.parse::<Field>().map_or("--value", Field::flag).to_owned(),
    }
}

/// Check every given value, then set them; returns the fields that changed. Nothing is
/// set unless every value is valid.
pub fn apply_fields(ctx: &Ctx, lead: &mut Lead, fields: &[(Field, String)]) -> Result<Vec<Field>> {
    let mut values = Vec::new();
    for (field, raw) in fields {
        values.push((*field, field.check(&ctx.rules, raw).map_err(refused)?));
    }
    Ok(values.into_iter().filter_map(|(field, value)| field.set(lead, value).then_some(field)).collect())
}

/// What the saves of one transaction share when there are many (an import): the routing
/// counts, and the same-phone list read once (`None`: each save looks it up on disk).
#[derive(Debug, Default)]
pub struct Batch {
    pub routing: route::Routing,
    pub phones: Option<PhoneBook>,
    /// The ids this batch has given: a file written in the background may not be on
    /// disk yet, so the check for a free id looks here too.
    pub taken: std::collections::HashSet<LeadId>,
}

/// Check, route if the SOP says so, and write `lead` in the caller's transaction.
/// With `dry_run`, everything is checked and nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn save(
    ctx: &Ctx,
    tx: &mut Transaction,
    lead: Lead,
    by: &str,
    h: &HandoffRequest,
    route: bool,
    partial: bool,
    dry_run: bool,
) -> Result<Saved> {
    save_in(ctx, tx, &mut Batch::default(), lead, by, h, route, partial, dry_run)
}

/// [`save`] as one of a batch of saves in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn save_in(
    ctx: &Ctx,
    tx: &mut Transaction,
    batch: &mut Batch,
    mut lead: Lead,
    by: &str,
    h: &HandoffRequest,
    route: bool,
    partial: bool,
    dry_run: bool,
) -> Result<Saved> {
    let missing = lead.missing_intake(ctx.rules.requirements(&lead));
    if !missing.is_empty() && !partial {
        let flags: Vec<String> = missing.iter().map(|f| missing_flag(f)).collect();
        return Err(refused(format!(
            "cannot capture: missing {}; give {} (or save it incomplete with --partial)",
            missing.join(", "),
            flags.join(", ")
        )));
    }
    let wants_handoff = route || h.to.is_some();
    if !missing.is_empty() && wants_handoff {
        return Err(refused(format!(
            "an incomplete lead cannot be handed off (missing {}); drop --to/--route or fill the fields",
            missing.join(", ")
        )));
    }
    let must_route = missing.is_empty() && (wants_handoff || ctx.rules.routes_at_capture(&lead));
    if !must_route {
        lead.next_action = h.next_action.clone();
        lead.next_action_due = h.due.as_deref().map(|d| ctx.due_arg("--due", d, h.allow_past)).transpose()?;
        lead.follow_up_on = h.follow_up.as_deref().map(|d| ctx.date_arg("--follow-up", d)).transpose()?;
    }
    let now = lead.created_at;
    lead.history.push(Event {
        missing: missing.iter().map(|m| (*m).to_owned()).collect(),
        action: lead.next_action.clone(),
        due: lead.next_action_due,
        ..Event::new(now, by, EventKind::Captured)
    });
    if must_route {
        route::hand_off_in(ctx, &mut batch.routing, &mut lead, h, by, !dry_run)?;
    }
    let same_phone = match (&lead.primary_phone, &batch.phones) {
        (Some(p), Some(book)) => book.candidates(p),
        (Some(p), None) => phone_index::candidates(&ctx.ws, p)?,
        (None, _) => Vec::new(),
    };
    if dry_run {
        let path = ctx.ws.sharded_path(&lead.id);
        return Ok(Saved { lead, path, missing, same_phone });
    }
    while batch.taken.contains(&lead.id)
        || ctx.ws.sharded_path(&lead.id).exists()
        || ctx.ws.flat_path(&lead.id).exists()
    {
        lead.id = ctx.new_lead_id()?;
    }
    let path = tx.create(&lead)?;
    batch.taken.insert(lead.id.clone());
    Ok(Saved { lead, path, missing, same_phone })
}

/// The open leads among `candidates` (other than `lead`) that have `lead`'s phone number.
pub fn open_with_same_phone(ctx: &Ctx, lead: &Lead, candidates: &[LeadId]) -> Vec<SameNumber> {
    let Some(phone) = &lead.primary_phone else { return Vec::new() };
    let others: Vec<LeadId> = candidates.iter().filter(|id| **id != lead.id).cloned().collect();
    phone_index::open_with_number(&ctx.ws, &others, phone)
}

/// The SOP's "did the customer have to repeat themselves?": name open leads with this phone.
/// A number without its area code is matched against full numbers, and flagged.
/// The notes go out in one write (stderr is unbuffered: a write per piece otherwise).
pub fn warn_same_phone(ctx: &Ctx, lead: &Lead, candidates: &[LeadId]) {
    use std::fmt::Write as _;
    let mut notes = String::new();
    if let Some(p) = lead.primary_phone.as_deref().filter(|p| phone::is_local(p)) {
        let _ = writeln!(
            notes,
            "note: the phone number {p} has no area code; add it when you can with `handoff update {} --phone NUMBER`",
            lead.id
        );
    }
    for other in open_with_same_phone(ctx, lead, candidates) {
        let _ = writeln!(
            notes,
            "note: open lead {} ({}, owner {}) has the same phone number; check it before asking the customer again",
            other.id,
            other.status,
            other.owner.as_deref().unwrap_or("none")
        );
    }
    if !notes.is_empty() {
        eprint!("{notes}");
    }
}
