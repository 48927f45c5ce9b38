//! The rules that need the whole extract, applied once every file is read: the data end
//! is the last day of the *last* census year, which no single file knows.

use super::CleaningRules;
use super::counts::RuleCounts;
use super::rule::{Exclusion, Rule};
use crate::date::Date;
use crate::episodes::Episodes;
use crate::ledger::{EntryKind, FileIndex, Ledger};

/// `LatestReferralDate` / `LatestClosureDate` of the rows where they differ from the
/// row's own dates, by row index; sparse because in most rows they agree or are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatestDates {
    rows: Vec<u32>,
    dates: Vec<(Option<Date>, Option<Date>)>,
}

impl LatestDates {
    /// Records the latest dates of row `row`; rows must come in increasing order.
    pub fn push(&mut self, row: usize, dates: (Option<Date>, Option<Date>)) {
        let row = u32::try_from(row).expect("fewer than 2^32 rows");
        debug_assert!(self.rows.last().is_none_or(|last| *last < row));
        self.rows.push(row);
        self.dates.push(dates);
    }

    /// How many rows have latest dates recorded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none do.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `(LatestReferralDate, LatestClosureDate)` of row `row`, where recorded.
    pub fn get(&self, row: usize) -> Option<(Option<Date>, Option<Date>)> {
        let row = u32::try_from(row).ok()?;
        self.rows.binary_search(&row).ok().map(|i| self.dates[i])
    }
}

/// Applies the whole-extract rules in Jay et al.'s order, to every row:
/// 1. referral and closure dates after `data_end` → missing (with
///    [`CleaningRules::clean_all_dates_after_data_end`], the other dates too);
/// 2. a missing referral or closure date is taken from `LatestReferralDate` /
///    `LatestClosureDate`, themselves cleaned by 1;
/// 3. rows referred before the data start are excluded (and, Jay strict, rows closed
///    before it);
/// 4. a missing referral date becomes 1 September of the census year, flagged;
/// 5. a closure before the referral becomes the referral date, flagged.
///
/// Counts go to `ledger` per file; excluded rows leave `episodes`. Returns, for each
/// row before, whether it stayed.
pub fn finish(
    episodes: &mut Episodes,
    latest: &LatestDates,
    ledger: &mut Ledger,
    rules: &CleaningRules,
    data_end: Date,
) -> Vec<bool> {
    let n = episodes.len();
    let nfiles = ledger.files().len();
    let mut counts: Vec<RuleCounts> = vec![RuleCounts::default(); nfiles];
    let mut excluded = vec![[0u64; Exclusion::COUNT]; nfiles];
    let mut keep = vec![true; n];
    let after_end = |d: &mut Option<Date>, c: &mut RuleCounts| {
        if d.is_some_and(|d| d > data_end) {
            *d = None;
            c.hit(Rule::DateAfterDataEnd);
        }
    };
    for i in 0..n {
        let f = usize::from(episodes.file[i]);
        let c = &mut counts[f];
        after_end(&mut episodes.referral[i], c);
        after_end(&mut episodes.closure[i], c);
        if rules.clean_all_dates_after_data_end {
            after_end(&mut episodes.cpp_start[i], c);
            after_end(&mut episodes.cpp_end[i], c);
            after_end(&mut episodes.s47_start[i], c);
            after_end(&mut episodes.initial_cpc[i], c);
            after_end(&mut episodes.assessment_start[i], c);
        }
        if episodes.referral[i].is_none() || episodes.closure[i].is_none() {
            fall_back(episodes, latest.get(i), i, c, &after_end);
        }
        let exclusion = if episodes.referral[i].is_some_and(|d| d < rules.data_start) {
            Some(Exclusion::ReferralBeforeDataStart)
        } else if rules.drop_closure_before_data_start
            && episodes.closure[i].is_some_and(|d| d < rules.data_start)
        {
            Some(Exclusion::ClosureBeforeDataStart)
        } else {
            None
        };
        if let Some(e) = exclusion {
            keep[i] = false;
            excluded[f][e.index()] += 1;
            continue;
        }
        if episodes.referral[i].is_none() {
            episodes.referral[i] = Some(episodes.census_year[i].first_september());
            episodes.referral_imputed[i] = true;
            c.hit(Rule::ReferralImputed);
        }
        if let (Some(r), Some(cl)) = (episodes.referral[i], episodes.closure[i])
            && cl < r
        {
            episodes.closure[i] = Some(r);
            episodes.closure_repaired[i] = true;
            c.hit(Rule::ClosureBeforeReferral);
        }
    }
    for (f, mut c) in counts.into_iter().enumerate() {
        c.flush(ledger, f as FileIndex);
    }
    for (f, reasons) in excluded.into_iter().enumerate() {
        for e in Exclusion::ALL {
            ledger.add(
                f as FileIndex,
                EntryKind::Excluded,
                e.name(),
                reasons[e.index()],
            );
        }
    }
    episodes.retain_rows(&keep);
    keep
}

fn fall_back(
    episodes: &mut Episodes,
    latest: Option<(Option<Date>, Option<Date>)>,
    i: usize,
    c: &mut RuleCounts,
    after_end: &impl Fn(&mut Option<Date>, &mut RuleCounts),
) {
    let Some((mut referral, mut closure)) = latest else {
        return;
    };
    if episodes.referral[i].is_none() && referral.is_some() {
        after_end(&mut referral, c);
        if referral.is_some() {
            episodes.referral[i] = referral;
            c.hit(Rule::ReferralFromLatest);
        }
    }
    if episodes.closure[i].is_none() && closure.is_some() {
        after_end(&mut closure, c);
        if closure.is_some() {
            episodes.closure[i] = closure;
            c.hit(Rule::ClosureFromLatest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::EpisodeRow;
    use crate::types::CensusYear;

    fn one_row(
        referral: Option<Date>,
        closure: Option<Date>,
        latest: Option<(Option<Date>, Option<Date>)>,
    ) -> (Episodes, Ledger) {
        let mut e = Episodes::new();
        let mut r = EpisodeRow::empty(0, 1, CensusYear(2014));
        r.pmr = Some("P".to_owned());
        r.referral = referral;
        r.closure = closure;
        e.push(r);
        let mut l = LatestDates::default();
        if let Some(d) = latest {
            l.push(0, d);
        }
        let mut ledger = Ledger::new();
        ledger.add_file("a.csv");
        let end = CensusYear(2014).end();
        finish(&mut e, &l, &mut ledger, &CleaningRules::default(), end);
        (e, ledger)
    }

    fn rule(ledger: &Ledger, r: Rule) -> u64 {
        ledger.get(0, EntryKind::Rule, r.name())
    }

    #[test]
    fn a_referral_after_the_data_end_falls_back_to_the_latest_date() {
        let (e, ledger) = one_row(
            Some(Date::ymd(2015, 1, 1)),
            None,
            Some((Some(Date::ymd(2013, 6, 1)), None)),
        );
        assert_eq!(e.referral[0], Some(Date::ymd(2013, 6, 1)));
        assert!(!e.referral_imputed[0]);
        assert_eq!(rule(&ledger, Rule::DateAfterDataEnd), 1);
        assert_eq!(rule(&ledger, Rule::ReferralFromLatest), 1);
    }

    #[test]
    fn a_latest_date_after_the_data_end_is_not_used() {
        let (e, ledger) = one_row(None, None, Some((Some(Date::ymd(2015, 1, 1)), None)));
        assert_eq!(e.referral[0], Some(Date::ymd(2013, 9, 1)));
        assert!(e.referral_imputed[0]);
        assert_eq!(rule(&ledger, Rule::ReferralFromLatest), 0);
        assert_eq!(rule(&ledger, Rule::ReferralImputed), 1);
    }

    #[test]
    fn closure_before_referral_is_repaired_and_flagged() {
        let (e, ledger) = one_row(
            Some(Date::ymd(2013, 6, 1)),
            Some(Date::ymd(2013, 5, 1)),
            None,
        );
        assert_eq!(e.closure[0], Some(Date::ymd(2013, 6, 1)));
        assert!(e.closure_repaired[0]);
        assert_eq!(rule(&ledger, Rule::ClosureBeforeReferral), 1);
    }

    #[test]
    fn referrals_before_the_data_start_are_excluded() {
        let (e, ledger) = one_row(Some(Date::ymd(2008, 3, 31)), None, None);
        assert!(e.is_empty());
        assert_eq!(
            ledger.get(0, EntryKind::Excluded, "referral_before_data_start"),
            1
        );
    }
}
