//! The simulator's quirky extract read end to end by `cumin-census`: every row is
//! accounted for, the spoilt dates the simulator reports are exactly the ones the
//! cleaning rules count, and the CSV and Parquet files of the same extract give the same
//! table and the same ledger.

use cumin_census::{EntryKind, Extract, NoProgress, ReadOptions, read_extract};
use cumin_synth::{QuirkRates, SimParams, WriteOptions};

fn quirky() -> SimParams {
    SimParams {
        scale: 0.004,
        seed: 31,
        quirk: QuirkRates {
            missing_date: 0.02,
            corrupt_date: 0.02,
            ancient_date: 0.02,
            closure_before_referral: 0.05,
            legacy_spelling: 0.1,
            ..QuirkRates::default()
        },
        ..SimParams::default()
    }
}

fn read(path: std::path::PathBuf) -> Extract {
    read_extract(&[path], &ReadOptions::default(), &NoProgress).unwrap()
}

/// Ledger lines without the file name.
fn lines(e: &Extract) -> Vec<(String, u64)> {
    e.ledger
        .lines()
        .map(|(_, entry, n)| (entry.to_string(), n))
        .collect()
}

#[test]
fn the_quirky_extract_balances_and_both_formats_agree() {
    let dir = tempfile::tempdir().unwrap();
    let sim = cumin_synth::simulate(&quirky(), &NoProgress).unwrap();
    let options = WriteOptions {
        csv: true,
        parquet: true,
        true_ids: false,
    };
    sim.write_with(dir.path(), options, &NoProgress).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap())
            .unwrap();
    let rows = truth["counts"]["rows"].as_u64().unwrap();
    let applied = |q: &str| truth["quirks"]["quirks"][q]["applied"].as_u64().unwrap();

    let csv = read(dir.path().join("episodes.csv"));
    let parquet = read(dir.path().join("episodes.parquet"));
    for e in [&csv, &parquet] {
        let read = e.ledger.total(0, EntryKind::Read);
        assert_eq!(read, rows, "every written row is read");
        assert_eq!(
            read,
            e.episodes.len() as u64
                + e.ledger.total(0, EntryKind::Quarantined)
                + e.ledger.total(0, EntryKind::Excluded)
        );
        e.ledger.check_with_pending(&e.rows_kept()).unwrap();
        let rule = |name| e.ledger.get(0, EntryKind::Rule, name);
        assert!(applied("corrupt_date") > 0 && applied("ancient_date") > 0);
        assert_eq!(rule("date_unreadable"), applied("corrupt_date"));
        assert_eq!(rule("date_before_1930"), applied("ancient_date"));
        assert!(rule("closure_before_referral") > 0);
        assert!(rule("reason_legacy_rc8") + rule("reason_respelled") > 0);
    }
    assert_eq!(lines(&csv), lines(&parquet));
    assert_eq!(csv.episodes.len(), parquet.episodes.len());
    for i in 0..csv.episodes.len() {
        assert_eq!(csv.episodes.row(i), parquet.episodes.row(i), "row {i}");
    }
    assert_eq!(
        csv.ledger.quarantined_rows(),
        parquet.ledger.quarantined_rows()
    );
}
