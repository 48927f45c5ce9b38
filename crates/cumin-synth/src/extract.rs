//! From true histories to the rows of an NPD extract.
//!
//! An episode leaves one row in every census year in which it is open, showing what was
//! known by that year's census date (31 March): a later closure, plan or outcome is
//! blank in earlier rows. Identifiers are what the data really carry: an LA child ID per
//! LA stay, and a PMR on some rows only (mostly from school age).

use crate::history::{Child, REFERRAL_SOURCES};
use crate::params::SimParams;
use cumin_census::{CensusYear, Date, ETHNICITY_CODES, Ethnicity};

/// A 64-bit mix of its inputs (SplitMix64 finaliser), for per-row coin flips that do not
/// depend on the order rows are produced in.
pub fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for &p in parts {
        h ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
    }
    h
}

/// A uniform number in [0, 1) from [`mix`].
pub fn coin(parts: &[u64]) -> f64 {
    (mix(parts) >> 11) as f64 / (1u64 << 53) as f64
}

/// Identifiers assigned to children, after simulation, in child order.
#[derive(Clone, Debug, Default)]
pub struct Identifiers {
    /// LA child ID number of each (child, stint), flattened; see `offset`.
    pub la_id: Vec<u32>,
    /// Start of each child's stints in `la_id`.
    pub offset: Vec<u32>,
}

/// Assigns LA child IDs: each LA numbers the children it records from 0, so the same
/// number recurs in other LAs (IDs are unique only within an LA). With quirks on, a
/// child gets a new ID at every move; without, one ID per LA.
pub fn assign_ids(children: &[Child], params: &SimParams) -> Identifiers {
    let mut next = vec![0u32; 1000];
    let mut ids = Identifiers::default();
    for c in children {
        ids.offset.push(ids.la_id.len() as u32);
        let start = ids.la_id.len();
        for (s, stint) in c.stints.iter().enumerate() {
            let earlier = (!params.quirks)
                .then(|| c.stints[..s].iter().position(|x| x.la == stint.la))
                .flatten();
            let id = if let Some(k) = earlier {
                ids.la_id[start + k]
            } else {
                let n = &mut next[usize::from(stint.la)];
                *n += 1;
                *n - 1
            };
            ids.la_id.push(id);
        }
    }
    ids
}

/// The text of an LA child ID number: a bijection of 0..10^7 so IDs look arbitrary.
pub fn la_id_text(n: u32) -> String {
    let v = (u64::from(n) * 7_654_321 + 1_234_567) % 10_000_000;
    format!("{v:07}")
}

/// One row of the extract, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtractRow {
    /// Census year.
    pub census_year: CensusYear,
    /// LA code.
    pub la: u16,
    /// LA child ID.
    pub la_child_id: String,
    /// PMR, if the row carries one.
    pub pmr: Option<String>,
    /// 1 male, 2 female.
    pub gender: u8,
    /// Ethnicity code.
    pub ethnicity: &'static str,
    /// Month of birth (missing before birth).
    pub birth_month: Option<u8>,
    /// Year of birth (missing before birth).
    pub birth_year: Option<i16>,
    /// Expected date of birth (rows before birth).
    pub expected_dob: Option<Date>,
    /// Referral date.
    pub referral: Date,
    /// Closure date, if closed by the census date.
    pub closure: Option<Date>,
    /// Referral source code.
    pub referral_source: &'static str,
    /// 1 if closed with no further action at referral.
    pub nfa: u8,
    /// Primary need code number.
    pub primary_need: u8,
    /// Reason for closure number, if closed.
    pub reason: Option<u8>,
    /// Assessment start.
    pub assessment: Option<Date>,
    /// Section 47 start.
    pub s47: Option<Date>,
    /// Initial conference.
    pub icpc: Option<Date>,
    /// Plan start.
    pub cpp_start: Option<Date>,
    /// Plan end.
    pub cpp_end: Option<Date>,
    /// IDACI decile.
    pub idaci: u8,
}

/// Where a row comes from: child (position in the kept list) and episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowRef {
    /// Sort key: LA.
    pub la: u16,
    /// Sort key: LA child ID number.
    pub la_id: u32,
    /// Sort key: referral day.
    pub referral: i32,
    /// Child position.
    pub child: u32,
    /// Episode position within the child.
    pub episode: u16,
}

/// Whether an episode is open at some point in a census year.
pub fn open_in(referral: Date, closure: Date, year: CensusYear) -> bool {
    referral <= year.end() && closure >= year.start()
}

/// The rows of one census year, in (LA, LA child ID, referral) order.
pub fn rows_of_year(children: &[Child], ids: &Identifiers, year: CensusYear) -> Vec<RowRef> {
    let mut rows = Vec::new();
    for (ci, c) in children.iter().enumerate() {
        for (ei, e) in c.episodes.iter().enumerate() {
            if open_in(e.referral, e.closure, year) {
                let stint = usize::from(e.stint);
                rows.push(RowRef {
                    la: c.stints[stint].la,
                    la_id: ids.la_id[ids.offset[ci] as usize + stint],
                    referral: e.referral.days(),
                    child: ci as u32,
                    episode: ei as u16,
                });
            }
        }
    }
    rows.sort_unstable();
    rows
}

/// The identifier a child carries with perfect identifiers.
pub fn true_child_id(child: &Child) -> String {
    format!("C{:09}", child.index)
}

/// The PMR of a child (pseudonymous, stable across LAs and years).
pub fn pmr_text(params: &SimParams, child: &Child) -> String {
    format!("P{:016X}", mix(&[params.seed, 0x0050_4D52, child.index]))
}

/// Materialises one row.
pub fn row(params: &SimParams, children: &[Child], r: RowRef, year: CensusYear) -> ExtractRow {
    let c = &children[r.child as usize];
    let e = &c.episodes[usize::from(r.episode)];
    let census_date = year.end();
    let known = |d: Option<Date>| d.filter(|d| *d <= census_date);
    let born = c.dob <= census_date;
    let age_at_census = if born {
        census_date.completed_years_since(c.dob).clamp(0, 17) as usize
    } else {
        0
    };
    let salt = [params.seed, c.index, u64::from(r.episode), year.0 as u64];
    let (la_child_id, pmr) = if params.perfect_ids {
        let id = true_child_id(c);
        (id.clone(), Some(id))
    } else {
        let pmr_present = if params.quirks {
            c.has_pmr
                && coin(&[salt[0], salt[1], salt[2], salt[3], 1])
                    < params.p_row_pmr_by_age[age_at_census]
        } else {
            true
        };
        (
            la_id_text(r.la_id),
            pmr_present.then(|| pmr_text(params, c)),
        )
    };
    let closure = known(Some(e.closure));
    let code = &params.ethnicity_share[usize::from(c.ethnicity)].0;
    let ethnicity = Ethnicity::from_code(code).map_or("OOTH", |e| ETHNICITY_CODES[e.index()]);
    let (y, m, _) = c.dob.to_ymd();
    let noise = (mix(&[salt[0], salt[1], 2]) % 29) as i32 - 14;
    ExtractRow {
        census_year: year,
        la: r.la,
        la_child_id,
        pmr,
        gender: c.sex.code(),
        ethnicity,
        birth_month: born.then_some(m as u8),
        birth_year: born.then_some(y as i16),
        expected_dob: (!born).then(|| c.dob.add_days(noise)),
        referral: e.referral,
        closure,
        referral_source: REFERRAL_SOURCES[usize::from(e.source)],
        nfa: u8::from(e.nfa),
        primary_need: e.need,
        reason: closure.map(|_| e.reason),
        assessment: known(e.assessment),
        s47: known(e.s47),
        icpc: known(e.icpc),
        cpp_start: known(e.cpp_start),
        cpp_end: known(e.cpp_end),
        idaci: c.decile,
    }
}
