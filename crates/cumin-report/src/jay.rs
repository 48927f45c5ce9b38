//! Disclosure control and writers of the Jay et al. 2025 presets' tables (their rows are
//! `cumin-jay`'s): `jay_counts.csv` (per-age first events of the three-cohort design,
//! laid out like the paper's tables), `jay_corrections.csv` (how much each correction
//! of the R code's ⚠ behaviours changes them), and the unadjusted splice of
//! `cumulative_incidence.csv`, which is computed from the released counts of
//! `jay_counts.csv` (the same counts: a second release of them, in steps, could be
//! differenced against the first).

use crate::curve::{CurveLabel, cap_nested, release_curve, release_curve_from_counts};
use crate::sdc::{CellStats, Released, SdcProfile, released_count};
use crate::spec;
use crate::tables::CiRow;
use crate::write::{ReportError, number, write_text};
use cumin_census::{JAY_BANDS, Outcome};
use cumin_estimate::Curve;
use cumin_jay::{JayCorrectionRow, JayCountRow, JayMode};
use std::path::Path;

/// Applies `profile` to `jay_counts.csv`: counts withheld where disclosive, rounded.
pub fn release_jay_counts(
    profile: SdcProfile,
    mut rows: Vec<JayCountRow>,
) -> Released<Vec<JayCountRow>> {
    let mut stats = CellStats::default();
    for r in &mut rows {
        r.events = released_count(profile, r.events, true, &mut stats);
    }
    Released::new(rows, profile, &spec::JAY_COUNTS, stats)
}

/// Applies `profile` to `jay_corrections.csv`: both counts withheld where disclosive and
/// rounded; the difference is written from the released counts.
pub fn release_jay_corrections(
    profile: SdcProfile,
    mut rows: Vec<JayCorrectionRow>,
) -> Released<Vec<JayCorrectionRow>> {
    let mut stats = CellStats::default();
    for r in &mut rows {
        r.strict = released_count(profile, r.strict, true, &mut stats);
        r.corrected = released_count(profile, r.corrected, true, &mut stats);
        stats.derived((r.corrected - r.strict).is_finite());
    }
    Released::new(rows, profile, &spec::JAY_CORRECTIONS, stats)
}

/// The released counts that make up each age of the unadjusted splice of `mode` and
/// `outcome`: per age 0..=17, the sum of the released counts of the cohort supplying it
/// (at age 0 with the months before birth) and how many they are; `None` where one is
/// withheld.
fn splice_counts(
    counts: &Released<Vec<JayCountRow>>,
    mode: JayMode,
    outcome: Outcome,
) -> Vec<Option<(f64, usize)>> {
    (0..cumin_estimate::OUT_AGES as i8)
        .map(|age| {
            let &(cohort, ..) = JAY_BANDS
                .iter()
                .find(|(_, lo, hi)| (*lo.max(&0)..=*hi).contains(&age))?;
            let cells: Vec<f64> = counts
                .get()
                .iter()
                .filter(|r| {
                    r.mode == mode
                        && r.outcome == outcome
                        && r.birth_year == cohort
                        && r.age.0.max(0) == age
                })
                .map(|r| r.events)
                .collect();
            (!cells.is_empty() && cells.iter().all(|x| x.is_finite()))
                .then(|| (cells.iter().sum(), cells.len()))
        })
        .collect()
}

/// A curve of a Jay preset, with the identifiers it was estimated under.
pub type JayCurve = (JayMode, Curve);

/// The rows of a Jay preset's `cumulative_incidence.csv`: the unadjusted splices of
/// `unadjusted` (per mode) from the released counts of `jay_counts.csv`, then the
/// corrected splices of `corrected` (cumin's own identity and counts) in steps.
pub fn release_jay_curves(
    profile: SdcProfile,
    level: f64,
    unadjusted: &[JayCurve],
    corrected: &[JayCurve],
    counts: &Released<Vec<JayCountRow>>,
) -> Released<Vec<CiRow>> {
    let mut stats = CellStats::default();
    let mut rows = Vec::new();
    for (mode, curve) in unadjusted {
        let label = CurveLabel {
            curve,
            id_mode: mode.id_mode(),
        };
        let events = splice_counts(counts, *mode, curve.outcome);
        rows.extend(release_curve_from_counts(
            profile, level, &label, &events, &mut stats,
        ));
    }
    for (mode, curve) in corrected {
        let label = CurveLabel {
            curve,
            id_mode: mode.id_mode(),
        };
        rows.extend(release_curve(profile, level, &label, &mut stats));
    }
    cap_nested(&mut rows, |_| 0, &mut stats);
    Released::new(rows, profile, &spec::CUMULATIVE_INCIDENCE, stats)
}

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
    write_text(
        path,
        &crate::write::csv_text(&spec::JAY_COUNTS.header(), body),
    )
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
    write_text(
        path,
        &crate::write::csv_text(&spec::JAY_CORRECTIONS.header(), body),
    )
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
