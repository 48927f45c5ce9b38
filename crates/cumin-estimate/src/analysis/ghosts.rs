//! The split correction's ghosts of every outcome and stratification, found in parallel.

use crate::curves::{OutcomeYears, Strata};
use crate::frame::Frame;
use crate::split::{Ghosts, SplitCorrection};
use rayon::prelude::*;

/// The split correction's ghosts (`[outcome][stratification]`; empty without it), each
/// found on its own, in parallel: the same tables as found one after another.
pub(super) fn every_ghost(
    split: Option<&SplitCorrection>,
    years: &[OutcomeYears],
    strata: &[Strata],
    frame: &Frame,
) -> Vec<Vec<Option<Ghosts>>> {
    let Some(sc) = split else { return Vec::new() };
    let n = strata.len();
    let found: Vec<Ghosts> = (0..years.len() * n)
        .into_par_iter()
        .map(|i| sc.ghosts(i / n, i % n, &years[i / n], &strata[i % n], frame))
        .collect();
    let mut found = found.into_iter();
    (0..years.len())
        .map(|_| found.by_ref().take(n).map(Some).collect())
        .collect()
}
