//! The episode table: every usable census row, normalised, column by column.
//!
//! One row per input row that survived ingest, in input order (file, then row). Rows of
//! the same episode in different census years are still separate here; `cumin-link`
//! joins them. Identifiers are interned ([`Interner`]) so the table holds four-byte
//! references, and optional dates take four bytes ([`Date`]).

use crate::date::Date;
use crate::interner::{IdRef, Interner};
use crate::ledger::FileIndex;
use crate::types::{CensusYear, Ethnicity, Sex};

macro_rules! episode_columns {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty ),* $(,)?) => {
        /// One normalised census row, as pushed into [`Episodes`]; `S` holds the
        /// identifiers (`String`, or a `Cow<str>` borrowed from a batch while reading).
        #[derive(Clone, Debug, PartialEq)]
        pub struct EpisodeRowOf<S> {
            /// LA child ID as written (trimmed, empty = missing).
            pub la_child_id: Option<S>,
            /// Pupil matching reference as written (trimmed, empty = missing).
            pub pmr: Option<S>,
            $( $(#[$doc])* pub $field: $ty, )*
        }

        /// Normalised census rows, stored by column.
        #[derive(Clone, Debug, Default)]
        pub struct Episodes {
            /// Pool of LA child IDs.
            pub la_child_ids: Interner,
            /// Pool of PMRs.
            pub pmrs: Interner,
            /// LA child ID of each row.
            pub la_child_id: Vec<Option<IdRef>>,
            /// PMR of each row.
            pub pmr: Vec<Option<IdRef>>,
            $( $(#[$doc])* pub $field: Vec<$ty>, )*
        }

        impl Episodes {
            /// Appends one row, interning its identifiers (no allocation for one
            /// already seen).
            pub fn push<S: AsRef<str>>(&mut self, row: EpisodeRowOf<S>) {
                let la_child_id = row.la_child_id.as_ref().map(|s| self.la_child_ids.intern(s.as_ref()));
                let pmr = row.pmr.as_ref().map(|s| self.pmrs.intern(s.as_ref()));
                self.la_child_id.push(la_child_id);
                self.pmr.push(pmr);
                $( self.$field.push(row.$field); )*
            }

            /// Sets every column but the identifiers to `len` rows, new rows holding
            /// `fill`'s values (the reader writes rows in place, [`RowSlots`], and numbers
            /// the identifiers after the last row).
            pub(crate) fn resize_without_identifiers<S>(&mut self, len: usize, fill: &EpisodeRowOf<S>) {
                $( self.$field.resize(len, fill.$field.clone()); )*
            }

            /// Moves rows `from` down to start at row `to` (`to <= from.start`), in every
            /// column but the identifiers.
            pub(crate) fn move_rows_without_identifiers(&mut self, from: std::ops::Range<usize>, to: usize) {
                $( self.$field.copy_within(from.clone(), to); )*
            }

            /// Rows `range` of every column but the identifiers, to be written in place.
            pub(crate) fn slots(&mut self, range: std::ops::Range<usize>) -> RowSlots<'_> {
                RowSlots { $( $field: &mut self.$field[range.clone()], )* }
            }
        }

        /// Rows of an [`Episodes`]' columns (but the identifiers) borrowed for writing, so
        /// that parts of a batch can be written on several threads.
        pub(crate) struct RowSlots<'a> {
            $( $field: &'a mut [$ty], )*
        }

        impl<'a> RowSlots<'a> {
            /// Rows held.
            pub(crate) fn len(&self) -> usize {
                self.census_year.len()
            }

            /// The first `mid` rows and the rest.
            pub(crate) fn split_at(self, mid: usize) -> (RowSlots<'a>, RowSlots<'a>) {
                $( let $field = self.$field.split_at_mut(mid); )*
                (
                    RowSlots { $( $field: $field.0, )* },
                    RowSlots { $( $field: $field.1, )* },
                )
            }

            /// Writes `row` (not its identifiers) as row `i`.
            pub(crate) fn set<S>(&mut self, i: usize, row: EpisodeRowOf<S>) {
                $( self.$field[i] = row.$field; )*
            }
        }

        impl Episodes {

            /// Row `i` as an owned [`EpisodeRow`] (identifiers looked up).
            pub fn row(&self, i: usize) -> EpisodeRow {
                EpisodeRow {
                    la_child_id: self.la_child_id[i].map(|r| self.la_child_ids.get(r).to_owned()),
                    pmr: self.pmr[i].map(|r| self.pmrs.get(r).to_owned()),
                    $( $field: self.$field[i].clone(), )*
                }
            }

            /// Makes room for `additional` more rows in every column where memory allows
            /// (the reader knows a Parquet file's rows from its footer: no column grows
            /// by doubling); a column that cannot get the room grows as rows come.
            pub fn reserve(&mut self, additional: usize) {
                let _ = self.la_child_id.try_reserve_exact(additional);
                let _ = self.pmr.try_reserve_exact(additional);
                $( let _ = self.$field.try_reserve_exact(additional); )*
            }

            /// Keeps the rows for which `keep` is true, in order.
            pub fn retain_rows(&mut self, keep: &[bool]) {
                assert_eq!(keep.len(), self.len());
                retain(&mut self.la_child_id, keep);
                retain(&mut self.pmr, keep);
                $( retain(&mut self.$field, keep); )*
            }

            /// Appends all rows of `other`, re-interning its identifiers.
            pub fn append(&mut self, other: Episodes) {
                for r in &other.la_child_id {
                    let id = r.map(|r| self.la_child_ids.intern(other.la_child_ids.get(r)));
                    self.la_child_id.push(id);
                }
                for r in &other.pmr {
                    let id = r.map(|r| self.pmrs.intern(other.pmrs.get(r)));
                    self.pmr.push(id);
                }
                $( self.$field.extend(other.$field); )*
            }
        }
    };
}

episode_columns! {
    /// Input file the row came from.
    file: FileIndex,
    /// Data row number within that file (1-based, header not counted).
    source_row: u32,
    /// Census year of the row.
    census_year: CensusYear,
    /// Local authority code.
    la: Option<u16>,
    /// Recorded sex.
    sex: Option<Sex>,
    /// Recorded ethnicity.
    ethnicity: Option<Ethnicity>,
    /// Month of birth, 1-12.
    birth_month: Option<u8>,
    /// Year of birth.
    birth_year: Option<i16>,
    /// Expected date of birth (unborn children).
    expected_dob: Option<Date>,
    /// Referral date (after cleaning and, if flagged, imputation).
    referral: Option<Date>,
    /// Whether `referral` was imputed (1 September of the census year).
    referral_imputed: bool,
    /// Closure date.
    closure: Option<Date>,
    /// Whether `closure` was before the referral and set to it.
    closure_repaired: bool,
    /// Referral closed with no further action; `None` when not recorded.
    nfa: Option<bool>,
    /// Reason for closure, `RC1`..`RC9` as 1..9.
    reason_for_closure: Option<u8>,
    /// Primary need, `N0`..`N9` as 0..9.
    primary_need: Option<u8>,
    /// Assessment start.
    assessment_start: Option<Date>,
    /// Section 47 enquiry start.
    s47_start: Option<Date>,
    /// Initial child protection conference.
    initial_cpc: Option<Date>,
    /// Child protection plan start.
    cpp_start: Option<Date>,
    /// Child protection plan end.
    cpp_end: Option<Date>,
    /// IDACI decile, 1 = most deprived.
    idaci_decile: Option<u8>,
}

fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}

impl Episodes {
    /// An empty table.
    pub fn new() -> Episodes {
        Episodes::default()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.census_year.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.census_year.is_empty()
    }

    /// The last census year present (the extract's data end is its 31 March).
    pub fn last_census_year(&self) -> Option<CensusYear> {
        self.census_year.iter().copied().max()
    }

    /// The first census year present.
    pub fn first_census_year(&self) -> Option<CensusYear> {
        self.census_year.iter().copied().min()
    }

    /// The LA child ID string of row `i`.
    pub fn la_child_id_str(&self, i: usize) -> Option<&str> {
        self.la_child_id[i].map(|r| self.la_child_ids.get(r))
    }

    /// The PMR string of row `i`.
    pub fn pmr_str(&self, i: usize) -> Option<&str> {
        self.pmr[i].map(|r| self.pmrs.get(r))
    }

    /// The LA child ID of row `i` as bytes (for ordering: same order as the strings).
    pub fn la_child_id_bytes(&self, i: usize) -> Option<&[u8]> {
        self.la_child_id[i].map(|r| self.la_child_ids.get_bytes(r))
    }

    /// The PMR of row `i` as bytes (for ordering: same order as the strings).
    pub fn pmr_bytes(&self, i: usize) -> Option<&[u8]> {
        self.pmr[i].map(|r| self.pmrs.get_bytes(r))
    }
}

/// A normalised row owning its identifiers.
pub type EpisodeRow = EpisodeRowOf<String>;

impl<S> EpisodeRowOf<S> {
    /// A row with only its place and census year set; everything else missing.
    pub fn empty(file: FileIndex, source_row: u32, census_year: CensusYear) -> EpisodeRowOf<S> {
        EpisodeRowOf {
            la_child_id: None,
            pmr: None,
            file,
            source_row,
            census_year,
            la: None,
            sex: None,
            ethnicity: None,
            birth_month: None,
            birth_year: None,
            expected_dob: None,
            referral: None,
            referral_imputed: false,
            closure: None,
            closure_repaired: false,
            nfa: None,
            reason_for_closure: None,
            primary_need: None,
            assessment_start: None,
            s47_start: None,
            initial_cpc: None,
            cpp_start: None,
            cpp_end: None,
            idaci_decile: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_retain_append() {
        let mut e = Episodes::new();
        for (i, id) in ["A", "B", "A"].iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(2013));
            r.la_child_id = Some((*id).to_owned());
            r.la = Some(202);
            e.push(r);
        }
        assert_eq!(e.len(), 3);
        assert_eq!(e.la_child_ids.len(), 2);
        assert_eq!(e.la_child_id[0], e.la_child_id[2]);
        e.retain_rows(&[true, false, true]);
        assert_eq!(e.source_row, vec![1, 3]);
        assert_eq!(e.la_child_id_str(1), Some("A"));
        let mut f = Episodes::new();
        let mut r = EpisodeRow::empty(1, 1, CensusYear(2014));
        r.la_child_id = Some("B".into());
        f.push(r.clone());
        e.append(f);
        assert_eq!(e.len(), 3);
        assert_eq!(e.row(2), r);
        assert_eq!(e.last_census_year(), Some(CensusYear(2014)));
        let mut g = Episodes::new();
        g.reserve(1000);
        assert!(g.la_child_id.capacity() >= 1000 && g.idaci_decile.capacity() >= 1000);
        assert!(g.is_empty());
    }
}
