//! Hostile inputs, red team round 3 (docs/notes/2026-12-07-hostile-inputs-and-leaks.md):
//! an input either gives the plain file's estimates with every row in the ledger, or stops
//! with a message naming the file, row or column and what was expected. Exit status 0
//! while rows are lost or dates move is the failure looked for.
//!
//! Each input is an edit of 1,500 rows of the demo extract (every 13th line), estimated
//! under `--sdc none` (so estimates compare exactly) and compared with the plain file's.
//! Tests marked `#[ignore]` fail on today's code by a choice their reasons give (each
//! would need the reader, `cumin-census`, to guess at what an identifier or a row meant).

use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, Date32Array, DictionaryArray, Float64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use crate::support::{cumin, root, text};

/// The demo extract's header and 1,500 data lines (every 13th).
pub(crate) fn sample() -> (String, Vec<String>) {
    let all = std::fs::read_to_string(root().join("fixtures/demo/episodes.csv")).unwrap();
    let mut lines = all.lines();
    let header = lines.next().unwrap().to_owned();
    let rows: Vec<String> = lines.step_by(13).take(1500).map(str::to_owned).collect();
    assert_eq!(rows.len(), 1500);
    assert!(
        rows.iter().all(|l| !l.contains('"')),
        "no quotes in the demo"
    );
    (header, rows)
}

/// The column index of `name` (without its `CIN_` prefix) in the demo header.
pub(crate) fn col(header: &str, name: &str) -> usize {
    header
        .split(',')
        .position(|h| h.strip_prefix("CIN_") == Some(name))
        .unwrap_or_else(|| panic!("{name} is not in the demo header"))
}

/// `rows` with each row's cells passed through `edit(row index, cells)`.
pub(crate) fn edited(rows: &[String], edit: impl Fn(usize, &mut [String])) -> Vec<String> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells: Vec<String> = r.split(',').map(str::to_owned).collect();
            edit(i, &mut cells);
            cells.join(",")
        })
        .collect()
}

/// Writes `header` and `rows` with `\n` line ends.
pub(crate) fn csv_text(header: &str, rows: &[String]) -> String {
    let mut t = format!("{header}\n");
    for r in rows {
        t.push_str(r);
        t.push('\n');
    }
    t
}

/// `cumin estimate` of `episodes` (the referral life table, `--sdc none`) into `out`.
pub(crate) fn estimate(episodes: &[impl AsRef<Path>], out: &Path) -> Output {
    estimate_with(episodes, out, &["--quiet"])
}

/// `cumin estimate` of `episodes` as [`estimate`] runs it but with `extra` flags and the
/// notes shown unless `extra` has `--quiet`.
pub(crate) fn estimate_with(episodes: &[impl AsRef<Path>], out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["estimate", "--episodes"];
    args.extend(episodes.iter().map(|p| p.as_ref().to_str().unwrap()));
    let den = root().join("fixtures/demo/denominators.csv");
    args.extend([
        "--denominators",
        den.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--estimator",
        "life-table",
        "--outcome",
        "referral",
        "--sdc",
        "none",
        "--bootstrap",
        "0",
    ]);
    args.extend(extra);
    cumin(&args)
}

/// A run's estimates and, per input file, `(read, used + quarantined + excluded)`.
pub(crate) struct Run {
    pub(crate) estimates: String,
    pub(crate) rows: Vec<(u64, u64)>,
    pub(crate) ledger: String,
}

pub(crate) fn run_ok(dir: &Path, name: &str, episodes: &[impl AsRef<Path>]) -> Run {
    let out = dir.join(name);
    let o = estimate(episodes, &out);
    assert!(o.status.success(), "{name}: {}", text(&o));
    let ledger = std::fs::read_to_string(out.join("analyst-only/ledger.csv")).unwrap();
    let rows = episodes
        .iter()
        .map(|p| {
            let (mut read, mut parts) = (0, 0);
            for l in ledger.lines().skip(1) {
                let mut c = l.rsplitn(3, ',');
                let n: u64 = c.next().unwrap().parse().unwrap();
                let reason = c.next().unwrap();
                if c.next().unwrap() != p.as_ref().to_str().unwrap() {
                    continue;
                }
                if reason == "read" {
                    read += n;
                } else if reason == "used"
                    || reason.starts_with("quarantined:")
                    || reason.starts_with("excluded:")
                {
                    parts += n;
                }
            }
            (read, parts)
        })
        .collect();
    Run {
        estimates: std::fs::read_to_string(out.join("cumulative_incidence.csv")).unwrap(),
        rows,
        ledger,
    }
}

/// The plain sample's run.
pub(crate) fn plain(dir: &Path) -> Run {
    let (header, rows) = sample();
    let p = dir.join("plain.csv");
    std::fs::write(&p, csv_text(&header, &rows)).unwrap();
    run_ok(dir, "out-plain", &[&p])
}

/// `bytes` as `dir/name`, estimated: every row read and accounted for, and the plain
/// file's estimates.
pub(crate) fn same_as_plain(dir: &Path, base: &Run, name: &str, bytes: &[u8]) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let got = run_ok(dir, &format!("out-{name}"), &[&p]);
    assert_eq!(
        got.rows,
        vec![(1500, 1500)],
        "{name}: rows read, accounted for"
    );
    assert!(
        got.estimates == base.estimates,
        "{name}: the estimates moved\n{}",
        got.ledger
    );
}

#[test]
fn a_bom_and_crlf_line_ends_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let t = csv_text(&header, &rows);
    let base = plain(dir.path());
    same_as_plain(
        dir.path(),
        &base,
        "crlf.csv",
        t.replace('\n', "\r\n").as_bytes(),
    );
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(t.replace('\n', "\r\n").as_bytes());
    same_as_plain(dir.path(), &base, "bom_crlf.csv", &bom);
    // a trailing delimiter on the header and every row: an empty unknown column
    let trailing: Vec<String> = rows.iter().map(|r| format!("{r},")).collect();
    same_as_plain(
        dir.path(),
        &base,
        "trailing.csv",
        csv_text(&format!("{header},"), &trailing).as_bytes(),
    );
}

#[test]
fn a_header_named_twice_stops_the_run_naming_both_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let r = col(&header, "CINreferralDate");
    let dup: Vec<String> = rows
        .iter()
        .map(|l| format!("{l},{}", l.split(',').nth(r).unwrap()))
        .collect();
    let p = dir.path().join("dup.csv");
    std::fs::write(&p, csv_text(&format!("{header},CIN_CINreferralDate"), &dup)).unwrap();
    let out = dir.path().join("out");
    let o = estimate(&[&p], &out);
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    for want in ["dup.csv", "CINreferralDate", "column 10", "column 22"] {
        assert!(msg.contains(want), "{want:?} not in {msg}");
    }
    assert!(!out.exists());
}

/// 29 February 2012 reads the same in either order; 29 February 2013 is no date and is
/// listed with its file, row and column (the row is used, the date missing).
#[test]
fn a_leap_day_reads_in_either_order_and_a_false_one_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let r = col(&header, "CINreferralDate");
    let with = |v: &'static str| {
        edited(&rows, move |i, c| {
            if i == 5 {
                c[r] = v.to_owned();
            }
        })
    };
    let write = |name: &str, rows: &[String]| {
        let p = dir.path().join(name);
        std::fs::write(&p, csv_text(&header, rows)).unwrap();
        p
    };
    let iso = write("iso.csv", &with("2012-02-29"));
    let dmy = write("dmy.csv", &with("29/02/2012"));
    let a = run_ok(dir.path(), "out-iso", &[&iso]);
    let b = run_ok(dir.path(), "out-dmy", &[&dmy]);
    assert_eq!(a.estimates, b.estimates);
    let bad = write("bad.csv", &with("2013-02-29"));
    let c = run_ok(dir.path(), "out-bad", &[&bad]);
    assert_eq!(c.rows, vec![(1500, 1500)]);
    let q =
        std::fs::read_to_string(dir.path().join("out-bad/analyst-only/quarantine.csv")).unwrap();
    let line = q
        .lines()
        .find(|l| l.contains("2013-02-29"))
        .unwrap_or_else(|| panic!("2013-02-29 is not listed:\n{q}"));
    assert!(
        line.contains("bad.csv,6,date_unreadable") && line.contains("CINreferralDate"),
        "{line}"
    );
}

/// The same file twice (or a copy of it under another name) used to be read twice: every
/// row counted as two episodes, exit 0 and the estimates moved. Now it stops, naming both.
#[test]
fn an_episode_file_given_twice_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let a = dir.path().join("cin_a.csv");
    let b = dir.path().join("cin_b.csv");
    let copy = dir.path().join("copy_of_a.csv");
    std::fs::write(&a, csv_text(&header, &rows[..750])).unwrap();
    std::fs::write(&b, csv_text(&header, &rows[750..])).unwrap();
    std::fs::copy(&a, &copy).unwrap();
    let two = run_ok(dir.path(), "out-two", &[&a, &b]);
    assert_eq!(two.rows, vec![(750, 750), (750, 750)]);
    for (files, want) in [
        (vec![&a, &b, &a], "are the same file"),
        (vec![&a, &b, &copy], "have the same bytes"),
    ] {
        let out = dir.path().join("out-twice");
        let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
        let o = estimate(&paths, &out);
        let msg = text(&o);
        assert!(!o.status.success(), "{msg}");
        assert!(msg.contains(want) && msg.contains("cin_a.csv"), "{msg}");
        assert!(!out.exists());
        let mut args = vec!["validate", "--quiet", "--episodes"];
        args.extend(paths.iter().map(|p| p.to_str().unwrap()));
        let v = cumin(&args);
        assert!(
            !v.status.success() && text(&v).contains(want),
            "{}",
            text(&v)
        );
    }
}

/// How a Parquet column is stored.
#[derive(Clone, Copy)]
pub(crate) enum As {
    Text,
    /// Days since 1970 (a date written by pandas, R's arrow or Spark).
    Date32,
    /// A number with `.0`: integer columns that passed through a float (R, pandas).
    Float,
    /// Dictionary-encoded text, each record batch (row group) with its own dictionary.
    Dictionary,
}

pub(crate) fn days(v: &str) -> i32 {
    let d: Vec<i64> = v.split('-').map(|x| x.parse().unwrap()).collect();
    // days from civil (Howard Hinnant's algorithm)
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).unwrap()
}

/// Whether `v` is a real `YYYY-MM-DD` date.
fn valid_iso(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        v[..4].parse::<u32>(),
        v[5..7].parse::<u32>(),
        v[8..].parse::<u32>(),
    ) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let last = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (1..=last).contains(&d)
}

pub(crate) fn array(values: &[&str], stored: As) -> (DataType, ArrayRef) {
    let opt = values.iter().map(|v| Some(*v).filter(|v| !v.is_empty()));
    match stored {
        As::Text => (DataType::Utf8, Arc::new(opt.collect::<StringArray>())),
        As::Date32 => (
            DataType::Date32,
            Arc::new(opt.map(|v| v.map(days)).collect::<Date32Array>()),
        ),
        As::Float => (
            DataType::Float64,
            Arc::new(
                opt.map(|v| v.map(|v| v.parse::<f64>().unwrap()))
                    .collect::<Float64Array>(),
            ),
        ),
        As::Dictionary => {
            let d: DictionaryArray<Int32Type> = opt.collect();
            (d.data_type().clone(), Arc::new(d))
        }
    }
}

/// Writes the rows as Parquet, one row group (and one dictionary) per `group` rows, each
/// column stored as `stored` says.
pub(crate) fn write_parquet(
    path: &Path,
    header: &str,
    rows: &[String],
    group: usize,
    stored: impl Fn(&str) -> As,
) {
    let names: Vec<&str> = header.split(',').collect();
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| r.split(',').collect()).collect();
    let batch = |rows: &[Vec<&str>]| {
        let mut fields = Vec::new();
        let mut columns = Vec::new();
        for (c, name) in names.iter().enumerate() {
            let values: Vec<&str> = rows.iter().map(|r| r[c]).collect();
            let (t, a) = array(&values, stored(name));
            fields.push(Field::new(*name, t, true));
            columns.push(a);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    };
    let first = batch(&cells[..group]);
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), first.schema(), None).unwrap();
    for chunk in cells.chunks(group) {
        // a row group per batch, each with its own dictionaries
        w.write(&batch(chunk)).unwrap();
        w.flush().unwrap();
    }
    w.close().unwrap();
}

/// Dates as Date32, the integer columns as floats (`2005.0`), text dictionary-encoded with
/// a dictionary that changes from one row group to the next, several row groups: the
/// plain CSV's estimates, every row read.
#[test]
fn parquet_types_and_changing_dictionaries_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let stored = |name: &str| {
        let n = name.strip_prefix("CIN_").unwrap_or(name);
        if n == "ACADYR" {
            As::Text
        } else if n.ends_with("Date") || n == "ExpectedDOB" {
            As::Date32
        } else if [
            "LA",
            "YearOfBirth",
            "MonthOfBirth",
            "IDACI_Decile",
            "Gender",
        ]
        .contains(&n)
        {
            As::Float
        } else {
            As::Dictionary
        }
    };
    // Date32 cannot hold the demo's deliberately unreadable dates: empty in both files
    let names: Vec<String> = header.split(',').map(str::to_owned).collect();
    let clean = edited(&rows, |_, c| {
        for (i, v) in c.iter_mut().enumerate() {
            if matches!(stored(&names[i]), As::Date32) && !v.is_empty() && !valid_iso(v) {
                v.clear();
            }
            if matches!(stored(&names[i]), As::Float) && v.parse::<f64>().is_err() {
                v.clear();
            }
        }
    });
    let csv = dir.path().join("clean.csv");
    std::fs::write(&csv, csv_text(&header, &clean)).unwrap();
    let want = run_ok(dir.path(), "out-clean", &[&csv]);
    assert_eq!(want.rows, vec![(1500, 1500)]);
    let pq = dir.path().join("typed.parquet");
    write_parquet(&pq, &header, &clean, 400, stored);
    let meta = SerializedFileReader::new(std::fs::File::open(&pq).unwrap()).unwrap();
    assert_eq!(meta.metadata().num_row_groups(), 4);
    let got = run_ok(dir.path(), "out-typed", &[&pq]);
    assert_eq!(got.rows, vec![(1500, 1500)]);
    assert!(got.estimates == want.estimates, "{}", got.ledger);
    // the same rows over two files, one CSV and one Parquet, read as one extract
    let (a, b) = clean.split_at(700);
    let a_csv = dir.path().join("part_a.csv");
    std::fs::write(&a_csv, csv_text(&header, a)).unwrap();
    let b_pq = dir.path().join("part_b.parquet");
    write_parquet(&b_pq, &header, b, 300, stored);
    let mixed = run_ok(dir.path(), "out-mixed", &[&a_csv, &b_pq]);
    assert_eq!(mixed.rows, vec![(700, 700), (800, 800)]);
    assert!(mixed.estimates == want.estimates, "{}", mixed.ledger);
}

// ---- failing today: the reader's (read/, normalise/) ---------------------------------

/// A PMR written in lower case in some rows (an extract passed through `tolower`, or a
/// case-insensitive database join) splits children: exit 0, no note, the estimates move.
/// Pseudonymised identifiers are upper-case hexadecimal in the NPD; the reader should
/// fold their case (or stop, naming the column, when one key appears in two cases).
#[test]
#[ignore = "left by design: identifiers are pseudonyms compared as given; folding case could join two children (docs/notes/2026-12-07-hostile-inputs-and-leaks.md, round 3)"]
fn a_lower_cased_pmr_is_the_same_child() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let pmr = col(&header, "PupilMatchingRefAnonymous");
    let lower = edited(&rows, |i, c| {
        if i % 3 == 1 {
            c[pmr] = c[pmr].to_lowercase();
        }
    });
    same_as_plain(
        dir.path(),
        &plain(dir.path()),
        "lower.csv",
        csv_text(&header, &lower).as_bytes(),
    );
}

/// LA child IDs that lost their leading zeros in some rows (a year's file opened in a
/// spreadsheet) no longer link to the same child's other rows: exit 0, no note, the
/// estimates move. The reader should note (or stop on) a column whose values mix widths
/// where the shorter ones equal longer ones without their leading zeros.
#[test]
#[ignore = "left by design: identifiers are pseudonyms compared as given; dropping zeros could join two children (docs/notes/2026-12-07-hostile-inputs-and-leaks.md, round 3)"]
fn la_child_ids_that_lost_leading_zeros_are_noted_or_linked() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let id = col(&header, "LAchildID_Anon");
    let stripped = edited(&rows, |i, c| {
        if i % 3 == 1 && c[id].starts_with('0') {
            c[id] = c[id].trim_start_matches('0').to_owned();
        }
    });
    same_as_plain(
        dir.path(),
        &plain(dir.path()),
        "zeros.csv",
        csv_text(&header, &stripped).as_bytes(),
    );
}

/// A comma after the last field of some data lines (not the header) quarantines those
/// rows as `wrong_field_count` and the run goes on with exit 0: half the rows lost here.
/// (Every line with it stops the run, round 1.) A surplus field that is empty is no
/// data: the reader should read the row.
#[test]
#[ignore = "left by design: an empty surplus field is also what an unquoted comma in a row with an empty last field gives (a shifted row); quarantined and counted (docs/notes/2026-12-07-hostile-inputs-and-leaks.md, round 3)"]
fn a_trailing_comma_on_some_rows_loses_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let some: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i % 2 == 1 {
                format!("{r},")
            } else {
                r.clone()
            }
        })
        .collect();
    same_as_plain(
        dir.path(),
        &plain(dir.path()),
        "some.csv",
        csv_text(&header, &some).as_bytes(),
    );
}

/// `CINclosureDate` written as spreadsheet serial numbers (`39571`) while the other date
/// columns are ISO: every closure is unreadable (`rule:date_unreadable` 1,1xx), every
/// episode was read as still open, exit 0 and the estimates moved. A referral or CPP
/// column in serials stops the run ("holds no valid value"); the closure column now does
/// too (cumin-census `READ_BY_EVERY_RUN`).
#[test]
fn a_closure_column_of_spreadsheet_serials_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let c = col(&header, "CINclosureDate");
    let serial = edited(&rows, |_, cells| {
        if valid_iso(&cells[c]) {
            cells[c] = (days(&cells[c]) + 25_569).to_string();
        }
    });
    let p = dir.path().join("serial.csv");
    std::fs::write(&p, csv_text(&header, &serial)).unwrap();
    let out = dir.path().join("out");
    let o = estimate(&[&p], &out);
    let msg = text(&o);
    assert!(!o.status.success(), "the run went on:\n{msg}");
    assert!(
        msg.contains("serial.csv") && msg.contains("CINclosureDate"),
        "{msg}"
    );
    assert!(!out.exists());
}

/// `ACADYR` as `200809` in half the rows (six digits, the form some SQL exports write)
/// quarantined them as `census_year_unreadable` and the run went on with exit 0. The
/// contract lists `2012/13`, `2012/2013`, `2013`; the six-digit form is unambiguous (the
/// second pair follows the first), so it is now read like `2008/09`.
#[test]
fn a_six_digit_census_year_loses_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = sample();
    let y = col(&header, "ACADYR");
    let six = edited(&rows, |i, c| {
        if i % 2 == 0 {
            c[y] = c[y].replace('/', "");
        }
    });
    same_as_plain(
        dir.path(),
        &plain(dir.path()),
        "six.csv",
        csv_text(&header, &six).as_bytes(),
    );
}
