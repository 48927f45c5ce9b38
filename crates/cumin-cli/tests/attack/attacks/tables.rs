//! Attacks on single tables: counts shown unrounded, and rates beside their counts
//! (backward hazards, recurrence shares).

use super::{Ctx, Found};
use crate::cells::{COUNT_COLUMNS, cell_name, ledger_cell, linkage_cell, linkage_is_count};
use crate::folder::{Folder, Table, has_ext, html_table};
use crate::solver::{Con, Dom};

/// Every count a released file shows: (file, cell, value; `None` when blank).
pub fn shown_counts(folder: &Folder) -> Vec<(String, String, Option<f64>)> {
    let mut out = Vec::new();
    for cc in COUNT_COLUMNS {
        for (file, t) in folder.tables_named(cc.stem) {
            for row in &t.rows {
                for c in cc.counts {
                    out.push((
                        file.to_owned(),
                        cell_name(cc, t, row, c),
                        Table::num(row, t.col(c)),
                    ));
                }
            }
        }
    }
    for (file, t) in folder.tables_named("linkage") {
        let (id, m, v) = (t.col("id_mode"), t.col("measure"), t.col("value"));
        for row in t.rows.iter().filter(|r| linkage_is_count(&r[m])) {
            out.push((
                file.to_owned(),
                linkage_cell(&row[id], &row[m]),
                Table::num(row, v),
            ));
        }
    }
    for (file, html) in folder.texts_where(|n| has_ext(n, "html")) {
        for r in html_table(html, "Linkage") {
            if r.len() == 3 && linkage_is_count(&r[1]) {
                out.push((
                    file.to_owned(),
                    linkage_cell(&r[0], &r[1]),
                    r[2].parse().ok(),
                ));
            }
        }
        for r in html_table(html, "Ledger") {
            if r.len() == 3 {
                out.push((
                    file.to_owned(),
                    ledger_cell(&r[0], &r[1]),
                    r[2].parse().ok(),
                ));
            }
        }
    }
    out
}

/// A count shown off the profile's rounding grid is the count itself (a table the
/// profile skipped, the report's ledger, a file left by an earlier run).
pub fn unrounded(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    if ctx.hidden.round_to <= 1 {
        return out;
    }
    for (file, cell, shown) in shown_counts(ctx.folder) {
        let Some(x) = shown else { continue };
        if x.fract() == 0.0
            && (x as i64) % ctx.hidden.round_to != 0
            && let Some(v) = ctx.var(&cell)
        {
            out.push((file, Con::In(v, Dom::exactly(x as i64))));
        }
    }
    out
}

/// `correction_model.csv`: an observed backward hazard is `with_event / children`.
pub fn hazards(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let cc = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "correction_model")
        .expect("registered");
    for (file, t) in folder.tables_named("correction_model") {
        let (h, src) = (t.col("hazard"), t.col("source"));
        for row in t.rows.iter().filter(|r| r[src] == "observed") {
            let Some(q) = Table::num(row, h) else {
                continue;
            };
            let num = ctx.var(&cell_name(cc, t, row, "with_event"));
            let den = ctx.var(&cell_name(cc, t, row, "children"));
            if let (Some(n), Some(d)) = (num, den) {
                out.push((file.to_owned(), Con::ratio(n, d, q)));
            }
        }
    }
    out
}

/// `recurrence.csv`: `share = recurred / children`.
pub fn recurrence(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    let cc = COUNT_COLUMNS
        .iter()
        .find(|c| c.stem == "recurrence")
        .expect("registered");
    for (file, t) in folder.tables_named("recurrence") {
        let s = t.col("share");
        for row in &t.rows {
            let Some(q) = Table::num(row, s) else {
                continue;
            };
            let num = ctx.var(&cell_name(cc, t, row, "recurred"));
            let den = ctx.var(&cell_name(cc, t, row, "children"));
            if let (Some(n), Some(d)) = (num, den) {
                out.push((file.to_owned(), Con::ratio(n, d, q)));
            }
        }
    }
    out
}
