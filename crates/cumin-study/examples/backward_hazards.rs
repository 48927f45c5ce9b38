//! Complete simulated histories as event-year masks, for studying the left-censoring
//! correction where every backward hazard is known (`scripts/correction-forms.py`).
//!
//! `cargo run --release -p cumin-study --example backward_hazards -- PARAMS.toml N OUT.csv`
//! simulates `N` children of one cohort with the simulator's parameters from `PARAMS.toml`
//! (missing keys at their defaults) and writes, per child, its decile and a bit mask per
//! outcome of the ages (pre-birth counted at 0) with an event before 18.

#![allow(clippy::print_stderr)]

use cumin_census::Outcome;
use cumin_synth::history::Model;
use cumin_synth::truth::age_at;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, params, n, out] = args.as_slice() else {
        eprintln!("usage: backward_hazards PARAMS.toml N OUT.csv");
        std::process::exit(2);
    };
    let params = cumin_synth::SimParams::from_toml_file(std::path::Path::new(params))?;
    let n: u64 = n.parse()?;
    let model = Model::new(&params);
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(f, "decile,referral,assessed,cin,cpp")?;
    for i in 0..n {
        let child = model.child(i, 2013);
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
                let age = age_at(child.dob, date).max(0);
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
