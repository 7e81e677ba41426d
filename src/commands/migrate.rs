//! `handoff migrate`: move flat `leads/<id>.yaml` files to `leads/YYYY/MM/<id>.yaml`.

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::workspace;
use crate::lead::{LeadId, SYSTEM};
use crate::output::{Table, View, print};

/// Move lead files into capture-month directories (leads/YYYY/MM/), in one commit.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff migrate\n\nEvery leads/<id>.yaml moves to leads/YYYY/MM/<id>.yaml (the capture month its id\nstarts with), so git's work per commit stays small however many leads there are. The\nmove is one commit of renames, so `git log --follow` keeps each file's history. Until\nthen every command reads the flat layout too; running it again moves what is left."
)]
pub struct MigrateArgs {}

#[derive(Serialize)]
struct Output {
    moved: usize,
    /// `.yaml` files in leads/ not named for a lead id, left where they are.
    left: Vec<String>,
}

pub fn run(ctx: &Ctx, _args: MigrateArgs) -> Result<()> {
    let by = ctx.actor().map_or_else(|_| SYSTEM.to_owned(), |s| s.id.clone());
    let _lock = ctx.ws.lock()?;
    let dir = ctx.ws.leads_dir();
    let mut moves: Vec<(LeadId, std::path::PathBuf, std::path::PathBuf)> = Vec::new();
    let mut left = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".yaml").filter(|_| !name.starts_with('.')) else { continue };
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            match stem.parse::<LeadId>() {
                Ok(id) if is_file => {
                    let to = ctx.ws.sharded_path(&id);
                    moves.push((id, entry.path(), to));
                }
                _ => left.push(ctx.ws.relative(&entry.path())),
            }
        }
    }
    moves.sort();
    left.sort();
    let taken: Vec<String> =
        moves.iter().filter(|(_, _, to)| to.exists()).map(|(_, _, to)| ctx.ws.relative(to)).collect();
    if !taken.is_empty() {
        let shown: Vec<String> = taken.iter().take(10).map(|t| format!("  {t}")).collect();
        return Err(workspace(format!(
            "{} lead file{} exist in both layouts; compare each flat leads/<id>.yaml with its \
             leads/YYYY/MM/ copy, keep one, then run `handoff migrate` again (nothing was moved):\n{}",
            taken.len(),
            if taken.len() == 1 { "" } else { "s" },
            shown.join("\n")
        )));
    }
    let mut changed = Vec::with_capacity(moves.len() * 2);
    for (_, from, to) in &moves {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::rename(from, to)
            .with_context(|| format!("cannot move {} to {}", ctx.ws.relative(from), ctx.ws.relative(to)))?;
        changed.push(from.clone());
        changed.push(to.clone());
    }
    // Route the month directories' files to the merge driver too (`leads/*.yaml` matched
    // only the flat layout).
    let attributes = ctx.ws.root.join(".gitattributes");
    if let Ok(text) = std::fs::read_to_string(&attributes)
        && !text.contains(crate::git::ATTRIBUTES.trim_end())
    {
        let old = "leads/*.yaml merge=handoff";
        let new = crate::git::ATTRIBUTES.trim_end();
        let text =
            if text.contains(old) { text.replace(old, new) } else { format!("{text}{}", crate::git::ATTRIBUTES) };
        crate::store::write_atomic(&attributes, text.as_bytes())?;
        changed.push(attributes);
    }
    if !changed.is_empty() {
        ctx.commit(&changed, &by, &format!("migrate: {} lead files to leads/YYYY/MM/", moves.len()));
    }
    for l in &left {
        eprintln!("warning: {l} is not named for a lead id; left where it is (`handoff validate` explains)");
    }
    let output = Output { moved: moves.len(), left };
    let sentence = if output.moved == 0 {
        "nothing to migrate: every lead file is in leads/YYYY/MM/\n".to_owned()
    } else {
        format!("moved {} lead file{} to leads/YYYY/MM/\n", output.moved, if output.moved == 1 { "" } else { "s" })
    };
    let moved = output.moved.to_string();
    let view = View::table(move || {
        let mut t = Table::new(&["moved"]);
        t.row(vec![moved]);
        t
    })
    .text(move || sentence);
    print(ctx.format, &output, view)
}
