//! `handoff show ID`: the record, the handoff-contract checklist, and the history.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::context::Ctx;
use crate::field::Field;
use crate::lead::{Event, EventKind, Lead};
use crate::output::{Table, View, print};

/// Show a lead: its record, the handoff contract (owner, next action, due, acceptance), and its history.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  handoff show k3f9\n  handoff show 20261124-k3f9qx2ab --json")]
pub struct ShowArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
}

/// The SOP's four handoff conditions for a lead.
pub fn checklist(lead: &Lead) -> [(&'static str, bool); 4] {
    [
        ("owner named", lead.owner.is_some()),
        ("next action defined", lead.next_action.as_deref().is_some_and(|a| !a.trim().is_empty())),
        ("due time visible", lead.next_action_due.is_some()),
        ("acceptance confirmed", lead.is_accepted()),
    ]
}

pub fn run(ctx: &Ctx, args: ShowArgs) -> Result<()> {
    let lead = ctx.lead(&args.id)?;
    let missing = lead.missing_for_handoff(ctx.rules.requirements(&lead));
    let overdue = lead.is_open() && lead.next_action_due.is_some_and(|d| d.timestamp() < ctx.now.timestamp());
    let routed_by = lead.last_event(EventKind::Assigned).and_then(|e| e.rule.clone());
    let mut value = serde_json::to_value(&lead)?;
    if let Some(map) = value.as_object_mut() {
        let list: serde_json::Map<String, serde_json::Value> =
            checklist(&lead).iter().map(|(k, v)| ((*k).replace(' ', "_"), json!(v))).collect();
        map.insert("checklist".into(), list.into());
        map.insert("handed_off".into(), json!(checklist(&lead).iter().all(|(_, ok)| *ok)));
        map.insert("missing".into(), json!(missing));
        map.insert("overdue".into(), json!(overdue));
        map.insert("routing_rule".into(), json!(routed_by));
    }
    let table = || {
        let mut t = Table::new(&["field", "value"]);
        for field in Field::ALL {
            t.row(vec![field.to_string(), field.get(&lead).unwrap_or_default()]);
        }
        t
    };
    let text = || text(ctx, &lead, overdue, routed_by.as_deref(), &missing);
    print(ctx.format, &value, View::table(table).text(text))
}

/// The record, the handoff-contract checklist and the history, for a person.
fn text(ctx: &Ctx, lead: &Lead, overdue: bool, routed_by: Option<&str>, missing: &[&str]) -> String {
    let mut out = String::new();
    out.push_str(&format!("Lead {}  ({})\n", lead.id, lead.status));
    out.push_str(&format!("  {:<16} {}\n", "created_at", ctx.show_time(&lead.created_at)));
    out.push_str(&format!("  {:<16} {}\n", "captured_by", lead.captured_by));
    for field in Field::ALL {
        let value = match field {
            Field::NextActionDue => lead.next_action_due.map(|d| ctx.show_time(&d)),
            _ => field.get(lead),
        };
        if let Some(value) = value {
            let value = value.replace('\n', &format!("\n  {:<16} ", ""));
            out.push_str(&format!("  {:<16} {value}\n", field.name()));
        }
    }
    out.push_str("\nHandoff contract\n");
    for (label, ok) in checklist(lead) {
        let detail = match label {
            "owner named" => lead.owner.clone().unwrap_or_default(),
            "due time visible" if overdue => "OVERDUE".to_owned(),
            _ => String::new(),
        };
        out.push_str(&format!("  [{}] {label:<22} {detail}\n", if ok { "x" } else { " " }));
    }
    if let Some(rule) = routed_by {
        out.push_str(&format!("  routed by rule: {rule}\n"));
    }
    if !missing.is_empty() {
        out.push_str(&format!("  missing: {}\n", missing.join(", ")));
    }
    out.push_str("\nHistory\n");
    for e in &lead.history {
        out.push_str(&format!("  {}  {:<6} {}\n", ctx.show_time(&e.at), e.by, describe(ctx, e)));
    }
    out
}

/// One line describing an event, for `show` and `log`.
pub fn describe(ctx: &Ctx, e: &Event) -> String {
    let mut parts = vec![e.event.to_string()];
    if let Some(from) = &e.from {
        parts.push(format!("from {from}"));
    }
    if let Some(to) = &e.to {
        parts.push(format!("to {to}"));
    }
    if let Some(rule) = &e.rule {
        parts.push(format!("(rule {rule})"));
    }
    if let Some(outcome) = &e.outcome {
        parts.push(format!("outcome {outcome}"));
    }
    if let Some(action) = &e.action {
        parts.push(format!("next: {action}"));
    }
    if let Some(due) = &e.due {
        parts.push(format!("due {}", ctx.show_time(due)));
    }
    if !e.changed.is_empty() {
        let short = |v: Option<&String>| {
            let v = v.map_or("(empty)".to_owned(), |v| v.replace('\n', " "));
            if v.chars().count() > 30 { format!("{}…", v.chars().take(29).collect::<String>()) } else { v }
        };
        let fields: Vec<String> = e
            .changed
            .iter()
            .map(|f| match (e.old.contains_key(f) || e.new.contains_key(f), e.old.get(f), e.new.get(f)) {
                (true, old, new) => format!("{f} ({} → {})", short(old), short(new)),
                _ => f.clone(),
            })
            .collect();
        parts.push(format!("changed {}", fields.join(", ")));
    }
    if !e.missing.is_empty() {
        parts.push(format!("missing {}", e.missing.join(", ")));
    }
    if let Some(reason) = &e.reason {
        parts.push(format!("— {reason}"));
    }
    if let Some(text) = &e.text {
        parts.push(format!("— {}", text.replace('\n', " ")));
    }
    if !e.answers.is_empty() {
        let answers: Vec<String> =
            e.answers.iter().map(|(k, v)| format!("{k}={}", if *v { "yes" } else { "no" })).collect();
        parts.push(answers.join(" "));
    }
    parts.join(" ")
}
