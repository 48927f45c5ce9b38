//! The corrections of the `jay2025` preset: one named rule per ⚠ behaviour of Jay et
//! al.'s published R code (`docs/jay2025-rules.md`, `docs/methods.md`).
//!
//! `jay2025-strict` applies none of them and so reproduces the R code's counts;
//! `jay2025` applies all of them by default; a study's `[jay_rules]` table switches any
//! one on or off (`tolerant_reason_spelling = false`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// One correction of an unintended behaviour of the R code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JayRule {
    /// **R**: the birth-month table is built from the rows that carry an LA child ID; a
    /// row without one (whose key was made from its PMR) is left out, so that key never
    /// gets a birth month and all its rows lose their age.
    /// **Correction**: the birth-month table uses the same keys as the episodes, PMR
    /// stand-ins included.
    BirthMonthWithPmrKey,
    /// **R**: year and month of birth are pasted into text before the mode is taken, so
    /// a half-missing value (`NA-05`, `2012-NA`) is a value like any other, can win the
    /// mode over a complete one, and then yields no birth date.
    /// **Correction**: a birth month with its year or month missing is missing.
    HalfMissingBirthMonth,
    /// **R**: rows whose closure date is before the data start (1 April 2008) are
    /// dropped even when their referral is later (a closure before its referral is a
    /// recording error the code repairs a step later).
    /// **Correction**: only the referral date decides; the closure is repaired.
    KeepClosureBeforeDataStart,
    /// **R**: within an LA child ID, every row's PMR is replaced by the first PMR seen,
    /// overwriting a different PMR a later row carries (and so linking that row to the
    /// wrong child).
    /// **Correction**: only missing PMRs are filled; a row keeps its own.
    PmrFillKeepsOwn,
    /// **R**: `ReferralNFA` and `ReasonForClosure` are made consistent per (child,
    /// referral date) after a missing referral date was imputed as 1 September, so an
    /// imputed row takes the values of an unrelated real referral of that day.
    /// **Correction**: imputed and recorded referral dates are different episodes.
    ImputedReferralSeparate,
    /// **R**: only `NFA`, `No`, `NON`, `NONE` (exactly) are read as `RC8`, and anything
    /// not starting with `R`/`r` becomes missing, so ` RC8`, `NO`, `nfa` count as CIN.
    /// **Correction**: trim, upper-case and drop spaces first, then read `NFA`, `NO`,
    /// `NON`, `NONE` as `RC8` (cumin's own reading).
    TolerantReasonSpelling,
    /// **R**: a child's notional birth date is the minimum over its rows *without*
    /// removing missing values, so one row without a usable birth month (e.g. from
    /// another LA ID linked by PMR) removes the whole child.
    /// **Correction**: the minimum over the rows that have one.
    DobMinIgnoresMissing,
    /// **R**: a child protection plan is dated and aged at its episode's *referral*, so
    /// a plan started after the 18th birthday, or a plan for a child referred before
    /// birth and born by its start, is counted at the referral's age.
    /// **Correction**: the first plan by start date, aged at its start (cumin's own
    /// event date for CPP).
    CppAgeAtPlanStart,
}

impl JayRule {
    /// Every rule, in report order.
    pub const ALL: [JayRule; 8] = [
        JayRule::BirthMonthWithPmrKey,
        JayRule::HalfMissingBirthMonth,
        JayRule::KeepClosureBeforeDataStart,
        JayRule::PmrFillKeepsOwn,
        JayRule::ImputedReferralSeparate,
        JayRule::TolerantReasonSpelling,
        JayRule::DobMinIgnoresMissing,
        JayRule::CppAgeAtPlanStart,
    ];

    /// Name in `[jay_rules]` and `jay_corrections.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            JayRule::BirthMonthWithPmrKey => "birth_month_with_pmr_key",
            JayRule::HalfMissingBirthMonth => "half_missing_birth_month",
            JayRule::KeepClosureBeforeDataStart => "keep_closure_before_data_start",
            JayRule::PmrFillKeepsOwn => "pmr_fill_keeps_own",
            JayRule::ImputedReferralSeparate => "imputed_referral_separate",
            JayRule::TolerantReasonSpelling => "tolerant_reason_spelling",
            JayRule::DobMinIgnoresMissing => "dob_min_ignores_missing",
            JayRule::CppAgeAtPlanStart => "cpp_age_at_plan_start",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<JayRule> {
        JayRule::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

impl fmt::Display for JayRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The corrections in force: empty reproduces the R code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct JayRules(BTreeSet<JayRule>);

impl JayRules {
    /// No correction (`jay2025-strict`).
    pub fn strict() -> JayRules {
        JayRules(BTreeSet::new())
    }

    /// Every correction (`jay2025`).
    pub fn corrected() -> JayRules {
        JayRules(JayRule::ALL.into_iter().collect())
    }

    /// Only `rule`.
    pub fn only(rule: JayRule) -> JayRules {
        JayRules(std::iter::once(rule).collect())
    }

    /// Whether `rule` is in force.
    pub fn has(&self, rule: JayRule) -> bool {
        self.0.contains(&rule)
    }

    /// Switches `rule` on or off.
    pub fn set(&mut self, rule: JayRule, on: bool) {
        if on {
            self.0.insert(rule);
        } else {
            self.0.remove(&rule);
        }
    }

    /// The rules in force, in report order.
    pub fn iter(&self) -> impl Iterator<Item = JayRule> + '_ {
        self.0.iter().copied()
    }

    /// Whether no correction is in force.
    pub fn is_strict(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `[jay_rules]` table of a study: each correction switched on or off over the
/// preset's default (all on for `jay2025`, all off for `jay2025-strict`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JayRuleSwitches {
    /// See [`JayRule::BirthMonthWithPmrKey`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_month_with_pmr_key: Option<bool>,
    /// See [`JayRule::HalfMissingBirthMonth`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_missing_birth_month: Option<bool>,
    /// See [`JayRule::KeepClosureBeforeDataStart`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_closure_before_data_start: Option<bool>,
    /// See [`JayRule::PmrFillKeepsOwn`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmr_fill_keeps_own: Option<bool>,
    /// See [`JayRule::ImputedReferralSeparate`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imputed_referral_separate: Option<bool>,
    /// See [`JayRule::TolerantReasonSpelling`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerant_reason_spelling: Option<bool>,
    /// See [`JayRule::DobMinIgnoresMissing`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob_min_ignores_missing: Option<bool>,
    /// See [`JayRule::CppAgeAtPlanStart`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpp_age_at_plan_start: Option<bool>,
}

impl JayRuleSwitches {
    /// The switch for `rule`, if set.
    pub fn get(&self, rule: JayRule) -> Option<bool> {
        match rule {
            JayRule::BirthMonthWithPmrKey => self.birth_month_with_pmr_key,
            JayRule::HalfMissingBirthMonth => self.half_missing_birth_month,
            JayRule::KeepClosureBeforeDataStart => self.keep_closure_before_data_start,
            JayRule::PmrFillKeepsOwn => self.pmr_fill_keeps_own,
            JayRule::ImputedReferralSeparate => self.imputed_referral_separate,
            JayRule::TolerantReasonSpelling => self.tolerant_reason_spelling,
            JayRule::DobMinIgnoresMissing => self.dob_min_ignores_missing,
            JayRule::CppAgeAtPlanStart => self.cpp_age_at_plan_start,
        }
    }

    /// Whether no switch is set.
    pub fn is_empty(&self) -> bool {
        JayRule::ALL.iter().all(|r| self.get(*r).is_none())
    }

    /// `base` with these switches applied.
    pub fn apply(&self, mut base: JayRules) -> JayRules {
        for r in JayRule::ALL {
            if let Some(on) = self.get(r) {
                base.set(r, on);
            }
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_switches() {
        for r in JayRule::ALL {
            assert_eq!(JayRule::parse(r.as_str()), Some(r));
            let toml = format!("{} = false", r.as_str());
            let s: JayRuleSwitches = toml::from_str(&toml).unwrap();
            assert_eq!(s.get(r), Some(false));
            let rules = s.apply(JayRules::corrected());
            assert!(!rules.has(r));
            assert_eq!(rules.iter().count(), JayRule::ALL.len() - 1);
        }
        assert!(toml::from_str::<JayRuleSwitches>("no_such_rule = true").is_err());
    }

    #[test]
    fn strict_and_corrected() {
        assert!(JayRules::strict().is_strict());
        assert!(JayRule::ALL.iter().all(|r| JayRules::corrected().has(*r)));
        let one = JayRules::only(JayRule::PmrFillKeepsOwn);
        assert!(one.has(JayRule::PmrFillKeepsOwn) && !one.has(JayRule::DobMinIgnoresMissing));
        assert!(JayRuleSwitches::default().is_empty());
    }
}
