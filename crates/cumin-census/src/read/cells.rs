//! The one view every reader gives the cleaning rules: a batch of rows whose cells are
//! looked up by row and [`Column`].

use crate::error::CensusError;
use crate::normalise::{Quarantine, Raw};
use crate::schema::{Column, ResolvedHeaders};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, Int8Array, Int16Array, Int32Array, Int64Array, PrimitiveArray, StringArray,
    UInt8Array, UInt16Array, UInt32Array,
};

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
    /// `column` as an integer column, when the batch holds it so: each cell is then
    /// [`Raw::Null`] or [`Raw::Int`] of [`Integers::value`].
    fn integers(&self, _column: Column) -> Option<Integers<'_>> {
        None
    }
    /// Whether every cell of `column` is [`Raw::Null`] because the file lacks the column
    /// (or its type is null).
    fn absent(&self, _column: Column) -> bool {
        false
    }
}

/// An integer column of a batch, by its type (every type whose values fit an `i64`).
#[derive(Clone, Copy)]
pub(crate) enum Integers<'a> {
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
}

macro_rules! each_integers {
    ($self:expr, |$a:ident| $e:expr) => {
        match $self {
            Integers::I8($a) => $e,
            Integers::I16($a) => $e,
            Integers::I32($a) => $e,
            Integers::I64($a) => $e,
            Integers::U8($a) => $e,
            Integers::U16($a) => $e,
            Integers::U32($a) => $e,
        }
    };
}

impl Integers<'_> {
    /// Whether row `i` holds no value.
    // Called per cell from `Once::get`: a call there cost ~7% of the read (step R8).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(crate) fn is_null(self, i: usize) -> bool {
        each_integers!(self, |a| a.is_null(i))
    }

    /// Row `i`'s value (meaningless where [`Integers::is_null`]).
    // As `is_null`; `i64::from` is the identity for `I64`, which the macro's arms share.
    #[allow(clippy::inline_always, clippy::useless_conversion)]
    #[inline(always)]
    pub(crate) fn value(self, i: usize) -> i64 {
        each_integers!(self, |a| i64::from(a.values()[i]))
    }

    /// The smallest and largest value of the batch's slots (null slots included: their
    /// values are whatever the writer left), `None` for an empty batch.
    // `i64::from` is the identity for `I64`, which the macro's arms share.
    #[allow(clippy::useless_conversion)]
    pub(crate) fn range(self) -> Option<(i64, i64)> {
        each_integers!(self, |a| {
            let v = a.values();
            let lo = v.iter().copied().min()?;
            let hi = v.iter().copied().max()?;
            Some((i64::from(lo), i64::from(hi)))
        })
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
