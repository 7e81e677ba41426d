//! `handoff capture`: put a lead on disk while the caller is still on the line.

use std::io::{BufRead, Write};

use anyhow::Result;
use clap::Args;

use super::assign::{HandoffArgs, handoff_summary, resolve_handoff};
use super::record::{RecordArgs, checked, flag_of, set_field};
use crate::context::Ctx;
use crate::error::refused;
use crate::handoff;
use crate::lead::{Event, EventKind, Lead, LeadId, Status};
use crate::store::random_bytes;
use crate::{phone, phone_index};

/// Capture a new lead; prints its id on stdout's first line.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff capture --name 'Maria Lopez' --phone '(312) 555-0142' --address '12 Elm St' \\\n    --service repair --urgency emergency --source phone --notes 'Water heater leaking'\n  handoff capture --partial --name 'Bob' --phone 3125550199 --source web-form\n\nMissing required fields are refused (exit 1) with every one named, unless --partial.\nOn a terminal, capture asks for missing fields instead."
)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub handoff: HandoffArgs,
    /// Hand it off now to the owner the routing rules pick.
    #[arg(long, conflicts_with = "to")]
    pub route: bool,
    /// Save even with required fields missing (flagged incomplete; it cannot be assigned yet).
    #[arg(long)]
    pub partial: bool,
}

/// The intake fields in the SOP's order, for prompts.
const PROMPT_ORDER: [&str; 10] = [
    "full_name",
    "primary_phone",
    "service_address",
    "service_type",
    "urgency",
    "fit",
    "source",
    "referral",
    "notes",
    "market",
];

pub fn run(ctx: &Ctx, args: CaptureArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let now = ctx.stamp();
    let mut lead = Lead {
        id: LeadId::new(ctx.now.date(), &random_bytes()),
        status: Status::Intake,
        created_at: now,
        captured_by: by.clone(),
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
    };
    args.record.apply(ctx, &mut lead)?;
    let mut missing = lead.missing_intake(ctx.rules.requirements(&lead));
    if !missing.is_empty() && !args.partial && ctx.interactive {
        prompt_missing(ctx, &mut lead)?;
        missing = lead.missing_intake(ctx.rules.requirements(&lead));
    }
    if !missing.is_empty() && !args.partial {
        let flags: Vec<String> = missing.iter().map(|f| missing_flag(f)).collect();
        return Err(refused(format!(
            "cannot capture: missing {}; give {} (or save it incomplete with --partial)",
            missing.join(", "),
            flags.join(", ")
        )));
    }
    let wants_handoff = args.route || args.handoff.to.is_some();
    if !missing.is_empty() && wants_handoff {
        return Err(refused(format!(
            "an incomplete lead cannot be handed off (missing {}); drop --to/--route or fill the fields",
            missing.join(", ")
        )));
    }
    let must_route = missing.is_empty() && (wants_handoff || ctx.rules.routes_at_capture(&lead));
    if !must_route {
        lead.next_action = args.handoff.next_action.clone();
        lead.next_action_due = args.handoff.due.as_deref().map(|d| ctx.time_arg("--due", d)).transpose()?;
    }
    lead.history.push(Event {
        missing: missing.iter().map(|m| (*m).to_owned()).collect(),
        action: lead.next_action.clone(),
        due: lead.next_action_due,
        ..Event::new(now, &by, EventKind::Captured)
    });
    let same_phone = {
        let _lock = ctx.ws.lock()?;
        if must_route {
            let (h, turn_rule) = resolve_handoff(ctx, &lead, &args.handoff)?;
            handoff::assign(&mut lead, &ctx.rules, h, &by, now)?;
            if let Some(rule) = &turn_rule {
                ctx.ws.bump_turn(rule)?;
            }
        }
        while ctx.ws.lead_path(&lead.id).exists() {
            lead.id = LeadId::new(ctx.now.date(), &random_bytes());
        }
        let same_phone = match &lead.primary_phone {
            Some(p) => phone_index::candidates(&ctx.ws, p)?,
            None => Vec::new(),
        };
        let path = ctx.ws.create(&lead)?;
        if let Some(p) = &lead.primary_phone {
            phone_index::add(&ctx.ws, &lead.id, p)?;
        }
        let summary = match &lead.owner {
            Some(owner) => format!("captured, assigned to {owner}"),
            None if missing.is_empty() => "captured".to_owned(),
            None => format!("captured incomplete (missing {})", missing.join(", ")),
        };
        ctx.commit(&[path], &by, &format!("capture {}: {summary}", lead.id));
        same_phone
    };
    match ctx.format {
        crate::output::Format::Json => println!("{}", serde_json::json!({ "id": lead.id })),
        _ => println!("{}", lead.id),
    }
    warn_same_phone(ctx, &lead, &same_phone);
    if lead.owner.is_some() {
        eprintln!("{}", handoff_summary(ctx, &lead));
    } else if !missing.is_empty() {
        eprintln!(
            "saved incomplete in intake (missing {}); complete it with `handoff update {}`",
            missing.join(", "),
            lead.id
        );
    } else if ctx.rules.routes_at_capture(&lead) {
        eprintln!("warning: this lead must not sit unowned; assign it now with `handoff assign {}`", lead.id);
    } else {
        eprintln!("saved in intake; hand it off with `handoff assign {}`", lead.id);
    }
    Ok(())
}

fn missing_flag(field: &str) -> String {
    match field {
        "service_address/market" => "--address or --market".to_owned(),
        f => flag_of(f).to_owned(),
    }
}

/// The SOP's "did the customer have to repeat themselves?": name open leads with this phone.
fn warn_same_phone(ctx: &Ctx, lead: &Lead, candidates: &[LeadId]) {
    let Some(phone) = &lead.primary_phone else { return };
    let digits = phone::digits(phone);
    for id in candidates.iter().filter(|id| **id != lead.id) {
        let Ok(other) = ctx.ws.read(id) else { continue };
        if other.is_open() && other.primary_phone.as_deref().is_some_and(|p| phone::digits(p) == digits) {
            eprintln!(
                "note: open lead {} ({}, owner {}) has the same phone number; check it before asking the customer again",
                other.id,
                other.status,
                other.owner.as_deref().unwrap_or("none")
            );
        }
    }
}

/// Ask for each missing field on the terminal, in the SOP's order. EOF aborts.
fn prompt_missing(ctx: &Ctx, lead: &mut Lead) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    for field in PROMPT_ORDER {
        let req = ctx.rules.requirements(lead);
        let missing = lead.missing_intake(req);
        let needed = missing.contains(&field)
            || (field == "service_address" && missing.contains(&"service_address/market"))
            || (field == "fit" && lead.fit.is_none());
        if !needed {
            continue;
        }
        let choices = ctx.rules.vocabulary(field);
        loop {
            let label = field.replace('_', " ");
            match choices {
                Some(list) => eprint!("{label} [{}]: ", list.join("/")),
                None if field == "service_address" => eprint!("service address (or leave empty for a market): "),
                None if field == "fit" => eprint!("fit (optional): "),
                None => eprint!("{label}: "),
            }
            std::io::stderr().flush().ok();
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                return Err(refused("capture cancelled at the prompt; nothing was saved"));
            }
            let answer = line.trim();
            if answer.is_empty() && (field == "fit" || field == "service_address") {
                break;
            }
            if answer.is_empty() {
                eprintln!("  {label} is required");
                continue;
            }
            match checked(ctx, field, answer) {
                Ok(value) => {
                    set_field(lead, field, value);
                    break;
                }
                Err(e) => eprintln!("  {e:#}"),
            }
        }
    }
    Ok(())
}
