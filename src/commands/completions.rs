//! `handoff completions SHELL` and the hidden `handoff __complete ids|staff` they call.

use std::io::Write;

use anyhow::Result;
use clap::{Args, ValueEnum};
use clap_complete::Shell;

use crate::context::Ctx;
use crate::context::Options;

/// Print a shell completion script (lead ids and staff ids complete live in bash, zsh and fish).
#[derive(Debug, Args)]
#[command(
    after_help = "Install:\n  bash: handoff completions bash > ~/.local/share/bash-completion/completions/handoff\n  zsh:  handoff completions zsh > ~/.zfunc/_handoff   (with fpath+=~/.zfunc)\n  fish: handoff completions fish > ~/.config/fish/completions/handoff.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// What `__complete` lists.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Lead ids (file names in leads/; nothing is parsed, so it is instant).
    Ids,
    /// Staff ids from rules.yaml.
    Staff,
}

/// List lead or staff ids for shell completion (used by the completion scripts).
#[derive(Debug, Args)]
pub struct CompleteArgs {
    pub kind: Kind,
}

/// Subcommands whose first argument is a lead id.
const ID_COMMANDS: &str = "update note assign accept reject transfer next close reopen edit show log qa-record";
/// Flags that take a staff id.
const STAFF_FLAGS: &str = "--to --as --owner --who --backup --all-from";

pub fn run(args: CompletionsArgs, mut cmd: clap::Command) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "handoff", &mut out);
    match args.shell {
        Shell::Bash => out.extend_from_slice(bash_dynamic().as_bytes()),
        Shell::Fish => out.extend_from_slice(fish_dynamic().as_bytes()),
        Shell::Zsh => out = zsh_dynamic(&String::from_utf8_lossy(&out)).into_bytes(),
        _ => {}
    }
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}

fn bash_dynamic() -> String {
    format!(
        r#"
# Live lead and staff ids (handoff __complete lists them from the workspace).
_handoff_live() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" sub=""
    local w
    for w in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case "$w" in -*) ;; *) sub="$w"; break ;; esac
    done
    case " {STAFF_FLAGS} " in *" $prev "*)
        COMPREPLY=($(compgen -W "$(handoff __complete staff 2>/dev/null)" -- "$cur")); return ;;
    esac
    if [[ "$cur" != -* && " {ID_COMMANDS} " == *" $sub "* && "$prev" == "$sub" ]]; then
        COMPREPLY=($(compgen -W "$(handoff __complete ids 2>/dev/null)" -- "$cur")); return
    fi
    _handoff "$@"
}}
complete -F _handoff_live -o bashdefault -o default handoff
"#
    )
}

/// clap's zsh script completes every value with `_default` (file names); point lead id
/// arguments and staff-id flags at functions that ask the workspace instead.
fn zsh_dynamic(script: &str) -> String {
    const HELPERS: &str = r#"(( $+functions[_handoff_lead_ids] )) ||
_handoff_lead_ids() {
    local -a ids; ids=(${(f)"$(handoff __complete ids 2>/dev/null)"})
    compadd -a ids
}
(( $+functions[_handoff_staff_ids] )) ||
_handoff_staff_ids() {
    local -a staff; staff=(${(f)"$(handoff __complete staff 2>/dev/null)"})
    compadd -a staff
}

"#;
    let mut out = String::with_capacity(script.len() + HELPERS.len());
    for line in script.lines() {
        let line = if line.starts_with("':id -- Lead id") {
            line.replace(":_default'", ":_handoff_lead_ids'")
        } else {
            line.replace(":STAFF:_default'", ":STAFF:_handoff_staff_ids'")
        };
        if line.starts_with("if [ \"$funcstack[1]\" = \"_handoff\" ]") {
            out.push_str(HELPERS);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn fish_dynamic() -> String {
    let mut s = String::from("\n# Live lead and staff ids.\n");
    s.push_str(&format!(
        "complete -c handoff -n '__fish_seen_subcommand_from {ID_COMMANDS}' -f -a '(handoff __complete ids 2>/dev/null)'\n"
    ));
    for flag in ["to", "as", "owner"] {
        s.push_str(&format!("complete -c handoff -l {flag} -f -a '(handoff __complete staff 2>/dev/null)'\n"));
    }
    s
}

pub fn complete(global: &Options, args: CompleteArgs) -> Result<()> {
    // Completion must never print errors into the user's prompt: fail quietly.
    let Ok(ctx) = Ctx::load(global) else { return Ok(()) };
    let mut out = std::io::stdout().lock();
    match args.kind {
        Kind::Staff => {
            for id in ctx.rules.staff_ids() {
                writeln!(out, "{id}")?;
            }
        }
        Kind::Ids => {
            let mut ids = ctx.ws.ids()?;
            ids.sort();
            for id in ids.iter().rev().take(2000) {
                writeln!(out, "{id}")?;
            }
        }
    }
    Ok(())
}
