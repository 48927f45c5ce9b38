//! Parquet column types cumin reads only after a check: nested columns (structs, lists,
//! maps), which hold no single value a row could use, and decimals with a scale, read
//! where every value is whole.

use crate::error::CensusError;
use crate::schema::{Column, ResolvedHeaders};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use std::path::Path;
use std::sync::Arc;

/// The columns read (`projected`) whose type is nested, each with its type in words.
pub(super) fn nested_columns(
    headers: &ResolvedHeaders,
    projected: &super::cells::Positions,
    fields: &Fields,
) -> Vec<(Column, String)> {
    let mut nested: Vec<(Column, String)> = headers
        .positions
        .iter()
        .filter(|(c, p)| projected[c.index()].is_some() && fields[**p].data_type().is_nested())
        .map(|(c, p)| (*c, type_in_words(fields[*p].data_type())))
        .collect();
    nested.sort_unstable_by_key(|(c, _)| *c);
    nested
}

/// A nested type as a message names it: `struct<code: Utf8>`, `list<Utf8>`, …
pub(super) fn type_in_words(t: &DataType) -> String {
    match t {
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), type_in_words(f.data_type())))
                .collect();
            format!("struct<{}>", inner.join(", "))
        }
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => format!("list<{}>", type_in_words(f.data_type())),
        DataType::Map(..) => "map".to_owned(),
        DataType::Union(..) => "union".to_owned(),
        DataType::Dictionary(_, values) => type_in_words(values),
        other => other.to_string(),
    }
}

/// Whether `t` is a decimal type.
fn is_decimal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
    )
}

/// The reader's schema with every dictionary of decimals (`Dictionary(Int32,
/// Decimal128(9, 2))`, as pyarrow records a dictionary-encoded decimal column) read as
/// its plain decimals: the Parquet reader cannot build such a dictionary ("unsupported
/// data type for byte array dictionary reader"), and a decimal column is checked as
/// decimals ([`whole_decimals`]) whatever its encoding. Other schemas unchanged.
pub(super) fn plain_decimals(metadata: ArrowReaderMetadata) -> ArrowReaderMetadata {
    let decimal_dictionary =
        |t: &DataType| matches!(t, DataType::Dictionary(_, values) if is_decimal(values));
    let schema = metadata.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| decimal_dictionary(f.data_type()))
    {
        return metadata;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, values) if is_decimal(values) => {
                f.as_ref().clone().with_data_type(values.as_ref().clone())
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let plain = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        Arc::clone(metadata.metadata()),
        ArrowReaderOptions::default().with_schema(plain),
    )
    .unwrap_or(metadata)
}

/// A decimal column with a scale (`Decimal128(9, 2)` holding `2005.00`) as text of its
/// whole values (`2005`), which read as the same number stored as an integer would;
/// a dictionary of such decimals alike (not read as the text `2005.00`); other arrays
/// unchanged. A value with a fraction (`2005.50`) is an error naming the
/// file, the column `header`, the row (`first_row` is the rows of the file before this
/// batch) and the value: cumin's numbers are codes, years and months, never fractions.
pub(super) fn whole_decimals(
    array: &ArrayRef,
    path: &Path,
    header: &str,
    first_row: u64,
) -> Result<ArrayRef, CensusError> {
    if let DataType::Dictionary(_, values) = array.data_type()
        && is_decimal(values)
    {
        let plain = arrow_cast::cast(array, values).map_err(|e| CensusError::Parquet {
            path: path.to_owned(),
            message: format!("column {header}: {e}"),
        })?;
        return whole_decimals(&plain, path, header, first_row);
    }
    let scale = match array.data_type() {
        DataType::Decimal32(_, s)
        | DataType::Decimal64(_, s)
        | DataType::Decimal128(_, s)
        | DataType::Decimal256(_, s) => *s,
        _ => return Ok(Arc::clone(array)),
    };
    if scale <= 0 {
        return Ok(Arc::clone(array));
    }
    let text = arrow_cast::cast(array, &DataType::Utf8).map_err(|e| CensusError::Parquet {
        path: path.to_owned(),
        message: format!("column {header}: {e}"),
    })?;
    let text = text.as_string::<i32>();
    let mut whole = Vec::with_capacity(text.len());
    for (i, v) in text.iter().enumerate() {
        whole.push(match v {
            None => None,
            Some(v) => match v.split_once('.') {
                Some((int, fraction)) if fraction.bytes().all(|b| b == b'0') => Some(int),
                None => Some(v),
                Some(_) => {
                    return Err(CensusError::DecimalFraction {
                        path: path.to_owned(),
                        header: header.to_owned(),
                        found: array.data_type().to_string(),
                        row: first_row + i as u64 + 1,
                        value: crate::error::shown_value(v),
                    });
                }
            },
        });
    }
    Ok(Arc::new(StringArray::from(whole)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Decimal128Array, DictionaryArray, Int32Array};

    fn decimals(values: &[Option<i128>], scale: i8) -> ArrayRef {
        Arc::new(
            values
                .iter()
                .copied()
                .collect::<Decimal128Array>()
                .with_precision_and_scale(9, scale)
                .unwrap(),
        )
    }

    #[test]
    fn whole_decimals_read_as_whole_numbers_and_a_fraction_is_an_error() {
        let path = Path::new("ep.parquet");
        let a = decimals(&[Some(200_500), None, Some(-300), Some(0)], 2);
        let got = whole_decimals(&a, path, "CIN_YearOfBirth", 0).unwrap();
        let got: Vec<Option<&str>> = got.as_string::<i32>().iter().collect();
        assert_eq!(got, [Some("2005"), None, Some("-3"), Some("0")]);
        let a = decimals(&[Some(200_500), Some(200_550)], 2);
        let e = whole_decimals(&a, path, "CIN_YearOfBirth", 1000)
            .unwrap_err()
            .to_string();
        for want in [
            "ep.parquet",
            "row 1002",
            "column CIN_YearOfBirth",
            "Decimal128(9, 2)",
            "\"2005.50\"",
        ] {
            assert!(e.contains(want), "{want:?} not in {e}");
        }
        // no scale: unchanged (read as before, through text)
        let a = decimals(&[Some(2005)], 0);
        assert!(Arc::ptr_eq(&whole_decimals(&a, path, "x", 0).unwrap(), &a));
    }

    /// A dictionary of decimals was read as the text of its values (`2005.00`, `2005.50`):
    /// it is now checked as the plain decimals are (mutation checked: without the
    /// dictionary arm, the fraction passes as text and the first assertion fails).
    #[test]
    fn a_dictionary_of_decimals_is_read_as_its_decimals() {
        let path = Path::new("ep.parquet");
        let dictionary = |values: &[Option<i128>]| -> ArrayRef {
            let keys = Int32Array::from(vec![Some(0), None, Some(1), Some(0)]);
            Arc::new(DictionaryArray::try_new(keys, decimals(values, 2)).unwrap())
        };
        let e = whole_decimals(
            &dictionary(&[Some(200_500), Some(200_550)]),
            path,
            "CIN_YearOfBirth",
            10,
        )
        .unwrap_err()
        .to_string();
        for want in [
            "ep.parquet",
            "row 13",
            "column CIN_YearOfBirth",
            "\"2005.50\"",
        ] {
            assert!(e.contains(want), "{want:?} not in {e}");
        }
        let a = dictionary(&[Some(200_500), Some(200_600)]);
        let got = whole_decimals(&a, path, "CIN_YearOfBirth", 0).unwrap();
        let got: Vec<Option<&str>> = got.as_string::<i32>().iter().collect();
        assert_eq!(got, [Some("2005"), None, Some("2006"), Some("2005")]);
    }

    #[test]
    fn nested_types_are_named_in_words() {
        let code = Field::new("code", DataType::Utf8, true);
        let s = DataType::Struct(vec![code.clone()].into());
        assert_eq!(type_in_words(&s), "struct<code: Utf8>");
        let l = DataType::List(Arc::new(Field::new("item", DataType::Int64, true)));
        assert_eq!(type_in_words(&l), "list<Int64>");
        assert!(s.is_nested() && l.is_nested() && !DataType::Utf8.is_nested());
    }
}
