//! Parameters of the simulation, with defaults calibrated to published England figures.
//!
//! Every parameter can be set in a TOML file (`cumin simulate --params FILE`); missing
//! keys keep their defaults. Rates are per child-year unless said otherwise.

pub use crate::error::ParamsError;
use crate::frailty::{Frailty, FrailtyError, FrailtyForm};
use crate::mechanism::{DEPRIVED_MIXTURE_RATIO, MechanismParams, PmrMechanism};
use crate::quirks::QuirkRates;
use serde::{Deserialize, Serialize};

/// Everything that shapes a synthetic extract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimParams {
    /// Random seed: same seed and parameters → byte-identical files.
    pub seed: u64,
    /// Population scale: 1.0 = England (`births_per_year` births a year).
    pub scale: f64,
    /// Births a year at scale 1.0.
    pub births_per_year: f64,
    /// First census year in the extract (named by its end: 2009 = 2008/09).
    pub first_census_year: i16,
    /// Last census year in the extract (2024 = 2023/24).
    pub last_census_year: i16,
    /// Number of local authorities.
    pub n_las: u16,
    /// Share of children living in each IDACI decile (1 = most deprived first).
    pub decile_share: [f64; 10],
    /// Referral-rate ratio of each decile to the national rate (decile 1 first).
    pub decile_referral_ratio: [f64; 10],
    /// Extra ratio on the chance that a CIN episode goes to a child protection enquiry,
    /// by decile (deprivation steepens the gradient at the deep end).
    pub decile_protection_ratio: [f64; 10],
    /// Share of boys among births.
    pub male_share: f64,
    /// Ethnicity codes and their shares among children.
    pub ethnicity_share: Vec<(String, f64)>,
    /// Shape of the frailty (mean 1) that makes some children far more likely to be
    /// referred, again and again: `gamma`, `lognormal` or `mixture`.
    pub frailty: FrailtyForm,
    /// Variance of the frailty, whatever its form.
    pub frailty_variance: f64,
    /// With the `mixture` form, the share of children in the high-risk group.
    pub mixture_high_share: f64,
    /// Hazard of referral before birth (per year, applied over the 186 days before birth).
    pub prebirth_hazard: f64,
    /// Baseline referral hazard at ages 0..=17.
    pub referral_hazard: [f64; 18],
    /// Multiplier on the referral hazard once a child has been referred before.
    pub rereferral_ratio: f64,
    /// Probability a referral is closed with no further action (not assessed).
    pub p_nfa: f64,
    /// Probability an assessment ends with no further action (`RC8`).
    pub p_rc8: f64,
    /// Probability a child in need goes to a section 47 enquiry.
    pub p_s47: f64,
    /// Probability an enquiry leads to an initial conference.
    pub p_icpc: f64,
    /// Probability a conference puts the child on a plan.
    pub p_cpp: f64,
    /// Median length of a child-in-need episode, days.
    pub cin_median_days: f64,
    /// Median length of a child protection plan, days.
    pub cpp_median_days: f64,
    /// Yearly probability of moving LA, ages 0..=4.
    pub move_rate_under5: f64,
    /// Yearly probability of moving LA, ages 5..=17.
    pub move_rate_5plus: f64,
    /// Probability that an episode closed by a move (`RC5`) is followed by a referral in
    /// the new LA within eight weeks.
    pub p_transfer_referral: f64,
    /// Share of children who ever have a PMR (attend a state school).
    pub p_ever_pmr: f64,
    /// Probability a row carries the PMR, by the child's age at the census date (31
    /// March), ages 0..=17 (and 18+ as 17).
    pub p_row_pmr_by_age: [f64; 18],
    /// How strongly PMR presence on rows before age 5 depends on whether the child later
    /// moves LA: such rows of a child who moves after them carry a PMR with probability
    /// `p_row_pmr_by_age × (1 − d)` (clipped to [0, 1]); other rows are unchanged. 0 makes
    /// PMR presence independent of mobility; 1 means no early PMR for children who move.
    pub pmr_mobility_dependence: f64,
    /// Whether the quirks of real extracts are on (all of `quirk`, PMR gaps, new LA child
    /// IDs). Off: every row carries its PMR, every LA child ID is unique nationally and
    /// a child keeps one ID per LA, and every value is clean.
    pub quirks: bool,
    /// The rate of each quirk (used only when `quirks` is on).
    pub quirk: QuirkRates,
    /// Write the true child on every row (PMR and LA child ID both the true child):
    /// linkage error becomes zero, so estimator error can be measured alone.
    pub perfect_ids: bool,
    /// Net migration into and out of England by age (`[migration]`). Written to
    /// `truth.json` only when enabled, so that files without migration are unchanged.
    #[serde(skip_serializing_if = "MigrationParams::is_off")]
    pub migration: MigrationParams,
    /// Mechanism switches (`[mechanism]`; see [`crate::mechanism`]): PMR onset per child,
    /// the mixture's high-risk share by decile, LA-varying recording. Written to
    /// `truth.json` only when some switch is on, so that default files are unchanged.
    #[serde(skip_serializing_if = "MechanismParams::is_default")]
    pub mechanism: MechanismParams,
}

/// Migration into and out of England (`[migration]` in the parameter file).
///
/// The rates are illustrative, set to the order of magnitude of ONS long-term
/// international migration estimates for children (see `docs/simulation.md`): about 4–7
/// arrivals and 2–3.5 departures per 1,000 children a year, a net inflow of a few per
/// thousand, highest in infancy and early childhood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationParams {
    /// Whether children arrive in and leave England. Off: a closed population.
    pub enabled: bool,
    /// Arrivals during age-year 0..=17, per 1,000 children born in England in the cohort.
    pub in_per_1000: [f64; 18],
    /// Departures per 1,000 resident child-years (a hazard), ages 0..=17.
    pub out_per_1000: [f64; 18],
    /// Relative chance of an arriving child living in each IDACI decile (decile 1 first),
    /// times `decile_share`: arrivals are more common in deprived areas.
    pub in_decile_ratio: [f64; 10],
    /// Departure hazard ratio by IDACI decile (decile 1 first).
    pub out_decile_ratio: [f64; 10],
    /// Arriving children pick their first LA with weight `size^in_la_power`: above 1,
    /// arrivals concentrate in the largest (London-like, urban) LAs.
    pub in_la_power: f64,
}

impl Default for MigrationParams {
    fn default() -> MigrationParams {
        MigrationParams {
            enabled: false,
            in_per_1000: [
                7.0, 7.0, 6.5, 6.0, 5.5, 5.0, 4.6, 4.3, 4.1, 3.9, 3.8, 3.7, 3.6, 3.6, 3.6, 3.8,
                4.2, 4.6,
            ],
            out_per_1000: [
                3.0, 3.5, 3.5, 3.2, 3.0, 2.8, 2.6, 2.5, 2.4, 2.3, 2.2, 2.2, 2.1, 2.1, 2.1, 2.2,
                2.4, 2.6,
            ],
            in_decile_ratio: [1.6, 1.45, 1.3, 1.15, 1.0, 0.9, 0.8, 0.72, 0.66, 0.6],
            out_decile_ratio: [1.15, 1.1, 1.05, 1.0, 1.0, 0.97, 0.95, 0.93, 0.92, 0.9],
            in_la_power: 1.5,
        }
    }
}

impl MigrationParams {
    /// Not enabled.
    pub fn is_off(&self) -> bool {
        !self.enabled
    }

    /// Expected arrivals per child born in England, over the whole childhood.
    pub fn arrivals_per_birth(&self) -> f64 {
        self.in_per_1000.iter().sum::<f64>() / 1000.0
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |name: &'static str, v: f64, expected: &'static str| ParamsError::Invalid {
            name,
            value: v.to_string(),
            expected,
        };
        for v in self.in_per_1000.iter().chain(&self.out_per_1000) {
            if !(v.is_finite() && (0.0..=500.0).contains(v)) {
                return Err(bad(
                    "migration.in_per_1000 / out_per_1000",
                    *v,
                    "a rate per 1,000 in [0, 500]",
                ));
            }
        }
        for v in self.in_decile_ratio.iter().chain(&self.out_decile_ratio) {
            if !(v.is_finite() && *v >= 0.0 && *v <= 100.0) {
                return Err(bad(
                    "migration.in_decile_ratio / out_decile_ratio",
                    *v,
                    "a ratio in [0, 100]",
                ));
            }
        }
        if self.in_decile_ratio.iter().sum::<f64>() <= 0.0 {
            return Err(bad(
                "migration.in_decile_ratio",
                0.0,
                "at least one decile with a positive ratio",
            ));
        }
        if !(self.in_la_power.is_finite() && (0.0..=5.0).contains(&self.in_la_power)) {
            return Err(bad(
                "migration.in_la_power",
                self.in_la_power,
                "a number in [0, 5]",
            ));
        }
        Ok(())
    }
}

impl Default for SimParams {
    fn default() -> SimParams {
        SimParams {
            seed: 1,
            scale: 0.05,
            births_per_year: 640_000.0,
            first_census_year: 2009,
            last_census_year: 2024,
            n_las: 152,
            decile_share: [
                0.130, 0.120, 0.110, 0.105, 0.100, 0.095, 0.090, 0.087, 0.083, 0.080,
            ],
            decile_referral_ratio: [
                1.896, 1.490, 1.219, 1.011, 0.858, 0.740, 0.632, 0.551, 0.478, 0.424,
            ],
            // exp(0.13 (5.5 − d)), rescaled so national CPP stays ≈7%: with the referral
            // gradient, decile 1's CPP rate is ≈2.4 times the national rate and ≈13 times
            // decile 10's (the Child Welfare Inequalities Project found over 10 times).
            decile_protection_ratio: [1.45, 1.28, 1.12, 0.98, 0.86, 0.76, 0.67, 0.59, 0.51, 0.45],
            male_share: 0.512,
            ethnicity_share: [
                ("WBRI", 0.66),
                ("WIRI", 0.003),
                ("WIRT", 0.002),
                ("WOTH", 0.07),
                ("WROM", 0.005),
                ("MWBC", 0.018),
                ("MWBA", 0.008),
                ("MWAS", 0.012),
                ("MOTH", 0.022),
                ("AIND", 0.032),
                ("APKN", 0.045),
                ("ABAN", 0.018),
                ("AOTH", 0.017),
                ("BCRB", 0.010),
                ("BAFR", 0.040),
                ("BOTH", 0.006),
                ("CHNE", 0.005),
                ("OOTH", 0.027),
            ]
            .into_iter()
            .map(|(c, s)| (c.to_owned(), s))
            .collect(),
            frailty: FrailtyForm::Gamma,
            frailty_variance: 3.0,
            mixture_high_share: 0.05,
            prebirth_hazard: 0.0928,
            referral_hazard: [
                0.1012, 0.0579, 0.0506, 0.0494, 0.0494, 0.047, 0.0434, 0.0422, 0.041, 0.041,
                0.0422, 0.0458, 0.0506, 0.0579, 0.0603, 0.0603, 0.0554, 0.047,
            ],
            rereferral_ratio: 2.2,
            p_nfa: 0.24,
            p_rc8: 0.48,
            p_s47: 0.29,
            p_icpc: 0.55,
            p_cpp: 0.85,
            cin_median_days: 150.0,
            cpp_median_days: 280.0,
            move_rate_under5: 0.06,
            move_rate_5plus: 0.03,
            p_transfer_referral: 0.6,
            p_ever_pmr: 0.95,
            p_row_pmr_by_age: [
                0.01, 0.02, 0.03, 0.05, 0.45, 0.90, 0.93, 0.94, 0.94, 0.94, 0.94, 0.93, 0.92, 0.91,
                0.90, 0.88, 0.85, 0.80,
            ],
            pmr_mobility_dependence: 0.0,
            quirks: true,
            quirk: QuirkRates::default(),
            perfect_ids: false,
            migration: MigrationParams::default(),
            mechanism: MechanismParams::default(),
        }
    }
}

impl SimParams {
    /// Reads a TOML file over the defaults.
    pub fn from_toml_file(path: &std::path::Path) -> Result<SimParams, ParamsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ParamsError::Io {
            path: path.to_owned(),
            source,
        })?;
        let p: SimParams = toml::from_str(&text).map_err(|e| ParamsError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let prob = |name: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ParamsError::Invalid {
                    name,
                    value: v.to_string(),
                    expected: "a probability in [0, 1]",
                })
            }
        };
        if !(self.scale > 0.0 && self.scale <= 10.0) {
            return Err(ParamsError::Invalid {
                name: "scale",
                value: self.scale.to_string(),
                expected: "a number in (0, 10]",
            });
        }
        if self.first_census_year > self.last_census_year || self.first_census_year < 2000 {
            return Err(ParamsError::Invalid {
                name: "first_census_year",
                value: self.first_census_year.to_string(),
                expected: "a year from 2000 up to last_census_year",
            });
        }
        if self.n_las == 0 || self.n_las > 899 {
            return Err(ParamsError::Invalid {
                name: "n_las",
                value: self.n_las.to_string(),
                expected: "between 1 and 899",
            });
        }
        for (name, v) in [
            ("male_share", self.male_share),
            ("p_nfa", self.p_nfa),
            ("p_rc8", self.p_rc8),
            ("p_s47", self.p_s47),
            ("p_icpc", self.p_icpc),
            ("p_cpp", self.p_cpp),
            ("move_rate_under5", self.move_rate_under5),
            ("move_rate_5plus", self.move_rate_5plus),
            ("p_transfer_referral", self.p_transfer_referral),
            ("p_ever_pmr", self.p_ever_pmr),
        ] {
            prob(name, v)?;
        }
        for v in self.p_row_pmr_by_age {
            prob("p_row_pmr_by_age", v)?;
        }
        self.frailty_distribution()?;
        if !(-1.0..=1.0).contains(&self.pmr_mobility_dependence) {
            return Err(ParamsError::Invalid {
                name: "pmr_mobility_dependence",
                value: self.pmr_mobility_dependence.to_string(),
                expected: "a number in [-1, 1]",
            });
        }
        for (name, v) in self
            .quirk
            .rates()
            .into_iter()
            .chain(self.quirk.opt_in_rates())
        {
            prob(name, v)?;
        }
        self.migration.validate()?;
        self.mechanism.validate()?;
        if self.mechanism.mixture_by_decile() {
            self.mixture_by_decile()?;
        }
        if self.ethnicity_share.iter().any(|(c, s)| {
            cumin_census::Ethnicity::from_code(c).is_none() || !s.is_finite() || *s < 0.0
        }) {
            return Err(ParamsError::Invalid {
                name: "ethnicity_share",
                value: format!("{:?}", self.ethnicity_share),
                expected: "DfE ethnicity codes with non-negative shares",
            });
        }
        Ok(())
    }

    /// The frailty distribution these parameters describe.
    pub fn frailty_distribution(&self) -> Result<Frailty, ParamsError> {
        Frailty::new(self.frailty, self.frailty_variance, self.mixture_high_share).map_err(|e| {
            let (name, value, expected) = match e {
                FrailtyError::Variance => (
                    "frailty_variance",
                    self.frailty_variance,
                    "a finite number, zero or more",
                ),
                FrailtyError::Share => (
                    "mixture_high_share",
                    self.mixture_high_share,
                    "a share strictly between 0 and 1",
                ),
                FrailtyError::MixtureTooWide => (
                    "frailty_variance",
                    self.frailty_variance,
                    "at most (1 - mixture_high_share) / mixture_high_share with the mixture form",
                ),
            };
            ParamsError::Invalid {
                name,
                value: value.to_string(),
                expected,
            }
        })
    }

    /// With the `mixture` frailty and `mechanism.mixture_decile_ratio`, each decile's
    /// high-risk share and levels (see [`crate::mechanism`]); `None` otherwise.
    pub fn mixture_by_decile(&self) -> Result<Option<[Frailty; 10]>, ParamsError> {
        if self.frailty != FrailtyForm::Mixture || !self.mechanism.mixture_by_decile() {
            return Ok(None);
        }
        let Frailty::Mixture { share, high, low } = self.frailty_distribution()? else {
            return Ok(None);
        };
        let ratio = &self.mechanism.mixture_decile_ratio;
        let norm: f64 = (0..10)
            .map(|d| self.decile_share[d] * ratio[d])
            .sum::<f64>()
            / self.decile_share.iter().sum::<f64>();
        let mut out = [Frailty::None; 10];
        for (d, f) in out.iter_mut().enumerate() {
            let s = share * ratio[d] / norm;
            if !(s > 0.0 && s < 1.0) {
                return Err(ParamsError::Invalid {
                    name: "mechanism.mixture_decile_ratio",
                    value: format!("{ratio:?}"),
                    expected: "ratios that keep every decile's high-risk share below 1",
                });
            }
            let mean = s * high + (1.0 - s) * low;
            *f = Frailty::Mixture {
                share: s,
                high: high / mean,
                low: low / mean,
            };
        }
        Ok(Some(out))
    }

    /// The quirk rates in force: the configured ones, or all zero with quirks off.
    pub fn quirk_rates(&self) -> QuirkRates {
        if self.quirks {
            self.quirk.clone()
        } else {
            QuirkRates::none()
        }
    }

    /// Birth cohorts simulated: every cohort whose childhood (ages 0-17, and the
    /// pre-birth months) overlaps the census years, named by the financial year of birth.
    pub fn cohorts(&self) -> std::ops::RangeInclusive<i16> {
        (self.first_census_year - 18)..=self.last_census_year
    }

    /// Births per cohort at this scale.
    pub fn births_per_cohort(&self) -> u64 {
        (self.births_per_year * self.scale).round().max(1.0) as u64
    }
}

/// Applies the named preset (see [`crate::mechanism::PRESETS`]) to `params`.
pub fn apply_preset(params: &mut SimParams, name: &str) -> Result<(), ParamsError> {
    let m = &mut params.mechanism;
    match name {
        "default" => {}
        "pmr-onset" => m.pmr = PmrMechanism::Onset,
        "pmr-mobility" => params.pmr_mobility_dependence = 0.8,
        "gamma" => params.frailty = FrailtyForm::Gamma,
        "lognormal" => params.frailty = FrailtyForm::Lognormal,
        "mixture" => params.frailty = FrailtyForm::Mixture,
        "mixture-deprived" => {
            params.frailty = FrailtyForm::Mixture;
            m.mixture_decile_ratio = DEPRIVED_MIXTURE_RATIO;
        }
        "la-recording" => {
            m.la_nfa_sd = 0.5;
            m.la_rc8_sd = 0.5;
            m.la_pmr_sd = 0.5;
        }
        "independent" => {
            for p in ["pmr-onset", "mixture-deprived", "la-recording"] {
                apply_preset(params, p)?;
            }
        }
        _ => {
            return Err(ParamsError::Invalid {
                name: "mechanism",
                value: name.to_owned(),
                expected: "one of default, pmr-onset, pmr-mobility, gamma, lognormal, mixture, mixture-deprived, la-recording, independent",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_shares_sum_to_one() {
        let p = SimParams::default();
        p.validate().unwrap();
        assert!((p.decile_share.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let national: f64 = p
            .decile_share
            .iter()
            .zip(p.decile_referral_ratio)
            .map(|(s, r)| s * r)
            .sum();
        assert!((national - 1.0).abs() < 0.03, "{national}");
        assert_eq!(p.cohorts(), 1991..=2024);
    }

    #[test]
    fn toml_overrides_defaults_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "scale = 0.5\nrereferral_ratio = 3.0\n").unwrap();
        let p = SimParams::from_toml_file(&f).unwrap();
        assert_eq!(p.scale, 0.5);
        assert_eq!(p.rereferral_ratio, 3.0);
        assert_eq!(p.n_las, 152);
        std::fs::write(&f, "scael = 0.5\n").unwrap();
        let e = SimParams::from_toml_file(&f).unwrap_err().to_string();
        assert!(e.contains("scael"), "{e}");
        std::fs::write(&f, "p_nfa = 1.5\n").unwrap();
        assert!(SimParams::from_toml_file(&f).is_err());
        std::fs::write(&f, "[migration]\nenabled = true\nin_la_power = 2.0\n").unwrap();
        let p = SimParams::from_toml_file(&f).unwrap();
        assert!(p.migration.enabled);
        assert_eq!(p.migration.in_la_power, 2.0);
        assert_eq!(p.migration.out_per_1000[0], 3.0);
        let negative = format!("[migration]\nout_per_1000 = [-1.0{}]\n", ", 1.0".repeat(17));
        std::fs::write(&f, negative).unwrap();
        assert!(SimParams::from_toml_file(&f).is_err());
        std::fs::write(&f, "[migration]\nenabeld = true\n").unwrap();
        let e = SimParams::from_toml_file(&f).unwrap_err().to_string();
        assert!(e.contains("enabeld"), "{e}");
    }
}
