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
pub(crate) use counts::{Effect, REASON_RULES};
pub use field::{earliest_plausible_date, is_missing_marker};
pub use finish::{LatestDates, finish};
pub use rule::{Exclusion, Quarantine, Rule};

use crate::date::Date;
use crate::episodes::EpisodeRowOf;
use crate::ledger::FileIndex;
use crate::lookup::LsoaLookup;
use crate::schema::Column;
use crate::types::{CensusYear, Ethnicity, Sex};
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
    /// What becomes of an LA child ID on a row with no LA.
    pub la_child_id_without_la: LaChildIdWithoutLa,
}

/// An LA child ID on a row with no LA (`LA` and `CIN_CIN_LA` empty or no LA code).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LaChildIdWithoutLa {
    /// Dropped ([`Rule::LaChildIdWithoutLa`]): unique only within an LA, it cannot say
    /// whose child it is; the row is keyed by its PMR.
    #[default]
    Dropped,
    /// Kept, keyed under "no LA" as the R code of Jay et al. pastes `NA` into the key
    /// (the presets).
    KeptUnderNoLa,
}

impl Default for CleaningRules {
    fn default() -> CleaningRules {
        CleaningRules {
            reason_spelling: ReasonSpelling::Tolerant,
            clean_all_dates_after_data_end: true,
            drop_closure_before_data_start: false,
            data_start: default_data_start(),
            defer_whole_extract_rules: false,
            la_child_id_without_la: LaChildIdWithoutLa::Dropped,
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
    /// The reason for closure read with a second spelling, when asked for.
    pub other_reason: Option<u8>,
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
    row_with(get, |_, _| None, None, file, source_row, ctx, counts)
}

/// A value of one of the columns [`value`] cleans on its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cleaned {
    Year(Option<CensusYear>),
    Sex(Option<Sex>),
    Ethnicity(Option<Ethnicity>),
    /// A bounded integer (month, year or decile of birth): within `i16`, so a value
    /// takes 8 bytes (the per-value tables of `read/ingest.rs` are looked up per row).
    Int(Option<i16>),
    Date(Option<Date>),
    Flag(Option<bool>),
    Code(Option<u8>),
}

macro_rules! cleaned_as {
    ($($method:ident: $variant:ident($ty:ty)),* $(,)?) => {
        impl Cleaned {
            $(
                fn $method(self) -> $ty {
                    match self {
                        Cleaned::$variant(v) => v,
                        other => unreachable!("{other:?} is no {}", stringify!($variant)),
                    }
                }
            )*
        }
    };
}

cleaned_as! {
    year: Year(Option<CensusYear>),
    sex: Sex(Option<Sex>),
    ethnicity: Ethnicity(Option<Ethnicity>),
    int: Int(Option<i16>),
    date: Date(Option<Date>),
    flag: Flag(Option<bool>),
    code: Code(Option<u8>),
}

/// Cleans one value of `column` (after the value map), for the columns whose reading
/// depends on nothing but the value: every one but the identifiers, the LA codes (read
/// together) and the LSOA. `None` for those.
pub(crate) fn value(
    column: Column,
    raw: Raw<'_>,
    spelling: ReasonSpelling,
    counts: &mut RuleCounts,
) -> Option<Cleaned> {
    let int = |range, rule, counts: &mut RuleCounts| {
        // Every range below lies within `i16`.
        Cleaned::Int(field::bounded_int(raw, column, range, rule, counts).map(|v| v as i16))
    };
    Some(match column {
        Column::AcadYr => Cleaned::Year(field::census_year(raw, counts)),
        Column::Gender => Cleaned::Sex(field::sex(raw, counts)),
        Column::Ethnicity => Cleaned::Ethnicity(field::ethnicity(raw, counts)),
        Column::MonthOfBirth => int(1..=12, Rule::BirthMonthInvalid, counts),
        Column::YearOfBirth => int(1900..=2100, Rule::BirthYearInvalid, counts),
        Column::IdaciDecile => int(1..=10, Rule::IdaciInvalid, counts),
        c if c.is_date() => Cleaned::Date(field::date(raw, column, counts)),
        Column::ReferralNfa => Cleaned::Flag(field::nfa(raw, counts)),
        Column::ReasonForClosure => Cleaned::Code(field::reason_for_closure(raw, spelling, counts)),
        Column::PrimaryNeed => Cleaned::Code(field::primary_need(raw, counts)),
        _ => return None,
    })
}

/// Whether [`value`] cleans `column`.
pub(crate) fn cleans_alone(column: Column) -> bool {
    value(
        column,
        Raw::Null,
        ReasonSpelling::default(),
        &mut RuleCounts::default(),
    )
    .is_some()
}

/// Cleans one row read through `get`, taking from `once` the values it has already
/// cleaned (a dictionary's values, cleaned once each; `once` counts them), and cleaning
/// the rest with [`value`]. With `other`, also reads the reason for closure with that
/// spelling into [`CleanRow::other_reason`], counting into its own counts.
pub(crate) fn row_with<'a>(
    get: impl Fn(Column) -> Raw<'a>,
    once: impl Fn(Column, &mut RuleCounts) -> Option<Cleaned>,
    other: Option<(ReasonSpelling, &mut RuleCounts)>,
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
    let cleaned = |c: Column, counts: &mut RuleCounts| {
        once(c, counts)
            .or_else(|| value(c, get(c), ctx.rules.reason_spelling, counts))
            .expect("a column `value` cleans")
    };
    let census_year = cleaned(Column::AcadYr, counts).year().ok_or_else(|| {
        (
            Quarantine::CensusYearUnreadable,
            format!(
                "ACADYR = {:?}",
                field::text(get(Column::AcadYr)).unwrap_or_default()
            ),
        )
    })?;
    let mut r = EpisodeRowOf::empty(file, source_row, census_year);
    r.la_child_id = field::identifier(get(Column::LaChildId), counts);
    if r.la_child_id.is_some() {
        counts.seen(Column::LaChildId);
    }
    r.pmr = field::identifier(get(Column::Pmr), counts);
    if r.pmr.is_some() {
        counts.seen(Column::Pmr);
    }
    if r.la_child_id.is_none() && r.pmr.is_none() {
        return Err((
            Quarantine::NoIdentifier,
            "both LAchildID_Anon and PupilMatchingRefAnonymous are empty".to_owned(),
        ));
    }
    r.la = la(&get, counts);
    if r.la.is_none()
        && r.la_child_id.is_some()
        && ctx.rules.la_child_id_without_la == LaChildIdWithoutLa::Dropped
    {
        r.la_child_id = None;
        if r.pmr.is_none() {
            return Err((
                Quarantine::NoIdentifier,
                "LAchildID_Anon given without an LA (LA and CIN_CIN_LA empty or no LA code) \
                 and PupilMatchingRefAnonymous empty: an LA child ID is unique only within \
                 its LA"
                    .to_owned(),
            ));
        }
        // Counted only for rows kept: a quarantined row is counted as `no_identifier`.
        counts.hit(Rule::LaChildIdWithoutLa);
    }
    r.sex = cleaned(Column::Gender, counts).sex();
    r.ethnicity = cleaned(Column::Ethnicity, counts).ethnicity();
    r.birth_month = cleaned(Column::MonthOfBirth, counts).int().map(|v| v as u8);
    r.birth_year = cleaned(Column::YearOfBirth, counts).int();
    let date = |c: Column, counts: &mut RuleCounts| cleaned(c, counts).date();
    r.expected_dob = date(Column::ExpectedDob, counts);
    r.referral = date(Column::ReferralDate, counts);
    r.closure = date(Column::ClosureDate, counts);
    let latest_referral = date(Column::LatestReferralDate, counts);
    let latest_closure = date(Column::LatestClosureDate, counts);
    r.nfa = cleaned(Column::ReferralNfa, counts).flag();
    if r.nfa.is_none() {
        counts.hit(Rule::NfaMissingAsAssessed);
    }
    r.reason_for_closure = cleaned(Column::ReasonForClosure, counts).code();
    let other_reason = other.and_then(|(spelling, counts)| {
        field::reason_for_closure(get(Column::ReasonForClosure), spelling, counts)
    });
    r.primary_need = cleaned(Column::PrimaryNeed, counts).code();
    r.assessment_start = date(Column::AssessmentStart, counts);
    r.s47_start = date(Column::Section47Start, counts);
    r.initial_cpc = date(Column::InitialCpc, counts);
    r.cpp_start = date(Column::CppStart, counts);
    r.cpp_end = date(Column::CppEnd, counts);
    r.idaci_decile = cleaned(Column::IdaciDecile, counts).int().map(|v| v as u8);
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
    Ok(CleanRow {
        row: r,
        latest,
        other_reason,
    })
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
        clean_with(CleaningRules::default(), cells, check);
    }

    fn clean_with(
        rules: CleaningRules,
        cells: &[(Column, &str)],
        check: impl FnOnce(Result<CleanRow<'_>, Quarantined>, &RuleCounts),
    ) {
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

    /// A dictionary value is cleaned once and its [`Effect`] counted for each row holding
    /// it, or, without one, cleaned row by row (`Prepared` in `read/ingest.rs`): the
    /// counts must be those of cleaning every row.
    #[test]
    fn effects_replay_the_counts_of_cleaning_each_value() {
        let values = [
            "2013-06-01",
            "25/12/2013",
            "12/25/2013",
            "05/06/2013",
            "1929-01-01",
            "soon",
            "NA",
            "",
            " RC8",
            "rc 8",
            "RC8",
            "NFA",
            "no",
            "X",
            "N0",
            "N3",
            "A3",
            "n 7",
            "WBRI",
            "wbri",
            "REFU",
            "ZZZZ",
            "1",
            "yes",
            "maybe",
            "2013/14",
            "13",
            "7",
            "1850",
            "0",
            "9",
            "m",
            "2013-06-01",
            "soon",
            "25/12/2013",
            "RC8",
            "X",
        ];

        let (mut once, mut each) = (0, 0);
        for rules in [ReasonSpelling::Tolerant, ReasonSpelling::Jay2025Strict] {
            for &c in Column::ALL.iter().filter(|c| cleans_alone(**c)) {
                let mut direct = RuleCounts::default();
                let mut replayed = RuleCounts::default();
                for (row, v) in values.iter().enumerate() {
                    direct.at_row(row as u64 + 1);
                    replayed.at_row(row as u64 + 1);
                    let read = value(c, Raw::Text(v), rules, &mut direct);
                    let mut alone = RuleCounts::default();
                    assert_eq!(value(c, Raw::Text(v), rules, &mut alone), read);
                    if let Some(effect) = alone.effect(c) {
                        replayed.apply(c, effect);
                        once += 1;
                    } else {
                        value(c, Raw::Text(v), rules, &mut replayed);
                        each += 1;
                    }
                }
                assert_eq!(format!("{direct:?}"), format!("{replayed:?}"), "{c}");
            }
        }
        assert!(once > 0 && each > 0, "{once} {each}");
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

    /// An LA child ID is unique only within its LA: without an LA it is dropped (the row
    /// keyed by its PMR, or quarantined without one), unless the rules keep it (the Jay
    /// presets, whose R code keys it under `NA`).
    #[test]
    fn an_la_child_id_without_an_la_is_dropped() {
        let with_pmr = [
            (Column::AcadYr, "2014"),
            (Column::La, "not an LA"),
            (Column::LaChildId, "A"),
            (Column::Pmr, "P"),
        ];
        clean(&with_pmr, |r, counts| {
            let r = r.unwrap();
            assert_eq!((r.row.la, r.row.la_child_id.as_deref()), (None, None));
            assert_eq!(r.row.pmr.as_deref(), Some("P"));
            assert_eq!(counts.get(Rule::LaChildIdWithoutLa), 1);
        });
        // Without a PMR the row is quarantined, and counted there alone (red team round
        // 4: the rule was counted for it too, although the report says its rows are kept).
        clean(&with_pmr[..3], |r, counts| {
            assert_eq!(r.unwrap_err().0, Quarantine::NoIdentifier);
            assert_eq!(counts.get(Rule::LaChildIdWithoutLa), 0);
        });
        let keep = CleaningRules {
            la_child_id_without_la: LaChildIdWithoutLa::KeptUnderNoLa,
            ..CleaningRules::default()
        };
        clean_with(keep, &with_pmr[..3], |r, counts| {
            assert_eq!(r.unwrap().row.la_child_id.as_deref(), Some("A"));
            assert_eq!(counts.get(Rule::LaChildIdWithoutLa), 0);
        });
        let fallback = [
            (Column::AcadYr, "2014"),
            (Column::LaFallback, "305"),
            (Column::LaChildId, "A"),
        ];
        clean(&fallback, |r, counts| {
            assert_eq!(r.unwrap().row.la_child_id.as_deref(), Some("A"));
            assert_eq!(counts.get(Rule::LaChildIdWithoutLa), 0);
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
