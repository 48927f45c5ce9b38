//! Synthetic NPD Child in Need extracts whose truth is known.
//!
//! Real CIN data never leave a trusted research environment, so cumin's numbers are
//! proven on data like these: every birth cohort whose childhood overlaps the census
//! years is simulated from six months before birth to the 18th birthday ([`history`]),
//! its complete history gives the true cumulative incidence ([`truth`]), and only what an
//! extract would hold is written ([`extract`], [`write`]): rows for census years in the
//! window, identifiers with their real-world gaps. Same parameters and seed give
//! byte-identical files, whatever the number of threads.

pub mod cell;
pub mod child;
pub mod error;
pub mod extract;
pub mod first;
pub mod frailty;
pub mod history;
pub mod ids;
pub mod mechanism;
pub mod migration;
pub mod params;
pub mod quirks;
pub mod seeded;
pub mod truth;
pub mod write;

pub use frailty::FrailtyForm;
pub use mechanism::{MechanismParams, PmrMechanism};
pub use params::{MigrationParams, ParamsError, SimParams};
pub use quirks::QuirkRates;

use cumin_census::{CensusYear, Date, Progress, Sex};
use history::{Child, Model, TrueEpisode};
use migration::MigrationTally;
use quirks::QuirkCounts;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use truth::Tally;

/// Children simulated per parallel task.
const CHUNK: u64 = 16_384;

/// Rows rendered per parallel batch. Fixed, so batches (and bytes) do not depend on the
/// number of threads.
const BATCH: usize = 1 << 15;

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
    /// Children born in England simulated.
    pub children: u64,
    /// Children born abroad who arrived in England before 18 (with migration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children_arrived: Option<u64>,
    /// Children who left England before 18 (with migration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children_left: Option<u64>,
    /// Children with at least one row in the extract.
    pub children_in_extract: u64,
    /// Episodes with at least one row in the extract.
    pub episodes_in_extract: u64,
    /// Rows written.
    pub rows: u64,
    /// Rows per census year.
    pub rows_by_census_year: BTreeMap<String, u64>,
    /// Files written.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// Which files [`Simulation::write_with`] writes beside `denominators.csv` and `truth.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// `episodes.csv`.
    pub csv: bool,
    /// `episodes.parquet`.
    pub parquet: bool,
    /// `true_ids.csv` / `true_ids.parquet` (in the formats above): the true child of every
    /// written row. Truth, never on by default.
    pub true_ids: bool,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            csv: true,
            parquet: true,
            true_ids: false,
        }
    }
}

/// The simulated population, before anything is written.
pub struct Simulation {
    /// Parameters used.
    pub params: SimParams,
    /// Children with at least one row in the extract, holding only their episodes with
    /// rows, in simulation order.
    pub children: Vec<Child>,
    /// Truth tally over all children born in England, from complete histories.
    pub tally: Tally,
    /// With migration: residents and first-in-England events of every child who lived
    /// in England.
    pub migration: Option<MigrationTally>,
}

/// First and last day of the census years in the extract.
fn window(params: &SimParams) -> (Date, Date) {
    (
        CensusYear(params.first_census_year).start(),
        CensusYear(params.last_census_year).end(),
    )
}

/// Whether an episode leaves a row in the extract: open in some census year.
pub fn kept_episode(e: &TrueEpisode, window: (Date, Date)) -> bool {
    e.referral <= window.1 && e.closure >= window.0
}

/// Simulates every child (in parallel; the result does not depend on thread count).
///
/// Children born in England come first (cohort by cohort), then, with migration, the
/// children who arrive from abroad (`round(births × Σ in_per_1000 / 1000)` a cohort),
/// numbered after them. A child born here is simulated exactly as without migration; its
/// departure, if any, is drawn from a stream of its own and cuts its history afterwards,
/// so `tally` (complete histories of children born here) does not depend on migration.
pub fn simulate(params: &SimParams, progress: &dyn Progress) -> Result<Simulation, SimError> {
    params.validate()?;
    let model = Model::new(params);
    let per_cohort = params.births_per_cohort();
    let migrating = params.migration.enabled;
    let arrivals_per_cohort = if migrating {
        (per_cohort as f64 * params.migration.arrivals_per_birth()).round() as u64
    } else {
        0
    };
    let cohorts: Vec<i16> = params.cohorts().collect();
    let born_total = per_cohort * cohorts.len() as u64;
    let window = window(params);
    let chunks = |n: u64, arrived: bool| {
        cohorts.iter().enumerate().flat_map(move |(ci, _)| {
            (0..n)
                .step_by(CHUNK as usize)
                .map(move |s| (ci, s, (s + CHUNK).min(n), arrived))
        })
    };
    let tasks: Vec<(usize, u64, u64, bool)> = chunks(per_cohort, false)
        .chain(chunks(arrivals_per_cohort, true))
        .collect();
    progress.begin_counting(
        "simulating",
        Some((per_cohort + arrivals_per_cohort) * cohorts.len() as u64),
        "children",
    );
    // Sums of counts: the order tasks finish in cannot change them.
    let tally = Mutex::new(Tally::new(params.cohorts()));
    let resident = Mutex::new(MigrationTally::new(params.cohorts()));
    let kept: Vec<Vec<Child>> = tasks
        .par_iter()
        .map(|&(ci, from, to, arrived)| {
            let mut local = Tally::new(params.cohorts());
            let mut local_resident = migrating.then(|| MigrationTally::new(params.cohorts()));
            let mut kept = Vec::new();
            for i in from..to {
                let mut child = if arrived {
                    model.in_migrant(
                        born_total + ci as u64 * arrivals_per_cohort + i,
                        cohorts[ci],
                    )
                } else {
                    let child = model.child(ci as u64 * per_cohort + i, cohorts[ci]);
                    local.add(&child);
                    child
                };
                if let Some(r) = &mut local_resident {
                    model.emigrate(&mut child);
                    r.add(&child);
                }
                child.episodes.retain(|e| kept_episode(e, window));
                if !child.episodes.is_empty() {
                    child.episodes.shrink_to_fit();
                    kept.push(child);
                }
            }
            tally.lock().expect("no task panics").merge(&local);
            if let Some(r) = &local_resident {
                resident.lock().expect("no task panics").merge(r);
            }
            progress.advance(to - from);
            kept
        })
        .collect();
    progress.end();
    let mut children = Vec::with_capacity(kept.iter().map(Vec::len).sum());
    for k in kept {
        children.extend(k);
    }
    Ok(Simulation {
        params: params.clone(),
        children,
        tally: tally.into_inner().expect("no task panics"),
        migration: migrating.then(|| resident.into_inner().expect("no task panics")),
    })
}

impl Simulation {
    /// Writes `episodes.csv`, `episodes.parquet`, `denominators.csv` and `truth.json`.
    pub fn write(&self, out: &Path, progress: &dyn Progress) -> Result<SimSummary, SimError> {
        self.write_with(out, WriteOptions::default(), progress)
    }

    /// Writes the extract in the formats `options` asks for, `denominators.csv` and
    /// `truth.json` (with each quirk's realised count).
    // The writers share one pass over the rows per census year, in fixed-size batches:
    // the files are written side by side, so their steps stay together.
    #[allow(clippy::too_many_lines)]
    pub fn write_with(
        &self,
        out: &Path,
        options: WriteOptions,
        progress: &dyn Progress,
    ) -> Result<SimSummary, SimError> {
        let p = &self.params;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| write::WriteError::Io { path, source }
        };
        std::fs::create_dir_all(out).map_err(io(out))?;
        let rates = p.quirk_rates();
        let mut counts = QuirkCounts::default();
        let ids = extract::assign_ids(&self.children, p, &rates, &mut counts);
        let mut files = Vec::new();
        let mut csv = if options.csv {
            files.push(out.join("episodes.csv"));
            Some(write::CsvOut::create(&out.join("episodes.csv"))?)
        } else {
            None
        };
        let mut parquet = if options.parquet {
            files.push(out.join("episodes.parquet"));
            Some(write::ParquetOut::create(
                &out.join("episodes.parquet"),
                write::schema(),
            )?)
        } else {
            None
        };
        let mut true_ids = if options.true_ids {
            Some(write::TrueIdsOut::create(
                out,
                options.csv,
                options.parquet,
            )?)
        } else {
            None
        };
        let flows = self.migration.as_ref().map(MigrationTally::truth);
        let mut summary = SimSummary {
            children: self.tally.children(),
            children_arrived: flows.as_ref().map(|t| t.in_migrants),
            children_left: flows.as_ref().map(|t| t.out_migrants),
            children_in_extract: self.children.len() as u64,
            episodes_in_extract: self.children.iter().map(|c| c.episodes.len() as u64).sum(),
            rows: 0,
            rows_by_census_year: BTreeMap::new(),
            files: Vec::new(),
        };
        progress.begin_counting(
            "writing the extract",
            Some((p.last_census_year - p.first_census_year + 1) as u64),
            "census years",
        );
        let (first, last) = (
            CensusYear(p.first_census_year),
            CensusYear(p.last_census_year),
        );
        let by_year = extract::rows_by_year(&self.children, &ids, first, last);
        for (year, mut refs) in (first.0..=last.0).map(CensusYear).zip(by_year) {
            // Within a year, rows go by LA, LA child ID and referral date.
            refs.par_sort_unstable();
            let ctx = extract::YearContext::new(p, year);
            let rendered: Vec<(write::Batch, QuirkCounts, Vec<u64>)> = refs
                .par_chunks(BATCH)
                .map(|chunk| {
                    let mut batch =
                        write::BatchBuilder::new(chunk.len(), options.csv, options.parquet);
                    let mut qc = QuirkCounts::default();
                    let mut truth = Vec::new();
                    for r in chunk {
                        batch.push(&extract::render(&ctx, &self.children, *r, &mut qc));
                        if options.true_ids {
                            truth.push(self.children[r.child as usize].index);
                        }
                    }
                    (batch.finish(), qc, truth)
                })
                .collect();
            let mut batches = Vec::with_capacity(rendered.len());
            for (b, qc, truth) in rendered {
                counts.merge(&qc);
                if let Some(t) = &mut true_ids {
                    t.write(year.0, &truth)?;
                }
                batches.push(b);
            }
            let (a, b) = rayon::join(
                || csv.as_mut().map_or(Ok(()), |c| c.write(&batches)),
                || parquet.as_mut().map_or(Ok(()), |w| w.write_group(&batches)),
            );
            a?;
            b?;
            summary.rows += refs.len() as u64;
            summary
                .rows_by_census_year
                .insert(year.to_string(), refs.len() as u64);
            progress.advance(1);
        }
        progress.end();
        if let Some(c) = csv {
            c.finish()?;
        }
        if let Some(w) = parquet {
            w.finish()?;
        }
        if let Some(t) = true_ids {
            t.finish()?;
            files.extend(
                [
                    options.csv.then(|| out.join("true_ids.csv")),
                    options.parquet.then(|| out.join("true_ids.parquet")),
                ]
                .into_iter()
                .flatten(),
            );
        }

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
            quirks: counts.report(&rates, ids.recurring),
            truth: self.truth_with(flows),
        };
        let mut text = serde_json::to_string_pretty(&doc).expect("truth serialises");
        text.push('\n');
        std::fs::write(&truth_path, text).map_err(io(&truth_path))?;
        files.extend([denominators, truth_path]);
        summary.files = files;
        Ok(summary)
    }
    /// Every truth curve: the complete-history truth of children born in England and,
    /// with migration, the truth among residents (`migration`, computed once by the
    /// caller when it also needs the counts).
    pub fn truth(&self) -> truth::TruthCurves {
        self.truth_with(self.migration.as_ref().map(MigrationTally::truth))
    }

    fn truth_with(&self, migration: Option<migration::MigrationTruth>) -> truth::TruthCurves {
        let mut t = self.tally.truth();
        t.migration = migration;
        t
    }

    /// Population by birth cohort, age, decile and sex: without migration every child
    /// born in England, living here to 18; with it, the children resident in England at
    /// exact age `age + ½` (see [`migration`]).
    fn write_denominators(&self, path: &Path) -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(f, "birth_year,age,IDACI_Decile,sex,population")?;
        for cohort in self.params.cohorts() {
            for age in 0..18 {
                for decile in 1..=10u8 {
                    for sex in [Sex::Male, Sex::Female] {
                        let n = match &self.migration {
                            Some(m) => m.residents_in_cell(cohort, decile, sex, age),
                            None => self.tally.children_in_cell(cohort, decile, sex),
                        };
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
    quirks: quirks::QuirkReport,
    truth: truth::TruthCurves,
}
