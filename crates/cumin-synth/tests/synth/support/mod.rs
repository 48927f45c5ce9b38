//! Helpers for the simulator's integration tests: simulate, then read back what was written.

#![allow(dead_code)]

use cumin_census::{Date, NoProgress};
use cumin_synth::{SimParams, WriteOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Simulates `params` into `dir` (CSV, and true IDs) and returns the truth document.
pub fn simulate(params: &SimParams, dir: &Path) -> serde_json::Value {
    let sim = cumin_synth::simulate(params, &NoProgress).expect("simulates");
    let options = WriteOptions {
        csv: true,
        parquet: false,
        true_ids: true,
    };
    sim.write_with(dir, options, &NoProgress).expect("writes");
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// The written extract, as text, with column positions by name.
pub struct Extract {
    /// Column position by name (without the `CIN_` prefix).
    pub column: HashMap<String, usize>,
    /// Rows in file order.
    pub rows: Vec<csv::StringRecord>,
    /// The true child of each row (from `true_ids.csv`).
    pub true_child: Vec<u64>,
}

impl Extract {
    /// Reads `episodes.csv` and `true_ids.csv` from `dir`.
    pub fn read(dir: &Path) -> Extract {
        let mut r = csv::ReaderBuilder::new()
            .trim(csv::Trim::None)
            .from_path(dir.join("episodes.csv"))
            .unwrap();
        let column = r
            .headers()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches("CIN_").to_owned(), i))
            .collect();
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        let mut t = csv::Reader::from_path(dir.join("true_ids.csv")).unwrap();
        let mut true_child = Vec::with_capacity(rows.len());
        for (i, rec) in t.records().enumerate() {
            let rec = rec.unwrap();
            assert_eq!(
                rec[0].parse::<usize>().unwrap(),
                i + 1,
                "rows numbered from 1"
            );
            true_child.push(rec[2].parse().unwrap());
        }
        assert_eq!(true_child.len(), rows.len(), "a true child for every row");
        Extract {
            column,
            rows,
            true_child,
        }
    }

    /// The value of `name` in row `i`.
    pub fn get(&self, i: usize, name: &str) -> &str {
        &self.rows[i][self.column[name]]
    }
}

/// `|observed − expected|` within `sds` binomial standard deviations (plus one for
/// rounding) of `rate` over `n` chances.
pub fn within_binomial(observed: u64, n: u64, rate: f64, sds: f64) -> bool {
    let expected = rate * n as f64;
    let sd = (n as f64 * rate * (1.0 - rate)).sqrt();
    (observed as f64 - expected).abs() <= sds * sd + 1.0
}

pub const OUTCOMES: [&str; 5] = ["referral", "assessed", "cin", "s47", "cpp"];

/// One episode as its rows show it: the latest census year's row has the last word.
#[derive(Default)]
pub struct Episode {
    pub year: i32,
    pub referral: Option<Date>,
    pub nfa: bool,
    pub reason: String,
    pub s47: Option<Date>,
    pub cpp: Option<Date>,
}

/// Per child (PMR): the birth month and year, and every episode by referral date.
/// Per child key: (birth year, month) and its episodes by referral date.
pub type ChildRows = HashMap<String, ((i32, u32), BTreeMap<Date, Episode>)>;

pub fn children_from_rows(x: &Extract) -> ChildRows {
    let mut children: ChildRows = HashMap::new();
    let date = |i: usize, c: &str| Date::parse(x.get(i, c));
    for i in 0..x.rows.len() {
        let year: i32 = x.get(i, "ACADYR")[..4].parse::<i32>().unwrap() + 1;
        let birth = match (
            x.get(i, "YearOfBirth").parse::<i32>(),
            x.get(i, "MonthOfBirth").parse::<u32>(),
        ) {
            (Ok(y), Ok(m)) => Some((y, m)),
            _ => None,
        };
        let child = children
            .entry(x.get(i, "PupilMatchingRefAnonymous").to_owned())
            .or_insert(((0, 0), BTreeMap::new()));
        let expected = date(i, "ExpectedDOB").map(|d| (d.year(), d.month()));
        if let Some(b) = birth.or(expected.filter(|_| child.0.0 == 0)) {
            child.0 = b;
        }
        let referral = date(i, "CINreferralDate").expect("no quirks: every referral date");
        let e = child.1.entry(referral).or_default();
        if year >= e.year {
            let s47 = [
                date(i, "Section47ActualStartDate"),
                date(i, "DateOfInitialCPC"),
            ]
            .into_iter()
            .flatten()
            .min();
            *e = Episode {
                year,
                referral: Some(referral),
                nfa: x.get(i, "ReferralNFA") == "1",
                reason: x.get(i, "ReasonForClosure").to_owned(),
                s47,
                cpp: date(i, "CPPstartDate"),
            };
        }
    }
    children
}

/// Children of each cohort with a first event at each age −1..=17 (index 0 = −1), from
/// rows, with ages from the notional birthday (the 15th of the birth month).
pub fn first_events_from_rows(x: &Extract) -> BTreeMap<(i32, &'static str), [u64; 19]> {
    let mut out: BTreeMap<(i32, &'static str), [u64; 19]> = BTreeMap::new();
    for ((by, bm), episodes) in children_from_rows(x).values() {
        assert!(
            *by > 0,
            "every child has a row after birth or an expected date"
        );
        let dob = Date::ymd(*by, *bm, 15);
        let cohort = if *bm >= 4 { by + 1 } else { *by };
        for o in OUTCOMES {
            let first = episodes
                .values()
                .filter_map(|e| match o {
                    "referral" => e.referral,
                    "assessed" => e.referral.filter(|_| !e.nfa),
                    "cin" => e.referral.filter(|_| !e.nfa && e.reason != "RC8"),
                    "s47" => e.s47,
                    _ => e.cpp,
                })
                .min();
            if let Some(d) = first {
                let age = if d < dob {
                    -1
                } else {
                    d.completed_years_since(dob)
                };
                if age <= 17 {
                    out.entry((cohort, o)).or_insert([0; 19])[(age + 1) as usize] += 1;
                }
            }
        }
    }
    out
}

/// Rows at ages `ages` (on the census date, from the notional birthday, so surely before
/// 5) of episodes still open on the census date, of children seen in another LA in a
/// later census year: the open episode shows the child was still in this LA on that
/// date, so the move is later. Returns (rows, rows carrying a PMR).
pub fn early_rows_of_movers(x: &Extract, ages: std::ops::Range<i32>) -> (u64, u64) {
    let year_of = |i: usize| x.get(i, "ACADYR")[..4].parse::<i32>().unwrap() + 1;
    let mut last_la: HashMap<u64, (i32, &str)> = HashMap::new();
    for i in 0..x.rows.len() {
        let year = year_of(i);
        let e = last_la
            .entry(x.true_child[i])
            .or_insert((year, x.get(i, "LA")));
        if year >= e.0 {
            *e = (year, x.get(i, "LA"));
        }
    }
    let (mut rows, mut with_pmr) = (0, 0);
    for i in 0..x.rows.len() {
        let year = year_of(i);
        let (Ok(by), Ok(bm)) = (
            x.get(i, "YearOfBirth").parse::<i32>(),
            x.get(i, "MonthOfBirth").parse::<u32>(),
        ) else {
            continue;
        };
        let age = Date::ymd(year, 3, 31).completed_years_since(Date::ymd(by, bm, 15));
        let (later_year, later_la) = last_la[&x.true_child[i]];
        let open = x.get(i, "CINclosureDate").is_empty();
        if open && ages.contains(&age) && later_year > year && later_la != x.get(i, "LA") {
            rows += 1;
            with_pmr += u64::from(!x.get(i, "PupilMatchingRefAnonymous").is_empty());
        }
    }
    (rows, with_pmr)
}
