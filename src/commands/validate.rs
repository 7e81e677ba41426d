//! `handoff validate`: check rules.yaml and every lead file; every problem with file:line.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::workspace;
use crate::lead::{Event, Lead, SYSTEM, Status};
use crate::output::{Table, emit};
use crate::phone;
use crate::rules::yamlpos::{Seg, locate};
use crate::rules::{Problem, Rules};
use crate::store::{MAX_LEAD_BYTES, RULES_FILE, parse_lead, read_limited};

/// Check rules.yaml and every lead file; lists every problem with file and line (exit 3 if any).
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff validate && git push\n\nExit 3 when any problem is found (each listed on stdout with file and line)."
)]
pub struct ValidateArgs {}

#[derive(Serialize)]
struct Found {
    file: String,
    line: Option<usize>,
    message: String,
}

/// What to do about a staff id that is gone from rules.yaml.
const LEFT: &str = "; if they left, keep them in staff with `active: false` (kept for history, never routed to)";

/// Problems a parsed lead has against the rules (vocabularies, staff, status consistency).
pub fn check_lead(rules: &Rules, lead: &Lead, text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut problem = |path: &[Seg], message: String| out.push(Problem { line: locate(text, path), message });
    for (field, value) in
        [("urgency", &lead.urgency), ("fit", &lead.fit), ("source", &lead.source), ("service_type", &lead.service_type)]
    {
        if let Some(v) = value
            && let Err(m) = rules.check_value(field, v)
        {
            problem(&[Seg::Key(field)], m);
        }
    }
    if let Some(p) = &lead.primary_phone {
        match phone::normalize(p, &rules.phone_country_code) {
            Ok(n) if &n == p => {}
            Ok(n) => {
                problem(&[Seg::Key("primary_phone")], format!("primary_phone `{p}` is not normalised; write it as {n}"))
            }
            Err(e) => problem(&[Seg::Key("primary_phone")], format!("{e:#}")),
        }
    }
    if rules.staff(&lead.captured_by).is_none() {
        problem(&[Seg::Key("captured_by")], format!("captured_by `{}` is not in staff{LEFT}", lead.captured_by));
    }
    match (&lead.owner, lead.status) {
        (Some(o), _) if rules.staff(o).is_none() => problem(
            &[Seg::Key("owner")],
            format!("owner `{o}` is not in staff; use one of: {}{LEFT}", rules.staff_ids().join(", ")),
        ),
        (Some(_), Status::Intake) => problem(
            &[Seg::Key("owner")],
            "a lead in intake has no owner; remove owner or set status: assigned".to_owned(),
        ),
        (None, Status::Assigned | Status::Accepted) => {
            problem(&[Seg::Key("status")], format!("status {} needs an owner", lead.status))
        }
        _ => {}
    }
    for (i, e) in lead.history.iter().enumerate() {
        if e.by != SYSTEM && rules.staff(&e.by).is_none() {
            problem(
                &[Seg::Key("history"), Seg::Index(i), Seg::Key("by")],
                format!("history event by `{}`, who is not in staff{LEFT}", e.by),
            );
        }
        if i > 0 && e.at < lead.history[i - 1].at {
            problem(
                &[Seg::Key("history"), Seg::Index(i), Seg::Key("at")],
                "history is out of order; events are appended oldest first".to_owned(),
            );
        }
    }
    out
}

pub fn run(ctx: &Ctx, _args: ValidateArgs) -> Result<()> {
    // rules.yaml was loaded (and so checked) by Ctx::load; a broken one that other
    // commands work around with the last valid copy fails validation here.
    if let Some(problem) = &ctx.rules_problem {
        return Err(workspace(problem.clone()));
    }
    let mut found = Vec::new();
    let files = ctx.ws.lead_files()?;
    // Each lead's first file: a second file of one id makes every command refuse the id.
    let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for lead_file in &files {
        let path = &lead_file.path();
        let file = ctx.ws.relative(path);
        let text = match read_limited(path, MAX_LEAD_BYTES) {
            Ok(t) => t,
            Err(e) => {
                found.push(Found { file, line: None, message: format!("{e:#}") });
                continue;
            }
        };
        let lead = match parse_lead(&text) {
            Ok(lead) => lead,
            Err(p) => {
                let mut fields = field_problems(&text);
                if fields.is_empty() {
                    fields.push(p);
                }
                for p in fields {
                    found.push(Found { file: file.clone(), line: p.line, message: p.message });
                }
                continue;
            }
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if lead.id.as_str() != stem {
            found.push(Found {
                file: file.clone(),
                line: locate(&text, &[Seg::Key("id")]),
                message: format!("the file holds lead `{}` but is named for `{stem}`", lead.id),
            });
        }
        if let Some(first) = seen.get(lead.id.as_str()) {
            found.push(Found {
                file: file.clone(),
                line: None,
                message: format!(
                    "lead {} is in two files, {first} and this one; keep one (commands refuse the id meanwhile)",
                    lead.id
                ),
            });
        } else {
            seen.insert(lead.id.to_string(), file.clone());
        }
        let month = crate::store::shard_of(&lead.id);
        let dir = path.parent().unwrap_or(path);
        if dir != ctx.ws.leads_dir() && dir != ctx.ws.leads_dir().join(&month) {
            found.push(Found {
                file: file.clone(),
                line: None,
                message: format!("lead {} belongs in leads/{month}/ (its capture month); move the file there", lead.id),
            });
        }
        for p in check_lead(&ctx.rules, &lead, &text) {
            found.push(Found { file: file.clone(), line: p.line, message: p.message });
        }
    }
    found.extend(duty_findings(ctx)?);
    let count = found.len();
    emit(ctx.format, &serde_json::json!({ "leads": files.len(), "problems": &found }), || {
        let mut t = Table::new(&["file", "line", "problem"]);
        for f in &found {
            t.row(vec![f.file.clone(), f.line.map(|l| l.to_string()).unwrap_or_default(), f.message.clone()]);
        }
        t
    })
    .ok();
    if count > 0 {
        return Err(workspace(format!(
            "{count} problem{} in rules.yaml, oncall.yaml and {} lead files",
            if count == 1 { "" } else { "s" },
            files.len()
        )));
    }
    eprintln!("ok: rules.yaml and {} lead files", files.len());
    Ok(())
}

/// What rules.yaml and oncall.yaml say about who is on duty: rules naming inactive staff,
/// coverage gaps in the next 28 days of the schedules rules name, bad overrides and away
/// periods.
fn duty_findings(ctx: &Ctx) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let rules_text = read_limited(&ctx.ws.rules_path(), crate::rules::MAX_RULES_BYTES)?;
    for (path, message) in ctx.rules.duty_findings(ctx.now.timestamp(), 28) {
        found.push(Found { file: RULES_FILE.to_owned(), line: locate(&rules_text, &path), message });
    }
    let problems = ctx
        .rules
        .duty
        .check(&ctx.rules.staff_ids(), &ctx.rules.schedules.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    if !problems.is_empty() {
        let text = read_limited(&ctx.ws.duty_path(), crate::store::MAX_DUTY_BYTES).unwrap_or_default();
        for p in problems {
            let line = locate(&text, &[Seg::Key(p.section), Seg::Index(p.index)]);
            found.push(Found { file: crate::schedule::duty::FILE.to_owned(), line, message: p.message });
        }
    }
    Ok(found)
}

/// A lead with only its required fields, and an event likewise: each field of a broken
/// file is tried alone on these, so one bad value does not hide the next.
const PROBE_LEAD: &str = "id: 20260101-aaaaaaaaa\nstatus: intake\ncreated_at: 2026-01-01T00:00:00Z\ncaptured_by: x\n";
const PROBE_EVENT: &str = "at: 2026-01-01T00:00:00Z\nby: x\nevent: noted\n";

/// Every wrong field of a lead file that is valid YAML but not a valid lead, each with its
/// line, and every required field that is missing. Empty when the file is not a YAML
/// mapping or no field is at fault; the parse error then stands alone.
fn field_problems(text: &str) -> Vec<Problem> {
    use serde_norway::Value;
    if crate::store::screen_lead(text).is_some() {
        return Vec::new();
    }
    let Ok(Value::Mapping(map)) = serde_norway::from_str::<Value>(text) else { return Vec::new() };
    let mut problems = Vec::new();
    for (key, value) in &map {
        let Some(key) = key.as_str() else { continue };
        if let ("history", Value::Sequence(events)) = (key, value) {
            for (i, event) in events.iter().enumerate() {
                let at = [Seg::Key("history"), Seg::Index(i)];
                let Value::Mapping(fields) = event else {
                    problems.push(Problem {
                        line: locate(text, &at),
                        message: format!("history event {} is not a map", i + 1),
                    });
                    continue;
                };
                for (k, v) in fields {
                    let Some(k) = k.as_str() else { continue };
                    if let Some(message) = probe::<Event>(PROBE_EVENT, k, v) {
                        let line = locate(text, &[at[0], at[1], Seg::Key(k)]);
                        problems.push(Problem { line, message: format!("history event {}, {k}: {message}", i + 1) });
                    }
                }
                for k in required(PROBE_EVENT).filter(|k| !fields.contains_key(*k)) {
                    problems.push(Problem {
                        line: locate(text, &at),
                        message: format!("history event {}: missing `{k}`", i + 1),
                    });
                }
            }
        } else if let Some(message) = probe::<Lead>(PROBE_LEAD, key, value) {
            problems.push(Problem { line: locate(text, &[Seg::Key(key)]), message: format!("{key}: {message}") });
        }
    }
    for key in required(PROBE_LEAD).filter(|k| !map.contains_key(*k)) {
        problems.push(Problem { line: None, message: format!("missing `{key}`, which every lead has") });
    }
    problems
}

/// The keys of a probe text: the fields that are required.
fn required(probe: &str) -> impl Iterator<Item = &str> {
    probe.lines().filter_map(|l| l.split_once(':').map(|(k, _)| k))
}

/// The error of deserialising `base` with `key` set to `value`, if any.
fn probe<T: serde::de::DeserializeOwned>(base: &str, key: &str, value: &serde_norway::Value) -> Option<String> {
    let mut map: serde_norway::Mapping = serde_norway::from_str(base).ok()?;
    map.insert(key.into(), value.clone());
    serde_norway::from_value::<T>(serde_norway::Value::Mapping(map))
        .err()
        .map(|e| crate::rules::yaml_problem(&e).message)
}
