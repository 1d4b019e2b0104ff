//! Charts drawn on the server as SVG: a heat map, a line chart, horizontal bars and stacked bars.
//! Each is an `<svg role="img">` with a title and a description, and every mark carries a
//! `<title>` with its figure; pages put the same numbers in a table beside it, so the chart is
//! never the only way to read them.

use std::fmt::Write;

/// Text escaped for XML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn open(id: &str, title: &str, desc: &str, width: u32, height: u32) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="os-chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="11"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    )
}

/// The heat map of counts per weekday (rows, labels given Monday first) and hour (columns),
/// over the hours that have any count (at least 8:00–19:00).
pub fn heat_map(
    id: &str,
    title: &str,
    desc: &str,
    weekdays: &[String; 7],
    cells: &[(i8, i8, u64)],
) -> String {
    let first = cells.iter().filter(|c| c.2 > 0).map(|c| c.1).min().unwrap_or(8).min(8);
    let last = cells.iter().filter(|c| c.2 > 0).map(|c| c.1).max().unwrap_or(19).max(19);
    let hours = u32::try_from(last - first + 1).unwrap_or(12);
    let max = cells.iter().map(|c| c.2).max().unwrap_or(0).max(1);
    let (cell, left, top) = (28u32, 90u32, 20u32);
    let mut svg = open(id, title, desc, left + hours * cell + 10, top + 7 * cell + 10);
    for h in 0..hours {
        let _ = write!(
            svg,
            r#"<text x="{}" y="14" text-anchor="middle">{:02}</text>"#,
            left + h * cell + cell / 2,
            i64::from(first) + i64::from(h)
        );
    }
    for (d, name) in weekdays.iter().enumerate() {
        let y = top + u32::try_from(d).unwrap_or(0) * cell;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6,
            y + cell / 2 + 4,
            esc(name)
        );
        for h in 0..hours {
            let hour = i8::try_from(i64::from(first) + i64::from(h)).unwrap_or(0);
            let weekday = i8::try_from(d + 1).unwrap_or(1);
            let n = cells.iter().find(|c| c.0 == weekday && c.1 == hour).map_or(0, |c| c.2);
            // From pale to the theme's dark teal.
            let shade = n * 100 / max;
            let light = 96 - shade * 70 / 100;
            let _ = write!(
                svg,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="hsl(190,70%,{light}%)" stroke="#fff"><title>{} {:02}:00 — {n}</title></rect>"##,
                left + h * cell,
                y,
                cell,
                cell,
                esc(name),
                hour
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A line chart of two series (e.g. median and 90th percentile waits) over labelled points, in
/// minutes.
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    names: [&str; 2],
    points: &[(String, [Option<f64>; 2])],
) -> String {
    let (width, height, left, bottom, top) = (640u32, 240u32, 44u32, 40u32, 16u32);
    let mut svg = open(id, title, desc, width, height);
    let max = points.iter().flat_map(|p| p.1.iter().flatten()).fold(1.0f64, |a, b| a.max(*b)).ceil();
    let plot_h = f64::from(height - bottom - top);
    let n = points.len().max(2);
    let step = f64::from(width - left - 10) / (n - 1) as f64;
    let y = |v: f64| f64::from(top) + plot_h - v / max * plot_h;
    for tick in 0..=4 {
        let v = max * f64::from(tick) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"##,
            width - 10,
            y(v),
            y(v),
            left - 4,
            y(v) + 4.0
        );
    }
    let colours = ["#005a70", "#e8a33d"];
    for (s, colour) in colours.iter().enumerate() {
        let mut path = String::new();
        for (i, (label, values)) in points.iter().enumerate() {
            let Some(v) = values[s] else { continue };
            let x = f64::from(left) + step * i as f64;
            let _ = write!(path, "{}{x:.1},{:.1} ", if path.is_empty() { "M" } else { "L" }, y(v));
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {v:.1}</title></circle>"#,
                y(v),
                esc(label),
                esc(names[s])
            );
        }
        let _ = write!(svg, r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>"#);
        if names[s].is_empty() {
            continue;
        }
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
            left + u32::try_from(s).unwrap_or(0) * 160,
            height - 14,
            left + 14 + u32::try_from(s).unwrap_or(0) * 160,
            height - 5,
            esc(names[s])
        );
    }
    let every = (points.len() / 8).max(1);
    for (i, (label, _)) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            f64::from(left) + step * i as f64,
            height - bottom + 14,
            esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of labelled values.
pub fn bars(id: &str, title: &str, desc: &str, items: &[(String, u64)]) -> String {
    let (width, row, left) = (640u32, 22u32, 230u32);
    let rows = u32::try_from(items.len()).unwrap_or(0);
    let mut svg = open(id, title, desc, width, rows * row + 10);
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    for (i, (label, v)) in items.iter().enumerate() {
        let y = u32::try_from(i).unwrap_or(0) * row + 4;
        let w = u32::try_from(*v * u64::from(width - left - 60) / max).unwrap_or(0);
        let short: String = label.chars().take(34).collect();
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{y}" width="{w}" height="{}" fill="#005a70"><title>{}: {v}</title></rect><text x="{}" y="{}">{v}</text>"##,
            left - 6,
            y + 13,
            esc(&short),
            row - 6,
            esc(label),
            left + w + 4,
            y + 13
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Stacked horizontal bars: each row's parts, in the given colours, with a legend.
pub fn stacked(
    id: &str,
    title: &str,
    desc: &str,
    parts: &[(&str, &str)],
    rows: &[(String, Vec<u64>)],
) -> String {
    let (width, row, left) = (640u32, 24u32, 200u32);
    let n = u32::try_from(rows.len()).unwrap_or(0);
    let mut svg = open(id, title, desc, width, n * row + 34);
    let max = rows.iter().map(|r| r.1.iter().sum::<u64>()).max().unwrap_or(0).max(1);
    for (i, (label, values)) in rows.iter().enumerate() {
        let y = u32::try_from(i).unwrap_or(0) * row + 4;
        let _ =
            write!(svg, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 6, y + 14, esc(label));
        let mut x = left;
        for ((name, colour), v) in parts.iter().zip(values) {
            let w = u32::try_from(*v * u64::from(width - left - 20) / max).unwrap_or(0);
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{}" fill="{colour}"><title>{} — {}: {v}</title></rect>"#,
                row - 6,
                esc(label),
                esc(name)
            );
            x += w;
        }
    }
    for (i, (name, colour)) in parts.iter().enumerate() {
        let x = left + u32::try_from(i).unwrap_or(0) * 140;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
            n * row + 12,
            x + 14,
            n * row + 21,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_svg_with_every_figure() {
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from);
        let heat = heat_map("h", "Flow <by> hour", "Visits", &days, &[(1, 9, 40), (5, 18, 3)]);
        assert!(heat.starts_with("<svg") && heat.ends_with("</svg>"));
        assert!(heat.contains(r#"role="img""#) && heat.contains("Flow &lt;by&gt; hour"));
        assert!(
            heat.contains("<title>Mon 09:00 — 40</title>") && heat.contains("<title>Fri 18:00 — 3</title>")
        );
        let l = lines(
            "l",
            "Waits",
            "d",
            ["p50", "p90"],
            &[("a".into(), [Some(3.0), Some(9.5)]), ("b".into(), [None, Some(2.0)])],
        );
        assert!(l.contains("<title>a p90: 9.5</title>") && !l.contains("b p50"));
        let b = bars("b", "Mix", "d", &[("ID card".into(), 10), ("Passport & visa".into(), 5)]);
        assert!(b.contains("<title>Passport &amp; visa: 5</title>"));
        let s = stacked(
            "s",
            "Deadlines",
            "d",
            &[("on time", "#0a0"), ("late", "#a00")],
            &[("Other".into(), vec![3, 1])],
        );
        assert!(s.contains("<title>Other — late: 1</title>"));
    }
}
