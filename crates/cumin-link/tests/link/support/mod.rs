//! Helpers shared by the linkage integration tests.

#![allow(dead_code)]

pub mod truth;
