//! Children grouped by what they add to the tables ([`Patterns`]), and where each
//! stratification's tables lie in one code space ([`Codes`]).

use super::Pool;
use crate::curves::{OutcomeYears, Strata};
use crate::frame::Frame;
use cumin_cohort::{NO_STRATUM, YEAR_AGES, YearCell, YearTables};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};
use std::ops::Range;

/// The children of one resample grouped by what they add to the tables: each draw of a
/// pattern adds one to each of its cells ([`Codes`]). Held by *segment* (at most
/// [`SEGMENT`] consecutive patterns of one pool: a pool's patterns, or a part of them)
/// and then by cell: segment `s` holds patterns `first[s]..first[s + 1]` and the cells
/// `cells[at[s]..at[s + 1]]` (increasing); cell `cells[j]` is one of the cells of each
/// pattern `first[s] + h` for `h` in `holders[start[j]..start[j + 1]]` (increasing). So a
/// replicate's table entry is a sum of its holders' draws, read in order, a segment at a
/// time: the segment's draws stay in cache and its holders take two bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Patterns {
    pub(super) first: Vec<u32>,
    pub(super) at: Vec<u32>,
    pub(super) cells: Vec<u32>,
    pub(super) start: Vec<u32>,
    pub(super) holders: Vec<u16>,
    /// Children with each pattern.
    pub(super) multiplicity: Vec<u32>,
}

/// Patterns in a segment at most: a holder's offset in its segment fits in a `u16`.
pub(super) const SEGMENT: usize = 1 << 16;

impl Patterns {
    /// The entries of `range`'s cells (positions relative to its start) of a replicate
    /// that draws pattern `i` `counts[i]` times, added to `buffer` (zeros where no
    /// pattern has a cell). Whole numbers: the sums are exact in any order, so the
    /// entries are the same bytes however the patterns are segmented.
    pub(super) fn gather(&self, range: Range<u32>, counts: &[u32], buffer: &mut [f64]) {
        for s in 0..self.first.len().saturating_sub(1) {
            let counts = &counts[self.first[s] as usize..self.first[s + 1] as usize];
            let at = self.at[s] as usize..self.at[s + 1] as usize;
            let cells = &self.cells[at.clone()];
            let from = at.start + cells.partition_point(|&c| c < range.start);
            let to = at.start + cells.partition_point(|&c| c < range.end);
            for j in from..to {
                let holders = &self.holders[self.start[j] as usize..self.start[j + 1] as usize];
                let drawn: u64 = holders
                    .iter()
                    .map(|&h| u64::from(counts[usize::from(h)]))
                    .sum();
                buffer[(self.cells[j] - range.start) as usize] += drawn as f64;
            }
        }
    }
}

/// Every outcome's tables of one stratification in one buffer: outcome, then stratum,
/// then the first-observed table and the lookback table, each in standard order. With
/// `unknown`, each outcome has one more stratum after the last: the years of no stratum,
/// held so that `all`'s tables are the sum of every stratum's ([`Layout::summed`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    /// Strata, cohort rows and outcomes.
    pub(super) strata: usize,
    pub(super) cohorts: usize,
    pub(super) outcomes: usize,
    /// Whether the years of no stratum have a stratum of their own, numbered `strata`.
    pub(super) unknown: bool,
}

impl Layout {
    fn first_len(self) -> usize {
        self.cohorts * YEAR_AGES
    }

    fn block(self) -> usize {
        self.first_len() * (YEAR_AGES + 2)
    }

    /// Strata held, the unknown one included.
    fn slots(self) -> usize {
        self.strata + usize::from(self.unknown)
    }

    /// Cells in all.
    pub(super) fn len(self) -> usize {
        self.outcomes * self.slots() * self.block()
    }

    /// Position of `cell` of `stratum`'s tables of `outcome`.
    fn code(self, outcome: usize, stratum: u16, cell: YearCell) -> usize {
        let (lookback, flat) = cell.flat();
        (outcome * self.slots() + usize::from(stratum)) * self.block()
            + if lookback {
                self.first_len() + flat
            } else {
                flat
            }
    }

    /// One stratum's tables from its block of a buffer.
    fn year_tables(self, block: &[f64]) -> YearTables {
        let (first, lookback) = block.split_at(self.first_len());
        YearTables {
            first_observed: ndarray::Array2::from_shape_vec(
                (self.cohorts, YEAR_AGES),
                first.to_vec(),
            )
            .expect("the layout's shape"),
            lookback: ndarray::Array3::from_shape_vec(
                (self.cohorts, YEAR_AGES, YEAR_AGES + 1),
                lookback.to_vec(),
            )
            .expect("the layout's shape"),
        }
    }

    /// The tables (`[outcome][stratum]`) in `buffer` (the unknown stratum's left out).
    pub(super) fn tables(self, buffer: &[f64]) -> Vec<Vec<YearTables>> {
        buffer
            .chunks_exact(self.block() * self.slots())
            .map(|outcome| {
                outcome
                    .chunks_exact(self.block())
                    .take(self.strata)
                    .map(|t| self.year_tables(t))
                    .collect()
            })
            .collect()
    }

    /// Every outcome's tables of one stratum that holds every year (`all`), as the sums
    /// of the strata's in `buffer`, the unknown stratum's included (`[outcome][0]`). The
    /// entries are whole numbers, so the sums are exact in any order.
    pub(super) fn summed(self, buffer: &[f64]) -> Vec<Vec<YearTables>> {
        buffer
            .chunks_exact(self.block() * self.slots())
            .map(|outcome| {
                let mut sum = vec![0.0; self.block()];
                for t in outcome.chunks_exact(self.block()) {
                    for (s, x) in sum.iter_mut().zip(t) {
                        *s += x;
                    }
                }
                vec![self.year_tables(&sum)]
            })
            .collect()
    }
}

/// Every stratification's [`Layout`] laid end to end: one code space for the cells of
/// all of them, so one pattern can hold a child's cells under several stratifications.
#[derive(Clone, Debug)]
pub(super) struct Codes {
    pub(super) layouts: Vec<Layout>,
    offset: Vec<usize>,
}

impl Codes {
    /// The layouts of `strata`'s tables; those of `unknown` hold the years of no
    /// stratum too.
    pub(super) fn new(
        strata: &[Strata],
        n_outcomes: usize,
        n_cohorts: usize,
        unknown: &[bool],
    ) -> Codes {
        let layouts: Vec<Layout> = strata
            .iter()
            .zip(unknown)
            .map(|(s, &unknown)| Layout {
                strata: s.levels.len(),
                cohorts: n_cohorts,
                outcomes: n_outcomes,
                unknown,
            })
            .collect();
        let mut offset = vec![0];
        for l in &layouts {
            offset.push(offset.last().copied().unwrap_or(0) + l.len());
        }
        Codes { layouts, offset }
    }

    /// Code of `cell` of `stratum`'s tables of `outcome` under stratification `k`.
    fn code(&self, k: usize, outcome: usize, stratum: u16, cell: YearCell) -> u32 {
        u32::try_from(self.offset[k] + self.layouts[k].code(outcome, stratum, cell))
            .expect("tables of fewer than 2^32 cells")
    }

    /// The codes of stratification `k`'s tables.
    pub(super) fn range(&self, k: usize) -> Range<u32> {
        let at = |i: usize| u32::try_from(self.offset[i]).expect("tables of fewer than 2^32 cells");
        at(k)..at(k + 1)
    }
}

/// Groups the units of the pools `cells[row][slot]` into patterns: children of one pool
/// whose cells ([`cumin_cohort::child_cells`]) in every outcome's tables of every
/// stratification in `members` are the same (under a layout with an unknown stratum,
/// the years of no stratum are in it). Each pool's patterns are consecutive, the most
/// common first.
pub(super) fn group_patterns(
    years: &[OutcomeYears],
    members: &[usize],
    codes: &Codes,
    frame: &Frame,
    n_children: usize,
    cells: &mut [Vec<Pool>],
) -> Patterns {
    let mut pool_of = vec![u32::MAX; n_children];
    for (p, pool) in cells.iter().flatten().enumerate() {
        for &c in &pool.units {
            pool_of[c as usize] = p as u32;
        }
    }
    // One run per (member, outcome).
    let mut runs: Vec<_> = members
        .iter()
        .flat_map(|&k| {
            years.iter().enumerate().map(move |(o, oy)| {
                (
                    k,
                    o,
                    cumin_cohort::child_runs(&oy.years, &oy.strata[k]).peekable(),
                )
            })
        })
        .collect();
    // Patterns in order of first appearance: key (the pool, then the sorted cells);
    // pattern `i`'s cells are `first.codes[first.start[i]..first.start[i + 1]]`. The
    // look-up table holds pattern ids only, hashed and compared on those stored cells.
    let hash = |pool: u32, codes: &[u32]| {
        let mut h = FxHasher::default();
        pool.hash(&mut h);
        codes.hash(&mut h);
        h.finish()
    };
    let mut ids: HashTable<u32> = HashTable::new();
    let mut first = ByPattern {
        codes: Vec::new(),
        start: vec![0],
    };
    let mut multiplicity: Vec<u32> = Vec::new();
    let mut pool_of_pattern: Vec<u32> = Vec::new();
    let mut child_pattern = vec![u32::MAX; n_children];
    let mut key: Vec<u32> = Vec::new();
    let mut mapped: Vec<u16> = Vec::new();
    for (c, &pool) in pool_of.iter().enumerate() {
        key.clear();
        key.push(pool);
        for (k, o, r) in &mut runs {
            let layout = codes.layouts[*k];
            while let Some((y, st)) = r.next_if(|(y, _)| y[0].child.index() <= c) {
                if y[0].child.index() != c {
                    continue;
                }
                let st = if layout.unknown {
                    let slot = u16::try_from(layout.strata).expect("fewer than 2^16 strata");
                    mapped.clear();
                    mapped.extend(st.iter().map(|&s| if s == NO_STRATUM { slot } else { s }));
                    &mapped[..]
                } else {
                    st
                };
                cumin_cohort::child_cells(y, st, &frame.cohorts, |s, cell| {
                    key.push(codes.code(*k, *o, s, cell));
                });
            }
        }
        if pool == u32::MAX {
            continue;
        }
        key[1..].sort_unstable();
        let h = hash(pool, &key[1..]);
        let found = ids
            .find(h, |&i| {
                pool_of_pattern[i as usize] == pool && first.cells(i) == &key[1..]
            })
            .copied();
        let id = if let Some(id) = found {
            id
        } else {
            let id = multiplicity.len() as u32;
            first.codes.extend_from_slice(&key[1..]);
            first.start.push(first.codes.len() as u32);
            multiplicity.push(0);
            pool_of_pattern.push(pool);
            ids.insert_unique(h, id, |&i| {
                hash(pool_of_pattern[i as usize], first.cells(i))
            });
            id
        };
        multiplicity[id as usize] += 1;
        child_pattern[c] = id;
    }
    drop(ids);
    renumber(
        first,
        &multiplicity,
        &pool_of_pattern,
        &child_pattern,
        cells,
    )
}

/// The patterns found in order of first appearance (`first`, with their multiplicities,
/// pools and each child's), renumbered by pool, then the most common first (then first
/// appearance), held by cell; each pool's range of patterns set, its units ordered by
/// pattern (then child) and each unit's pattern beside it.
fn renumber(
    first: ByPattern,
    multiplicity: &[u32],
    pool_of_pattern: &[u32],
    child_pattern: &[u32],
    cells: &mut [Vec<Pool>],
) -> Patterns {
    let mut order: Vec<u32> = (0..multiplicity.len() as u32).collect();
    order.sort_by_key(|&i| {
        (
            pool_of_pattern[i as usize],
            std::cmp::Reverse(multiplicity[i as usize]),
            i,
        )
    });
    let mut new_id = vec![0u32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_id[old as usize] = new as u32;
    }
    let mut out = first.by_cell(&order, pool_of_pattern, SEGMENT);
    out.multiplicity = order
        .iter()
        .map(|&old| multiplicity[old as usize])
        .collect();
    let mut next = 0u32;
    for pool in cells.iter_mut().flatten() {
        let n = pool
            .units
            .iter()
            .map(|&c| new_id[child_pattern[c as usize] as usize])
            .max()
            .map_or(0, |last| last + 1 - next);
        pool.patterns = next..next + n;
        // The units placed by pattern (a counting sort: each pattern's `multiplicity`
        // slots, in the pool's pattern order; by child within a pattern).
        let mut at: Vec<u32> = Vec::with_capacity(n as usize);
        let mut sum = 0;
        for &m in &out.multiplicity[pool.patterns.start as usize..pool.patterns.end as usize] {
            at.push(sum);
            sum += m;
        }
        let mut units = vec![0; pool.units.len()];
        let mut unit_pattern = vec![0; pool.units.len()];
        for &c in &pool.units {
            let p = new_id[child_pattern[c as usize] as usize];
            let slot = &mut at[(p - next) as usize];
            units[*slot as usize] = c;
            unit_pattern[*slot as usize] = p;
            *slot += 1;
        }
        pool.units = units;
        pool.unit_pattern = unit_pattern;
        next += n;
    }
    out
}

/// Patterns' cells by pattern: pattern `i`'s are `codes[start[i]..start[i + 1]]`.
struct ByPattern {
    codes: Vec<u32>,
    start: Vec<u32>,
}

impl ByPattern {
    /// Pattern `i`'s cells.
    fn cells(&self, i: u32) -> &[u32] {
        &self.codes[self.start[i as usize] as usize..self.start[i as usize + 1] as usize]
    }

    /// The same cells held by segment and cell ([`Patterns`]), pattern `order[new]`
    /// numbered `new`; a segment is a run of at most `segment` ([`SEGMENT`] but in tests)
    /// patterns of one pool (`pool_of_pattern`, by old number; `order` keeps a pool's
    /// patterns together); `multiplicity` left empty.
    fn by_cell(self, order: &[u32], pool_of_pattern: &[u32], segment: usize) -> Patterns {
        assert!(
            (1..=SEGMENT).contains(&segment),
            "a segment of 1 to 2^16 patterns"
        );
        let n_cells = self.codes.iter().max().map_or(0, |&c| c as usize + 1);
        let mut out = Patterns {
            first: vec![0],
            at: vec![0],
            start: vec![0],
            holders: vec![0; self.codes.len()],
            ..Patterns::default()
        };
        for new in 1..=order.len() {
            let cut = new == order.len()
                || new - *out.first.last().expect("a first segment") as usize == segment
                || pool_of_pattern[order[new] as usize] != pool_of_pattern[order[new - 1] as usize];
            if cut {
                out.first.push(new as u32);
            }
        }
        // A counting sort by cell within each segment: `next[c]` counts, then is where
        // cell `c`'s next holder goes; only the segment's cells (`touched`) are reset.
        let mut next = vec![0u32; n_cells];
        let mut touched: Vec<u32> = Vec::new();
        let mut placed = 0u32;
        for s in 0..out.first.len() - 1 {
            let segment = &order[out.first[s] as usize..out.first[s + 1] as usize];
            touched.clear();
            for &old in segment {
                for &c in self.cells(old) {
                    if next[c as usize] == 0 {
                        touched.push(c);
                    }
                    next[c as usize] += 1;
                }
            }
            touched.sort_unstable();
            for &c in &touched {
                let n = next[c as usize];
                next[c as usize] = placed;
                placed += n;
                out.cells.push(c);
                out.start.push(placed);
            }
            out.at.push(out.cells.len() as u32);
            for (h, &old) in segment.iter().enumerate() {
                let h = u16::try_from(h).expect("a segment of at most 2^16 patterns");
                for &c in self.cells(old) {
                    let at = &mut next[c as usize];
                    out.holders[*at as usize] = h;
                    *at += 1;
                }
            }
            for &c in &touched {
                next[c as usize] = 0;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pattern `i`'s cells and pool, a few patterns sharing cells across pools.
    fn by_pattern(cells: &[&[u32]]) -> ByPattern {
        let mut out = ByPattern {
            codes: Vec::new(),
            start: vec![0],
        };
        for c in cells {
            out.codes.extend_from_slice(c);
            out.start.push(out.codes.len() as u32);
        }
        out
    }

    #[test]
    fn the_gather_is_the_same_for_any_segments() {
        // Seven patterns (old numbers) in pools 0, 1 and 0, renumbered by pool; the
        // entries are each cell's draws summed over its holders, pattern by pattern,
        // whatever the segments (one pattern each, two, or a pool each). Fails if a
        // segment's holders are offset from the wrong first pattern, or a cell's sums
        // overwrite rather than add across segments.
        let cells: [&[u32]; 7] = [&[0, 3], &[3], &[1, 3, 5], &[0], &[5], &[2, 3], &[0, 1]];
        let pool = [0, 1, 0, 1, 0, 1, 0];
        let order: Vec<u32> = vec![0, 2, 4, 6, 1, 3, 5];
        let counts: Vec<u32> = vec![3, 0, 7, 1, 2, 5, 4];
        let mut want = vec![0.0; 6];
        for (new, &old) in order.iter().enumerate() {
            for &c in cells[old as usize] {
                want[c as usize] += f64::from(counts[new]);
            }
        }
        for (segment, n_segments) in [(1, 7), (2, 4), (3, 3), (SEGMENT, 2)] {
            let p = by_pattern(&cells).by_cell(&order, &pool, segment);
            assert_eq!(p.first.len() - 1, n_segments, "{segment}");
            let mut buffer = vec![0.0; 6];
            p.gather(0..6, &counts, &mut buffer);
            assert_eq!(buffer, want, "{segment}");
            // A range of the codes: its cells only, relative to its start.
            let mut part = vec![0.0; 3];
            p.gather(2..5, &counts, &mut part);
            assert_eq!(part, want[2..5], "{segment}");
        }
    }
}
