//! From batches of cells to the episode table: rows are cleaned in parallel chunks, each
//! writing its rows straight into its part of the table; the rows keep file order, so the
//! result does not depend on the number of threads.

use super::cells::{Cells, Dictionary};
use crate::date::Date;
use crate::episodes::{EpisodeRowOf, Episodes, RowSlots};
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::normalise::{
    self, Cleaned, Effect, Exclusion, LatestDates, Quarantine, Raw, ReasonSpelling, RowContext,
    RuleCounts, field,
};
use crate::numbering::{self, Key, Numbering};
use crate::schema::Column;
use crate::types::CensusYear;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, PrimitiveArray};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;

/// Rows cleaned by one task: small enough to spread a batch over the threads, large
/// enough that the task overhead does not show.
const CHUNK: usize = 4096;

/// Longest quarantine detail kept: a malformed line can be very long.
const DETAIL_CHARS: usize = 200;

/// The cleaned rows so far and everything counted about them.
pub(crate) struct Ingest<'o> {
    pub ctx: RowContext<'o>,
    /// The table: its first `rows` rows are read; while reading, its columns may hold
    /// more (the room of the batch being written).
    pub episodes: Episodes,
    /// Rows read into `episodes` so far.
    pub rows: usize,
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
/// counted. Looked up once per row and column, so kept small (12 bytes a value, the
/// effects apart): a date column's table stays in the core's cache.
struct Prepared {
    /// The dictionary's values (kept, so their identity cannot be reused).
    values: ArrayRef,
    /// Per value, its reading and the index of its effect in `effects`; [`ROW_BY_ROW`]
    /// for a value counted row by row (see [`Effect`]) or null.
    cleaned: Vec<(Cleaned, u8)>,
    /// The distinct effects of the values.
    effects: Vec<Effect>,
}

/// The effect index of a value cleaned row by row.
const ROW_BY_ROW: u8 = u8::MAX;

impl Prepared {
    fn new(column: Column, d: &Dictionary<'_>, ctx: &RowContext<'_>) -> Prepared {
        let mut scratch = RuleCounts::default();
        let mut effects: Vec<Effect> = Vec::new();
        let cleaned = (0..d.text.len())
            .map(|k| {
                let row_by_row = (Cleaned::Flag(None), ROW_BY_ROW);
                if d.text.is_null(k) {
                    return row_by_row;
                }
                scratch.reset();
                let raw = ctx.values.apply(column, Raw::Text(d.text.value(k)));
                let Some(cleaned) =
                    normalise::value(column, raw, ctx.rules.reason_spelling, &mut scratch)
                else {
                    return row_by_row;
                };
                let Some(effect) = scratch.effect(column) else {
                    return row_by_row;
                };
                let index = effects.iter().position(|e| *e == effect).or_else(|| {
                    // Past 255 distinct effects a value is cleaned row by row.
                    (effects.len() < usize::from(ROW_BY_ROW)).then(|| {
                        effects.push(effect);
                        effects.len() - 1
                    })
                });
                index.map_or(row_by_row, |i| (cleaned, i as u8))
            })
            .collect();
        Prepared {
            values: Arc::clone(d.values),
            cleaned,
            effects,
        }
    }
}

/// For each column a batch holds as a dictionary: its keys and its values cleaned.
type OnceTable<'a> = [Option<(&'a PrimitiveArray<Int32Type>, &'a Prepared)>; Column::COUNT];

/// The [`OnceTable`] of a batch whose dictionaries [`Ingest::prepare`] has cleaned.
fn once_table<'s, C: Cells>(once: &'s [Option<Prepared>], cells: &'s C) -> OnceTable<'s> {
    let mut table: OnceTable<'s> = [None; Column::COUNT];
    for c in Column::ALL {
        if let Some(d) = cells.dictionary(*c)
            && let Some(p) = &once[c.index()]
        {
            table[c.index()] = Some((d.keys, p));
        }
    }
    table
}

/// The identifier columns, in the order of [`Chunk::keyed`] and [`Chunk::others`].
const IDENTIFIERS: [Column; 2] = [Column::LaChildId, Column::Pmr];

/// What every chunk of a batch reads.
struct Job<'j, 'a, C> {
    cells: &'a C,
    once: &'j OnceTable<'j>,
    other: Option<ReasonSpelling>,
    file: FileIndex,
    first_row: u64,
    ctx: RowContext<'a>,
    window: Option<(CensusYear, CensusYear)>,
    /// The identifiers' formats numbered by sort ([`Numbering::format`]).
    formats: [Option<Key>; 2],
    /// The table's row of the batch's first row, were none dropped.
    base: usize,
}

/// A row's `LatestReferralDate` and `LatestClosureDate`.
type LatestPair = (Option<Date>, Option<Date>);

/// What one chunk of a batch gives besides the rows it wrote: rows are given by their
/// place in the table were no row of the batch dropped (quarantined or outside the
/// window); the append lowers them by the rows dropped before the chunk.
struct Chunk<'a> {
    counts: RuleCounts,
    other_counts: RuleCounts,
    /// Rows written, from the chunk's first slot.
    kept: usize,
    /// Rows excluded as outside the window.
    outside: u64,
    quarantined: Vec<(u64, Quarantine, String)>,
    latest: Vec<(usize, LatestPair)>,
    /// Per identifier column, the [`Numbering::entry_in`] of the rows whose identifier
    /// has the format numbered by sort, and the other identifiers with their rows.
    keyed: [Vec<[u32; 3]>; 2],
    others: [Vec<(u32, Cow<'a, str>)>; 2],
}

impl<'o> Ingest<'o> {
    pub(crate) fn new(ctx: RowContext<'o>, window: Option<(CensusYear, CensusYear)>) -> Ingest<'o> {
        Ingest {
            ctx,
            episodes: Episodes::new(),
            rows: 0,
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

    /// Ends the read: the table cut to the rows read, and its identifiers numbered in
    /// order of first appearance (as [`Episodes::push`] would have interned them). Once,
    /// after the last file.
    pub(crate) fn number_identifiers(&mut self) {
        let rows = self.rows;
        let e = &mut self.episodes;
        e.resize_without_identifiers(rows, &filler());
        if let Some(o) = &mut self.other {
            o.reasons.truncate(rows);
        }
        // One column after the other: each key list is freed before the next column's
        // references are made (peak memory).
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

    /// Until an identifier column's format numbered by sort is chosen: the format of the
    /// first identifier of `cells` that has one (cleaned as a row's, any row: the choice
    /// only has to be the same on every thread and kept, [`Numbering::choose_format`]).
    fn choose_formats<C: Cells>(&mut self, cells: &C) {
        let ctx = self.ctx;
        for (column, numbering) in IDENTIFIERS
            .into_iter()
            .zip([&mut self.la_child_ids, &mut self.pmrs])
        {
            if numbering.has_format() {
                continue;
            }
            let mut scratch = RuleCounts::default();
            let found = (0..cells.len())
                .filter(|&i| cells.malformed(i).is_none())
                .find_map(|i| {
                    let raw = ctx.values.apply(column, cells.get(i, column));
                    field::identifier(raw, &mut scratch)
                        .as_deref()
                        .and_then(numbering::key)
                });
            if let Some(k) = found {
                numbering.choose_format(k);
            }
        }
    }

    /// Cleans a batch whose first row is data row `first_row + 1` of `file`: chunks of
    /// it on every thread, each writing its rows into the table's rows of the batch, then
    /// what they counted added in order and the rows moved down over those dropped.
    pub(crate) fn batch<C: Cells>(&mut self, file: FileIndex, first_row: u64, cells: &C) {
        let len = cells.len();
        self.prepare(cells);
        self.choose_formats(cells);
        let base = self.rows;
        self.episodes
            .resize_without_identifiers(base + len, &filler());
        if let Some(o) = &mut self.other {
            o.reasons.resize(base + len, None);
        }
        let job = Job {
            cells,
            once: &once_table(&self.once, cells),
            other: self.other.as_ref().map(|o| o.spelling),
            file,
            first_row,
            ctx: self.ctx,
            window: self.window,
            formats: [self.la_child_ids.format(), self.pmrs.format()],
            base,
        };
        let mut parts = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut slots = self.episodes.slots(base..base + len);
        let mut reasons = self.other.as_mut().map(|o| &mut o.reasons[base..]);
        for start in (0..len).step_by(CHUNK) {
            let n = CHUNK.min(len - start);
            let (part, rest) = slots.split_at(n);
            slots = rest;
            let part_reasons = reasons.take().map(|r| {
                let (part, rest) = r.split_at_mut(n);
                reasons = Some(rest);
                part
            });
            parts.push((start, part, part_reasons));
        }
        let chunks: Vec<Chunk<'_>> = if parts.len() <= 1 {
            parts
                .into_iter()
                .map(|(start, slots, reasons)| clean_chunk(&job, start, slots, reasons))
                .collect()
        } else {
            parts
                .into_par_iter()
                .map(|(start, slots, reasons)| clean_chunk(&job, start, slots, reasons))
                .collect()
        };
        // Rows of the batch dropped so far.
        let mut dropped = 0;
        for (k, c) in chunks.into_iter().enumerate() {
            let start = k * CHUNK;
            self.counts.merge(&c.counts);
            if let Some(o) = &mut self.other {
                o.counts.merge(&c.other_counts);
            }
            for (row, reason, mut detail) in c.quarantined {
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
            self.outside_window += c.outside;
            self.ledger.add(
                file,
                EntryKind::Excluded,
                Exclusion::CensusYearOutsideWindow.name(),
                c.outside,
            );
            let from = base + start;
            if dropped > 0 && c.kept > 0 {
                let rows = from..from + c.kept;
                self.episodes
                    .move_rows_without_identifiers(rows.clone(), from - dropped);
                if let Some(o) = &mut self.other {
                    o.reasons.copy_within(rows, from - dropped);
                }
            }
            for (row, latest) in c.latest {
                self.latest.push(row - dropped, latest);
            }
            let shift = u32::try_from(dropped).expect("fewer than 2^32 rows");
            for (numbering, (keyed, others)) in [&mut self.la_child_ids, &mut self.pmrs]
                .into_iter()
                .zip(c.keyed.iter().zip(&c.others))
            {
                numbering.extend_keyed(keyed, shift);
                for (row, text) in others {
                    numbering.push_other(row - shift, text);
                }
            }
            dropped += CHUNK.min(len - start) - c.kept;
        }
        self.rows = base + len - dropped;
    }
}

/// The value of the table's rows before they are written.
fn filler() -> EpisodeRowOf<()> {
    EpisodeRowOf::empty(0, 0, CensusYear(0))
}

/// Cleans rows `start..` of the batch into `slots` (and the reasons read with the other
/// spelling into `reasons`), kept rows one after the other from the first slot.
fn clean_chunk<'a, C: Cells>(
    job: &Job<'_, 'a, C>,
    start: usize,
    mut slots: RowSlots<'_>,
    mut reasons: Option<&mut [Option<u8>]>,
) -> Chunk<'a> {
    let cells = job.cells;
    let mut c = Chunk {
        counts: RuleCounts::default(),
        other_counts: RuleCounts::default(),
        kept: 0,
        outside: 0,
        quarantined: Vec::new(),
        latest: Vec::new(),
        keyed: [
            Vec::with_capacity(slots.len()),
            Vec::with_capacity(slots.len()),
        ],
        others: [Vec::new(), Vec::new()],
    };
    for i in start..start + slots.len() {
        let row_number = job.first_row + i as u64 + 1;
        c.counts.at_row(row_number);
        c.other_counts.at_row(row_number);
        if let Some((reason, why)) = cells.malformed(i) {
            c.quarantined.push((row_number, reason, why));
            continue;
        }
        // Rows past 2^32 keep the largest number; the ledger keeps the exact one.
        let source_row = u32::try_from(row_number).unwrap_or(u32::MAX);
        let get = |column| cells.get(i, column);
        let once = |column: Column, counts: &mut RuleCounts| {
            let (keys, prepared) = job.once[column.index()]?;
            if keys.is_null(i) {
                return None;
            }
            let (cleaned, effect) = prepared.cleaned[keys.values()[i] as usize];
            counts.apply(column, *prepared.effects.get(usize::from(effect))?);
            Some(cleaned)
        };
        let mut r = match normalise::row_with(
            get,
            once,
            job.other.map(|s| (s, &mut c.other_counts)),
            job.file,
            source_row,
            &job.ctx,
            &mut c.counts,
        ) {
            Ok(r) => r,
            Err((reason, detail)) => {
                c.quarantined.push((row_number, reason, detail));
                continue;
            }
        };
        if let Some((first, last)) = job.window
            && !(first..=last).contains(&r.row.census_year)
        {
            c.outside += 1;
            continue;
        }
        let slot = c.kept;
        c.kept += 1;
        let row = job.base + start + slot;
        if let Some(latest) = r.latest {
            c.latest.push((row, latest));
        }
        let row = u32::try_from(row).expect("fewer than 2^32 rows");
        let ids = [r.row.la_child_id.take(), r.row.pmr.take()];
        for (k, id) in ids.into_iter().enumerate() {
            let Some(id) = id else { continue };
            match numbering::key(&id).and_then(|key| Numbering::entry_in(job.formats[k], key, row))
            {
                Some(entry) => c.keyed[k].push(entry),
                None => c.others[k].push((row, id)),
            }
        }
        slots.set(slot, r.row);
        if let Some(reasons) = &mut reasons {
            reasons[slot] = r.other_reason;
        }
    }
    c
}
