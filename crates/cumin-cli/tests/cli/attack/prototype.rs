//! A prototype of the rules proposed in docs/notes/2026-12-06-disclosure-rules.md,
//! applied to the files of a `--sdc none` folder: evidence for the design, not product
//! code. It writes the folder the proposed disclosure layer would release, for the
//! attacker to try.
//!
//! The rules, in short: every count is withheld below the threshold and rounded; a curve
//! is released in steps of at least the threshold (within each period of a trend), its
//! shown rows giving the events since the last shown age (`step_from`); every rate,
//! share, interval and difference is computed from the released counts only; tables that
//! cannot be made so (the correction's model tables, the ledger) go to `analyst-only/`.

use crate::attack::attacks::curves::{CURVE_TABLES, Curve, Point, Z95, curves_in};
use crate::attack::attacks::linkage::share_parts;
use crate::attack::cells::{COUNT_COLUMNS, CurveKey, Hidden, Truth, linkage_is_count};
use crate::attack::folder::{Folder, Table, has_ext, html_table};
use crate::attack::score::{FolderScore, score_many};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The profile's rules for the prototype.
#[derive(Clone, Copy)]
struct Rules {
    /// Counts below it are withheld (0: none).
    threshold: f64,
    /// Zeros are withheld too.
    zeros: bool,
    /// Rounding base.
    base: f64,
}

impl Rules {
    fn of(profile: &str) -> Rules {
        let h = Hidden::of(profile);
        Rules {
            threshold: h.threshold as f64,
            zeros: h.zeros,
            base: h.round_to as f64,
        }
    }

    /// A count as released: `None` when withheld.
    fn count(&self, x: f64, event_like: bool) -> Option<f64> {
        let small = x > 0.0 && x < self.threshold;
        let zero = x == 0.0 && self.zeros && event_like;
        (!small && !zero).then(|| round(x, self.base))
    }
}

/// `x` rounded to a multiple of `base`, halves to even.
fn round(x: f64, base: f64) -> f64 {
    let q = x / base;
    let r = q.round();
    let r = if (q - q.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - q.signum()
    } else {
        r
    };
    r * base
}

fn number(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(v) if !v.is_finite() => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v}"),
    }
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).expect("writes a table");
    w.write_record(header).expect("writes");
    for r in rows {
        w.write_record(r).expect("writes");
    }
    w.flush().expect("writes");
}

/// Wilson's interval for `k` of `n` (as `cumin_stats::interval::wilson`).
fn wilson(k: f64, n: f64) -> (f64, f64) {
    let z2 = Z95 * Z95;
    let p = k / n;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt() / denom;
    (
        if k <= 0.0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        if k >= n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    )
}

/// A shown row of a curve released in steps.
#[derive(Clone, Copy)]
struct Step {
    /// First age of the step.
    from: u8,
    /// Events over the step, rounded.
    events: f64,
    /// At risk at the step's first age, rounded.
    at_risk: f64,
    /// Cumulative incidence from the released counts.
    f: f64,
    /// Lower limit from the released counts.
    lower: f64,
    /// Upper limit from the released counts.
    upper: f64,
}

/// Released cumulative incidence by (period, outcome, estimator, stratum_var, stratum,
/// age).
type ShownCurves = BTreeMap<(String, String, String, String, String, u8), f64>;

/// A table as the prototype writes it.
struct Written {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The rows of one curve as the proposed rules release them: steps of at least the
/// threshold and the rounding base (so that no step's count is mostly rounding), the
/// remainder after the last full step joined to it (so the curve reaches its last age);
/// each step's events and the at-risk count at its start rounded; the curve and its
/// interval recomputed from those released counts.
fn release_curve(
    rules: Rules,
    splice: bool,
    rows: &[(u8, Option<f64>, Option<f64>)],
    keep_open: impl Fn(u8) -> bool,
) -> Vec<Option<Step>> {
    let least = rules.threshold.max(rules.base);
    // The ages closing each step.
    let mut ends = Vec::new();
    let mut pending = 0.0;
    for (i, (age, events, _)) in rows.iter().enumerate() {
        pending += events.unwrap_or(0.0);
        if pending >= least && !keep_open(*age) {
            ends.push(i);
            pending = 0.0;
        }
    }
    if let Some(last) = ends.last_mut() {
        *last = rows.len() - 1;
    }
    let mut out = vec![None; rows.len()];
    let mut from = 0usize;
    let (mut f, mut var, mut surv) = (0.0f64, 0.0f64, 1.0f64);
    for &i in &ends {
        let (age_from, _, at_risk) = rows[from];
        let e = round(
            rows[from..=i].iter().map(|r| r.1.unwrap_or(0.0)).sum(),
            rules.base,
        );
        let n = at_risk.map_or(0.0, |n| round(n, rules.base));
        if n > 0.0 {
            let q = (e / n).min(1.0);
            let (lower, upper) = if splice {
                f += q;
                var += q * (1.0 - q) / n;
                let n_eff = if var > 0.0 { f * (1.0 - f) / var } else { n };
                wilson(f * n_eff, n_eff)
            } else {
                surv *= 1.0 - q;
                f = 1.0 - surv;
                if e < n {
                    var += e / (n * (n - e));
                }
                loglog(surv, var, n)
            };
            out[i] = Some(Step {
                from: age_from,
                events: e,
                at_risk: n,
                f,
                lower,
                upper,
            });
        }
        from = i + 1;
    }
    out
}

/// The log(−log) interval of `F = 1 − S` (as `cumin_stats::lifetable::loglog_interval`).
fn loglog(surv: f64, var: f64, n: f64) -> (f64, f64) {
    if surv >= 1.0 {
        return (0.0, -((0.025f64).ln() / n).exp_m1());
    }
    if surv <= 0.0 {
        return (1.0, 1.0);
    }
    let ll = (-surv.ln()).ln();
    let half = Z95 * var.sqrt() / surv.ln();
    let s_lower = (-(ll - half).exp()).exp();
    let s_upper = (-(ll + half).exp()).exp();
    (1.0 - s_upper, 1.0 - s_lower)
}

/// The ages (named by their events cell) at which a curve's step may not close: the
/// audit's coarsening, where its attack recovered a hidden count.
pub type Open = std::collections::BTreeSet<String>;

/// How a prototype shows rates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rates {
    /// The proposal: steps, and every rate and limit computed from released counts.
    FromReleased,
    /// The alternative it is compared with: today's counts (per age, withheld and
    /// rounded) and today's steps for the rates, but each curve's rates and limits from
    /// exact counts, shown to the digit `p = 10⁻ᵈ` with `p × N ≥ B` (`N` the curve's
    /// largest at-risk count, `B` the rounding base), as OpenSAFELY's `round_km` coarsens
    /// survival to `threshold / N`.
    Coarse,
}

/// A curve as [`Rates::Coarse`] shows it.
fn coarse_curve(rules: Rules, points: &[Point]) -> Vec<Vec<String>> {
    let n_max = points
        .iter()
        .filter_map(|p| p.at_risk)
        .fold(0.0f64, f64::max);
    let digits = if n_max > rules.base {
        (n_max / rules.base).log10().floor().max(0.0) as usize
    } else {
        0
    };
    let show = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.digits$}"));
    let mut pending = 0.0;
    points
        .iter()
        .map(|p| {
            let e = p.events.unwrap_or(0.0);
            pending += e;
            let rate_shown = rules.threshold <= 0.0 || pending >= rules.threshold;
            if rate_shown {
                pending = 0.0;
            }
            let count = |x: Option<f64>, ev: bool| number(x.and_then(|x| rules.count(x, ev)));
            let mut row = vec![count(p.events, true), count(p.at_risk, false)];
            if rate_shown {
                row.extend([show(p.f), show(p.lower), show(p.upper)]);
            } else {
                row.extend([String::new(), String::new(), String::new()]);
            }
            row.push((!rate_shown).to_string());
            row
        })
        .collect()
}

/// The key columns of a curve table's row.
fn key_cells(k: &CurveKey, age: u8) -> Vec<String> {
    vec![
        k.outcome.clone(),
        k.estimator.clone(),
        k.id_mode.clone(),
        k.stratum_var.clone(),
        k.stratum.clone(),
        age.to_string(),
    ]
}

/// A curve table (`cumulative_incidence`, `sensitivity`, `trend`) as released; returns
/// the released cumulative incidence by (period, outcome, estimator, stratum_var,
/// stratum, age), for the tables derived from it.
fn curve_table(
    rules: Rules,
    rates: Rates,
    open: &Open,
    t: &Table,
    prefix: &'static str,
) -> (Written, ShownCurves) {
    let period = t.has("period");
    let mut header: Vec<String> = vec![
        "outcome",
        "estimator",
        "id_mode",
        "stratum_var",
        "stratum",
        "age",
        "events",
        "at_risk",
        "cum_inc",
        "lower",
        "upper",
        "suppressed",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    if period.is_some() {
        header.push("period".to_owned());
    }
    header.push("step_from".to_owned());
    let mut rows = Vec::new();
    let mut shown = BTreeMap::new();
    // The exact counts, by curve: curves_in reads the none folder's rows.
    for curve in curves_in(t, prefix) {
        let exact: Vec<(u8, Option<f64>, Option<f64>)> = curve
            .points
            .iter()
            .map(|p| (p.age, p.events, p.at_risk))
            .collect();
        let released = release_curve(rules, curve.is_splice(), &exact, |a| {
            open.contains(&curve.cell(a, "events"))
        });
        if rates == Rates::Coarse {
            for (p, shown) in curve.points.iter().zip(coarse_curve(rules, &curve.points)) {
                let mut row = key_cells(&curve.key, p.age);
                row.extend(shown);
                if period.is_some() {
                    row.push(curve.period.clone().unwrap_or_default());
                }
                row.push(p.age.to_string());
                rows.push(row);
            }
            continue;
        }
        for (p, r) in curve.points.iter().zip(released) {
            let k = &curve.key;
            let mut row = key_cells(k, p.age);
            if let Some(s) = r {
                row.extend([
                    number(Some(s.events)),
                    number(Some(s.at_risk)),
                    number(Some(s.f)),
                    number(Some(s.lower)),
                    number(Some(s.upper)),
                    "false".to_owned(),
                ]);
                if period.is_some() {
                    row.push(curve.period.clone().unwrap_or_default());
                }
                row.push(s.from.to_string());
                shown.insert(
                    (
                        curve.period.clone().unwrap_or_default(),
                        k.outcome.clone(),
                        k.estimator.clone(),
                        k.stratum_var.clone(),
                        k.stratum.clone(),
                        p.age,
                    ),
                    s.f,
                );
            } else {
                row.extend(["", "", "", "", ""].map(str::to_owned));
                row.push("true".to_owned());
                if period.is_some() {
                    row.push(curve.period.clone().unwrap_or_default());
                }
                row.push(String::new());
            }
            rows.push(row);
        }
    }
    (Written { header, rows }, shown)
}

/// Writes the folder the proposed rules would release from the `--sdc none` folder
/// `none`, under `profile`, into `out`.
#[allow(
    clippy::too_many_lines,
    reason = "a prototype of the proposed release rules, file by file, kept as evidence until the disclosure layer replaces it"
)]
pub fn release(none: &Folder, profile: &str, rates: Rates, open: &Open, out: &Path) {
    let rules = Rules::of(profile);
    std::fs::create_dir_all(out.join("analyst-only")).expect("creates the folder");
    let mut files: Vec<(String, &str)> = Vec::new();
    let mut ci_shown = BTreeMap::new();
    for (stem, prefix) in CURVE_TABLES {
        for (name, t) in none.tables_named(stem).filter(|(n, _)| has_ext(n, "csv")) {
            let (w, shown) = curve_table(rules, rates, open, t, prefix);
            write_csv(&out.join(name), &w.header, &w.rows);
            files.push((name.to_owned(), "for release after output checking"));
            if stem == "cumulative_incidence" {
                ci_shown = shown;
            }
        }
    }
    // Plain count tables: counts withheld and rounded.
    for cc in COUNT_COLUMNS
        .iter()
        .filter(|c| ["recurrence", "strata", "jay_counts", "jay_corrections"].contains(&c.stem))
    {
        for (name, t) in none.tables_named(cc.stem) {
            let mut rows = t.rows.clone();
            for r in &mut rows {
                for (c, ev) in cc.counts.iter().zip(cc.event_like) {
                    let i = t.col(c);
                    r[i] = number(Table::num(r, i).and_then(|x| rules.count(x, *ev)));
                }
                if cc.stem == "recurrence" {
                    let (n, k, s) = (t.col("children"), t.col("recurred"), t.col("share"));
                    let share = Table::num(r, k)
                        .zip(Table::num(r, n))
                        .filter(|(_, n)| *n > 0.0)
                        .map(|(k, n)| k / n);
                    r[s] = number(share);
                }
                if cc.stem == "jay_corrections" {
                    let (a, b, d) = (t.col("strict"), t.col("corrected"), t.col("difference"));
                    r[d] = number(Table::num(r, b).zip(Table::num(r, a)).map(|(b, a)| b - a));
                }
            }
            write_csv(&out.join(name), &t.header, &rows);
            files.push((name.to_owned(), "for release after output checking"));
        }
    }
    // Inequality: from the released decile curves (ratio and difference; the other
    // measures would be computed from them and the released populations).
    for (name, t) in none.tables_named("inequality") {
        let mut rows = Vec::new();
        let keys: std::collections::BTreeSet<(String, String, u8)> = t
            .rows
            .iter()
            .filter_map(|r| {
                Some((
                    r[t.col("outcome")].clone(),
                    r[t.col("estimator")].clone(),
                    r[t.col("age")].parse().ok()?,
                ))
            })
            .collect();
        for (o, e, age) in keys {
            let f = |d: &str| {
                ci_shown
                    .get(&(
                        String::new(),
                        o.clone(),
                        e.clone(),
                        "idaci_decile".to_owned(),
                        d.to_owned(),
                        age,
                    ))
                    .copied()
            };
            if let (Some(f1), Some(f10)) = (f("1"), f("10")) {
                rows.push(vec![
                    o.clone(),
                    e.clone(),
                    age.to_string(),
                    "diff_d1_d10".to_owned(),
                    number(Some(f1 - f10)),
                    String::new(),
                    String::new(),
                ]);
                if f10 > 0.0 {
                    rows.push(vec![
                        o.clone(),
                        e.clone(),
                        age.to_string(),
                        "ratio_d1_d10".to_owned(),
                        number(Some(f1 / f10)),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
        }
        write_csv(&out.join(name), &t.header, &rows);
        files.push((name.to_owned(), "for release after output checking"));
    }
    // Linkage: counts withheld and rounded; each share beside its numerator and
    // denominator, from the released counts (shares without both are withheld).
    let mut linkage_rows: Vec<Vec<String>> = Vec::new();
    for (name, t) in none.tables_named("linkage") {
        let (id, m, v) = (t.col("id_mode"), t.col("measure"), t.col("value"));
        let value = |mode: &str, measure: &str| {
            t.rows
                .iter()
                .find(|r| r[id] == mode && r[m] == measure)
                .and_then(|r| Table::num(r, v))
        };
        let mut rows = Vec::new();
        for r in &t.rows {
            let x = Table::num(r, v);
            if linkage_is_count(&r[m]) {
                rows.push(vec![
                    r[id].clone(),
                    r[m].clone(),
                    number(x.and_then(|x| rules.count(x, false))),
                ]);
            } else if let (Some((num, den)), Some(share)) = (share_parts(&r[m]), x) {
                let d = value(&r[id], &den);
                let n = d.map(|d| (share * d).round());
                let (rn, rd) = (
                    n.and_then(|n| rules.count(n, true)),
                    d.and_then(|d| rules.count(d, false)),
                );
                rows.push(vec![r[id].clone(), num, number(rn)]);
                rows.push(vec![
                    r[id].clone(),
                    r[m].clone(),
                    number(rn.zip(rd).filter(|(_, d)| *d > 0.0).map(|(n, d)| n / d)),
                ]);
            } else {
                rows.push(vec![r[id].clone(), r[m].clone(), String::new()]);
            }
        }
        write_csv(&out.join(name), &t.header, &rows);
        files.push((name.to_owned(), "for release after output checking"));
        linkage_rows = rows;
    }
    // The report: only released numbers; the ledger's counts rounded like any count.
    for (name, html) in none.texts_where(|n| n.ends_with("report.html")) {
        let mut page = String::from(
            "<!doctype html><html><body><h2>Linkage</h2><table><tr><th>id mode</th><th>measure</th><th>value</th></tr>",
        );
        for r in &linkage_rows {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                r[0], r[1], r[2]
            );
        }
        page.push_str(
            "</table><h2>Ledger</h2><table><tr><th>file</th><th>reason</th><th>rows</th></tr>",
        );
        for r in html_table(html, "Ledger") {
            let x = r.get(2).and_then(|x| x.parse::<f64>().ok());
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                r[0],
                r[1],
                number(x.and_then(|x| rules.count(x, true)))
            );
        }
        page.push_str("</table></body></html>\n");
        std::fs::write(out.join(name), page).expect("writes the report");
        files.push((name.to_owned(), "for release after output checking"));
    }
    // Tables that cannot be released: analyst-only.
    for stem in [
        "corrections",
        "correction_model",
        "correction_sensitivity",
        "ledger",
        "quarantine",
    ] {
        for (name, t) in none.any_named(stem) {
            let to = format!("analyst-only/{name}");
            write_csv(&out.join(&to), &t.header, &t.rows);
            files.push((to, "not for release: analyst-only"));
        }
    }
    let manifest = serde_json::json!({
        "sdc": { "profile": profile },
        "files": files.iter().map(|(n, r)| serde_json::json!({ "name": n, "release": r })).collect::<Vec<_>>(),
    });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("JSON"),
    )
    .expect("writes the manifest");
}

/// Curves, curves withheld at 17, mean and greatest absolute difference, mean half-width.
pub type Cost = (usize, usize, f64, f64, f64);

/// What the proposal costs in accuracy: at age 17 (before the 18th birthday), how far the
/// cumulative incidence recomputed from released counts lies from the exact one, beside
/// the exact interval's half-width, by stratification and estimator; and how many
/// curves end in a withheld step.
pub fn cost(none: &Folder, released: &Folder) -> BTreeMap<(String, String), Cost> {
    let read = |f: &Folder| -> BTreeMap<CurveKey, Point> {
        f.tables_named("cumulative_incidence")
            .filter(|(n, _)| has_ext(n, "csv"))
            .flat_map(|(_, t)| curves_in(t, "ci"))
            .filter_map(|c| Some((c.key.clone(), *c.at(17)?)))
            .collect()
    };
    let (exact, shown) = (read(none), read(released));
    let mut out: BTreeMap<(String, String), Cost> = BTreeMap::new();
    for (k, p) in &exact {
        let (Some(f), Some(lo), Some(hi)) = (p.f, p.lower, p.upper) else {
            continue;
        };
        let e = out
            .entry((k.stratum_var.clone(), k.estimator.clone()))
            .or_default();
        e.0 += 1;
        match shown.get(k).and_then(|q| q.f) {
            None => e.1 += 1,
            Some(g) => {
                let d = (g - f).abs();
                e.2 += d;
                e.3 = e.3.max(d);
                e.4 += (hi - lo) / 2.0;
            }
        }
    }
    for e in out.values_mut() {
        let n = (e.0 - e.1).max(1) as f64;
        e.2 /= n;
        e.4 /= n;
    }
    out
}

/// The proposed layer's audit: release the folders (`none` folders by design), attack
/// them with the truth, and where a hidden count falls keep the step holding it open in
/// the finest curve it belongs to (merging the step with the next; margins are never
/// coarsened, so their release stays the same in every run); repeat until nothing
/// falls. Returns the last score and the number of releases.
pub fn audited(
    nones: &[(&str, &Folder)],
    profile: &str,
    truth: &BTreeMap<String, Truth>,
    out: impl Fn(&str) -> std::path::PathBuf,
) -> (FolderScore, usize) {
    let mut open = Open::new();
    for round in 1..=20 {
        for (d, none) in nones {
            release(none, profile, Rates::FromReleased, &open, &out(d));
        }
        let released: Vec<(&str, Folder)> = nones
            .iter()
            .map(|(d, _)| (*d, Folder::read(&out(d))))
            .collect();
        let refs: Vec<(&str, &Folder)> = released.iter().map(|(d, f)| (*d, f)).collect();
        let s = score_many(&refs, truth);
        let before = open.len();
        for cell in &s.combined.cells {
            for (_, f) in &released {
                open.extend(coarsen(f, cell));
            }
        }
        if s.combined.hidden == 0 || open.len() == before {
            return (s, round);
        }
    }
    unreachable!("the audit converges: every round keeps at least one more step open")
}

/// Where the audit keeps a step open for a recovered curve cell: the step holding its
/// age in each finest curve under it (itself, or the finer strata of a margin).
fn coarsen(folder: &Folder, cell: &str) -> Vec<String> {
    let parts: Vec<&str> = cell.split('/').collect();
    let (prefix, period, rest) = match parts.first() {
        Some(&"trend") => ("trend", Some(parts[1]), &parts[2..]),
        Some(&p) if p == "ci" || p == "sens" => (p, None, &parts[1..]),
        _ => return Vec::new(),
    };
    let [outcome, estimator, id_mode, var, stratum, age, _] = rest else {
        return Vec::new();
    };
    let Ok(age) = age.parse::<u8>() else {
        return Vec::new();
    };
    let Some(&(stem, prefix)) = CURVE_TABLES.iter().find(|(_, p)| *p == prefix) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, t) in folder.tables_named(stem).filter(|(n, _)| has_ext(n, "csv")) {
        let curves = curves_in(t, prefix);
        let same = |c: &Curve| {
            c.period.as_deref() == period
                && c.key.outcome == *outcome
                && c.key.estimator == *estimator
                && c.key.id_mode == *id_mode
        };
        let finer: Vec<&Curve> = curves
            .iter()
            .filter(|c| {
                same(c)
                    && c.key.stratum_var.starts_with(&format!("{var}:"))
                    && c.key.stratum.starts_with(&format!("{stratum}:"))
            })
            .collect();
        let targets: Vec<&Curve> = if finer.is_empty() {
            curves
                .iter()
                .filter(|c| same(c) && c.key.stratum_var == *var && c.key.stratum == *stratum)
                .collect()
        } else {
            finer
        };
        for c in targets {
            if let Some(p) = c
                .points
                .iter()
                .find(|p| p.f.is_some() && p.from <= age && age <= p.age)
            {
                out.push(c.cell(p.age, "events"));
            }
        }
    }
    out
}
