//! The floor for `read_extract`: plain arrow-rs reading the same columns of the same
//! file into Arrow arrays — Parquet through the `parquet` crate's Arrow reader, CSV
//! through `arrow-csv` with every column as text — with no cleaning at all.
//!
//! `cargo run --release -p cumin-census --features examples --example read_floor -- FILE`

#![allow(clippy::print_stdout)]

use arrow_schema::{DataType, Field, Schema};
use cumin_census::schema::{ColumnMap, ResolvedHeaders};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 64 * 1024;

/// Positions of the columns cumin's reader decodes (it skips these five).
fn read_positions(headers: &[String]) -> Vec<usize> {
    use cumin_census::Column as C;
    let skipped = [
        C::ReferralSource,
        C::InitialCategoryOfAbuse,
        C::LatestCategoryOfAbuse,
        C::NumberOfPreviousCpp,
        C::La09,
        C::Lsoa,
    ];
    let resolved = ResolvedHeaders::resolve(headers, &ColumnMap::default());
    let mut p: Vec<usize> = resolved
        .positions
        .iter()
        .filter(|(c, _)| !skipped.contains(c))
        .map(|(_, p)| *p)
        .collect();
    p.sort_unstable();
    p
}

fn parquet(path: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), read_positions(&names));
    let mut rows = 0;
    for batch in builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()?
    {
        rows += batch?.num_rows() as u64;
    }
    Ok(rows)
}

fn csv(path: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let mut header = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(File::open(path)?), &mut header)?;
    let names: Vec<String> = header.trim_end().split(',').map(str::to_owned).collect();
    let schema = Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let reader = arrow_csv::ReaderBuilder::new(Arc::new(schema))
        .with_header(true)
        .with_batch_size(BATCH)
        .with_projection(read_positions(&names))
        .build(File::open(path)?)?;
    let mut rows = 0;
    for batch in reader {
        rows += batch?.num_rows() as u64;
    }
    Ok(rows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: read_floor FILE")?;
    let start = Instant::now();
    let rows = if path.ends_with(".parquet") {
        parquet(&path)?
    } else {
        csv(&path)?
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "arrow-rs read {rows} rows in {seconds:.2} s: {:.0} rows/s",
        rows as f64 / seconds
    );
    Ok(())
}
