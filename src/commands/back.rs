//! `handoff back STAFF`: someone is back early; the away period running now ends now.

use anyhow::Result;
use clap::Args;

use crate::commands::oncall::check_staff;
use crate::context::Ctx;
use crate::error::refused;

/// End the away period running now for STAFF (later ones stay).
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  handoff away dev --from 07:00 --until +2d && handoff back dev   # back early")]
pub struct BackArgs {
    /// Who is back (staff id).
    pub staff: String,
}

pub fn run(ctx: &Ctx, args: BackArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    check_staff(ctx, "STAFF", &args.staff)?;
    let mut tx = ctx.transaction(&by)?;
    let mut duty = tx.read_duty()?;
    if duty.back(&args.staff, ctx.stamp()) == 0 {
        return Err(refused(format!("{} is not away now (see `handoff away`)", args.staff)));
    }
    tx.write_duty(&duty)?;
    tx.finish(&format!("back {}", args.staff))?;
    eprintln!("{} is back; routing and schedules include them again", args.staff);
    Ok(())
}
