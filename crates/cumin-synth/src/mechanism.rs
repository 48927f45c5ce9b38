//! Mechanism switches: ways the world may differ from the simulator's defaults that the
//! estimator's corrections assume away (issue 19). Each is off by default, so the default
//! extract (and `fixtures/demo`) is unchanged; `[mechanism]` in the parameter file sets
//! them, and `cumin simulate --mechanism NAME[,NAME…]` applies named presets
//! ([`PRESETS`]). `docs/simulation.md` says which real-data fact each imitates.
//!
//! - **PMR onset** (`pmr = "onset"`): a child's PMR comes from matching to the school and
//!   early-years censuses, so it has an onset: an age drawn per child
//!   (`pmr_onset_by_age`, none before 2 by default), after which each of the child's rows
//!   carries it with `pmr_row_after_onset` (row gaps); no row before it does. The default
//!   (`pmr = "row"`) draws every row by age alone (`p_row_pmr_by_age`).
//! - **High-risk share by decile** (`mixture_decile_ratio`): with the `mixture` frailty,
//!   the high-risk group's share in each decile is proportional to the ratio (population
//!   share kept at `mixture_high_share`), and each decile's levels are scaled so its mean
//!   frailty stays 1 (the decile gradient of the mean hazard stays
//!   `decile_referral_ratio`).
//! - **LA-varying recording** (`la_nfa_sd`, `la_rc8_sd`, `la_pmr_sd`): each LA's chance
//!   that a referral ends in no further action, that an assessment does (`RC8`), and that
//!   a row carries the PMR, moved on the logit scale by `sd × z_LA`, `z_LA` a standard
//!   normal drawn per LA (from the seed).
//!
//! Every mechanism is a property of the world, not of the identifiers: `perfect_ids`
//! still writes the true child on every row, so estimator error and linkage error can be
//! measured apart under each; the truth is computed from complete histories as always.

use crate::child::{Birthdays, Child};
use crate::error::ParamsError;
use crate::seeded::{coin, mix};
use cumin_census::Date;
use serde::{Deserialize, Serialize};

/// How PMR presence on rows arises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PmrMechanism {
    /// Row by row, by the child's age at the census date (`p_row_pmr_by_age`).
    #[default]
    Row,
    /// Per child: an onset age, then persistent apart from row gaps.
    Onset,
}

/// The mechanism switches (`[mechanism]` in a parameter file). Written to `truth.json`
/// only when some switch is on, so default files are unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MechanismParams {
    /// How PMRs arise: `row` (default) or `onset`.
    pub pmr: PmrMechanism,
    /// With `onset`: the share of children who ever have a PMR whose first match falls in
    /// age-year 0..=17 (normalised to sum 1).
    pub pmr_onset_by_age: [f64; 18],
    /// With `onset`: the chance a row on or after the onset carries the PMR.
    pub pmr_row_after_onset: f64,
    /// With the `mixture` frailty: relative share of the high-risk group in each IDACI
    /// decile (decile 1 first). All equal (the default): the same share everywhere.
    pub mixture_decile_ratio: [f64; 10],
    /// Spread across LAs (s.d. on the logit scale) of the chance a referral ends with no
    /// further action (`p_nfa`).
    pub la_nfa_sd: f64,
    /// Spread across LAs (logit s.d.) of the chance an assessment ends with no further
    /// action (`p_rc8`).
    pub la_rc8_sd: f64,
    /// Spread across LAs (logit s.d.) of the chance a row carries the child's PMR.
    pub la_pmr_sd: f64,
}

/// Onset ages of the `onset` mechanism: none before 2; funded early education for
/// disadvantaged two-year-olds, universal places at three and four, reception at four
/// or five; a few later (a move from an independent school or from abroad, home
/// education ending).
pub const DEFAULT_ONSET_BY_AGE: [f64; 18] = [
    0.0, 0.0, 0.15, 0.35, 0.35, 0.10, 0.02, 0.003, 0.003, 0.003, 0.003, 0.003, 0.003, 0.003, 0.003,
    0.003, 0.003, 0.003,
];

/// The high-risk share's gradient of the `mixture-deprived` preset: decile 1 four times
/// decile 10.
pub const DEPRIVED_MIXTURE_RATIO: [f64; 10] =
    [2.0, 1.6, 1.35, 1.15, 1.0, 0.85, 0.72, 0.62, 0.55, 0.5];

impl Default for MechanismParams {
    fn default() -> MechanismParams {
        MechanismParams {
            pmr: PmrMechanism::Row,
            pmr_onset_by_age: DEFAULT_ONSET_BY_AGE,
            pmr_row_after_onset: 0.95,
            mixture_decile_ratio: [1.0; 10],
            la_nfa_sd: 0.0,
            la_rc8_sd: 0.0,
            la_pmr_sd: 0.0,
        }
    }
}

/// Named presets for `cumin simulate --mechanism`: name, what it sets.
pub const PRESETS: [(&str, &str); 9] = [
    (
        "default",
        "nothing: row-by-row PMRs, gamma frailty, the same recording in every LA",
    ),
    (
        "pmr-onset",
        "PMR onset per child (none before 2, mostly 2-5), persistent with row gaps",
    ),
    (
        "pmr-mobility",
        "pmr_mobility_dependence = 0.8: rows before 5 of children who move later carry the PMR a fifth as often",
    ),
    ("gamma", "gamma frailty (the default form)"),
    ("lognormal", "log-normal frailty"),
    (
        "mixture",
        "two-point mixture frailty, the same high-risk share in every decile",
    ),
    (
        "mixture-deprived",
        "mixture frailty with the high-risk share concentrated in deprived deciles (decile 1 four times decile 10)",
    ),
    (
        "la-recording",
        "NFA, RC8 and PMR-match rates that differ by LA (logit s.d. 0.5 each)",
    ),
    (
        "independent",
        "pmr-onset, mixture-deprived and la-recording together",
    ),
];

impl MechanismParams {
    /// Every switch off.
    pub fn is_default(&self) -> bool {
        *self == MechanismParams::default()
    }

    /// Whether the mixture's high-risk share differs by decile.
    pub fn mixture_by_decile(&self) -> bool {
        self.mixture_decile_ratio
            .iter()
            .any(|r| *r != self.mixture_decile_ratio[0])
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |name: &'static str, v: f64, expected: &'static str| ParamsError::Invalid {
            name,
            value: v.to_string(),
            expected,
        };
        for v in self.pmr_onset_by_age {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad("mechanism.pmr_onset_by_age", v, "non-negative weights"));
            }
        }
        let total: f64 = self.pmr_onset_by_age.iter().sum();
        if total <= 0.0 {
            return Err(bad(
                "mechanism.pmr_onset_by_age",
                total,
                "at least one age with a positive weight",
            ));
        }
        if !(0.0..=1.0).contains(&self.pmr_row_after_onset) {
            return Err(bad(
                "mechanism.pmr_row_after_onset",
                self.pmr_row_after_onset,
                "a probability in [0, 1]",
            ));
        }
        for v in self.mixture_decile_ratio {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad("mechanism.mixture_decile_ratio", v, "positive ratios"));
            }
        }
        for (name, v) in [
            ("mechanism.la_nfa_sd", self.la_nfa_sd),
            ("mechanism.la_rc8_sd", self.la_rc8_sd),
            ("mechanism.la_pmr_sd", self.la_pmr_sd),
        ] {
            if !(v.is_finite() && (0.0..=5.0).contains(&v)) {
                return Err(bad(name, v, "a logit-scale s.d. in [0, 5]"));
            }
        }
        Ok(())
    }
}

/// Tags of the per-child and per-LA draws, apart from every quirk's.
const ONSET_TAG: u64 = 0x4F4E_5345_5400;
const LA_TAG: u64 = 0x4C41_5245_4300;

/// What an LA's recording differs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaEffect {
    /// No further action at referral.
    Nfa = 1,
    /// Assessment ending in no further action.
    Rc8 = 2,
    /// PMR on a row.
    Pmr = 3,
}

/// A standard normal for LA `la` and `effect`, from the seed (Box–Muller on two coins):
/// the same on every row and for every child of the LA.
pub fn la_normal(seed: u64, la: u16, effect: LaEffect) -> f64 {
    let u1 = coin(&[seed, LA_TAG, u64::from(la), effect as u64, 1]).max(f64::MIN_POSITIVE);
    let u2 = coin(&[seed, LA_TAG, u64::from(la), effect as u64, 2]);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `p` moved by `shift` on the logit scale (0 and 1 stay).
pub fn logit_shift(p: f64, shift: f64) -> f64 {
    if shift == 0.0 || p <= 0.0 || p >= 1.0 {
        return p;
    }
    let l = (p / (1.0 - p)).ln() + shift;
    1.0 / (1.0 + (-l).exp())
}

/// `p` as LA `la` records it, with spread `sd` of `effect` (unchanged when `sd` is 0).
pub fn in_la(p: f64, seed: u64, la: u16, effect: LaEffect, sd: f64) -> f64 {
    if sd == 0.0 {
        p
    } else {
        logit_shift(p, sd * la_normal(seed, la, effect))
    }
}

/// The day from which child `c`'s rows can carry its PMR under the `onset` mechanism:
/// an age-year drawn with weights `pmr_onset_by_age`, then a day uniform within it. Keyed
/// by (seed, child), so it does not touch the child's random streams.
pub fn onset_day(mechanism: &MechanismParams, seed: u64, c: &Child) -> Date {
    let w = &mechanism.pmr_onset_by_age;
    let total: f64 = w.iter().sum();
    let mut u = coin(&[seed, ONSET_TAG, c.index, 0]) * total;
    let mut age = w.len() - 1;
    for (a, x) in w.iter().enumerate() {
        if u < *x {
            age = a;
            break;
        }
        u -= x;
    }
    let b = Birthdays::new(c.dob);
    let (from, to) = (b.days[age], b.days[age + 1]);
    let day = from + (mix(&[seed, ONSET_TAG, c.index, 1]) % (to - from) as u64) as i32;
    Date::from_days(day).expect("an onset within childhood")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FrailtyForm;
    use crate::params::{SimParams, apply_preset};

    #[test]
    fn defaults_are_off_and_valid_and_presets_turn_things_on() {
        let m = MechanismParams::default();
        assert!(m.is_default());
        m.validate().unwrap();
        assert!(!m.mixture_by_decile());
        // Weights, normalised where used (they sum to 1.003): none before 2, 97% by 7.
        let total: f64 = DEFAULT_ONSET_BY_AGE.iter().sum();
        assert!((total - 1.0).abs() < 0.01, "{total}");
        assert_eq!(DEFAULT_ONSET_BY_AGE[..2], [0.0, 0.0]);
        assert!(DEFAULT_ONSET_BY_AGE[..7].iter().sum::<f64>() / total > 0.96);
        for (name, _) in PRESETS {
            let mut p = SimParams::default();
            apply_preset(&mut p, name).unwrap();
            p.validate().unwrap();
            let changed = p != SimParams::default();
            assert_eq!(changed, !matches!(name, "default" | "gamma"), "{name}");
        }
        let mut p = SimParams::default();
        assert!(apply_preset(&mut p, "onset").is_err());
        apply_preset(&mut p, "independent").unwrap();
        assert_eq!(p.mechanism.pmr, PmrMechanism::Onset);
        assert!(p.mechanism.mixture_by_decile());
        assert_eq!(p.frailty, FrailtyForm::Mixture);
        assert_eq!(p.mechanism.la_pmr_sd, 0.5);
    }

    #[test]
    fn la_normals_are_standard_and_fixed_per_la() {
        let z: Vec<f64> = (0..20_000u16)
            .map(|la| la_normal(7, la, LaEffect::Nfa))
            .collect();
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / z.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
        assert_eq!(
            la_normal(7, 3, LaEffect::Nfa),
            la_normal(7, 3, LaEffect::Nfa)
        );
        assert_ne!(
            la_normal(7, 3, LaEffect::Nfa),
            la_normal(7, 3, LaEffect::Rc8)
        );
        assert_eq!(in_la(0.24, 7, 3, LaEffect::Nfa, 0.0), 0.24);
        assert!((logit_shift(0.5, (3.0f64).ln()) - 0.75).abs() < 1e-12);
        assert_eq!(logit_shift(1.0, 2.0), 1.0);
    }
}
