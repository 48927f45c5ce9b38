//! Helpers for the simulator's integration tests: simulate, then read back what was written.

#![allow(dead_code)]

use cumin_census::NoProgress;
use cumin_synth::{SimParams, WriteOptions};
use std::collections::HashMap;
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
