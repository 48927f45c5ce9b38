//! The simulator's integration tests: its truth, migration, quirks, and extracts that cumin reads.

mod ingest;
mod mechanisms;
mod migration;
mod quirks;
mod support;
mod truth;
