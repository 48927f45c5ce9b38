//! Writing the extract as an NPD release would hold it: CSV and Parquet, `CIN_` names.

use crate::extract::ExtractRow;
use arrow::array::{
    ArrayRef, Date32Builder, Int16Builder, StringBuilder, UInt8Builder, UInt16Builder,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use cumin_census::Date;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

/// Column names of the written extract, in order.
pub const COLUMNS: [&str; 21] = [
    "CIN_ACADYR",
    "CIN_LA",
    "CIN_LAchildID_Anon",
    "CIN_PupilMatchingRefAnonymous",
    "CIN_Gender",
    "CIN_Ethnicity",
    "CIN_MonthOfBirth",
    "CIN_YearOfBirth",
    "CIN_ExpectedDOB",
    "CIN_CINreferralDate",
    "CIN_CINclosureDate",
    "CIN_ReferralSource",
    "CIN_ReferralNFA",
    "CIN_PrimaryNeedCode",
    "CIN_ReasonForClosure",
    "CIN_AssessmentActualStartDate",
    "CIN_Section47ActualStartDate",
    "CIN_DateOfInitialCPC",
    "CIN_CPPstartDate",
    "CIN_CPPendDate",
    "CIN_IDACI_Decile",
];

/// Errors writing output files.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// File system.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Parquet encoding.
    #[error("cannot write Parquet {path}: {message}")]
    Parquet {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes rows as CSV.
pub struct CsvOut {
    path: std::path::PathBuf,
    out: BufWriter<File>,
    line: Vec<u8>,
}

fn push_date(line: &mut Vec<u8>, d: Option<Date>) {
    if let Some(d) = d {
        let (y, m, dd) = d.to_ymd();
        let mut b = itoa::Buffer::new();
        line.extend_from_slice(b.format(y).as_bytes());
        line.push(b'-');
        line.push(b'0' + (m / 10) as u8);
        line.push(b'0' + (m % 10) as u8);
        line.push(b'-');
        line.push(b'0' + (dd / 10) as u8);
        line.push(b'0' + (dd % 10) as u8);
    }
    line.push(b',');
}

fn push_int(line: &mut Vec<u8>, v: Option<i64>) {
    if let Some(v) = v {
        line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    line.push(b',');
}

fn push_str(line: &mut Vec<u8>, s: Option<&str>) {
    if let Some(s) = s {
        line.extend_from_slice(s.as_bytes());
    }
    line.push(b',');
}

impl CsvOut {
    /// Creates the file and writes the header.
    pub fn create(path: &Path) -> Result<CsvOut, WriteError> {
        let f = File::create(path).map_err(io(path))?;
        let mut out = BufWriter::with_capacity(1 << 20, f);
        out.write_all(COLUMNS.join(",").as_bytes())
            .map_err(io(path))?;
        out.write_all(b"\n").map_err(io(path))?;
        Ok(CsvOut {
            path: path.to_owned(),
            out,
            line: Vec::with_capacity(256),
        })
    }

    /// Writes one row.
    pub fn write(&mut self, r: &ExtractRow) -> Result<(), WriteError> {
        let l = &mut self.line;
        l.clear();
        push_str(l, Some(&r.census_year.to_string()));
        push_int(l, Some(i64::from(r.la)));
        push_str(l, Some(&r.la_child_id));
        push_str(l, r.pmr.as_deref());
        push_int(l, Some(i64::from(r.gender)));
        push_str(l, Some(r.ethnicity));
        push_int(l, r.birth_month.map(i64::from));
        push_int(l, r.birth_year.map(i64::from));
        push_date(l, r.expected_dob);
        push_date(l, Some(r.referral));
        push_date(l, r.closure);
        push_str(l, Some(r.referral_source));
        push_int(l, Some(i64::from(r.nfa)));
        push_str(l, Some(&format!("N{}", r.primary_need)));
        push_str(l, r.reason.map(|x| format!("RC{x}")).as_deref());
        push_date(l, r.assessment);
        push_date(l, r.s47);
        push_date(l, r.icpc);
        push_date(l, r.cpp_start);
        push_date(l, r.cpp_end);
        push_int(l, Some(i64::from(r.idaci)));
        l.pop();
        l.push(b'\n');
        self.out.write_all(l).map_err(io(&self.path))
    }

    /// Flushes and closes.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.out.flush().map_err(io(&self.path))
    }
}

/// Writes rows as Parquet, in row groups.
pub struct ParquetOut {
    path: std::path::PathBuf,
    writer: ArrowWriter<File>,
    schema: Arc<Schema>,
    pending: Vec<ExtractRow>,
}

/// Rows per Parquet row group.
pub const ROW_GROUP: usize = 1 << 20;

fn schema() -> Arc<Schema> {
    use DataType::{Date32, Int16, UInt8, UInt16, Utf8};
    let types = [
        Utf8, UInt16, Utf8, Utf8, UInt8, Utf8, UInt8, Int16, Date32, Date32, Date32, Utf8, UInt8,
        Utf8, Utf8, Date32, Date32, Date32, Date32, Date32, UInt8,
    ];
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .zip(types)
            .map(|(n, t)| Field::new(*n, t, true))
            .collect::<Vec<_>>(),
    ))
}

impl ParquetOut {
    /// Creates the file.
    pub fn create(path: &Path) -> Result<ParquetOut, WriteError> {
        let f = File::create(path).map_err(io(path))?;
        let schema = schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_created_by("cumin-synth".to_owned())
            .build();
        let writer = ArrowWriter::try_new(f, schema.clone(), Some(props)).map_err(|e| {
            WriteError::Parquet {
                path: path.to_owned(),
                message: e.to_string(),
            }
        })?;
        Ok(ParquetOut {
            path: path.to_owned(),
            writer,
            schema,
            pending: Vec::new(),
        })
    }

    /// Adds one row.
    pub fn write(&mut self, r: ExtractRow) -> Result<(), WriteError> {
        self.pending.push(r);
        if self.pending.len() >= 64 * 1024 {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), WriteError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let n = rows.len();
        let strings = |f: &dyn Fn(&ExtractRow) -> Option<String>| -> ArrayRef {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for r in &rows {
                b.append_option(f(r));
            }
            Arc::new(b.finish())
        };
        let dates = |f: &dyn Fn(&ExtractRow) -> Option<Date>| -> ArrayRef {
            let mut b = Date32Builder::with_capacity(n);
            for r in &rows {
                b.append_option(f(r).map(Date::days));
            }
            Arc::new(b.finish())
        };
        let u8s = |f: &dyn Fn(&ExtractRow) -> Option<u8>| -> ArrayRef {
            let mut b = UInt8Builder::with_capacity(n);
            for r in &rows {
                b.append_option(f(r));
            }
            Arc::new(b.finish())
        };
        let mut la = UInt16Builder::with_capacity(n);
        let mut year = Int16Builder::with_capacity(n);
        for r in &rows {
            la.append_value(r.la);
            year.append_option(r.birth_year);
        }
        let columns: Vec<ArrayRef> = vec![
            strings(&|r| Some(r.census_year.to_string())),
            Arc::new(la.finish()),
            strings(&|r| Some(r.la_child_id.clone())),
            strings(&|r| r.pmr.clone()),
            u8s(&|r| Some(r.gender)),
            strings(&|r| Some(r.ethnicity.to_owned())),
            u8s(&|r| r.birth_month),
            Arc::new(year.finish()),
            dates(&|r| r.expected_dob),
            dates(&|r| Some(r.referral)),
            dates(&|r| r.closure),
            strings(&|r| Some(r.referral_source.to_owned())),
            u8s(&|r| Some(r.nfa)),
            strings(&|r| Some(format!("N{}", r.primary_need))),
            strings(&|r| r.reason.map(|x| format!("RC{x}"))),
            dates(&|r| r.assessment),
            dates(&|r| r.s47),
            dates(&|r| r.icpc),
            dates(&|r| r.cpp_start),
            dates(&|r| r.cpp_end),
            u8s(&|r| Some(r.idaci)),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| {
            WriteError::Parquet {
                path: self.path.clone(),
                message: e.to_string(),
            }
        })?;
        self.writer.write(&batch).map_err(|e| WriteError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    /// Writes what is pending and closes the file.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.flush_batch()?;
        self.writer.close().map_err(|e| WriteError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        Ok(())
    }
}
