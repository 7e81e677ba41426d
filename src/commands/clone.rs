//! `handoff clone URL [DIR]`: a new machine joins the team's shared workspace.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::error::workspace;
use crate::git::{self, RemoteError};
use crate::store::RULES_FILE;

/// Copy the team's shared workspace to this machine, ready to sync.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff clone git@office.example.com:leads.git\n  handoff clone /srv/git/leads.git ~/leads\n\n\
Clones the repository, registers the lead merge driver with this binary's absolute path\n\
(so cron and git GUIs find it without PATH), and checks the machine's git identity: without\n\
one, commits are made as the acting staff member (--as) from rules.yaml."
)]
pub struct CloneArgs {
    /// The shared repository (any URL or path `git clone` takes).
    pub url: String,
    /// Where to put the workspace (default: the repository's name, without .git).
    pub dir: Option<PathBuf>,
}

pub fn run(args: CloneArgs) -> Result<()> {
    if !git::available() {
        return Err(workspace("git is not installed; install it (e.g. `apt install git`) and run handoff clone again"));
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(default_dir(&args.url)));
    if dir.exists() && std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(crate::error::refused(format!(
            "{} exists and is not empty; name another directory: `handoff clone {} DIR`",
            dir.display(),
            args.url
        )));
    }
    git::clone(&args.url, &dir).map_err(|e| match e {
        RemoteError::Offline(m) => workspace(format!("cannot reach {} (offline, or a wrong URL?): {m}", args.url)),
        RemoteError::Auth(m) => workspace(format!("{} refused this machine's credentials: {m}", args.url)),
        RemoteError::Race(m) | RemoteError::Other(m) => workspace(format!("git clone {} failed: {m}", args.url)),
    })?;
    git::configure_merge_driver(&dir, &crate::context::exe())?;
    if !dir.join(RULES_FILE).is_file() {
        return Err(workspace(format!(
            "cloned {} into {}, but it holds no rules.yaml: it is not a handoff workspace (or an empty one: \
             run `handoff init` on the first machine and `handoff sync` there first)",
            args.url,
            dir.display()
        )));
    }
    println!("cloned {} into {}", args.url, dir.display());
    match git::machine_identity(&dir) {
        Some(id) => eprintln!("git identity: {} <{}> (merge commits by sync)", id.name, id.email),
        None => eprintln!(
            "this machine has no git identity (user.name/user.email): commits will be made as the acting \
             staff member from rules.yaml (--as / HANDOFF_USER)"
        ),
    }
    eprintln!("next: cd {} && handoff --as YOU sync", dir.display());
    Ok(())
}

/// `git clone`'s default directory: the last path part of the URL, without `.git`.
fn default_dir(url: &str) -> String {
    let tail = url.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or(url);
    let name = tail.strip_suffix(".git").unwrap_or(tail);
    if name.is_empty() { "leads".to_owned() } else { name.to_owned() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_directory_is_the_repository_name() {
        assert_eq!(super::default_dir("git@host:team/leads.git"), "leads");
        assert_eq!(super::default_dir("/srv/git/office.git/"), "office");
        assert_eq!(super::default_dir("https://h/x/y"), "y");
    }
}
