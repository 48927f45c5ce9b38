//! Runs the design under the preset's rules, under the R code's (strict), and under
//! each correction alone, so the run can say what each correction changes.

use crate::counts::{JayCounts, count};
use crate::prepare::{Births, Ids, JayInput, Prepared, Shared, prepare};
use crate::rules::{JayRule, JayRules};
use cumin_census::Date;
use rayon::prelude::*;

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
    Variant {
        rules: rules.clone(),
        counts: counts_of(&prepare(input, rules), rules, window_start),
    }
}

fn counts_of(p: &Prepared, rules: &JayRules, window_start: Date) -> JayCounts {
    count(
        &p.rows,
        p.children,
        window_start,
        rules.has(JayRule::CppAgeAtPlanStart),
    )
}

/// The rules the cleaning steps read: all but the one only counting reads.
fn cleaning_rules(rules: &JayRules) -> JayRules {
    let mut r = rules.clone();
    r.set(JayRule::CppAgeAtPlanStart, false);
    r
}

/// A rule set cleaned: its table if it is the run's, and the counts of the rule sets
/// that clean alike (by index).
type Cleaned = (Option<Prepared>, Vec<(usize, JayCounts)>);

/// `items` in groups alike in `by`, each group in order, the groups by first member.
fn groups<K: PartialEq>(items: &[usize], by: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let mut out: Vec<(K, Vec<usize>)> = Vec::new();
    for &i in items {
        let k = by(i);
        match out.iter_mut().find(|(g, _)| *g == k) {
            Some((_, g)) => g.push(i),
            None => out.push((k, vec![i])),
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// The run's counts, the strict counts and each correction alone. The cleaning steps
/// run once per distinct set of the rules they read, on every core, sharing every step
/// that does not depend on the rules ([`Shared`]) and, between rule sets alike in the
/// rules they read, the children ([`Ids`]) and birth dates ([`Births`]), each dropped
/// once its rule sets are done; the results are those of evaluating each rule set alone
/// ([`counts_under`]).
pub fn evaluate(input: &JayInput<'_>, rules: &JayRules, window_start: Date) -> Evaluation {
    let shared = Shared::new(input);
    // The run's rules first, then every other rule set; grouped by the rules cleaning
    // reads, each group's first member the one cleaned.
    let mut sets: Vec<JayRules> = vec![rules.clone(), JayRules::strict()];
    sets.extend(JayRule::ALL.into_iter().map(JayRules::only));
    let cleaning: Vec<JayRules> = sets.iter().map(cleaning_rules).collect();
    let leader: Vec<usize> = (0..sets.len())
        .map(|i| (0..=i).find(|&j| cleaning[j] == cleaning[i]).unwrap_or(i))
        .collect();
    let leaders: Vec<usize> = (0..sets.len()).filter(|&i| leader[i] == i).collect();
    let clean = |l: usize, ids: &Ids, births: &Births| -> Cleaned {
        let p = shared.rows(&sets[l], ids, births);
        let counts = (0..sets.len())
            .filter(|&i| leader[i] == l)
            .map(|i| (i, counts_of(&p, &sets[i], window_start)))
            .collect();
        // Only the run's own table is kept.
        ((l == 0).then_some(p), counts)
    };
    let mut cleaned: Vec<Cleaned> = groups(&leaders, |l| Ids::rules(&sets[l]))
        .par_iter()
        .flat_map_iter(|same_ids| {
            let ids = shared.ids(&sets[same_ids[0]]);
            groups(same_ids, |l| Births::rules(&sets[l]))
                .par_iter()
                .flat_map_iter(|same_births| {
                    let births = shared.births(&sets[same_births[0]], &ids);
                    same_births
                        .par_iter()
                        .map(|&l| clean(l, &ids, &births))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let prepared = cleaned[0]
        .0
        .take()
        .expect("the run's rules are cleaned first");
    let mut counts: Vec<Option<JayCounts>> = vec![None; sets.len()];
    for (_, cs) in cleaned {
        for (i, c) in cs {
            counts[i] = Some(c);
        }
    }
    let mut counts = counts
        .into_iter()
        .map(|c| c.expect("every rule set counted"));
    let run = counts.next().expect("the run's counts");
    let strict = counts.next().expect("the strict counts");
    let single = JayRule::ALL.into_iter().zip(counts).collect();
    Evaluation {
        prepared,
        run,
        strict,
        single,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::Fate;
    use cumin_census::normalise::LatestDates;
    use cumin_census::{CensusYear, EpisodeRow, Episodes};

    /// A small random extract touching every rule: shared IDs across LAs, PMRs that
    /// differ within a key, half-missing birth months, missing and early referrals,
    /// closures before the data start, reasons spelled two ways, plans.
    fn extract(seed: u64, n: usize) -> (Episodes, LatestDates, Vec<Option<u8>>, Vec<Option<u8>>) {
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        let mut e = Episodes::new();
        let mut latest = LatestDates::default();
        let (mut strict, mut tolerant) = (Vec::new(), Vec::new());
        for i in 0..n {
            let cy = 2009 + next(10) as i16;
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(cy));
            let id = next(20);
            r.la_child_id = (next(6) != 0).then(|| format!("L{id}"));
            r.pmr = (next(3) != 0).then(|| format!("P{}", (id + next(2) * 3) % 50));
            if r.la_child_id.is_none() && r.pmr.is_none() {
                r.pmr = Some(format!("P{id}"));
            }
            r.la = Some(200 + next(2) as u16);
            let born = 1995 + next(24) as i16;
            r.birth_year = (next(8) != 0).then_some(born);
            r.birth_month = (next(8) != 0).then_some(1 + next(12) as u8);
            r.expected_dob = (next(4) == 0).then(|| Date::ymd(i32::from(born), 6, 15));
            let day = |d: u64| Date::ymd(2007, 1, 1).add_days(d as i32);
            r.referral = match next(7) {
                0 => None,
                // The day a missing referral is imputed to.
                1 | 2 => Some(CensusYear(cy).first_september()),
                _ => Some(day(next(4600))),
            };
            r.closure = (next(3) != 0).then(|| day(next(4600)));
            if next(10) == 0 {
                latest.push(i, (Some(day(next(4600))), Some(day(next(4600)))));
            }
            r.nfa = [None, Some(true), Some(false)][next(3) as usize];
            r.cpp_start = (next(5) == 0).then(|| day(next(4600)));
            let reason = next(4);
            strict.push([None, Some(1), Some(8), None][reason as usize]);
            tolerant.push([None, Some(1), Some(8), Some(8)][reason as usize]);
            e.push(r);
        }
        (e, latest, strict, tolerant)
    }

    #[test]
    fn evaluating_every_rule_set_together_equals_evaluating_each_alone() {
        for seed in 0..20 {
            let (e, latest, strict, tolerant) = extract(seed, 300);
            let input = JayInput {
                episodes: &e,
                latest: &latest,
                data_end: Date::ymd(2019, 3, 31),
                data_start: Date::ymd(2008, 4, 1),
                reason_strict: &strict,
                reason_tolerant: Some(&tolerant),
            };
            let start = Date::ymd(2009, 4, 1);
            for rules in [JayRules::corrected(), JayRules::strict()] {
                let all = evaluate(&input, &rules, start);
                let alone = prepare(&input, &rules);
                assert_eq!(all.prepared.rows, alone.rows, "seed {seed}");
                assert_eq!(all.prepared.fate, alone.fate);
                assert!(alone.fate.contains(&Fate::Kept));
                assert_eq!(all.run, counts_under(&input, &rules, start).counts);
                let strict = counts_under(&input, &JayRules::strict(), start).counts;
                assert_eq!(all.strict, strict, "seed {seed}");
                for (r, c) in &all.single {
                    let want = counts_under(&input, &JayRules::only(*r), start).counts;
                    assert_eq!(*c, want, "seed {seed}, {r}");
                }
            }
        }
    }
}
