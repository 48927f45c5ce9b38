//! A compact string pool for pseudonymised identifiers.
//!
//! An England-scale extract carries millions of distinct PMRs and LA child IDs; storing
//! them once, in one arena, and referring to them by a four-byte [`IdRef`] keeps the
//! episode table small and makes identifier comparisons integer comparisons.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::OnceLock;

/// A reference to a string held by an [`Interner`] (`Option<IdRef>` is four bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdRef(NonZeroU32);

impl IdRef {
    /// Zero-based index in insertion order.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// The reference to the `index`th string interned (zero-based).
    pub fn from_index(index: usize) -> IdRef {
        IdRef(NonZeroU32::new(u32::try_from(index + 1).expect("fewer than 2^32 strings")).unwrap())
    }
}

/// Interned strings, in insertion order.
#[derive(Clone, Default)]
pub struct Interner {
    bytes: Vec<u8>,
    ends: Vec<u64>,
    /// String → index, built on the first [`Interner::lookup`] or [`Interner::intern`]:
    /// a pool filled by the reader ([`IdPool`]) has none until asked for one.
    table: OnceLock<HashTable<u32>>,
    hasher: FxBuildHasher,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Interner {
    /// An empty pool.
    pub fn new() -> Interner {
        Interner::default()
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The string behind a reference.
    pub fn get(&self, id: IdRef) -> &str {
        // Only whole `&str`s are ever pushed, so every slice is valid UTF-8.
        std::str::from_utf8(self.get_bytes(id)).expect("interned strings are UTF-8")
    }

    /// The bytes of the string behind a reference: cheaper than [`Interner::get`] where
    /// only order or equality matter (UTF-8 byte order is the strings' code point order).
    pub fn get_bytes(&self, id: IdRef) -> &[u8] {
        let i = id.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The reference for `s`, if it has been interned.
    pub fn lookup(&self, s: &str) -> Option<IdRef> {
        let hash = self.hasher.hash_one(s.as_bytes());
        self.table()
            .find(hash, |&i| {
                self.get_bytes(IdRef::from_index(i as usize)) == s.as_bytes()
            })
            .map(|&i| IdRef::from_index(i as usize))
    }

    /// The string → index table, built from the strings if there is none yet.
    fn table(&self) -> &HashTable<u32> {
        self.table.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.len());
            let hash = |i: u32| {
                self.hasher
                    .hash_one(self.get_bytes(IdRef::from_index(i as usize)))
            };
            for i in 0..self.len() as u32 {
                table.insert_unique(hash(i), i, |&j| hash(j));
            }
            table
        })
    }

    /// Appends `s`, known not to be in the pool, without a table entry unless the pool
    /// already has a table ([`IdPool`] keeps its own).
    fn push_new(&mut self, s: &str) -> IdRef {
        if self.table.get().is_some() {
            return self.intern(s);
        }
        let index = self.ends.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.ends.push(self.bytes.len() as u64);
        IdRef::from_index(index)
    }

    /// Interns `s`, returning its reference (the existing one if already present).
    pub fn intern(&mut self, s: &str) -> IdRef {
        let hash = self.hasher.hash_one(s.as_bytes());
        self.table();
        let Self {
            bytes,
            ends,
            table,
            hasher,
        } = self;
        let table = table.get_mut().expect("the table was just built");
        let get = |i: u32| -> &[u8] {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            &bytes[start..ends[i] as usize]
        };
        if let Some(&i) = table.find(hash, |&i| get(i) == s.as_bytes()) {
            return IdRef::from_index(i as usize);
        }
        let index = u32::try_from(ends.len()).expect("fewer than 2^32 strings");
        bytes.extend_from_slice(s.as_bytes());
        ends.push(bytes.len() as u64);
        let rehash = |&i: &u32| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            hasher.hash_one(&bytes[start..ends[i] as usize])
        };
        table.insert_unique(hash, index, rehash);
        IdRef::from_index(index as usize)
    }

    /// Every string with its reference, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (IdRef, &str)> {
        (0..self.len()).map(|i| {
            let id = IdRef::from_index(i);
            (id, self.get(id))
        })
    }
}

/// An identifier that fits in 128 bits, as two halves: the text itself when it has at
/// most 15 bytes, or a letter and 15 to 28 upper-case hexadecimal digits (the NPD's and
/// the simulator's PMRs: a letter and digits) as the letter and the digits' value. The
/// length is part of the key and the two forms are told apart by the top bit, so two
/// texts have the same key only if they are equal.
fn packed_key(s: &[u8]) -> Option<(u64, u64)> {
    let n = s.len();
    if n <= 15 {
        let mut b = [0u8; 16];
        b[..n].copy_from_slice(s);
        b[15] = n as u8;
        let lo = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let hi = u64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
        return Some((hi, lo));
    }
    let (&letter, digits) = s.split_first()?;
    if n > 29 || !letter.is_ascii_alphabetic() {
        return None;
    }
    let mut value: u128 = 0;
    for &d in digits {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(v);
    }
    let top = (1u64 << 63) | ((n as u64) << 56) | (u64::from(letter) << 48);
    Some((top | (value >> 64) as u64, value as u64))
}

/// A hash of a packed key (two rounds of a folded 128-bit multiply).
fn key_hash((hi, lo): (u64, u64)) -> u64 {
    let fold = |x: u64, k: u64| {
        let m = u128::from(x) * u128::from(k);
        (m as u64) ^ ((m >> 64) as u64)
    };
    fold(fold(lo ^ 0x243f_6a88_85a3_08d3, 0x9e37_79b9_7f4a_7c15) ^ hi, 0xbf58_476d_1ce4_e5b9)
}

/// How an identifier stands in an [`IdPool`] before the serial step that numbers new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// The row has none.
    Missing,
    /// Already numbered.
    Known(IdRef),
    /// Not in the pool yet (or not when looked up): [`IdPool::intern`] it in row order.
    New,
}

/// An [`Interner`] being filled by the reader: identifiers that pack into 128 bits
/// ([`packed_key`]) are found by their key in a table that holds the key itself (no
/// string comparison, no access to the text), the rest by their text. Lookups take
/// `&self`, so a batch's rows are looked up on every thread and only identifiers not seen
/// before are interned, in row order: references are numbered in order of first
/// appearance, as [`Interner::intern`] numbers them.
#[derive(Default)]
pub(crate) struct IdPool {
    pool: Interner,
    packed: HashTable<(u64, u64, u32)>,
    other: HashTable<u32>,
}

impl IdPool {
    /// The reference of `s` if it is in the pool.
    pub(crate) fn lookup(&self, s: &str) -> Option<IdRef> {
        let i = match packed_key(s.as_bytes()) {
            Some(key) => {
                self.packed
                    .find(key_hash(key), |e| (e.0, e.1) == key)?
                    .2
            }
            None => *self.other.find(self.pool.hasher.hash_one(s.as_bytes()), |&i| {
                self.pool.get_bytes(IdRef::from_index(i as usize)) == s.as_bytes()
            })?,
        };
        Some(IdRef::from_index(i as usize))
    }

    /// What [`IdPool::resolve`] needs to know of an identifier, found without changing
    /// the pool.
    pub(crate) fn find(&self, s: Option<&str>) -> Found {
        match s {
            None => Found::Missing,
            Some(s) => self.lookup(s).map_or(Found::New, Found::Known),
        }
    }

    /// The reference of `s` as [`IdPool::find`] left it, interning it if it was new.
    pub(crate) fn resolve(&mut self, found: Found, s: Option<&str>) -> Option<IdRef> {
        match (found, s) {
            (Found::Known(id), _) => Some(id),
            (Found::New, Some(s)) => Some(self.intern(s)),
            _ => None,
        }
    }

    /// Interns `s` (the existing reference if already present).
    pub(crate) fn intern(&mut self, s: &str) -> IdRef {
        let next = u32::try_from(self.pool.len()).expect("fewer than 2^32 strings");
        let Self {
            pool,
            packed,
            other,
        } = self;
        let i = match packed_key(s.as_bytes()) {
            Some(key) => {
                match packed.entry(
                    key_hash(key),
                    |e| (e.0, e.1) == key,
                    |e| key_hash((e.0, e.1)),
                ) {
                    Entry::Occupied(e) => e.get().2,
                    Entry::Vacant(e) => {
                        e.insert((key.0, key.1, next));
                        next
                    }
                }
            }
            None => {
                let hasher = pool.hasher.clone();
                let text = |i: u32| pool.get_bytes(IdRef::from_index(i as usize));
                match other.entry(
                    hasher.hash_one(s.as_bytes()),
                    |&i| text(i) == s.as_bytes(),
                    |&i| hasher.hash_one(text(i)),
                ) {
                    Entry::Occupied(e) => *e.get(),
                    Entry::Vacant(e) => {
                        e.insert(next);
                        next
                    }
                }
            }
        };
        if i == next {
            pool.push_new(s);
        }
        IdRef::from_index(i as usize)
    }

    /// The interned strings; the lookup tables are dropped (the pool builds its own
    /// if it is ever asked to look up or intern).
    pub(crate) fn finish(self) -> Interner {
        self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn interns_once() {
        let mut p = Interner::new();
        let a = p.intern("A1");
        let b = p.intern("B1");
        assert_eq!(p.intern("A1"), a);
        assert_ne!(a, b);
        assert_eq!(p.get(b), "B1");
        assert_eq!(p.lookup("B1"), Some(b));
        assert_eq!(p.lookup("C1"), None);
        assert_eq!(p.len(), 2);
        assert_eq!(std::mem::size_of::<Option<IdRef>>(), 4);
    }

    #[test]
    fn packed_keys_tell_texts_apart() {
        let texts = [
            "",
            "0",
            "00",
            "A",
            "099012353",
            "99012353",
            "ABCDEFGHIJKLMNO",
            "P0000000000000000",
            "P000000000000000",
            "Q0000000000000000",
            "P00000000000000000",
            "P755C1F80411AAEAC",
            "PC90039E297CF7F8E",
            "PFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ];
        let keys: Vec<_> = texts.iter().map(|t| packed_key(t.as_bytes())).collect();
        for (t, k) in texts.iter().zip(&keys) {
            assert!(k.is_some(), "{t:?} packs");
        }
        for i in 0..keys.len() {
            for j in 0..i {
                assert_ne!(keys[i], keys[j], "{:?} {:?}", texts[i], texts[j]);
            }
        }
        for t in [
            "p755c1f80411aaeac",
            "P755C1F80411AAEAG",
            "0123456789012345",
            "PFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ] {
            assert_eq!(packed_key(t.as_bytes()), None, "{t:?}");
        }
    }

    proptest! {
        /// The reader's pool numbers strings as the interner does (first appearance),
        /// whether they pack or not, looked up first or interned straight away.
        #[test]
        fn an_id_pool_numbers_as_the_interner(
            words in proptest::collection::vec(
                "[a-z0-9]{0,3}|[0-9]{9,17}|[PQp][0-9A-Fa]{14,29}", 0..300),
            looked_up_first in proptest::collection::vec(any::<bool>(), 300),
        ) {
            let mut plain = Interner::new();
            let mut pool = IdPool::default();
            for (w, first) in words.iter().zip(&looked_up_first) {
                let seen = plain.lookup(w);
                let want = plain.intern(w);
                let got = if *first {
                    let found = pool.find(Some(w));
                    prop_assert_eq!(found, seen.map_or(Found::New, Found::Known));
                    pool.resolve(found, Some(w)).unwrap()
                } else {
                    pool.intern(w)
                };
                prop_assert_eq!(got, want);
                prop_assert_eq!(pool.lookup(w), Some(want));
            }
            let finished = pool.finish();
            prop_assert_eq!(finished.len(), plain.len());
            for (id, w) in plain.iter() {
                prop_assert_eq!(finished.get(id), w);
                prop_assert_eq!(finished.lookup(w), Some(id));
            }
            let mut finished = finished;
            prop_assert_eq!(finished.intern("not-a-word"), IdRef::from_index(plain.len()));
        }

        #[test]
        fn behaves_like_a_map(words in proptest::collection::vec("[a-z0-9]{0,6}", 0..300)) {
            let mut p = Interner::new();
            let mut reference = std::collections::HashMap::new();
            for w in &words {
                let id = p.intern(w);
                let expected = *reference.entry(w.clone()).or_insert(id);
                prop_assert_eq!(id, expected);
                prop_assert_eq!(p.get(id), w.as_str());
            }
            prop_assert_eq!(p.len(), reference.len());
        }
    }
}
