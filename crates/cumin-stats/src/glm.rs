//! Binomial regression with the logit link, fitted by iteratively reweighted least
//! squares: the small model behind the left-censoring correction.
//!
//! `logit p_i = x_i · β`, `k_i ~ Binomial(n_i, p_i)`. Each step solves the weighted normal
//! equations `XᵀWX β = XᵀW z` (working response `z = η + (k − n p)/(n p (1 − p))`, weights
//! `n p (1 − p)`) by Cholesky; a step that does not lower the deviance is halved. This is
//! R's `glm(cbind(k, n − k) ~ X − 1, family = binomial)` for designs of a few dozen
//! columns, which is all the correction needs (no dependency on a linear-algebra crate).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// A fitted binomial regression.
#[derive(Clone, Debug, PartialEq)]
pub struct LogitFit {
    /// Coefficients, one per design column.
    pub coef: Array1<f64>,
    /// Inverse of the Fisher information `(XᵀWX)⁻¹` at the estimate: the coefficients'
    /// asymptotic covariance; empty (0 × 0) from a fit that did not ask for it
    /// ([`fit_logit_from`]'s `covariance`).
    pub covariance: Array2<f64>,
    /// Residual deviance `2 Σ [k log(k / n p) + (n − k) log((n − k)/(n (1 − p)))]`.
    pub deviance: f64,
    /// Iterations used.
    pub iterations: usize,
}

/// Why a regression could not be fitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogitError {
    /// `XᵀWX` is singular: some coefficient is not identified by the data (a column of
    /// zeros, collinear columns, or a column whose cells all have `k = 0` or `k = n`).
    Singular,
    /// No convergence within the iteration limit.
    NoConvergence,
}

const MAX_ITERATIONS: usize = 100;
const TOLERANCE: f64 = 1e-10;

/// The logistic function, `1 / (1 + e^{−η})`, without overflow.
pub fn expit(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// `log(p / (1 − p))`.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Fits `logit p = X β` to `successes` out of `trials` (cells with no trials are ignored).
pub fn fit_logit(
    design: ArrayView2<'_, f64>,
    successes: ArrayView1<'_, f64>,
    trials: ArrayView1<'_, f64>,
) -> Result<LogitFit, LogitError> {
    fit_logit_from(design, successes, trials, None, true)
}

/// [`fit_logit`] with the iterations started at `coef` (a warm start, e.g. a fit to
/// similar data: a bootstrap replicate's from the point estimate's), if given; the
/// estimate is the same maximum up to the convergence tolerance. Without `covariance`
/// the fit's covariance is left empty (a bootstrap replicate's fit: nothing reads it);
/// the fit is otherwise the same, and fails where [`fit_logit`] would (the information
/// at the estimate is still factorised, only not inverted).
pub fn fit_logit_from(
    design: ArrayView2<'_, f64>,
    successes: ArrayView1<'_, f64>,
    trials: ArrayView1<'_, f64>,
    coef: Option<ArrayView1<'_, f64>>,
    covariance: bool,
) -> Result<LogitFit, LogitError> {
    let n_rows = design.nrows();
    assert_eq!(successes.len(), n_rows);
    assert_eq!(trials.len(), n_rows);
    // Start from the empirical logits, shrunk away from 0 and 1, projected on the design.
    let start = match coef {
        Some(c) => {
            assert_eq!(c.len(), design.ncols());
            Start::Coef(c.to_owned())
        }
        None => Start::Rows(
            (0..n_rows)
                .map(|i| logit((successes[i] + 0.5) / (trials[i] + 1.0)))
                .collect(),
        ),
    };
    // Working weights `n p (1 − p)` and responses `η + (k − n p)/(n p (1 − p))` at `η`.
    let working = |at: &Predictor| {
        let (eta, mu) = (&at.eta, &at.mu);
        let mut weight = Array1::zeros(n_rows);
        let mut z = Array1::zeros(n_rows);
        for i in 0..n_rows {
            let p = mu[i];
            let w = trials[i] * p * (1.0 - p);
            weight[i] = w;
            z[i] = if w > 0.0 {
                eta[i] + (successes[i] - trials[i] * p) / w
            } else {
                eta[i]
            };
        }
        (weight, z)
    };
    irls(design, start, trials, covariance, working, |at| {
        deviance(at, successes, trials)
    })
}

/// Where the iterations start.
enum Start {
    /// The design projection of these linear predictors, one per row (weighted by
    /// `trials`).
    Rows(Array1<f64>),
    /// These coefficients.
    Coef(Array1<f64>),
}

/// The linear predictor `η = X β` and `μ = expit(η)` at one `β`: what the working weights
/// and the deviance both read, computed once per `β` (the same numbers either way).
struct Predictor {
    eta: Array1<f64>,
    mu: Array1<f64>,
}

impl Predictor {
    fn at(design: ArrayView2<'_, f64>, beta: &Array1<f64>) -> Predictor {
        let eta = design.dot(beta);
        let mu = eta.mapv(expit);
        Predictor { eta, mu }
    }
}

/// Iteratively reweighted least squares from `start`: each step solves the working
/// weighted normal equations of `working` at `β` (weights, responses); a step that does
/// not lower `deviance` is halved. The covariance is the inverse of `XᵀWX` with the working
/// weights at the estimate, if `covariance` (otherwise `XᵀWX` is only factorised there,
/// so the fit fails in the same cases, and the covariance left empty).
fn irls(
    design: ArrayView2<'_, f64>,
    start: Start,
    trials: ArrayView1<'_, f64>,
    covariance: bool,
    working: impl Fn(&Predictor) -> (Array1<f64>, Array1<f64>),
    deviance: impl Fn(&Predictor) -> f64,
) -> Result<LogitFit, LogitError> {
    let (n_rows, n_cols) = design.dim();
    let dense = design;
    let sparse = SparseRows::new(design);
    let design = &sparse;
    let mut beta = match start {
        Start::Rows(start) => {
            let unit = Array1::from_elem(n_rows, 1.0);
            weighted_least_squares(design, unit.view(), start.view(), trials, false)
                .ok_or(LogitError::Singular)?
                .0
        }
        Start::Coef(coef) => coef,
    };
    let mut at = Predictor::at(dense, &beta);
    let mut dev = deviance(&at);
    for iteration in 1..=MAX_ITERATIONS {
        let (weight, z) = working(&at);
        let (proposal, _) = weighted_least_squares(
            design,
            weight.view(),
            z.view(),
            Array1::ones(n_rows).view(),
            false,
        )
        .ok_or(LogitError::Singular)?;
        // Step halving keeps the deviance falling where a full Newton step overshoots.
        let mut step = 1.0;
        let mut next = proposal.clone();
        let mut next_at = Predictor::at(dense, &next);
        let mut next_dev = deviance(&next_at);
        while (next_dev > dev + TOLERANCE || next_dev.is_nan()) && step > 1e-6 {
            step /= 2.0;
            next = &beta + &((&proposal - &beta) * step);
            next_at = Predictor::at(dense, &next);
            next_dev = deviance(&next_at);
        }
        let change = (dev - next_dev).abs();
        beta = next;
        at = next_at;
        dev = next_dev;
        if change <= TOLERANCE * (dev.abs() + 0.1) {
            let (w, _) = working(&at);
            let (_, inverse) = weighted_least_squares(
                design,
                w.view(),
                Array1::zeros(n_rows).view(),
                Array1::ones(n_rows).view(),
                covariance,
            )
            .ok_or(LogitError::Singular)?;
            debug_assert_eq!(inverse.nrows(), if covariance { n_cols } else { 0 });
            return Ok(LogitFit {
                coef: beta,
                covariance: inverse,
                deviance: dev,
                iterations: iteration,
            });
        }
    }
    Err(LogitError::NoConvergence)
}

/// Fits `p = s · expit(X β)` to `successes` out of `trials`, each cell with a known scale
/// `s ∈ (0, 1]` (the chance the outcome can be seen at all, e.g. before the data end), by
/// iteratively reweighted least squares for that link (working weights
/// `n (∂p/∂η)² / (p (1 − p))`, step halving as [`fit_logit`]). With every `s = 1` it is
/// [`fit_logit`]'s model. The covariance is the inverse Fisher information at the
/// estimate.
pub fn fit_scaled_logit(
    design: ArrayView2<'_, f64>,
    successes: ArrayView1<'_, f64>,
    trials: ArrayView1<'_, f64>,
    scale: ArrayView1<'_, f64>,
) -> Result<LogitFit, LogitError> {
    let n_rows = design.nrows();
    assert_eq!(successes.len(), n_rows);
    assert_eq!(trials.len(), n_rows);
    assert_eq!(scale.len(), n_rows);
    assert!(
        scale.iter().all(|s| *s > 0.0 && *s <= 1.0),
        "scales in (0, 1]"
    );
    let start: Array1<f64> = (0..n_rows)
        .map(|i| {
            let p = (successes[i] + 0.5) / (trials[i] + 1.0) / scale[i];
            logit(p.min(0.99))
        })
        .collect();
    // Working weights and responses at `b`: (n (∂p/∂η)² / (p(1 − p)), η + (k − np)/(n ∂p/∂η)).
    let working = |at: &Predictor| {
        let eta = &at.eta;
        let mut weight = Array1::zeros(n_rows);
        let mut z = Array1::zeros(n_rows);
        for i in 0..n_rows {
            let mu = at.mu[i];
            let p = scale[i] * mu;
            let dp = scale[i] * mu * (1.0 - mu);
            let w = if p > 0.0 && p < 1.0 {
                trials[i] * dp * dp / (p * (1.0 - p))
            } else {
                0.0
            };
            weight[i] = w;
            z[i] = if w > 0.0 && dp > 0.0 {
                eta[i] + (successes[i] - trials[i] * p) / (trials[i] * dp)
            } else {
                eta[i]
            };
        }
        (weight, z)
    };
    irls(design, Start::Rows(start), trials, true, working, |at| {
        scaled_deviance(at, successes, trials, scale)
    })
}

/// Binomial deviance at `β` under `p = s · expit(η)`.
fn scaled_deviance(
    at: &Predictor,
    successes: ArrayView1<'_, f64>,
    trials: ArrayView1<'_, f64>,
    scale: ArrayView1<'_, f64>,
) -> f64 {
    let term = |observed: f64, expected: f64| {
        if observed > 0.0 {
            observed * (observed / expected).ln()
        } else {
            0.0
        }
    };
    (0..at.mu.len())
        .filter(|&i| trials[i] > 0.0)
        .map(|i| {
            let p = scale[i] * at.mu[i];
            let (k, n) = (successes[i], trials[i]);
            2.0 * (term(k, n * p) + term(n - k, n * (1.0 - p)))
        })
        .sum()
}

/// Binomial deviance at `β` (cells with no trials contribute nothing).
fn deviance(at: &Predictor, successes: ArrayView1<'_, f64>, trials: ArrayView1<'_, f64>) -> f64 {
    let term = |observed: f64, expected: f64| {
        if observed > 0.0 {
            observed * (observed / expected).ln()
        } else {
            0.0
        }
    };
    (0..at.mu.len())
        .filter(|&i| trials[i] > 0.0)
        .map(|i| {
            let p = at.mu[i];
            let (k, n) = (successes[i], trials[i]);
            2.0 * (term(k, n * p) + term(n - k, n * (1.0 - p)))
        })
        .sum()
}

/// A design's nonzero entries, row by row: what the normal equations add up (most
/// entries of the correction's design are 0: one `α_x` column per row).
struct SparseRows {
    /// Row `i`'s entries are `entries[start[i]..start[i + 1]]`.
    start: Vec<usize>,
    /// (column, value), columns increasing.
    entries: Vec<(usize, f64)>,
    n_cols: usize,
}

impl SparseRows {
    fn new(design: ArrayView2<'_, f64>) -> SparseRows {
        let mut start = vec![0];
        let mut entries = Vec::new();
        for row in design.rows() {
            entries.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, x)| **x != 0.0)
                    .map(|(j, x)| (j, *x)),
            );
            start.push(entries.len());
        }
        SparseRows {
            start,
            entries,
            n_cols: design.ncols(),
        }
    }

    fn row(&self, i: usize) -> &[(usize, f64)] {
        &self.entries[self.start[i]..self.start[i + 1]]
    }
}

/// Solves `(Xᵀ W X) β = Xᵀ W z` with `W = diag(weight · scale)`; returns `β` and, if
/// `inverse`, `(XᵀWX)⁻¹` (otherwise an empty matrix: the iterations need only `β`), or
/// `None` when `XᵀWX` is not positive definite. Only the design's nonzero entries are
/// added (the zeros add nothing, so the sums are those of the dense products).
fn weighted_least_squares(
    design: &SparseRows,
    weight: ArrayView1<'_, f64>,
    z: ArrayView1<'_, f64>,
    scale: ArrayView1<'_, f64>,
    inverse: bool,
) -> Option<(Array1<f64>, Array2<f64>)> {
    let n_cols = design.n_cols;
    let mut xtwx = Array2::<f64>::zeros((n_cols, n_cols));
    let mut xtwz = Array1::<f64>::zeros(n_cols);
    for i in 0..weight.len() {
        let w = weight[i] * scale[i];
        if w <= 0.0 {
            continue;
        }
        let row = design.row(i);
        for (a, &(j, xj)) in row.iter().enumerate() {
            xtwz[j] += w * xj * z[i];
            for &(k, xk) in &row[..=a] {
                xtwx[[j, k]] += w * xj * xk;
            }
        }
    }
    let chol = cholesky(&xtwx)?;
    let beta = cholesky_solve(&chol, xtwz.view());
    if !inverse {
        return Some((beta, Array2::zeros((0, 0))));
    }
    let mut inverse = Array2::zeros((n_cols, n_cols));
    let mut unit = Array1::zeros(n_cols);
    for j in 0..n_cols {
        unit.fill(0.0);
        unit[j] = 1.0;
        inverse
            .column_mut(j)
            .assign(&cholesky_solve(&chol, unit.view()));
    }
    Some((beta, inverse))
}

/// Lower-triangular `L` with `L Lᵀ = A`, reading only the lower triangle of `A`.
fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    // Relative pivot floor: a pivot this small means the column adds nothing new.
    let scale = (0..n).map(|i| a[[i, i]].abs()).fold(0.0, f64::max);
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if d <= 1e-13 * scale || d.is_nan() {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

fn cholesky_solve(l: &Array2<f64>, b: ArrayView1<'_, f64>) -> Array1<f64> {
    let n = l.nrows();
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[[i, k]] * y[k];
        }
        y[i] = s / l[[i, i]];
    }
    let mut x = Array1::zeros(n);
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[[k, i]] * x[k];
        }
        x[i] = s / l[[i, i]];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn saturated_model_reproduces_the_proportions() {
        // One indicator column per cell: the fit is the cell proportion exactly.
        let x = array![[1.0, 0.0], [0.0, 1.0]];
        let fit = fit_logit(
            x.view(),
            array![3.0, 40.0].view(),
            array![10.0, 50.0].view(),
        )
        .unwrap();
        assert!((expit(fit.coef[0]) - 0.3).abs() < 1e-9, "{fit:?}");
        assert!((expit(fit.coef[1]) - 0.8).abs() < 1e-9, "{fit:?}");
        assert!(fit.deviance.abs() < 1e-9);
        // Var(logit p̂) = 1 / (n p (1 − p)).
        assert!((fit.covariance[[0, 0]] - 1.0 / (10.0 * 0.3 * 0.7)).abs() < 1e-6);
    }

    #[test]
    fn slope_matches_r_glm() {
        // R 4.2.2: f <- glm(cbind(k, n - k) ~ x, family = binomial,
        // control = glm.control(epsilon = 1e-15)) with x = 0:4, k = c(2, 4, 9, 13, 18),
        // n = rep(20, 5); sprintf("%.15g") of coef(f), vcov(f) and deviance(f). (With
        // R's default epsilon, vcov is the information one step before convergence and
        // differs in the 9th digit.)
        let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]];
        let k = array![2.0, 4.0, 9.0, 13.0, 18.0];
        let n = Array1::from_elem(5, 20.0);
        let fit = fit_logit(x.view(), k.view(), n.view()).unwrap();
        assert!(
            (fit.coef[0] - -2.377_539_623_831_54).abs() < 1e-9,
            "{fit:?}"
        );
        assert!((fit.coef[1] - 1.066_719_912_769_23).abs() < 1e-9, "{fit:?}");
        assert!(
            (fit.covariance[[0, 0]] - 0.264_626_340_662_391).abs() < 1e-12,
            "{fit:?}"
        );
        assert!((fit.covariance[[1, 0]] - -0.094_903_413_577_643_7).abs() < 1e-12);
        assert!((fit.covariance[[1, 1]] - 0.044_268_260_312_320_8).abs() < 1e-12);
        assert!((fit.deviance - 0.453_369_735_307_447).abs() < 1e-12);
    }

    #[test]
    fn with_unit_scales_the_scaled_fit_is_the_logit_fit() {
        let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]];
        let k = array![2.0, 4.0, 9.0, 13.0, 18.0];
        let n = Array1::from_elem(5, 20.0);
        let a = fit_logit(x.view(), k.view(), n.view()).unwrap();
        let b = fit_scaled_logit(x.view(), k.view(), n.view(), Array1::ones(5).view()).unwrap();
        for (p, q) in a.coef.iter().zip(&b.coef) {
            assert!((p - q).abs() < 1e-9);
        }
        for (p, q) in a.covariance.iter().zip(&b.covariance) {
            assert!((p - q).abs() < 1e-9);
        }
    }

    #[test]
    fn a_known_scale_is_divided_out() {
        // Cells whose chance is s · expit(−1 + 0.5 x) exactly, with s from 0.3 to 1: the
        // fit recovers (−1, 0.5) and a saturated deviance of 0.
        let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]];
        let s = array![0.3, 0.6, 0.9, 1.0];
        let n = Array1::from_elem(4, 1e6);
        let k: Array1<f64> = (0..4)
            .map(|i| n[i] * s[i] * expit(-1.0 + 0.5 * i as f64))
            .collect();
        let f = fit_scaled_logit(x.view(), k.view(), n.view(), s.view()).unwrap();
        assert!(
            (f.coef[0] + 1.0).abs() < 1e-9 && (f.coef[1] - 0.5).abs() < 1e-9,
            "{f:?}"
        );
        assert!(f.deviance < 1e-9);
        // Ignoring the scale would bias the fit.
        let plain = fit_logit(x.view(), k.view(), n.view()).unwrap();
        assert!((plain.coef[1] - 0.5).abs() > 0.1);
    }

    #[test]
    fn unidentified_columns_are_reported() {
        let x = array![[1.0, 0.0], [1.0, 0.0]];
        let e = fit_logit(x.view(), array![1.0, 2.0].view(), array![5.0, 5.0].view());
        assert_eq!(e.unwrap_err(), LogitError::Singular);
    }

    #[test]
    fn a_fit_without_its_covariance_is_the_same_fit() {
        // Cold and warm starts: the coefficients, deviance and iterations are the same
        // bits; only the covariance is left empty. A singular design still fails.
        let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]];
        let k = array![2.0, 4.0, 9.0, 13.0, 18.0];
        let n = Array1::from_elem(5, 20.0);
        for start in [None, Some(array![-2.0, 1.0])] {
            let s = start.as_ref().map(|c| c.view());
            let full = fit_logit_from(x.view(), k.view(), n.view(), s, true).unwrap();
            let bare = fit_logit_from(x.view(), k.view(), n.view(), s, false).unwrap();
            assert_eq!(full.covariance.dim(), (2, 2));
            assert_eq!(bare.covariance.dim(), (0, 0));
            assert_eq!(full.coef, bare.coef);
            assert_eq!(full.deviance.to_bits(), bare.deviance.to_bits());
            assert_eq!(full.iterations, bare.iterations);
        }
        let singular = array![[1.0, 0.0], [1.0, 0.0]];
        let (k, n) = (array![1.0, 2.0], array![5.0, 5.0]);
        let e = fit_logit_from(singular.view(), k.view(), n.view(), None, false);
        assert_eq!(e.unwrap_err(), LogitError::Singular);
    }
}
