//! `handoff sync`: fetch, merge (lead files with the lead merge driver), commit, push.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::workspace;
use crate::git;
use crate::output::{Table, View, print};
use crate::sync::{self, Health, Repo};

/// Exchange changes with the shared repository: fetch, merge, push (never rebase).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff sync\n  handoff sync --json      # {\"pulled\", \"pushed\", \"changed\", \"needs_review\", ...}\n\n\
Fetches the remote (the branch's upstream, else origin), merges it with a merge commit\n\
(lead files through the lead merge driver: no conflict markers, no lost events), and pushes.\n\
When another machine pushed in between, it fetches and merges again (up to 5 times).\n\
Leads that two machines moved at once are merged, flagged with a `conflict` event and\n\
listed under needs_review: read `handoff show ID`, then record who owns it with\n\
`handoff note ID ...` (any person's event after the conflict clears the flag).\n\
Exit 3 when it could not finish (offline, credentials, a conflict outside leads/):\n\
your work stays committed on this machine; run it again later."
)]
pub struct SyncArgs {}

pub fn run(ctx: &Ctx, _args: SyncArgs) -> Result<()> {
    if !ctx.rules.git {
        return Err(workspace("rules.yaml turns git off (`git: false`); set `git: true` to sync"));
    }
    let Some(repo) = Repo::open(&ctx.ws)?.filter(|_| git::available()) else {
        return Err(workspace(format!(
            "{} is not in a git repository; sync needs one (`handoff init` makes one, `handoff clone URL` copies a shared one)",
            ctx.ws.root.display()
        )));
    };
    let _lock = ctx.ws.lock()?;
    sync::clear_stale_lock(&repo.top, &repo.git_dir)?;
    let by = ctx.git_identity(&repo.top);
    let hand_edits = sync::commit_hand_edits(&repo, &by, "sync")?;
    let mut health = Health::load(&ctx.ws);
    let at = ctx.stamp().to_string();
    let mut report = sync::sync(&repo, &by, &at, &health)?;
    report.hand_edits = hand_edits;
    health.last_sync = Some(at);
    health.save(&ctx.ws)?;
    let rows = [
        ("remote", format!("{}/{}", report.remote, report.branch)),
        ("pulled", format!("{} commit(s)", report.pulled)),
        ("pushed", format!("{} commit(s)", report.pushed)),
        ("changed", list(&report.changed)),
        ("needs review", list(&report.needs_review)),
    ];
    let table = || {
        let mut t = Table::new(&["", ""]);
        for (label, value) in &rows {
            t.row(vec![(*label).to_owned(), value.clone()]);
        }
        t
    };
    let text = || rows.iter().map(|(label, value)| format!("{label:<13} {value}\n")).collect();
    print(ctx.format, &report, View::table(table).text(text))?;
    for id in &report.needs_review {
        eprintln!(
            "review: {id} was moved on two machines at once; read `handoff show {id}`, then confirm with \
             `handoff note {id} \"reviewed: ...\"`"
        );
    }
    Ok(())
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "-".to_owned() } else { ids.join(" ") }
}
