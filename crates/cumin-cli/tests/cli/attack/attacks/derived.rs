//! Attacks through tables derived from the curves: inequality measures, the correction's
//! sensitivity curves and factors. Each restores cumulative incidence (or a rate) that
//! `cumulative_incidence.csv` withholds, then differences it as
//! [`super::curves::differences`] does.

use super::curves::{Curve, curve_differences_if, curves_in, step};
use super::{Ctx, Found};
use crate::attack::cells::{COUNT_COLUMNS, cell_name};
use crate::attack::folder::Table;
use crate::attack::solver::{Con, Dom};
use std::collections::BTreeMap;

/// Outcome, estimator, stratum_var, stratum.
type CurveId = (String, String, String, String);

/// A curve and the ages whose cumulative incidence another file restored.
type Restored = (Curve, Vec<u8>);

/// Two of a kind.
type Pair<T> = (T, T);

/// The released curves of `cumulative_incidence.csv` by (outcome, estimator, stratum_var,
/// stratum): those shown under one identifier mode only (a Jay preset shows two).
fn ci_curves(ctx: &Ctx<'_>) -> BTreeMap<CurveId, Curve> {
    let mut out: BTreeMap<CurveId, Curve> = BTreeMap::new();
    let mut ambiguous = Vec::new();
    for (_, t) in ctx.folder.tables_named("cumulative_incidence") {
        for c in curves_in(t, "ci") {
            let k = (
                c.key.outcome.clone(),
                c.key.estimator.clone(),
                c.key.stratum_var.clone(),
                c.key.stratum.clone(),
            );
            if out
                .get(&k)
                .is_some_and(|seen| seen.key.id_mode != c.key.id_mode)
            {
                ambiguous.push(k.clone());
            }
            out.insert(k, c);
        }
    }
    for k in ambiguous {
        out.remove(&k);
    }
    out
}

/// Differences of a curve whose cumulative incidence was partly restored (`restored`
/// ages): only the steps that use a restored value.
fn restored_differences(ctx: &mut Ctx<'_>, file: &str, curve: &Curve, restored: &[u8]) -> Found {
    curve_differences_if(ctx, file, curve, |a| {
        restored.contains(&a) || a.checked_sub(1).is_some_and(|b| restored.contains(&b))
    })
}

/// `inequality.csv`: `diff_d1_d10 = F₁ − F₁₀` and `ratio_d1_d10 = F₁ / F₁₀` at every
/// age, unrounded: one decile's value and either measure give the other's; both measures
/// give both.
pub fn inequality(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let curves = ci_curves(ctx);
    for (file, t) in folder.tables_named("inequality") {
        let (o, e, a, m, v) = (
            t.col("outcome"),
            t.col("estimator"),
            t.col("age"),
            t.col("measure"),
            t.col("value"),
        );
        // (outcome, estimator, age) → (ratio, difference)
        let mut measures: BTreeMap<(String, String, u8), Pair<Option<f64>>> = BTreeMap::new();
        for r in &t.rows {
            let (Ok(age), Some(x)) = (r[a].parse::<u8>(), Table::num(r, v)) else {
                continue;
            };
            let slot = measures
                .entry((r[o].clone(), r[e].clone(), age))
                .or_default();
            match r[m].as_str() {
                "diff_d1_d10" => slot.1 = Some(x),
                "ratio_d1_d10" => slot.0 = Some(x),
                _ => {}
            }
        }
        // (outcome, estimator) → deciles 1 and 10, and the ages restored in each
        let mut pairs: BTreeMap<(String, String), Pair<Restored>> = BTreeMap::new();
        for ((outcome, estimator, age), (ratio, diff)) in measures {
            let key = |d: &str| {
                (
                    outcome.clone(),
                    estimator.clone(),
                    "idaci_decile".to_owned(),
                    d.to_owned(),
                )
            };
            let (Some(c1), Some(c10)) = (curves.get(&key("1")), curves.get(&key("10"))) else {
                continue;
            };
            let entry = pairs
                .entry((outcome.clone(), estimator.clone()))
                .or_insert_with(|| ((c1.clone(), Vec::new()), (c10.clone(), Vec::new())));
            let (Some(i1), Some(i10)) = (
                entry.0.0.points.iter().position(|p| p.age == age),
                entry.1.0.points.iter().position(|p| p.age == age),
            ) else {
                continue;
            };
            let (f1, f10) = (entry.0.0.points[i1].f, entry.1.0.points[i10].f);
            let (n1, n10) = match (f1, f10, ratio, diff) {
                (Some(x), None, _, Some(d)) => (None, Some(x - d)),
                (Some(x), None, Some(r), None) => (None, Some(x / r)),
                (None, Some(y), _, Some(d)) => (Some(y + d), None),
                (None, Some(y), Some(r), None) => (Some(y * r), None),
                (None, None, Some(r), Some(d)) if r != 1.0 => {
                    (Some(r * d / (r - 1.0)), Some(d / (r - 1.0)))
                }
                _ => (None, None),
            };
            if let Some(x) = n1 {
                entry.0.0.points[i1].f = Some(x);
                entry.0.1.push(age);
            }
            if let Some(y) = n10 {
                entry.1.0.points[i10].f = Some(y);
                entry.1.1.push(age);
            }
        }
        for ((c1, r1), (c10, r10)) in pairs.values() {
            out.extend(restored_differences(ctx, file, c1, r1));
            out.extend(restored_differences(ctx, file, c10, r10));
        }
    }
    out
}

/// The last birth cohort of the data (`birth_year + age` at its greatest in
/// `corrections.csv`): the longest-lookback splice takes age `x` from cohort `D − x`.
fn design_end(t: &Table) -> Option<i64> {
    let (b, a) = (t.col("birth_year"), t.col("age"));
    t.rows
        .iter()
        .filter_map(|r| Some(r[b].parse::<i64>().ok()? + r[a].parse::<i64>().ok()?))
        .max()
}

/// `correction_sensitivity.csv`: its `corrected` column is the corrected curve itself,
/// never withheld; `no_correction` is the splice of first events in the observed years,
/// `E'(b, x) / P(b, x)`, whose counts `corrections.csv` (or, for cohorts observed from
/// birth, the unadjusted splice) holds.
#[allow(
    clippy::too_many_lines,
    reason = "one attack: each released column of the table becomes a constraint, in the file's order"
)]
pub fn sensitivity(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let curves = ci_curves(ctx);
    let corrections: Vec<&Table> = folder.tables_named("corrections").map(|(_, t)| t).collect();
    let end = corrections.first().and_then(|t| design_end(t));
    let cc = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "corrections")
        .expect("registered");
    // (outcome, stratum_var, stratum, birth_year, age) → the cell of E'.
    let mut first_in_observed: BTreeMap<(String, String, String, String, String), String> =
        BTreeMap::new();
    for t in &corrections {
        let (o, v, s, b, a) = (
            t.col("outcome"),
            t.col("stratum_var"),
            t.col("stratum"),
            t.col("birth_year"),
            t.col("age"),
        );
        for r in &t.rows {
            let k = (
                r[o].clone(),
                r[v].clone(),
                r[s].clone(),
                r[b].clone(),
                r[a].clone(),
            );
            first_in_observed.insert(k, cell_name(cc, t, r, "first_in_observed_years"));
        }
    }
    for (file, t) in folder.tables_named("correction_sensitivity") {
        let col = |n: &str| t.col(n);
        let mut restored: BTreeMap<CurveId, Restored> = BTreeMap::new();
        let mut nc: BTreeMap<(String, String, String), Vec<(u8, f64)>> = BTreeMap::new();
        for r in &t.rows {
            let Ok(age) = r[col("age")].parse::<u8>() else {
                continue;
            };
            let k = (
                r[col("outcome")].clone(),
                r[col("estimator")].clone(),
                r[col("stratum_var")].clone(),
                r[col("stratum")].clone(),
            );
            if let (Some(c), Some(x)) = (curves.get(&k), Table::num(r, col("corrected"))) {
                let e = restored
                    .entry(k.clone())
                    .or_insert_with(|| (c.clone(), Vec::new()));
                if let Some(p) = e.0.points.iter_mut().find(|p| p.age == age)
                    && p.f.is_none()
                {
                    p.f = Some(x);
                    e.1.push(age);
                }
            }
            if k.1 == "cohort-splice"
                && let Some(x) = Table::num(r, col("no_correction"))
            {
                nc.entry((k.0, k.2, k.3)).or_default().push((age, x));
            }
        }
        for (c, ages) in restored.values() {
            out.extend(restored_differences(ctx, file, c, ages));
        }
        let Some(end) = end else { continue };
        for ((outcome, var, stratum), mut points) in nc {
            points.sort_by_key(|p| p.0);
            let Some(spliced) = curves.get(&(
                outcome.clone(),
                "cohort-splice".to_owned(),
                var.clone(),
                stratum.clone(),
            )) else {
                continue;
            };
            let mut before = (u8::MAX, 0.0);
            for &(age, f) in &points {
                if before.0 == age.wrapping_sub(1) {
                    let q = step(true, before.1, f);
                    let cohort = end - i64::from(age);
                    let corr = first_in_observed
                        .get(&(
                            outcome.clone(),
                            var.clone(),
                            stratum.clone(),
                            cohort.to_string(),
                            age.to_string(),
                        ))
                        .cloned();
                    let events = corr.unwrap_or_else(|| {
                        format!(
                            "ci/{outcome}/cohort-splice-unadjusted/{}/{var}/{stratum}/{age}/events",
                            spliced.key.id_mode
                        )
                    });
                    let num = ctx.var(&events);
                    let den = ctx.var(&spliced.cell(age, "at_risk"));
                    if let (Some(n), Some(d)) = (num, den) {
                        out.push((file.to_owned(), Con::ratio(n, d, q.max(0.0))));
                    }
                }
                before = (age, f);
            }
        }
    }
    out
}

/// `corrections.csv` gives each cohort's factor `c` exactly: the corrected splice's
/// increment is `E' c / P`, so the increment over `c` is a rate of whole counts; and
/// `corrected = E' × c` rounded is a second view of `E'` beside its own rounding.
pub fn corrected(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let curves = ci_curves(ctx);
    let cc = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "corrections")
        .expect("registered");
    let b = ctx.hidden.round_to;
    for (file, t) in folder.tables_named("corrections") {
        let col = |n: &str| t.col(n);
        let end = design_end(t);
        for r in &t.rows {
            let (Some(factor), Ok(age), Ok(cohort)) = (
                Table::num(r, col("factor")),
                r[col("age")].parse::<u8>(),
                r[col("birth_year")].parse::<i64>(),
            ) else {
                continue;
            };
            if factor <= 0.0 {
                continue;
            }
            let Some(ep) = ctx.var(&cell_name(cc, t, r, "first_in_observed_years")) else {
                continue;
            };
            if let Some(shown) =
                Table::num(r, col("corrected")).filter(|x| x.fract() == 0.0 && b > 1)
            {
                let half = b as f64 / 2.0;
                let lo = ((shown - half) / factor - 1e-9).ceil().max(0.0) as i64;
                let hi = ((shown + half) / factor + 1e-9).floor() as i64;
                if lo <= hi {
                    out.push((file.to_owned(), Con::In(ep, Dom::Range(lo, hi))));
                }
            }
            if end != Some(cohort + i64::from(age)) {
                continue;
            }
            let k = (
                r[col("outcome")].clone(),
                "cohort-splice".to_owned(),
                r[col("stratum_var")].clone(),
                r[col("stratum")].clone(),
            );
            let Some(c) = curves.get(&k) else { continue };
            let (Some(now), Some(before)) = (
                c.at(age).and_then(|p| p.f),
                age.checked_sub(1)
                    .map_or(Some(0.0), |a| c.at(a).and_then(|p| p.f)),
            ) else {
                continue;
            };
            if let Some(den) = ctx.var(&c.cell(age, "at_risk")) {
                out.push((
                    file.to_owned(),
                    Con::ratio(ep, den, (now - before).max(0.0) / factor),
                ));
            }
        }
    }
    out
}
