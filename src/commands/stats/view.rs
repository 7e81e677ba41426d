//! The terminal view of `Stats` (headline figures with bars and sparklines, then tables),
//! and the flat `section, key, name, metric, value` table that csv and md print.

use std::fmt::Write as _;

use crate::output::{Table, render_md, render_table};
use crate::stats::chart::{bar, hm, opt_hm, percent, sparkline};
use crate::stats::{Group, Num, Share, Speed, Stats};

const BAR: usize = 20;

fn share_bar(s: &Share) -> String {
    format!("{} {:>4} ({}/{})", bar(s.share.map_or(0.0, |n| n.0), BAR), percent(s.share), s.count, s.total)
}

fn speed_line(s: &Speed) -> String {
    let mut line = format!("median {} · p90 {}", opt_hm(s.median_minutes), opt_hm(s.p90_minutes));
    if s.median_business_minutes.is_some() {
        let _ = write!(
            line,
            "  (business hours: median {} · p90 {})",
            opt_hm(s.median_business_minutes),
            opt_hm(s.p90_business_minutes)
        );
    }
    let _ = write!(line, "  n={}", s.count);
    line
}

fn name_of(id: &str, name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{n} ({id})"),
        None => id.to_owned(),
    }
}

/// The terminal view.
pub fn render(s: &Stats, colour: bool) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "Stats {} → {} (as of {})", s.since, s.until, s.as_of);
    let captured: Vec<f64> = s.daily.iter().map(|d| d.captured as f64).collect();
    let _ = writeln!(w);
    let _ = writeln!(w, "Leads captured           {:>5}  {}  per day", s.captured, sparkline(&captured));
    let _ = writeln!(w, "Capture → acceptance     {}", speed_line(&s.speed_to_accept));
    let _ = writeln!(w, "Capture → first movement {}", speed_line(&s.speed_to_first_movement));
    let aw = &s.accepted_in_window;
    let _ = writeln!(
        w,
        "Accepted in SOP window   {}{}",
        share_bar(&Share { count: aw.within, total: aw.total, share: aw.share }),
        if aw.pending > 0 { format!(", {} still within window", aw.pending) } else { String::new() }
    );
    for u in &aw.by_urgency {
        let window = u.window_minutes.map_or_else(String::new, |m| {
            format!("{}{}", hm(Num(m as f64)), if u.hours == Some("business") { " business" } else { "" })
        });
        let _ = writeln!(
            w,
            "  {:<22} {}",
            format!("{} ({window})", u.urgency),
            share_bar(&Share { count: u.within, total: u.total, share: u.share })
        );
    }
    let _ = writeln!(w, "Next action at day's end {}  open lead-days", share_bar(&s.next_action_at_eod));
    let _ = writeln!(w, "Escalations              {:>5}", s.escalations);
    let hist_max = s.accept_histogram.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let _ = writeln!(w, "\nTime to accept (leads captured in the period)");
    for b in &s.accept_histogram {
        let _ = writeln!(w, "  {:<7} {} {}", b.label, bar(b.count as f64 / hist_max as f64, BAR), b.count);
    }

    let t = owner_table(s);
    section(w, "By owner", &t, colour);

    let mut t = Table::new(&["source", "captured", "open", "booked/won", "lost/no-response", "conversion"]);
    for x in &s.by_source {
        t.row(vec![
            x.source.clone(),
            x.captured.to_string(),
            x.open.to_string(),
            x.converted.to_string(),
            x.lost.to_string(),
            format!("{} {}", bar(x.conversion.map_or(0.0, |n| n.0), 10), percent(x.conversion)),
        ]);
    }
    section(w, "Outcomes by source (leads captured in the period)", &t, colour);

    let mut t = Table::new(&["question", "yes", "no", "yes-rate"]);
    for q in s.qa.iter().filter(|q| q.yes + q.no > 0) {
        t.row(vec![
            q.key.clone(),
            q.yes.to_string(),
            q.no.to_string(),
            format!("{} {}", bar(q.yes_rate.map_or(0.0, |n| n.0), 10), percent(q.yes_rate)),
        ]);
    }
    section(w, "QA answers", &t, colour);

    let mut t = Table::new(&["id", "customer", "owner", "urgency", "waited", ""]);
    for x in &s.slowest {
        t.row(vec![
            x.id.to_string(),
            x.customer.clone().unwrap_or_default(),
            x.owner.as_deref().map(|o| name_of(o, &x.owner_name)).unwrap_or_default(),
            x.urgency.clone().unwrap_or_default(),
            hm(x.minutes),
            if x.accepted { String::new() } else { "still waiting".to_owned() },
        ]);
    }
    section(w, "Waited longest for acceptance", &t, colour);

    let mut t = Table::new(&["id", "customer", "by", "reason", "missing"]);
    for r in &s.rejections {
        t.row(vec![
            r.id.to_string(),
            r.customer.clone().unwrap_or_default(),
            name_of(&r.by, &r.by_name),
            r.reason.clone().unwrap_or_default().replace('\n', " "),
            r.missing.join(", "),
        ]);
    }
    section(w, "Rejections", &t, colour);

    if let (Some(by), Some(groups)) = (s.by, &s.groups) {
        let t = groups_table(by.as_str(), groups, "esc");
        section(w, &format!("Split by {} (leads captured in the period)", by.as_str()), &t, colour);
    }
    out
}

/// One row per `--by` group; `esc` names the escalations column (narrow on a terminal).
fn groups_table(by: &str, groups: &[Group], esc: &str) -> Table {
    let mut t = Table::new(&[by, "captured", "median to accept", "p90", "in window", "conversion", esc]);
    for g in groups {
        t.row(vec![
            name_of(&g.key, &g.name),
            g.captured.to_string(),
            opt_hm(g.speed_to_accept.median_minutes),
            opt_hm(g.speed_to_accept.p90_minutes),
            percent(g.accepted_in_window.share),
            percent(g.conversion.share),
            g.escalations.to_string(),
        ]);
    }
    t
}

/// Per owner: handoffs, acceptances, median time to accept, rejections, transfers out and
/// escalations (the terminal and markdown views share it).
fn owner_table(s: &Stats) -> Table {
    let mut t =
        Table::new(&["owner", "handed", "accepted", "median to accept", "rejected", "transferred out", "escalations"]);
    for o in &s.by_owner {
        t.row(vec![
            name_of(&o.owner, &o.name),
            o.handed.to_string(),
            o.accepted.to_string(),
            opt_hm(o.median_minutes_to_accept),
            o.rejections.to_string(),
            o.transfers_out.to_string(),
            o.escalations.to_string(),
        ]);
    }
    t
}

fn section(out: &mut String, title: &str, t: &Table, colour: bool) {
    let _ = writeln!(out, "\n{title}");
    if t.is_empty() {
        let _ = writeln!(out, "  (none)");
    } else {
        out.push_str(&render_table(t, colour));
    }
}

fn num(n: Option<Num>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Every figure as one row of `section, key, name, metric, value` (csv and md).
pub fn flat(s: &Stats) -> Table {
    let mut t = Table::new(&["section", "key", "name", "metric", "value"]);
    let mut row = |section: &str, key: &str, name: &str, metric: &str, value: String| {
        t.row(vec![section.to_owned(), key.to_owned(), name.to_owned(), metric.to_owned(), value]);
    };
    row("period", "", "", "since", s.since.to_string());
    row("period", "", "", "until", s.until.to_string());
    row("period", "", "", "as_of", s.as_of.to_string());
    row("total", "", "", "captured", s.captured.to_string());
    for (name, sp) in [("speed_to_accept", &s.speed_to_accept), ("speed_to_first_movement", &s.speed_to_first_movement)]
    {
        row(name, "", "", "count", sp.count.to_string());
        row(name, "", "", "median_minutes", num(sp.median_minutes));
        row(name, "", "", "p90_minutes", num(sp.p90_minutes));
        row(name, "", "", "median_business_minutes", num(sp.median_business_minutes));
        row(name, "", "", "p90_business_minutes", num(sp.p90_business_minutes));
    }
    let aw = &s.accepted_in_window;
    row("accepted_in_window", "", "", "within", aw.within.to_string());
    row("accepted_in_window", "", "", "total", aw.total.to_string());
    row("accepted_in_window", "", "", "share", num(aw.share));
    for u in &aw.by_urgency {
        row("accepted_in_window", &u.urgency, "", "within", u.within.to_string());
        row("accepted_in_window", &u.urgency, "", "total", u.total.to_string());
        row("accepted_in_window", &u.urgency, "", "share", num(u.share));
    }
    row("next_action_at_eod", "", "", "count", s.next_action_at_eod.count.to_string());
    row("next_action_at_eod", "", "", "total", s.next_action_at_eod.total.to_string());
    row("next_action_at_eod", "", "", "share", num(s.next_action_at_eod.share));
    row("total", "", "", "escalations", s.escalations.to_string());
    for o in &s.by_owner {
        let n = o.name.clone().unwrap_or_default();
        row("by_owner", &o.owner, &n, "handed", o.handed.to_string());
        row("by_owner", &o.owner, &n, "accepted", o.accepted.to_string());
        row("by_owner", &o.owner, &n, "median_minutes_to_accept", num(o.median_minutes_to_accept));
        row("by_owner", &o.owner, &n, "rejections", o.rejections.to_string());
        row("by_owner", &o.owner, &n, "transfers_out", o.transfers_out.to_string());
        row("by_owner", &o.owner, &n, "transfers_in", o.transfers_in.to_string());
        row("by_owner", &o.owner, &n, "escalations", o.escalations.to_string());
    }
    for x in &s.by_source {
        row("by_source", &x.source, "", "captured", x.captured.to_string());
        row("by_source", &x.source, "", "open", x.open.to_string());
        for (outcome, n) in &x.outcomes {
            row("by_source", &x.source, "", outcome, n.to_string());
        }
        row("by_source", &x.source, "", "converted", x.converted.to_string());
        row("by_source", &x.source, "", "lost", x.lost.to_string());
        row("by_source", &x.source, "", "conversion", num(x.conversion));
    }
    for q in &s.qa {
        row("qa", &q.key, "", "yes", q.yes.to_string());
        row("qa", &q.key, "", "no", q.no.to_string());
        row("qa", &q.key, "", "yes_rate", num(q.yes_rate));
    }
    for d in &s.daily {
        row("daily", &d.date.to_string(), "", "captured", d.captured.to_string());
    }
    for r in &s.rejections {
        let reason = r.reason.clone().unwrap_or_default();
        row("rejections", r.id.as_str(), r.customer.as_deref().unwrap_or_default(), &r.by, reason);
    }
    for x in &s.slowest {
        row("slowest", x.id.as_str(), x.customer.as_deref().unwrap_or_default(), "minutes", x.minutes.to_string());
    }
    if let (Some(by), Some(groups)) = (s.by, &s.groups) {
        let section = format!("by_{}", by.as_str());
        for g in groups {
            let n = g.name.clone().unwrap_or_default();
            row(&section, &g.key, &n, "captured", g.captured.to_string());
            row(&section, &g.key, &n, "median_minutes", num(g.speed_to_accept.median_minutes));
            row(&section, &g.key, &n, "p90_minutes", num(g.speed_to_accept.p90_minutes));
            row(&section, &g.key, &n, "accepted_in_window", num(g.accepted_in_window.share));
            row(&section, &g.key, &n, "conversion", num(g.conversion.share));
            row(&section, &g.key, &n, "escalations", g.escalations.to_string());
        }
    }
    t
}

/// A markdown document for mail and wikis: the headline figures, then the tables.
pub fn markdown(s: &Stats) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# How the team is doing, {} to {}\n", s.since, s.until);
    let speed =
        |sp: &Speed| format!("median {}, p90 {} (n={})", opt_hm(sp.median_minutes), opt_hm(sp.p90_minutes), sp.count);
    let aw = &s.accepted_in_window;
    let _ = writeln!(w, "- Leads captured: **{}**", s.captured);
    let _ = writeln!(w, "- Capture → acceptance: {}", speed(&s.speed_to_accept));
    let _ = writeln!(w, "- Capture → first movement: {}", speed(&s.speed_to_first_movement));
    let _ = writeln!(w, "- Accepted within the SOP window: **{}** ({} of {})", percent(aw.share), aw.within, aw.total);
    for u in &aw.by_urgency {
        let _ = writeln!(w, "  - {}: {} ({} of {})", u.urgency, percent(u.share), u.within, u.total);
    }
    let eod = &s.next_action_at_eod;
    let _ = writeln!(
        w,
        "- Next action at day's end: {} of {} open lead-days ({})",
        eod.count,
        eod.total,
        percent(eod.share)
    );
    let _ = writeln!(w, "- Escalations: {}", s.escalations);
    let mut table = |title: &str, t: Table| {
        let _ = writeln!(w, "\n## {title}\n");
        if t.is_empty() {
            let _ = writeln!(w, "None.");
        } else {
            w.push_str(&render_md(&t));
        }
    };
    let t = owner_table(s);
    table("By owner", t);
    let mut t = Table::new(&["source", "captured", "open", "booked/won", "lost/no-response", "conversion"]);
    for x in &s.by_source {
        t.row(vec![
            x.source.clone(),
            x.captured.to_string(),
            x.open.to_string(),
            x.converted.to_string(),
            x.lost.to_string(),
            percent(x.conversion),
        ]);
    }
    table("Outcomes by source", t);
    let mut t = Table::new(&["question", "yes", "no", "yes-rate"]);
    for q in s.qa.iter().filter(|q| q.yes + q.no > 0) {
        t.row(vec![q.key.clone(), q.yes.to_string(), q.no.to_string(), percent(q.yes_rate)]);
    }
    table("QA answers", t);
    let mut t = Table::new(&["customer", "id", "owner", "waited"]);
    for x in &s.slowest {
        t.row(vec![
            x.customer.clone().unwrap_or_default(),
            x.id.to_string(),
            x.owner.as_deref().map(|o| name_of(o, &x.owner_name)).unwrap_or_default(),
            format!("{}{}", hm(x.minutes), if x.accepted { "" } else { " (still waiting)" }),
        ]);
    }
    table("Waited longest for acceptance", t);
    let mut t = Table::new(&["customer", "id", "by", "reason", "missing"]);
    for r in &s.rejections {
        t.row(vec![
            r.customer.clone().unwrap_or_default(),
            r.id.to_string(),
            name_of(&r.by, &r.by_name),
            r.reason.clone().unwrap_or_default(),
            r.missing.join(", "),
        ]);
    }
    table("Rejections", t);
    if let (Some(by), Some(groups)) = (s.by, &s.groups) {
        let t = groups_table(by.as_str(), groups, "escalations");
        table(&format!("Split by {}", by.as_str()), t);
    }
    let _ = writeln!(w, "\nDefinitions: docs/stats.md.");
    out
}
