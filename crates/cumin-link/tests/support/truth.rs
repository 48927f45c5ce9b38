//! Simulated extracts held in memory with the true child of every row, so linkage can be
//! checked row by row (the files `cumin simulate` writes do not name the true child).

use cumin_census::{CensusYear, EpisodeRow, Episodes, Ethnicity, NoProgress, Sex};
use cumin_link::{IdMode, Linkage};
use cumin_synth::{SimParams, extract};
use std::collections::{BTreeMap, BTreeSet};

/// An extract and the truth behind it.
pub struct Truth {
    /// The rows, as ingest would hold them.
    pub episodes: Episodes,
    /// The true child (simulator index) of each row.
    pub child_of_row: Vec<u32>,
}

/// Simulates at `scale` with `seed` (identifier quirks on unless `perfect_ids`).
pub fn simulate(scale: f64, seed: u64, perfect_ids: bool) -> Truth {
    let params = SimParams {
        scale,
        seed,
        perfect_ids,
        ..SimParams::default()
    };
    let sim = cumin_synth::simulate(&params, &NoProgress).expect("valid parameters");
    let ids = extract::assign_ids(&sim.children, &params);
    let mut episodes = Episodes::new();
    let mut child_of_row = Vec::new();
    for year in params.first_census_year..=params.last_census_year {
        let year = CensusYear(year);
        for r in extract::rows_of_year(&sim.children, &ids, year) {
            let x = extract::row(&params, &sim.children, r, year);
            let mut row = EpisodeRow::empty(0, episodes.len() as u32 + 1, year);
            row.la_child_id = Some(x.la_child_id);
            row.pmr = x.pmr;
            row.la = Some(x.la);
            row.sex = Sex::from_code(i64::from(x.gender));
            row.ethnicity = Ethnicity::from_code(x.ethnicity);
            row.birth_month = x.birth_month;
            row.birth_year = x.birth_year;
            row.expected_dob = x.expected_dob;
            row.referral = Some(x.referral);
            row.closure = x.closure;
            row.nfa = Some(x.nfa == 1);
            row.reason_for_closure = x.reason;
            row.primary_need = Some(x.primary_need);
            row.assessment_start = x.assessment;
            row.s47_start = x.s47;
            row.initial_cpc = x.icpc;
            row.cpp_start = x.cpp_start;
            row.cpp_end = x.cpp_end;
            row.idaci_decile = Some(x.idaci);
            episodes.push(row);
            child_of_row.push(r.child);
        }
    }
    Truth {
        episodes,
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
            if let Some(c) = c {
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
