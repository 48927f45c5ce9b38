//! Unreadable dates: each is listed with its row in `quarantine.csv` and named with its
//! row on the terminal, and its row stays in use.

use super::{cumin_in, redact, root, text};

#[test]
fn unreadable_dates_are_listed_with_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/ingest/rule_dates.csv"),
        dir.path().join("cin.csv"),
    )
    .unwrap();
    let o = cumin_in(
        dir.path(),
        &["validate", "--episodes", "cin.csv", "--out", "check"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let shown = redact(&text(&o), dir.path());
    assert!(
        shown.contains("row 3 CINreferralDate \"2013/06/01\""),
        "the note names the row: {shown}"
    );
    insta::assert_snapshot!("validate_bad_dates", shown);
    let quarantine = std::fs::read_to_string(dir.path().join("check/quarantine.csv")).unwrap();
    insta::assert_snapshot!("quarantine_bad_dates", quarantine);
}

/// A run lists them too: the demo extract's corrupt dates, each with its row.
#[test]
fn a_run_lists_unreadable_dates_in_quarantine_csv() {
    let dir = tempfile::tempdir().unwrap();
    let o = cumin_in(dir.path(), &["demo", "--out", "out"]);
    assert!(o.status.success(), "{}", text(&o));
    let quarantine = std::fs::read_to_string(dir.path().join("out/quarantine.csv")).unwrap();
    let ledger = std::fs::read_to_string(dir.path().join("out/ledger.csv")).unwrap();
    let counted: u64 = ledger
        .lines()
        .find(|l| l.contains(",rule:date_unreadable,"))
        .and_then(|l| l.rsplit(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let listed = quarantine
        .lines()
        .filter(|l| l.contains(",date_unreadable,"))
        .count() as u64;
    assert!(counted > 0);
    assert_eq!(listed, counted, "every unreadable date is listed");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("{counted} dates could not be read")),
        "{stderr}"
    );
}
