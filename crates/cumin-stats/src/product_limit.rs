//! The product-limit step shared by the Kaplan–Meier estimator and the life table.
//!
//! Both walk risk sets in time (or age) order: at each time `n` are at risk and `d` of
//! them have the event, the survival probability is multiplied by `1 − d/n`, and
//! Greenwood's variance of `log S` gains `d / (n (n − d))` (Greenwood 1926; the
//! `std.err` of R `survival::survfit` for a single-event curve is its square root). A
//! life table with one cohort, a closed population and no censoring is Kaplan–Meier, so
//! both estimators advance this one accumulator and cannot drift apart.

/// Running product-limit estimate of survival and Greenwood's variance of its log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProductLimit {
    survival: f64,
    var_log_survival: f64,
}

impl Default for ProductLimit {
    fn default() -> Self {
        Self::new()
    }
}

impl ProductLimit {
    /// The estimate before any time: `S = 1`, `Var(log S) = 0`.
    pub const fn new() -> Self {
        Self {
            survival: 1.0,
            var_log_survival: 0.0,
        }
    }

    /// Moves past one time at which `events` of the `at_risk` have the event, and
    /// returns the hazard `d/n` used.
    ///
    /// Returns `None` and leaves the estimate unchanged when nobody is at risk (`n ≤ 0`
    /// or not a number): the product has no factor there. Negative or NaN events count
    /// as none. Events at or above the number at risk end the curve: the hazard is
    /// clamped to 1, `S` becomes 0 and Greenwood's variance of `log S` is infinite
    /// (its term `d / (n (n − d))` diverges; R reports `std.err = Inf` there too).
    pub fn step(&mut self, at_risk: f64, events: f64) -> Option<f64> {
        if at_risk.is_nan() || at_risk <= 0.0 {
            return None;
        }
        let d = events.max(0.0);
        let hazard = (d / at_risk).min(1.0);
        self.survival *= 1.0 - hazard;
        if d >= at_risk {
            self.var_log_survival = f64::INFINITY;
        } else if d > 0.0 {
            self.var_log_survival += d / (at_risk * (at_risk - d));
        }
        Some(hazard)
    }

    /// The product-limit survival probability `S` after the steps so far.
    pub const fn survival(&self) -> f64 {
        self.survival
    }

    /// Greenwood's variance of `log S` (infinite once `S` has reached 0).
    pub const fn var_log_survival(&self) -> f64 {
        self.var_log_survival
    }

    /// Greenwood's standard error of `log S`: R `survfit`'s `std.err`.
    pub fn std_err_log_survival(&self) -> f64 {
        self.var_log_survival.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn greenwood_by_hand() {
        let mut pl = ProductLimit::new();
        assert_eq!(pl.step(10.0, 2.0), Some(0.2));
        assert_eq!(pl.step(0.0, 1.0), None);
        pl.step(8.0, 0.0);
        pl.step(5.0, 1.0);
        assert!((pl.survival() - 0.8 * 0.8).abs() < 1e-15);
        let g = 2.0 / (10.0 * 8.0) + 1.0 / (5.0 * 4.0);
        assert!((pl.var_log_survival() - g).abs() < 1e-15);
    }

    #[test]
    fn all_at_risk_having_the_event_ends_the_curve() {
        let mut pl = ProductLimit::new();
        pl.step(4.0, 1.0);
        assert_eq!(pl.step(3.0, 3.0), Some(1.0));
        assert_eq!(pl.survival(), 0.0);
        assert_eq!(pl.var_log_survival(), f64::INFINITY);
        // More events than at risk (an over-corrected count) is the same end.
        let mut pl = ProductLimit::new();
        assert_eq!(pl.step(3.0, 5.0), Some(1.0));
        assert_eq!(pl.survival(), 0.0);
    }

    proptest! {
        #[test]
        fn survival_stays_in_the_unit_interval_and_never_rises(
            steps in prop::collection::vec((0.0f64..1e6, 0.0f64..1.2), 0..40),
        ) {
            let mut pl = ProductLimit::new();
            let mut previous = 1.0;
            for (n, share) in steps {
                pl.step(n, (n * share).round());
                let s = pl.survival();
                prop_assert!((0.0..=1.0).contains(&s));
                prop_assert!(s <= previous);
                prop_assert!(pl.var_log_survival() >= 0.0);
                previous = s;
            }
        }
    }
}
