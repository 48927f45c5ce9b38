//! The names of the cleaning rules, quarantine reasons and exclusions, as the ledger and
//! `docs/methods.md` §1 spell them.

macro_rules! named {
    ($(#[$enum_doc:meta])* $enum:ident { $( $(#[$doc:meta])* $variant:ident => $name:literal ),* $(,)? }) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $enum {
            $( $(#[$doc])* $variant, )*
        }

        impl $enum {
            /// Every value, in ledger order.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];
            /// How many there are.
            pub const COUNT: usize = $enum::ALL.len();

            /// The name in the ledger.
            pub fn name(self) -> &'static str {
                match self { $($enum::$variant => $name,)* }
            }

            /// Position in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named! {
    /// A cleaning rule that changes a value and leaves the row where it is. Each is
    /// counted per file in the ledger as `rule:<name>`.
    Rule {
        /// A date that was neither `YYYY-MM-DD` nor `DD/MM/YYYY` became missing.
        DateUnreadable => "date_unreadable",
        /// A date before 1930-01-01 became missing.
        DateBefore1930 => "date_before_1930",
        /// A date after the end of the last census year became missing.
        DateAfterDataEnd => "date_after_data_end",
        /// A missing referral date was taken from `LatestReferralDate`.
        ReferralFromLatest => "referral_from_latest",
        /// A missing closure date was taken from `LatestClosureDate`.
        ClosureFromLatest => "closure_from_latest",
        /// A missing referral date became 1 September of the census year (flagged).
        ReferralImputed => "referral_imputed_1_september",
        /// A closure date before the referral date became the referral date (flagged).
        ClosureBeforeReferral => "closure_before_referral",
        /// `ReferralNFA` spelled Y/N, yes/no or true/false was read as 1/0.
        NfaRespelled => "nfa_respelled",
        /// `ReferralNFA` held no yes/no spelling; it became missing.
        NfaUnreadable => "nfa_unreadable",
        /// `ReferralNFA` missing: the referral counts as assessed (NFA = 0).
        NfaMissingAsAssessed => "nfa_missing_as_assessed",
        /// `NFA`, `NO`, `NON`, `NONE` (any case, spacing) read as `RC8`.
        ReasonLegacyRc8 => "reason_legacy_rc8",
        /// A reason for closure that needed trimming, upper-casing or despacing.
        ReasonRespelled => "reason_respelled",
        /// A reason for closure that is not `RC1`-`RC9` became missing.
        ReasonUnknown => "reason_unknown",
        /// An ethnicity code that needed trimming or upper-casing.
        EthnicityRespelled => "ethnicity_respelled",
        /// A legacy `WBR*` spelling read as `WBRI`.
        EthnicityWbrLegacy => "ethnicity_wbr_legacy",
        /// Refused or not obtained (`REFU`, `NOBT`, ...) became missing.
        EthnicityNotGiven => "ethnicity_not_given",
        /// An ethnicity that is no DfE code became missing.
        EthnicityUnknown => "ethnicity_unknown",
        /// Gender spelled `M`/`F`/`male`/`female` read as 1/2.
        GenderRespelled => "gender_respelled",
        /// Gender 0 (not known) or 9 (not specified) became missing.
        GenderNotKnown => "gender_not_known",
        /// A gender that is not 0, 1, 2 or 9 became missing.
        GenderInvalid => "gender_invalid",
        /// A primary need that needed trimming, upper-casing or despacing.
        PrimaryNeedRespelled => "primary_need_respelled",
        /// A legacy primary need `A2`-`A5` read as `N2`-`N5`.
        PrimaryNeedLegacy => "primary_need_legacy",
        /// `N0` (not stated) became missing.
        PrimaryNeedNotStated => "primary_need_not_stated",
        /// A primary need that is not `N1`-`N9` became missing.
        PrimaryNeedUnknown => "primary_need_unknown",
        /// A month of birth outside 1-12 became missing.
        BirthMonthInvalid => "birth_month_invalid",
        /// A year of birth outside 1900-2100 became missing.
        BirthYearInvalid => "birth_year_invalid",
        /// `LA` was empty or invalid and `CIN_CIN_LA` was used.
        LaFromFallback => "la_from_fallback",
        /// An LA code that is not a number 100-999 became missing.
        LaInvalid => "la_invalid",
        /// A row with an LA child ID but no LA (`LA` and `CIN_CIN_LA` empty or invalid):
        /// the ID, unique only within its LA, became missing, so the row is keyed by its
        /// PMR alone and never joins a child of another LA who happens to hold the same
        /// ID. Counted for rows kept: a row with no PMR either is quarantined
        /// (`no_identifier`) and counted there only.
        LaChildIdWithoutLa => "la_child_id_without_la",
        /// An IDACI decile outside 1-10 became missing.
        IdaciInvalid => "idaci_invalid",
        /// A missing IDACI decile was taken from the LSOA lookup.
        IdaciFromLsoa => "idaci_from_lsoa",
        /// An LSOA not in the lookup left the IDACI decile missing.
        LsoaNotInLookup => "lsoa_not_in_lookup",
        /// A CSV line held bytes that are not UTF-8: its text fields were read with
        /// replacement characters (identifiers as bytes, `identifier_read_as_bytes`).
        TextNotUtf8 => "text_not_utf8",
        /// An identifier that is not valid UTF-8 was read as its bytes (`0x` + hex).
        IdentifierAsBytes => "identifier_read_as_bytes",
    }
}

named! {
    /// Why a row could not be used at all; it goes to `quarantine.csv`.
    Quarantine {
        /// `ACADYR` missing or not a census year.
        CensusYearUnreadable => "census_year_unreadable",
        /// Neither an LA child ID nor a PMR: the row cannot belong to any child.
        NoIdentifier => "no_identifier",
        /// A CSV line with a different number of fields from the header.
        WrongFieldCount => "wrong_field_count",
        /// A CSV line with a quoted field not closed before the end of the line (NPD
        /// extracts have no line breaks inside fields, so the line cannot be read).
        UnclosedQuote => "unclosed_quote",
        /// An empty line in a CSV file: counted as read, holding no row.
        BlankLine => "blank_line",
    }
}

named! {
    /// Why a usable row was left out by design (not a data fault).
    Exclusion {
        /// Referral before the study's data start (default 2008-04-01).
        ReferralBeforeDataStart => "referral_before_data_start",
        /// Closure before the data start although the referral is later (Jay strict only).
        ClosureBeforeDataStart => "closure_before_data_start",
        /// A census year outside the census years the study states (`--census-years`).
        CensusYearOutsideWindow => "census_year_outside_window",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.extend(Quarantine::ALL.iter().map(|q| q.name()));
        names.extend(Exclusion::ALL.iter().map(|e| e.name()));
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for name in names {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
