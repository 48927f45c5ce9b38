//! Complete simulated histories as event-year masks, for studying the left-censoring
//! correction where every backward hazard is known (`scripts/correction-forms.py`).
//!
//! `cargo run --release -p cumin-study --features examples --example backward_hazards -- PARAMS.toml N OUT.csv
//! [notional]` simulates `N` children of one cohort with the simulator's parameters from
//! `PARAMS.toml` (missing keys at their defaults) and writes, per child, its decile and a
//! bit mask per outcome of the ages (pre-birth counted at 0) with an event before 18.
//! With `notional`, ages count from cumin's notional day of the birth month (the 15th,
//! `BirthRules::notional_day`), as cumin counts them from an extract's birth month and
//! year, instead of from the birth date.
//!
//! By default the children are those of cohort 2013 numbered from 0. `BH_COHORT=C` and
//! `BH_FIRST=F` take cohort `C` numbered from `F` instead: the simulator numbers cohort
//! `C`'s children from `(C − first_census_year + 18) × births_per_year × scale`, so these
//! reproduce, child for child, the histories behind a `cumin simulate` extract with the
//! same parameters (`scripts/correction-vs-exact.py realized`).

#![allow(clippy::print_stderr)]

use cumin_census::Outcome;
use cumin_synth::history::Model;
use cumin_synth::truth::age_at;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (params, n, out, notional) = match args.as_slice() {
        [_, params, n, out] => (params, n, out, false),
        [_, params, n, out, flag] if flag == "notional" => (params, n, out, true),
        _ => {
            eprintln!("usage: backward_hazards PARAMS.toml N OUT.csv [notional]");
            std::process::exit(2);
        }
    };
    let params = cumin_synth::SimParams::from_toml_file(std::path::Path::new(params))?;
    let n: u64 = n.parse()?;
    let model = Model::new(&params);
    let env = |key: &str| std::env::var(key).ok().map(|v| v.parse::<i64>());
    let cohort = i16::try_from(env("BH_COHORT").transpose()?.unwrap_or(2013))?;
    let first = u64::try_from(env("BH_FIRST").transpose()?.unwrap_or(0))?;
    let notional_day = cumin_cohort::BirthRules::default().notional_day;
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(f, "decile,referral,assessed,cin,cpp")?;
    for i in 0..n {
        let child = model.child(first + i, cohort);
        let dob = if notional {
            cumin_census::Date::ymd(child.dob.year(), child.dob.month(), notional_day)
        } else {
            child.dob
        };
        let mut masks = [0u32; 5];
        for e in &child.episodes {
            for o in Outcome::ALL {
                let date = match o {
                    Outcome::Referral => Some(e.referral),
                    Outcome::Assessed => (!e.nfa).then_some(e.referral),
                    Outcome::Cin => (!e.nfa && e.reason != 8).then_some(e.referral),
                    Outcome::S47 => None,
                    Outcome::Cpp => e.cpp_start,
                };
                let Some(date) = date else { continue };
                let age = age_at(dob, date).max(0);
                if age <= 17 {
                    masks[o.index()] |= 1 << age;
                }
            }
        }
        writeln!(
            f,
            "{},{},{},{},{}",
            child.decile, masks[0], masks[1], masks[2], masks[4]
        )?;
    }
    Ok(())
}
