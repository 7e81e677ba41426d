//! `handoff merge-driver BASE OURS THEIRS [PATH]`: git's merge driver for lead files.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::error::workspace;
use crate::merge;
use crate::store::{MAX_LEAD_BYTES, parse_lead, read_limited, serialize_lead, write_atomic};

/// Merge two clones' versions of a lead (run by git, configured by `handoff init`).
#[derive(Debug, Args)]
#[command(
    after_help = "git runs this for leads/**/*.yaml (see .gitattributes):\n  [merge \"handoff\"] driver = handoff merge-driver %O %A %B %P\n\nWrites the merged lead to OURS and exits 0; exits 1 (git then reports a conflict\nwithout touching either version) when a version cannot be read."
)]
pub struct MergeDriverArgs {
    /// The common ancestor's version (%O).
    pub base: PathBuf,
    /// Our version (%A); the result is written here.
    pub ours: PathBuf,
    /// Their version (%B).
    pub theirs: PathBuf,
    /// The lead file's path in the repository (%P), for messages.
    pub path: Option<String>,
}

pub fn run(args: MergeDriverArgs) -> Result<()> {
    let name = args.path.clone().unwrap_or_else(|| args.ours.display().to_string());
    let read = |p: &PathBuf, side: &str| {
        let text = read_limited(p, MAX_LEAD_BYTES)?;
        parse_lead(&text).map_err(|e| workspace(format!("{name}: {side} version: {}", e.render(side))))
    };
    let ours = read(&args.ours, "our")?;
    let theirs = read(&args.theirs, "their")?;
    // A lead added on both sides has an empty base: merge against ours.
    let base = if std::fs::metadata(&args.base).map(|m| m.len()).unwrap_or(0) == 0 {
        ours.clone()
    } else {
        read(&args.base, "base")?
    };
    let merged = merge::merge(&base, &ours, &theirs);
    write_atomic(&args.ours, serialize_lead(&merged)?.as_bytes())?;
    if merged.history.len() > ours.history.len()
        && merged.history.last().is_some_and(|e| e.event == crate::lead::EventKind::Conflict)
    {
        eprintln!("handoff: {name}: both clones moved this lead; merged, and flagged with a conflict event for review");
    }
    Ok(())
}
