//! The report's charts, as inline SVG (also written as `figures/*.svg`): curves by age
//! with their confidence bands, and estimates by category (decile, period, identifier
//! mode) as points with their intervals. They draw released values only; the tables
//! beside them carry the numbers.

use crate::cell::escape;
use std::fmt::Write as _;

const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 280.0;
const MARGIN: (f64, f64, f64, f64) = (48.0, 16.0, 22.0, 36.0); // left, right, top, bottom

/// Ten colours from most deprived (red) to least deprived (purple); also used in order
/// for other series.
pub const PALETTE: [&str; 10] = [
    "#b2182b", "#d6604d", "#f4a582", "#e08214", "#b8a800", "#7fbc41", "#4d9221", "#35978f",
    "#2166ac", "#542788",
];

/// One estimate with its interval.
pub type Point = (f64, Option<f64>, Option<f64>);

/// One line of a chart by age.
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Colour.
    pub colour: &'static str,
    /// Whether its confidence band is drawn.
    pub band: bool,
    /// (age, estimate, lower, upper) at the released step ends.
    pub points: Vec<(u8, Point)>,
}

/// The top of the y axis: the highest value drawn, up to the next tenth (at least 1%).
fn y_top(values: impl Iterator<Item = f64>) -> f64 {
    let top = values
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(0.01);
    if top > 0.1 {
        (top * 10.0).ceil() / 10.0
    } else {
        (top * 100.0).ceil() / 100.0
    }
}

fn open(s: &mut String, title: &str, height: f64) {
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="10" role="img"><title>{t}</title><text x="{}" y="13" font-size="11" font-weight="bold">{t}</text>"#,
        MARGIN.0,
        t = escape(title)
    );
}

/// Horizontal grid lines and percentage labels.
fn y_axis(s: &mut String, top: f64, y: &dyn Fn(f64) -> f64) {
    let (ml, mr, _, _) = MARGIN;
    for i in 0..=5 {
        let v = top * f64::from(i) / 5.0;
        let decimals = usize::from(top < 0.05);
        let _ = write!(
            s,
            r##"<line x1="{ml}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.*}%</text>"##,
            WIDTH - mr,
            ml - 4.0,
            y(v) + 3.0,
            decimals,
            v * 100.0,
            y0 = y(v)
        );
    }
}

fn legend(s: &mut String, entries: &[(&str, &str)]) {
    let (ml, _, mt, _) = MARGIN;
    for (i, (label, colour)) in entries.iter().enumerate() {
        let ly = mt + 6.0 + 11.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            ml + 8.0,
            ly - 3.0,
            ml + 22.0,
            ly + 1.0,
            escape(label)
        );
    }
}

/// Curves by age (0–17: incidence before the next birthday), each through its released
/// step ends, with the bands of the series that ask for one.
pub fn age_chart(title: &str, series: &[Series]) -> String {
    let (ml, mr, mt, mb) = MARGIN;
    let top = y_top(
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1.2.unwrap_or(p.1.0))),
    );
    let x = |age: f64| ml + (age / 17.0) * (WIDTH - ml - mr);
    let y = |v: f64| mt + (1.0 - v / top) * (HEIGHT - mt - mb);
    let mut s = String::new();
    open(&mut s, title, HEIGHT);
    y_axis(&mut s, top, &y);
    for age in (0..=17).step_by(2) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{age}</text>"#,
            x(f64::from(age)),
            HEIGHT - mb + 12.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">age in years (estimate before the next birthday)</text>"#,
        (ml + WIDTH - mr) / 2.0,
        HEIGHT - 6.0
    );
    for ser in series.iter().filter(|s| s.band) {
        let band: Vec<(u8, f64, f64)> = ser
            .points
            .iter()
            .filter_map(|(a, (_, lo, hi))| Some((*a, (*lo)?, (*hi)?)))
            .collect();
        if band.len() < 2 {
            continue;
        }
        let mut d = String::new();
        for (a, _, hi) in &band {
            let _ = write!(d, "{:.1},{:.1} ", x(f64::from(*a)), y(*hi));
        }
        for (a, lo, _) in band.iter().rev() {
            let _ = write!(d, "{:.1},{:.1} ", x(f64::from(*a)), y(*lo));
        }
        let _ = write!(
            s,
            r#"<polygon points="{}" fill="{}" fill-opacity="0.18" stroke="none"/>"#,
            d.trim_end(),
            ser.colour
        );
    }
    for ser in series {
        let mut d = String::new();
        for (a, (v, _, _)) in &ser.points {
            let _ = write!(d, "{:.1},{:.1} ", x(f64::from(*a)), y(*v));
        }
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.8"><title>{}</title></polyline>"#,
            d.trim_end(),
            ser.colour,
            escape(&ser.label)
        );
        // The released step ends, so a curve of one step still shows.
        for (a, (v, _, _)) in &ser.points {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="1.8" fill="{}"/>"#,
                x(f64::from(*a)),
                y(*v),
                ser.colour
            );
        }
    }
    if series.len() > 1 {
        let entries: Vec<(&str, &str)> = series
            .iter()
            .map(|s| (s.label.as_str(), s.colour))
            .collect();
        legend(&mut s, &entries);
    }
    s.push_str("</svg>");
    s
}

/// Estimates by category: for each category (x), one point per series with its
/// interval, the series' points joined by a line when `join` (a trend, a gradient).
pub fn category_chart(
    title: &str,
    x_label: &str,
    categories: &[String],
    series: &[(String, &'static str, Vec<Option<Point>>)],
    join: bool,
) -> String {
    let (ml, mr, mt, mb) = MARGIN;
    let top = y_top(
        series
            .iter()
            .flat_map(|s| s.2.iter().flatten().map(|p| p.2.unwrap_or(p.0))),
    );
    let n = categories.len().max(1) as f64;
    let slot = (WIDTH - ml - mr) / n;
    let k = series.len().max(1) as f64;
    let x = |i: usize, j: usize| {
        ml + slot * (i as f64 + 0.5) + (j as f64 - (k - 1.0) / 2.0) * (slot * 0.6 / k)
    };
    let y = |v: f64| mt + (1.0 - v / top) * (HEIGHT - mt - mb);
    let mut s = String::new();
    let keyed = series.len() > 1;
    open(&mut s, title, if keyed { HEIGHT + 16.0 } else { HEIGHT });
    y_axis(&mut s, top, &y);
    for (i, c) in categories.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            ml + slot * (i as f64 + 0.5),
            HEIGHT - mb + 12.0,
            escape(c)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        (ml + WIDTH - mr) / 2.0,
        HEIGHT - 6.0,
        escape(x_label)
    );
    for (j, (label, colour, points)) in series.iter().enumerate() {
        let mut line = String::new();
        for (i, p) in points.iter().enumerate() {
            let Some((v, lo, hi)) = p else { continue };
            let cx = x(i, j);
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let _ = write!(
                    s,
                    r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.2"/>"#,
                    y(*lo),
                    y(*hi)
                );
            }
            let _ = write!(
                s,
                r#"<circle cx="{cx:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}</title></circle>"#,
                y(*v),
                escape(label)
            );
            let _ = write!(line, "{cx:.1},{:.1} ", y(*v));
        }
        if join && line.split(' ').filter(|p| !p.is_empty()).count() > 1 {
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1" stroke-opacity="0.6"/>"#,
                line.trim_end()
            );
        }
    }
    if keyed {
        // Below the axis, in a row: points near the top of the plot stay visible.
        let step = (WIDTH - ml - mr) / series.len() as f64;
        for (j, (label, colour, _)) in series.iter().enumerate() {
            let lx = ml + step * j as f64;
            let _ = write!(
                s,
                r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                HEIGHT + 6.0,
                lx + 14.0,
                HEIGHT + 10.0,
                escape(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_titles_escaped() {
        let s = age_chart(
            "a <b>",
            &[Series {
                label: "x".into(),
                colour: PALETTE[0],
                band: true,
                points: vec![
                    (0, (0.1, Some(0.05), Some(0.15))),
                    (17, (0.3, Some(0.2), Some(0.4))),
                ],
            }],
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("a &lt;b&gt;") && s.contains("<polygon"));
        let c = category_chart(
            "g",
            "decile",
            &["1".into(), "2".into()],
            &[(
                "s".into(),
                PALETTE[1],
                vec![Some((0.2, Some(0.1), Some(0.3))), None],
            )],
            true,
        );
        assert_eq!(c.matches("<circle").count(), 1);
    }
}
