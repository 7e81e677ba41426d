//! `stats --format html`: one self-contained page for the weekly meeting. Inline SVG charts
//! and CSS only: no scripts, no fonts or images fetched, readable at 1280×800 and on paper.

use std::fmt::Write as _;

use super::chart::{hm, opt_hm, percent};
use super::{Num, Stats};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r##"
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9dee3; --good: #2f7d32; --bad: #c0392b;
        --bar: #2563a8; --open: #a9c4e2; --other: #b8bec5; --card: #ffffff; --page: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
       font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 24px; }
header h1 { font-size: 22px; margin: 0; }
header p { margin: 2px 0 12px; color: var(--muted); }
.kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin-bottom: 12px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 26px; font-weight: 600; }
.kpi .sub { color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        break-inside: avoid; page-break-inside: avoid; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 15px; margin: 0 0 6px; }
.card p.note { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: var(--ink); }
svg .muted { fill: var(--muted); }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
footer { color: var(--muted); font-size: 12px; margin-top: 12px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } .kpis { grid-template-columns: repeat(2, 1fr); } }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .card, .kpi { border-color: #999; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"##;

/// Horizontal bars: one row per (label, fraction 0–1, text at the right).
fn hbars(title: &str, rows: &[(String, Option<f64>, String)]) -> String {
    const ROW: usize = 24;
    const LABEL: usize = 150;
    const WIDTH: usize = 560;
    const BAR: usize = 250;
    let height = rows.len().max(1) * ROW + 6;
    let mut s = format!(
        r##"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = esc(title)
    );
    for (i, (label, fraction, text)) in rows.iter().enumerate() {
        let y = i * ROW + 4;
        let w = fraction.map_or(0.0, |f| f.clamp(0.0, 1.0) * BAR as f64);
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect x="{LABEL}" y="{y}" width="{BAR}" height="16" fill="#eef1f4"/><rect x="{LABEL}" y="{y}" width="{w:.1}" height="16" fill="#2563a8"/><text x="{vx}" y="{ty}">{text}</text>"##,
            lx = LABEL - 8,
            ty = y + 12,
            label = esc(label),
            vx = LABEL + BAR + 8,
            text = esc(text),
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars over labelled columns (every `label_every`-th label shown).
fn vbars(title: &str, cols: &[(String, usize)], label_every: usize) -> String {
    const WIDTH: f64 = 560.0;
    const HEIGHT: f64 = 170.0;
    const BASE: f64 = 145.0;
    const LEFT: f64 = 30.0;
    let max = cols.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let step = (WIDTH - LEFT - 4.0) / cols.len().max(1) as f64;
    let mut s = format!(
        r##"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><title>{t}</title><line x1="{LEFT}" y1="{BASE}" x2="{WIDTH}" y2="{BASE}" stroke="#9aa5b1"/><text class="muted" x="{lx}" y="18" text-anchor="end">{max}</text><text class="muted" x="{lx}" y="{BASE}" text-anchor="end">0</text>"##,
        t = esc(title),
        lx = LEFT - 4.0,
    );
    for (i, (label, n)) in cols.iter().enumerate() {
        let h = (*n as f64 / max as f64) * (BASE - 14.0);
        let x = LEFT + i as f64 * step + step * 0.12;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="#2563a8"><title>{l}: {n}</title></rect>"##,
            y = BASE - h,
            w = step * 0.76,
            l = esc(label),
        );
        if cols.len() <= 12 && *n > 0 {
            let _ = write!(
                s,
                r##"<text x="{cx:.1}" y="{vy:.1}" text-anchor="middle">{n}</text>"##,
                cx = x + step * 0.38,
                vy = BASE - h - 4.0,
            );
        }
        if label_every > 0 && i % label_every == 0 {
            let _ = write!(
                s,
                r##"<text class="muted" x="{cx:.1}" y="{ly}" text-anchor="middle">{l}</text>"##,
                cx = x + step * 0.38,
                ly = BASE + 16.0,
                l = esc(label),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// One row of a stacked chart: label, segments of (count, colour), text at the right.
type StackedRow<'a> = (String, Vec<(usize, &'a str)>, String);

/// 100 %-stacked bars, one row each.
fn stacked(title: &str, rows: &[StackedRow]) -> String {
    const ROW: usize = 24;
    const LABEL: usize = 150;
    const WIDTH: usize = 560;
    const BAR: f64 = 220.0;
    let height = rows.len().max(1) * ROW + 6;
    let mut s = format!(
        r##"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = esc(title)
    );
    for (i, (label, segments, text)) in rows.iter().enumerate() {
        let y = i * ROW + 4;
        let total: usize = segments.iter().map(|s| s.0).sum();
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end">{l}</text>"##,
            lx = LABEL - 8,
            ty = y + 12,
            l = esc(label)
        );
        let mut x = LABEL as f64;
        for (n, colour) in segments {
            if total == 0 || *n == 0 {
                continue;
            }
            let w = *n as f64 / total as f64 * BAR;
            let _ = write!(s, r##"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="16" fill="{colour}"/>"##);
            x += w;
        }
        let _ = write!(
            s,
            r##"<text x="{vx}" y="{ty}">{t}</text>"##,
            vx = LABEL as f64 + BAR + 8.0,
            ty = y + 12,
            t = esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

/// `2026-11-30T18:00:00-06:00` → `2026-11-30 18:00`.
fn short_stamp(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => rfc3339.to_owned(),
    }
}

fn fraction(n: Option<Num>) -> Option<f64> {
    n.map(|n| n.0)
}

fn person(id: &str, name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{} <span class=\"muted\">({})</span>", esc(n), esc(id)),
        None => esc(id),
    }
}

fn kpi(out: &mut String, label: &str, value: &str, sub: &str) {
    let _ = write!(
        out,
        r##"<div class="kpi"><div class="label">{}</div><div class="value">{}</div><div class="sub">{}</div></div>"##,
        esc(label),
        esc(value),
        esc(sub)
    );
}

fn card(out: &mut String, id: &str, title: &str, wide: bool, body: &str) {
    let _ = write!(
        out,
        r##"<section class="card{}" id="{id}"><h2>{}</h2>{body}</section>"##,
        if wide { " wide" } else { "" },
        esc(title)
    );
}

fn table(headers: &[&str], numeric: &[bool], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">None in this period.</p>".to_owned();
    }
    let class = |i: usize| if numeric.get(i).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
    let mut s = String::from("<table><thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let _ = write!(s, "<th{}>{}</th>", class(i), esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(s, "<td{}>{cell}</td>", class(i));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// The whole page. Cells passed to `table` are HTML already (escaped here).
pub fn render(s: &Stats) -> String {
    let title = format!("Lead handoff stats {} to {}", s.since, s.until);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<header><h1>How the team is doing</h1><p>Leads captured {} to {} · as of {}</p></header>",
        s.since,
        s.until,
        esc(&short_stamp(&s.as_of.to_string())),
    );

    out.push_str("<section class=\"kpis\" id=\"kpis\">");
    kpi(&mut out, "Leads captured", &s.captured.to_string(), &format!("{} escalations", s.escalations));
    kpi(
        &mut out,
        "Capture → acceptance",
        &opt_hm(s.speed_to_accept.median_minutes),
        &format!("median · p90 {}", opt_hm(s.speed_to_accept.p90_minutes)),
    );
    kpi(
        &mut out,
        "Capture → first movement",
        &opt_hm(s.speed_to_first_movement.median_minutes),
        &format!("median · p90 {}", opt_hm(s.speed_to_first_movement.p90_minutes)),
    );
    let aw = &s.accepted_in_window;
    kpi(&mut out, "Accepted in SOP window", &percent(aw.share), &format!("{} of {} leads", aw.within, aw.total));
    let eod = &s.next_action_at_eod;
    kpi(
        &mut out,
        "Next action at day's end",
        &percent(eod.share),
        &format!("{} of {} open lead-days", eod.count, eod.total),
    );
    out.push_str("</section>\n<div class=\"grid\">\n");

    let every = (s.daily.len() / 8).max(1);
    let cols: Vec<(String, usize)> =
        s.daily.iter().map(|d| (d.date.strftime("%b %-d").to_string(), d.captured)).collect();
    card(&mut out, "captured-per-day", "Leads captured per day", false, &vbars("Leads captured per day", &cols, every));

    let cols: Vec<(String, usize)> = s.accept_histogram.iter().map(|b| (b.label.to_owned(), b.count)).collect();
    let body = format!(
        "{}<p class=\"note\">Capture → first acceptance, leads captured in the period. Median {}, 90th percentile {}.</p>",
        vbars("Time from capture to acceptance", &cols, 1),
        opt_hm(s.speed_to_accept.median_minutes),
        opt_hm(s.speed_to_accept.p90_minutes),
    );
    card(&mut out, "time-to-accept", "Time to accept", false, &body);

    let rows: Vec<_> = aw
        .by_urgency
        .iter()
        .map(|u| {
            let window = u.window_minutes.map_or_else(String::new, |m| format!(" ({})", hm(Num(m as f64))));
            (
                format!("{}{window}", u.urgency),
                fraction(u.share),
                format!("{} · {}/{}", percent(u.share), u.within, u.total),
            )
        })
        .collect();
    let body = if rows.is_empty() {
        "<p class=\"note\">No lead with an acceptance window in this period.</p>".to_owned()
    } else {
        hbars("Accepted within the SOP window, by urgency", &rows)
    };
    card(&mut out, "window-by-urgency", "Accepted within the SOP window, by urgency", false, &body);

    let rows: Vec<_> = s
        .by_source
        .iter()
        .map(|x| {
            let closed: usize = x.outcomes.values().sum();
            let other = closed.saturating_sub(x.converted + x.lost);
            (
                x.source.clone(),
                vec![(x.converted, "#2f7d32"), (x.lost, "#c0392b"), (other, "#b8bec5"), (x.open, "#a9c4e2")],
                format!("{} converted · {} leads", percent(x.conversion), x.captured),
            )
        })
        .collect();
    let body = if rows.is_empty() {
        "<p class=\"note\">No leads captured in this period.</p>".to_owned()
    } else {
        format!(
            "{}<div class=\"legend\"><span><i style=\"background:var(--good)\"></i>booked/won</span><span><i style=\"background:var(--bad)\"></i>lost/no-response</span><span><i style=\"background:var(--other)\"></i>other outcome</span><span><i style=\"background:var(--open)\"></i>open</span></div>",
            stacked("Outcomes by source", &rows)
        )
    };
    card(&mut out, "conversion-by-source", "Outcomes and conversion by source", false, &body);

    let rows: Vec<_> =
        s.qa.iter().map(|q| (q.key.clone(), fraction(q.yes_rate), format!("{} yes · {} no", q.yes, q.no))).collect();
    let reviewed = s.qa.iter().any(|q| q.yes + q.no > 0);
    let body = if reviewed {
        hbars("QA yes-rate per question", &rows)
    } else {
        "<p class=\"note\">No QA reviews recorded in this period.</p>".to_owned()
    };
    card(&mut out, "qa", "QA: yes-rate per question", false, &body);

    let rows = s
        .by_owner
        .iter()
        .map(|o| {
            vec![
                person(&o.owner, &o.name),
                o.handed.to_string(),
                o.accepted.to_string(),
                opt_hm(o.median_minutes_to_accept),
                o.rejections.to_string(),
                o.transfers_out.to_string(),
                o.escalations.to_string(),
            ]
        })
        .collect();
    let body = table(
        &["Owner", "Handed", "Accepted", "Median to accept", "Rejected", "Transferred out", "Escalations"],
        &[false, true, true, true, true, true, true],
        rows,
    );
    card(&mut out, "by-owner", "By owner", true, &body);

    let rows = s
        .slowest
        .iter()
        .map(|x| {
            vec![
                esc(x.customer.as_deref().unwrap_or("–")),
                format!("<code>{}</code>", esc(x.id.as_str())),
                x.owner.as_deref().map(|o| person(o, &x.owner_name)).unwrap_or_default(),
                esc(x.urgency.as_deref().unwrap_or_default()),
                format!("{}{}", hm(x.minutes), if x.accepted { "" } else { " (still waiting)" }),
            ]
        })
        .collect();
    let body = table(&["Customer", "Lead", "Owner", "Urgency", "Waited"], &[false, false, false, false, true], rows);
    card(&mut out, "slowest", "Waited longest for acceptance", true, &body);

    let rows = s
        .rejections
        .iter()
        .map(|r| {
            vec![
                esc(r.customer.as_deref().unwrap_or("–")),
                format!("<code>{}</code>", esc(r.id.as_str())),
                person(&r.by, &r.by_name),
                esc(r.reason.as_deref().unwrap_or_default()),
                esc(&r.missing.join(", ")),
            ]
        })
        .collect();
    let body = table(&["Customer", "Lead", "Rejected by", "Reason", "Missing"], &[], rows);
    card(&mut out, "rejections", "Rejections and their reasons", true, &body);

    if let (Some(by), Some(groups)) = (s.by, &s.groups) {
        let rows = groups
            .iter()
            .map(|g| {
                vec![
                    person(&g.key, &g.name),
                    g.captured.to_string(),
                    opt_hm(g.speed_to_accept.median_minutes),
                    opt_hm(g.speed_to_accept.p90_minutes),
                    percent(g.accepted_in_window.share),
                    percent(g.conversion.share),
                    g.escalations.to_string(),
                ]
            })
            .collect();
        let body = table(
            &[by.as_str(), "Captured", "Median to accept", "p90", "In window", "Conversion", "Escalations"],
            &[false, true, true, true, true, true, true],
            rows,
        );
        let title = format!("Leads captured in the period, by {}", by.as_str().replace('_', " "));
        card(&mut out, "groups", &title, true, &body);
    }

    out.push_str(
        "</div>\n<footer>Each figure is defined in docs/stats.md. Made by <code>handoff stats --format html</code> from the lead files.</footer>\n</main>\n</body>\n</html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc(r##"<b>"O'Neil" & co</b>"##), "&lt;b&gt;&quot;O&#39;Neil&quot; &amp; co&lt;/b&gt;");
    }
}
