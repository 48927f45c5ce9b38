//! The table descriptions: every file a run writes, its columns and what kind of number
//! each holds, which counts a derived number is computed from, and whether the file is
//! for release. The disclosure layer ([`crate::sdc`], [`crate::curve`],
//! [`crate::derived`]) applies one rule per kind; the writers take their headers from
//! here, and `sdc.json` and the manifest their statuses, so a file's rule is read in one
//! place (docs/methods.md §7).

use serde::Serialize;

/// What a column holds, and so how the disclosure layer treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Names the row (outcome, stratum, age, …): shown as it is.
    Key,
    /// A count of children, rows or events: withheld under the profile's threshold (and
    /// at zero where `zero_is_attribute` and the profile says zeros are disclosive),
    /// otherwise rounded to the profile's base.
    Count {
        /// Whether a zero says "nobody in this group had it" (events, recurrences), so
        /// that it is an attribute of the group; a population or row total of zero is not.
        zero_is_attribute: bool,
    },
    /// A rate of released counts (cumulative incidence: the estimator's formula applied to
    /// the released steps' counts), withheld when they are.
    Rate {
        /// The counts it is computed from.
        from: &'static [&'static str],
    },
    /// A share `num / den` of two released counts of the same table, withheld with them.
    Share {
        /// Numerator count.
        num: &'static str,
        /// Denominator count.
        den: &'static str,
    },
    /// A hazard `num / den` of two counts.
    Hazard {
        /// Numerator count.
        num: &'static str,
        /// Denominator count.
        den: &'static str,
    },
    /// A difference of released counts or rates.
    Difference {
        /// What it is the difference of.
        of: &'static [&'static str],
    },
    /// An index (ratio, slope index, concentration index) of released rates.
    Index {
        /// What it is computed from.
        of: &'static [&'static str],
    },
    /// A confidence limit, computed with its estimate from the same released numbers.
    Limit {
        /// The estimate it bounds.
        of: &'static str,
    },
    /// The first age of the step a curve's row closes (curves are released in steps).
    StepFrom,
    /// Whether the layer withheld something of the row.
    Flag,
    /// A fitted quantity or an unreleasable detail (the correction's factors and
    /// modelled hazards, row-level detail): the file is analyst-only.
    Model,
}

/// Whether a file may leave the research environment after output checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every number passed the layer: for release after output checking.
    ForRelease,
    /// In `analyst-only/`: for the analyst and the output checker, not for release.
    AnalystOnly,
    /// Row-level detail: never for release.
    RowLevel,
}

impl Status {
    /// The status as the manifest and `sdc.json` state it, under `profile`'s control
    /// (`none` releases nothing).
    pub fn label(self, released_under_a_profile: bool) -> &'static str {
        match (self, released_under_a_profile) {
            (Status::ForRelease, true) => FOR_RELEASE,
            (Status::ForRelease, false) => NOT_FOR_RELEASE_NONE,
            (Status::AnalystOnly, _) => NOT_FOR_RELEASE_ANALYST,
            (Status::RowLevel, _) => NOT_FOR_RELEASE_ROWS,
        }
    }
}

/// A file that passed disclosure control.
pub const FOR_RELEASE: &str = "for release after output checking";
/// Every file of a folder written without disclosure control.
pub const NOT_FOR_RELEASE_NONE: &str =
    "not for release: written under --sdc none (no disclosure control)";
/// A model or diagnostic table.
pub const NOT_FOR_RELEASE_ANALYST: &str = "not for release: analyst-only (model and diagnostic detail that disclosure control cannot release)";
/// Row-level detail.
pub const NOT_FOR_RELEASE_ROWS: &str =
    "not for release: row-level detail with pseudonymised identifiers";
/// An input file of the run that lies inside the output folder.
pub const NOT_FOR_RELEASE_INPUT: &str = "not for release: an input of the run, not an output";

/// One column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Name in the header.
    pub name: &'static str,
    /// What it holds.
    #[serde(flatten)]
    pub kind: Kind,
}

/// One output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// Path inside the output folder.
    pub file: &'static str,
    /// Release status.
    pub status: Status,
    /// The rule applied, in a sentence (for `sdc.json`).
    pub rule: &'static str,
    /// Columns in file order (empty for files that are not tables).
    pub columns: &'static [Column],
}

impl TableSpec {
    /// The header row.
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// Whether the file is meant for release (when a profile was applied).
    pub fn for_release(&self) -> bool {
        self.status == Status::ForRelease
    }
}

const fn key(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Key,
    }
}

const fn count(name: &'static str, zero_is_attribute: bool) -> Column {
    Column {
        name,
        kind: Kind::Count { zero_is_attribute },
    }
}

const fn model(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Model,
    }
}

const fn limit(name: &'static str, of: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Limit { of },
    }
}

/// The columns of a curve table (`cumulative_incidence`, `trend` before `period`,
/// `sensitivity`).
const CURVE_COLUMNS: [Column; 13] = [
    key("outcome"),
    key("estimator"),
    key("id_mode"),
    key("stratum_var"),
    key("stratum"),
    key("age"),
    count("events", true),
    count("at_risk", false),
    Column {
        name: "cum_inc",
        kind: Kind::Rate {
            from: &["events", "at_risk"],
        },
    },
    limit("lower", "cum_inc"),
    limit("upper", "cum_inc"),
    Column {
        name: "suppressed",
        kind: Kind::Flag,
    },
    Column {
        name: "step_from",
        kind: Kind::StepFrom,
    },
];

const CURVE_RULE: &str = "each curve released in steps: a step closes at the first age its events reach \
     max(threshold, rounding base) (the rest of the curve joins the last step); the step's events and \
     the at-risk count at its first age rounded; cum_inc and its limits computed from those released \
     counts with the estimator's formula, the limits widened for the rounding (and, for corrected \
     estimators, by the correction's design effect); ages inside a step blank";

/// `cumulative_incidence.csv`.
pub const CUMULATIVE_INCIDENCE: TableSpec = TableSpec {
    file: "cumulative_incidence.csv",
    status: Status::ForRelease,
    rule: CURVE_RULE,
    columns: &CURVE_COLUMNS,
};

/// `cumulative_incidence.parquet`: the same columns, typed.
pub const CUMULATIVE_INCIDENCE_PARQUET: TableSpec = TableSpec {
    file: "cumulative_incidence.parquet",
    ..CUMULATIVE_INCIDENCE
};

/// `sensitivity.csv`.
pub const SENSITIVITY: TableSpec = TableSpec {
    file: "sensitivity.csv",
    ..CUMULATIVE_INCIDENCE
};

const TREND_COLUMNS: [Column; 14] = [
    CURVE_COLUMNS[0],
    CURVE_COLUMNS[1],
    CURVE_COLUMNS[2],
    CURVE_COLUMNS[3],
    CURVE_COLUMNS[4],
    CURVE_COLUMNS[5],
    CURVE_COLUMNS[6],
    CURVE_COLUMNS[7],
    CURVE_COLUMNS[8],
    CURVE_COLUMNS[9],
    CURVE_COLUMNS[10],
    CURVE_COLUMNS[11],
    key("period"),
    CURVE_COLUMNS[12],
];

/// `trend.csv`.
pub const TREND: TableSpec = TableSpec {
    file: "trend.csv",
    status: Status::ForRelease,
    rule: "as cumulative_incidence.csv, each period's curve in its own steps",
    columns: &TREND_COLUMNS,
};

/// `inequality.csv`.
pub const INEQUALITY: TableSpec = TableSpec {
    file: "inequality.csv",
    status: Status::ForRelease,
    rule: "computed from the released decile curves (values, limits and standard errors from released \
     counts) and decile populations rounded to the base, only at ages where all ten deciles are shown",
    columns: &[
        key("outcome"),
        key("estimator"),
        key("age"),
        key("measure"),
        Column {
            name: "value",
            kind: Kind::Index {
                of: &["cumulative_incidence.csv: cum_inc, lower, upper of deciles 1-10"],
            },
        },
        limit("lower", "value"),
        limit("upper", "value"),
    ],
};

/// `recurrence.csv`.
pub const RECURRENCE: TableSpec = TableSpec {
    file: "recurrence.csv",
    status: Status::ForRelease,
    rule: "counts withheld under the threshold and rounded; share = released recurred / released children, \
     blank when either is withheld",
    columns: &[
        key("outcome"),
        key("first_year"),
        key("years_after"),
        count("children", false),
        count("recurred", true),
        Column {
            name: "share",
            kind: Kind::Share {
                num: "recurred",
                den: "children",
            },
        },
    ],
};

/// `strata.csv`.
pub const STRATA: TableSpec = TableSpec {
    file: "strata.csv",
    status: Status::ForRelease,
    rule: "counts withheld under the threshold and rounded",
    columns: &[
        key("stratum_var"),
        key("outcome"),
        count("event_years_without_stratum", true),
    ],
};

/// `linkage.csv`.
pub const LINKAGE: TableSpec = TableSpec {
    file: "linkage.csv",
    status: Status::ForRelease,
    rule: "counts withheld under the threshold and rounded, a second part withheld where one part \
     alone of a set adding up to a released total is; each share computed from its numerator and \
     denominator rows as released, blank when either is withheld; expected counts rounded and \
     withheld with their keys; the referral dispersion and the PMR-against-rows ratio recomputed \
     from released rows; split_mobility_adjusted a yes/no \
     (1/0) of the method, not a count, as it is; the split correction's fitted measures in \
     analyst-only/linkage_model.csv",
    columns: &[
        key("id_mode"),
        key("measure"),
        Column {
            name: "value",
            kind: Kind::Count {
                zero_is_attribute: false,
            },
        },
    ],
};

/// `jay_counts.csv`.
pub const JAY_COUNTS: TableSpec = TableSpec {
    file: "jay_counts.csv",
    status: Status::ForRelease,
    rule: "counts withheld under the threshold and rounded; the unadjusted splice of \
     cumulative_incidence.csv is computed from these released counts",
    columns: &[
        key("mode"),
        key("birth_year"),
        key("age"),
        key("outcome"),
        count("events", true),
    ],
};

/// `jay_corrections.csv`.
pub const JAY_CORRECTIONS: TableSpec = TableSpec {
    file: "jay_corrections.csv",
    status: Status::ForRelease,
    rule: "counts withheld under the threshold and rounded; difference from the released counts",
    columns: &[
        key("rule"),
        key("mode"),
        key("birth_year"),
        key("age"),
        key("outcome"),
        count("strict", true),
        count("corrected", true),
        Column {
            name: "difference",
            kind: Kind::Difference {
                of: &["corrected", "strict"],
            },
        },
    ],
};

const ANALYST_RULE: &str = "analyst-only: not released (ratios of small exact counts and fitted \
     quantities that disclosure control cannot protect)";

/// `analyst-only/corrections.csv`.
pub const CORRECTIONS: TableSpec = TableSpec {
    file: "analyst-only/corrections.csv",
    status: Status::AnalystOnly,
    rule: ANALYST_RULE,
    columns: &[
        key("outcome"),
        key("stratum_var"),
        key("stratum"),
        key("birth_year"),
        key("age"),
        key("entry_age"),
        model("first_observed"),
        model("first_in_observed_years"),
        model("factor"),
        model("extrapolated_factor"),
        model("corrected"),
    ],
};

/// `analyst-only/correction_model.csv`.
pub const CORRECTION_MODEL: TableSpec = TableSpec {
    file: "analyst-only/correction_model.csv",
    status: Status::AnalystOnly,
    rule: ANALYST_RULE,
    columns: &[
        key("outcome"),
        key("stratum_var"),
        key("stratum"),
        key("age"),
        key("earlier_age"),
        model("children"),
        model("with_event"),
        model("hazard"),
        key("source"),
    ],
};

/// `analyst-only/correction_sensitivity.csv`.
pub const CORRECTION_SENSITIVITY: TableSpec = TableSpec {
    file: "analyst-only/correction_sensitivity.csv",
    status: Status::AnalystOnly,
    rule: ANALYST_RULE,
    columns: &[
        key("outcome"),
        key("estimator"),
        key("stratum_var"),
        key("stratum"),
        key("age"),
        model("no_correction"),
        model("observed_only"),
        model("corrected"),
        model("extrapolation_error"),
        model("stratification_extrapolation_error"),
        model("form_spread"),
        model("split_sd"),
        model("extrapolation_sd"),
    ],
};

/// `analyst-only/linkage_model.csv`: the split correction's fitted measures.
pub const LINKAGE_MODEL: TableSpec = TableSpec {
    file: "analyst-only/linkage_model.csv",
    status: Status::AnalystOnly,
    rule: ANALYST_RULE,
    columns: &[key("id_mode"), key("measure"), model("value")],
};

/// `analyst-only/ledger.csv`.
pub const LEDGER: TableSpec = TableSpec {
    file: "analyst-only/ledger.csv",
    status: Status::AnalystOnly,
    rule: "analyst-only: every input row accounted for, unrounded (the report shows it through \
     disclosure control)",
    columns: &[key("file"), key("reason"), model("rows")],
};

/// `analyst-only/quarantine.csv`.
pub const QUARANTINE: TableSpec = TableSpec {
    file: "analyst-only/quarantine.csv",
    status: Status::RowLevel,
    rule: "row-level detail of unusable rows: never released",
    columns: &[key("file"), key("row"), key("reason"), model("detail")],
};

/// `analyst-only/notes.csv`: the cleaning notes the terminal shows after each file.
pub const NOTES: TableSpec = TableSpec {
    file: "analyst-only/notes.csv",
    status: Status::AnalystOnly,
    rule: "analyst-only: the cleaning notes of the terminal per file and column, with exact \
     counts (no row, no identifier: a value that could be one is shown by its length)",
    columns: &[
        key("file"),
        key("column"),
        key("rule"),
        model("rows"),
        model("action"),
        model("examples"),
    ],
};

/// `report.html`.
pub const REPORT: TableSpec = TableSpec {
    file: "report.html",
    status: Status::ForRelease,
    rule: "shows released tables only: curves, headline and figures from the released \
     cumulative_incidence rows, linkage from the released linkage.csv, the ledger's counts \
     withheld and rounded (a lone withheld part of a file's rows read with a partner); \
     states the release status of every file",
    columns: &[],
};

/// `figures/*.svg`.
pub const FIGURE: TableSpec = TableSpec {
    file: "figures/",
    status: Status::ForRelease,
    rule: "drawn from the released cumulative_incidence rows only (step ends and their limits)",
    columns: &[],
};

/// `sdc.json`.
pub const SDC_JSON: TableSpec = TableSpec {
    file: "sdc.json",
    status: Status::ForRelease,
    rule: "the output checker's summary: no statistics",
    columns: &[],
};

/// Every table description, for the documentation and its tests.
pub const ALL: [&TableSpec; 20] = [
    &CUMULATIVE_INCIDENCE,
    &CUMULATIVE_INCIDENCE_PARQUET,
    &SENSITIVITY,
    &TREND,
    &INEQUALITY,
    &RECURRENCE,
    &STRATA,
    &LINKAGE,
    &JAY_COUNTS,
    &JAY_CORRECTIONS,
    &CORRECTIONS,
    &CORRECTION_MODEL,
    &CORRECTION_SENSITIVITY,
    &LINKAGE_MODEL,
    &LEDGER,
    &QUARANTINE,
    &NOTES,
    &REPORT,
    &FIGURE,
    &SDC_JSON,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_derived_column_names_columns_of_its_table_and_models_stay_analyst_only() {
        for spec in ALL {
            let names = spec.header();
            for c in spec.columns {
                let named = |n: &str| names.contains(&n);
                match c.kind {
                    Kind::Share { num, den } | Kind::Hazard { num, den } => {
                        assert!(named(num) && named(den), "{}: {}", spec.file, c.name);
                    }
                    Kind::Limit { of } => assert!(named(of), "{}: {}", spec.file, c.name),
                    Kind::Rate { from } => {
                        assert!(from.iter().all(|n| named(n)), "{}: {}", spec.file, c.name);
                    }
                    Kind::Difference { of } => {
                        assert!(of.iter().all(|n| named(n)), "{}: {}", spec.file, c.name);
                    }
                    Kind::Model => assert!(
                        !spec.for_release() && spec.file.starts_with("analyst-only/"),
                        "{}: a model column in a file for release",
                        spec.file
                    ),
                    _ => {}
                }
            }
            assert_eq!(
                spec.file.starts_with("analyst-only/"),
                !spec.for_release(),
                "{}: analyst-only files and only they are not for release",
                spec.file
            );
        }
    }
}
