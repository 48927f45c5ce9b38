//! Simulated extracts with the true child of every row, so linkage can be checked row by
//! row: the simulator writes `episodes.csv` and, with its truth switch, `true_ids.csv`
//! (row number → true child); ingest reads the episodes as `cumin estimate` would.

use cumin_census::{NoProgress, ReadOptions, read_extract};
use cumin_link::{IdMode, Linkage};
use cumin_synth::{QuirkRates, SimParams, WriteOptions};
use std::collections::{BTreeMap, BTreeSet};

/// An extract and the truth behind it.
pub struct Truth {
    /// The rows, as ingest holds them.
    pub episodes: cumin_census::Episodes,
    /// The true child (simulator index) of each row.
    pub child_of_row: Vec<u32>,
}

/// Simulates at `scale` with `seed`. Only the identifier quirks (PMR gaps, new LA child
/// IDs, IDs reused across LAs) are on, unless `perfect_ids`, which writes the true child
/// on every row; value quirks (drifting birth months, corrupt dates) are off so that no
/// conflict or quarantine blurs what linkage alone does.
pub fn simulate(scale: f64, seed: u64, perfect_ids: bool) -> Truth {
    let params = SimParams {
        scale,
        seed,
        perfect_ids,
        quirk: QuirkRates {
            la_id_reuse: QuirkRates::default().la_id_reuse,
            new_la_id_on_return: QuirkRates::default().new_la_id_on_return,
            ..QuirkRates::none()
        },
        ..SimParams::default()
    };
    let dir = std::env::temp_dir().join(format!(
        "cumin-link-truth-{}-{seed}-{scale}-{perfect_ids}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let sim = cumin_synth::simulate(&params, &NoProgress).expect("valid parameters");
    let options = WriteOptions {
        csv: true,
        parquet: false,
        true_ids: true,
    };
    sim.write_with(&dir, options, &NoProgress)
        .expect("writes the extract");
    let extract = read_extract(
        &[dir.join("episodes.csv")],
        &ReadOptions::default(),
        &NoProgress,
    )
    .expect("reads the simulated extract");
    let mut truth_of_line = Vec::new();
    let mut rdr = csv::Reader::from_path(dir.join("true_ids.csv")).expect("true_ids.csv");
    for rec in rdr.records() {
        let rec = rec.expect("a true-ID row");
        truth_of_line.push(rec[2].parse::<u32>().expect("a child index"));
    }
    std::fs::remove_dir_all(&dir).ok();
    let child_of_row = extract
        .episodes
        .source_row
        .iter()
        .map(|r| truth_of_line[*r as usize - 1])
        .collect();
    Truth {
        episodes: extract.episodes,
        child_of_row,
    }
}

/// What the identifiers allow, counted from the truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// True children with a row.
    pub children: u64,
    /// Children the identifiers can show: per true child, one for all LA keys its PMR
    /// reaches, plus one for each LA key it never carries the PMR on.
    pub identifiable: u64,
    /// Distinct LA keys (what `la-only` counts).
    pub la_keys: u64,
    /// Children with at least one row carrying their PMR (what `pmr-only` counts).
    pub children_with_pmr: u64,
}

impl Truth {
    /// Counts what a correct linkage must find under each mode.
    pub fn expected(&self) -> Expected {
        let e = &self.episodes;
        // Per true child: its LA keys, and which of them carry the PMR.
        let mut keys: BTreeMap<u32, BTreeMap<(u16, &str), bool>> = BTreeMap::new();
        for i in 0..e.len() {
            let key = (e.la[i].unwrap_or(0), e.la_child_id_str(i).unwrap_or(""));
            let with_pmr = keys
                .entry(self.child_of_row[i])
                .or_default()
                .entry(key)
                .or_insert(false);
            *with_pmr |= e.pmr[i].is_some();
        }
        let mut x = Expected {
            children: keys.len() as u64,
            identifiable: 0,
            la_keys: 0,
            children_with_pmr: 0,
        };
        for k in keys.values() {
            let reached = k.values().filter(|b| **b).count() as u64;
            let any = u64::from(reached > 0);
            x.identifiable += k.len() as u64 - reached + any;
            x.la_keys += k.len() as u64;
            x.children_with_pmr += any;
        }
        x
    }

    /// Linked children holding rows of more than one true child (false merges).
    pub fn impure_children(&self, l: &Linkage) -> u64 {
        let mut truth_of: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        for (i, c) in l.child_of_row.iter().enumerate() {
            if let Some(c) = c.get() {
                truth_of
                    .entry(c.0)
                    .or_default()
                    .insert(self.child_of_row[i]);
            }
        }
        truth_of.values().filter(|t| t.len() > 1).count() as u64
    }
}

/// The count a mode should reach on a simulated extract.
pub fn expected_children(x: &Expected, mode: IdMode) -> u64 {
    match mode {
        IdMode::Combined | IdMode::PmrSchoolAge => x.identifiable,
        IdMode::LaOnly => x.la_keys,
        IdMode::PmrOnly => x.children_with_pmr,
    }
}
