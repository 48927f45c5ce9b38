//! Readers for single values: each turns what a file holds into a typed value or
//! missing, and counts what it changed.

use super::counts::RuleCounts;
use super::rule::Rule;
use super::{Raw, ReasonSpelling};
use crate::date::{Date, SlashOrder};
use crate::schema::Column;
use crate::types::{CensusYear, Ethnicity, Sex};
use std::borrow::Cow;

/// The earliest date cumin believes (earlier ones are typing errors).
pub fn earliest_plausible_date() -> Date {
    Date::ymd(1930, 1, 1)
}

/// Whether a text is one of the spellings extracts use for "no value".
pub fn is_missing_marker(s: &str) -> bool {
    matches!(s, "" | "NA" | "N/A" | "NULL" | "null" | "NaN" | "na" | ".")
}

/// The trimmed text of a value; `None` when missing. Non-text values are spelled as a
/// CSV would hold them.
pub fn text(raw: Raw<'_>) -> Option<Cow<'_, str>> {
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
        Raw::Bytes(b) => {
            let lossy = String::from_utf8_lossy(b);
            let t = lossy.trim();
            (!is_missing_marker(t)).then(|| Cow::Owned(t.to_owned()))
        }
    }
}

/// An integer value: `None` when missing, `Err` when present but not a whole number.
fn int(raw: Raw<'_>) -> Option<Result<i64, ()>> {
    match raw {
        Raw::Null => None,
        Raw::Int(i) => Some(Ok(i)),
        Raw::Float(f) if f.is_nan() => None,
        Raw::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => Some(Ok(f as i64)),
        Raw::Float(_) | Raw::Days(_) => Some(Err(())),
        Raw::Bool(b) => Some(Ok(i64::from(b))),
        Raw::Text(_) | Raw::Bytes(_) => {
            let t = text(raw)?;
            Some(whole_number(&t).ok_or(()))
        }
    }
}

/// A whole number written as text (already trimmed): digits, or digits and `.0`, as R and
/// pandas write an integer held in a float column (`3.0`, `2013.0`); `3.5` is not one.
/// Shared with readers of other inputs (the denominators) so both read numbers alike.
pub fn whole_number(t: &str) -> Option<i64> {
    t.strip_suffix(".0").unwrap_or(t).parse().ok()
}

/// Reads `ACADYR`; counted so that a column holding no census year at all is an error
/// rather than a file of quarantined rows.
pub fn census_year(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<CensusYear> {
    let t = text(raw)?;
    counts.seen(Column::AcadYr);
    let year = CensusYear::parse(&t);
    if year.is_none() {
        counts.bad(Column::AcadYr, raw);
    }
    year
}

/// Reads a date: missing stays missing; unreadable and pre-1930 dates become missing
/// and are counted.
pub fn date(raw: Raw<'_>, column: Column, counts: &mut RuleCounts) -> Option<Date> {
    let parsed = if let Raw::Days(d) = raw {
        counts.seen(column);
        Date::from_days(d)
    } else {
        let t = text(raw)?;
        counts.seen(column);
        // The order of slashed dates is told per column from the values that allow only
        // one (`read` refuses a column that has month-first ones).
        if t.as_bytes().get(4) != Some(&b'-')
            && let Some(order) = SlashOrder::of(&t)
        {
            counts.slash(column, order, &t);
        }
        let parsed = Date::parse(&t);
        if parsed.is_none() {
            counts.bad(column, raw);
        }
        parsed
    };
    match parsed {
        Some(d) if d < earliest_plausible_date() => {
            counts.hit(Rule::DateBefore1930);
            None
        }
        None => {
            counts.hit(Rule::DateUnreadable);
            counts.unreadable_date(column, raw);
            None
        }
        d => d,
    }
}

/// Reads `ReferralNFA`: 1/0, true/false, Y/N, yes/no (any case); anything else missing.
pub fn nfa(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<bool> {
    if let Raw::Bool(b) = raw {
        counts.seen(Column::ReferralNfa);
        return Some(b);
    }
    let t = text(raw)?;
    counts.seen(Column::ReferralNfa);
    match &*t {
        "1" => return Some(true),
        "0" => return Some(false),
        _ => {}
    }
    let read = match t.to_ascii_lowercase().as_str() {
        "1.0" | "true" | "t" | "y" | "yes" => Some(true),
        "0.0" | "false" | "f" | "n" | "no" => Some(false),
        _ => None,
    };
    if read.is_some() {
        counts.hit(Rule::NfaRespelled);
    } else {
        counts.hit(Rule::NfaUnreadable);
        counts.bad(Column::ReferralNfa, raw);
    }
    read
}

/// `RCn` → n for n in 1..=9.
fn rc_digit(s: &str) -> Option<u8> {
    match s.as_bytes() {
        [b'R', b'C', d @ b'1'..=b'9'] => Some(d - b'0'),
        _ => None,
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
    if let Some(code) = rc_digit(&original) {
        counts.seen(Column::ReasonForClosure);
        return Some(code);
    }
    match spelling {
        ReasonSpelling::Tolerant => {
            let clean: String = original
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            if is_missing_marker(&clean) {
                return None;
            }
            counts.seen(Column::ReasonForClosure);
            if matches!(clean.as_str(), "NFA" | "NO" | "NON" | "NONE") {
                counts.hit(Rule::ReasonLegacyRc8);
                return Some(8);
            }
            let code = rc_digit(&clean);
            if code.is_some() {
                counts.hit(Rule::ReasonRespelled);
            } else {
                counts.hit(Rule::ReasonUnknown);
                counts.bad(Column::ReasonForClosure, raw);
            }
            code
        }
        ReasonSpelling::Jay2025Strict => {
            counts.seen(Column::ReasonForClosure);
            if matches!(&*original, "NFA" | "No" | "NON" | "NONE") {
                counts.hit(Rule::ReasonLegacyRc8);
                return Some(8);
            }
            if !original.starts_with(['R', 'r']) {
                counts.hit(Rule::ReasonUnknown);
                return None;
            }
            let clean: String = original
                .to_ascii_uppercase()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            counts.hit(Rule::ReasonRespelled);
            Some(rc_digit(&clean).unwrap_or(0))
        }
    }
}

/// Reads `Ethnicity` to a DfE code.
pub fn ethnicity(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<Ethnicity> {
    let t = text(raw)?;
    if let Some(e) = Ethnicity::from_code(&t) {
        counts.seen(Column::Ethnicity);
        return Some(e);
    }
    let clean = t.to_ascii_uppercase();
    if matches!(
        clean.as_str(),
        "REFU" | "NOBT" | "REFUSED" | "NOT" | "NOT OBTAINED" | "NOT KNOWN"
    ) {
        counts.hit(Rule::EthnicityNotGiven);
        return None;
    }
    counts.seen(Column::Ethnicity);
    if let Some(e) = Ethnicity::from_code(&clean) {
        counts.hit(Rule::EthnicityRespelled);
        return Some(e);
    }
    if clean.starts_with("WBR") {
        counts.hit(Rule::EthnicityWbrLegacy);
        return Ethnicity::from_code("WBRI");
    }
    counts.hit(Rule::EthnicityUnknown);
    counts.bad(Column::Ethnicity, raw);
    None
}

/// Reads `Gender`: 1 male, 2 female; 0 and 9 missing.
pub fn sex(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<Sex> {
    if let Raw::Text(s) = raw {
        let letter = match s.trim().to_ascii_uppercase().as_str() {
            "M" | "MALE" => Some(Sex::Male),
            "F" | "FEMALE" => Some(Sex::Female),
            _ => None,
        };
        if letter.is_some() {
            counts.seen(Column::Gender);
            counts.hit(Rule::GenderRespelled);
            return letter;
        }
    }
    let v = int(raw)?;
    counts.seen(Column::Gender);
    match v {
        Ok(c @ (1 | 2)) => Sex::from_code(c),
        Ok(0 | 9) => {
            counts.hit(Rule::GenderNotKnown);
            None
        }
        Ok(_) => {
            counts.hit(Rule::GenderInvalid);
            None
        }
        Err(()) => {
            counts.hit(Rule::GenderInvalid);
            counts.bad(Column::Gender, raw);
            None
        }
    }
}

/// Reads `PrimaryNeedCode` to 1..=9 (`N0`, not stated, is missing).
pub fn primary_need(raw: Raw<'_>, counts: &mut RuleCounts) -> Option<u8> {
    let t = text(raw)?;
    counts.seen(Column::PrimaryNeed);
    let (clean, respelled) = match t.as_bytes() {
        [b'N', d] if d.is_ascii_digit() => ([b'N', *d], false),
        _ => {
            let squeezed: Vec<u8> = t
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .map(|b| b.to_ascii_uppercase())
                .collect();
            match squeezed.as_slice() {
                [l, d] if d.is_ascii_digit() => ([*l, *d], true),
                _ => {
                    counts.hit(Rule::PrimaryNeedUnknown);
                    counts.bad(Column::PrimaryNeed, raw);
                    return None;
                }
            }
        }
    };
    let d = clean[1] - b'0';
    let need = match (clean[0], d) {
        (b'N', 0) => {
            counts.hit(Rule::PrimaryNeedNotStated);
            return None;
        }
        (b'N', d) => d,
        (b'A', 2..=5) => {
            counts.hit(Rule::PrimaryNeedLegacy);
            return Some(d);
        }
        _ => {
            counts.hit(Rule::PrimaryNeedUnknown);
            counts.bad(Column::PrimaryNeed, raw);
            return None;
        }
    };
    if respelled {
        counts.hit(Rule::PrimaryNeedRespelled);
    }
    Some(need)
}

/// Reads a whole number that must lie in `range`; anything else becomes missing under
/// `rule`. A number outside the range counts as a bad value of the column, as text does:
/// a column holding no value in range at all is wrong throughout (e.g. a year of birth
/// of 2^62 in every row), which stops the run when the column is required.
pub fn bounded_int(
    raw: Raw<'_>,
    column: Column,
    range: std::ops::RangeInclusive<i64>,
    rule: Rule,
    counts: &mut RuleCounts,
) -> Option<i64> {
    let v = int(raw)?;
    counts.seen(column);
    match v {
        Ok(v) if range.contains(&v) => Some(v),
        Ok(_) | Err(()) => {
            counts.hit(rule);
            counts.bad(column, raw);
            None
        }
    }
}

/// An identifier as written, trimmed; `None` when missing. Borrows from the batch.
///
/// An identifier that is not valid UTF-8 (a Parquet binary column, a CSV field with
/// stray bytes) is read as its bytes, written `0x` and two hex digits a byte, and counted
/// under [`Rule::IdentifierAsBytes`]: replacement characters would make different
/// identifiers equal, and reading it as missing would lose the row.
pub fn identifier<'a>(raw: Raw<'a>, counts: &mut RuleCounts) -> Option<Cow<'a, str>> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let Raw::Bytes(b) = raw else {
        return text(raw);
    };
    let b = b.trim_ascii();
    if b.is_empty() {
        return None;
    }
    counts.hit(Rule::IdentifierAsBytes);
    let mut hex = String::with_capacity(2 + 2 * b.len());
    hex.push_str("0x");
    for byte in b {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    Some(Cow::Owned(hex))
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
            ("n o n", Some(8)),
            ("NONE", Some(8)),
            ("RC2", Some(2)),
            ("RC0", None),
            ("RC10", None),
            ("X", None),
            ("", None),
            ("NA", None),
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
    fn reason_counts_name_what_changed() {
        let mut c = RuleCounts::default();
        for s in ["RC8", "rc8", "NONE", "XYZ"] {
            reason_for_closure(Raw::Text(s), ReasonSpelling::Tolerant, &mut c);
        }
        assert_eq!(c.get(Rule::ReasonRespelled), 1);
        assert_eq!(c.get(Rule::ReasonLegacyRc8), 1);
        assert_eq!(c.get(Rule::ReasonUnknown), 1);
        assert_eq!(c.column(Column::ReasonForClosure).seen, 4);
        assert_eq!(c.column(Column::ReasonForClosure).bad, 1);
    }

    #[test]
    fn nfa_spellings() {
        let mut c = RuleCounts::default();
        for (s, want) in [
            ("1", Some(true)),
            ("0", Some(false)),
            ("N", Some(false)),
            ("true", Some(true)),
            ("Yes", Some(true)),
            ("", None),
        ] {
            assert_eq!(nfa(Raw::Text(s), &mut c), want, "{s}");
        }
        assert_eq!(c.get(Rule::NfaRespelled), 3);
        assert_eq!(nfa(Raw::Text("maybe"), &mut c), None);
        assert_eq!(c.get(Rule::NfaUnreadable), 1);
        assert_eq!(nfa(Raw::Bool(true), &mut c), Some(true));
        assert_eq!(nfa(Raw::Int(0), &mut c), Some(false));
        assert_eq!(nfa(Raw::Float(1.0), &mut c), Some(true));
    }

    #[test]
    fn ethnicity_spellings() {
        let mut c = RuleCounts::default();
        let code = |s, c: &mut RuleCounts| ethnicity(Raw::Text(s), c).map(Ethnicity::code);
        assert_eq!(code(" wbri", &mut c), Some("WBRI"));
        assert_eq!(code("WBRT", &mut c), Some("WBRI"));
        assert_eq!(code("wbr", &mut c), Some("WBRI"));
        assert_eq!(code("REFU", &mut c), None);
        assert_eq!(code("nobt", &mut c), None);
        assert_eq!(code("ZZZZ", &mut c), None);
        assert_eq!(c.get(Rule::EthnicityRespelled), 1);
        assert_eq!(c.get(Rule::EthnicityWbrLegacy), 2);
        assert_eq!(c.get(Rule::EthnicityNotGiven), 2);
        assert_eq!(c.get(Rule::EthnicityUnknown), 1);
    }

    #[test]
    fn gender_and_primary_need() {
        let mut c = RuleCounts::default();
        assert_eq!(sex(Raw::Text("9"), &mut c), None);
        assert_eq!(sex(Raw::Text("0"), &mut c), None);
        assert_eq!(sex(Raw::Int(2), &mut c), Some(Sex::Female));
        assert_eq!(sex(Raw::Text("m"), &mut c), Some(Sex::Male));
        assert_eq!(sex(Raw::Text("7"), &mut c), None);
        assert_eq!(c.get(Rule::GenderNotKnown), 2);
        assert_eq!(c.get(Rule::GenderInvalid), 1);
        assert_eq!(c.get(Rule::GenderRespelled), 1);
        let mut c = RuleCounts::default();
        assert_eq!(primary_need(Raw::Text("N3"), &mut c), Some(3));
        assert_eq!(primary_need(Raw::Text("A3"), &mut c), Some(3));
        assert_eq!(primary_need(Raw::Text("n 7"), &mut c), Some(7));
        assert_eq!(primary_need(Raw::Text("A7"), &mut c), None);
        assert_eq!(primary_need(Raw::Text("N0"), &mut c), None);
        assert_eq!(primary_need(Raw::Text("unmapped"), &mut c), None);
        assert_eq!(c.get(Rule::PrimaryNeedLegacy), 1);
        assert_eq!(c.get(Rule::PrimaryNeedRespelled), 1);
        assert_eq!(c.get(Rule::PrimaryNeedNotStated), 1);
        assert_eq!(c.get(Rule::PrimaryNeedUnknown), 2);
    }

    #[test]
    fn dates_before_1930_and_garbage_are_missing() {
        let mut c = RuleCounts::default();
        let d = |s, c: &mut RuleCounts| date(Raw::Text(s), Column::ReferralDate, c);
        assert_eq!(d("1929-12-31", &mut c), None);
        assert_eq!(d("31/12/1929", &mut c), None);
        assert_eq!(d("soon", &mut c), None);
        assert_eq!(d("NULL", &mut c), None);
        assert_eq!(d("", &mut c), None);
        assert_eq!(date(Raw::Days(-20_000), Column::ReferralDate, &mut c), None);
        assert_eq!(c.get(Rule::DateBefore1930), 3);
        assert_eq!(c.get(Rule::DateUnreadable), 1);
        assert_eq!(c.column(Column::ReferralDate).bad, 1);
        assert_eq!(d("1930-01-01", &mut c), Some(Date::ymd(1930, 1, 1)));
        assert_eq!(d("01/04/2013", &mut c), Some(Date::ymd(2013, 4, 1)));
    }

    #[test]
    fn integers_from_any_type() {
        let mut c = RuleCounts::default();
        let la =
            |raw, c: &mut RuleCounts| bounded_int(raw, Column::La, 100..=999, Rule::LaInvalid, c);
        assert_eq!(la(Raw::Text("202"), &mut c), Some(202));
        assert_eq!(la(Raw::Text("202.0"), &mut c), Some(202));
        assert_eq!(la(Raw::Float(202.0), &mut c), Some(202));
        assert_eq!(la(Raw::Int(20), &mut c), None);
        assert_eq!(la(Raw::Text("Camden"), &mut c), None);
        assert_eq!(la(Raw::Float(f64::NAN), &mut c), None);
        assert_eq!(c.get(Rule::LaInvalid), 2);
        // Out of range (20) and not a number (Camden) are both bad values of the column.
        assert_eq!(c.column(Column::La).bad, 2);
        assert_eq!(c.column(Column::La).examples, ["20", "Camden"]);
    }
}
