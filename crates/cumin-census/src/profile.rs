//! A data-quality profile of the cleaned rows, per census year and LA: how often each
//! key field is missing, how often rows carry a PMR by the child's age, and how often
//! each code occurs. `cumin validate` prints it by year and writes it in full.
//!
//! Ages here are a data-quality approximation (completed years at the referral from the
//! 15th of the birth month, no reset rules); the analysis ages live in `cumin-cohort`.

use crate::date::Date;
use crate::episodes::Episodes;
use crate::types::{CensusYear, ETHNICITY_CODES};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Key fields whose missingness is profiled, in output order.
pub const KEY_FIELDS: [&str; 12] = [
    "LAchildID_Anon",
    "PupilMatchingRefAnonymous",
    "LA",
    "birth_month_year",
    "Gender",
    "Ethnicity",
    "CINreferralDate",
    "CINclosureDate",
    "ReferralNFA",
    "ReasonForClosure",
    "PrimaryNeedCode",
    "IDACI_Decile",
];

/// Age bands at referral for PMR coverage (Jay et al.'s bands), then unknown age.
pub const AGE_BANDS: [&str; 6] = ["pre-birth", "0-4", "5-9", "10-15", "16+", "unknown"];

/// Coded fields whose frequencies are profiled.
pub const CODED_FIELDS: [&str; 6] = [
    "Gender",
    "Ethnicity",
    "ReferralNFA",
    "ReasonForClosure",
    "PrimaryNeedCode",
    "IDACI_Decile",
];

const MISSING: &str = "missing";

/// Counts for one census year and LA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// Rows.
    pub rows: u64,
    /// Rows missing each of [`KEY_FIELDS`].
    pub missing: [u64; KEY_FIELDS.len()],
    /// Rows in each of [`AGE_BANDS`].
    pub age_rows: [u64; AGE_BANDS.len()],
    /// Rows in each age band that carry a PMR.
    pub age_with_pmr: [u64; AGE_BANDS.len()],
    /// Per coded field, rows per code label.
    pub codes: [BTreeMap<String, u64>; CODED_FIELDS.len()],
}

impl Group {
    fn add(&mut self, other: &Group) {
        self.rows += other.rows;
        for (a, b) in self.missing.iter_mut().zip(other.missing) {
            *a += b;
        }
        for (a, b) in self.age_rows.iter_mut().zip(other.age_rows) {
            *a += b;
        }
        for (a, b) in self.age_with_pmr.iter_mut().zip(other.age_with_pmr) {
            *a += b;
        }
        for (a, b) in self.codes.iter_mut().zip(&other.codes) {
            for (k, n) in b {
                *a.entry(k.clone()).or_insert(0) += n;
            }
        }
    }

    /// Share of rows missing key field `k` (0 when there are no rows).
    pub fn missing_share(&self, k: usize) -> f64 {
        share(self.missing[k], self.rows)
    }

    /// Share of rows in age band `b` that carry a PMR (`None` when the band is empty).
    pub fn pmr_share(&self, b: usize) -> Option<f64> {
        (self.age_rows[b] > 0).then(|| share(self.age_with_pmr[b], self.age_rows[b]))
    }
}

fn share(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// A census year and an LA (`None`: no readable LA).
pub type GroupKey = (CensusYear, Option<u16>);

/// Codes of a coded field tallied by index (0 = missing); 20 covers the 18 ethnicity
/// codes, the most any field has.
const CODES: usize = 20;
type CodeTally = [u64; CODES];

/// The profile: one [`Group`] per (census year, LA); rows without a readable LA have
/// LA `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Groups in year, then LA order.
    pub groups: BTreeMap<GroupKey, Group>,
}

fn age_band(referral: Option<Date>, year: Option<i16>, month: Option<u8>) -> usize {
    let (Some(r), Some(y), Some(m)) = (referral, year, month) else {
        return 5;
    };
    let Some(birth) = Date::from_ymd(i32::from(y), u32::from(m), crate::NOTIONAL_BIRTH_DAY) else {
        return 5;
    };
    match crate::age_at(birth, r) {
        a if a < 0 => 0,
        0..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    }
}

fn code<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| v.to_string())
}

impl Profile {
    /// Profiles every row of `e`.
    pub fn of(e: &Episodes) -> Profile {
        // Codes are tallied by index first: strings only once per group, not per row.
        let mut raw: BTreeMap<GroupKey, (Group, Vec<CodeTally>)> = BTreeMap::new();
        for i in 0..e.len() {
            let (g, tallies) = raw
                .entry((e.census_year[i], e.la[i]))
                .or_insert_with(|| (Group::default(), vec![[0; CODES]; CODED_FIELDS.len()]));
            g.rows += 1;
            let missing = [
                e.la_child_id[i].is_none(),
                e.pmr[i].is_none(),
                e.la[i].is_none(),
                e.birth_month[i].is_none() || e.birth_year[i].is_none(),
                e.sex[i].is_none(),
                e.ethnicity[i].is_none(),
                e.referral_imputed[i] || e.referral[i].is_none(),
                e.closure[i].is_none(),
                e.nfa[i].is_none(),
                e.reason_for_closure[i].is_none(),
                e.primary_need[i].is_none(),
                e.idaci_decile[i].is_none(),
            ];
            for (m, is) in g.missing.iter_mut().zip(missing) {
                *m += u64::from(is);
            }
            let referral = (!e.referral_imputed[i]).then_some(e.referral[i]).flatten();
            let band = age_band(referral, e.birth_year[i], e.birth_month[i]);
            g.age_rows[band] += 1;
            g.age_with_pmr[band] += u64::from(e.pmr[i].is_some());
            // Index 0 is missing throughout; codes start at 1.
            let idx = [
                e.sex[i].map_or(0, |s| usize::from(s.code())),
                e.ethnicity[i].map_or(0, |x| x.index() + 1),
                e.nfa[i].map_or(0, |b| usize::from(b) + 1),
                e.reason_for_closure[i].map_or(0, |r| usize::from(r) + 1),
                e.primary_need[i].map_or(0, usize::from),
                e.idaci_decile[i].map_or(0, usize::from),
            ];
            for (t, k) in tallies.iter_mut().zip(idx) {
                t[k] += 1;
            }
        }
        let label = |field: usize, k: usize| -> String {
            if k == 0 {
                return MISSING.to_owned();
            }
            match field {
                0 => (if k == 1 { "1 male" } else { "2 female" }).to_owned(),
                1 => ETHNICITY_CODES[k - 1].to_owned(),
                2 => code(Some(k - 1)),
                // 0 is a strict-mode reason that is no RC code.
                3 if k == 1 => "other".to_owned(),
                3 => format!("RC{}", k - 1),
                4 => format!("N{k}"),
                _ => k.to_string(),
            }
        };
        let groups = raw
            .into_iter()
            .map(|(key, (mut g, tallies))| {
                for (f, t) in tallies.iter().enumerate() {
                    for (k, n) in t.iter().enumerate() {
                        if *n > 0 {
                            g.codes[f].insert(label(f, k), *n);
                        }
                    }
                }
                (key, g)
            })
            .collect();
        Profile { groups }
    }

    /// Groups summed over LAs, per census year.
    pub fn by_year(&self) -> BTreeMap<CensusYear, Group> {
        let mut out: BTreeMap<CensusYear, Group> = BTreeMap::new();
        for ((year, _), g) in &self.groups {
            out.entry(*year).or_default().add(g);
        }
        out
    }

    /// Everything summed.
    pub fn total(&self) -> Group {
        let mut all = Group::default();
        for g in self.groups.values() {
            all.add(g);
        }
        all
    }

    /// Writes the profile as CSV: `census_year, la, measure, field, value, rows, share`.
    /// Measures: `rows`, `missing` (field, share of rows), `pmr_by_age` (field = age band,
    /// value = rows with a PMR, share of the band's rows), `code` (field, value = code).
    pub fn write_csv(&self, w: impl Write) -> io::Result<()> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "census_year,la,measure,field,value,rows,share")?;
        for ((year, la), g) in &self.groups {
            let la = la.map_or_else(String::new, |l| l.to_string());
            let mut line =
                |measure: &str, field: &str, value: &str, rows: u64, share: Option<f64>| {
                    let share = share.map_or_else(String::new, |s| format!("{s:.4}"));
                    writeln!(w, "{year},{la},{measure},{field},{value},{rows},{share}")
                };
            line("rows", "", "", g.rows, None)?;
            for (k, f) in KEY_FIELDS.iter().enumerate() {
                line("missing", f, "", g.missing[k], Some(g.missing_share(k)))?;
            }
            for (b, band) in AGE_BANDS.iter().enumerate() {
                line(
                    "pmr_by_age",
                    band,
                    &g.age_with_pmr[b].to_string(),
                    g.age_rows[b],
                    g.pmr_share(b),
                )?;
            }
            for (f, field) in CODED_FIELDS.iter().enumerate() {
                for (value, n) in &g.codes[f] {
                    line("code", field, value, *n, Some(share(*n, g.rows)))?;
                }
            }
        }
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::EpisodeRow;
    use crate::types::{Ethnicity, Sex};

    fn rows() -> Episodes {
        let mut e = Episodes::new();
        for (i, (la, pmr, year)) in [
            (Some(202), true, 2014),
            (Some(202), false, 2014),
            (None, false, 2015),
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la = la;
            r.la_child_id = Some(format!("C{i}"));
            r.pmr = pmr.then(|| format!("P{i}"));
            r.birth_year = Some(2006);
            r.birth_month = Some(3);
            r.referral = Some(Date::ymd(2013, 6, 1));
            r.sex = Some(Sex::Female);
            r.ethnicity = Ethnicity::from_code("BAFR");
            r.reason_for_closure = Some(8);
            r.nfa = Some(false);
            e.push(r);
        }
        e
    }

    #[test]
    fn groups_by_year_and_la() {
        let p = Profile::of(&rows());
        assert_eq!(p.groups.len(), 2);
        let g = &p.groups[&(CensusYear(2014), Some(202))];
        assert_eq!(g.rows, 2);
        assert_eq!(g.missing[1], 1, "one row without a PMR");
        assert_eq!(g.missing[7], 2, "no closure dates");
        assert_eq!(g.age_rows[2], 2, "aged 7 at referral");
        assert_eq!(g.pmr_share(2), Some(0.5));
        assert_eq!(g.codes[3]["RC8"], 2);
        assert_eq!(g.codes[0]["2 female"], 2);
        assert_eq!(g.codes[2]["0"], 2);
        assert_eq!(p.groups[&(CensusYear(2015), None)].missing[2], 1);
        assert_eq!(p.total().rows, 3);
        assert_eq!(p.by_year()[&CensusYear(2014)].rows, 2);
    }

    #[test]
    fn writes_long_csv() {
        let mut out = Vec::new();
        Profile::of(&rows()).write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("census_year,la,measure,field,value,rows,share\n"));
        assert!(text.contains("2013/14,202,rows,,,2,\n"), "{text}");
        assert!(text.contains("2013/14,202,missing,PupilMatchingRefAnonymous,,1,0.5000\n"));
        assert!(text.contains("2013/14,202,pmr_by_age,5-9,1,2,0.5000\n"));
        assert!(text.contains("2014/15,,code,Ethnicity,BAFR,1,1.0000\n"));
    }
}
