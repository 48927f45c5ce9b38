//! Each quirk appears at its configured rate, the files show exactly what `truth.json`
//! says was applied, and `--no-quirks` leaves none.

use crate::support::{Extract, simulate, within_binomial};
use cumin_census::Date;
use cumin_synth::{QuirkRates, SimParams};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rates high enough that every quirk has hundreds of applications at a small scale.
fn raised() -> QuirkRates {
    QuirkRates {
        la_id_reuse: 0.7,
        new_la_id_on_return: 0.4,
        poor_data_before: 2012,
        poor_data_missing: 0.2,
        missing_date: 0.02,
        corrupt_date: 0.02,
        ancient_date: 0.02,
        closure_before_referral: 0.05,
        legacy_spelling: 0.1,
        drift_sex: 0.05,
        drift_ethnicity: 0.1,
        drift_birth_month: 0.05,
        age_over_25: 0.05,
        ..QuirkRates::default()
    }
}

fn params(seed: u64) -> SimParams {
    SimParams {
        scale: 0.005,
        seed,
        quirk: raised(),
        ..SimParams::default()
    }
}

fn applied(truth: &serde_json::Value, quirk: &str) -> (u64, u64, f64) {
    let q = &truth["quirks"]["quirks"][quirk];
    (
        q["applied"].as_u64().unwrap(),
        q["eligible"].as_u64().unwrap(),
        q["rate"].as_f64().unwrap(),
    )
}

const CODED: [&str; 4] = [
    "Ethnicity",
    "ReferralNFA",
    "PrimaryNeedCode",
    "ReasonForClosure",
];

const DATES: [&str; 8] = [
    "ExpectedDOB",
    "CINreferralDate",
    "CINclosureDate",
    "AssessmentActualStartDate",
    "Section47ActualStartDate",
    "DateOfInitialCPC",
    "CPPstartDate",
    "CPPendDate",
];

/// Whether a coded value is spelt as the current specification spells it.
fn canonical(column: &str, v: &str) -> bool {
    let b = v.as_bytes();
    match column {
        "Ethnicity" => cumin_census::Ethnicity::from_code(v).is_some() && v.len() == 4,
        "ReferralNFA" => v == "0" || v == "1",
        "PrimaryNeedCode" => b.len() == 2 && b[0] == b'N' && b[1].is_ascii_digit(),
        "ReasonForClosure" => b.len() == 3 && v.starts_with("RC") && b[2].is_ascii_digit(),
        _ => unreachable!(),
    }
}

#[test]
fn every_quirk_appears_at_its_configured_rate_and_the_files_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(&params(21), dir.path());
    let x = Extract::read(dir.path());
    assert_eq!(
        x.rows.len() as u64,
        truth["counts"]["rows"].as_u64().unwrap()
    );

    for (name, _) in raised().rates() {
        let (k, n, rate) = applied(&truth, name);
        assert!(n > 0 && k > 0, "{name}: {k} of {n}");
        assert!(
            within_binomial(k, n, rate, 4.0),
            "{name}: {k} of {n} against rate {rate}"
        );
    }

    // Legacy spellings: every non-standard coded value, and nothing else.
    let legacy = (0..x.rows.len())
        .flat_map(|i| CODED.map(|c| (c, x.get(i, c))))
        .filter(|(c, v)| !v.is_empty() && !canonical(c, v))
        .count() as u64;
    assert_eq!(legacy, applied(&truth, "legacy_spelling").0);

    // Spoilt dates: unreadable text, and placeholders before 1930.
    let (mut unreadable, mut ancient) = (0u64, 0u64);
    for i in 0..x.rows.len() {
        for c in DATES {
            let v = x.get(i, c);
            match Date::parse(v) {
                None if !v.is_empty() => unreadable += 1,
                Some(d) if d < Date::ymd(1930, 1, 1) => ancient += 1,
                _ => {}
            }
        }
    }
    assert_eq!(unreadable, applied(&truth, "corrupt_date").0);
    assert_eq!(ancient, applied(&truth, "ancient_date").0);

    // LA child IDs: one per (LA, ID) key issued; the shared ones recur in other LAs.
    let mut las_of_id: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for i in 0..x.rows.len() {
        las_of_id
            .entry(x.get(i, "LAchildID_Anon"))
            .or_default()
            .insert(x.get(i, "LA"));
    }
    let keys: u64 = las_of_id.values().map(|l| l.len() as u64).sum();
    let recurring: u64 = las_of_id
        .values()
        .filter(|l| l.len() > 1)
        .map(|l| l.len() as u64)
        .sum();
    assert_eq!(keys, applied(&truth, "la_id_reuse").1, "one new ID per key");
    assert_eq!(
        recurring,
        truth["quirks"]["la_ids_recurring_in_another_la"]
            .as_u64()
            .unwrap()
    );
    assert!(recurring as f64 > 0.5 * keys as f64);

    // A child back in an LA that recorded it before shows a second ID there.
    let mut ids_of: BTreeMap<(u64, &str), BTreeSet<&str>> = BTreeMap::new();
    for i in 0..x.rows.len() {
        ids_of
            .entry((x.true_child[i], x.get(i, "LA")))
            .or_default()
            .insert(x.get(i, "LAchildID_Anon"));
    }
    let extra_ids: u64 = ids_of.values().map(|s| s.len() as u64 - 1).sum();
    assert_eq!(extra_ids, applied(&truth, "new_la_id_on_return").0);

    // Birth years decades early: rows of the child give an age of 25 or more, which no
    // child in the census has (a drifting birth month moves the year by one at most).
    let early: BTreeSet<u64> = (0..x.rows.len())
        .filter(|&i| {
            let census: i32 = x.get(i, "ACADYR")[..4].parse::<i32>().unwrap() + 1;
            x.get(i, "YearOfBirth")
                .parse::<i32>()
                .is_ok_and(|y| census - y >= 24)
        })
        .map(|i| x.true_child[i])
        .collect();
    assert_eq!(early.len() as u64, applied(&truth, "age_over_25").0);

    // PMR: present on a share of rows that follows the configured chance by age.
    let p = params(21);
    let without: u64 = (0..x.rows.len())
        .filter(|&i| x.get(i, "PupilMatchingRefAnonymous").is_empty())
        .count() as u64;
    let mut with_total = 0;
    for (age, at) in truth["quirks"]["pmr_by_age"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let rows = at["rows"].as_u64().unwrap();
        let with = at["with_pmr"].as_u64().unwrap();
        with_total += with;
        let rate = p.p_ever_pmr * p.p_row_pmr_by_age[age];
        assert!(
            within_binomial(with, rows, rate, 4.0),
            "age {age}: {with} of {rows}"
        );
    }
    assert_eq!(without, x.rows.len() as u64 - with_total);
}

#[test]
fn without_quirks_every_value_is_clean_and_every_row_has_its_pmr() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(
        &SimParams {
            quirks: false,
            ..params(22)
        },
        dir.path(),
    );
    let x = Extract::read(dir.path());
    for (name, _) in raised().rates() {
        assert_eq!(applied(&truth, name).0, 0, "{name}");
    }
    let mut pmr_of: HashMap<u64, &str> = HashMap::new();
    let mut las_of_id: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for i in 0..x.rows.len() {
        let pmr = x.get(i, "PupilMatchingRefAnonymous");
        assert!(!pmr.is_empty());
        assert_eq!(*pmr_of.entry(x.true_child[i]).or_insert(pmr), pmr);
        for c in CODED {
            let v = x.get(i, c);
            assert!(v.is_empty() || canonical(c, v), "{c} = {v:?}");
        }
        for c in DATES {
            let v = x.get(i, c);
            assert!(
                v.is_empty() || Date::parse(v).is_some_and(|d| d.year() > 1990),
                "{c} = {v:?}"
            );
        }
        las_of_id
            .entry(x.get(i, "LAchildID_Anon"))
            .or_default()
            .insert(x.get(i, "LA"));
    }
    assert!(
        las_of_id.values().all(|l| l.len() == 1),
        "IDs unique nationally"
    );
}

#[test]
fn pmr_on_early_rows_can_be_made_to_depend_on_later_moves() {
    // Rows before age 4 (by the notional birthday, so surely before 5) of episodes still
    // open at the census date, of children seen in another LA in a later census year: the
    // open episode shows the child was still in this LA on that date, so the move is later.
    let early_rows_of_movers = |dependence: f64| {
        let dir = tempfile::tempdir().unwrap();
        simulate(
            &SimParams {
                pmr_mobility_dependence: dependence,
                scale: 0.01,
                // PMR gaps only: a blanked closure date would hide a move's timing.
                quirk: QuirkRates::none(),
                ..SimParams::default()
            },
            dir.path(),
        );
        crate::support::early_rows_of_movers(&Extract::read(dir.path()), 0..4)
    };
    let (rows, with_pmr) = early_rows_of_movers(0.0);
    assert!(rows > 100 && with_pmr > 0, "{with_pmr} of {rows}");
    let (rows, with_pmr) = early_rows_of_movers(1.0);
    assert!(rows > 100, "{rows}");
    assert_eq!(with_pmr, 0, "children who move later carry no early PMR");
}

/// The quirks off by default (they exist for the Jay 2025 R fixtures): absent from the
/// truth when off, at their rates when on, and the files show exactly what was applied.
#[test]
fn the_opt_in_quirks_appear_at_their_rates_and_the_files_show_them() {
    let default_truth = {
        let dir = tempfile::tempdir().unwrap();
        simulate(
            &SimParams {
                scale: 0.001,
                ..SimParams::default()
            },
            dir.path(),
        )
    };
    for (name, _) in QuirkRates::default().opt_in_rates() {
        assert!(
            default_truth["quirks"]["quirks"].get(name).is_none(),
            "{name}"
        );
        assert!(
            default_truth["params"]["quirk"].get(name).is_none(),
            "{name}"
        );
    }

    // Only these quirks (and the PMR gaps): every other fault would blur the counts below.
    let rates = QuirkRates {
        missing_la_id: 0.05,
        partial_birth_date: 0.05,
        wrong_pmr: 0.05,
        closure_decade_early: 0.05,
        referral_month_only: 0.3,
        ..QuirkRates::none()
    };
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(
        &SimParams {
            scale: 0.005,
            seed: 23,
            quirk: rates.clone(),
            ..SimParams::default()
        },
        dir.path(),
    );
    let x = Extract::read(dir.path());
    for (name, rate) in rates.opt_in_rates() {
        let (k, n, r) = applied(&truth, name);
        assert_eq!(r, rate);
        assert!(n > 0 && k > 0, "{name}: {k} of {n}");
        // A referral's month-only recording is decided once per episode, for all its rows.
        if name != "referral_month_only" {
            assert!(
                within_binomial(k, n, rate, 4.0),
                "{name}: {k} of {n} against rate {rate}"
            );
        }
    }
    let rows = |f: &dyn Fn(usize) -> bool| (0..x.rows.len()).filter(|&i| f(i)).count() as u64;
    let date = |i: usize, c: &str| Date::parse(x.get(i, c));

    let blank_id = rows(&|i| x.get(i, "LAchildID_Anon").is_empty());
    assert_eq!(blank_id, applied(&truth, "missing_la_id").0);

    // Rows after birth carry both; before birth neither (an expected date instead).
    let half = rows(&|i| x.get(i, "MonthOfBirth").is_empty() != x.get(i, "YearOfBirth").is_empty());
    assert_eq!(half, applied(&truth, "partial_birth_date").0);

    // Closures are never before referrals otherwise (no `closure_before_referral`).
    let early = rows(
        &|i| match (date(i, "CINreferralDate"), date(i, "CINclosureDate")) {
            (Some(r), Some(c)) => c < r,
            _ => false,
        },
    );
    assert_eq!(early, applied(&truth, "closure_decade_early").0);

    let first_of_month = rows(&|i| date(i, "CINreferralDate").is_some_and(|d| d.to_ymd().2 == 1));
    assert!(first_of_month >= applied(&truth, "referral_month_only").0);

    // A wrong PMR is another child's: the true child shows more than one PMR.
    let mut pmrs: HashMap<u64, BTreeSet<&str>> = HashMap::new();
    for i in 0..x.rows.len() {
        let p = x.get(i, "PupilMatchingRefAnonymous");
        if !p.is_empty() {
            pmrs.entry(x.true_child[i]).or_default().insert(p);
        }
    }
    let extra: u64 = pmrs.values().map(|s| s.len() as u64 - 1).sum();
    let wrong = applied(&truth, "wrong_pmr").0;
    assert!(
        extra > 0 && extra <= wrong,
        "{extra} extra PMRs, {wrong} wrong"
    );
}
