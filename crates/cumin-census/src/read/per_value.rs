//! Columns cleaned once per value rather than once per cell: a dictionary's values (once
//! per dictionary), and per batch an integer column's values or an absent column's one
//! value; each table ends with a null's entry, so null cells are looked up too.

use super::cells::{Cells, Dictionary, Integers};
use crate::date::Date;
use crate::normalise::{self, Cleaned, Effect, Raw, RowContext, RuleCounts};
use crate::schema::Column;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, PrimitiveArray};
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

    /// Value `k`'s reading, its effect counted into `counts`; `None` (nothing counted)
    /// for a value cleaned row by row.
    // Per cell: left to `#[inline]`, `Once::get` was a call per cell and the read ~7%
    // slower (step R8).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn apply(&self, k: usize, column: Column, counts: &mut RuleCounts) -> Option<Cleaned> {
        let (cleaned, effect) = match &self.cleaned {
            Entries::Any(entries) => entries[k],
            Entries::Dates(entries) => {
                let e = entries[k];
                (Cleaned::Date(Date::from_bits(e >> 8)), e as u8)
            }
        };
        counts.apply(column, *self.effects.get(usize::from(effect))?);
        Some(cleaned)
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

/// For each column cleaned per value in a batch: a dictionary's keys and its values
/// cleaned, or a [`PerBatch`] column.
#[derive(Clone, Copy)]
pub(super) enum Once<'a> {
    Keys(&'a PrimitiveArray<Int32Type>, &'a Cleanings),
    Integers(Integers<'a>, i64, &'a Cleanings),
    Absent(&'a Cleanings),
}

impl Once<'_> {
    /// Row `i`'s value cleaned, its effect counted; `None` (nothing counted) when it is
    /// to be cleaned row by row. A null cell is looked up as the table's null: cleaned
    /// once too (step R9; until then cleaned cell by cell, a call to `Cells::get` and to
    /// `value` per null cell, and most date cells of an NPD extract are null).
    // Per cell: left to `#[inline]` it was a call per cell and the read ~7% slower
    // (step R8).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(super) fn get(self, i: usize, column: Column, counts: &mut RuleCounts) -> Option<Cleaned> {
        match self {
            Once::Keys(keys, t) => {
                let k = if keys.is_null(i) {
                    t.null
                } else {
                    keys.values()[i] as usize
                };
                t.apply(k, column, counts)
            }
            Once::Integers(ints, lo, t) => {
                let k = if ints.is_null(i) {
                    t.null
                } else {
                    (ints.value(i) - lo) as usize
                };
                t.apply(k, column, counts)
            }
            Once::Absent(t) => t.apply(t.null, column, counts),
        }
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
    for c in Column::ALL {
        let i = c.index();
        if let Some(d) = cells.dictionary(*c)
            && let Some(p) = &once[i]
        {
            table[i] = Some(Once::Keys(d.keys, &p.cleanings));
        } else {
            table[i] = match &per_batch[i] {
                Some(PerBatch::Integers(ints, lo, t)) => Some(Once::Integers(*ints, *lo, t)),
                Some(PerBatch::Absent(t)) => Some(Once::Absent(t)),
                None => None,
            };
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
