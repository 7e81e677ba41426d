//! The command line: the global options, shared by every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser};

use crate::commands::Command;
use crate::context::Options;
use crate::output::Format;

/// Keep every lead owned, on time and on record: the Lead Handoff SOP on plain files.
#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    after_help = USAGE_FOOTER
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Use the workspace in DIR (else $HANDOFF_ROOT, else the nearest parent with rules.yaml).
    #[arg(long, global = true, env = "HANDOFF_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Act as this staff id from rules.yaml.
    #[arg(long = "as", global = true, env = "HANDOFF_USER", value_name = "STAFF")]
    pub actor: Option<String>,
    /// Evaluate and record as if it were TIME (RFC 3339), for replays and tests.
    #[arg(long, global = true, env = "HANDOFF_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// Output format for records and reports.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Short for --format json.
    #[arg(long, global = true)]
    pub json: bool,
}

/// What `handoff` alone prints (to stderr, exit 2): the commands used every day.
pub const SHORT_USAGE: &str = "handoff: keep every lead owned, on time and on record.

Usage: handoff <COMMAND> [OPTIONS]

Every day:
  capture          put a new lead on disk while the caller is on the line
  queue            what waits for you now (--count for a shell prompt)
  search TEXT      find a caller by name, phone (any format), address or notes
  list             open leads (--overdue: what is late; --owner STAFF)
  show ID          one lead: record, handoff checklist, history
  assign ID        hand it to one owner (routing rules pick, or --to STAFF)
  accept ID        confirm a handoff assigned to you
  next ID          record the next action and when it is due
  report           the end-of-day review
  escalate-check   what cron runs every few minutes

`handoff --help` lists every command; `handoff COMMAND --help` shows flags and examples.
";

const USAGE_FOOTER: &str = "Examples:\n  handoff --as ana capture --name 'Maria Lopez' --phone '(312) 555-0142' --market North \\\n    --service repair --urgency urgent --source phone --notes 'No hot water'\n  handoff list --overdue\n  handoff --as dev accept k3f9     # asks y/N (--yes in scripts)\n  handoff report\n\nExit codes: 0 ok | 1 refused (bad input, or the SOP forbids it) | 2 usage error | 3 workspace problem";

/// The footer every subcommand's `--help` ends with.
pub const EXIT_CODES: &str = "Exit codes: 0 ok | 1 refused (bad input, or the SOP forbids it) | 2 usage error | 3 workspace problem (corrupt file, bad rules.yaml, I/O)";

/// The full clap command: the derived one, with the exit codes under every subcommand's help.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommands(|sub| {
        let help = match sub.get_after_help() {
            Some(h) => format!("{h}\n\n{EXIT_CODES}"),
            None => EXIT_CODES.to_owned(),
        };
        sub.after_help(help)
    })
}

/// Parse the process's arguments (clap prints help and usage errors, exit 2).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    if std::env::args_os().len() == 1 {
        eprint!("{SHORT_USAGE}");
        std::process::exit(2);
    }
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

impl GlobalArgs {
    /// The options as the application layer takes them.
    pub fn options(&self) -> Options {
        Options {
            root: self.root.clone(),
            actor: self.actor.clone(),
            now: self.now.clone(),
            format: if self.json { Format::Json } else { self.format.unwrap_or_default() },
            format_given: self.json || self.format.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        super::Cli::command().debug_assert();
        super::command().debug_assert();
    }
}
