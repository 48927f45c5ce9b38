//! The link crate's integration tests: properties of linkage, and linkage of simulated extracts against their true children.

mod properties;
mod simulated;
mod support;
