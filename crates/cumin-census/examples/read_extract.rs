//! Reads episode files with cumin's reader and prints what it found: the command that
//! `scripts/bench-ingest.sh` times against `read_floor`.
//!
//! `cargo run --release -p cumin-census --features examples --example read_extract -- FILE...`

#![allow(clippy::print_stdout)]

use cumin_census::{EntryKind, NoProgress, ReadOptions, expand_inputs, read_extract};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let patterns: Vec<String> = std::env::args().skip(1).collect();
    if patterns.is_empty() {
        return Err("usage: read_extract FILE...".into());
    }
    let start = Instant::now();
    let extract = read_extract(
        &expand_inputs(&patterns)?,
        &ReadOptions::default(),
        &NoProgress,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let files = extract.files.len() as u16;
    let sum = |kind| {
        (0..files)
            .map(|f| extract.ledger.total(f, kind))
            .sum::<u64>()
    };
    let read = sum(EntryKind::Read);
    println!(
        "read {read} rows ({} kept, {} quarantined, {} excluded; {} LA child IDs, {} PMRs) in {seconds:.2} s: {:.0} rows/s",
        extract.episodes.len(),
        sum(EntryKind::Quarantined),
        sum(EntryKind::Excluded),
        extract.episodes.la_child_ids.len(),
        extract.episodes.pmrs.len(),
        read as f64 / seconds,
    );
    Ok(())
}
