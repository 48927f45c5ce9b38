//! Value replacements from a study config, applied before any cleaning rule: an
//! extract that spells ethnicity `White British` or NFA `Yes please` can be read as it
//! is, with `[values.Ethnicity] "White British" = "WBRI"` in the study TOML.

use super::Raw;
use super::field::text;
use crate::schema::Column;
use rustc_hash::FxHashMap;

/// Lower-cased trimmed values and what they become.
type Replacements = FxHashMap<Box<str>, Box<str>>;

/// Per column, values (compared trimmed and case-insensitively) and their replacements.
/// A replacement `""` makes the value missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueMap {
    columns: Vec<(Column, Replacements)>,
    /// For each column, its position in `columns`.
    index: Vec<Option<usize>>,
}

/// Longest value compared without allocating (longer ones are rare and allocate).
const STACK_KEY: usize = 64;

fn key(s: &str) -> Box<str> {
    s.trim().to_ascii_lowercase().into_boxed_str()
}

impl ValueMap {
    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The columns with a mapping.
    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().map(|(c, _)| *c)
    }

    /// Maps `from` to `to` in `column`.
    pub fn insert(&mut self, column: Column, from: &str, to: &str) {
        if self.index.is_empty() {
            self.index = vec![None; Column::COUNT];
        }
        let slot = *self.index[column.index()].get_or_insert_with(|| {
            self.columns.push((column, FxHashMap::default()));
            self.columns.len() - 1
        });
        self.columns[slot]
            .1
            .insert(key(from), to.trim().to_owned().into_boxed_str());
    }

    /// Builds a map from config tables: column name → (value → replacement).
    pub fn from_tables<'a, I>(
        tables: impl IntoIterator<Item = (&'a str, I)>,
    ) -> Result<ValueMap, String>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut map = ValueMap::default();
        for (name, pairs) in tables {
            let column = Column::from_header(name).ok_or_else(|| {
                format!(
                    "[values.{name}]: `{name}` is not a column cumin knows; known columns: {}",
                    Column::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            for (from, to) in pairs {
                map.insert(column, from, to);
            }
        }
        Ok(map)
    }

    /// The replacement for `raw` in `column`, if the map has one.
    pub fn lookup<'m>(&'m self, column: Column, raw: Raw<'_>) -> Option<&'m str> {
        let slot = (*self.index.get(column.index())?)?;
        let table = &self.columns[slot].1;
        let t = match raw {
            Raw::Null => return None,
            Raw::Text(s) => std::borrow::Cow::Borrowed(s.trim()),
            _ => text(raw)?,
        };
        let mut buf = [0u8; STACK_KEY];
        let found = if t.len() <= STACK_KEY && t.is_ascii() {
            let b = &mut buf[..t.len()];
            b.copy_from_slice(t.as_bytes());
            b.make_ascii_lowercase();
            // ASCII stays ASCII, so this cannot fail.
            std::str::from_utf8(b).ok().and_then(|k| table.get(k))
        } else {
            table.get(&*t.to_ascii_lowercase())
        };
        found.map(|s| &**s)
    }

    /// `raw`, or its replacement.
    #[inline]
    pub fn apply<'a>(&'a self, column: Column, raw: Raw<'a>) -> Raw<'a> {
        if self.columns.is_empty() {
            return raw;
        }
        match self.lookup(column, raw) {
            Some("") => Raw::Null,
            Some(to) => Raw::Text(to),
            None => raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_trimmed_case_insensitive_values() {
        let map = ValueMap::from_tables([
            (
                "Ethnicity",
                vec![("White British", "WBRI"), ("unknown", "")],
            ),
            ("CIN_ReferralNFA", vec![("Yes please", "1")]),
        ])
        .unwrap();
        assert_eq!(
            map.apply(Column::Ethnicity, Raw::Text(" WHITE british ")),
            Raw::Text("WBRI")
        );
        assert_eq!(
            map.apply(Column::Ethnicity, Raw::Text("Unknown")),
            Raw::Null
        );
        assert_eq!(
            map.apply(Column::Ethnicity, Raw::Text("WBRI")),
            Raw::Text("WBRI")
        );
        assert_eq!(
            map.apply(Column::ReferralNfa, Raw::Text("yes PLEASE")),
            Raw::Text("1")
        );
        assert_eq!(
            map.apply(Column::Gender, Raw::Text("White British")),
            Raw::Text("White British")
        );
        let long = "x".repeat(100);
        assert_eq!(
            map.apply(Column::Ethnicity, Raw::Text(&long)),
            Raw::Text(&long)
        );
        assert_eq!(
            map.columns().collect::<Vec<_>>(),
            [Column::Ethnicity, Column::ReferralNfa]
        );
    }

    #[test]
    fn maps_numbers_by_their_text() {
        let map = ValueMap::from_tables([("Gender", vec![("3", "9")])]).unwrap();
        assert_eq!(map.apply(Column::Gender, Raw::Int(3)), Raw::Text("9"));
        assert_eq!(map.apply(Column::Gender, Raw::Int(1)), Raw::Int(1));
    }

    #[test]
    fn unknown_columns_are_config_errors() {
        let err = ValueMap::from_tables([("Colour", vec![("a", "b")])]).unwrap_err();
        assert!(err.contains("[values.Colour]"), "{err}");
    }
}
