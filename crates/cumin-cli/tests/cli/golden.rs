//! Golden outputs: `cumin demo` and three runs on committed simulated extracts, every
//! output file and the terminal output compared byte for byte with `fixtures/golden/`.
//!
//! Each run happens in a scratch folder with relative paths, so the paths in the
//! manifest and the report are the same on every machine; only the manifest's build
//! commit and timings are redacted. `CUMIN_UPDATE_GOLDEN=1` rewrites the golden files from
//! the current code: review `git diff fixtures/golden` and say in the commit message why
//! the outputs changed.
//!
//! The extracts are the committed demo extract (`fixtures/demo`, scale 0.001) and the
//! Jay fixture `fixtures/jay2025-r/seed17` (scale 0.002, census years to 2018/19), so
//! these files do not move when the simulator does.

use crate::support::root;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One golden run: inputs copied from the repository, then `cumin ARGS` in the folder.
struct Case {
    /// Folder under `fixtures/golden/`.
    name: &'static str,
    /// (repository file, name in the scratch folder).
    inputs: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    /// Folders of the output not compared (the demo's copy of its own inputs).
    skip: &'static [&'static str],
}

const DEMO_INPUTS: &[(&str, &str)] = &[
    ("fixtures/demo/episodes.parquet", "input/episodes.parquet"),
    ("fixtures/demo/denominators.csv", "input/denominators.csv"),
];

const JAY_INPUTS: &[(&str, &str)] = &[
    (
        "fixtures/jay2025-r/seed17/episodes.csv",
        "input/episodes.csv",
    ),
    (
        "fixtures/jay2025-r/seed17/denominators.csv",
        "input/denominators.csv",
    ),
];

fn scratch() -> PathBuf {
    tempfile::tempdir().unwrap().keep()
}

/// Runs `case` in a scratch folder; returns the folder (outputs in `out/`) and stdout.
fn run_case(case: &Case) -> (PathBuf, Vec<u8>) {
    let dir = scratch();
    let stdout = run_case_in(case, &dir);
    (dir, stdout)
}

/// The demo as users run it (`cumin demo`), stdout included.
const DEMO: Case = Case {
    name: "demo",
    inputs: &[],
    args: &["demo", "--out", "out"],
    skip: &["input"],
};

/// The folder (outputs in `out/`) and stdout of one run of [`DEMO`], shared by the
/// tests that read them: its golden files here, the headline table and the folder in
/// `main.rs` (a demo in a test build, with its 200 bootstrap replicates, takes a
/// while). It lives under the target directory, emptied first (a static is never
/// dropped, so a temporary folder would be left behind).
pub fn demo() -> &'static (PathBuf, Vec<u8>) {
    static RUN: std::sync::OnceLock<(PathBuf, Vec<u8>)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-run");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        let stdout = run_case_in(&DEMO, &dir);
        (dir, stdout)
    })
}

/// Runs `case` in the empty folder `dir`; returns stdout.
fn run_case_in(case: &Case, dir: &Path) -> Vec<u8> {
    for (from, to) in case.inputs {
        let to = dir.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(from), &to).unwrap();
    }
    let o = Command::new(env!("CARGO_BIN_EXE_cumin"))
        .current_dir(dir)
        .args(case.args)
        .output()
        .expect("runs the binary");
    assert!(
        o.status.success(),
        "{}: {}",
        case.name,
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// The manifest without what differs between builds and reruns: the commit the binary
/// was built from and the seconds each stage took.
fn redact_manifest(text: &str) -> String {
    let mut out = String::new();
    let mut in_timings = false;
    for line in text.lines() {
        let t = line.trim_start();
        if in_timings {
            if t.starts_with('}') {
                in_timings = false;
            }
            continue;
        }
        if t.starts_with("\"commit\":") {
            out.push_str("    \"commit\": \"<redacted>\",\n");
        } else if t.starts_with("\"timings_seconds\":") {
            out.push_str("  \"timings_seconds\": \"<redacted>\",\n");
            in_timings = !t.ends_with("{},") && !t.ends_with('}');
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every file under `dir` (relative paths, sorted), leaving out the folders `skip`.
fn files(dir: &Path, skip: &[&str]) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, skip: &[&str], out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_owned();
            if p.is_dir() {
                if !skip.iter().any(|s| rel == Path::new(s)) {
                    walk(base, &p, skip, out);
                }
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, skip, &mut out);
    out
}

/// The bytes compared for an output file.
fn comparable(path: &Path, bytes: Vec<u8>) -> Vec<u8> {
    if path.file_name().is_some_and(|n| n == "manifest.json") {
        redact_manifest(&String::from_utf8(bytes).expect("the manifest is UTF-8")).into_bytes()
    } else {
        bytes
    }
}

/// Where two files first differ, for the failure message.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    match (std::str::from_utf8(want), std::str::from_utf8(got)) {
        (Ok(w), Ok(g)) => {
            let mut wl = w.lines();
            let mut gl = g.lines();
            for n in 1.. {
                match (wl.next(), gl.next()) {
                    (Some(a), Some(b)) if a == b => {}
                    (a, b) => {
                        return format!(
                            "line {n}:\n      golden: {}\n      now:    {}",
                            a.unwrap_or("<end of file>"),
                            b.unwrap_or("<end of file>")
                        );
                    }
                }
            }
            unreachable!("the texts differ")
        }
        _ => format!("binary: {} bytes golden, {} now", want.len(), got.len()),
    }
}

fn check(case: &Case) {
    let (dir, stdout) = run_case(case);
    compare(case, &dir, &stdout);
    std::fs::remove_dir_all(&dir).ok();
}

/// Compares the outputs in `dir/out` and `stdout` of a run of `case` with its golden
/// files (rewriting them first under `CUMIN_UPDATE_GOLDEN`).
fn compare(case: &Case, dir: &Path, stdout: &[u8]) {
    let out = dir.join("out");
    let golden = root().join("fixtures/golden").join(case.name);
    let made = files(&out, case.skip);
    assert!(!made.is_empty(), "{}: no output", case.name);
    if std::env::var_os("CUMIN_UPDATE_GOLDEN").is_some() {
        std::fs::remove_dir_all(&golden).ok();
        for f in &made {
            let to = golden.join("out").join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, comparable(f, std::fs::read(out.join(f)).unwrap())).unwrap();
        }
        std::fs::write(golden.join("stdout.txt"), stdout).unwrap();
    }
    let want = files(&golden.join("out"), &[]);
    let mut problems = Vec::new();
    for f in made.symmetric_difference(&want) {
        let side = if made.contains(f) {
            "written but not golden"
        } else {
            "golden but not written"
        };
        problems.push(format!("  {}: {side}", f.display()));
    }
    for f in made.intersection(&want) {
        let got = comparable(f, std::fs::read(out.join(f)).unwrap());
        let expected = std::fs::read(golden.join("out").join(f)).unwrap();
        if got != expected {
            problems.push(format!(
                "  {} differs, {}",
                f.display(),
                first_difference(&expected, &got)
            ));
        }
    }
    let expected_stdout = std::fs::read(golden.join("stdout.txt")).unwrap_or_default();
    if stdout != expected_stdout {
        problems.push(format!(
            "  stdout differs, {}",
            first_difference(&expected_stdout, stdout)
        ));
    }
    assert!(
        problems.is_empty(),
        "{}: outputs differ from fixtures/golden/{} (outputs kept in {}; \
         CUMIN_UPDATE_GOLDEN=1 rewrites the golden files, if the change is meant):\n{}",
        case.name,
        case.name,
        out.display(),
        problems.join("\n")
    );
}

/// The demo as users run it (`cumin demo`), stdout included.
#[test]
fn demo_outputs_match_the_golden_files() {
    let (dir, stdout) = demo();
    compare(&DEMO, dir, stdout);
}

/// Strata by sex, trend periods, every identifier mode side by side and the bootstrap,
/// without disclosure control (every count as computed).
#[test]
fn sensitivity_run_outputs_match_the_golden_files() {
    check(&Case {
        name: "sensitivity",
        inputs: DEMO_INPUTS,
        args: &[
            "estimate",
            "--episodes",
            "input/episodes.parquet",
            "--denominators",
            "input/denominators.csv",
            "--out",
            "out",
            "--by",
            "sex",
            "--period",
            "2012-2015,2016-2019,2020-2023",
            "--sensitivity",
            "--bootstrap",
            "20",
            "--sdc",
            "none",
        ],
        skip: &[],
    });
}

/// The corrected Jay preset, its corrected splice with bootstrap intervals.
#[test]
fn jay2025_outputs_match_the_golden_files() {
    check(&Case {
        name: "jay2025",
        inputs: JAY_INPUTS,
        args: &[
            "estimate",
            "--episodes",
            "input/episodes.csv",
            "--denominators",
            "input/denominators.csv",
            "--out",
            "out",
            "--preset",
            "jay2025",
            "--bootstrap",
            "20",
        ],
        skip: &[],
    });
}

/// The strict Jay preset under the DfE profile (withheld counts, stepped curves).
#[test]
fn jay2025_strict_outputs_match_the_golden_files() {
    check(&Case {
        name: "jay2025-strict",
        inputs: JAY_INPUTS,
        args: &[
            "estimate",
            "--episodes",
            "input/episodes.csv",
            "--denominators",
            "input/denominators.csv",
            "--out",
            "out",
            "--preset",
            "jay2025-strict",
            "--sdc",
            "dfe",
        ],
        skip: &[],
    });
}

#[test]
fn the_manifest_loses_only_its_commit_and_timings() {
    let text = "{\n  \"build\": {\n    \"version\": \"0.1.0\",\n    \"commit\": \"abc\",\n    \"command\": \"demo\"\n  },\n  \"timings_seconds\": {\n    \"read\": 0.1\n  },\n  \"files\": []\n}\n";
    assert_eq!(
        redact_manifest(text),
        "{\n  \"build\": {\n    \"version\": \"0.1.0\",\n    \"commit\": \"<redacted>\",\n    \"command\": \"demo\"\n  },\n  \"timings_seconds\": \"<redacted>\",\n  \"files\": []\n}\n"
    );
}
