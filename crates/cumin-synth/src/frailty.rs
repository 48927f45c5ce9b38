//! How much children differ in their risk of referral: a frailty with mean 1.
//!
//! Nobody knows the true form of this heterogeneity, and a left-censoring correction that
//! builds one form in can look perfect on data made with that form and miss on data made
//! otherwise (see `docs/methods.md` §5.3 and `docs/simulation.md`). So the simulator offers three
//! forms with the same mean (1) and the same variance (`frailty_variance`): they differ
//! only in shape.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal};
use serde::{Deserialize, Serialize};

/// The shape of the frailty distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum FrailtyForm {
    /// Gamma with shape 1/v and scale v (the classic shared-frailty model).
    #[default]
    Gamma,
    /// Log-normal with σ² = ln(1 + v) and μ = −σ²/2: a longer right tail than the gamma.
    Lognormal,
    /// Two groups: a small high-risk group (share `mixture_high_share`) and everyone
    /// else, each with one risk level, set so the mean is 1 and the variance v.
    Mixture,
}

impl FrailtyForm {
    /// The name used in parameter files.
    pub fn as_str(self) -> &'static str {
        match self {
            FrailtyForm::Gamma => "gamma",
            FrailtyForm::Lognormal => "lognormal",
            FrailtyForm::Mixture => "mixture",
        }
    }
}

/// A frailty distribution ready to sample.
#[derive(Clone, Copy, Debug)]
pub enum Frailty {
    /// Every child has frailty 1.
    None,
    /// Gamma form.
    Gamma(Gamma<f64>),
    /// Log-normal form.
    Lognormal(LogNormal<f64>),
    /// Two-point mixture: with probability `share` the child's frailty is `high`, else `low`.
    Mixture {
        /// Share of the high-risk group.
        share: f64,
        /// Frailty of the high-risk group.
        high: f64,
        /// Frailty of everyone else.
        low: f64,
    },
}

/// Why a frailty cannot be built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FrailtyError {
    /// The variance is negative or not finite.
    Variance,
    /// The mixture's high-risk share is not in (0, 1).
    Share,
    /// A two-point mixture with this share cannot have this variance and mean 1 without a
    /// negative low level: the variance must be at most (1 − share) / share.
    MixtureTooWide,
}

impl Frailty {
    /// Builds the distribution of `form` with mean 1 and variance `variance`.
    pub fn new(form: FrailtyForm, variance: f64, high_share: f64) -> Result<Frailty, FrailtyError> {
        if !(variance.is_finite() && variance >= 0.0) {
            return Err(FrailtyError::Variance);
        }
        if variance == 0.0 {
            return Ok(Frailty::None);
        }
        Ok(match form {
            FrailtyForm::Gamma => Frailty::Gamma(
                Gamma::new(1.0 / variance, variance).map_err(|_| FrailtyError::Variance)?,
            ),
            FrailtyForm::Lognormal => {
                let sigma2 = variance.ln_1p();
                Frailty::Lognormal(
                    LogNormal::new(-sigma2 / 2.0, sigma2.sqrt())
                        .map_err(|_| FrailtyError::Variance)?,
                )
            }
            FrailtyForm::Mixture => {
                if !(high_share > 0.0 && high_share < 1.0) {
                    return Err(FrailtyError::Share);
                }
                // share·high + (1 − share)·low = 1 and share(1 − share)(high − low)² = v.
                let gap = (variance / (high_share * (1.0 - high_share))).sqrt();
                let low = 1.0 - high_share * gap;
                if low < 0.0 {
                    return Err(FrailtyError::MixtureTooWide);
                }
                Frailty::Mixture {
                    share: high_share,
                    high: low + gap,
                    low,
                }
            }
        })
    }

    /// One child's frailty.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Frailty::None => 1.0,
            Frailty::Gamma(g) => g.sample(rng),
            Frailty::Lognormal(l) => l.sample(rng),
            Frailty::Mixture { share, high, low } => {
                if rng.random::<f64>() < *share {
                    *high
                } else {
                    *low
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(f: &Frailty, n: usize) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let xs: Vec<f64> = (0..n).map(|_| f.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var)
    }

    #[test]
    fn every_form_has_mean_one_and_the_asked_variance() {
        for form in [
            FrailtyForm::Gamma,
            FrailtyForm::Lognormal,
            FrailtyForm::Mixture,
        ] {
            let f = Frailty::new(form, 3.0, 0.05).unwrap();
            let (mean, var) = moments(&f, 400_000);
            // Heavy tails: the sample variance of a variance-3 log-normal is itself noisy.
            assert!((mean - 1.0).abs() < 0.02, "{form:?} mean {mean}");
            assert!((var - 3.0).abs() < 0.35, "{form:?} variance {var}");
        }
    }

    #[test]
    fn the_mixture_is_two_levels_and_rejects_impossible_variances() {
        let Frailty::Mixture { share, high, low } =
            Frailty::new(FrailtyForm::Mixture, 3.0, 0.05).unwrap()
        else {
            panic!("a mixture");
        };
        assert!((share * high + (1.0 - share) * low - 1.0).abs() < 1e-12);
        assert!(high > 8.0 && low > 0.5, "{high} {low}");
        assert_eq!(
            Frailty::new(FrailtyForm::Mixture, 30.0, 0.05).unwrap_err(),
            FrailtyError::MixtureTooWide
        );
        assert!(matches!(
            Frailty::new(FrailtyForm::Gamma, 0.0, 0.05),
            Ok(Frailty::None)
        ));
        assert_eq!(
            Frailty::new(FrailtyForm::Lognormal, -1.0, 0.05).unwrap_err(),
            FrailtyError::Variance
        );
    }
}
