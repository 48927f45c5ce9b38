//! `linkage.csv` (and the report's linkage table): shares beside the counts they divide.

use super::{Ctx, Found};
use crate::attack::cells::linkage_cell;
use crate::attack::folder::{Table, has_ext, html_table};
use crate::attack::solver::Con;

/// The numerator and denominator counts behind a share measure, where the denominator
/// is itself a measure of the table.
pub fn share_parts(measure: &str) -> Option<(String, String)> {
    if let Some(rest) = measure.strip_prefix("share_rows_with_pmr_census_") {
        return Some((
            format!("rows_with_pmr_census_{rest}"),
            format!("rows_census_{rest}"),
        ));
    }
    let rest = measure.strip_prefix("share_first_referrals_pmr_identified_age_")?;
    Some((
        format!("first_referrals_pmr_identified_age_{rest}"),
        format!("first_referrals_age_{rest}"),
    ))
}

/// A share shown to 17 digits beside its (rounded or withheld) denominator.
pub fn shares(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let mut rows: Vec<(String, String, String, f64)> = Vec::new();
    for (file, t) in folder.tables_named("linkage") {
        let (id, m, v) = (t.col("id_mode"), t.col("measure"), t.col("value"));
        for r in &t.rows {
            if let Some(x) = Table::num(r, v) {
                rows.push((file.to_owned(), r[id].clone(), r[m].clone(), x));
            }
        }
    }
    for (file, html) in folder.texts_where(|n| has_ext(n, "html")) {
        for r in html_table(html, "Linkage") {
            if let (3, Ok(x)) = (r.len(), r[2].parse::<f64>()) {
                rows.push((file.to_owned(), r[0].clone(), r[1].clone(), x));
            }
        }
    }
    let shown: std::collections::BTreeMap<(String, String, String), f64> = rows
        .iter()
        .map(|(f, i, m, x)| ((f.clone(), i.clone(), m.clone()), *x))
        .collect();
    for (file, id_mode, measure, share) in rows {
        let Some((num, den)) = share_parts(&measure) else {
            continue;
        };
        let value = |m: &str| {
            shown
                .get(&(file.clone(), id_mode.clone(), m.to_owned()))
                .copied()
        };
        if Con::from_shown(share, value(&num), value(&den)) {
            continue;
        }
        let n = ctx.var(&linkage_cell(&id_mode, &num));
        let d = ctx.var(&linkage_cell(&id_mode, &den));
        if let (Some(n), Some(d)) = (n, d) {
            out.push((file, Con::ratio(n, d, share)));
        }
    }
    out
}
