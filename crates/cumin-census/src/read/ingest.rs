//! From batches of cells to the episode table: rows are cleaned in parallel chunks and
//! appended in file order, so the result does not depend on the number of threads.

use super::cells::{Cells, Dictionary};
use crate::episodes::Episodes;
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::normalise::{
    self, CleanRow, Cleaned, Effect, Exclusion, LatestDates, Quarantine, Raw, ReasonSpelling,
    RowContext, RuleCounts,
};
use crate::numbering::{self, Key, Numbering};
use crate::schema::Column;
use crate::types::CensusYear;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, PrimitiveArray};
use rayon::prelude::*;
use std::sync::Arc;

/// Rows cleaned by one task: small enough to spread a batch over the threads, large
/// enough that the task overhead does not show.
const CHUNK: usize = 4096;

/// Longest quarantine detail kept: a malformed line can be very long.
const DETAIL_CHARS: usize = 200;

/// The cleaned rows so far and everything counted about them.
pub(crate) struct Ingest<'o> {
    pub ctx: RowContext<'o>,
    pub episodes: Episodes,
    pub ledger: Ledger,
    pub latest: LatestDates,
    /// Counts for the file being read.
    pub counts: RuleCounts,
    /// The census years the user stated: rows of other years are excluded.
    pub window: Option<(CensusYear, CensusYear)>,
    /// Rows excluded as outside `window`, over all files.
    pub outside_window: u64,
    /// Per column, the last dictionary met, its values cleaned.
    once: Vec<Option<Prepared>>,
    /// The reason for closure read with a second spelling, when asked for.
    pub other: Option<Other>,
    /// The LA child IDs and PMRs of `episodes`' rows, numbered when the read ends
    /// ([`Ingest::number_identifiers`]); until then `episodes`' identifier columns are
    /// empty.
    la_child_ids: Numbering,
    pmrs: Numbering,
}

/// The reasons for closure read with a second spelling, and what reading them counted.
pub(crate) struct Other {
    pub spelling: ReasonSpelling,
    /// By row of the episode table.
    pub reasons: Vec<Option<u8>>,
    /// Counted for the file being read (only the reason for closure's rules and tally).
    pub counts: RuleCounts,
}

/// A dictionary's values cleaned once each: per value its reading and what cleaning it
/// counted; `None` for a value counted row by row (see [`Effect`]) or null.
struct Prepared {
    /// The dictionary's values (kept, so their identity cannot be reused).
    values: ArrayRef,
    cleaned: Vec<Option<(Cleaned, Effect)>>,
}

impl Prepared {
    fn new(column: Column, d: &Dictionary<'_>, ctx: &RowContext<'_>) -> Prepared {
        let mut scratch = RuleCounts::default();
        let cleaned = (0..d.text.len())
            .map(|k| {
                if d.text.is_null(k) {
                    return None;
                }
                scratch.reset();
                let raw = ctx.values.apply(column, Raw::Text(d.text.value(k)));
                let cleaned =
                    normalise::value(column, raw, ctx.rules.reason_spelling, &mut scratch)?;
                Some((cleaned, scratch.effect(column)?))
            })
            .collect();
        Prepared {
            values: Arc::clone(d.values),
            cleaned,
        }
    }
}

/// For each column a batch holds as a dictionary: its keys and its values cleaned.
type OnceTable<'a> = [Option<(&'a PrimitiveArray<Int32Type>, &'a Prepared)>; Column::COUNT];

enum Outcome<'a> {
    /// A row, with its LA child ID's and PMR's [`numbering::key`]s.
    Row(CleanRow<'a>, [Option<Key>; 2]),
    Quarantined(u64, Quarantine, String),
}

impl<'o> Ingest<'o> {
    pub(crate) fn new(ctx: RowContext<'o>, window: Option<(CensusYear, CensusYear)>) -> Ingest<'o> {
        Ingest {
            ctx,
            episodes: Episodes::new(),
            ledger: Ledger::new(),
            latest: LatestDates::default(),
            counts: RuleCounts::default(),
            window,
            outside_window: 0,
            once: (0..Column::COUNT).map(|_| None).collect(),
            other: None,
            la_child_ids: Numbering::default(),
            pmrs: Numbering::default(),
        }
    }

    /// Makes room for `rows` more rows in the table and the identifiers' keys.
    pub(crate) fn reserve(&mut self, rows: usize) {
        self.episodes.reserve(rows);
        self.la_child_ids.reserve(rows);
        self.pmrs.reserve(rows);
    }

    /// Gives `episodes` the identifiers of its rows, numbered in order of first
    /// appearance (as [`Episodes::push`] would have interned them): once, after the last
    /// file.
    pub(crate) fn number_identifiers(&mut self) {
        let rows = self.episodes.len();
        // One column after the other: each key list is freed before the next column's
        // references are made (peak memory).
        let e = &mut self.episodes;
        (e.la_child_ids, e.la_child_id) = std::mem::take(&mut self.la_child_ids).finish(rows);
        (e.pmrs, e.pmr) = std::mem::take(&mut self.pmrs).finish(rows);
    }

    /// Cleans the values of every dictionary of `cells` not met before.
    fn prepare<C: Cells>(&mut self, cells: &C) {
        let ctx = self.ctx;
        let fresh: Vec<(Column, Dictionary<'_>)> = Column::ALL
            .iter()
            .filter_map(|c| Some((*c, cells.dictionary(*c)?)))
            .filter(|(c, d)| {
                !matches!(&self.once[c.index()], Some(p) if Arc::ptr_eq(&p.values, d.values))
            })
            .collect();
        let prepared: Vec<(Column, Prepared)> = fresh
            .par_iter()
            .map(|(c, d)| (*c, Prepared::new(*c, d, &ctx)))
            .collect();
        for (c, p) in prepared {
            self.once[c.index()] = Some(p);
        }
    }

    /// The [`OnceTable`] of a batch [`Ingest::prepare`] has seen.
    fn once_table<'s, C: Cells>(&'s self, cells: &'s C) -> OnceTable<'s> {
        let mut table: OnceTable<'s> = [None; Column::COUNT];
        for c in Column::ALL {
            if let Some(d) = cells.dictionary(*c)
                && let Some(p) = &self.once[c.index()]
            {
                table[c.index()] = Some((d.keys, p));
            }
        }
        table
    }

    /// Cleans a batch whose first row is data row `first_row + 1` of `file`.
    pub(crate) fn batch<C: Cells>(&mut self, file: FileIndex, first_row: u64, cells: &C) {
        let len = cells.len();
        let ctx = self.ctx;
        self.prepare(cells);
        let once = &self.once_table(cells);
        let other = self.other.as_ref().map(|o| o.spelling);
        let chunks: Vec<(Vec<Outcome<'_>>, RuleCounts, RuleCounts)> = if len <= CHUNK {
            vec![clean_chunk(
                cells,
                once,
                other,
                file,
                first_row,
                0..len,
                &ctx,
            )]
        } else {
            (0..len.div_ceil(CHUNK))
                .into_par_iter()
                .map(|k| {
                    clean_chunk(
                        cells,
                        once,
                        other,
                        file,
                        first_row,
                        k * CHUNK..len.min((k + 1) * CHUNK),
                        &ctx,
                    )
                })
                .collect()
        };
        for (rows, counts, other_counts) in chunks {
            self.counts.merge(&counts);
            if let Some(o) = &mut self.other {
                o.counts.merge(&other_counts);
            }
            for r in rows {
                match r {
                    Outcome::Row(mut r, [la_key, pmr_key]) => {
                        if let Some((first, last)) = self.window
                            && !(first..=last).contains(&r.row.census_year)
                        {
                            self.outside_window += 1;
                            self.ledger.add(
                                file,
                                EntryKind::Excluded,
                                Exclusion::CensusYearOutsideWindow.name(),
                                1,
                            );
                            continue;
                        }
                        if let Some(latest) = r.latest {
                            self.latest.push(self.episodes.len(), latest);
                        }
                        let row = self.episodes.len();
                        if let Some(id) = r.row.la_child_id.take() {
                            self.la_child_ids.push(row, &id, la_key);
                        }
                        if let Some(id) = r.row.pmr.take() {
                            self.pmrs.push(row, &id, pmr_key);
                        }
                        self.episodes.push_without_identifiers(r.row);
                        if let Some(o) = &mut self.other {
                            o.reasons.push(r.other_reason);
                        }
                    }
                    Outcome::Quarantined(row, reason, mut detail) => {
                        if let Some((cut, _)) = detail.char_indices().nth(DETAIL_CHARS) {
                            detail.truncate(cut);
                            detail.push('…');
                        }
                        self.ledger.quarantine(QuarantinedRow {
                            file,
                            row,
                            reason: reason.name(),
                            detail,
                        });
                    }
                }
            }
        }
    }
}

fn clean_chunk<'a, C: Cells>(
    cells: &'a C,
    once: &OnceTable<'_>,
    other: Option<ReasonSpelling>,
    file: FileIndex,
    first_row: u64,
    rows: std::ops::Range<usize>,
    ctx: &RowContext<'a>,
) -> (Vec<Outcome<'a>>, RuleCounts, RuleCounts) {
    let mut counts = RuleCounts::default();
    let mut other_counts = RuleCounts::default();
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        let row_number = first_row + i as u64 + 1;
        counts.at_row(row_number);
        other_counts.at_row(row_number);
        if let Some((reason, why)) = cells.malformed(i) {
            out.push(Outcome::Quarantined(row_number, reason, why));
            continue;
        }
        // Rows past 2^32 keep the largest number; the ledger keeps the exact one.
        let source_row = u32::try_from(row_number).unwrap_or(u32::MAX);
        let get = |c| cells.get(i, c);
        let once = |c: Column, counts: &mut RuleCounts| {
            let (keys, prepared) = once[c.index()]?;
            if keys.is_null(i) {
                return None;
            }
            let (cleaned, effect) = prepared.cleaned[keys.values()[i] as usize]?;
            counts.apply(c, effect);
            Some(cleaned)
        };
        out.push(
            match normalise::row_with(
                get,
                once,
                other.map(|s| (s, &mut other_counts)),
                file,
                source_row,
                ctx,
                &mut counts,
            ) {
                Ok(r) => {
                    let keys = [
                        r.row.la_child_id.as_deref().and_then(numbering::key),
                        r.row.pmr.as_deref().and_then(numbering::key),
                    ];
                    Outcome::Row(r, keys)
                }
                Err((reason, detail)) => Outcome::Quarantined(row_number, reason, detail),
            },
        );
    }
    (out, counts, other_counts)
}
