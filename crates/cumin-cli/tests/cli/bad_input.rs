//! What each kind of bad input gets, as snapshots of the whole message: a missing
//! column, a study file that is not TOML, an unknown value, an output folder that cannot
//! be written, files that do not exist, dates written month first. Paths are redacted.

use crate::support::{cumin_in, estimate_demo_logged, redact, root, text};
use std::path::Path;

/// The demo's denominators, copied into `dir`.
fn denominators(dir: &Path) {
    std::fs::copy(
        root().join("fixtures/demo/denominators.csv"),
        dir.join("denominators.csv"),
    )
    .unwrap();
}

/// Runs `cumin ARGS` in `dir`, expects it to fail, and returns what it printed.
fn fails(dir: &Path, args: &[&str]) -> String {
    let o = cumin_in(dir, args);
    assert!(!o.status.success(), "should fail: {}", text(&o));
    redact(&text(&o), dir)
}

const ESTIMATE: [&str; 7] = [
    "estimate",
    "--episodes",
    "cin.csv",
    "--denominators",
    "denominators.csv",
    "--out",
    "out",
];

#[test]
fn a_missing_required_column_stops_the_run_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cin.csv"),
        "CIN_ACADYR,CIN_LA,CIN_LAchildID_Anon,CIN_PupilMatchingRefAnonymous,CIN_MonthOfBirth,CIN_YearOfBirth,CIN_CINreferalDate,CIN_ReferralNFA,CIN_ReasonForClosure,CIN_CPPstartDate\n\
         2013/14,202,A1,,5,2012,2013-06-01,0,RC1,\n",
    )
    .unwrap();
    denominators(dir.path());
    let m = fails(dir.path(), &ESTIMATE);
    assert!(
        m.contains("CIN_CINreferalDate"),
        "the nearest header is suggested: {m}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing is written before the error"
    );
    insta::assert_snapshot!(m);
}

#[test]
fn a_study_file_that_is_not_toml_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("study.toml"),
        "episodes = [\"cin.csv\"]\ndenominators = denominators.csv\nout = \"out\"\n",
    )
    .unwrap();
    insta::assert_snapshot!(fails(dir.path(), &["run", "study.toml"]));
}

#[test]
fn an_unknown_key_in_a_study_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("study.toml"),
        "episodes = [\"cin.csv\"]\ndenominators = \"d.csv\"\nout = \"out\"\nbootstraps = 200\n",
    )
    .unwrap();
    insta::assert_snapshot!(fails(dir.path(), &["run", "study.toml"]));
}

#[test]
fn an_unknown_value_lists_the_values_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ESTIMATE.to_vec();
    args.extend(["--id-mode", "pmr"]);
    let flag = cumin_in(dir.path(), &args);
    assert_eq!(flag.status.code(), Some(2));
    insta::assert_snapshot!("unknown_value_flag", redact(&text(&flag), dir.path()));
    std::fs::write(
        dir.path().join("study.toml"),
        "episodes = [\"cin.csv\"]\ndenominators = \"d.csv\"\nout = \"out\"\nsdc = \"strict\"\n",
    )
    .unwrap();
    insta::assert_snapshot!(
        "unknown_value_study",
        fails(dir.path(), &["run", "study.toml"])
    );
}

#[test]
fn files_that_do_not_exist_are_named_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("no_episodes", fails(dir.path(), &ESTIMATE));
    std::fs::write(dir.path().join("cin.csv"), "x\n1\n").unwrap();
    let mut args = ESTIMATE.to_vec();
    args[4] = "population.csv";
    insta::assert_snapshot!("no_denominators", fails(dir.path(), &args));
    assert!(!dir.path().join("out").exists());
}

/// An output folder that cannot be written fails at once, before the inputs are read,
/// and says the operating system's reason once.
#[test]
fn an_unwritable_out_fails_at_once_with_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    // /sys refuses new folders even to root, who can write anywhere else.
    let out = "/sys/cumin-test/out";
    let o = estimate_demo_logged(dir.path(), out, &[]);
    assert!(!o.status.success());
    let m = text(&o);
    assert_eq!(m.matches("os error").count(), 1, "{m}");
    assert!(!m.contains("start: reading"), "no input is read first: {m}");
    // The operating system's words differ by user (root or not) and system.
    let (said, os) = m.split_once(&format!("{out}: ")).unwrap();
    assert!(os.contains("os error"), "{m}");
    insta::assert_snapshot!(format!("{said}{out}: [OS ERROR]"));
    // A file where the folder should be.
    std::fs::write(dir.path().join("results"), "").unwrap();
    let mut args = ESTIMATE.to_vec();
    args[2] = "cin.parquet";
    args[6] = "results/out";
    insta::assert_snapshot!("out_is_a_file", fails(dir.path(), &args));
}

/// Dates written month first stop the run, naming the column, the rows and the fix;
/// they are never read with day and month swapped.
#[test]
fn dates_written_month_first_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/ingest/error_dates_month_first.csv"),
        dir.path().join("cin.csv"),
    )
    .unwrap();
    denominators(dir.path());
    insta::assert_snapshot!("month_first_estimate", fails(dir.path(), &ESTIMATE));
    insta::assert_snapshot!(
        "month_first_validate",
        fails(dir.path(), &["validate", "--episodes", "cin.csv"])
    );
    std::fs::copy(
        root().join("fixtures/ingest/error_dates_both_orders.csv"),
        dir.path().join("cin.csv"),
    )
    .unwrap();
    insta::assert_snapshot!("both_orders", fails(dir.path(), &ESTIMATE));
}
