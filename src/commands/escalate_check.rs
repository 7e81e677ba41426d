//! `handoff escalate-check [--dry-run] [--notify CMD]`: what cron runs every few minutes.

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::workspace;
use crate::escalation;
use crate::lead::{Event, EventKind, LeadId, SYSTEM, Status};
use crate::output::{Table, Tone, emit};
use crate::store::{ScanError, Want};

/// Raise every lead the escalation rules say has waited too long; record each once.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff escalate-check                       # cron: every minute or few\n  handoff escalate-check --dry-run --json\n  handoff escalate-check --notify 'mail -s \"lead escalation\" office@example.com'\n\nEach new escalation is recorded in the lead's history (once per rule and clock) and\ncommitted in one commit per run. A corrupt lead file is listed under errors and the\nrun continues; the exit code is then 3."
)]
pub struct EscalateCheckArgs {
    /// Report what would escalate; write nothing, notify nobody.
    #[arg(long)]
    pub dry_run: bool,
    /// Run CMD (with sh -c) once per new escalation, the escalation as JSON on stdin.
    #[arg(long, value_name = "CMD")]
    pub notify: Option<String>,
}

#[derive(Debug, Serialize)]
struct Escalation<'r> {
    id: LeadId,
    /// The customer's name, for the table people read (kept out of the JSON payload, and
    /// not kept at all for JSON or YAML output).
    #[serde(skip)]
    customer: Option<String>,
    /// The rule's name (borrowed from rules.yaml's, as every lead due shares it).
    rule: std::borrow::Cow<'r, str>,
    escalate_to: String,
    reason: String,
    overdue_minutes: i64,
    new: bool,
    /// When the rule's window ran out.
    deadline: crate::clock::Stamp,
    /// The step of a climbing rule (1 for its first).
    level: u32,
    /// `notify`, or `reassign` when the step re-routes the lead to `escalate_to`.
    action: &'static str,
}

#[derive(Serialize)]
struct Output<'a> {
    now: String,
    escalations: &'a [Escalation<'a>],
    errors: &'a [ScanError],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notify_errors: Vec<String>,
}

pub fn run(ctx: &Ctx, args: EscalateCheckArgs) -> Result<()> {
    let may_be_due = |s: &crate::store::index::Summary| {
        let starts = escalation::ClockStarts {
            status: s.status,
            capture: s.capture_clock,
            assignment: s.assignment_clock,
            movement: s.movement_clock,
            next_action_due: s.next_action_due,
        };
        escalation::may_be_due(&ctx.rules, &starts, &ctx.now)
    };
    // Each lead's escalations are made on the scan's threads, so only they stay in memory.
    let for_people = !matches!(ctx.format, crate::output::Format::Json | crate::output::Format::Yaml);
    let rule_name = |name: String| match ctx.rules.escalation.iter().find(|r| r.name == name) {
        Some(rule) => std::borrow::Cow::Borrowed(rule.name.as_str()),
        None => std::borrow::Cow::Owned(name),
    };
    let (found, errors) = ctx.scan_brief(
        Want::Open,
        may_be_due,
        |_| true,
        |lead| {
            let due = escalation::evaluate(&ctx.rules, &lead, &ctx.now);
            (!due.is_empty()).then(|| {
                due.into_iter()
                    .map(|d| Escalation {
                        id: lead.id.clone(),
                        customer: if for_people { lead.full_name.clone() } else { None },
                        rule: rule_name(d.rule),
                        escalate_to: d.escalate_to,
                        reason: d.reason,
                        overdue_minutes: d.overdue_minutes,
                        // Not recorded yet: new, once this run records it.
                        new: !d.fired,
                        level: d.level,
                        action: if d.reassign { "reassign" } else { "notify" },
                        deadline: crate::clock::Stamp::from_zoned(&d.deadline.to_zoned_datetime(ctx.rules.tz.clone())),
                    })
                    .collect::<Vec<_>>()
            })
        },
    )?;
    let mut escalations: Vec<Escalation> = found.into_iter().flatten().collect();
    if !args.dry_run {
        let pending: Vec<(&LeadId, &str)> =
            escalations.iter().filter(|e| e.new).map(|e| (&e.id, e.rule.as_ref())).collect();
        let recorded = if pending.is_empty() { HashSet::new() } else { record(ctx, &pending)? };
        for e in &mut escalations {
            e.new = e.new && recorded.contains(&(e.id.clone(), e.rule.to_string()));
        }
    }
    escalations.sort_by(|a, b| b.new.cmp(&a.new).then(b.overdue_minutes.cmp(&a.overdue_minutes)));
    let mut notify_errors = Vec::new();
    if let (Some(cmd), false) = (&args.notify, args.dry_run) {
        // Deliveries that failed on an earlier run go first, if the escalation still stands
        // (the lead is still open and the rule still due); what fails now is queued for the
        // next run, so a mail server that is down delays a notification, never loses it.
        let standing: HashSet<(&str, &str)> = escalations.iter().map(|e| (e.id.as_str(), e.rule.as_ref())).collect();
        let still_standing = |text: &str| {
            Payload::from_json(text.to_owned()).is_some_and(|p| standing.contains(&(p.id.as_str(), p.rule.as_str())))
        };
        let fresh = escalations.iter().filter(|e| e.new).map(json).collect();
        let claim = ctx.ws.claim_notifications(still_standing, fresh)?;
        if claim.retried > 0 {
            eprintln!("retrying {} notification(s) that failed on an earlier run", claim.retried);
        }
        if claim.dropped > 0 {
            eprintln!("dropped {} undelivered notification(s) whose escalation no longer stands", claim.dropped);
        }
        let mut undelivered = Vec::new();
        for p in claim.items.iter().filter_map(|text| Payload::from_json(text.clone())) {
            if let Err(msg) = notify(cmd, &p) {
                eprintln!("warning: --notify failed for {} ({}): {msg}; the escalation is recorded", p.id, p.rule);
                notify_errors.push(format!("{} {}: {msg}", p.id, p.rule));
                undelivered.push(p.json);
            }
        }
        ctx.ws.finish_notifications(claim, &undelivered)?;
    }
    let now = crate::clock::Stamp::from_zoned(&ctx.now).to_string();
    let failed = notify_errors.len();
    let output = Output { now, escalations: &escalations, errors: &errors, notify_errors };
    if !args.dry_run {
        // The heartbeat `handoff status` watches (and `handoff sync` publishes): cron ran.
        let mut health = crate::sync::Health::load(&ctx.ws);
        health.last_escalate_check = Some(ctx.stamp().to_string());
        if let Err(e) = health.save(&ctx.ws) {
            eprintln!("warning: cannot record this run for `handoff status`: {e:#}");
        }
    }
    let short = ctx.short_ids()?;
    let short = (ctx.format != crate::output::Format::Csv).then_some(&short);
    emit(ctx.format, &output, || table(ctx, &escalations, short))?;
    if let Some(problem) = &ctx.rules_problem {
        // The run used the last valid rules; exit 3 so cron mails someone to fix them.
        super::skipped(&errors).ok();
        return Err(workspace(format!("escalations ran on the last valid rules because {problem}")));
    }
    super::skipped(&errors)?;
    if failed > 0 {
        return Err(workspace(format!(
            "{failed} notification(s) could not be delivered; the escalations are recorded and the \
             next run with --notify sends them again"
        )));
    }
    Ok(())
}

fn json(e: &Escalation) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

/// Record the pending escalations (lead, rule; in file order) under the workspace lock,
/// re-reading each lead so that overlapping runs never record one twice. Returns the
/// (lead, rule) pairs recorded.
fn record(ctx: &Ctx, pending: &[(&LeadId, &str)]) -> Result<HashSet<(LeadId, String)>> {
    let mut tx = ctx.transaction(SYSTEM)?;
    let mut recorded = Vec::new();
    let wanted: HashSet<(&LeadId, &str)> = pending.iter().copied().collect();
    let mut ids: Vec<&LeadId> = pending.iter().map(|(id, _)| *id).collect();
    ids.dedup();
    for id in ids {
        let Ok(mut lead) = tx.read_id(id) else { continue };
        let fresh = escalation::evaluate(&ctx.rules, &lead, &ctx.now);
        let mut changed = false;
        let mut rerouted = false;
        for d in fresh.iter().filter(|d| !d.fired) {
            if !wanted.contains(&(id, d.rule.as_str())) {
                continue;
            }
            lead.history.push(Event {
                to: Some(d.escalate_to.clone()),
                rule: Some(d.rule.clone()),
                reason: Some(d.reason.clone()),
                clock: Some(d.clock),
                ..Event::new(ctx.stamp(), SYSTEM, EventKind::Escalated)
            });
            // An acknowledgement timeout: the lead moves to the step's target, who must
            // accept it (one re-route per lead per run; the new assignment restarts the clocks).
            if d.reassign && !rerouted && lead.status == Status::Assigned && lead.owner.as_ref() != Some(&d.escalate_to)
            {
                lead.history.push(Event {
                    to: Some(d.escalate_to.clone()),
                    from: lead.owner.clone(),
                    rule: Some(d.rule.clone()),
                    reason: Some(d.reason.clone()),
                    ..Event::new(ctx.stamp(), SYSTEM, EventKind::Assigned)
                });
                lead.owner = Some(d.escalate_to.clone());
                rerouted = true;
            }
            recorded.push((id.clone(), d.rule.clone()));
            changed = true;
        }
        if changed {
            tx.write(&mut lead)?;
        }
    }
    let leads = tx.written().len();
    if leads > 0 {
        let first = recorded.first().map(|(id, _)| id.to_string()).unwrap_or_default();
        let message = match recorded.len() {
            1 => format!("escalate-check {first}: 1 escalation ({})", recorded[0].1),
            n => format!("escalate-check {first}: {n} escalations on {leads} leads"),
        };
        tx.finish(&message)?;
    }
    Ok(recorded.into_iter().collect())
}

/// One notification: the escalation's JSON, and the fields `--notify` gets as variables.
struct Payload {
    json: String,
    id: String,
    rule: String,
    escalate_to: String,
}

impl Payload {
    /// `None` for text that is not an escalation (a damaged retry file loses only that line).
    fn from_json(json: String) -> Option<Payload> {
        let v: serde_json::Value = serde_json::from_str(&json).ok()?;
        let field = |k: &str| v[k].as_str().map(str::to_owned);
        Some(Payload { id: field("id")?, rule: field("rule")?, escalate_to: field("escalate_to")?, json })
    }
}

/// Run the user's notify command with one escalation as JSON on stdin.
fn notify(cmd: &str, p: &Payload) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .env("HANDOFF_LEAD", &p.id)
        .env("HANDOFF_RULE", &p.rule)
        .env("HANDOFF_ESCALATE_TO", &p.escalate_to)
        .spawn()
        .map_err(|err| format!("cannot run `{cmd}`: {err}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(p.json.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let status = child.wait().map_err(|err| err.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("`{cmd}` exited with {status}")) }
}

/// The escalations as a table; ids shortened when `short` is given (not for CSV).
fn table(ctx: &Ctx, escalations: &[Escalation], short: Option<&crate::short_id::ShortIds>) -> Table {
    let mut t = Table::new(&["", "lead", "customer", "to", "rule", "overdue", "why"]);
    for e in escalations {
        t.push(
            vec![
                if e.new { "NEW" } else { "" }.to_owned(),
                short.map_or(e.id.as_str(), |s| s.get(&e.id)).to_owned(),
                e.customer.clone().unwrap_or_default(),
                ctx.rules
                    .staff(&e.escalate_to)
                    .map_or_else(|| e.escalate_to.clone(), |s| format!("{} ({})", s.name, s.id)),
                e.rule.to_string(),
                format!("{} min", e.overdue_minutes),
                e.reason.clone(),
            ],
            if e.new { Tone::Alert } else { Tone::Plain },
        );
    }
    t
}
