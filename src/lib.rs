//! `handoff`: the Lead Handoff SOP on plain files.
//!
//! The layers, top to bottom (docs/architecture.md has the map; `tests/cli/layers.rs`
//! fails on an import that points upward):
//! - the command line: [`cli`], `commands/` (one file per verb);
//! - the application: [`context`] (workspace + rules + clock + actor), [`transaction`]
//!   (the one write path), [`route`], [`intake`], [`import`], [`prompt`], [`output`], [`notify`]
//!   (deliveries to people);
//! - storage and git: [`store`] (the only code that touches workspace files), [`git`]
//!   (the only code that runs git);
//! - the domain, pure: [`lead`], [`field`], [`clock`], [`phone`], [`rules`], [`handoff`],
//!   [`escalation`], [`report`], [`qa`], [`stats`], [`merge`], [`queue`], [`search`],
//!   [`short_id`], [`edit_form`], [`import_map`];
//! - [`error`]: the error kinds that choose an exit code, used by every layer.

use std::process::ExitCode;

pub mod cli;
pub mod clock;
pub mod commands;
pub mod context;
pub mod csv;
pub mod edit_form;
pub mod error;
pub mod escalation;
pub mod field;
pub mod git;
pub mod handoff;
pub mod import;
pub mod import_map;
pub mod intake;
pub mod lead;
pub mod merge;
pub mod notify;
pub mod output;
pub mod phone;
pub mod prompt;
pub mod qa;
pub mod queue;
pub mod report;
pub mod route;
pub mod rules;
pub mod schedule;
pub mod search;
pub mod short_id;
pub mod stats;
pub mod store;
pub mod transaction;

/// Parse the command line, run the command, print the error chain and map it to the
/// SPEC's exit code.
pub fn run() -> ExitCode {
    let cli = cli::parse();
    match commands::run(&cli.global.options(), cli.command, cli::command) {
        Ok(()) => ExitCode::SUCCESS,
        // `handoff man | head`: the reader took what it wanted and left; not a failure.
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if error::is_quiet(&err) => error::exit_code_for(&err),
        Err(err) => {
            eprintln!("error: {err:#}");
            error::exit_code_for(&err)
        }
    }
}
