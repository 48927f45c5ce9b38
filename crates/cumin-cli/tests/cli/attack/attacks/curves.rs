//! Attacks on the curve tables (`cumulative_incidence.csv` and `.parquet`,
//! `sensitivity.csv`, `trend.csv`) and the figures drawn from them.

use super::{Ctx, Found};
use crate::attack::cells::{CurveKey, curve_cell};
use crate::attack::folder::{Folder, Table, has_ext};
use crate::attack::solver::{Con, INF};
use std::collections::BTreeMap;

/// The standard normal quantile of a 95% interval (`cumin_stats::interval::z_for(0.95)`).
pub const Z95: f64 = 1.959_963_984_540_054;

/// One age of a curve as shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Point {
    /// Age.
    pub age: u8,
    /// First age of the step this row closes (a `step_from` column, where a curve is
    /// released in steps and each shown row gives the events since the last shown age);
    /// `age` when the table has no such column.
    pub from: u8,
    /// Events shown.
    pub events: Option<f64>,
    /// At-risk count shown (at `from`).
    pub at_risk: Option<f64>,
    /// Cumulative incidence (blank: `None`).
    pub f: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// A curve: the table it is from, its period (`trend.csv`) and key, and its ages.
#[derive(Clone, Debug)]
pub struct Curve {
    /// Cell-name prefix of the table (`ci`, `sens`, `trend`).
    pub prefix: &'static str,
    /// Period, for `trend.csv`.
    pub period: Option<String>,
    /// Outcome, estimator, identifiers, stratum.
    pub key: CurveKey,
    /// Ages in order.
    pub points: Vec<Point>,
    /// Half the last shown digit of the cumulative incidence, where the table shows it
    /// to fewer than 9 decimals (0: full precision).
    pub f_half: f64,
}

impl Curve {
    /// The name of a count cell of this curve.
    pub fn cell(&self, age: u8, column: &str) -> String {
        curve_cell(self.prefix, self.period.as_deref(), &self.key, age, column)
    }

    /// Whether the curve is a cohort splice (a sum of rates) rather than a life table
    /// (a product of survival factors).
    pub fn is_splice(&self) -> bool {
        self.key.estimator.starts_with("cohort-splice")
    }

    /// The cell of the events a row shows: one age's, or a step's (an auxiliary cell,
    /// the sum of its ages').
    pub fn events_cell(&self, p: &Point) -> String {
        if p.from == p.age {
            self.cell(p.age, "events")
        } else {
            let c = self.cell(p.age, "events");
            format!("{c}@{}", p.from)
        }
    }

    /// The point at `age`.
    pub fn at(&self, age: u8) -> Option<&Point> {
        self.points.iter().find(|p| p.age == age)
    }
}

/// The curve tables and their prefixes.
pub const CURVE_TABLES: [(&str, &str); 3] = [
    ("cumulative_incidence", "ci"),
    ("sensitivity", "sens"),
    ("trend", "trend"),
];

/// Every curve of the released curve tables, with its file.
pub fn curves_of(folder: &Folder) -> Vec<(String, Curve)> {
    let mut out = Vec::new();
    for (stem, prefix) in CURVE_TABLES {
        for (file, t) in folder.tables_named(stem) {
            out.extend(
                curves_in(t, prefix)
                    .into_iter()
                    .map(|c| (file.to_owned(), c)),
            );
        }
    }
    out
}

/// The curves of one table.
pub fn curves_in(t: &Table, prefix: &'static str) -> Vec<Curve> {
    let c = |n: &str| t.col(n);
    let period = t.has("period");
    let key_of = |r: &[String]| {
        let key = CurveKey {
            outcome: r[c("outcome")].clone(),
            estimator: r[c("estimator")].clone(),
            id_mode: r[c("id_mode")].clone(),
            stratum_var: r[c("stratum_var")].clone(),
            stratum: r[c("stratum")].clone(),
        };
        (period.map(|p| r[p].clone()), key)
    };
    let mut map: BTreeMap<(Option<String>, CurveKey), Vec<Point>> = BTreeMap::new();
    for r in &t.rows {
        let Ok(age) = r[c("age")].parse::<u8>() else {
            continue;
        };
        let from = t
            .has("step_from")
            .and_then(|s| r[s].parse::<u8>().ok())
            .unwrap_or(age);
        map.entry(key_of(r)).or_default().push(Point {
            age,
            from,
            events: Table::num(r, c("events")),
            at_risk: Table::num(r, c("at_risk")),
            f: Table::num(r, c("cum_inc")),
            lower: Table::num(r, c("lower")),
            upper: Table::num(r, c("upper")),
        });
    }
    // Precision: full when any cumulative incidence of the table shows more than 8
    // decimals; else each curve's, from the most decimals it shows.
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
    let full = t.rows.iter().any(|r| decimals(&r[c("cum_inc")]) > 8);
    let mut shown: BTreeMap<(Option<String>, CurveKey), usize> = BTreeMap::new();
    if !full {
        for r in &t.rows {
            let e = shown.entry(key_of(r)).or_default();
            *e = (*e).max(decimals(&r[c("cum_inc")]));
        }
    }
    map.into_iter()
        .map(|((period, key), mut points)| {
            let f_half = shown
                .get(&(period.clone(), key.clone()))
                .map_or(0.0, |d| 0.5 * 10f64.powi(-(*d as i32)));
            points.sort_by_key(|p| p.age);
            Curve {
                prefix,
                period,
                key,
                points,
                f_half,
            }
        })
        .collect()
}

/// The rate at `age` implied by the cumulative incidence there and at the age before:
/// the increment of a splice (`E/P`), the hazard of a life table (`E/R`).
pub fn step(splice: bool, before: f64, now: f64) -> f64 {
    if splice {
        now - before
    } else {
        1.0 - (1.0 - now) / (1.0 - before)
    }
}

/// Consecutive ages shown: the increment times the at-risk count gives the events.
pub fn differences(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    for (file, curve) in curves_of(ctx.folder) {
        out.extend(curve_differences(ctx, &file, &curve));
    }
    out
}

/// [`differences`] for one curve.
pub fn curve_differences(ctx: &mut Ctx<'_>, file: &str, curve: &Curve) -> Found {
    curve_differences_if(ctx, file, curve, |_| true)
}

/// [`differences`] for the steps of one curve into the ages `keep` selects (used on
/// curves restored from other files, for the steps that use a restored value).
pub fn curve_differences_if(
    ctx: &mut Ctx<'_>,
    file: &str,
    curve: &Curve,
    keep: impl Fn(u8) -> bool,
) -> Found {
    let mut out = Found::new();
    let mut before: Option<(u8, f64)> = Some((u8::MAX, 0.0));
    for p in &curve.points {
        let prev_ok = before.is_some_and(|(a, _)| a == p.from.wrapping_sub(1)) && keep(p.age);
        if let (Some(f), Some((a, fb)), true) = (p.f, before, prev_ok) {
            let q = step(curve.is_splice(), fb, f);
            let exact = curve.f_half == 0.0;
            if exact && Con::from_shown(q, p.events, p.at_risk) {
                before = Some((p.age, f));
                continue;
            }
            let num = ctx.var(&curve.events_cell(p));
            let den = ctx.var(&curve.cell(p.from, "at_risk"));
            if let (Some(n), Some(d)) = (num, den) {
                let con = if exact {
                    Con::ratio(n, d, q.max(0.0))
                } else {
                    // Shown to a coarser digit: the rate lies in an interval.
                    let (h, hb) = (curve.f_half, if a == u8::MAX { 0.0 } else { curve.f_half });
                    let (lo, hi) = if curve.is_splice() {
                        (f - h - (fb + hb), f + h - (fb - hb))
                    } else {
                        (
                            step(false, fb + hb, f - h),
                            step(false, (fb - hb).max(0.0), f + h),
                        )
                    };
                    Con::Ratio {
                        num: n,
                        den: d,
                        lo: lo.max(0.0),
                        hi: hi.max(0.0),
                    }
                };
                out.push((file.to_owned(), con));
            }
        }
        before = p.f.map(|f| (p.age, f));
    }
    out
}

/// The variance behind an interval: Greenwood's `Var(log S)` of a life table's log(−log)
/// interval, or the splice's `Var(F)` behind its effective-sample Wilson interval.
fn variance(splice: bool, p: &Point) -> Option<f64> {
    let f = p.f?;
    if f <= 0.0 {
        return Some(0.0);
    }
    if splice {
        let (l, u) = (p.lower?, p.upper?);
        if l <= 0.0 || u >= 1.0 || f >= 1.0 {
            return None;
        }
        let centre = f64::midpoint(l, u);
        let n = Z95 * Z95 * (0.5 - centre) / (centre - f);
        (n.is_finite() && n > 0.0).then(|| f * (1.0 - f) / n)
    } else {
        let u = p.upper?;
        let s = 1.0 - f;
        if s <= 0.0 || u >= 1.0 {
            return None;
        }
        let log_log = (-s.ln()).ln();
        let half = log_log - (-(1.0 - u).ln()).ln();
        let se = half * s.ln() / Z95;
        Some(se * se)
    }
}

/// Confidence limits are functions of the exact counts: Greenwood's variance gains
/// `d / (n (n − d))` at each age and a splice's `q (1 − q) / P`, so the variance's
/// increment and the rate give the at-risk count, and then the events, exactly.
pub fn intervals(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    for (file, curve) in curves_of(ctx.folder) {
        let splice = curve.is_splice();
        let mut before: Option<(u8, f64, f64)> = Some((u8::MAX, 0.0, 0.0));
        for p in &curve.points {
            let now = p.f.zip(variance(splice, p));
            if let (Some((f, v)), Some((a, fb, vb))) = (now, before)
                && a == p.from.wrapping_sub(1)
            {
                let q = step(splice, fb, f);
                let dv = v - vb;
                let n = if splice {
                    q * (1.0 - q) / dv
                } else {
                    q / ((1.0 - q) * dv)
                };
                let d = q * n;
                let near = |x: f64| (x - x.round()).abs() < 1e-4 && x.round() >= 0.0;
                // Within a hundredth of the released counts: the limits give back those (a
                // true count differs from a released one by a whole number).
                let shown = |x: f64, s: Option<f64>| s.is_some_and(|s| (x - s).abs() < 1e-2);
                // The released counts scaled alike: limits from released counts whose
                // variance a corrected curve's design effect multiplies.
                let scaled = p.at_risk.zip(p.events).is_some_and(|(r, e)| {
                    let m = r / n;
                    m.is_finite() && (d * m - e).abs() < 1e-2
                });
                if (shown(n, p.at_risk) && shown(d, p.events)) || scaled {
                    // Limits computed from the released counts.
                } else if q > 0.0 && dv > 0.0 && n.is_finite() && near(n) && near(d) {
                    let ev = ctx.var(&curve.events_cell(p));
                    let ar = ctx.var(&curve.cell(p.from, "at_risk"));
                    if let (Some(e), Some(r)) = (ev, ar) {
                        out.extend(Con::near(e, d, 1e-4).map(|c| (file.clone(), c)));
                        out.extend(Con::near(r, n, 1e-4).map(|c| (file.clone(), c)));
                    }
                }
            }
            before = now.map(|(f, v)| (p.age, f, v));
        }
    }
    out
}

/// The upper bound `strata.csv` gives for event years a stratification could not place.
fn unplaced_bound(ctx: &Ctx<'_>, stratum_var: &str, outcome: &str) -> i64 {
    let mut bound = INF;
    for (_, t) in ctx.folder.tables_named("strata") {
        let (v, o, n) = (
            t.col("stratum_var"),
            t.col("outcome"),
            t.col("event_years_without_stratum"),
        );
        for r in t
            .rows
            .iter()
            .filter(|r| r[v] == stratum_var && r[o] == outcome)
        {
            if let Some(x) = Table::num(r, n) {
                let hi = ctx.hidden.rounded(x as i64).map_or(x as i64, |d| d.hi());
                bound = bound.min(hi);
            }
        }
    }
    bound
}

/// Period, outcome, estimator and identifier mode: the curves a margin adds.
type Group = (Option<String>, String, String, String);

/// At every age of the margin `total`: its events are the sum of `parts`' plus at most
/// `bound` unplaced ones; a splice's population is the sum of theirs.
fn margin_sums(ctx: &mut Ctx<'_>, total: &Curve, parts: &[&Curve], bound: i64) -> Vec<Con> {
    let mut out = Vec::new();
    for p in &total.points {
        let mut columns = vec![("events", 0, bound)];
        if total.is_splice() {
            columns.push(("at_risk", 0, 0));
        }
        for (column, lo, hi) in columns {
            let Some(t) = ctx.var(&total.cell(p.age, column)) else {
                continue;
            };
            let cells: Option<Vec<usize>> = parts
                .iter()
                .map(|m| ctx.var(&m.cell(p.age, column)))
                .collect();
            if let Some(parts) = cells {
                out.push(Con::Sum {
                    total: t,
                    parts,
                    lo,
                    hi,
                });
            }
        }
    }
    out
}

/// A stratification's cells at one age add up to the `all` row (events: up to the
/// unplaced event years of `strata.csv`; a splice's population exactly).
pub fn margins(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    for (stem, prefix) in CURVE_TABLES {
        for (file, t) in folder.tables_named(stem) {
            let curves = curves_in(t, prefix);
            let mut groups: BTreeMap<(Group, String), Vec<&Curve>> = BTreeMap::new();
            let mut totals: BTreeMap<Group, &Curve> = BTreeMap::new();
            for c in &curves {
                let k = (
                    c.period.clone(),
                    c.key.outcome.clone(),
                    c.key.estimator.clone(),
                    c.key.id_mode.clone(),
                );
                if c.key.stratum_var == "all" {
                    totals.insert(k, c);
                } else {
                    groups
                        .entry((k, c.key.stratum_var.clone()))
                        .or_default()
                        .push(c);
                }
            }
            for ((group, var), members) in &groups {
                let Some(total) = totals.get(group) else {
                    continue;
                };
                let outcome = &group.1;
                let bound = unplaced_bound(ctx, var, outcome);
                out.extend(
                    margin_sums(ctx, total, members, bound)
                        .into_iter()
                        .map(|c| (file.to_owned(), c)),
                );
            }
        }
    }
    out
}

/// (outcome, estimator, stratum_var, stratum) of the curves of a folder's
/// `cumulative_incidence` tables.
type ChartKey = (String, String, String, String);

/// The identifier modes each curve is shown under, and the cumulative incidence the
/// table shows by age.
type Shown = (
    BTreeMap<ChartKey, Vec<String>>,
    BTreeMap<ChartKey, BTreeMap<u8, f64>>,
);

/// What the `cumulative_incidence` tables of `folder` show, for the figures' attack.
fn shown_curves(folder: &Folder) -> Shown {
    // (outcome, estimator, stratum_var, stratum) → the identifier modes shown.
    let mut modes: BTreeMap<ChartKey, Vec<String>> = BTreeMap::new();
    // The same → the cumulative incidence the table shows, by age.
    let mut shown: BTreeMap<ChartKey, BTreeMap<u8, f64>> = BTreeMap::new();
    for (_, t) in folder.tables_named("cumulative_incidence") {
        for c in curves_in(t, "ci") {
            let key = (
                c.key.outcome.clone(),
                c.key.estimator.clone(),
                c.key.stratum_var.clone(),
                c.key.stratum.clone(),
            );
            shown
                .entry(key)
                .or_default()
                .extend(c.points.iter().filter_map(|p| Some((p.age, p.f?))));
            let m = modes
                .entry((
                    c.key.outcome,
                    c.key.estimator,
                    c.key.stratum_var,
                    c.key.stratum,
                ))
                .or_default();
            if !m.contains(&c.key.id_mode) {
                m.push(c.key.id_mode);
            }
        }
    }
    (modes, shown)
}

/// The figures' lines: each released point drawn to 0.1 px gives the cumulative
/// incidence within half a pixel; increments times at-risk counts bound the events.
pub fn figures(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let (modes, shown) = shown_curves(folder);
    for (file, svg) in folder.texts_where(|n| has_ext(n, "svg")) {
        let Some(chart) = parse_chart(svg) else {
            continue;
        };
        for (label, points) in &chart.lines {
            let (estimator, stratum_var, stratum) = match &chart.by {
                None => (label.clone(), "all".to_owned(), "all".to_owned()),
                Some((var, est)) => (est.clone(), var.clone(), label.clone()),
            };
            let Some(ids) = modes.get(&(
                chart.outcome.clone(),
                estimator.clone(),
                stratum_var.clone(),
                stratum.clone(),
            )) else {
                continue;
            };
            if ids.len() != 1 {
                continue;
            }
            let half = chart.ymax * 0.05 / PLOT_HEIGHT + 1e-12;
            // A line drawn through the table's own points tells nothing it does not.
            let table = shown.get(&(
                chart.outcome.clone(),
                estimator.clone(),
                stratum_var.clone(),
                stratum.clone(),
            ));
            if points.iter().all(|(age, v)| {
                table
                    .and_then(|t| t.get(age))
                    .is_some_and(|f| (f - v).abs() <= half)
            }) {
                continue;
            }
            let curve = Curve {
                prefix: "ci",
                period: None,
                key: CurveKey {
                    outcome: chart.outcome.clone(),
                    estimator,
                    id_mode: ids[0].clone(),
                    stratum_var,
                    stratum,
                },
                points: Vec::new(),
                f_half: 0.0,
            };
            let mut before: Option<(u8, f64)> = Some((u8::MAX, 0.0));
            for &(age, v) in points {
                if let Some((a, vb)) = before
                    && a == age.wrapping_sub(1)
                {
                    let bh = if a == u8::MAX { 0.0 } else { half };
                    let (lo, hi) = if curve.is_splice() {
                        (v - half - (vb + bh), v + half - (vb - bh))
                    } else {
                        (
                            step(false, vb + bh, v - half),
                            step(false, (vb - bh).max(0.0), v + half),
                        )
                    };
                    let num = ctx.var(&curve.cell(age, "events"));
                    let den = ctx.var(&curve.cell(age, "at_risk"));
                    if let (Some(n), Some(d)) = (num, den) {
                        out.push((
                            file.to_owned(),
                            Con::Ratio {
                                num: n,
                                den: d,
                                lo: lo.max(0.0),
                                hi: hi.max(0.0),
                            },
                        ));
                    }
                }
                before = Some((age, v));
            }
        }
    }
    out
}

const PLOT_LEFT: f64 = 48.0;
const PLOT_WIDTH: f64 = 460.0 - 48.0 - 16.0;
const PLOT_TOP: f64 = 22.0;
const PLOT_HEIGHT: f64 = 280.0 - 22.0 - 36.0;

/// A chart of `report.html`'s figures.
struct Chart {
    outcome: String,
    /// `(stratum_var, estimator)` for a chart by stratum; `None` for all children.
    by: Option<(String, String)>,
    ymax: f64,
    /// Each line's label and its (age, value) points.
    lines: Vec<(String, Vec<(u8, f64)>)>,
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let i = s.find(open)? + open.len();
    let j = s[i..].find(close)? + i;
    Some(&s[i..j])
}

fn parse_chart(svg: &str) -> Option<Chart> {
    let title = between(svg, "<title>", "</title>")?.replace("&amp;", "&");
    let (outcome, by) = if let Some(o) = title.strip_suffix(": all children") {
        (o.to_owned(), None)
    } else {
        let (o, rest) = title.split_once(" by ")?;
        let (var, est) = rest.split_once(" (")?;
        (
            o.to_owned(),
            Some((var.to_owned(), est.trim_end_matches(')').to_owned())),
        )
    };
    let ymax = svg
        .split("%</text>")
        .filter_map(|s| s.rsplit('>').next()?.parse::<f64>().ok())
        .fold(0.0f64, f64::max)
        / 100.0;
    if ymax <= 0.0 {
        return None;
    }
    let mut lines = Vec::new();
    for part in svg.split("<polyline points=\"").skip(1) {
        let pts = part.split('"').next()?;
        let label = between(part, "<title>", "</title>")?.replace("&amp;", "&");
        let points = pts
            .split_whitespace()
            .filter_map(|xy| {
                let (x, y) = xy.split_once(',')?;
                let (x, y): (f64, f64) = (x.parse().ok()?, y.parse().ok()?);
                let age = ((x - PLOT_LEFT) / PLOT_WIDTH * 17.0).round() as u8;
                Some((age, ymax * (1.0 - (y - PLOT_TOP) / PLOT_HEIGHT)))
            })
            .collect();
        lines.push((label, points));
    }
    Some(Chart {
        outcome,
        by,
        ymax,
        lines,
    })
}

/// Across two folders of the same data: a stratification's cells (`idaci_decile`) are the
/// sums of a finer one's (`idaci_decile:sex`), up to the finer one's unplaced events.
pub fn nested_margins<'a>(ctx: &mut Ctx<'a>, folders: &[(&str, &'a Folder)]) -> Found {
    let mut out = Found::new();
    let mut curves: Vec<(String, Curve)> = Vec::new();
    let mut bounds: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (design, f) in folders {
        ctx.folder = f;
        for (_, t) in f
            .tables_named("cumulative_incidence")
            .filter(|(n, _)| has_ext(n, "csv"))
        {
            curves.extend(
                curves_in(t, "ci")
                    .into_iter()
                    .map(|c| (design.to_string(), c)),
            );
        }
        for (_, t) in f.tables_named("strata") {
            let (v, o) = (t.col("stratum_var"), t.col("outcome"));
            for r in &t.rows {
                bounds.insert(
                    (r[v].clone(), r[o].clone()),
                    unplaced_bound(ctx, &r[v], &r[o]),
                );
            }
        }
    }
    ctx.folder = folders[0].1;
    // (outcome, estimator, id_mode, coarse var, coarse level) → the finer curves.
    let mut finer: BTreeMap<(String, String, String, String, String), Vec<&Curve>> =
        BTreeMap::new();
    for (_, c) in &curves {
        let k = &c.key;
        if let (Some((var, _)), Some((level, _))) =
            (k.stratum_var.split_once(':'), k.stratum.split_once(':'))
        {
            finer
                .entry((
                    k.outcome.clone(),
                    k.estimator.clone(),
                    k.id_mode.clone(),
                    var.to_owned(),
                    level.to_owned(),
                ))
                .or_default()
                .push(c);
        }
    }
    for (design, c) in &curves {
        let k = &c.key;
        let Some(parts) = finer.get(&(
            k.outcome.clone(),
            k.estimator.clone(),
            k.id_mode.clone(),
            k.stratum_var.clone(),
            k.stratum.clone(),
        )) else {
            continue;
        };
        let fine_var = &parts[0].key.stratum_var;
        let bound = bounds
            .get(&(fine_var.clone(), k.outcome.clone()))
            .copied()
            .unwrap_or(INF);
        let file = format!("{design}: cumulative_incidence.csv with the finer folder's");
        out.extend(
            margin_sums(ctx, c, parts, bound)
                .into_iter()
                .map(|con| (file.clone(), con)),
        );
    }
    out
}
