//! Runs the design under the preset's rules, under the R code's (strict), and under
//! each correction alone, so the run can say what each correction changes.

use crate::counts::{JayCounts, count};
use crate::prepare::{JayInput, Prepared, prepare};
use crate::rules::{JayRule, JayRules};
use cumin_census::Date;

/// Counts of one rule set.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The corrections in force.
    pub rules: JayRules,
    /// The per-age first-event counts.
    pub counts: JayCounts,
}

/// Everything a Jay run computes.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The analysis table under the run's own rules.
    pub prepared: Prepared,
    /// Counts under the run's own rules.
    pub run: JayCounts,
    /// Counts with no correction (the R code's).
    pub strict: JayCounts,
    /// Counts with one correction at a time, for every rule.
    pub single: Vec<(JayRule, JayCounts)>,
}

/// Counts of `rules` on `input`.
pub fn counts_under(input: &JayInput<'_>, rules: &JayRules, window_start: Date) -> Variant {
    let p = prepare(input, rules);
    Variant {
        rules: rules.clone(),
        counts: count(
            &p.rows,
            p.children,
            window_start,
            rules.has(JayRule::CppAgeAtPlanStart),
        ),
    }
}

/// The run's counts, the strict counts and each correction alone.
pub fn evaluate(input: &JayInput<'_>, rules: &JayRules, window_start: Date) -> Evaluation {
    let prepared = prepare(input, rules);
    let run = count(
        &prepared.rows,
        prepared.children,
        window_start,
        rules.has(JayRule::CppAgeAtPlanStart),
    );
    let strict = if rules.is_strict() {
        run.clone()
    } else {
        counts_under(input, &JayRules::strict(), window_start).counts
    };
    let single = JayRule::ALL
        .into_iter()
        .map(|r| {
            (
                r,
                counts_under(input, &JayRules::only(r), window_start).counts,
            )
        })
        .collect();
    Evaluation {
        prepared,
        run,
        strict,
        single,
    }
}
