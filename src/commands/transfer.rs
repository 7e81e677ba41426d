//! `handoff transfer ID --to STAFF --reason TEXT`: move an accepted lead to a new owner;
//! `handoff transfer --all-from STAFF --to STAFF --reason TEXT` moves every open lead
//! someone holds (when they go away or leave).

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::handoff::{self, Handoff};
use crate::lead::Status;
use crate::store::Want;

/// Move responsibility for an accepted lead; the new owner must accept it.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff transfer k3f9 --to sam --reason 'Customer wants a full replacement quote'\n  handoff transfer --all-from dev --to sam --reason 'Dev on vacation'"
)]
pub struct TransferArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    #[arg(required_unless_present = "all_from", conflicts_with = "all_from")]
    pub id: Option<String>,
    /// Move every open lead this staff member owns (accepted ones are transferred, ones
    /// not yet accepted are reassigned).
    #[arg(long, value_name = "STAFF")]
    pub all_from: Option<String>,
    /// The new owner (staff id).
    #[arg(long, value_name = "STAFF")]
    pub to: String,
    /// Why responsibility moves.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(ctx: &Ctx, args: TransferArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let Some(id) = &args.id else { return all_from(ctx, &args, &by) };
    let lead = ctx.change_lead(id, "transfer", |lead| {
        let from = lead.owner.clone().unwrap_or_default();
        handoff::transfer(lead, &ctx.rules, &args.to, &args.reason, &by, ctx.stamp())?;
        Ok(format!("transferred from {from} to {}", args.to))
    })?;
    println!("{}", lead.id);
    eprintln!("transferred to {}; waiting for {} to accept", args.to, args.to);
    Ok(())
}

/// Every open lead of one owner to another, in one transaction and one commit; a refusal
/// for any lead writes nothing.
fn all_from(ctx: &Ctx, args: &TransferArgs, by: &str) -> Result<()> {
    let from = args.all_from.as_deref().unwrap_or_default();
    if ctx.rules.staff(from).is_none() {
        return Err(refused(format!("--all-from: `{from}` is not in the staff of rules.yaml")));
    }
    if !ctx.rules.staff(&args.to).is_some_and(|s| s.active) {
        return Err(refused(format!("--to: `{}` is not an active staff member of rules.yaml", args.to)));
    }
    let mut tx = ctx.transaction(by)?;
    let (mut ids, errors) = ctx.ws.scan_map(Want::Open, |l| (l.owner.as_deref() == Some(from)).then_some(l.id))?;
    crate::commands::skipped(&errors)?;
    ids.sort();
    let mut leads = Vec::new();
    for id in &ids {
        let mut lead = tx.read_id(id)?;
        match lead.status {
            Status::Accepted => handoff::transfer(&mut lead, &ctx.rules, &args.to, &args.reason, by, ctx.stamp())?,
            _ => {
                let h = Handoff { owner: args.to.clone(), reason: Some(args.reason.clone()), ..Handoff::default() };
                handoff::assign(&mut lead, &ctx.rules, h, by, ctx.stamp())?;
            }
        }
        leads.push(lead);
    }
    for lead in &mut leads {
        tx.write(lead)?;
    }
    tx.finish(&format!("transfer --all-from {from} --to {}: {} leads", args.to, leads.len()))?;
    for lead in &leads {
        println!("{}", lead.id);
    }
    eprintln!(
        "moved {} open lead{} from {from} to {}; waiting for {} to accept",
        leads.len(),
        if leads.len() == 1 { "" } else { "s" },
        args.to,
        args.to
    );
    Ok(())
}
