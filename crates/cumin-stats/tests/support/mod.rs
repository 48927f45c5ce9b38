//! Shared helpers for the reference tests: reading fixture CSVs and tracking how far
//! our numbers are from the reference ones.

pub mod tolerance;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A fixture CSV from `fixtures/reference/` (lines starting `#` are provenance).
pub struct Fixture {
    pub rows: Vec<Row>,
}

/// One record, by column name.
pub struct Row(BTreeMap<String, String>);

impl Fixture {
    pub fn read(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/reference")
            .join(name);
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_path(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let headers = reader.headers().expect("a header row").clone();
        let rows: Vec<Row> = reader
            .records()
            .map(|r| {
                let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
                Row(headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.to_owned(), v.to_owned()))
                    .collect())
            })
            .collect();
        assert!(!rows.is_empty(), "{name} has no rows");
        Self { rows }
    }

    /// The rows whose `column` equals `value`, in file order.
    pub fn filter<'a>(&'a self, column: &'a str, value: &'a str) -> impl Iterator<Item = &'a Row> {
        self.rows.iter().filter(move |r| r.text(column) == value)
    }

    /// Distinct values of `column`, in order of first appearance.
    pub fn distinct(&self, column: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for r in &self.rows {
            if !seen.iter().any(|s| s == r.text(column)) {
                seen.push(r.text(column).to_owned());
            }
        }
        seen
    }
}

impl Row {
    pub fn text(&self, column: &str) -> &str {
        self.0
            .get(column)
            .unwrap_or_else(|| panic!("no column {column}"))
    }

    /// A number as R or Python wrote it; `None` for R's `NA`.
    pub fn num(&self, column: &str) -> Option<f64> {
        match self.text(column) {
            "NA" => None,
            "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            s => Some(
                s.parse()
                    .unwrap_or_else(|e| panic!("{column} = {s:?}: {e}")),
            ),
        }
    }

    /// A number that must be present.
    pub fn f64(&self, column: &str) -> f64 {
        self.num(column).unwrap_or_else(|| panic!("{column} is NA"))
    }

    /// Numbers written in one field, separated by `;` (a design row, a sample).
    pub fn f64s(&self, column: &str) -> Vec<f64> {
        self.text(column)
            .split(';')
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|e| panic!("{column} holds {s:?}: {e}"))
            })
            .collect()
    }
}

/// The largest absolute difference seen for one quantity, checked against a tolerance
/// at every comparison and reported at the end (the figures in `docs/validation.md`).
pub struct MaxDiff {
    quantity: &'static str,
    tolerance: f64,
    max: f64,
    count: usize,
}

impl MaxDiff {
    pub fn new(quantity: &'static str, tolerance: f64) -> Self {
        Self {
            quantity,
            tolerance,
            max: 0.0,
            count: 0,
        }
    }

    /// Asserts `ours` is within tolerance of `reference`. Equal infinities agree.
    pub fn check(&mut self, ours: f64, reference: f64, context: &dyn std::fmt::Display) {
        let diff = if ours == reference {
            0.0
        } else {
            (ours - reference).abs()
        };
        assert!(
            diff <= self.tolerance,
            "{}: ours {ours:e}, reference {reference:e}, |diff| {diff:e} > {:e} at {context}",
            self.quantity,
            self.tolerance
        );
        self.max = self.max.max(diff);
        self.count += 1;
    }

    /// Records a difference that is reported but not held to a tolerance (a quantity
    /// the reference defines differently).
    pub fn observe(&mut self, ours: f64, reference: f64) {
        self.max = self.max.max((ours - reference).abs());
        self.count += 1;
    }

    pub fn report(&self) {
        assert!(self.count > 0, "{}: nothing compared", self.quantity);
        #[expect(
            clippy::print_stderr,
            reason = "the measured differences are quoted in docs/validation.md; see them with --nocapture"
        )]
        {
            eprintln!(
                "max |diff| {:<48} {:.3e}  over {} values",
                self.quantity, self.max, self.count
            );
        }
    }
}
