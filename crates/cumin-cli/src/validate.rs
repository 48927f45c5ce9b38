//! `cumin validate`: read episode files as a run would, and report what was found — the
//! ledger and a data-quality profile — without estimating anything.

use crate::args::ValidateArgs;
use crate::progress::Bars;
use anyhow::{Context, Result, bail};
use cumin_census::profile::{AGE_BANDS, CODED_FIELDS, Group, KEY_FIELDS};
use cumin_census::{EntryKind, Extract, Ledger, Profile, Progress};
use cumin_study::StudyConfig;
use std::path::Path;

/// Reads the files as `estimate` would; fails only for files that cannot be used.
pub fn run(a: &ValidateArgs, bars: &Bars, quiet: bool) -> Result<()> {
    let study = a
        .study
        .as_deref()
        .map(StudyConfig::from_toml_file)
        .transpose()?;
    let mut options = match &study {
        Some(s) => s.read_options()?,
        None => cumin_census::ReadOptions::default(),
    };
    if let Some(p) = &a.lsoa_lookup {
        options.lsoa = Some(std::sync::Arc::new(cumin_census::LsoaLookup::read(p)?));
    }
    if let Some(p) = a.census_years {
        options.census_years = Some((p.first, p.last));
    }
    if !a.files.is_empty() {
        bars.note(
            "`cumin validate FILE...` is deprecated: name the files with --episodes, as for \
             cumin estimate (cumin validate --episodes FILE...)",
        );
    }
    let patterns: Vec<String> = match (&study, a.episodes.is_empty() && a.files.is_empty()) {
        (_, false) => a.episodes.iter().chain(&a.files).cloned().collect(),
        (Some(s), true) => s.episodes.clone(),
        (None, true) => bail!(
            "no episode files: give them with --episodes FILE... (or a study file with --study)"
        ),
    };
    if let Some(out) = &a.out {
        cumin_study::preflight::probe_output(out)?;
    }
    let inputs = cumin_census::expand_inputs(&patterns)?;
    cumin_study::preflight::distinct_inputs(&inputs)?;
    let mut extract = cumin_census::read_extract(&inputs, &options, bars)?;
    account(&mut extract)?;
    let profile = cumin_census::Profile::of(&extract.episodes);
    if let Some(out) = &a.out {
        write(out, &extract, &profile)?;
    }
    if !quiet {
        println!("data end: {}", extract.data_end);
        println!("census years: {}", extract.census_years.why);
        print_ledger(&extract.ledger);
        println!();
        print_profile(&profile);
        if let Some(out) = &a.out {
            println!();
            println!(
                "wrote ledger.csv, quarantine.csv, notes.csv and profile.csv to {} (exact counts by census year and LA, pseudonymised identifiers: none of them for release)",
                out.display()
            );
        }
    }
    Ok(())
}

/// Short headings for [`KEY_FIELDS`], in the same order.
const KEY_HEADINGS: [&str; KEY_FIELDS.len()] = [
    "LA-ID", "PMR", "LA", "birth", "sex", "ethn", "refer", "close", "NFA", "reason", "need",
    "IDACI",
];

/// Gives the rows that passed ingest their place (`used`: nothing further happens to
/// them here) and checks that every row read is accounted for.
fn account(extract: &mut Extract) -> Result<()> {
    for (f, n) in extract.rows_kept().into_iter().enumerate() {
        extract.ledger.add(f as u16, EntryKind::Used, "", n);
    }
    extract.ledger.check()?;
    Ok(())
}

/// Writes `ledger.csv`, `quarantine.csv`, `notes.csv` and `profile.csv` into `out`.
fn write(out: &Path, extract: &Extract, profile: &Profile) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    cumin_report::write::write_ledger_csv(
        &out.join("ledger.csv"),
        &cumin_report::keep_ledger(&extract.ledger),
    )?;
    cumin_report::write::write_quarantine_csv(
        &out.join("quarantine.csv"),
        &cumin_report::keep_quarantine(&extract.ledger),
    )?;
    cumin_report::write::write_notes_csv(
        &out.join("notes.csv"),
        &cumin_report::keep_notes(&extract.notes),
    )?;
    let path = out.join("profile.csv");
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    profile
        .write_csv(file)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn percent(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// Prints the ledger per file: where the rows went, then what each rule changed.
fn print_ledger(ledger: &Ledger) {
    println!("Ledger: every row read, by file (all lines in ledger.csv)");
    for (i, name) in ledger.files().iter().enumerate() {
        let f = i as u16;
        println!(
            "  {name}: read {}, passed ingest {}, quarantined {}, excluded {}",
            ledger.total(f, EntryKind::Read),
            ledger.total(f, EntryKind::Used),
            ledger.total(f, EntryKind::Quarantined),
            ledger.total(f, EntryKind::Excluded),
        );
        for (kind, label) in [
            (EntryKind::Quarantined, "quarantined"),
            (EntryKind::Excluded, "excluded"),
            (EntryKind::Rule, "values changed"),
        ] {
            let items: Vec<String> = ledger
                .lines()
                .filter(|(file, e, _)| *file == name && e.kind == kind)
                .map(|(_, e, n)| format!("{} {n}", e.reason))
                .collect();
            if !items.is_empty() {
                println!("    {label}: {}", items.join(", "));
            }
        }
        print_unreadable(ledger, f);
    }
}

/// Unreadable values shown per file, with their rows; `quarantine.csv` lists them all.
const UNREADABLE_SHOWN: usize = 5;

/// The first unreadable values of file `f` with their rows.
fn print_unreadable(ledger: &Ledger, f: u16) {
    let values: Vec<_> = ledger
        .values_set_missing()
        .iter()
        .filter(|v| v.file == f)
        .collect();
    if values.is_empty() {
        return;
    }
    let shown: Vec<String> = values
        .iter()
        .take(UNREADABLE_SHOWN)
        .map(|v| format!("row {} {}", v.row, v.detail))
        .collect();
    let more = if values.len() > UNREADABLE_SHOWN {
        format!(
            " and {} more in quarantine.csv",
            values.len() - UNREADABLE_SHOWN
        )
    } else {
        String::new()
    };
    println!("    unreadable, set missing: {}{more}", shown.join(", "));
}

fn print_missing(by_year: &[(String, Group)]) {
    println!("Missing values, % of rows (by year and LA in profile.csv)");
    print!("  {:9} {:>9}", "year", "rows");
    for h in KEY_HEADINGS {
        print!(" {h:>6}");
    }
    println!();
    for (year, g) in by_year {
        print!("  {year:9} {:>9}", g.rows);
        for k in 0..KEY_FIELDS.len() {
            print!(" {:>6}", percent(g.missing_share(k)));
        }
        println!();
    }
}

fn print_pmr(by_year: &[(String, Group)]) {
    println!("Rows carrying a PMR, % by age at referral");
    print!("  {:9}", "year");
    for b in AGE_BANDS {
        print!(" {b:>9}");
    }
    println!();
    for (year, g) in by_year {
        print!("  {year:9}");
        for b in 0..AGE_BANDS.len() {
            print!(
                " {:>9}",
                g.pmr_share(b).map_or_else(|| "-".to_owned(), percent)
            );
        }
        println!();
    }
}

fn print_codes(all: &Group) {
    println!("Codes, all years: rows (% of rows)");
    for (f, field) in CODED_FIELDS.iter().enumerate() {
        let items: Vec<String> = all.codes[f]
            .iter()
            .map(|(code, n)| {
                format!(
                    "{code} {n} ({}%)",
                    percent(*n as f64 / all.rows.max(1) as f64)
                )
            })
            .collect();
        println!("  {field}: {}", items.join(", "));
    }
}

/// Prints the profile by census year and the code frequencies.
fn print_profile(profile: &Profile) {
    let mut by_year: Vec<(String, Group)> = profile
        .by_year()
        .into_iter()
        .map(|(y, g)| (y.to_string(), g))
        .collect();
    let total = profile.total();
    by_year.push(("all".to_owned(), total.clone()));
    print_missing(&by_year);
    println!();
    print_pmr(&by_year);
    println!();
    print_codes(&total);
}
