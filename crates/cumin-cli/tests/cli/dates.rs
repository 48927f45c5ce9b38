//! Unreadable dates: each is listed with its row in `quarantine.csv` and named with its
//! row on the terminal, and its row stays in use.

use crate::support::{cumin_in, redact, root, text};

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

// A run lists them too: `fixtures/golden/demo/out/quarantine.csv` holds the demo
// extract's 60 corrupt dates, each with its row (golden.rs compares it byte for byte).
