//! The columns of a CIN census extract and how header names are matched to them.
//!
//! Names match case-insensitively, with or without the NPD prefix `CIN_`, and ignoring
//! underscores and spaces: `CIN_LAchildID_Anon`, `lachildid_anon` and `LAchildIDAnon` are
//! all [`Column::LaChildId`]. A study config may map further names (see [`ColumnMap`]).

use crate::types::Outcome;
use std::collections::BTreeMap;
use std::fmt;

macro_rules! columns {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal ),* $(,)?) => {
        /// A column cumin knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Column {
            $( $(#[$doc])* $variant, )*
        }

        impl Column {
            /// Every known column, in contract order.
            pub const ALL: &'static [Column] = &[$(Column::$variant),*];

            /// How many columns cumin knows.
            pub const COUNT: usize = Column::ALL.len();

            /// The NPD spelling (without the `CIN_` prefix).
            pub fn name(self) -> &'static str {
                match self { $(Column::$variant => $name,)* }
            }

            /// The ledger name of values replaced through the study's value map.
            pub fn value_map_rule(self) -> &'static str {
                match self { $(Column::$variant => concat!("value_map_", $name),)* }
            }
        }
    };
}

columns! {
    /// Census year.
    AcadYr => "ACADYR",
    /// Local authority code.
    La => "LA",
    /// Fallback LA code (`CIN_CIN_LA`), used where `LA` is empty.
    LaFallback => "CIN_LA",
    /// Pre-2009 LA code; recognised and ignored.
    La09 => "LA_09",
    /// Pseudonymised LA child ID (unique only within an LA).
    LaChildId => "LAchildID_Anon",
    /// Pseudonymised pupil matching reference.
    Pmr => "PupilMatchingRefAnonymous",
    /// 0/1/2/9.
    Gender => "Gender",
    /// DfE 4-letter code.
    Ethnicity => "Ethnicity",
    /// 1-12.
    MonthOfBirth => "MonthOfBirth",
    /// Four-digit year.
    YearOfBirth => "YearOfBirth",
    /// Expected date of birth (unborn children).
    ExpectedDob => "ExpectedDOB",
    /// Referral (episode start) date.
    ReferralDate => "CINreferralDate",
    /// Closure (episode end) date.
    ClosureDate => "CINclosureDate",
    /// Fallback for a missing referral date in some NPD years.
    LatestReferralDate => "LatestReferralDate",
    /// Fallback for a missing closure date in some NPD years.
    LatestClosureDate => "LatestClosureDate",
    /// Who referred the child.
    ReferralSource => "ReferralSource",
    /// Referral closed with no further action.
    ReferralNfa => "ReferralNFA",
    /// N0-N9.
    PrimaryNeed => "PrimaryNeedCode",
    /// RC1-RC9.
    ReasonForClosure => "ReasonForClosure",
    /// Assessment start (from 2013/14).
    AssessmentStart => "AssessmentActualStartDate",
    /// Section 47 enquiry start.
    Section47Start => "Section47ActualStartDate",
    /// Initial child protection conference.
    InitialCpc => "DateOfInitialCPC",
    /// Child protection plan start.
    CppStart => "CPPstartDate",
    /// Child protection plan end.
    CppEnd => "CPPendDate",
    /// NEG/PHY/EMO/SAB/MUL.
    InitialCategoryOfAbuse => "InitialCategoryOfAbuse",
    /// NEG/PHY/EMO/SAB/MUL.
    LatestCategoryOfAbuse => "LatestCategoryOfAbuse",
    /// Count of earlier plans.
    NumberOfPreviousCpp => "NumberOfPreviousCPP",
    /// IDACI decile of home area, 1 = most deprived.
    IdaciDecile => "IDACI_Decile",
    /// Home LSOA code.
    Lsoa => "LSOA",
}

impl Column {
    /// The columns every extract must have.
    pub const REQUIRED: &'static [Column] = &[
        Column::AcadYr,
        Column::La,
        Column::LaChildId,
        Column::Pmr,
        Column::MonthOfBirth,
        Column::YearOfBirth,
        Column::ReferralDate,
    ];

    /// Whether the column holds a date (read as `YYYY-MM-DD` or `DD/MM/YYYY`).
    pub fn is_date(self) -> bool {
        matches!(
            self,
            Column::ExpectedDob
                | Column::ReferralDate
                | Column::ClosureDate
                | Column::LatestReferralDate
                | Column::LatestClosureDate
                | Column::AssessmentStart
                | Column::Section47Start
                | Column::InitialCpc
                | Column::CppStart
                | Column::CppEnd
        )
    }

    /// Position in [`Column::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name with which headers are compared: see [`match_key`].
    pub fn key(self) -> String {
        match self {
            // `CIN_CIN_LA` loses one prefix and must not collide with `CIN_LA`.
            Column::LaFallback => "cinla".to_owned(),
            _ => match_key(self.name()),
        }
    }

    /// The column a header names, if any.
    pub fn from_header(header: &str) -> Option<Column> {
        let key = match_key(header);
        Column::ALL.iter().copied().find(|c| c.key() == key)
    }

    /// Columns needed to tell whether an episode reached `outcome`.
    pub fn needed_for(outcome: Outcome) -> &'static [Column] {
        match outcome {
            Outcome::Referral => &[],
            Outcome::Assessed => &[Column::ReferralNfa],
            Outcome::Cin => &[Column::ReferralNfa, Column::ReasonForClosure],
            Outcome::S47 => &[Column::Section47Start, Column::InitialCpc],
            Outcome::Cpp => &[Column::CppStart],
        }
    }
}

impl serde::Serialize for Column {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a header name is compared: lower case, one leading `cin_` removed, underscores,
/// spaces and a byte-order mark dropped.
pub fn match_key(header: &str) -> String {
    let lower = header
        .trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase();
    let stripped = lower.strip_prefix("cin_").unwrap_or(&lower);
    stripped
        .chars()
        .filter(|c| *c != '_' && *c != ' ')
        .collect()
}

/// Extra header names from a study config: `LA = "local_authority"` makes a header
/// `local_authority` mean [`Column::La`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    extra: BTreeMap<String, Column>,
}

impl ColumnMap {
    /// Adds `header` as another name for `column`.
    pub fn insert(&mut self, column: Column, header: &str) {
        self.extra.insert(match_key(header), column);
    }

    /// Builds a map from `(column name, header)` pairs, as a config file spells them.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ColumnMap, String> {
        let mut map = ColumnMap::default();
        for (column, header) in pairs {
            let c = Column::from_header(column).ok_or_else(|| {
                format!(
                    "`{column}` is not a column cumin knows; known columns: {}",
                    Column::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            map.insert(c, header);
        }
        Ok(map)
    }

    /// The column a header names, through the map first.
    pub fn resolve(&self, header: &str) -> Option<Column> {
        self.mapped(header).or_else(|| Column::from_header(header))
    }

    /// The column a header names through the map alone (a study file's `[columns]`).
    fn mapped(&self, header: &str) -> Option<Column> {
        self.extra.get(&match_key(header)).copied()
    }
}

/// Headers in a file, resolved: for each known column, the position of its header.
#[derive(Clone, Debug, Default)]
pub struct ResolvedHeaders {
    /// Position of each known column present.
    pub positions: BTreeMap<Column, usize>,
    /// Headers that name no known column (listed once in the run log).
    pub unknown: Vec<String>,
    /// All headers as written.
    pub headers: Vec<String>,
    /// Columns named by more than one header, with the positions of all of them in file
    /// order: which one holds the data cannot be told, so a run that reads such a column
    /// stops (`CensusError::AmbiguousColumn`).
    pub ambiguous: BTreeMap<Column, Vec<usize>>,
    /// Headers that name a column by its usual name when the map names another header for
    /// it (`[columns] LA = "local_authority"` beside a `CIN_LA`): not read, and noted.
    pub overridden: Vec<String>,
}

impl ResolvedHeaders {
    /// Resolves `headers` through `map`. A header the map names wins over a header that
    /// names the same column by its usual name (that one is `overridden`); a column named
    /// by several headers of the same standing keeps its first position and is listed in
    /// `ambiguous`.
    pub fn resolve(headers: &[String], map: &ColumnMap) -> ResolvedHeaders {
        let mut out = ResolvedHeaders {
            headers: headers.to_vec(),
            ..ResolvedHeaders::default()
        };
        let mapped: Vec<Option<Column>> = headers.iter().map(|h| map.mapped(h)).collect();
        let mut named: BTreeMap<Column, Vec<usize>> = BTreeMap::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(c) = mapped[i] {
                named.entry(c).or_default().push(i);
            } else if let Some(c) = Column::from_header(h) {
                if mapped.contains(&Some(c)) {
                    out.overridden.push(h.clone());
                } else {
                    named.entry(c).or_default().push(i);
                }
            } else {
                out.unknown.push(h.clone());
            }
        }
        for (c, at) in named {
            out.positions.insert(c, at[0]);
            if at.len() > 1 {
                out.ambiguous.insert(c, at);
            }
        }
        out
    }

    /// The first column `wanted` by the run that several headers name, with those headers
    /// as `name (column k)`, counting from 1.
    pub fn first_ambiguous(
        &self,
        wanted: impl Fn(Column) -> bool,
    ) -> Option<(Column, Vec<String>)> {
        self.ambiguous
            .iter()
            .find(|(c, _)| wanted(**c))
            .map(|(c, at)| {
                let named = at
                    .iter()
                    .map(|&i| format!("{} (column {})", self.headers[i].trim(), i + 1))
                    .collect();
                (*c, named)
            })
    }

    /// Whether a column is present.
    pub fn has(&self, c: Column) -> bool {
        self.positions.contains_key(&c)
    }

    /// The headers closest to a missing column's name, best first (for error messages).
    pub fn nearest(&self, missing: Column, n: usize) -> Vec<String> {
        let target = missing.key();
        let mut scored: Vec<(usize, &String)> = self
            .headers
            .iter()
            .map(|h| (levenshtein(&match_key(h), &target), h))
            .collect();
        scored.sort();
        scored
            .into_iter()
            .filter(|(d, _)| *d <= target.len().max(4) / 2)
            .take(n)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

/// Edit distance between two strings (for "did you mean" suggestions).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely() {
        for h in [
            "CIN_LAchildID_Anon",
            "lachildid_anon",
            "LAchildIDAnon",
            " LACHILDID_ANON ",
        ] {
            assert_eq!(Column::from_header(h), Some(Column::LaChildId), "{h}");
        }
        assert_eq!(Column::from_header("CIN_LA"), Some(Column::La));
        assert_eq!(Column::from_header("CIN_CIN_LA"), Some(Column::LaFallback));
        assert_eq!(Column::from_header("CIN_LA_09"), Some(Column::La09));
        assert_eq!(
            Column::from_header("\u{feff}CIN_ACADYR"),
            Some(Column::AcadYr)
        );
        assert_eq!(Column::from_header("favourite_colour"), None);
    }

    #[test]
    fn every_column_key_is_unique() {
        let mut keys: Vec<String> = Column::ALL.iter().map(|c| c.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Column::ALL.len());
        for c in Column::ALL {
            assert_eq!(Column::from_header(&c.key()), Some(*c));
        }
    }

    #[test]
    fn config_map_adds_names() {
        let map = ColumnMap::from_pairs([("LA", "local_authority")]).unwrap();
        assert_eq!(map.resolve("Local_Authority"), Some(Column::La));
        assert_eq!(map.resolve("CIN_LA"), Some(Column::La));
        assert!(ColumnMap::from_pairs([("nonsense", "x")]).is_err());
    }

    #[test]
    fn nearest_names_for_errors() {
        let headers: Vec<String> = ["ACADYR", "LA", "LAchildID", "PMR_anon", "CINreferalDate"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let r = ResolvedHeaders::resolve(&headers, &ColumnMap::default());
        assert_eq!(r.nearest(Column::ReferralDate, 2)[0], "CINreferalDate");
        assert_eq!(
            r.nearest(Column::LaChildId, 1),
            vec!["LAchildID".to_owned()]
        );
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
