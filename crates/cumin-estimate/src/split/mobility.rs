//! Assumption 1 of the split correction (docs/methods.md §2.1) read from the extract, and
//! the adjustment it allows where it fails.
//!
//! The successor model is fitted on keys that carry a PMR. If a child who will move LA
//! carries a PMR on its early rows less often than one who will not, PMR keys
//! under-represent movers and the fitted successor chance is too small for keys without
//! a PMR. The extract shows it on the keys that already carried a PMR in an earlier
//! census year: a key whose child is seen to move later (a seen successor) still carries
//! it on a later row less often than every row's persistence predicts. `θ`, the movers'
//! relative chance of carrying a PMR on a row, is fitted by maximum likelihood with the
//! key as the unit (its rows share a child), one per band of ages ([`BANDS`]: before
//! school age, and school age), with its s.d. from the fit. It is applied to keys: a key's
//! chance to carry a PMR with and without `θ` on each of its rows gives the keys' relative
//! chance `θ_K` by oldest age ([`Mobility::key_theta`]), and by Bayes the odds of a
//! successor for a key without a PMR are the PMR keys' odds times `(1/θ_K) (1 − θ_K s)/(1
//! − s)`, `s` the age's share of keys carrying a PMR. The adjustment is made only where the
//! extract shows the dependence beyond noise (three binomial s.d.) and larger than the
//! model error already in the interval; elsewhere `θ = 1` and nothing changes.

use crate::split::CLASS_AGES;
use crate::split::SPLIT_MODEL_RELATIVE_SD;
pub use crate::split::keys::{BANDS, SCHOOL_AGE, band};
use crate::split::keys::{Key, MovingKey, RowShares};

/// How many binomial s.d. the movers' keys must fall short of the expected count by
/// (about one chance in 700 per band without a dependence).
pub const MIN_Z: f64 = 3.0;
/// The movers' relative chance of carrying a PMR on a row, by row age (one value per band).
#[derive(Clone, Debug, PartialEq)]
pub struct Mobility {
    /// `θ` by age (1 where no dependence is shown).
    pub theta: [f64; CLASS_AGES],
    /// The s.d. of `ln θ` (0 where `θ = 1`).
    pub log_sd: [f64; CLASS_AGES],
}

/// One band's reading: the movers' keys, each with its rows after a PMR at the band's ages
/// (`(persistence, rows)` at each age) and whether one of them still carries it.
struct BandKeys(Vec<(Vec<(f64, f64)>, bool)>);

impl BandKeys {
    /// Chance a key's rows carry the PMR when each row does with `θ` times its age's
    /// persistence.
    fn chance(rows: &[(f64, f64)], theta: f64) -> f64 {
        let log_miss: f64 = rows
            .iter()
            .map(|(p, n)| n * (1.0 - (theta * p).min(1.0 - 1e-12)).ln())
            .sum();
        1.0 - log_miss.exp()
    }

    /// Log-likelihood of `λ = ln θ` (a Bernoulli per key).
    fn log_lik(&self, lambda: f64) -> f64 {
        let theta = lambda.exp();
        self.0
            .iter()
            .map(|(rows, y)| {
                let q = Self::chance(rows, theta).clamp(1e-300, 1.0 - 1e-16);
                if *y { q.ln() } else { (1.0 - q).ln() }
            })
            .sum()
    }

    /// Observed (keys carrying it), expected and null variance at `θ = 1`.
    fn null(&self) -> (f64, f64, f64) {
        let mut t = (0.0, 0.0, 0.0);
        for (rows, y) in &self.0 {
            let q = Self::chance(rows, 1.0);
            t.0 += f64::from(u8::from(*y));
            t.1 += q;
            t.2 += q * (1.0 - q);
        }
        t
    }

    /// The maximum-likelihood `ln θ` in `[lo, hi]` (golden-section search; the
    /// log-likelihood is unimodal in `λ`) and the s.d. from the observed information.
    fn fit(&self, lo: f64, hi: f64) -> (f64, f64) {
        let g = (5f64.sqrt() - 1.0) / 2.0;
        let (mut a, mut b) = (lo, hi);
        let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
        let (mut fc, mut fd) = (self.log_lik(c), self.log_lik(d));
        for _ in 0..80 {
            if fc >= fd {
                (b, d, fd) = (d, c, fc);
                c = b - g * (b - a);
                fc = self.log_lik(c);
            } else {
                (a, c, fc) = (c, d, fd);
                d = a + g * (b - a);
                fd = self.log_lik(d);
            }
        }
        let lambda = f64::midpoint(a, b);
        let h = 1e-3;
        let info = -(self.log_lik(lambda + h) - 2.0 * self.log_lik(lambda)
            + self.log_lik(lambda - h))
            / (h * h);
        (lambda, if info > 0.0 { info.sqrt().recip() } else { 1.0 })
    }
}

impl Mobility {
    /// No dependence anywhere.
    pub fn none() -> Mobility {
        Mobility {
            theta: [1.0; CLASS_AGES],
            log_sd: [0.0; CLASS_AGES],
        }
    }

    /// From the movers' keys against every row's persistence, one `θ` per band, fitted by
    /// maximum likelihood with the key as the unit: a mover's key whose rows after its
    /// first PMR are at ages `a` (`n_a` of each) still carries the PMR with chance
    /// `1 − Π_a (1 − θ p(a))^{n_a}`, `p(a)` every row's persistence at `a`.
    pub fn from_rows(rows: &RowShares) -> Mobility {
        let p: [f64; CLASS_AGES] = std::array::from_fn(|a| {
            if rows.after_pmr[a] > 0.0 {
                rows.after_pmr_with[a] / rows.after_pmr[a]
            } else {
                0.0
            }
        });
        let mut out = Mobility::none();
        for b in 0..BANDS {
            let ages = || (0..CLASS_AGES).filter(move |a| band(*a) == b);
            let keys = BandKeys(
                rows.moving_keys
                    .iter()
                    .filter_map(|m: &MovingKey| {
                        let r: Vec<(f64, f64)> = ages()
                            .filter(|a| m.after_rows[*a] > 0 && p[*a] > 0.0)
                            .map(|a| (p[a], f64::from(m.after_rows[a])))
                            .collect();
                        (!r.is_empty()).then_some((r, m.carried[b]))
                    })
                    .collect(),
            );
            let (observed, expected, null_var) = keys.null();
            if expected <= 0.0 {
                continue;
            }
            let z = (observed - expected) / null_var.max(1e-12).sqrt();
            if z > -MIN_Z {
                continue;
            }
            // θ between half a key's worth of what is expected and the largest that keeps
            // every row's chance at most 1.
            let p_max = ages().map(|a| p[a]).fold(0.0, f64::max);
            let lo = (0.5 / (expected + 0.5)).ln();
            let hi = (1.0 / p_max.max(1e-12)).ln().max(lo);
            let (lambda, sd) = keys.fit(lo, hi);
            let theta = lambda.exp();
            if theta > 1.0 - SPLIT_MODEL_RELATIVE_SD {
                continue;
            }
            for a in ages() {
                out.theta[a] = theta;
                out.log_sd[a] = sd;
            }
        }
        out
    }

    /// Whether any age shows the dependence.
    pub fn any(&self) -> bool {
        self.theta.iter().any(|t| *t < 1.0)
    }

    /// The same with every `θ` moved `k` s.d. towards 1 on the log scale (at most 1).
    #[must_use]
    pub fn moved(&self, k: f64) -> Mobility {
        let mut m = self.clone();
        for (t, s) in m.theta.iter_mut().zip(&self.log_sd) {
            *t = (*t * (k * s).exp()).min(1.0);
        }
        m
    }

    /// By oldest age, the movers' relative chance that a *key* of that age carries a PMR:
    /// `Σ ρ_K(θ) / Σ ρ_K(1)` over the keys of the age, `ρ_K(θ) = 1 − Π_rows (1 − θ(age)
    /// κ(age))` (its chance to carry the PMR once its child is matched, each row at `θ`
    /// times its persistence `κ`). A key with several rows carries a PMR more often than
    /// one row does, so its deficit is smaller than its rows'. 1 at every age without a
    /// dependence.
    /// `row_ages` are the keys' rows by age ([`crate::split::keys::Keys::row_ages`]), in
    /// the keys' order; not read when no age shows the dependence.
    pub fn key_theta(
        &self,
        keys: &[Key],
        row_ages: &[[u8; CLASS_AGES]],
        kappa: &[f64; CLASS_AGES],
    ) -> [f64; CLASS_AGES] {
        if !self.any() {
            return [1.0; CLASS_AGES];
        }
        let rho = |ages: &[u8; CLASS_AGES], theta: &[f64; CLASS_AGES]| {
            let log_miss: f64 = (0..CLASS_AGES)
                .filter(|a| ages[*a] > 0)
                .map(|a| f64::from(ages[a]) * (1.0 - (theta[a] * kappa[a]).min(1.0)).ln())
                .sum();
            1.0 - log_miss.exp()
        };
        let mut with = [0.0f64; CLASS_AGES];
        let mut without = [0.0f64; CLASS_AGES];
        for (k, ages) in keys.iter().zip(row_ages) {
            let a = usize::from(k.oldest);
            with[a] += rho(ages, &self.theta);
            without[a] += rho(ages, &[1.0; CLASS_AGES]);
        }
        std::array::from_fn(|a| {
            if without[a] > 0.0 {
                (with[a] / without[a]).min(1.0)
            } else {
                1.0
            }
        })
    }
}

/// The shift of the logit of a successor for a key without a PMR whose age's keys carry a
/// PMR in share `s` and `theta` times as often when their child moves later (Bayes: the
/// odds of a successor given no PMR against given a PMR), `−ln θ + ln((1 − θ s)/(1 − s))`.
pub fn shift(theta: f64, s: f64) -> f64 {
    if theta >= 1.0 || s >= 1.0 {
        return 0.0;
    }
    -theta.ln() + ((1.0 - theta * s) / (1.0 - s)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::keys::Status;

    /// Rows after a PMR at ages 2..=17 with persistence `p` (0.05 below 4, 0.45 at 4,
    /// 0.9 from 5); `movers` movers' keys per age, each with one row after its PMR there,
    /// keep it `theta` as often before 5 (and `rows_per_key` rows at 4 where given).
    fn rows(theta: f64, movers: usize) -> RowShares {
        let mut r = RowShares::default();
        for a in 2..CLASS_AGES {
            let p = match a {
                0..=3 => 0.05,
                4 => 0.45,
                _ => 0.9,
            };
            r.after_pmr[a] = 5000.0;
            r.after_pmr_with[a] = 5000.0 * p;
            let t = if a < 5 { theta } else { 1.0 };
            let carrying = (movers as f64 * p * t).round() as usize;
            for i in 0..movers {
                let mut m = MovingKey::default();
                m.after_rows[a] = 1;
                m.carried[band(a)] = i < carrying;
                r.moving_keys.push(m);
            }
            r.after_pmr_moving[a] = movers as f64;
            r.after_pmr_moving_with[a] = carrying as f64;
        }
        r
    }

    fn key(oldest: u8, row_ages: &[usize]) -> (Key, [u8; CLASS_AGES]) {
        let mut ages = [0u8; CLASS_AGES];
        for a in row_ages {
            ages[*a] += 1;
        }
        let key = Key {
            child: cumin_link::ChildId(0),
            oldest,
            rows: row_ages.len() as u32,
            pmr: false,
            rc5: false,
            decile_group: 1,
            follow_up: 4,
            first_referral: cumin_census::Date::ymd(2015, 1, 1),
            first_referral_age: oldest,
            last_referral_age: oldest,
            carries_if_matched: 1.0,
            status: Status::NoPmr,
            later_pmr: false,
        };
        (key, ages)
    }

    /// `key_theta` of one key.
    fn one_key_theta(m: &Mobility, oldest: u8, rows: &[usize], kappa: &[f64; CLASS_AGES]) -> f64 {
        let (k, ages) = key(oldest, rows);
        m.key_theta(&[k], &[ages], kappa)[usize::from(oldest)]
    }

    #[test]
    fn movers_keys_keeping_their_pmr_less_often_are_adjusted_for_and_others_are_not() {
        let m = Mobility::from_rows(&rows(0.2, 200));
        assert!(m.any());
        // One θ before school age, from 600 keys expecting 110 to keep it and 20 doing
        // so: the maximum-likelihood θ solves Σ O_a/θ = Σ (n_a − O_a) p_a/(1 − θ p_a).
        let t = m.theta[4];
        let score: f64 = [(0.05, 2.0), (0.05, 2.0), (0.45, 18.0)]
            .iter()
            .map(|(p, o)| o / t - (200.0 - o) * p / (1.0 - t * p))
            .sum();
        assert!(score.abs() < 1e-3, "θ = {t}, score {score}");
        assert!((0.15..0.25).contains(&t), "{t}");
        assert!((0..SCHOOL_AGE).all(|a| m.theta[a] == t && m.log_sd[a] == m.log_sd[4]));
        assert!(m.log_sd[4] > 0.1 && m.log_sd[4] < 0.5, "{}", m.log_sd[4]);
        assert!((SCHOOL_AGE..CLASS_AGES).all(|a| m.theta[a] == 1.0));
        // Moved towards 1 by its s.d., never past it.
        let up = m.moved(1.0);
        assert!(up.theta[4] > m.theta[4] && up.theta[4] <= 1.0);
        assert!(m.moved(100.0).theta.iter().all(|t| *t == 1.0));
        // Applied to keys: a key with one row at 4 carries a PMR θ times as often; one
        // with two rows at 4 and one at 3 less far below; one of 6 with a row at 4 hardly.
        let kappa: [f64; CLASS_AGES] = std::array::from_fn(|a| match a {
            0..4 => 0.05,
            4 => 0.45,
            _ => 0.9,
        });
        let one = one_key_theta(&m, 4, &[4], &kappa);
        assert!((one - t).abs() < 1e-12, "{one}");
        let three = one_key_theta(&m, 4, &[3, 4, 4], &kappa);
        assert!(three > t && three < 1.0, "{three}");
        let school = one_key_theta(&m, 6, &[4, 5, 6], &kappa);
        assert!(school > 0.99 && school < 1.0, "{school}");
        let (k, ages) = key(4, &[4]);
        assert_eq!(
            Mobility::none().key_theta(&[k], &[ages], &kappa),
            [1.0; CLASS_AGES]
        );
        // The shift: odds × (1/θ)(1 − θs)/(1 − s).
        assert!((shift(one, 0.3) - (-one.ln() + ((1.0 - 0.3 * one) / 0.7).ln())).abs() < 1e-12);
        assert_eq!(shift(1.0, 0.9), 0.0);
    }

    #[test]
    fn no_dependence_or_a_small_one_changes_nothing() {
        assert_eq!(Mobility::from_rows(&rows(1.0, 200)), Mobility::none());
        // A tenth fewer: seen (many keys) but smaller than the model error.
        assert_eq!(Mobility::from_rows(&rows(0.9, 5000)), Mobility::none());
        // A strong dependence on too few keys to tell from noise.
        assert_eq!(Mobility::from_rows(&rows(0.5, 10)), Mobility::none());
        assert_eq!(Mobility::from_rows(&RowShares::default()), Mobility::none());
    }
}
