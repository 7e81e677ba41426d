//! `handoff calendar [NAME] [--year Y]`: the holidays and closures of rules.yaml's calendars.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::refused;
use crate::output::{Table, emit};

/// List the holidays, closures and half days of a year (default: this year).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  handoff calendar\n  handoff calendar --year 2027 --json")]
pub struct CalendarArgs {
    /// Only this calendar (a `calendars:` name in rules.yaml).
    pub name: Option<String>,
    /// The year to list.
    #[arg(long, value_name = "Y", value_parser = clap::value_parser!(i16).range(1900..=2999))]
    pub year: Option<i16>,
}

#[derive(Serialize)]
struct Day {
    date: String,
    name: String,
    /// A half day that opens late: the opening time.
    open: Option<String>,
    /// A half day that closes early: the closing time.
    close: Option<String>,
}

#[derive(Serialize)]
struct Listed {
    name: String,
    closed: Vec<Day>,
}

pub fn run(ctx: &Ctx, args: CalendarArgs) -> Result<()> {
    let year = args.year.unwrap_or(ctx.now.date().year());
    let calendars: Vec<_> =
        ctx.rules.calendars.iter().filter(|c| args.name.as_ref().is_none_or(|n| *n == c.name)).collect();
    if let Some(name) = &args.name
        && calendars.is_empty()
    {
        let names: Vec<&str> = ctx.rules.calendars.iter().map(|c| c.name.as_str()).collect();
        return Err(refused(format!(
            "no calendar `{name}` in rules.yaml; calendars: {}",
            if names.is_empty() { "none (add them under `calendars:`)".to_owned() } else { names.join(", ") }
        )));
    }
    if calendars.is_empty() {
        eprintln!("no calendars in rules.yaml; add holidays under `calendars:` (see the README's \"Who is on duty\")");
    }
    let hhmm = |t: Option<jiff::civil::Time>| t.map(|t| t.strftime("%H:%M").to_string());
    let listed: Vec<Listed> = calendars
        .iter()
        .map(|c| Listed {
            name: c.name.clone(),
            closed: c
                .year(year)
                .into_iter()
                .map(|(d, cl)| Day {
                    date: d.to_string(),
                    name: cl.name.clone(),
                    open: hhmm(cl.open),
                    close: hhmm(cl.close),
                })
                .collect(),
        })
        .collect();
    let data = serde_json::json!({ "year": year, "calendars": &listed });
    emit(ctx.format, &data, || {
        let mut t = Table::new(&["calendar", "date", "closed for", "hours"]);
        for (c, cal) in listed.iter().zip(&calendars) {
            for (day, (date, _)) in c.closed.iter().zip(cal.year(year)) {
                let hours = match (&day.open, &day.close) {
                    (None, None) => "closed all day".to_owned(),
                    (Some(o), None) => format!("opens {o}"),
                    (None, Some(cl)) => format!("closes {cl}"),
                    (Some(o), Some(cl)) => format!("open {o}–{cl}"),
                };
                t.row(vec![c.name.clone(), date.strftime("%a %d %b %Y").to_string(), day.name.clone(), hours]);
            }
        }
        t
    })
}
