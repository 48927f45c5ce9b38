//! Per-row optional indices in four bytes: a row's child ([`RowChild`]) and a row's
//! episode ([`RowEpisode`]).
//!
//! An `Option<u32>` takes eight bytes; at England scale (20 M rows) a column of them is
//! 160 MB. These keep the index in a `u32` and mark "none" with `u32::MAX`, which no index
//! reaches (rows, episodes and children are numbered by `u32` and fewer than `u32::MAX`).
//! Read them with `get`, which gives the `Option` back; the sentinel stays inside.

/// A child: a connected component of the identifier graph, numbered from 0 in canonical
/// order (defined here, beside its packed form, and re-exported by [`crate::identity`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChildId(pub u32);

impl ChildId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The marker of "none".
const NONE: u32 = u32::MAX;

/// A row's child, if it has one (`Option<ChildId>` in four bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowChild(u32);

impl RowChild {
    /// No child: the row is not identified, or was dropped for a conflict.
    pub const NONE: RowChild = RowChild(NONE);

    /// `c` packed.
    ///
    /// # Panics
    /// In debug builds, if `c` is `ChildId(u32::MAX)` (no linkage numbers that many).
    pub fn new(c: Option<ChildId>) -> RowChild {
        match c {
            Some(c) => {
                debug_assert_ne!(c.0, NONE, "child number out of range");
                RowChild(c.0)
            }
            None => RowChild::NONE,
        }
    }

    /// The child.
    pub fn get(self) -> Option<ChildId> {
        (self.0 != NONE).then_some(ChildId(self.0))
    }

    /// Whether the row has a child.
    pub fn is_some(self) -> bool {
        self.0 != NONE
    }

    /// Whether the row has none.
    pub fn is_none(self) -> bool {
        self.0 == NONE
    }
}

impl From<Option<ChildId>> for RowChild {
    fn from(c: Option<ChildId>) -> RowChild {
        RowChild::new(c)
    }
}

impl std::fmt::Debug for RowChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// A row's episode in an [`crate::EpisodeSet`], if it joined one (`Option<u32>` in four
/// bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowEpisode(u32);

impl RowEpisode {
    /// No episode: the row has no child.
    pub const NONE: RowEpisode = RowEpisode(NONE);

    /// Episode `e`.
    ///
    /// # Panics
    /// In debug builds, if `e` is `u32::MAX`.
    pub fn some(e: u32) -> RowEpisode {
        debug_assert_ne!(e, NONE, "episode number out of range");
        RowEpisode(e)
    }

    /// `e` packed.
    pub fn new(e: Option<u32>) -> RowEpisode {
        e.map_or(RowEpisode::NONE, RowEpisode::some)
    }

    /// The episode.
    pub fn get(self) -> Option<u32> {
        (self.0 != NONE).then_some(self.0)
    }

    /// Whether the row joined an episode.
    pub fn is_some(self) -> bool {
        self.0 != NONE
    }
}

impl From<Option<u32>> for RowEpisode {
    fn from(e: Option<u32>) -> RowEpisode {
        RowEpisode::new(e)
    }
}

impl std::fmt::Debug for RowEpisode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// One bit a row, for per-row flags that are read rarely (a `Vec<bool>` takes a byte).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowBits {
    words: Vec<u64>,
    len: usize,
}

impl RowBits {
    /// The flags `bits`, packed.
    pub fn from_bools(bits: &[bool]) -> RowBits {
        let words = bits
            .chunks(64)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u64, |w, (k, &b)| w | (u64::from(b) << k))
            })
            .collect();
        RowBits {
            words,
            len: bits.len(),
        }
    }

    /// Row `row`'s flag.
    ///
    /// # Panics
    /// If `row` is out of range.
    pub fn get(&self, row: usize) -> bool {
        assert!(row < self.len, "row {row} of {}", self.len);
        self.words[row / 64] >> (row % 64) & 1 == 1
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of rows flagged.
    pub fn count_ones(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_indices_give_back_what_went_in_in_four_bytes() {
        assert_eq!(std::mem::size_of::<RowChild>(), 4);
        assert_eq!(std::mem::size_of::<RowEpisode>(), 4);
        for c in [
            None,
            Some(ChildId(0)),
            Some(ChildId(7)),
            Some(ChildId(u32::MAX - 1)),
        ] {
            let p = RowChild::new(c);
            assert_eq!(p.get(), c);
            assert_eq!(p.is_some(), c.is_some());
            assert_eq!(p.is_none(), c.is_none());
            assert_eq!(format!("{p:?}"), format!("{c:?}"));
        }
        for e in [None, Some(0), Some(3), Some(u32::MAX - 1)] {
            let p = RowEpisode::new(e);
            assert_eq!(p.get(), e);
            assert_eq!(p.is_some(), e.is_some());
            assert_eq!(format!("{p:?}"), format!("{e:?}"));
        }
        assert_ne!(RowChild::new(Some(ChildId(0))), RowChild::NONE);
        assert_ne!(RowEpisode::some(0), RowEpisode::NONE);
    }

    #[test]
    fn row_bits_hold_each_flag() {
        for n in [0usize, 1, 63, 64, 65, 130] {
            let bools: Vec<bool> = (0..n).map(|i| i % 3 == 0 || i == 64).collect();
            let bits = RowBits::from_bools(&bools);
            assert_eq!(bits.len(), n);
            assert_eq!(bits.is_empty(), n == 0);
            for (i, &b) in bools.iter().enumerate() {
                assert_eq!(bits.get(i), b, "row {i} of {n}");
            }
            assert_eq!(
                bits.count_ones(),
                bools.iter().filter(|b| **b).count() as u64
            );
        }
    }
}
