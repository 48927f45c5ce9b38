//! What linkage did: `linkage.csv` and the linkage section of the report.
//!
//! The measures are plain rows (`id_mode, measure, value`) so they pass disclosure
//! control like every table; the report section ([`linkage_section`]) is built from the
//! released rows only, so what a reader sees is what was released.

use crate::sensitivity::Sensitivity;
use cumin_census::{CensusYear, Episodes, Outcome};
use cumin_cohort::{Events, Identity, LinkageCounts};
use cumin_link::{EpisodeSet, IdMode};
use cumin_report::{LinkageRow, Released};
use serde::Serialize;
use std::collections::BTreeMap;

/// Age bands for identifier coverage: PMRs come with school, so the bands follow it.
const BANDS: [(&str, i32, i32); 4] = [
    ("0-4", 0, 4),
    ("5-10", 5, 10),
    ("11-17", 11, 17),
    ("18+", 18, i32::MAX),
];

fn row(mode: IdMode, measure: impl Into<String>, value: f64, is_count: bool) -> LinkageRow {
    LinkageRow {
        id_mode: mode.as_str().to_owned(),
        measure: measure.into(),
        value,
        is_count,
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Counts of one mode's linkage and de-duplication: rows, episodes, children, merges,
/// conflicts by kind and what the policy did about them.
pub fn mode_rows(mode: IdMode, counts: &LinkageCounts) -> Vec<LinkageRow> {
    let (s, dedup) = (&counts.link, &counts.dedup);
    [
        ("rows", s.rows),
        ("rows_linked", s.rows_linked),
        ("rows_unidentified", s.rows_unidentified),
        ("rows_conflict_dropped", s.rows_conflict_dropped),
        ("rows_conflict_split", s.rows_conflict_split),
        ("rows_with_pmr", s.rows_with_pmr),
        ("rows_pmr_identified", s.rows_pmr_identified),
        ("pmrs", s.pmrs),
        ("la_keys", s.la_keys),
        ("episodes", dedup.episodes),
        ("episodes_merged", dedup.episodes_merged),
        ("rows_merged_into_episodes", dedup.rows_merged),
        ("episodes_nfa_disagreements", dedup.nfa_disagreements),
        ("episodes_reason_disagreements", dedup.reason_disagreements),
        (
            "episodes_closure_disagreements",
            dedup.closure_disagreements,
        ),
        ("episodes_referral_imputed", dedup.imputed_referral),
        ("episodes_imputed_beside_real", dedup.imputed_beside_real),
        ("children", s.children),
        ("children_with_pmr", s.children_with_pmr),
        ("children_in_several_las", s.children_in_several_las),
        ("components_merged", s.components_merged),
        (
            "conflict_la_key_several_pmrs",
            s.conflict_la_key_several_pmrs,
        ),
        ("conflict_pmr_birth_mismatch", s.conflict_pmr_birth_mismatch),
        ("conflict_many_las", s.conflict_many_las),
        ("conflict_birth_year", s.conflict_birth_year),
    ]
    .into_iter()
    .map(|(m, v)| row(mode, m, v as f64, true))
    .collect()
}

/// Share of first referrals identified by PMR, by age band at referral.
pub fn first_referral_rows(mode: IdMode, set: &EpisodeSet, events: &Events) -> Vec<LinkageRow> {
    BANDS[..3]
        .iter()
        .map(|&(band, lo, hi)| {
            let (mut all, mut with_pmr) = (0u64, 0u64);
            for e in &events.first[Outcome::Referral.index()] {
                let age = i32::from(e.age.max(0));
                if (lo..=hi).contains(&age) {
                    all += 1;
                    with_pmr += u64::from(set.pmr_identified[e.episode as usize]);
                }
            }
            row(
                mode,
                format!("share_first_referrals_pmr_identified_age_{band}"),
                share(with_pmr, all),
                false,
            )
        })
        .collect()
}

/// PMR coverage by census year and age band on the census date (31 March): rows, and the
/// share carrying a PMR. Rows whose child has no usable birth date fall in `unknown`.
pub fn coverage_rows(episodes: &Episodes, identity: &Identity) -> Vec<LinkageRow> {
    let (linkage, children) = (&identity.linkage, &identity.children);
    let mut cells: BTreeMap<(CensusYear, &str), (u64, u64)> = BTreeMap::new();
    for i in 0..episodes.len() {
        let year = episodes.census_year[i];
        let dob = linkage.child_of_row[i].and_then(|c| children.dob[c.index()]);
        let band = dob.map_or("unknown", |dob| {
            match cumin_census::age_at(dob, year.end()) {
                -1 => "unborn",
                age => band_of(age),
            }
        });
        let cell = cells.entry((year, band)).or_insert((0, 0));
        cell.0 += 1;
        cell.1 += u64::from(episodes.pmr[i].is_some());
    }
    let mut out = Vec::new();
    for ((year, band), (rows, with_pmr)) in cells {
        let name = format!("census_{}_age_{band}", year.0);
        out.push(row(linkage.mode, format!("rows_{name}"), rows as f64, true));
        out.push(row(
            linkage.mode,
            format!("share_rows_with_pmr_{name}"),
            share(with_pmr, rows),
            false,
        ));
    }
    out
}

/// The band of an age, by [`BANDS`].
fn band_of(age: i32) -> &'static str {
    BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map_or("unknown", |b| b.0)
}

/// Split-identity diagnostics (`split_*` measures): children (components) by whether
/// they carry a PMR and the age band of their first referral; PMR-linked children seen in
/// several LAs, by age at their first referral in a second LA; the transfer rule's counts;
/// and, under `--linkage corrected`, the correction's `h` and, per outcome, the seen pairs
/// and the first events it removes.
pub fn split_rows(
    identity: &Identity,
    correction: Option<&crate::split::SplitSummary>,
) -> Vec<LinkageRow> {
    let (set, children) = (&identity.episodes, &identity.children);
    let (mode, transfers) = (identity.id_mode(), &identity.transfers);
    let mut child_pmr = vec![false; identity.linkage.n_children];
    for e in 0..set.len() {
        child_pmr[set.child[e].index()] |= set.pmr_identified[e];
    }
    let mut cells: BTreeMap<String, u64> = BTreeMap::new();
    for (c, r) in set.by_child() {
        let age = |e: usize| {
            children.dob[c.index()]
                .map_or(-1, |dob| cumin_census::age_at(dob, set.referral[e]).max(0))
        };
        let first_band = if children.dob[c.index()].is_some() {
            band_of(age(r.start))
        } else {
            "unknown"
        };
        let pmr = if child_pmr[c.index()] {
            "with_pmr"
        } else {
            "without_pmr"
        };
        *cells
            .entry(format!("split_children_{pmr}_first_age_{first_band}"))
            .or_insert(0) += 1;
        if !child_pmr[c.index()] {
            continue;
        }
        let first_la = r.clone().find_map(|e| set.la[e]);
        if let Some(moved) = r
            .clone()
            .find(|&e| set.la[e].is_some() && set.la[e] != first_la)
        {
            let band = if children.dob[c.index()].is_some() {
                band_of(age(moved))
            } else {
                "unknown"
            };
            *cells
                .entry(format!("split_pmr_children_moved_at_age_{band}"))
                .or_insert(0) += 1;
        }
    }
    let mut out: Vec<LinkageRow> = cells
        .into_iter()
        .map(|(m, v)| row(mode, m, v as f64, true))
        .collect();
    out.extend([
        row(
            mode,
            "split_transfer_closures",
            transfers.transfer_closures as f64,
            true,
        ),
        row(
            mode,
            "split_transfer_closures_with_candidates",
            transfers.closures_with_candidates as f64,
            true,
        ),
        row(
            mode,
            "split_transfer_candidate_matches",
            transfers.candidate_matches as f64,
            true,
        ),
        row(mode, "split_transfer_pairs", transfers.pairs as f64, true),
    ]);
    if let Some(c) = correction {
        out.push(row(mode, "split_share_children_ever_pmr", c.h, false));
        for (o, seen, removed) in &c.per_outcome {
            out.push(row(
                mode,
                format!("split_seen_pairs_{o}"),
                *seen as f64,
                true,
            ));
            out.push(row(
                mode,
                format!("split_first_events_removed_{o}"),
                removed.round(),
                true,
            ));
        }
    }
    out
}

/// The rows of `linkage.csv`: the study's own mode in full (counts, first referrals by
/// PMR, coverage), then other modes' counts: every mode's from the sensitivity runs when
/// there are any; else only those the run already has, `combined` and `pmr-school-age`
/// linking alike (nothing is linked again just to report it).
pub fn study_rows(
    episodes: &Episodes,
    main: &Identity,
    events: &Events,
    sensitivity: Option<&Sensitivity>,
) -> Vec<LinkageRow> {
    let mode = main.id_mode();
    let mut rows = mode_rows(mode, &main.counts());
    rows.extend(first_referral_rows(mode, &main.episodes, events));
    rows.extend(coverage_rows(episodes, main));
    match sensitivity {
        Some(s) => rows.extend(
            s.linkage
                .iter()
                .filter(|r| r.id_mode != mode.as_str())
                .cloned(),
        ),
        None => rows.extend(identifier_twin_rows(main)),
    }
    rows
}

/// The counts of the mode that links exactly as the run's own does: `combined` and
/// `pmr-school-age` differ only in which events count, so each one's identifier linkage
/// (before any transfer merge) is the other's. `la-only` and `pmr-only` have no twin.
fn identifier_twin_rows(main: &Identity) -> Vec<LinkageRow> {
    let twin = match main.id_mode() {
        IdMode::Combined => IdMode::PmrSchoolAge,
        IdMode::PmrSchoolAge => IdMode::Combined,
        IdMode::LaOnly | IdMode::PmrOnly => return Vec::new(),
    };
    mode_rows(twin, &main.by_identifiers)
}

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
    if r.is_count {
        cumin_report::write::number(Some(r.value))
    } else {
        format!("{:.1}%", 100.0 * r.value)
    }
}

/// Measures as rows, identifier modes as columns.
fn by_mode(title: &str, rows: &[LinkageRow], keep: impl Fn(&str) -> bool) -> ReportTable {
    let modes: Vec<&str> = IdMode::ALL
        .iter()
        .map(|m| m.as_str())
        .filter(|m| rows.iter().any(|r| r.id_mode == *m))
        .collect();
    let mut measures: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| keep(&r.measure)) {
        if !measures.contains(&r.measure.as_str()) {
            measures.push(&r.measure);
        }
    }
    ReportTable {
        title: title.to_owned(),
        columns: std::iter::once("measure")
            .chain(modes.iter().copied())
            .map(str::to_owned)
            .collect(),
        rows: measures
            .iter()
            .map(|m| {
                std::iter::once((*m).to_owned())
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
    const PREFIX: &str = "share_rows_with_pmr_census_";
    let cells: Vec<(&str, &str, &LinkageRow)> = rows
        .iter()
        .filter_map(|r| {
            let rest = r.measure.strip_prefix(PREFIX)?;
            let (year, band) = rest.split_once("_age_")?;
            Some((year, band, r))
        })
        .collect();
    let bands: Vec<&str> = ["unborn", "0-4", "5-10", "11-17", "18+", "unknown"]
        .into_iter()
        .filter(|b| cells.iter().any(|c| c.1 == *b))
        .collect();
    let mut years: Vec<&str> = cells.iter().map(|c| c.0).collect();
    years.sort_unstable();
    years.dedup();
    ReportTable {
        title: "PMR coverage: share of rows carrying a PMR, by census year and age on 31 March"
            .to_owned(),
        columns: std::iter::once("census year")
            .chain(bands.iter().copied())
            .map(str::to_owned)
            .collect(),
        rows: years
            .iter()
            .map(|y| {
                std::iter::once((*y).to_owned())
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

/// The linkage section, from the released `linkage.csv` rows.
pub fn linkage_section(released: &Released<Vec<LinkageRow>>) -> LinkageSection {
    let rows = released.get();
    let is_census_cell = |m: &str| m.contains("_census_");
    LinkageSection {
        tables: vec![
            by_mode(
                "Rows, episodes and children by identifier mode",
                rows,
                |m| {
                    !is_census_cell(m)
                        && !m.starts_with("split_")
                        && !m.starts_with("conflict_")
                        && !m.starts_with("rows_conflict_")
                        && !m.starts_with("share_")
                },
            ),
            by_mode(
                "Conflicting identifiers, and rows the conflict policy held apart or dropped",
                rows,
                |m| m.starts_with("conflict_") || m.starts_with("rows_conflict_"),
            ),
            by_mode(
                "First referrals identified by PMR, by age at referral",
                rows,
                |m| m.starts_with("share_first_referrals"),
            ),
            coverage_table(rows),
            by_mode(
                "Split identities: children by PMR and age at first referral, PMR-linked \
                 children who moved (by age at first referral in a second LA), suspected \
                 transfers, and the correction",
                rows,
                |m| m.starts_with("split_"),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{Date, EpisodeRow};
    use cumin_link::LinkOptions;
    use cumin_report::SdcProfile;

    #[test]
    fn section_pivots_released_rows_by_mode_and_by_census_year() {
        let mut e = Episodes::new();
        for (i, (pmr, year)) in [(None, 2014), (Some("P1"), 2015), (Some("P1"), 2015)]
            .into_iter()
            .enumerate()
        {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la_child_id = Some("A".into());
            r.la = Some(202);
            r.pmr = pmr.map(str::to_owned);
            r.referral = Some(Date::ymd(2013, 6, 1 + i as u32));
            r.birth_year = Some(2008);
            r.birth_month = Some(5);
            e.push(r);
        }
        let mut rows = Vec::new();
        for mode in [IdMode::Combined, IdMode::LaOnly] {
            let identity = cumin_cohort::identify(
                &e,
                &cumin_cohort::IdentitySpec {
                    link: LinkOptions::with_mode(mode),
                    linkage: cumin_link::LinkageMode::Exact,
                    birth: cumin_cohort::BirthRules::default(),
                },
            );
            rows.extend(mode_rows(mode, &identity.counts()));
            if mode == IdMode::Combined {
                rows.extend(coverage_rows(&e, &identity));
            }
        }
        let released = cumin_report::release_linkage(SdcProfile::None, rows);
        let section = linkage_section(&released);
        let summary = &section.tables[0];
        assert_eq!(summary.columns, ["measure", "combined", "la-only"]);
        let line = |t: &ReportTable, m: &str| t.rows.iter().find(|r| r[0] == m).unwrap().clone();
        assert_eq!(line(summary, "rows"), ["rows", "3", "3"]);
        assert_eq!(line(summary, "episodes"), ["episodes", "3", "3"]);
        let coverage = &section.tables[3];
        // Born May 2008: 5 on 31 March 2014 and 6 on 31 March 2015.
        assert_eq!(coverage.columns, ["census year", "5-10"]);
        assert_eq!(coverage.rows, [["2014", "0.0%"], ["2015", "100.0%"]]);
    }
}
