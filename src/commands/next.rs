//! `handoff next ID --action TEXT --due TIME`: the owner records the next action.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::handoff;

/// Record the next action and its due time (movement for the escalation clock).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff next k3f9 --action 'Send the estimate' --due 'tomorrow 10:00'\n  handoff next k3f9 --action 'Call back' --due +2h"
)]
pub struct NextArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// What happens next.
    #[arg(long, value_name = "TEXT")]
    pub action: String,
    /// When it is due.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub due: String,
    /// Accept a --due time that is already past (refused otherwise, as a likely typo).
    #[arg(long)]
    pub allow_past: bool,
}

pub fn run(ctx: &Ctx, args: NextArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let due = ctx.due_arg("--due", &args.due, args.allow_past)?;
    let lead = ctx.change_lead(&args.id, "next", |lead| {
        handoff::next(lead, &by, ctx.stamp(), &args.action, due)?;
        Ok("recorded the next action".to_owned())
    })?;
    println!("{}", lead.id);
    Ok(())
}
