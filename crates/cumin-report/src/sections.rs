//! The report's sections on the curves: by age (the recommended estimator with its band
//! and the numbers at risk), by deprivation decile (curves with intervals, the gradient
//! before 18 and its indices), and by any other stratification. Every number comes from
//! the released `cumulative_incidence.csv` and `inequality.csv` rows.

use crate::cell::{Shown, Symbol, escape, percent_with_interval, value};
use crate::chart::{PALETTE, Point, Series, age_chart, category_chart};
use crate::headline::{PATHWAY, birthday, main_mode, outcome_label, recommended_among};
use crate::tables::CiRow;
use cumin_census::Outcome;
use cumin_estimate::{CurveEstimator, InequalityKind, InequalityMeasure, Stratification};
use std::fmt::Write as _;

/// A chart of the page, also written as `figures/{name}`.
pub struct Figure {
    /// File name under the folder (`figures/…svg`, no `:`).
    pub name: String,
    /// The SVG.
    pub svg: String,
}

/// A stratification's name as a file name: crossed variables joined by `-` rather than
/// `:`, which Windows does not allow in file names.
pub fn file_safe(stratum_var: &str) -> String {
    stratum_var.replace(':', "-")
}

/// The rows of one curve of the main identifier mode, by age.
pub fn curve<'a>(
    rows: &'a [CiRow],
    outcome: Outcome,
    by: Stratification,
    stratum: &str,
    estimator: CurveEstimator,
) -> Vec<&'a CiRow> {
    let main = main_mode(rows);
    let mut out: Vec<&CiRow> = rows
        .iter()
        .filter(|r| {
            r.outcome == outcome
                && r.by == by
                && r.stratum.as_str() == stratum
                && r.estimator == estimator
                && Some(r.id_mode) == main
        })
        .collect();
    out.sort_by_key(|r| r.age);
    out
}

/// The released step ends of a curve as chart points.
pub fn points(rows: &[&CiRow]) -> Vec<(u8, Point)> {
    rows.iter()
        .filter_map(|r| Some((r.age.0 as u8, (r.cum_inc?, r.lower, r.upper))))
        .collect()
}

/// The recommended estimator of `outcome` among the curves of stratification `by`.
pub fn recommended_for(
    rows: &[CiRow],
    outcome: Outcome,
    by: Stratification,
) -> Option<CurveEstimator> {
    let of = rows.iter().filter(|r| r.outcome == outcome && r.by == by);
    recommended_among(outcome, of.map(|r| r.estimator))
}

/// The numbers at risk under a chart: the released denominators at each step's first age.
fn at_risk_table(rows: &[&CiRow]) -> String {
    let shown: Vec<&&CiRow> = rows.iter().filter(|r| r.step_from.is_some()).collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut s = String::from("<table class=\"risk\"><tr><th>age from</th>");
    for r in &shown {
        let _ = write!(s, "<td>{}</td>", r.step_from.map_or(0, |a| a.0));
    }
    s.push_str("</tr><tr><th>at risk</th>");
    for r in &shown {
        let _ = write!(
            s,
            "<td>{}</td>",
            value(r.at_risk, Shown::Count, Symbol::Withheld)
        );
    }
    s.push_str("</tr></table>");
    s
}

/// Curves by age: per outcome the recommended estimator of all children, its band, and
/// the numbers at risk at each released step.
pub fn by_age(rows: &[CiRow], figures: &mut Vec<Figure>) -> String {
    let mut html = String::from(
        "<section id=\"by-age\"><h2>Curves by age</h2><p>The share of children with each \
         outcome before each birthday (recommended estimator, 95% confidence band). Curves \
         are released in steps; the table under each chart gives the children at risk at \
         the start of each step (for the cohort splice, the population of the birth cohort \
         supplying those ages).</p>",
    );
    for outcome in PATHWAY {
        let Some(estimator) = recommended_for(rows, outcome, Stratification::ALL) else {
            continue;
        };
        let c = curve(rows, outcome, Stratification::ALL, "all", estimator);
        let name = format!("figures/{}_all.svg", outcome.as_str());
        let svg = age_chart(
            outcome_label(outcome),
            &[Series {
                label: estimator.as_str().to_owned(),
                colour: PALETTE[8],
                band: true,
                points: points(&c),
            }],
        );
        let _ = write!(
            html,
            "<figure>{svg}<figcaption>{} ({})</figcaption>{}</figure>",
            escape(outcome_label(outcome)),
            escape(estimator.as_str()),
            at_risk_table(&c)
        );
        figures.push(Figure { name, svg });
    }
    html.push_str("</section>");
    html
}

fn decile_label(d: &str) -> String {
    match d {
        "1" => "1 (most deprived)".to_owned(),
        "10" => "10 (least deprived)".to_owned(),
        _ => d.to_owned(),
    }
}

/// The measure `kind` of `outcome` and `estimator` at the oldest age that has one.
fn measure(
    ineq: &[InequalityMeasure],
    outcome: Outcome,
    estimator: CurveEstimator,
    kind: InequalityKind,
) -> Option<&InequalityMeasure> {
    ineq.iter()
        .filter(|m| m.outcome == outcome && m.estimator == estimator && m.measure == kind)
        .max_by_key(|m| m.age)
}

fn with_limits(m: Option<&InequalityMeasure>, how: Shown) -> String {
    match m {
        None => Symbol::NotAvailable.html(),
        Some(m) => format!(
            "{} ({} to {})",
            value(Some(m.value), how, Symbol::NotApplicable),
            value(Some(m.lower), how, Symbol::NotApplicable),
            value(Some(m.upper), how, Symbol::NotApplicable)
        ),
    }
}

/// Whether an index of inequality is too unstable to read: a relative index outside
/// 0–10, or negative, as happens when the least deprived deciles' estimate is near zero.
pub fn unstable(rii: Option<&InequalityMeasure>) -> bool {
    rii.is_some_and(|m| !m.value.is_finite() || m.value < 0.0 || m.value > 10.0)
}

/// The indices of inequality of one outcome, in words.
fn indices(ineq: &[InequalityMeasure], outcome: Outcome, estimator: CurveEstimator) -> String {
    let ratio = measure(ineq, outcome, estimator, InequalityKind::RatioD1D10);
    let sii = measure(ineq, outcome, estimator, InequalityKind::Sii);
    let rii = measure(ineq, outcome, estimator, InequalityKind::Rii);
    let Some(age) = ratio.or(sii).or(rii).map(|m| m.age.0 as u8) else {
        return "<p class=\"note\">Indices of inequality: not available (every decile needs \
                a released estimate at the same age).</p>"
            .to_owned();
    };
    let mut s = format!(
        "<ul class=\"indices\"><li>Most over least deprived decile (D1/D10 ratio), before the \
         {} birthday: {}</li><li>Slope index of inequality (SII, the gap across the whole \
         gradient): {} percentage points</li><li>Relative index of inequality (RII): {}</li></ul>",
        birthday(age),
        with_limits(ratio, Shown::Ratio),
        with_limits(sii, Shown::Percent),
        with_limits(rii, Shown::Ratio)
    );
    if unstable(rii) {
        s.push_str(
            "<p class=\"caveat\">Caution: the relative index is unstable here (outside 0 to \
             10 or negative): the least deprived deciles' estimate is too small or too \
             uncertain for a ratio. Read the SII and the decile estimates instead.</p>",
        );
    }
    s
}

/// The deprivation section: per outcome the gradient by decile at the oldest age shown
/// (with intervals) and the indices of inequality beside the decile curves (bands for
/// deciles 1 and 10); then one table of every outcome by decile.
pub fn deprivation(
    rows: &[CiRow],
    ineq: &[InequalityMeasure],
    figures: &mut Vec<Figure>,
) -> Option<String> {
    let by = Stratification::parse("idaci_decile")?;
    if !rows.iter().any(|r| r.by == by) {
        return None;
    }
    let deciles: Vec<String> = (1..=10).map(|d| d.to_string()).collect();
    let mut html = String::from(
        "<section id=\"deprivation\"><h2>Deprivation</h2><p>By IDACI decile of the child's \
         neighbourhood at the event: decile 1 is the most deprived tenth of neighbourhoods, \
         decile 10 the least deprived. Recommended estimator. Left: the estimate by decile \
         with its 95% interval; right: the curves by age (bands for deciles 1 and 10).</p>",
    );
    let mut table: Vec<(Outcome, Vec<Option<&CiRow>>)> = Vec::new();
    for outcome in PATHWAY {
        let Some(estimator) = recommended_for(rows, outcome, by) else {
            continue;
        };
        let curves: Vec<Vec<&CiRow>> = deciles
            .iter()
            .map(|d| curve(rows, outcome, by, d, estimator))
            .collect();
        let series: Vec<Series> = curves
            .iter()
            .enumerate()
            .map(|(i, c)| Series {
                label: decile_label(&deciles[i]),
                colour: PALETTE[i],
                band: i == 0 || i == 9,
                points: points(c),
            })
            .collect();
        let label = outcome_label(outcome);
        let curves_svg = age_chart(&format!("{label}, by decile and age"), &series);
        let last: Vec<Option<&CiRow>> = curves
            .iter()
            .map(|c| c.iter().rev().find(|r| r.cum_inc.is_some()).copied())
            .collect();
        let gradient = category_chart(
            &format!("{label}, by decile"),
            "IDACI decile (1 = most deprived, 10 = least deprived)",
            &deciles,
            &[(
                label.to_owned(),
                PALETTE[8],
                last.iter()
                    .map(|r| r.and_then(|r| Some((r.cum_inc?, r.lower, r.upper))))
                    .collect(),
            )],
            true,
        );
        let _ = write!(
            html,
            "<div class=\"pair\"><h3>{}</h3><figure>{gradient}</figure><figure>{curves_svg}</figure>{}</div>",
            escape(label),
            indices(ineq, outcome, estimator)
        );
        let o = outcome.as_str();
        figures.push(Figure {
            name: format!("figures/{o}_idaci_decile_gradient.svg"),
            svg: gradient,
        });
        figures.push(Figure {
            name: format!("figures/{o}_idaci_decile.svg"),
            svg: curves_svg,
        });
        table.push((outcome, last));
    }
    html.push_str("<table><tr><th>decile</th>");
    for (o, _) in &table {
        let _ = write!(html, "<th>{}</th>", escape(outcome_label(*o)));
    }
    html.push_str("</tr>");
    for (i, d) in deciles.iter().enumerate() {
        let _ = write!(html, "<tr><td>{}</td>", escape(&decile_label(d)));
        for (_, last) in &table {
            let cell = last[i].map_or(Symbol::Withheld.html(), |r| {
                let age = if r.age.0 == 17 {
                    String::new()
                } else {
                    format!("<sup>before {}</sup>", birthday(r.age.0 as u8))
                };
                format!(
                    "{}{age}",
                    percent_with_interval(r.cum_inc, r.lower, r.upper, Symbol::Withheld)
                )
            });
            let _ = write!(html, "<td>{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str(
        "</table><p class=\"note\">Before the 18th birthday unless marked.</p></section>",
    );
    Some(html)
}

/// Other stratifications (sex, ethnicity, LA, crossed): per outcome the curves of up to
/// ten strata, recommended estimator, lines only.
pub fn other_strata(rows: &[CiRow], figures: &mut Vec<Figure>) -> Option<String> {
    let decile = Stratification::parse("idaci_decile");
    let mut vars: Vec<Stratification> = Vec::new();
    for r in rows {
        if r.by != Stratification::ALL && Some(r.by) != decile && !vars.contains(&r.by) {
            vars.push(r.by);
        }
    }
    if vars.is_empty() {
        return None;
    }
    let mut html = String::from("<section id=\"strata\"><h2>Other breakdowns</h2>");
    for by in vars {
        let var = by.name();
        let _ = write!(html, "<h3>By {}</h3>", escape(&var.replace(':', " and ")));
        for outcome in PATHWAY {
            let Some(estimator) = recommended_for(rows, outcome, by) else {
                continue;
            };
            let mut strata: Vec<&str> = Vec::new();
            for r in rows.iter().filter(|r| r.by == by && r.outcome == outcome) {
                if !strata.contains(&r.stratum.as_str()) {
                    strata.push(r.stratum.as_str());
                }
            }
            let series: Vec<Series> = strata
                .iter()
                .take(PALETTE.len())
                .enumerate()
                .map(|(i, s)| Series {
                    label: (*s).to_owned(),
                    colour: PALETTE[(i * 7) % PALETTE.len()],
                    band: false,
                    points: points(&curve(rows, outcome, by, s, estimator)),
                })
                .collect();
            let svg = age_chart(&format!("{} by {var}", outcome_label(outcome)), &series);
            let _ = write!(html, "<figure>{svg}</figure>");
            figures.push(Figure {
                name: format!("figures/{}_{}.svg", outcome.as_str(), file_safe(&var)),
                svg,
            });
        }
    }
    html.push_str("</section>");
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_names_have_no_colon() {
        assert_eq!(file_safe("idaci_decile:sex"), "idaci_decile-sex");
    }

    #[test]
    fn an_rii_outside_0_to_10_is_flagged() {
        let m = |v: f64| InequalityMeasure {
            outcome: Outcome::Cpp,
            estimator: CurveEstimator::CohortSplice,
            age: cumin_census::Age(17),
            measure: InequalityKind::Rii,
            value: v,
            lower: v - 1.0,
            upper: v + 1.0,
        };
        assert!(unstable(Some(&m(-12.5))));
        assert!(unstable(Some(&m(11.0))));
        assert!(!unstable(Some(&m(2.4))));
        assert!(!unstable(None));
    }
}
