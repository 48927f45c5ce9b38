//! Small typed values of the census: census years, sexes, ethnic groups, outcomes.

use crate::date::Date;
use std::fmt;

/// A CIN census year (1 April – 31 March), named by the calendar year it ends in:
/// `CensusYear(2013)` is 2012/13, the census taken on 31 March 2013.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CensusYear(pub i16);

impl CensusYear {
    /// First day of the census year (1 April of the previous calendar year).
    pub fn start(self) -> Date {
        Date::ymd(i32::from(self.0) - 1, 4, 1)
    }

    /// Last day of the census year (31 March).
    pub fn end(self) -> Date {
        Date::ymd(i32::from(self.0), 3, 31)
    }

    /// 1 September of the census year's first calendar year: Jay et al.'s stand-in for
    /// a missing referral date.
    pub fn first_september(self) -> Date {
        Date::ymd(i32::from(self.0) - 1, 9, 1)
    }

    /// The census year holding a date.
    pub fn containing(date: Date) -> CensusYear {
        CensusYear(date.financial_year() as i16)
    }

    /// Parses `2012/13`, `2012/2013`, `2012-13`, `2013`, or the halves run together as
    /// some SQL exports write them, `201213` and `20122013` (all meaning the year ending
    /// 31 March 2013). The two halves must be consecutive years.
    pub fn parse(text: &str) -> Option<CensusYear> {
        let s = text.trim();
        if let Some((a, b)) = s.split_once(['/', '-']) {
            return CensusYear::from_halves(a.trim(), b.trim());
        }
        if s.len() == 4 {
            return CensusYear::valid(s.parse().ok()?);
        }
        if (s.len() == 6 || s.len() == 8) && s.bytes().all(|b| b.is_ascii_digit()) {
            return CensusYear::from_halves(&s[..4], &s[4..]);
        }
        // Parquet extracts sometimes hold the year as a float-formatted number.
        if let Some(int) = s.strip_suffix(".0") {
            return CensusYear::parse(int);
        }
        None
    }
}

impl CensusYear {
    /// The year ending in `end`, if plausible.
    fn valid(end: i32) -> Option<CensusYear> {
        (1990..=2100)
            .contains(&end)
            .then_some(CensusYear(end as i16))
    }

    /// The year from its two halves: a four-digit start, and an end of two or four
    /// digits that must follow it.
    fn from_halves(a: &str, b: &str) -> Option<CensusYear> {
        if a.len() != 4 {
            return None;
        }
        let start: i32 = a.parse().ok()?;
        let end: i32 = match b.len() {
            2 => {
                let yy: i32 = b.parse().ok()?;
                let century = start - start.rem_euclid(100);
                let e = century + yy;
                if e < start { e + 100 } else { e }
            }
            4 => b.parse().ok()?,
            _ => return None,
        };
        if end != start + 1 {
            return None;
        }
        CensusYear::valid(end)
    }
}

impl fmt::Display for CensusYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = i32::from(self.0);
        write!(f, "{}/{:02}", end - 1, end.rem_euclid(100))
    }
}

/// A child's recorded sex. `Gender` codes 0 (not known) and 9 (not specified) are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    /// Code 1.
    Male,
    /// Code 2.
    Female,
}

impl Sex {
    /// The NPD code.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    /// Label used in output strata.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// From an NPD code; 0, 9 and anything else are missing.
    pub fn from_code(code: i64) -> Option<Sex> {
        match code {
            1 => Some(Sex::Male),
            2 => Some(Sex::Female),
            _ => None,
        }
    }
}

/// The DfE ethnicity codes cumin keeps, in a fixed order (`REFU` refused and `NOBT` not
/// obtained are missing values, not categories).
pub const ETHNICITY_CODES: [&str; 18] = [
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
    "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH",
];

/// A DfE ethnicity code, one of [`ETHNICITY_CODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ethnicity(u8);

impl Ethnicity {
    /// From an already-clean 4-letter code.
    pub fn from_code(code: &str) -> Option<Ethnicity> {
        ETHNICITY_CODES
            .iter()
            .position(|c| *c == code)
            .map(|i| Ethnicity(i as u8))
    }

    /// The 4-letter code.
    pub fn code(self) -> &'static str {
        ETHNICITY_CODES[usize::from(self.0)]
    }

    /// Index into [`ETHNICITY_CODES`].
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The DfE major ethnic group.
    pub fn major_group(self) -> &'static str {
        match &self.code()[..1] {
            "W" => "white",
            "M" => "mixed",
            "A" => "asian",
            "B" => "black",
            _ => "other",
        }
    }
}

/// A CIN outcome: each is counted once per child, at its first occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Outcome {
    /// Any referral to children's social care.
    Referral,
    /// A referral that went on to assessment (`ReferralNFA` = 0).
    Assessed,
    /// Assessed and found to be a child in need (closure reason other than `RC8`).
    Cin,
    /// A section 47 enquiry or initial child protection conference.
    S47,
    /// A child protection plan.
    Cpp,
}

impl Outcome {
    /// Every outcome, in output order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Referral,
        Outcome::Assessed,
        Outcome::Cin,
        Outcome::S47,
        Outcome::Cpp,
    ];

    /// The outcomes of the Jay et al. design (no s47).
    pub const JAY: [Outcome; 4] = [
        Outcome::Referral,
        Outcome::Assessed,
        Outcome::Cin,
        Outcome::Cpp,
    ];

    /// The name used in output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Referral => "referral",
            Outcome::Assessed => "assessed",
            Outcome::Cin => "cin",
            Outcome::S47 => "s47",
            Outcome::Cpp => "cpp",
        }
    }

    /// Parses an output-file name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Position in [`Outcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        let s = String::deserialize(d)?;
        Outcome::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown outcome {s:?}: expected referral, assessed, cin, s47 or cpp"
            ))
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_year_spellings() {
        for s in [
            "2012/13",
            "2012/2013",
            "2013",
            " 2012-13 ",
            "2013.0",
            "201213",
            "20122013",
            "201213.0",
        ] {
            assert_eq!(CensusYear::parse(s), Some(CensusYear(2013)), "{s}");
        }
        assert_eq!(CensusYear::parse("1999/00"), Some(CensusYear(2000)));
        for s in [
            "2012/14",
            "13",
            "",
            "2012/3",
            "abcd",
            "2012/2014",
            "12/13",
            "201214",
            "2012134",
            "20122014",
            "2012a3",
            "-20123",
        ] {
            assert_eq!(CensusYear::parse(s), None, "{s}");
        }
        let y = CensusYear(2013);
        assert_eq!(y.start(), Date::ymd(2012, 4, 1));
        assert_eq!(y.end(), Date::ymd(2013, 3, 31));
        assert_eq!(y.first_september(), Date::ymd(2012, 9, 1));
        assert_eq!(y.to_string(), "2012/13");
        assert_eq!(CensusYear::containing(Date::ymd(2013, 3, 31)), y);
    }

    #[test]
    fn ethnicity_codes_and_groups() {
        let e = Ethnicity::from_code("BAFR").unwrap();
        assert_eq!(e.code(), "BAFR");
        assert_eq!(e.major_group(), "black");
        assert_eq!(Ethnicity::from_code("CHNE").unwrap().major_group(), "other");
        assert!(Ethnicity::from_code("REFU").is_none());
    }

    #[test]
    fn outcomes_roundtrip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(Outcome::ALL[o.index()], o);
        }
    }
}
