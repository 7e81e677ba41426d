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
pub use crate::git::relative_to;
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

/// The workspace, its rules (or why rules.yaml cannot be read) and the current instant,
/// for a command that must run even when rules.yaml is broken (`status`).
pub struct Located {
    pub ws: Workspace,
    pub rules: Result<Rules>,
    pub now: ZonedDateTime,
}

/// Find the workspace and read the clock without failing on rules.yaml.
pub fn locate(g: &Options) -> Result<Located> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let ws = Workspace::discover(g.root.as_deref(), &cwd)?;
    let rules = ws.load_rules();
    let tz = match &rules {
        Ok(r) => r.tz.clone(),
        Err(_) => jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
    };
    let now = match &g.now {
        Some(s) => clock::parse_now(s, &tz).map_err(|e| Failure::Usage(format!("{e:#}")))?,
        None => jiff::Timestamp::now().to_zoned_datetime(tz),
    };
    Ok(Located { ws, rules, now })
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
            if let Err(e) = git::ensure_merge_driver(&ws.root, &exe()) {
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
    /// JSON and YAML print full ids, so for them no listing is made (every id is its own).
    pub fn short_ids(&self) -> Result<crate::short_id::ShortIds> {
        if matches!(self.format, crate::output::Format::Json | crate::output::Format::Yaml) {
            return Ok(crate::short_id::ShortIds::default());
        }
        Ok(crate::short_id::ShortIds::new(self.ws.listed_ids()?))
    }

    /// Resolve an id argument and read that lead.
    pub fn lead(&self, arg: &str) -> Result<Lead> {
        let id = self.ws.resolve(arg)?;
        self.ws.read(&id)
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

    /// [`Ctx::scan_where`] for an `f` that reads no more of the leads whose index summary
    /// `brief` admits than their [`crate::escalation::brief`] (escalate-check and `list`:
    /// every lead; `report`: leads quiet before the day): an unchanged one is not opened,
    /// its brief comes from the scan index.
    pub fn scan_brief<T: Send>(
        &self,
        want: crate::store::Want,
        keep: impl Fn(&crate::store::index::Summary) -> bool + Sync,
        brief: impl Fn(&crate::store::index::Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<crate::store::ScanError>)> {
        self.ws.scan_checked_brief(&self.rules, want, keep, brief, f)
    }

    /// Commit the files a command wrote (when the workspace is a git work tree and
    /// rules.yaml allows it); `before` holds each file's bytes as the command
    /// found them, so a hand edit found there is committed first, on its own.
    pub(crate) fn commit(
        &self,
        files: &[std::path::PathBuf],
        before: &[(std::path::PathBuf, Option<Vec<u8>>)],
        by: &str,
        message: &str,
    ) -> Result<()> {
        if !self.rules.git {
            return Ok(());
        }
        let Some(top) = git::work_tree(&self.ws.root) else { return Ok(()) };
        if !before.is_empty() {
            crate::sync::commit_hand_edits_before(&top, before, || self.git_identity(&top), by)?;
        }
        let rel: Vec<String> = files.iter().map(|f| relative_to(&top, f)).collect();
        let (name, email) = match self.rules.staff(by) {
            Some(s) => (s.name.as_str(), s.email.as_str()),
            None if by == SYSTEM => ("handoff", "handoff@localhost"),
            None => (by, "unknown@localhost"),
        };
        let at = Stamp::from_zoned(&self.now).to_string();
        git::commit(&top, &rel, &git::Author { name, email, at: Some(&at) }, message)
    }

    /// Who handoff's own commits (a sync's merge, a hand edit found uncommitted) are made
    /// as: the machine's git identity; without one, the acting staff member from rules.yaml;
    /// else `handoff <handoff@localhost>`.
    pub fn git_identity(&self, top: &Path) -> git::Identity {
        if let Some(id) = git::machine_identity(top) {
            return id;
        }
        match self.actor() {
            Ok(staff) => git::Identity { name: staff.name.clone(), email: staff.email.clone() },
            Err(_) => git::Identity { name: "handoff".into(), email: "handoff@localhost".into() },
        }
    }
}

/// This binary's absolute path (what the merge driver is registered with).
pub fn exe() -> std::path::PathBuf {
    std::env::current_exe().unwrap_or_else(|_| std::path::PathBuf::from("handoff"))
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
