//! `cumin simulate`: a synthetic extract with known truth.

use crate::args::{ExtractFormat, SimulateArgs};
use crate::progress::Bars;
use anyhow::{Context, Result, bail};
use cumin_census::Outcome;

/// Simulates and writes an extract, then prints its truth.
pub fn run(a: &SimulateArgs, bars: &Bars, quiet: bool) -> Result<()> {
    let mut params = match &a.params {
        Some(p) => cumin_synth::SimParams::from_toml_file(p)?,
        None => cumin_synth::SimParams::default(),
    };
    if let Some(s) = a.scale {
        params.scale = s;
    }
    if let Some(s) = a.seed {
        params.seed = s;
    }
    for m in &a.mechanism {
        cumin_synth::params::apply_preset(&mut params, m)?;
    }
    if let Some(f) = a.frailty {
        params.frailty = f;
    }
    params.quirks &= !a.no_quirks;
    params.perfect_ids |= a.perfect_ids;
    if a.migration {
        params.migration.enabled = true;
    }
    if a.no_migration {
        params.migration.enabled = false;
    }
    if a.out.is_file() {
        bail!("--out {} is a file; give a folder", a.out.display());
    }
    let options = cumin_synth::WriteOptions {
        csv: a.format != ExtractFormat::Parquet,
        parquet: a.format != ExtractFormat::Csv,
        true_ids: a.write_true_ids,
    };
    let sim = cumin_synth::simulate(&params, bars)?;
    let summary = sim
        .write_with(&a.out, options, bars)
        .with_context(|| format!("writing the extract to {}", a.out.display()))?;
    if !quiet {
        let t = sim.truth();
        println!(
            "simulated {} children ({} in the extract, {} rows) into {}",
            summary.children,
            summary.children_in_extract,
            summary.rows,
            a.out.display()
        );
        if let Some(m) = &t.migration {
            println!(
                "migration: {} children arrived from abroad, {} left England before 18",
                m.in_migrants, m.out_migrants
            );
        }
        println!(
            "true cumulative incidence before 18 (children born in England, complete histories):"
        );
        for o in Outcome::ALL {
            println!("  {:9} {:5.1}%", o.as_str(), 100.0 * t.overall.at(o, 17));
        }
        if let Some(m) = &t.migration {
            println!("among residents (first events in England, product-limit):");
            for o in Outcome::ALL {
                println!(
                    "  {:9} {:5.1}%",
                    o.as_str(),
                    100.0 * m.overall.cum_inc[o.as_str()][17]
                );
            }
        }
        println!(
            "  re-referred within 6 years of a first referral: {:.1}%",
            100.0 * t.rereferral_within_years[5]
        );
    }
    Ok(())
}
