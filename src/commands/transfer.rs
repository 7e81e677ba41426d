//! `handoff transfer ID --to STAFF --reason TEXT`: move an accepted lead to a new owner.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::handoff;

/// Move responsibility for an accepted lead; the new owner must accept it.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  handoff transfer k3f9 --to sam --reason 'Customer wants a full replacement quote'")]
pub struct TransferArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// The new owner (staff id).
    #[arg(long, value_name = "STAFF")]
    pub to: String,
    /// Why responsibility moves.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(ctx: &Ctx, args: TransferArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "transfer", |lead| {
        let from = lead.owner.clone().unwrap_or_default();
        handoff::transfer(lead, &ctx.rules, &args.to, &args.reason, &by, ctx.stamp())?;
        Ok(format!("transferred from {from} to {}", args.to))
    })?;
    println!("{}", lead.id);
    eprintln!("transferred to {}; waiting for {} to accept", args.to, args.to);
    Ok(())
}
