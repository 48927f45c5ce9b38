//! Writing the extract as an NPD release would hold it: CSV and Parquet, `CIN_` names.
//!
//! Rows are turned into CSV text and Arrow columns in parallel batches, and each census
//! year becomes one Parquet row group whose columns are encoded in parallel. Batches are
//! cut at fixed row counts and joined in order, so the bytes do not depend on the number
//! of threads.

use crate::cell::Cell;
use crate::extract::{N_COLUMNS, Row, col};
use arrow_array::ArrayRef;
use arrow_array::builder::{
    Int16Builder, StringBuilder, UInt8Builder, UInt16Builder, UInt64Builder,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Column names of the written extract, in order.
pub const COLUMNS: [&str; N_COLUMNS] = [
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
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Parquet encoding.
    #[error("cannot write Parquet {path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
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

fn pq(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> WriteError + '_ {
    move |e| WriteError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The Arrow type of each column. Dates and codes are text, as extracts exported from
/// case-management systems hold them: a typed column could not carry `31/02/2014` or
/// `nfa`, and the CSV and Parquet files must hold the same values.
fn column_type(i: usize) -> DataType {
    match i {
        col::LA => DataType::UInt16,
        col::GENDER | col::MONTH_OF_BIRTH | col::IDACI => DataType::UInt8,
        col::YEAR_OF_BIRTH => DataType::Int16,
        _ => DataType::Utf8,
    }
}

/// The extract's Arrow schema.
pub fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .enumerate()
            .map(|(i, n)| Field::new(*n, column_type(i), true))
            .collect::<Vec<_>>(),
    ))
}

enum Builder {
    Text(StringBuilder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    I16(Int16Builder),
}

/// Rows turned into CSV text and Arrow columns, ready to write.
pub struct Batch {
    /// CSV lines.
    pub csv: Vec<u8>,
    /// One array per column.
    pub columns: Vec<ArrayRef>,
    /// Rows.
    pub rows: usize,
}

/// Builds a [`Batch`] row by row.
pub struct BatchBuilder {
    csv: Option<Vec<u8>>,
    builders: Vec<Builder>,
    field: Vec<u8>,
    rows: usize,
}

impl BatchBuilder {
    /// A builder for about `rows` rows, making CSV text and/or Arrow columns.
    pub fn new(rows: usize, csv: bool, arrow: bool) -> BatchBuilder {
        let builders = (0..N_COLUMNS)
            .filter(|_| arrow)
            .map(|i| match column_type(i) {
                DataType::UInt16 => Builder::U16(UInt16Builder::with_capacity(rows)),
                DataType::UInt8 => Builder::U8(UInt8Builder::with_capacity(rows)),
                DataType::Int16 => Builder::I16(Int16Builder::with_capacity(rows)),
                _ => Builder::Text(StringBuilder::with_capacity(rows, rows * 10)),
            })
            .collect();
        BatchBuilder {
            csv: csv.then(|| Vec::with_capacity(rows * 128)),
            builders,
            field: Vec::with_capacity(32),
            rows: 0,
        }
    }

    /// Adds one row.
    pub fn push(&mut self, row: &Row) {
        let mut builders = self.builders.iter_mut();
        for (i, cell) in row.iter().enumerate() {
            // A cell is formatted once: into the CSV line when there is one, and the
            // Arrow column takes the same bytes.
            let text: &[u8] = if let Some(csv) = &mut self.csv {
                let at = csv.len();
                cell.push_text(csv);
                csv.push(if i + 1 == N_COLUMNS { b'\n' } else { b',' });
                &csv[at..csv.len() - 1]
            } else if matches!(cell, Cell::Int(_) | Cell::Date(_)) {
                self.field.clear();
                cell.push_text(&mut self.field);
                &self.field
            } else {
                &[]
            };
            debug_assert!(
                !text.iter().any(|b| matches!(b, b',' | b'"' | b'\n')),
                "no written value needs CSV quoting"
            );
            let Some(builder) = builders.next() else {
                continue;
            };
            let int = cell.int();
            match builder {
                Builder::Text(b) => match cell {
                    Cell::Null => b.append_null(),
                    Cell::Str(s) => b.append_value(s),
                    Cell::Text(s) => b.append_value(s.as_str()),
                    Cell::Int(_) | Cell::Date(_) => {
                        b.append_value(std::str::from_utf8(text).expect("ASCII"));
                    }
                },
                Builder::U8(b) => b.append_option(int.map(|v| v as u8)),
                Builder::U16(b) => b.append_option(int.map(|v| v as u16)),
                Builder::I16(b) => b.append_option(int.map(|v| v as i16)),
            }
        }
        self.rows += 1;
    }

    /// The finished batch.
    pub fn finish(self) -> Batch {
        let columns = self
            .builders
            .into_iter()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(mut b) => Arc::new(b.finish()),
                    Builder::U8(mut b) => Arc::new(b.finish()),
                    Builder::U16(mut b) => Arc::new(b.finish()),
                    Builder::I16(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        Batch {
            csv: self.csv.unwrap_or_default(),
            columns,
            rows: self.rows,
        }
    }
}

/// Writes rows as CSV.
pub struct CsvOut {
    path: PathBuf,
    out: BufWriter<File>,
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
        })
    }

    /// Writes batches in order.
    pub fn write(&mut self, batches: &[Batch]) -> Result<(), WriteError> {
        for b in batches {
            self.out.write_all(&b.csv).map_err(io(&self.path))?;
        }
        Ok(())
    }

    /// Flushes and closes.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.out.flush().map_err(io(&self.path))
    }
}

/// Writes Parquet row groups whose columns are encoded in parallel.
pub struct ParquetOut {
    path: PathBuf,
    writer: SerializedFileWriter<BufWriter<File>>,
    factory: ArrowRowGroupWriterFactory,
    schema: Arc<Schema>,
    groups: usize,
}

impl ParquetOut {
    /// Creates the file for rows of `schema`.
    pub fn create(path: &Path, schema: Arc<Schema>) -> Result<ParquetOut, WriteError> {
        let f = File::create(path).map_err(io(path))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by("cumin-synth".to_owned());
        // Identifiers are nearly unique: a dictionary would only be built to be dropped.
        for name in [COLUMNS[col::LA_CHILD_ID], COLUMNS[col::PMR]] {
            props = props.set_column_dictionary_enabled(ColumnPath::from(name), false);
        }
        let props = props.build();
        let (writer, factory) = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, f),
            schema.clone(),
            Some(props),
        )
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(pq(path))?;
        Ok(ParquetOut {
            path: path.to_owned(),
            writer,
            factory,
            schema,
            groups: 0,
        })
    }

    /// Writes `batches` as one row group (nothing if they hold no rows).
    pub fn write_group(&mut self, batches: &[Batch]) -> Result<(), WriteError> {
        if batches.iter().all(|b| b.rows == 0) {
            return Ok(());
        }
        let path = &self.path;
        let writers = self
            .factory
            .create_column_writers(self.groups)
            .map_err(pq(path))?;
        let fields = self.schema.fields();
        let chunks: Vec<_> = writers
            .into_par_iter()
            .enumerate()
            .map(|(i, mut w)| {
                for b in batches {
                    for leaf in compute_leaves(&fields[i], &b.columns[i])? {
                        w.write(&leaf)?;
                    }
                }
                w.close()
            })
            .collect();
        let mut group = self.writer.next_row_group().map_err(pq(path))?;
        for chunk in chunks {
            chunk
                .and_then(|c| c.append_to_row_group(&mut group))
                .map_err(pq(path))?;
        }
        group.close().map_err(pq(path))?;
        self.groups += 1;
        Ok(())
    }

    /// Closes the file.
    pub fn finish(self) -> Result<(), WriteError> {
        let path = self.path;
        let mut out = self.writer.into_inner().map_err(pq(&path))?;
        out.flush().map_err(io(&path))
    }
}

/// Which row of the extract belongs to which true child: truth, for measuring linkage.
pub struct TrueIdsOut {
    csv: Option<(PathBuf, BufWriter<File>)>,
    parquet: Option<ParquetOut>,
    next_row: u64,
}

/// Columns of the true-ID files.
pub const TRUE_ID_COLUMNS: [&str; 3] = ["row", "census_year", "true_child"];

impl TrueIdsOut {
    /// Creates `true_ids.csv` and/or `true_ids.parquet` in `dir`.
    pub fn create(dir: &Path, csv: bool, parquet: bool) -> Result<TrueIdsOut, WriteError> {
        let csv = if csv {
            let path = dir.join("true_ids.csv");
            let mut out = BufWriter::new(File::create(&path).map_err(io(&path))?);
            writeln!(out, "{}", TRUE_ID_COLUMNS.join(",")).map_err(io(&path))?;
            Some((path, out))
        } else {
            None
        };
        let parquet = if parquet {
            let schema = Arc::new(Schema::new(vec![
                Field::new(TRUE_ID_COLUMNS[0], DataType::UInt64, false),
                Field::new(TRUE_ID_COLUMNS[1], DataType::UInt16, false),
                Field::new(TRUE_ID_COLUMNS[2], DataType::UInt64, false),
            ]));
            Some(ParquetOut::create(&dir.join("true_ids.parquet"), schema)?)
        } else {
            None
        };
        Ok(TrueIdsOut {
            csv,
            parquet,
            next_row: 1,
        })
    }

    /// Writes the true child of each row of one census year, in file order.
    pub fn write(&mut self, census_year: i16, children: &[u64]) -> Result<(), WriteError> {
        let first = self.next_row;
        self.next_row += children.len() as u64;
        if let Some((path, out)) = &mut self.csv {
            let mut line = Vec::with_capacity(children.len() * 24);
            let mut b = itoa::Buffer::new();
            for (i, c) in children.iter().enumerate() {
                line.extend_from_slice(b.format(first + i as u64).as_bytes());
                line.push(b',');
                line.extend_from_slice(b.format(census_year).as_bytes());
                line.push(b',');
                line.extend_from_slice(b.format(*c).as_bytes());
                line.push(b'\n');
            }
            out.write_all(&line).map_err(io(path))?;
        }
        if let Some(p) = &mut self.parquet {
            let n = children.len();
            let mut rows = UInt64Builder::with_capacity(n);
            rows.append_values(
                &(first..first + n as u64).collect::<Vec<_>>(),
                &vec![true; n],
            );
            let mut year = UInt16Builder::with_capacity(n);
            year.append_value_n(census_year as u16, n);
            let mut child = UInt64Builder::with_capacity(n);
            child.append_slice(children);
            p.write_group(&[Batch {
                csv: Vec::new(),
                columns: vec![
                    Arc::new(rows.finish()),
                    Arc::new(year.finish()),
                    Arc::new(child.finish()),
                ],
                rows: n,
            }])?;
        }
        Ok(())
    }

    /// Closes the files.
    pub fn finish(self) -> Result<(), WriteError> {
        if let Some((path, mut out)) = self.csv {
            out.flush().map_err(io(&path))?;
        }
        if let Some(p) = self.parquet {
            p.finish()?;
        }
        Ok(())
    }
}
