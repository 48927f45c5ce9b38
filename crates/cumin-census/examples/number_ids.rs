//! Prototype (issue 20, plan step 2.3): numbering identifiers by first appearance with the
//! serial interner against parsing them to integer keys and numbering by a parallel sort.
//! Decodes the two identifier columns first (not timed), then times each way and checks
//! they give the same numbers.
//!
//! `cargo run --release -p cumin-census --features examples --example number_ids -- FILE`

#![allow(clippy::print_stdout)]

use arrow_array::cast::AsArray;
use arrow_array::{Array, StringArray};
use cumin_census::Interner;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use std::fs::File;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fixed-format identifier as an integer: the format (prefix letter, radix, length) and
/// the digits' value; `None` for any other text.
fn key(s: &[u8]) -> Option<(u16, u64)> {
    let (prefix, digits) = match s.first()? {
        b'A'..=b'Z' => (u16::from(s[0] - b'A' + 1), &s[1..]),
        _ => (0, s),
    };
    let n = digits.len();
    if n == 0 {
        return None;
    }
    if n <= 19 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits
            .iter()
            .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        return Some((prefix << 6 | n as u16, v));
    }
    if n <= 16 && digits.iter().all(|d| matches!(d, b'0'..=b'9' | b'A'..=b'F')) {
        let v = digits.iter().fold(0u64, |v, d| {
            v << 4
                | u64::from(if d.is_ascii_digit() {
                    d - b'0'
                } else {
                    d - b'A' + 10
                })
        });
        return Some((prefix << 6 | 32 | n as u16, v));
    }
    None
}

/// CPU seconds of the process so far (user + system, from `/proc/self/stat`): the load
/// on a shared machine distorts wall seconds, not these.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Clock(f64);

impl Clock {
    fn lap(&mut self) -> f64 {
        let now = cpu();
        let d = now - self.0;
        self.0 = now;
        d
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: number_ids FILE")?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for name in ["CIN_LAchildID_Anon", "CIN_PupilMatchingRefAnonymous"] {
        let p = names.iter().position(|n| n == name).ok_or(name)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), [p]);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?
            .with_projection(mask)
            .with_batch_size(64 * 1024)
            .build()?;
        let mut arrays: Vec<StringArray> = Vec::new();
        for b in reader {
            arrays.push(b?.column(0).as_string::<i32>().clone());
        }
        let rows: Vec<Option<&str>> = arrays
            .iter()
            .flat_map(|a| (0..a.len()).map(move |i| (!a.is_null(i)).then(|| a.value(i))))
            .collect();

        // (a) The serial interner, as `Episodes::push`.
        let mut t = Clock(cpu());
        let mut pool = Interner::new();
        let by_interner: Vec<Option<u32>> = rows
            .iter()
            .map(|s| s.map(|s| pool.intern(s).index() as u32))
            .collect();
        let interner_s = t.lap();

        // (b) Keys parsed in parallel (as during cleaning), numbered by a parallel sort.
        t = Clock(cpu());
        let keys: Vec<Option<(u16, u64)>> = rows
            .par_iter()
            .with_min_len(4096)
            .map(|s| s.and_then(|s| key(s.as_bytes())))
            .collect();
        let parse_s = t.lap();
        t = Clock(cpu());
        let mut fallback = Interner::new();
        let mut fallback_first: Vec<u32> = Vec::new();
        let mut fallback_of_row: Vec<(u32, u32)> = Vec::new();
        let mut pairs: Vec<u128> = Vec::with_capacity(rows.len());
        for (row, (s, k)) in rows.iter().zip(&keys).enumerate() {
            match (s, k) {
                (_, Some((f, v))) => {
                    pairs.push(u128::from(*v) << 64 | u128::from(*f) << 32 | row as u128);
                }
                (Some(s), None) => {
                    let id = fallback.intern(s).index();
                    if id == fallback_first.len() {
                        fallback_first.push(row as u32);
                    }
                    fallback_of_row.push((row as u32, id as u32));
                }
                (None, None) => {}
            }
        }
        let collect_s = t.lap();
        t = Clock(cpu());
        pairs.par_sort_unstable();
        let sort_s = t.lap();
        t = Clock(cpu());
        // Group starts and each group's first row.
        let group = |p: u128| p >> 32;
        let mut firsts: Vec<u64> = Vec::new();
        let mut starts: Vec<u32> = Vec::new();
        for (i, p) in pairs.iter().enumerate() {
            if i == 0 || group(pairs[i - 1]) != group(*p) {
                firsts.push(((*p as u32 as u64) << 32) | starts.len() as u64);
                starts.push(i as u32);
            }
        }
        starts.push(pairs.len() as u32);
        // Fallback values: tagged with the top bit of the group index.
        firsts.extend(
            fallback_first
                .iter()
                .enumerate()
                .map(|(i, r)| (u64::from(*r) << 32) | (1 << 31) | i as u64),
        );
        firsts.par_sort_unstable();
        let ids: Vec<AtomicU32> = (0..rows.len()).map(|_| AtomicU32::new(u32::MAX)).collect();
        let mut number_of_fallback = vec![0u32; fallback_first.len()];
        let groups: Vec<(u32, u32)> = firsts
            .iter()
            .enumerate()
            .filter_map(|(n, f)| {
                let g = *f as u32;
                if g & (1 << 31) != 0 {
                    number_of_fallback[(g & !(1 << 31)) as usize] = n as u32;
                    None
                } else {
                    Some((g, n as u32))
                }
            })
            .collect();
        groups.par_iter().with_min_len(1024).for_each(|&(g, n)| {
            for p in &pairs[starts[g as usize] as usize..starts[g as usize + 1] as usize] {
                ids[*p as u32 as usize].store(n, Ordering::Relaxed);
            }
        });
        for (row, id) in &fallback_of_row {
            ids[*row as usize].store(number_of_fallback[*id as usize], Ordering::Relaxed);
        }
        let by_sort: Vec<Option<u32>> = ids
            .into_iter()
            .map(|a| Some(a.into_inner()).filter(|v| *v != u32::MAX))
            .collect();
        let number_s = t.lap();
        assert_eq!(by_interner, by_sort, "{name}");
        println!(
            "{name}: {} rows, {} distinct, {} fallback: CPU s: interner {interner_s:.2} s; parse {parse_s:.2} s CPU, collect {collect_s:.2} s, sort {sort_s:.2} s CPU, number {number_s:.2} s",
            rows.len(),
            pool.len(),
            fallback.len(),
        );
    }
    Ok(())
}
