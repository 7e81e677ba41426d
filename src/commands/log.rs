//! `handoff log ID`: a lead's history with the git commits that recorded it.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::show::describe;
use crate::context::{Ctx, relative_to};
use crate::git::{self, FileCommit};
use crate::lead::Event;
use crate::output::{Table, emit};
use crate::store::parse_lead;

/// Show a lead's history joined with the commits that changed its file, oldest first.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff log k3f9\n  handoff log k3f9 --json\n\nEvents not yet committed (git off, or a failed commit) show no commit."
)]
pub struct LogArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
}

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    event: &'a Event,
    commit: Option<&'a FileCommit>,
}

pub fn run(ctx: &Ctx, args: LogArgs) -> Result<()> {
    let lead = ctx.lead(&args.id)?;
    let path = ctx.ws.lead_path(&lead.id);
    // Which commit recorded each event: the first commit whose version holds it.
    let mut owner_of: Vec<Option<usize>> = vec![None; lead.history.len()];
    let commits = match git::work_tree(&ctx.ws.root) {
        Some(top) => {
            let rel = relative_to(&top, &path);
            // A lead moved by `handoff migrate` has its earlier commits under the flat path.
            let paths = git::file_log_follow(&top, &rel)?;
            let commits: Vec<git::FileCommit> = paths.iter().map(|(c, _)| c.clone()).collect();
            for (n, (c, at)) in paths.iter().enumerate() {
                let Some(old) = git::show_file(&top, &c.hash, at).and_then(|t| parse_lead(&t).ok()) else { continue };
                for (i, e) in lead.history.iter().enumerate() {
                    if owner_of[i].is_none() && old.history.contains(e) {
                        owner_of[i] = Some(n);
                    }
                }
            }
            commits
        }
        None => Vec::new(),
    };
    let entries: Vec<Entry> =
        lead.history.iter().zip(&owner_of).map(|(event, n)| Entry { event, commit: n.map(|n| &commits[n]) }).collect();
    let data = serde_json::json!({ "id": lead.id, "entries": entries, "commits": commits });
    emit(ctx.format, &data, || {
        // Wrapped to fit 80 columns: the event description takes what is left.
        let mut t = Table::new(&["at", "by", "event", "commit", "author"]);
        t.wrap_at = Some(80);
        for e in &entries {
            let (hash, author) = e.commit.map_or_else(
                || (String::from("-"), String::new()),
                |c| (c.hash.chars().take(7).collect(), c.author.clone()),
            );
            t.row(vec![ctx.show_time(&e.event.at), e.event.by.clone(), describe(ctx, e.event), hash, author]);
        }
        t
    })
}
