//! Every tolerance the reference tests use, in one place (as statrs keeps its own).
//!
//! All are absolute. They are set by what double precision allows for the formula, not
//! by what makes a test pass: when a comparison fails, find out why the numbers differ
//! (a different definition in the reference, an inaccurate special function) and fix
//! the code or document the definition; never loosen a value here.

/// Kaplan–Meier survival, Greenwood standard error of `log S` and the log and log-log
/// interval limits against R `survival::survfit`.
pub const KAPLAN_MEIER: f64 = 1e-9;

/// Aalen–Johansen cumulative incidence and its variance against R `cmprsk::cuminc`
/// (and the estimate against `survival::survfit`'s multi-state `pstate`).
pub const AALEN_JOHANSEN: f64 = 1e-9;

/// Wilson and Clopper–Pearson limits against statsmodels `proportion_confint`.
pub const PROPORTION_INTERVAL: f64 = 1e-12;

/// Binomial-logit coefficients, their covariance and the deviance against R `glm`, run to
/// a relative change in deviance of 1e-14 (R's covariance is the information one
/// iteration before convergence, so it differs in about the tenth digit).
pub const LOGIT_FIT: f64 = 1e-9;

/// Bootstrap percentile limits (Hyndman & Fan type 6) against numpy
/// `quantile(method="weibull")`: interpolation between two order statistics, so only the
/// last bits may differ.
pub const PERCENTILE_LIMIT: f64 = 1e-12;
