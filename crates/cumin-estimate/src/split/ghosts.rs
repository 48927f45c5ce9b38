//! Where hidden successors' spurious first events fall, and what removing them does to
//! the count tables.
//!
//! A hidden successor B of key K is a linked child of its own whose first event `a₁` is a
//! spurious "first" (the child's first is in K's linked child C). Joined to C it would
//! change the tables by `T(C ∪ B) − T(C) − T(B)` (`T`: a child's contribution to the
//! first-event and lookback tables): B's first event goes, and the lookback table gets
//! back the earlier event years of C that the split hid from B's events. Only B's first
//! event year is placed (its later years change nothing unless they interleave with C's),
//! at a delay after K's last referral drawn from the seen pairs (*templates*): the delay
//! from the earlier key's last referral to the later key's first referral, weighted by
//! `1/ρ` of the later key (seen pairs over-represent successors that carry the PMR) and
//! corrected for the data's end (a pair is seen only if its delay fits before it, so long
//! delays are under-represented: the reverse-time product-limit estimator,
//! [`cumin_stats::right_truncated_distribution`]), then the offset from that referral to
//! the later key's first event of the outcome (or none), among seen pairs whose child had
//! an event of the outcome outside the later key; renormalised over the delays the
//! extract can hold for K (a successor's first referral before 18 and before the data
//! end).

use crate::split::successor::{N_CELLS, with_fallback};
use cumin_cohort::{NO_EARLIER, NO_STRATUM, YearTables};

/// Shortest delay kept (a later key's first referral can precede the census date of the
/// earlier key's last row); shorter ones count as this.
pub const DELAY_MIN: i8 = -3;
/// Delays `DELAY_MIN..=17`.
pub const N_DELAYS: usize = (17 - DELAY_MIN as i32 + 1) as usize;
/// Latest feasible delays a target can have: `D = −1..=17` (index `D + 1`).
const N_LIMITS: usize = 19;

/// One seen pair as a template for one outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Template {
    /// Cell of the earlier key.
    pub cell: usize,
    /// Weight `1/ρ` of the later key.
    pub weight: f64,
    /// Delay of the later key's first referral after the earlier key's last referral.
    pub referral_delay: i8,
    /// The latest referral delay the data's end allowed for this pair.
    pub limit: i8,
    /// Offset of the later key's first event of the outcome after its first referral
    /// (`None`: it has none).
    pub event_offset: Option<i8>,
}

/// The delay distributions of one outcome: for each cell and latest feasible referral
/// delay `D`, the chance of each event delay (summing to at most 1: the rest is a
/// successor without an event of the outcome).
#[derive(Clone, Debug, PartialEq)]
pub struct Delays {
    /// `[cell][D + 1][delay − DELAY_MIN]`.
    chance: Vec<Vec<[f64; N_DELAYS]>>,
    /// `[cell][D + 1]`: the chance a successor's first referral comes within `D` years
    /// (`F(D)` of the truncation-corrected referral delays).
    reach: Vec<[f64; N_LIMITS]>,
}

fn delay_index(d: i8) -> usize {
    (d.max(DELAY_MIN) - DELAY_MIN) as usize
}

impl Delays {
    /// From the templates of the outcome's seen pairs.
    pub fn new(templates: &[Template]) -> Delays {
        let mut per_cell: Vec<Option<CellTable>> = vec![None; N_CELLS];
        for (c, slot) in per_cell.iter_mut().enumerate() {
            let mine: Vec<&Template> = templates.iter().filter(|t| t.cell == c).collect();
            *slot = cell_table(&mine);
        }
        // A cell without templates borrows the nearest band of its flag, then the other
        // flag's, then any cell.
        let present: [Option<usize>; N_CELLS] =
            std::array::from_fn(|c| per_cell[c].as_ref().map(|_| c));
        let zero = (vec![[0.0; N_DELAYS]; N_LIMITS], [0.0; N_LIMITS]);
        let (chance, reach) = (0..N_CELLS)
            .map(|c| {
                with_fallback(&present, c)
                    .and_then(|from| per_cell[from].clone())
                    .unwrap_or_else(|| zero.clone())
            })
            .unzip();
        Delays { chance, reach }
    }

    /// The chance that a successor of a key of cell `cell` has its first referral at most
    /// `limit` years after the key's last referral.
    pub fn reach(&self, cell: usize, limit: i8) -> f64 {
        let li = (i32::from(limit) + 1).clamp(0, N_LIMITS as i32 - 1) as usize;
        self.reach[cell][li]
    }

    /// The chance of each delay `DELAY_MIN + i` for a key of cell `cell` whose successor's
    /// first referral can come at most `limit` years after its last referral.
    pub fn chances(&self, cell: usize, limit: i8) -> &[f64; N_DELAYS] {
        let li = (i32::from(limit) + 1).clamp(0, N_LIMITS as i32 - 1) as usize;
        &self.chance[cell][li]
    }
}

/// One cell's chances `[D + 1][delay]` and `F(D)` `[D + 1]`.
type CellTable = (Vec<[f64; N_DELAYS]>, [f64; N_LIMITS]);

/// One cell's table `[D + 1][delay]`: the referral delay's distribution corrected for
/// truncation, renormalised over `d ≤ D`, times the outcome's offset distribution (event
/// delays past `D` dropped), and `F(D)` for each `D`. `None` without templates.
fn cell_table(templates: &[&Template]) -> Option<CellTable> {
    let observations: Vec<cumin_stats::Truncated> = templates
        .iter()
        .map(|t| {
            let value = delay_index(t.referral_delay);
            cumin_stats::Truncated {
                value,
                limit: delay_index(t.limit).max(value),
                weight: t.weight,
            }
        })
        .collect();
    let f = cumin_stats::right_truncated_distribution(&observations, N_DELAYS)?;
    let total: f64 = templates.iter().map(|t| t.weight).sum();
    let mut offset = [0.0; N_DELAYS];
    for t in templates {
        if let Some(e) = t.event_offset {
            offset[(e.max(0) as usize).min(N_DELAYS - 1)] += t.weight / total;
        }
    }
    let mut table = vec![[0.0; N_DELAYS]; N_LIMITS];
    let mut reach = [0.0; N_LIMITS];
    for (li, row) in table.iter_mut().enumerate() {
        let last = delay_index(li as i8 - 1);
        let mass: f64 = f[..=last].iter().sum();
        reach[li] = mass.min(1.0);
        if mass <= 0.0 {
            continue;
        }
        for (d, fd) in f[..=last].iter().enumerate() {
            for (e, g) in offset.iter().enumerate() {
                if d + e <= last {
                    row[d + e] += fd / mass * g;
                }
            }
        }
    }
    Some((table, reach))
}

/// Adds `w` times one child's contribution to the tables of its strata, as
/// `cumin_cohort::tabulate_years` counts it: its event years `(age, stratum)` in age
/// order, in cohort row `row` first wholly observed at `entry`.
pub fn tabulate_child(
    tables: &mut [YearTables],
    years: &[(u8, u16)],
    row: usize,
    entry: Option<u8>,
    w: f64,
) {
    let Some(&(first, s)) = years.first() else {
        return;
    };
    if s != NO_STRATUM {
        tables[usize::from(s)].first_observed[[row, usize::from(first)]] += w;
    }
    let Some(entry) = entry else { return };
    let mut earlier = NO_EARLIER;
    for &(age, s) in years {
        if age < entry {
            continue;
        }
        if s != NO_STRATUM {
            tables[usize::from(s)].lookback[[row, usize::from(age), earlier]] += w;
        }
        earlier = 1 + usize::from(age);
    }
}

/// Adds `w · (T(C ∪ {a₁}) − T({a₁}))` for a hidden successor's first event year `a₁` of
/// child C (event years `years`, in age order); the `−w · T(C)` that completes the join
/// is added once per child by the caller. The successor's year takes the stratum of C's
/// latest year at or before `a₁` (its first year's if none).
pub fn join_year(
    tables: &mut [YearTables],
    years: &[(u8, u16)],
    row: usize,
    entry: Option<u8>,
    a1: u8,
    w: f64,
) {
    let at = years.partition_point(|y| y.0 <= a1);
    let stratum = years[at.saturating_sub(1)].1;
    tabulate_child(tables, &[(a1, stratum)], row, entry, -w);
    let mut union = [(0u8, 0u16); 19];
    let n = if at > 0 && years[at - 1].0 == a1 {
        union[..years.len()].copy_from_slice(years);
        years.len()
    } else {
        union[..at].copy_from_slice(&years[..at]);
        union[at] = (a1, stratum);
        union[at + 1..=years.len()].copy_from_slice(&years[at..]);
        years.len() + 1
    };
    tabulate_child(tables, &union[..n], row, entry, w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_cohort::{BirthCohort, CohortFrame, EventYear};
    use cumin_link::ChildId;
    use proptest::prelude::*;

    fn empty(n_strata: usize) -> Vec<YearTables> {
        let frame = CohortFrame {
            first: BirthCohort(2000),
            entry: vec![Some(0), Some(4), None],
        };
        cumin_cohort::tabulate_years(&[], &[], n_strata, &frame, |_| 1.0)
    }

    proptest! {
        /// `tabulate_child` counts a child as `tabulate_years` does, and `join_year` with
        /// the caller's `−T(C)` is exactly `T(C ∪ {a₁}) − T(C) − T({a₁})` tabulated by
        /// `tabulate_years` from three pseudo-children.
        #[test]
        fn joining_a_year_is_the_difference_of_three_tabulations(
            ages in prop::collection::btree_set(0u8..18, 1..8),
            strata in prop::collection::vec(0u16..3, 8),
            row in 0usize..3,
            a1 in 0u8..18,
            w in 0.1f64..3.0,
        ) {
            let frame = CohortFrame {
                first: BirthCohort(2000),
                entry: vec![Some(0), Some(4), None],
            };
            let years: Vec<(u8, u16)> = ages.iter().zip(&strata).map(|(a, s)| (*a, *s)).collect();
            let event = |child: u32, age: u8| EventYear {
                child: ChildId(child),
                age: age as i8,
                cohort: BirthCohort(2000 + row as i16),
            };
            // The successor's stratum as join_year chooses it.
            let at = years.partition_point(|y| y.0 <= a1);
            let s1 = years[at.saturating_sub(1)].1;
            let mut union: Vec<(u8, u16)> = years.clone();
            if !years.iter().any(|y| y.0 == a1) {
                union.push((a1, s1));
                union.sort_unstable();
            }
            let mut ev = Vec::new();
            let mut st = Vec::new();
            for (child, ys) in [(0, &years), (1, &union), (2, &vec![(a1, s1)])] {
                for (a, s) in ys {
                    ev.push(event(child, *a));
                    st.push(*s);
                }
            }
            let sign = |c: ChildId| [-w, w, -w][c.index()];
            let want = cumin_cohort::tabulate_years(&ev, &st, 3, &frame, sign);
            let mut got = empty(3);
            tabulate_child(&mut got, &years, row, frame.entry[row], -w);
            join_year(&mut got, &years, row, frame.entry[row], a1, w);
            for (g, t) in got.iter().zip(&want) {
                for (x, y) in g.first_observed.iter().zip(&t.first_observed) {
                    prop_assert!((x - y).abs() < 1e-12);
                }
                for (x, y) in g.lookback.iter().zip(&t.lookback) {
                    prop_assert!((x - y).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn a_successor_after_the_child_loses_its_first_event_and_looks_back() {
        // C: events at 2 and 3 (stratum 0), cohort followed from birth; successor at 6.
        let mut t = empty(1);
        let years = [(2, 0), (3, 0)];
        tabulate_child(&mut t, &years, 0, Some(0), -1.0);
        join_year(&mut t, &years, 0, Some(0), 6, 1.0);
        let mut want = empty(1);
        want[0].first_observed[[0, 6]] = -1.0;
        want[0].lookback[[0, 6, NO_EARLIER]] = -1.0;
        want[0].lookback[[0, 6, 1 + 3]] = 1.0;
        assert_eq!(t, want);
    }

    #[test]
    fn delays_are_renormalised_over_what_the_extract_can_hold() {
        let t = |cell, weight, referral_delay, limit, event_offset| Template {
            cell,
            weight,
            referral_delay,
            limit,
            event_offset,
        };
        // Cell 0, nothing truncated (limits 17): a successor 1 year on (weight 1) with its
        // event at once, one 5 years on (weight 3) whose event comes a year later, one with
        // no event (weight 1, delay 0).
        let d = Delays::new(&[
            t(0, 1.0, 1, 17, Some(0)),
            t(0, 3.0, 5, 17, Some(1)),
            t(0, 1.0, 0, 17, None),
        ]);
        let at = |c: usize, limit: i8, delay: i8| d.chances(c, limit)[delay_index(delay)];
        // Offsets: 0 with chance 1/5, 1 with 3/5, none 1/5; referral delays 0, 1, 5 with
        // 1/5, 1/5, 3/5.
        assert!((at(0, 17, 1) - 0.2 * 0.2 - 0.2 * 0.6).abs() < 1e-12);
        assert!((at(0, 17, 6) - 0.6 * 0.6).abs() < 1e-12);
        // Only two years left: the 5-year successor cannot be in the extract.
        let two = d.chances(0, 2);
        assert!((two[delay_index(1)] - (0.5 * 0.2 + 0.5 * 0.6)).abs() < 1e-12);
        assert_eq!(two[delay_index(6)], 0.0);
        // Other cells borrow cell 0.
        assert_eq!(d.chances(4, 17), d.chances(0, 17));
        // F(D): delays 0, 1 within two years, 5 not.
        assert!((d.reach(0, 2) - 0.4).abs() < 1e-12);
        assert!((d.reach(0, 17) - 1.0).abs() < 1e-12);
        // A long delay seen only where the data allowed it counts for more than its tally.
        let trunc = Delays::new(&[
            t(0, 1.0, 0, 0, Some(0)),
            t(0, 1.0, 0, 5, Some(0)),
            t(0, 1.0, 5, 5, Some(0)),
        ]);
        assert!((trunc.chances(0, 17)[delay_index(5)] - 0.5).abs() < 1e-12);
    }
}
