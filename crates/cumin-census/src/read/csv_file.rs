//! CSV episode files, read record by record with the `csv` crate.

use super::{RowBatch, RowSource, RowValue};
use crate::error::CensusError;
use crate::normalise::{Raw, rule};
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub(crate) struct CsvSource {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    headers: ResolvedHeaders,
    /// Position of each known column, indexed by `Column as usize`.
    position: Vec<Option<usize>>,
}

impl CsvSource {
    pub(crate) fn open(path: &Path, map: &ColumnMap) -> Result<CsvSource, CensusError> {
        let file = File::open(path).map_err(|source| CensusError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let raw = reader
            .byte_headers()
            .map_err(|e| csv_error(path, &e))?
            .clone();
        if raw.is_empty() || (raw.len() == 1 && raw[0].is_empty()) {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "it has no header row".to_owned(),
            });
        }
        let names: Vec<String> = raw
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let headers = ResolvedHeaders::resolve(&names, map);
        let mut position = vec![None; Column::ALL.len()];
        for (c, p) in &headers.positions {
            position[*c as usize] = Some(*p);
        }
        Ok(CsvSource {
            path: path.to_owned(),
            reader,
            headers,
            position,
        })
    }
}

fn csv_error(path: &Path, e: &csv::Error) -> CensusError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return CensusError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    CensusError::Csv {
        path: path.to_owned(),
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}

impl RowSource for CsvSource {
    fn headers(&self) -> &ResolvedHeaders {
        &self.headers
    }

    fn read(
        &mut self,
        batch_size: usize,
        sink: &mut dyn FnMut(RowBatch<'_>) -> Result<(), CensusError>,
    ) -> Result<(), CensusError> {
        let width = self.headers.headers.len();
        let mut records: Vec<csv::ByteRecord> = Vec::with_capacity(batch_size);
        let mut first_row = 0u64;
        loop {
            records.clear();
            let mut not_utf8 = 0u64;
            while records.len() < batch_size {
                let mut rec = csv::ByteRecord::new();
                if !self
                    .reader
                    .read_byte_record(&mut rec)
                    .map_err(|e| csv_error(&self.path, &e))?
                {
                    break;
                }
                if std::str::from_utf8(rec.as_slice()).is_err() {
                    not_utf8 += 1;
                    rec = rec
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect::<csv::StringRecord>()
                        .into_byte_record();
                }
                records.push(rec);
            }
            if records.is_empty() {
                return Ok(());
            }
            let position = &self.position;
            let records_ref = &records;
            let get = move |i: usize, c: Column| -> RowValue<'_> {
                let rec = &records_ref[i];
                if rec.len() != width {
                    return RowValue::Malformed(format!(
                        "{} fields where the header has {width}",
                        rec.len()
                    ));
                }
                match position[c as usize].and_then(|p| rec.get(p)) {
                    // Every record was checked (or made) valid UTF-8 above.
                    Some(bytes) => {
                        RowValue::Value(Raw::Text(std::str::from_utf8(bytes).unwrap_or_default()))
                    }
                    None => RowValue::Value(Raw::Null),
                }
            };
            let hits = [(rule::TEXT_NOT_UTF8, not_utf8)];
            sink(RowBatch {
                first_row,
                len: records.len(),
                get: &get,
                rule_hits: &hits,
            })?;
            first_row += records.len() as u64;
        }
    }
}
