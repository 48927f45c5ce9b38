//! Identifiers numbered by first appearance without hashing every row (issue 20).
//!
//! PMRs and LA child IDs in an NPD extract have a fixed format: an optional capital letter
//! and digits. Such a value is read as an integer [`key`] while rows are cleaned (in
//! parallel); after the read, one parallel sort of `(key, row)` groups each value's rows,
//! and the values are numbered in order of their first row: the same [`IdRef`]s the
//! [`Interner`] gives when it interns every row in order, so everything downstream is
//! unchanged. Values of any other format (or keyed in another format than the column's
//! first key) go through an [`Interner`] as they come, and the two kinds are merged by
//! first row.

use crate::interner::{IdRef, Interner};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fixed-format identifier as an integer: bits 64.. the digits' value, bits 32..48 the
/// format (prefix letter 1–26 or 0, times 64; 32 if hexadecimal; the number of digits).
pub(crate) type Key = u128;

/// `s` as a [`Key`], if it is an optional capital letter followed by 1–19 decimal digits
/// or (with at least one of `A`–`F`) 1–16 upper-case hexadecimal digits. Each such string
/// has one key and [`write_text`] gives it back.
pub(crate) fn key(s: &str) -> Option<Key> {
    let s = s.as_bytes();
    let (prefix, digits) = match s.first()? {
        c @ b'A'..=b'Z' => (u128::from(c - b'A' + 1), &s[1..]),
        _ => (0, s),
    };
    let n = digits.len();
    if n == 0 {
        return None;
    }
    let format = |hex: u128| (prefix << 6 | hex << 5 | n as u128) << 32;
    if n <= 19 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits
            .iter()
            .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        return Some(u128::from(v) << 64 | format(0));
    }
    if n <= 16 {
        let mut v = 0u64;
        for d in digits {
            let x = match d {
                b'0'..=b'9' => d - b'0',
                b'A'..=b'F' => d - b'A' + 10,
                _ => return None,
            };
            v = v << 4 | u64::from(x);
        }
        return Some(u128::from(v) << 64 | format(1));
    }
    None
}

/// Appends the text whose [`key`] is `k` to `out`.
pub(crate) fn write_text(k: Key, out: &mut Vec<u8>) {
    let format = (k >> 32) as u16;
    let value = (k >> 64) as u64;
    let prefix = (format >> 6) as u8;
    if prefix > 0 {
        out.push(b'A' + prefix - 1);
    }
    let n = usize::from(format & 31);
    let start = out.len();
    out.resize(start + n, b'0');
    let (radix, mut v) = (if format & 32 == 0 { 10 } else { 16 }, value);
    for d in out[start..].iter_mut().rev() {
        let x = (v % radix) as u8;
        *d = if x < 10 { b'0' + x } else { b'A' + x - 10 };
        v /= radix;
    }
}

/// Tags the groups of [`Numbering::other`] in `Numbering::finish` (a bit above any group
/// index: fewer than 2^31 values).
const OTHER: u64 = 1 << 31;

/// The format bits of a [`Key`].
const FORMAT: Key = 0xFFFF_FFFF << 32;

/// One identifier column being read: the keyed rows, and the others interned.
#[derive(Default)]
pub(crate) struct Numbering {
    /// The format of the first key met: keys of this format are numbered by sort, those
    /// of any other format interned (one format needs no format bits per row: 12 bytes a
    /// row, not 16; an NPD column has one).
    format: Option<Key>,
    /// Per row with a key of `format`: the key's value (high and low 32 bits) and the row.
    keyed: Vec<[u32; 3]>,
    /// The values without a key of `format`, interned in row order.
    other: Interner,
    /// The first row of each value in `other`.
    other_first: Vec<u32>,
    /// Per row with such a value: the row and the value's index in `other`.
    other_rows: Vec<(u32, u32)>,
}

impl Numbering {
    /// Makes room for `rows` more keyed rows where memory allows (no growth by doubling).
    pub(crate) fn reserve(&mut self, rows: usize) {
        let _ = self.keyed.try_reserve_exact(rows);
    }

    /// Records the identifier of row `row` (rows come in increasing order): `key` is
    /// [`key`]`(text)`, computed by the caller. The first key met fixes the format.
    #[cfg(test)]
    pub(crate) fn push(&mut self, row: usize, text: &str, key: Option<Key>) {
        let row = u32::try_from(row).expect("fewer than 2^32 rows");
        if let Some(k) = key {
            self.choose_format(k);
        }
        match key.and_then(|k| Numbering::entry_in(self.format, k, row)) {
            Some(e) => self.keyed.push(e),
            None => self.push_other(row, text),
        }
    }

    /// The format numbered by sort: `k`'s, unless one is chosen already. Any choice
    /// gives the same numbers (values of other formats are interned, and both kinds are
    /// merged by first row), as long as it is made before the first row is recorded and
    /// kept: a value then takes the same path in every row.
    pub(crate) fn choose_format(&mut self, k: Key) {
        self.format.get_or_insert(k & FORMAT);
    }

    /// Whether a format is chosen.
    pub(crate) fn has_format(&self) -> bool {
        self.format.is_some()
    }

    /// The chosen format (see [`Numbering::choose_format`]).
    pub(crate) fn format(&self) -> Option<Key> {
        self.format
    }

    /// The entry of row `row` with key `k` when `k` has the chosen format (rows so entered
    /// go to [`Numbering::extend_keyed`]; the others to [`Numbering::push_other`]).
    pub(crate) fn entry_in(format: Option<Key>, k: Key, row: u32) -> Option<[u32; 3]> {
        (format == Some(k & FORMAT)).then_some([(k >> 96) as u32, (k >> 64) as u32, row])
    }

    /// Records rows' entries ([`Numbering::entry_in`]), their rows lowered by `shift`;
    /// rows come in increasing order, across calls and [`Numbering::push_other`].
    pub(crate) fn extend_keyed(&mut self, entries: &[[u32; 3]], shift: u32) {
        if shift == 0 {
            self.keyed.extend_from_slice(entries);
        } else {
            self.keyed
                .extend(entries.iter().map(|&[h, l, row]| [h, l, row - shift]));
        }
    }

    /// Records the identifier `text` of row `row`, which has no entry: interned.
    pub(crate) fn push_other(&mut self, row: u32, text: &str) {
        let id = self.other.intern(text).index();
        if id == self.other_first.len() {
            self.other_first.push(row);
        }
        self.other_rows.push((row, id as u32));
    }

    /// The pool of the values, numbered by first row, and each of `rows` rows' reference
    /// (`None` where no identifier was pushed).
    pub(crate) fn finish(self, rows: usize) -> (Interner, Vec<Option<IdRef>>) {
        let Numbering {
            format,
            mut keyed,
            other,
            other_first,
            other_rows,
        } = self;
        keyed.par_sort_unstable();
        // The groups of equal keys: where each starts, and its first row (the smallest).
        let starts: Vec<u32> = (0..keyed.len())
            .into_par_iter()
            .filter(|&i| i == 0 || keyed[i - 1][..2] != keyed[i][..2])
            .map(|i| i as u32)
            .collect();
        // (first row, group) of every value, groups of `other` tagged by the top bit, with
        // a keyed group's value beside it: the numbering below then reads the values in
        // order instead of looking each up in `keyed` (a cache miss per value).
        let mut firsts: Vec<(u64, u64)> = starts
            .par_iter()
            .enumerate()
            .map(|(g, &i)| {
                let [high, low, row] = keyed[i as usize];
                (
                    u64::from(row) << 32 | g as u64,
                    u64::from(high) << 32 | u64::from(low),
                )
            })
            .chain(
                other_first
                    .par_iter()
                    .enumerate()
                    .map(|(g, &r)| (u64::from(r) << 32 | OTHER | g as u64, 0)),
            )
            .collect();
        firsts.par_sort_unstable_by_key(|f| f.0);
        // Numbered in order of first row: the pool's strings, and each group's number.
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(firsts.len());
        let mut number_of_group = vec![0u32; starts.len()];
        let mut number_of_other = vec![0u32; other_first.len()];
        for (n, &(f, value)) in firsts.iter().enumerate() {
            let g = (f as u32 & !(OTHER as u32)) as usize;
            if f & OTHER == 0 {
                write_text(u128::from(value) << 64 | format.unwrap_or(0), &mut bytes);
                number_of_group[g] = n as u32;
            } else {
                bytes.extend_from_slice(other.get_bytes(IdRef::from_index(g)));
                number_of_other[g] = n as u32;
            }
            ends.push(bytes.len() as u64);
        }
        drop(firsts);
        // Each row's reference (index + 1; 0 for none), written group by group.
        let refs: Vec<AtomicU32> = (0..rows).map(|_| AtomicU32::new(0)).collect();
        let end = |g: usize| starts.get(g + 1).map_or(keyed.len(), |&i| i as usize);
        (0..starts.len())
            .into_par_iter()
            .with_min_len(1024)
            .for_each(|g| {
                for k in &keyed[starts[g] as usize..end(g)] {
                    refs[k[2] as usize].store(number_of_group[g] + 1, Ordering::Relaxed);
                }
            });
        for (row, id) in other_rows {
            refs[row as usize].store(number_of_other[id as usize] + 1, Ordering::Relaxed);
        }
        let refs = refs
            .into_iter()
            .map(|r| IdRef::from_raw(r.into_inner()))
            .collect();
        (Interner::from_ordered(bytes, ends), refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_read_the_fixed_formats_only() {
        for s in [
            "P0123456789ABCDEF",
            "123456789",
            "000000001",
            "0",
            "A1",
            "Z9999999999999999999",
            "FFFFFFFFFFFFFFFF",
            "C000000042",
        ] {
            let mut out = Vec::new();
            write_text(key(s).expect(s), &mut out);
            assert_eq!(out, s.as_bytes());
        }
        for s in [
            "",
            "P",
            "p123",
            "P12a",
            "12 3",
            "0x12",
            "12345678901234567890",
            "1é",
        ] {
            assert_eq!(key(s), None, "{s}");
        }
        assert_ne!(key("A12"), key("12"));
        assert_ne!(key("012"), key("12"));
        assert_ne!(key("10"), key("A"));
        assert_ne!(key("AB"), key("B"));
    }

    /// Identifiers of every kind: keyed (decimal, hexadecimal, with and without a
    /// prefix, leading zeros) and not, few distinct so that values repeat.
    fn identifier() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            1 => Just(None),
            4 => "[0-9]{1,3}".prop_map(Some),
            4 => "[A-C][0-9A-F]{1,2}".prop_map(Some),
            2 => "[a-c ][0-9]{0,2}".prop_map(Some),
            1 => "[0-9]{19,20}".prop_map(Some),
        ]
    }

    proptest! {
        /// Numbering by sort gives every row the reference, and the pool the strings, that
        /// interning each row in order gives.
        #[test]
        fn numbering_equals_interning_in_row_order(
            rows in proptest::collection::vec(identifier(), 0..400),
        ) {
            let mut interner = Interner::new();
            let expected: Vec<Option<IdRef>> =
                rows.iter().map(|s| s.as_deref().map(|s| interner.intern(s))).collect();
            let mut numbering = Numbering::default();
            for (row, s) in rows.iter().enumerate() {
                if let Some(s) = s {
                    numbering.push(row, s, key(s));
                }
            }
            let (pool, refs) = numbering.finish(rows.len());
            prop_assert_eq!(refs, expected);
            prop_assert_eq!(pool.len(), interner.len());
            for (id, s) in interner.iter() {
                prop_assert_eq!(pool.get(id), s);
                prop_assert_eq!(pool.lookup(s), Some(id));
            }
        }
    }
}
