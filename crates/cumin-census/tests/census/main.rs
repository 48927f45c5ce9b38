//! The census crate's integration tests: reading and cleaning real files.

mod chunks;
mod ingest;
mod integrity;
mod mutations;
