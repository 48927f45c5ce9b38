//! The linkage section of the report and the terminal: the released `linkage.csv` rows
//! pivoted into tables, so what a reader sees is what was released.

use crate::sdc::Released;
use crate::tables::{AgeBand, LinkageKind, LinkageMeasure, LinkageRow, PmrDiagnostic};
use cumin_census::CensusYear;
use cumin_link::IdMode;
use serde::Serialize;

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
            crate::mechanism::table(rows),
        ],
    }
}
