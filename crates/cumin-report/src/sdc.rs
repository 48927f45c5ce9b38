//! Statistical disclosure control: nothing leaves cumin without it.
//!
//! The profiles and their rule for a count live here: a count is withheld under the
//! profile's threshold (and at zero, where zeros are disclosive and the zero is an
//! attribute of a group), otherwise rounded to the profile's base. Everything else a
//! file shows is computed from released counts ([`crate::curve`] for the curves,
//! [`crate::derived`] for the tables computed from them), so a folder's safety rests on
//! its released counts alone. Each file's columns and rule are described in
//! [`crate::spec`].
//!
//! Writers accept only [`Released`] tables (or [`AnalystOnly`] ones, which go to
//! `analyst-only/`), and only this crate's `release*` functions make them (invariant in
//! `docs/ARCHITECTURE.md`).

use crate::spec::{self, TableSpec};
use crate::tables::{LinkageKind, LinkageMeasure, LinkageRow};
use cumin_estimate::{BackwardHazard, CorrectionBound, CorrectionCell, Recurrence, Unplaced};
use serde::{Deserialize, Serialize};

/// Disclosure-control profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SdcProfile {
    /// No control: for synthetic data only.
    None,
    /// Jay et al. 2025: counts rounded to the nearest 10.
    #[default]
    #[cfg_attr(feature = "clap", value(name = "jay2025"))]
    Jay2025,
    /// DfE statistics practice: counts of 1–5 withheld (`c`), counts rounded to the
    /// nearest 10.
    Dfe,
    /// ONS Secure Research Service: threshold 10, zeros disclosive, counts rounded to 5.
    OnsSrs,
    /// UK Longitudinal Linkage Collaboration: as ONS SRS (threshold 10, zeros
    /// disclosive, rounding to 5).
    Ukllc,
}

/// The numbers behind a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SdcRules {
    /// Smallest count that may be shown (0: no suppression).
    pub threshold: f64,
    /// Whether a zero count is withheld too.
    pub zeros_disclosive: bool,
    /// Base to which shown counts are rounded (1: no rounding).
    pub round_to: f64,
}

impl SdcProfile {
    /// Every profile.
    pub const ALL: [SdcProfile; 5] = [
        SdcProfile::None,
        SdcProfile::Jay2025,
        SdcProfile::Dfe,
        SdcProfile::OnsSrs,
        SdcProfile::Ukllc,
    ];

    /// Name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SdcProfile::None => "none",
            SdcProfile::Jay2025 => "jay2025",
            SdcProfile::Dfe => "dfe",
            SdcProfile::OnsSrs => "ons-srs",
            SdcProfile::Ukllc => "ukllc",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<SdcProfile> {
        SdcProfile::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// The profile's numbers.
    pub fn rules(self) -> SdcRules {
        match self {
            SdcProfile::None => SdcRules {
                threshold: 0.0,
                zeros_disclosive: false,
                round_to: 1.0,
            },
            SdcProfile::Jay2025 => SdcRules {
                threshold: 0.0,
                zeros_disclosive: false,
                round_to: 10.0,
            },
            SdcProfile::Dfe => SdcRules {
                threshold: 6.0,
                zeros_disclosive: false,
                round_to: 10.0,
            },
            SdcProfile::OnsSrs | SdcProfile::Ukllc => SdcRules {
                threshold: 10.0,
                zeros_disclosive: true,
                round_to: 5.0,
            },
        }
    }

    /// What the profile does, for the manifest and report.
    pub fn description(self) -> &'static str {
        match self {
            SdcProfile::None => "no disclosure control (synthetic data only)",
            SdcProfile::Jay2025 => {
                "counts rounded to the nearest 10 (half to even, as R's round); curves in steps of at least 10 events; rates, shares, differences and limits computed from the rounded counts"
            }
            SdcProfile::Dfe => {
                "counts 1-5 withheld, shown counts rounded to 10; curves in steps of at least 10 events; rates, shares, differences and limits computed from released counts"
            }
            SdcProfile::OnsSrs | SdcProfile::Ukllc => {
                "counts under 10 and zeros withheld, shown counts rounded to 5; curves in steps of at least 10 events; rates, shares, differences and limits computed from released counts"
            }
        }
    }

    /// Rounds a count as the profile requires.
    pub fn round_count(self, x: f64) -> f64 {
        let base = self.rules().round_to;
        if base <= 1.0 {
            x
        } else {
            round_half_even(x / base) * base
        }
    }

    /// Whether a count may not be shown: under the threshold, or a zero that says
    /// "nobody in this group" (`zero_is_attribute`) where the profile says zeros are
    /// disclosive.
    pub fn is_disclosive(self, x: f64, zero_is_attribute: bool) -> bool {
        let r = self.rules();
        (x > 0.0 && x < r.threshold)
            || (x == 0.0 && zero_is_attribute && r.zeros_disclosive && r.threshold > 0.0)
    }

    /// The least events a released step of a curve holds: the threshold and the rounding
    /// base, whichever is greater (so no shown step is mostly rounding); 0 without
    /// control.
    pub fn step_least(self) -> f64 {
        let r = self.rules();
        if self == SdcProfile::None {
            0.0
        } else {
            r.threshold.max(r.round_to)
        }
    }

    /// Whether the profile applies any control (`none` does not: nothing it writes is for
    /// release).
    pub fn controls(self) -> bool {
        self != SdcProfile::None
    }

    /// A count as released: `None` where withheld, else rounded.
    pub fn count(self, x: f64, zero_is_attribute: bool) -> Option<f64> {
        (x.is_finite() && !self.is_disclosive(x, zero_is_attribute)).then(|| self.round_count(x))
    }
}

/// Rounds to the nearest integer, halves to even (IEC 60559, as R's `round`).
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    // An exact half is exactly representable; comparing to 0.5 exactly is the point.
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// What the layer did to a file's numbers, for `sdc.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CellStats {
    /// Count cells (shown or withheld).
    pub counts: u64,
    /// Count cells withheld (under the threshold, a disclosive zero, or inside a step).
    pub counts_withheld: u64,
    /// Count cells shown rounded (to a base above 1).
    pub counts_rounded: u64,
    /// Rates, shares, differences, indices and limits shown (all from released counts).
    pub derived_shown: u64,
    /// Rates, shares, differences, indices and limits withheld with their counts.
    pub derived_withheld: u64,
    /// Curve ages merged into a longer step (their own figures blank).
    pub ages_in_steps: u64,
    /// Estimates of a nested outcome lowered to those of the outcome it is nested in
    /// (with their limits), so that released curves do not cross.
    pub nested_capped: u64,
}

impl std::ops::AddAssign for CellStats {
    fn add_assign(&mut self, o: CellStats) {
        self.counts += o.counts;
        self.counts_withheld += o.counts_withheld;
        self.counts_rounded += o.counts_rounded;
        self.derived_shown += o.derived_shown;
        self.derived_withheld += o.derived_withheld;
        self.ages_in_steps += o.ages_in_steps;
        self.nested_capped += o.nested_capped;
    }
}

impl CellStats {
    /// Tallies one count cell as released (`None`: withheld).
    pub fn count(&mut self, profile: SdcProfile, shown: Option<f64>) {
        self.counts += 1;
        match shown {
            None => self.counts_withheld += 1,
            Some(_) if profile.rules().round_to > 1.0 => self.counts_rounded += 1,
            Some(_) => {}
        }
    }

    /// Tallies one derived cell.
    pub fn derived(&mut self, shown: bool) {
        if shown {
            self.derived_shown += 1;
        } else {
            self.derived_withheld += 1;
        }
    }
}

/// A table that has passed disclosure control, with the description of the file it
/// becomes and what the layer did to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Released<T> {
    inner: T,
    profile: SdcProfile,
    spec: &'static TableSpec,
    stats: CellStats,
}

impl<T> Released<T> {
    /// Wraps a table that has passed `profile` (only this crate's `release*` functions
    /// call it).
    pub(crate) fn new(
        inner: T,
        profile: SdcProfile,
        spec: &'static TableSpec,
        stats: CellStats,
    ) -> Released<T> {
        Released {
            inner,
            profile,
            spec,
            stats,
        }
    }

    /// The released table.
    pub fn get(&self) -> &T {
        &self.inner
    }

    /// The profile applied.
    pub fn profile(&self) -> SdcProfile {
        self.profile
    }

    /// The file it is released as.
    pub fn spec(&self) -> &'static TableSpec {
        self.spec
    }

    /// What the layer withheld and rounded.
    pub fn stats(&self) -> CellStats {
        self.stats
    }
}

/// A table that disclosure control cannot release (fitted quantities, ratios of small
/// exact counts, the unrounded ledger): written to `analyst-only/` and marked not for
/// release.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalystOnly<T> {
    inner: T,
    spec: &'static TableSpec,
}

impl<T> AnalystOnly<T> {
    pub(crate) fn new(inner: T, spec: &'static TableSpec) -> AnalystOnly<T> {
        debug_assert!(!spec.for_release());
        AnalystOnly { inner, spec }
    }

    /// The table.
    pub fn get(&self) -> &T {
        &self.inner
    }

    /// The file it is written as (under `analyst-only/`).
    pub fn spec(&self) -> &'static TableSpec {
        self.spec
    }
}

/// `corrections.csv`: analyst-only (its factors are ratios of small exact counts).
pub fn keep_corrections(rows: Vec<CorrectionCell>) -> AnalystOnly<Vec<CorrectionCell>> {
    AnalystOnly::new(rows, &spec::CORRECTIONS)
}

/// `correction_model.csv`: analyst-only (observed hazards are exact ratios of counts).
pub fn keep_backward_hazards(rows: Vec<BackwardHazard>) -> AnalystOnly<Vec<BackwardHazard>> {
    AnalystOnly::new(rows, &spec::CORRECTION_MODEL)
}

/// `correction_sensitivity.csv`: analyst-only (its curves are never withheld).
pub fn keep_bounds(rows: Vec<CorrectionBound>) -> AnalystOnly<Vec<CorrectionBound>> {
    AnalystOnly::new(rows, &spec::CORRECTION_SENSITIVITY)
}

/// A count as `profile` shows it in a plain table: withheld (NaN) where disclosive, else
/// rounded; tallied in `stats`.
pub fn released_count(
    profile: SdcProfile,
    x: f64,
    zero_is_attribute: bool,
    stats: &mut CellStats,
) -> f64 {
    let shown = profile.count(x, zero_is_attribute);
    stats.count(profile, shown);
    shown.unwrap_or(f64::NAN)
}

/// `part / whole` of two released counts (NaN where withheld): `None` when either is
/// withheld or the whole is zero; tallied in `stats`.
pub fn released_share(part: f64, whole: f64, stats: &mut CellStats) -> Option<f64> {
    let share = (part.is_finite() && whole.is_finite() && whole > 0.0).then(|| part / whole);
    stats.derived(share.is_some());
    share
}

/// Applies `profile` to `recurrence.csv`: counts withheld and rounded, each share from
/// the released counts.
pub fn release_recurrence(
    profile: SdcProfile,
    mut rows: Vec<Recurrence>,
) -> Released<Vec<Recurrence>> {
    let mut stats = CellStats::default();
    for r in &mut rows {
        r.children = released_count(profile, r.children, false, &mut stats);
        r.recurred = released_count(profile, r.recurred, true, &mut stats);
        r.share = released_share(r.recurred, r.children, &mut stats);
    }
    Released::new(rows, profile, &spec::RECURRENCE, stats)
}

/// Applies `profile` to `strata.csv`: counts withheld where disclosive, else rounded.
pub fn release_unplaced(profile: SdcProfile, mut rows: Vec<Unplaced>) -> Released<Vec<Unplaced>> {
    let mut stats = CellStats::default();
    for r in &mut rows {
        r.event_years = released_count(profile, r.event_years, true, &mut stats);
    }
    Released::new(rows, profile, &spec::STRATA, stats)
}

/// Applies `profile` to the linkage measures: counts withheld and rounded; each share
/// computed from its numerator and denominator rows as released (withheld when either
/// is); a flag of the method (1/0) as it is; the split correction's fitted measures (its
/// `h`, the first events it removes, `θ`) kept for the analyst
/// (`analyst-only/linkage_model.csv`, with the flags).
pub fn release_linkage(
    profile: SdcProfile,
    rows: Vec<LinkageRow>,
) -> (Released<Vec<LinkageRow>>, AnalystOnly<Vec<LinkageRow>>) {
    let mut stats = CellStats::default();
    let (mut model, rows): (Vec<LinkageRow>, Vec<LinkageRow>) = rows
        .into_iter()
        .partition(|r| r.measure.kind() == LinkageKind::Model);
    // A flag of the method goes out as it is, and beside the fitted measures it qualifies.
    model.extend(
        rows.iter()
            .filter(|r| r.measure.kind() == LinkageKind::Flag)
            .cloned(),
    );
    // Counts as released, with a second part of a set adding up to a released total
    // withheld wherever one alone is (else it would come back by subtraction).
    let mut shown: Vec<Option<f64>> = rows
        .iter()
        .map(|r| match r.measure.kind() {
            LinkageKind::Count { zero_is_attribute } => profile.count(r.value, zero_is_attribute),
            _ => None,
        })
        .collect();
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    for set in mechanism_part_sets() {
        for mode in cumin_link::IdMode::ALL {
            let parts: Vec<usize> = (0..rows.len())
                .filter(|&i| rows[i].id_mode == mode && set.contains(&rows[i].measure))
                .collect();
            withhold_lone_part(&parts, &values, &mut shown);
        }
    }
    let mut out: Vec<LinkageRow> = rows
        .into_iter()
        .zip(shown)
        .map(|(mut r, shown)| {
            if let LinkageKind::Count { .. } = r.measure.kind() {
                stats.count(profile, shown);
                r.value = shown.unwrap_or(f64::NAN);
            }
            r
        })
        .collect();
    let value = |rows: &[LinkageRow], r: &LinkageRow, m| {
        rows.iter()
            .find(|x| x.id_mode == r.id_mode && x.measure == m)
            .map_or(f64::NAN, |x| x.value)
    };
    // An expected count goes with the keys it is of, rounded like a count.
    for i in 0..out.len() {
        if let LinkageKind::Expected { keys } = out[i].measure.kind() {
            let v = out[i].value;
            let shown = (value(&out, &out[i], keys).is_finite() && v.is_finite())
                .then(|| profile.round_count(v));
            stats.count(profile, shown);
            out[i].value = shown.unwrap_or(f64::NAN);
        }
    }
    for i in 0..out.len() {
        match out[i].measure.kind() {
            LinkageKind::Share { num, den } => {
                let (n, d) = (value(&out, &out[i], num), value(&out, &out[i], den));
                out[i].value = released_share(n, d, &mut stats).unwrap_or(f64::NAN);
            }
            LinkageKind::Derived(m) => {
                let get = |x| value(&out, &out[i], LinkageMeasure::SplitMechanism(x));
                let v = m.derive(get);
                stats.derived(v.is_some());
                out[i].value = v.unwrap_or(f64::NAN);
            }
            _ => {}
        }
    }
    (
        Released::new(out, profile, &spec::LINKAGE, stats),
        AnalystOnly::new(model, &spec::LINKAGE_MODEL),
    )
}

/// Sets of mechanism counts that add up to a total `linkage.csv` releases elsewhere
/// (keys by decile group to `Σ split_keys_age_{a}`, keys aged 2–4 by rows to
/// `split_keys_age_{2,3,4}` and those with a PMR to `split_keys_with_pmr_age_{2,3,4}`): a
/// lone withheld part of one would be recovered by subtraction.
fn mechanism_part_sets() -> [[LinkageMeasure; 3]; 3] {
    use crate::mechanism::{DecileGroup, MechanismMeasure as M, RowBand};
    let m = LinkageMeasure::SplitMechanism;
    [
        DecileGroup::ALL.map(|g| m(M::Keys(g))),
        RowBand::ALL.map(|b| m(M::YoungKeys(b))),
        RowBand::ALL.map(|b| m(M::YoungKeysWithPmr(b))),
    ]
}

/// Secondary suppression of a set of counts that add up to a total released elsewhere
/// (`parts`, indices into `values` and `shown`): where exactly one part is withheld, the
/// smallest shown part (by its value before release; the earlier on a tie) is withheld
/// with it, so no part comes back by subtraction.
fn withhold_lone_part(parts: &[usize], values: &[f64], shown: &mut [Option<f64>]) {
    if parts.iter().filter(|&&i| shown[i].is_none()).count() == 1
        && let Some(&partner) = parts
            .iter()
            .filter(|&&i| shown[i].is_some())
            .min_by(|&&a, &&b| values[a].total_cmp(&values[b]).then(a.cmp(&b)))
    {
        shown[partner] = None;
    }
}

/// One line of the ledger as the report shows it: file, reason, rows.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerLine {
    /// Input file.
    pub file: String,
    /// `read`, `used`, `quarantined:…`, `excluded:…` or `rule:…`.
    pub reason: String,
    /// Rows (NaN when withheld).
    pub rows: f64,
}

/// Whether a ledger line is one of the parts that add up to a file's rows read (`used`,
/// `quarantined:…`, `excluded:…`; `read` itself is exact in the manifest, and `rule:…`
/// lines count on top).
fn ledger_part(l: &LedgerLine) -> bool {
    l.reason == "used" || l.reason.starts_with("quarantined:") || l.reason.starts_with("excluded:")
}

/// Applies `profile` to the ledger lines the report shows (its exact form stays in
/// `analyst-only/ledger.csv`): counts withheld and rounded like any count. A file's parts
/// add up to its rows read, which the manifest states exactly, so a lone withheld part
/// could be recovered by subtraction: the smallest shown part of that file is withheld
/// with it (secondary suppression; the partner has no rate to take along).
pub fn release_ledger(profile: SdcProfile, lines: Vec<LedgerLine>) -> Released<Vec<LedgerLine>> {
    let mut stats = CellStats::default();
    let shown: Vec<Option<f64>> = lines.iter().map(|l| profile.count(l.rows, true)).collect();
    let mut shown = shown;
    let mut files: Vec<&str> = lines.iter().map(|l| l.file.as_str()).collect();
    files.dedup();
    for file in files {
        let parts: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].file == file && ledger_part(&lines[i]))
            .collect();
        let rows: Vec<f64> = lines.iter().map(|l| l.rows).collect();
        withhold_lone_part(&parts, &rows, &mut shown);
    }
    let rows = lines
        .into_iter()
        .zip(shown)
        .map(|(mut l, shown)| {
            stats.count(profile, shown);
            l.rows = shown.unwrap_or(f64::NAN);
            l
        })
        .collect();
    Released::new(rows, profile, &spec::REPORT, stats)
}

/// The quarantined rows, for `analyst-only/quarantine.csv` (row-level: never released).
pub fn keep_quarantine(ledger: &cumin_census::Ledger) -> AnalystOnly<&cumin_census::Ledger> {
    AnalystOnly::new(ledger, &spec::QUARANTINE)
}

/// The cleaning notes, for `analyst-only/notes.csv` (exact counts: never released).
pub fn keep_notes(notes: &[cumin_census::Note]) -> AnalystOnly<&[cumin_census::Note]> {
    AnalystOnly::new(notes, &spec::NOTES)
}

/// The exact ledger, for `analyst-only/ledger.csv`.
pub fn keep_ledger(ledger: &cumin_census::Ledger) -> AnalystOnly<Vec<LedgerLine>> {
    AnalystOnly::new(
        ledger
            .lines()
            .map(|(f, e, n)| LedgerLine {
                file: f.to_owned(),
                reason: e.to_string(),
                rows: n as f64,
            })
            .collect(),
        &spec::LEDGER,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{AgeBand, LinkageMeasure, PmrDiagnostic};
    use cumin_census::{CensusYear, Outcome};
    use cumin_link::IdMode;
    use proptest::prelude::*;

    #[test]
    fn rounds_like_r() {
        for (x, want) in [
            (15.0, 20.0),
            (25.0, 20.0),
            (24.9, 20.0),
            (5.0, 0.0),
            (35.0, 40.0),
            (0.0, 0.0),
        ] {
            assert_eq!(SdcProfile::Jay2025.round_count(x), want, "{x}");
        }
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(-2.5), -2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(SdcProfile::None.round_count(7.0), 7.0);
        assert_eq!(SdcProfile::OnsSrs.round_count(12.0), 10.0);
        assert_eq!(SdcProfile::OnsSrs.round_count(13.0), 15.0);
        for p in SdcProfile::ALL {
            assert_eq!(SdcProfile::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn zeros_are_withheld_only_where_they_are_an_attribute() {
        assert_eq!(SdcProfile::OnsSrs.count(0.0, true), None);
        assert_eq!(SdcProfile::OnsSrs.count(0.0, false), Some(0.0));
        assert_eq!(SdcProfile::Dfe.count(0.0, true), Some(0.0));
        assert_eq!(SdcProfile::Dfe.count(5.0, true), None);
        assert_eq!(SdcProfile::Dfe.count(6.0, true), Some(10.0));
        assert_eq!(SdcProfile::Jay2025.count(3.0, true), Some(0.0));
        assert_eq!(SdcProfile::OnsSrs.step_least(), 10.0);
        assert_eq!(SdcProfile::Jay2025.step_least(), 10.0);
        assert_eq!(SdcProfile::None.step_least(), 0.0);
    }

    #[test]
    fn shares_come_from_released_counts_and_go_with_them() {
        let r = release_recurrence(
            SdcProfile::Jay2025,
            vec![Recurrence {
                outcome: Outcome::Referral,
                first_year: CensusYear(2015),
                years_after: 1,
                children: 137.0,
                recurred: 44.0,
                share: Some(44.0 / 137.0),
            }],
        );
        let row = &r.get()[0];
        assert_eq!((row.children, row.recurred), (140.0, 40.0));
        assert_eq!(row.share, Some(40.0 / 140.0));
        let w = release_recurrence(
            SdcProfile::Dfe,
            vec![Recurrence {
                recurred: 4.0,
                ..r.get()[0].clone()
            }],
        );
        assert!(w.get()[0].recurred.is_nan());
        assert_eq!(w.get()[0].share, None);
        assert_eq!(w.stats().counts_withheld, 1);
    }

    #[test]
    fn a_linkage_share_is_its_released_rows_and_the_model_stays_behind() {
        let m = IdMode::Combined;
        let year = CensusYear(2014);
        let rows = vec![
            LinkageRow::new(m, LinkageMeasure::CensusRows(year, AgeBand::Under5), 43.0),
            LinkageRow::new(
                m,
                LinkageMeasure::CensusRowsWithPmrCount(year, AgeBand::Under5),
                4.0,
            ),
            LinkageRow::new(
                m,
                LinkageMeasure::CensusRowsWithPmr(year, AgeBand::Under5),
                0.0,
            ),
            LinkageRow::new(m, LinkageMeasure::CensusRows(year, AgeBand::Primary), 120.0),
            LinkageRow::new(
                m,
                LinkageMeasure::CensusRowsWithPmrCount(year, AgeBand::Primary),
                96.0,
            ),
            LinkageRow::new(
                m,
                LinkageMeasure::CensusRowsWithPmr(year, AgeBand::Primary),
                0.0,
            ),
            LinkageRow::new(
                m,
                LinkageMeasure::SplitHidden(crate::tables::HiddenCount::All),
                830.4,
            ),
            LinkageRow::new(m, LinkageMeasure::SplitPmr(PmrDiagnostic::Keys, 1), 200.0),
            LinkageRow::new(
                m,
                LinkageMeasure::SplitPmr(PmrDiagnostic::KeysWithPmr, 1),
                3.0,
            ),
            LinkageRow::new(m, LinkageMeasure::SplitPmr(PmrDiagnostic::KeyShare, 1), 0.0),
        ];
        let (released, model) = release_linkage(SdcProfile::OnsSrs, rows);
        let v: Vec<f64> = released.get().iter().map(|r| r.value).collect();
        assert_eq!(v[0], 45.0);
        assert!(
            v[1].is_nan() && v[2].is_nan(),
            "4 rows: withheld, and the share"
        );
        assert_eq!((v[3], v[4], v[5]), (120.0, 95.0, 95.0 / 120.0));
        assert_eq!(v[6], 200.0);
        assert!(
            v[7].is_nan() && v[8].is_nan(),
            "3 PMR keys of age 1: withheld, and their share"
        );
        assert_eq!(released.get().len(), 9);
        assert_eq!(model.get().len(), 1);
        assert_eq!(model.spec().file, "analyst-only/linkage_model.csv");
    }

    /// An attacker subtracts the shown parts of a set from its total, which the table
    /// releases elsewhere (`split_keys_age_{2,3,4}`, Σ `split_keys_age_{a}`): a lone
    /// withheld part would come back exactly (up to rounding) and say what disclosure
    /// control withheld. Catches [`withhold_lone_part`] not being applied to linkage rows.
    #[test]
    fn no_withheld_mechanism_count_comes_back_by_differencing() {
        use crate::mechanism::{DecileGroup as G, MechanismMeasure as M, RowBand as B};
        let m = IdMode::Combined;
        let mech = |x: M, v: f64| LinkageRow::new(m, LinkageMeasure::SplitMechanism(x), v);
        let keys = |age: u8, v: f64| {
            LinkageRow::new(m, LinkageMeasure::SplitPmr(PmrDiagnostic::Keys, age), v)
        };
        let rows = vec![
            keys(2, 120.0),
            keys(3, 150.0),
            keys(4, 94.0),
            keys(9, 500.0),
            // Keys aged 2–4 by rows: 300 + 60 + 4 = 364; with a PMR 100 + 40 + 3.
            mech(M::YoungKeys(B::One), 300.0),
            mech(M::YoungKeys(B::Two), 60.0),
            mech(M::YoungKeys(B::ThreePlus), 4.0),
            mech(M::YoungKeysWithPmr(B::One), 100.0),
            mech(M::YoungKeysWithPmr(B::Two), 40.0),
            mech(M::YoungKeysWithPmr(B::ThreePlus), 3.0),
            mech(M::YoungExpectedPmr(B::One), 150.2),
            mech(M::YoungExpectedPmr(B::Two), 35.0),
            mech(M::YoungExpectedPmr(B::ThreePlus), 3.4),
            mech(M::PmrRowsRatio, 1.3),
            // Keys by decile group: 5 + 600 + 259 = 864, all keys.
            mech(M::Keys(G::Low), 5.0),
            mech(M::Keys(G::Middle), 600.0),
            mech(M::Keys(G::High), 259.0),
            mech(M::Referrals(G::Middle), 900.0),
            mech(M::ReferralPairs(G::Middle), 700.0),
            mech(M::Dispersion(G::Middle), 2.0),
        ];
        for profile in [SdcProfile::Dfe, SdcProfile::OnsSrs, SdcProfile::Ukllc] {
            let (released, _) = release_linkage(profile, rows.clone());
            let get = |x: M| {
                released
                    .get()
                    .iter()
                    .find(|r| r.measure == LinkageMeasure::SplitMechanism(x))
                    .map_or(f64::NAN, |r| r.value)
            };
            for set in mechanism_part_sets() {
                let withheld = set
                    .iter()
                    .filter(|x| {
                        released
                            .get()
                            .iter()
                            .any(|r| r.measure == **x && r.value.is_nan())
                    })
                    .count();
                assert!(
                    withheld != 1,
                    "{profile:?}: one part of {set:?} withheld alone: total − the others gives it"
                );
            }
            // The 3+ band is withheld with its smallest partner, its expected count with
            // it, and the ratio with them.
            assert!(get(M::YoungKeys(B::ThreePlus)).is_nan() && get(M::YoungKeys(B::Two)).is_nan());
            assert_eq!(get(M::YoungKeys(B::One)), 300.0);
            assert!(get(M::YoungExpectedPmr(B::ThreePlus)).is_nan());
            assert_eq!(get(M::YoungExpectedPmr(B::One)), 150.0);
            assert!(get(M::PmrRowsRatio).is_nan());
            assert!(get(M::Keys(G::Low)).is_nan() && get(M::Keys(G::High)).is_nan());
            assert_eq!(get(M::Keys(G::Middle)), 600.0);
            // The dispersion is recomputed from the released counts.
            assert_eq!(get(M::Dispersion(G::Middle)), 1.0 + 1400.0 / 900.0 - 1.5);
        }
        // Without control every part is shown and the statistics come from the counts.
        let (released, _) = release_linkage(SdcProfile::None, rows);
        let ratio = released
            .get()
            .iter()
            .find(|r| r.measure == LinkageMeasure::SplitMechanism(M::PmrRowsRatio))
            .map(|r| r.value);
        assert_eq!(ratio, Some((3.0 / 3.4) / (100.0 / 150.2)));
    }

    #[test]
    fn a_lone_withheld_part_of_a_files_rows_takes_a_partner() {
        let line = |reason: &str, rows: f64| LedgerLine {
            file: "a.csv".into(),
            reason: reason.into(),
            rows,
        };
        let released = release_ledger(
            SdcProfile::OnsSrs,
            vec![
                line("read", 1000.0),
                line("used", 940.0),
                line("excluded:episode_before_window", 57.0),
                line("excluded:child_without_birth_date", 3.0),
                line("rule:date_repaired", 12.0),
            ],
        );
        let rows: Vec<f64> = released.get().iter().map(|l| l.rows).collect();
        assert_eq!((rows[0], rows[1], rows[4]), (1000.0, 940.0, 10.0));
        assert!(rows[2].is_nan() && rows[3].is_nan(), "{rows:?}");
    }

    proptest! {
        #[test]
        fn a_shown_count_is_never_disclosive_and_always_on_the_grid(
            x in 0u32..200,
            attribute in proptest::bool::ANY,
            profile in proptest::sample::select(SdcProfile::ALL.to_vec()),
        ) {
            let x = f64::from(x);
            if let Some(shown) = profile.count(x, attribute) {
                prop_assert!(!profile.is_disclosive(x, attribute));
                prop_assert_eq!(shown % profile.rules().round_to, 0.0);
                prop_assert!((shown - x).abs() <= profile.rules().round_to / 2.0);
            } else {
                prop_assert!(x < profile.rules().threshold);
            }
        }
    }
}
