//! `handoff capture`: put a lead on disk while the caller is still on the line.

use anyhow::Result;
use clap::Args;

use super::assign::HandoffArgs;
use super::record::RecordArgs;
use crate::context::Ctx;
use crate::output::{Table, View, print};
use crate::{intake, prompt};

/// `--to` as capture reads it (the shared flag's help speaks for `assign`).
const CAPTURE_TO_HELP: &str = "Hand it to this owner (staff id) at once. Without --to or --route the lead stays in \
     intake (hand it off later with `handoff assign`), except what rules.yaml routes at capture (by default \
     emergencies and recovered missed calls)";

/// Capture a new lead; prints its id on stdout's first line.
#[derive(Debug, Args)]
#[command(
    mut_arg("to", |a| a.help(CAPTURE_TO_HELP)),

    after_help = "Examples:\n  handoff capture --name 'Maria Lopez' --phone '(312) 555-0142' --address '12 Elm St' \\\n    --service repair --urgency emergency --source phone --notes 'Water heater leaking'\n  handoff capture --partial --name 'Bob' --phone 3125550199 --source web-form\n\nMissing required fields are refused (exit 1) with every one named, unless --partial.\nOn a terminal, capture asks for missing fields instead."
)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub handoff: HandoffArgs,
    /// Hand it off now to the owner the routing rules pick.
    #[arg(long, conflicts_with = "to")]
    pub route: bool,
    /// Save even with required fields missing (flagged incomplete; it cannot be assigned yet).
    #[arg(long)]
    pub partial: bool,
}

pub fn run(ctx: &Ctx, args: CaptureArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let mut lead = intake::blank(ctx, &by)?;
    crate::intake::apply_fields(ctx, &mut lead, &args.record.fields())?;
    let missing = lead.missing_intake(ctx.rules.requirements(&lead));
    if !missing.is_empty() && !args.partial && ctx.interactive {
        prompt::missing_fields(ctx, &mut lead)?;
    }
    let saved = {
        let mut tx = ctx.transaction(&by)?;
        let saved = intake::save(ctx, &mut tx, lead, &by, &args.handoff.request(), args.route, args.partial, false)?;
        let summary = match &saved.lead.owner {
            Some(owner) => format!("captured, assigned to {owner}"),
            None if saved.missing.is_empty() => "captured".to_owned(),
            None => format!("captured incomplete (missing {})", saved.missing.join(", ")),
        };
        tx.finish(&format!("capture {}: {summary}", saved.lead.id))?;
        saved
    };
    let lead = &saved.lead;
    let id = serde_json::json!({ "id": lead.id });
    let table = || {
        let mut t = Table::new(&["id"]);
        t.row(vec![lead.id.to_string()]);
        t
    };
    print(ctx.format, &id, View::table(table).text(|| format!("{}\n", lead.id)).one_line_json())?;
    intake::warn_same_phone(ctx, lead, &saved.same_phone);
    if lead.owner.is_some() {
        eprintln!("{}", crate::route::handoff_summary(ctx, lead));
    } else if !saved.missing.is_empty() {
        eprintln!(
            "saved incomplete in intake (missing {}); complete it with `handoff update {}`",
            saved.missing.join(", "),
            lead.id
        );
    } else if ctx.rules.routes_at_capture(lead) {
        eprintln!("warning: this lead must not sit unowned; assign it now with `handoff assign {}`", lead.id);
    } else {
        eprintln!("saved in intake; hand it off with `handoff assign {}`", lead.id);
    }
    Ok(())
}
