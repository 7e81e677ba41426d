//! Terminal charts: horizontal bars for shares and sparklines for series (block characters,
//! so they survive copy-paste, `NO_COLOR` and mail).

use super::Num;

const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A bar `width` cells wide filled to `fraction` (clamped to 0–1), in eighths of a cell;
/// the unfilled part is dotted so the scale shows.
pub fn bar(fraction: f64, width: usize) -> String {
    let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
    let eighths = (f * (width * 8) as f64).round() as usize;
    let (full, part) = (eighths / 8, eighths % 8);
    let mut s = "█".repeat(full);
    let mut used = full;
    if part > 0 {
        s.push(EIGHTHS[part]);
        used += 1;
    }
    s.push_str(&"·".repeat(width.saturating_sub(used)));
    s
}

/// One character per value, scaled from 0 to the largest value.
pub fn sparkline(values: &[f64]) -> String {
    let max = values.iter().copied().filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| {
            if max <= 0.0 || !v.is_finite() || *v <= 0.0 {
                SPARKS[0]
            } else {
                SPARKS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// Minutes as `45m`, `3h05m` or `2d`.
pub fn hm(m: Num) -> String {
    let m = m.0.round() as i64;
    match m {
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d", m / (24 * 60)),
    }
}

/// Minutes as `hm`, or `–` when there are none.
pub fn opt_hm(m: Option<Num>) -> String {
    m.map_or_else(|| "–".to_owned(), hm)
}

/// A share (0–1) as a whole percentage; `–` when there is none.
pub fn percent(share: Option<Num>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| format!("{:.0}%", s.0 * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_eighths() {
        assert_eq!(bar(0.0, 4), "····");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██··");
        // 0.3 of 4 cells = 9.6 eighths → 10 eighths: one full cell and a quarter.
        assert_eq!(bar(0.3, 4), "█▎··");
        assert_eq!(bar(2.0, 2), "██");
        assert_eq!(bar(f64::NAN, 2), "··");
    }

    #[test]
    fn sparklines_scale_to_the_largest_value() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 4.0]), "▁▃▅█");
        assert_eq!(sparkline(&[0.0, 0.0]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
