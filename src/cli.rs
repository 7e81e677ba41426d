//! The command line: the global options, shared by every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser};

use crate::commands::Command;
use crate::output::Format;

/// Keep every lead owned, on time and on record: the Lead Handoff SOP on plain files.
#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    arg_required_else_help = true,
    after_help = "Common commands:\n  handoff capture --name … --phone … --market … --service repair --urgency urgent --source phone --notes …\n  handoff list --overdue\n  handoff accept ID\n  handoff report\n\nExit codes: 0 ok · 1 refused (input or SOP) · 2 usage · 3 workspace problem"
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

impl GlobalArgs {
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format.unwrap_or_default() }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
