//! The transfer join's de-duplication: only the joined children's rows are
//! de-duplicated again, from a copy of those rows ([`JoinedRows::table`]: at England
//! some 60 thousand of 20 million), so the row table itself may be narrowed before the
//! join.

use crate::dedup::{DedupStats, EpisodeSet, dedup_order};
use crate::identity::{ChildId, Linkage};
use crate::order::sort_rows_by_key;
use crate::packed::RowEpisode;
use crate::transfer::{JoinedRows, Renumbering};
use cumin_census::{Episodes, Interner};
use rayon::prelude::*;

impl JoinedRows {
    /// The joined rows of `episodes` in a table of their own: its row `k` is row
    /// `self.rows[k]` of `episodes` (the same order, so ties broken by index fall the
    /// same way), every column copied, identifiers re-interned (only their text is ever
    /// compared). A column `episodes` no longer holds (freed, empty) stays empty.
    pub fn table(&self, episodes: &Episodes) -> Episodes {
        fn pick<T: Copy>(col: &[T], rows: &[u32], n: usize) -> Vec<T> {
            if col.len() == n {
                rows.iter().map(|&i| col[i as usize]).collect()
            } else {
                Vec::new()
            }
        }
        let n = episodes.len();
        let rows = &self.rows;
        let mut la_child_ids = Interner::default();
        let mut pmrs = Interner::default();
        let la_child_id = rows
            .iter()
            .map(|&i| {
                episodes.la_child_id[i as usize]
                    .map(|r| la_child_ids.intern(episodes.la_child_ids.get(r)))
            })
            .collect();
        let pmr = rows
            .iter()
            .map(|&i| episodes.pmr[i as usize].map(|r| pmrs.intern(episodes.pmrs.get(r))))
            .collect();
        // Every column named (no `..Default`): a column added to the table must be
        // copied here too, or this does not compile.
        Episodes {
            la_child_ids,
            pmrs,
            la_child_id,
            pmr,
            file: pick(&episodes.file, rows, n),
            source_row: pick(&episodes.source_row, rows, n),
            census_year: pick(&episodes.census_year, rows, n),
            la: pick(&episodes.la, rows, n),
            sex: pick(&episodes.sex, rows, n),
            ethnicity: pick(&episodes.ethnicity, rows, n),
            birth_month: pick(&episodes.birth_month, rows, n),
            birth_year: pick(&episodes.birth_year, rows, n),
            expected_dob: pick(&episodes.expected_dob, rows, n),
            referral: pick(&episodes.referral, rows, n),
            referral_imputed: pick(&episodes.referral_imputed, rows, n),
            closure: pick(&episodes.closure, rows, n),
            closure_repaired: pick(&episodes.closure_repaired, rows, n),
            nfa: pick(&episodes.nfa, rows, n),
            reason_for_closure: pick(&episodes.reason_for_closure, rows, n),
            primary_need: pick(&episodes.primary_need, rows, n),
            assessment_start: pick(&episodes.assessment_start, rows, n),
            s47_start: pick(&episodes.s47_start, rows, n),
            initial_cpc: pick(&episodes.initial_cpc, rows, n),
            cpp_start: pick(&episodes.cpp_start, rows, n),
            cpp_end: pick(&episodes.cpp_end, rows, n),
            idaci_decile: pick(&episodes.idaci_decile, rows, n),
        }
    }
}

/// The episode set of `merged`, the linkage `linkage` with some of its children joined
/// (as [`crate::merge_pairs`] makes it), from `set` and `stats`, what [`crate::deduplicate`]
/// made of `linkage`. Only the joined children's rows are de-duplicated again; every other
/// child's episodes depend on its rows alone and are copied under its new number. The
/// result equals `deduplicate(episodes, merged)`; it costs a pass over the rows and the
/// episodes instead of a sort of every row. `set` is consumed: each of its columns is
/// dropped as soon as the result's is built, so the two sets are never whole together.
pub fn rededuplicate(
    episodes: &Episodes,
    linkage: &Linkage,
    set: EpisodeSet,
    stats: &DedupStats,
    merged: &Linkage,
) -> (EpisodeSet, DedupStats) {
    let renumbering = Renumbering::between(linkage, merged);
    let joined = JoinedRows::between(linkage, merged, &renumbering);
    let table = joined.table(episodes);
    rededuplicate_joined(&table, (&renumbering, &joined), set, stats, merged)
}

/// [`rededuplicate`] after [`crate::join_pairs`], from what it returns (the renumbering
/// and the joined children's rows with their children before the join) instead of the
/// linkage before the join, and from `table`, those rows' copy ([`JoinedRows::table`]):
/// no other row is read.
pub fn rededuplicate_joined(
    table: &Episodes,
    (renumbering, joined_rows): (&Renumbering, &JoinedRows),
    set: EpisodeSet,
    stats: &DedupStats,
    merged: &Linkage,
) -> (EpisodeSet, DedupStats) {
    let joined = |c: ChildId| renumbering.joined(c);
    // The joined children's rows, de-duplicated under one linkage or the other.
    // Rows by their place `k` in `table`; `rows[k]` is their place in the row table.
    let rows = &joined_rows.rows;
    assert_eq!(table.len(), rows.len(), "the joined rows' table");
    let pmr_identified: Vec<bool> = rows
        .iter()
        .map(|&i| merged.pmr_identified[i as usize])
        .collect();
    let redo = |child_of: &(dyn Fn(u32) -> Option<ChildId> + Sync)| {
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        sort_rows_by_key(table, &mut order, |k| {
            let k = k as usize;
            (
                child_of(k as u32).map(|c| c.0),
                table.referral[k],
                table.referral_imputed[k],
                table.census_year[k],
            )
        });
        let (sub, stats, bounds) = dedup_order(table, (child_of, &pmr_identified), &order);
        (sub, stats, bounds, order)
    };
    let (_, before, _, _) = redo(&|k| Some(joined_rows.old[k as usize]));
    let (mut sub, after, sub_bounds, sub_order) =
        redo(&|k| merged.child_of(rows[k as usize] as usize));
    for last in &mut sub.last_row {
        *last = rows[*last as usize];
    }
    // The result in runs: episodes of `set` whose children joined nobody (consecutive
    // children's episodes are consecutive in `set`, so few runs), and each joined child's
    // episodes from `sub`, which take the place of its smallest member (`merge_pairs`
    // numbers children so, so the merged children come in order too).
    let mut runs: Vec<(Source, std::ops::Range<usize>)> = Vec::new();
    let mut next_sub = 0;
    for (old, range) in set.by_child() {
        let new = ChildId(renumbering.new_of_old[old.index()]);
        if joined(new) {
            let from = next_sub;
            while next_sub < sub.len() && sub.child[next_sub] == new {
                next_sub += 1;
            }
            if next_sub > from {
                runs.push((Source::Sub, from..next_sub));
            }
        } else {
            match runs.last_mut() {
                Some((Source::Set, r)) if r.end == range.start => r.end = range.end,
                _ => runs.push((Source::Set, range)),
            }
        }
    }
    debug_assert_eq!(next_sub, sub.len(), "every joined child placed");
    let out = splice_runs(
        set,
        &sub,
        &runs,
        renumbering,
        (&sub_order, &sub_bounds, rows),
    );
    (out, stats.minus(&before).plus(&after))
}

/// The episode set made of `runs` of `set` and `sub` (the joined children's episodes,
/// de-duplicated again, `sub_order` their rows in order by their place in the joined
/// rows' table, each episode's bounds in it, and `rows` each such row's place in the row
/// table), children renumbered; each column of `set` is dropped once the result's is built.
fn splice_runs(
    mut set: EpisodeSet,
    sub: &EpisodeSet,
    runs: &[(Source, std::ops::Range<usize>)],
    renumbering: &Renumbering,
    (sub_order, sub_bounds, rows): (&[u32], &[u32], &[u32]),
) -> EpisodeSet {
    let len: usize = runs.iter().map(|(_, r)| r.len()).sum();
    // Where each episode of `set` and of `sub` went.
    let mut remap = vec![u32::MAX; set.len()];
    let mut sub_remap = vec![u32::MAX; sub.len()];
    let mut at = 0u32;
    for (source, r) in runs {
        let to = match source {
            Source::Set => &mut remap[r.clone()],
            Source::Sub => &mut sub_remap[r.clone()],
        };
        for (k, x) in to.iter_mut().enumerate() {
            *x = at + k as u32;
        }
        at += r.len() as u32;
    }
    let new_child = |c: &ChildId| ChildId(renumbering.new_of_old[c.index()]);

    let mut child = Vec::with_capacity(len);
    for (source, r) in runs {
        match source {
            Source::Set => child.extend(set.child[r.clone()].iter().map(new_child)),
            Source::Sub => child.extend_from_slice(&sub.child[r.clone()]),
        }
    }
    set.child = Vec::new();
    // Each column built from the runs, the old one dropped before the next is built.
    macro_rules! splice_runs {
        ($col:ident) => {{
            let mut out = Vec::with_capacity(len);
            for (source, r) in runs {
                match source {
                    Source::Set => out.extend_from_slice(&set.$col[r.clone()]),
                    Source::Sub => out.extend_from_slice(&sub.$col[r.clone()]),
                }
            }
            set.$col = Vec::new();
            out
        }};
    }
    let mut out = EpisodeSet {
        child,
        referral: splice_runs!(referral),
        referral_imputed: splice_runs!(referral_imputed),
        closure: splice_runs!(closure),
        nfa: splice_runs!(nfa),
        reason_for_closure: splice_runs!(reason_for_closure),
        assessment_start: splice_runs!(assessment_start),
        s47_start: splice_runs!(s47_start),
        initial_cpc: splice_runs!(initial_cpc),
        cpp_start: splice_runs!(cpp_start),
        la: splice_runs!(la),
        idaci_decile: splice_runs!(idaci_decile),
        pmr_identified: splice_runs!(pmr_identified),
        first_census_year: splice_runs!(first_census_year),
        rows: splice_runs!(rows),
        last_row: splice_runs!(last_row),
        episode_of_row: Vec::new(),
    };
    let mut episode_of_row = std::mem::take(&mut set.episode_of_row);
    episode_of_row.par_iter_mut().for_each(|e| {
        *e = RowEpisode::new(
            e.get()
                .map(|e| remap[e as usize])
                .filter(|e| *e != u32::MAX),
        );
    });
    out.episode_of_row = episode_of_row;
    for (k, w) in sub_bounds.windows(2).enumerate() {
        for &i in &sub_order[w[0] as usize..w[1] as usize] {
            out.episode_of_row[rows[i as usize] as usize] = RowEpisode::some(sub_remap[k]);
        }
    }
    out
}

/// Which set a run of [`rededuplicate`]'s result is copied from.
#[derive(Clone, Copy)]
enum Source {
    /// The set given (children that joined nobody).
    Set,
    /// The joined children's episodes, de-duplicated again.
    Sub,
}
