//! From batches of cells to the episode table: rows are cleaned in parallel chunks and
//! appended in file order, so the result does not depend on the number of threads.

use super::cells::{Cells, Dictionary, NULL_CODE, SmallInts};
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
    /// Per column, the last dictionary or range of whole numbers met, its values cleaned.
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

/// The values of a dictionary or of a range of whole numbers cleaned once each: per value
/// its reading and what cleaning it counted; `None` for a value counted row by row (see
/// [`Effect`]) or null.
struct Prepared {
    of: Values,
    cleaned: Vec<Option<(Cleaned, Effect)>>,
}

/// Which values a [`Prepared`] cleaned.
enum Values {
    /// A dictionary's (kept, so their identity cannot be reused).
    Dictionary(ArrayRef),
    /// The whole numbers from the first, as many as the second says.
    Ints(i64, usize),
}

impl Values {
    fn same(&self, other: &Values) -> bool {
        match (self, other) {
            (Values::Dictionary(a), Values::Dictionary(b)) => Arc::ptr_eq(a, b),
            (Values::Ints(a, n), Values::Ints(b, m)) => (a, n) == (b, m),
            _ => false,
        }
    }
}

impl Prepared {
    /// Cleans `values` (`None`: null), the values of `of`, as a row's cell of `column`.
    fn new<'v>(
        column: Column,
        of: Values,
        values: impl Iterator<Item = Option<Raw<'v>>>,
        ctx: &RowContext<'_>,
    ) -> Prepared {
        let mut scratch = RuleCounts::default();
        let cleaned = values
            .map(|raw| {
                scratch.reset();
                let raw = ctx.values.apply(column, raw?);
                let cleaned =
                    normalise::value(column, raw, ctx.rules.reason_spelling, &mut scratch)?;
                Some((cleaned, scratch.effect(column)?))
            })
            .collect();
        Prepared { of, cleaned }
    }
}

/// Where a row's value is in a [`Prepared`]: a dictionary's keys or [`SmallInts`] codes.
#[derive(Clone, Copy)]
enum Keys<'a> {
    Dictionary(&'a PrimitiveArray<Int32Type>),
    Codes(&'a [u16]),
}

impl Keys<'_> {
    /// Row `i`'s value, `None` for null.
    fn get(self, i: usize) -> Option<usize> {
        match self {
            Keys::Dictionary(keys) => (!keys.is_null(i)).then(|| keys.values()[i] as usize),
            Keys::Codes(codes) => (codes[i] != NULL_CODE).then_some(usize::from(codes[i])),
        }
    }
}

/// For each column whose values a batch holds once (a dictionary, or whole numbers in a
/// small range): where each row's value is, and the values cleaned.
type OnceTable<'a> = [Option<(Keys<'a>, &'a Prepared)>; Column::COUNT];

/// Per column, the batch's [`SmallInts`] (integer columns without a dictionary).
type IntsTable = Vec<Option<SmallInts>>;

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

    /// The [`SmallInts`] of the integer columns of `cells` that [`normalise::value`]
    /// cleans (typed loops over those columns, in parallel).
    fn small_ints<C: Cells>(cells: &C) -> IntsTable {
        Column::ALL
            .par_iter()
            .map(|c| {
                if cells.dictionary(*c).is_some() || !normalise::cleans_alone(*c) {
                    return None;
                }
                cells.small_ints(*c)
            })
            .collect()
    }

    /// Cleans the values of every dictionary and range of whole numbers of `cells` not
    /// met before.
    fn prepare<C: Cells>(&mut self, cells: &C, ints: &IntsTable) {
        let ctx = self.ctx;
        // Per column not met before: the values, and the dictionary holding them.
        let fresh: Vec<(Column, Values, Option<Dictionary<'_>>)> = Column::ALL
            .iter()
            .filter_map(|c| match (cells.dictionary(*c), &ints[c.index()]) {
                (Some(d), _) => Some((*c, Values::Dictionary(Arc::clone(d.values)), Some(d))),
                (None, Some(n)) => Some((*c, Values::Ints(n.min, n.span), None)),
                (None, None) => None,
            })
            .filter(|(c, of, _)| !matches!(&self.once[c.index()], Some(p) if p.of.same(of)))
            .collect();
        let prepared: Vec<(Column, Prepared)> = fresh
            .into_par_iter()
            .map(|(c, of, dictionary)| {
                let p = match (of, dictionary) {
                    (Values::Ints(min, span), _) => {
                        let values = (0..span as i64).map(|k| Some(Raw::Int(min + k)));
                        Prepared::new(c, Values::Ints(min, span), values, &ctx)
                    }
                    (of, Some(d)) => {
                        let values = (0..d.text.len())
                            .map(|k| (!d.text.is_null(k)).then(|| Raw::Text(d.text.value(k))));
                        Prepared::new(c, of, values, &ctx)
                    }
                    (Values::Dictionary(_), None) => unreachable!("a dictionary column"),
                };
                (c, p)
            })
            .collect();
        for (c, p) in prepared {
            self.once[c.index()] = Some(p);
        }
    }

    /// The [`OnceTable`] of a batch [`Ingest::prepare`] has seen.
    fn once_table<'s, C: Cells>(&'s self, cells: &'s C, ints: &'s IntsTable) -> OnceTable<'s> {
        let mut table: OnceTable<'s> = [None; Column::COUNT];
        for c in Column::ALL {
            let keys = match (cells.dictionary(*c), &ints[c.index()]) {
                (Some(d), _) => Keys::Dictionary(d.keys),
                (None, Some(n)) => Keys::Codes(&n.codes),
                (None, None) => continue,
            };
            if let Some(p) = &self.once[c.index()] {
                table[c.index()] = Some((keys, p));
            }
        }
        table
    }

    /// Cleans a batch whose first row is data row `first_row + 1` of `file`.
    pub(crate) fn batch<C: Cells>(&mut self, file: FileIndex, first_row: u64, cells: &C) {
        let len = cells.len();
        let ctx = self.ctx;
        let ints = Self::small_ints(cells);
        self.prepare(cells, &ints);
        let once = &self.once_table(cells, &ints);
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
            let (cleaned, effect) = prepared.cleaned[keys.get(i)?]?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::CleaningRules;
    use crate::normalise::values::ValueMap;
    use crate::read::cells::BatchSource;
    use crate::read::parquet_file::ParquetSource;
    use crate::schema::ColumnMap;
    use arrow_array::{Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use proptest::prelude::*;

    /// A batch read cell by cell: no dictionary, no [`SmallInts`].
    struct RowWise<'a, C>(&'a C);

    impl<C: Cells> Cells for RowWise<'_, C> {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, row: usize, column: Column) -> Raw<'_> {
            self.0.get(row, column)
        }
    }

    /// Whole numbers of every kind a column may hold: valid, out of range, codes for
    /// missing, far apart (no small range), and null.
    fn int() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![
            1 => Just(None),
            6 => (0i64..12).prop_map(Some),
            2 => (1995i64..2025).prop_map(Some),
            1 => prop_oneof![Just(-1i64), Just(99), Just(i64::MAX), Just(i64::MIN)].prop_map(Some),
        ]
    }

    /// The state of an ingest after `batches`, as text.
    fn ingest_all(batches: &[RecordBatch], row_wise: bool, spelling_map: bool) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ints.parquet");
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(5))
            .build();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = ArrowWriter::try_new(file, batches[0].schema(), Some(props)).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        let rules = CleaningRules::default();
        let mut values = ValueMap::default();
        if spelling_map {
            values.insert(Column::Gender, "9", "1");
            values.insert(Column::MonthOfBirth, "", "6");
        }
        let ctx = RowContext {
            rules: &rules,
            values: &values,
            lsoa: None,
        };
        let mut ingest = Ingest::new(ctx, None);
        let mut source = ParquetSource::open(&path, &ColumnMap::default(), &|_| true).unwrap();
        let mut first = 0;
        while let Some(batch) = source.next_batch(3).unwrap() {
            if row_wise {
                ingest.batch(0, first, &RowWise(&batch));
            } else {
                ingest.batch(0, first, &batch);
            }
            first += batch.len() as u64;
        }
        ingest.number_identifiers();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            ingest.episodes, ingest.ledger, ingest.counts, ingest.latest
        )
    }

    proptest! {
        /// Integer columns cleaned once per value of a batch's range ([`SmallInts`]) give
        /// the rows, rule counts, bad values' examples and quarantine of cleaning every
        /// cell.
        #[test]
        fn small_ints_are_read_as_cells_are(
            rows in proptest::collection::vec(
                (int(), int(), int(), int(), int(), proptest::option::of("[A-C][0-9]")),
                1..40,
            ),
            spelling_map in any::<bool>(),
        ) {
            let ints = |f: fn(&(Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<String>)) -> Option<i64>| -> ArrayRef {
                Arc::new(rows.iter().map(f).collect::<Int64Array>())
            };
            let batch = RecordBatch::try_from_iter([
                ("ACADYR", Arc::new(StringArray::from(vec!["2013/14"; rows.len()])) as ArrayRef),
                ("LA", ints(|r| r.0.map(|v| v.saturating_add(200)))),
                ("Gender", ints(|r| r.1)),
                ("MonthOfBirth", ints(|r| r.2)),
                ("YearOfBirth", ints(|r| r.3)),
                ("IDACI_Decile", ints(|r| r.4)),
                ("LAchildID_Anon", Arc::new(rows.iter().map(|r| r.5.clone()).collect::<StringArray>())),
            ])
            .unwrap();
            let once = ingest_all(std::slice::from_ref(&batch), false, spelling_map);
            let each = ingest_all(std::slice::from_ref(&batch), true, spelling_map);
            prop_assert_eq!(once, each);
        }
    }

    #[test]
    fn small_ints_code_a_small_range_only() {
        let codes = SmallInts::of([Some(3), None, Some(5)].into_iter()).unwrap();
        assert_eq!((codes.min, codes.span), (3, 3));
        assert_eq!(codes.codes, [0, NULL_CODE, 2]);
        assert_eq!(SmallInts::of([None, None].into_iter()), None);
        assert_eq!(SmallInts::of([Some(0), Some(2000)].into_iter()), None);
        assert_eq!(
            SmallInts::of([Some(i64::MIN), Some(i64::MAX)].into_iter()),
            None
        );
    }
}
