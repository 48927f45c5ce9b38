//! Which format a file is in, from its name and first bytes.

use crate::error::CensusError;
use std::io::Read;
use std::path::Path;

/// File formats cumin reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Bytes looked at to recognise a file.
pub(super) const SNIFF: usize = 4096;

/// What the first bytes of a file say it is, if it is clearly not delimited text.
fn not_text(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("it is gzip-compressed; decompress it first")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("it is a zip archive (an Excel workbook?); export the sheet as CSV")
    } else if head.contains(&0) {
        Some("it holds binary data, not text")
    } else {
        None
    }
}

/// The format of a file, from its extension and first bytes.
pub fn detect_format(path: &Path) -> Result<Format, CensusError> {
    detect(path).map(|(f, _)| f)
}

/// The format and the first bytes of a file.
pub(super) fn detect(path: &Path) -> Result<(Format, Vec<u8>), CensusError> {
    let io = |source| CensusError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = Vec::with_capacity(SNIFF);
    std::fs::File::open(path)
        .map_err(io)?
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let is_parquet_magic = head.starts_with(b"PAR1");
    let unknown = |detail: String| CensusError::UnknownFormat {
        path: path.to_owned(),
        detail,
    };
    let format = match ext.as_str() {
        _ if head.is_empty() => {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "the file has no bytes".to_owned(),
            });
        }
        _ if is_parquet_magic => Format::Parquet,
        "parquet" | "parq" | "pq" => {
            return Err(unknown(
                "it is named .parquet but does not start with the Parquet magic bytes PAR1"
                    .to_owned(),
            ));
        }
        "csv" | "txt" | "tsv" => match not_text(&head) {
            Some(why) => return Err(unknown(why.to_owned())),
            None => Format::Csv,
        },
        _ => {
            return Err(unknown(format!(
                "its name ends in {:?}",
                if ext.is_empty() { "nothing" } else { &ext }
            )));
        }
    };
    Ok((format, head))
}
