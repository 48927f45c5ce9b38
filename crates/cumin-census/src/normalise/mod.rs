//! Cleaning rules: from the values an extract holds to typed episode rows.
//!
//! Every rule that changes or drops a value has a name ([`Rule`]) and is counted per file
//! in the ledger, so an analyst can see how much each rule touched. [`row`] cleans one
//! row on its own; rules that need the whole extract (the data end is the end of the
//! *last* census year) run in [`finish`], after all files are read. `docs/methods.md` §1
//! lists every rule with its source.

mod counts;
pub mod date_order;
pub mod field;
mod finish;
pub mod rule;
pub mod values;

pub use counts::{ColumnTally, RuleCounts, UNREADABLE_LISTED};
pub use field::{earliest_plausible_date, is_missing_marker};
pub use finish::{LatestDates, finish};
pub use rule::{Exclusion, Quarantine, Rule};

use crate::date::Date;
use crate::episodes::EpisodeRowOf;
use crate::ledger::FileIndex;
use crate::lookup::LsoaLookup;
use crate::schema::Column;
use std::borrow::Cow;
use values::ValueMap;

/// A value as a file holds it, before cleaning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Raw<'a> {
    /// Empty or null.
    Null,
    /// Text (CSV fields, Parquet strings).
    Text(&'a str),
    /// Text that is not valid UTF-8, as its bytes (a CSV field with a stray byte, a
    /// Parquet binary column). Identifiers are read from the bytes themselves
    /// ([`field::identifier`]); every other column reads them with replacement characters.
    Bytes(&'a [u8]),
    /// An integer column.
    Int(i64),
    /// A floating-point column.
    Float(f64),
    /// A date column (days since 1970-01-01).
    Days(i32),
    /// A boolean column.
    Bool(bool),
}

impl Raw<'_> {
    /// The value as an error message shows it: text as written, numbers as numbers.
    pub fn shown(self) -> String {
        match self {
            Raw::Null => String::new(),
            Raw::Text(s) => s.to_owned(),
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Days(d) => crate::date::Date::from_days(d)
                .map_or_else(|| format!("day {d}"), |d| d.to_string()),
            Raw::Bool(b) => b.to_string(),
            Raw::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }
}

/// How reason-for-closure spellings are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonSpelling {
    /// Trim, upper-case, drop spaces, then read `NFA`/`NO`/`NON`/`NONE` as `RC8`.
    #[default]
    Tolerant,
    /// Jay et al.'s R code: exactly `NFA`, `No`, `NON`, `NONE` → `RC8`; then anything
    /// whose first character is not `R`/`r` → missing; then upper-case and drop spaces.
    Jay2025Strict,
}

/// Switches for the cleaning rules that differ between presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CleaningRules {
    /// Reason-for-closure reading.
    pub reason_spelling: ReasonSpelling,
    /// Also treat CPP, s47, conference and assessment dates after the data end as
    /// missing (Jay's code only cleans referral and closure dates at the top end).
    pub clean_all_dates_after_data_end: bool,
    /// Drop rows whose closure is before the data start even when the referral is
    /// later (Jay strict ⚠).
    pub drop_closure_before_data_start: bool,
    /// First day of usable data; rows referred earlier are excluded.
    pub data_start: Date,
    /// Leave the whole-extract rules of [`finish`] (data end, `Latest*` fall-backs, data
    /// start, imputation, closure repair) to the caller, which then finds the dates as
    /// written and the `Latest*` dates in [`crate::Extract::latest`]. The Jay et al. 2025
    /// presets use this to apply the rules in their R code's order and with its ⚠
    /// behaviours.
    pub defer_whole_extract_rules: bool,
}

impl Default for CleaningRules {
    fn default() -> CleaningRules {
        CleaningRules {
            reason_spelling: ReasonSpelling::Tolerant,
            clean_all_dates_after_data_end: true,
            drop_closure_before_data_start: false,
            data_start: default_data_start(),
            defer_whole_extract_rules: false,
        }
    }
}

/// 1 April 2008, the start of the first CIN census year.
pub fn default_data_start() -> Date {
    Date::ymd(2008, 4, 1)
}

/// What [`row`] needs besides the row: the study's rules and maps.
#[derive(Clone, Copy, Debug)]
pub struct RowContext<'o> {
    /// Rule switches.
    pub rules: &'o CleaningRules,
    /// Value replacements from the study config, applied before any rule.
    pub values: &'o ValueMap,
    /// LSOA → IDACI decile, for rows without a decile.
    pub lsoa: Option<&'o LsoaLookup>,
}

/// One cleaned row, identifiers still borrowed from the batch, and the `Latest*` dates
/// that may replace its own once the data end is known.
#[derive(Clone, Debug, PartialEq)]
pub struct CleanRow<'a> {
    /// The row.
    pub row: EpisodeRowOf<Cow<'a, str>>,
    /// `LatestReferralDate` / `LatestClosureDate` where present and different from the
    /// row's own dates (see [`finish`]).
    pub latest: Option<(Option<Date>, Option<Date>)>,
}

/// Why a row was quarantined, and the offending value or an explanation.
pub type Quarantined = (Quarantine, String);

/// Cleans one row read through `get`.
pub fn row<'a>(
    get: impl Fn(Column) -> Raw<'a>,
    file: FileIndex,
    source_row: u32,
    ctx: &RowContext<'a>,
    counts: &mut RuleCounts,
) -> Result<CleanRow<'a>, Quarantined> {
    for c in ctx.values.columns() {
        if ctx.values.lookup(c, get(c)).is_some() {
            counts.value_mapped(c);
        }
    }
    let get = |c: Column| ctx.values.apply(c, get(c));
    let acadyr = get(Column::AcadYr);
    let census_year = field::census_year(acadyr, counts).ok_or_else(|| {
        (
            Quarantine::CensusYearUnreadable,
            format!("ACADYR = {:?}", field::text(acadyr).unwrap_or_default()),
        )
    })?;
    let mut r = EpisodeRowOf::empty(file, source_row, census_year);
    r.la_child_id = field::identifier(get(Column::LaChildId), counts);
    r.pmr = field::identifier(get(Column::Pmr), counts);
    if r.la_child_id.is_none() && r.pmr.is_none() {
        return Err((
            Quarantine::NoIdentifier,
            "both LAchildID_Anon and PupilMatchingRefAnonymous are empty".to_owned(),
        ));
    }
    r.la = la(&get, counts);
    r.sex = field::sex(get(Column::Gender), counts);
    r.ethnicity = field::ethnicity(get(Column::Ethnicity), counts);
    r.birth_month = field::bounded_int(
        get(Column::MonthOfBirth),
        Column::MonthOfBirth,
        1..=12,
        Rule::BirthMonthInvalid,
        counts,
    )
    .map(|v| v as u8);
    r.birth_year = field::bounded_int(
        get(Column::YearOfBirth),
        Column::YearOfBirth,
        1900..=2100,
        Rule::BirthYearInvalid,
        counts,
    )
    .map(|v| v as i16);
    let date = |c: Column, counts: &mut RuleCounts| field::date(get(c), c, counts);
    r.expected_dob = date(Column::ExpectedDob, counts);
    r.referral = date(Column::ReferralDate, counts);
    r.closure = date(Column::ClosureDate, counts);
    let latest_referral = date(Column::LatestReferralDate, counts);
    let latest_closure = date(Column::LatestClosureDate, counts);
    r.nfa = field::nfa(get(Column::ReferralNfa), counts);
    if r.nfa.is_none() {
        counts.hit(Rule::NfaMissingAsAssessed);
    }
    r.reason_for_closure = field::reason_for_closure(
        get(Column::ReasonForClosure),
        ctx.rules.reason_spelling,
        counts,
    );
    r.primary_need = field::primary_need(get(Column::PrimaryNeed), counts);
    r.assessment_start = date(Column::AssessmentStart, counts);
    r.s47_start = date(Column::Section47Start, counts);
    r.initial_cpc = date(Column::InitialCpc, counts);
    r.cpp_start = date(Column::CppStart, counts);
    r.cpp_end = date(Column::CppEnd, counts);
    r.idaci_decile = field::bounded_int(
        get(Column::IdaciDecile),
        Column::IdaciDecile,
        1..=10,
        Rule::IdaciInvalid,
        counts,
    )
    .map(|v| v as u8);
    if r.idaci_decile.is_none()
        && let Some(lookup) = ctx.lsoa
        && let Some(lsoa) = field::text(get(Column::Lsoa))
    {
        r.idaci_decile = lookup.decile(&lsoa);
        counts.hit(if r.idaci_decile.is_some() {
            Rule::IdaciFromLsoa
        } else {
            Rule::LsoaNotInLookup
        });
    }
    let differs = |own: Option<Date>, latest: Option<Date>| latest.is_some() && latest != own;
    let latest = (differs(r.referral, latest_referral) || differs(r.closure, latest_closure))
        .then_some((latest_referral, latest_closure));
    Ok(CleanRow { row: r, latest })
}

/// `LA`, or `CIN_CIN_LA` where `LA` is empty or no LA code.
fn la<'a>(get: &impl Fn(Column) -> Raw<'a>, counts: &mut RuleCounts) -> Option<u16> {
    let read = |c: Column, counts: &mut RuleCounts| {
        field::bounded_int(get(c), c, 100..=999, Rule::LaInvalid, counts).map(|v| v as u16)
    };
    let la = read(Column::La, counts);
    if la.is_some() || matches!(get(Column::LaFallback), Raw::Null) {
        return la;
    }
    let fallback = read(Column::LaFallback, counts);
    if fallback.is_some() {
        counts.hit(Rule::LaFromFallback);
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::CensusYear;

    fn clean(
        cells: &[(Column, &str)],
        check: impl FnOnce(Result<CleanRow<'_>, Quarantined>, &RuleCounts),
    ) {
        let rules = CleaningRules::default();
        let values = ValueMap::default();
        let ctx = RowContext {
            rules: &rules,
            values: &values,
            lsoa: None,
        };
        let mut counts = RuleCounts::default();
        let get = |c: Column| {
            cells
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(Raw::Null, |(_, v)| Raw::Text(v))
        };
        let r = row(get, 0, 1, &ctx, &mut counts);
        check(r, &counts);
    }

    #[test]
    fn a_plain_row() {
        let cells = [
            (Column::AcadYr, "2013/14"),
            (Column::La, "202"),
            (Column::LaChildId, " A1 "),
            (Column::ReferralDate, "01/05/2013"),
            (Column::ReferralNfa, "0"),
        ];
        clean(&cells, |r, counts| {
            let r = r.unwrap();
            assert_eq!(r.row.census_year, CensusYear(2014));
            assert_eq!(r.row.la, Some(202));
            assert_eq!(r.row.la_child_id.as_deref(), Some("A1"));
            assert!(matches!(r.row.la_child_id, Some(Cow::Borrowed(_))));
            assert_eq!(r.row.pmr, None);
            assert_eq!(r.row.referral, Some(Date::ymd(2013, 5, 1)));
            assert_eq!(r.row.nfa, Some(false));
            assert_eq!(r.latest, None);
            assert_eq!(counts.get(Rule::NfaMissingAsAssessed), 0);
        });
    }

    #[test]
    fn quarantine_reasons() {
        clean(
            &[(Column::AcadYr, "soon"), (Column::LaChildId, "A")],
            |r, _| {
                assert_eq!(r.unwrap_err().0, Quarantine::CensusYearUnreadable);
            },
        );
        clean(&[(Column::AcadYr, "2014"), (Column::Pmr, " ")], |r, _| {
            assert_eq!(r.unwrap_err().0, Quarantine::NoIdentifier);
        });
    }

    #[test]
    fn latest_dates_are_kept_only_when_they_could_matter() {
        let same = [
            (Column::AcadYr, "2014"),
            (Column::Pmr, "P"),
            (Column::ReferralDate, "2013-05-01"),
            (Column::LatestReferralDate, "2013-05-01"),
        ];
        clean(&same, |r, _| assert_eq!(r.unwrap().latest, None));
        let own_missing = [
            (Column::AcadYr, "2014"),
            (Column::Pmr, "P"),
            (Column::LatestReferralDate, "2013-05-01"),
        ];
        clean(&own_missing, |r, _| {
            assert_eq!(r.unwrap().latest, Some((Some(Date::ymd(2013, 5, 1)), None)));
        });
    }

    #[test]
    fn la_falls_back_to_cin_cin_la() {
        let cells = [
            (Column::AcadYr, "2014"),
            (Column::Pmr, "P"),
            (Column::La, ""),
            (Column::LaFallback, "305"),
        ];
        clean(&cells, |r, counts| {
            assert_eq!(r.unwrap().row.la, Some(305));
            assert_eq!(counts.get(Rule::LaFromFallback), 1);
        });
    }
}
