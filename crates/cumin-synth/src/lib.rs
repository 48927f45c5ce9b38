//! Synthetic NPD Child in Need extracts whose truth is known.
//!
//! Real CIN data never leave a trusted research environment, so cumin's numbers are
//! proven on data like these: every birth cohort whose childhood overlaps the census
//! years is simulated from six months before birth to the 18th birthday ([`history`]),
//! its complete history gives the true cumulative incidence ([`truth`]), and only what an
//! extract would hold is written ([`extract`], [`write`]): rows for census years in the
//! window, identifiers with their real-world gaps. Same parameters and seed give
//! byte-identical files, whatever the number of threads.

pub mod extract;
pub mod history;
pub mod params;
pub mod truth;
pub mod write;

pub use params::{ParamsError, SimParams};

use cumin_census::{CensusYear, Progress, Sex};
use history::{Child, Model};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use truth::Tally;

/// Children simulated per parallel task.
const CHUNK: u64 = 8192;

/// Errors of a simulation run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad parameters.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// Output could not be written.
    #[error(transparent)]
    Write(#[from] write::WriteError),
}

/// What a run wrote, and the headline counts.
#[derive(Clone, Debug, Serialize)]
pub struct SimSummary {
    /// Children simulated.
    pub children: u64,
    /// Children with at least one row in the extract.
    pub children_in_extract: u64,
    /// Episodes with at least one row in the extract.
    pub episodes_in_extract: u64,
    /// Rows written.
    pub rows: u64,
    /// Rows per census year.
    pub rows_by_census_year: std::collections::BTreeMap<String, u64>,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// The simulated population, before anything is written.
pub struct Simulation {
    /// Parameters used.
    pub params: SimParams,
    /// Children with at least one episode open in the census years.
    pub children: Vec<Child>,
    /// Truth tally over all children.
    pub tally: Tally,
}

fn window(params: &SimParams) -> (cumin_census::Date, cumin_census::Date) {
    (
        CensusYear(params.first_census_year).start(),
        CensusYear(params.last_census_year).end(),
    )
}

/// Simulates every child (in parallel; the result does not depend on thread count).
pub fn simulate(params: &SimParams, progress: &dyn Progress) -> Result<Simulation, SimError> {
    params.validate()?;
    let model = Model::new(params);
    let per_cohort = params.births_per_cohort();
    let cohorts: Vec<i16> = params.cohorts().collect();
    let (start, end) = window(params);
    let tasks: Vec<(usize, u64, u64)> = cohorts
        .iter()
        .enumerate()
        .flat_map(|(ci, _)| {
            (0..per_cohort)
                .step_by(CHUNK as usize)
                .map(move |s| (ci, s, (s + CHUNK).min(per_cohort)))
        })
        .collect();
    progress.begin(
        "simulating children",
        Some(per_cohort * cohorts.len() as u64),
    );
    let results: Vec<(Vec<Child>, Tally)> = tasks
        .par_iter()
        .map(|&(ci, from, to)| {
            let mut tally = Tally::new(params.cohorts());
            let mut kept = Vec::new();
            for i in from..to {
                let index = ci as u64 * per_cohort + i;
                let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
                rng.set_stream(index);
                let child = model.child(&mut rng, index, cohorts[ci]);
                tally.add(&child);
                if child
                    .episodes
                    .iter()
                    .any(|e| e.referral <= end && e.closure >= start)
                {
                    kept.push(child);
                }
            }
            progress.advance(to - from);
            (kept, tally)
        })
        .collect();
    progress.end();
    let mut tally = Tally::new(params.cohorts());
    let mut children = Vec::new();
    for (kept, t) in results {
        tally.merge(&t);
        children.extend(kept);
    }
    Ok(Simulation {
        params: params.clone(),
        children,
        tally,
    })
}

impl Simulation {
    /// Writes `episodes.csv`, `episodes.parquet`, `denominators.csv` and `truth.json`.
    pub fn write(&self, out: &Path, progress: &dyn Progress) -> Result<SimSummary, SimError> {
        let p = &self.params;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| write::WriteError::Io { path, source }
        };
        std::fs::create_dir_all(out).map_err(io(out))?;
        let ids = extract::assign_ids(&self.children, p);
        let csv_path = out.join("episodes.csv");
        let parquet_path = out.join("episodes.parquet");
        let mut csv = write::CsvOut::create(&csv_path)?;
        let mut parquet = write::ParquetOut::create(&parquet_path)?;
        let mut summary = SimSummary {
            children: self.tally.children(),
            children_in_extract: 0,
            episodes_in_extract: 0,
            rows: 0,
            rows_by_census_year: std::collections::BTreeMap::new(),
            files: Vec::new(),
        };
        let years: Vec<CensusYear> = (p.first_census_year..=p.last_census_year)
            .map(CensusYear)
            .collect();
        progress.begin("writing extract", Some(years.len() as u64));
        let mut seen_child = vec![false; self.children.len()];
        let mut seen_episode = std::collections::HashSet::new();
        for &year in &years {
            let refs = extract::rows_of_year(&self.children, &ids, year);
            let rows: Vec<extract::ExtractRow> = refs
                .par_iter()
                .map(|r| extract::row(p, &self.children, *r, year))
                .collect();
            for (r, row) in refs.iter().zip(rows) {
                seen_child[r.child as usize] = true;
                seen_episode.insert((r.child, r.episode));
                csv.write(&row)?;
                parquet.write(row)?;
            }
            summary.rows += refs.len() as u64;
            summary
                .rows_by_census_year
                .insert(year.to_string(), refs.len() as u64);
            progress.advance(1);
        }
        progress.end();
        csv.finish()?;
        parquet.finish()?;
        summary.children_in_extract = seen_child.iter().filter(|b| **b).count() as u64;
        summary.episodes_in_extract = seen_episode.len() as u64;

        let denominators = out.join("denominators.csv");
        self.write_denominators(&denominators)
            .map_err(io(&denominators))?;
        let truth_path = out.join("truth.json");
        let doc = TruthDoc {
            generator: concat!("cumin-synth ", env!("CARGO_PKG_VERSION")),
            seed: p.seed,
            scale: p.scale,
            params: p,
            counts: &summary,
            truth: self.tally.truth(),
        };
        let mut text = serde_json::to_string_pretty(&doc).expect("truth serialises");
        text.push('\n');
        std::fs::write(&truth_path, text).map_err(io(&truth_path))?;
        summary.files = vec![parquet_path, csv_path, denominators, truth_path];
        Ok(summary)
    }

    /// Population by birth cohort, age, decile and sex (a closed population: every child
    /// born in England and living here to 18).
    fn write_denominators(&self, path: &Path) -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(f, "birth_year,age,IDACI_Decile,sex,population")?;
        for cohort in self.params.cohorts() {
            for age in 0..18 {
                for decile in 1..=10u8 {
                    for sex in [Sex::Male, Sex::Female] {
                        let n = self.tally.children_in_cell(cohort, decile, sex);
                        writeln!(f, "{cohort},{age},{decile},{},{n}", sex.as_str())?;
                    }
                }
            }
        }
        f.flush()
    }
}

#[derive(Serialize)]
struct TruthDoc<'a> {
    generator: &'static str,
    seed: u64,
    scale: f64,
    params: &'a SimParams,
    counts: &'a SimSummary,
    truth: truth::TruthCurves,
}
