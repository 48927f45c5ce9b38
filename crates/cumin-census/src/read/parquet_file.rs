//! Parquet episode files, read in record batches of only the columns cumin knows.

use super::{RowBatch, RowSource, RowValue};
use crate::error::CensusError;
use crate::normalise::Raw;
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date64Array, LargeStringArray,
    StringArray, StringViewArray,
};
use arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::fs::File;
use std::path::{Path, PathBuf};

pub(crate) struct ParquetSource {
    path: PathBuf,
    builder: Option<ParquetRecordBatchReaderBuilder<File>>,
    headers: ResolvedHeaders,
    /// For each known column, its position among the projected columns.
    projected: Vec<Option<usize>>,
}

fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> CensusError {
    CensusError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

impl ParquetSource {
    pub(crate) fn open(path: &Path, map: &ColumnMap) -> Result<ParquetSource, CensusError> {
        let file = File::open(path).map_err(|source| CensusError::Io {
            path: path.to_owned(),
            source,
        })?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, &e))?;
        let names: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let headers = ResolvedHeaders::resolve(&names, map);
        let roots: Vec<usize> = headers.positions.values().copied().collect::<Vec<_>>();
        let mut sorted_roots = roots.clone();
        sorted_roots.sort_unstable();
        let mut projected = vec![None; Column::ALL.len()];
        for (c, p) in &headers.positions {
            projected[*c as usize] = sorted_roots.iter().position(|r| r == p);
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), sorted_roots);
        Ok(ParquetSource {
            path: path.to_owned(),
            builder: Some(builder.with_projection(mask)),
            headers,
            projected,
        })
    }
}

/// Typed access to one Arrow column.
enum Access<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    View(&'a StringViewArray),
    Int(Box<dyn Fn(usize) -> i64 + 'a>),
    Float(Box<dyn Fn(usize) -> f64 + 'a>),
    Days(Box<dyn Fn(usize) -> i32 + 'a>),
    Bool(&'a BooleanArray),
    Null,
}

const DAY_MS: i64 = 86_400_000;

fn access<'a>(array: &'a ArrayRef, cast: Option<&'a ArrayRef>) -> Access<'a> {
    if let Some(c) = cast {
        return Access::Utf8(c.as_string::<i32>());
    }
    let a = array.as_ref();
    match a.data_type() {
        DataType::Utf8 => Access::Utf8(a.as_string::<i32>()),
        DataType::LargeUtf8 => Access::LargeUtf8(a.as_string::<i64>()),
        DataType::Utf8View => Access::View(a.as_string_view()),
        DataType::Int8 => {
            let p = a.as_primitive::<Int8Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::Int16 => {
            let p = a.as_primitive::<Int16Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::Int32 => {
            let p = a.as_primitive::<Int32Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::Int64 => {
            let p = a.as_primitive::<Int64Type>();
            Access::Int(Box::new(move |i| p.value(i)))
        }
        DataType::UInt8 => {
            let p = a.as_primitive::<UInt8Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::UInt16 => {
            let p = a.as_primitive::<UInt16Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::UInt32 => {
            let p = a.as_primitive::<UInt32Type>();
            Access::Int(Box::new(move |i| i64::from(p.value(i))))
        }
        DataType::UInt64 => {
            let p = a.as_primitive::<UInt64Type>();
            Access::Int(Box::new(move |i| {
                i64::try_from(p.value(i)).unwrap_or(i64::MAX)
            }))
        }
        DataType::Float32 => {
            let p = a.as_primitive::<Float32Type>();
            Access::Float(Box::new(move |i| f64::from(p.value(i))))
        }
        DataType::Float64 => {
            let p = a.as_primitive::<Float64Type>();
            Access::Float(Box::new(move |i| p.value(i)))
        }
        DataType::Date32 => {
            let p: &Date32Array = a.as_primitive();
            Access::Days(Box::new(move |i| p.value(i)))
        }
        DataType::Date64 => {
            let p: &Date64Array = a.as_primitive();
            Access::Days(Box::new(move |i| p.value(i).div_euclid(DAY_MS) as i32))
        }
        DataType::Timestamp(unit, _) => {
            let per_day: i64 = match unit {
                TimeUnit::Second => 86_400,
                TimeUnit::Millisecond => DAY_MS,
                TimeUnit::Microsecond => DAY_MS * 1000,
                TimeUnit::Nanosecond => DAY_MS * 1_000_000,
            };
            let get: Box<dyn Fn(usize) -> i64 + 'a> = match unit {
                TimeUnit::Second => {
                    let p = a.as_primitive::<TimestampSecondType>();
                    Box::new(move |i| p.value(i))
                }
                TimeUnit::Millisecond => {
                    let p = a.as_primitive::<TimestampMillisecondType>();
                    Box::new(move |i| p.value(i))
                }
                TimeUnit::Microsecond => {
                    let p = a.as_primitive::<TimestampMicrosecondType>();
                    Box::new(move |i| p.value(i))
                }
                TimeUnit::Nanosecond => {
                    let p = a.as_primitive::<TimestampNanosecondType>();
                    Box::new(move |i| p.value(i))
                }
            };
            Access::Days(Box::new(move |i| get(i).div_euclid(per_day) as i32))
        }
        DataType::Boolean => Access::Bool(a.as_boolean()),
        // Other types are cast to text before they get here; `Null` columns hold nothing.
        _ => Access::Null,
    }
}

/// Columns of types without a direct reading are cast to text first.
fn needs_cast(dt: &DataType) -> bool {
    !matches!(
        dt,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(_, _)
            | DataType::Boolean
            | DataType::Null
    )
}

impl Access<'_> {
    fn get(&self, array: &dyn Array, i: usize) -> Raw<'_> {
        if array.is_null(i) {
            return Raw::Null;
        }
        match self {
            Access::Utf8(a) => Raw::Text(a.value(i)),
            Access::LargeUtf8(a) => Raw::Text(a.value(i)),
            Access::View(a) => Raw::Text(a.value(i)),
            Access::Int(f) => Raw::Int(f(i)),
            Access::Float(f) => Raw::Float(f(i)),
            Access::Days(f) => Raw::Days(f(i)),
            Access::Bool(a) => Raw::Bool(a.value(i)),
            Access::Null => Raw::Null,
        }
    }
}

impl RowSource for ParquetSource {
    fn headers(&self) -> &ResolvedHeaders {
        &self.headers
    }

    fn read(
        &mut self,
        batch_size: usize,
        sink: &mut dyn FnMut(RowBatch<'_>) -> Result<(), CensusError>,
    ) -> Result<(), CensusError> {
        let builder = self.builder.take().expect("a Parquet file is read once");
        let reader: ParquetRecordBatchReader = builder
            .with_batch_size(batch_size)
            .build()
            .map_err(|e| parquet_error(&self.path, &e))?;
        let mut first_row = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| parquet_error(&self.path, &e))?;
            let columns: Vec<ArrayRef> = batch.columns().to_vec();
            let casts: Vec<Option<ArrayRef>> = columns
                .iter()
                .map(|c| {
                    if needs_cast(c.data_type()) {
                        arrow::compute::cast(c, &DataType::Utf8)
                            .map(Some)
                            .map_err(|e| parquet_error(&self.path, &e))
                    } else {
                        Ok(None)
                    }
                })
                .collect::<Result<_, _>>()?;
            let accessors: Vec<Access<'_>> = columns
                .iter()
                .zip(&casts)
                .map(|(c, cast)| access(c, cast.as_ref()))
                .collect();
            let arrays: Vec<&dyn Array> = columns
                .iter()
                .zip(&casts)
                .map(|(c, cast)| cast.as_ref().unwrap_or(c).as_ref())
                .collect();
            let projected = &self.projected;
            let get = |i: usize, c: Column| -> RowValue<'_> {
                match projected[c as usize] {
                    Some(p) => RowValue::Value(accessors[p].get(arrays[p], i)),
                    None => RowValue::Value(Raw::Null),
                }
            };
            sink(RowBatch {
                first_row,
                len: batch.num_rows(),
                get: &get,
                rule_hits: &[],
            })?;
            first_row += batch.num_rows() as u64;
        }
        Ok(())
    }
}
