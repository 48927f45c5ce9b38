//! What a run tells the terminal: the headline estimates before 18, the sensitivity
//! table, where the files are.

use cumin_census::{Date, Outcome};
use cumin_estimate::{CurveEstimator, Stratification};
use cumin_jay::JaySummary;
use cumin_link::IdMode;
use cumin_report::{CiRow, LinkageSection};
use serde::Serialize;
use std::path::PathBuf;

/// One line of the headline table: released figures, as the files hold them.
#[derive(Clone, Debug, Serialize)]
pub struct Headline {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Oldest age estimated (17 when the curve reaches "before 18").
    pub age: u8,
    /// Cumulative incidence (`None`: withheld by disclosure control, blank in the file).
    pub cum_inc: Option<f64>,
    /// Lower limit (`None`: withheld).
    pub lower: Option<f64>,
    /// Upper limit (`None`: withheld).
    pub upper: Option<f64>,
    /// Whether it is the estimate the report's headline recommends
    /// ([`cumin_report::headline::recommended_estimator`]).
    pub recommended: bool,
}

/// One outcome and estimator under every mode.
#[derive(Clone, Debug, Serialize)]
pub struct SensitivityLine {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// The headline under each mode, in [`IdMode::ALL`] order.
    pub by_mode: Vec<(IdMode, Headline)>,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Output folder.
    pub out: PathBuf,
    /// What the terminal should say about the folder's release status (stderr).
    pub warnings: Vec<String>,
    /// Files in the folder (relative paths) and whether each is for release, in order,
    /// the manifest last.
    pub files: Vec<(String, bool)>,
    /// Cumulative incidence before 18 per outcome and estimator (stratum `all`).
    pub headline: Vec<Headline>,
    /// Last day of data in the extract.
    pub data_end: Date,
    /// Rows read, used, quarantined and excluded over all files.
    pub rows: [u64; 5],
    /// The linkage section of the report (released figures).
    pub linkage: LinkageSection,
    /// Headlines under every identifier mode, when asked for.
    pub sensitivity: Option<Vec<SensitivityLine>>,
    /// With a Jay preset: the paper-like table and what each correction changes.
    pub jay: Option<JaySummary>,
}

/// The oldest row of every curve of stratum `all` under `id_mode` among the released
/// `rows` (`cumulative_incidence.csv`'s or `sensitivity.csv`'s), per outcome in
/// `outcomes` order, estimators in the rows' order: what the file says, withheld figures
/// `None`. The terminal shows no number the folder does not release.
pub fn headline(rows: &[CiRow], outcomes: &[Outcome], id_mode: IdMode) -> Vec<Headline> {
    let mut out: Vec<Headline> = Vec::new();
    for o in outcomes {
        let first = out.len();
        for r in rows
            .iter()
            .filter(|r| r.outcome == *o && r.by == Stratification::ALL && r.id_mode == id_mode)
        {
            let line = Headline {
                outcome: *o,
                estimator: r.estimator,
                age: u8::try_from(r.age.0).unwrap_or_default(),
                cum_inc: r.cum_inc,
                lower: r.lower,
                upper: r.upper,
                recommended: false,
            };
            match out[first..].iter_mut().find(|h| h.estimator == r.estimator) {
                Some(h) if h.age <= line.age => *h = line,
                Some(_) => {}
                None => out.push(line),
            }
        }
        let best =
            cumin_report::headline::recommended_among(*o, out[first..].iter().map(|h| h.estimator));
        for h in &mut out[first..] {
            h.recommended = Some(h.estimator) == best;
        }
    }
    out
}

/// The headline of `ci` (the rows of `cumulative_incidence.csv`) under `id_mode`, and
/// the sensitivity table of `sensitivity` (the rows of `sensitivity.csv`) when it ran:
/// the released figures only.
pub fn released_headlines(
    ci: &[CiRow],
    sensitivity: Option<&[CiRow]>,
    outcomes: &[Outcome],
    id_mode: IdMode,
) -> (Vec<Headline>, Option<Vec<SensitivityLine>>) {
    let lines = sensitivity.map(|rows| {
        let modes: Vec<_> = IdMode::ALL
            .into_iter()
            .map(|m| (m, headline(rows, outcomes, m)))
            .collect();
        side_by_side(&modes)
    });
    (headline(ci, outcomes, id_mode), lines)
}

/// Lines up each (outcome, estimator) across modes, in the first mode's order.
pub fn side_by_side(headlines: &[(IdMode, Vec<Headline>)]) -> Vec<SensitivityLine> {
    let Some((_, first)) = headlines.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|h| SensitivityLine {
            outcome: h.outcome,
            estimator: h.estimator,
            by_mode: headlines
                .iter()
                .filter_map(|(mode, hs)| {
                    hs.iter()
                        .find(|x| x.outcome == h.outcome && x.estimator == h.estimator)
                        .map(|x| (*mode, x.clone()))
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::Age;
    use cumin_estimate::Stratum;

    fn row(outcome: Outcome, estimator: CurveEstimator, id_mode: IdMode, age: i8) -> CiRow {
        let p = f64::from(age) / 100.0;
        CiRow {
            outcome,
            estimator,
            id_mode,
            by: Stratification::ALL,
            stratum: Stratum::all(),
            age: Age(age),
            events: Some(10.0),
            at_risk: Some(100.0),
            cum_inc: Some(p),
            lower: Some(p / 2.0),
            upper: Some(p * 2.0),
            suppressed: false,
            step_from: Some(Age(age)),
            se: None,
        }
    }

    /// The headline is the released row of the oldest age: its figures as the file
    /// holds them, a withheld one `None`, other identifier modes left out.
    #[test]
    fn the_headline_is_the_oldest_released_row() {
        use CurveEstimator::{CohortSplice, LifeTable};
        let mut rows: Vec<CiRow> = (0..18)
            .map(|a| row(Outcome::Referral, LifeTable, IdMode::Combined, a))
            .collect();
        rows.extend((0..16).map(|a| row(Outcome::Referral, CohortSplice, IdMode::Combined, a)));
        rows.push(row(Outcome::Referral, LifeTable, IdMode::LaOnly, 17));
        let mut withheld = row(Outcome::Cpp, LifeTable, IdMode::Combined, 17);
        (withheld.cum_inc, withheld.lower, withheld.upper) = (None, None, None);
        withheld.suppressed = true;
        rows.push(withheld);
        let h = headline(
            &rows,
            &[Outcome::Cpp, Outcome::Referral, Outcome::Cin],
            IdMode::Combined,
        );
        let got: Vec<_> = h
            .iter()
            .map(|h| (h.outcome, h.estimator, h.age, h.cum_inc))
            .collect();
        assert_eq!(
            got,
            [
                (Outcome::Cpp, LifeTable, 17, None),
                (Outcome::Referral, LifeTable, 17, Some(0.17)),
                (Outcome::Referral, CohortSplice, 15, Some(0.15)),
            ]
        );
        assert_eq!((h[1].lower, h[1].upper), (Some(0.085), Some(0.34)));
    }
}
