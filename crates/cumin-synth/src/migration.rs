//! The truth under migration: who lives in England at each age, and the first events of
//! England's history (first *in England*), among residents.
//!
//! A child's life in England is one spell: from six months before birth (born here) or
//! the arrival day (born abroad) to the day before it leaves, or to 18. At age `a` a child
//! of cohort `b` is *resident* when its spell holds the day half-way between its `a`th and
//! `(a+1)`th birthdays (exact age `a + ½`, "mid-age-year"): `P(b, a)`, the population of
//! `denominators.csv`. With first-in-England events `E(a)` (pre-birth ones at age 0) and
//! `R(a)` = residents at `a + ½` whose first event here, if any, is at age `a` or later,
//! the hazard is `h(a) = E(a) / R(a)` and the cumulative incidence among residents
//! `1 − Π_{x≤a} (1 − h(x))`. In a closed population `R(a) = P − Σ_{x<a} E(x)` and this is
//! the plain share of the cohort.

use crate::child::{Birthdays, Child};
use crate::first::first_ages;
use cumin_census::JAY_BANDS;
use cumin_census::age_at;
use cumin_census::{Outcome, Sex};
use serde::Serialize;
use std::collections::BTreeMap;

const AGES: usize = 18;
const EVENT_AGES: usize = 19;

/// Counts per cohort × decile × sex cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationTally {
    first_cohort: i16,
    n_cohorts: usize,
    /// Residents at `a + ½`, `cell * 18 + a`.
    residents: Vec<u64>,
    /// Residents at `a + ½` without an earlier first event here, `(cell * 5 + o) * 18 + a`.
    at_risk: Vec<u64>,
    /// First-in-England events, `(cell * 5 + o) * 19 + age + 1`.
    first: Vec<u64>,
    /// Arrivals from abroad at age `a`, `cell * 18 + a`.
    arrivals: Vec<u64>,
    /// Departures at age `a`, `cell * 18 + a`.
    departures: Vec<u64>,
    /// Days lived in England at age `a` (after birth), `cell * 18 + a`.
    resident_days: Vec<u64>,
}

impl MigrationTally {
    /// An empty tally over `cohorts`.
    pub fn new(cohorts: std::ops::RangeInclusive<i16>) -> MigrationTally {
        let n_cohorts = (cohorts.end() - cohorts.start() + 1) as usize;
        let cells = n_cohorts * 20;
        MigrationTally {
            first_cohort: *cohorts.start(),
            n_cohorts,
            residents: vec![0; cells * AGES],
            at_risk: vec![0; cells * 5 * AGES],
            first: vec![0; cells * 5 * EVENT_AGES],
            arrivals: vec![0; cells * AGES],
            departures: vec![0; cells * AGES],
            resident_days: vec![0; cells * AGES],
        }
    }

    fn cell(&self, cohort: i16, decile: u8, sex: Sex) -> usize {
        let c = (cohort - self.first_cohort) as usize;
        (c * 10 + usize::from(decile - 1)) * 2 + usize::from(sex == Sex::Female)
    }

    /// Adds one child, its history already cut to its life in England.
    pub fn add(&mut self, child: &Child) {
        let cell = self.cell(child.cohort, child.decile, child.sex);
        let bd = Birthdays::new(child.dob).days;
        let from = child.resident_from().days();
        let until = child.departure.map_or(bd[AGES], cumin_census::Date::days);
        let first = first_ages(child);
        for a in 0..AGES {
            let mid = bd[a] + (bd[a + 1] - bd[a]) / 2;
            if from <= mid && mid < until {
                self.residents[cell * AGES + a] += 1;
                for (o, f) in first.iter().enumerate() {
                    if f.is_none_or(|f| i32::from(f.max(0)) >= a as i32) {
                        self.at_risk[(cell * 5 + o) * AGES + a] += 1;
                    }
                }
            }
            let days = until.min(bd[a + 1]) - from.max(bd[a]);
            if days > 0 {
                self.resident_days[cell * AGES + a] += days as u64;
            }
        }
        for (o, f) in first.iter().enumerate() {
            if let Some(f) = f {
                self.first[(cell * 5 + o) * EVENT_AGES + (f + 1) as usize] += 1;
            }
        }
        if let Some(day) = child.arrival {
            self.arrivals[cell * AGES + age_at(child.dob, day) as usize] += 1;
        }
        if let Some(day) = child.departure {
            let age = age_at(child.dob, day);
            if (0..AGES as i32).contains(&age) {
                self.departures[cell * AGES + age as usize] += 1;
            }
        }
    }

    /// Adds another tally over the same cohorts.
    pub fn merge(&mut self, other: &MigrationTally) {
        assert_eq!(self.first_cohort, other.first_cohort);
        for (a, b) in [
            (&mut self.residents, &other.residents),
            (&mut self.at_risk, &other.at_risk),
            (&mut self.first, &other.first),
            (&mut self.arrivals, &other.arrivals),
            (&mut self.departures, &other.departures),
            (&mut self.resident_days, &other.resident_days),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// Residents of one cohort × decile × sex cell at `age + ½`: `denominators.csv`.
    pub fn residents_in_cell(&self, cohort: i16, decile: u8, sex: Sex, age: usize) -> u64 {
        self.residents[self.cell(cohort, decile, sex) * AGES + age]
    }

    fn cells(&self, keep: &dyn Fn(i16, u8, Sex) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for c in 0..self.n_cohorts {
            let cohort = self.first_cohort + c as i16;
            for d in 1..=10u8 {
                for sex in [Sex::Male, Sex::Female] {
                    if keep(cohort, d, sex) {
                        out.push(self.cell(cohort, d, sex));
                    }
                }
            }
        }
        out
    }

    fn curves(&self, keep: &dyn Fn(i16, u8, Sex) -> bool) -> ResidentCurves {
        let cells = self.cells(keep);
        let sum = |v: &[u64], width: usize, offset: usize| -> Vec<u64> {
            (0..width)
                .map(|k| cells.iter().map(|c| v[(c * 5 + offset) * width + k]).sum())
                .collect()
        };
        let residents: Vec<u64> = (0..AGES)
            .map(|a| cells.iter().map(|c| self.residents[c * AGES + a]).sum())
            .collect();
        let mut at_risk = BTreeMap::new();
        let mut first_events = BTreeMap::new();
        let mut cum_inc = BTreeMap::new();
        for o in Outcome::ALL {
            let r = sum(&self.at_risk, AGES, o.index());
            let e = sum(&self.first, EVENT_AGES, o.index());
            cum_inc.insert(o.as_str().to_owned(), product_limit(&e, &r));
            at_risk.insert(o.as_str().to_owned(), r);
            first_events.insert(o.as_str().to_owned(), e);
        }
        ResidentCurves {
            residents,
            at_risk,
            first_events,
            cum_inc,
        }
    }

    fn flows(&self, keep: &dyn Fn(i16, u8, Sex) -> bool) -> Flows {
        let cells = self.cells(keep);
        let sum = |v: &[u64], a: usize| cells.iter().map(|c| v[c * AGES + a]).sum::<u64>();
        Flows {
            arrivals: (0..AGES).map(|a| sum(&self.arrivals, a)).collect(),
            departures: (0..AGES).map(|a| sum(&self.departures, a)).collect(),
            resident_days: (0..AGES).map(|a| sum(&self.resident_days, a)).collect(),
        }
    }

    /// The truth document's `migration` part.
    pub fn truth(&self) -> MigrationTruth {
        let all = |_: i16, _: u8, _: Sex| true;
        let mut by_idaci_decile = BTreeMap::new();
        let mut flows_by_idaci_decile = BTreeMap::new();
        for d in 1..=10u8 {
            by_idaci_decile.insert(d.to_string(), self.curves(&|_, dd, _| dd == d));
            flows_by_idaci_decile.insert(d.to_string(), self.flows(&|_, dd, _| dd == d));
        }
        let mut by_sex = BTreeMap::new();
        for s in [Sex::Male, Sex::Female] {
            by_sex.insert(s.as_str().to_owned(), self.curves(&|_, _, ss| ss == s));
        }
        let mut by_cohort = BTreeMap::new();
        for c in 0..self.n_cohorts {
            let cohort = self.first_cohort + c as i16;
            by_cohort.insert(cohort.to_string(), self.curves(&|cc, _, _| cc == cohort));
        }
        let flows = self.flows(&all);
        MigrationTruth {
            population: "residents at exact age a + 1/2 (half-way between the a-th and (a+1)-th birthdays)",
            in_migrants: flows.arrivals.iter().sum(),
            out_migrants: flows.departures.iter().sum(),
            jay2025: Self::jay2025(&by_cohort),
            overall: self.curves(&all),
            by_idaci_decile,
            by_sex,
            by_cohort,
            flows,
            flows_by_idaci_decile,
        }
    }

    /// Jay et al.'s splice with resident denominators: `Σ_{x≤a} E(b_x, x) / P(b_x, x)`,
    /// pre-birth events over `P(b, 0)`.
    fn jay2025(by_cohort: &BTreeMap<String, ResidentCurves>) -> Option<JaySplice> {
        let mut bands = Vec::new();
        for (cohort, lo, hi) in JAY_BANDS {
            let ages = lo..=hi;
            let c = by_cohort.get(&cohort.to_string())?;
            let residents: Vec<u64> = ages
                .clone()
                .map(|a| c.residents[a.max(0) as usize])
                .collect();
            let mut first_events = BTreeMap::new();
            for o in Outcome::ALL {
                let e = &c.first_events[o.as_str()];
                first_events.insert(
                    o.as_str().to_owned(),
                    ages.clone()
                        .map(|a| e[(a + 1) as usize])
                        .collect::<Vec<u64>>(),
                );
            }
            bands.push(JaySpliceBand {
                birth_year: cohort,
                ages: [*ages.start(), *ages.end()],
                residents,
                first_events,
            });
        }
        let mut cum_inc = BTreeMap::new();
        for o in Outcome::ALL {
            let mut curve = vec![0.0; AGES];
            let mut acc = 0.0;
            for band in &bands {
                for (i, a) in (band.ages[0]..=band.ages[1]).enumerate() {
                    acc += share(band.first_events[o.as_str()][i], band.residents[i]);
                    if a >= 0 {
                        curve[a as usize] = acc;
                    }
                }
            }
            cum_inc.insert(o.as_str().to_owned(), curve);
        }
        Some(JaySplice { bands, cum_inc })
    }
}

fn share(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// `1 − Π_{x≤a} (1 − E(x)/R(x))` for ages 0..=17; `events` is indexed by age + 1 from
/// −1, and pre-birth events count at age 0.
pub fn product_limit(events: &[u64], at_risk: &[u64]) -> Vec<f64> {
    let mut surv = 1.0;
    (0..AGES)
        .map(|a| {
            let e = events[a + 1] + if a == 0 { events[0] } else { 0 };
            surv *= 1.0 - share(e, at_risk[a]);
            1.0 - surv
        })
        .collect()
}

/// Residents and first-in-England events of one group of children.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResidentCurves {
    /// Residents at exact age `a + ½`, ages 0..=17 (the denominators).
    pub residents: Vec<u64>,
    /// Per outcome: residents at `a + ½` with no first event here before age `a`.
    pub at_risk: BTreeMap<String, Vec<u64>>,
    /// Per outcome: children whose first event in England is at age −1..=17 (index 0 = −1).
    pub first_events: BTreeMap<String, Vec<u64>>,
    /// Per outcome: the product-limit cumulative incidence among residents before the
    /// (age+1)th birthday, `1 − Π (1 − h)`, `h(a)` = first events at `a` / at risk at `a`.
    pub cum_inc: BTreeMap<String, Vec<f64>>,
}

/// Migration flows by age.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Flows {
    /// Children arriving from abroad during age-year 0..=17.
    pub arrivals: Vec<u64>,
    /// Children leaving England during age-year 0..=17.
    pub departures: Vec<u64>,
    /// Days lived in England during age-year 0..=17 (the exposure of departures).
    pub resident_days: Vec<u64>,
}

/// One band of Jay et al.'s design with resident denominators.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JaySpliceBand {
    /// Birth cohort.
    pub birth_year: i16,
    /// First and last age (−1 = pre-birth).
    pub ages: [i8; 2],
    /// Residents of the cohort at each age of the band (age 0's for −1).
    pub residents: Vec<u64>,
    /// Per outcome: first-in-England events at each age of the band.
    pub first_events: BTreeMap<String, Vec<u64>>,
}

/// Jay et al.'s splice with resident denominators.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JaySplice {
    /// The three bands.
    pub bands: Vec<JaySpliceBand>,
    /// Per outcome: `Σ_{x≤a} E(b_x, x) / P(b_x, x)`, ages 0..=17.
    pub cum_inc: BTreeMap<String, Vec<f64>>,
}

/// The truth under migration (`truth.migration`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MigrationTruth {
    /// What the populations count.
    pub population: &'static str,
    /// Children who arrived from abroad before 18.
    pub in_migrants: u64,
    /// Children (born here or arrived) who left England before 18.
    pub out_migrants: u64,
    /// Jay et al.'s three-cohort splice with resident denominators (what the splice
    /// estimator targets).
    pub jay2025: Option<JaySplice>,
    /// All children who ever lived in England, all cohorts.
    pub overall: ResidentCurves,
    /// By IDACI decile.
    pub by_idaci_decile: BTreeMap<String, ResidentCurves>,
    /// By sex.
    pub by_sex: BTreeMap<String, ResidentCurves>,
    /// By birth cohort: per-cohort, per-age resident populations and events.
    pub by_cohort: BTreeMap<String, ResidentCurves>,
    /// Arrivals, departures and exposure by age.
    pub flows: Flows,
    /// The same by IDACI decile.
    pub flows_by_idaci_decile: BTreeMap<String, Flows>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_limit_of_a_closed_cohort_is_its_share() {
        // 100 children: 5 pre-birth, 10 at 0, 20 at 1; nobody moves.
        let mut events = vec![0u64; EVENT_AGES];
        events[0] = 5;
        events[1] = 10;
        events[2] = 20;
        let mut at_risk = vec![65u64; AGES];
        at_risk[0] = 100;
        at_risk[1] = 85;
        let f = product_limit(&events, &at_risk);
        assert!((f[0] - 0.15).abs() < 1e-12);
        assert!((f[1] - 0.35).abs() < 1e-12);
        assert!((f[17] - 0.35).abs() < 1e-12);
    }
}
