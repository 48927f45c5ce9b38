//! Small auxiliary tables (denominators, deprivation lookups) read as text cells.

use super::format::{Format, detect_format};
use crate::error::CensusError;
use arrow_array::{Array, cast::AsArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

/// A table of text cells with its headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextTable {
    /// Header names as written.
    pub headers: Vec<String>,
    /// Rows of cells (empty string for missing).
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// The position of the header matching `name` (case-insensitively, ignoring
    /// underscores, spaces and a `CIN_` prefix).
    pub fn column(&self, name: &str) -> Option<usize> {
        let key = crate::schema::match_key(name);
        self.headers
            .iter()
            .position(|h| crate::schema::match_key(h) == key)
    }
}

/// Reads a whole CSV or Parquet file as text.
pub fn read_text_table(path: &Path) -> Result<TextTable, CensusError> {
    match detect_format(path)? {
        Format::Csv => read_csv(path),
        Format::Parquet => read_parquet(path),
    }
}

fn read_csv(path: &Path) -> Result<TextTable, CensusError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| CensusError::Csv {
            path: path.to_owned(),
            line: 0,
            message: e.to_string(),
        })?;
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| CensusError::Csv {
            path: path.to_owned(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(CensusError::Empty {
            path: path.to_owned(),
            detail: "it has no header row".to_owned(),
        });
    }
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| CensusError::Csv {
            path: path.to_owned(),
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        })?;
        rows.push(rec.iter().map(|c| c.trim().to_owned()).collect());
    }
    Ok(TextTable { headers, rows })
}

fn read_parquet(path: &Path) -> Result<TextTable, CensusError> {
    let err = |e: &dyn std::fmt::Display| CensusError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|source| CensusError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(&e))?;
    let headers: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    for batch in builder.build().map_err(|e| err(&e))? {
        let batch = batch.map_err(|e| err(&e))?;
        let cols: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| arrow_cast::cast(c, &DataType::Utf8))
            .collect::<Result<_, _>>()
            .map_err(|e| err(&e))?;
        for i in 0..batch.num_rows() {
            rows.push(
                cols.iter()
                    .map(|c| {
                        if c.is_null(i) {
                            String::new()
                        } else {
                            c.as_string::<i32>().value(i).to_owned()
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(TextTable { headers, rows })
}
