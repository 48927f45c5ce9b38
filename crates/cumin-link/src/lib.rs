//! Child identity in the CIN census.
//!
//! One child can carry several LA child IDs (one per LA), a PMR on some rows only, and
//! an episode repeats in every census year it is open. This crate turns rows into
//! children ([`link`]: connected components of the identifier graph, by union-find) and
//! rows into episodes ([`deduplicate`]). It reads [`cumin_census::Episodes`] and knows
//! nothing of ages, cohorts or estimates.

pub mod dedup;
pub mod identity;
pub mod unionfind;

pub use dedup::{DedupStats, EpisodeSet, deduplicate};
pub use identity::{ChildId, IdMode, LinkStats, Linkage, link};
pub use unionfind::UnionFind;
