//! `handoff man [--dir DIR]`: the manual page(s), from the same definitions as --help.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// Print the man page (roff), or write one page per command into DIR.
#[derive(Debug, Args)]
#[command(
    after_help = "Install:\n  handoff man > ~/.local/share/man/man1/handoff.1\n  handoff man --dir ~/.local/share/man/man1     # also handoff-capture.1, ...\n  man handoff"
)]
pub struct ManArgs {
    /// Write handoff.1 and handoff-SUBCOMMAND.1 into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: ManArgs, cmd: clap::Command) -> Result<()> {
    match args.dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out).context("cannot write the man page")
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
            println!("{}", dir.display());
            Ok(())
        }
    }
}
