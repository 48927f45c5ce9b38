//! The hidden counts: where each released count column lives, the name of each cell
//! (shared by every file that shows it), its true value (from the same run under
//! `--sdc none`), and whether a profile means to hide it.

use crate::attack::folder::{Folder, Table, html_table};
use std::collections::BTreeMap;

/// A count column of a table: the file stem, the key columns, the count columns.
pub struct CountColumns {
    /// File name without extension (`cumulative_incidence` covers the CSV and Parquet).
    pub stem: &'static str,
    /// Prefix of the cell names.
    pub prefix: &'static str,
    /// Columns naming a row.
    pub keys: &'static [&'static str],
    /// Columns holding counts.
    pub counts: &'static [&'static str],
    /// Whether a zero in that column says "nobody in this group" (disclosive where the
    /// profile says zeros are); at-risk and population counts of zero do not.
    pub event_like: &'static [bool],
}

const CURVE_KEYS: &[&str] = &[
    "outcome",
    "estimator",
    "id_mode",
    "stratum_var",
    "stratum",
    "age",
];

/// Every count column cumin writes.
pub const COUNT_COLUMNS: &[CountColumns] = &[
    CountColumns {
        stem: "cumulative_incidence",
        prefix: "ci",
        keys: CURVE_KEYS,
        counts: &["events", "at_risk"],
        event_like: &[true, false],
    },
    CountColumns {
        stem: "sensitivity",
        prefix: "sens",
        keys: CURVE_KEYS,
        counts: &["events", "at_risk"],
        event_like: &[true, false],
    },
    CountColumns {
        stem: "trend",
        prefix: "trend",
        keys: &[
            "period",
            "outcome",
            "estimator",
            "id_mode",
            "stratum_var",
            "stratum",
            "age",
        ],
        counts: &["events", "at_risk"],
        event_like: &[true, false],
    },
    CountColumns {
        stem: "recurrence",
        prefix: "rec",
        keys: &["outcome", "first_year", "years_after"],
        counts: &["children", "recurred"],
        event_like: &[false, true],
    },
    CountColumns {
        stem: "corrections",
        prefix: "corr",
        keys: &["outcome", "stratum_var", "stratum", "birth_year", "age"],
        counts: &["first_observed", "first_in_observed_years"],
        event_like: &[true, true],
    },
    CountColumns {
        stem: "correction_model",
        prefix: "model",
        keys: &["outcome", "stratum_var", "stratum", "age", "earlier_age"],
        counts: &["children", "with_event"],
        event_like: &[false, true],
    },
    CountColumns {
        stem: "strata",
        prefix: "strata",
        keys: &["stratum_var", "outcome"],
        counts: &["event_years_without_stratum"],
        event_like: &[true],
    },
    CountColumns {
        stem: "jay_counts",
        prefix: "jay",
        keys: &["mode", "birth_year", "age", "outcome"],
        counts: &["events"],
        event_like: &[true],
    },
    CountColumns {
        stem: "jay_corrections",
        prefix: "jaycorr",
        keys: &["rule", "mode", "birth_year", "age", "outcome"],
        counts: &["strict", "corrected"],
        event_like: &[true, true],
    },
];

/// The name of the cell in `column` of row `row` of a table of kind `cc`.
pub fn cell_name(cc: &CountColumns, t: &Table, row: &[String], column: &str) -> String {
    let mut s = String::from(cc.prefix);
    for k in cc.keys {
        s.push('/');
        s.push_str(&row[t.col(k)]);
    }
    s.push('/');
    s.push_str(column);
    s
}

/// The name of a curve-table cell from its parts.
pub fn curve_cell(
    prefix: &str,
    period: Option<&str>,
    key: &CurveKey,
    age: u8,
    column: &str,
) -> String {
    let p = period.map_or(String::new(), |p| format!("/{p}"));
    format!(
        "{prefix}{p}/{}/{}/{}/{}/{}/{age}/{column}",
        key.outcome, key.estimator, key.id_mode, key.stratum_var, key.stratum
    )
}

/// One curve of a curve table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurveKey {
    /// Outcome.
    pub outcome: String,
    /// Estimator.
    pub estimator: String,
    /// Identifier mode.
    pub id_mode: String,
    /// Stratification.
    pub stratum_var: String,
    /// Stratum.
    pub stratum: String,
}

/// A count cell of a linkage table (`linkage.csv`, the report's linkage table).
pub fn linkage_cell(id_mode: &str, measure: &str) -> String {
    format!("link/{id_mode}/{measure}")
}

/// A ledger line of the report.
pub fn ledger_cell(file: &str, reason: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("ledger/{base}/{reason}")
}

/// A true count and what kind of cell holds it.
#[derive(Clone, Copy, Debug)]
pub struct Truth {
    /// The count.
    pub value: i64,
    /// Whether a zero here is an attribute of a group (see [`CountColumns::event_like`]).
    pub event_like: bool,
}

/// Whether a linkage measure is a count (the rest are shares).
pub fn linkage_is_count(measure: &str) -> bool {
    !measure.contains("share")
}

/// The true counts of a folder written under `--sdc none` (whose files are all marked not
/// for release, so all are read): every whole-numbered count cell (model-based
/// fractional counts are estimates, not counts of children).
pub fn truth_of(none: &Folder) -> BTreeMap<String, Truth> {
    values_of(none)
        .into_iter()
        .filter(|(_, (x, _))| x.fract() == 0.0 && *x >= 0.0)
        .map(|(name, (x, event_like))| {
            (
                name,
                Truth {
                    value: x as i64,
                    event_like,
                },
            )
        })
        .collect()
}

/// Every count cell of a `none` folder with its value, whole or not, and whether a zero
/// there is an attribute of a group.
pub fn values_of(none: &Folder) -> BTreeMap<String, (f64, bool)> {
    let mut out = BTreeMap::new();
    let mut put = |name: String, x: f64, event_like: bool| {
        out.insert(name, (x, event_like));
    };
    for cc in COUNT_COLUMNS {
        for (_, t) in none.any_named(cc.stem) {
            for row in &t.rows {
                for (c, ev) in cc.counts.iter().zip(cc.event_like) {
                    if let Some(x) = Table::num(row, t.col(c)) {
                        put(cell_name(cc, t, row, c), x, *ev);
                    }
                }
            }
        }
    }
    for (_, t) in none.any_named("linkage") {
        let (m, v, id) = (t.col("measure"), t.col("value"), t.col("id_mode"));
        let value_of = |mode: &str, measure: &str| {
            t.rows
                .iter()
                .find(|r| r[id] == mode && r[m] == measure)
                .and_then(|r| Table::num(r, v))
        };
        for row in &t.rows {
            let Some(x) = Table::num(row, v) else {
                continue;
            };
            if linkage_is_count(&row[m]) {
                put(linkage_cell(&row[id], &row[m]), x, false);
            } else if let Some((num, den)) = crate::attack::attacks::linkage::share_parts(&row[m]) {
                // The numerator a share implies, where its denominator is shown.
                if let Some(n) = value_of(&row[id], &den) {
                    let k = (x * n).round();
                    if (x * n - k).abs() < 1e-6 {
                        put(linkage_cell(&row[id], &num), k, true);
                    }
                }
            }
        }
    }
    for (_, html) in none.any_text_where(|n| n.ends_with("report.html")) {
        for r in html_table(html, "Ledger") {
            if let (Some(f), Some(reason), Some(x)) = (
                r.first(),
                r.get(1),
                r.get(2).and_then(|x| x.parse::<f64>().ok()),
            ) {
                put(ledger_cell(f, reason), x, true);
            }
        }
    }
    out
}

/// What a profile means to hide: the counts it may not let anyone learn exactly.
#[derive(Clone, Copy, Debug)]
pub struct Hidden {
    /// Counts `1..below` are hidden.
    pub below: i64,
    /// Zeros (of groups with members) are hidden too.
    pub zeros: bool,
    /// Base of the profile's rounding.
    pub round_to: i64,
    /// The profile's threshold: counts below it are withheld (0: none).
    pub threshold: i64,
}

impl Hidden {
    /// The rule of a profile, as `cumin_report::SdcProfile` states it.
    ///
    /// `jay2025` has no threshold: it rounds to 10, which hides every count of 1–9 (they
    /// show as 0 or 10), so those are the counts it must not let through. `dfe` withholds
    /// 1–5; `ons-srs` and `ukllc` withhold 1–9 and zeros.
    pub fn of(profile: &str) -> Hidden {
        match profile {
            "jay2025" => Hidden {
                below: 10,
                zeros: false,
                round_to: 10,
                threshold: 0,
            },
            "dfe" => Hidden {
                below: 6,
                zeros: false,
                round_to: 10,
                threshold: 6,
            },
            "ons-srs" | "ukllc" => Hidden {
                below: 10,
                zeros: true,
                round_to: 5,
                threshold: 10,
            },
            _ => Hidden {
                below: 0,
                zeros: false,
                round_to: 1,
                threshold: 0,
            },
        }
    }

    /// The least events a released step holds under the proposed rules: the threshold
    /// and the rounding base, whichever is greater.
    pub fn step_least(&self) -> i64 {
        self.threshold.max(self.round_to)
    }

    /// Whether the profile means to hide a true count `t`.
    pub fn hides(&self, t: Truth) -> bool {
        (t.value > 0 && t.value < self.below) || (t.value == 0 && self.zeros && t.event_like)
    }

    /// The counts a shown (rounded) value `r` may stand for.
    pub fn rounded(&self, r: i64) -> Option<crate::attack::solver::Dom> {
        let b = self.round_to;
        if b <= 1 {
            return Some(crate::attack::solver::Dom::exactly(r));
        }
        if r % b != 0 || r < 0 {
            return None;
        }
        let lo = (r - b / 2).max(0);
        let hi = r + b / 2;
        let keep: Vec<i64> = (lo..=hi).filter(|&x| round_half_even(x, b) == r).collect();
        Some(crate::attack::solver::Dom::Range(
            keep[0],
            keep[keep.len() - 1],
        ))
    }
}

/// `x` rounded to a multiple of `b`, halves to even (as `cumin_report::sdc`).
pub fn round_half_even(x: i64, b: i64) -> i64 {
    let q = x.div_euclid(b);
    let r = x.rem_euclid(b);
    let up = match (2 * r).cmp(&b) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 != 0,
    };
    (q + i64::from(up)) * b
}
