//! From batches of cells to the episode table: rows are cleaned in parallel chunks, each
//! writing its rows straight into its part of the table; the rows keep file order, so the
//! result does not depend on the number of threads.

use super::cells::{Cells, Dictionary};
use super::per_value::{OnceTable, Prepared, Tally, once_table, per_batch};
use crate::date::Date;
use crate::episodes::{EpisodeRowOf, Episodes, RowSlots};
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::normalise::{
    self, Exclusion, LatestDates, Quarantine, ReasonSpelling, RowContext, RuleCounts, field,
};
use crate::numbering::{self, Key, Numbering};
use crate::schema::Column;
use crate::types::CensusYear;
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
        let per_batch = per_batch(cells, &self.ctx);
        let job = Job {
            cells,
            once: &once_table(&self.once, &per_batch, cells),
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
    let tally = Tally::new(job.once);
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
        let once = |column: Column, _: &mut RuleCounts| job.once[column.index()]?.get(i, &tally);
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
    tally.count(job.once, &mut c.counts);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::Raw;
    use crate::normalise::{CleaningRules, values::ValueMap};
    use crate::read::cells::BatchSource;
    use crate::read::parquet_file::ParquetSource;
    use crate::read::per_value::PerBatch;
    use crate::schema::ColumnMap;
    use arrow_array::ArrayRef;
    use arrow_array::{
        Int8Array, Int16Array, Int64Array, RecordBatch, StringArray, UInt8Array, UInt32Array,
    };
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    /// A batch read cell by cell: no dictionary, integer column or absent column is
    /// cleaned once per value (the path of CSV files and of columns of other types).
    struct CellByCell<'c, C>(&'c C);

    impl<C: Cells> Cells for CellByCell<'_, C> {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, row: usize, column: Column) -> Raw<'_> {
            self.0.get(row, column)
        }
        fn malformed(&self, row: usize) -> Option<(Quarantine, String)> {
            self.0.malformed(row)
        }
    }

    /// Rows of integer columns of several types, with nulls, values out of range, codes
    /// counted by rules (gender 0 and 9) and a column whose values span more than
    /// `INTEGER_SPAN` (per_value.rs) in some batches; no `Latest*` columns (absent).
    fn file(dir: &std::path::Path) -> std::path::PathBuf {
        let n = 200usize;
        let pick = |i: usize, k: usize| (i * 7919 + k * 104_729) % 97;
        let text = |f: &dyn Fn(usize) -> Option<String>| -> ArrayRef {
            Arc::new((0..n).map(f).collect::<StringArray>())
        };
        let batch = RecordBatch::try_from_iter([
            ("ACADYR", text(&|i| Some(format!("{}", 2010 + i % 5)))),
            ("LA", text(&|i| Some(format!("{}", 201 + i % 3)))),
            (
                "PupilMatchingRefAnonymous",
                text(&|i| Some(format!("P{:04}", i % 37))),
            ),
            (
                "Gender",
                Arc::new(
                    (0..n)
                        .map(|i| {
                            [Some(1), Some(2), Some(0), Some(9), None, Some(7)][pick(i, 1) % 6]
                        })
                        .collect::<UInt8Array>(),
                ) as ArrayRef,
            ),
            (
                "MonthOfBirth",
                Arc::new(
                    (0..n)
                        .map(|i| (pick(i, 2) % 11 != 0).then(|| (pick(i, 3) % 15) as i8 - 1))
                        .collect::<Int8Array>(),
                ),
            ),
            (
                "YearOfBirth",
                Arc::new(
                    (0..n)
                        .map(|i| match pick(i, 4) % 13 {
                            0 => None,
                            1 => Some(1850),
                            2 => Some(-3),
                            k => Some(1995 + k as i16),
                        })
                        .collect::<Int16Array>(),
                ),
            ),
            (
                "IDACI_Decile",
                Arc::new(
                    (0..n)
                        .map(|i| match pick(i, 5) % 17 {
                            0 => None,
                            1 => Some(40_000),
                            2 => Some(0),
                            k => Some(k as u32 % 10 + 1),
                        })
                        .collect::<UInt32Array>(),
                ),
            ),
            (
                "ReferralNFA",
                Arc::new(
                    (0..n)
                        .map(|i| Some((pick(i, 6) % 3) as i64 - 1))
                        .collect::<Int64Array>(),
                ),
            ),
            (
                "CINreferralDate",
                text(&|i| match pick(i, 7) % 11 {
                    0 | 1 => None,
                    2 => Some("9999-12-31".to_owned()),
                    3 => Some("1000-01-01".to_owned()),
                    4 => Some("soon".to_owned()),
                    5 => Some(String::new()),
                    _ => Some(format!("2012-0{}-1{}", 1 + i % 9, i % 10)),
                }),
            ),
        ])
        .unwrap();
        let path = dir.join("cin.parquet");
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(64))
            .build();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            batch.schema(),
            Some(props),
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    }

    /// Everything an [`Ingest`] holds after reading `path` in batches of `batch_size`.
    fn read(path: &Path, batch_size: usize, values: &ValueMap, per_value: bool) -> String {
        let rules = CleaningRules::default();
        let ctx = RowContext {
            rules: &rules,
            values,
            lsoa: None,
        };
        let mut ingest = Ingest::new(ctx, None);
        let mut source = ParquetSource::open(path, &ColumnMap::default(), &|_| true).unwrap();
        let mut first = 0;
        while let Some(batch) = source.next_batch(batch_size).unwrap() {
            if per_value {
                ingest.batch(0, first, &batch);
            } else {
                ingest.batch(0, first, &CellByCell(&batch));
            }
            first += batch.len() as u64;
        }
        ingest.number_identifiers();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            ingest.episodes, ingest.counts, ingest.ledger, ingest.latest
        )
    }

    use std::path::Path;

    /// Dictionaries, integer columns and absent columns cleaned once per value in a batch
    /// (their nulls too, through the value map: step R9) give every row, count and
    /// ledger entry that cleaning each cell gives.
    #[test]
    fn dictionary_integer_and_absent_columns_cleaned_per_value_equal_cell_by_cell() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let mut mapped = ValueMap::default();
        mapped.insert(Column::Gender, "9", "2");
        mapped.insert(Column::YearOfBirth, "1850", "");
        mapped.insert(Column::LatestReferralDate, "", "2012-01-01");
        mapped.insert(Column::ReferralDate, "", "2013-02-03");
        mapped.insert(Column::MonthOfBirth, "", "13");
        for values in [ValueMap::default(), mapped] {
            for batch_size in [1, 3, 50, 64, 1000] {
                let per_value = read(&path, batch_size, &values, true);
                assert_eq!(
                    per_value,
                    read(&path, batch_size, &values, false),
                    "{batch_size}"
                );
            }
        }
        // The per-value path is taken: a batch holds integer and absent columns.
        let mut source = ParquetSource::open(&path, &ColumnMap::default(), &|_| true).unwrap();
        let batch = source.next_batch(1000).unwrap().unwrap();
        assert!(batch.absent(Column::LatestReferralDate));
        assert!(batch.dictionary(Column::ReferralDate).is_some());
        assert!(!batch.absent(Column::Gender));
        let rules = CleaningRules::default();
        let values = ValueMap::default();
        let ctx = RowContext {
            rules: &rules,
            values: &values,
            lsoa: None,
        };
        let kinds = per_batch(&batch, &ctx);
        assert!(matches!(
            kinds[Column::Gender.index()],
            Some(PerBatch::Integers(..))
        ));
        assert!(matches!(
            kinds[Column::YearOfBirth.index()],
            Some(PerBatch::Integers(..))
        ));
        // IDACI's 40,000 and 0 span more than `INTEGER_SPAN`: cleaned cell by cell.
        assert!(kinds[Column::IdaciDecile.index()].is_none());
        assert!(matches!(
            kinds[Column::LatestClosureDate.index()],
            Some(PerBatch::Absent(_))
        ));
    }
}
