//! The faults real extracts hold, each with a rate, and the count of each one applied.
//!
//! Every quirk imitates something analysts meet in NPD CIN extracts (see
//! `docs/simulation.md`); the reader must still account for every row. Each decision is a
//! coin flip keyed by (seed, child, episode, census year, quirk), so it does not depend on
//! the order rows are produced in, and two quirks never compete for one random number.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The rate of each quirk. Probabilities apply per value, row or child as each says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuirkRates {
    /// Per new LA child ID: probability it is drawn from the numbers every LA issues, so
    /// the same text belongs to other children in other LAs. The rest are unique
    /// nationally. (IDs are always unique within an LA.)
    pub la_id_reuse: f64,
    /// Per return to an LA where the child was recorded before: probability the LA issues
    /// a new ID rather than finding the old record. (A move to another LA always means a
    /// new ID there: LAs do not share IDs.)
    pub new_la_id_on_return: f64,
    /// Census years before this one (named by their end: 2012 = 2011/12) have poor data.
    pub poor_data_before: i16,
    /// In those years, per row: probability each of referral date, `ReferralNFA`, primary
    /// need and ethnicity is blank.
    pub poor_data_missing: f64,
    /// Per date value: probability it is blank although the event happened.
    pub missing_date: f64,
    /// Per date value: probability it is unreadable text (`31/02/2014`, `2014-13-01`, …).
    pub corrupt_date: f64,
    /// Per date value: probability it is a placeholder before 1930 (`1900-01-01`, …).
    pub ancient_date: f64,
    /// Per row with a closure date: probability the closure is typed before the referral.
    pub closure_before_referral: f64,
    /// Per coded value (reason for closure, `ReferralNFA`, ethnicity, primary need `N2`-`N5`):
    /// probability it is a legacy or variant spelling (`NFA`, ` RC8`, `Y`, `wbri`, `WBRT`,
    /// `A3`, …).
    pub legacy_spelling: f64,
    /// Per row: probability `Gender` differs from the child's (the other sex, or 0/9).
    pub drift_sex: f64,
    /// Per row: probability `Ethnicity` differs from the child's.
    pub drift_ethnicity: f64,
    /// Per row: probability the birth month is one off (the year follows across January).
    pub drift_birth_month: f64,
    /// Per child in the extract: probability every row gives a birth year decades early, so
    /// the first contact is at age 25 or more (a data-entry error).
    pub age_over_25: f64,
    // The quirks below are off by default (rate 0), so the default extract and its
    // `truth.json` stay as they were; they are written to `truth.json` only when on.
    /// Per row: probability the LA child ID is blank (the PMR, if any, is still there).
    #[serde(skip_serializing_if = "is_zero")]
    pub missing_la_id: f64,
    /// Per row with a birth month and year: probability one of the two is blank.
    #[serde(skip_serializing_if = "is_zero")]
    pub partial_birth_date: f64,
    /// Per row carrying a PMR: probability it is another child's PMR (a wrong match to
    /// the school census).
    #[serde(skip_serializing_if = "is_zero")]
    pub wrong_pmr: f64,
    /// Per row with a closure date: probability its year is typed a decade early
    /// (`2014` as `2004`).
    #[serde(skip_serializing_if = "is_zero")]
    pub closure_decade_early: f64,
    /// Per episode: probability its referral date is recorded as the 1st of its month
    /// (only the month was known), on every row of the episode.
    #[serde(skip_serializing_if = "is_zero")]
    pub referral_month_only: f64,
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for QuirkRates {
    fn default() -> QuirkRates {
        QuirkRates {
            la_id_reuse: 0.9,
            new_la_id_on_return: 0.5,
            poor_data_before: 2012,
            poor_data_missing: 0.08,
            missing_date: 0.002,
            corrupt_date: 0.001,
            ancient_date: 0.0005,
            closure_before_referral: 0.002,
            legacy_spelling: 0.03,
            drift_sex: 0.005,
            drift_ethnicity: 0.03,
            drift_birth_month: 0.01,
            age_over_25: 0.001,
            missing_la_id: 0.0,
            partial_birth_date: 0.0,
            wrong_pmr: 0.0,
            closure_decade_early: 0.0,
            referral_month_only: 0.0,
        }
    }
}

impl QuirkRates {
    /// Every quirk off.
    pub fn none() -> QuirkRates {
        QuirkRates {
            la_id_reuse: 0.0,
            new_la_id_on_return: 0.0,
            poor_data_before: 0,
            poor_data_missing: 0.0,
            missing_date: 0.0,
            corrupt_date: 0.0,
            ancient_date: 0.0,
            closure_before_referral: 0.0,
            legacy_spelling: 0.0,
            drift_sex: 0.0,
            drift_ethnicity: 0.0,
            drift_birth_month: 0.0,
            age_over_25: 0.0,
            missing_la_id: 0.0,
            partial_birth_date: 0.0,
            wrong_pmr: 0.0,
            closure_decade_early: 0.0,
            referral_month_only: 0.0,
        }
    }

    /// The probabilities of the quirks on by default, by quirk.
    pub fn rates(&self) -> [(&'static str, f64); 12] {
        Quirk::ALL.map(|q| (q.name(), self.rate(q)))
    }

    /// The probabilities of the quirks off by default, by quirk.
    pub fn opt_in_rates(&self) -> [(&'static str, f64); 5] {
        Quirk::OPT_IN.map(|q| (q.name(), self.rate(q)))
    }

    /// The configured rate of one quirk.
    pub fn rate(&self, q: Quirk) -> f64 {
        match q {
            Quirk::LaIdReuse => self.la_id_reuse,
            Quirk::NewLaIdOnReturn => self.new_la_id_on_return,
            Quirk::PoorDataMissing => self.poor_data_missing,
            Quirk::MissingDate => self.missing_date,
            Quirk::CorruptDate => self.corrupt_date,
            Quirk::AncientDate => self.ancient_date,
            Quirk::ClosureBeforeReferral => self.closure_before_referral,
            Quirk::LegacySpelling => self.legacy_spelling,
            Quirk::DriftSex => self.drift_sex,
            Quirk::DriftEthnicity => self.drift_ethnicity,
            Quirk::DriftBirthMonth => self.drift_birth_month,
            Quirk::AgeOver25 => self.age_over_25,
            Quirk::MissingLaId => self.missing_la_id,
            Quirk::PartialBirthDate => self.partial_birth_date,
            Quirk::WrongPmr => self.wrong_pmr,
            Quirk::ClosureDecadeEarly => self.closure_decade_early,
            Quirk::ReferralMonthOnly => self.referral_month_only,
        }
    }

    /// The total chance a date value is spoilt (missing, unreadable or before 1930).
    pub fn date_fault_rate(&self) -> f64 {
        self.missing_date + self.corrupt_date + self.ancient_date
    }
}

/// One quirk with a configured rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quirk {
    /// See [`QuirkRates::la_id_reuse`].
    LaIdReuse,
    /// See [`QuirkRates::new_la_id_on_return`].
    NewLaIdOnReturn,
    /// See [`QuirkRates::poor_data_missing`].
    PoorDataMissing,
    /// See [`QuirkRates::missing_date`].
    MissingDate,
    /// See [`QuirkRates::corrupt_date`].
    CorruptDate,
    /// See [`QuirkRates::ancient_date`].
    AncientDate,
    /// See [`QuirkRates::closure_before_referral`].
    ClosureBeforeReferral,
    /// See [`QuirkRates::legacy_spelling`].
    LegacySpelling,
    /// See [`QuirkRates::drift_sex`].
    DriftSex,
    /// See [`QuirkRates::drift_ethnicity`].
    DriftEthnicity,
    /// See [`QuirkRates::drift_birth_month`].
    DriftBirthMonth,
    /// See [`QuirkRates::age_over_25`].
    AgeOver25,
    /// See [`QuirkRates::missing_la_id`].
    MissingLaId,
    /// See [`QuirkRates::partial_birth_date`].
    PartialBirthDate,
    /// See [`QuirkRates::wrong_pmr`].
    WrongPmr,
    /// See [`QuirkRates::closure_decade_early`].
    ClosureDecadeEarly,
    /// See [`QuirkRates::referral_month_only`].
    ReferralMonthOnly,
}

/// Number of quirks, on by default or not.
const N_QUIRKS: usize = 17;

impl Quirk {
    /// Every quirk, in the order of the truth document.
    pub const ALL: [Quirk; 12] = [
        Quirk::LaIdReuse,
        Quirk::NewLaIdOnReturn,
        Quirk::PoorDataMissing,
        Quirk::MissingDate,
        Quirk::CorruptDate,
        Quirk::AncientDate,
        Quirk::ClosureBeforeReferral,
        Quirk::LegacySpelling,
        Quirk::DriftSex,
        Quirk::DriftEthnicity,
        Quirk::DriftBirthMonth,
        Quirk::AgeOver25,
    ];

    /// The quirks off by default (added for the Jay 2025 fixtures: each produces one
    /// fault behind a behaviour of their R code, see `jay2025-rules.md`).
    pub const OPT_IN: [Quirk; 5] = [
        Quirk::MissingLaId,
        Quirk::PartialBirthDate,
        Quirk::WrongPmr,
        Quirk::ClosureDecadeEarly,
        Quirk::ReferralMonthOnly,
    ];

    /// The parameter name.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::LaIdReuse => "la_id_reuse",
            Quirk::NewLaIdOnReturn => "new_la_id_on_return",
            Quirk::PoorDataMissing => "poor_data_missing",
            Quirk::MissingDate => "missing_date",
            Quirk::CorruptDate => "corrupt_date",
            Quirk::AncientDate => "ancient_date",
            Quirk::ClosureBeforeReferral => "closure_before_referral",
            Quirk::LegacySpelling => "legacy_spelling",
            Quirk::DriftSex => "drift_sex",
            Quirk::DriftEthnicity => "drift_ethnicity",
            Quirk::DriftBirthMonth => "drift_birth_month",
            Quirk::AgeOver25 => "age_over_25",
            Quirk::MissingLaId => "missing_la_id",
            Quirk::PartialBirthDate => "partial_birth_date",
            Quirk::WrongPmr => "wrong_pmr",
            Quirk::ClosureDecadeEarly => "closure_decade_early",
            Quirk::ReferralMonthOnly => "referral_month_only",
        }
    }

    /// What one chance of this quirk is taken over, for the truth document.
    pub fn unit(self) -> &'static str {
        match self {
            Quirk::LaIdReuse => "new LA child ID",
            Quirk::NewLaIdOnReturn => "return to an LA that recorded the child before",
            Quirk::PoorDataMissing => "field (4 per row) in a poor-data census year",
            Quirk::MissingDate | Quirk::CorruptDate | Quirk::AncientDate => "date value",
            Quirk::ClosureBeforeReferral | Quirk::ClosureDecadeEarly => "row with a closure date",
            Quirk::LegacySpelling => "coded value with a legacy spelling",
            Quirk::DriftSex
            | Quirk::DriftEthnicity
            | Quirk::DriftBirthMonth
            | Quirk::MissingLaId => "row",
            Quirk::AgeOver25 => "child in the extract",
            Quirk::PartialBirthDate => "row with a birth month and year",
            Quirk::WrongPmr => "row with a PMR",
            Quirk::ReferralMonthOnly => "row with a referral date (decided per episode)",
        }
    }

    /// A tag that keeps this quirk's coin flips apart from every other's.
    pub fn tag(self) -> u64 {
        0x5155_4952_4B00 + self as u64
    }
}

/// How often each quirk had its chance, and took it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuirkCounts {
    /// Chances, by [`Quirk`] order.
    pub eligible: [u64; N_QUIRKS],
    /// Applications, by [`Quirk`] order.
    pub applied: [u64; N_QUIRKS],
    /// Rows by the child's age at the census date (0..=17), and how many carry a PMR.
    pub pmr_rows_by_age: [[u64; 2]; 18],
}

impl QuirkCounts {
    /// Counts one chance, and whether it was taken; returns `taken`.
    pub fn chance(&mut self, q: Quirk, taken: bool) -> bool {
        self.eligible[q as usize] += 1;
        self.applied[q as usize] += u64::from(taken);
        taken
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &QuirkCounts) {
        for i in 0..N_QUIRKS {
            self.eligible[i] += other.eligible[i];
            self.applied[i] += other.applied[i];
        }
        for (a, b) in self.pmr_rows_by_age.iter_mut().zip(&other.pmr_rows_by_age) {
            a[0] += b[0];
            a[1] += b[1];
        }
    }

    /// Applications of one quirk.
    pub fn applied(&self, q: Quirk) -> u64 {
        self.applied[q as usize]
    }

    /// Chances of one quirk.
    pub fn eligible(&self, q: Quirk) -> u64 {
        self.eligible[q as usize]
    }

    /// The truth document's view: per quirk, its rate, chances and applications (a quirk
    /// off by default only when it is on).
    pub fn report(&self, rates: &QuirkRates, recurring_la_ids: u64) -> QuirkReport {
        let on = Quirk::OPT_IN.into_iter().filter(|&q| rates.rate(q) > 0.0);
        let quirks = Quirk::ALL
            .into_iter()
            .chain(on)
            .map(|q| {
                (
                    q.name().to_owned(),
                    Realised {
                        rate: rates.rate(q),
                        unit: q.unit(),
                        eligible: self.eligible(q),
                        applied: self.applied(q),
                    },
                )
            })
            .collect();
        QuirkReport {
            quirks,
            la_ids_recurring_in_another_la: recurring_la_ids,
            pmr_by_age: self
                .pmr_rows_by_age
                .iter()
                .enumerate()
                .map(|(age, [rows, with])| PmrAtAge {
                    age: age as u8,
                    rows: *rows,
                    with_pmr: *with,
                })
                .collect(),
        }
    }
}

/// One quirk's configured rate and what happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Realised {
    /// The configured probability.
    pub rate: f64,
    /// What one chance is.
    pub unit: &'static str,
    /// Chances.
    pub eligible: u64,
    /// Applications.
    pub applied: u64,
}

/// PMR presence at one age.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PmrAtAge {
    /// The child's age at the census date (31 March); children not yet born count at 0.
    pub age: u8,
    /// Rows.
    pub rows: u64,
    /// Rows carrying a PMR.
    pub with_pmr: u64,
}

/// Every quirk's outcome, for `truth.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuirkReport {
    /// By quirk name.
    pub quirks: BTreeMap<String, Realised>,
    /// LA child IDs (keys in the extract) whose text is also a key's in another LA.
    pub la_ids_recurring_in_another_la: u64,
    /// Rows and PMR presence by age.
    pub pmr_by_age: Vec<PmrAtAge>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quirk_has_a_distinct_name_and_tag_and_defaults_are_probabilities() {
        let every = || Quirk::ALL.iter().chain(&Quirk::OPT_IN);
        let names: std::collections::BTreeSet<_> = every().map(|q| q.name()).collect();
        let tags: std::collections::BTreeSet<_> = every().map(|q| q.tag()).collect();
        assert_eq!(names.len(), N_QUIRKS);
        assert_eq!(tags.len(), N_QUIRKS);
        for (name, r) in QuirkRates::default().rates() {
            assert!(
                r > 0.0 && r < 1.0,
                "{name} = {r}: every quirk is on by default"
            );
        }
        for (name, r) in QuirkRates::default().opt_in_rates() {
            assert!(r == 0.0, "{name} = {r}: off by default");
        }
        assert!(QuirkRates::none().rates().iter().all(|(_, r)| *r == 0.0));
    }

    #[test]
    fn counts_merge_and_report() {
        let mut a = QuirkCounts::default();
        assert!(a.chance(Quirk::DriftSex, true));
        assert!(!a.chance(Quirk::DriftSex, false));
        let mut b = a.clone();
        b.merge(&a);
        assert_eq!(b.eligible(Quirk::DriftSex), 4);
        assert_eq!(b.applied(Quirk::DriftSex), 2);
        let r = b.report(&QuirkRates::default(), 7);
        assert_eq!(r.quirks["drift_sex"].applied, 2);
        assert_eq!(r.la_ids_recurring_in_another_la, 7);
    }
}
