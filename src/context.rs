//! What every workspace command runs with: the workspace, its rules, the clock, the actor.
//!
//! This is the one place that reads `--now` / the system clock, the environment and the
//! current directory; everything below it takes them as arguments.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};
use jiff::ZonedDateTime;
use jiff::civil::Date;

use crate::clock::{self, Stamp};
use crate::error::{Failure, refused};
use crate::git;
use crate::lead::{Lead, LeadId, SYSTEM};
use crate::output::Format;
use crate::rules::{Rules, Staff};
use crate::store::{Entropy, Workspace};

/// The global options as given (`--root`, `--as`, `--now`, `--format`), parsed by the
/// command line and handed down; nothing below reads clap's types.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub root: Option<std::path::PathBuf>,
    pub actor: Option<String>,
    pub now: Option<String>,
    pub format: Format,
    /// Whether --format/--json was given (commands with another natural default check it).
    pub format_given: bool,
}

pub struct Ctx {
    pub ws: Workspace,
    pub rules: Rules,
    /// Why rules.yaml could not be used, when the commands run on the last valid rules.
    pub rules_problem: Option<String>,
    pub now: ZonedDateTime,
    actor: Option<String>,
    pub format: Format,
    /// Whether --format/--json was given (commands with another natural default check it).
    pub format_given: bool,
    /// Standard input is a terminal (or `HANDOFF_INTERACTIVE=1`): prompts and
    /// confirmations may be asked.
    pub interactive: bool,
    /// Where new ids' random parts come from (`HANDOFF_SEED` pins it).
    entropy: Entropy,
}

impl Ctx {
    pub fn load(g: &Options) -> Result<Ctx> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let ws = Workspace::discover(g.root.as_deref(), &cwd)?;
        let (rules, rules_problem) = ws.load_rules_or_last_good()?;
        if let Some(problem) = &rules_problem {
            eprintln!(
                "warning: {problem}\nwarning: running on the last valid rules (.handoff/{}) until rules.yaml is fixed",
                crate::store::LAST_GOOD_RULES
            );
        }
        let now = match &g.now {
            Some(s) => clock::parse_now(s, &rules.tz).map_err(|e| Failure::Usage(format!("{e:#}")))?,
            None => jiff::Timestamp::now().to_zoned_datetime(rules.tz.clone()),
        };
        if rules.git {
            // A fresh clone has .gitattributes but not the driver config: add it.
            if let Err(e) = git::ensure_merge_driver(&ws.root) {
                eprintln!("warning: could not configure the lead merge driver: {e:#}");
            }
        }
        Ok(Ctx {
            ws,
            rules,
            rules_problem,
            now,
            actor: g.actor.clone().filter(|a| !a.is_empty()),
            format: g.format,
            format_given: g.format_given,
            interactive: interactive(),
            entropy: match std::env::var("HANDOFF_SEED").ok().and_then(|s| s.parse().ok()) {
                Some(seed) => Entropy::Seeded(std::sync::atomic::AtomicU64::new(seed)),
                None => Entropy::Os,
            },
        })
    }

    /// The acting staff member; mutating commands call this first.
    pub fn actor(&self) -> Result<&Staff> {
        let Some(id) = &self.actor else {
            return Err(refused(format!(
                "who is acting? pass --as STAFF or set HANDOFF_USER (staff: {})",
                self.rules.staff_ids().join(", ")
            )));
        };
        self.rules.staff(id).ok_or_else(|| {
            refused(format!(
                "`{id}` is not in the staff of rules.yaml; use one of: {} (or add them to staff)",
                self.rules.staff_ids().join(", ")
            ))
        })
    }

    /// A fresh lead id for a lead captured now (not yet checked against the files).
    pub fn new_lead_id(&self) -> Result<LeadId> {
        Ok(LeadId::new(self.now.date(), &self.entropy.bytes()?))
    }

    /// The current instant as stored.
    pub fn stamp(&self) -> Stamp {
        Stamp::from_zoned(&self.now)
    }

    /// Parse a time argument; a bad one is refused with the accepted forms.
    pub fn time_arg(&self, flag: &str, s: &str) -> Result<Stamp> {
        // `eod` on a holiday is the next business day's; on a half day, its closing time.
        if s.trim().eq_ignore_ascii_case("eod")
            && let Some(eod) = self.rules.end_of_day_on(self.now.date())
        {
            return Ok(Stamp::from_zoned(&eod));
        }
        clock::parse_time(s, &self.now, self.rules.eod)
            .map(|z| Stamp::from_zoned(&z))
            .map_err(|e| refused(format!("{flag}: {e:#}")))
    }

    /// Parse a date argument; a bad one is refused with the accepted forms.
    pub fn date_arg(&self, flag: &str, s: &str) -> Result<Date> {
        clock::parse_date(s, &self.now).map_err(|e| refused(format!("{flag}: {e:#}")))
    }

    /// A stored instant as tables show it (`Tue 24 Nov 09:30`, the year when not this one).
    pub fn short(&self, stamp: &Stamp) -> String {
        clock::short(&self.local(stamp), &self.now)
    }

    /// Show a stored instant in the workspace zone.
    pub fn local(&self, stamp: &Stamp) -> ZonedDateTime {
        stamp.in_zone(&self.rules.tz)
    }

    /// A stored instant as tables show it (the year only when it is not this year).
    pub fn show_time(&self, stamp: &Stamp) -> String {
        clock::short(&self.local(stamp), &self.now)
    }

    /// A due time given on the command line: parsed, and refused when it is already past
    /// unless `allow_past` (a typo such as 07:00 for 17:00 would make the lead overdue at once).
    pub fn due_arg(&self, flag: &str, s: &str, allow_past: bool) -> Result<Stamp> {
        let due = self.time_arg(flag, s)?;
        if !allow_past && due.timestamp() < self.now.timestamp() {
            return Err(refused(format!(
                "{flag} {s} is {} ago, in the past; give a later time, or pass --allow-past to record it anyway",
                clock::ago(self.now.timestamp().duration_since(due.timestamp()))
            )));
        }
        Ok(due)
    }

    /// Short unique ids for tables: prefixes unique across every lead in the workspace.
    pub fn short_ids(&self) -> Result<crate::short_id::ShortIds> {
        Ok(crate::short_id::ShortIds::new(self.ws.ids()?))
    }

    /// Resolve an id argument and read that lead.
    pub fn lead(&self, arg: &str) -> Result<Lead> {
        let id = self.ws.resolve(arg)?;
        self.ws.read(&id)
    }

    /// Commit files when the workspace is a git work tree and rules.yaml allows it.
    ///
    /// A git failure never undoes the write: it is reported, and the next command's
    /// commit picks the file up.
    pub(crate) fn commit(&self, files: &[std::path::PathBuf], by: &str, message: &str) {
        if !self.rules.git {
            return;
        }
        if let Err(e) = self.try_commit(files, by, message) {
            eprintln!("warning: the change is saved, but git could not record it: {e:#}");
        }
    }

    /// Scan the leads `want` asks for, holding each against the vocabularies (see
    /// [`Workspace::scan_checked`]); what cannot be read unambiguously comes back as errors.
    pub fn scan_map<T: Send>(
        &self,
        want: crate::store::Want,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<crate::store::ScanError>)> {
        self.ws.scan_checked(&self.rules, want, f)
    }

    /// [`Ctx::scan_map`] that passes over leads whose index summary `keep` rejects.
    pub fn scan_where<T: Send>(
        &self,
        want: crate::store::Want,
        keep: impl Fn(&crate::store::index::Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<crate::store::ScanError>)> {
        self.ws.scan_checked_where(&self.rules, want, keep, f)
    }

    fn try_commit(&self, files: &[std::path::PathBuf], by: &str, message: &str) -> Result<()> {
        let Some(top) = git::work_tree(&self.ws.root) else { return Ok(()) };
        let rel: Vec<String> = files.iter().map(|f| relative_to(&top, f)).collect();
        let (name, email) = match self.rules.staff(by) {
            Some(s) => (s.name.as_str(), s.email.as_str()),
            None if by == SYSTEM => ("handoff", "handoff@localhost"),
            None => (by, "unknown@localhost"),
        };
        let at = Stamp::from_zoned(&self.now).to_string();
        git::commit(&top, &rel, &git::Author { name, email, at: Some(&at) }, message)
    }
}

/// Whether prompts may be asked: `HANDOFF_INTERACTIVE=1` or `0` decides (tests, scripts),
/// else whether standard input and standard error are a terminal.
fn interactive() -> bool {
    match std::env::var("HANDOFF_INTERACTIVE").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
    }
}

/// `file`'s path relative to the work tree `top`, as git wants it.
pub fn relative_to(top: &Path, file: &Path) -> String {
    let canon_top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    let canon = file
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.join(file.file_name().unwrap_or_default()))
        .unwrap_or_else(|| file.to_path_buf());
    canon.strip_prefix(&canon_top).unwrap_or(&canon).display().to_string()
}
