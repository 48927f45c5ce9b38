//! The attacks. Each reads released files only and states what they imply about hidden
//! counts, as constraints tagged with the file they come from; [`crate::attack::solver`]
//! combines them.

pub mod curves;
pub mod derived;
pub mod jay;
pub mod linkage;
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
        name: "jay counts vs curve",
        run: jay::counts_vs_curve,
    },
];

/// The starting knowledge of every cell: each released count, read as the range of
/// counts its rounding may stand for (a blank is any count); and a curve released in
/// steps shows the sum of its ages' events.
pub fn base(ctx: &mut Ctx<'_>) -> Found {
    let mut out = Found::new();
    // The steps' rule (docs/notes/2026-12-06-disclosure-rules.md): a step closes at the
    // first age its events reach `least`; the last shown step also takes the remainder.
    let least = ctx.hidden.step_least();
    for (file, curve) in curves::curves_of(ctx.folder) {
        let last_shown = curve
            .points
            .iter()
            .rev()
            .find(|p| p.f.is_some())
            .map(|p| p.age);
        for p in curve.points.iter().filter(|p| p.from < p.age) {
            let Some(total) = ctx.var(&curve.events_cell(p)) else {
                continue;
            };
            let parts: Option<Vec<usize>> = (p.from..=p.age)
                .map(|a| ctx.var(&curve.cell(a, "events")))
                .collect();
            let Some(parts) = parts else { continue };
            if Some(p.age) != last_shown {
                out.push((file.clone(), Con::In(total, Dom::Range(least, INF))));
                let before = ctx.var(&format!("{}@{}", curve.cell(p.age - 1, "events"), p.from));
                if let Some(before) = before {
                    out.push((file.clone(), Con::In(before, Dom::Range(0, least - 1))));
                    out.push((
                        file.clone(),
                        Con::Sum {
                            total: before,
                            parts: parts[..parts.len() - 1].to_vec(),
                            lo: 0,
                            hi: 0,
                        },
                    ));
                }
            }
            out.push((
                file.clone(),
                Con::Sum {
                    total,
                    parts,
                    lo: 0,
                    hi: 0,
                },
            ));
        }
    }
    for (file, cell, shown) in tables::shown_counts(ctx.folder) {
        let (Some(v), Some(x)) = (ctx.var(&cell), shown) else {
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
