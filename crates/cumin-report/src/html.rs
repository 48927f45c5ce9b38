//! `report.html`: one self-contained page (no network) with the curves, tables, linkage
//! quality and the ledger. Figures are inline SVG, also written as `.svg` files.
//!
//! The page shows only released tables, so it carries no figure the CSV outputs do not.

use crate::sdc::Released;
use crate::tables::{CiRow, LinkageRow};
use crate::write::{ReportError, number, write_text};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the report shows.
pub struct ReportInput<'a> {
    /// Title line.
    pub title: String,
    /// Lines of context (tool version, inputs, data end, profile).
    pub context: Vec<String>,
    /// Released cumulative-incidence rows.
    pub ci: &'a Released<Vec<CiRow>>,
    /// Released linkage rows.
    pub linkage: &'a Released<Vec<LinkageRow>>,
    /// Ledger lines: file, reason, rows.
    pub ledger: Vec<(String, String, u64)>,
}

const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 280.0;
const MARGIN: (f64, f64, f64, f64) = (48.0, 16.0, 22.0, 36.0); // left, right, top, bottom
const PALETTE: [&str; 10] = [
    "#b2182b", "#d6604d", "#f4a582", "#e08214", "#b8a800", "#7fbc41", "#4d9221", "#35978f",
    "#2166ac", "#542788",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One line on a chart: label, colour, points (age, estimate, lower, upper).
struct Series {
    label: String,
    colour: &'static str,
    points: Vec<(u8, f64, Option<f64>, Option<f64>)>,
}

fn svg_chart(title: &str, series: &[Series], bands: bool) -> String {
    let (ml, mr, mt, mb) = MARGIN;
    let ymax = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.3.unwrap_or(p.1)))
        .fold(0.0f64, f64::max)
        .max(0.01);
    let ymax = (ymax * 10.0).ceil() / 10.0;
    let x = |age: f64| ml + (age / 17.0) * (WIDTH - ml - mr);
    let y = |v: f64| mt + (1.0 - v / ymax) * (HEIGHT - mt - mb);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="10"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        s,
        r#"<text x="{ml}" y="13" font-size="11" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for i in 0..=5 {
        let v = ymax * f64::from(i) / 5.0;
        let _ = write!(
            s,
            r##"<line x1="{ml}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            WIDTH - mr,
            ml - 4.0,
            y(v) + 3.0,
            v * 100.0,
            y0 = y(v)
        );
    }
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
        r#"<text x="{:.1}" y="{}" text-anchor="middle">age (incidence before the next birthday)</text>"#,
        (ml + WIDTH - mr) / 2.0,
        HEIGHT - 6.0
    );
    for ser in series {
        let band: Vec<&(u8, f64, Option<f64>, Option<f64>)> = ser
            .points
            .iter()
            .filter(|p| p.2.is_some() && p.3.is_some())
            .collect();
        if bands && band.len() > 1 {
            let mut d = String::new();
            for p in &band {
                let _ = write!(d, "{:.1},{:.1} ", x(f64::from(p.0)), y(p.3.unwrap_or(p.1)));
            }
            for p in band.iter().rev() {
                let _ = write!(d, "{:.1},{:.1} ", x(f64::from(p.0)), y(p.2.unwrap_or(p.1)));
            }
            let _ = write!(
                s,
                r#"<polygon points="{}" fill="{}" fill-opacity="0.15" stroke="none"/>"#,
                d.trim_end(),
                ser.colour
            );
        }
        let mut d = String::new();
        for p in &ser.points {
            let _ = write!(d, "{:.1},{:.1} ", x(f64::from(p.0)), y(p.1));
        }
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6"><title>{}</title></polyline>"#,
            d.trim_end(),
            ser.colour,
            escape(&ser.label)
        );
    }
    for (i, ser) in series.iter().enumerate() {
        let ly = mt + 6.0 + 11.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            ml + 8.0,
            ly - 3.0,
            ser.colour,
            ml + 22.0,
            ly + 1.0,
            escape(&ser.label)
        );
    }
    s.push_str("</svg>");
    s
}

fn curves(rows: &[CiRow]) -> Curves<'_> {
    let mut m: Curves<'_> = BTreeMap::new();
    for r in rows {
        m.entry((
            r.outcome.as_str().to_owned(),
            r.by.name(),
            r.estimator.as_str().to_owned(),
            r.stratum.as_str().to_owned(),
        ))
        .or_default()
        .push(r);
    }
    m
}

fn series_of(label: String, colour: &'static str, rows: &[&CiRow]) -> Series {
    let mut points: Vec<(u8, f64, Option<f64>, Option<f64>)> = rows
        .iter()
        .filter_map(|r| r.cum_inc.map(|c| (r.age.0 as u8, c, r.lower, r.upper)))
        .collect();
    points.sort_by_key(|p| p.0);
    Series {
        label,
        colour,
        points,
    }
}

type Curves<'a> = BTreeMap<(String, String, String, String), Vec<&'a CiRow>>;

/// The table of estimates before 18, stratum `all`.
fn headline_table(html: &mut String, all: &Curves<'_>) {
    html.push_str("<h2>Before the 18th birthday</h2><table><tr><th>outcome</th><th>estimator</th><th>%</th><th>95% CI</th></tr>");
    for ((outcome, var, estimator, _), rs) in all {
        if var != "all" {
            continue;
        }
        if let Some(r) = rs.iter().find(|r| r.age == cumin_census::Age(17)) {
            let pct = |x: Option<f64>| x.map_or(String::new(), |v| format!("{:.1}", 100.0 * v));
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td></tr>",
                escape(outcome),
                escape(estimator),
                pct(r.cum_inc),
                pct(r.lower),
                pct(r.upper)
            );
        }
    }
    html.push_str("</table>");
}

/// The released linkage rows and the ledger, as tables.
fn linkage_and_ledger(html: &mut String, input: &ReportInput<'_>) {
    html.push_str("<h2>Linkage</h2><table><tr><th>id mode</th><th>measure</th><th>value</th></tr>");
    for r in input.linkage.get() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(r.id_mode.as_str()),
            escape(&r.measure.to_string()),
            number(Some(r.value))
        );
    }
    html.push_str("</table><h2>Ledger</h2><p class=\"note\">Every input row: read = used + quarantined + excluded.</p><table><tr><th>file</th><th>reason</th><th>rows</th></tr>");
    for (f, reason, n) in &input.ledger {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{n}</td></tr>",
            escape(f),
            escape(reason)
        );
    }
    html.push_str("</table>");
}

/// Renders the page and its figures: returns the HTML and `(file name, svg)` pairs.
pub fn render(input: &ReportInput<'_>) -> (String, Vec<(String, String)>) {
    let rows = input.ci.get();
    let all = curves(rows);
    let mut outcomes: Vec<String> = rows.iter().map(|r| r.outcome.as_str().to_owned()).collect();
    outcomes.dedup();
    outcomes.sort();
    outcomes.dedup();
    let mut figures = Vec::new();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         th{{background:#f4f4f4}}td:first-child,th:first-child{{text-align:left}}figure{{display:inline-block;margin:0.5em}}\
         .note{{color:#666;font-size:90%}}</style></head><body><h1>{t}</h1>",
        t = escape(&input.title)
    );
    for c in &input.context {
        let _ = write!(html, "<p class=\"note\">{}</p>", escape(c));
    }
    let _ = write!(
        html,
        "<p class=\"note\">Disclosure control: {} — withheld figures are blank and the curves are drawn only through released points.</p>",
        escape(input.ci.profile().description())
    );

    headline_table(&mut html, &all);

    html.push_str("<h2>Cumulative incidence by age</h2>");
    for outcome in &outcomes {
        let series: Vec<Series> = all
            .iter()
            .filter(|((o, v, _, _), _)| o == outcome && v == "all")
            .enumerate()
            .map(|(i, ((_, _, est, _), rs))| {
                series_of(est.clone(), PALETTE[(i * 3) % PALETTE.len()], rs)
            })
            .collect();
        if series.is_empty() {
            continue;
        }
        let svg = svg_chart(&format!("{outcome}: all children"), &series, true);
        let name = format!("figures/{outcome}_all.svg");
        let _ = write!(html, "<figure>{svg}</figure>");
        figures.push((name, svg));
    }
    let mut strata_vars: Vec<String> = rows
        .iter()
        .filter(|r| r.by != cumin_estimate::Stratification::ALL)
        .map(|r| r.by.name())
        .collect();
    strata_vars.sort();
    strata_vars.dedup();
    for var in &strata_vars {
        let _ = write!(html, "<h2>By {}</h2>", escape(var));
        for outcome in &outcomes {
            let Some(estimator) = rows
                .iter()
                .find(|r| r.outcome.as_str() == outcome && &r.by.name() == var)
                .map(|r| r.estimator.as_str().to_owned())
            else {
                continue;
            };
            let mut levels: Vec<(&String, &Vec<&CiRow>)> = all
                .iter()
                .filter(|((o, v, e, _), _)| o == outcome && v == var && *e == estimator)
                .map(|((_, _, _, l), rs)| (l, rs))
                .collect();
            levels.sort_by_key(|(l, _)| {
                l.parse::<i64>()
                    .map_or((1, (*l).clone()), |n| (0, format!("{n:06}")))
            });
            let series: Vec<Series> = levels
                .iter()
                .take(PALETTE.len())
                .enumerate()
                .map(|(i, (l, rs))| series_of((*l).clone(), PALETTE[i], rs))
                .collect();
            // Ten overlapping bands would hide the lines: strata charts show lines only.
            let svg = svg_chart(&format!("{outcome} by {var} ({estimator})"), &series, false);
            let name = format!("figures/{outcome}_{var}.svg");
            let _ = write!(html, "<figure>{svg}</figure>");
            figures.push((name, svg));
        }
    }

    linkage_and_ledger(&mut html, input);
    html.push_str("</body></html>\n");
    (html, figures)
}

/// Writes `report.html` and its SVG figures under `dir`; returns the files written.
pub fn write_report(dir: &Path, input: &ReportInput<'_>) -> Result<Vec<PathBuf>, ReportError> {
    let (html, figures) = render(input);
    let mut files = Vec::new();
    let page = dir.join("report.html");
    write_text(&page, &html)?;
    files.push(page);
    for (name, svg) in figures {
        let p = dir.join(name);
        write_text(&p, &svg)?;
        files.push(p);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::{SdcProfile, release, release_linkage};

    fn row(stratum_var: &str, stratum: &str, age: u8, cum: f64) -> CiRow {
        CiRow {
            outcome: cumin_census::Outcome::Referral,
            estimator: cumin_estimate::CurveEstimator::LifeTable,
            id_mode: cumin_link::IdMode::Combined,
            by: cumin_estimate::Stratification::parse(stratum_var).unwrap(),
            stratum: cumin_estimate::Stratum::new(stratum),
            age: cumin_census::Age(age as i8),
            events: Some(100.0),
            at_risk: Some(1000.0),
            cum_inc: Some(cum),
            lower: Some(cum - 0.01),
            upper: Some(cum + 0.01),
            suppressed: false,
        }
    }

    #[test]
    fn renders_a_self_contained_page_with_figures() {
        let mut rows: Vec<CiRow> = (0..18)
            .map(|a| row("all", "all", a, 0.02 * f64::from(a)))
            .collect();
        rows.extend((0..18).map(|a| row("idaci_decile", "1", a, 0.03 * f64::from(a))));
        let ci = release(SdcProfile::None, rows);
        let linkage = release_linkage(SdcProfile::None, vec![]);
        let input = ReportInput {
            title: "cumin <test>".into(),
            context: vec!["data end 2024-03-31".into()],
            ci: &ci,
            linkage: &linkage,
            ledger: vec![("a.csv".into(), "used".into(), 10)],
        };
        let (html, figs) = render(&input);
        assert!(html.contains("cumin &lt;test&gt;"));
        assert!(!html.contains("<script"), "no scripts");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "no network resources"
        );
        assert_eq!(figs.len(), 2);
        assert!(figs[0].1.starts_with("<svg"));
        assert!(
            html.contains("34.0"),
            "the age-17 headline is shown: {html}"
        );
    }
}
