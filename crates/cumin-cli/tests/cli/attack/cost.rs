//! What disclosure control costs in accuracy: each released folder's curves at age 17
//! (before the 18th birthday) against the same run's exact ones (`--sdc none`).

use crate::attack::attacks::curves::{Point, curves_in};
use crate::attack::cells::CurveKey;
use crate::attack::folder::{Folder, has_ext};
use std::collections::BTreeMap;

/// One (stratification, estimator)'s cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Curves estimated at 17.
    pub curves: usize,
    /// Of them, withheld at 17 (too few events in all for one step).
    pub withheld: usize,
    /// Mean absolute difference of the released estimate from the exact one.
    pub mean_diff: f64,
    /// Greatest absolute difference.
    pub max_diff: f64,
    /// Mean half-width of the exact interval.
    pub exact_half: f64,
    /// Mean half-width of the released interval.
    pub released_half: f64,
    /// Share of released intervals that hold the exact estimate.
    pub holds_exact: f64,
}

fn at_17(f: &Folder, any: bool) -> BTreeMap<CurveKey, Point> {
    let tables: Vec<_> = if any {
        f.any_named("cumulative_incidence").collect()
    } else {
        f.tables_named("cumulative_incidence").collect()
    };
    tables
        .into_iter()
        .filter(|(n, _)| has_ext(n, "csv"))
        .flat_map(|(_, t)| curves_in(t, "ci"))
        .filter_map(|c| Some((c.key.clone(), *c.at(17)?)))
        .collect()
}

/// The cost of `released` against `none`, by (stratification, estimator).
pub fn cost(none: &Folder, released: &Folder) -> BTreeMap<(String, String), Cost> {
    let (exact, shown) = (at_17(none, true), at_17(released, false));
    let mut out: BTreeMap<(String, String), Cost> = BTreeMap::new();
    for (k, p) in &exact {
        let (Some(f), Some(lo), Some(hi)) = (p.f, p.lower, p.upper) else {
            continue;
        };
        let e = out
            .entry((k.stratum_var.clone(), k.estimator.clone()))
            .or_default();
        e.curves += 1;
        match shown.get(k).and_then(|q| Some((q.f?, q.lower?, q.upper?))) {
            None => e.withheld += 1,
            Some((g, gl, gu)) => {
                let d = (g - f).abs();
                e.mean_diff += d;
                e.max_diff = e.max_diff.max(d);
                e.exact_half += (hi - lo) / 2.0;
                e.released_half += (gu - gl) / 2.0;
                e.holds_exact += f64::from(u8::from(gl <= f && f <= gu));
            }
        }
    }
    for e in out.values_mut() {
        let n = (e.curves - e.withheld).max(1) as f64;
        e.mean_diff /= n;
        e.exact_half /= n;
        e.released_half /= n;
        e.holds_exact /= n;
    }
    out
}
