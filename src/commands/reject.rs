//! `handoff reject ID --reason TEXT [--missing FIELD,…]`: send a handoff back to intake.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::handoff;

/// Send a lead assigned to you back to intake, saying what is missing.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff reject k3f9 --reason 'No address, cannot quote' --missing service_address,notes\n\nOnly the assigned owner, only before acceptance."
)]
pub struct RejectArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// Why it comes back.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Record fields that are missing or wrong, comma-separated (full_name, primary_phone,
    /// service_address, market, service_type, urgency, fit, source, referral, notes,
    /// next_action, next_action_due, follow_up_on, owner).
    #[arg(long, value_name = "FIELD,…", value_delimiter = ',')]
    pub missing: Vec<String>,
}

pub fn run(ctx: &Ctx, args: RejectArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    // A wrong field name is refused (exit 1) like any other bad value, not a usage error.
    let missing = args
        .missing
        .iter()
        .map(|m| m.parse::<Field>().map_err(|e| refused(format!("--missing: {e}"))))
        .collect::<Result<Vec<Field>>>()?;
    let lead = ctx.change_lead(&args.id, "reject", |lead| {
        handoff::reject(lead, &by, ctx.stamp(), &args.reason, &missing)?;
        Ok(format!("rejected by {by}, back to intake"))
    })?;
    println!("{}", lead.id);
    eprintln!(
        "back in intake; fix it with `handoff update {}` and hand it off again with `handoff assign {}`",
        lead.id, lead.id
    );
    Ok(())
}
