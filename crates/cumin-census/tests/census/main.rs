//! The census crate's integration tests: reading and cleaning real files.

mod ingest;
mod integrity;
mod mutations;
