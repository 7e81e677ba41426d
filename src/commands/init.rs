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
#[command(
    after_help = "Examples:\n  handoff init\n  handoff init ~/leads --timezone America/Chicago\n  handoff init office --shared        # one Linux host, several Unix accounts in one group\n\n\
--shared makes the workspace group-writable for the group owning DIR: set-group-ID\n\
directories, group-readable lead files, a git repository with core.sharedRepository=group.\n\
Each account then needs umask 002 and `git config --global --add safe.directory DIR`."
)]
pub struct InitArgs {
    /// Directory to create the workspace in (default: the current directory).
    pub dir: Option<PathBuf>,
    /// IANA time zone for the workspace (default: the system's, else UTC).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Share the workspace between the Unix accounts of DIR's group on this host.
    #[arg(long)]
    pub shared: bool,
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
    write_atomic(&dir.join(".gitignore"), format!("{STATE_DIR}/\nleads/**/.*.tmp\n").as_bytes())?;
    write_atomic(&dir.join(".gitattributes"), git::ATTRIBUTES.as_bytes())?;
    if args.shared {
        share(&dir)?;
    }
    if git::available() {
        record_in_git(&dir, args.shared).map_err(|e| workspace(format!("workspace created, but git: {e:#}")))?;
    }
    if args.shared {
        eprintln!(
            "shared with the group of {dir}: every account of the group needs `umask 002` and, once, \
             `git config --global --add safe.directory {dir}`",
            dir = dir.display()
        );
    }
    println!("created a handoff workspace in {} (time zone {tz_name})", dir.display());
    eprintln!("next: edit {} (staff, routing, escalation), then `handoff capture --help`", rules_path.display());
    Ok(())
}

/// Make the workspace a git repository and commit it, unless it is inside one already (then
/// the user's repository is left to its owner: only the merge driver is registered).
fn record_in_git(dir: &Path, shared: bool) -> Result<()> {
    if git::work_tree(dir).is_some() {
        return git::configure_merge_driver(dir, &crate::context::exe());
    }
    git::init(dir, shared)?;
    git::configure_merge_driver(dir, &crate::context::exe())?;
    let Some(top) = git::work_tree(dir) else { return Ok(()) };
    let files: Vec<String> = [RULES_FILE, ".gitattributes", ".gitignore", "leads/.gitkeep"]
        .iter()
        .map(|f| relative_to(&top, &dir.join(f)))
        .collect();
    let author = git::Author { name: "handoff", email: "handoff@localhost", at: None };
    git::commit(&top, &files, &author, "init: handoff workspace (rules.yaml, leads/)")
}

/// Make the workspace writable by the group owning `dir`: set-group-ID directories (new
/// files and directories keep the group), the lock and state directory the group can use,
/// rules.yaml group-writable. Lead files follow from `leads/`'s set-group-ID bit.
fn share(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(dir.join(STATE_DIR))
        .with_context(|| format!("cannot create {}", dir.join(STATE_DIR).display()))?;
    for (path, mode) in [
        (dir.to_path_buf(), 0o2775),
        (dir.join(LEADS_DIR), 0o2770),
        (dir.join(STATE_DIR), 0o2770),
        (dir.join(RULES_FILE), 0o664),
    ] {
        let current =
            fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?.permissions().mode();
        if let Err(e) = fs::set_permissions(&path, fs::Permissions::from_mode(mode)) {
            // A directory the administrator already shared (and owns) is fine as it is.
            if current & mode != mode {
                return Err(e).with_context(|| format!("cannot make {} group-writable", path.display()));
            }
        }
    }
    let lock = dir.join(STATE_DIR).join("lock");
    fs::File::create(&lock).with_context(|| format!("cannot create {}", lock.display()))?;
    fs::set_permissions(&lock, fs::Permissions::from_mode(0o660))
        .with_context(|| format!("cannot make {} group-writable", lock.display()))
}
