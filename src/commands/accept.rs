//! `handoff accept ID`: the receiving owner confirms the handoff.

use std::io::{BufRead, Write};

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::handoff;
use crate::lead::Lead;

/// Accept a lead assigned to you, after reading its notes, next step and deadline.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff accept k3f9            # shows the handoff, asks y/N\n  handoff accept k3f9 --yes      # scripts\n\nRefused (exit 1) unless you are the assigned owner and the record is complete;\nan incomplete record is sent back with `handoff reject ID --reason ... --missing ...`."
)]
pub struct AcceptArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// Confirm without asking (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Ctx, args: AcceptArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let preview = ctx.lead(&args.id)?;
    // Check before asking, so nobody confirms a handoff that will be refused.
    handoff::accept(&mut preview.clone(), &ctx.rules, &by, ctx.stamp())?;
    if !args.yes {
        if !ctx.interactive {
            return Err(refused(format!(
                "accepting confirms you saw the notes, the next step and the deadline; \
                 run `handoff show {}` and then `handoff accept {} --yes`",
                preview.id, preview.id
            )));
        }
        if !confirm(ctx, &preview)? {
            return Err(refused("not accepted; nothing changed"));
        }
    }
    let lead = ctx.change_lead(&args.id, "accept", |lead| {
        handoff::accept(lead, &ctx.rules, &by, ctx.stamp())?;
        Ok(format!("accepted by {by}"))
    })?;
    println!("{}", lead.id);
    Ok(())
}

fn confirm(ctx: &Ctx, lead: &Lead) -> Result<bool> {
    let due = lead.next_action_due.map(|d| ctx.show_time(&d)).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    writeln!(err, "Lead {} — {}", lead.id, lead.full_name.as_deref().unwrap_or(""))?;
    writeln!(err, "Notes:\n  {}", lead.notes.as_deref().unwrap_or("").replace('\n', "\n  "))?;
    writeln!(err, "Next step: {}", lead.next_action.as_deref().unwrap_or(""))?;
    writeln!(err, "Deadline:  {due}")?;
    if let Some(date) = lead.follow_up_on {
        writeln!(err, "Follow up: {date}")?;
    }
    write!(err, "I saw the notes, understand the next step and know the deadline. Accept? [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
