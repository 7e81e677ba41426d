//! `handoff close ID --outcome OUTCOME [--note TEXT]`.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::handoff;

/// Close a lead with an outcome from rules.yaml's outcome vocabulary.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff close k3f9 --outcome booked\n  handoff close k3f9 --outcome lost --note 'Went with a competitor on price'"
)]
pub struct CloseArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// How it ended (booked, estimate-sent, won, lost, no-response, not-a-fit, duplicate, spam, ...).
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: String,
    /// A closing note.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

pub fn run(ctx: &Ctx, args: CloseArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "close", |lead| {
        handoff::close(lead, &ctx.rules, &by, ctx.stamp(), &args.outcome, args.note.clone())?;
        Ok(format!("closed as {}", args.outcome))
    })?;
    println!("{}", lead.id);
    Ok(())
}
