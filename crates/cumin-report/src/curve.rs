//! Curves released in steps, and every rate and limit of a curve computed from the
//! released counts.
//!
//! A curve (one outcome, estimator, identifier mode, stratum and period) is released
//! through its **cumulative** event count `C(a)` (events at ages up to `a`), rounded to a
//! multiple of the profile's [`step_least`](SdcProfile::step_least) `L` (the threshold or
//! the rounding base, whichever is greater; halves to even). A **step** closes at the
//! first age where the rounded cumulative count has risen since the last step *and* the
//! step holds at least `L` events; its released events are the rise of the rounded count
//! (a multiple of `L`), its at-risk count that of its first age, rounded (withheld under
//! the threshold, which ends the curve). A life table's at-risk count `R` is the
//! population of the cells it pools, `N = Σ P(b,a)` (public figures), less `D`, their
//! children with an earlier event: rounding `R` would show `D = N − R` to within two
//! children, and pin small ones (a zero where the rounding range meets `N`; red team
//! round 2, docs/notes/2026-12-07-hostile-inputs-and-leaks.md), so `D` is released as
//! any count of children (withheld under the threshold: then nothing is taken off) and
//! the at-risk count shown is `round(N) − D̃`. The ages after the last close join the last
//! step, whose events are the rise to the curve's last age, so the curve reaches it; a
//! curve with fewer than `L` events in all is withheld whole. The row of a step's last
//! age shows it, with `step_from` naming its first age; the rows inside it are blank.
//!
//! Why rounded cumulative counts, rather than closing a step where its own events reach
//! `L` and rounding its count: that rule tells an attacker that the events before a
//! step's last age are fewer than `L`, an exact bound that, with the margins of a
//! coarser stratification, pinned small counts (a decile's sexes against the decile,
//! docs/notes/2026-12-06-disclosure-rules.md). Here a step's end says only that two
//! conditions hold together, every released cumulative count is known to within its
//! rounding (about `L` wide), and the rounding error does not accumulate along the curve
//! (OpenSAFELY's `round_km` rounds cumulative counts the same way).
//!
//! The cumulative incidence and its limits are then computed from those released counts
//! alone, with the estimator's own formula: a splice adds `Ẽ/P̃` per step and takes
//! Wilson's interval on the effective sample size; a product-limit curve (life table,
//! trend period) multiplies `1 − Ẽ/R̃` and takes Greenwood's variance on the log(−log)
//! scale. Two additions keep the limits honest:
//! - **rounding**: the rounded cumulative count is off by up to `L/2`, an error of
//!   variance `L²/12` carried into the estimate (splice: `L²/12 / P̃²`; life table, on
//!   `log S`: `L²/12 / (R̃ − Ẽ)²`, at the current step);
//! - **the correction's design effect**: a corrected estimator's exact analysis (its
//!   bootstrap and the correction model's error) has a wider standard error than the
//!   formula; the released sampling variance is multiplied by `k²`, where `k` is the
//!   largest ratio of the two along the curve, rounded *up* to a tenth (at least 1) — one
//!   coarse number per curve, a property of the correction rather than of any count.
//!
//! Nothing here reads an exact count once the cumulative counts are rounded, except `k`;
//! a rate shown therefore cannot be multiplied back to more than the released counts
//! give.
//!
//! **Nested outcomes.** A child with a plan was also in need, assessed and referred
//! (`cumin_estimate::nesting::NESTED`); the estimator keeps its exact curves in that
//! order, but each outcome's curve is rounded and stepped on its own counts, so two
//! released curves can still cross (the demo's splice: assessed 35.9% before 18,
//! referred 32.8%). A nested outcome's released estimate at age `a` is therefore capped,
//! outcome by outcome down the nesting ([`cap_nested`]), at the first released estimate
//! at an age `≥ a` of each outcome it is nested in (the most that curve, which does not
//! fall, can be at `a`), at every age up to that outcome's last step end; its limits move
//! with it. So no two released figures provably cross; inside an outer step, whose rows
//! are blank, a chart drawn in steps can still show the inner curve above the outer's
//! previous step end, as the rounding allows. (Capping at that previous step end instead
//! lowered small strata by up to 12 points, e.g. the demo's decile 1 assessed at age 2.)
//! The cap is a function of released figures only, so it releases nothing new;
//! `sdc.json` counts the estimates it lowered (`nested_capped`).

use crate::sdc::{CellStats, Released, SdcProfile};
use crate::spec::{self, TableSpec};
use crate::tables::{CiRow, TrendRow};
use cumin_census::{Age, Outcome};
use cumin_estimate::nesting::NESTED;
use cumin_estimate::{Curve, Kind, Period, Point, Stratification, Stratum};
use cumin_link::IdMode;
use cumin_stats::Interval;
use cumin_stats::interval::{wilson, z_for};
use cumin_stats::lifetable::loglog_interval;
use std::collections::BTreeMap;

/// How a curve's estimate is built from its steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// A sum of rates (cohort splice).
    Splice,
    /// A product of survival factors (life table, trend period).
    ProductLimit,
}

impl Form {
    fn of(kind: Kind) -> Form {
        match kind {
            Kind::Splice => Form::Splice,
            Kind::LifeTable | Kind::Period(_) => Form::ProductLimit,
        }
    }
}

/// One released step: the indices of its first and last points, and its counts.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Step {
    from: usize,
    to: usize,
    /// Events over the step (a rise of the rounded cumulative count, or a sum of rounded
    /// counts).
    events: f64,
    /// At risk at its first age (rounded).
    at_risk: f64,
    /// How many independently rounded counts `events` is the sum of (each adds its
    /// rounding variance for good); 0 where the steps are rises of one rounded
    /// cumulative count, whose error is that of the last rounding only.
    rounded: f64,
}

/// The rounding error a curve's steps carry: a variance per rounded count.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rounding {
    /// Variance of one rounding (`L²/12`; 0 without rounding).
    var: f64,
    /// Whether the steps are rises of a rounded cumulative count (the error is the
    /// current rounding's only) rather than sums of counts rounded one by one (their
    /// errors add up).
    cumulative: bool,
}

/// A point estimate with its standard error and limits.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    cum_inc: f64,
    se: f64,
    ci: Interval,
}

/// The cumulative incidence at the end of each step, from the steps' counts: `None`
/// from the first step without a usable at-risk count on (the curve cannot go on).
/// `k` multiplies the sampling standard error; `rounding` is the error the counts carry.
fn estimate(
    form: Form,
    steps: &[Step],
    k: f64,
    rounding: Rounding,
    level: f64,
) -> Vec<Option<Estimate>> {
    let z = z_for(level);
    let mut out = Vec::with_capacity(steps.len());
    let (mut cum, mut var, mut var_round) = (0.0f64, 0.0f64, 0.0f64);
    let mut surv = 1.0f64;
    for s in steps {
        let (e, n) = (s.events, s.at_risk);
        if !(n > 0.0 && e.is_finite()) {
            break;
        }
        let q = (e / n).clamp(0.0, 1.0);
        let est = match form {
            Form::Splice => {
                cum += q;
                var += q * (1.0 - q) / n;
                let step_round = rounding.var / (n * n);
                if rounding.cumulative {
                    var_round = step_round;
                } else {
                    var_round += s.rounded * step_round;
                }
                let total = k * k * var + var_round;
                let f = cum.clamp(0.0, 1.0);
                let ci = if total > 0.0 && f > 0.0 && f < 1.0 {
                    let n_eff = f * (1.0 - f) / total;
                    wilson(f * n_eff, n_eff, level)
                } else {
                    wilson(f * n, n, level)
                };
                Estimate {
                    cum_inc: cum,
                    se: total.sqrt(),
                    ci,
                }
            }
            Form::ProductLimit => {
                surv *= 1.0 - q;
                if e < n {
                    var += e / (n * (n - e));
                    let step_round = rounding.var / ((n - e) * (n - e));
                    if rounding.cumulative {
                        var_round = step_round;
                    } else {
                        var_round += s.rounded * step_round;
                    }
                }
                let total = k * k * var + var_round;
                Estimate {
                    cum_inc: 1.0 - surv,
                    se: surv * total.sqrt(),
                    ci: loglog_interval(surv, total, z, n),
                }
            }
        };
        out.push(Some(est));
    }
    out.resize(steps.len(), None);
    out
}

/// The steps of a curve (module notes): `(first, last)` point indices and released
/// events. A step closes at the first point where the cumulative count rounded to
/// multiples of `least` has risen since the last close *and* the exact events since then
/// reach `least`; the points after the last close join the last step, whose events are
/// the rise of the rounded count to the last point. Empty when no step closes (the
/// curve's events are fewer than `least`).
fn cumulative_steps(points: &[Point], least: f64) -> Vec<(usize, usize, f64)> {
    let round = |c: f64| crate::sdc::round_half_even(c / least) * least;
    let mut cum = Vec::with_capacity(points.len());
    let mut total = 0.0f64;
    for p in points {
        total += p.events;
        cum.push(total);
    }
    let mut closes: Vec<usize> = Vec::new();
    let (mut shown, mut counted) = (0.0f64, 0.0f64);
    for (i, &c) in cum.iter().enumerate() {
        if round(c) > shown && c - counted >= least {
            closes.push(i);
            shown = round(c);
            counted = c;
        }
    }
    if let Some(last) = closes.last_mut() {
        *last = points.len() - 1;
    }
    let mut steps = Vec::with_capacity(closes.len());
    let (mut from, mut before) = (0usize, 0.0f64);
    for to in closes {
        let now = round(cum[to]);
        steps.push((from, to, now - before));
        before = now;
        from = to + 1;
    }
    steps
}

/// The correction's design effect `k` of a corrected curve: the largest ratio, at the
/// steps' ends, of the exact analysis's standard error to the formula's on the same
/// steps' exact counts, rounded up to a tenth; at least 1.
fn design_effect(form: Form, points: &[Point], spans: &[(usize, usize)], level: f64) -> f64 {
    let exact: Vec<Step> = spans
        .iter()
        .map(|&(from, to)| Step {
            from,
            to,
            events: points[from..=to].iter().map(|p| p.events).sum(),
            at_risk: points[from].at_risk,
            rounded: 0.0,
        })
        .collect();
    let none = Rounding {
        var: 0.0,
        cumulative: true,
    };
    let formula = estimate(form, &exact, 1.0, none, level);
    let worst = exact
        .iter()
        .zip(formula)
        .filter_map(|(s, f)| {
            let f = f?;
            let se = points[s.to].se;
            (f.se > 0.0 && se.is_finite()).then(|| se / f.se)
        })
        .fold(1.0f64, f64::max);
    ((worst * 10.0 - 1e-9).ceil() / 10.0).max(1.0)
}

/// What a curve's rows are labelled with.
pub struct CurveLabel<'a> {
    /// The curve.
    pub curve: &'a Curve,
    /// Its identifier mode.
    pub id_mode: IdMode,
}

fn blank_row(label: &CurveLabel<'_>, p: &Point) -> CiRow {
    let c = label.curve;
    CiRow {
        outcome: c.outcome,
        estimator: c.estimator,
        id_mode: label.id_mode,
        by: c.by,
        stratum: c.stratum.clone(),
        age: Age::of_index(p.age),
        events: None,
        at_risk: None,
        cum_inc: None,
        lower: None,
        upper: None,
        suppressed: true,
        step_from: None,
        se: None,
    }
}

/// The rows of a curve whose steps are `steps` (every point of the curve inside one),
/// estimated from the steps' released counts; tallied in `stats`.
fn rows_of_steps(
    profile: SdcProfile,
    label: &CurveLabel<'_>,
    steps: &[Step],
    (k, rounding): (f64, Rounding),
    level: f64,
    stats: &mut CellStats,
) -> Vec<CiRow> {
    let points = &label.curve.points;
    let form = Form::of(label.curve.kind);
    let estimates = estimate(form, steps, k, rounding, level);
    let mut rows: Vec<CiRow> = points.iter().map(|p| blank_row(label, p)).collect();
    for (s, e) in steps.iter().zip(&estimates) {
        let Some(e) = e else { continue };
        let row = &mut rows[s.to];
        row.events = Some(s.events);
        row.at_risk = Some(s.at_risk);
        row.cum_inc = Some(e.cum_inc);
        row.lower = Some(e.ci.lower);
        row.upper = Some(e.ci.upper);
        row.se = Some(e.se);
        row.suppressed = false;
        row.step_from = Some(Age::of_index(points[s.from].age));
    }
    for r in &rows {
        stats.count(profile, r.events);
        stats.count(profile, r.at_risk);
        for _ in 0..3 {
            stats.derived(r.cum_inc.is_some());
        }
    }
    stats.ages_in_steps += steps.iter().map(|s| (s.to - s.from) as u64).sum::<u64>();
    rows
}

/// The rows of a curve as computed, for a profile without control (`none`).
fn exact_rows(label: &CurveLabel<'_>, stats: &mut CellStats) -> Vec<CiRow> {
    label
        .curve
        .points
        .iter()
        .map(|p| {
            stats.count(SdcProfile::None, Some(p.events));
            stats.count(SdcProfile::None, Some(p.at_risk));
            for _ in 0..3 {
                stats.derived(true);
            }
            CiRow {
                events: Some(p.events),
                at_risk: Some(p.at_risk),
                cum_inc: Some(p.cum_inc),
                lower: Some(p.ci.lower),
                upper: Some(p.ci.upper),
                suppressed: false,
                step_from: Some(Age::of_index(p.age)),
                se: Some(p.se),
                ..blank_row(label, p)
            }
        })
        .collect()
}

/// A life table's at-risk count as released (module notes): the rounded population of
/// the cells it pools less the count of their children with an earlier event, released
/// as any count of children (withheld: none taken off); `None` where that leaves fewer
/// than the threshold (or none), which ends the curve as a withheld at-risk count does.
fn pooled_at_risk(profile: SdcProfile, p: &Point) -> Option<f64> {
    let earlier = (p.entered - p.at_risk).max(0.0);
    let shown = profile.count(earlier, true).unwrap_or(0.0);
    let r = profile.round_count(p.entered) - shown;
    (r >= profile.rules().threshold.max(1.0)).then_some(r)
}

/// Releases one curve under `profile` (module notes).
pub fn release_curve(
    profile: SdcProfile,
    level: f64,
    label: &CurveLabel<'_>,
    stats: &mut CellStats,
) -> Vec<CiRow> {
    if !profile.controls() {
        return exact_rows(label, stats);
    }
    let points = &label.curve.points;
    let least = profile.step_least();
    let cumulative = cumulative_steps(points, least);
    let form = Form::of(label.curve.kind);
    let spans: Vec<(usize, usize)> = cumulative.iter().map(|&(f, t, _)| (f, t)).collect();
    let k = if label.curve.corrected {
        design_effect(form, points, &spans, level)
    } else {
        1.0
    };
    let mut steps = Vec::with_capacity(cumulative.len());
    for (from, to, events) in cumulative {
        let Some(at_risk) = profile.count(points[from].at_risk, false) else {
            break;
        };
        let at_risk = if form == Form::ProductLimit {
            let Some(r) = pooled_at_risk(profile, &points[from]) else {
                break;
            };
            r
        } else {
            at_risk
        };
        steps.push(Step {
            from,
            to,
            events,
            at_risk,
            rounded: 0.0,
        });
    }
    let rounding = Rounding {
        var: least * least / 12.0,
        cumulative: true,
    };
    rows_of_steps(profile, label, &steps, (k, rounding), level, stats)
}

/// Releases a curve whose per-age counts are released elsewhere (the Jay presets'
/// unadjusted splice, whose counts are `jay_counts.csv`): each age a step of its own,
/// its events the released counts that make it up (`events[i]`: their sum and how many
/// there are; `None` where one is withheld, which ends the curve), its at-risk count
/// rounded. The curve is then post-processing of released counts.
pub fn release_curve_from_counts(
    profile: SdcProfile,
    level: f64,
    label: &CurveLabel<'_>,
    events: &[Option<(f64, usize)>],
    stats: &mut CellStats,
) -> Vec<CiRow> {
    if !profile.controls() {
        return exact_rows(label, stats);
    }
    let mut steps = Vec::new();
    for (i, p) in label.curve.points.iter().enumerate() {
        let (Some((e, n)), Some(at_risk)) = (
            events.get(i).copied().flatten(),
            profile.count(p.at_risk, false),
        ) else {
            break;
        };
        steps.push(Step {
            from: i,
            to: i,
            events: e,
            at_risk,
            rounded: n as f64,
        });
    }
    let base = profile.rules().round_to;
    let rounding = Rounding {
        var: if base > 1.0 { base * base / 12.0 } else { 0.0 },
        cumulative: false,
    };
    rows_of_steps(profile, label, &steps, (1.0, rounding), level, stats)
}

/// The outcomes in the order their curves are capped: each after every outcome it is
/// nested in.
const CAP_ORDER: [Outcome; 5] = [
    Outcome::Referral,
    Outcome::Assessed,
    Outcome::S47,
    Outcome::Cin,
    Outcome::Cpp,
];

/// One curve of a released table, whatever its outcome: the part of the table (a trend
/// period), estimator, identifier mode, stratification and stratum.
type CurveOf = (usize, &'static str, IdMode, Stratification, Stratum);

/// Caps the released estimate of every nested outcome at those of the outcomes it is
/// nested in (module notes), among the rows of one table;
/// `part(i)` separates the curves of row `i` that are otherwise alike (a trend's
/// periods). Lowered estimates are counted in `stats`.
pub(crate) fn cap_nested(rows: &mut [CiRow], part: impl Fn(usize) -> usize, stats: &mut CellStats) {
    let mut curves: BTreeMap<CurveOf, BTreeMap<Outcome, Vec<usize>>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let key = (
            part(i),
            r.estimator.as_str(),
            r.id_mode,
            r.by,
            r.stratum.clone(),
        );
        curves
            .entry(key)
            .or_default()
            .entry(r.outcome)
            .or_default()
            .push(i);
    }
    for by_outcome in curves.values_mut() {
        for rows_of in by_outcome.values_mut() {
            rows_of.sort_by_key(|&i| rows[i].age);
        }
        for inner in CAP_ORDER {
            for &(lower, upper) in &NESTED {
                let (Some(inner_rows), Some(outer_rows)) =
                    (by_outcome.get(&lower), by_outcome.get(&upper))
                else {
                    continue;
                };
                if lower != inner {
                    continue;
                }
                let outer: Vec<(Age, f64)> = outer_rows
                    .iter()
                    .filter_map(|&i| Some((rows[i].age, rows[i].cum_inc?)))
                    .collect();
                let Some(&(last, _)) = outer.last() else {
                    continue;
                };
                for &i in inner_rows {
                    let r = &mut rows[i];
                    let (Some(v), true) = (r.cum_inc, r.age <= last) else {
                        continue;
                    };
                    // The outer curve does not fall, so its first released value at this
                    // age or later is the most it can be here: capping there removes every
                    // provable crossing while moving the inner estimate as little as
                    // possible (capping at the outer's last step end *before* this age
                    // lowered small strata by up to 12 points where the outer curve's
                    // step was long).
                    let Some(&(_, cap)) = outer.iter().find(|(a, _)| *a >= r.age) else {
                        continue;
                    };
                    if v > cap {
                        let shift = cap - v;
                        let moved = |x: Option<f64>| x.map(|x| (x + shift).clamp(0.0, 1.0));
                        r.cum_inc = Some(cap);
                        r.lower = moved(r.lower);
                        r.upper = moved(r.upper);
                        stats.nested_capped += 1;
                    }
                }
            }
        }
    }
}

/// Releases every curve of a curve table (`cumulative_incidence`, `sensitivity`), nested
/// outcomes capped (module notes).
pub fn release_curves(
    profile: SdcProfile,
    level: f64,
    spec: &'static TableSpec,
    labels: &[CurveLabel<'_>],
) -> Released<Vec<CiRow>> {
    let mut stats = CellStats::default();
    let mut rows: Vec<CiRow> = labels
        .iter()
        .flat_map(|l| release_curve(profile, level, l, &mut stats))
        .collect();
    cap_nested(&mut rows, |_| 0, &mut stats);
    Released::new(rows, profile, spec, stats)
}

/// Releases the periods' curves of `trend.csv`, each in its own steps, nested outcomes
/// capped within each period: `periods[i]` labels the curves of kind `Period(i)`.
pub fn release_trend(
    profile: SdcProfile,
    level: f64,
    labels: &[CurveLabel<'_>],
    periods: &[Period],
) -> Released<Vec<TrendRow>> {
    let mut stats = CellStats::default();
    let (mut rows, mut of_period) = (Vec::new(), Vec::new());
    for l in labels {
        let Kind::Period(p) = l.curve.kind else {
            continue;
        };
        let released = release_curve(profile, level, l, &mut stats);
        of_period.extend(std::iter::repeat_n(p, released.len()));
        rows.extend(released);
    }
    cap_nested(&mut rows, |i| of_period[i], &mut stats);
    let rows = rows
        .into_iter()
        .zip(of_period)
        .map(|(ci, p)| TrendRow {
            ci,
            period: periods[p],
        })
        .collect();
    Released::new(rows, profile, &spec::TREND, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::Outcome;
    use cumin_estimate::{CurveEstimator, Stratification, Stratum};

    fn curve(kind: Kind, corrected: bool, events: &[f64], at_risk: f64) -> Curve {
        let mut cum = 0.0;
        let points = events
            .iter()
            .enumerate()
            .map(|(a, e)| {
                cum += e / at_risk;
                Point {
                    age: a,
                    events: *e,
                    at_risk,
                    entered: at_risk,
                    cum_inc: cum,
                    se: 0.01,
                    ci: Interval {
                        lower: cum * 0.9,
                        upper: cum * 1.1,
                    },
                }
            })
            .collect();
        Curve {
            outcome: Outcome::Cpp,
            estimator: CurveEstimator::new(
                match kind {
                    Kind::Splice => cumin_estimate::Estimator::CohortSplice,
                    _ => cumin_estimate::Estimator::LifeTable,
                },
                corrected,
            ),
            by: Stratification::ALL,
            stratum: Stratum::all(),
            kind,
            corrected,
            points,
        }
    }

    fn release(profile: SdcProfile, c: &Curve) -> Vec<CiRow> {
        let label = CurveLabel {
            curve: c,
            id_mode: IdMode::Combined,
        };
        release_curve(profile, 0.95, &label, &mut CellStats::default())
    }

    #[test]
    fn steps_are_rises_of_the_rounded_cumulative_count_over_at_least_l_events() {
        let c = curve(
            Kind::Splice,
            false,
            &[12.0, 3.0, 4.0, 5.0, 20.0, 2.0],
            1000.0,
        );
        let rows = release(SdcProfile::OnsSrs, &c);
        let shown: Vec<Option<(i8, f64)>> = rows
            .iter()
            .map(|r| r.step_from.map(|f| (f.0, r.events.unwrap())))
            .collect();
        // Cumulative 12, 15, 19, 24, 44, 46, rounded to 10: 10, 20, 20, 20, 40, 50. Steps
        // close at 0 (12 events), at 3 (not at 1 or 2: 3 and 7 events since), at 4; the
        // last age joins the last step, which rises to 50.
        assert_eq!(
            shown,
            [
                Some((0, 10.0)),
                None,
                None,
                Some((1, 10.0)),
                None,
                Some((4, 30.0))
            ]
        );
        assert!(rows[1].suppressed && rows[1].cum_inc.is_none());
        // The rate from the released counts: 10/1000 + 10/1000 + 30/1000.
        assert!((rows[5].cum_inc.unwrap() - 0.05).abs() < 1e-15);
        assert_eq!(rows[5].at_risk, Some(1000.0));
    }

    #[test]
    fn a_curve_with_too_few_events_is_withheld_whole() {
        let c = curve(Kind::LifeTable, false, &[1.0, 2.0, 3.0], 500.0);
        for p in [SdcProfile::Jay2025, SdcProfile::Dfe, SdcProfile::OnsSrs] {
            assert!(
                release(p, &c)
                    .iter()
                    .all(|r| r.suppressed && r.cum_inc.is_none())
            );
        }
        let exact = release(SdcProfile::None, &c);
        assert_eq!(exact[2].events, Some(3.0));
        assert_eq!(exact[2].cum_inc, Some(c.points[2].cum_inc));
    }

    #[test]
    fn a_rate_times_its_count_gives_back_only_the_released_count() {
        // 7 events among 3213 children at one age: the rate shown is of 10 in 3210.
        let c = curve(Kind::Splice, false, &[7.0, 6.0], 3213.0);
        let rows = release(SdcProfile::Jay2025, &c);
        let r = &rows[1];
        assert_eq!((r.events, r.at_risk), (Some(10.0), Some(3210.0)));
        assert!((r.cum_inc.unwrap() - 10.0 / 3210.0).abs() < 1e-18);
    }

    /// Red team round 2: a life table's at-risk count `R = N − D` was released rounded,
    /// so an attacker with the public population `N` read `D` (children of the pooled
    /// cells with an earlier event) to within two, and pinned it where the rounding range
    /// met `N` (`N = 1002`: `R` 1002..998 all shown as 1000, but `N = 998`, `D = 0` shown
    /// as 1000 leaves only `D = 0`). Now the at-risk count shown is the same for every `D`
    /// the profile withholds, and moves only by a released count. Mutation checked: with
    /// `Form::ProductLimit => at_risk` (the old release) the distinct values below are
    /// 3 and 2.
    #[test]
    fn a_life_tables_at_risk_count_hides_its_earlier_events_from_the_population() {
        let shown = |profile: SdcProfile, n: f64, d: f64| {
            let mut c = curve(Kind::LifeTable, false, &[20.0, 12.0, 30.0], n - d);
            for p in &mut c.points {
                p.entered = n;
            }
            let rows = release(profile, &c);
            rows.iter().find_map(|r| r.at_risk).unwrap()
        };
        for (profile, hidden) in [(SdcProfile::OnsSrs, 0..=9), (SdcProfile::Jay2025, 0..=5)] {
            for n in [998.0, 1000.0, 1002.0, 1005.0] {
                let mut values: Vec<f64> = hidden
                    .clone()
                    .map(|d| shown(profile, n, f64::from(d)))
                    .collect();
                values.dedup();
                assert_eq!(values, vec![profile.round_count(n)], "{profile:?} N {n}");
            }
        }
        // A count the profile shows is taken off rounded.
        assert_eq!(shown(SdcProfile::OnsSrs, 1002.0, 23.0), 1000.0 - 25.0);
        assert_eq!(shown(SdcProfile::Jay2025, 1002.0, 23.0), 1000.0 - 20.0);
        // A splice's denominator is the population itself: rounded as before.
        let c = curve(Kind::Splice, false, &[20.0, 12.0, 30.0], 998.0);
        assert_eq!(release(SdcProfile::OnsSrs, &c)[0].at_risk, Some(1000.0));
    }

    #[test]
    fn limits_come_from_released_counts_widened_for_rounding() {
        let c = curve(Kind::Splice, false, &[40.0, 40.0], 2000.0);
        let rows = release(SdcProfile::Dfe, &c);
        let r = &rows[1];
        let f = r.cum_inc.unwrap();
        let plain = wilson(80.0, 2000.0, 0.95);
        // Same estimate as two rounded counts; wider than Wilson's for 80 of 2000.
        assert!((f - 0.04).abs() < 1e-15);
        assert!(r.lower.unwrap() < plain.lower && r.upper.unwrap() > plain.upper);
        // Life table: Greenwood of 40/2000 then 40/1960, plus the rounding.
        let c = curve(Kind::LifeTable, false, &[40.0, 40.0], 2000.0);
        let r = &release(SdcProfile::Dfe, &c)[1];
        assert!(r.lower.unwrap() < r.cum_inc.unwrap() && r.cum_inc.unwrap() < r.upper.unwrap());
    }

    #[test]
    fn corrected_curves_carry_their_design_effect() {
        let mut c = curve(Kind::Splice, true, &[40.0, 40.0, 40.0], 2000.0);
        let unadjusted = release(
            SdcProfile::OnsSrs,
            &Curve {
                corrected: false,
                ..c.clone()
            },
        );
        // The exact analysis's standard error is 2.34 times the formula's at one age.
        let formula = estimate(
            Form::Splice,
            &[0, 1, 2].map(|i| Step {
                from: i,
                to: i,
                events: 40.0,
                at_risk: 2000.0,
                rounded: 0.0,
            }),
            1.0,
            Rounding {
                var: 0.0,
                cumulative: true,
            },
            0.95,
        );
        for (p, f) in c.points.iter_mut().zip(&formula) {
            p.se = f.unwrap().se;
        }
        c.points[1].se *= 2.34;
        let spans = [(0, 0), (1, 1), (2, 2)];
        assert_eq!(design_effect(Form::Splice, &c.points, &spans, 0.95), 2.4);
        let corrected = release(SdcProfile::OnsSrs, &c);
        let width = |r: &CiRow| r.upper.unwrap() - r.lower.unwrap();
        assert!(width(&corrected[2]) > 2.0 * width(&unadjusted[2]));
        assert_eq!(corrected[2].cum_inc, unadjusted[2].cum_inc);
    }

    /// A curve of `outcome` with the given per-age events; at risk `population` at
    /// every age (splice) or the population less earlier events (life table).
    fn outcome_curve(outcome: Outcome, kind: Kind, events: &[f64], population: f64) -> Curve {
        let mut c = curve(kind, false, events, population);
        c.outcome = outcome;
        if kind == Kind::LifeTable {
            let mut before = 0.0;
            for p in &mut c.points {
                p.at_risk = population - before;
                before += p.events;
            }
        }
        c
    }

    /// The released estimates of a curve, `(age, estimate)` in age order.
    fn shown(rows: &[&CiRow]) -> Vec<(i8, f64)> {
        rows.iter()
            .filter_map(|r| Some((r.age.0, r.cum_inc?)))
            .collect()
    }

    /// Pairs `(outcome nested, outcome it is nested in, age)` where the released curves
    /// of `rows` provably cross: the nested outcome's released estimate at an age is above
    /// a released estimate of the outer outcome at that age or later (the outer curve
    /// does not fall, so it cannot be that low at the earlier age).
    fn crossings(rows: &[CiRow]) -> Vec<(Outcome, Outcome, usize)> {
        let of = |o: Outcome| -> Vec<&CiRow> { rows.iter().filter(|r| r.outcome == o).collect() };
        let mut out = Vec::new();
        for (lower, upper) in NESTED {
            let (l, u) = (shown(&of(lower)), shown(&of(upper)));
            for &(a, x) in &l {
                if u.iter().any(|&(b, y)| b >= a && x > y) {
                    out.push((lower, upper, a as usize));
                }
            }
        }
        out
    }

    /// Cohort-splice curves of referral and assessment from events by age, in 1,000 children.
    fn referred_and_assessed(referred: &[f64], assessed: &[f64]) -> [Curve; 2] {
        [
            outcome_curve(Outcome::Referral, Kind::Splice, referred, 1000.0),
            outcome_curve(Outcome::Assessed, Kind::Splice, assessed, 1000.0),
        ]
    }

    #[test]
    fn a_nested_curve_is_capped_at_the_curve_it_is_nested_in() {
        // A corrected estimator can give a nested outcome more events than the outcome it
        // is nested in: assessed 26 by age 2 (rounded 30), referred 20. Released as is,
        // assessed 3.0% at age 2 would sit above referred 2.0% at the same age (both
        // curves close a step there; later steps keep them in order: 4.0% ≤ 5.0%).
        let curves =
            referred_and_assessed(&[10.0, 0.0, 10.0, 0.0, 30.0], &[0.0, 0.0, 26.0, 0.0, 10.0]);
        let released = crate::testing::released(SdcProfile::Jay2025, &curves);
        let rows = released.get();
        assert!(crossings(rows).is_empty(), "{:?}", crossings(rows));
        let assessed = |a: usize| &rows[5 + a];
        // Capped at referral's 2.0% (its limits moved with it), counts as released.
        assert_eq!(assessed(2).cum_inc, Some(0.02));
        assert_eq!(assessed(2).events, Some(30.0));
        assert!(assessed(2).lower.unwrap() < 0.02 && assessed(2).upper.unwrap() > 0.02);
        assert_eq!(released.stats().nested_capped, 1);
    }

    #[test]
    fn a_nested_curve_inside_a_step_of_the_outer_curve_is_not_lowered() {
        // Referred 10 at age 0, 30 by age 3 (one step from age 1 to 3, rows 1-2 blank)
        // and 40 by 4; assessed 20 by age 2 and 30 by 4. Referral at age 2 lies between
        // 1.0% and 3.0%: assessed 2.0% there crosses nothing, and capping it at the last
        // step end (1.0%) would halve it.
        let curves =
            referred_and_assessed(&[10.0, 0.0, 0.0, 20.0, 10.0], &[0.0, 0.0, 20.0, 0.0, 10.0]);
        let released = crate::testing::released(SdcProfile::Jay2025, &curves);
        let rows = released.get();
        assert!(crossings(rows).is_empty(), "{:?}", crossings(rows));
        assert_eq!(rows[1].cum_inc, None, "referral at age 1 is inside a step");
        assert_eq!(rows[5 + 2].cum_inc, Some(0.02));
        assert_eq!(released.stats().nested_capped, 0);
    }

    proptest::proptest! {
        /// Whatever the counts (a corrected estimator's events of a nested outcome can
        /// exceed those of the outcome it is nested in), the released curves of nested
        /// outcomes never provably cross under every profile; a capped
        /// curve still rises and its released counts are those of its own steps.
        #[test]
        fn released_nested_curves_never_cross(
            referral in proptest::collection::vec(0.0f64..60.0, 18),
            shares in proptest::collection::vec(0.0f64..1.3, 4 * 18),
            population in 200.0f64..4000.0,
            life_table: bool,
            profile in proptest::sample::select(SdcProfile::ALL.to_vec()),
        ) {
            let kind = if life_table { Kind::LifeTable } else { Kind::Splice };
            let share = |k: usize, of: &[f64]| -> Vec<f64> {
                of.iter().enumerate().map(|(a, e)| e * shares[k * 18 + a]).collect()
            };
            let assessed = share(0, &referral);
            let cin = share(1, &assessed);
            let s47 = share(2, &referral);
            let cpp: Vec<f64> = share(3, &cin).iter().zip(&s47).map(|(a, b)| a.min(*b)).collect();
            let curves: Vec<Curve> = [
                (Outcome::Referral, &referral),
                (Outcome::Assessed, &assessed),
                (Outcome::Cin, &cin),
                (Outcome::S47, &s47),
                (Outcome::Cpp, &cpp),
            ]
            .into_iter()
            .map(|(o, e)| outcome_curve(o, kind, e, population))
            .collect();
            let released = crate::testing::released(profile, &curves);
            let rows = released.get();
            proptest::prop_assert!(crossings(rows).is_empty(), "{:?}", crossings(rows));
            let uncapped: Vec<CiRow> = curves
                .iter()
                .flat_map(|c| release(profile, c))
                .collect();
            for (r, u) in rows.iter().zip(&uncapped) {
                proptest::prop_assert_eq!((r.events, r.at_risk), (u.events, u.at_risk));
                proptest::prop_assert!(r.cum_inc <= u.cum_inc);
            }
            for c in rows.chunks(18) {
                let shown: Vec<f64> = c.iter().filter_map(|r| r.cum_inc).collect();
                proptest::prop_assert!(shown.windows(2).all(|w| w[0] <= w[1]), "{shown:?}");
            }
        }
    }

    #[test]
    fn a_jay_curve_is_its_released_counts_spliced() {
        let c = curve(Kind::Splice, false, &[14.0, 26.0, 3.0, 30.0], 1000.0);
        let label = CurveLabel {
            curve: &c,
            id_mode: IdMode::PmrSchoolAge,
        };
        let counts = [Some((20.0, 2)), Some((30.0, 1)), None, Some((30.0, 1))];
        let rows = release_curve_from_counts(
            SdcProfile::Dfe,
            0.95,
            &label,
            &counts,
            &mut CellStats::default(),
        );
        assert!((rows[1].cum_inc.unwrap() - 0.05).abs() < 1e-15);
        assert_eq!(rows[0].events, Some(20.0));
        assert!(rows[2].cum_inc.is_none() && rows[3].cum_inc.is_none());
    }
}
