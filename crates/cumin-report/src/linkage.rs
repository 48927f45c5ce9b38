//! The linkage section of the report and the terminal: the released `linkage.csv` rows
//! pivoted into tables, so what a reader sees is what was released.

use crate::cell::{Shown, Symbol, escape, value};
use crate::mechanism::{DecileGroup, MechanismMeasure};
use crate::sdc::Released;
use crate::tables::{AgeBand, LinkageKind, LinkageMeasure, LinkageRow, PmrDiagnostic};
use cumin_census::CensusYear;
use cumin_link::IdMode;
use serde::Serialize;
use std::fmt::Write as _;

/// A table for the report and the terminal: already released, already formatted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportTable {
    /// What the table shows.
    pub title: String,
    /// Column headings (the first names the row labels).
    pub columns: Vec<String>,
    /// Rows of cells, the first cell a label.
    pub rows: Vec<Vec<String>>,
}

/// The linkage section of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkageSection {
    /// Tables in reading order.
    pub tables: Vec<ReportTable>,
}

fn format_value(r: &LinkageRow) -> String {
    if r.measure.kind() == LinkageKind::Flag && !r.value.is_nan() {
        (if r.value > 0.0 { "yes" } else { "no" }).to_owned()
    } else if r.measure.is_count() || r.value.is_nan() {
        crate::write::number(Some(r.value))
    } else {
        format!("{:.1}%", 100.0 * r.value)
    }
}

/// Measures as rows, identifier modes as columns.
fn by_mode(title: &str, rows: &[LinkageRow], keep: impl Fn(LinkageMeasure) -> bool) -> ReportTable {
    let modes: Vec<IdMode> = IdMode::ALL
        .into_iter()
        .filter(|m| rows.iter().any(|r| r.id_mode == *m))
        .collect();
    let mut measures: Vec<LinkageMeasure> = Vec::new();
    for r in rows.iter().filter(|r| keep(r.measure)) {
        if !measures.contains(&r.measure) {
            measures.push(r.measure);
        }
    }
    ReportTable {
        title: title.to_owned(),
        columns: std::iter::once("measure")
            .chain(modes.iter().map(|m| m.as_str()))
            .map(str::to_owned)
            .collect(),
        rows: measures
            .iter()
            .map(|m| {
                std::iter::once(m.to_string())
                    .chain(modes.iter().map(|mode| {
                        rows.iter()
                            .find(|r| r.id_mode == *mode && r.measure == *m)
                            .map(format_value)
                            .unwrap_or_default()
                    }))
                    .collect()
            })
            .collect(),
    }
}

/// Census years as rows, age bands as columns: the share of rows carrying a PMR.
fn coverage_table(rows: &[LinkageRow]) -> ReportTable {
    let cells: Vec<(CensusYear, AgeBand, &LinkageRow)> = rows
        .iter()
        .filter_map(|r| match r.measure {
            LinkageMeasure::CensusRowsWithPmr(year, band) => Some((year, band, r)),
            _ => None,
        })
        .collect();
    let bands: Vec<AgeBand> = AgeBand::ALL
        .into_iter()
        .filter(|b| cells.iter().any(|c| c.1 == *b))
        .collect();
    let mut years: Vec<CensusYear> = cells.iter().map(|c| c.0).collect();
    years.sort_unstable();
    years.dedup();
    ReportTable {
        title: "PMR coverage: share of rows carrying a PMR, by census year and age on 31 March"
            .to_owned(),
        columns: std::iter::once("census year")
            .chain(bands.iter().map(|b| b.as_str()))
            .map(str::to_owned)
            .collect(),
        rows: years
            .iter()
            .map(|y| {
                std::iter::once(y.0.to_string())
                    .chain(bands.iter().map(|b| {
                        cells
                            .iter()
                            .find(|c| c.0 == *y && c.1 == *b)
                            .map(|c| format_value(c.2))
                            .unwrap_or_default()
                    }))
                    .collect()
            })
            .collect(),
    }
}

/// Ages as rows, the PMR diagnostics as columns: which PMR mechanism the extract shows
/// (a PMR that appears from about 2 and stays on a key's later rows is a property of the
/// child with an onset; one that comes and goes with the share `φ` is a row-by-row
/// draw). Empty without the split correction.
fn pmr_mechanism_table(rows: &[LinkageRow]) -> ReportTable {
    let diagnostics = [
        PmrDiagnostic::Rows,
        PmrDiagnostic::RowShare,
        PmrDiagnostic::RowsAfterPmr,
        PmrDiagnostic::Persistence,
        PmrDiagnostic::RowsAfterPmrMoving,
        PmrDiagnostic::PersistenceMoving,
        PmrDiagnostic::Keys,
        PmrDiagnostic::KeyShare,
    ];
    let mut ages: Vec<u8> = rows
        .iter()
        .filter_map(|r| match r.measure {
            LinkageMeasure::SplitPmr(_, age) => Some(age),
            _ => None,
        })
        .collect();
    ages.sort_unstable();
    ages.dedup();
    ReportTable {
        title: "PMRs by age on 31 March: rows and the share carrying a PMR; rows whose key \
                carried one in an earlier year and the share still carrying it \
                (persistence), the same for keys whose child moved later (a lower \
                persistence: PMRs depend on mobility); keys of that oldest age and the share carrying one"
            .to_owned(),
        columns: std::iter::once("age")
            .chain(diagnostics.iter().map(|d| d.as_str()))
            .map(str::to_owned)
            .collect(),
        rows: ages
            .iter()
            .map(|age| {
                std::iter::once(age.to_string())
                    .chain(diagnostics.iter().map(|d| {
                        rows.iter()
                            .find(|r| r.measure == LinkageMeasure::SplitPmr(*d, *age))
                            .map(format_value)
                            .unwrap_or_default()
                    }))
                    .collect()
            })
            .collect(),
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
fn mechanism_table(rows: &[LinkageRow]) -> ReportTable {
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
pub fn mechanism_html(rows: &[LinkageRow], mode: IdMode) -> String {
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

/// The linkage section, from the released `linkage.csv` rows.
pub fn linkage_section(released: &Released<Vec<LinkageRow>>) -> LinkageSection {
    let rows = released.get();
    let count = |keep: fn(crate::tables::LinkCount) -> bool| move |m: LinkageMeasure| matches!(m, LinkageMeasure::Count(c) if keep(c));
    LinkageSection {
        tables: vec![
            by_mode(
                "Rows, episodes and children by identifier mode",
                rows,
                count(|c| !c.is_conflict()),
            ),
            by_mode(
                "Conflicting identifiers, and rows the conflict policy held apart or dropped",
                rows,
                count(crate::tables::LinkCount::is_conflict),
            ),
            by_mode(
                "First referrals identified by PMR, by age at referral",
                rows,
                |m| matches!(m, LinkageMeasure::FirstReferralsPmrIdentified(_)),
            ),
            coverage_table(rows),
            by_mode(
                "Split identities: children by PMR and age at first referral, PMR-linked \
                 children who moved (by age at first referral in a second LA), suspected \
                 transfers, and the correction (whether it adjusted for PMRs depending on \
                 later mobility)",
                rows,
                |m| {
                    m.is_split()
                        && !matches!(
                            m,
                            LinkageMeasure::SplitPmr(..) | LinkageMeasure::SplitMechanism(_)
                        )
                },
            ),
            pmr_mechanism_table(rows),
            mechanism_table(rows),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MechanismMeasure as M;

    fn row(m: MechanismMeasure, v: f64) -> LinkageRow {
        LinkageRow::new(IdMode::Combined, LinkageMeasure::SplitMechanism(m), v)
    }

    #[test]
    fn the_reading_names_the_nearer_range_or_cannot_tell() {
        let rows = vec![
            row(M::Dispersion(DecileGroup::Low), 2.9),
            row(M::Dispersion(DecileGroup::High), 0.95),
            row(M::PmrRowsRatio, f64::NAN),
        ];
        let t = mechanism_table(&rows);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0][1], "2.90");
        assert_eq!(t.rows[0][3], format!("closer to {MINORITY}"));
        assert_eq!(t.rows[1][3], format!("closer to {FRAILTY}"));
        assert_eq!(t.rows[2][1], "c");
        assert_eq!(t.rows[2][3], "cannot tell (withheld)");
        let h = mechanism_html(&rows, IdMode::Combined);
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
        assert!(mechanism_html(&rows, IdMode::LaOnly).is_empty());
    }
}
