//! `report.html`: one self-contained page (no network) with the curves, tables, linkage
//! quality and the ledger. Figures are inline SVG, also written as `.svg` files.
//!
//! The page shows only released tables, so it carries no figure the CSV outputs do not:
//! curves, headline and figures from the released `cumulative_incidence` rows (step
//! ends), linkage from the released `linkage.csv`, the ledger through the same count
//! rule; and it states what the folder may release.

use crate::sdc::{LedgerLine, Released};
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
    /// Released ledger lines.
    pub ledger: &'a Released<Vec<LedgerLine>>,
    /// Every file of the folder and its release status (this page and its figures
    /// included).
    pub files: Vec<(String, &'static str)>,
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
    html.push_str("</table><h2>Ledger</h2><p class=\"note\">Every input row: read = used + quarantined + excluded (counts through disclosure control; the exact ledger is analyst-only/ledger.csv).</p><table><tr><th>file</th><th>reason</th><th>rows</th></tr>");
    for l in input.ledger.get() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.file),
            escape(&l.reason),
            number(Some(l.rows))
        );
    }
    html.push_str("</table>");
}

/// What the folder may release: the profile, and every file's status (`files`: those
/// written before the page, then the page, its figures, `sdc.json` and the manifest).
fn disclosure_status(html: &mut String, input: &ReportInput<'_>, files: &[(String, &str)]) {
    let profile = input.ci.profile();
    if profile.controls() {
        let _ = write!(
            html,
            "<p class=\"note\">Disclosure control: {} ({}). Withheld figures are blank; curves \
             are shown in steps and drawn only through released points. Each file's rule is in \
             sdc.json.</p>",
            escape(profile.as_str()),
            escape(profile.description())
        );
    } else {
        html.push_str(
            "<p class=\"banner\">NOT FOR RELEASE: written under --sdc none, without disclosure \
             control. Every file of this folder is for the analyst only.</p>",
        );
    }
    html.push_str("<h2>Release status</h2><table><tr><th>file</th><th>status</th></tr>");
    for (name, status) in files {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(status)
        );
    }
    html.push_str("</table>");
}

/// A chart: the stratification it shows (`None`: all children), its file and its SVG.
struct Chart {
    by: Option<String>,
    name: String,
    svg: String,
}

/// Every chart of the page, from the released rows: per outcome the curves of all
/// children, then per stratification and outcome the strata of one estimator.
fn charts(rows: &[CiRow]) -> Vec<Chart> {
    let all = curves(rows);
    let mut outcomes: Vec<String> = rows.iter().map(|r| r.outcome.as_str().to_owned()).collect();
    outcomes.sort();
    outcomes.dedup();
    let mut out = Vec::new();
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
        out.push(Chart {
            by: None,
            name: format!("figures/{outcome}_all.svg"),
            svg: svg_chart(&format!("{outcome}: all children"), &series, true),
        });
    }
    let mut strata_vars: Vec<String> = rows
        .iter()
        .filter(|r| r.by != cumin_estimate::Stratification::ALL)
        .map(|r| r.by.name())
        .collect();
    strata_vars.sort();
    strata_vars.dedup();
    for var in &strata_vars {
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
            out.push(Chart {
                by: Some(var.clone()),
                name: format!("figures/{outcome}_{var}.svg"),
                svg: svg_chart(&format!("{outcome} by {var} ({estimator})"), &series, false),
            });
        }
    }
    out
}

/// Renders the page and its figures: returns the HTML and `(file name, svg)` pairs.
pub fn render(input: &ReportInput<'_>) -> (String, Vec<(String, String)>) {
    let rows = input.ci.get();
    let all = curves(rows);
    let charts = charts(rows);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         th{{background:#f4f4f4}}td:first-child,th:first-child{{text-align:left}}figure{{display:inline-block;margin:0.5em}}\
         .note{{color:#666;font-size:90%}}.banner{{color:#fff;background:#b2182b;padding:0.5em;font-weight:bold}}</style></head><body><h1>{t}</h1>",
        t = escape(&input.title)
    );
    for c in &input.context {
        let _ = write!(html, "<p class=\"note\">{}</p>", escape(c));
    }
    let status = crate::spec::Status::ForRelease.label(input.ci.profile().controls());
    let mut files = input.files.clone();
    files.push(("report.html".to_owned(), status));
    files.extend(charts.iter().map(|c| (c.name.clone(), status)));
    files.push(("sdc.json".to_owned(), status));
    files.push(("manifest.json".to_owned(), status));
    disclosure_status(&mut html, input, &files);

    headline_table(&mut html, &all);

    html.push_str("<h2>Cumulative incidence by age</h2>");
    let mut section: Option<&str> = None;
    for c in &charts {
        if let Some(var) = c.by.as_deref()
            && section != Some(var)
        {
            let _ = write!(html, "<h2>By {}</h2>", escape(var));
            section = Some(var);
        }
        let _ = write!(html, "<figure>{}</figure>", c.svg);
    }

    linkage_and_ledger(&mut html, input);
    html.push_str("</body></html>\n");
    (html, charts.into_iter().map(|c| (c.name, c.svg)).collect())
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
    use crate::curve::{CurveLabel, release_curves};
    use crate::sdc::{SdcProfile, release_ledger, release_linkage};
    use cumin_estimate::{Curve, CurveEstimator, Kind, Point, Stratification, Stratum};

    fn curve(stratum_var: &str, stratum: &str, step: f64) -> Curve {
        Curve {
            outcome: cumin_census::Outcome::Referral,
            estimator: CurveEstimator::LifeTableUnadjusted,
            by: Stratification::parse(stratum_var).unwrap(),
            stratum: Stratum::new(stratum),
            kind: Kind::LifeTable,
            corrected: false,
            points: (0..18)
                .map(|a| {
                    let cum = step * (a as f64 + 1.0);
                    Point {
                        age: a,
                        events: 100.0,
                        at_risk: 1000.0,
                        cum_inc: cum,
                        se: 0.01,
                        ci: cumin_stats::Interval {
                            lower: cum - 0.01,
                            upper: cum + 0.01,
                        },
                    }
                })
                .collect(),
        }
    }

    fn input_for(profile: SdcProfile, f: impl FnOnce(&ReportInput<'_>)) {
        let curves = [curve("all", "all", 0.02), curve("idaci_decile", "1", 0.03)];
        let labels: Vec<CurveLabel<'_>> = curves
            .iter()
            .map(|curve| CurveLabel {
                curve,
                id_mode: cumin_link::IdMode::Combined,
            })
            .collect();
        let ci = release_curves(profile, 0.95, &crate::spec::CUMULATIVE_INCIDENCE, &labels);
        let (linkage, _) = release_linkage(profile, vec![]);
        let ledger = release_ledger(
            profile,
            vec![LedgerLine {
                file: "a.csv".into(),
                reason: "excluded:child_without_birth_date".into(),
                rows: 3.0,
            }],
        );
        let input = ReportInput {
            title: "cumin <test>".into(),
            context: vec!["data end 2024-03-31".into()],
            ci: &ci,
            linkage: &linkage,
            ledger: &ledger,
            files: vec![("cumulative_incidence.csv".into(), "for release")],
        };
        f(&input);
    }

    #[test]
    fn renders_a_self_contained_page_with_figures() {
        input_for(SdcProfile::None, |input| {
            let (html, figs) = render(input);
            assert!(html.contains("cumin &lt;test&gt;"));
            assert!(!html.contains("<script"), "no scripts");
            assert!(
                !html.contains("src=\"http") && !html.contains("href=\"http"),
                "no network resources"
            );
            assert_eq!(figs.len(), 2);
            assert!(figs[0].1.starts_with("<svg"));
            assert!(
                html.contains("36.0"),
                "the age-17 headline is shown: {html}"
            );
            assert!(html.contains("NOT FOR RELEASE"));
            assert!(html.contains("<td>figures/referral_all.svg</td>"));
        });
    }

    #[test]
    fn the_page_shows_released_numbers_only() {
        input_for(SdcProfile::OnsSrs, |input| {
            let (html, _) = render(input);
            assert!(!html.contains("NOT FOR RELEASE"));
            assert!(
                html.contains("<td>excluded:child_without_birth_date</td><td></td>"),
                "the ledger's 3 is withheld: {html}"
            );
        });
    }
}
