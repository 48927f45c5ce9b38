//! Per-age first-event counts of the three-cohort design ("3. CIN ANALYSIS.R" and
//! "3_1. CIN sensitivity - pmr if available.r", part 1).

use crate::mode::{JayMode, band_of};
use crate::prepare::{JayRow, age_at};
use cumin_census::{Date, JAY_BANDS, Outcome};

/// Ages −1..=17.
pub const N_AGES: usize = 19;

/// First-event counts: mode × outcome × band × age (−1..=17; only the band's ages are
/// ever non-zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JayCounts {
    cells: Vec<u64>,
}

impl JayCounts {
    fn index(mode: JayMode, outcome: usize, band: usize, age: i8) -> usize {
        ((mode.index() * Outcome::JAY.len() + outcome) * JAY_BANDS.len() + band) * N_AGES
            + (age + 1) as usize
    }

    fn zeros() -> JayCounts {
        JayCounts {
            cells: vec![0; JayMode::ALL.len() * Outcome::JAY.len() * JAY_BANDS.len() * N_AGES],
        }
    }

    /// Children of cohort `birth_year` whose first `outcome` is at `age`, under `mode`
    /// (0 outside the design).
    pub fn get(&self, mode: JayMode, outcome: Outcome, birth_year: i16, age: i8) -> u64 {
        let o = jay_index(outcome);
        match (o, band_of(i32::from(birth_year), age)) {
            (Some(o), Some(b)) => self.cells[JayCounts::index(mode, o, b, age)],
            _ => 0,
        }
    }

    /// Every cell of the design in the order of `jay_counts.csv`: mode, cohort, outcome,
    /// age.
    pub fn cells(&self) -> impl Iterator<Item = (JayMode, i16, Outcome, i8, u64)> + '_ {
        JayMode::ALL.into_iter().flat_map(move |m| {
            JAY_BANDS.iter().flat_map(move |&(b, lo, hi)| {
                Outcome::JAY
                    .into_iter()
                    .flat_map(move |o| (lo..=hi).map(move |a| (m, b, o, a, self.get(m, o, b, a))))
            })
        })
    }

    /// Events of `mode` and `outcome` before 18, per band.
    pub fn band_totals(&self, mode: JayMode, outcome: Outcome) -> [u64; 3] {
        let mut t = [0; 3];
        for (i, &(b, lo, hi)) in JAY_BANDS.iter().enumerate() {
            t[i] = (lo..=hi).map(|a| self.get(mode, outcome, b, a)).sum();
        }
        t
    }
}

fn jay_index(o: Outcome) -> Option<usize> {
    Outcome::JAY.iter().position(|x| *x == o)
}

/// Whether a row is an event of the outcome at index `o` of [`Outcome::JAY`].
fn qualifies(r: &JayRow, o: usize) -> bool {
    match Outcome::JAY[o] {
        Outcome::Referral => true,
        Outcome::Assessed => r.assessed,
        Outcome::Cin => r.assessed && !r.rc8,
        Outcome::Cpp => r.cpp_start.is_some(),
        Outcome::S47 => false,
    }
}

/// Counts first events: rows referred from `window_start` (main: under 5, or identified
/// by a PMR), each child's first qualifying row by referral date, then the band. With
/// `cpp_at_plan_start`, a CPP row is dated and aged at the plan's start instead (a
/// plan started at 18 or over is not an event before 18).
pub fn count(
    rows: &[JayRow],
    n_children: usize,
    window_start: Date,
    cpp_at_plan_start: bool,
) -> JayCounts {
    let mut out = JayCounts::zeros();
    // The date of row `r`'s event of the outcome at index `o`.
    let event_date = |r: &JayRow, o: usize| match (Outcome::JAY[o], r.cpp_start) {
        (Outcome::Cpp, Some(start)) if cpp_at_plan_start => start,
        _ => r.referral,
    };
    // Per child, mode and outcome: the date of its first event, and the child's birth
    // date (every row of a child has the same). A first event's age is its date's (a
    // row's age is its referral's; a plan started at 18 or over is none before 18), so
    // the earlier row is never read again. One pass over the rows serves both modes
    // (main's rows are a subset of sensitivity's).
    let mut first: Vec<[[Option<Date>; 4]; 2]> = vec![[[None; 4]; 2]; n_children];
    let mut dob: Vec<Option<Date>> = vec![None; n_children];
    for r in rows {
        if r.referral < window_start {
            continue;
        }
        let in_main = r.age < 5 || r.pmr_identified;
        let child_dob = &mut dob[r.child as usize];
        debug_assert!(
            child_dob.is_none_or(|d| d == r.dob),
            "one birth date a child"
        );
        *child_dob = Some(r.dob);
        let slots = &mut first[r.child as usize];
        for o in 0..Outcome::JAY.len() {
            if !qualifies(r, o) {
                continue;
            }
            let date = event_date(r, o);
            for mode in JayMode::ALL {
                if mode == JayMode::Main && !in_main {
                    continue;
                }
                let slot = &mut slots[mode.index()][o];
                if slot.is_none_or(|d| date < d) {
                    *slot = Some(date);
                }
            }
        }
    }
    for (child, d) in first.iter().zip(&dob) {
        let Some(d) = *d else { continue };
        let birth_year = d.financial_year();
        for mode in JayMode::ALL {
            for (o, &slot) in child[mode.index()].iter().enumerate() {
                let Some(date) = slot else { continue };
                let age = age_at(date, d).unwrap_or(i8::MAX);
                if let Some(b) = band_of(birth_year, age) {
                    out.cells[JayCounts::index(mode, o, b, age)] += 1;
                }
            }
        }
    }
    out
}
