//! Batches cleaned in parallel chunks that write their rows straight into the table
//! (`read/ingest.rs`): rows dropped in one chunk (quarantined, outside the stated census
//! years) move the later chunks' rows down, their identifiers, `Latest*` dates and
//! second-spelling reasons with them.

use cumin_census::{
    CensusYear, EntryKind, Exclusion, Extract, NoProgress, OtherReasons, ReadOptions,
    ReasonSpelling, read_extract_with_other_reasons,
};
use std::fmt::Write as _;
use std::path::Path;

/// 12,000 rows: every 7th with an unreadable census year, every 11th with no identifier
/// (quarantined), every 5th of census year 2012/13 (outside the window), identifiers of
/// the keyed format and not, some repeated, `Latest*` dates differing from the row's own.
fn csv() -> String {
    let mut s = String::from(
        "ACADYR,LA,LAchildID_Anon,PupilMatchingRefAnonymous,MonthOfBirth,YearOfBirth,\
         CINreferralDate,LatestReferralDate,ReasonForClosure\n",
    );
    for i in 0..12_000u32 {
        let year = if i % 7 == 3 {
            "soon".to_owned()
        } else if i % 5 == 0 {
            "2012/13".to_owned()
        } else {
            format!("{}/{}", 2013 + i % 3, 14 + i % 3)
        };
        let (la_id, pmr) = if i % 11 == 4 {
            (String::new(), String::new())
        } else if i % 4 == 1 {
            (format!("id-{}", i % 500), String::new())
        } else {
            (format!("{}", i % 900), format!("P{:016X}", i % 2_000))
        };
        let referral = format!("{}-10-0{}", 2013 + i % 3, 1 + i % 9);
        let latest = if i % 13 == 0 { "2016-01-01" } else { "" };
        let reason = ["RC1", "NFA", "no", "X"][(i % 4) as usize];
        writeln!(
            s,
            "{year},202,{la_id},{pmr},5,2010,{referral},{latest},{reason}"
        )
        .unwrap();
    }
    s
}

fn read(path: &Path, batch_size: usize) -> (Extract, OtherReasons) {
    let mut options = ReadOptions {
        batch_size,
        census_years: Some((CensusYear(2014), CensusYear(2016))),
        ..ReadOptions::default()
    };
    options.rules.defer_whole_extract_rules = true;
    read_extract_with_other_reasons(
        &[path.to_owned()],
        &options,
        ReasonSpelling::Jay2025Strict,
        &NoProgress,
    )
    .unwrap()
}

/// Batches of 30,000 rows (several chunks, rows dropped in every chunk) read as batches
/// of 1,000 (one chunk each, nothing to move) do.
#[test]
fn chunks_move_their_rows_down_over_the_rows_dropped_before_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cin.csv");
    std::fs::write(&path, csv()).unwrap();
    let (one, one_other) = read(&path, 1_000);
    let (many, many_other) = read(&path, 30_000);
    let quarantined = one.ledger.quarantined_rows().len();
    assert!(quarantined > 2_000, "{quarantined}");
    let outside = Exclusion::CensusYearOutsideWindow.name();
    assert!(one.ledger.get(0, EntryKind::Excluded, outside) > 1_000);
    assert!(!one.latest.is_empty());
    assert_eq!(one.episodes.len(), many.episodes.len());
    for i in 0..one.episodes.len() {
        assert_eq!(one.episodes.row(i), many.episodes.row(i), "row {i}");
    }
    assert_eq!(one.episodes.la_child_id, many.episodes.la_child_id);
    assert_eq!(one.episodes.pmr, many.episodes.pmr);
    assert_eq!(one.ledger, many.ledger);
    assert_eq!(one.latest, many.latest);
    assert_eq!(one_other.reasons, many_other.reasons);
    assert_eq!(one_other.ledger, many_other.ledger);
}
