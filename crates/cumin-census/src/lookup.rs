//! The deprivation lookup: LSOA → IDACI decile (input contract §3), for extracts that
//! carry the child's home LSOA but no `IDACI_Decile`.

use crate::error::CensusError;
use crate::read::table::read_text_table;
use crate::schema::match_key;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// LSOA codes (upper case) and their IDACI deciles, 1 = most deprived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LsoaLookup {
    /// The file read, for the manifest and messages.
    pub path: PathBuf,
    deciles: FxHashMap<Box<str>, u8>,
}

/// Whether a header names the LSOA column (`LSOA`, `LSOA code (2011)`, `lsoa11cd`).
fn is_lsoa_header(h: &str) -> bool {
    match_key(h).starts_with("lsoa")
}

/// Whether a header names the decile column (`IDACI_Decile`, or the IoD file's long
/// `Income Deprivation Affecting Children Index (IDACI) Decile ...`).
fn is_decile_header(h: &str) -> bool {
    let k = match_key(h);
    k == "idacidecile" || (k.contains("idaci") && k.contains("decile"))
}

impl LsoaLookup {
    /// Reads a CSV or Parquet file with an LSOA column and an IDACI decile column.
    pub fn read(path: &Path) -> Result<LsoaLookup, CensusError> {
        let table = read_text_table(path)?;
        let lsoa = table.headers.iter().position(|h| is_lsoa_header(h));
        let decile = table.headers.iter().position(|h| is_decile_header(h));
        let (Some(lsoa), Some(decile)) = (lsoa, decile) else {
            return Err(CensusError::LookupColumns {
                path: path.to_owned(),
                found: table.headers.clone(),
            });
        };
        let mut out = LsoaLookup {
            path: path.to_owned(),
            deciles: FxHashMap::default(),
        };
        for (i, row) in table.rows.iter().enumerate() {
            let bad =
                |column: &str, found: &str, expected: &'static str| CensusError::LookupValue {
                    path: path.to_owned(),
                    row: i as u64 + 1,
                    column: column.to_owned(),
                    found: found.to_owned(),
                    expected,
                };
            let code = row.get(lsoa).map_or("", |s| s.trim());
            let value = row.get(decile).map_or("", |s| s.trim());
            if code.is_empty() {
                return Err(bad(
                    &table.headers[lsoa],
                    code,
                    "an LSOA code such as E01000001",
                ));
            }
            let d = value
                .strip_suffix(".0")
                .unwrap_or(value)
                .parse::<u8>()
                .ok()
                .filter(|d| (1..=10).contains(d))
                .ok_or_else(|| bad(&table.headers[decile], value, "a decile 1-10"))?;
            let key = code.to_ascii_uppercase().into_boxed_str();
            if let Some(&before) = out.deciles.get(&key)
                && before != d
            {
                return Err(bad(
                    &table.headers[decile],
                    value,
                    "the same decile as the LSOA's earlier row (each LSOA once)",
                ));
            }
            out.deciles.insert(key, d);
        }
        if out.deciles.is_empty() {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "the LSOA lookup has a header but no rows".to_owned(),
            });
        }
        Ok(out)
    }

    /// A lookup from pairs (tests, callers with their own source).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u8)>) -> LsoaLookup {
        LsoaLookup {
            path: PathBuf::new(),
            deciles: pairs
                .into_iter()
                .map(|(l, d)| (l.trim().to_ascii_uppercase().into_boxed_str(), d))
                .collect(),
        }
    }

    /// How many LSOAs.
    pub fn len(&self) -> usize {
        self.deciles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.deciles.is_empty()
    }

    /// The decile of an LSOA code (trimmed, any case).
    pub fn decile(&self, lsoa: &str) -> Option<u8> {
        let t = lsoa.trim();
        if let Some(d) = self.deciles.get(t) {
            return Some(*d);
        }
        if t.bytes().any(|b| b.is_ascii_lowercase()) {
            return self.deciles.get(&*t.to_ascii_uppercase()).copied();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lsoa.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn reads_the_two_column_file() {
        let (_d, p) = write("LSOA,IDACI_Decile\nE01000001,3\ne01000002 ,10\n");
        let l = LsoaLookup::read(&p).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.decile("E01000001"), Some(3));
        assert_eq!(l.decile(" e01000002"), Some(10));
        assert_eq!(l.decile("E01000003"), None);
    }

    #[test]
    fn reads_the_iod_headers() {
        let (_d, p) = write(
            "LSOA code (2011),Income Deprivation Affecting Children Index (IDACI) Decile (where 1 is most deprived 10% of LSOAs)\nE01000001,1\n",
        );
        assert_eq!(LsoaLookup::read(&p).unwrap().decile("E01000001"), Some(1));
    }

    #[test]
    fn bad_lookups_are_errors_naming_row_and_column() {
        let (_d, p) = write("LSOA,IDACI_Decile\nE01000001,11\n");
        let e = LsoaLookup::read(&p).unwrap_err().to_string();
        assert!(
            e.contains("row 1") && e.contains("IDACI_Decile") && e.contains("1-10"),
            "{e}"
        );
        let (_d, p) = write("LSOA,IDACI_Decile\nE01000001,1\nE01000001,2\n");
        assert!(LsoaLookup::read(&p).is_err());
        let (_d, p) = write("area,score\nE01000001,1\n");
        let e = LsoaLookup::read(&p).unwrap_err().to_string();
        assert!(e.contains("area, score"), "{e}");
    }
}
