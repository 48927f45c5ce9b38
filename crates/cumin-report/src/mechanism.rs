//! The extract's own reading of which heterogeneity and PMR mechanism holds
//! (`linkage.csv`'s `split_keys_deciles_*` … `split_pmr_rows_ratio_age_2-4` measures):
//! released counts, two statistics recomputed from them, and the report's small table
//! reading them against the ranges the simulator's grid showed (evidence, not a test the
//! tool applies; docs/notes/2026-12-07-seeds-4-5-decomposed.md §9).

use crate::cell::{Shown, Symbol, escape, value};
use crate::linkage::ReportTable;
use crate::tables::{LinkageKind, LinkageMeasure, LinkageRow};
use cumin_link::IdMode;
use std::fmt::{self, Write as _};

/// The decile group of a key's last episode (its value: `cumin_estimate`'s index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DecileGroup {
    /// Deciles 1–3 (most deprived).
    Low = 0,
    /// Deciles 4–7, and keys without a decile.
    Middle = 1,
    /// Deciles 8–10.
    High = 2,
}

impl DecileGroup {
    /// The groups, in `cumin_estimate`'s order (its `decile_group` 0, 1, 2).
    pub const ALL: [DecileGroup; 3] = [DecileGroup::Low, DecileGroup::Middle, DecileGroup::High];

    /// Name in measures.
    pub fn as_str(self) -> &'static str {
        match self {
            DecileGroup::Low => "1-3",
            DecileGroup::Middle => "4-7_or_unknown",
            DecileGroup::High => "8-10",
        }
    }
}

/// A band of a key's rows (its value: `cumin_estimate`'s index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowBand {
    /// One row.
    One = 0,
    /// Two rows.
    Two = 1,
    /// Three or more.
    ThreePlus = 2,
}

impl RowBand {
    /// The bands, in `cumin_estimate`'s order.
    pub const ALL: [RowBand; 3] = [RowBand::One, RowBand::Two, RowBand::ThreePlus];

    /// Name in measures.
    pub fn as_str(self) -> &'static str {
        match self {
            RowBand::One => "1",
            RowBand::Two => "2",
            RowBand::ThreePlus => "3+",
        }
    }
}

/// One measure of the mechanism reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MechanismMeasure {
    /// Keys (with an in-window referral) whose last episode is in the decile group.
    Keys(DecileGroup),
    /// Their own in-window referrals, `R = Σ r`.
    Referrals(DecileGroup),
    /// Pairs of referrals on one key, `P = Σ r (r − 1) / 2`.
    ReferralPairs(DecileGroup),
    /// Variance over mean of referrals per key, `1 + 2P/R − R/K` from the released
    /// counts.
    Dispersion(DecileGroup),
    /// Keys of oldest age 2–4 with the band's rows.
    YoungKeys(RowBand),
    /// Of them, keys carrying a PMR.
    YoungKeysWithPmr(RowBand),
    /// Of them, the keys expected to carry one under the row-by-row draw,
    /// `Σ 1 − (1 − φ(oldest age))^rows`.
    YoungExpectedPmr(RowBand),
    /// Observed over expected with 3+ rows, divided by observed over expected with one row.
    PmrRowsRatio,
}

impl MechanismMeasure {
    /// Every measure, in the order `linkage.csv` lists them.
    pub fn all() -> Vec<MechanismMeasure> {
        use MechanismMeasure as M;
        let mut out = Vec::new();
        for g in DecileGroup::ALL {
            out.extend([
                M::Keys(g),
                M::Referrals(g),
                M::ReferralPairs(g),
                M::Dispersion(g),
            ]);
        }
        for b in RowBand::ALL {
            out.extend([
                M::YoungKeys(b),
                M::YoungKeysWithPmr(b),
                M::YoungExpectedPmr(b),
            ]);
        }
        out.push(M::PmrRowsRatio);
        out
    }

    /// What the value is, for disclosure control.
    pub fn kind(self) -> LinkageKind {
        use MechanismMeasure as M;
        let count = |zero_is_attribute| LinkageKind::Count { zero_is_attribute };
        match self {
            M::Keys(_) | M::Referrals(_) | M::YoungKeys(_) => count(false),
            M::ReferralPairs(_) | M::YoungKeysWithPmr(_) => count(true),
            M::YoungExpectedPmr(b) => LinkageKind::Expected {
                keys: LinkageMeasure::SplitMechanism(M::YoungKeys(b)),
            },
            M::Dispersion(_) | M::PmrRowsRatio => LinkageKind::Derived(self),
        }
    }

    /// Sets of counts that add up to a total the table releases elsewhere (keys by decile
    /// group to `Σ split_keys_age_{a}`, keys aged 2–4 by rows to `split_keys_age_{2,3,4}`
    /// and those with a PMR to `split_keys_with_pmr_age_{2,3,4}`): a lone withheld part
    /// of one would be recovered by subtraction.
    pub fn part_sets() -> [[LinkageMeasure; 3]; 3] {
        use MechanismMeasure as M;
        let m = LinkageMeasure::SplitMechanism;
        [
            DecileGroup::ALL.map(|g| m(M::Keys(g))),
            RowBand::ALL.map(|b| m(M::YoungKeys(b))),
            RowBand::ALL.map(|b| m(M::YoungKeysWithPmr(b))),
        ]
    }

    /// A derived measure's value from the released values `get` (NaN where withheld):
    /// `None` when an input is withheld or a denominator is not positive.
    pub fn derive(self, get: impl Fn(MechanismMeasure) -> f64) -> Option<f64> {
        use MechanismMeasure as M;
        let positive = |x: f64| (x.is_finite() && x > 0.0).then_some(x);
        match self {
            M::Dispersion(g) => {
                let (k, r) = (positive(get(M::Keys(g)))?, positive(get(M::Referrals(g)))?);
                let p = get(M::ReferralPairs(g));
                p.is_finite().then(|| 1.0 + 2.0 * p / r - r / k)
            }
            M::PmrRowsRatio => {
                let (o3, o1) = (
                    get(M::YoungKeysWithPmr(RowBand::ThreePlus)),
                    positive(get(M::YoungKeysWithPmr(RowBand::One)))?,
                );
                let e3 = positive(get(M::YoungExpectedPmr(RowBand::ThreePlus)))?;
                let e1 = positive(get(M::YoungExpectedPmr(RowBand::One)))?;
                o3.is_finite().then(|| (o3 / e3) / (o1 / e1))
            }
            _ => None,
        }
    }
}

impl fmt::Display for MechanismMeasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MechanismMeasure as M;
        match *self {
            M::Keys(g) => write!(f, "split_keys_deciles_{}", g.as_str()),
            M::Referrals(g) => write!(f, "split_key_referrals_deciles_{}", g.as_str()),
            M::ReferralPairs(g) => write!(f, "split_key_referral_pairs_deciles_{}", g.as_str()),
            M::Dispersion(g) => write!(f, "split_key_referral_dispersion_deciles_{}", g.as_str()),
            M::YoungKeys(b) => write!(f, "split_keys_age_2-4_rows_{}", b.as_str()),
            M::YoungKeysWithPmr(b) => write!(f, "split_keys_with_pmr_age_2-4_rows_{}", b.as_str()),
            M::YoungExpectedPmr(b) => {
                write!(f, "split_keys_expected_pmr_age_2-4_rows_{}", b.as_str())
            }
            M::PmrRowsRatio => f.write_str("split_pmr_rows_ratio_age_2-4"),
        }
    }
}

/// One statistic read against the simulator's grid: the two mechanisms' ranges over its
/// seeds (scale 0.1; docs/notes/2026-12-07-seeds-4-5-decomposed.md §9).
struct Evidence {
    measure: MechanismMeasure,
    words: &'static str,
    a: (&'static str, f64, f64),
    b: (&'static str, f64, f64),
}

const MINORITY: &str = "a high-risk minority (mixture)";
const FRAILTY: &str = "gamma or log-normal frailty";
const PER_CHILD: &str = "a PMR of the child (onset, mobility)";
const ROW_BY_ROW: &str = "the row-by-row PMR draw";

const EVIDENCE: [Evidence; 3] = [
    Evidence {
        measure: MechanismMeasure::Dispersion(DecileGroup::Low),
        words: "Referrals per key, variance / mean, deciles 1-3",
        a: (MINORITY, 2.82, 3.08),
        b: (FRAILTY, 2.13, 2.38),
    },
    Evidence {
        measure: MechanismMeasure::Dispersion(DecileGroup::High),
        words: "Referrals per key, variance / mean, deciles 8-10",
        a: (MINORITY, 1.05, 1.15),
        b: (FRAILTY, 0.92, 1.01),
    },
    Evidence {
        measure: MechanismMeasure::PmrRowsRatio,
        words: "Keys aged 2-4 carrying a PMR, 3+ rows against 1, observed / row-by-row",
        a: (PER_CHILD, 0.48, 0.53),
        b: (ROW_BY_ROW, 0.59, 0.63),
    },
];

/// Which of the two ranges `v` is closer to (distance to the range, 0 inside it).
fn closer(v: Option<f64>, e: &Evidence) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "cannot tell (withheld)".to_owned();
    };
    let dist = |(_, lo, hi): (&str, f64, f64)| (lo - v).max(v - hi).max(0.0);
    let (da, db) = (dist(e.a), dist(e.b));
    if da < db {
        format!("closer to {}", e.a.0)
    } else if db < da {
        format!("closer to {}", e.b.0)
    } else {
        "cannot tell (between the two)".to_owned()
    }
}

/// One statistic as read: its words, released value, the simulator's ranges and the
/// reading.
struct Reading {
    words: &'static str,
    value: Option<f64>,
    ranges: String,
    verdict: String,
}

/// The statistics of identifier mode `mode`, from the released rows; empty without
/// them (no split correction in the run).
fn readings(rows: &[LinkageRow], mode: IdMode) -> Vec<Reading> {
    EVIDENCE
        .iter()
        .filter_map(|e| {
            let r = rows.iter().find(|r| {
                r.id_mode == mode && r.measure == LinkageMeasure::SplitMechanism(e.measure)
            })?;
            let value = Some(r.value).filter(|v| v.is_finite());
            Some(Reading {
                words: e.words,
                value,
                ranges: format!(
                    "{} {:.2}-{:.2}; {} {:.2}-{:.2}",
                    e.a.0, e.a.1, e.a.2, e.b.0, e.b.1, e.b.2
                ),
                verdict: closer(value, e),
            })
        })
        .collect()
}

const TITLE: &str = "Which mechanism the extract is closer to, as the simulator's grid showed \
     (its ranges over seeds, scale 0.1: evidence, not a test the tool applies)";

/// The statistics as a table of the linkage section (for the run's first identifier
/// mode that has them).
pub fn table(rows: &[LinkageRow]) -> ReportTable {
    let mode = IdMode::ALL
        .into_iter()
        .find(|m| !readings(rows, *m).is_empty());
    ReportTable {
        title: TITLE.to_owned(),
        columns: ["statistic", "value", "simulator", "reading"]
            .map(str::to_owned)
            .to_vec(),
        rows: mode.map_or_else(Vec::new, |m| {
            readings(rows, m)
                .into_iter()
                .map(|r| {
                    vec![
                        r.words.to_owned(),
                        r.value
                            .map_or_else(|| "c".to_owned(), |v| format!("{v:.2}")),
                        r.ranges,
                        r.verdict,
                    ]
                })
                .collect()
        }),
    }
}

/// The report's small table and its sentence of reading, for identifier mode `mode`
/// (empty without the measures).
pub fn html(rows: &[LinkageRow], mode: IdMode) -> String {
    let lines = readings(rows, mode);
    if lines.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<p>Which mechanism the extract is closer to, from released counts of \
         <code>linkage.csv</code>, as the simulator's grid showed (its ranges over seeds are \
         in docs/output-contract.md: evidence, not a test): referral dispersion in deciles \
         1-3, {}; PMR presence against a key's rows, {}.</p>\
         <table><tr><th>statistic</th><th>value</th><th>reading</th></tr>",
        escape(&lines[0].verdict),
        escape(&lines[lines.len() - 1].verdict),
    );
    for l in &lines {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(l.words),
            value(l.value, Shown::Ratio, Symbol::Withheld),
            escape(&l.verdict)
        );
    }
    html.push_str("</table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use MechanismMeasure as M;

    fn row(m: MechanismMeasure, v: f64) -> LinkageRow {
        LinkageRow::new(IdMode::Combined, LinkageMeasure::SplitMechanism(m), v)
    }

    #[test]
    fn the_statistics_are_recomputed_from_the_counts() {
        // Keys with 1, 1, 4 referrals: R = 6, P = 6, mean 2, variance 2: var/mean 1.
        let get = |m| match m {
            M::Keys(_) => 3.0,
            M::Referrals(_) | M::ReferralPairs(_) => 6.0,
            M::YoungKeysWithPmr(RowBand::One) => 20.0,
            M::YoungExpectedPmr(RowBand::One) => 25.0,
            M::YoungKeysWithPmr(RowBand::ThreePlus) => 30.0,
            M::YoungExpectedPmr(RowBand::ThreePlus) => 60.0,
            _ => f64::NAN,
        };
        let d = M::Dispersion(DecileGroup::Low).derive(get).expect("shown");
        assert!((d - 1.0).abs() < 1e-12, "{d}");
        let r = M::PmrRowsRatio.derive(get).expect("shown");
        assert!((r - 0.5 / 0.8).abs() < 1e-12, "{r}");
        // Withheld inputs leave them blank.
        let withheld = |m| {
            if m == M::Referrals(DecileGroup::Low) {
                f64::NAN
            } else {
                get(m)
            }
        };
        assert_eq!(M::Dispersion(DecileGroup::Low).derive(withheld), None);
        let withheld = |m| {
            if matches!(m, M::YoungKeysWithPmr(_)) {
                f64::NAN
            } else {
                get(m)
            }
        };
        assert_eq!(M::PmrRowsRatio.derive(withheld), None);
    }

    #[test]
    fn the_reading_names_the_nearer_range_or_cannot_tell() {
        let rows = vec![
            row(M::Dispersion(DecileGroup::Low), 2.9),
            row(M::Dispersion(DecileGroup::High), 0.95),
            row(M::PmrRowsRatio, f64::NAN),
        ];
        let t = table(&rows);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0][1], "2.90");
        assert_eq!(t.rows[0][3], format!("closer to {MINORITY}"));
        assert_eq!(t.rows[1][3], format!("closer to {FRAILTY}"));
        assert_eq!(t.rows[2][1], "c");
        assert_eq!(t.rows[2][3], "cannot tell (withheld)");
        let h = html(&rows, IdMode::Combined);
        assert!(
            h.contains(
                "deciles 1-3, closer to a high-risk minority (mixture); PMR presence \
                        against a key's rows, cannot tell (withheld)."
            ),
            "{h}"
        );
        // Just past the middle of the gap between the ranges, the nearer one wins.
        let e = &EVIDENCE[2];
        assert_eq!(closer(Some(0.57), e), format!("closer to {ROW_BY_ROW}"));
        assert_eq!(closer(Some(0.55), e), format!("closer to {PER_CHILD}"));
        assert!(h.contains("<data value=\"2.9\">2.90</data>"), "{h}");
        assert!(html(&rows, IdMode::LaOnly).is_empty());
    }

    #[test]
    fn names_are_distinct_and_kinds_follow_the_file_rule() {
        let all = MechanismMeasure::all();
        let mut names: Vec<String> = all.iter().map(ToString::to_string).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(names.iter().all(|n| n.starts_with("split_")));
        for set in MechanismMeasure::part_sets() {
            assert!(set.iter().all(|m| m.is_count()), "{set:?}");
        }
    }
}
