//! What an attacker does with many released numbers at once: every released number says
//! that some hidden count (or pair of counts) lies in a set, and the sets are intersected
//! until nothing changes. A count is recovered when its set is one integer.
//!
//! Counts are whole numbers `0 ≤ x < INF`. A domain is a range or an explicit set.
//! Constraints: a unary set (`In`), a ratio `num / den ∈ [lo, hi]` of two counts (a rate
//! or share beside its counts), and a sum `total − Σ parts ∈ [slack]` (a margin).

use std::collections::HashMap;

/// A count without an upper bound.
pub const INF: i64 = 1 << 50;

/// Largest set enumerated when propagating a ratio.
const ENUMERATE: u64 = 400_000;

/// Floating-point slack when a real number is taken to be a whole count: rates are
/// shown to 17 significant digits, so `rate × at_risk` of a true pair is within 1e-9 of
/// a whole number for any at-risk count under 10⁶.
pub const EPS: f64 = 1e-7;

/// The counts a hidden cell may still hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dom {
    /// `lo..=hi`.
    Range(i64, i64),
    /// A sorted, non-empty set.
    Set(Vec<i64>),
}

impl Dom {
    /// Nothing known but that it is a count.
    pub fn any() -> Dom {
        Dom::Range(0, INF)
    }

    /// Exactly `x`.
    pub fn exactly(x: i64) -> Dom {
        Dom::Range(x, x)
    }

    fn from_set(mut v: Vec<i64>) -> Option<Dom> {
        v.sort_unstable();
        v.dedup();
        match v.len() {
            0 => None,
            _ if v[v.len() - 1] - v[0] + 1 == v.len() as i64 => {
                Some(Dom::Range(v[0], v[v.len() - 1]))
            }
            _ => Some(Dom::Set(v)),
        }
    }

    /// Smallest member.
    pub fn lo(&self) -> i64 {
        match self {
            Dom::Range(lo, _) => *lo,
            Dom::Set(v) => v[0],
        }
    }

    /// Largest member.
    pub fn hi(&self) -> i64 {
        match self {
            Dom::Range(_, hi) => *hi,
            Dom::Set(v) => v[v.len() - 1],
        }
    }

    /// Number of members.
    pub fn len(&self) -> u64 {
        match self {
            Dom::Range(lo, hi) => (hi - lo + 1) as u64,
            Dom::Set(v) => v.len() as u64,
        }
    }

    /// The one member, if only one is left.
    pub fn single(&self) -> Option<i64> {
        (self.len() == 1).then(|| self.lo())
    }

    fn members(&self) -> Box<dyn Iterator<Item = i64> + '_> {
        match self {
            Dom::Range(lo, hi) => Box::new(*lo..=*hi),
            Dom::Set(v) => Box::new(v.iter().copied()),
        }
    }

    /// The members in `lo..=hi`, or `None` when there are none.
    pub fn clip(&self, lo: i64, hi: i64) -> Option<Dom> {
        match self {
            Dom::Range(a, b) => {
                let (a, b) = ((*a).max(lo), (*b).min(hi));
                (a <= b).then_some(Dom::Range(a, b))
            }
            Dom::Set(v) => Dom::from_set(
                v.iter()
                    .copied()
                    .filter(|x| (lo..=hi).contains(x))
                    .collect(),
            ),
        }
    }

    /// Members of both, or `None`.
    pub fn meet(&self, other: &Dom) -> Option<Dom> {
        match (self, other) {
            (Dom::Range(lo, hi), d) | (d, Dom::Range(lo, hi)) => d.clip(*lo, *hi),
            (Dom::Set(a), Dom::Set(b)) => Dom::from_set(
                a.iter()
                    .copied()
                    .filter(|x| b.binary_search(x).is_ok())
                    .collect(),
            ),
        }
    }
}

/// One released number, as a statement about hidden counts.
#[derive(Clone, Debug)]
pub enum Con {
    /// The count is one of these.
    In(usize, Dom),
    /// `num / den` lies in `[lo, hi]` (a rate, share or hazard beside its counts), with
    /// `den ≥ 1`.
    Ratio {
        /// Numerator count.
        num: usize,
        /// Denominator count.
        den: usize,
        /// Least value of the ratio.
        lo: f64,
        /// Greatest value of the ratio.
        hi: f64,
    },
    /// `total − Σ parts` lies in `lo..=hi` (a margin and its cells).
    Sum {
        /// The margin.
        total: usize,
        /// Its cells.
        parts: Vec<usize>,
        /// Least difference.
        lo: i64,
        /// Greatest difference.
        hi: i64,
    },
}

impl Con {
    /// An exact ratio `num / den = q`, shown with full floating-point precision.
    pub fn ratio(num: usize, den: usize, q: f64) -> Con {
        let slack = 4.0 * f64::EPSILON * q.abs().max(1e-300);
        Con::Ratio {
            num,
            den,
            lo: q - slack,
            hi: q + slack,
        }
    }

    /// Whether `q` is the ratio of the shown (rounded) counts `num / den`: a rate
    /// computed from released counts, which says nothing they do not (an attacker who
    /// took it for a ratio of exact counts would pin them to their rounded values).
    pub fn from_shown(q: f64, num: Option<f64>, den: Option<f64>) -> bool {
        match (num, den) {
            (Some(n), Some(d)) if d > 0.0 => (q - n / d).abs() <= 1e-12 * q.abs().max(1e-300),
            _ => false,
        }
    }

    /// A count known to be `x`, when `x` is within `tol` of a whole number (else no
    /// statement: the cell is not what the attack took it for).
    pub fn near(var: usize, x: f64, tol: f64) -> Option<Con> {
        let r = x.round();
        (x.is_finite() && (x - r).abs() <= tol && r >= 0.0)
            .then(|| Con::In(var, Dom::exactly(r as i64)))
    }

    fn vars(&self) -> Vec<usize> {
        match self {
            Con::In(v, _) => vec![*v],
            Con::Ratio { num, den, .. } => vec![*num, *den],
            Con::Sum { total, parts, .. } => {
                let mut v = parts.clone();
                v.push(*total);
                v
            }
        }
    }
}

/// The hidden cells an attack speaks of, by name.
#[derive(Default)]
pub struct Cells {
    index: HashMap<String, usize>,
    names: Vec<String>,
}

impl Cells {
    /// The cell called `name`, added if new.
    pub fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// The name of cell `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }
}

/// The outcome of propagating some constraints.
pub struct Solution {
    /// Domains of the cells the constraints touch.
    pub doms: HashMap<usize, Dom>,
    /// Constraints that contradicted what was already known (an attack's assumption
    /// that did not hold for this cell; the constraint is then ignored).
    pub contradictions: usize,
}

/// Propagates `cons` from the domains `start` gives, until nothing changes.
pub fn solve(start: &dyn Fn(usize) -> Dom, cons: &[&Con]) -> Solution {
    let mut doms: HashMap<usize, Dom> = HashMap::new();
    for c in cons {
        for v in c.vars() {
            doms.entry(v).or_insert_with(|| start(v));
        }
    }
    let mut dead = vec![false; cons.len()];
    let mut contradictions = 0;
    for _sweep in 0..40 {
        let mut changed = false;
        for (i, c) in cons.iter().enumerate() {
            if dead[i] {
                continue;
            }
            match propagate(c, &doms) {
                Err(()) => {
                    dead[i] = true;
                    contradictions += 1;
                }
                Ok(updates) => {
                    for (v, d) in updates {
                        if doms[&v] != d {
                            doms.insert(v, d);
                            changed = true;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    Solution {
        doms,
        contradictions,
    }
}

type Updates = Vec<(usize, Dom)>;

fn propagate(c: &Con, doms: &HashMap<usize, Dom>) -> Result<Updates, ()> {
    match c {
        Con::In(v, d) => Ok(vec![(*v, doms[v].meet(d).ok_or(())?)]),
        Con::Ratio { num, den, lo, hi } => {
            ratio(&doms[num], &doms[den], *lo, *hi).map(|(n, d)| vec![(*num, n), (*den, d)])
        }
        Con::Sum {
            total,
            parts,
            lo,
            hi,
        } => sum(doms, *total, parts, *lo, *hi),
    }
}

fn ceil_count(x: f64) -> i64 {
    if x >= INF as f64 {
        INF
    } else {
        (x - EPS).ceil().max(0.0) as i64
    }
}

fn floor_count(x: f64) -> i64 {
    if x >= INF as f64 {
        INF
    } else {
        (x + EPS).floor() as i64
    }
}

/// `num / den ∈ [lo, hi]`, `den ≥ 1`.
fn ratio(num: &Dom, den: &Dom, lo: f64, hi: f64) -> Result<(Dom, Dom), ()> {
    let den = den.clip(1, INF).ok_or(())?;
    if den.len() <= ENUMERATE {
        let mut dens = Vec::new();
        let mut nums = Vec::new();
        let mut num_range: Option<(i64, i64)> = None;
        for d in den.members() {
            let (a, b) = (ceil_count(lo * d as f64), floor_count(hi * d as f64));
            if a > b {
                continue;
            }
            let Some(fit) = num.clip(a, b) else { continue };
            dens.push(d);
            if fit.len() <= 64 && nums.len() < ENUMERATE as usize {
                nums.extend(fit.members());
            } else {
                num_range = Some(num_range.map_or((fit.lo(), fit.hi()), |(x, y)| {
                    (x.min(fit.lo()), y.max(fit.hi()))
                }));
            }
        }
        let den = Dom::from_set(dens).ok_or(())?;
        let num = match num_range {
            None => Dom::from_set(nums).ok_or(())?,
            Some((x, y)) => {
                let x = nums.iter().copied().fold(x, i64::min);
                let y = nums.iter().copied().fold(y, i64::max);
                num.clip(x, y).ok_or(())?
            }
        };
        return Ok((num, den));
    }
    if num.len() <= ENUMERATE && lo > 0.0 {
        let mut nums = Vec::new();
        let (mut dlo, mut dhi) = (INF, 0);
        for n in num.members() {
            let (a, b) = (ceil_count(n as f64 / hi), floor_count(n as f64 / lo));
            if let Some(fit) = den.clip(a.max(1), b) {
                nums.push(n);
                dlo = dlo.min(fit.lo());
                dhi = dhi.max(fit.hi());
            }
        }
        let num = Dom::from_set(nums).ok_or(())?;
        return Ok((num, den.clip(dlo, dhi).ok_or(())?));
    }
    if hi <= 0.0 {
        return Ok((num.clip(0, 0).ok_or(())?, den));
    }
    Ok((num.clone(), den))
}

/// `total − Σ parts ∈ [lo, hi]`, by bounds.
fn sum(
    doms: &HashMap<usize, Dom>,
    total: usize,
    parts: &[usize],
    lo: i64,
    hi: i64,
) -> Result<Updates, ()> {
    let big = i128::from(INF);
    let cap = |x: i128| -> i64 { x.clamp(0, big) as i64 };
    let plo: i128 = parts.iter().map(|p| i128::from(doms[p].lo())).sum();
    let phi: i128 = parts
        .iter()
        .map(|p| i128::from(doms[p].hi()).min(big))
        .sum();
    let unbounded = parts.iter().filter(|p| doms[*p].hi() >= INF).count();
    let t = &doms[&total];
    let mut out = Vec::new();
    let t_hi = if unbounded > 0 || hi >= INF {
        big
    } else {
        phi + i128::from(hi)
    };
    let tnew = t.clip(cap(plo + i128::from(lo)), cap(t_hi)).ok_or(())?;
    let (tlo, thi) = (i128::from(tnew.lo()), i128::from(tnew.hi()));
    for p in parts {
        let d = &doms[p];
        let others_lo = plo - i128::from(d.lo());
        let others_unbounded = unbounded - usize::from(d.hi() >= INF);
        let upper = if thi >= big {
            big
        } else {
            thi - i128::from(lo) - others_lo
        };
        let lower = if others_unbounded > 0 || hi >= INF {
            0
        } else {
            tlo - i128::from(hi) - (phi - i128::from(d.hi()).min(big))
        };
        out.push((*p, d.clip(cap(lower), cap(upper)).ok_or(())?));
    }
    out.push((total, tnew));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_beside_a_rounded_count_pins_the_events() {
        // 7 events among 3200: the rate and an at-risk count rounded to 10.
        let c = Con::ratio(0, 1, 7.0 / 3200.0);
        let start = |v: usize| {
            if v == 1 {
                Dom::Range(3195, 3205)
            } else {
                Dom::any()
            }
        };
        let s = solve(&start, &[&c]);
        assert_eq!(s.doms[&0].single(), Some(7));
        assert_eq!(s.doms[&1].single(), Some(3200));
    }

    #[test]
    fn a_margin_pins_its_last_cell() {
        let c = Con::Sum {
            total: 0,
            parts: vec![1, 2],
            lo: 0,
            hi: 0,
        };
        let start = |v: usize| match v {
            0 => Dom::exactly(60),
            1 => Dom::exactly(56),
            _ => Dom::any(),
        };
        assert_eq!(solve(&start, &[&c]).doms[&2].single(), Some(4));
    }
}
