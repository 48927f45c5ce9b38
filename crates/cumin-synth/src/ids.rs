//! Identifiers as the extract carries them: LA child IDs issued per LA stay, the PMR of a
//! child, and which rows each census year holds.

use crate::cell::Short;
use crate::child::Child;
use crate::params::SimParams;
use crate::quirks::{Quirk, QuirkCounts, QuirkRates};
use cumin_census::CensusYear;
use rayon::prelude::*;

use crate::seeded::{coin, mix};

/// No LA child ID: the stint holds no row of the extract, so no LA recorded the child.
pub const NO_ID: u32 = u32::MAX;

/// LA child ID numbers from here on are unique nationally; below it, every LA issues the
/// same numbers (each from 0), so their text recurs in other LAs.
const UNIQUE_ID_BASE: u32 = 500_000_000;

/// LA child IDs of the kept children, one per (child, stint).
#[derive(Clone, Debug, Default)]
pub struct Identifiers {
    /// LA child ID number of each (child, stint), flattened; see `offset`. [`NO_ID`] for
    /// stints with no row.
    pub la_id: Vec<u32>,
    /// Start of each child's stints in `la_id`.
    pub offset: Vec<u32>,
    /// IDs (keys in the extract) whose text is also another LA's key.
    pub recurring: u64,
}

impl Identifiers {
    /// The ID of child `child`'s stint `stint`.
    pub fn of(&self, child: usize, stint: u16) -> u32 {
        self.la_id[self.offset[child] as usize + usize::from(stint)]
    }
}

/// Assigns LA child IDs, child by child: an LA issues an ID when it first records a child
/// (a stint holding a row); a child who comes back to an LA may get its old ID or, with
/// the `new_la_id_on_return` quirk, a new one. Counts the ID quirks and the children whose
/// rows give a birth year decades early.
pub fn assign_ids(
    children: &[Child],
    params: &SimParams,
    rates: &QuirkRates,
    counts: &mut QuirkCounts,
) -> Identifiers {
    let data_end = CensusYear(params.last_census_year).end();
    let mut shared_next = vec![0u32; 1000];
    let mut unique_next = UNIQUE_ID_BASE;
    let mut ids = Identifiers::default();
    for c in children {
        let start = ids.la_id.len();
        ids.offset.push(start as u32);
        ids.la_id.resize(start + c.stints.len(), NO_ID);
        let salt = [params.seed, c.index];
        // Only rows written after birth carry a birth year to spoil.
        let born_row = c
            .episodes
            .iter()
            .any(|e| CensusYear::containing(e.closure.min(data_end)).end() >= c.dob);
        if born_row {
            counts.chance(
                Quirk::AgeOver25,
                coin(&[salt[0], salt[1], Quirk::AgeOver25.tag()]) < rates.age_over_25,
            );
        }
        // Kept children hold only episodes with rows (see `crate::kept_episode`).
        for e in &c.episodes {
            let s = usize::from(e.stint);
            if ids.la_id[start + s] != NO_ID {
                continue;
            }
            let la = c.stints[s].la;
            let earlier = (0..s).find(|&k| c.stints[k].la == la && ids.la_id[start + k] != NO_ID);
            if let Some(k) = earlier {
                let tag = Quirk::NewLaIdOnReturn.tag();
                let new = coin(&[salt[0], salt[1], s as u64, tag]) < rates.new_la_id_on_return;
                if !counts.chance(Quirk::NewLaIdOnReturn, new) {
                    ids.la_id[start + s] = ids.la_id[start + k];
                    continue;
                }
            }
            let tag = Quirk::LaIdReuse.tag();
            let shared = coin(&[salt[0], salt[1], s as u64, tag]) < rates.la_id_reuse;
            ids.la_id[start + s] = if counts.chance(Quirk::LaIdReuse, shared) {
                let n = &mut shared_next[usize::from(la)];
                *n += 1;
                *n - 1
            } else {
                unique_next += 1;
                unique_next - 1
            };
        }
    }
    // Shared number k is held by every LA that issued more than k shared IDs, so it
    // recurs unless only the LA that issued the most got that far.
    let mut issued: Vec<u64> = shared_next.iter().map(|&n| u64::from(n)).collect();
    issued.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = issued.iter().sum();
    ids.recurring = if issued[1] == 0 {
        0
    } else {
        total - (issued[0] - issued[1])
    };
    ids
}

/// The text of an LA child ID number: a bijection of 0..10^9, so IDs look arbitrary.
pub fn la_id_text(n: u32) -> Short {
    let v = (u64::from(n) * 7_654_321 + 1_234_567) % 1_000_000_000;
    Short::format(format_args!("{v:09}"))
}

/// Where a row comes from. Ordered as rows are written within a census year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowRef {
    /// Sort key: LA.
    pub la: u16,
    /// Sort key: LA child ID number.
    pub la_id: u32,
    /// Sort key: referral day.
    pub referral: i32,
    /// Child position among the kept children.
    pub child: u32,
    /// Episode position within the child.
    pub episode: u16,
}

/// The rows of every census year from `first` to `last` (index 0 = `first`), unsorted:
/// one pass over the children, rather than one per year.
pub fn rows_by_year(
    children: &[Child],
    ids: &Identifiers,
    first: CensusYear,
    last: CensusYear,
) -> Vec<Vec<RowRef>> {
    const PART: usize = 1 << 16;
    let years = (last.0 - first.0 + 1) as usize;
    let parts: Vec<Vec<Vec<RowRef>>> = children
        .par_chunks(PART)
        .enumerate()
        .map(|(p, chunk)| {
            let mut rows = vec![Vec::new(); years];
            for (i, c) in chunk.iter().enumerate() {
                let ci = p * PART + i;
                for (ei, e) in c.episodes.iter().enumerate() {
                    let from = CensusYear::containing(e.referral).0.max(first.0);
                    let to = CensusYear::containing(e.closure).0.min(last.0);
                    for y in from..=to {
                        rows[(y - first.0) as usize].push(RowRef {
                            la: c.stints[usize::from(e.stint)].la,
                            la_id: ids.of(ci, e.stint),
                            referral: e.referral.days(),
                            child: ci as u32,
                            episode: ei as u16,
                        });
                    }
                }
            }
            rows
        })
        .collect();
    let mut out: Vec<Vec<RowRef>> = (0..years)
        .map(|y| Vec::with_capacity(parts.iter().map(|p| p[y].len()).sum()))
        .collect();
    for part in parts {
        for (y, rows) in part.into_iter().enumerate() {
            out[y].extend(rows);
        }
    }
    out
}

/// The identifier a child carries with perfect identifiers.
pub fn true_child_id(child: &Child) -> Short {
    Short::format(format_args!("C{:09}", child.index))
}

/// The PMR of a child (pseudonymous, stable across LAs and years).
pub fn pmr_text(params: &SimParams, child: &Child) -> Short {
    pmr_of_index(params, child.index)
}

/// The PMR of the child with simulation index `index`.
pub fn pmr_of_index(params: &SimParams, index: u64) -> Short {
    Short::format(format_args!(
        "P{:016X}",
        mix(&[params.seed, 0x0050_4D52, index])
    ))
}
