//! `handoff assign ID [--to STAFF] [--next-action TEXT] [--due TIME] [--follow-up DATE]`.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::route::{self, HandoffRequest};

/// Hand a lead to one owner (the routing rules pick one unless --to names them).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff assign k3f9 --to sam --next-action 'Book estimate visit' --due +2h --follow-up +2d\n  handoff assign k3f9            # the routing rules pick the owner\n\nRefused (exit 1) when required fields are missing, after acceptance (use transfer), or for unknown staff."
)]
pub struct AssignArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    #[command(flatten)]
    pub handoff: HandoffArgs,
}

/// The handoff flags shared by `assign` and `capture`.
#[derive(Debug, Args, Default, Clone)]
pub struct HandoffArgs {
    /// Hand it to this owner (staff id); without --to the routing rules pick one.
    #[arg(long, value_name = "STAFF")]
    pub to: Option<String>,
    /// The promised next step (default: the routing rule's).
    #[arg(long, value_name = "TEXT")]
    pub next_action: Option<String>,
    /// When the next step is due (default: the routing rule's window from now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub due: Option<String>,
    /// Target follow-up date (required for estimate/consult leads).
    #[arg(long = "follow-up", value_name = "DATE")]
    pub follow_up: Option<String>,
    /// Accept a --due time that is already past (refused otherwise, as a likely typo).
    #[arg(long)]
    pub allow_past: bool,
}

impl HandoffArgs {
    /// The flags as a request for the routing layer.
    pub fn request(&self) -> HandoffRequest {
        HandoffRequest {
            to: self.to.clone(),
            next_action: self.next_action.clone(),
            due: self.due.clone(),
            follow_up: self.follow_up.clone(),
            allow_past: self.allow_past,
        }
    }
}

pub fn run(ctx: &Ctx, args: AssignArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "assign", |lead| {
        route::hand_off(ctx, lead, &args.handoff.request(), &by, true)?;
        Ok(format!("assigned to {}", lead.owner.as_deref().unwrap_or_default()))
    })?;
    println!("{}", lead.id);
    eprintln!("{}", route::handoff_summary(ctx, &lead));
    Ok(())
}
