//! `handoff`: the Lead Handoff SOP on plain files.

use std::process::ExitCode;

mod canonical;
mod cli;
mod clock;
mod commands;
mod context;
mod csv;
mod error;
mod escalation;
mod git;
mod gitsync;
mod handoff;
mod history;
mod import;
mod intake;
mod lead;
mod merge;
mod notify_seam;
mod output;
mod phone;
mod phone_index;
mod prompt;
mod qa;
mod report;
mod rules;
mod store;
mod sync;
mod yamlpos;

fn main() -> ExitCode {
    let cli = cli::parse();
    match commands::run(&cli.global, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            error::exit_code_for(&err)
        }
    }
}
