//! The truth: each child's first-ever event per outcome, from the complete history.

use crate::child::Child;
use cumin_census::{Date, JAY_BANDS, Outcome, Sex};
use serde::Serialize;
use std::collections::BTreeMap;

/// Number of age columns: −1 (pre-birth) and 0..=17.
pub const N_AGES: usize = 19;

pub use crate::first::first_ages;
pub use cumin_census::age_at;

/// Counts of children and first events, by cohort × decile × sex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    first_cohort: i16,
    n_cohorts: usize,
    /// Children, indexed by `cell`.
    children: Vec<u64>,
    /// First events, indexed by `cell * 5 * N_AGES + outcome * N_AGES + age + 1`.
    first: Vec<u64>,
    /// Children referred at least once before 18, and of those, re-referred within k years
    /// (k = 1..=6) of their first referral.
    rereferral: Vec<u64>,
}

impl Tally {
    /// An empty tally over `cohorts`.
    pub fn new(cohorts: std::ops::RangeInclusive<i16>) -> Tally {
        let n_cohorts = (cohorts.end() - cohorts.start() + 1) as usize;
        let cells = n_cohorts * 20;
        Tally {
            first_cohort: *cohorts.start(),
            n_cohorts,
            children: vec![0; cells],
            first: vec![0; cells * 5 * N_AGES],
            rereferral: vec![0; 7],
        }
    }

    fn cell(&self, cohort: i16, decile: u8, sex: Sex) -> usize {
        let c = (cohort - self.first_cohort) as usize;
        (c * 10 + usize::from(decile - 1)) * 2 + usize::from(sex == Sex::Female)
    }

    /// Adds one child.
    pub fn add(&mut self, child: &Child) {
        let cell = self.cell(child.cohort, child.decile, child.sex);
        self.children[cell] += 1;
        for (o, age) in first_ages(child).into_iter().enumerate() {
            if let Some(a) = age {
                self.first[(cell * 5 + o) * N_AGES + (a + 1) as usize] += 1;
            }
        }
        let referrals: Vec<Date> = child
            .episodes
            .iter()
            .map(|e| e.referral)
            .filter(|d| age_at(child.dob, *d) <= 17)
            .collect();
        if let Some(&first) = referrals.first() {
            self.rereferral[0] += 1;
            for k in 1..=6 {
                let limit = crate::child::birthday(first, k);
                if referrals.iter().skip(1).any(|d| *d < limit) {
                    self.rereferral[k as usize] += 1;
                }
            }
        }
    }

    /// Adds another tally over the same cohorts.
    pub fn merge(&mut self, other: &Tally) {
        assert_eq!(self.first_cohort, other.first_cohort);
        for (a, b) in self.children.iter_mut().zip(&other.children) {
            *a += b;
        }
        for (a, b) in self.first.iter_mut().zip(&other.first) {
            *a += b;
        }
        for (a, b) in self.rereferral.iter_mut().zip(&other.rereferral) {
            *a += b;
        }
    }

    /// Children in the cells `keep` selects, and their first events per outcome × age.
    fn select(&self, keep: impl Fn(i16, u8, Sex) -> bool) -> (u64, [[u64; N_AGES]; 5]) {
        let mut n = 0;
        let mut ev = [[0u64; N_AGES]; 5];
        for c in 0..self.n_cohorts {
            let cohort = self.first_cohort + c as i16;
            for d in 1..=10u8 {
                for sex in [Sex::Male, Sex::Female] {
                    if !keep(cohort, d, sex) {
                        continue;
                    }
                    let cell = self.cell(cohort, d, sex);
                    n += self.children[cell];
                    for (o, row) in ev.iter_mut().enumerate() {
                        for (a, x) in row.iter_mut().enumerate() {
                            *x += self.first[(cell * 5 + o) * N_AGES + a];
                        }
                    }
                }
            }
        }
        (n, ev)
    }

    /// Total children.
    pub fn children(&self) -> u64 {
        self.children.iter().sum()
    }

    /// Children in one cohort × decile × sex cell.
    pub fn children_in_cell(&self, cohort: i16, decile: u8, sex: Sex) -> u64 {
        self.children[self.cell(cohort, decile, sex)]
    }

    /// Children of one cohort.
    pub fn children_in_cohort(&self, cohort: i16) -> u64 {
        self.select(|c, _, _| c == cohort).0
    }

    /// The truth document.
    pub fn truth(&self) -> TruthCurves {
        let curves = |keep: &dyn Fn(i16, u8, Sex) -> bool| {
            let (n, ev) = self.select(keep);
            Curves::from_counts(n, &ev)
        };
        let mut by_idaci_decile = BTreeMap::new();
        for d in 1..=10u8 {
            by_idaci_decile.insert(d.to_string(), curves(&|_, dd, _| dd == d));
        }
        let mut by_sex = BTreeMap::new();
        for s in [Sex::Male, Sex::Female] {
            by_sex.insert(s.as_str().to_owned(), curves(&|_, _, ss| ss == s));
        }
        let mut by_cohort = BTreeMap::new();
        for c in 0..self.n_cohorts {
            let cohort = self.first_cohort + c as i16;
            by_cohort.insert(cohort.to_string(), curves(&|cc, _, _| cc == cohort));
        }
        let referred = self.rereferral[0];
        TruthCurves {
            jay2025: self.jay2025(),
            overall: curves(&|_, _, _| true),
            by_idaci_decile,
            by_sex,
            by_cohort,
            rereferral_within_years: (1..=6)
                .map(|k| share(self.rereferral[k], referred))
                .collect(),
            migration: None,
        }
    }
}

impl Tally {
    /// The true counterpart of Jay et al.'s design: each band's first-ever events from its
    /// cohort, and the spliced cumulative incidence `Σ_{x≤a} E(b_x, x) / P(b_x)`. `None`
    /// when a band's cohort is not simulated.
    pub fn jay2025(&self) -> Option<JayTruth> {
        let last = self.first_cohort + self.n_cohorts as i16 - 1;
        if JAY_BANDS
            .iter()
            .any(|(b, _, _)| *b < self.first_cohort || *b > last)
        {
            return None;
        }
        let mut bands = Vec::new();
        let mut cum_inc: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for o in Outcome::ALL {
            cum_inc.insert(o.as_str().to_owned(), vec![0.0; 18]);
        }
        for (cohort, lo, hi) in JAY_BANDS {
            let ages = lo..=hi;
            let (n, ev) = self.select(|c, _, _| c == cohort);
            let mut first_events = BTreeMap::new();
            for o in Outcome::ALL {
                let per_age: Vec<u64> = ages
                    .clone()
                    .map(|a| ev[o.index()][(a + 1) as usize])
                    .collect();
                first_events.insert(o.as_str().to_owned(), per_age);
            }
            bands.push(JayBand {
                birth_year: cohort,
                ages: [*ages.start(), *ages.end()],
                children: n,
                first_events,
            });
        }
        for o in Outcome::ALL {
            let curve = cum_inc.get_mut(o.as_str()).expect("every outcome");
            let mut acc = 0.0;
            for band in &bands {
                let events = &band.first_events[o.as_str()];
                for (i, a) in (band.ages[0]..=band.ages[1]).enumerate() {
                    acc += share(events[i], band.children);
                    if a >= 0 {
                        curve[a as usize] = acc;
                    }
                }
            }
        }
        Some(JayTruth { bands, cum_inc })
    }
}

/// One band of the Jay et al. design.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JayBand {
    /// Birth cohort (financial year of birth, named by its end).
    pub birth_year: i16,
    /// First and last age of the band (−1 = pre-birth).
    pub ages: [i8; 2],
    /// Children born in the cohort.
    pub children: u64,
    /// Per outcome: children of the cohort whose first-ever event is at each age of the band.
    pub first_events: BTreeMap<String, Vec<u64>>,
}

/// The truth of the Jay et al. 2025 three-cohort design.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JayTruth {
    /// The three bands.
    pub bands: Vec<JayBand>,
    /// Per outcome: spliced cumulative incidence before the (age+1)th birthday, ages 0..=17.
    pub cum_inc: BTreeMap<String, Vec<f64>>,
}

fn share(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// True cumulative incidence curves for one group of children.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Curves {
    /// Children in the group.
    pub children: u64,
    /// Per outcome: cumulative incidence before the (age+1)th birthday, ages 0..=17
    /// (pre-birth events count at age 0).
    pub cum_inc: BTreeMap<String, Vec<f64>>,
    /// Per outcome: children with a first event at each age −1..=17.
    pub first_events: BTreeMap<String, Vec<u64>>,
}

impl Curves {
    fn from_counts(n: u64, ev: &[[u64; N_AGES]; 5]) -> Curves {
        let mut cum_inc = BTreeMap::new();
        let mut first_events = BTreeMap::new();
        for o in Outcome::ALL {
            let row = &ev[o.index()];
            let mut acc = row[0];
            let mut curve = Vec::with_capacity(18);
            for x in &row[1..] {
                acc += x;
                curve.push(share(acc, n));
            }
            cum_inc.insert(o.as_str().to_owned(), curve);
            first_events.insert(o.as_str().to_owned(), row.to_vec());
        }
        Curves {
            children: n,
            cum_inc,
            first_events,
        }
    }

    /// Cumulative incidence of `outcome` before the (age+1)th birthday.
    pub fn at(&self, outcome: Outcome, age: usize) -> f64 {
        self.cum_inc[outcome.as_str()][age]
    }
}

/// Every truth curve the simulator writes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TruthCurves {
    /// The Jay et al. 2025 three-cohort design, from complete histories.
    pub jay2025: Option<JayTruth>,
    /// All children of all simulated cohorts.
    pub overall: Curves,
    /// By IDACI decile (the child's decile; deciles do not change in this model).
    pub by_idaci_decile: BTreeMap<String, Curves>,
    /// By sex.
    pub by_sex: BTreeMap<String, Curves>,
    /// By birth cohort.
    pub by_cohort: BTreeMap<String, Curves>,
    /// Among children referred before 18, the share referred again within 1..=6 years
    /// of their first referral (before 18).
    pub rereferral_within_years: Vec<f64>,
    /// With migration: the truth among residents (first events in England).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<crate::migration::MigrationTruth>,
}
