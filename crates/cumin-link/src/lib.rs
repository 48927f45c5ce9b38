//! Child identity in the CIN census.
//!
//! One child can carry several LA child IDs (one per LA), a PMR on some rows only, and
//! an episode repeats in every census year it is open. This crate turns rows into
//! children ([`link`]: connected components of the identifier graph, by union-find, with
//! conflicting identifiers counted and handled by a [`ConflictPolicy`]) and rows into
//! episodes ([`deduplicate`]). It reads [`cumin_census::Episodes`] and knows nothing of
//! ages, cohorts or estimates.

pub mod canonical;
pub mod conflict;
pub mod dedup;
pub mod identity;
pub mod ids;
pub mod mode;
pub mod order;
pub mod packed;
pub mod rejoin;
pub mod transfer;
pub mod unionfind;

pub use conflict::ConflictKind;
pub use dedup::{
    ChildRows, DedupStats, Deduplicating, EpisodeSet, LateColumns, TakenColumns, deduplicate,
    deduplicate_grouped, deduplicate_keys,
};
pub use identity::{ChildId, IdIndex, LinkStats, Linkage, link, link_with};
pub use mode::{ConflictPolicy, IdMode, LinkOptions, LinkageMode};
pub use order::compare_rows;
pub use packed::{RowBits, RowChild, RowEpisode};
pub use rejoin::{rededuplicate, rededuplicate_joined};
pub use transfer::{
    ChildTraits, JoinedRows, Renumbering, TransferClosure, TransferInputs, TransferPair,
    TransferStats, join_pairs, merge_pairs, transfer_pairs,
};
pub use unionfind::UnionFind;
