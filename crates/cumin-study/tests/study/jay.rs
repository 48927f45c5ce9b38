//! The Jay et al. 2025 presets on `fixtures/jay2025-hand`: strict equals the R code's
//! own per-age counts; each correction changes exactly the children it is about. On the
//! simulated extracts of `fixtures/jay2025-r`, strict equals the published R scripts'
//! counts cell for cell.

use cumin_census::NoProgress;
use cumin_report::SdcProfile;
use cumin_study::{JayRule, Preset, StudyConfig, ToolInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/jay2025-hand")
}

fn config(preset: Preset, out: &Path) -> StudyConfig {
    config_on(&fixture(), preset, out)
}

fn config_on(dir: &Path, preset: Preset, out: &Path) -> StudyConfig {
    StudyConfig {
        preset: Some(preset),
        sdc: SdcProfile::None,
        ..StudyConfig::new(
            vec![dir.join("episodes.csv").to_string_lossy().into_owned()],
            dir.join("denominators.csv"),
            out.to_owned(),
        )
    }
}

fn run(config: &StudyConfig) -> cumin_study::RunOutput {
    let tool = ToolInfo {
        version: "test".to_owned(),
        commit: None,
        command: "test".to_owned(),
    };
    cumin_study::run(&config.check().expect("valid study"), &tool, &NoProgress).expect("runs")
}

/// `(mode, birth_year, age, outcome) → count`.
type Cells = BTreeMap<(String, i16, i8, String), i64>;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("\r\n", "\n")
}

/// `(mode, birth_year, age, outcome) → events` of a `jay_counts.csv`.
fn counts(text: &str) -> Cells {
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                (
                    f[0].to_owned(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].to_owned(),
                ),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

/// `rule → {(mode, birth_year, age, outcome) → difference}` of the non-zero differences
/// in `jay_corrections.csv`.
fn differences(text: &str) -> BTreeMap<String, Cells> {
    let mut out: BTreeMap<String, BTreeMap<_, _>> = BTreeMap::new();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("rule,mode,birth_year,age,outcome,strict,corrected,difference")
    );
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let strict: i64 = f[5].parse().unwrap();
        let corrected: i64 = f[6].parse().unwrap();
        let d: i64 = f[7].parse().unwrap();
        assert_eq!(d, corrected - strict, "{l}");
        let entry = out.entry(f[0].to_owned()).or_default();
        if d != 0 {
            entry.insert(
                (
                    f[1].to_owned(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                    f[4].to_owned(),
                ),
                d,
            );
        }
    }
    out
}

#[test]
fn strict_reproduces_the_r_codes_counts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&config(Preset::Jay2025Strict, dir.path()));
    let got = read(&dir.path().join("jay_counts.csv"));
    let want = read(&fixture().join("expected_jay_counts.csv"));
    assert_eq!(got, want);
    let jay = out.jay.expect("a Jay summary");
    assert_eq!(jay.preset, Preset::Jay2025Strict);
    assert_eq!(jay.table.len(), 8);
    // The R code links by identifiers alone; so does the strict preset's corrected splice.
    assert_eq!(jay.corrected_linkage, cumin_link::LinkageMode::Exact);
    // The ledger balances: every row used or excluded with a reason.
    let [read_rows, used, quarantined, by_design, no_birth_date] = out.rows;
    let excluded = by_design + no_birth_date;
    assert_eq!(read_rows, 49);
    assert_eq!(used + quarantined + excluded, read_rows);
    assert!(excluded > 0);
}

/// The simulated extracts of `fixtures/jay2025-r`, each with the R scripts' counts.
fn r_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/jay2025-r");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected_jay_counts.csv").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn strict_equals_the_published_r_scripts_on_simulated_extracts() {
    let dirs = r_fixtures();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    for dir in dirs {
        let out = tempfile::tempdir().unwrap();
        let run_out = run(&config_on(&dir, Preset::Jay2025Strict, out.path()));
        let got = counts(&read(&out.path().join("jay_counts.csv")));
        let want = counts(&read(&dir.join("expected_jay_counts.csv")));
        // Every cell of the design in both modes, zeros included: 2 × 4 × (7 + 7 + 5).
        assert_eq!(want.len(), 152, "{}", dir.display());
        let differing: Vec<_> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k:?}: R {v}, cumin {:?}", got.get(k)))
            .collect();
        assert!(
            differing.is_empty() && got.len() == want.len(),
            "{}: {} of {} cells differ:\n{}",
            dir.display(),
            differing.len(),
            want.len(),
            differing.join("\n")
        );
        let [read_rows, used, quarantined, by_design, no_birth_date] = run_out.rows;
        let excluded = by_design + no_birth_date;
        assert_eq!(used + quarantined + excluded, read_rows);
    }
}

/// Each rule of the `jay2025` preset changes some count on the simulated extracts: they
/// exercise every ⚠ behaviour (fixtures/jay2025-r/README.md lists by how much). Counts
/// only: without the bootstrap, whose replicates would not change them.
#[test]
fn the_simulated_extracts_exercise_every_correction() {
    for dir in r_fixtures() {
        let out = tempfile::tempdir().unwrap();
        run(&StudyConfig {
            bootstrap: 0,
            ..config_on(&dir, Preset::Jay2025, out.path())
        });
        let got = differences(&read(&out.path().join("jay_corrections.csv")));
        for r in JayRule::ALL {
            assert!(
                !got[r.as_str()].is_empty(),
                "{}: {} changes nothing",
                dir.display(),
                r.as_str()
            );
        }
    }
}

/// One child's change in referral, assessed and CIN counts, in both modes.
fn change(want: &mut Cells, birth_year: i16, age: i8, outcomes: &[&str], d: i64) {
    for mode in ["main", "sensitivity"] {
        for o in outcomes {
            *want
                .entry((mode.to_owned(), birth_year, age, (*o).to_owned()))
                .or_insert(0) += d;
        }
    }
    want.retain(|_, v| *v != 0);
}

#[test]
fn each_correction_changes_exactly_what_it_is_about() {
    let dir = tempfile::tempdir().unwrap();
    run(&config(Preset::Jay2025, dir.path()));
    let got = differences(&read(&dir.path().join("jay_corrections.csv")));
    let ref_ax_cin = ["referral", "assessed", "cin"];
    let mut want: BTreeMap<String, BTreeMap<_, _>> = BTreeMap::new();
    for r in JayRule::ALL {
        want.insert(r.as_str().to_owned(), BTreeMap::new());
    }
    // O1: a row closed before 2008 but referred at 12 is kept; the child's first
    // referral is then at 12, below the 2000/01 band, instead of 13.
    change(
        want.get_mut("keep_closure_before_data_start").unwrap(),
        2001,
        13,
        &ref_ax_cin,
        -1,
    );
    // Q1 keeps its own second PMR P_Q2, which makes Q9's child (P_Q2) first referred
    // at 13 instead of 15.
    let pmr = want.get_mut("pmr_fill_keeps_own").unwrap();
    change(pmr, 2001, 15, &ref_ax_cin, -1);
    change(pmr, 2001, 13, &ref_ax_cin, 1);
    // I1 (` RC8`) and I3 (`NO`) are read as RC8: no longer CIN at age 1.
    change(
        want.get_mut("tolerant_reason_spelling").unwrap(),
        2013,
        1,
        &["cin"],
        -2,
    );
    // J1/J2 (P_J) and K1 (P_K) keep the birth date their other key gives them.
    let dob = want.get_mut("dob_min_ignores_missing").unwrap();
    change(dob, 2006, 6, &ref_ax_cin, 1);
    change(dob, 2001, 13, &ref_ax_cin, 1);
    // D1's plan starts after birth: age 0, not the pre-birth referral's −1.
    let cpp = want.get_mut("cpp_age_at_plan_start").unwrap();
    change(cpp, 2013, -1, &["cpp"], -1);
    change(cpp, 2013, 0, &["cpp"], 1);
    // All corrections together: here, the sum of each alone.
    let mut all = BTreeMap::new();
    for v in want.values() {
        for (k, d) in v {
            *all.entry(k.clone()).or_insert(0) += d;
        }
    }
    all.retain(|_, v| *v != 0);
    want.insert("preset".to_owned(), all);
    assert_eq!(got, want);
}

#[test]
fn the_default_preset_differs_from_strict_by_the_reported_corrections() {
    let strict_dir = tempfile::tempdir().unwrap();
    let default_dir = tempfile::tempdir().unwrap();
    run(&config(Preset::Jay2025Strict, strict_dir.path()));
    let out = run(&config(Preset::Jay2025, default_dir.path()));
    let strict = counts(&read(&strict_dir.path().join("jay_counts.csv")));
    let corrected = counts(&read(&default_dir.path().join("jay_counts.csv")));
    let reported = &differences(&read(&default_dir.path().join("jay_corrections.csv")))["preset"];
    assert!(!reported.is_empty());
    for (k, s) in &strict {
        assert_eq!(
            corrected[k] - s,
            reported.get(k).copied().unwrap_or(0),
            "{k:?}"
        );
    }
    // The summary's correction lines agree in sign with the counts (CIN falls with the
    // tolerant reading of RC8).
    let jay = out.jay.unwrap();
    let line = jay
        .corrections
        .iter()
        .find(|c| {
            c.rule.as_str() == "tolerant_reason_spelling"
                && c.mode.as_str() == "main"
                && c.outcome.as_str() == "cin"
        })
        .unwrap();
    assert!(line.corrected < line.strict);
    // Switching a correction off in the study file removes exactly its change.
    let off_dir = tempfile::tempdir().unwrap();
    let mut cfg = config(Preset::Jay2025, off_dir.path());
    cfg.jay_rules.tolerant_reason_spelling = Some(false);
    run(&cfg);
    let off = counts(&read(&off_dir.path().join("jay_counts.csv")));
    for (k, v) in &off {
        let d = if k.1 == 2013 && k.2 == 1 && k.3 == "cin" {
            2
        } else {
            0
        };
        assert_eq!(*v, corrected[k] + d, "{k:?}");
    }
}

#[test]
fn the_splice_rows_fold_prebirth_into_age_0_and_rounding_follows_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    run(&config(Preset::Jay2025Strict, dir.path()));
    let ci = read(&dir.path().join("cumulative_incidence.csv"));
    let row = |id_mode: &str, outcome: &str, age: u8| -> Vec<String> {
        ci.lines()
            .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
            .find(|f| {
                f[0] == outcome
                    && f[1] == "cohort-splice-unadjusted"
                    && f[2] == id_mode
                    && f[5] == age.to_string()
            })
            .unwrap_or_else(|| panic!("no row {id_mode} {outcome} {age}"))
    };
    // Main referral: 1 pre-birth + 8 at age 0 of 700.
    let r = row("pmr-school-age", "referral", 0);
    assert_eq!(r[6], "9");
    assert!((r[8].parse::<f64>().unwrap() - 9.0 / 700.0).abs() < 1e-12);
    // Before 18: 14/700 + 2/650 + 4/600.
    let r = row("pmr-school-age", "referral", 17);
    let want = 14.0 / 700.0 + 2.0 / 650.0 + 4.0 / 600.0;
    assert!((r[8].parse::<f64>().unwrap() - want).abs() < 1e-12, "{r:?}");
    assert_eq!(row("combined", "cpp", 5)[6], "1");

    let rounded = tempfile::tempdir().unwrap();
    let cfg = StudyConfig {
        sdc: SdcProfile::Jay2025,
        ..config(Preset::Jay2025Strict, rounded.path())
    };
    run(&cfg);
    let c = counts(&read(&rounded.path().join("jay_counts.csv")));
    assert_eq!(c[&("main".to_owned(), 2013, 0, "referral".to_owned())], 10);
    assert_eq!(c[&("main".to_owned(), 2013, 1, "referral".to_owned())], 0);
    assert!(c.values().all(|v| v % 10 == 0));
    let manifest = read(&rounded.path().join("manifest.json"));
    for f in [
        "jay_counts.csv",
        "jay_corrections.csv",
        "cumulative_incidence.csv",
    ] {
        assert!(
            manifest.contains(&format!("\"{f}\"")),
            "{f} not in the manifest"
        );
    }
}

#[test]
fn a_preset_refuses_strata_and_rules_need_a_preset() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(Preset::Jay2025, dir.path());
    cfg.by = vec![cumin_study::Stratification::parse("sex").unwrap()];
    // Refused when the study is checked, before anything is read.
    let err = cfg.check().unwrap_err();
    assert!(err.to_string().contains("stratum all"), "{err}");
    // Split-identity linkage is not part of the R code: the strict preset refuses it,
    // never ignores it.
    let mut cfg = config(Preset::Jay2025Strict, dir.path());
    cfg.linkage = Some(cumin_link::LinkageMode::Corrected);
    let err = cfg.check().unwrap_err();
    assert!(err.to_string().contains("linkage = corrected"), "{err}");
    let mut cfg = config(Preset::Jay2025, dir.path());
    cfg.preset = None;
    cfg.jay_rules.pmr_fill_keeps_own = Some(true);
    assert!(cfg.check().unwrap_err().to_string().contains("[jay_rules]"));
}
