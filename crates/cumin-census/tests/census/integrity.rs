//! Input integrity (issue 22) at the reader: columns wrong throughout by range, type or
//! emptiness stop the run naming the column; identifiers that are not UTF-8 are read as
//! bytes; stated census years exclude and count. The whole-run view (exit code, no output
//! folder) is `crates/cumin-cli/tests/cli/integrity.rs`.

use arrow_array::{
    ArrayRef, BinaryArray, Int64Array, LargeBinaryArray, NullArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use cumin_census::{
    CensusError, CensusYear, Column, Date, EntryKind, NoProgress, ReadOptions, read_csv_bytes,
    read_extract,
};
use parquet::arrow::ArrowWriter;
use std::sync::Arc;

const HEADER: &str = "ACADYR,LA,LAchildID_Anon,PupilMatchingRefAnonymous,Ethnicity,MonthOfBirth,YearOfBirth,CINreferralDate";

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut t = format!("{HEADER}\n");
    for r in rows {
        t.push_str(r);
        t.push('\n');
    }
    t.into_bytes()
}

fn read(rows: &[&str], options: &ReadOptions) -> Result<cumin_census::Extract, CensusError> {
    read_csv_bytes("cin.csv", csv(rows), options)
}

/// A column bad throughout that is not required (read as missing) no longer hides a
/// required one after it: before, only the first such column was looked at.
#[test]
fn a_required_column_wrong_throughout_is_found_behind_another() {
    let rows = [
        "2013/14,202,A1,,x9x9,5,1850,2013-06-01",
        "2013/14,202,A2,,y9y9,5,2150,2013-06-01",
    ];
    let e = read(&rows, &ReadOptions::default()).unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(
            e,
            CensusError::WrongTypeThroughout {
                column: Column::YearOfBirth,
                ..
            }
        ),
        "{m}"
    );
    // Out of range, not of the wrong type: the values are whole numbers.
    assert!(
        m.contains("cin.csv") && m.contains("1900-2100") && m.contains("\"1850\""),
        "{m}"
    );
}

#[test]
fn a_required_date_empty_in_every_row_is_an_error() {
    let rows = [
        "2013/14,202,A1,,WBRI,5,2010,",
        "2013/14,202,A2,,WBRI,6,2010,NA",
    ];
    let m = read(&rows, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("cin.csv: column CINreferralDate is empty in every one of the 2 rows read"),
        "{m}"
    );
    // One date is enough: the rest are imputed and counted, as before.
    let rows = [
        "2013/14,202,A1,,WBRI,5,2010,",
        "2013/14,202,A2,,WBRI,6,2010,2013-06-01",
    ];
    assert!(read(&rows, &ReadOptions::default()).is_ok());
}

#[test]
fn stated_census_years_exclude_and_count_the_rest() {
    let rows = [
        "2013/14,202,A1,,WBRI,5,2010,2013-06-01",
        "2030/31,202,A2,,WBRI,5,2010,2030-06-01",
        "2007/08,202,A3,,WBRI,5,2006,2007-06-01",
    ];
    let m = read(&rows, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(m.contains("census year 2007/08 (1 row"), "{m}");
    let options = ReadOptions {
        census_years: Some((CensusYear(2009), CensusYear(2024))),
        ..ReadOptions::default()
    };
    let e = read(&rows, &options).unwrap();
    assert_eq!(e.episodes.len(), 1);
    assert_eq!(
        e.ledger
            .get(0, EntryKind::Excluded, "census_year_outside_window"),
        2
    );
    assert_eq!(e.data_end.to_string(), "2014-03-31");
    assert_eq!(e.census_years.source, "stated");
    e.ledger.check_with_pending(&e.rows_kept()).unwrap();
}

/// How each column of a test Parquet file is stored.
enum Stored {
    Text(Vec<Option<&'static str>>),
    Int(Vec<i64>),
    Binary(Vec<Option<&'static [u8]>>),
    LargeBinary(Vec<Option<&'static [u8]>>),
    /// Microseconds since 1970 in a time zone (or none).
    Timestamp(Vec<i64>, Option<&'static str>),
    Null,
}

fn parquet(columns: Vec<(&str, Stored)>) -> (tempfile::TempDir, std::path::PathBuf) {
    let n = match &columns[0].1 {
        Stored::Text(v) => v.len(),
        _ => unreachable!("the first column is text"),
    };
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, stored) in columns {
        let (t, a): (DataType, ArrayRef) = match stored {
            Stored::Text(v) => (DataType::Utf8, Arc::new(StringArray::from(v))),
            Stored::Int(v) => (DataType::Int64, Arc::new(Int64Array::from(v))),
            Stored::Binary(v) => (DataType::Binary, Arc::new(BinaryArray::from(v))),
            Stored::LargeBinary(v) => (DataType::LargeBinary, Arc::new(LargeBinaryArray::from(v))),
            Stored::Timestamp(v, zone) => (
                DataType::Timestamp(TimeUnit::Microsecond, zone.map(Into::into)),
                Arc::new(TimestampMicrosecondArray::from(v).with_timezone_opt(zone)),
            ),
            Stored::Null => (DataType::Null, Arc::new(NullArray::new(n))),
        };
        fields.push(Field::new(name, t, true));
        arrays.push(a);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cin.parquet");
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    (dir, path)
}

/// The columns every test file shares, two rows.
fn base() -> Vec<(&'static str, Stored)> {
    vec![
        (
            "ACADYR",
            Stored::Text(vec![Some("2013/14"), Some("2014/15")]),
        ),
        ("LA", Stored::Int(vec![202, 202])),
        ("MonthOfBirth", Stored::Int(vec![5, 5])),
        ("YearOfBirth", Stored::Int(vec![2010, 2010])),
        (
            "CINreferralDate",
            Stored::Text(vec![Some("2013-06-01"), Some("2014-06-01")]),
        ),
    ]
}

#[test]
fn binary_identifiers_are_read_as_bytes_or_as_text() {
    let mut columns = base();
    columns.push((
        "LAchildID_Anon",
        Stored::Binary(vec![Some(b"\xffA1"), Some(b"\xfeA1")]),
    ));
    columns.push((
        "PupilMatchingRefAnonymous",
        Stored::LargeBinary(vec![None, Some(b"P1")]),
    ));
    let (_dir, path) = parquet(columns);
    let e = read_extract(&[path], &ReadOptions::default(), &NoProgress).unwrap();
    assert_eq!(e.episodes.len(), 2, "no row lost as `no_identifier`");
    // Different bytes stay different identifiers.
    assert_eq!(e.episodes.la_child_id_str(0), Some("0xff4131"));
    assert_eq!(e.episodes.la_child_id_str(1), Some("0xfe4131"));
    assert_eq!(e.episodes.pmr_str(1), Some("P1"));
    assert_eq!(
        e.ledger.get(0, EntryKind::Rule, "identifier_read_as_bytes"),
        2
    );
}

/// The base columns, LA child IDs, `pmr` and a `CPPstartDate` of the null type.
fn with_ids_and_null_cpp(pmr: Stored) -> (tempfile::TempDir, std::path::PathBuf) {
    let mut columns = base();
    columns.push(("LAchildID_Anon", Stored::Text(vec![Some("A1"), Some("A2")])));
    columns.push(("PupilMatchingRefAnonymous", pmr));
    columns.push(("CPPstartDate", Stored::Null));
    parquet(columns)
}

/// A required column of the Parquet null type stops the read, but the PMR's, which reads
/// as a text column empty in every row (session 12: it stopped, while the text one ran):
/// the same rows, and one note, `pmr_empty_in_every_row`.
#[test]
fn a_null_typed_column_is_an_error_when_required_and_missing_otherwise() {
    let (_dir, path) = with_ids_and_null_cpp(Stored::Null);
    let null = read_extract(
        std::slice::from_ref(&path),
        &ReadOptions::default(),
        &NoProgress,
    )
    .unwrap();
    let (_dir, path) = with_ids_and_null_cpp(Stored::Text(vec![None, None]));
    let text = read_extract(
        std::slice::from_ref(&path),
        &ReadOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(null.episodes.len(), 2);
    assert_eq!(null.episodes.la_child_id, text.episodes.la_child_id);
    let rules = |e: &cumin_census::Extract| -> Vec<(&'static str, u64)> {
        e.notes.iter().map(|n| (n.rule, n.rows)).collect()
    };
    assert_eq!(
        rules(&null),
        [
            ("null_type_read_as_missing", 2),
            ("pmr_empty_in_every_row", 2)
        ]
    );
    assert_eq!(rules(&null), rules(&text));

    let e = read_extract(
        std::slice::from_ref(&path),
        &ReadOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(e.episodes.len(), 2);
    let required = ReadOptions {
        required: [Column::CppStart].into(),
        ..ReadOptions::default()
    };
    let e = read_extract(&[path], &required, &NoProgress).unwrap_err();
    assert!(
        e.to_string()
            .contains("CPPstartDate has the Parquet type null"),
        "{e}"
    );
}

/// `ReferralNFA` and `ReasonForClosure` may be empty in an early census year's file, not
/// in the whole extract: there every referral would read as assessed, or every assessed
/// child as in need. The check is on the whole extract, and only when a run needs the
/// column.
#[test]
fn an_outcome_column_empty_in_every_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &[&str]| {
        let mut t = format!("{HEADER},ReferralNFA,ReasonForClosure\n");
        for r in rows {
            t.push_str(r);
            t.push('\n');
        }
        let path = dir.path().join(name);
        std::fs::write(&path, t).unwrap();
        path
    };
    let early = write("2013.csv", &["2012/13,202,A1,,WBRI,5,2005,2012-06-01,,"]);
    let late = write("2014.csv", &["2013/14,202,A2,,WBRI,5,2005,2013-06-01,,RC1"]);
    let needs = ReadOptions {
        required: [Column::ReferralNfa, Column::ReasonForClosure].into(),
        ..ReadOptions::default()
    };
    let files = [early.clone(), late];
    let e = read_extract(&files, &needs, &NoProgress).unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(
            e,
            CensusError::EmptyInExtract {
                column: Column::ReferralNfa,
                rows: 2,
                ..
            }
        ),
        "{m}"
    );
    assert!(
        m.contains("2013.csv") && m.contains("2014.csv") && m.contains("assessed"),
        "{m}"
    );
    // Not needed (no outcome beyond referral): read as missing, as before.
    assert!(read_extract(&files, &ReadOptions::default(), &NoProgress).is_ok());
    // Values in the later file: the early one may be empty.
    let late = write(
        "2014.csv",
        &["2013/14,202,A2,,WBRI,5,2005,2013-06-01,0,RC1"],
    );
    assert!(read_extract(&[early.clone(), late], &needs, &NoProgress).is_ok());
    // ReasonForClosure empty everywhere.
    let late = write("2014.csv", &["2013/14,202,A2,,WBRI,5,2005,2013-06-01,0,"]);
    let e = read_extract(&[early, late], &needs, &NoProgress).unwrap_err();
    assert!(
        matches!(
            e,
            CensusError::EmptyInExtract {
                column: Column::ReasonForClosure,
                ..
            }
        ),
        "{e}"
    );
}

/// `CPPstartDate` empty in every file ran (the study checked it after the read): it is
/// one of the census' columns that may not be empty in the whole extract, with the
/// outcomes that do not need it named in the message.
#[test]
fn a_cpp_start_column_empty_in_every_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &[&str]| {
        let mut t = format!("{HEADER},CPPstartDate\n");
        for r in rows {
            t.push_str(r);
            t.push('\n');
        }
        let path = dir.path().join(name);
        std::fs::write(&path, t).unwrap();
        path
    };
    let early = write("2013.csv", &["2012/13,202,A1,,WBRI,5,2005,2012-06-01,"]);
    let late = write("2014.csv", &["2013/14,202,A2,,WBRI,5,2005,2013-06-01,"]);
    let needs = ReadOptions {
        required: [Column::CppStart].into(),
        ..ReadOptions::default()
    };
    let e = read_extract(&[early.clone(), late], &needs, &NoProgress).unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(
            e,
            CensusError::EmptyInExtract {
                column: Column::CppStart,
                rows: 2,
                ..
            }
        ),
        "{m}"
    );
    for want in [
        "column CPPstartDate is empty in every one of the 2 rows read",
        "2013.csv",
        "2014.csv",
        "protection plan",
        "--outcome referral,assessed,cin",
    ] {
        assert!(m.contains(want), "{want:?} not in {m}");
    }
    assert!(
        read_extract(
            std::slice::from_ref(&early),
            &ReadOptions::default(),
            &NoProgress
        )
        .is_ok()
    );
    let late = write(
        "2014.csv",
        &["2013/14,202,A2,,WBRI,5,2005,2013-06-01,2013-07-01"],
    );
    assert!(read_extract(&[early, late], &needs, &NoProgress).is_ok());
}

/// A header naming the wrong column (the PMR's column headed `LA`, the LA child ID's
/// headed `IDACI_Decile`) put pseudonymised identifiers in the error and the notes,
/// which reach the terminal and the run's log: a message shows such a value by its length
/// only (`<17 letters/digits>`, `<9 digits>`), and still shows values a wrong column
/// usually holds.
#[test]
fn identifiers_in_a_wrong_column_never_reach_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cin.csv");
    let (pmr, id) = ("P7A827DCACA8B4B39", "001234567");
    // The PMR's column headed LA: a required column wrong throughout (an error).
    std::fs::write(
        &path,
        format!(
            "ACADYR,PupilMatchingRefAnonymous,LAchildID_Anon,LA,MonthOfBirth,YearOfBirth,CINreferralDate\n\
             2013/14,202,{id},{pmr},5,2010,2013-06-01\n"
        ),
    )
    .unwrap();
    let m = read_extract(
        std::slice::from_ref(&path),
        &ReadOptions::default(),
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(m.contains("column LA holds no valid value"), "{m}");
    assert!(!m.contains(pmr) && m.contains("<17 letters/digits>"), "{m}");
    // The LA child ID's column headed IDACI_Decile: not required, a note.
    std::fs::write(
        &path,
        format!(
            "ACADYR,LA,IDACI_Decile,PupilMatchingRefAnonymous,MonthOfBirth,YearOfBirth,CINreferralDate,LAchildID_Anon\n\
             2013/14,202,{id},{pmr},5,2010,2013-06-01,7\n"
        ),
    )
    .unwrap();
    let notes = crate::mutations::Notes::default();
    read_extract(&[path], &ReadOptions::default(), &notes).unwrap();
    let notes = notes.0.lock().unwrap().join("\n");
    assert!(
        notes.contains("column IDACI_Decile holds no valid value"),
        "{notes}"
    );
    assert!(
        !notes.contains(id) && notes.contains("<9 digits>"),
        "{notes}"
    );
}

/// Parquet timestamps are read by their local date: a zone with a fixed offset is applied
/// (local midnight of 1 June at +01:00 is 23:00 UTC on 31 May); a named zone with summer
/// time (as pandas writes `Europe/London`) stops the run naming the file, the column and
/// the zone, instead of moving every summer date back a day with exit 0.
#[test]
fn timestamps_in_a_time_zone_are_read_by_their_local_date_or_refused() {
    // 2013-05-31T23:00:00Z and 2014-01-15T00:00:00Z, in microseconds.
    let utc = vec![1_370_041_200_000_000, 1_389_744_000_000_000];
    let read_with = |zone: Option<&'static str>| {
        let mut columns = base();
        columns.retain(|(name, _)| *name != "CINreferralDate");
        columns.push(("LAchildID_Anon", Stored::Text(vec![Some("A1"), Some("A2")])));
        columns.push(("PupilMatchingRefAnonymous", Stored::Text(vec![None, None])));
        columns.push(("CINreferralDate", Stored::Timestamp(utc.clone(), zone)));
        let (_dir, path) = parquet(columns);
        read_extract(&[path], &ReadOptions::default(), &NoProgress)
    };
    let dates = |e: &cumin_census::Extract| e.episodes.referral.clone();
    let by_utc = [Some(Date::ymd(2013, 5, 31)), Some(Date::ymd(2014, 1, 15))];
    assert_eq!(dates(&read_with(None).unwrap()), by_utc);
    assert_eq!(dates(&read_with(Some("UTC")).unwrap()), by_utc);
    assert_eq!(
        dates(&read_with(Some("+01:00")).unwrap()),
        [Some(Date::ymd(2013, 6, 1)), Some(Date::ymd(2014, 1, 15))]
    );
    assert_eq!(
        dates(&read_with(Some("-0500")).unwrap()),
        [Some(Date::ymd(2013, 5, 31)), Some(Date::ymd(2014, 1, 14))]
    );
    let e = read_with(Some("Europe/London")).unwrap_err();
    assert!(matches!(e, CensusError::TimeZone { .. }), "{e}");
    let message = e.to_string();
    for part in [
        "cin.parquet",
        "CINreferralDate",
        "Europe/London",
        ".dt.date",
    ] {
        assert!(message.contains(part), "{part} not in: {message}");
    }
}
