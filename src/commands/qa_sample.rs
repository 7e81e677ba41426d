//! `handoff qa-sample [--week YYYY-Www] [--size N] [--seed S]`: the weekly QA draw.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, View, print};
use crate::phone;
use crate::qa::{self, Candidate, PhoneSeen, QUESTIONS, Week};
use crate::store::Want;

/// Draw the week's QA sample of accepted handoffs, with the evidence for the SOP's five questions.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff qa-sample                          # this week, qa.sample_size handoffs\n  handoff qa-sample --week 2026-W47 --format md > qa.md\n  handoff qa-sample --seed 2                 # a different, equally valid draw\n\nThen answer with `handoff qa-record ID --answer owner-correct=yes ...`."
)]
pub struct QaSampleArgs {
    /// ISO week, YYYY-Www (default: this week).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
    /// How many handoffs to draw (default: qa.sample_size in rules.yaml).
    #[arg(long, value_name = "N")]
    pub size: Option<usize>,
    /// Seed for the draw; the same data, week and seed always give the same sample.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
}

#[derive(Serialize)]
struct Sampled {
    #[serde(flatten)]
    candidate: Candidate,
    evidence: std::collections::BTreeMap<&'static str, String>,
}

/// Resolve `--week` (default: the week of `now`).
pub fn week_arg(ctx: &Ctx, week: Option<&str>) -> Result<Week> {
    match week {
        Some(w) => Week::parse(w).map_err(|e| refused(format!("--week: {e:#}"))),
        None => Ok(Week::of(ctx.now.date())),
    }
}

pub fn run(ctx: &Ctx, args: QaSampleArgs) -> Result<()> {
    let week = week_arg(ctx, args.week.as_deref())?;
    let week_name = week.to_string();
    let (start, end) = week.span(&ctx.rules.tz)?;
    let size = args.size.unwrap_or(ctx.rules.qa.sample_size);
    if size < ctx.rules.qa.sample_size {
        eprintln!("note: --size {size} is below the {} reviews a week rules.yaml asks for", ctx.rules.qa.sample_size);
    }
    let (seen, errors) = ctx.scan_map(Want::All, |lead| {
        let phone = lead.primary_phone.as_deref().map(|p| PhoneSeen {
            digits: phone::digits(p),
            id: lead.id.clone(),
            created_at: lead.created_at.timestamp(),
        });
        let candidate = qa::candidate(&lead, &week_name, start, end).map(|c| (c, lead));
        Some((phone, candidate))
    })?;
    let phones: Vec<PhoneSeen> = seen.iter().filter_map(|(p, _)| p.clone()).collect();
    let leads: Vec<_> = seen.into_iter().filter_map(|(_, c)| c).collect();
    let picked = qa::sample(leads.iter().map(|(c, _)| c.clone()).collect(), size, &week_name, args.seed);
    let sample: Vec<Sampled> = picked
        .into_iter()
        .filter_map(|c| {
            let lead = &leads.iter().find(|(x, _)| x.id == c.id)?.1;
            Some(Sampled { evidence: qa::evidence(&ctx.rules, lead, &phones), candidate: c })
        })
        .collect();
    if sample.is_empty() {
        eprintln!("no handoffs were accepted in {week_name} (or all were reviewed already); nothing to sample");
    } else if sample.len() < size {
        eprintln!("only {} handoff(s) to review in {week_name}: all are in the sample", sample.len());
    }
    let data = serde_json::json!({ "week": week_name, "sample": &sample });
    let view = View::table(|| flat(&sample)).text(|| text(&sample)).markdown(|| checklist(&week_name, &sample));
    print(ctx.format, &data, view)?;
    super::skipped(&errors)
}

fn text(sample: &[Sampled]) -> String {
    let mut out = String::new();
    for s in sample {
        let c = &s.candidate;
        out.push_str(&format!(
            "{}  owner {}  {} / {}\n",
            c.id,
            c.owner,
            c.urgency.as_deref().unwrap_or("-"),
            c.source.as_deref().unwrap_or("-")
        ));
        for (key, _) in QUESTIONS {
            out.push_str(&format!("  {key:<18} {}\n", s.evidence.get(key).map_or("", String::as_str)));
        }
        out.push('\n');
    }
    out
}

/// A printable checklist for the reviewer.
fn checklist(week: &str, sample: &[Sampled]) -> String {
    let mut out = format!("# QA review {week}\n\n");
    for s in sample {
        let c = &s.candidate;
        out.push_str(&format!(
            "## {} — owner {}, {} / {}\n\n",
            c.id,
            c.owner,
            c.urgency.as_deref().unwrap_or("-"),
            c.source.as_deref().unwrap_or("-")
        ));
        for (key, question) in QUESTIONS {
            out.push_str(&format!(
                "- [ ] yes [ ] no — **{question}** (`{key}`)\n  - {}\n",
                s.evidence.get(key).map_or("", String::as_str)
            ));
        }
        out.push_str(&format!(
            "\n`handoff qa-record {} --answer owner-correct=… --answer notes-sufficient=… --answer waited-too-long=… --answer customer-repeated=… --answer outcome-matched=…`\n\n",
            c.id
        ));
    }
    out
}

fn flat(sample: &[Sampled]) -> Table {
    let mut t = Table::new(&["id", "owner", "urgency", "source", "question", "evidence"]);
    for s in sample {
        for (key, _) in QUESTIONS {
            let c = &s.candidate;
            t.row(vec![
                c.id.to_string(),
                c.owner.clone(),
                c.urgency.clone().unwrap_or_default(),
                c.source.clone().unwrap_or_default(),
                key.to_owned(),
                s.evidence.get(key).cloned().unwrap_or_default(),
            ]);
        }
    }
    t
}
