//! Columns cleaned once per value rather than once per cell: a dictionary's values (once
//! per dictionary), and per batch an integer column's values or an absent column's one
//! value; each table ends with a null's entry, so null cells are looked up too.

use super::cells::{Cells, Dictionary, Integers};
use crate::date::Date;
use crate::normalise::{self, Cleaned, Effect, Raw, RowContext, RuleCounts};
use crate::schema::Column;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, PrimitiveArray};
use std::cell::Cell;
use std::sync::Arc;

/// Values cleaned once each: per value its reading and what cleaning it counted. Looked
/// up once per row and column, so kept small (12 bytes a value, 4 for a date column, the
/// effects apart): the tables stay near the core.
pub(super) struct Cleanings {
    /// Per value, its reading and the index of its effect in `effects`; after the
    /// values, a null's (at `null`).
    cleaned: Entries,
    /// The index of a null's entry in `cleaned`.
    null: usize,
    /// The distinct effects of the values.
    effects: Vec<Effect>,
}

/// Per value of a [`Cleanings`], its reading and the index of its effect; [`ROW_BY_ROW`]
/// for a value counted row by row (see [`Effect`]) or null.
enum Entries {
    /// Any column's values.
    Any(Vec<(Cleaned, u8)>),
    /// A date column's values, each the date's [`Date::to_bits`] above the effect's index:
    /// a third of [`Entries::Any`]'s 12 bytes. Date columns have the largest dictionaries
    /// (~9 k values a row group, ten columns), whose look-ups missed the cache (step R9).
    Dates(Vec<u32>),
}

/// The effect index of a value cleaned row by row.
const ROW_BY_ROW: u8 = u8::MAX;

impl Cleanings {
    /// Cleans each of `values` (after the value map) as a cell of `column`, then a null
    /// ([`Raw::Null`], as [`Cells::get`] reads a null cell); `None`, a value left to be
    /// cleaned row by row.
    fn new<'v>(
        column: Column,
        values: impl Iterator<Item = Option<Raw<'v>>>,
        ctx: &RowContext<'_>,
    ) -> Cleanings {
        let mut scratch = RuleCounts::default();
        let mut effects: Vec<Effect> = Vec::new();
        let values = values.chain(std::iter::once(Some(Raw::Null)));
        let cleaned = values.map(|raw| {
            let row_by_row = (Cleaned::Flag(None), ROW_BY_ROW);
            let Some(raw) = raw else {
                return row_by_row;
            };
            scratch.reset();
            let raw = ctx.values.apply(column, raw);
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
        });
        // The null's entry is the last.
        let (cleaned, null) = if column.is_date() {
            let dates: Vec<u32> = cleaned
                .map(|(cleaned, effect)| match cleaned {
                    Cleaned::Date(d) if effect != ROW_BY_ROW => {
                        Date::to_bits(d) << 8 | u32::from(effect)
                    }
                    _ => u32::from(ROW_BY_ROW),
                })
                .collect();
            let null = dates.len() - 1;
            (Entries::Dates(dates), null)
        } else {
            let any: Vec<(Cleaned, u8)> = cleaned.collect();
            let null = any.len() - 1;
            (Entries::Any(any), null)
        };
        Cleanings {
            cleaned,
            null,
            effects,
        }
    }

    /// Value `k`'s reading, its effect tallied at `tally`'s `base` + the effect's index;
    /// `None` (nothing tallied) for a value cleaned row by row.
    // Per cell: left to `#[inline]`, `Once::get` was a call per cell and the read ~7%
    // slower (step R8).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn apply(&self, k: usize, tally: &Tally, base: usize) -> Option<Cleaned> {
        let (cleaned, effect) = match &self.cleaned {
            Entries::Any(entries) => entries[k],
            Entries::Dates(entries) => {
                let e = entries[k];
                (Cleaned::Date(Date::from_bits(e >> 8)), e as u8)
            }
        };
        let effect = usize::from(effect);
        if effect >= self.effects.len() {
            return None;
        }
        tally.add(base + effect);
        Some(cleaned)
    }
}

/// Per effect of each column cleaned once per value in a batch ([`OnceTable`]), the cells
/// of a chunk of rows that had it: counted by one increment per cell, added to the rule
/// counts once per effect when the chunk ends ([`Tally::count`]), instead of each cell's
/// effect applied to the counts in turn (a branch on whether the value is seen, null or
/// not as good as random, and one per rule; step R10). The counts are sums, so the order
/// does not change them.
pub(super) struct Tally(Vec<Cell<u32>>);

impl Tally {
    /// A tally for the effects of `once`, all zero.
    pub(super) fn new(once: &OnceTable<'_>) -> Tally {
        let len = once
            .iter()
            .flatten()
            .map(|o| o.base + o.table.effects.len())
            .max();
        Tally(vec![Cell::new(0); len.unwrap_or(0)])
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn add(&self, i: usize) {
        let c = &self.0[i];
        c.set(c.get() + 1);
    }

    /// Adds the tallied effects to `counts` (and sets the tally back to zero).
    pub(super) fn count(&self, once: &OnceTable<'_>, counts: &mut RuleCounts) {
        for (c, o) in Column::ALL.iter().zip(once) {
            let Some(o) = o else { continue };
            for (k, effect) in o.table.effects.iter().enumerate() {
                let n = self.0[o.base + k].replace(0);
                if n > 0 {
                    counts.apply_n(*c, *effect, u64::from(n));
                }
            }
        }
    }
}

/// A dictionary's values cleaned once each.
pub(super) struct Prepared {
    /// The dictionary's values (kept, so their identity cannot be reused).
    pub(super) values: ArrayRef,
    cleanings: Cleanings,
}

impl Prepared {
    pub(super) fn new(column: Column, d: &Dictionary<'_>, ctx: &RowContext<'_>) -> Prepared {
        let text = d.text;
        // A null value reads as a null cell does (`Cells::get`).
        let values = (0..text.len()).map(|k| {
            Some(if text.is_null(k) {
                Raw::Null
            } else {
                Raw::Text(text.value(k))
            })
        });
        Prepared {
            values: Arc::clone(d.values),
            cleanings: Cleanings::new(column, values, ctx),
        }
    }
}

/// Widest range of an integer column's values in a batch cleaned once per value.
pub(super) const INTEGER_SPAN: i64 = 4096;

/// A column of a batch cleaned per value without a dictionary: an integer column whose
/// values span at most [`INTEGER_SPAN`] (each value from the smallest cleaned once), or a
/// column the file lacks (its one value, null, cleaned once).
pub(super) enum PerBatch<'a> {
    Integers(Integers<'a>, i64, Cleanings),
    Absent(Cleanings),
}

impl<'a> PerBatch<'a> {
    fn new<C: Cells>(column: Column, cells: &'a C, ctx: &RowContext<'_>) -> Option<PerBatch<'a>> {
        if cells.absent(column) {
            let none = std::iter::empty();
            return Some(PerBatch::Absent(Cleanings::new(column, none, ctx)));
        }
        let ints = cells.integers(column)?;
        let (lo, hi) = ints.range()?;
        if hi.checked_sub(lo)? >= INTEGER_SPAN {
            return None;
        }
        let values = (lo..=hi).map(|v| Some(Raw::Int(v)));
        Some(PerBatch::Integers(
            ints,
            lo,
            Cleanings::new(column, values, ctx),
        ))
    }
}

/// For each column cleaned per value in a batch: its values' cleanings, where its cells'
/// effects are tallied in a [`Tally`], and its cells: a dictionary's keys or a
/// [`PerBatch`] column.
#[derive(Clone, Copy)]
pub(super) struct Once<'a> {
    cells: OnceCells<'a>,
    table: &'a Cleanings,
    /// The first of the column's places in the [`Tally`], one per effect of `table`.
    base: usize,
}

/// The cells of a [`Once`] column.
#[derive(Clone, Copy)]
enum OnceCells<'a> {
    Keys(&'a PrimitiveArray<Int32Type>),
    Integers(Integers<'a>, i64),
    Absent,
}

impl Once<'_> {
    /// Row `i`'s value cleaned, its effect tallied; `None` (nothing tallied) when it is
    /// to be cleaned row by row. A null cell is looked up as the table's null: cleaned
    /// once too (step R9; until then cleaned cell by cell, a call to `Cells::get` and to
    /// `value` per null cell, and most date cells of an NPD extract are null).
    // Per cell: left to `#[inline]` it was a call per cell and the read ~7% slower
    // (step R8).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(super) fn get(self, i: usize, tally: &Tally) -> Option<Cleaned> {
        let t = self.table;
        // The slot's value is read whether or not the cell is null (a null slot holds
        // some value: keys of any kind, integers within the batch's range), then one of
        // the two chosen, so that a null, as good as random, needs no branch.
        let k = match self.cells {
            OnceCells::Keys(keys) => {
                let key = keys.values()[i] as usize;
                if keys.is_null(i) { t.null } else { key }
            }
            OnceCells::Integers(ints, lo) => {
                let value = ints.value(i).wrapping_sub(lo) as usize;
                if ints.is_null(i) { t.null } else { value }
            }
            OnceCells::Absent => t.null,
        };
        t.apply(k, tally, self.base)
    }
}

pub(super) type OnceTable<'a> = [Option<Once<'a>>; Column::COUNT];

/// The [`OnceTable`] of a batch whose dictionaries `Ingest::prepare` has cleaned, with
/// its [`PerBatch`] columns.
pub(super) fn once_table<'s, C: Cells>(
    once: &'s [Option<Prepared>],
    per_batch: &'s [Option<PerBatch<'s>>],
    cells: &'s C,
) -> OnceTable<'s> {
    let mut table: OnceTable<'s> = [None; Column::COUNT];
    let mut base = 0;
    for c in Column::ALL {
        let i = c.index();
        let found = if let Some(d) = cells.dictionary(*c)
            && let Some(p) = &once[i]
        {
            Some((OnceCells::Keys(d.keys), &p.cleanings))
        } else {
            match &per_batch[i] {
                Some(PerBatch::Integers(ints, lo, t)) => Some((OnceCells::Integers(*ints, *lo), t)),
                Some(PerBatch::Absent(t)) => Some((OnceCells::Absent, t)),
                None => None,
            }
        };
        if let Some((cells, t)) = found {
            table[i] = Some(Once {
                cells,
                table: t,
                base,
            });
            base += t.effects.len();
        }
    }
    table
}

/// The [`PerBatch`] columns of `cells`: the columns [`normalise::value`] cleans that the
/// batch does not hold as dictionaries.
pub(super) fn per_batch<'a, C: Cells>(
    cells: &'a C,
    ctx: &RowContext<'_>,
) -> Vec<Option<PerBatch<'a>>> {
    Column::ALL
        .iter()
        .map(|c| {
            let wanted = normalise::cleans_alone(*c) && cells.dictionary(*c).is_none();
            wanted.then(|| PerBatch::new(*c, cells, ctx)).flatten()
        })
        .collect()
}
