//! The tables of the Jay et al. 2025 presets: `jay_counts.csv` (per-age first events of
//! the three-cohort design, laid out like the paper's tables) and `jay_corrections.csv`
//! (how much each correction of the R code's ⚠ behaviours changes them).

use crate::sdc::{Released, SdcProfile};
use crate::write::{ReportError, number, write_text};
use std::path::Path;

/// One row of `jay_counts.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct JayCountRow {
    /// `main` (PMR from school age) or `sensitivity` (every identifier).
    pub mode: String,
    /// Birth cohort, financial year of birth named by its end.
    pub birth_year: i16,
    /// Age at first event, −1 (before birth) to 17.
    pub age: i8,
    /// `referral`, `assessed`, `cin`, `cpp`.
    pub outcome: String,
    /// Children whose first event is at this age (NaN when withheld).
    pub events: f64,
}

/// One row of `jay_corrections.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct JayCorrectionRow {
    /// The correction (a rule name), or `preset` for the run's own set of rules.
    pub rule: String,
    /// `main` or `sensitivity`.
    pub mode: String,
    /// Birth cohort.
    pub birth_year: i16,
    /// Age, −1..17.
    pub age: i8,
    /// Outcome.
    pub outcome: String,
    /// Count with no correction (the R code's).
    pub strict: f64,
    /// Count with only this correction (for `preset`: the run's rules).
    pub corrected: f64,
}

fn released_count(profile: SdcProfile, x: f64) -> f64 {
    if profile.is_disclosive(x) {
        f64::NAN
    } else {
        profile.round_count(x)
    }
}

/// Applies `profile` to `jay_counts.csv`: counts withheld where disclosive, rounded.
pub fn release_jay_counts(
    profile: SdcProfile,
    mut rows: Vec<JayCountRow>,
) -> Released<Vec<JayCountRow>> {
    for r in &mut rows {
        r.events = released_count(profile, r.events);
    }
    Released::new(rows, profile)
}

/// Applies `profile` to `jay_corrections.csv`: both counts withheld where disclosive and
/// rounded; the difference is written from the released counts.
pub fn release_jay_corrections(
    profile: SdcProfile,
    mut rows: Vec<JayCorrectionRow>,
) -> Released<Vec<JayCorrectionRow>> {
    for r in &mut rows {
        r.strict = released_count(profile, r.strict);
        r.corrected = released_count(profile, r.corrected);
    }
    Released::new(rows, profile)
}

/// Column names of `jay_counts.csv`.
pub const JAY_COUNT_COLUMNS: [&str; 5] = ["mode", "birth_year", "age", "outcome", "events"];

/// Column names of `jay_corrections.csv`.
pub const JAY_CORRECTION_COLUMNS: [&str; 8] = [
    "rule",
    "mode",
    "birth_year",
    "age",
    "outcome",
    "strict",
    "corrected",
    "difference",
];

/// Writes `jay_counts.csv`.
pub fn write_jay_counts_csv(
    path: &Path,
    rows: &Released<Vec<JayCountRow>>,
) -> Result<(), ReportError> {
    let body = rows.get().iter().map(|r| {
        vec![
            r.mode.clone(),
            r.birth_year.to_string(),
            r.age.to_string(),
            r.outcome.clone(),
            number(Some(r.events)),
        ]
    });
    write_text(path, &crate::write::csv_text(&JAY_COUNT_COLUMNS, body))
}

/// Writes `jay_corrections.csv`.
pub fn write_jay_corrections_csv(
    path: &Path,
    rows: &Released<Vec<JayCorrectionRow>>,
) -> Result<(), ReportError> {
    let body = rows.get().iter().map(|r| {
        vec![
            r.rule.clone(),
            r.mode.clone(),
            r.birth_year.to_string(),
            r.age.to_string(),
            r.outcome.clone(),
            number(Some(r.strict)),
            number(Some(r.corrected)),
            number(Some(r.corrected - r.strict)),
        ]
    });
    write_text(path, &crate::write::csv_text(&JAY_CORRECTION_COLUMNS, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(events: f64) -> JayCountRow {
        JayCountRow {
            mode: "main".into(),
            birth_year: 2013,
            age: -1,
            outcome: "referral".into(),
            events,
        }
    }

    #[test]
    fn counts_are_rounded_and_written_like_the_papers_tables() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jay_counts.csv");
        let r = release_jay_counts(SdcProfile::Jay2025, vec![count(15.0), count(24.0)]);
        write_jay_counts_csv(&p, &r).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "mode,birth_year,age,outcome,events\nmain,2013,-1,referral,20\nmain,2013,-1,referral,20\n"
        );
        let r = release_jay_counts(SdcProfile::Dfe, vec![count(3.0)]);
        assert!(r.get()[0].events.is_nan());
    }

    #[test]
    fn differences_come_from_released_counts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jay_corrections.csv");
        let row = JayCorrectionRow {
            rule: "pmr_fill_keeps_own".into(),
            mode: "main".into(),
            birth_year: 2001,
            age: 13,
            outcome: "cin".into(),
            strict: 14.0,
            corrected: 26.0,
        };
        write_jay_corrections_csv(
            &p,
            &release_jay_corrections(SdcProfile::Jay2025, vec![row.clone()]),
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.ends_with("pmr_fill_keeps_own,main,2001,13,cin,10,30,20\n"),
            "{text}"
        );
        let withheld = release_jay_corrections(
            SdcProfile::Dfe,
            vec![JayCorrectionRow { strict: 3.0, ..row }],
        );
        write_jay_corrections_csv(&p, &withheld).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.ends_with("cin,,30,\n"), "{text}");
    }
}
