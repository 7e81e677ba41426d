//! `handoff qa-report [--week W]`: the week's QA answers summed up.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::qa_sample::week_arg;
use crate::context::Ctx;
use crate::lead::{EventKind, LeadId};
use crate::output::{Table, emit};
use crate::qa::{QUESTIONS, is_bad};
use crate::store::Want;

/// Summarise the QA reviews recorded for a week: count vs required, yes/no per question, leads flagged.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  handoff qa-report\n  handoff qa-report --week 2026-W47 --format md")]
pub struct QaReportArgs {
    /// ISO week, YYYY-Www (default: this week).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
}

#[derive(Serialize)]
struct Question {
    key: &'static str,
    question: &'static str,
    yes: usize,
    no: usize,
}

#[derive(Serialize)]
struct Flagged {
    id: LeadId,
    reviewer: String,
    /// The questions answered the worrying way.
    flags: Vec<String>,
    comment: Option<String>,
}

pub fn run(ctx: &Ctx, args: QaReportArgs) -> Result<()> {
    let week = week_arg(ctx, args.week.as_deref())?.to_string();
    let (reviews, errors) = ctx.scan_map(Want::All, |lead| {
        let found: Vec<_> = lead
            .history
            .iter()
            .filter(|e| e.event == EventKind::QaReview && e.week.as_deref() == Some(week.as_str()))
            .map(|e| (lead.id.clone(), e.by.clone(), e.answers.clone(), e.text.clone()))
            .collect();
        (!found.is_empty()).then_some(found)
    })?;
    let reviews: Vec<_> = reviews.into_iter().flatten().collect();
    let questions: Vec<Question> = QUESTIONS
        .iter()
        .map(|(key, question)| Question {
            key,
            question,
            yes: reviews.iter().filter(|r| r.2.get(*key) == Some(&true)).count(),
            no: reviews.iter().filter(|r| r.2.get(*key) == Some(&false)).count(),
        })
        .collect();
    let flagged: Vec<Flagged> = reviews
        .iter()
        .filter_map(|(id, by, answers, comment)| {
            let flags: Vec<String> = answers.iter().filter(|(k, v)| is_bad(k, **v)).map(|(k, _)| k.clone()).collect();
            (!flags.is_empty()).then(|| Flagged {
                id: id.clone(),
                reviewer: by.clone(),
                flags,
                comment: comment.clone(),
            })
        })
        .collect();
    let required = ctx.rules.qa.sample_size;
    if reviews.len() < required {
        eprintln!("{} of the {required} reviews the SOP asks for are recorded for {week}", reviews.len());
    }
    let data = serde_json::json!({
        "week": week,
        "reviewed": reviews.len(),
        "required": required,
        "questions": questions,
        "flagged": flagged,
    });
    emit(ctx.format, &data, || {
        let mut t = Table::new(&["question", "yes", "no"]);
        t.row(vec![format!("reviewed {week}"), reviews.len().to_string(), format!("of {required}")]);
        for q in &questions {
            t.row(vec![q.question.to_owned(), q.yes.to_string(), q.no.to_string()]);
        }
        for f in &flagged {
            t.row(vec![
                format!("flagged {} ({})", f.id, f.reviewer),
                f.flags.join(", "),
                f.comment.clone().unwrap_or_default(),
            ]);
        }
        t
    })?;
    super::skipped(&errors)
}
