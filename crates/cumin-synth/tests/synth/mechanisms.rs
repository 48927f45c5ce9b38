//! The mechanism switches (issue 19): each does what docs/simulation.md says, the truth
//! stays that of complete histories, perfect identifiers work with every one, and none
//! changes anything when off.

use crate::support::{Extract, simulate, within_binomial};
use cumin_census::Date;
use cumin_synth::history::Model;
use cumin_synth::mechanism::DEPRIVED_MIXTURE_RATIO;
use cumin_synth::params::apply_preset;
use cumin_synth::{FrailtyForm, PmrMechanism, QuirkRates, SimParams};
use std::collections::{BTreeMap, HashMap, HashSet};

fn with_mechanisms(names: &[&str], scale: f64, seed: u64) -> SimParams {
    let mut p = SimParams {
        scale,
        seed,
        // PMR gaps (and new LA IDs) only: every value readable.
        quirk: QuirkRates::none(),
        ..SimParams::default()
    };
    for n in names {
        apply_preset(&mut p, n).unwrap();
    }
    p
}

/// Rows and rows with a PMR at each age (census date) from `truth.json`.
fn pmr_by_age(truth: &serde_json::Value) -> Vec<(u64, u64)> {
    truth["quirks"]["pmr_by_age"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["rows"].as_u64().unwrap(), a["with_pmr"].as_u64().unwrap()))
        .collect()
}

/// A row's census year (named by its end) and the child's age on its census date, from
/// the notional birthday (the 15th of the birth month).
fn year_and_age(x: &Extract, i: usize) -> (i32, Option<i32>) {
    let year: i32 = x.get(i, "ACADYR")[..4].parse::<i32>().unwrap() + 1;
    let age = match (
        x.get(i, "YearOfBirth").parse::<i32>(),
        x.get(i, "MonthOfBirth").parse::<u32>(),
    ) {
        (Ok(by), Ok(bm)) => {
            Some(Date::ymd(year, 3, 31).completed_years_since(Date::ymd(by, bm, 15)))
        }
        _ => None,
    };
    (year, age)
}

/// Per true child, its census years with a row and whether any row that year carries a
/// PMR, with the age on that census date.
fn pmr_years(x: &Extract) -> HashMap<u64, BTreeMap<i32, (bool, Option<i32>)>> {
    let mut out: HashMap<u64, BTreeMap<i32, (bool, Option<i32>)>> = HashMap::new();
    for i in 0..x.rows.len() {
        let (year, age) = year_and_age(x, i);
        let has = !x.get(i, "PupilMatchingRefAnonymous").is_empty();
        let e = out
            .entry(x.true_child[i])
            .or_default()
            .entry(year)
            .or_insert((false, age));
        e.0 |= has;
    }
    out
}

#[test]
fn with_pmr_onset_no_row_carries_a_pmr_before_two_and_once_matched_the_child_stays_matched() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(&with_mechanisms(&["pmr-onset"], 0.01, 3), dir.path());
    let by_age = pmr_by_age(&truth);
    assert!(by_age[0].0 > 1000 && by_age[1].0 > 500, "{by_age:?}");
    assert_eq!((by_age[0].1, by_age[1].1), (0, 0), "no PMR before 2");
    assert!(by_age[2].1 > 0, "onset from 2");
    // At 9: a PMR at all (0.95) × onset by then (all but the weight of ages 10-17 and
    // half of age 9's) × the row not a gap (0.95).
    let onset_by_9 = 1.0 - 8.0 * 0.003 - 0.0015;
    let (rows, with) = by_age[9];
    assert!(
        within_binomial(with, rows, 0.95 * onset_by_9 * 0.95, 4.0),
        "{with} of {rows}"
    );

    // Persistence: a census year after one with a PMR carries it with
    // pmr_row_after_onset on each row (so at least that on some row of the year).
    let x = Extract::read(dir.path());
    let (mut later, mut with_pmr) = (0u64, 0u64);
    for years in pmr_years(&x).values() {
        let mut matched = false;
        for (has, _) in years.values() {
            if matched {
                later += 1;
                with_pmr += u64::from(*has);
            }
            matched |= *has;
        }
    }
    assert!(later > 2000, "{later}");
    let share = with_pmr as f64 / later as f64;
    assert!(share > 0.94 && share < 0.999, "{with_pmr} of {later}");

    // Row by row (the default), early rows after a matched year are matched far less
    // often: presence is drawn again on every row by age.
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(&with_mechanisms(&[], 0.01, 3), dir.path());
    let by_age = pmr_by_age(&truth);
    assert!(by_age[0].1 > 0 && by_age[1].1 > 0, "{by_age:?}");
    let x = Extract::read(dir.path());
    let (mut later, mut with_pmr) = (0u64, 0u64);
    for years in pmr_years(&x).values() {
        let mut matched = false;
        for (has, age) in years.values() {
            if matched && age.is_some_and(|a| (1..4).contains(&a)) {
                later += 1;
                with_pmr += u64::from(*has);
            }
            matched |= *has;
        }
    }
    assert!(later > 30, "{later}");
    assert!(
        (with_pmr as f64) < 0.6 * later as f64,
        "{with_pmr} of {later}"
    );
}

#[test]
fn mobility_dependence_works_with_pmr_onset_too() {
    let run = |dependence: f64| {
        let dir = tempfile::tempdir().unwrap();
        let mut p = with_mechanisms(&["pmr-onset"], 0.02, 4);
        p.pmr_mobility_dependence = dependence;
        simulate(&p, dir.path());
        crate::support::early_rows_of_movers(&Extract::read(dir.path()), 2..4)
    };
    let (rows, with_pmr) = run(0.0);
    assert!(rows > 100 && with_pmr > 20, "{with_pmr} of {rows}");
    let (rows, with_pmr) = run(1.0);
    assert!(rows > 100, "{rows}");
    assert_eq!(with_pmr, 0, "children who move later carry no early PMR");
}

#[test]
fn the_mixture_high_risk_share_follows_the_decile_ratio_with_mean_one_in_each_decile() {
    let mut p = SimParams::default();
    apply_preset(&mut p, "mixture-deprived").unwrap();
    let model = Model::new(&p);
    let by = model.frailty_by_decile.expect("a frailty per decile");
    let mut rng = rand_chacha_rng(5);
    let mut high_share = [0.0; 10];
    for (d, f) in by.iter().enumerate() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| f.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(n);
        assert!((mean - 1.0).abs() < 0.03, "decile {} mean {mean}", d + 1);
        let top = xs.iter().copied().fold(0.0, f64::max);
        high_share[d] = xs.iter().filter(|x| **x == top).count() as f64 / f64::from(n);
    }
    // Shares in proportion to the ratio, and the population share kept at 5%.
    for d in 0..10 {
        let want = high_share[4] * DEPRIVED_MIXTURE_RATIO[d] / DEPRIVED_MIXTURE_RATIO[4];
        assert!(
            (high_share[d] - want).abs() < 0.1 * want + 0.002,
            "decile {}: {} vs {want}",
            d + 1,
            high_share[d]
        );
    }
    let population: f64 = (0..10).map(|d| p.decile_share[d] * high_share[d]).sum();
    assert!((population - 0.05).abs() < 0.003, "{population}");
    assert!(high_share[0] > 3.5 * high_share[9], "{high_share:?}");

    // The same share everywhere: the plain mixture's single distribution.
    p.mechanism.mixture_decile_ratio = [1.0; 10];
    assert!(Model::new(&p).frailty_by_decile.is_none());
    // A ratio that would put a decile's share above 1 is refused.
    p.mixture_high_share = 0.5;
    p.frailty_variance = 0.5;
    p.validate().unwrap();
    p.mechanism.mixture_decile_ratio[0] = 100.0;
    assert!(p.validate().is_err());
}

fn rand_chacha_rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// Pearson dispersion (X² / degrees of freedom) across LAs of a share, over LAs with at
/// least 30 chances: about 1 when every LA has the same rate.
fn dispersion(by_la: &HashMap<String, (u64, u64)>) -> f64 {
    let kept: Vec<(f64, f64)> = by_la
        .values()
        .filter(|(n, _)| *n >= 30)
        .map(|(n, k)| (*n as f64, *k as f64))
        .collect();
    let n: f64 = kept.iter().map(|x| x.0).sum();
    let k: f64 = kept.iter().map(|x| x.1).sum();
    let p = k / n;
    let x2: f64 = kept
        .iter()
        .map(|(n, k)| (k - n * p).powi(2) / (n * p * (1.0 - p)))
        .sum();
    x2 / (kept.len() - 1) as f64
}

/// Per LA: (referrals, referrals closed NFA), (assessments, ended RC8), (children with a
/// row at ages 6-15 there, of them those whose first such row carries a PMR). Episodes
/// are counted once, from their latest row; children once per LA, as rows of one child
/// share whether it has a PMR at all.
fn la_shares(x: &Extract) -> [HashMap<String, (u64, u64)>; 3] {
    let mut episodes: HashMap<(u64, String), (i32, usize)> = HashMap::new();
    let mut pmr: HashMap<String, (u64, u64)> = HashMap::new();
    let mut seen: HashSet<(u64, String)> = HashSet::new();
    for i in 0..x.rows.len() {
        let (year, age) = year_and_age(x, i);
        let key = (x.true_child[i], x.get(i, "CINreferralDate").to_owned());
        let e = episodes.entry(key).or_insert((year, i));
        if year >= e.0 {
            *e = (year, i);
        }
        if age.is_some_and(|a| (6..16).contains(&a))
            && seen.insert((x.true_child[i], x.get(i, "LA").to_owned()))
        {
            let c = pmr.entry(x.get(i, "LA").to_owned()).or_default();
            c.0 += 1;
            c.1 += u64::from(!x.get(i, "PupilMatchingRefAnonymous").is_empty());
        }
    }
    let mut nfa: HashMap<String, (u64, u64)> = HashMap::new();
    let mut rc8: HashMap<String, (u64, u64)> = HashMap::new();
    for (_, i) in episodes.values() {
        let la = x.get(*i, "LA").to_owned();
        let n = nfa.entry(la.clone()).or_default();
        n.0 += 1;
        let is_nfa = x.get(*i, "ReferralNFA") == "1";
        n.1 += u64::from(is_nfa);
        let reason = x.get(*i, "ReasonForClosure");
        // Closed assessments only; a transfer (RC5) or 18th birthday says nothing.
        if !is_nfa && !reason.is_empty() && reason != "RC5" && reason != "RC6" {
            let r = rc8.entry(la).or_default();
            r.0 += 1;
            r.1 += u64::from(reason == "RC8");
        }
    }
    [nfa, rc8, pmr]
}

#[test]
fn la_recording_makes_nfa_rc8_and_pmr_rates_differ_by_la() {
    let run = |names: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        simulate(&with_mechanisms(names, 0.02, 6), dir.path());
        la_shares(&Extract::read(dir.path())).map(|s| dispersion(&s))
    };
    let same = run(&[]);
    let varying = run(&["la-recording"]);
    for (what, (s, v)) in ["NFA", "RC8", "PMR"].iter().zip(same.iter().zip(&varying)) {
        assert!(*s < 1.6, "{what}: one rate everywhere, dispersion {s}");
        assert!(*v > 4.0, "{what}: rates differ by LA, dispersion {v}");
    }
}

#[test]
fn perfect_ids_hold_under_every_mechanism_and_the_truth_is_the_complete_histories() {
    let names = ["independent", "pmr-mobility"];
    let dir = tempfile::tempdir().unwrap();
    let mut p = with_mechanisms(&names, 0.005, 8);
    p.quirk = QuirkRates::default();
    p.perfect_ids = true;
    let perfect = simulate(&p, dir.path());
    let x = Extract::read(dir.path());
    assert!(x.rows.len() > 1000);
    for i in 0..x.rows.len() {
        let want = format!("C{:09}", x.true_child[i]);
        assert_eq!(x.get(i, "LAchildID_Anon"), want);
        assert_eq!(x.get(i, "PupilMatchingRefAnonymous"), want);
    }
    // The same world with the extract's own identifiers: the same truth.
    let dir = tempfile::tempdir().unwrap();
    p.perfect_ids = false;
    let delivered = simulate(&p, dir.path());
    assert_eq!(perfect["truth"], delivered["truth"]);
    assert_eq!(perfect["params"]["mechanism"]["pmr"], "onset");
    assert_eq!(
        perfect["params"]["frailty"],
        serde_json::json!(FrailtyForm::Mixture.as_str())
    );
}

#[test]
fn mechanisms_off_leave_the_truth_file_without_them_and_change_nothing() {
    let run = |p: &SimParams| {
        let dir = tempfile::tempdir().unwrap();
        let truth = simulate(p, dir.path());
        let rows = std::fs::read(dir.path().join("episodes.csv")).unwrap();
        (truth, rows)
    };
    let base = SimParams {
        scale: 0.002,
        seed: 9,
        ..SimParams::default()
    };
    let (truth, rows) = run(&base);
    assert!(truth["params"].get("mechanism").is_none());
    let mut p = base.clone();
    apply_preset(&mut p, "default").unwrap();
    apply_preset(&mut p, "gamma").unwrap();
    assert_eq!(run(&p).1, rows, "presets that change nothing");
    // The mixture with an even ratio is the plain mixture.
    let mut a = base.clone();
    a.frailty = FrailtyForm::Mixture;
    let mut b = a.clone();
    b.mechanism.mixture_decile_ratio = [2.0; 10];
    assert_eq!(run(&a).1, run(&b).1);
    // Onset is a different extract, with the same truth.
    let mut o = base.clone();
    o.mechanism.pmr = PmrMechanism::Onset;
    let (t, r) = run(&o);
    assert_ne!(r, rows);
    assert_eq!(t["truth"], truth["truth"]);
    assert_eq!(t["params"]["mechanism"]["pmr"], "onset");
}
