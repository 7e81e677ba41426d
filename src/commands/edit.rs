//! `handoff edit ID`: correct a lead's record in `$EDITOR`, checked before it is saved.

use anyhow::{Context, Result};
use clap::Args;

use crate::context::Ctx;
use crate::edit_form;
use crate::error::refused;

/// Open the lead's record in $VISUAL / $EDITOR; on save it is checked like `update`, and
/// reopened with the problems as comments until it is valid or you abandon the edit.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff edit k3f9\n  EDITOR=nano handoff edit k3f9\n\nThe record's fields (name, phone, address, market, service, urgency, fit, source, referral,\nnotes, next action and its due time, follow-up date); owner and status have their own commands.\nTo abandon, delete everything in the editor and save, or quit the editor with an error\n(`:cq` in vi). Saved as one `updated` event with the old and new values.\nExit 0 when saved (or nothing changed), 1 when abandoned or refused."
)]
pub struct EditArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
}

/// The editor command: $VISUAL, else $EDITOR, else vi.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned())
}

/// Run the editor on `path`; `false` when it failed (the user quit with an error).
fn run_editor(editor: &str, path: &std::path::Path) -> Result<bool> {
    // Through the shell, so `EDITOR='code --wait'` works as it does for git.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("handoff-edit")
        .arg(path)
        .status()
        .with_context(|| format!("cannot run the editor `{editor}`; set EDITOR to your editor"))?;
    Ok(status.success())
}

pub fn run(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let by = ctx.actor()?.id.clone();
    let lead = ctx.lead(&args.id)?;
    if !lead.is_open() {
        return Err(refused(format!(
            "lead {} is closed; reopen it first with `handoff reopen {} --reason TEXT`",
            lead.id, lead.id
        )));
    }
    let form = edit_form::render(&lead);
    let original = edit_form::parse(&form).map_err(|e| anyhow::anyhow!("the edit form does not read back: {e:?}"))?;
    let path = ctx.ws.write_scratch(&scratch_name(&lead.id), &form)?;
    let editor = editor();
    let result = edit_loop(ctx, &by, &lead.id, &original, &path, &editor, form);
    ctx.ws.remove_scratch(&path);
    result
}

fn edit_loop(
    ctx: &Ctx,
    by: &str,
    id: &crate::lead::LeadId,
    original: &std::collections::BTreeMap<crate::field::Field, Option<String>>,
    path: &std::path::Path,
    editor: &str,
    mut shown: String,
) -> Result<()> {
    let mut last_saved: Option<String> = None;
    for _ in 0..MAX_ROUNDS {
        if !run_editor(editor, path)? {
            return Err(refused(format!("the editor exited with an error; edit of {id} abandoned, nothing changed")));
        }
        let text = ctx.ws.read_scratch(path)?;
        if edit_form::is_abandoned(&text) {
            return Err(refused(format!("the form is empty; edit of {id} abandoned, nothing changed")));
        }
        let problems = match edit_form::parse(&text) {
            Ok(values) => {
                let changes = edit_form::changes(original, &values);
                if changes.is_empty() {
                    eprintln!("nothing changed in lead {id}");
                    return Ok(());
                }
                // Check against the lead as it is now (someone may have changed it while the
                // editor was open); only the fields this edit changed are applied.
                let mut check = ctx.lead(id.as_str())?;
                match edit_form::apply(&mut check, &ctx.rules, &changes, &ctx.now, by) {
                    Ok(fields) if fields.is_empty() => {
                        eprintln!("nothing changed in lead {id}");
                        return Ok(());
                    }
                    Ok(_) => {
                        let lead = ctx.change_lead(id.as_str(), "edit", |lead| {
                            let fields = edit_form::apply(lead, &ctx.rules, &changes, &ctx.now, by)
                                .map_err(|problems| refused(problems.join("; ")))?;
                            let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
                            Ok(format!("changed {}", names.join(", ")))
                        })?;
                        println!("{}", lead.id);
                        let changed = lead.history.last().map(|e| e.changed.join(", ")).unwrap_or_default();
                        eprintln!("saved lead {}: changed {changed}", lead.id);
                        return Ok(());
                    }
                    Err(problems) => problems,
                }
            }
            Err(problems) => problems,
        };
        let saved = edit_form::without_errors(&text);
        if text == shown || last_saved.as_deref() == Some(saved.as_str()) {
            // Saved again without touching the problems: the user gave up.
            return Err(refused(format!(
                "edit of {id} abandoned, nothing changed; the problems were:\n  {}",
                problems.join("\n  ")
            )));
        }
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!("reopening the editor with the problems at the top");
        last_saved = Some(saved);
        shown = edit_form::with_errors(&text, &problems);
        ctx.ws.write_scratch(&scratch_name(id), &shown)?;
    }
    Err(refused(format!("edit of {id} abandoned after {MAX_ROUNDS} rounds with problems, nothing changed")))
}

/// How often the form is reopened before the edit is given up (an editor script that
/// never fixes the form must not loop forever).
const MAX_ROUNDS: usize = 20;

/// The scratch file of an edit of `id` in the state directory.
fn scratch_name(id: &crate::lead::LeadId) -> String {
    format!("edit-{id}.yaml")
}
