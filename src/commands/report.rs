//! `handoff report [--date DATE]`: the end-of-day review a manager reads before close.

use anyhow::Result;
use clap::Args;

use crate::clock::{self, Stamp};
use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, View, cut, print};
use crate::report::{Report, Window, facts};
use crate::store::Want;

/// The end-of-day review: no next action, overdue, unaccepted, escalations, acceptances, rejections, per owner.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff report                      # today, as of now\n  handoff report --date 2026-11-23    # a past day, replayed from history\n  handoff report --date yesterday\n  handoff report --format md | mail -s 'End of day' office@example.com"
)]
pub struct ReportArgs {
    /// The day to review: YYYY-MM-DD, `today` or `yesterday` (default: today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
}

/// Rows shown per section in the table (the JSON has them all).
const SECTION_ROWS: usize = 5;

pub fn run(ctx: &Ctx, args: ReportArgs) -> Result<()> {
    let today = ctx.now.date();
    let date = match &args.date {
        Some(d) => ctx.date_arg("--date", d)?,
        None => today,
    };
    if date > today {
        return Err(refused(format!("--date {date} is in the future; a report reviews today or a past day")));
    }
    let tz = &ctx.rules.tz;
    let start = date.to_zoned_datetime(tz.clone())?.timestamp();
    let end = date.tomorrow()?.to_zoned_datetime(tz.clone())?.timestamp();
    let as_of = if date == today { ctx.now.timestamp() } else { end };
    let window = Window { start, end, as_of };
    // A lead quiet since before the day is reported from its state alone, which its index
    // brief replays exactly; one with events that day needs them whole (their reasons).
    let quiet = |s: &crate::store::index::Summary| s.last_event_at < start.as_second();
    let (all, errors) = ctx.scan_brief(Want::ActiveSince(start), |_| true, quiet, |lead| facts(&lead, window))?;
    let as_of_text = Stamp::from_zoned(&as_of.to_zoned_datetime(tz.clone())).to_string();
    let report = Report::assemble(date.to_string(), as_of_text, &ctx.rules.staff_ids(), all);
    print(ctx.format, &report, View::table(|| flat_table(ctx, &report)).text(|| render(ctx, &report)))?;
    super::skipped(&errors)
}

fn hm(minutes: i64) -> String {
    match minutes {
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d", m / (24 * 60)),
    }
}

fn time(ctx: &Ctx, s: &Stamp) -> String {
    ctx.local(s).strftime("%H:%M").to_string()
}

/// Every section as rows of `section, id, owner, detail, minutes` (csv and md).
fn flat_table(ctx: &Ctx, r: &Report) -> Table {
    let mut t = Table::new(&["section", "id", "customer", "owner", "detail", "minutes"]);
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    for x in &r.needs_review {
        t.row(vec![
            "needs_review".into(),
            x.id.to_string(),
            o(&x.customer),
            o(&x.owner),
            format!("{} {}", x.status, o(&x.urgency)),
            String::new(),
        ]);
    }
    for x in &r.overdue {
        t.row(vec![
            "overdue".into(),
            x.id.to_string(),
            o(&x.customer),
            o(&x.owner),
            o(&x.next_action),
            x.overdue_minutes.to_string(),
        ]);
    }
    for x in &r.unaccepted {
        t.row(vec![
            "unaccepted".into(),
            x.id.to_string(),
            o(&x.customer),
            o(&x.owner),
            String::new(),
            x.waiting_minutes.to_string(),
        ]);
    }
    for x in &r.escalations {
        let detail = format!("{} at {}", o(&x.rule), time(ctx, &x.at));
        t.row(vec!["escalations".into(), x.id.to_string(), o(&x.customer), o(&x.escalate_to), detail, String::new()]);
    }
    for x in &r.accepted {
        t.row(vec![
            "accepted".into(),
            x.id.to_string(),
            o(&x.customer),
            x.owner.clone(),
            time(ctx, &x.at),
            x.minutes_to_accept.to_string(),
        ]);
    }
    for x in &r.rejected {
        t.row(vec!["rejected".into(), x.id.to_string(), o(&x.customer), x.by.clone(), o(&x.reason), String::new()]);
    }
    for x in &r.by_owner {
        let detail = format!(
            "open {} unaccepted {} overdue {} accepted today {}",
            x.open, x.unaccepted, x.overdue, x.accepted_today
        );
        t.row(vec!["by_owner".into(), String::new(), String::new(), x.owner.clone(), detail, String::new()]);
    }
    t
}

/// The terminal view: one compact block per section, fitting 80×40 on a typical day.
fn render(ctx: &Ctx, r: &Report) -> String {
    let mut out = String::new();
    let day = ctx.local(&r.as_of.parse().unwrap_or_else(|_| ctx.stamp()));
    out.push_str(&format!("End-of-day report {} (as of {})\n", r.date, clock::short(&day, &ctx.now)));
    // Only the rows shown are formatted: a section may hold every open lead.
    let mut section = |title: &str, rows: &mut dyn ExactSizeIterator<Item = String>| {
        let count = rows.len();
        out.push_str(&format!("\n{title} ({count})\n"));
        for row in rows.take(SECTION_ROWS) {
            out.push_str(&format!("  {row}\n"));
        }
        if count > SECTION_ROWS {
            out.push_str(&format!("  … {} more (handoff report --json)\n", count - SECTION_ROWS));
        }
    };
    let o = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
    // The id, then the customer's name: what a person recognises.
    let who = |id: &crate::lead::LeadId, customer: &Option<String>| {
        format!("{id}  {:<14}", cut(customer.as_deref().unwrap_or("-"), 14))
    };
    section(
        "Needs review: no next action",
        &mut r
            .needs_review
            .iter()
            .map(|x| format!("{} {:<8} {:<6} {}", who(&x.id, &x.customer), x.status, o(&x.owner), o(&x.urgency))),
    );
    section(
        "Overdue next actions",
        &mut r.overdue.iter().map(|x| {
            format!(
                "{} {:<6} {:>6} late  {}",
                who(&x.id, &x.customer),
                o(&x.owner),
                hm(x.overdue_minutes),
                cut(&o(&x.next_action), 22)
            )
        }),
    );
    section(
        "Not yet accepted",
        &mut r
            .unaccepted
            .iter()
            .map(|x| format!("{} {:<6} waiting {}", who(&x.id, &x.customer), o(&x.owner), hm(x.waiting_minutes))),
    );
    section(
        "Escalations today",
        &mut r.escalations.iter().map(|x| {
            format!(
                "{} {} → {:<6} {}",
                who(&x.id, &x.customer),
                time(ctx, &x.at),
                o(&x.escalate_to),
                cut(&o(&x.rule), 24)
            )
        }),
    );
    section(
        "Accepted today",
        &mut r.accepted.iter().map(|x| {
            format!("{} {:<6} {}  in {}", who(&x.id, &x.customer), x.owner, time(ctx, &x.at), hm(x.minutes_to_accept))
        }),
    );
    section(
        "Rejected today",
        &mut r.rejected.iter().map(|x| format!("{} {:<6} {}", who(&x.id, &x.customer), x.by, cut(&o(&x.reason), 36))),
    );
    out.push_str("\nBy owner    open  unaccepted  overdue  accepted today\n");
    for x in &r.by_owner {
        out.push_str(&format!(
            "  {:<8} {:>5} {:>11} {:>8} {:>15}  {}\n",
            x.owner,
            x.open,
            x.unaccepted,
            x.overdue,
            x.accepted_today,
            ctx.rules.staff(&x.owner).map_or("", |s| s.name.as_str())
        ));
    }
    out
}
