//! The CIN census as cumin reads it.
//!
//! This crate knows the National Pupil Database's Child in Need extract: its columns
//! ([`schema`]), how to read CSV and Parquet files of it ([`read`]), the cleaning rules
//! that turn what an extract holds into typed values ([`normalise`]), the normalised
//! table of rows ([`Episodes`]), and the [`Ledger`] that accounts for every input row.
//! It holds the one rule of age at a date ([`age`]) and the codes the rules name
//! ([`codes`]), but knows nothing about children as people (that is `cumin-link`) or
//! about birth cohorts (that is `cumin-cohort`).

pub mod age;
pub mod codes;
pub mod date;
pub mod episodes;
pub mod error;
pub mod interner;
pub mod ledger;
pub mod lookup;
pub mod normalise;
pub mod notes;
mod numbering;
pub mod profile;
pub mod progress;
pub mod read;
pub mod schema;
pub mod types;
pub mod years;

pub use age::{Age, JAY_BANDS, NOTIONAL_BIRTH_DAY, age_at};
pub use date::Date;
pub use episodes::{EpisodeRow, EpisodeRowOf, Episodes};
pub use error::CensusError;
pub use interner::{IdRef, Interner};
pub use ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
pub use lookup::LsoaLookup;
pub use normalise::values::{self, ValueMap};
pub use normalise::{
    CleaningRules, Exclusion, LaChildIdWithoutLa, Quarantine, ReasonSpelling, Rule,
};
pub use notes::Note;
pub use profile::Profile;
pub use progress::{NoProgress, Progress};
pub use read::table::{TextTable, read_text_table};
pub use read::{
    Extract, Format, OtherReasons, ReadOptions, SourceFile, expand_inputs, finish_deferred,
    read_csv_bytes, read_extract, read_extract_with_other_reasons,
};
pub use schema::{Column, ColumnMap};
pub use types::{CensusYear, ETHNICITY_CODES, Ethnicity, Outcome, Sex};
pub use years::CensusYearsUsed;
