//! Attacks on single tables: counts shown unrounded, and rates beside their counts
//! (backward hazards, recurrence shares).

use super::{Ctx, Found};
use crate::attack::cells::{COUNT_COLUMNS, cell_name, ledger_cell, linkage_cell, linkage_is_count};
use crate::attack::folder::{Folder, Table, has_ext, html_table};
use crate::attack::solver::{Con, Dom};

/// Every count a released file shows: (file, cell, value; `None` when blank). A table of
/// the report is named `report.html#Heading`.
pub fn shown_counts(folder: &Folder) -> Vec<(String, String, Option<f64>)> {
    let mut out = Vec::new();
    for (file, curve) in super::curves::curves_of(folder) {
        for p in &curve.points {
            out.push((file.clone(), curve.events_cell(p), p.events));
            out.push((file.clone(), curve.cell(p.from, "at_risk"), p.at_risk));
        }
    }
    let curve_tables = super::curves::CURVE_TABLES.map(|(stem, _)| stem);
    for cc in COUNT_COLUMNS
        .iter()
        .filter(|c| !curve_tables.contains(&c.stem))
    {
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
                    format!("{file}#Linkage"),
                    linkage_cell(&r[0], &r[1]),
                    r[2].parse().ok(),
                ));
            }
        }
        for r in html_table(html, "Ledger") {
            if r.len() == 3 {
                out.push((
                    format!("{file}#Ledger"),
                    ledger_cell(&r[0], &r[1]),
                    r[2].parse().ok(),
                ));
            }
        }
    }
    out
}

/// A count shown off the profile's rounding grid is the count itself (a table the
/// profile skipped, the report's ledger, a file left by an earlier run); and a file with
/// one such count is unrounded throughout, so its counts on the grid are exact too.
pub fn unrounded(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let b = ctx.hidden.round_to;
    if b <= 1 {
        return out;
    }
    let off_grid = |x: f64| x.fract() == 0.0 && (x as i64) % b != 0;
    let shown = shown_counts(ctx.folder);
    let unrounded_files: std::collections::BTreeSet<&str> = shown
        .iter()
        .filter(|(_, _, x)| x.is_some_and(off_grid))
        .map(|(f, _, _)| f.as_str())
        .collect();
    for (file, cell, x) in &shown {
        let Some(x) = *x else { continue };
        let whole = x.fract() == 0.0;
        if whole
            && (off_grid(x) || unrounded_files.contains(file.as_str()))
            && let Some(v) = ctx.var(cell)
        {
            out.push((file.clone(), Con::In(v, Dom::exactly(x as i64))));
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
        let (k, n) = (t.col("recurred"), t.col("children"));
        for row in &t.rows {
            let Some(q) = Table::num(row, s) else {
                continue;
            };
            if Con::from_shown(q, Table::num(row, k), Table::num(row, n)) {
                continue;
            }
            let num = ctx.var(&cell_name(cc, t, row, "recurred"));
            let den = ctx.var(&cell_name(cc, t, row, "children"));
            if let (Some(n), Some(d)) = (num, den) {
                out.push((file.to_owned(), Con::ratio(n, d, q)));
            }
        }
    }
    out
}

/// The report's ledger: a file's parts (`used`, `quarantined:…`, `excluded:…`) add up to
/// its rows read, which the manifest states exactly.
pub fn ledger_margin(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let folder = ctx.folder;
    for (file, html) in folder.texts_where(|n| has_ext(n, "html")) {
        let mut parts: std::collections::BTreeMap<String, Vec<String>> =
            std::collections::BTreeMap::new();
        for r in html_table(html, "Ledger") {
            if r.len() == 3
                && (r[1] == "used"
                    || r[1].starts_with("quarantined:")
                    || r[1].starts_with("excluded:"))
            {
                parts
                    .entry(r[0].clone())
                    .or_default()
                    .push(ledger_cell(&r[0], &r[1]));
            }
        }
        for (input, cells) in parts {
            let base = input
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&input)
                .to_owned();
            let Some(&rows) = folder.input_rows.get(&base) else {
                continue;
            };
            let total = ctx.var(&format!("{}@read", ledger_cell(&input, "read")));
            let cells: Option<Vec<usize>> = cells.iter().map(|c| ctx.var(c)).collect();
            if let (Some(total), Some(cells)) = (total, cells) {
                let file = format!("{file}#Ledger with the manifest");
                out.push((file.clone(), Con::In(total, Dom::exactly(rows))));
                out.push((
                    file,
                    Con::Sum {
                        total,
                        parts: cells,
                        lo: 0,
                        hi: 0,
                    },
                ));
            }
        }
    }
    out
}
