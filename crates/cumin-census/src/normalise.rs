//! Cleaning rules: from the values an extract holds to typed episode rows.
//!
//! Every rule that changes or drops a value has a name ([`rule`]) and is counted per file
//! in the ledger, so an analyst can see how much each rule touched. Rules that need the
//! whole extract (the data end is the end of the *last* census year) run in
//! [`finish`], after all files are read.

use crate::date::Date;
use crate::episodes::{EpisodeRow, Episodes};
use crate::ledger::{EntryKind, FileIndex, Ledger};
use crate::schema::Column;
use crate::types::{CensusYear, Ethnicity, Sex};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A value as a file holds it, before cleaning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Raw<'a> {
    /// Empty or null.
    Null,
    /// Text (CSV fields, Parquet strings).
    Text(&'a str),
    /// An integer column.
    Int(i64),
    /// A floating-point column.
    Float(f64),
    /// A date column (days since 1970-01-01).
    Days(i32),
    /// A boolean column.
    Bool(bool),
}

/// Names of the cleaning rules, as they appear in the ledger (`rule:<name>`).
pub mod rule {
    /// A date that was neither `YYYY-MM-DD` nor `DD/MM/YYYY` became missing.
    pub const DATE_UNREADABLE: &str = "date_unreadable";
    /// A date before 1930-01-01 became missing.
    pub const DATE_BEFORE_1930: &str = "date_before_1930";
    /// A date after the end of the last census year became missing.
    pub const DATE_AFTER_DATA_END: &str = "date_after_data_end";
    /// A missing referral date was taken from `LatestReferralDate`.
    pub const REFERRAL_FROM_LATEST: &str = "referral_from_latest";
    /// A missing closure date was taken from `LatestClosureDate`.
    pub const CLOSURE_FROM_LATEST: &str = "closure_from_latest";
    /// A missing referral date became 1 September of the census year.
    pub const REFERRAL_IMPUTED: &str = "referral_imputed_1_september";
    /// A closure date before the referral date became the referral date.
    pub const CLOSURE_BEFORE_REFERRAL: &str = "closure_before_referral";
    /// `ReferralNFA` held a value that is not a yes/no spelling; it became missing.
    pub const NFA_UNREADABLE: &str = "nfa_unreadable";
    /// `NFA`, `NO`, `NON`, `NONE` (any case, spacing) read as `RC8`.
    pub const REASON_LEGACY_RC8: &str = "reason_legacy_rc8";
    /// A reason for closure that needed trimming, upper-casing or despacing.
    pub const REASON_RESPELLED: &str = "reason_respelled";
    /// A reason for closure that is not `RC1`-`RC9` became missing.
    pub const REASON_UNKNOWN: &str = "reason_unknown";
    /// An ethnicity code that needed trimming or upper-casing.
    pub const ETHNICITY_RESPELLED: &str = "ethnicity_respelled";
    /// A legacy `WBR*` spelling read as `WBRI`.
    pub const ETHNICITY_WBR_LEGACY: &str = "ethnicity_wbr_legacy";
    /// `REFU` / `NOBT` (refused, not obtained) became missing.
    pub const ETHNICITY_NOT_GIVEN: &str = "ethnicity_not_given";
    /// An ethnicity that is no DfE code became missing.
    pub const ETHNICITY_UNKNOWN: &str = "ethnicity_unknown";
    /// Gender 0 (not known) or 9 (not specified) became missing.
    pub const GENDER_NOT_KNOWN: &str = "gender_not_known";
    /// A gender that is not 0, 1, 2 or 9 became missing.
    pub const GENDER_INVALID: &str = "gender_invalid";
    /// A legacy primary need `A2`-`A5` read as `N2`-`N5`.
    pub const PRIMARY_NEED_LEGACY: &str = "primary_need_legacy";
    /// A primary need that is not `N0`-`N9` became missing.
    pub const PRIMARY_NEED_UNKNOWN: &str = "primary_need_unknown";
    /// A month of birth outside 1-12 became missing.
    pub const BIRTH_MONTH_INVALID: &str = "birth_month_invalid";
    /// A year of birth outside 1900-2100 became missing.
    pub const BIRTH_YEAR_INVALID: &str = "birth_year_invalid";
    /// `LA` was empty and `CIN_CIN_LA` was used.
    pub const LA_FROM_FALLBACK: &str = "la_from_fallback";
    /// An LA code that is not a number 100-999 became missing.
    pub const LA_INVALID: &str = "la_invalid";
    /// An IDACI decile outside 1-10 became missing.
    pub const IDACI_INVALID: &str = "idaci_invalid";
    /// A text field that was not valid UTF-8 was read with replacement characters.
    pub const TEXT_NOT_UTF8: &str = "text_not_utf8";
}

/// Why a row was quarantined at ingest.
pub mod quarantine {
    /// `ACADYR` missing or not a census year.
    pub const CENSUS_YEAR_UNREADABLE: &str = "census_year_unreadable";
    /// Neither an LA child ID nor a PMR: the row cannot belong to any child.
    pub const NO_IDENTIFIER: &str = "no_identifier";
    /// A CSV line with a different number of fields from the header.
    pub const WRONG_FIELD_COUNT: &str = "wrong_field_count";
}

/// Why a row was excluded at ingest (a design rule, not a data fault).
pub mod exclude {
    /// Referral before the study's data start (default 2008-04-01).
    pub const REFERRAL_BEFORE_DATA_START: &str = "referral_before_data_start";
    /// Closure before the data start although the referral is later (Jay strict only).
    pub const CLOSURE_BEFORE_DATA_START: &str = "closure_before_data_start";
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
}

impl Default for CleaningRules {
    fn default() -> CleaningRules {
        CleaningRules {
            reason_spelling: ReasonSpelling::Tolerant,
            clean_all_dates_after_data_end: true,
            drop_closure_before_data_start: false,
            data_start: Date::ymd(2008, 4, 1),
        }
    }
}

/// The earliest date cumin believes (earlier ones are typing errors).
pub fn earliest_plausible_date() -> Date {
    Date::ymd(1930, 1, 1)
}

/// How many values of a column were present, and how many were of the wrong type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnTally {
    /// Non-empty values seen.
    pub seen: u64,
    /// Values that were not of the column's type.
    pub bad: u64,
    /// The first few bad values, for error messages.
    pub examples: Vec<String>,
}

/// Counts of rule applications, and per-column type tallies, for rows of one file.
#[derive(Clone, Debug, Default)]
pub struct RuleCounts {
    rules: BTreeMap<&'static str, u64>,
    columns: BTreeMap<Column, ColumnTally>,
}

impl RuleCounts {
    /// Counts one application of `rule`.
    pub fn hit(&mut self, rule: &'static str) {
        *self.rules.entry(rule).or_insert(0) += 1;
    }

    /// Counts a non-empty value of `column`.
    pub fn seen(&mut self, column: Column) {
        self.columns.entry(column).or_default().seen += 1;
    }

    /// Counts a value of `column` that is not of its type.
    pub fn bad(&mut self, column: Column, value: Raw<'_>) {
        let t = self.columns.entry(column).or_default();
        t.bad += 1;
        if t.examples.len() < 3 {
            t.examples.push(match value {
                Raw::Text(s) => s.to_owned(),
                other => format!("{other:?}"),
            });
        }
    }

    /// Moves the rule counts into the ledger for `file` (column tallies stay).
    pub fn flush(&mut self, ledger: &mut Ledger, file: FileIndex) {
        for (rule, n) in std::mem::take(&mut self.rules) {
            ledger.add(file, EntryKind::Rule, rule, n);
        }
    }

    /// The count for one rule.
    pub fn get(&self, rule: &str) -> u64 {
        self.rules.get(rule).copied().unwrap_or(0)
    }

    /// Per-column tallies.
    pub fn columns(&self) -> &BTreeMap<Column, ColumnTally> {
        &self.columns
    }

    /// A column every one of whose non-empty values was of the wrong type, if any.
    pub fn wrong_type_throughout(&self) -> Option<(Column, &ColumnTally)> {
        self.columns
            .iter()
            .find(|(_, t)| t.seen > 0 && t.bad == t.seen)
            .map(|(c, t)| (*c, t))
    }
}

/// Whether a text is one of the spellings extracts use for "no value".
pub fn is_missing_marker(s: &str) -> bool {
    matches!(s, "" | "NA" | "N/A" | "NULL" | "null" | "NaN" | "na" | ".")
}

fn text(raw: Raw<'_>) -> Option<Cow<'_, str>> {
    match raw {
        Raw::Text(s) => {
            let t = s.trim();
            (!is_missing_marker(t)).then_some(Cow::Borrowed(t))
        }
        Raw::Int(i) => Some(Cow::Owned(i.to_string())),
        Raw::Float(f) if f.is_finite() => Some(Cow::Owned(if f.fract() == 0.0 {
            format!("{f:.0}")
        } else {
            f.to_string()
        })),
        Raw::Null | Raw::Float(_) => None,
        Raw::Days(d) => Date::from_days(d).map(|d| Cow::Owned(d.to_string())),
        Raw::Bool(b) => Some(Cow::Borrowed(if b { "1" } else { "0" })),
    }
}

fn int(raw: Raw<'_>) -> Option<Result<i64, ()>> {
    match raw {
        Raw::Null => None,
        Raw::Int(i) => Some(Ok(i)),
        Raw::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(Ok(f as i64)),
        Raw::Float(f) if f.is_nan() => None,
        Raw::Float(_) | Raw::Days(_) => Some(Err(())),
        Raw::Bool(b) => Some(Ok(i64::from(b))),
        Raw::Text(_) => {
            let t = text(raw)?;
            let t = t.strip_suffix(".0").unwrap_or(&t);
            Some(t.parse::<i64>().map_err(|_| ()))
        }
    }
}

/// Reads a date value: missing stays missing, unreadable and pre-1930 dates become
/// missing and are counted.
pub fn date(raw: Raw<'_>, column: Column, counts: &mut RuleCounts) -> Option<Date> {
    let d = if let Raw::Days(d) = raw {
        counts.seen(column);
        Date::from_days(d)
    } else {
        let t = text(raw)?;
        counts.seen(column);
        let parsed = Date::parse(&t);
        if parsed.is_none() {
            counts.hit(rule::DATE_UNREADABLE);
            counts.bad(column, raw);
            return None;
        }
        parsed
    };
    match d {
        Some(d) if d < earliest_plausible_date() => {
            counts.hit(rule::DATE_BEFORE_1930);
            None
        }
        None => {
            counts.hit(rule::DATE_UNREADABLE);
            None
        }
        d => d,
    }
}

/// Reads `ReferralNFA`: 1/0, true/false, Y/N, yes/no (any case); anything else missing.
pub fn nfa(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<bool> {
    let t = text(raw)?;
    counts.seen(Column::ReferralNfa);
    match t.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "y" | "yes" => Some(true),
        "0" | "false" | "f" | "n" | "no" => Some(false),
        _ => {
            counts.hit(rule::NFA_UNREADABLE);
            counts.bad(Column::ReferralNfa, raw);
            None
        }
    }
}

/// Reads `ReasonForClosure` to 1..=9 for `RC1`..`RC9`; 0 stands for a value Jay's
/// strict rules keep that is no `RC` code (it is not `RC8`, so counts as CIN).
pub fn reason_for_closure(
    raw: Raw<'_>,
    spelling: ReasonSpelling,
    counts: &mut RuleCounts,
) -> Option<u8> {
    let original = match raw {
        Raw::Text("") => return None,
        Raw::Text(s) => Cow::Borrowed(s),
        _ => text(raw)?,
    };
    let rc_digit = |s: &str| -> Option<u8> {
        let d = s.strip_prefix("RC")?;
        (d.len() == 1)
            .then(|| d.parse::<u8>().ok())
            .flatten()
            .filter(|d| *d >= 1)
    };
    match spelling {
        ReasonSpelling::Tolerant => {
            let clean: String = original
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            if clean.is_empty() || is_missing_marker(&clean) {
                return None;
            }
            if matches!(clean.as_str(), "NFA" | "NO" | "NON" | "NONE") {
                counts.hit(rule::REASON_LEGACY_RC8);
                return Some(8);
            }
            if clean != *original {
                counts.hit(rule::REASON_RESPELLED);
            }
            let code = rc_digit(&clean);
            if code.is_none() {
                counts.hit(rule::REASON_UNKNOWN);
            }
            code
        }
        ReasonSpelling::Jay2025Strict => {
            if matches!(&*original, "NFA" | "No" | "NON" | "NONE") {
                counts.hit(rule::REASON_LEGACY_RC8);
                return Some(8);
            }
            if !original.starts_with(['R', 'r']) {
                counts.hit(rule::REASON_UNKNOWN);
                return None;
            }
            let clean: String = original
                .to_ascii_uppercase()
                .chars()
                .filter(|c| *c != ' ')
                .collect();
            if clean != *original {
                counts.hit(rule::REASON_RESPELLED);
            }
            Some(rc_digit(&clean).unwrap_or(0))
        }
    }
}

/// Reads `Ethnicity` to a DfE code.
pub fn ethnicity(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<Ethnicity> {
    let t = text(raw)?;
    let clean = t.to_ascii_uppercase();
    if clean != *t {
        counts.hit(rule::ETHNICITY_RESPELLED);
    }
    if matches!(clean.as_str(), "REFU" | "NOBT" | "REFUSED" | "NOT OBTAINED") {
        counts.hit(rule::ETHNICITY_NOT_GIVEN);
        return None;
    }
    if clean.starts_with("WBR") && clean != "WBRI" {
        counts.hit(rule::ETHNICITY_WBR_LEGACY);
        return Ethnicity::from_code("WBRI");
    }
    let e = Ethnicity::from_code(&clean);
    if e.is_none() {
        counts.hit(rule::ETHNICITY_UNKNOWN);
    }
    e
}

/// Reads `Gender`: 1 male, 2 female; 0 and 9 missing.
pub fn sex(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<Sex> {
    if let Raw::Text(s) = raw {
        match s.trim().to_ascii_uppercase().as_str() {
            "M" | "MALE" => return Some(Sex::Male),
            "F" | "FEMALE" => return Some(Sex::Female),
            _ => {}
        }
    }
    let v = int(raw)?;
    counts.seen(Column::Gender);
    match v {
        Ok(c @ (1 | 2)) => Sex::from_code(c),
        Ok(0 | 9) => {
            counts.hit(rule::GENDER_NOT_KNOWN);
            None
        }
        Ok(_) => {
            counts.hit(rule::GENDER_INVALID);
            None
        }
        Err(()) => {
            counts.hit(rule::GENDER_INVALID);
            counts.bad(Column::Gender, raw);
            None
        }
    }
}

/// Reads `PrimaryNeedCode` to 0..=9.
pub fn primary_need(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<u8> {
    let t = text(raw)?.to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() == 2 && b[1].is_ascii_digit() {
        let d = b[1] - b'0';
        match b[0] {
            b'N' => return Some(d),
            b'A' if (2..=5).contains(&d) => {
                counts.hit(rule::PRIMARY_NEED_LEGACY);
                return Some(d);
            }
            _ => {}
        }
    }
    counts.hit(rule::PRIMARY_NEED_UNKNOWN);
    None
}

fn bounded_int(
    raw: Raw<'_>,
    column: Column,
    range: std::ops::RangeInclusive<i64>,
    rule: &'static str,
    counts: &mut RuleCounts,
) -> Option<i64> {
    let v = int(raw)?;
    counts.seen(column);
    match v {
        Ok(v) if range.contains(&v) => Some(v),
        Ok(_) => {
            counts.hit(rule);
            None
        }
        Err(()) => {
            counts.hit(rule);
            counts.bad(column, raw);
            None
        }
    }
}

fn identifier(raw: Raw<'_>) -> Option<String> {
    text(raw).map(Cow::into_owned)
}

/// Reads one row through `get`; `Err` holds the quarantine reason and detail.
pub fn row<'a>(
    get: impl Fn(Column) -> Raw<'a>,
    file: FileIndex,
    source_row: u32,
    rules: &CleaningRules,
    counts: &mut RuleCounts,
) -> Result<EpisodeRow, (&'static str, String)> {
    let acadyr = get(Column::AcadYr);
    let census_year = text(acadyr)
        .and_then(|t| CensusYear::parse(&t))
        .ok_or_else(|| {
            (
                quarantine::CENSUS_YEAR_UNREADABLE,
                format!("ACADYR = {:?}", text(acadyr).unwrap_or_default()),
            )
        })?;
    let mut r = EpisodeRow::empty(file, source_row, census_year);
    r.la_child_id = identifier(get(Column::LaChildId));
    r.pmr = identifier(get(Column::Pmr));
    if r.la_child_id.is_none() && r.pmr.is_none() {
        return Err((
            quarantine::NO_IDENTIFIER,
            "both LAchildID_Anon and PupilMatchingRefAnonymous are empty".to_owned(),
        ));
    }
    r.la = bounded_int(
        get(Column::La),
        Column::La,
        100..=999,
        rule::LA_INVALID,
        counts,
    )
    .map(|v| v as u16);
    if r.la.is_none() && !matches!(get(Column::LaFallback), Raw::Null) {
        r.la = bounded_int(
            get(Column::LaFallback),
            Column::LaFallback,
            100..=999,
            rule::LA_INVALID,
            counts,
        )
        .map(|v| v as u16);
        if r.la.is_some() {
            counts.hit(rule::LA_FROM_FALLBACK);
        }
    }
    r.sex = sex(get(Column::Gender), counts);
    r.ethnicity = ethnicity(get(Column::Ethnicity), counts);
    r.birth_month = bounded_int(
        get(Column::MonthOfBirth),
        Column::MonthOfBirth,
        1..=12,
        rule::BIRTH_MONTH_INVALID,
        counts,
    )
    .map(|v| v as u8);
    r.birth_year = bounded_int(
        get(Column::YearOfBirth),
        Column::YearOfBirth,
        1900..=2100,
        rule::BIRTH_YEAR_INVALID,
        counts,
    )
    .map(|v| v as i16);
    r.expected_dob = date(get(Column::ExpectedDob), Column::ExpectedDob, counts);
    r.referral = date(get(Column::ReferralDate), Column::ReferralDate, counts);
    if r.referral.is_none() {
        r.referral = date(
            get(Column::LatestReferralDate),
            Column::LatestReferralDate,
            counts,
        );
        if r.referral.is_some() {
            counts.hit(rule::REFERRAL_FROM_LATEST);
        }
    }
    r.closure = date(get(Column::ClosureDate), Column::ClosureDate, counts);
    if r.closure.is_none() {
        r.closure = date(
            get(Column::LatestClosureDate),
            Column::LatestClosureDate,
            counts,
        );
        if r.closure.is_some() {
            counts.hit(rule::CLOSURE_FROM_LATEST);
        }
    }
    r.nfa = nfa(get(Column::ReferralNfa), counts);
    r.reason_for_closure =
        reason_for_closure(get(Column::ReasonForClosure), rules.reason_spelling, counts);
    r.primary_need = primary_need(get(Column::PrimaryNeed), counts);
    r.assessment_start = date(
        get(Column::AssessmentStart),
        Column::AssessmentStart,
        counts,
    );
    r.s47_start = date(get(Column::Section47Start), Column::Section47Start, counts);
    r.initial_cpc = date(get(Column::InitialCpc), Column::InitialCpc, counts);
    r.cpp_start = date(get(Column::CppStart), Column::CppStart, counts);
    r.cpp_end = date(get(Column::CppEnd), Column::CppEnd, counts);
    r.idaci_decile = bounded_int(
        get(Column::IdaciDecile),
        Column::IdaciDecile,
        1..=10,
        rule::IDACI_INVALID,
        counts,
    )
    .map(|v| v as u8);
    Ok(r)
}

/// The rules that need the whole extract, applied once every file is read, in Jay et
/// al.'s order: dates after `data_end` → missing; rows referred before the data start
/// excluded; missing referral → 1 September of the census year; closure before
/// referral → closure = referral. Counts go to `ledger` per file.
pub fn finish(episodes: &mut Episodes, ledger: &mut Ledger, rules: &CleaningRules, data_end: Date) {
    let n = episodes.len();
    let nfiles = ledger.files().len();
    let mut counts: Vec<RuleCounts> = vec![RuleCounts::default(); nfiles];
    let after_end = |d: &mut Option<Date>, c: &mut RuleCounts| {
        if d.is_some_and(|d| d > data_end) {
            *d = None;
            c.hit(rule::DATE_AFTER_DATA_END);
        }
    };
    let mut keep = vec![true; n];
    let mut excluded: Vec<BTreeMap<&'static str, u64>> = vec![BTreeMap::new(); nfiles];
    for i in 0..n {
        let f = usize::from(episodes.file[i]);
        let c = &mut counts[f];
        after_end(&mut episodes.referral[i], c);
        after_end(&mut episodes.closure[i], c);
        if rules.clean_all_dates_after_data_end {
            after_end(&mut episodes.cpp_start[i], c);
            after_end(&mut episodes.cpp_end[i], c);
            after_end(&mut episodes.s47_start[i], c);
            after_end(&mut episodes.initial_cpc[i], c);
            after_end(&mut episodes.assessment_start[i], c);
        }
        if episodes.referral[i].is_some_and(|d| d < rules.data_start) {
            keep[i] = false;
            *excluded[f]
                .entry(exclude::REFERRAL_BEFORE_DATA_START)
                .or_insert(0) += 1;
            continue;
        }
        if rules.drop_closure_before_data_start
            && episodes.closure[i].is_some_and(|d| d < rules.data_start)
        {
            keep[i] = false;
            *excluded[f]
                .entry(exclude::CLOSURE_BEFORE_DATA_START)
                .or_insert(0) += 1;
            continue;
        }
        if episodes.referral[i].is_none() {
            episodes.referral[i] = Some(episodes.census_year[i].first_september());
            episodes.referral_imputed[i] = true;
            c.hit(rule::REFERRAL_IMPUTED);
        }
        if let (Some(r), Some(cl)) = (episodes.referral[i], episodes.closure[i])
            && cl < r
        {
            episodes.closure[i] = Some(r);
            c.hit(rule::CLOSURE_BEFORE_REFERRAL);
        }
    }
    for (f, mut c) in counts.into_iter().enumerate() {
        c.flush(ledger, f as FileIndex);
    }
    for (f, reasons) in excluded.into_iter().enumerate() {
        for (reason, k) in reasons {
            ledger.add(f as FileIndex, EntryKind::Excluded, reason, k);
        }
    }
    episodes.retain_rows(&keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str, spelling: ReasonSpelling) -> Option<u8> {
        reason_for_closure(Raw::Text(s), spelling, &mut RuleCounts::default())
    }

    #[test]
    fn reason_for_closure_tolerant() {
        use ReasonSpelling::Tolerant as T;
        for (s, want) in [
            ("RC8", Some(8)),
            (" RC8", Some(8)),
            ("rc 8", Some(8)),
            ("r c 8", Some(8)),
            ("NFA", Some(8)),
            ("nfa", Some(8)),
            ("No", Some(8)),
            ("NO", Some(8)),
            ("NONE", Some(8)),
            ("RC2", Some(2)),
            ("RC10", None),
            ("X", None),
            ("", None),
        ] {
            assert_eq!(rc(s, T), want, "{s:?}");
        }
    }

    #[test]
    fn reason_for_closure_as_jay_code() {
        use ReasonSpelling::Jay2025Strict as J;
        for (s, want) in [
            ("RC8", Some(8)),
            (" RC8", None),
            ("rc 8", Some(8)),
            ("r c 8", Some(8)),
            ("NFA", Some(8)),
            ("nfa", None),
            ("No", Some(8)),
            ("NO", None),
            ("NON", Some(8)),
            ("RC2", Some(2)),
            ("RX", Some(0)),
        ] {
            assert_eq!(rc(s, J), want, "{s:?}");
        }
    }

    #[test]
    fn nfa_spellings() {
        let mut c = RuleCounts::default();
        for (s, want) in [
            ("1", Some(true)),
            ("N", Some(false)),
            ("true", Some(true)),
            ("", None),
        ] {
            assert_eq!(nfa(Raw::Text(s), &mut c), want, "{s}");
        }
        assert_eq!(nfa(Raw::Text("maybe"), &mut c), None);
        assert_eq!(c.get(rule::NFA_UNREADABLE), 1);
        assert_eq!(nfa(Raw::Bool(true), &mut c), Some(true));
        assert_eq!(nfa(Raw::Int(0), &mut c), Some(false));
    }

    #[test]
    fn ethnicity_gender_need() {
        let mut c = RuleCounts::default();
        assert_eq!(
            ethnicity(Raw::Text(" wbri"), &mut c).unwrap().code(),
            "WBRI"
        );
        assert_eq!(ethnicity(Raw::Text("WBRT"), &mut c).unwrap().code(), "WBRI");
        assert_eq!(ethnicity(Raw::Text("REFU"), &mut c), None);
        assert_eq!(ethnicity(Raw::Text("ZZZZ"), &mut c), None);
        assert_eq!(c.get(rule::ETHNICITY_UNKNOWN), 1);
        assert_eq!(sex(Raw::Text("9"), &mut c), None);
        assert_eq!(sex(Raw::Int(2), &mut c), Some(Sex::Female));
        assert_eq!(sex(Raw::Text("7"), &mut c), None);
        assert_eq!(c.get(rule::GENDER_NOT_KNOWN), 1);
        assert_eq!(c.get(rule::GENDER_INVALID), 1);
        assert_eq!(primary_need(Raw::Text("A3"), &mut c), Some(3));
        assert_eq!(primary_need(Raw::Text("n7"), &mut c), Some(7));
        assert_eq!(primary_need(Raw::Text("A7"), &mut c), None);
    }

    #[test]
    fn dates_before_1930_and_garbage_are_missing() {
        let mut c = RuleCounts::default();
        assert_eq!(
            date(Raw::Text("1929-12-31"), Column::ReferralDate, &mut c),
            None
        );
        assert_eq!(
            date(Raw::Text("31/12/1929"), Column::ReferralDate, &mut c),
            None
        );
        assert_eq!(date(Raw::Text("soon"), Column::ReferralDate, &mut c), None);
        assert_eq!(date(Raw::Text("NULL"), Column::ReferralDate, &mut c), None);
        assert_eq!(date(Raw::Text(""), Column::ReferralDate, &mut c), None);
        assert_eq!(date(Raw::Days(-20_000), Column::ReferralDate, &mut c), None);
        assert_eq!(c.get(rule::DATE_BEFORE_1930), 3);
        assert_eq!(c.get(rule::DATE_UNREADABLE), 1);
        assert_eq!(
            date(Raw::Text("1930-01-01"), Column::ReferralDate, &mut c),
            Some(Date::ymd(1930, 1, 1))
        );
    }
}
