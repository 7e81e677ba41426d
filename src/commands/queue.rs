//! `handoff queue [--count] [--all]`: what do I need to do now?

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::Failure;
use crate::output::{Format, Table, Tone, emit};
use crate::queue::{self, Item, Reason};
use crate::store::Want;

/// Your queue: leads waiting for your acceptance, your overdue and due-today next actions,
/// your follow-ups that have come; most urgent first, then by due time.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff --as sam queue\n  handoff --as sam queue --count\n  handoff queue --all                 # everyone's queue, by person (a manager's view)\n\nIn a shell prompt: PS1='$(handoff queue --count 2>/dev/null) '$PS1\n\nExit status with --count: 0 when the queue holds at least one lead, 1 when it is empty\n(like grep), so `handoff queue --count >/dev/null && echo 'leads wait for you'` works;\n2 and 3 keep their usual meaning."
)]
pub struct QueueArgs {
    /// Print only how many leads are in the queue (exit 0 when any, 1 when none).
    #[arg(long)]
    pub count: bool,
    /// Everyone's queue, grouped by person (no --as needed).
    #[arg(long)]
    pub all: bool,
}

#[derive(Serialize)]
struct Queue<'a> {
    /// Whose queue; absent with --all.
    #[serde(skip_serializing_if = "Option::is_none")]
    who: Option<&'a str>,
    now: String,
    count: usize,
    items: &'a [Item],
    /// With --all: how many leads wait on each person.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by_owner: Vec<OwnerCount>,
}

#[derive(Serialize)]
struct OwnerCount {
    owner: String,
    count: usize,
}

pub fn run(ctx: &Ctx, args: QueueArgs) -> Result<()> {
    let who = if args.all { None } else { Some(ctx.actor()?.id.clone()) };
    let (mut items, errors) = ctx.ws.scan_map(Want::Open, |lead| {
        let item = queue::item(&lead, &ctx.now)?;
        who.as_ref().is_none_or(|w| *w == item.owner).then_some(item)
    })?;
    queue::sort(&mut items, &ctx.rules.vocabulary.urgency, args.all, &ctx.rules.tz);
    let count = items.len();
    if args.count {
        match ctx.format {
            Format::Json => println!("{}", serde_json::json!({ "count": count })),
            _ => println!("{count}"),
        }
    } else {
        let mut by_owner: Vec<OwnerCount> = Vec::new();
        if args.all {
            for item in &items {
                match by_owner.last_mut() {
                    Some(o) if o.owner == item.owner => o.count += 1,
                    _ => by_owner.push(OwnerCount { owner: item.owner.clone(), count: 1 }),
                }
            }
        }
        let data = Queue { who: who.as_deref(), now: ctx.stamp().to_string(), count, items: &items, by_owner };
        if items.is_empty() && ctx.format == Format::Table {
            match &who {
                Some(w) => eprintln!("nothing waits for {w} now"),
                None => eprintln!("nothing waits for anyone now"),
            }
        }
        let short = ctx.short_ids()?;
        emit(ctx.format, &data, || {
            let mut headers = vec!["id", "why", "urgency", "name", "next action", "due"];
            if args.all {
                headers.insert(0, "owner");
            }
            let mut t = Table::new(&headers);
            for i in &items {
                let due = match (i.reason, i.due, i.follow_up_on) {
                    (Reason::FollowUp, _, Some(d)) => crate::clock::short_date(d, &ctx.now),
                    (_, Some(d), _) => ctx.show_time(&d),
                    _ => String::new(),
                };
                let mut row = vec![
                    short.get(&i.id).to_owned(),
                    i.reason.label().to_owned(),
                    i.urgency.clone().unwrap_or_default(),
                    i.full_name.clone().unwrap_or_default(),
                    i.next_action.clone().unwrap_or_default(),
                    due,
                ];
                if args.all {
                    row.insert(0, i.owner.clone());
                }
                t.push(row, if i.reason == Reason::Overdue { Tone::Alert } else { Tone::Plain });
            }
            t
        })?;
    }
    super::skipped(&errors)?;
    if args.count && count == 0 {
        // Not a refusal: the grep-style "nothing found" status a prompt tests, silently.
        return Err(Failure::Quiet(1).into());
    }
    Ok(())
}
