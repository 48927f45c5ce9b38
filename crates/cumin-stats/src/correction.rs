//! The left-censoring correction: what share of first *observed* events are first *ever*.
//!
//! A cohort born before the window start is first wholly observed at some age `u > 0`; a
//! child whose first event in the observed years is at age `a` may have had one before
//! `u`. The factor `c(b,a)` is the share of those children with no event before `u`.
//!
//! **Chain rule.** Write `h(a,x)` for the share, among children with an event at age `a`
//! and none at ages `x+1..a−1`, of those with an event at age `x` (a *backward hazard*).
//! Then, exactly,
//!
//! `c(b,a) = Π_{x=0}^{u_b−1} (1 − h(a,x))`,
//!
//! because "no event before `u`" is "none at `u−1`, then none at `u−2`, …", each step
//! conditional on the ones after it. `h(a,x)` is *observable* from any cohort wholly
//! observed at every age from `x` to `a`, so it is estimated by pooling those cohorts'
//! lookback tables (children of any cohort are assumed to share `h`, as the life table
//! assumes they share hazards). With a window from 2011 and data to 2024 every `h(a,x)`
//! with `a − x ≤ 11` is observable for some cohort; cells further apart (a late event and
//! an early year, e.g. `a = 17`, `x ≤ 5`) are not, and only those are modelled.
//!
//! **Model for the unobservable cells.** `logit h(a,x) = α_x + β₁ log d + β₂ log² d`,
//! `d = a − x`: an effect of the age `x` of the earlier year (how common events are at
//! that age) and a smooth decay in the distance between the two years (the more
//! event-free years lie between, the less likely an earlier event), fitted by binomial
//! maximum likelihood to the observable cells. It assumes no particular form of how risk
//! differs between children, only that the decay continues smoothly for the few years
//! past the longest distance observed (`docs/methods.md` compares it with other forms
//! under several simulated risk structures). Observable cells use their own pooled
//! estimate, never the model.

use crate::glm::{LogitError, LogitFit, expit, fit_logit_from};
use ndarray::{Array1, Array2, ArrayView2, ArrayView3};

/// Where a backward hazard comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Pooled from cohorts that observe both ages.
    Observed,
    /// Predicted by the model (no cohort observes both ages).
    Modelled,
    /// Predicted by a model fitted to more children (a stratification's strata pooled),
    /// because this stratum's own could not be fitted; shifted on the logit scale to
    /// agree with this stratum's observed cells.
    Borrowed,
    /// Neither: no model could be fitted or borrowed; `h = 0` (no correction for this
    /// cell).
    Missing,
}

impl Source {
    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Observed => "observed",
            Source::Modelled => "modelled",
            Source::Borrowed => "borrowed",
            Source::Missing => "missing",
        }
    }
}

/// Backward-hazard cells pooled over cohorts, indexed `[[a, x]]` with `x < a`.
#[derive(Clone, Debug, PartialEq)]
pub struct BackwardCells {
    /// Children with an event at age `a` and none at ages `x+1..a−1`, in cohorts that
    /// observe every age from `x` to `a`.
    pub children: Array2<f64>,
    /// Of those, children with an event at age `x`.
    pub with_event: Array2<f64>,
    /// Whether some cohort observes every age from `x` to `a`.
    pub covered: Array2<bool>,
}

/// Pools the lookback tables `lookback[[b, a, p]]` (cohort × age × earlier event year,
/// position 0 for none and `1 + p` for age `p`; as `cumin_cohort::tabulate_years`
/// writes them) over the cells `used` (each cohort's unbroken run of wholly observed ages).
pub fn backward_cells(lookback: ArrayView3<'_, f64>, used: ArrayView2<'_, bool>) -> BackwardCells {
    let (n_cohorts, n_ages, n_prev) = lookback.dim();
    assert_eq!(used.dim(), (n_cohorts, n_ages));
    assert_eq!(n_prev, n_ages + 1);
    let mut cells = BackwardCells {
        children: Array2::zeros((n_ages, n_ages)),
        with_event: Array2::zeros((n_ages, n_ages)),
        covered: Array2::from_elem((n_ages, n_ages), false),
    };
    for b in 0..n_cohorts {
        let Some(entry) = (0..n_ages).find(|&a| used[[b, a]]) else {
            continue;
        };
        for a in (entry + 1..n_ages).take_while(|&a| used[[b, a]]) {
            // Children with an event at a whose latest earlier event year is ≤ x (or none).
            let mut clean = lookback[[b, a, 0]];
            for x in entry..a {
                clean += lookback[[b, a, 1 + x]];
                cells.children[[a, x]] += clean;
                cells.with_event[[a, x]] += lookback[[b, a, 1 + x]];
                cells.covered[[a, x]] = true;
            }
        }
    }
    cells
}

/// The fitted correction: a backward hazard for every pair of ages, and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Correction {
    /// The pooled cells the model was fitted to.
    pub cells: BackwardCells,
    /// `h(a,x)` used, `[[a, x]]` for `x < a`.
    pub hazard: Array2<f64>,
    /// Where each `h(a,x)` came from.
    pub source: Array2<Source>,
    /// The models for unobservable cells that could be fitted on these cells, one per
    /// form asked for (a form whose fit failed is absent).
    pub models: Vec<BackwardModel>,
}

/// Fits the model (the default form, [`Form::LogQuadratic`]) to the observable cells and
/// fills every backward hazard.
pub fn fit_correction(cells: BackwardCells) -> Correction {
    fit_correction_or(cells, || None)
}

/// [`fit_correction`], borrowing `fallback` where the cells' own model cannot be fitted
/// (too few events: a small stratum). The borrowed model keeps the fallback's shape (its
/// `α_x` and decay) and moves every `α_x` by one shift `δ`, the maximum-likelihood value
/// on this stratum's observed cells, so that its predictions agree with them in total
/// (`Σ k = Σ n·expit(η + δ)`). With no observed cell the shift is 0; with no event in
/// any, or every child with one, the shift is infinite and nothing is borrowed.
/// `fallback` is asked for only then, so a pooled model need not be fitted when every
/// stratum fits its own.
pub fn fit_correction_or<'a>(
    cells: BackwardCells,
    fallback: impl FnOnce() -> Option<&'a BackwardModel>,
) -> Correction {
    let mut fallback = Some(fallback);
    fit_correction_forms(cells, &[Form::LogQuadratic], |_| {
        fallback.take().and_then(|f| f())
    })
}

/// The correction with the modelled backward hazards averaged over several forms (the
/// forms the back-test cannot tell apart; [`crate::backtest::plausible_forms`]): each
/// unobservable cell takes the mean of the forms' predictions, each form from the cells'
/// own fit or, where that fails, from `fallback(form)` shifted to the cells as in
/// [`fit_correction_or`].
/// A cell is `Modelled` if some form's own fit predicts it, `Borrowed` if only borrowed
/// models do, `Missing` if none. `fallback` is asked only for forms whose own fit fails.
pub fn fit_correction_forms<'a>(
    cells: BackwardCells,
    forms: &[Form],
    fallback: impl FnMut(Form) -> Option<&'a BackwardModel>,
) -> Correction {
    fit_correction_forms_from(cells, forms, fallback, |_| None, true)
}

/// [`fit_correction_forms`] with each form's own fit started from `start(form)`'s
/// coefficients where that model has the same design ([`fit_backward_model_from`]), its
/// coefficients' covariance computed only if `covariance` (a bootstrap replicate's fits
/// need none: the hazards and curves are the same either way).
pub fn fit_correction_forms_from<'a, 'b>(
    cells: BackwardCells,
    forms: &[Form],
    mut fallback: impl FnMut(Form) -> Option<&'a BackwardModel>,
    start: impl Fn(Form) -> Option<&'b BackwardModel>,
    covariance: bool,
) -> Correction {
    let n_ages = cells.children.nrows();
    let mut own = Vec::new();
    let mut borrowed = Vec::new();
    for &form in forms {
        match fit_backward_model_from(&cells, form, start(form), covariance) {
            Ok(m) => own.push(m),
            Err(_) => {
                if let Some(m) = fallback(form)
                    .and_then(|f| logit_shift(&cells, f).map(|delta| f.shifted(delta)))
                {
                    borrowed.push(m);
                }
            }
        }
    }
    let mut hazard = Array2::zeros((n_ages, n_ages));
    let mut source = Array2::from_elem((n_ages, n_ages), Source::Missing);
    for a in 1..n_ages {
        for x in 0..a {
            if cells.covered[[a, x]] && cells.children[[a, x]] > 0.0 {
                hazard[[a, x]] = cells.with_event[[a, x]] / cells.children[[a, x]];
                source[[a, x]] = Source::Observed;
                continue;
            }
            let (mut sum, mut n, mut any_own) = (0.0, 0usize, false);
            for (m, is_own) in own
                .iter()
                .map(|m| (m, true))
                .chain(borrowed.iter().map(|m| (m, false)))
            {
                if let Some(h) = m.hazard(a, x) {
                    sum += h;
                    n += 1;
                    any_own |= is_own;
                }
            }
            if n > 0 {
                hazard[[a, x]] = sum / n as f64;
                source[[a, x]] = if any_own {
                    Source::Modelled
                } else {
                    Source::Borrowed
                };
            }
        }
    }
    Correction {
        cells,
        hazard,
        source,
        models: own,
    }
}

/// The shift `δ` of [`fit_correction_or`]: the root of `Σ n·expit(η + δ) − Σ k` over the
/// observed cells that `model` predicts, found by bisection (the left side increases in
/// `δ`). `Some(0)` with no such cell; `None` when the root is infinite.
fn logit_shift(cells: &BackwardCells, model: &BackwardModel) -> Option<f64> {
    let n_ages = cells.children.nrows();
    let mut terms: Vec<(f64, f64, f64)> = Vec::new();
    for a in 1..n_ages {
        for x in 0..a {
            let n = cells.children[[a, x]];
            if cells.covered[[a, x]]
                && n > 0.0
                && let Some(eta) = model.linear(a, x)
            {
                terms.push((cells.with_event[[a, x]], n, eta));
            }
        }
    }
    let (k, n): (f64, f64) = terms.iter().fold((0.0, 0.0), |s, t| (s.0 + t.0, s.1 + t.1));
    if terms.is_empty() {
        return Some(0.0);
    }
    if k <= 0.0 || k >= n {
        return None;
    }
    let excess = |d: f64| terms.iter().map(|t| t.1 * expit(t.2 + d)).sum::<f64>() - k;
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Correction factors for a cohort table.
#[derive(Clone, Debug, PartialEq)]
pub struct Factors {
    /// `c(b,a)`; 1 for cohorts observed from birth and at ages before a cohort's entry.
    pub factor: Array2<f64>,
    /// The part of `c(b,a)` that rests on modelled (or missing) backward hazards: the
    /// product of their `1 − h`. 1 where everything needed was observed.
    pub extrapolated: Array2<f64>,
}

impl Correction {
    /// `c(b,a) = Π_{x<u_b} (1 − h(a,x))` for cohorts first wholly observed at `entry[b]`
    /// (`None`: never; factor 1), over `n_ages` ages. Any cohort design can ask: the
    /// longest-lookback splice, the life table's every cohort, or fixed cohorts such as
    /// Jay et al.'s.
    pub fn factors(&self, entry: &[Option<usize>], n_ages: usize) -> Factors {
        let mut factor = Array2::from_elem((entry.len(), n_ages), 1.0);
        let mut extrapolated = Array2::from_elem((entry.len(), n_ages), 1.0);
        for (b, u) in entry.iter().enumerate() {
            let Some(u) = *u else { continue };
            for a in u..n_ages.min(self.hazard.nrows()) {
                for x in 0..u {
                    let q = 1.0 - self.hazard[[a, x]];
                    factor[[b, a]] *= q;
                    if self.source[[a, x]] != Source::Observed {
                        extrapolated[[b, a]] *= q;
                    }
                }
            }
        }
        Factors {
            factor,
            extrapolated,
        }
    }

    /// The same correction with every modelled hazard set to 0: only what the data
    /// observe is corrected (the bound "c = 1 where extrapolated").
    #[must_use]
    pub fn observed_only(&self) -> Correction {
        let mut c = self.clone();
        for ((a, x), s) in self.source.indexed_iter() {
            if *s != Source::Observed {
                c.hazard[[a, x]] = 0.0;
            }
        }
        c
    }
}

/// The form of the backward-hazard model's decay: `logit h(a,x) = α_x + Σ_j β_j t_j(a, x)`
/// with terms `t_j` in the distance `d = a − x` (and, for one form, the earlier age).
/// None builds in a form of how risk differs between children; they differ in how they
/// continue the decay past the longest distance observed, which is where the mixture of a
/// high-risk minority and a low-risk majority and the gamma frailty part ways
/// (docs/methods.md §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Form {
    /// `β₁ log d + β₂ log² d` (F1, the form used alone before issue 19).
    LogQuadratic,
    /// `β₁ d/10 + β₂ (d/10)²` (F2).
    Quadratic,
    /// `β₁ log d + β₂ log² d + β₃ log³ d` (F3).
    LogCubic,
    /// `β₁ log d` (F4).
    LogLinear,
    /// `β₁ log d + β₂ log² d + γ (x/10) log d`: a decay that changes with the earlier
    /// age (F5).
    LogQuadraticAgeSlope,
}

impl Form {
    /// Every form, in the order of their names F1..F5.
    pub const ALL: [Form; 5] = [
        Form::LogQuadratic,
        Form::Quadratic,
        Form::LogCubic,
        Form::LogLinear,
        Form::LogQuadraticAgeSlope,
    ];

    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::LogQuadratic => "log-quadratic",
            Form::Quadratic => "quadratic",
            Form::LogCubic => "log-cubic",
            Form::LogLinear => "log-linear",
            Form::LogQuadraticAgeSlope => "log-quadratic-age-slope",
        }
    }

    /// Number of decay terms.
    pub fn n_terms(self) -> usize {
        match self {
            Form::LogLinear => 1,
            Form::LogQuadratic | Form::Quadratic => 2,
            Form::LogCubic | Form::LogQuadraticAgeSlope => 3,
        }
    }

    /// The decay terms at `(a, x)`, `x < a` (unused entries 0).
    pub fn terms(self, a: usize, x: usize) -> [f64; 3] {
        let d = (a - x) as f64;
        let ld = d.ln();
        match self {
            Form::LogQuadratic => [ld, ld * ld, 0.0],
            Form::Quadratic => [d / 10.0, (d / 10.0).powi(2), 0.0],
            Form::LogCubic => [ld, ld * ld, ld * ld * ld],
            Form::LogLinear => [ld, 0.0, 0.0],
            Form::LogQuadraticAgeSlope => [ld, ld * ld, x as f64 / 10.0 * ld],
        }
    }
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The model for unobservable backward hazards: `logit h(a,x) = α_x + Σ_j β_j t_j(a, x)`,
/// the terms of its [`Form`].
#[derive(Clone, Debug, PartialEq)]
pub struct BackwardModel {
    /// The form of its decay.
    pub form: Form,
    /// Design column of `α_x` for each earlier age `x` (`None`: no observed cell has an
    /// event at `x`, so `h(·,x) = 0`; or no observed cell at all).
    pub column: Vec<Option<usize>>,
    /// Whether earlier age `x` had any observed cell.
    pub seen: Vec<bool>,
    /// The fitted regression: `α` for each used `x`, then the form's `β`s.
    pub fit: LogitFit,
}

impl BackwardModel {
    /// Number of `α_x` columns (the form's terms follow them).
    fn n_alpha(&self) -> usize {
        self.fit.coef.len() - self.form.n_terms()
    }

    /// The linear predictor `α_x + Σ β_j t_j(a, x)` at `(a, x)`, where the model has an
    /// `α_x`.
    pub fn linear(&self, a: usize, x: usize) -> Option<f64> {
        let col = self.column[x]?;
        let k = self.n_alpha();
        let t = self.form.terms(a, x);
        let decay: f64 = (0..self.form.n_terms())
            .map(|j| self.fit.coef[k + j] * t[j])
            .sum();
        Some(self.fit.coef[col] + decay)
    }

    /// `∂η/∂coef` at `(a, x)`, the gradient of [`BackwardModel::linear`] (zero where the
    /// model has no `α_x`).
    pub(crate) fn gradient(&self, a: usize, x: usize) -> Array1<f64> {
        let mut g = Array1::zeros(self.fit.coef.len());
        if let Some(col) = self.column[x] {
            g[col] = 1.0;
            let k = self.n_alpha();
            let t = self.form.terms(a, x);
            for j in 0..self.form.n_terms() {
                g[k + j] = t[j];
            }
        }
        g
    }

    /// The same model with every `α_x` moved by `delta`.
    #[must_use]
    pub fn shifted(&self, delta: f64) -> BackwardModel {
        let mut m = self.clone();
        let k = m.n_alpha();
        for c in m.fit.coef.iter_mut().take(k) {
            *c += delta;
        }
        m
    }

    /// Predicted `h(a,x)`, or `None` where the model knows nothing about age `x`.
    pub fn hazard(&self, a: usize, x: usize) -> Option<f64> {
        if !self.seen[x] {
            return None;
        }
        Some(self.linear(a, x).map_or(0.0, expit))
    }
}

/// Fits [`BackwardModel`] of `form` to the observable cells.
pub fn fit_backward_model(cells: &BackwardCells, form: Form) -> Result<BackwardModel, LogitError> {
    fit_backward_model_from(cells, form, None, true)
}

/// [`fit_backward_model`], its iterations started from `start`'s coefficients if `start`
/// is a model of the same form with the same `α_x` columns (a warm start: a bootstrap
/// replicate's fit from the point estimate's); otherwise as [`fit_backward_model`]. The
/// fit's covariance is left empty unless `covariance` ([`crate::glm::fit_logit_from`]).
pub fn fit_backward_model_from(
    cells: &BackwardCells,
    form: Form,
    start: Option<&BackwardModel>,
    covariance: bool,
) -> Result<BackwardModel, LogitError> {
    let n_ages = cells.children.nrows();
    let observed = |a: usize, x: usize| cells.covered[[a, x]] && cells.children[[a, x]] > 0.0;
    let mut seen = vec![false; n_ages];
    let mut events_at = vec![0.0; n_ages];
    for a in 1..n_ages {
        for x in (0..a).filter(|&x| observed(a, x)) {
            seen[x] = true;
            events_at[x] += cells.with_event[[a, x]];
        }
    }
    // An earlier age with no event in any observed cell has h = 0 there: its α would be
    // −∞, which the regression cannot hold, and it says nothing about the decay.
    let mut column = vec![None; n_ages];
    let mut n_cols = 0;
    for x in 0..n_ages {
        if seen[x] && events_at[x] > 0.0 {
            column[x] = Some(n_cols);
            n_cols += 1;
        }
    }
    let rows: Vec<(usize, usize)> = (1..n_ages)
        .flat_map(|a| (0..a).map(move |x| (a, x)))
        .filter(|&(a, x)| observed(a, x) && column[x].is_some())
        .collect();
    let n_terms = form.n_terms();
    let mut design = Array2::zeros((rows.len(), n_cols + n_terms));
    let mut k = Array1::zeros(rows.len());
    let mut n = Array1::zeros(rows.len());
    for (i, &(a, x)) in rows.iter().enumerate() {
        design[[i, column[x].expect("filtered")]] = 1.0;
        let t = form.terms(a, x);
        for j in 0..n_terms {
            design[[i, n_cols + j]] = t[j];
        }
        k[i] = cells.with_event[[a, x]];
        n[i] = cells.children[[a, x]];
    }
    let start = start
        .filter(|m| m.form == form && m.column == column)
        .map(|m| m.fit.coef.view());
    let fit = fit_logit_from(design.view(), k.view(), n.view(), start, covariance)?;
    Ok(BackwardModel {
        form,
        column,
        seen,
        fit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::*;
    use ndarray::Array3;
    use proptest::prelude::*;

    /// Lookback tables from event-year bit masks (bit `a`: an event at age `a`), one
    /// cohort per entry age, every child of a cohort wholly observed from its entry to
    /// the last age: what `cumin_cohort::tabulate_years` writes.
    fn lookback_from_masks(
        cohorts: &[(usize, Vec<u32>)],
        n_ages: usize,
    ) -> (Array3<f64>, Array2<bool>) {
        let mut t = Array3::zeros((cohorts.len(), n_ages, n_ages + 1));
        let mut used = Array2::from_elem((cohorts.len(), n_ages), false);
        for (b, (entry, masks)) in cohorts.iter().enumerate() {
            for a in *entry..n_ages {
                used[[b, a]] = true;
            }
            for m in masks {
                let mut earlier = 0;
                for a in *entry..n_ages {
                    if m & (1 << a) != 0 {
                        t[[b, a, earlier]] += 1.0;
                        earlier = 1 + a;
                    }
                }
            }
        }
        (t, used)
    }

    #[test]
    fn cells_pool_cohorts_that_observe_both_ages() {
        // Cohort 0 from birth: children with events at {0, 2}, {2}, {1, 2}.
        // Cohort 1 from age 1: a child with events at {0, 1, 2} (age 0 unseen).
        let (t, used) = lookback_from_masks(&[(0, vec![0b101, 0b100, 0b110]), (1, vec![0b111])], 3);
        let c = backward_cells(t.view(), used.view());
        // h(2, 1): event at 2 → all four (three from cohort 0, one from cohort 1) are
        // clean at no ages in between; two have an event at 1.
        assert_eq!((c.children[[2, 1]], c.with_event[[2, 1]]), (4.0, 2.0));
        // h(2, 0): only cohort 0 observes age 0; of its two children with an event at 2
        // and none at 1, one had an event at 0.
        assert_eq!((c.children[[2, 0]], c.with_event[[2, 0]]), (2.0, 1.0));
        assert!(c.covered[[2, 0]] && c.covered[[1, 0]]);
        assert_eq!((c.children[[1, 0]], c.with_event[[1, 0]]), (1.0, 0.0));
    }

    #[test]
    fn the_model_recovers_a_generating_logit() {
        // Cells generated exactly from α_x = −1 − 0.1x, β₁ = −0.4, β₂ = −0.15, with
        // cohorts seeing distances up to 8 only; the model predicts distances 9..11.
        let n_ages = 12;
        let truth = |a: usize, x: usize| {
            let ld = ((a - x) as f64).ln();
            expit(-1.0 - 0.1 * x as f64 - 0.4 * ld - 0.15 * ld * ld)
        };
        let mut cells = BackwardCells {
            children: Array2::zeros((n_ages, n_ages)),
            with_event: Array2::zeros((n_ages, n_ages)),
            covered: Array2::from_elem((n_ages, n_ages), false),
        };
        for a in 1..n_ages {
            for x in 0..a {
                if a - x <= 8 {
                    cells.children[[a, x]] = 1e6;
                    cells.with_event[[a, x]] = 1e6 * truth(a, x);
                    cells.covered[[a, x]] = true;
                }
            }
        }
        let corr = fit_correction(cells);
        for a in 9..n_ages {
            for x in 0..a - 8 {
                assert_eq!(corr.source[[a, x]], Source::Modelled);
                assert!((corr.hazard[[a, x]] - truth(a, x)).abs() < 1e-9, "{a} {x}");
            }
        }
        assert_eq!(corr.source[[5, 1]], Source::Observed);
        // Factors multiply 1 − h over the unseen ages; only the modelled part is
        // "extrapolated".
        let f = corr.factors(&[None, Some(3)], n_ages);
        assert_eq!(f.factor[[0, 11]], 1.0);
        let want: f64 = (0..3).map(|x| 1.0 - truth(11, x)).product();
        assert!((f.factor[[1, 11]] - want).abs() < 1e-9);
        assert!((f.extrapolated[[1, 11]] - want).abs() < 1e-9);
        let e: f64 = (0..3)
            .map(|x| 1.0 - truth(10, x))
            .filter(|_| true)
            .product::<f64>()
            / (1.0 - truth(10, 2));
        assert!(
            (f.extrapolated[[1, 10]] - e).abs() < 1e-9,
            "only x ≤ 1 is unseen at 10"
        );
        let bound = corr.observed_only().factors(&[None, Some(3)], n_ages);
        assert!((bound.factor[[1, 11]] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_stratum_without_a_model_borrows_the_pooled_one_shifted_to_its_cells() {
        // The pooled cells follow the logit form out to distance 8; a small stratum
        // sees distances 1 and 2 only (its decay terms cannot be told apart, so its own
        // fit fails), with every hazard 0.5 higher on the logit scale.
        let n_ages = 12;
        let eta = |a: usize, x: usize| {
            let ld = ((a - x) as f64).ln();
            -1.0 - 0.1 * x as f64 - 0.4 * ld - 0.15 * ld * ld
        };
        let cells = |max_d: usize, n: f64, shift: f64| {
            cells_within(n_ages, max_d, n, |a, x| expit(eta(a, x) + shift))
        };
        let pooled =
            fit_backward_model(&cells(8, 1e6, 0.0), Form::LogQuadratic).expect("pooled fit");
        let small = cells(2, 40.0, 0.5);
        assert!(
            fit_backward_model(&small, Form::LogQuadratic).is_err(),
            "its own fit fails"
        );
        let alone = fit_correction(small.clone());
        assert_eq!(alone.source[[11, 0]], Source::Missing);
        assert_eq!(alone.hazard[[11, 0]], 0.0);
        let helped = fit_correction_or(small.clone(), || Some(&pooled));
        for a in 3..n_ages {
            for x in 0..a - 2 {
                assert_eq!(helped.source[[a, x]], Source::Borrowed);
                let want = expit(eta(a, x) + 0.5);
                assert!((helped.hazard[[a, x]] - want).abs() < 1e-9, "{a} {x}");
            }
        }
        assert_eq!(helped.source[[5, 4]], Source::Observed);
        assert!(
            helped.models.is_empty(),
            "the stratum's own model is still reported absent"
        );
        // A model it can fit itself is never replaced.
        let own = fit_correction_or(cells(8, 1e6, 0.3), || Some(&pooled));
        assert_eq!(own.source[[11, 0]], Source::Modelled);
        // No event in any observed cell: the shift is infinite, nothing is borrowed.
        let none = fit_correction_or(cells(2, 40.0, -1e3), || Some(&pooled));
        assert_eq!(none.source[[11, 0]], Source::Missing);
    }

    /// Cells at every distance up to 11 with `n` children each, hazards `hazard(a, x)`.
    fn cells_from(n_ages: usize, n: f64, hazard: impl Fn(usize, usize) -> f64) -> BackwardCells {
        cells_within(n_ages, 11, n, hazard)
    }

    /// Cells at every distance up to `max_d` with `n` children each, hazards `hazard(a, x)`.
    fn cells_within(
        n_ages: usize,
        max_d: usize,
        n: f64,
        hazard: impl Fn(usize, usize) -> f64,
    ) -> BackwardCells {
        let mut cells = BackwardCells {
            children: Array2::zeros((n_ages, n_ages)),
            with_event: Array2::zeros((n_ages, n_ages)),
            covered: Array2::from_elem((n_ages, n_ages), false),
        };
        for a in 1..n_ages {
            for x in 0..a.min(n_ages) {
                if a - x <= max_d {
                    cells.children[[a, x]] = n;
                    cells.with_event[[a, x]] = n * hazard(a, x);
                    cells.covered[[a, x]] = true;
                }
            }
        }
        cells
    }

    fn logit_form(a: usize, x: usize) -> f64 {
        let ld = ((a - x) as f64).ln();
        expit(-1.0 - 0.1 * x as f64 - 0.4 * ld - 0.15 * ld * ld)
    }

    #[test]
    fn the_backtest_finds_no_error_where_the_model_holds() {
        let cells = cells_from(18, 1e9, logit_form);
        let b = backtest(&cells, 3, Form::LogQuadratic).expect("enough distances");
        assert_eq!(b.longest, 11);
        assert_eq!(
            b.distances.iter().map(|d| d.0).collect::<Vec<_>>(),
            [9, 10, 11]
        );
        assert!(b.rho < 1e-4, "{}", b.rho);
    }

    #[test]
    fn the_backtest_measures_a_model_that_fails_further_out() {
        // Past distance 8 the true hazards are twice what the form predicts from 1..8.
        let truth = |a: usize, x: usize| logit_form(a, x) * if a - x > 8 { 2.0 } else { 1.0 };
        let b =
            backtest(&cells_from(18, 1e9, truth), 3, Form::LogQuadratic).expect("enough distances");
        // Each held-out distance: S = Σ −log(1 − 2h) against Ŝ = Σ −log(1 − h).
        let (mut miss, mut scale) = (0.0, 0.0);
        for d in 9..=11 {
            let (mut s, mut s_hat) = (0.0, 0.0);
            for x in 0..18 - d {
                s += -(1.0 - truth(x + d, x)).ln();
                s_hat += -(1.0 - logit_form(x + d, x)).ln();
            }
            miss += (s - s_hat).powi(2);
            scale += s_hat * s_hat;
        }
        let want = (miss / scale).sqrt();
        assert!((b.rho - want).abs() < 1e-3, "{} vs {want}", b.rho);
        assert!(b.rho > 0.9, "a twofold miss is roughly 100%");
    }

    #[test]
    fn the_backtest_subtracts_sampling_noise() {
        // Binomial noise around the model form: the raw squared errors are mostly noise,
        // and subtracting its expected size leaves far less than them.
        use rand::SeedableRng;
        use rand_distr::{Binomial, Distribution};
        let n = 400u64;
        let (mut raw, mut net) = (0.0, 0.0);
        for seed in 0..40 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut cells = cells_from(18, n as f64, logit_form);
            for ((a, x), k) in cells.with_event.indexed_iter_mut() {
                if x < a && a - x <= 11 {
                    let p = logit_form(a, x);
                    *k = Binomial::new(n, p).unwrap().sample(&mut rng) as f64;
                }
            }
            let b = backtest(&cells, 3, Form::LogQuadratic).expect("enough distances");
            raw += b
                .distances
                .iter()
                .map(|(_, s, s_hat, _)| (s - s_hat).powi(2))
                .sum::<f64>()
                / b.distances
                    .iter()
                    .map(|(_, _, s_hat, _)| s_hat * s_hat)
                    .sum::<f64>();
            net += b.rho * b.rho;
        }
        assert!(net < 0.5 * raw, "net {net} raw {raw}");
    }

    #[test]
    fn the_backtest_needs_distances_to_spare() {
        let mut cells = cells_from(18, 1e6, logit_form);
        for ((a, x), c) in cells.covered.indexed_iter_mut() {
            if x < a && a - x > 5 {
                *c = false;
            }
        }
        assert!(backtest(&cells, 3, Form::LogQuadratic).is_none());
        assert!(backtest(&cells, 2, Form::LogQuadratic).is_some());
        assert!(backtest(&cells, 0, Form::LogQuadratic).is_none());
    }

    /// `logit h` of `form` with coefficients chosen so that every form decays with
    /// distance over 1..17: `α_x = −1 − 0.1x` and the form's own `β`s.
    fn form_eta(form: Form, a: usize, x: usize) -> f64 {
        let beta = match form {
            Form::LogQuadratic => [-0.4, -0.15, 0.0],
            Form::Quadratic => [-3.0, 0.8, 0.0],
            Form::LogCubic => [-0.4, -0.1, -0.02],
            Form::LogLinear => [-0.9, 0.0, 0.0],
            Form::LogQuadraticAgeSlope => [-0.4, -0.15, -0.2],
        };
        let t = form.terms(a, x);
        -1.0 - 0.1 * x as f64 + (0..3).map(|j| beta[j] * t[j]).sum::<f64>()
    }

    #[test]
    fn every_form_recovers_its_own_generating_logit_and_passes_its_backtest() {
        for form in Form::ALL {
            let cells = cells_within(18, 11, 1e9, |a, x| expit(form_eta(form, a, x)));
            let m = fit_backward_model(&cells, form).expect("fits");
            assert_eq!(m.form, form);
            for (a, x) in [(17, 0), (15, 2), (12, 0)] {
                let want = expit(form_eta(form, a, x));
                assert!(
                    (m.hazard(a, x).unwrap() - want).abs() < 1e-7,
                    "{form} {a} {x}"
                );
            }
            let b = backtest(&cells, 3, form).expect("enough distances");
            assert!(b.rho < 1e-3, "{form}: {}", b.rho);
        }
        // The default form cannot follow a cubic: its back-test sees the miss.
        let cubic = cells_within(18, 11, 1e9, |a, x| expit(form_eta(Form::LogCubic, a, x)));
        let b = backtest(&cubic, 3, Form::LogQuadratic).expect("enough distances");
        assert!(b.rho > 0.01, "{}", b.rho);
    }

    #[test]
    fn plausible_forms_are_those_within_the_margin_of_the_best_and_at_least_two() {
        let rhos = [
            (Form::LogQuadratic, Some(0.63)),
            (Form::Quadratic, Some(0.110)),
            (Form::LogCubic, Some(0.057)),
            (Form::LogLinear, Some(0.048)),
            (Form::LogQuadraticAgeSlope, None),
        ];
        // Limit 2 × 0.048 + 0.02 = 0.116, best first.
        assert_eq!(
            plausible_forms(&rhos),
            [Form::LogLinear, Form::LogCubic, Form::Quadratic]
        );
        // One form far ahead: the second best still joins it.
        assert_eq!(
            plausible_forms(&[
                (Form::LogQuadratic, Some(0.08)),
                (Form::LogCubic, Some(0.026)),
                (Form::LogLinear, Some(0.32)),
            ]),
            [Form::LogCubic, Form::LogQuadratic]
        );
        assert_eq!(
            plausible_forms(&[(Form::LogCubic, None)]),
            [Form::LogQuadratic],
            "no back-test: the default form"
        );
        assert_eq!(
            plausible_forms(&[(Form::LogLinear, Some(0.3))]),
            [Form::LogLinear]
        );
    }

    #[test]
    fn the_forms_hazards_are_averaged_in_cells_no_cohort_observes() {
        let cells = cells_within(18, 11, 1e9, |a, x| expit(form_eta(Form::LogLinear, a, x)));
        let forms = [Form::LogLinear, Form::LogCubic];
        let both = fit_correction_forms(cells.clone(), &forms, |_| None);
        assert_eq!(both.models.len(), 2);
        let one = |f: Form| fit_backward_model(&cells, f).unwrap();
        let (m1, m2) = (one(Form::LogLinear), one(Form::LogCubic));
        let want = 0.5 * (m1.hazard(17, 0).unwrap() + m2.hazard(17, 0).unwrap());
        assert!((both.hazard[[17, 0]] - want).abs() < 1e-12);
        assert_eq!(both.source[[17, 0]], Source::Modelled);
        assert_eq!(both.source[[11, 0]], Source::Observed);
        // A single form is the one-form correction.
        let alone = fit_correction_forms(cells.clone(), &[Form::LogQuadratic], |_| None);
        assert_eq!(alone, fit_correction(cells));
    }

    #[test]
    fn a_form_that_cannot_fit_borrows_and_the_others_keep_their_own() {
        // Distances 1..3 only: the log-cubic's three decay terms and its intercepts are
        // not identified at one earlier age, while the log-linear form fits.
        let n_ages = 12;
        let small = cells_within(n_ages, 3, 1e4, |a, x| {
            if x == 0 {
                expit(form_eta(Form::LogLinear, a, x))
            } else {
                0.0
            }
        });
        assert!(fit_backward_model(&small, Form::LogCubic).is_err());
        assert!(fit_backward_model(&small, Form::LogLinear).is_ok());
        let pooled = fit_backward_model(
            &cells_within(n_ages, 8, 1e6, |a, x| expit(form_eta(Form::LogCubic, a, x))),
            Form::LogCubic,
        )
        .unwrap();
        let mut asked = Vec::new();
        let c = fit_correction_forms(small, &[Form::LogLinear, Form::LogCubic], |f| {
            asked.push(f);
            (f == Form::LogCubic).then_some(&pooled)
        });
        assert_eq!(asked, [Form::LogCubic], "only the form that failed borrows");
        assert_eq!(c.models.len(), 1);
        assert_eq!(c.source[[11, 0]], Source::Modelled);
    }

    #[test]
    fn the_ensemble_backtest_scores_the_mean_prediction() {
        let cells = cells_from(18, 1e9, logit_form);
        let a = backtest(&cells, 3, Form::LogQuadratic).unwrap();
        let b = backtest(&cells, 3, Form::LogLinear).unwrap();
        let m = Backtest::mean(&[a.clone(), b.clone()]).unwrap();
        for i in 0..3 {
            assert_eq!(m.distances[i].1, a.distances[i].1);
            let want = 0.5 * (a.distances[i].2 + b.distances[i].2);
            assert!((m.distances[i].2 - want).abs() < 1e-12);
        }
        assert_eq!(Backtest::mean(std::slice::from_ref(&a)).unwrap().rho, a.rho);
        assert!(Backtest::mean(&[]).is_none());
    }

    proptest! {
        /// With the same children in a cohort seen from birth and one seen from age `u`,
        /// the factors for the second are exactly the share of its first-observed events
        /// that are first-ever: the chain rule has no approximation where cells are observed.
        #[test]
        fn the_chain_rule_is_exact_on_observed_cells(
            masks in prop::collection::vec(0u32..(1 << 8), 1..300),
            u in 1usize..7,
        ) {
            let n_ages = 8;
            let (t, used) = lookback_from_masks(&[(0, masks.clone()), (u, masks.clone())], n_ages);
            let corr = fit_correction(backward_cells(t.view(), used.view()));
            let f = corr.factors(&[Some(0), Some(u)], n_ages);
            for a in u..n_ages {
                let unseen = (1u32 << u) - 1;
                let seen_before = ((1u32 << a) - 1) & !unseen;
                let first_observed: Vec<u32> = masks
                    .iter()
                    .copied()
                    .filter(|m| m & (1 << a) != 0 && m & seen_before == 0)
                    .collect();
                if first_observed.is_empty() {
                    continue;
                }
                let first_ever = first_observed.iter().filter(|m| *m & unseen == 0).count();
                let share = first_ever as f64 / first_observed.len() as f64;
                prop_assert!((f.factor[[1, a]] - share).abs() < 1e-12, "a {a}: {} vs {share}", f.factor[[1, a]]);
                prop_assert_eq!(f.factor[[0, a]], 1.0);
            }
        }
    }
}
