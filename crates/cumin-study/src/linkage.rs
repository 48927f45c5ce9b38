//! What linkage did, as the rows of `linkage.csv`: pure functions of the
//! [`Identity`] values (and their events) a run already has; nothing is linked here.
//! The measures are rows (`id_mode, measure, value`) so they pass disclosure control like
//! every table; the report pivots the released rows (`cumin_report::linkage_section`).

use cumin_census::{Episodes, Outcome};
use cumin_cohort::{Events, Identity, LinkageCounts};
use cumin_estimate::split::mechanism::MechanismCounts;
use cumin_estimate::{Mobility, SplitSummary};
use cumin_link::{EpisodeSet, IdMode};
use cumin_report::{
    AgeBand, HiddenCount, LinkCount, LinkageMeasure, LinkageRow, MechanismMeasure, PmrDiagnostic,
    TransferCount,
};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The share of two counts, before release (the disclosure layer recomputes it from the
/// released counts).
fn share(part: u64, whole: u64) -> f64 {
    share_f(part as f64, whole as f64)
}

/// [`share`] of two counts held as floats.
fn share_f(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { f64::NAN } else { part / whole }
}

/// Assumption 1's adjustment (docs/methods.md §2.1): `θ` and the s.d. of `ln θ` at each
/// age it was applied at (fitted, analyst-only), and whether it was applied at all (a
/// flag, released).
fn mobility_rows(mode: IdMode, mobility: &Mobility) -> Vec<LinkageRow> {
    let mut out = Vec::new();
    for (age, (theta, sd)) in mobility.theta.iter().zip(&mobility.log_sd).enumerate() {
        if *theta < 1.0 {
            for (d, v) in [
                (PmrDiagnostic::MobilityTheta, *theta),
                (PmrDiagnostic::MobilityThetaLogSd, *sd),
            ] {
                out.push(LinkageRow::new(
                    mode,
                    LinkageMeasure::SplitPmr(d, age as u8),
                    v,
                ));
            }
        }
    }
    out.push(LinkageRow::new(
        mode,
        LinkageMeasure::SplitMobilityAdjusted,
        f64::from(u8::from(mobility.any())),
    ));
    out
}

/// The counts that tell the heterogeneity and PMR mechanisms apart, and the two
/// statistics (recomputed from the released counts by the disclosure layer;
/// [`cumin_report::mechanism`]).
fn mechanism_rows(mode: IdMode, c: &MechanismCounts) -> Vec<LinkageRow> {
    use MechanismMeasure as M;
    let value = |m: MechanismMeasure| match m {
        M::Keys(g) => c.keys[g as usize] as f64,
        M::Referrals(g) => c.referrals[g as usize] as f64,
        M::ReferralPairs(g) => c.referral_pairs[g as usize] as f64,
        M::YoungKeys(b) => c.young_keys[b as usize] as f64,
        M::YoungKeysWithPmr(b) => c.young_keys_with_pmr[b as usize] as f64,
        M::YoungExpectedPmr(b) => c.young_expected_pmr[b as usize],
        // Before release, from the exact counts (replaced by the released ones' value).
        M::Dispersion(_) | M::PmrRowsRatio => f64::NAN,
    };
    MechanismMeasure::all()
        .into_iter()
        .map(|m| {
            let v = match m {
                M::Dispersion(_) | M::PmrRowsRatio => m.derive(value).unwrap_or(f64::NAN),
                _ => value(m),
            };
            LinkageRow::new(mode, LinkageMeasure::SplitMechanism(m), v)
        })
        .collect()
}

/// Counts of one mode's linkage and de-duplication: rows, episodes, children, merges,
/// conflicts by kind and what the policy did about them.
pub fn mode_rows(mode: IdMode, counts: &LinkageCounts) -> Vec<LinkageRow> {
    let (s, d) = (&counts.link, &counts.dedup);
    let value = |c: LinkCount| match c {
        LinkCount::Rows => s.rows,
        LinkCount::RowsLinked => s.rows_linked,
        LinkCount::RowsUnidentified => s.rows_unidentified,
        LinkCount::RowsConflictDropped => s.rows_conflict_dropped,
        LinkCount::RowsConflictSplit => s.rows_conflict_split,
        LinkCount::RowsWithPmr => s.rows_with_pmr,
        LinkCount::RowsPmrIdentified => s.rows_pmr_identified,
        LinkCount::Pmrs => s.pmrs,
        LinkCount::LaKeys => s.la_keys,
        LinkCount::Episodes => d.episodes,
        LinkCount::EpisodesMerged => d.episodes_merged,
        LinkCount::RowsMergedIntoEpisodes => d.rows_merged,
        LinkCount::EpisodesNfaDisagreements => d.nfa_disagreements,
        LinkCount::EpisodesReasonDisagreements => d.reason_disagreements,
        LinkCount::EpisodesClosureDisagreements => d.closure_disagreements,
        LinkCount::EpisodesReferralImputed => d.imputed_referral,
        LinkCount::EpisodesImputedBesideReal => d.imputed_beside_real,
        LinkCount::Children => s.children,
        LinkCount::ChildrenWithPmr => s.children_with_pmr,
        LinkCount::ChildrenInSeveralLas => s.children_in_several_las,
        LinkCount::ComponentsMerged => s.components_merged,
        LinkCount::ConflictLaKeySeveralPmrs => s.conflict_la_key_several_pmrs,
        LinkCount::ConflictPmrBirthMismatch => s.conflict_pmr_birth_mismatch,
        LinkCount::ConflictManyLas => s.conflict_many_las,
        LinkCount::ConflictBirthYear => s.conflict_birth_year,
    };
    LinkCount::ALL
        .into_iter()
        .map(|c| LinkageRow::new(mode, LinkageMeasure::Count(c), value(c) as f64))
        .collect()
}

/// First referrals by age band at referral, those identified by PMR, and their share.
pub fn first_referral_rows(mode: IdMode, set: &EpisodeSet, events: &Events) -> Vec<LinkageRow> {
    let mut counts = [(0u64, 0u64); AgeBand::CHILD.len()];
    for e in cumin_cohort::first_events(&events.all[Outcome::Referral.index()]) {
        let age = i32::from(e.age.max(0));
        for (band, (all, with_pmr)) in AgeBand::CHILD.iter().zip(&mut counts) {
            if band.contains(age) {
                *all += 1;
                *with_pmr += u64::from(set.pmr_identified[e.episode as usize]);
            }
        }
    }
    AgeBand::CHILD
        .into_iter()
        .zip(counts)
        .flat_map(|(band, (all, with_pmr))| {
            [
                LinkageRow::new(mode, LinkageMeasure::FirstReferrals(band), all as f64),
                LinkageRow::new(
                    mode,
                    LinkageMeasure::FirstReferralsPmrIdentifiedCount(band),
                    with_pmr as f64,
                ),
                LinkageRow::new(
                    mode,
                    LinkageMeasure::FirstReferralsPmrIdentified(band),
                    share(with_pmr, all),
                ),
            ]
        })
        .collect()
}

/// PMR coverage by census year and age band on the census date (31 March): rows, and the
/// share carrying a PMR. Rows whose child has no usable birth date fall in `unknown`.
pub fn coverage_rows(episodes: &Episodes, identity: &Identity) -> Vec<LinkageRow> {
    let (linkage, children) = (&identity.linkage, &identity.children);
    let years = &episodes.census_year;
    let Some(first) = years.iter().min().copied() else {
        return Vec::new();
    };
    let last = years.iter().max().copied().unwrap_or(first);
    let n_years = usize::try_from(last.0 - first.0).unwrap_or(0) + 1;
    // cells[year − first][band]: (rows, rows with a PMR), summed over threads.
    let band_index = |b: AgeBand| BANDS.iter().position(|x| *x == b).unwrap_or(0);
    let cells = (0..episodes.len())
        .into_par_iter()
        .fold(
            || vec![[(0u64, 0u64); BANDS.len()]; n_years],
            |mut cells, i| {
                let year = years[i];
                let dob = linkage.child_of(i).and_then(|c| children.dob[c.index()]);
                let band = dob.map_or(AgeBand::Unknown, |dob| {
                    AgeBand::of(cumin_census::age_at(dob, year.end()))
                });
                let cell =
                    &mut cells[usize::try_from(year.0 - first.0).unwrap_or(0)][band_index(band)];
                cell.0 += 1;
                cell.1 += u64::from(episodes.pmr[i].is_some());
                cells
            },
        )
        .reduce(
            || vec![[(0u64, 0u64); BANDS.len()]; n_years],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        p.0 += q.0;
                        p.1 += q.1;
                    }
                }
                a
            },
        );
    // Bands in the order of their names, as `linkage.csv` lists them.
    let mut by_name = BANDS;
    by_name.sort_by_key(|b| b.as_str());
    let mut out = Vec::new();
    for (y, row) in cells.iter().enumerate() {
        let year = cumin_census::CensusYear(first.0 + y as i16);
        for band in by_name {
            let (rows, with_pmr) = row[band_index(band)];
            if rows == 0 {
                continue;
            }
            out.push(LinkageRow::new(
                identity.id_mode(),
                LinkageMeasure::CensusRows(year, band),
                rows as f64,
            ));
            out.push(LinkageRow::new(
                identity.id_mode(),
                LinkageMeasure::CensusRowsWithPmrCount(year, band),
                with_pmr as f64,
            ));
            out.push(LinkageRow::new(
                identity.id_mode(),
                LinkageMeasure::CensusRowsWithPmr(year, band),
                share(with_pmr, rows),
            ));
        }
    }
    out
}

/// Every age band a row can fall in.
const BANDS: [AgeBand; 6] = AgeBand::ALL;

/// Split-identity diagnostics (`split_*` measures): children (components) by whether
/// they carry a PMR and the age band of their first referral; PMR-linked children seen in
/// several LAs, by age at their first referral in a second LA; the transfer rule's counts;
/// and, under `--linkage corrected`, the correction's PMR diagnostics by age (which PMR
/// mechanism the extract shows), its hidden successors and, per outcome, the seen pairs
/// serving as templates and the first events it removes.
pub fn split_rows(identity: &Identity, correction: Option<&SplitSummary>) -> Vec<LinkageRow> {
    let mode = identity.id_mode();
    let mut out: Vec<LinkageRow> = split_children(identity)
        .into_values()
        .map(|(m, v)| LinkageRow::new(mode, m, v as f64))
        .collect();
    let t = &identity.transfers;
    for (count, v) in [
        (TransferCount::Closures, t.transfer_closures),
        (
            TransferCount::ClosuresWithCandidates,
            t.closures_with_candidates,
        ),
        (TransferCount::CandidateMatches, t.candidate_matches),
        (TransferCount::Pairs, t.pairs),
    ] {
        out.push(LinkageRow::new(
            mode,
            LinkageMeasure::SplitTransfer(count),
            v as f64,
        ));
    }
    if let Some(c) = correction {
        for a in &c.by_age {
            // Counts, and the shares (recomputed from the released counts by the
            // disclosure layer); the hidden successors are the model's (analyst-only).
            for (d, v) in [
                (PmrDiagnostic::Rows, a.rows),
                (PmrDiagnostic::RowsWithPmr, a.rows_with_pmr),
                (PmrDiagnostic::RowShare, share_f(a.rows_with_pmr, a.rows)),
                (PmrDiagnostic::RowsAfterPmr, a.rows_after_pmr),
                (
                    PmrDiagnostic::RowsAfterPmrWithPmr,
                    a.rows_after_pmr_with_pmr,
                ),
                (
                    PmrDiagnostic::Persistence,
                    share_f(a.rows_after_pmr_with_pmr, a.rows_after_pmr),
                ),
                (PmrDiagnostic::RowsAfterPmrMoving, a.rows_after_pmr_moving),
                (
                    PmrDiagnostic::RowsAfterPmrMovingWithPmr,
                    a.rows_after_pmr_moving_with_pmr,
                ),
                (
                    PmrDiagnostic::PersistenceMoving,
                    share_f(a.rows_after_pmr_moving_with_pmr, a.rows_after_pmr_moving),
                ),
                (PmrDiagnostic::Keys, a.keys),
                (PmrDiagnostic::KeysWithPmr, a.keys_with_pmr),
                (PmrDiagnostic::KeyShare, share_f(a.keys_with_pmr, a.keys)),
                (PmrDiagnostic::HiddenSuccessors, a.hidden.round()),
            ] {
                out.push(LinkageRow::new(mode, LinkageMeasure::SplitPmr(d, a.age), v));
            }
        }
        if let Some(age) = c.youngest_fitted_age {
            out.push(LinkageRow::new(
                mode,
                LinkageMeasure::SplitYoungestFittedAge,
                f64::from(age),
            ));
        }
        out.extend(mobility_rows(mode, &c.mobility));
        out.extend(mechanism_rows(mode, &c.mechanism));
        for (h, v) in [
            (HiddenCount::All, c.hidden),
            (HiddenCount::Extrapolated, c.hidden_extrapolated),
            (HiddenCount::SamplingSd, c.hidden_sd),
            (HiddenCount::ExtrapolationSd, c.extrapolation_sd),
        ] {
            out.push(LinkageRow::new(
                mode,
                LinkageMeasure::SplitHidden(h),
                v.round(),
            ));
        }
        for (o, seen, removed) in &c.per_outcome {
            out.push(LinkageRow::new(
                mode,
                LinkageMeasure::SplitSeenPairs(*o),
                *seen as f64,
            ));
            out.push(LinkageRow::new(
                mode,
                LinkageMeasure::SplitFirstEventsRemoved(*o),
                removed.round(),
            ));
        }
    }
    out
}

/// Children by PMR and age band at their first referral, and PMR-linked children who
/// moved by age at their first referral in a second LA; keyed by the measure's name, the
/// order `linkage.csv` lists them in.
fn split_children(identity: &Identity) -> BTreeMap<String, (LinkageMeasure, u64)> {
    let (set, children) = (&identity.episodes, &identity.children);
    let mut child_pmr = vec![false; identity.linkage.n_children];
    for e in 0..set.len() {
        child_pmr[set.child[e].index()] |= set.pmr_identified[e];
    }
    let mut cells: BTreeMap<String, (LinkageMeasure, u64)> = BTreeMap::new();
    let mut count = |m: LinkageMeasure| cells.entry(m.to_string()).or_insert((m, 0)).1 += 1;
    for (c, r) in set.by_child() {
        let dob = children.dob[c.index()];
        let band = |e: usize| {
            dob.map_or(AgeBand::Unknown, |dob| {
                AgeBand::of(cumin_census::age_at(dob, set.referral[e]).max(0))
            })
        };
        let with_pmr = child_pmr[c.index()];
        count(LinkageMeasure::SplitChildren {
            with_pmr,
            first: band(r.start),
        });
        if !with_pmr {
            continue;
        }
        let first_la = r.clone().find_map(|e| set.la[e]);
        if let Some(moved) = r
            .clone()
            .find(|&e| set.la[e].is_some() && set.la[e] != first_la)
        {
            count(LinkageMeasure::SplitPmrChildrenMoved(band(moved)));
        }
    }
    cells
}

/// The first rows of `linkage.csv`: the study's own mode in full (counts, first
/// referrals by PMR, coverage). The only ones that read the episode table's rows, so a
/// run counts them before it frees the rows; [`other_mode_rows`] follow.
pub fn own_rows(episodes: &Episodes, main: &Identity, events: &Events) -> Vec<LinkageRow> {
    let mode = main.id_mode();
    let mut rows = mode_rows(mode, &main.counts());
    rows.extend(first_referral_rows(mode, &main.episodes, events));
    rows.extend(coverage_rows(episodes, main));
    rows
}

/// The rows of `linkage.csv` after [`own_rows`]: other modes' counts, every mode's from
/// the sensitivity runs when there are any (`others`); else only those the run already
/// has, `combined` and `pmr-school-age` linking alike (nothing is linked again just to
/// report it). Reads no row of the episode table.
pub fn other_mode_rows(main: &Identity, others: Option<&[LinkageRow]>) -> Vec<LinkageRow> {
    let mode = main.id_mode();
    match others {
        Some(s) => s.iter().filter(|r| r.id_mode != mode).cloned().collect(),
        None => identifier_twin_rows(main),
    }
}

/// The counts of the mode that links exactly as the run's own does: `combined` and
/// `pmr-school-age` differ only in which events count, so each one's identifier linkage
/// (before any transfer merge) is the other's. `la-only` and `pmr-only` have no twin.
fn identifier_twin_rows(main: &Identity) -> Vec<LinkageRow> {
    let twin = match main.id_mode() {
        IdMode::Combined => IdMode::PmrSchoolAge,
        IdMode::PmrSchoolAge => IdMode::Combined,
        IdMode::LaOnly | IdMode::PmrOnly => return Vec::new(),
    };
    mode_rows(twin, &main.by_identifiers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::CensusYear;
    use cumin_census::{Date, EpisodeRow};
    use cumin_link::LinkOptions;
    use cumin_report::{ReportTable, SdcProfile, linkage_section};

    #[test]
    fn the_mechanism_counts_become_rows_and_the_statistics_come_from_them() {
        use cumin_report::{DecileGroup as G, RowBand as B};
        let c = MechanismCounts {
            keys: [3, 10, 4],
            referrals: [6, 10, 4],
            referral_pairs: [6, 0, 0],
            young_keys: [50, 20, 30],
            young_keys_with_pmr: [20, 10, 15],
            young_expected_pmr: [25.0, 12.0, 40.0],
        };
        let rows = mechanism_rows(IdMode::Combined, &c);
        let get = |m: MechanismMeasure| {
            rows.iter()
                .find(|r| r.measure == LinkageMeasure::SplitMechanism(m))
                .map(|r| r.value)
                .unwrap()
        };
        assert_eq!(rows.len(), MechanismMeasure::all().len());
        assert_eq!(get(MechanismMeasure::Keys(G::High)), 4.0);
        assert_eq!(get(MechanismMeasure::ReferralPairs(G::Low)), 6.0);
        assert_eq!(get(MechanismMeasure::YoungKeysWithPmr(B::Two)), 10.0);
        assert_eq!(get(MechanismMeasure::YoungExpectedPmr(B::ThreePlus)), 40.0);
        // Referrals 1, 1, 4: mean 2, variance 2; one each: no dispersion left (0).
        assert_eq!(get(MechanismMeasure::Dispersion(G::Low)), 1.0);
        assert_eq!(get(MechanismMeasure::Dispersion(G::Middle)), 0.0);
        assert_eq!(
            get(MechanismMeasure::PmrRowsRatio),
            (15.0 / 40.0) / (20.0 / 25.0)
        );
        assert!(
            rows.iter()
                .all(|r| r.measure.to_string().starts_with("split_"))
        );
    }

    #[test]
    fn section_pivots_released_rows_by_mode_and_by_census_year() {
        let mut e = Episodes::new();
        for (i, (pmr, year)) in [(None, 2014), (Some("P1"), 2015), (Some("P1"), 2015)]
            .into_iter()
            .enumerate()
        {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la_child_id = Some("A".into());
            r.la = Some(202);
            r.pmr = pmr.map(str::to_owned);
            r.referral = Some(Date::ymd(2013, 6, 1 + i as u32));
            r.birth_year = Some(2008);
            r.birth_month = Some(5);
            e.push(r);
        }
        let mut rows = Vec::new();
        for mode in [IdMode::Combined, IdMode::LaOnly] {
            let identity = cumin_cohort::identify(
                &e,
                &cumin_cohort::IdentitySpec {
                    link: LinkOptions::with_mode(mode),
                    linkage: cumin_link::LinkageMode::Exact,
                    birth: cumin_cohort::BirthRules::default(),
                },
            );
            rows.extend(mode_rows(mode, &identity.counts()));
            if mode == IdMode::Combined {
                rows.extend(coverage_rows(&e, &identity));
            }
        }
        let (released, _) = cumin_report::release_linkage(SdcProfile::None, rows);
        let section = linkage_section(&released);
        let summary = &section.tables[0];
        assert_eq!(summary.columns, ["measure", "combined", "la-only"]);
        let line = |t: &ReportTable, m: &str| t.rows.iter().find(|r| r[0] == m).unwrap().clone();
        assert_eq!(line(summary, "rows"), ["rows", "3", "3"]);
        assert_eq!(line(summary, "episodes"), ["episodes", "3", "3"]);
        let coverage = &section.tables[3];
        // Born May 2008: 5 on 31 March 2014 and 6 on 31 March 2015.
        assert_eq!(coverage.columns, ["census year", "5-10"]);
        assert_eq!(coverage.rows, [["2014", "0.0%"], ["2015", "100.0%"]]);
    }

    #[test]
    fn assumption_1s_adjustment_is_written_out_where_it_fired_and_flagged_where_not() {
        let mode = IdMode::Combined;
        let mut fired = Mobility::none();
        fired.theta[3] = 0.25;
        fired.log_sd[3] = 0.2;
        fired.theta[4] = 0.3;
        fired.log_sd[4] = 0.15;
        let (released, model) =
            cumin_report::release_linkage(SdcProfile::OnsSrs, mobility_rows(mode, &fired));
        let named = |rows: &[LinkageRow]| -> Vec<(String, f64)> {
            rows.iter()
                .map(|r| (r.measure.to_string(), r.value))
                .collect()
        };
        let s = |x: &str| x.to_owned();
        assert_eq!(
            named(model.get()),
            [
                (s("split_mobility_theta_age_3"), 0.25),
                (s("split_mobility_theta_log_sd_age_3"), 0.2),
                (s("split_mobility_theta_age_4"), 0.3),
                (s("split_mobility_theta_log_sd_age_4"), 0.15),
                (s("split_mobility_adjusted"), 1.0),
            ]
        );
        // Only the flag is released: no small count, no fitted value.
        assert_eq!(named(released.get()), [(s("split_mobility_adjusted"), 1.0)]);
        let section = linkage_section(&released);
        assert!(
            section.tables[4]
                .rows
                .contains(&vec![s("split_mobility_adjusted"), s("yes")])
        );
        // Not fired: no θ, the flag says so in both files.
        let (released, model) = cumin_report::release_linkage(
            SdcProfile::OnsSrs,
            mobility_rows(mode, &Mobility::none()),
        );
        assert_eq!(named(model.get()), [(s("split_mobility_adjusted"), 0.0)]);
        assert_eq!(named(released.get()), [(s("split_mobility_adjusted"), 0.0)]);
        let section = linkage_section(&released);
        assert!(
            section.tables[4]
                .rows
                .contains(&vec![s("split_mobility_adjusted"), s("no")])
        );
    }
}
