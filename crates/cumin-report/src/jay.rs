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
use cumin_census::{Age, JAY_BANDS, Outcome};
use cumin_estimate::{Curve, CurveEstimator, Stratification};
use cumin_jay::{Correction, CorrectionLine, JayCorrectionRow, JayCountRow, JayMode};
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
    let cells: Vec<(i16, Age, f64)> = counts
        .get()
        .iter()
        .filter(|r| r.mode == mode && r.outcome == outcome)
        .map(|r| (r.birth_year, r.age, r.events))
        .collect();
    splice_sums(&cells)
}

/// Per age 0..=17, the sum of the `(birth_year, age, count)` cells of the cohort
/// supplying it (at age 0 with the months before birth) and how many they are; `None`
/// where one is withheld (not finite) or there is none.
fn splice_sums(cells: &[(i16, Age, f64)]) -> Vec<Option<(f64, usize)>> {
    (0..cumin_estimate::OUT_AGES as i8)
        .map(|age| {
            let &(cohort, ..) = JAY_BANDS
                .iter()
                .find(|(_, lo, hi)| (*lo.max(&0)..=*hi).contains(&age))?;
            let of_age: Vec<f64> = cells
                .iter()
                .filter(|(b, a, _)| *b == cohort && a.0.max(0) == age)
                .map(|c| c.2)
                .collect();
            (!of_age.is_empty() && of_age.iter().all(|x| x.is_finite()))
                .then(|| (of_age.iter().sum(), of_age.len()))
        })
        .collect()
}

/// What each correction changes before 18, from released figures only: for each rule of
/// `jay_corrections.csv` (the run's own rules, `preset`, only with `preset`), mode and
/// outcome, the unadjusted splice before 18 of its released `strict` and of its released
/// `corrected` counts, each age's counts over the population the released unadjusted
/// splice of `cumulative_incidence.csv` shows at that age (its rounded `at_risk`); NaN
/// where a count or a population is withheld. (The exact counts' splices would print
/// differences of a child or two.)
pub fn released_correction_lines(
    corrections: &Released<Vec<JayCorrectionRow>>,
    ci: &Released<Vec<CiRow>>,
    preset: bool,
) -> Vec<CorrectionLine> {
    let rows = corrections.get();
    let mut rules: Vec<Correction> = Vec::new();
    for r in rows {
        if !rules.contains(&r.rule) && (preset || r.rule != Correction::Preset) {
            rules.push(r.rule);
        }
    }
    let mut out = Vec::new();
    for rule in rules {
        for mode in JayMode::ALL {
            let population = released_population(ci, mode);
            for outcome in Outcome::JAY {
                let cells = |count: fn(&JayCorrectionRow) -> f64| -> Vec<(i16, Age, f64)> {
                    rows.iter()
                        .filter(|r| r.rule == rule && r.mode == mode && r.outcome == outcome)
                        .map(|r| (r.birth_year, r.age, count(r)))
                        .collect()
                };
                let before_18 = |sums: Vec<Option<(f64, usize)>>| -> f64 {
                    sums.iter()
                        .zip(&population)
                        .map(|(e, p)| match (e, p) {
                            (Some((e, _)), Some(p)) if *p > 0.0 => e / p,
                            _ => f64::NAN,
                        })
                        .sum()
                };
                out.push(CorrectionLine {
                    rule,
                    mode,
                    outcome,
                    strict: before_18(splice_sums(&cells(|r| r.strict))),
                    corrected: before_18(splice_sums(&cells(|r| r.corrected))),
                });
            }
        }
    }
    out
}

/// Per age 0..=17, the population of the cohort supplying it as the released unadjusted
/// splice of `mode` shows it (`at_risk`, the same for every outcome); `None` where no
/// outcome's row shows it.
fn released_population(ci: &Released<Vec<CiRow>>, mode: JayMode) -> Vec<Option<f64>> {
    (0..cumin_estimate::OUT_AGES)
        .map(|age| {
            ci.get()
                .iter()
                .filter(|r| {
                    r.estimator == CurveEstimator::CohortSpliceUnadjusted
                        && r.id_mode == mode.id_mode()
                        && r.by == Stratification::ALL
                        && r.age.0 as usize == age
                })
                .find_map(|r| r.at_risk)
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
