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
    if n == 0 || n > 19 {
        return None;
    }
    // One pass without a branch per digit (whether a digit is a letter is as good as
    // random in a PMR): both readings, and what the digits hold.
    let (mut decimal, mut hex, mut held, mut letters) = (0u64, 0u64, 0u8, false);
    for d in digits {
        let x = HEX_DIGIT[usize::from(*d)];
        held |= x;
        letters |= x >= 10;
        let x = x & 15;
        decimal = decimal.wrapping_mul(10).wrapping_add(u64::from(x));
        hex = hex << 4 | u64::from(x);
    }
    if held & NOT_HEX != 0 {
        return None;
    }
    let format = |hex: u128| (prefix << 6 | hex << 5 | n as u128) << 32;
    if !letters {
        // At most 19 decimal digits: below 2^64.
        return Some(u128::from(decimal) << 64 | format(0));
    }
    (n <= 16).then(|| u128::from(hex) << 64 | format(1))
}

/// A byte's value as an upper-case hexadecimal digit, or [`NOT_HEX`].
const HEX_DIGIT: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 16 {
        let c = if i < 10 { b'0' + i } else { b'A' + i - 10 };
        t[c as usize] = i;
        i += 1;
    }
    t
};

/// Marks a byte that is no hexadecimal digit (bits no digit's value has).
const NOT_HEX: u8 = 0xF0;

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
        // The order of `keyed.par_sort_unstable()` (entries differ by row; step R7).
        sort_by_buckets(&mut keyed, &|&[high, low, _]: &[u32; 3]| {
            u64::from(high) << 32 | u64::from(low)
        });
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
        // `f.0` differs between values: the order of sorting by it.
        sort_by_buckets(&mut firsts, &|f: &(u64, u64)| f.0);
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

/// Below this many entries [`sort_by_buckets`] sorts by comparison.
const BUCKETED: usize = 1 << 12;

/// Buckets a pass cuts a key range into: few enough that the places being filled (one
/// cache line each) stay in the first level cache.
const BUCKETS: usize = 256;

/// Sorts `v` (by `Ord`) into the order `v.par_sort_unstable()` gives. `key` must not
/// decrease with the order (`a <= b` implies `key(a) <= key(b)`). The entries are moved in
/// place into [`BUCKETS`] buckets of equal key ranges (a counting pass, then the cycles of
/// an in-place permutation: no second buffer), and each bucket is sorted the same way, in
/// parallel, down to buckets of a few thousand entries, sorted by comparison. Equal entries
/// are alike, so the result is one vector whatever the path or the threads.
pub(crate) fn sort_by_buckets<T, K>(v: &mut [T], key: &K)
where
    T: Ord + Copy + Send + Sync,
    K: Fn(&T) -> u64 + Sync,
{
    sort_by_buckets_from(v, key, BUCKETED);
}

/// [`sort_by_buckets`] with the length from which buckets are used.
fn sort_by_buckets_from<T, K>(v: &mut [T], key: &K, bucketed: usize)
where
    T: Ord + Copy + Send + Sync,
    K: Fn(&T) -> u64 + Sync,
{
    let n = v.len();
    let (min, max) = v.iter().fold((u64::MAX, 0), |(lo, hi), e| {
        (lo.min(key(e)), hi.max(key(e)))
    });
    if n < bucketed.max(2) || min == max {
        if n >= 1 << 16 {
            v.par_sort_unstable();
        } else {
            v.sort_unstable();
        }
        return;
    }
    // The key range cut into parts of 2^shift keys, at most `BUCKETS` of them.
    let bits = BUCKETS.ilog2();
    let shift = (u64::BITS - (max - min).leading_zeros()).saturating_sub(bits);
    let bucket = |e: &T| ((key(e) - min) >> shift) as usize;
    let mut ends = [0usize; BUCKETS];
    for e in &*v {
        ends[bucket(e)] += 1;
    }
    let mut total = 0;
    for end in &mut ends {
        total += *end;
        *end = total;
    }
    // The next place to fill in each bucket.
    let mut next = [0usize; BUCKETS];
    next[1..].copy_from_slice(&ends[..BUCKETS - 1]);
    for b in 0..BUCKETS {
        while next[b] < ends[b] {
            let mut e = v[next[b]];
            loop {
                let t = bucket(&e);
                if t == b {
                    break;
                }
                std::mem::swap(&mut e, &mut v[next[t]]);
                next[t] += 1;
            }
            v[next[b]] = e;
            next[b] += 1;
        }
    }
    let mut parts = Vec::with_capacity(BUCKETS);
    let mut rest = v;
    let mut start = 0;
    for &end in &ends {
        let (part, tail) = rest.split_at_mut(end - start);
        rest = tail;
        start = end;
        if part.len() > 1 {
            parts.push(part);
        }
    }
    parts
        .into_par_iter()
        .for_each(|part| sort_by_buckets_from(part, key, bucketed));
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
            "9999999999999999999",
            "000000000000000A",
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
            "0123456789ABCDEF0",
            "P0123456789ABCDEF0",
            "P12G",
            "\u{0}",
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

    /// Entries with keys spread widely, narrowly, all equal, or clustered at both ends of
    /// the range (most entries in two buckets), and few distinct so that keys repeat.
    fn entries() -> impl Strategy<Value = Vec<(u64, u32)>> {
        let key = prop_oneof![
            any::<u64>(),
            0u64..40,
            Just(7u64),
            prop_oneof![0u64..3, (u64::MAX - 3)..=u64::MAX],
        ];
        proptest::collection::vec((key, 0u32..5), 0..600)
    }

    proptest! {
        /// Sorting by buckets gives the vector a full sort gives, with the buckets used
        /// from any length (the production threshold is 2^16 entries).
        #[test]
        fn sorting_by_buckets_equals_sorting(
            mut v in entries(),
            bucketed in prop_oneof![Just(0usize), 1usize..40, Just(BUCKETED)],
        ) {
            let mut sorted = v.clone();
            sorted.sort_unstable();
            sort_by_buckets_from(&mut v, &|e: &(u64, u32)| e.0, bucketed);
            prop_assert_eq!(v, sorted);
        }

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
