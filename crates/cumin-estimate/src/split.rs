//! The split-identity correction (`--linkage corrected`; docs/methods.md, "Linkage
//! error").
//!
//! In the identifier graph an LA key (one LA's record of a child) joins the child's
//! other keys only through a PMR, so a key none of whose rows carries a PMR is a child
//! of its own, and every key of a child with an event after it adds one spurious "first"
//! event. Which keys carry a PMR is seen directly: it depends on the ages of the key's
//! rows (PMRs come with school). Where both keys of a move carry one, the move is seen
//! in full, inside one linked child. The correction weights each such *seen* pair of
//! consecutive PMR-carrying keys by the inverse of the chance that both carry a PMR, so
//! the seen pairs stand for all pairs, and removes the pairs that were not seen: each
//! seen pair becomes a *ghost* of weight `w = 1/P(seen) − 1`, three pseudo-children
//! tabulated beside the real children (the later key's event years at `−w`, the rest of
//! the child at `−w`, the whole child at `+w`; see [`PARTS`]). A ghost undoes exactly
//! what the hidden split did to the cells (cohort, age, stratum; first events and the
//! lookback table).
//!
//! `P(seen) = h · q(A) · q(B)`: `h` is the share of children who ever carry a PMR (keys
//! whose rows are all of school age almost always carry one when the child does), and
//! `q(K) = φ(K) / h` the chance a key of such a child carries it, from `φ(K)`, the share
//! of all keys of K's class (oldest age on its rows at the census date, and 1, 2, or 3+
//! rows) that carry one. The assumption: given its class, whether a key carries a PMR
//! does not depend on whether the child moves after it. Pairs the transfer rule would
//! have joined (an `RC5` closure in A, B's first referral within the window) are
//! weighted down by the share of such matches the rule keeps.

use crate::curves::{OutcomeYears, Strata};
use crate::frame::Frame;
use cumin_census::codes::RC_TRANSFERRED;
use cumin_census::{CensusYear, Episodes, Outcome};
use cumin_cohort::{ChildTable, Event, Events, Identity, YearTables, tabulate_years};
use cumin_link::transfer::TRANSFER_WINDOW_DAYS;
use cumin_link::{ChildId, EpisodeSet, Linkage, ids::NO_KEY};
use rayon::prelude::*;

/// Oldest age a key class distinguishes (17 stands for 17 and over).
const CLASS_AGES: usize = 18;
/// Row counts a key class distinguishes: 1, 2, 3 or more.
const CLASS_ROWS: usize = 3;
/// Number of key classes.
pub const N_CLASSES: usize = CLASS_AGES * CLASS_ROWS;
/// Oldest ages whose keys define `h`: well into school age, before the oldest years'
/// lower PMR coverage.
const REFERENCE_AGES: std::ops::RangeInclusive<usize> = 7..=13;

/// The class of a key: oldest age on its rows (on 31 March of each census year) and its
/// number of rows.
pub fn key_class(oldest_age: i32, rows: u32) -> u8 {
    let a = oldest_age.clamp(0, CLASS_AGES as i32 - 1) as usize;
    let r = (rows.clamp(1, CLASS_ROWS as u32) - 1) as usize;
    (a * CLASS_ROWS + r) as u8
}

/// One seen pair of consecutive keys of one child for one outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ghost {
    /// The linked child the pair belongs to (its bootstrap weight is the ghost's).
    pub source: ChildId,
    /// Class of the earlier key.
    pub class_from: u8,
    /// Class of the later key.
    pub class_to: u8,
    /// Whether the transfer rule could have joined the pair had it been split.
    pub transfer_like: bool,
}

/// Every key's child, class and PMR, to estimate `φ` (again in each bootstrap
/// replicate, with the children's weights).
#[derive(Clone, Debug, Default)]
pub struct KeyTable {
    /// The key's child.
    pub child: Vec<ChildId>,
    /// The key's class.
    pub class: Vec<u8>,
    /// Whether any row of the key carries a PMR.
    pub pmr: Vec<bool>,
}

/// `φ` by class and `h`, from keys weighted by `weight(child)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PmrShares {
    /// Share of keys carrying a PMR, by class (`None`: no keys of that class).
    pub phi: Vec<Option<f64>>,
    /// Share of children who ever carry a PMR.
    pub h: f64,
}

impl KeyTable {
    /// `φ` and `h` with each key weighted by its child's weight.
    pub fn shares(&self, weight: impl Fn(ChildId) -> f64) -> PmrShares {
        let mut with = [0.0; N_CLASSES];
        let mut all = [0.0; N_CLASSES];
        for ((c, class), pmr) in self.child.iter().zip(&self.class).zip(&self.pmr) {
            let w = weight(*c);
            all[usize::from(*class)] += w;
            if *pmr {
                with[usize::from(*class)] += w;
            }
        }
        let phi = (0..N_CLASSES)
            .map(|k| (all[k] > 0.0).then(|| with[k] / all[k]))
            .collect();
        let (mut w_ref, mut a_ref) = (0.0, 0.0);
        for age in REFERENCE_AGES {
            let k = age * CLASS_ROWS + CLASS_ROWS - 1;
            w_ref += with[k];
            a_ref += all[k];
        }
        PmrShares {
            phi,
            h: if a_ref > 0.0 { w_ref / a_ref } else { 1.0 },
        }
    }
}

impl PmrShares {
    /// The chance a pair of keys of these classes is seen (both carry the PMR).
    pub fn seen(&self, from: u8, to: u8) -> Option<f64> {
        if self.h <= 0.0 {
            return None;
        }
        let q = |k: u8| self.phi[usize::from(k)].map(|p| (p / self.h).min(1.0));
        let p = self.h * q(from)? * q(to)?;
        (p > 0.0).then_some(p)
    }
}

/// The weight (before the sign) that a seen pair's ghost takes: the hidden pairs it
/// stands for, `1 / P(seen) − 1`, times the share of them the transfer rule would not
/// have joined.
pub fn ghost_factor(seen: f64, transfer_like: bool, transfer_kept: f64) -> f64 {
    let hidden = (1.0 / seen - 1.0).max(0.0);
    if transfer_like {
        hidden * (1.0 - transfer_kept)
    } else {
        hidden
    }
}

/// The correction's inputs: keys, ghosts and their event years per outcome.
#[derive(Clone, Debug)]
pub struct SplitCorrection {
    /// Every key with a usable child.
    pub keys: KeyTable,
    /// Ghosts, all outcomes (`years[o].years[i].child` indexes this).
    pub ghosts: Vec<Ghost>,
    /// Each outcome's ghost event years (child = `PARTS ·` ghost index + part, see
    /// [`PARTS`]), in the study's outcome order; placed in strata by
    /// [`SplitCorrection::place`].
    pub years: Vec<OutcomeYears>,
    /// Share of closure–referral matches the transfer rule keeps (joins).
    pub transfer_kept: f64,
}

/// Diagnostics of the correction for `linkage.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSummary {
    /// `h`.
    pub h: f64,
    /// Per outcome: seen pairs, and first events removed (in tabulated cohorts or not).
    pub per_outcome: Vec<(Outcome, u64, f64)>,
}

impl SplitCorrection {
    /// Finds the keys and the seen pairs of every outcome, among the children of
    /// `identity` (with the transfer pairs joined) and their `events`.
    pub fn build(
        episodes: &Episodes,
        identity: &Identity,
        events: &Events,
        outcomes: &[Outcome],
    ) -> SplitCorrection {
        let (linkage, set, children) = (&identity.linkage, &identity.episodes, &identity.children);
        let transfers = &identity.transfers;
        let (keys, class_of_key, pmr_of_key) = key_table(episodes, linkage, children);
        let key_of_episode: Vec<u32> = set
            .last_row
            .iter()
            .map(|&r| linkage.key_of_row[r as usize])
            .collect();
        let mut ghosts = Vec::new();
        let mut years = Vec::with_capacity(outcomes.len());
        for &o in outcomes {
            let mut out: Vec<Event> = Vec::new();
            let all = &events.all[o.index()];
            let mut start = 0;
            while start < all.len() {
                let child = all[start].child;
                let end = start + all[start..].iter().take_while(|e| e.child == child).count();
                let events = &all[start..end];
                start = end;
                if !has_two_pmr_keys(events, &key_of_episode, &pmr_of_key) {
                    continue;
                }
                let run: Vec<Event> = events.iter().filter(|e| e.in_window).copied().collect();
                for (from, to) in consecutive_keys(&run, &key_of_episode, &pmr_of_key) {
                    let (Some(cf), Some(ct)) =
                        (class_of_key[from as usize], class_of_key[to as usize])
                    else {
                        continue;
                    };
                    let g = ghosts.len() as u32;
                    let transfer_like = transfer_like(set, &run, &key_of_episode, from, to);
                    ghosts.push(Ghost {
                        source: child,
                        class_from: cf,
                        class_to: ct,
                        transfer_like,
                    });
                    let parts: [&dyn Fn(u32) -> bool; 3] = [&|k| k == to, &|k| k != to, &|_| true];
                    for (part, keep) in parts.iter().enumerate() {
                        let id = ChildId(PARTS * g + part as u32);
                        push_years(&mut out, id, &run, |e| {
                            keep(key_of_episode[e.episode as usize])
                        });
                    }
                }
            }
            years.push(OutcomeYears {
                outcome: o,
                years: out,
                strata: Vec::new(),
            });
        }
        let transfer_kept = if transfers.closures_with_candidates == 0 {
            0.0
        } else {
            transfers.pairs as f64 / transfers.closures_with_candidates as f64
        };
        SplitCorrection {
            keys,
            ghosts,
            years,
            transfer_kept,
        }
    }

    /// Places every ghost event year in the strata, as its linked child's event would be
    /// (through `place`, which labels an event by its child and episode).
    pub fn place(
        &mut self,
        mut place: impl FnMut(Outcome, Vec<Event>) -> Result<OutcomeYears, crate::EstimateError>,
    ) -> Result<(), crate::EstimateError> {
        for oy in &mut self.years {
            let labelled: Vec<Event> = oy
                .years
                .iter()
                .map(|e| Event {
                    child: self.ghosts[(e.child.0 / PARTS) as usize].source,
                    ..*e
                })
                .collect();
            let placed = place(oy.outcome, labelled)?;
            oy.strata = placed.strata;
        }
        Ok(())
    }

    /// Each ghost's weight (negative) for children weighted by `weight`; `key_weight`
    /// weights the keys that estimate `φ`.
    pub fn weights(
        &self,
        weight: impl Fn(ChildId) -> f64,
        key_weight: impl Fn(ChildId) -> f64,
    ) -> Vec<f64> {
        let shares = self.keys.shares(key_weight);
        self.ghosts
            .iter()
            .map(|g| {
                let w = weight(g.source);
                if w == 0.0 {
                    return 0.0;
                }
                shares.seen(g.class_from, g.class_to).map_or(0.0, |p| {
                    -w * ghost_factor(p, g.transfer_like, self.transfer_kept)
                })
            })
            .collect()
    }

    /// The ghost tables of outcome `oi` under stratification `k`.
    pub fn tables(
        &self,
        oi: usize,
        k: usize,
        strata: &Strata,
        frame: &Frame,
        ghost_weights: &[f64],
    ) -> Vec<YearTables> {
        let oy = &self.years[oi];
        tabulate_years(
            &oy.years,
            &oy.strata[k],
            strata.levels.len(),
            &frame.cohorts,
            |p| part_sign(p) * ghost_weights[(p.0 / PARTS) as usize],
        )
    }

    /// `h` and, per outcome, the seen pairs and the first events removed.
    pub fn summary(&self) -> SplitSummary {
        let weights = self.weights(|_| 1.0, |_| 1.0);
        let shares = self.keys.shares(|_| 1.0);
        let per_outcome = self
            .years
            .iter()
            .map(|oy| {
                let mut ghosts: Vec<u32> = oy.years.iter().map(|e| e.child.0 / PARTS).collect();
                ghosts.dedup();
                let removed: f64 = ghosts.iter().map(|g| -weights[*g as usize]).sum();
                (oy.outcome, ghosts.len() as u64, removed)
            })
            .collect();
        SplitSummary {
            h: shares.h,
            per_outcome,
        }
    }
}

/// Adds `ghost` tables into `real`, keeping every cell at zero or above (a cell cannot
/// lose more children than it has).
pub fn subtract_into(real: &mut [YearTables], ghost: &[YearTables]) {
    for (r, g) in real.iter_mut().zip(ghost) {
        r.first_observed
            .zip_mut_with(&g.first_observed, |a, b| *a = (*a + b).max(0.0));
        r.lookback
            .zip_mut_with(&g.lookback, |a, b| *a = (*a + b).max(0.0));
    }
}

/// Pseudo-children per ghost, as [`SplitCorrection::years`] numbers them: `PARTS · g` the
/// later key's event years alone (what the split adds as a child of its own, weight
/// `−w`), `PARTS · g + 1` the child without them (what the split leaves of it, `−w`) and
/// `PARTS · g + 2` the whole child (what the split takes away, `+w`). First events cancel
/// between the last two, so only the later key's first event is removed; the lookback
/// table gets back the earlier event years that the split hid from the later key's.
const PARTS: u32 = 3;

/// The sign of a ghost part's weight (see [`PARTS`]).
fn part_sign(pseudo: ChildId) -> f64 {
    if pseudo.0 % PARTS == PARTS - 1 {
        -1.0
    } else {
        1.0
    }
}

/// Appends the distinct event years (ages) of the events of `run` that `keep` selects, as
/// child `id`'s.
fn push_years(out: &mut Vec<Event>, id: ChildId, run: &[Event], keep: impl Fn(&Event) -> bool) {
    let mut last_age = None;
    for e in run.iter().filter(|e| keep(e)) {
        let age = e.age.max(0);
        if last_age == Some(age) {
            continue;
        }
        last_age = Some(age);
        out.push(Event {
            child: id,
            age,
            ..*e
        });
    }
}

/// Whether a child's in-window events lie in two or more PMR-carrying keys: most
/// children's do not, and are passed over without allocating.
fn has_two_pmr_keys(events: &[Event], key_of_episode: &[u32], pmr_of_key: &[bool]) -> bool {
    let mut first = None;
    for e in events.iter().filter(|e| e.in_window) {
        let k = key_of_episode[e.episode as usize];
        if k == NO_KEY || !pmr_of_key[k as usize] {
            continue;
        }
        match first {
            None => first = Some(k),
            Some(f) if f != k => return true,
            Some(_) => {}
        }
    }
    false
}

/// Consecutive pairs of the PMR-carrying keys holding a child's events (`run`, in date
/// order), keys ordered by their first event.
///
/// Only keys carrying a PMR take part: a pair is *seen* when the PMR joins it, which is
/// what `P(seen)` is the chance of. A key without one can still sit in a linked child,
/// joined by the transfer rule (`merge`), but such a pair was not seen through the PMR
/// and must not be weighted by its inverse chance (an infant key's `1 / P` is in the
/// hundreds; weighting merged pairs so removed eighteen times the true split count).
fn consecutive_keys(run: &[Event], key_of_episode: &[u32], pmr_of_key: &[bool]) -> Vec<(u32, u32)> {
    let mut order: Vec<u32> = Vec::new();
    for e in run {
        let k = key_of_episode[e.episode as usize];
        if k != NO_KEY && pmr_of_key[k as usize] && !order.contains(&k) {
            order.push(k);
        }
    }
    order.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Whether a transfer closure of key `from` precedes the first referral of key `to` by
/// at most the transfer window, in another LA.
fn transfer_like(
    set: &EpisodeSet,
    run: &[Event],
    key_of_episode: &[u32],
    from: u32,
    to: u32,
) -> bool {
    let Some(first_to) = run
        .iter()
        .find(|e| key_of_episode[e.episode as usize] == to)
    else {
        return false;
    };
    let child = set.child[first_to.episode as usize];
    let b = first_to.episode as usize;
    let referral = set.referral[b];
    // The child's episodes are contiguous in the set; look at those of key `from`.
    let mut lo = b;
    while lo > 0 && set.child[lo - 1] == child {
        lo -= 1;
    }
    let mut hi = b;
    while hi + 1 < set.len() && set.child[hi + 1] == child {
        hi += 1;
    }
    (lo..=hi).any(|e| {
        key_of_episode[e] == from
            && set.reason_for_closure[e] == Some(RC_TRANSFERRED)
            && set.la[e] != set.la[b]
            && set.closure[e].is_some_and(|d| {
                let gap = referral.days_since(d);
                (0..=TRANSFER_WINDOW_DAYS).contains(&gap)
            })
    })
}

/// A key's child (smallest; `u32::MAX` for none yet), oldest age, rows and PMR.
#[derive(Clone, Copy)]
struct Key {
    child: u32,
    oldest: i32,
    rows: u32,
    pmr: bool,
}

/// Every key with a child whose birth date is known: its class and PMR; and, by key
/// index, the class of each key (`None`: no usable child) and whether it carries a PMR.
fn key_table(
    episodes: &Episodes,
    linkage: &Linkage,
    children: &ChildTable,
) -> (KeyTable, Vec<Option<u8>>, Vec<bool>) {
    let n_keys = linkage
        .key_of_row
        .iter()
        .filter(|k| **k != NO_KEY)
        .map(|k| *k as usize + 1)
        .max()
        .unwrap_or(0);
    let mut state = vec![
        Key {
            child: u32::MAX,
            oldest: i32::MIN,
            rows: 0,
            pmr: false,
        };
        n_keys
    ];
    // Each thread owns a range of keys and scans every row for them: the rows of a key
    // are scattered, and halving the keys a thread writes halves its cache misses. Every
    // update is a min, max, sum or or, so the result does not depend on the threads.
    let chunk = n_keys.div_ceil(rayon::current_num_threads().max(1)).max(1);
    state
        .par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(j, part)| {
            let (lo, hi) = ((j * chunk) as u32, (j * chunk + part.len()) as u32);
            for i in 0..episodes.len() {
                let k = linkage.key_of_row[i];
                if k == NO_KEY || k < lo || k >= hi {
                    continue;
                }
                let Some(c) = linkage.child_of_row[i] else {
                    continue;
                };
                let Some(dob) = children.dob[c.index()] else {
                    continue;
                };
                let on = CensusYear::end(episodes.census_year[i]);
                let age = cumin_census::age_at(dob, on).max(0);
                // A key split by the conflict policy can hold rows of two children; the
                // smallest child stands for it.
                let s = &mut part[(k - lo) as usize];
                s.child = s.child.min(c.0);
                s.oldest = s.oldest.max(age);
                s.rows += 1;
                s.pmr |= linkage.pmr_identified[i];
            }
        });
    let mut t = KeyTable::default();
    let mut class = vec![None; n_keys];
    for (k, s) in state.iter().enumerate() {
        if s.child != u32::MAX {
            let kc = key_class(s.oldest, s.rows);
            t.child.push(ChildId(s.child));
            t.class.push(kc);
            t.pmr.push(s.pmr);
            class[k] = Some(kc);
        }
    }
    (t, class, state.iter().map(|s| s.pmr).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{Date, EpisodeRow};
    use cumin_cohort::BirthRules;

    #[test]
    fn key_classes_cap_age_and_rows() {
        assert_eq!(key_class(0, 1), 0);
        assert_eq!(key_class(0, 3), 2);
        assert_eq!(key_class(0, 9), 2);
        assert_eq!(key_class(-1, 0), 0);
        assert_eq!(key_class(4, 2), 13);
        assert_eq!(key_class(30, 1), key_class(17, 1));
        assert_eq!(usize::from(key_class(17, 5)), N_CLASSES - 1);
    }

    fn keys(spec: &[(u32, u8, bool)]) -> KeyTable {
        KeyTable {
            child: spec.iter().map(|s| ChildId(s.0)).collect(),
            class: spec.iter().map(|s| s.1).collect(),
            pmr: spec.iter().map(|s| s.2).collect(),
        }
    }

    #[test]
    fn shares_give_phi_by_class_h_from_school_age_keys_and_the_chance_a_pair_is_seen() {
        let infant = key_class(1, 1);
        let school = key_class(9, 3);
        // Infant keys: 1 of 4 carries a PMR; school-age keys: 4 of 5 (h = 0.8).
        let t = keys(&[
            (0, infant, true),
            (1, infant, false),
            (2, infant, false),
            (3, infant, false),
            (4, school, true),
            (5, school, true),
            (6, school, true),
            (7, school, true),
            (8, school, false),
        ]);
        let s = t.shares(|_| 1.0);
        assert_eq!(s.phi[usize::from(infant)], Some(0.25));
        assert_eq!(s.phi[usize::from(school)], Some(0.8));
        assert_eq!(s.phi[usize::from(key_class(3, 2))], None);
        assert!((s.h - 0.8).abs() < 1e-12);
        // q(infant) = 0.25 / 0.8, q(school) = 1: P = 0.8 · 0.3125 · 1 = 0.25.
        assert!((s.seen(infant, school).unwrap() - 0.25).abs() < 1e-12);
        assert!((s.seen(infant, infant).unwrap() - 0.8 * 0.3125 * 0.3125).abs() < 1e-12);
        assert_eq!(
            s.seen(infant, key_class(3, 2)),
            None,
            "a class with no keys"
        );
        // Weights: child 0 drawn twice makes infant φ = 2/5.
        let w = t.shares(|c| if c.0 == 0 { 2.0 } else { 1.0 });
        assert_eq!(w.phi[usize::from(infant)], Some(0.4));
        // No school-age keys at all: h falls back to 1.
        assert_eq!(keys(&[(0, infant, true)]).shares(|_| 1.0).h, 1.0);
    }

    #[test]
    fn a_ghost_stands_for_the_hidden_pairs_less_those_the_transfer_rule_joins() {
        // Seen with probability 0.25: it stands for 4 pairs, 3 of them hidden.
        assert!((ghost_factor(0.25, false, 0.9) - 3.0).abs() < 1e-12);
        // A transfer-like pair: the rule would have joined 60% of the hidden ones.
        assert!((ghost_factor(0.25, true, 0.6) - 1.2).abs() < 1e-12);
        // Seen for sure: nothing hidden.
        assert_eq!(ghost_factor(1.0, false, 0.0), 0.0);
    }

    #[test]
    fn ghosts_subtract_but_never_below_zero() {
        let mut real = vec![YearTables {
            first_observed: ndarray::Array2::from_elem((1, 18), 2.0),
            lookback: ndarray::Array3::from_elem((1, 18, 19), 1.0),
        }];
        let mut ghost = YearTables {
            first_observed: ndarray::Array2::zeros((1, 18)),
            lookback: ndarray::Array3::zeros((1, 18, 19)),
        };
        ghost.first_observed[[0, 3]] = -0.5;
        ghost.first_observed[[0, 4]] = -7.0;
        ghost.lookback[[0, 3, 0]] = -0.5;
        subtract_into(&mut real, &[ghost]);
        assert_eq!(real[0].first_observed[[0, 3]], 1.5);
        assert_eq!(real[0].first_observed[[0, 4]], 0.0);
        assert_eq!(real[0].first_observed[[0, 5]], 2.0);
        assert_eq!(real[0].lookback[[0, 3, 0]], 0.5);
    }

    #[test]
    fn only_keys_carrying_a_pmr_make_pairs() {
        let ev = |episode: u32, day: i32| Event {
            child: ChildId(0),
            episode,
            date: Date::ymd(2012, 1, 1).add_days(day),
            age: 3,
            cohort: cumin_cohort::BirthCohort(2009),
            in_window: true,
        };
        // Episodes 0..4 in keys 7, 7, 2 (no PMR: joined by the transfer rule), 5, 9.
        let key_of_episode = [7, 7, 2, 5, 9];
        let mut pmr_of_key = vec![true; 10];
        pmr_of_key[2] = false;
        let run = [ev(0, 0), ev(1, 10), ev(2, 20), ev(3, 30), ev(4, 40)];
        assert_eq!(
            consecutive_keys(&run, &key_of_episode, &pmr_of_key),
            [(7, 5), (5, 9)],
            "the PMR-less key 2 is skipped, not paired"
        );
        pmr_of_key[2] = true;
        assert_eq!(
            consecutive_keys(&run, &key_of_episode, &pmr_of_key),
            [(7, 2), (2, 5), (5, 9)]
        );
        assert!(has_two_pmr_keys(&run, &key_of_episode, &pmr_of_key));
        // Key 7 and the PMR-less key 2 only: one PMR key, nothing to pair.
        pmr_of_key[2] = false;
        assert!(!has_two_pmr_keys(&run[..3], &key_of_episode, &pmr_of_key));
        assert!(has_two_pmr_keys(&run[..4], &key_of_episode, &pmr_of_key));
    }

    #[test]
    fn a_ghost_of_weight_one_undoes_exactly_what_the_split_does_to_the_tables() {
        use cumin_cohort::{BirthCohort, CohortFrame};
        let frame = CohortFrame {
            first: BirthCohort(2010),
            entry: vec![Some(0)],
        };
        let ev = |child: u32, episode: u32, age: i8| Event {
            child: ChildId(child),
            episode,
            date: Date::ymd(2011, 1, 1).add_days(400 * i32::from(age)),
            age,
            cohort: BirthCohort(2010),
            in_window: true,
        };
        // One child, key A (episodes 0, 1: ages 1 and 3), key B (episode 2: age 6).
        let run = [ev(0, 0, 1), ev(0, 1, 3), ev(0, 2, 6)];
        let key_of_episode = [10, 10, 11];
        let tab = |years: &[Event], weight: &dyn Fn(ChildId) -> f64| {
            cumin_cohort::tabulate_years(years, &vec![0; years.len()], 1, &frame, weight).remove(0)
        };
        let whole = tab(&run, &|_| 1.0);
        // Split: A alone (child 0) and B alone (child 1).
        let split_years = [ev(0, 0, 1), ev(0, 1, 3), ev(1, 2, 6)];
        let mut split = tab(&split_years, &|_| 1.0);
        // The ghost's three parts, weight w = 1.
        let mut parts = Vec::new();
        let keep: [&dyn Fn(u32) -> bool; 3] = [&|k| k == 11, &|k| k != 11, &|_| true];
        for (i, keep) in keep.iter().enumerate() {
            push_years(&mut parts, ChildId(i as u32), &run, |e| {
                keep(key_of_episode[e.episode as usize])
            });
        }
        let ghost = tab(&parts, &|p| -part_sign(p));
        subtract_into(std::slice::from_mut(&mut split), &[ghost]);
        assert_eq!(split.first_observed, whole.first_observed);
        assert_eq!(split.lookback, whole.lookback);
        // Without the last two parts the lookback keeps "age 6, nothing earlier".
        let b_only: Vec<Event> = parts.iter().filter(|e| e.child.0 == 0).copied().collect();
        let mut naive = tab(&split_years, &|_| 1.0);
        subtract_into(std::slice::from_mut(&mut naive), &[tab(&b_only, &|_| -1.0)]);
        assert_eq!(naive.first_observed, whole.first_observed);
        assert_ne!(naive.lookback, whole.lookback);
    }

    /// A row: (LA child ID, PMR, LA, census year, referral, closure, reason).
    type Spec<'a> = (
        &'a str,
        Option<&'a str>,
        u16,
        i16,
        Date,
        Option<Date>,
        Option<u8>,
    );

    fn extract(rows: &[Spec]) -> Episodes {
        let mut e = Episodes::new();
        for (i, &(id, pmr, la, year, referral, closure, reason)) in rows.iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la_child_id = Some(id.to_owned());
            r.pmr = pmr.map(str::to_owned);
            r.la = Some(la);
            r.birth_year = Some(2010);
            r.birth_month = Some(1);
            r.referral = Some(referral);
            r.closure = closure;
            r.reason_for_closure = reason;
            r.nfa = Some(false);
            e.push(r);
        }
        e
    }

    fn build(e: &Episodes, outcomes: &[Outcome]) -> SplitCorrection {
        let spec = cumin_cohort::IdentitySpec {
            link: cumin_link::LinkOptions::default(),
            linkage: cumin_link::LinkageMode::Exact,
            birth: BirthRules::default(),
        };
        let identity = cumin_cohort::identify(e, &spec);
        let rules = spec.event_rules(Date::ymd(2011, 4, 1), Date::ymd(2024, 3, 31));
        let events = cumin_cohort::find_events(&identity.episodes, &identity.children, &rules);
        SplitCorrection::build(e, &identity, &events, outcomes)
    }

    #[test]
    fn a_linked_child_in_two_las_makes_one_ghost_of_its_later_key() {
        let d = Date::ymd;
        // P1: a key in 201 at age 2 (PMR on its row), then in 305 at ages 6 and 7.
        // K9 in 400: another child, one PMR-less row at age 2.
        let e = extract(&[
            (
                "A",
                Some("P1"),
                201,
                2012,
                d(2012, 2, 1),
                Some(d(2012, 3, 1)),
                Some(1),
            ),
            ("B", Some("P1"), 305, 2016, d(2016, 2, 1), None, None),
            ("B", None, 305, 2017, d(2017, 2, 1), None, None),
            ("K9", None, 400, 2012, d(2012, 2, 5), None, None),
        ]);
        let sc = build(&e, &[Outcome::Referral]);
        assert_eq!(sc.ghosts.len(), 1);
        let g = sc.ghosts[0];
        assert_eq!(g.class_from, key_class(2, 1));
        assert_eq!(g.class_to, key_class(7, 2));
        assert!(!g.transfer_like);
        // The ghost holds the later key's event years (ages 6 and 7), the child without
        // them (age 2) and the whole child.
        let parts: Vec<(u32, i8)> = sc.years[0]
            .years
            .iter()
            .map(|y| (y.child.0, y.age))
            .collect();
        assert_eq!(parts, [(0, 6), (0, 7), (1, 2), (2, 2), (2, 6), (2, 7)]);
        assert_eq!(
            [ChildId(0), ChildId(1), ChildId(2)].map(part_sign),
            [1.0, 1.0, -1.0]
        );
        // φ(age 2, 1 row) = 1/2 (A has a PMR, K9 not); h = 1 (no reference keys); the
        // later class has only B (PMR): P = 0.5, so the ghost weighs −1.
        let w = sc.weights(|_| 1.0, |_| 1.0);
        assert_eq!(w, [-1.0]);
        let summary = sc.summary();
        assert_eq!(summary.per_outcome, [(Outcome::Referral, 1, 1.0)]);
    }

    #[test]
    fn a_pair_after_a_transfer_closure_is_transfer_like_and_one_key_makes_no_ghost() {
        let d = Date::ymd;
        let e = extract(&[
            (
                "A",
                Some("P1"),
                201,
                2013,
                d(2012, 6, 1),
                Some(d(2013, 1, 10)),
                Some(5),
            ),
            ("B", Some("P1"), 305, 2013, d(2013, 2, 20), None, None),
            ("C", None, 400, 2013, d(2012, 6, 1), None, None),
            ("C", None, 400, 2014, d(2014, 2, 1), None, None),
        ]);
        let sc = build(&e, &[Outcome::Referral, Outcome::Cpp]);
        assert_eq!(sc.ghosts.len(), 1, "C is one key: nothing to pair");
        assert!(
            sc.ghosts[0].transfer_like,
            "B's first referral 41 days after an RC5"
        );
        assert!(sc.years[1].years.is_empty(), "no CPP, no CPP ghost");
    }
}
