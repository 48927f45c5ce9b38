//! From batches of cells to the episode table: rows are cleaned in parallel chunks and
//! appended in file order, so the result does not depend on the number of threads.

use super::cells::Cells;
use crate::episodes::Episodes;
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::normalise::{
    self, CleanRow, Exclusion, LatestDates, Quarantine, RowContext, RuleCounts,
};
use crate::types::CensusYear;
use rayon::prelude::*;

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
}

enum Cleaned<'a> {
    Row(CleanRow<'a>),
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
        }
    }

    /// Cleans a batch whose first row is data row `first_row + 1` of `file`.
    pub(crate) fn batch<C: Cells>(&mut self, file: FileIndex, first_row: u64, cells: &C) {
        let len = cells.len();
        let ctx = self.ctx;
        let chunks: Vec<(Vec<Cleaned<'_>>, RuleCounts)> = if len <= CHUNK {
            vec![clean_chunk(cells, file, first_row, 0..len, &ctx)]
        } else {
            (0..len.div_ceil(CHUNK))
                .into_par_iter()
                .map(|k| {
                    clean_chunk(
                        cells,
                        file,
                        first_row,
                        k * CHUNK..len.min((k + 1) * CHUNK),
                        &ctx,
                    )
                })
                .collect()
        };
        for (rows, counts) in chunks {
            self.counts.merge(&counts);
            for r in rows {
                match r {
                    Cleaned::Row(r) => {
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
                        self.episodes.push(r.row);
                    }
                    Cleaned::Quarantined(row, reason, mut detail) => {
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
    file: FileIndex,
    first_row: u64,
    rows: std::ops::Range<usize>,
    ctx: &RowContext<'a>,
) -> (Vec<Cleaned<'a>>, RuleCounts) {
    let mut counts = RuleCounts::default();
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        let row_number = first_row + i as u64 + 1;
        counts.at_row(row_number);
        if let Some((reason, why)) = cells.malformed(i) {
            out.push(Cleaned::Quarantined(row_number, reason, why));
            continue;
        }
        // Rows past 2^32 keep the largest number; the ledger keeps the exact one.
        let source_row = u32::try_from(row_number).unwrap_or(u32::MAX);
        let get = |c| cells.get(i, c);
        out.push(
            match normalise::row(get, file, source_row, ctx, &mut counts) {
                Ok(r) => Cleaned::Row(r),
                Err((reason, detail)) => Cleaned::Quarantined(row_number, reason, detail),
            },
        );
    }
    (out, counts)
}
