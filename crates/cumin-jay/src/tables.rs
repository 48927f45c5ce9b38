//! What a Jay run reports: `jay_counts.csv` (per-age first events of the design, laid
//! out like the paper's tables), `jay_corrections.csv` (what each correction of the R
//! code's ⚠ behaviours changes), and the paper-like summary printed on the terminal.

use crate::counts::JayCounts;
use crate::engine::Evaluation;
use crate::mode::{JayMode, Preset};
use crate::rules::{JayRule, JayRules};
use cumin_census::{Age, Outcome};
use cumin_link::LinkageMode;
use serde::{Serialize, Serializer};

/// One row of `jay_counts.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct JayCountRow {
    /// Main (PMR from school age) or sensitivity (every identifier).
    pub mode: JayMode,
    /// Birth cohort, financial year of birth named by its end.
    pub birth_year: i16,
    /// Age at first event, −1 (before birth) to 17.
    pub age: Age,
    /// Referral, assessed, CIN or CPP.
    pub outcome: Outcome,
    /// Children whose first event is at this age (NaN when withheld).
    pub events: f64,
}

/// Which counts a correction row compares with the R code's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Correction {
    /// One correction alone.
    Rule(JayRule),
    /// The run's own set of corrections.
    Preset,
}

impl Correction {
    /// Name in `jay_corrections.csv`: the rule's, or `preset`.
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::Rule(r) => r.as_str(),
            Correction::Preset => "preset",
        }
    }
}

impl std::fmt::Display for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Correction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One row of `jay_corrections.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct JayCorrectionRow {
    /// The correction, or the run's own set of rules.
    pub rule: Correction,
    /// Main or sensitivity.
    pub mode: JayMode,
    /// Birth cohort.
    pub birth_year: i16,
    /// Age, −1..17.
    pub age: Age,
    /// Outcome.
    pub outcome: Outcome,
    /// Count with no correction (the R code's).
    pub strict: f64,
    /// Count with only this correction (for the preset: the run's rules).
    pub corrected: f64,
}

/// One line of the paper-like table: an outcome before 18 under one identifier mode.
#[derive(Clone, Debug, Serialize)]
pub struct JayLine {
    /// Main or sensitivity.
    pub mode: JayMode,
    /// Outcome.
    pub outcome: Outcome,
    /// Spliced cumulative incidence before 18.
    pub cum_inc: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
}

/// What one correction changes: the estimate before 18 without and with it.
#[derive(Clone, Debug, Serialize)]
pub struct CorrectionLine {
    /// The correction, or the run's own rules.
    pub rule: Correction,
    /// Main or sensitivity.
    pub mode: JayMode,
    /// Outcome.
    pub outcome: Outcome,
    /// Before 18 with no correction.
    pub strict: f64,
    /// Before 18 with the correction.
    pub corrected: f64,
}

/// The summary of a Jay run, for the terminal.
#[derive(Clone, Debug, Serialize)]
pub struct JaySummary {
    /// The preset.
    pub preset: Preset,
    /// Names of the corrections in force.
    pub rules: Vec<String>,
    /// Before 18, main and sensitivity, every outcome (unadjusted splice of the counts).
    pub table: Vec<JayLine>,
    /// Before 18, the same design with cumin's left-censoring correction
    /// (`cohort-splice`).
    pub corrected_table: Vec<JayLine>,
    /// Why the corrected splice could not be computed, if it could not.
    pub corrected_missing: Option<String>,
    /// The linkage mode of the corrected splice (`corrected` by default under `jay2025`,
    /// `exact` under `jay2025-strict`).
    pub corrected_linkage: LinkageMode,
    /// Each correction's effect on the estimate before 18, from the released counts of
    /// `jay_corrections.csv` (`cumin_report::released_correction_lines`), never exact ones.
    pub corrections: Vec<CorrectionLine>,
}

/// The names of the corrections in force, for the summary and the report.
pub fn rule_names(rules: &JayRules) -> Vec<String> {
    if rules.is_strict() {
        return vec!["none (the R code's own rules)".to_owned()];
    }
    rules.iter().map(|r| r.as_str().to_owned()).collect()
}

/// The rows of `jay_counts.csv`.
pub fn count_rows(counts: &JayCounts) -> Vec<JayCountRow> {
    counts
        .cells()
        .map(|(mode, birth_year, outcome, age, n)| JayCountRow {
            mode,
            birth_year,
            age: Age(age),
            outcome,
            events: n as f64,
        })
        .collect()
}

/// The rows of `jay_corrections.csv`: each rule alone against the R code's counts, then
/// the run's own rules (`preset`).
pub fn correction_rows(eval: &Evaluation) -> Vec<JayCorrectionRow> {
    let variants = eval
        .single
        .iter()
        .map(|(r, c)| (Correction::Rule(*r), c))
        .chain(std::iter::once((Correction::Preset, &eval.run)));
    let mut rows = Vec::new();
    for (rule, counts) in variants {
        for ((mode, birth_year, outcome, age, strict), (.., corrected)) in
            eval.strict.cells().zip(counts.cells())
        {
            rows.push(JayCorrectionRow {
                rule,
                mode,
                birth_year,
                age: Age(age),
                outcome,
                strict: strict as f64,
                corrected: corrected as f64,
            });
        }
    }
    rows
}
