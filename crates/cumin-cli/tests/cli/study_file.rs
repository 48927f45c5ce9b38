//! Study files: `cumin init` writes a starter file that runs once its inputs are set,
//! and refuses to overwrite one; relative paths in a study file are read from its
//! folder, wherever cumin is run from; `validate --study` takes the study's episodes.

use crate::support::{cumin_in, redact, root, text};

#[test]
fn init_writes_the_starter_study_and_keeps_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let o = cumin_in(dir.path(), &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    insta::assert_snapshot!("init_stdout", String::from_utf8_lossy(&o.stdout));
    let written = std::fs::read_to_string(dir.path().join("study.toml")).unwrap();
    insta::assert_snapshot!("init_study_toml", written);

    std::fs::write(dir.path().join("study.toml"), "mine").unwrap();
    let o = cumin_in(dir.path(), &["init"]);
    assert!(!o.status.success());
    insta::assert_snapshot!("init_refuses", redact(&text(&o), dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("study.toml")).unwrap(),
        "mine"
    );
    let o = cumin_in(dir.path(), &["init", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("study.toml")).unwrap(),
        written
    );
}

/// The starter file runs once its three paths point at data: the study is laid out as
/// the file expects (data/, results/ beside it) and run from another folder.
#[test]
fn a_starter_study_runs_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("project");
    std::fs::create_dir_all(study.join("data")).unwrap();
    std::fs::copy(
        root().join("fixtures/demo/episodes.csv"),
        study.join("data/cin_2024.csv"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/demo/denominators.csv"),
        study.join("data/population.csv"),
    )
    .unwrap();
    let o = cumin_in(&study, &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let o = cumin_in(
        &elsewhere,
        &["validate", "--study", "../project/study.toml", "--quiet"],
    );
    assert!(o.status.success(), "validate --study: {}", text(&o));
    let o = cumin_in(&elsewhere, &["run", "../project/study.toml", "--quiet"]);
    assert!(o.status.success(), "run: {}", text(&o));
    assert!(study.join("results/cumulative_incidence.csv").is_file());
    assert!(!elsewhere.join("results").exists());
    let manifest = std::fs::read_to_string(study.join("results/manifest.json")).unwrap();
    assert!(
        manifest.contains("../project/data/cin_2024.csv"),
        "the manifest records the paths as resolved: {manifest}"
    );
}

/// `validate FILE` (the old form) still works, with a note to use --episodes.
#[test]
fn validate_takes_episodes_like_estimate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/ingest/rule_gender.csv"),
        dir.path().join("cin.csv"),
    )
    .unwrap();
    let new = cumin_in(dir.path(), &["validate", "--episodes", "cin.csv"]);
    assert!(new.status.success(), "{}", text(&new));
    let old = cumin_in(dir.path(), &["validate", "cin.csv"]);
    assert!(old.status.success(), "{}", text(&old));
    assert_eq!(new.stdout, old.stdout);
    let note = String::from_utf8_lossy(&old.stderr);
    assert!(
        note.contains("deprecated") && note.contains("--episodes"),
        "{note}"
    );
    assert!(!String::from_utf8_lossy(&new.stderr).contains("deprecated"));
    let none = cumin_in(dir.path(), &["validate"]);
    assert!(!none.status.success());
    insta::assert_snapshot!("validate_without_files", redact(&text(&none), dir.path()));
}
