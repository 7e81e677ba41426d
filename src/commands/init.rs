//! `handoff init [DIR] [--timezone TZ]`: create a workspace.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use jiff::tz::TimeZone;

use crate::context::Options;
use crate::context::relative_to;
use crate::error::{refused, workspace};
use crate::git;
use crate::rules::default_rules;
use crate::store::{LEADS_DIR, RULES_FILE, STATE_DIR, write_atomic};

/// Create a workspace: a commented rules.yaml encoding the SOP, leads/, and a git repository.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  handoff init\n  handoff init ~/leads --timezone America/Chicago")]
pub struct InitArgs {
    /// Directory to create the workspace in (default: the current directory).
    pub dir: Option<PathBuf>,
    /// IANA time zone for the workspace (default: the system's, else UTC).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
}

pub fn run(_global: &Options, args: InitArgs) -> Result<()> {
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let tz_name = match &args.timezone {
        Some(name) => {
            TimeZone::get(name).map_err(|_| {
                refused(format!(
                    "--timezone: unknown time zone `{name}`; use an IANA name such as America/Chicago or UTC"
                ))
            })?;
            name.clone()
        }
        None => TimeZone::try_system()
            .ok()
            .and_then(|tz| tz.iana_name().map(str::to_owned))
            .unwrap_or_else(|| "UTC".to_owned()),
    };
    let rules_path = dir.join(RULES_FILE);
    if rules_path.exists() {
        return Err(refused(format!("{} exists already; this is a workspace", rules_path.display())));
    }
    fs::create_dir_all(dir.join(LEADS_DIR))
        .with_context(|| format!("cannot create {}", dir.join(LEADS_DIR).display()))?;
    write_atomic(&rules_path, default_rules(&tz_name).as_bytes())?;
    write_atomic(&dir.join(LEADS_DIR).join(".gitkeep"), b"")?;
    write_atomic(&dir.join(".gitignore"), format!("{STATE_DIR}/\nleads/.*.tmp\n").as_bytes())?;
    write_atomic(&dir.join(".gitattributes"), git::ATTRIBUTES.as_bytes())?;
    if git::available() {
        record_in_git(&dir).map_err(|e| workspace(format!("workspace created, but git: {e:#}")))?;
    }
    println!("created a handoff workspace in {} (time zone {tz_name})", dir.display());
    eprintln!("next: edit {} (staff, routing, escalation), then `handoff capture --help`", rules_path.display());
    Ok(())
}

/// Make the workspace a git repository and commit it, unless it is inside one already (then
/// the user's repository is left to its owner: only the merge driver is registered).
fn record_in_git(dir: &Path) -> Result<()> {
    if git::work_tree(dir).is_some() {
        return git::configure_merge_driver(dir, &crate::context::exe());
    }
    git::init(dir)?;
    git::configure_merge_driver(dir, &crate::context::exe())?;
    let Some(top) = git::work_tree(dir) else { return Ok(()) };
    let files: Vec<String> = [RULES_FILE, ".gitattributes", ".gitignore", "leads/.gitkeep"]
        .iter()
        .map(|f| relative_to(&top, &dir.join(f)))
        .collect();
    let author = git::Author { name: "handoff", email: "handoff@localhost", at: None };
    git::commit(&top, &files, &author, "init: handoff workspace (rules.yaml, leads/)")
}
