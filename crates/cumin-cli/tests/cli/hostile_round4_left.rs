//! What red team round 4 left open (docs/notes/2026-12-07-red-team-round-4.md, "Left"),
//! each on an edit of the demo sample that `hostile.rs` shares: a note for birth months
//! that cannot be read, nested and decimal Parquet columns, an LA child ID column empty in
//! every row, the count of `la_child_id_without_la`, and the PMR persistence shares of
//! `linkage.csv`.

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Decimal128Array, NullArray, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::hostile::{col, csv_text, edited, estimate, plain, run_ok, sample};
use crate::support::{cumin, root, text};

/// The sample as Parquet, each column as text unless `stored` gives its array.
pub(crate) fn write_parquet(path: &Path, stored: impl Fn(&str, &[&str]) -> Option<ArrayRef>) {
    let (header, rows) = sample();
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| r.split(',').collect()).collect();
    let (mut fields, mut columns) = (Vec::new(), Vec::<ArrayRef>::new());
    for (c, name) in header.split(',').enumerate() {
        let values: Vec<&str> = cells.iter().map(|r| r[c]).collect();
        let array = stored(name, &values).unwrap_or_else(|| {
            let text = values.iter().map(|v| Some(*v).filter(|v| !v.is_empty()));
            Arc::new(text.collect::<StringArray>())
        });
        fields.push(Field::new(name, array.data_type().clone(), true));
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Builds a nested column from a column's values.
type Nested = dyn Fn(&[&str]) -> ArrayRef;

/// Whole numbers as `Decimal128(9, 2)` (`2005` stored as `2005.00`).
fn decimals(values: &[&str]) -> ArrayRef {
    let cents = values
        .iter()
        .map(|v| (!v.is_empty()).then(|| v.parse::<i128>().unwrap() * 100));
    let a = cents.collect::<Decimal128Array>();
    Arc::new(a.with_precision_and_scale(9, 2).unwrap())
}

/// `cumin estimate` of `episodes` as `hostile::estimate` runs it, but with the notes
/// shown (not `--quiet`).
fn estimate_with_notes(episodes: &Path, out: &Path) -> std::process::Output {
    crate::hostile::estimate_with(&[episodes], out, &[])
}

/// The ledger of one file: reason -> rows.
fn ledger_of(ledger: &str) -> BTreeMap<String, u64> {
    ledger
        .lines()
        .skip(1)
        .map(|l| {
            let mut c = l.rsplitn(3, ',');
            let n = c.next().unwrap().parse().unwrap();
            (c.next().unwrap().to_owned(), n)
        })
        .collect()
}

/// A third of the birth months written `Jan`: exit 0 with 500 values missing and 363
/// rows excluded later, and no note (unreadable dates had one). The note now says how
/// many, which column, and what became of them.
#[test]
fn unreadable_birth_months_in_some_rows_get_a_note_with_their_count() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let m = col(&header, "MonthOfBirth");
    let named = rows
        .iter()
        .step_by(3)
        .filter(|r| !r.split(',').nth(m).unwrap().is_empty())
        .count();
    let non_empty = rows
        .iter()
        .filter(|r| !r.split(',').nth(m).unwrap().is_empty())
        .count()
        + rows.iter().step_by(3).count()
        - named;
    let jan = edited(&rows, |i, c| {
        if i % 3 == 0 {
            c[m] = "Jan".to_owned();
        }
    });
    let p = dir.path().join("jan.csv");
    std::fs::write(&p, csv_text(&header, &jan)).unwrap();
    let o = estimate_with_notes(&p, &dir.path().join("out"));
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    let jans = rows.iter().step_by(3).count();
    for want in [
        format!("jan.csv: column MonthOfBirth: {jans} of its {non_empty} non-empty values"),
        "a month number 1-12".to_owned(),
        "[\"Jan\", \"Jan\", \"Jan\"]".to_owned(),
        "rule:birth_month_invalid".to_owned(),
        "excluded:child_without_birth_date".to_owned(),
    ] {
        assert!(msg.contains(&want), "{want:?} not in {msg}");
    }
    let got = run_ok(dir.path(), "out-quiet", &[&p]);
    assert_eq!(got.rows, vec![(1500, 1500)]);
    let ledger = ledger_of(&got.ledger);
    assert_eq!(ledger["rule:birth_month_invalid"], jans as u64);
    assert!(ledger["excluded:child_without_birth_date"] > 0);
}

/// A struct column stopped the run with the Parquet library's `Casting from Struct(...)
/// to Utf8 not supported`, naming no column; a list column with "holds no valid value".
/// Each now names the file, the column, the type found and the value expected; a nested
/// column the run does not need is read as missing, with a note.
#[test]
fn a_struct_or_list_column_is_named_with_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let structured = |values: &[&str]| -> ArrayRef {
        let inner: ArrayRef = Arc::new(
            values
                .iter()
                .map(|v| Some(*v).filter(|v| !v.is_empty()))
                .collect::<StringArray>(),
        );
        let field = Arc::new(Field::new("code", DataType::Utf8, true));
        Arc::new(StructArray::from(vec![(field, inner)]))
    };
    let listed = |values: &[&str]| -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new());
        for v in values {
            b.values().append_value(v);
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let cases: [(&str, &str, &Nested, &str, &str); 3] = [
        (
            "CIN_CINclosureDate",
            "struct_closure.parquet",
            &structured,
            "struct<code: Utf8>",
            "a date",
        ),
        (
            "CIN_LA",
            "list_la.parquet",
            &listed,
            "list<Utf8>",
            "a 3-digit LA code",
        ),
        (
            "CIN_MonthOfBirth",
            "struct_month.parquet",
            &structured,
            "struct<code: Utf8>",
            "a month number 1-12",
        ),
    ];
    for (column, name, nested, found, expected) in cases {
        let p = dir.path().join(name);
        write_parquet(&p, |n, v| (n == column).then(|| nested(v)));
        let o = estimate(&[&p], &dir.path().join(format!("out-{name}")));
        let msg = text(&o);
        assert!(!o.status.success(), "{msg}");
        let column = column.strip_prefix("CIN_").unwrap();
        let want = format!("{name}: column {column} has the Parquet type {found}");
        assert!(msg.contains(&want), "{want:?} not in {msg}");
        assert!(msg.contains(expected), "{expected:?} not in {msg}");
    }
    // a column no rule of this run needs: read as missing, the plain file's estimates
    let base = plain(dir.path());
    let p = dir.path().join("struct_need.parquet");
    write_parquet(&p, |n, v| {
        (n == "CIN_PrimaryNeedCode").then(|| structured(v))
    });
    let o = estimate_with_notes(&p, &dir.path().join("out-need"));
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    assert!(
        msg.contains("column PrimaryNeedCode has the Parquet type struct<code: Utf8>"),
        "{msg}"
    );
    let got = run_ok(dir.path(), "out-need-quiet", &[&p]);
    assert_eq!(got.rows, vec![(1500, 1500)]);
    assert!(got.estimates == base.estimates, "{}", got.ledger);
}

/// Years and months of birth as `Decimal128(9, 2)` (`2005.00`) stopped the run ("holds no
/// valid value"), although the same numbers read fine as floats. Whole values now read as
/// the plain file's; a value with a fraction stops the run naming file, row, column and
/// value.
#[test]
fn decimal_columns_read_whole_values_and_stop_on_a_fraction() {
    let dir = tempfile::tempdir().unwrap();
    let base = plain(dir.path());
    let birth = |n: &str| n == "CIN_YearOfBirth" || n == "CIN_MonthOfBirth";
    let p = dir.path().join("decimal.parquet");
    write_parquet(&p, |n, v| birth(n).then(|| decimals(v)));
    let got = run_ok(dir.path(), "out-decimal", &[&p]);
    assert_eq!(got.rows, vec![(1500, 1500)]);
    assert!(got.estimates == base.estimates, "{}", got.ledger);
    // one year of birth with a fraction, in the 41st row or the first after it with a year
    let (header, rows) = sample();
    let y = col(&header, "YearOfBirth");
    let at = (40..rows.len())
        .find(|i| !rows[*i].split(',').nth(y).unwrap().is_empty())
        .unwrap();
    let year: i128 = rows[at].split(',').nth(y).unwrap().parse().unwrap();
    let p = dir.path().join("fraction.parquet");
    write_parquet(&p, |n, v| {
        (n == "CIN_YearOfBirth").then(|| {
            let mut cents: Vec<Option<i128>> = v
                .iter()
                .map(|v| (!v.is_empty()).then(|| v.parse::<i128>().unwrap() * 100))
                .collect();
            cents[at] = Some(year * 100 + 50);
            let a = cents.into_iter().collect::<Decimal128Array>();
            Arc::new(a.with_precision_and_scale(9, 2).unwrap()) as ArrayRef
        })
    });
    let o = estimate(&[&p], &dir.path().join("out-fraction"));
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    let want = format!(
        "fraction.parquet: row {}, column CIN_YearOfBirth: \"{year}.50\" has a fraction",
        at + 1
    );
    assert!(msg.contains(&want), "{want:?} not in {msg}");
    assert!(msg.contains("Decimal128(9, 2)"), "{msg}");
}

/// `LAchildID_Anon` empty in every row ran when the column was text (CSV, or Parquet
/// strings all null: the 523 rows without a PMR quarantined, every child too young for
/// one), and stopped when it had the Parquet null type. Both stop now, naming the file
/// and the column.
#[test]
fn an_la_child_id_column_empty_in_every_row_stops_whatever_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let id = col(&header, "LAchildID_Anon");
    let csv = dir.path().join("no_id.csv");
    let empty = edited(&rows, |_, c| c[id] = String::new());
    std::fs::write(&csv, csv_text(&header, &empty)).unwrap();
    let text_nulls = dir.path().join("no_id_text.parquet");
    write_parquet(&text_nulls, |n, v| {
        (n == "CIN_LAchildID_Anon")
            .then(|| Arc::new(StringArray::from(vec![None::<&str>; v.len()])) as ArrayRef)
    });
    let null_type = dir.path().join("no_id_null.parquet");
    write_parquet(&null_type, |n, v| {
        (n == "CIN_LAchildID_Anon").then(|| Arc::new(NullArray::new(v.len())) as ArrayRef)
    });
    for p in [&csv, &text_nulls, &null_type] {
        let o = estimate(&[p], &dir.path().join("out"));
        let msg = text(&o);
        assert!(!o.status.success(), "{msg}");
        let name = p.file_name().unwrap().to_str().unwrap();
        for want in [name, "column LAchildID_Anon", "too young to have a PMR"] {
            assert!(msg.contains(want), "{want:?} not in {msg}");
        }
    }
}

/// `LA` empty in one row in ten: `la_child_id_without_la` counted every such row with an
/// LA child ID, also those then quarantined (`no_identifier`, no PMR either), while the
/// report says a rule's rows "are still used". It counts the rows kept only now, and the
/// ledger adds up: kept + quarantined = read, the rule's rows within the kept.
#[test]
fn la_child_id_without_la_counts_only_the_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let (la, id, pmr) = (
        col(&header, "LA"),
        col(&header, "LAchildID_Anon"),
        col(&header, "PupilMatchingRefAnonymous"),
    );
    let some = edited(&rows, |i, c| {
        if i % 10 == 0 {
            c[la] = String::new();
        }
    });
    let cells = |r: &String| -> Vec<String> { r.split(',').map(str::to_owned).collect() };
    let (mut kept, mut dropped, mut neither) = (0, 0, 0);
    for (i, r) in some.iter().enumerate() {
        let c = cells(r);
        match (c[id].is_empty(), c[pmr].is_empty()) {
            (true, true) => neither += 1,
            (false, false) if i % 10 == 0 => kept += 1,
            (false, true) if i % 10 == 0 => dropped += 1,
            _ => {}
        }
    }
    assert!(kept > 0 && dropped > 0, "{kept} {dropped}");
    let p = dir.path().join("some_la.csv");
    std::fs::write(&p, csv_text(&header, &some)).unwrap();
    let got = run_ok(dir.path(), "out", &[&p]);
    assert_eq!(got.rows, vec![(1500, 1500)]);
    let ledger = ledger_of(&got.ledger);
    let quarantined = ledger["quarantined:no_identifier"];
    assert_eq!(quarantined, dropped + neither, "{}", got.ledger);
    let rule = ledger["rule:la_child_id_without_la"];
    assert_eq!(rule, kept, "{}", got.ledger);
    let read = ledger["read"];
    let used_or_excluded: u64 = ledger
        .iter()
        .filter(|(k, _)| *k == "used" || k.starts_with("excluded:"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(used_or_excluded + quarantined, read);
    assert!(rule <= used_or_excluded);
}

/// Red team round 4 read `linkage.csv`'s PMR persistence shares as shown without their
/// counts. They are not: each share's numerator and denominator rows stand beside it, it
/// is their ratio as released, and it is withheld wherever either is. A guard, on the
/// whole demo extract under `ons-srs`.
#[test]
fn pmr_persistence_shares_stand_beside_their_released_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ep = root().join("fixtures/demo/episodes.csv");
    let den = root().join("fixtures/demo/denominators.csv");
    let o = cumin(&[
        "estimate",
        "--quiet",
        "--episodes",
        ep.to_str().unwrap(),
        "--denominators",
        den.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--estimator",
        "life-table",
        "--outcome",
        "referral",
        "--sdc",
        "ons-srs",
        "--bootstrap",
        "0",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let linkage = std::fs::read_to_string(out.join("linkage.csv")).unwrap();
    let value: BTreeMap<(String, String), String> = linkage
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            ((c[0].to_owned(), c[1].to_owned()), c[2].to_owned())
        })
        .collect();
    let parts = [
        (
            "pmr_persistence",
            "rows_after_pmr_with_pmr",
            "rows_after_pmr",
        ),
        (
            "pmr_persistence_moving_later",
            "rows_after_pmr_moving_later_with_pmr",
            "rows_after_pmr_moving_later",
        ),
    ];
    let (mut shown, mut withheld) = (0, 0);
    for ((mode, measure), share) in &value {
        for (name, num, den) in parts {
            let Some(age) = measure
                .strip_prefix(&format!("split_{name}_age_"))
                .filter(|a| a.parse::<u8>().is_ok())
            else {
                continue;
            };
            let get = |m: &str| {
                value
                    .get(&(mode.clone(), format!("split_{m}_age_{age}")))
                    .unwrap_or_else(|| panic!("{mode} {measure}: no {m} row"))
            };
            let (n, d) = (get(num), get(den));
            if share.is_empty() {
                withheld += 1;
                continue;
            }
            shown += 1;
            let (n, d): (f64, f64) = (n.parse().unwrap(), d.parse().unwrap());
            assert!(
                (share.parse::<f64>().unwrap() - n / d).abs() < 1e-12,
                "{mode} {measure}: {share} is not {n}/{d}"
            );
        }
    }
    assert!(
        shown > 5 && withheld > 0,
        "{shown} shown, {withheld} withheld"
    );
}
