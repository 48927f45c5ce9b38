//! The folder is the unit of release: written whole or not at all, never beside another
//! run's files unless `--force` clears them, and `cumin verify` tells whether it is still
//! what its manifest records.

use crate::support::{cumin, text};
use std::path::Path;

/// `cumin demo` into `out` without bootstrap replicates.
fn quick_demo(out: &Path) -> Vec<&str> {
    vec![
        "--quiet",
        "demo",
        "--bootstrap",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]
}

/// A finished demo folder in a scratch directory (no bootstrap: what these tests check of
/// a folder does not depend on its intervals, and each replicate costs a test build time).
fn demo(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("out");
    let o = cumin(&quick_demo(&out));
    assert!(o.status.success(), "{}", text(&o));
    out
}

fn verify(out: &Path) -> (bool, String) {
    let o = cumin(&["verify", out.to_str().unwrap()]);
    (o.status.success(), text(&o))
}

#[test]
fn verify_finds_a_changed_byte_a_missing_file_and_an_extra_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path());
    let (ok, said) = verify(&out);
    assert!(ok, "{said}");
    assert!(said.contains("complete and unmodified"), "{said}");
    assert!(said.contains("not for release"), "{said}");

    let file = out.join("linkage.csv");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&file, &bytes).unwrap();
    let (ok, said) = verify(&out);
    assert!(
        !ok && said.contains("changed since the run: linkage.csv"),
        "{said}"
    );

    let out = demo(&dir.path().join("second"));
    std::fs::remove_file(out.join("figures/cpp_all.svg")).unwrap();
    let (ok, said) = verify(&out);
    assert!(
        !ok && said.contains("missing: figures/cpp_all.svg"),
        "{said}"
    );

    let out = demo(&dir.path().join("third"));
    std::fs::write(out.join("analyst-only/notes.txt"), "mine").unwrap();
    let (ok, said) = verify(&out);
    assert!(
        !ok && said.contains("not in the manifest: analyst-only/notes.txt"),
        "{said}"
    );

    let (ok, said) = verify(dir.path());
    assert!(!ok && said.contains("no manifest.json"), "{said}");
}

#[test]
fn a_folder_holding_other_files_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("trend.csv"), "an earlier run's table").unwrap();
    let quick = quick_demo(&out);
    let o = cumin(&quick);
    assert!(!o.status.success());
    let said = text(&o);
    assert!(
        said.contains("trend.csv") && said.contains("--force"),
        "{said}"
    );
    assert!(!out.join("manifest.json").exists());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["out"], "no staging folder is left behind");

    let o = cumin(&[&quick[..], &["--force"]].concat());
    assert!(o.status.success(), "{}", text(&o));
    assert!(!out.join("trend.csv").exists(), "--force clears the folder");
    assert!(verify(&out).0);
    // A second run of the same kind needs no --force, and keeps the demo's inputs.
    let o = cumin(&quick);
    assert!(o.status.success(), "{}", text(&o));
    assert!(out.join("input/episodes.parquet").is_file());
    let (ok, said) = verify(&out);
    assert!(ok, "{said}");
}

/// Killed at any moment, a run leaves either no folder, or a folder without a manifest
/// (not finished: the manifest is written last, in the staging folder), or a finished
/// one; its staging folder is hidden and named partial.
#[test]
fn a_killed_run_never_leaves_a_folder_that_looks_finished() {
    for delay_ms in [30, 150, 400, 900] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cumin"))
            .args(["--quiet", "demo", "--out", out.to_str().unwrap()])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if out.join("manifest.json").exists() {
            let (ok, said) = verify(&out);
            assert!(ok, "killed after {delay_ms} ms: {said}");
        }
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == "out"
                    || (name.starts_with(".out.partial-") || name.starts_with(".out.old-")),
                "killed after {delay_ms} ms: {name}"
            );
        }
    }
}
