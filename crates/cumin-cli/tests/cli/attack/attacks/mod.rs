//! The attacks. Each reads released files only and states what they imply about hidden
//! counts, as constraints tagged with the file they come from; [`crate::attack::solver`]
//! combines them.

pub mod curves;
pub mod derived;
pub mod jay;
pub mod linkage;
pub mod periods;
pub mod tables;

use crate::attack::cells::{Hidden, Truth};
use crate::attack::folder::Folder;
use crate::attack::solver::{Cells, Con, Dom, INF};
use std::collections::BTreeMap;

/// What an attack works with.
pub struct Ctx<'a> {
    /// The released folder.
    pub folder: &'a Folder,
    /// The folder's profile, as its manifest states it (the attacker knows the rules).
    pub hidden: Hidden,
    /// The cells attacks speak of.
    pub cells: Cells,
    /// Which names are counts of children or rows: the attacker is told which released
    /// counts are whole numbers (a real one reads as much from the estimator and the
    /// linkage mode in the manifest); fractional, model-based counts are no target.
    counts: &'a BTreeMap<String, Truth>,
}

impl<'a> Ctx<'a> {
    /// A context for `folder`, whose whole-numbered counts are the keys of `counts`.
    pub fn new(folder: &'a Folder, counts: &'a BTreeMap<String, Truth>) -> Ctx<'a> {
        Ctx {
            folder,
            hidden: Hidden::of(&folder.profile),
            cells: Cells::default(),
            counts,
        }
    }

    /// Whether a zero in cell `name` says "nobody in this group" (the attacker reads as
    /// much from the column's description in `sdc.json`).
    pub fn zero_is_attribute(&self, name: &str) -> bool {
        self.counts.get(name).is_some_and(|t| t.event_like)
    }

    /// The cell called `name`, if it is a count (or an auxiliary cell: a sum of counts
    /// a file shows, named `cell@first`).
    pub fn var(&mut self, name: &str) -> Option<usize> {
        (self.counts.contains_key(name) || name.contains('@')).then(|| self.cells.id(name))
    }
}

/// Constraints from one file.
pub type Found = Vec<(String, Con)>;

/// An attack: a name for the table, and what it finds.
pub struct Attack {
    /// Name in the recovery table.
    pub name: &'static str,
    /// The attack.
    pub run: fn(&mut Ctx<'_>) -> Found,
}

/// Every attack, in the order of the recovery table.
pub const ATTACKS: &[Attack] = &[
    Attack {
        name: "unrounded count",
        run: tables::unrounded,
    },
    Attack {
        name: "curve difference x count",
        run: curves::differences,
    },
    Attack {
        name: "interval inversion",
        run: curves::intervals,
    },
    Attack {
        name: "strata vs total",
        run: curves::margins,
    },
    Attack {
        name: "periods vs window",
        run: periods::margins,
    },
    Attack {
        name: "figure points",
        run: curves::figures,
    },
    Attack {
        name: "inequality D1/D10",
        run: derived::inequality,
    },
    Attack {
        name: "correction_sensitivity curves",
        run: derived::sensitivity,
    },
    Attack {
        name: "corrected vs factor",
        run: derived::corrected,
    },
    Attack {
        name: "hazard x children",
        run: tables::hazards,
    },
    Attack {
        name: "recurrence share",
        run: tables::recurrence,
    },
    Attack {
        name: "linkage share",
        run: linkage::shares,
    },
    Attack {
        name: "ledger parts vs rows read",
        run: tables::ledger_margin,
    },
    Attack {
        name: "jay counts vs curve",
        run: jay::counts_vs_curve,
    },
];

/// `total = Σ parts` of cells by name, when all are counts.
fn sum_of(ctx: &mut Ctx<'_>, total: &str, parts: &[String]) -> Option<(usize, Con)> {
    let t = ctx.var(total)?;
    let parts: Option<Vec<usize>> = parts.iter().map(|p| ctx.var(p)).collect();
    Some((
        t,
        Con::Sum {
            total: t,
            parts: parts?,
            lo: 0,
            hi: 0,
        },
    ))
}

/// What a curve released in steps says of its ages' events (docs/methods.md §7): the
/// cumulative count to each step's end lies in the rounding range of the released
/// cumulative count (the sum of the steps' events so far, rounded to multiples of
/// `least`), and every step holds at least `least` events; a curve withheld whole has
/// fewer than `least` events in all.
fn curve_steps(ctx: &mut Ctx<'_>, file: &str, curve: &curves::Curve, out: &mut Found) {
    let least = ctx.hidden.step_least();
    let cells = |to: u8, from: u8| -> Vec<String> {
        (from..=to).map(|a| curve.cell(a, "events")).collect()
    };
    let Some(last) = curve.points.last().map(|p| p.age) else {
        return;
    };
    if curve.points.iter().all(|p| p.f.is_none()) {
        let name = format!("{}@all", curve.cell(last, "events"));
        if let Some((t, sum)) = sum_of(ctx, &name, &cells(last, 0)) {
            out.push((file.to_owned(), Con::In(t, Dom::Range(0, least - 1))));
            out.push((file.to_owned(), sum));
        }
        return;
    }
    let mut released = 0i64;
    for p in curve.points.iter().filter(|p| p.f.is_some()) {
        let Some(e) = p.events else { continue };
        released += e as i64;
        if p.from < p.age
            && let Some((t, sum)) = sum_of(ctx, &curve.events_cell(p), &cells(p.age, p.from))
        {
            out.push((file.to_owned(), sum));
            out.push((file.to_owned(), Con::In(t, Dom::Range(least, INF))));
        } else if let Some(v) = ctx.var(&curve.events_cell(p)) {
            out.push((file.to_owned(), Con::In(v, Dom::Range(least, INF))));
        }
        let name = format!("{}@0", curve.cell(p.age, "events"));
        let cumulative = if p.age == 0 {
            ctx.var(&name).map(|t| (t, None))
        } else {
            sum_of(ctx, &name, &cells(p.age, 0)).map(|(t, s)| (t, Some(s)))
        };
        if let (Some((t, sum)), Some(range)) = (cumulative, rounded_to(released, least)) {
            out.extend(sum.map(|s| (file.to_owned(), s)));
            out.push((file.to_owned(), Con::In(t, range)));
        }
    }
}

/// The counts a value `r` rounded to multiples of `base` (halves to even) may stand for.
fn rounded_to(r: i64, base: i64) -> Option<Dom> {
    if r < 0 || r % base != 0 {
        return None;
    }
    let keep: Vec<i64> = ((r - base / 2).max(0)..=r + base / 2)
        .filter(|&x| crate::attack::cells::round_half_even(x, base) == r)
        .collect();
    Some(Dom::Range(*keep.first()?, *keep.last()?))
}

/// The starting knowledge of every cell: each released count, read as the range of
/// counts its rounding may stand for; a blank count of a plain table as a count under
/// the threshold (a zero too, where zeros are withheld); and what a curve released in
/// steps says of its ages' events ([`curve_steps`]).
pub fn base(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    let jay_preset = ctx.folder.tables_named("jay_counts").next().is_some();
    for (file, curve) in curves::curves_of(ctx.folder) {
        // A Jay preset's unadjusted splice is computed from jay_counts.csv's released
        // counts: nothing of its own.
        if jay_preset && curve.key.estimator == "cohort-splice-unadjusted" {
            continue;
        }
        if ctx.hidden.step_least() > 0 {
            curve_steps(ctx, &file, &curve, &mut out);
        }
    }
    let below = ctx.hidden.threshold;
    for (file, cell, shown) in tables::shown_counts(ctx.folder) {
        let Some(v) = ctx.var(&cell) else {
            continue;
        };
        // A curve's events are rises of rounded cumulative counts, not rounded counts
        // (`curve_steps` reads them); a Jay preset's unadjusted splice shows sums of
        // jay_counts.csv's released counts.
        let curve_events = (cell.ends_with("/events") || cell.contains("/events@"))
            && curves::CURVE_TABLES
                .iter()
                .any(|(stem, _)| file.rsplit('/').next().is_some_and(|f| f.starts_with(stem)));
        if curve_events {
            continue;
        }
        let Some(x) = shown else {
            // A blank count of a plain table was withheld: under the threshold (in the
            // report's ledger it may be the partner of one instead).
            let plain = !curves::CURVE_TABLES
                .iter()
                .any(|(stem, _)| file.rsplit('/').next().is_some_and(|f| f.starts_with(stem)))
                && !file.ends_with("#Ledger");
            if plain && below > 0 {
                let zero_hidden = ctx.hidden.zeros && ctx.zero_is_attribute(&cell);
                out.push((
                    file,
                    Con::In(v, Dom::Range(i64::from(!zero_hidden), below - 1)),
                ));
            }
            continue;
        };
        if x.fract() != 0.0 {
            continue;
        }
        if let Some(d) = ctx.hidden.rounded(x as i64) {
            out.push((file, Con::In(v, d)));
        }
    }
    out
}
