//! Progress reaches the terminal from inside the long stages: stage names, rows,
//! children, curve sets and bootstrap replicates (`--progress log` writes them as lines,
//! so a test can read them; a terminal gets the same as bars with the time left).

use crate::support::{cumin_in, estimate_demo_logged, redact, text};

#[test]
fn every_stage_reports_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let o = estimate_demo_logged(dir.path(), "out", &["--bootstrap", "20"]);
    assert!(o.status.success(), "{}", text(&o));
    let log = redact(&String::from_utf8_lossy(&o.stderr), dir.path());
    for want in [
        "start: reading cin.parquet (20,496 rows)",
        "done: reading cin.parquet: 20,496 rows,",
        "start: linking 20159 rows into children (corrected linkage)",
        "start: finding the first events of 5755 children",
        "start: estimating (5 curve sets)",
        "start: bootstrap (20 replicates)",
        "bootstrap: 10/20 replicates (50%)",
        "done: bootstrap: 20 replicates,",
        "done: writing outputs:",
    ] {
        assert!(log.contains(want), "{want:?} not in\n{log}");
    }
    insta::assert_snapshot!(log);
}

/// Without a terminal and without --progress, standard error holds notes only.
#[test]
fn no_progress_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let o = cumin_in(dir.path(), &["demo", "--bootstrap", "0", "--out", "out"]);
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.lines().all(|l| l.starts_with("note: ")), "{stderr}");
}
