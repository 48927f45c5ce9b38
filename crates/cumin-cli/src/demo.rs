//! `cumin demo`: the whole path on the bundled synthetic extract.
//!
//! The extract is compiled into the binary, so the demo works from any folder (and in a
//! TRE without the source tree). It was made by `scripts/make-demo-fixture.sh`.

use crate::progress::Bars;
use anyhow::{Context, Result};
use cumin_census::Outcome;
use std::path::Path;

const EPISODES: &[u8] = include_bytes!("../../../fixtures/demo/episodes.parquet");
const DENOMINATORS: &[u8] = include_bytes!("../../../fixtures/demo/denominators.csv");
const TRUTH: &str = include_str!("../../../fixtures/demo/truth.json");

/// Writes the bundled inputs under `out/input`, estimates into `out` with `bootstrap`
/// replicates, prints the table.
pub fn run(out: &Path, (force, bootstrap): (bool, u32), bars: &Bars, quiet: bool) -> Result<()> {
    let input = out.join("input");
    std::fs::create_dir_all(&input).with_context(|| format!("creating {}", input.display()))?;
    let episodes = input.join("episodes.parquet");
    let denominators = input.join("denominators.csv");
    std::fs::write(&episodes, EPISODES)
        .with_context(|| format!("writing {}", episodes.display()))?;
    std::fs::write(&denominators, DENOMINATORS)
        .with_context(|| format!("writing {}", denominators.display()))?;
    let config = cumin_study::StudyConfig {
        id_mode: cumin_link::IdMode::Combined,
        by: vec![cumin_study::StratumVar::IdaciDecile.into()],
        sdc: cumin_report::SdcProfile::Jay2025,
        bootstrap,
        ..cumin_study::StudyConfig::new(
            vec![episodes.to_string_lossy().into_owned()],
            denominators,
            out.to_owned(),
        )
    };
    let result = crate::study(&config, "demo", force, bars)?;
    if !quiet {
        let truth: serde_json::Value =
            serde_json::from_str(TRUTH).context("reading the bundled truth")?;
        let lookup = |o: Outcome| -> Option<f64> {
            truth["truth"]["overall"]["cum_inc"][o.as_str()][17].as_f64()
        };
        println!(
            "cumin demo: a synthetic NPD extract (made by `cumin simulate`, true values known)"
        );
        crate::print::print_run(&result, Some(&lookup));
        println!();
        println!(
            "The unadjusted estimators count first *observed* events: cohorts born before the \
             2011 window start carry events from before it, so their older ages over-count. \
             life-table and cohort-splice correct for that (analyst-only/corrections.csv)."
        );
    }
    Ok(())
}
