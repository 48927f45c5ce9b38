//! Running every attack on a folder and counting what each recovers.

use crate::attack::attacks::{ATTACKS, Ctx, Found, base};
use crate::attack::cells::Truth;
use crate::attack::folder::{Folder, Label};
use crate::attack::solver::{Con, Dom, solve};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// What one attack (on one file, or all attacks together) recovers.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// Counts the profile means to hide, recovered exactly.
    pub hidden: usize,
    /// Counts of any size recovered exactly (rounding undone).
    pub any: usize,
    /// Cells pinned to a wrong value (an attack whose assumption failed; should be 0).
    pub wrong: usize,
    /// Constraints that contradicted others (an assumption that failed; should be 0).
    pub contradictions: usize,
    /// A few recovered hidden cells, `name = value`.
    pub examples: Vec<String>,
    /// Every recovered hidden cell.
    pub cells: Vec<String>,
}

/// A folder's results.
#[derive(Clone, Debug, Default)]
pub struct FolderScore {
    /// Cells the profile means to hide (whole counts in the truth).
    pub hidden_cells: usize,
    /// (attack, file) → recovered.
    pub by_attack: BTreeMap<(String, String), Recovered>,
    /// All attacks together.
    pub combined: Recovered,
    /// Constraints that contradicted others (and were dropped).
    pub contradictions: usize,
    /// Seconds each attack took (finding and solving).
    pub seconds: BTreeMap<String, f64>,
}

fn tally(
    start: &HashMap<usize, Dom>,
    doms: &HashMap<usize, Dom>,
    ctx: &Ctx<'_>,
    truth: &BTreeMap<String, Truth>,
) -> Recovered {
    let mut r = Recovered::default();
    let mut names: Vec<(&str, i64)> = Vec::new();
    for (v, d) in doms {
        let Some(x) = d.single() else { continue };
        if start.get(v).and_then(Dom::single).is_some() {
            continue;
        }
        let name = ctx.cells.name(*v);
        let Some(&t) = truth.get(name) else { continue };
        if t.value != x {
            r.wrong += 1;
            continue;
        }
        r.any += 1;
        if ctx.hidden.hides(t) {
            r.hidden += 1;
            names.push((name, x));
        }
    }
    names.sort_unstable();
    r.cells = names.iter().map(|(n, _)| (*n).to_owned()).collect();
    r.examples = names
        .iter()
        .take(3)
        .map(|(n, x)| format!("{n} = {x}"))
        .collect();
    r
}

/// Runs every attack on `folder`, whose true counts are `truth`.
pub fn score(folder: &Folder, truth: &BTreeMap<String, Truth>) -> FolderScore {
    score_many(&[("", folder)], truth)
}

/// The name of `file` of `folder` in the tables: prefixed by its design when several
/// folders are attacked together, and marked when the manifest does not list it.
fn label(design: &str, folder: &Folder, file: &str) -> String {
    let prefix = if design.is_empty() {
        String::new()
    } else {
        format!("{design}: ")
    };
    match folder.files.get(file) {
        Some(Label::Unlisted) => format!("{prefix}{file} (not in manifest)"),
        _ => format!("{prefix}{file}"),
    }
}

/// Runs every attack on several folders of the same data and profile together (cells of
/// the same name are the same count), whose true counts are `truth`.
pub fn score_many(folders: &[(&str, &Folder)], truth: &BTreeMap<String, Truth>) -> FolderScore {
    let mut ctx = Ctx::new(folders[0].1, truth);
    let mut start: HashMap<usize, Dom> = HashMap::new();
    let mut structure: Vec<Con> = Vec::new();
    for (_, f) in folders {
        ctx.folder = f;
        for (_, c) in base(&mut ctx) {
            if let Con::In(v, d) = c {
                let now = start.get(&v).map_or(Some(d.clone()), |s| s.meet(&d));
                start.insert(v, now.unwrap_or(d));
            } else {
                structure.push(c);
            }
        }
    }
    let mut seconds = BTreeMap::new();
    let mut found: Vec<(&'static str, Found)> = Vec::new();
    for a in ATTACKS {
        let t = Instant::now();
        let mut all = Found::new();
        for (design, f) in folders {
            ctx.folder = f;
            all.extend(
                (a.run)(&mut ctx)
                    .into_iter()
                    .map(|(file, c)| (label(design, f, &file), c)),
            );
        }
        seconds.insert(a.name.to_owned(), t.elapsed().as_secs_f64());
        found.push((a.name, all));
    }
    if folders.len() > 1 {
        found.push((
            "nested strata across folders",
            crate::attack::attacks::curves::nested_margins(&mut ctx, folders),
        ));
    }
    let first = |v: usize| start.get(&v).cloned().unwrap_or_else(Dom::any);
    let mut out = FolderScore {
        hidden_cells: truth.values().filter(|t| ctx.hidden.hides(**t)).count(),
        ..FolderScore::default()
    };
    let mut all: Vec<&Con> = structure.iter().collect();
    for (attack, cons) in &found {
        let mut by_file: BTreeMap<&str, Vec<&Con>> = BTreeMap::new();
        for (file, c) in cons {
            by_file
                .entry(file.as_str())
                .or_insert_with(|| structure.iter().collect())
                .push(c);
            all.push(c);
        }
        let t = Instant::now();
        for (file, cs) in by_file {
            let s = solve(&first, &cs);
            let mut r = tally(&start, &s.doms, &ctx, truth);
            r.contradictions = s.contradictions;
            out.by_attack
                .insert(((*attack).to_owned(), file.to_owned()), r);
        }
        *seconds.entry((*attack).to_owned()).or_default() += t.elapsed().as_secs_f64();
    }
    let t = Instant::now();
    let s = solve(&first, &all);
    out.combined = tally(&start, &s.doms, &ctx, truth);
    out.contradictions = s.contradictions;
    seconds.insert("(all together)".to_owned(), t.elapsed().as_secs_f64());
    out.seconds = seconds;
    out
}
