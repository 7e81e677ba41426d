//! `handoff note ID TEXT`: add a note to the lead's history (movement).

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{Event, EventKind};

/// Add a note to a lead's history; counts as movement for the escalation clock.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  handoff note k3f9 'Left voicemail, will try again at 3pm'")]
pub struct NoteArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// The note.
    pub text: String,
}

pub fn run(ctx: &Ctx, args: NoteArgs) -> Result<()> {
    if args.text.trim().is_empty() {
        return Err(refused("the note is empty; say what happened"));
    }
    let by = ctx.actor()?.id.clone();
    let lead = ctx.change_lead(&args.id, "note", |lead| {
        lead.history.push(Event { text: Some(args.text.clone()), ..Event::new(ctx.stamp(), &by, EventKind::Noted) });
        Ok("added a note".to_owned())
    })?;
    println!("{}", lead.id);
    Ok(())
}
