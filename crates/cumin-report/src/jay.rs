//! Disclosure control and writers of the Jay et al. 2025 presets' tables (their rows are
//! `cumin-jay`'s): `jay_counts.csv` (per-age first events of the three-cohort design,
//! laid out like the paper's tables) and `jay_corrections.csv` (how much each correction
//! of the R code's ⚠ behaviours changes them).

use crate::sdc::{Released, SdcProfile, released_count};
use crate::write::{ReportError, number, write_text};
use cumin_jay::{JayCorrectionRow, JayCountRow};
use std::path::Path;

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
            r.mode.as_str().to_owned(),
            r.birth_year.to_string(),
            r.age.to_string(),
            r.outcome.as_str().to_owned(),
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
            r.rule.as_str().to_owned(),
            r.mode.as_str().to_owned(),
            r.birth_year.to_string(),
            r.age.to_string(),
            r.outcome.as_str().to_owned(),
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
            mode: cumin_jay::JayMode::Main,
            birth_year: 2013,
            age: cumin_census::Age(-1),
            outcome: cumin_census::Outcome::Referral,
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
            rule: cumin_jay::Correction::Rule(cumin_jay::JayRule::PmrFillKeepsOwn),
            mode: cumin_jay::JayMode::Main,
            birth_year: 2001,
            age: cumin_census::Age(13),
            outcome: cumin_census::Outcome::Cin,
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
