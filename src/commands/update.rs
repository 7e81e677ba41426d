//! `handoff update ID [--name …] …`: complete or correct the record.

use anyhow::Result;
use clap::Args;

use super::record::RecordArgs;
use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{Event, EventKind, Status};

/// Complete or correct a lead's record; recorded as an `updated` event naming the fields.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff update k3f9 --address '12 Elm St' --notes 'Gas smell near the meter'\n  handoff update k3f9 --urgency emergency"
)]
pub struct UpdateArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    #[command(flatten)]
    pub record: RecordArgs,
}

pub fn run(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if args.record.fields().is_empty() {
        return Err(refused(
            "nothing to update; give at least one of --name, --phone, --address, --market, --service, --urgency, --fit, --source, --referral, --notes",
        ));
    }
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "update", |lead| {
        if lead.status == Status::Closed {
            return Err(refused(format!("lead {} is closed; capture a new lead for new work", lead.id)));
        }
        let changed = args.record.apply(ctx, lead)?;
        if changed.is_empty() {
            return Err(refused(format!("lead {} already has these values; nothing changed", lead.id)));
        }
        let missing = lead.missing_intake(ctx.rules.requirements(lead));
        if lead.status != Status::Intake && !missing.is_empty() {
            return Err(refused(format!(
                "lead {} is {}; this update would leave it without {}",
                lead.id,
                lead.status,
                missing.join(", ")
            )));
        }
        if let (true, Some(phone)) = (changed.iter().any(|c| c == "primary_phone"), &lead.primary_phone) {
            crate::phone_index::add(&ctx.ws, &lead.id, phone)?;
        }
        let summary = format!("changed {}", changed.join(", "));
        lead.history.push(Event {
            changed,
            missing: missing.iter().map(|m| (*m).to_owned()).collect(),
            ..Event::new(ctx.stamp(), &by, EventKind::Updated)
        });
        Ok(summary)
    })?;
    println!("{}", lead.id);
    let missing = lead.missing_intake(ctx.rules.requirements(&lead));
    if missing.is_empty() {
        if lead.status == Status::Intake {
            eprintln!("the record is complete; hand it off with `handoff assign {}`", lead.id);
        }
    } else {
        eprintln!("still missing: {}", missing.join(", "));
    }
    Ok(())
}
