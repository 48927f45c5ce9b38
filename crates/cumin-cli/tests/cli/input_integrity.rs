//! Input integrity, session 12: cleaning notes an analyst keeps (`analyst-only/notes.csv`),
//! a dictionary-encoded decimal column, a PMR column empty in every row whatever its
//! type, the empty LA child ID stop under `--id-mode pmr-only`, and the terminal's row
//! counts against the ledger. Each on an edit of the demo sample `hostile.rs` shares.

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, Decimal128Array, DictionaryArray, Int32Array, NullArray, StringArray};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::hostile::{col, csv_text, edited, plain, run_ok, sample};
use crate::hostile_round4_left::write_parquet;
use crate::support::text;

/// `cumin estimate` of `episodes` as `hostile::estimate` runs it, with `extra` flags,
/// and the notes shown unless `extra` has `--quiet`.
fn estimate_with(episodes: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    crate::hostile::estimate_with(&[episodes], out, extra)
}

/// The lines of a CSV file after its header, split on commas outside quotes.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The ledger of a folder: reason -> rows (one input file).
fn ledger_of(out: &Path) -> BTreeMap<String, u64> {
    csv_rows(&out.join("analyst-only/ledger.csv"))
        .into_iter()
        .map(|c| (c[1].clone(), c[2].parse().unwrap()))
        .collect()
}

/// The demo sample with a third of its birth months written `Jan`, as `dir/jan.csv`;
/// also its header and rows.
fn jan_months(dir: &Path) -> (std::path::PathBuf, String, Vec<String>) {
    let (header, rows) = sample();
    let m = col(&header, "MonthOfBirth");
    let jan = edited(&rows, |i, c| {
        if i % 3 == 0 {
            "Jan".clone_into(&mut c[m]);
        }
    });
    let p = dir.join("jan.csv");
    std::fs::write(&p, csv_text(&header, &jan)).unwrap();
    (p, header, jan)
}

/// A third of the birth months written `Jan`, run `--quiet`: the note the terminal would
/// have shown (500 values of MonthOfBirth unreadable, read as missing) was written
/// nowhere. It is now a line of `analyst-only/notes.csv`, whose count is the ledger's,
/// listed in the manifest with its hash, and holding no identifier.
#[test]
fn cleaning_notes_are_kept_in_analyst_only_notes_csv_under_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let (p, header, jan) = jan_months(dir.path());
    run_ok(dir.path(), "out", &[&p]);
    let out = dir.path().join("out");
    let notes = csv_rows(&out.join("analyst-only/notes.csv"));
    let ledger = ledger_of(&out);
    let month: Vec<&Vec<String>> = notes
        .iter()
        .filter(|n| n[1] == "MonthOfBirth" && n[2] == "birth_month_invalid")
        .collect();
    assert_eq!(month.len(), 1, "{notes:?}");
    assert_eq!(month[0][0], p.to_str().unwrap());
    assert_eq!(
        month[0][3].parse::<u64>().unwrap(),
        ledger["rule:birth_month_invalid"]
    );
    assert!(
        month[0][4].contains("excluded:child_without_birth_date"),
        "{month:?}"
    );
    assert_eq!(month[0][5], "Jan; Jan; Jan");
    // the sample's unreadable dates, one line per column, adding up to the ledger's count
    let dates: u64 = notes
        .iter()
        .filter(|n| n[2] == "date_unreadable")
        .map(|n| n[3].parse::<u64>().unwrap())
        .sum();
    assert_eq!(dates, ledger["rule:date_unreadable"]);
    assert!(dates > 0);
    // no identifier of the extract
    let body = std::fs::read_to_string(out.join("analyst-only/notes.csv")).unwrap();
    let (id, pmr) = (
        col(&header, "LAchildID_Anon"),
        col(&header, "PupilMatchingRefAnonymous"),
    );
    for r in &jan {
        let c: Vec<&str> = r.split(',').collect();
        for v in [c[id], c[pmr]] {
            assert!(v.is_empty() || !body.contains(v), "{v} in notes.csv");
        }
    }
    // listed in the manifest, with its hash, not for release
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let entry = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "analyst-only/notes.csv")
        .expect("notes.csv in the manifest");
    let hash = cumin_report::write::hash_file(&out.join("analyst-only/notes.csv")).unwrap();
    assert_eq!(entry["blake3"], hash.as_str());
    assert!(
        entry["release"]
            .as_str()
            .unwrap()
            .contains("not for release"),
        "{entry}"
    );
}

/// A year of birth stored as a dictionary of `Decimal128(9, 2)` was read as the text of
/// its values (`1997.00`, no valid year: the run stopped, "holds no valid value"). It is
/// now read as decimals: whole values give the plain file's estimates, and a fraction
/// /// stops the run naming file, row, column and value. With a precision over 18 (stored as
/// fixed-length bytes, as pyarrow stores every decimal) the run stopped earlier, the
/// Parquet reader unable to build the dictionary ("unsupported data type for byte array
/// dictionary reader").
#[test]
fn a_dictionary_encoded_decimal_column_is_read_as_its_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let base = plain(dir.path());
    let (header, rows) = sample();
    let y = col(&header, "YearOfBirth");
    let at = (40..rows.len())
        .find(|i| !rows[*i].split(',').nth(y).unwrap().is_empty())
        .unwrap();
    let year: i128 = rows[at].split(',').nth(y).unwrap().parse().unwrap();
    let dictionary = |values: &[&str], fraction: bool, precision: u8| -> ArrayRef {
        let mut distinct: Vec<i128> = Vec::new();
        let keys: Vec<Option<i32>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let cents =
                    v.parse::<i128>().ok()? * 100 + if fraction && i == at { 50 } else { 0 };
                let k = distinct
                    .iter()
                    .position(|d| *d == cents)
                    .unwrap_or_else(|| {
                        distinct.push(cents);
                        distinct.len() - 1
                    });
                Some(k as i32)
            })
            .collect();
        let values = Decimal128Array::from(distinct)
            .with_precision_and_scale(precision, 2)
            .unwrap();
        let d = DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), Arc::new(values));
        Arc::new(d.unwrap())
    };
    for precision in [9, 20] {
        let whole = dir.path().join(format!("dictionary{precision}.parquet"));
        write_parquet(&whole, |n, v| {
            (n == "CIN_YearOfBirth").then(|| dictionary(v, false, precision))
        });
        let got = run_ok(dir.path(), &format!("out-whole{precision}"), &[&whole]);
        assert_eq!(got.rows, vec![(1500, 1500)]);
        assert!(got.estimates == base.estimates, "{}", got.ledger);
    }
    let p = dir.path().join("dictionary_fraction.parquet");
    write_parquet(&p, |n, v| {
        (n == "CIN_YearOfBirth").then(|| dictionary(v, true, 9))
    });
    let o = estimate_with(&p, &dir.path().join("out-fraction"), &["--quiet"]);
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    let want = format!(
        "dictionary_fraction.parquet: row {}, column CIN_YearOfBirth: \"{year}.50\" has a fraction",
        at + 1
    );
    assert!(msg.contains(&want), "{want:?} not in {msg}");
}

/// `PupilMatchingRefAnonymous` empty in every row ran as text (CSV, or Parquet strings
/// all null) and stopped with the Parquet null type. All three now run alike (linked by
/// LA child ID alone, as `--id-mode la-only` links), with the same estimates, ledger and
/// one note.
#[test]
fn a_pmr_column_empty_in_every_row_reads_alike_whatever_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let pmr = col(&header, "PupilMatchingRefAnonymous");
    let csv = dir.path().join("no_pmr.csv");
    std::fs::write(
        &csv,
        csv_text(&header, &edited(&rows, |_, c| c[pmr] = String::new())),
    )
    .unwrap();
    let text_nulls = dir.path().join("no_pmr_text.parquet");
    write_parquet(&text_nulls, |n, v| {
        (n == "CIN_PupilMatchingRefAnonymous")
            .then(|| Arc::new(StringArray::from(vec![None::<&str>; v.len()])) as ArrayRef)
    });
    let null_type = dir.path().join("no_pmr_null.parquet");
    write_parquet(&null_type, |n, v| {
        (n == "CIN_PupilMatchingRefAnonymous")
            .then(|| Arc::new(NullArray::new(v.len())) as ArrayRef)
    });
    let mut seen = Vec::new();
    for (i, p) in [&csv, &text_nulls, &null_type].into_iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let o = estimate_with(p, &out, &[]);
        let msg = text(&o);
        assert!(o.status.success(), "{msg}");
        assert!(
            msg.contains(
                "column PupilMatchingRefAnonymous is empty in every one of the 1500 rows read"
            ),
            "{msg}"
        );
        let notes: Vec<Vec<String>> = csv_rows(&out.join("analyst-only/notes.csv"))
            .into_iter()
            .filter(|n| n[1] == "PupilMatchingRefAnonymous")
            .map(|n| n[1..].to_vec())
            .collect();
        let ledger = ledger_of(&out);
        let ci = std::fs::read_to_string(out.join("cumulative_incidence.csv")).unwrap();
        seen.push((notes, ledger.into_values().collect::<Vec<_>>(), ci));
    }
    assert_eq!(seen[0].0.len(), 1, "{:?}", seen[0].0);
    assert_eq!(seen[0].0[0][1], "pmr_empty_in_every_row");
    assert!(seen.iter().all(|s| *s == seen[0]));
    // Under a mode that counts children by PMR, the run estimated no child ever referred
    // (pmr-only) or none from age 5 (pmr-school-age), exit 0; it stops now.
    for (mode, lost) in [
        ("pmr-only", "every child would"),
        ("pmr-school-age", "every child from age 5"),
    ] {
        let o = estimate_with(
            &null_type,
            &dir.path().join("out-mode"),
            &["--quiet", "--id-mode", mode],
        );
        let msg = text(&o);
        assert!(!o.status.success(), "{mode}: {msg}");
        for want in [
            "no row of the extract has a PupilMatchingRefAnonymous",
            lost,
            "--id-mode combined or la-only",
        ] {
            assert!(msg.contains(want), "{want:?} not in {msg}");
        }
    }
}

/// Under `--id-mode pmr-only` the LA child ID does not say who a child is, but an
/// `LAchildID_Anon` empty in every row still stops the run (the contract's choice, in
/// docs/input-contract.md: the conflict policies read the LA keys, `linkage.csv` reports
/// every identifier mode, and an NPD extract without it is an export that lost it). It
/// stopped before session 13 too, without naming the mode.
#[test]
fn an_la_child_id_column_empty_in_every_row_stops_under_pmr_only_too() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let id = col(&header, "LAchildID_Anon");
    let p = dir.path().join("no_id.csv");
    std::fs::write(
        &p,
        csv_text(&header, &edited(&rows, |_, c| c[id] = String::new())),
    )
    .unwrap();
    for mode in ["pmr-only", "combined", "la-only", "pmr-school-age"] {
        let o = estimate_with(&p, &dir.path().join("out"), &["--quiet", "--id-mode", mode]);
        let msg = text(&o);
        assert!(!o.status.success(), "{mode}: {msg}");
        assert!(
            msg.contains("no_id.csv: column LAchildID_Anon is empty in every one"),
            "{mode}: {msg}"
        );
        // The message names the mode the run was under (session 13).
        let named = format!("every identifier mode, the run's --id-mode {mode} too");
        assert!(msg.contains(&named), "{mode}: {msg}");
        assert!(!dir.path().join("out").exists());
    }
    let den = crate::support::root().join("fixtures/demo/denominators.csv");
    let out = dir.path().join("out");
    let o = crate::support::cumin(&[
        "estimate",
        "--episodes",
        p.to_str().unwrap(),
        "--denominators",
        den.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--preset",
        "jay2025",
        "--quiet",
    ]);
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    let named = "the run's pmr-school-age and combined (the preset's two analyses) too";
    assert!(msg.contains(named), "{msg}");
}

/// The terminal called every excluded row "excluded by design", the 363 rows of children
/// with no usable birth date among them (a fault of the data). It counts them apart now,
/// and its counts add up to the ledger's.
#[test]
fn the_terminal_row_counts_add_up_to_the_ledger_and_name_rows_without_a_birth_date() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _, _) = jan_months(dir.path());
    let out = dir.path().join("out");
    let o = estimate_with(&p, &out, &[]);
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    let line = msg.lines().find(|l| l.starts_with("read ")).unwrap();
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let [read, used, quarantined, by_design, no_birth] = numbers[..] else {
        panic!("{line}")
    };
    assert!(
        line.contains(&format!(
            "{by_design} excluded by design, {no_birth} excluded for want of a birth date"
        )),
        "{line}"
    );
    let ledger = ledger_of(&out);
    let sum = |prefix: &str| -> u64 {
        ledger
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(read, ledger["read"]);
    assert_eq!(used, ledger["used"]);
    assert_eq!(quarantined, sum("quarantined:"));
    assert_eq!(no_birth, ledger["excluded:child_without_birth_date"]);
    assert!(no_birth > 0);
    assert_eq!(by_design + no_birth, sum("excluded:"));
    assert_eq!(used + quarantined + by_design + no_birth, read);
}
