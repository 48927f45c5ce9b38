//! The periods of `trend.csv` against the window's life table (red team, round 2): a
//! period's life table pools the cells `(b, a)` with `b + a` in the period
//! (docs/methods.md §5.5), so where the periods cover the window's cells, as the lab's
//! `2012-2015, 2016-2019, 2020-2023` do, each age's events and at-risk count of the
//! window's life table in `cumulative_incidence.csv` are the sums of the periods'. A
//! margin of four rounded cumulative counts: where all four sit at the edges of their
//! rounding ranges it pins them. Events only: a life table's at-risk count is shown as
//! its pooled population rounded less a released count (docs/methods.md §7), not as
//! itself rounded, so the sums of the shown at-risk counts are no constraint on the
//! rounding ranges the other attacks read.

use super::curves::{Curve, curves_in};
use super::{Ctx, Found};
use crate::attack::cells::CurveKey;
use crate::attack::solver::Con;
use std::collections::BTreeMap;

/// Each age's events of a life table in `cumulative_incidence` are the sum of the same
/// curve's in the periods of `trend`.
pub fn margins(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let mut windows: BTreeMap<CurveKey, Curve> = BTreeMap::new();
    for (_, t) in folder.tables_named("cumulative_incidence") {
        for c in curves_in(t, "ci") {
            if c.key.estimator.starts_with("life-table") {
                windows.insert(c.key.clone(), c);
            }
        }
    }
    for (file, t) in folder.tables_named("trend") {
        let mut periods: BTreeMap<CurveKey, Vec<Curve>> = BTreeMap::new();
        for c in curves_in(t, "trend") {
            periods.entry(c.key.clone()).or_default().push(c);
        }
        for (key, parts) in &periods {
            let Some(window) = windows.get(key).filter(|_| parts.len() > 1) else {
                continue;
            };
            for p in &window.points {
                for column in ["events"] {
                    let Some(total) = ctx.var(&window.cell(p.age, column)) else {
                        continue;
                    };
                    let cells: Option<Vec<usize>> = parts
                        .iter()
                        .map(|c| ctx.var(&c.cell(p.age, column)))
                        .collect();
                    if let Some(parts) = cells {
                        out.push((
                            file.to_owned(),
                            Con::Sum {
                                total,
                                parts,
                                lo: 0,
                                hi: 0,
                            },
                        ));
                    }
                }
            }
        }
    }
    out
}
