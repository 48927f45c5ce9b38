//! The one view every reader gives the cleaning rules: a batch of rows whose cells are
//! looked up by row and [`Column`].

use crate::error::CensusError;
use crate::normalise::{Quarantine, Raw};
use crate::schema::{Column, ResolvedHeaders};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, PrimitiveArray, StringArray};

/// A batch of rows, read cell by cell. `Sync` so rows can be cleaned in parallel.
pub(crate) trait Cells: Sync {
    /// Rows in the batch.
    fn len(&self) -> usize;
    /// The value of `column` in row `row` ([`Raw::Null`] if the file lacks the column).
    fn get(&self, row: usize, column: Column) -> Raw<'_>;
    /// Why a row cannot be read at all (e.g. a CSV line with the wrong number of
    /// fields, a blank line), if so: the quarantine reason and its detail.
    fn malformed(&self, _row: usize) -> Option<(Quarantine, String)> {
        None
    }
    /// `column` as a dictionary, when the batch holds it so.
    fn dictionary(&self, _column: Column) -> Option<Dictionary<'_>> {
        None
    }
}

/// A column held as a dictionary: each distinct value once, and a key per row.
pub(crate) struct Dictionary<'a> {
    /// Per row, the position of its value in `text` (null: no value).
    pub keys: &'a PrimitiveArray<Int32Type>,
    /// The values, shared by the batches of one Parquet row group (its identity tells
    /// whether a dictionary has been seen before).
    pub values: &'a ArrayRef,
    /// The values as text.
    pub text: &'a StringArray,
}

/// A file opened and checked, streaming batches of rows.
pub(crate) trait BatchSource {
    /// A batch, borrowing the source's buffers.
    type Batch<'s>: Cells
    where
        Self: 's;
    /// The file's headers, resolved to columns.
    fn headers(&self) -> &ResolvedHeaders;
    /// The next batch of at most `batch_size` rows, or `None` at the end.
    fn next_batch(&mut self, batch_size: usize) -> Result<Option<Self::Batch<'_>>, CensusError>;
    /// Rows the reader itself repaired, e.g. text that was not UTF-8 (counted per file).
    fn repaired_text(&self) -> u64 {
        0
    }
}

/// For each known column, its position in a file's fields (`None` when absent).
pub(crate) type Positions = [Option<usize>; Column::COUNT];

/// Positions of the known columns in `headers`, limited to the columns `wanted` says
/// are read, renumbered densely in file order when `dense` (a Parquet projection).
pub(crate) fn positions(
    headers: &ResolvedHeaders,
    wanted: &dyn Fn(Column) -> bool,
    dense: bool,
) -> Positions {
    let mut chosen: Vec<(usize, Column)> = headers
        .positions
        .iter()
        .filter(|(c, _)| wanted(**c))
        .map(|(c, p)| (*p, *c))
        .collect();
    chosen.sort_unstable();
    let mut out = [None; Column::COUNT];
    for (k, (p, c)) in chosen.into_iter().enumerate() {
        out[c.index()] = Some(if dense { k } else { p });
    }
    out
}
