//! A compact string pool for pseudonymised identifiers.
//!
//! An England-scale extract carries millions of distinct PMRs and LA child IDs; storing
//! them once, in one arena, and referring to them by a four-byte [`IdRef`] keeps the
//! episode table small and makes identifier comparisons integer comparisons. The reader
//! numbers most identifiers without hashing them (`numbering.rs`) and hands the
//! strings over in order ([`Interner::from_ordered`]); the hash table is then built only
//! when something looks a string up.

use hashbrown::HashTable;
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

    /// The reference whose [`IdRef::index`] is `raw - 1`; `None` for 0.
    pub(crate) fn from_raw(raw: u32) -> Option<IdRef> {
        NonZeroU32::new(raw).map(IdRef)
    }
}

/// Interned strings, in insertion order.
#[derive(Clone, Default)]
pub struct Interner {
    bytes: Vec<u8>,
    ends: Vec<u64>,
    /// Index of every string by hash, built on first use after [`Interner::from_ordered`].
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

    /// The pool of distinct strings given in order, as interning them in this order makes
    /// it: their bytes one after another, and where each ends.
    pub(crate) fn from_ordered(bytes: Vec<u8>, ends: Vec<u64>) -> Interner {
        debug_assert!(ends.windows(2).all(|w| w[0] <= w[1]));
        debug_assert_eq!(ends.last().copied().unwrap_or(0), bytes.len() as u64);
        Interner {
            bytes,
            ends,
            table: OnceLock::new(),
            hasher: FxBuildHasher,
        }
    }

    /// The hash table, built from the strings if not yet.
    fn table(&self) -> &HashTable<u32> {
        self.table.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.len());
            for i in 0..self.len() {
                let hash = self.hasher.hash_one(self.get_bytes(IdRef::from_index(i)));
                table.insert_unique(hash, i as u32, |&j| {
                    self.hasher
                        .hash_one(self.get_bytes(IdRef::from_index(j as usize)))
                });
            }
            table
        })
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
        let get = |i: u32| -> &[u8] {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            &bytes[start..ends[i] as usize]
        };
        let table = table.get_mut().expect("built above");
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

    proptest! {
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
