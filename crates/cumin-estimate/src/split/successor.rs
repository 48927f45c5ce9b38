//! The successor model: the chance that a key is followed, in the extract, by another key
//! of the same child, from what the extract shows about the key; fitted on keys that
//! carry a PMR (whose successors are seen when they carry it too) and applied to keys
//! that do not. Ages at which no key can carry a PMR (none before about 2 when PMRs come
//! from matching to the early-years and school censuses) are reached by an explicit
//! linear extrapolation of the age effects, whose sampling and form error are kept.

use crate::split::CLASS_AGES;
use crate::split::keys::{Key, Status};
use cumin_stats::glm::{expit, fit_scaled_logit};
use ndarray::{Array1, Array2};
use std::collections::BTreeMap;

/// Ages whose keys carry a PMR less often than this are not fitted (too few seen
/// successors to say anything): their age effect is extrapolated.
pub const MIN_PMR_SHARE: f64 = 0.02;
/// Nor are ages with fewer PMR keys than this.
const MIN_PMR_KEYS: f64 = 20.0;

/// The covariates besides age: last episode closed `RC5`; 2 rows; 3 or more rows;
/// follow-up `f/8` and `(f/8)²` (census years left before the data's end, at most 8: a
/// successor must come before it to be in the extract); decile group 1–3; decile group
/// 8–10.
const N_COVARIATES: usize = 7;

/// A key's covariates besides age.
fn covariates(k: &Key) -> [f64; N_COVARIATES] {
    let f = f64::from(k.follow_up) / 8.0;
    [
        f64::from(u8::from(k.rc5)),
        f64::from(u8::from(k.rows == 2)),
        f64::from(u8::from(k.rows >= 3)),
        f,
        f * f,
        f64::from(u8::from(k.decile_group == 0)),
        f64::from(u8::from(k.decile_group == 2)),
    ]
}

/// Cells of the fit: (age, covariates, scale) → (keys, with a later PMR key).
type Cells = BTreeMap<(u8, [u64; N_COVARIATES], u64), (f64, f64)>;

/// A cell of the fit as the fit reads it: age, covariates (bits), scale, keys, with a
/// later PMR key.
type Row = (u8, [u64; N_COVARIATES], f64, f64, f64);

/// Which ages are in a list, by age (any `u8`).
fn age_set(ages: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    for a in ages {
        set[usize::from(*a)] = true;
    }
    set
}

/// The cells of the fit by age and covariates, found once from the keys carrying a PMR
/// at the fitted ages, for refits whose scale is one per age (the replicates of `r`,
/// [`crate::split::replicates`]): each refit only attaches its scale to them
/// ([`SuccessorModel::fit_by_age`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AgeCells {
    /// (age, covariates, keys, with a later PMR key), ordered by age and covariates.
    cells: Vec<(u8, [u64; N_COVARIATES], f64, f64)>,
}

impl AgeCells {
    /// The cells of the keys carrying a PMR at `fitted_ages`.
    pub fn new(keys: &[Key], fitted_ages: &[u8]) -> AgeCells {
        let fitted = age_set(fitted_ages);
        let mut cells: BTreeMap<(u8, [u64; N_COVARIATES]), (f64, f64)> = BTreeMap::new();
        for k in keys {
            if !k.pmr || !fitted[usize::from(k.oldest)] {
                continue;
            }
            let x = covariates(k).map(f64::to_bits);
            let c = cells.entry((k.oldest, x)).or_insert((0.0, 0.0));
            c.0 += 1.0;
            c.1 += f64::from(u8::from(k.later_pmr));
        }
        AgeCells {
            cells: cells
                .into_iter()
                .map(|((age, x), (n, later))| (age, x, n, later))
                .collect(),
        }
    }
}

/// How an age's effect is reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AgeEffect {
    /// Fitted: its own coefficient.
    Fitted(usize),
    /// Below the youngest fitted age `a₀`: `α_a = (1 + s) α_{a₀} − s α_{a₂}`, the line
    /// through the fitted effects at `a₀` and `a₂` (the fitted age nearest `a₀ + 2`)
    /// extended, `s = (a₀ − a)/(a₂ − a₀)`; `flat` is the alternative `α_a = α_{a₀}`.
    Extrapolated {
        /// Coefficient of `α_{a₀}`.
        young: usize,
        /// Coefficient of `α_{a₂}` (`None`: only one fitted age, flat).
        next: Option<usize>,
        /// `s`.
        steps: f64,
    },
    /// An unfitted age above `a₀`: the nearest fitted age below.
    Nearest(usize),
}

/// The fitted successor model.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessorModel {
    /// How each age's effect is reached (index: oldest age of the key).
    pub ages: Vec<AgeEffect>,
    /// The fitted ages, in order.
    pub fitted_ages: Vec<u8>,
    /// Coefficients: one per fitted age, then the covariates kept (see `kept`).
    pub coef: Array1<f64>,
    /// Their covariance.
    pub covariance: Array2<f64>,
    /// Which covariates are in the model (a covariate no fitted key varies in is left
    /// out).
    pub kept: [bool; N_COVARIATES],
}

impl SuccessorModel {
    /// Fits the model to the keys carrying a PMR at the fitted ages (the response: a later
    /// key carrying a PMR in the linked child), whose chance is `scale · expit(η)` (one
    /// scale per key, `r`): the chance such a successor is seen given there is one (it carries the
    /// PMR, `r`, and comes before 18 and the data's end). `None` if no age can be fitted
    /// or the fit fails even without covariates.
    pub fn fit(keys: &[Key], scale: &[f64]) -> Option<SuccessorModel> {
        Self::fit_at(keys, scale, &Self::ages_to_fit(keys))
    }

    /// The ages that can be fitted: 20 or more keys carrying a PMR, 2% or more of the
    /// age's keys, some but not all with a later PMR key.
    pub fn ages_to_fit(keys: &[Key]) -> Vec<u8> {
        let mut all = [0.0f64; CLASS_AGES];
        let mut pmr = [0.0f64; CLASS_AGES];
        let mut later = [0.0f64; CLASS_AGES];
        for k in keys {
            let a = usize::from(k.oldest);
            all[a] += 1.0;
            if k.pmr {
                pmr[a] += 1.0;
                later[a] += f64::from(u8::from(k.later_pmr));
            }
        }
        (0..CLASS_AGES)
            .filter(|&a| {
                pmr[a] >= MIN_PMR_KEYS
                    && pmr[a] >= MIN_PMR_SHARE * all[a]
                    && later[a] > 0.0
                    && later[a] < pmr[a]
            })
            .map(|a| a as u8)
            .collect()
    }

    /// [`SuccessorModel::fit`] at the given ages (keys without a PMR or at other ages are
    /// skipped, so a caller may pass only the PMR keys at those ages).
    pub fn fit_at(keys: &[Key], scale: &[f64], fitted_ages: &[u8]) -> Option<SuccessorModel> {
        if fitted_ages.is_empty() {
            return None;
        }
        let fitted = age_set(fitted_ages);
        // Cells of the design: (age, covariates, scale) → (keys, with a later PMR key).
        let mut cells: Cells = BTreeMap::new();
        for (k, s) in keys.iter().zip(scale) {
            if !k.pmr || !fitted[usize::from(k.oldest)] {
                continue;
            }
            let s = s.min(1.0);
            if s.is_nan() || s <= 0.0 {
                continue;
            }
            let x = covariates(k).map(f64::to_bits);
            let c = cells
                .entry((k.oldest, x, s.to_bits()))
                .or_insert((0.0, 0.0));
            c.0 += 1.0;
            c.1 += f64::from(u8::from(k.later_pmr));
        }
        let rows: Vec<Row> = cells
            .into_iter()
            .map(|((age, x, s), (n, later))| (age, x, f64::from_bits(s), n, later))
            .collect();
        Self::fit_rows(&rows, fitted_ages)
    }

    /// [`SuccessorModel::fit_at`] with one scale per age (`scale[a]` for every key of
    /// oldest age `a`), on cells found once ([`AgeCells`]): the same cells in the same
    /// order as `fit_at` finds from the keys, so the same fit to the bit.
    pub fn fit_by_age(
        cells: &AgeCells,
        scale: &[f64; CLASS_AGES],
        fitted_ages: &[u8],
    ) -> Option<SuccessorModel> {
        if fitted_ages.is_empty() {
            return None;
        }
        let rows: Vec<Row> = cells
            .cells
            .iter()
            .filter_map(|&(age, x, n, later)| {
                let s = scale[usize::from(age)].min(1.0);
                (!s.is_nan() && s > 0.0).then_some((age, x, s, n, later))
            })
            .collect();
        Self::fit_rows(&rows, fitted_ages)
    }

    /// The fit on the design's cells (ordered by age, covariates, scale): with every
    /// covariate some cell varies in, else with none.
    fn fit_rows(rows: &[Row], fitted_ages: &[u8]) -> Option<SuccessorModel> {
        let varies = |j: usize| {
            let mut values = rows.iter().map(|(_, x, ..)| x[j]);
            let first = values.next();
            values.any(|v| Some(v) != first)
        };
        let full: [bool; N_COVARIATES] = std::array::from_fn(varies);
        for kept in [full, [false; N_COVARIATES]] {
            if let Some(m) = Self::fit_cells(rows, fitted_ages, kept) {
                return Some(m);
            }
        }
        None
    }

    fn fit_cells(
        cells: &[Row],
        fitted_ages: &[u8],
        kept: [bool; N_COVARIATES],
    ) -> Option<SuccessorModel> {
        let n_ages = fitted_ages.len();
        let n_par = n_ages + kept.iter().filter(|k| **k).count();
        let mut design = Array2::zeros((cells.len(), n_par));
        let mut with = Array1::zeros(cells.len());
        let mut n = Array1::zeros(cells.len());
        let mut scale = Array1::zeros(cells.len());
        for (i, (age, x, s, keys, later)) in cells.iter().enumerate() {
            scale[i] = *s;
            let col = fitted_ages.iter().position(|a| a == age).expect("fitted");
            design[[i, col]] = 1.0;
            for (j, (v, _)) in (n_ages..).zip(x.iter().zip(kept).filter(|(_, k)| *k)) {
                design[[i, j]] = f64::from_bits(*v);
            }
            with[i] = *later;
            n[i] = *keys;
        }
        let fit = fit_scaled_logit(design.view(), with.view(), n.view(), scale.view()).ok()?;
        let a0 = fitted_ages[0];
        let next = fitted_ages
            .iter()
            .skip(1)
            .min_by_key(|&&a| (i32::from(a) - i32::from(a0) - 2).abs())
            .copied();
        let ages = (0..CLASS_AGES as u8)
            .map(|a| {
                if let Some(i) = fitted_ages.iter().position(|f| *f == a) {
                    AgeEffect::Fitted(i)
                } else if a < a0 {
                    AgeEffect::Extrapolated {
                        young: 0,
                        next: next
                            .map(|n| fitted_ages.iter().position(|f| *f == n).expect("fitted")),
                        steps: next.map_or(0.0, |n| f64::from(a0 - a) / f64::from(n - a0)),
                    }
                } else {
                    let below = fitted_ages.iter().rposition(|f| *f < a).expect("a ≥ a₀");
                    AgeEffect::Nearest(below)
                }
            })
            .collect();
        Some(SuccessorModel {
            ages,
            fitted_ages: fitted_ages.to_vec(),
            coef: fit.coef,
            covariance: fit.covariance,
            kept,
        })
    }

    /// Whether a key's age is fitted (not extrapolated below `a₀`).
    pub fn extrapolated(&self, k: &Key) -> bool {
        matches!(
            self.ages[usize::from(k.oldest)],
            AgeEffect::Extrapolated { .. }
        )
    }

    /// The design vector of a key: its age effect (extrapolated linearly, or `flat`),
    /// then its covariates.
    pub fn design(&self, k: &Key, flat: bool) -> Array1<f64> {
        let n_ages = self.fitted_ages.len();
        let mut x = Array1::zeros(self.coef.len());
        match self.ages[usize::from(k.oldest)] {
            AgeEffect::Fitted(i) | AgeEffect::Nearest(i) => x[i] = 1.0,
            AgeEffect::Extrapolated { young, next, steps } => match next {
                Some(n) if !flat => {
                    x[young] = 1.0 + steps;
                    x[n] = -steps;
                }
                _ => x[young] = 1.0,
            },
        }
        for (j, (v, _)) in (n_ages..).zip(covariates(k).iter().zip(self.kept).filter(|(_, k)| *k)) {
            x[j] = *v;
        }
        x
    }
}

/// What the seen pairs say about successors of a key.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessorShares {
    /// `r`: the chance a successor carries the PMR given the earlier key does, by the
    /// earlier key's oldest age (the harmonic mean of `ρ` of the seen pairs' later keys,
    /// which are seen in proportion to `ρ`; pooled over neighbouring ages until the
    /// pairs' effective number, `(Σ 1/ρ)² / Σ 1/ρ²`, reaches [`MIN_PAIRS`]). Young keys'
    /// successors are young too and carry a PMR less often under a row-by-row PMR, so
    /// `r` is read by age, not by band; and a few of their seen successors carry it with
    /// a chance `ρ` of a few per cent, so a raw count of pairs would let them set the
    /// age's `r` alone (docs/methods.md §2.1).
    pub carries: [f64; CLASS_AGES],
    /// `u`: the chance the transfer rule joins a successor of a key whose last episode
    /// closed `RC5` (the seen pairs' share with the rule's pattern, times the share of
    /// such matches the rule keeps).
    pub transfer_joined: f64,
}

/// Effective number of seen pairs an age's `r` needs before it is read alone (else
/// neighbouring ages join).
pub const MIN_PAIRS: f64 = 30.0;

/// Cells of an earlier key for the delay templates: (`RC5` or not) × age band (0–1, 2–4,
/// 5–10, 11–17).
pub const N_CELLS: usize = 8;
/// Age bands per `RC5` flag.
const N_BANDS: usize = 4;

/// The cell of a key.
pub fn cell(k: &Key) -> usize {
    let band = match k.oldest {
        0..=1 => 0,
        2..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    usize::from(k.rc5) * N_BANDS + band
}

/// A cell, or where it has nothing, the nearest band of the same `RC5` flag (younger
/// first), then the same band of the other flag, then any cell.
pub fn with_fallback<T: Copy>(per_cell: &[Option<T>; N_CELLS], c: usize) -> Option<T> {
    let (flag, band) = (c / N_BANDS, c % N_BANDS);
    let mut order: Vec<usize> = (0..N_BANDS).collect();
    order.sort_by_key(|b| (b.abs_diff(band), *b));
    order
        .iter()
        .map(|b| flag * N_BANDS + b)
        .chain(std::iter::once((1 - flag) * N_BANDS + band))
        .find_map(|c| per_cell[c])
        .or_else(|| per_cell.iter().flatten().next().copied())
}

impl SuccessorShares {
    /// From the seen pairs (`(earlier, later, transfer-like)`) and the share of
    /// closure–referral matches the transfer rule keeps.
    pub fn new(
        pairs: impl Iterator<Item = (Key, Key, bool)>,
        transfer_kept: f64,
    ) -> SuccessorShares {
        let mut n = [0.0; CLASS_AGES];
        let mut inverse = [0.0; CLASS_AGES];
        let mut inverse_sq = [0.0; CLASS_AGES];
        let (mut rc5, mut rc5_like) = (0.0, 0.0);
        for (a, b, like) in pairs {
            let age = usize::from(a.oldest);
            let rho = b.carries_if_matched.max(1e-3);
            n[age] += 1.0;
            inverse[age] += 1.0 / rho;
            inverse_sq[age] += 1.0 / (rho * rho);
            if a.rc5 {
                rc5 += 1.0 / rho;
                rc5_like += f64::from(u8::from(like)) / rho;
            }
        }
        let carries = std::array::from_fn(|age| {
            let mut width = 0;
            loop {
                let lo = age.saturating_sub(width);
                let hi = (age + width).min(CLASS_AGES - 1);
                let (pairs, inv, inv_sq) = (lo..=hi).fold((0.0, 0.0, 0.0), |s, a| {
                    (s.0 + n[a], s.1 + inverse[a], s.2 + inverse_sq[a])
                });
                // Kish's effective number of pairs, `(Σ 1/ρ)² / Σ 1/ρ²`: a few seen
                // pairs whose later key had little chance of carrying the PMR weigh as
                // much as all the others.
                let effective = if inv_sq > 0.0 {
                    inv * inv / inv_sq
                } else {
                    0.0
                };
                if effective >= MIN_PAIRS || (lo == 0 && hi == CLASS_AGES - 1) {
                    break if inv > 0.0 { pairs / inv } else { 1.0 };
                }
                width += 1;
            }
        });
        SuccessorShares {
            carries,
            transfer_joined: if rc5 > 0.0 {
                (rc5_like / rc5 * transfer_kept).clamp(0.0, 1.0)
            } else {
                0.0
            },
        }
    }
}

/// Expected hidden successors of a key, and its derivative in the linear predictor.
///
/// With `π = expit(η)` the chance of a successor in the extract (the model's follow-up
/// terms carry the data's end), a key with a seen successor has none hidden; otherwise the successor is hidden unless it carries the PMR
/// (chance `r`, only if the key carries one) or the transfer rule joins it (chance `u`,
/// only after an `RC5` closure): `m = π c₁ / (1 − π c₂)`, `c₁ = (1 − r)(1 − u)`,
/// `c₂ = r + (1 − r) u` (Bayes, given that no later key is in the linked child).
pub fn hidden(k: &Key, eta: f64, shares: &SuccessorShares) -> (f64, f64) {
    if k.status == Status::HasLater {
        return (0.0, 0.0);
    }
    let pi = expit(eta);
    let dpi = pi * (1.0 - pi);
    let r = if k.pmr {
        shares.carries[usize::from(k.oldest)]
    } else {
        0.0
    };
    let u = if k.rc5 { shares.transfer_joined } else { 0.0 };
    let (c1, c2) = ((1.0 - r) * (1.0 - u), r + (1.0 - r) * u);
    let denominator = 1.0 - pi * c2;
    if c1 <= 0.0 || denominator <= 1e-12 {
        return (0.0, 0.0);
    }
    let m = (pi * c1 / denominator).min(1.0);
    (m, c1 / (denominator * denominator) * dpi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::Date;
    use cumin_link::ChildId;

    fn key(oldest: u8, pmr: bool, later_pmr: bool, status: Status) -> Key {
        Key {
            child: ChildId(0),
            oldest,
            rows: 1,
            pmr,
            rc5: false,
            decile_group: 1,
            first_referral: Date::ymd(2015, 1, 1),
            first_referral_age: oldest,
            last_referral_age: oldest,
            follow_up: 4,
            carries_if_matched: 1.0,
            status,
            later_pmr,
        }
    }

    #[test]
    fn age_effects_are_fitted_where_keys_carry_pmrs_and_extrapolated_below() {
        // PMR keys at ages 2..=6 with a successor share falling by age on the logit
        // scale (−1 − 0.2 a); none at 0 and 1.
        let mut keys = Vec::new();
        for a in 0..=6u8 {
            for i in 0..1000 {
                let pmr = a >= 2;
                let p = expit(-1.0 - 0.2 * f64::from(a));
                let later = f64::from(i) < 1000.0 * p;
                keys.push(key(a, pmr, later, Status::NoPmr));
            }
        }
        let m = SuccessorModel::fit(&keys, &vec![1.0; keys.len()]).expect("fits");
        assert_eq!(m.fitted_ages, [2, 3, 4, 5, 6]);
        assert!(m.kept.iter().all(|k| !k), "no covariate varies");
        // Age 0: two steps below a₀ = 2 along the line through ages 2 and 4.
        assert_eq!(
            m.ages[0],
            AgeEffect::Extrapolated {
                young: 0,
                next: Some(2),
                steps: 1.0
            }
        );
        let eta = |k: &Key, flat: bool| m.design(k, flat).dot(&m.coef);
        let k0 = key(0, false, false, Status::NoPmr);
        assert!(
            (eta(&k0, false) - (-1.0)).abs() < 0.02,
            "{}",
            eta(&k0, false)
        );
        assert!((eta(&k0, true) - (-1.4)).abs() < 0.02, "{}", eta(&k0, true));
        assert!(m.extrapolated(&k0));
        assert!(!m.extrapolated(&key(3, false, false, Status::NoPmr)));
    }

    #[test]
    fn hidden_successors_follow_bayes_given_what_the_linked_child_shows() {
        let shares = SuccessorShares {
            carries: [0.8; CLASS_AGES],
            transfer_joined: 0.5,
        };
        let eta = 0.0; // π = 0.5
        let no_pmr = key(3, false, false, Status::NoPmr);
        assert!((hidden(&no_pmr, eta, &shares).0 - 0.5).abs() < 1e-12);
        // Carries a PMR, no later key: P(successor, hidden) / P(nothing seen) =
        // 0.5 · 0.2 / (1 − 0.5 · 0.8) = 1/6.
        let pmr = key(3, true, false, Status::PmrNoLater);
        assert!((hidden(&pmr, eta, &shares).0 - 0.1 / 0.6).abs() < 1e-12);
        // After an RC5 closure the rule joins half the successors: 0.25 / 0.75.
        let mut rc5 = no_pmr;
        rc5.rc5 = true;
        assert!((hidden(&rc5, eta, &shares).0 - 0.25 / 0.75).abs() < 1e-12);
        // A later key in the linked child: nothing hidden.
        let later = key(3, true, true, Status::HasLater);
        assert_eq!(hidden(&later, eta, &shares), (0.0, 0.0));
        // Every successor carries the PMR (perfect identifiers): nothing hidden.
        let all = SuccessorShares {
            carries: [1.0; CLASS_AGES],
            transfer_joined: 0.0,
        };
        assert_eq!(hidden(&pmr, eta, &all).0, 0.0);
        // The derivative matches a finite difference.
        let (m, d) = hidden(&pmr, eta, &shares);
        let h = 1e-6;
        let fd = (hidden(&pmr, eta + h, &shares).0 - m) / h;
        assert!((d - fd).abs() < 1e-5, "{d} {fd}");
    }

    #[test]
    fn cells_fall_back_to_the_nearest_band_then_the_other_flag_then_any() {
        let mut per: [Option<f64>; N_CELLS] = [None; N_CELLS];
        per[2] = Some(0.9);
        per[5] = Some(0.7);
        assert_eq!(
            with_fallback(&per, 0),
            Some(0.9),
            "band 0-1 takes 5-10, two away"
        );
        assert_eq!(with_fallback(&per, 3), Some(0.9));
        assert_eq!(with_fallback(&per, 4), Some(0.7), "RC5 0-1 takes RC5 2-4");
        per[5] = None;
        assert_eq!(
            with_fallback(&per, 6),
            Some(0.9),
            "no RC5 cell: the other flag's"
        );
        assert_eq!(with_fallback::<f64>(&[None; N_CELLS], 2), None);
    }

    #[test]
    fn r_is_read_by_age_and_pooled_with_neighbours_when_pairs_are_few() {
        let pair = |a_age: u8, rho: f64| {
            let a = key(a_age, true, true, Status::HasLater);
            let mut b = key(a_age + 2, true, false, Status::PmrNoLater);
            b.carries_if_matched = rho;
            (a, b, false)
        };
        // Age 6: 40 pairs, half with ρ = 1 and half with ρ = 0.5: r = 40 / (20 + 40).
        // Age 1: 10 pairs with ρ = 0.25, too few alone; ages 0-3 hold only them, so the
        // window widens to age 6 (five away) and pools all 50.
        let mut pairs: Vec<(Key, Key, bool)> = (0..40)
            .map(|i| pair(6, if i < 20 { 1.0 } else { 0.5 }))
            .collect();
        pairs.extend((0..10).map(|_| pair(1, 0.25)));
        let s = SuccessorShares::new(pairs.into_iter(), 0.0);
        assert!((s.carries[6] - 40.0 / 60.0).abs() < 1e-12);
        assert!(
            (s.carries[1] - 50.0 / 100.0).abs() < 1e-12,
            "{}",
            s.carries[1]
        );
        assert_eq!(s.transfer_joined, 0.0);
    }

    #[test]
    fn r_pools_an_age_whose_few_unlikely_pairs_outweigh_the_rest() {
        let pair = |a_age: u8, rho: f64| {
            let a = key(a_age, true, true, Status::HasLater);
            let mut b = key(a_age + 1, true, false, Status::PmrNoLater);
            b.carries_if_matched = rho;
            (a, b, false)
        };
        // Age 1: 70 pairs with ρ = 1 and 6 with ρ = 0.03 (weights 1/ρ ≈ 33): 76 pairs,
        // but an effective number of (270)² / 6,737 ≈ 11, so ages 0 and 2 (100 pairs
        // each, ρ = 1) join: r = 276 / 470. Read alone it would be 76 / 270.
        let mut pairs: Vec<(Key, Key, bool)> = (0..70).map(|_| pair(1, 1.0)).collect();
        pairs.extend((0..6).map(|_| pair(1, 0.03)));
        pairs.extend((0..100).map(|_| pair(0, 1.0)));
        pairs.extend((0..100).map(|_| pair(2, 1.0)));
        let s = SuccessorShares::new(pairs.into_iter(), 0.0);
        let expected = 276.0 / (270.0 + 200.0);
        assert!(
            (s.carries[1] - expected).abs() < 1e-9,
            "{} against {expected}",
            s.carries[1]
        );
        assert_eq!(s.carries[0], 1.0);
        assert_eq!(s.carries[2], 1.0);
    }
}
