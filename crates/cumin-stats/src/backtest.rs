//! The back-test of the left-censoring correction's model forms and the choice among
//! them: [`backtest`] holds out the longest observed distances and scores the refit's
//! prediction ([`pooled_rho`]); [`plausible_forms`] keeps the forms of
//! [`CANDIDATE_FORMS`] the back-test cannot tell apart (docs/methods.md §5.3).

use crate::correction::{BackwardCells, Form, fit_backward_model};
use ndarray::Array1;

/// How well the model extrapolates, judged on cells the data do observe.
///
/// The model is refitted without the `held_out` longest observed distances and asked to
/// predict them: for each held-out distance `d`, `S_d = Σ_x −log(1 − h(x + d, x))` over
/// its observed cells, against the refitted model's `Ŝ_d` over the same cells. The
/// squared misses `(S_d − Ŝ_d)²` include the sampling noise of the observed cells
/// (variance under the model by the delta method, `Σ ĥ / ((1 − ĥ) n)`) and of the refit
/// (`gᵀ Σ g`, `g = Σ ĥ ∂η/∂β` over the cells, `Σ` the refit's covariance); their sum
/// `v_d` is subtracted:
///
/// `ρ² = max(0, Σ_d ((S_d − Ŝ_d)² − v_d) / Σ_d Ŝ_d²)`.
///
/// Predicted rather than observed values scale the errors, so a held-out distance with
/// few children cannot produce a huge relative error by chance.
///
/// `ρ` is the relative error to expect of the modelled part of a factor,
/// `−log Π (1 − h)` over its modelled cells. It is an estimate from a shorter
/// extrapolation (up to `held_out` distances beyond the fit) than the one used (up to
/// six at age 17), so it can only understate a model that fails further out.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtest {
    /// Longest observed distance `a − x`.
    pub longest: usize,
    /// Per held-out distance: `(d, S_d, Ŝ_d, v_d)`, `v_d` from the predicted hazards.
    pub distances: Vec<(usize, f64, f64, f64)>,
    /// The relative extrapolation error `ρ`.
    pub rho: f64,
}

/// Runs [`Backtest`], holding out the `held_out` longest observed distances. `None` when
/// too few distances are observed to refit the model without them (fewer than three
/// left) or the refit fails.
pub fn backtest(cells: &BackwardCells, held_out: usize, form: Form) -> Option<Backtest> {
    let n_ages = cells.children.nrows();
    let observed = |a: usize, x: usize| cells.covered[[a, x]] && cells.children[[a, x]] > 0.0;
    let longest = (1..n_ages)
        .flat_map(|a| (0..a).map(move |x| (a, x)))
        .filter(|&(a, x)| observed(a, x))
        .map(|(a, x)| a - x)
        .max()?;
    if held_out == 0 || longest < held_out + 3 {
        return None;
    }
    let cut = longest - held_out;
    let mut train = cells.clone();
    for ((a, x), c) in train.covered.indexed_iter_mut() {
        if x < a && a - x > cut {
            *c = false;
        }
    }
    let model = fit_backward_model(&train, form).ok()?;
    let k = model.fit.coef.len();
    let mut distances = Vec::new();
    for d in cut + 1..=longest {
        let (mut s, mut s_hat, mut v) = (0.0, 0.0, 0.0);
        let mut grad = Array1::<f64>::zeros(k);
        for x in 0..n_ages.saturating_sub(d) {
            let a = x + d;
            if !observed(a, x) {
                continue;
            }
            let n = cells.children[[a, x]];
            let h = cells.with_event[[a, x]] / n;
            let Some(h_hat) = model.hazard(a, x) else {
                continue;
            };
            if h >= 1.0 || h_hat >= 1.0 {
                continue;
            }
            s += -(1.0 - h).ln();
            s_hat += -(1.0 - h_hat).ln();
            v += h_hat / ((1.0 - h_hat) * n);
            // ∂(−log(1 − ĥ))/∂η = ĥ.
            grad.scaled_add(h_hat, &model.gradient(a, x));
        }
        v += grad.dot(&model.fit.covariance.dot(&grad));
        distances.push((d, s, s_hat, v));
    }
    let mut b = Backtest {
        longest,
        distances,
        rho: 0.0,
    };
    b.rho = pooled_rho(std::slice::from_ref(&b))?;
    Some(b)
}

/// `ρ` of several back-tests of the same model form (strata that fit their own), pooled
/// as one: `max(0, Σ ((S − Ŝ)² − v) / Σ Ŝ²)` over all their held-out distances. `None`
/// when nothing was predicted.
pub fn pooled_rho(tests: &[Backtest]) -> Option<f64> {
    let all = || tests.iter().flat_map(|t| &t.distances);
    let scale: f64 = all().map(|(_, _, s_hat, _)| s_hat * s_hat).sum();
    if scale.is_nan() || scale <= 0.0 {
        return None;
    }
    let miss: f64 = all().map(|(_, s, s_hat, v)| (s - s_hat).powi(2) - v).sum();
    Some((miss / scale).max(0.0).sqrt())
}

/// The forms the ensemble chooses among: log-quadratic (F1), log-cubic (F3) and
/// log-linear (F4). Left out: the quadratic in `d` (F2), whose fitted logit turns up
/// within the extrapolated distances under a high-risk mixture (backward hazards that
/// rise with the years between two events; decile 1 under-stated by 6 to 9 points in
/// four of four mixture extracts, docs/notes/2026-12-06-corrections-on-independent-data.md),
/// and F1 with an age-dependent decay (F5), which never differed from F1 by more than
/// 0.1 point and would make a pair that hides the forms' disagreement.
pub const CANDIDATE_FORMS: [Form; 3] = [Form::LogQuadratic, Form::LogCubic, Form::LogLinear];

/// The back-test's relative error below which a form counts as good as the best one:
/// within `PLAUSIBLE_FACTOR × ρ_min + PLAUSIBLE_SLACK`. Three held-out distances judge a
/// three-year extrapolation where age 17 needs six, and `ρ` carries sampling noise, so
/// forms close to the best are not told apart: the ensemble averages them and its spread
/// widens the interval.
pub const PLAUSIBLE_FACTOR: f64 = 2.0;
/// See [`PLAUSIBLE_FACTOR`].
pub const PLAUSIBLE_SLACK: f64 = 0.02;
/// The ensemble always holds at least this many forms (the best by back-test): one form
/// chosen by a noisy back-test is a guess, two give the interval their disagreement.
pub const MIN_ENSEMBLE: usize = 2;

/// The forms the back-test cannot tell apart: those whose `ρ` is within
/// `PLAUSIBLE_FACTOR × ρ_min + PLAUSIBLE_SLACK` of zero, and at least the
/// [`MIN_ENSEMBLE`] best; ordered by `ρ` (ties in the order given). Forms without a
/// back-test (`None`) take no part; if no form has one, the default form alone
/// ([`Form::LogQuadratic`]).
pub fn plausible_forms(rhos: &[(Form, Option<f64>)]) -> Vec<Form> {
    let mut tested: Vec<(f64, Form)> = rhos
        .iter()
        .filter_map(|(f, r)| r.filter(|r| r.is_finite()).map(|r| (r, *f)))
        .collect();
    if tested.is_empty() {
        return vec![Form::LogQuadratic];
    }
    tested.sort_by(|a, b| a.0.total_cmp(&b.0));
    let limit = PLAUSIBLE_FACTOR * tested[0].0 + PLAUSIBLE_SLACK;
    tested
        .iter()
        .enumerate()
        .filter(|(i, (r, _))| *i < MIN_ENSEMBLE || *r <= limit)
        .map(|(_, (_, f))| *f)
        .collect()
}

impl Backtest {
    /// The back-test of the mean of several forms' predictions (an ensemble of forms
    /// fitted to the same cells): per held-out distance the observed `S_d`, the mean of
    /// the forms' `Ŝ_d` and of their noise `v_d`. `None` without tests, or if they did not
    /// hold out the same distances.
    pub fn mean(tests: &[Backtest]) -> Option<Backtest> {
        let first = tests.first()?;
        let same = tests.iter().all(|t| {
            t.longest == first.longest
                && t.distances.len() == first.distances.len()
                && t.distances
                    .iter()
                    .zip(&first.distances)
                    .all(|(a, b)| a.0 == b.0)
        });
        if !same {
            return None;
        }
        let n = tests.len() as f64;
        let distances = (0..first.distances.len())
            .map(|i| {
                let (d, s, _, _) = first.distances[i];
                let s_hat = tests.iter().map(|t| t.distances[i].2).sum::<f64>() / n;
                let v = tests.iter().map(|t| t.distances[i].3).sum::<f64>() / n;
                (d, s, s_hat, v)
            })
            .collect();
        let mut b = Backtest {
            longest: first.longest,
            distances,
            rho: 0.0,
        };
        b.rho = pooled_rho(std::slice::from_ref(&b))?;
        Some(b)
    }
}
