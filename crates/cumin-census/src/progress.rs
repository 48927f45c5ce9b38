//! How libraries report progress without knowing about terminals.

/// Receives progress from long stages. The CLI draws bars; tests pass [`NoProgress`].
pub trait Progress: Sync {
    /// A stage starts; `total` in its own units if known.
    fn begin(&self, stage: &str, total: Option<u64>);
    /// A stage that counts `unit`s (`rows`, `replicates`) starts; `total` if known. The
    /// CLI shows the count, the rate and, with a total, the time left.
    fn begin_counting(&self, stage: &str, total: Option<u64>, unit: &'static str) {
        let _ = unit;
        self.begin(stage, total);
    }
    /// `n` more units of the current stage are done.
    fn advance(&self, n: u64);
    /// The current stage is done.
    fn end(&self);
    /// A message for the run log (shown once, not an error).
    fn note(&self, message: &str);
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn begin_counting(&self, _: &str, _: Option<u64>, _: &'static str) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
    fn note(&self, _: &str) {}
}
