//! `handoff update ID [--name …] …`: complete or correct the record.

use anyhow::Result;
use clap::Args;

use super::record::RecordArgs;
use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::intake;
use crate::lead::{Event, EventKind, Status};
use crate::route::{self, HandoffRequest};

/// Complete or correct a lead's record; recorded as an `updated` event naming the fields.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff update k3f9 --address '12 Elm St' --notes 'Gas smell near the meter'\n  handoff update k3f9 --urgency emergency     # an unowned emergency is routed at once\n  handoff update k3f9 --service estimate --follow-up +2d"
)]
pub struct UpdateArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    #[command(flatten)]
    pub record: RecordArgs,
    /// Target follow-up date (estimate/consult leads need one once owned).
    #[arg(long = "follow-up", value_name = "DATE")]
    pub follow_up: Option<String>,
}

pub fn run(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if args.record.fields().is_empty() && args.follow_up.is_none() {
        return Err(refused(
            "nothing to update; give at least one of --name, --phone, --address, --market, --service, --urgency, --fit, --source, --referral, --notes, --follow-up",
        ));
    }
    let follow_up = args.follow_up.as_deref().map(|d| ctx.date_arg("--follow-up", d)).transpose()?;
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "update", |lead| {
        if lead.status == Status::Closed {
            return Err(refused(format!("lead {} is closed; capture a new lead for new work", lead.id)));
        }
        let before = lead.clone();
        let mut changed: Vec<String> =
            intake::apply_fields(ctx, lead, &args.record.fields())?.iter().map(|f| f.name().to_owned()).collect();
        if follow_up.is_some() && lead.follow_up_on != follow_up {
            lead.follow_up_on = follow_up;
            changed.push("follow_up_on".to_owned());
        }
        if changed.is_empty() {
            return Err(refused(format!("lead {} already has these values; nothing changed", lead.id)));
        }
        let req = ctx.rules.requirements(lead);
        let missing = lead.missing_intake(req);
        if lead.status != Status::Intake {
            // An owned lead keeps the whole contract, including an estimate's follow-up date.
            let mut lacking: Vec<String> = missing.iter().map(|m| (*m).to_owned()).collect();
            if req.follow_up && lead.follow_up_on.is_none() {
                lacking.push("follow_up_on (add --follow-up DATE)".to_owned());
            }
            if !lacking.is_empty() {
                return Err(refused(format!(
                    "lead {} is {}; this update would leave it without {}",
                    lead.id,
                    lead.status,
                    lacking.join(", ")
                )));
            }
        }
        let mut summary = format!("changed {}", changed.join(", "));
        lead.history.push(Event {
            changes: Field::changes(&before, lead, &changed),
            changed,
            missing: missing.iter().map(|m| (*m).to_owned()).collect(),
            ..Event::new(ctx.stamp(), &by, EventKind::Updated)
        });
        // The SOP's must-not-sit-unowned leads (emergencies, recovered missed calls) are
        // routed the moment their record is complete, as capture would have done. Not after
        // a rejection: intake decides who gets it next (`assign`), and the unowned lead
        // escalates meanwhile; routing again would hand it back to whoever rejected it.
        let never_handed_off = !lead.history.iter().any(|e| e.event == EventKind::Assigned);
        if lead.status == Status::Intake && missing.is_empty() && never_handed_off && ctx.rules.routes_at_capture(lead)
        {
            route::hand_off(ctx, lead, &HandoffRequest::default(), &by, true)?;
            summary.push_str(&format!("; routed to {}", lead.owner.as_deref().unwrap_or_default()));
        }
        Ok(summary)
    })?;
    println!("{}", lead.id);
    let missing = lead.missing_intake(ctx.rules.requirements(&lead));
    if !missing.is_empty() {
        eprintln!("still missing: {}", missing.join(", "));
    } else if lead.status == Status::Intake {
        eprintln!("the record is complete; hand it off with `handoff assign {}`", lead.id);
    } else if lead.history.last().is_some_and(|e| e.event == EventKind::Assigned) {
        eprintln!("{}", route::handoff_summary(ctx, &lead));
    }
    Ok(())
}
