//! `handoff reopen ID --reason TEXT`: open a lead closed by mistake again.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::handoff;

/// Reopen a closed lead: it returns to the status and owner it had when it was closed.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff reopen k3f9 --reason 'Closed by mistake; the customer still wants the quote'\n\nIts owner, whoever closed it, or a manager / office lead may reopen a lead."
)]
pub struct ReopenArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// Why it is reopened (kept in the history).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(ctx: &Ctx, args: ReopenArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "reopen", |lead| {
        handoff::reopen(lead, &ctx.rules, &by, ctx.stamp(), &args.reason)?;
        Ok(format!("reopened by {by}, back to {}", lead.status))
    })?;
    println!("{}", lead.id);
    eprintln!("reopened: {} (owner {})", lead.status, lead.owner.as_deref().unwrap_or("none"));
    Ok(())
}
