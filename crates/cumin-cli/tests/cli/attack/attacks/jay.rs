//! The Jay et al. 2025 preset: `jay_counts.csv` holds the per-age counts of the same
//! three-cohort splice that `cumulative_incidence.csv` shows as rates.

use super::{Ctx, Found};
use crate::attack::cells::{COUNT_COLUMNS, cell_name};
use crate::attack::solver::Con;
use std::collections::BTreeMap;

/// The curve's events at age `a` are the design cohort's first events at `a` (at 0, with
/// the months before birth, age −1); the `preset` rule's corrected count is the count.
pub fn counts_vs_curve(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let cc = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "jay_counts")
        .expect("registered");
    let cr = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "jay_corrections")
        .expect("registered");
    for (file, t) in folder.tables_named("jay_counts") {
        let (m, a, o) = (t.col("mode"), t.col("age"), t.col("outcome"));
        // (mode, outcome, age) → cells
        let mut by_age: BTreeMap<(String, String, i32), Vec<String>> = BTreeMap::new();
        for r in &t.rows {
            let Ok(age) = r[a].parse::<i32>() else {
                continue;
            };
            by_age
                .entry((r[m].clone(), r[o].clone(), age.max(0)))
                .or_default()
                .push(cell_name(cc, t, r, "events"));
        }
        for ((mode, outcome, age), cells) in &by_age {
            let id_mode = if mode == "main" {
                "pmr-school-age"
            } else {
                "combined"
            };
            let curve =
                format!("ci/{outcome}/cohort-splice-unadjusted/{id_mode}/all/all/{age}/events");
            let Some(total) = ctx.var(&curve) else {
                continue;
            };
            let parts: Option<Vec<usize>> = cells.iter().map(|c| ctx.var(c)).collect();
            if let Some(parts) = parts {
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
    for (file, t) in folder.tables_named("jay_corrections") {
        let rule = t.col("rule");
        for r in t.rows.iter().filter(|r| r[rule] == "preset") {
            let key = format!(
                "jay/{}/{}/{}/{}/events",
                r[t.col("mode")],
                r[t.col("birth_year")],
                r[t.col("age")],
                r[t.col("outcome")]
            );
            let (Some(total), Some(part)) =
                (ctx.var(&key), ctx.var(&cell_name(cr, t, r, "corrected")))
            else {
                continue;
            };
            out.push((
                file.to_owned(),
                Con::Sum {
                    total,
                    parts: vec![part],
                    lo: 0,
                    hi: 0,
                },
            ));
        }
    }
    out
}
