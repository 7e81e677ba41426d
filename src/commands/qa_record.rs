//! `handoff qa-record ID --answer KEY=yes|no … [--comment TEXT]`: store a QA review.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;

use super::qa_sample::week_arg;
use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{Event, EventKind};
use crate::qa::{QUESTIONS, Week};

/// Record the reviewer's answers to the SOP's five QA questions for one handoff.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  handoff qa-record k3f9 --answer owner-correct=yes --answer notes-sufficient=no \\\n    --answer waited-too-long=no --answer customer-repeated=no --answer outcome-matched=yes \\\n    --comment 'Address was missing the unit number'\n\nKeys: owner-correct, notes-sufficient, waited-too-long, customer-repeated, outcome-matched;\nevery key answered once, yes or no."
)]
pub struct QaRecordArgs {
    /// Lead id, or a unique prefix (4+ characters) of the part after the dash.
    pub id: String,
    /// An answer, KEY=yes|no (repeat for all five questions).
    #[arg(long = "answer", value_name = "KEY=yes|no", required = true)]
    pub answers: Vec<String>,
    /// A comment for the record.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// The ISO week this review counts for (default: the week of the lead's last acceptance).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
}

/// Parse and check the answers: every key once, yes or no.
pub fn parse_answers(raw: &[String]) -> Result<BTreeMap<String, bool>> {
    let keys: Vec<&str> = QUESTIONS.iter().map(|(k, _)| *k).collect();
    let mut answers = BTreeMap::new();
    for a in raw {
        let (key, value) = a
            .split_once('=')
            .ok_or_else(|| refused(format!("--answer `{a}`: write KEY=yes or KEY=no (keys: {})", keys.join(", "))))?;
        if !keys.contains(&key) {
            return Err(refused(format!("--answer: unknown question `{key}`; the keys are {}", keys.join(", "))));
        }
        let yes = match value {
            "yes" => true,
            "no" => false,
            _ => return Err(refused(format!("--answer {key}=`{value}`: answer yes or no"))),
        };
        if answers.insert(key.to_owned(), yes).is_some() {
            return Err(refused(format!("--answer: `{key}` is answered twice; answer each question once")));
        }
    }
    let missing: Vec<&str> = keys.iter().filter(|k| !answers.contains_key(**k)).copied().collect();
    if !missing.is_empty() {
        return Err(refused(format!("--answer: no answer for {}; answer all five questions", missing.join(", "))));
    }
    Ok(answers)
}

pub fn run(ctx: &Ctx, args: QaRecordArgs) -> Result<()> {
    let answers = parse_answers(&args.answers)?;
    let by = ctx.actor()?.id.clone();
    let explicit_week = args.week.as_deref().map(|w| week_arg(ctx, Some(w))).transpose()?;
    let lead = ctx.change_lead(&args.id, "qa-record", |lead| {
        let week = match explicit_week {
            Some(w) => w,
            None => {
                let accepted = lead.last_event(EventKind::Accepted).ok_or_else(|| {
                    refused(format!("lead {} was never accepted; QA reviews handoffs (pass --week to force)", lead.id))
                })?;
                Week::of(ctx.local(&accepted.at).date())
            }
        }
        .to_string();
        if let Some(done) =
            lead.history.iter().find(|e| e.event == EventKind::QaReview && e.week.as_deref() == Some(week.as_str()))
        {
            return Err(refused(format!("lead {} was reviewed for {week} already (by {})", lead.id, done.by)));
        }
        lead.history.push(Event {
            answers: answers.clone(),
            text: args.comment.clone(),
            week: Some(week.clone()),
            ..Event::new(ctx.stamp(), &by, EventKind::QaReview)
        });
        Ok(format!("QA review for {week}"))
    })?;
    println!("{}", lead.id);
    Ok(())
}
