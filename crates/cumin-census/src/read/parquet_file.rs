//! Parquet episode files, read in record batches of only the columns cumin cleans.

use super::cells::{BatchSource, Cells, Dictionary, Integers, Positions, positions};
use super::parquet_types::whole_decimals;
use crate::error::CensusError;
use crate::normalise::Raw;
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, LargeStringArray, StringArray,
    StringViewArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow_array::{DictionaryArray, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use arrow_schema::{Field, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) struct ParquetSource {
    path: PathBuf,
    builder: Option<ParquetRecordBatchReaderBuilder<File>>,
    reader: Option<ParquetRecordBatchReader>,
    headers: ResolvedHeaders,
    /// For each column read, its position among the projected columns.
    projected: Positions,
    /// Columns read whose Parquet type is null: no value in any row.
    null_columns: Vec<Column>,
    /// Columns read whose type is nested (struct, list, map), with the type in words.
    nested_columns: Vec<(Column, String)>,
    /// Rows read so far.
    rows: u64,
}

fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> CensusError {
    let mut message = e.to_string();
    if message.contains("Disabled feature at compile time") {
        message.push_str(
            "; cumin reads Parquet compressed with Snappy, Zstandard or gzip, or \
             uncompressed: write the file again with one of them (pyarrow: \
             compression=\"zstd\")",
        );
    }
    CensusError::Parquet {
        path: path.to_owned(),
        message,
    }
}

/// Runs `f`, which calls into the Parquet library, turning a panic into an error naming
/// the file. The library asserts rather than returns an error on some corrupt files
/// (e.g. a column chunk with a negative offset, found by `tests/census/mutations.rs`); a corrupt
/// input file must stop the run with a message, not crash it. Whatever `f` was building
/// is dropped with the error.
pub(crate) fn guarded<T>(
    path: &Path,
    f: impl FnOnce() -> Result<T, CensusError>,
) -> Result<T, CensusError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(CensusError::Parquet {
            path: path.to_owned(),
            message: format!("the file is corrupt (the Parquet reader failed: {what})"),
        })
    })
}

impl ParquetSource {
    /// Reads the footer: schema and row count (an empty file is an error here, before any
    /// row of any file is read).
    pub(crate) fn open(
        path: &Path,
        map: &ColumnMap,
        wanted: &dyn Fn(Column) -> bool,
    ) -> Result<ParquetSource, CensusError> {
        guarded(path, || ParquetSource::open_unguarded(path, map, wanted))
    }

    fn open_unguarded(
        path: &Path,
        map: &ColumnMap,
        wanted: &dyn Fn(Column) -> bool,
    ) -> Result<ParquetSource, CensusError> {
        let file = File::open(path).map_err(|source| CensusError::Io {
            path: path.to_owned(),
            source,
        })?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
            .map_err(|e| parquet_error(path, &e))?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
            file,
            with_dictionaries(super::parquet_types::plain_decimals(metadata), map),
        );
        let names: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        if names.is_empty() {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "its schema has no columns".to_owned(),
            });
        }
        if builder.metadata().file_metadata().num_rows() == 0 {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "it has a schema but no rows".to_owned(),
            });
        }
        let headers = ResolvedHeaders::resolve(&names, map);
        let projected = positions(&headers, wanted, true);
        let fields = builder.schema().fields();
        for (c, p) in &headers.positions {
            if projected[c.index()].is_none() {
                continue;
            }
            if let DataType::Timestamp(_, Some(zone)) = fields[*p].data_type()
                && zone_offset_seconds(zone).is_none()
            {
                return Err(CensusError::TimeZone {
                    path: path.to_owned(),
                    header: names[*p].clone(),
                    zone: zone.to_string(),
                });
            }
        }
        let null_columns = headers
            .positions
            .iter()
            .filter(|(c, p)| {
                projected[c.index()].is_some() && *fields[**p].data_type() == DataType::Null
            })
            .map(|(c, _)| *c)
            .collect();
        let nested_columns = super::parquet_types::nested_columns(&headers, &projected, fields);
        let mut roots: Vec<usize> = headers
            .positions
            .iter()
            .filter(|(c, _)| projected[c.index()].is_some())
            .map(|(_, p)| *p)
            .collect();
        roots.sort_unstable();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        Ok(ParquetSource {
            path: path.to_owned(),
            builder: Some(builder.with_projection(mask)),
            reader: None,
            headers,
            projected,
            null_columns,
            nested_columns,
            rows: 0,
        })
    }

    /// Columns read whose Parquet type is null.
    pub(crate) fn null_columns(&self) -> &[Column] {
        &self.null_columns
    }

    /// Columns read whose type is nested, with the type in words (read as missing).
    pub(crate) fn nested_columns(&self) -> &[(Column, String)] {
        &self.nested_columns
    }
}

/// Columns that can hold a dictionary (per-value cleaning in [`crate::normalise::value`])
/// are read as Arrow dictionaries when every row group of the file stores them
/// dictionary-encoded (the usual case for dates and codes): the reader then hands over
/// each distinct value once and a key per row, and cumin cleans each value once. Other
/// columns, and any file whose schema the hint does not fit, are read as they are.
fn with_dictionaries(metadata: ArrowReaderMetadata, map: &ColumnMap) -> ArrowReaderMetadata {
    let parquet = metadata.metadata();
    let schema = metadata.schema();
    let leaves = parquet.file_metadata().schema_descr().columns();
    let dictionary = |field: &Field| {
        if *field.data_type() != DataType::Utf8 {
            return false;
        }
        let Some(column) = map.resolve(field.name()) else {
            return false;
        };
        let cleaned_once = crate::normalise::cleans_alone(column);
        let Some(leaf) = leaves
            .iter()
            .position(|l| l.path().parts() == [field.name().as_str()])
        else {
            return false;
        };
        cleaned_once
            && parquet
                .row_groups()
                .iter()
                .all(|g| g.column(leaf).dictionary_page_offset().is_some())
    };
    if !schema.fields().iter().any(|f| dictionary(f)) {
        return metadata;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            if dictionary(f) {
                let kind =
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                field.with_data_type(kind)
            } else {
                field
            }
        })
        .collect();
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        Arc::clone(parquet),
        ArrowReaderOptions::default().with_schema(hinted),
    )
    .unwrap_or(metadata)
}

/// One Arrow column, typed once per batch so that reading a cell is a `match`, not a
/// dynamic call.
enum Access {
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    View(StringViewArray),
    I8(Int8Array),
    I16(Int16Array),
    I32(Int32Array),
    I64(Int64Array),
    U8(UInt8Array),
    U16(UInt16Array),
    U32(UInt32Array),
    U64(UInt64Array),
    F32(Float32Array),
    F64(Float64Array),
    Date32(Date32Array),
    Date64(Date64Array),
    /// Timestamps, with the zone's offset from UTC in the array's unit (0 without a
    /// zone): a value's date is the local date.
    TsSecond(TimestampSecondArray, i64),
    TsMilli(TimestampMillisecondArray, i64),
    TsMicro(TimestampMicrosecondArray, i64),
    TsNano(TimestampNanosecondArray, i64),
    Bool(BooleanArray),
    /// Text as a dictionary: each row's key, and the values.
    Dictionary(PrimitiveArray<Int32Type>, ArrayRef, StringArray),
    /// Binary (and large, view or fixed-size binary, cast to it): text when the bytes are
    /// UTF-8, else bytes.
    Binary(BinaryArray),
    Null,
}

const DAY_SECONDS: i64 = 86_400;

fn days(value: i64, per_day: i64) -> Raw<'static> {
    i32::try_from(value.div_euclid(per_day)).map_or(Raw::Null, Raw::Days)
}

/// A timestamp's local date: `offset` (in the value's unit) added first.
fn local_days(value: i64, offset: i64, per_day: i64) -> Raw<'static> {
    value
        .checked_add(offset)
        .map_or(Raw::Null, |v| days(v, per_day))
}

/// A timestamp column's time zone as its offset from UTC in seconds, where the offset is
/// the same all year: UTC and its spellings, and fixed offsets (`+01:00`, `-0500`,
/// `+01`). `None` for a named zone with summer time (`Europe/London`): which local date
/// a value falls on then depends on the zone's rules, which cumin does not carry, so
/// such a column is refused ([`CensusError::TimeZone`]) rather than read by its UTC
/// date (a local midnight in British Summer Time is 23:00 UTC the day before).
fn zone_offset_seconds(zone: &str) -> Option<i64> {
    let z = zone.trim();
    let utc = [
        "UTC",
        "UCT",
        "Z",
        "GMT",
        "ZULU",
        "UNIVERSAL",
        "ETC/UTC",
        "ETC/UCT",
        "ETC/GMT",
        "ETC/ZULU",
        "ETC/UNIVERSAL",
    ];
    if utc.contains(&z.to_ascii_uppercase().as_str()) {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &z[1..];
    let (h, m) = match rest.len() {
        2 => (rest, "00"),
        4 => (&rest[..2], &rest[2..]),
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    if !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

impl Access {
    /// Types without a direct reading (decimals, dictionaries, ...) are cast to text.
    fn new(array: &ArrayRef) -> Result<Access, arrow_schema::ArrowError> {
        let a = array.as_ref();
        Ok(match a.data_type() {
            DataType::Utf8 => Access::Utf8(a.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Access::LargeUtf8(a.as_string::<i64>().clone()),
            DataType::Utf8View => Access::View(a.as_string_view().clone()),
            DataType::Int8 => Access::I8(a.as_primitive().clone()),
            DataType::Int16 => Access::I16(a.as_primitive().clone()),
            DataType::Int32 => Access::I32(a.as_primitive().clone()),
            DataType::Int64 => Access::I64(a.as_primitive().clone()),
            DataType::UInt8 => Access::U8(a.as_primitive().clone()),
            DataType::UInt16 => Access::U16(a.as_primitive().clone()),
            DataType::UInt32 => Access::U32(a.as_primitive().clone()),
            DataType::UInt64 => Access::U64(a.as_primitive().clone()),
            DataType::Float32 => Access::F32(a.as_primitive().clone()),
            DataType::Float64 => Access::F64(a.as_primitive().clone()),
            DataType::Date32 => Access::Date32(a.as_primitive().clone()),
            DataType::Date64 => Access::Date64(a.as_primitive().clone()),
            DataType::Timestamp(unit, zone) => {
                let offset = match zone {
                    None => 0,
                    // Named zones are refused when the file is opened.
                    Some(z) => zone_offset_seconds(z).ok_or_else(|| {
                        arrow_schema::ArrowError::CastError(format!(
                            "timestamps in time zone {z} cannot be read as dates"
                        ))
                    })?,
                };
                match unit {
                    TimeUnit::Second => Access::TsSecond(a.as_primitive().clone(), offset),
                    TimeUnit::Millisecond => {
                        Access::TsMilli(a.as_primitive().clone(), offset * 1000)
                    }
                    TimeUnit::Microsecond => {
                        Access::TsMicro(a.as_primitive().clone(), offset * 1_000_000)
                    }
                    TimeUnit::Nanosecond => {
                        Access::TsNano(a.as_primitive().clone(), offset * 1_000_000_000)
                    }
                }
            }
            DataType::Boolean => Access::Bool(a.as_boolean().clone()),
            // Nested: refused when required (`check_columns`), else read as missing.
            DataType::Null => Access::Null,
            t if t.is_nested() => Access::Null,
            DataType::Binary => Access::Binary(a.as_binary::<i32>().clone()),
            DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
                Access::Binary(
                    arrow_cast::cast(array, &DataType::Binary)?
                        .as_binary::<i32>()
                        .clone(),
                )
            }
            DataType::Dictionary(key, values)
                if **key == DataType::Int32 && **values == DataType::Utf8 =>
            {
                let d: &DictionaryArray<Int32Type> = a.as_dictionary();
                Access::Dictionary(
                    d.keys().clone(),
                    Arc::clone(d.values()),
                    d.values().as_string::<i32>().clone(),
                )
            }
            DataType::Dictionary(_, values)
                if matches!(
                    **values,
                    DataType::Binary
                        | DataType::LargeBinary
                        | DataType::BinaryView
                        | DataType::FixedSizeBinary(_)
                ) =>
            {
                Access::Binary(
                    arrow_cast::cast(array, &DataType::Binary)?
                        .as_binary::<i32>()
                        .clone(),
                )
            }
            _ => Access::Utf8(
                arrow_cast::cast(array, &DataType::Utf8)?
                    .as_string::<i32>()
                    .clone(),
            ),
        })
    }

    #[inline]
    fn get(&self, i: usize) -> Raw<'_> {
        macro_rules! read {
            ($a:expr, |$v:ident| $e:expr) => {
                if $a.is_null(i) {
                    Raw::Null
                } else {
                    let $v = $a.value(i);
                    $e
                }
            };
        }
        match self {
            Access::Utf8(a) => read!(a, |v| Raw::Text(v)),
            Access::LargeUtf8(a) => read!(a, |v| Raw::Text(v)),
            Access::View(a) => read!(a, |v| Raw::Text(v)),
            Access::I8(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::I16(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::I32(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::I64(a) => read!(a, |v| Raw::Int(v)),
            Access::U8(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::U16(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::U32(a) => read!(a, |v| Raw::Int(i64::from(v))),
            Access::U64(a) => read!(a, |v| Raw::Int(i64::try_from(v).unwrap_or(i64::MAX))),
            Access::F32(a) => read!(a, |v| Raw::Float(f64::from(v))),
            Access::F64(a) => read!(a, |v| Raw::Float(v)),
            Access::Date32(a) => read!(a, |v| Raw::Days(v)),
            Access::Date64(a) => read!(a, |v| days(v, DAY_SECONDS * 1000)),
            Access::TsSecond(a, o) => read!(a, |v| local_days(v, *o, DAY_SECONDS)),
            Access::TsMilli(a, o) => read!(a, |v| local_days(v, *o, DAY_SECONDS * 1000)),
            Access::TsMicro(a, o) => read!(a, |v| local_days(v, *o, DAY_SECONDS * 1_000_000)),
            Access::TsNano(a, o) => {
                read!(a, |v| local_days(v, *o, DAY_SECONDS * 1_000_000_000))
            }
            Access::Bool(a) => read!(a, |v| Raw::Bool(v)),
            Access::Dictionary(keys, _, values) => {
                let k = keys.values()[i] as usize;
                if keys.is_null(i) || values.is_null(k) {
                    Raw::Null
                } else {
                    Raw::Text(values.value(k))
                }
            }
            Access::Binary(a) => read!(a, |v| std::str::from_utf8(v)
                .map_or(Raw::Bytes(v), Raw::Text)),
            Access::Null => Raw::Null,
        }
    }
}

/// A record batch of the projected columns.
pub(crate) struct ParquetBatch {
    columns: Vec<Access>,
    projected: Positions,
    len: usize,
}

impl Cells for ParquetBatch {
    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn get(&self, row: usize, column: Column) -> Raw<'_> {
        match self.projected[column.index()] {
            Some(p) => self.columns[p].get(row),
            None => Raw::Null,
        }
    }

    fn dictionary(&self, column: Column) -> Option<Dictionary<'_>> {
        match &self.columns[self.projected[column.index()]?] {
            Access::Dictionary(keys, values, text) => Some(Dictionary { keys, values, text }),
            _ => None,
        }
    }

    fn integers(&self, column: Column) -> Option<Integers<'_>> {
        Some(match &self.columns[self.projected[column.index()]?] {
            Access::I8(a) => Integers::I8(a),
            Access::I16(a) => Integers::I16(a),
            Access::I32(a) => Integers::I32(a),
            Access::I64(a) => Integers::I64(a),
            Access::U8(a) => Integers::U8(a),
            Access::U16(a) => Integers::U16(a),
            Access::U32(a) => Integers::U32(a),
            _ => return None,
        })
    }

    fn absent(&self, column: Column) -> bool {
        self.projected[column.index()].is_none_or(|p| matches!(self.columns[p], Access::Null))
    }
}

impl ParquetSource {
    /// The rows the file's metadata declares (known before reading, for progress).
    pub(crate) fn declared_rows(&self) -> Option<u64> {
        let builder = self.builder.as_ref()?;
        u64::try_from(builder.metadata().file_metadata().num_rows()).ok()
    }
}

impl BatchSource for ParquetSource {
    type Batch<'s> = ParquetBatch;

    fn headers(&self) -> &ResolvedHeaders {
        &self.headers
    }

    fn next_batch(&mut self, batch_size: usize) -> Result<Option<ParquetBatch>, CensusError> {
        if let Some(builder) = self.builder.take() {
            self.reader = Some(
                builder
                    .with_batch_size(batch_size.max(1))
                    .build()
                    .map_err(|e| parquet_error(&self.path, &e))?,
            );
        }
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        let Some(batch) = reader.next() else {
            self.reader = None;
            return Ok(None);
        };
        let batch = batch.map_err(|e| parquet_error(&self.path, &e))?;
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (array, field) in batch.columns().iter().zip(batch.schema().fields()) {
            let array = whole_decimals(array, &self.path, field.name(), self.rows)?;
            columns.push(Access::new(&array).map_err(|e| parquet_error(&self.path, &e))?);
        }
        self.rows += batch.num_rows() as u64;
        Ok(Some(ParquetBatch {
            columns,
            projected: self.projected,
            len: batch.num_rows(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    /// Writes dates, codes and identifiers as text, dictionary-encoded or not, and reads
    /// one batch.
    fn batch(dictionary: bool) -> ParquetBatch {
        let text = |v: &[&str]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
        let batch = RecordBatch::try_from_iter([
            ("ACADYR", text(&["2013/14", "2013/14", "2014/15"])),
            ("LAchildID_Anon", text(&["A1", "A2", "A3"])),
            ("CINreferralDate", text(&["2013-06-01", "2013-06-01", "x"])),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cin.parquet");
        let props = WriterProperties::builder()
            .set_dictionary_enabled(dictionary)
            .build();
        let mut w = ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), Some(props))
            .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let mut source = ParquetSource::open(&path, &ColumnMap::default(), &|_| true).unwrap();
        source.next_batch(1024).unwrap().unwrap()
    }

    #[test]
    fn dictionary_encoded_codes_and_dates_are_read_as_dictionaries() {
        let b = batch(true);
        let d = b.dictionary(Column::ReferralDate).expect("a dictionary");
        assert_eq!(d.text.len(), 2);
        assert_eq!(d.keys.values().as_ref(), [0, 0, 1]);
        assert!(b.dictionary(Column::AcadYr).is_some());
        // Identifiers are interned, not cleaned per value, even when stored as a
        // dictionary.
        assert!(b.dictionary(Column::LaChildId).is_none());
        assert_eq!(b.get(2, Column::ReferralDate), Raw::Text("x"));
        let plain = batch(false);
        assert!(plain.dictionary(Column::ReferralDate).is_none());
        for row in 0..3 {
            for c in [Column::AcadYr, Column::LaChildId, Column::ReferralDate] {
                assert_eq!(b.get(row, c), plain.get(row, c));
            }
        }
    }
}
