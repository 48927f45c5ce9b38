//! The cleaning steps shared between rule sets: the rule-independent ones done once,
//! those reading one or two rules kept per value of those rules, and the children and
//! birth dates staged so that rule sets reading the same rules for them share them
//! ([`crate::engine::evaluate`]).

use super::{
    Fate, JayInput, JayRow, Prepared, age_at, age_order, backfill_pmrs, birth_dates, combined_ids,
    dates_within_data, drop_early_rows, kept_order, key_birth_months, la_keys,
    modal_nfa_and_reason, wiped_birth_dates,
};
use crate::birth_month::Ym;
use crate::rules::{JayRule, JayRules};
use cumin_census::Date;
use std::sync::OnceLock;

/// The steps that do not depend on the rules, done once for every rule set the run
/// evaluates, and the results of the steps that depend on only one or two rules, each
/// kept for the next rule set that needs it.
pub struct Shared<'a> {
    input: &'a JayInput<'a>,
    /// Each row's key (ID + LA), numbered in order of first appearance.
    key: Vec<u32>,
    n_keys: usize,
    /// Referral and closure dates within the data, `Latest*` fall-backs applied.
    referral: Vec<Option<Date>>,
    closure: Vec<Option<Date>>,
    /// Referral dates with missing ones imputed, and which were.
    filled: Vec<Date>,
    imputed: Vec<bool>,
    /// By (birth month with PMR key, half-missing birth month): each key's notional
    /// birth date, the 1st of its birth month.
    birth_months: [OnceLock<Vec<Option<Date>>>; 4],
    /// Every row in the age table's order ([`AgeRow::order`]), for the birth months of
    /// every variant: a variant's age table is a subset, in the same order.
    ///
    /// [`AgeRow::order`]: crate::birth_month::AgeRow::order
    age_order: OnceLock<Vec<u32>>,
    /// Every row in the order of the steps after the early rows leave (key, census
    /// year, referral, closure; missing last), for the rows kept of every variant.
    kept_order: OnceLock<Vec<u32>>,
    /// By keep-closure-before-data-start: the rows kept, in order, and every row's fate.
    kept: [OnceLock<Kept>; 2],
    /// By (keep closure, tolerant reasons, imputed referral separate).
    modes: [OnceLock<(Vec<bool>, Vec<bool>)>; 8],
}

/// The rows kept past the early-row step: in the order the later steps take them (key,
/// census year, referral, closure), in row order, and every row's fate.
struct Kept {
    ordered: Vec<u32>,
    in_row_order: Vec<u32>,
    fate: Vec<Fate>,
}

/// Each kept row's child and whether it is identified by a PMR: what the PMR back-fill
/// and `id_combined` give, read by the rule sets alike in [`Ids::rules`].
pub struct Ids {
    child: Vec<u32>,
    pmr_identified: Vec<bool>,
    n_children: usize,
}

impl Ids {
    /// The rules the children depend on: which rows are kept and how PMRs are filled.
    pub fn rules(rules: &JayRules) -> [bool; 2] {
        [
            rules.has(JayRule::KeepClosureBeforeDataStart),
            rules.has(JayRule::PmrFillKeepsOwn),
        ]
    }
}

/// Each kept row's birth date (the child's) and whether each child's is wiped, read by
/// the rule sets alike in [`Births::rules`] (given their [`Ids`]).
pub struct Births {
    dob: Vec<Option<Date>>,
    wiped: Vec<bool>,
}

impl Births {
    /// The rules the birth dates depend on besides the children's.
    pub fn rules(rules: &JayRules) -> [bool; 3] {
        [
            rules.has(JayRule::BirthMonthWithPmrKey),
            rules.has(JayRule::HalfMissingBirthMonth),
            rules.has(JayRule::DobMinIgnoresMissing),
        ]
    }
}

impl<'a> Shared<'a> {
    /// The rule-independent steps on `input`.
    pub fn new(input: &'a JayInput<'a>) -> Shared<'a> {
        let e = input.episodes;
        let (key, n_keys) = la_keys(e);
        let (referral, closure) = dates_within_data(input);
        // Missing referral dates: 1 September of the census year.
        let imputed: Vec<bool> = referral.iter().map(Option::is_none).collect();
        let filled: Vec<Date> = (0..e.len())
            .map(|i| referral[i].unwrap_or_else(|| e.census_year[i].first_september()))
            .collect();
        Shared {
            input,
            key,
            n_keys,
            referral,
            closure,
            filled,
            imputed,
            birth_months: Default::default(),
            age_order: OnceLock::new(),
            kept_order: OnceLock::new(),
            kept: Default::default(),
            modes: Default::default(),
        }
    }

    /// Runs the cleaning steps under `rules`, in the R code's order.
    pub fn prepare(&self, rules: &JayRules) -> Prepared {
        let ids = self.ids(rules);
        let births = self.births(rules, &ids);
        self.rows(rules, &ids, &births)
    }

    /// The rows kept past the early-row step under `rules`.
    fn kept(&self, rules: &JayRules) -> &Kept {
        let e = self.input.episodes;
        self.kept[usize::from(rules.has(JayRule::KeepClosureBeforeDataStart))].get_or_init(|| {
            let mut fate = vec![Fate::Kept; e.len()];
            let dates = (&self.referral[..], &self.closure[..]);
            let order = self
                .kept_order
                .get_or_init(|| kept_order(e, &self.key, dates));
            let ordered = drop_early_rows(self.input, order, dates, rules, &mut fate);
            let mut in_row_order = ordered.clone();
            in_row_order.sort_unstable();
            Kept {
                ordered,
                in_row_order,
                fate,
            }
        })
    }

    /// The children under `rules` (the same for every rule set alike in
    /// [`Ids::rules`]).
    pub fn ids(&self, rules: &JayRules) -> Ids {
        let e = self.input.episodes;
        let kept = &self.kept(rules).ordered;
        let pmr = backfill_pmrs(e, kept, &self.key, rules);
        let (child, n_children) =
            combined_ids(kept, (&self.key, self.n_keys), (&pmr, e.pmrs.len()));
        Ids {
            child,
            pmr_identified: pmr.iter().map(Option::is_some).collect(),
            n_children,
        }
    }

    /// The birth dates under `rules` of the children `ids` (the same for every rule set
    /// alike in [`Ids::rules`] and [`Births::rules`]).
    pub fn births(&self, rules: &JayRules, ids: &Ids) -> Births {
        let e = self.input.episodes;
        let key = &self.key;
        let bit = |r: JayRule| usize::from(rules.has(r));
        let ym = self.birth_months
            [bit(JayRule::BirthMonthWithPmrKey) * 2 + bit(JayRule::HalfMissingBirthMonth)]
        .get_or_init(|| {
            let order = self.age_order.get_or_init(|| age_order(e, key));
            key_birth_months(e, (key, self.n_keys), order, rules)
                .into_iter()
                .map(|ym| ym.and_then(Ym::first_day))
                .collect()
        });
        let Kept {
            ordered: kept,
            in_row_order,
            ..
        } = self.kept(rules);
        let children = (&ids.child[..], ids.n_children);
        // Birth dates by rows in row order: each step is per row or a child's minimum,
        // so the order does not matter, and the row tables are read in sequence.
        let dob = birth_dates(e, in_row_order, (key, ym), &self.filled, children, rules);
        let wiped = wiped_birth_dates(e, kept, &self.filled, &dob, children);
        Births { dob, wiped }
    }

    /// The analysis table under `rules`, given its children `ids` and birth dates
    /// `births` ([`Shared::ids`], [`Shared::births`]).
    pub fn rows(&self, rules: &JayRules, ids: &Ids, births: &Births) -> Prepared {
        let e = self.input.episodes;
        let bit = |r: JayRule| usize::from(rules.has(r));
        let keep = bit(JayRule::KeepClosureBeforeDataStart);
        let Kept {
            ordered: kept,
            in_row_order,
            fate,
        } = self.kept(rules);
        let mut fate = fate.clone();
        let referral = &self.filled;
        let (assessed, rc8) = self.modes[keep * 4
            + bit(JayRule::TolerantReasonSpelling) * 2
            + bit(JayRule::ImputedReferralSeparate)]
        .get_or_init(|| {
            modal_nfa_and_reason(
                self.input,
                kept,
                &self.key,
                (referral, &self.imputed),
                rules,
            )
        });
        let (child, dob, wiped) = (&ids.child, &births.dob, &births.wiped);

        // Ages; rows without one, or at 18 or over, leave.
        let mut rows = Vec::with_capacity(kept.len());
        for &i in in_row_order {
            let iu = i as usize;
            let c = child[iu];
            let Some(d) = dob[iu].filter(|_| !wiped[c as usize]) else {
                fate[iu] = Fate::NoBirthDate;
                continue;
            };
            let Some(age) = age_at(referral[iu], d) else {
                fate[iu] = Fate::Age18OrOver;
                continue;
            };
            rows.push(JayRow {
                row: i,
                child: c,
                pmr_identified: ids.pmr_identified[iu],
                referral: referral[iu],
                assessed: assessed[iu],
                rc8: rc8[iu],
                cpp_start: e.cpp_start[iu],
                age,
                dob: d,
            });
        }
        Prepared {
            rows,
            fate,
            children: ids.n_children,
        }
    }
}
