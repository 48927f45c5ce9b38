//! From true histories to the rows of an NPD extract.
//!
//! An episode leaves one row in every census year in which it is open, showing what was
//! known by that year's census date (31 March): a later closure, plan or outcome is
//! blank in earlier rows. Identifiers are what the data really carry: an LA child ID per
//! LA stay, and a PMR on some rows only (mostly from school age). With quirks on, rows
//! hold the faults of real extracts ([`crate::quirks`]).

use crate::cell::{Cell, Short};
use crate::history::{Child, REFERRAL_SOURCES, TrueEpisode};
use crate::mechanism::{self, LaEffect, PmrMechanism};
use crate::params::SimParams;
use crate::quirks::{Quirk, QuirkCounts, QuirkRates};
use cumin_census::{CensusYear, Date, ETHNICITY_CODES, Ethnicity, Sex};

use crate::seeded::{coin, mix};

pub use crate::ids::{
    Identifiers, NO_ID, RowRef, assign_ids, la_id_text, pmr_of_index, pmr_text, rows_by_year,
    true_child_id,
};

/// Number of columns written.
pub const N_COLUMNS: usize = 21;

/// One written row.
pub type Row = [Cell; N_COLUMNS];

/// Positions of the columns in [`Row`] (names in `write::COLUMNS`).
pub mod col {
    #![allow(missing_docs)]
    pub const ACADYR: usize = 0;
    pub const LA: usize = 1;
    pub const LA_CHILD_ID: usize = 2;
    pub const PMR: usize = 3;
    pub const GENDER: usize = 4;
    pub const ETHNICITY: usize = 5;
    pub const MONTH_OF_BIRTH: usize = 6;
    pub const YEAR_OF_BIRTH: usize = 7;
    pub const EXPECTED_DOB: usize = 8;
    pub const REFERRAL: usize = 9;
    pub const CLOSURE: usize = 10;
    pub const REFERRAL_SOURCE: usize = 11;
    pub const REFERRAL_NFA: usize = 12;
    pub const PRIMARY_NEED: usize = 13;
    pub const REASON: usize = 14;
    pub const ASSESSMENT: usize = 15;
    pub const S47: usize = 16;
    pub const ICPC: usize = 17;
    pub const CPP_START: usize = 18;
    pub const CPP_END: usize = 19;
    pub const IDACI: usize = 20;
    /// The date columns.
    pub const DATES: [usize; 8] = [
        EXPECTED_DOB,
        REFERRAL,
        CLOSURE,
        ASSESSMENT,
        S47,
        ICPC,
        CPP_START,
        CPP_END,
    ];
}

/// What every row of one census year shares.
pub struct YearContext<'a> {
    /// Parameters.
    pub params: &'a SimParams,
    /// Quirk rates in force.
    pub rates: QuirkRates,
    /// The census year.
    pub year: CensusYear,
    /// Its text, `2012/13`.
    pub year_text: Short,
    /// Whether this year's data are poor.
    pub poor: bool,
}

impl<'a> YearContext<'a> {
    /// The context of `year`.
    pub fn new(params: &'a SimParams, year: CensusYear) -> YearContext<'a> {
        let rates = params.quirk_rates();
        YearContext {
            params,
            poor: params.quirks && year.0 < rates.poor_data_before,
            rates,
            year,
            year_text: Short::format(format_args!("{year}")),
        }
    }
}

/// Reason-for-closure `RC8` as extracts also spell it.
const RC8_SPELLINGS: [&str; 5] = ["NFA", "nfa", " RC8", "rc 8", "No"];

/// One row's coin flips: keyed by child, episode (its referral day) and census year,
/// mixed once per row; each flip then costs one more finalising round.
struct Flips {
    row: u64,
}

impl Flips {
    fn new(salt: [u64; 4]) -> Flips {
        Flips { row: mix(&salt) }
    }

    fn bits(&self, q: u64, field: u64, draw: u64) -> u64 {
        mix(&[
            self.row ^ q.wrapping_mul(0xD6E8_FEB8_6659_FD93),
            field << 8 | draw,
        ])
    }

    fn coin(&self, q: Quirk, field: u64) -> f64 {
        (self.bits(q.tag(), field, 0) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The PMR gap is not a [`Quirk`] with one rate: its chance depends on age.
    fn pmr_coin(&self) -> f64 {
        (self.bits(0x0050_4D52, 0, 0) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick(&self, q: Quirk, field: u64, n: usize) -> usize {
        (self.bits(q.tag(), field, 1) % n as u64) as usize
    }
}

/// Materialises one row, with the quirks in force, counting each quirk's chances.
// One step per column of the extract, in the schema's order, each with its quirks: the
// quirks' coin flips are keyed by column, and splitting the columns up would scatter them.
#[allow(clippy::too_many_lines)]
pub fn render(
    ctx: &YearContext<'_>,
    children: &[Child],
    r: RowRef,
    counts: &mut QuirkCounts,
) -> Row {
    let p = ctx.params;
    let rates = &ctx.rates;
    let c = &children[r.child as usize];
    let e = &c.episodes[usize::from(r.episode)];
    let census_date = ctx.year.end();
    let known = |d: Option<Date>| d.filter(|d| *d <= census_date);
    let born = c.dob <= census_date;
    let age = if born {
        cumin_census::age_at(c.dob, census_date).clamp(0, 17) as usize
    } else {
        0
    };
    let flips = Flips::new([p.seed, c.index, e.referral.days() as u64, ctx.year.0 as u64]);
    let mut row: Row = [Cell::Null; N_COLUMNS];
    row[col::ACADYR] = Cell::Text(ctx.year_text);
    row[col::LA] = Cell::Int(i32::from(r.la));
    let (la_child_id, pmr) = if p.perfect_ids {
        let id = true_child_id(c);
        (id, Some(id))
    } else {
        let present =
            !p.quirks || c.has_pmr && flips.pmr_coin() < pmr_chance(p, c, age, census_date, r.la);
        (la_id_text(r.la_id), present.then(|| pmr_text(p, c)))
    };
    counts.pmr_rows_by_age[age][0] += 1;
    counts.pmr_rows_by_age[age][1] += u64::from(pmr.is_some());
    let pmr = pmr.map(|own| {
        let wrong = counts.chance(
            Quirk::WrongPmr,
            flips.coin(Quirk::WrongPmr, 0) < rates.wrong_pmr,
        );
        if wrong {
            // A child simulated near this one: mostly of the same birth cohort.
            let other = c.index + 1 + flips.pick(Quirk::WrongPmr, 0, 1000) as u64;
            pmr_of_index(p, other)
        } else {
            own
        }
    });
    let id_blank = counts.chance(
        Quirk::MissingLaId,
        flips.coin(Quirk::MissingLaId, 0) < rates.missing_la_id,
    );
    row[col::LA_CHILD_ID] = if id_blank {
        Cell::Null
    } else {
        Cell::Text(la_child_id)
    };
    row[col::PMR] = pmr.map_or(Cell::Null, Cell::Text);

    row[col::GENDER] = Cell::Int(i32::from(sex_code(c.sex, &flips, rates, counts)));
    row[col::ETHNICITY] = ethnicity(ctx, c, &flips, counts);
    if born {
        let (mut y, mut m, _) = c.dob.to_ymd();
        if counts.chance(
            Quirk::DriftBirthMonth,
            flips.coin(Quirk::DriftBirthMonth, 0) < rates.drift_birth_month,
        ) {
            (y, m) = if flips.pick(Quirk::DriftBirthMonth, 0, 2) == 0 {
                if m == 1 { (y - 1, 12) } else { (y, m - 1) }
            } else if m == 12 {
                (y + 1, 1)
            } else {
                (y, m + 1)
            };
        }
        if coin(&[p.seed, c.index, Quirk::AgeOver25.tag()]) < rates.age_over_25 {
            y -= 26 + (mix(&[p.seed, c.index, Quirk::AgeOver25.tag(), 1]) % 50) as i32;
        }
        row[col::MONTH_OF_BIRTH] = Cell::Int(m as i32);
        row[col::YEAR_OF_BIRTH] = Cell::Int(y);
        if counts.chance(
            Quirk::PartialBirthDate,
            flips.coin(Quirk::PartialBirthDate, 0) < rates.partial_birth_date,
        ) {
            let blank = if flips.pick(Quirk::PartialBirthDate, 0, 2) == 0 {
                col::MONTH_OF_BIRTH
            } else {
                col::YEAR_OF_BIRTH
            };
            row[blank] = Cell::Null;
        }
    } else {
        let noise = (mix(&[p.seed, c.index, 2]) % 29) as i32 - 14;
        row[col::EXPECTED_DOB] = Cell::Date(c.dob.add_days(noise));
    }
    row[col::REFERRAL] = if poor_missing(ctx, &flips, 0, counts) {
        Cell::Null
    } else {
        // Keyed by the episode alone, so every row of it agrees.
        let tag = Quirk::ReferralMonthOnly.tag();
        let month_only =
            coin(&[p.seed, c.index, e.referral.days() as u64, tag]) < rates.referral_month_only;
        if counts.chance(Quirk::ReferralMonthOnly, month_only) {
            let (y, m, _) = e.referral.to_ymd();
            Cell::Date(Date::ymd(y, m, 1))
        } else {
            Cell::Date(e.referral)
        }
    };
    let closure = known(Some(e.closure));
    row[col::CLOSURE] = closure.map_or(Cell::Null, Cell::Date);
    row[col::REFERRAL_SOURCE] = Cell::Str(REFERRAL_SOURCES[usize::from(e.source)]);
    row[col::REFERRAL_NFA] = if poor_missing(ctx, &flips, 1, counts) {
        Cell::Null
    } else {
        referral_nfa(e, &flips, rates, counts)
    };
    row[col::PRIMARY_NEED] = if poor_missing(ctx, &flips, 2, counts) {
        Cell::Null
    } else {
        primary_need(e, &flips, rates, counts)
    };
    if closure.is_some() {
        row[col::REASON] = reason(e, &flips, rates, counts);
    }
    row[col::ASSESSMENT] = known(e.assessment).map_or(Cell::Null, Cell::Date);
    row[col::S47] = known(e.s47).map_or(Cell::Null, Cell::Date);
    row[col::ICPC] = known(e.icpc).map_or(Cell::Null, Cell::Date);
    row[col::CPP_START] = known(e.cpp_start).map_or(Cell::Null, Cell::Date);
    row[col::CPP_END] = known(e.cpp_end).map_or(Cell::Null, Cell::Date);
    row[col::IDACI] = Cell::Int(i32::from(c.decile));

    if closure.is_some()
        && counts.chance(
            Quirk::ClosureBeforeReferral,
            flips.coin(Quirk::ClosureBeforeReferral, 0) < rates.closure_before_referral,
        )
    {
        let back = 1 + flips.pick(Quirk::ClosureBeforeReferral, 0, 90) as i32;
        row[col::CLOSURE] = Cell::Date(e.referral.add_days(-back));
    }
    if let Cell::Date(d) = row[col::CLOSURE]
        && counts.chance(
            Quirk::ClosureDecadeEarly,
            flips.coin(Quirk::ClosureDecadeEarly, 0) < rates.closure_decade_early,
        )
    {
        let (y, m, day) = d.to_ymd();
        // 29 February has no day a decade earlier: the 28th.
        let early = Date::from_ymd(y - 10, m, day).unwrap_or_else(|| Date::ymd(y - 10, m, 28));
        row[col::CLOSURE] = Cell::Date(early);
    }
    for (i, &k) in col::DATES.iter().enumerate() {
        if let Cell::Date(d) = row[k] {
            row[k] = spoil_date(d, &flips, i as u64, rates, counts);
        }
    }
    row
}

/// The chance a row carries the PMR: by age at the census date (`row` mechanism) or, with
/// the `onset` mechanism, `pmr_row_after_onset` from the child's onset day on and 0
/// before it; lower on rows before 5 of children who will move LA when
/// `pmr_mobility_dependence` is positive (either mechanism); moved by the LA's own match
/// rate with `la_pmr_sd`.
fn pmr_chance(p: &SimParams, c: &Child, age: usize, census_date: Date, la: u16) -> f64 {
    let m = &p.mechanism;
    let base = match m.pmr {
        PmrMechanism::Row => p.p_row_pmr_by_age[age],
        PmrMechanism::Onset => {
            if census_date < mechanism::onset_day(&p.mechanism, p.seed, c) {
                return 0.0;
            }
            m.pmr_row_after_onset
        }
    };
    let base = mechanism::in_la(base, p.seed, la, LaEffect::Pmr, m.la_pmr_sd);
    if age >= 5 || p.pmr_mobility_dependence == 0.0 {
        return base;
    }
    let moves_later = c.stints.iter().any(|s| s.from > census_date);
    if moves_later {
        (base * (1.0 - p.pmr_mobility_dependence)).clamp(0.0, 1.0)
    } else {
        base
    }
}

fn sex_code(sex: Sex, flips: &Flips, rates: &QuirkRates, counts: &mut QuirkCounts) -> u8 {
    if counts.chance(
        Quirk::DriftSex,
        flips.coin(Quirk::DriftSex, 0) < rates.drift_sex,
    ) {
        let other = if sex == Sex::Male { 2 } else { 1 };
        [other, 0, 9][flips.pick(Quirk::DriftSex, 0, 3)]
    } else {
        sex.code()
    }
}

fn poor_missing(
    ctx: &YearContext<'_>,
    flips: &Flips,
    field: u64,
    counts: &mut QuirkCounts,
) -> bool {
    ctx.poor
        && counts.chance(
            Quirk::PoorDataMissing,
            flips.coin(Quirk::PoorDataMissing, field) < ctx.rates.poor_data_missing,
        )
}

fn legacy(flips: &Flips, field: u64, rates: &QuirkRates, counts: &mut QuirkCounts) -> bool {
    counts.chance(
        Quirk::LegacySpelling,
        flips.coin(Quirk::LegacySpelling, field) < rates.legacy_spelling,
    )
}

fn ethnicity(ctx: &YearContext<'_>, c: &Child, flips: &Flips, counts: &mut QuirkCounts) -> Cell {
    let rates = &ctx.rates;
    if poor_missing(ctx, flips, 3, counts) {
        return Cell::Null;
    }
    let shares = &ctx.params.ethnicity_share;
    let mut index = usize::from(c.ethnicity);
    if counts.chance(
        Quirk::DriftEthnicity,
        flips.coin(Quirk::DriftEthnicity, 0) < rates.drift_ethnicity,
    ) {
        index = (index + 1 + flips.pick(Quirk::DriftEthnicity, 0, shares.len() - 1)) % shares.len();
    }
    let code =
        Ethnicity::from_code(&shares[index].0).map_or("OOTH", |e| ETHNICITY_CODES[e.index()]);
    if !legacy(flips, 3, rates, counts) {
        return Cell::Str(code);
    }
    match flips.pick(Quirk::LegacySpelling, 3, 3) {
        0 if code == "WBRI" => Cell::Str("WBRT"),
        0 | 1 => Cell::Text(Short::format(format_args!("{}", code.to_ascii_lowercase()))),
        _ => Cell::Text(Short::format(format_args!(" {code} "))),
    }
}

fn referral_nfa(
    e: &TrueEpisode,
    flips: &Flips,
    rates: &QuirkRates,
    counts: &mut QuirkCounts,
) -> Cell {
    let spellings = if e.nfa {
        ["1", "Y", "true"]
    } else {
        ["0", "N", "false"]
    };
    if legacy(flips, 1, rates, counts) {
        Cell::Str(spellings[1 + flips.pick(Quirk::LegacySpelling, 1, 2)])
    } else {
        Cell::Str(spellings[0])
    }
}

const NEED_CODES: [&str; 10] = ["N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"];
const NEED_LEGACY: [&str; 4] = ["A2", "A3", "A4", "A5"];

fn primary_need(
    e: &TrueEpisode,
    flips: &Flips,
    rates: &QuirkRates,
    counts: &mut QuirkCounts,
) -> Cell {
    let need = usize::from(e.need);
    if (2..=5).contains(&need) && legacy(flips, 2, rates, counts) {
        Cell::Str(NEED_LEGACY[need - 2])
    } else {
        Cell::Str(NEED_CODES[need])
    }
}

const REASON_CODES: [&str; 10] = [
    "RC0", "RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9",
];

fn reason(e: &TrueEpisode, flips: &Flips, rates: &QuirkRates, counts: &mut QuirkCounts) -> Cell {
    let r = usize::from(e.reason);
    if !legacy(flips, 4, rates, counts) {
        return Cell::Str(REASON_CODES[r]);
    }
    if e.reason == cumin_census::codes::RC_NO_FURTHER_ACTION {
        Cell::Str(RC8_SPELLINGS[flips.pick(Quirk::LegacySpelling, 4, RC8_SPELLINGS.len())])
    } else if flips.pick(Quirk::LegacySpelling, 4, 2) == 0 {
        Cell::Text(Short::format(format_args!("rc{r}")))
    } else {
        Cell::Text(Short::format(format_args!(" RC{r}")))
    }
}

/// A date value as the extract holds it: usually itself; else blank, unreadable text, or
/// a placeholder before 1930.
fn spoil_date(
    d: Date,
    flips: &Flips,
    field: u64,
    rates: &QuirkRates,
    counts: &mut QuirkCounts,
) -> Cell {
    // One draw decides between the three faults, so each has its own rate per value.
    let u = flips.coin(Quirk::MissingDate, field);
    let (m, c, a) = (rates.missing_date, rates.corrupt_date, rates.ancient_date);
    let missing = counts.chance(Quirk::MissingDate, u < m);
    let corrupt = counts.chance(Quirk::CorruptDate, (m..m + c).contains(&u));
    let ancient = counts.chance(Quirk::AncientDate, (m + c..m + c + a).contains(&u));
    if missing {
        return Cell::Null;
    }
    if !(corrupt || ancient) {
        return Cell::Date(d);
    }
    let (y, mo, day) = d.to_ymd();
    if corrupt {
        return Cell::Text(match flips.pick(Quirk::CorruptDate, field, 4) {
            0 => Short::format(format_args!("31/02/{y}")),
            1 => Short::format(format_args!("{y}-13-{day:02}")),
            2 => Short::format(format_args!("{day:02}.{mo:02}.{y}")),
            _ => Short::format(format_args!("{y}{mo:02}{day:02}")),
        });
    }
    if ancient {
        return match flips.pick(Quirk::AncientDate, field, 4) {
            0 => Cell::Str("1900-01-01"),
            1 => Cell::Str("1899-12-30"),
            2 => Cell::Str("1753-01-01"),
            _ => Cell::Text(Short::format(format_args!("{}-{mo:02}-{day:02}", y - 100))),
        };
    }
    Cell::Date(d)
}
