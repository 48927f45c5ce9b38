//! A study end to end: runs on simulated extracts and hand-made fixtures, the Jay presets, linkage through the whole study, and truth recovery (slow: CUMIN_SLOW_TESTS=1).

mod end_to_end;
mod jay;
mod linkage;
mod support;
mod truth_recovery;
