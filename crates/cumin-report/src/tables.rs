//! The rows of the output tables that are not estimates as they come: the curves' rows
//! (released in steps by [`crate::curve`]), the trend rows and the linkage measures. The
//! other tables are `cumin-estimate`'s typed results as they are.

pub use crate::mechanism::MechanismMeasure;
use cumin_census::{Age, CensusYear, Outcome};
use cumin_estimate::{CurveEstimator, Period, Stratification, Stratum};
use cumin_link::IdMode;
use std::fmt;

/// One row of `cumulative_incidence.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CiRow {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Identifier mode.
    pub id_mode: IdMode,
    /// Stratification (`stratum_var`).
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Completed years 0..17: incidence before the (age+1)th birthday.
    pub age: Age,
    /// First events at this age (blank when withheld).
    pub events: Option<f64>,
    /// Denominator at this age.
    pub at_risk: Option<f64>,
    /// Cumulative incidence.
    pub cum_inc: Option<f64>,
    /// Lower 95% limit.
    pub lower: Option<f64>,
    /// Upper 95% limit.
    pub upper: Option<f64>,
    /// Whether disclosure control withheld the figures.
    pub suppressed: bool,
    /// The first age of the step this row closes: `events` are the step's, `at_risk` is
    /// at this age (blank inside a step and where the curve is withheld).
    pub step_from: Option<Age>,
    /// The standard error of `cum_inc` from the same released numbers as its limits (not
    /// written; the deprivation gradients use it).
    pub se: Option<f64>,
}

/// One row of `trend.csv`: a `cumulative_incidence.csv` row from a life table over the
/// cells of one calendar period.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendRow {
    /// The estimate, as in `cumulative_incidence.csv`.
    pub ci: CiRow,
    /// Census years pooled.
    pub period: Period,
}

/// An age band of the linkage measures: PMRs come with school, so the bands follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    /// Not yet born on the census date.
    Unborn,
    /// 0 to 4.
    Under5,
    /// 5 to 10.
    Primary,
    /// 11 to 17.
    Secondary,
    /// 18 and over.
    Adult,
    /// No usable birth date.
    Unknown,
}

impl AgeBand {
    /// Every band a row can fall in, in the order the tables list them.
    pub const ALL: [AgeBand; 6] = [
        AgeBand::Unborn,
        AgeBand::Under5,
        AgeBand::Primary,
        AgeBand::Secondary,
        AgeBand::Adult,
        AgeBand::Unknown,
    ];
    /// The bands of ages under 18, youngest first.
    pub const CHILD: [AgeBand; 3] = [AgeBand::Under5, AgeBand::Primary, AgeBand::Secondary];

    /// The band of an age in completed years (0 or over).
    pub fn of(age: i32) -> AgeBand {
        match age {
            i32::MIN..=-1 => AgeBand::Unborn,
            0..=4 => AgeBand::Under5,
            5..=10 => AgeBand::Primary,
            11..=17 => AgeBand::Secondary,
            _ => AgeBand::Adult,
        }
    }

    /// Whether `age` falls in the band.
    pub fn contains(self, age: i32) -> bool {
        AgeBand::of(age) == self
    }

    /// Name in measures.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Unborn => "unborn",
            AgeBand::Under5 => "0-4",
            AgeBand::Primary => "5-10",
            AgeBand::Secondary => "11-17",
            AgeBand::Adult => "18+",
            AgeBand::Unknown => "unknown",
        }
    }
}

/// A count of one linkage and its de-duplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkCount {
    /// Rows considered.
    Rows,
    /// Rows tied to a child.
    RowsLinked,
    /// Rows the mode cannot tie to a child.
    RowsUnidentified,
    /// Rows left out by the `drop` conflict policy.
    RowsConflictDropped,
    /// Rows held apart by the `split` conflict policy.
    RowsConflictSplit,
    /// Rows carrying a PMR.
    RowsWithPmr,
    /// Rows identified by a PMR (own or back-filled).
    RowsPmrIdentified,
    /// Distinct PMRs.
    Pmrs,
    /// Distinct (LA child ID, LA) keys.
    LaKeys,
    /// Episodes.
    Episodes,
    /// Episodes made of several rows.
    EpisodesMerged,
    /// Rows merged into episodes.
    RowsMergedIntoEpisodes,
    /// Episodes whose rows disagree on NFA.
    EpisodesNfaDisagreements,
    /// Episodes whose rows disagree on the reason for closure.
    EpisodesReasonDisagreements,
    /// Episodes whose rows disagree on the closure date.
    EpisodesClosureDisagreements,
    /// Episodes with an imputed referral date.
    EpisodesReferralImputed,
    /// Imputed referrals beside a real one.
    EpisodesImputedBesideReal,
    /// Children.
    Children,
    /// Children with a PMR.
    ChildrenWithPmr,
    /// Children seen in more than one LA.
    ChildrenInSeveralLas,
    /// Components joining more than one identifier.
    ComponentsMerged,
    /// LA keys carrying several PMRs.
    ConflictLaKeySeveralPmrs,
    /// PMRs joining keys with incompatible birth dates.
    ConflictPmrBirthMismatch,
    /// Children in implausibly many LAs.
    ConflictManyLas,
    /// Children whose rows disagree on the year of birth.
    ConflictBirthYear,
}

impl LinkCount {
    /// Every count, in output order.
    pub const ALL: [LinkCount; 25] = [
        LinkCount::Rows,
        LinkCount::RowsLinked,
        LinkCount::RowsUnidentified,
        LinkCount::RowsConflictDropped,
        LinkCount::RowsConflictSplit,
        LinkCount::RowsWithPmr,
        LinkCount::RowsPmrIdentified,
        LinkCount::Pmrs,
        LinkCount::LaKeys,
        LinkCount::Episodes,
        LinkCount::EpisodesMerged,
        LinkCount::RowsMergedIntoEpisodes,
        LinkCount::EpisodesNfaDisagreements,
        LinkCount::EpisodesReasonDisagreements,
        LinkCount::EpisodesClosureDisagreements,
        LinkCount::EpisodesReferralImputed,
        LinkCount::EpisodesImputedBesideReal,
        LinkCount::Children,
        LinkCount::ChildrenWithPmr,
        LinkCount::ChildrenInSeveralLas,
        LinkCount::ComponentsMerged,
        LinkCount::ConflictLaKeySeveralPmrs,
        LinkCount::ConflictPmrBirthMismatch,
        LinkCount::ConflictManyLas,
        LinkCount::ConflictBirthYear,
    ];

    /// Name in `linkage.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkCount::Rows => "rows",
            LinkCount::RowsLinked => "rows_linked",
            LinkCount::RowsUnidentified => "rows_unidentified",
            LinkCount::RowsConflictDropped => "rows_conflict_dropped",
            LinkCount::RowsConflictSplit => "rows_conflict_split",
            LinkCount::RowsWithPmr => "rows_with_pmr",
            LinkCount::RowsPmrIdentified => "rows_pmr_identified",
            LinkCount::Pmrs => "pmrs",
            LinkCount::LaKeys => "la_keys",
            LinkCount::Episodes => "episodes",
            LinkCount::EpisodesMerged => "episodes_merged",
            LinkCount::RowsMergedIntoEpisodes => "rows_merged_into_episodes",
            LinkCount::EpisodesNfaDisagreements => "episodes_nfa_disagreements",
            LinkCount::EpisodesReasonDisagreements => "episodes_reason_disagreements",
            LinkCount::EpisodesClosureDisagreements => "episodes_closure_disagreements",
            LinkCount::EpisodesReferralImputed => "episodes_referral_imputed",
            LinkCount::EpisodesImputedBesideReal => "episodes_imputed_beside_real",
            LinkCount::Children => "children",
            LinkCount::ChildrenWithPmr => "children_with_pmr",
            LinkCount::ChildrenInSeveralLas => "children_in_several_las",
            LinkCount::ComponentsMerged => "components_merged",
            LinkCount::ConflictLaKeySeveralPmrs => "conflict_la_key_several_pmrs",
            LinkCount::ConflictPmrBirthMismatch => "conflict_pmr_birth_mismatch",
            LinkCount::ConflictManyLas => "conflict_many_las",
            LinkCount::ConflictBirthYear => "conflict_birth_year",
        }
    }

    /// Whether it counts conflicting identifiers or what the conflict policy did.
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            LinkCount::RowsConflictDropped
                | LinkCount::RowsConflictSplit
                | LinkCount::ConflictLaKeySeveralPmrs
                | LinkCount::ConflictPmrBirthMismatch
                | LinkCount::ConflictManyLas
                | LinkCount::ConflictBirthYear
        )
    }
}

/// The transfer rule's counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransferCount {
    /// Closures for a transfer (`RC5`).
    Closures,
    /// Of those, closures with a candidate first referral.
    ClosuresWithCandidates,
    /// Candidate matches.
    CandidateMatches,
    /// Pairs kept: unique both ways.
    Pairs,
}

/// What one row of `linkage.csv` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkageMeasure {
    /// A count of the linkage and its de-duplication.
    Count(LinkCount),
    /// First referrals, by age band at referral.
    FirstReferrals(AgeBand),
    /// Of them, those identified by PMR.
    FirstReferralsPmrIdentifiedCount(AgeBand),
    /// Share of first referrals identified by PMR, by age band at referral.
    FirstReferralsPmrIdentified(AgeBand),
    /// Rows of a census year whose child is of an age band on 31 March.
    CensusRows(CensusYear, AgeBand),
    /// Of them, rows carrying a PMR.
    CensusRowsWithPmrCount(CensusYear, AgeBand),
    /// Share of those rows carrying a PMR.
    CensusRowsWithPmr(CensusYear, AgeBand),
    /// Children by whether they carry a PMR and the band of their first referral.
    SplitChildren {
        /// Whether the child carries a PMR.
        with_pmr: bool,
        /// Age band at the first referral.
        first: AgeBand,
    },
    /// PMR-linked children seen in several LAs, by age at their first referral in a
    /// second LA.
    SplitPmrChildrenMoved(AgeBand),
    /// The transfer rule's counts.
    SplitTransfer(TransferCount),
    /// Which PMR mechanism the extract shows, by age on 31 March (0..=17): rows, the
    /// share carrying a PMR, its persistence on a key's later rows, and the share of keys
    /// of that oldest age carrying one.
    SplitPmr(PmrDiagnostic, u8),
    /// The split correction's successor model: the youngest age it is fitted at.
    SplitYoungestFittedAge,
    /// Whether the split correction adjusted for PMR presence depending on later mobility
    /// (assumption 1, docs/methods.md §2.1): 1 if so, else 0.
    SplitMobilityAdjusted,
    /// The split correction's hidden successors (expected), and parts of it.
    SplitHidden(HiddenCount),
    /// Seen pairs of the split correction serving as delay templates, per outcome.
    SplitSeenPairs(Outcome),
    /// First events the split correction removes, per outcome.
    SplitFirstEventsRemoved(Outcome),
    /// Which heterogeneity and PMR mechanism the extract is closer to
    /// ([`crate::mechanism`]).
    SplitMechanism(MechanismMeasure),
}

/// A per-age PMR diagnostic of the split correction (docs/methods.md §2.1): counts,
/// released like any count, and the shares recomputed from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PmrDiagnostic {
    /// Rows at the age.
    Rows,
    /// Of them, rows carrying a PMR.
    RowsWithPmr,
    /// `φ`: the share of rows carrying a PMR.
    RowShare,
    /// Rows at the age whose key carried a PMR in an earlier census year.
    RowsAfterPmr,
    /// Of them, rows still carrying it.
    RowsAfterPmrWithPmr,
    /// `κ`: the share of rows carrying a PMR among rows whose key carried one in an
    /// earlier census year (persistence: near 1 when a PMR is a property of the child).
    Persistence,
    /// Rows at the age whose key carried a PMR in an earlier census year and has a seen
    /// successor (the child moved later).
    RowsAfterPmrMoving,
    /// Of them, rows still carrying it.
    RowsAfterPmrMovingWithPmr,
    /// Their persistence: below `κ` where PMR presence depends on later mobility
    /// (assumption 1 of the split correction broken; docs/methods.md §2.1).
    PersistenceMoving,
    /// Keys (with an in-window referral) of that oldest age.
    Keys,
    /// Of them, keys carrying a PMR.
    KeysWithPmr,
    /// The share of keys of that oldest age carrying a PMR.
    KeyShare,
    /// The split correction's expected hidden successors of keys of that oldest age
    /// (extrapolated below the youngest fitted age): a model's, analyst-only.
    HiddenSuccessors,
    /// `θ`, the movers' relative chance of carrying a PMR, where assumption 1's
    /// adjustment was applied at the age (docs/methods.md §2.1): a model's, analyst-only.
    MobilityTheta,
    /// The s.d. of `ln θ` at the age: a model's, analyst-only.
    MobilityThetaLogSd,
}

impl PmrDiagnostic {
    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            PmrDiagnostic::Rows => "rows",
            PmrDiagnostic::RowsWithPmr => "rows_with_pmr",
            PmrDiagnostic::RowShare => "row_pmr_share",
            PmrDiagnostic::RowsAfterPmr => "rows_after_pmr",
            PmrDiagnostic::RowsAfterPmrWithPmr => "rows_after_pmr_with_pmr",
            PmrDiagnostic::Persistence => "pmr_persistence",
            PmrDiagnostic::RowsAfterPmrMoving => "rows_after_pmr_moving_later",
            PmrDiagnostic::RowsAfterPmrMovingWithPmr => "rows_after_pmr_moving_later_with_pmr",
            PmrDiagnostic::PersistenceMoving => "pmr_persistence_moving_later",
            PmrDiagnostic::Keys => "keys",
            PmrDiagnostic::KeysWithPmr => "keys_with_pmr",
            PmrDiagnostic::KeyShare => "key_pmr_share",
            PmrDiagnostic::HiddenSuccessors => "hidden_successors",
            PmrDiagnostic::MobilityTheta => "mobility_theta",
            PmrDiagnostic::MobilityThetaLogSd => "mobility_theta_log_sd",
        }
    }
}

/// The split correction's hidden successors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HiddenCount {
    /// All (expected).
    All,
    /// Of keys below the youngest fitted age (the extrapolated part).
    Extrapolated,
    /// Sampling s.d. of all (delta method).
    SamplingSd,
    /// The extrapolation's form s.d. (half the gap between linear and flat).
    ExtrapolationSd,
}

impl HiddenCount {
    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            HiddenCount::All => "split_hidden_successors",
            HiddenCount::Extrapolated => "split_hidden_successors_extrapolated",
            HiddenCount::SamplingSd => "split_hidden_successors_sampling_sd",
            HiddenCount::ExtrapolationSd => "split_hidden_successors_extrapolation_sd",
        }
    }
}

/// What a linkage measure's value is, for disclosure control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkageKind {
    /// A count of children, rows or episodes.
    Count {
        /// Whether a zero says "none of this group" (a share's numerator).
        zero_is_attribute: bool,
    },
    /// `num / den` of two measures of the same identifier mode.
    Share {
        /// The numerator measure.
        num: LinkageMeasure,
        /// The denominator measure.
        den: LinkageMeasure,
    },
    /// A fitted quantity of the split correction (analyst-only).
    Model,
    /// A yes/no (1/0) of the method, not a count of anything: released as it is (and
    /// repeated beside the fitted quantities).
    Flag,
    /// An expected count of the keys of measure `keys` (a sum of chances): rounded like
    /// a count, withheld with `keys`.
    Expected {
        /// The keys it is of.
        keys: LinkageMeasure,
    },
    /// A statistic recomputed from released rows of the table
    /// ([`MechanismMeasure::derive`]).
    Derived(MechanismMeasure),
}

impl LinkageMeasure {
    /// What the value is: a count, a share of two counts of the table, or a model's.
    pub fn kind(self) -> LinkageKind {
        match self {
            LinkageMeasure::FirstReferralsPmrIdentified(b) => LinkageKind::Share {
                num: LinkageMeasure::FirstReferralsPmrIdentifiedCount(b),
                den: LinkageMeasure::FirstReferrals(b),
            },
            LinkageMeasure::CensusRowsWithPmr(y, b) => LinkageKind::Share {
                num: LinkageMeasure::CensusRowsWithPmrCount(y, b),
                den: LinkageMeasure::CensusRows(y, b),
            },
            LinkageMeasure::SplitPmr(d, age) => {
                let share = |num, den| LinkageKind::Share {
                    num: LinkageMeasure::SplitPmr(num, age),
                    den: LinkageMeasure::SplitPmr(den, age),
                };
                match d {
                    PmrDiagnostic::RowShare => {
                        share(PmrDiagnostic::RowsWithPmr, PmrDiagnostic::Rows)
                    }
                    PmrDiagnostic::Persistence => share(
                        PmrDiagnostic::RowsAfterPmrWithPmr,
                        PmrDiagnostic::RowsAfterPmr,
                    ),
                    PmrDiagnostic::KeyShare => {
                        share(PmrDiagnostic::KeysWithPmr, PmrDiagnostic::Keys)
                    }
                    PmrDiagnostic::PersistenceMoving => share(
                        PmrDiagnostic::RowsAfterPmrMovingWithPmr,
                        PmrDiagnostic::RowsAfterPmrMoving,
                    ),
                    PmrDiagnostic::HiddenSuccessors
                    | PmrDiagnostic::MobilityTheta
                    | PmrDiagnostic::MobilityThetaLogSd => LinkageKind::Model,
                    PmrDiagnostic::RowsWithPmr
                    | PmrDiagnostic::RowsAfterPmrWithPmr
                    | PmrDiagnostic::RowsAfterPmrMovingWithPmr
                    | PmrDiagnostic::KeysWithPmr => LinkageKind::Count {
                        zero_is_attribute: true,
                    },
                    PmrDiagnostic::Rows
                    | PmrDiagnostic::RowsAfterPmr
                    | PmrDiagnostic::RowsAfterPmrMoving
                    | PmrDiagnostic::Keys => LinkageKind::Count {
                        zero_is_attribute: false,
                    },
                }
            }
            LinkageMeasure::SplitMobilityAdjusted => LinkageKind::Flag,
            LinkageMeasure::SplitMechanism(m) => {
                use MechanismMeasure as M;
                match m {
                    M::Keys(_) | M::Referrals(_) | M::YoungKeys(_) => LinkageKind::Count {
                        zero_is_attribute: false,
                    },
                    M::ReferralPairs(_) | M::YoungKeysWithPmr(_) => LinkageKind::Count {
                        zero_is_attribute: true,
                    },
                    M::YoungExpectedPmr(b) => LinkageKind::Expected {
                        keys: LinkageMeasure::SplitMechanism(M::YoungKeys(b)),
                    },
                    M::Dispersion(_) | M::PmrRowsRatio => LinkageKind::Derived(m),
                }
            }
            LinkageMeasure::SplitYoungestFittedAge
            | LinkageMeasure::SplitHidden(_)
            | LinkageMeasure::SplitFirstEventsRemoved(_) => LinkageKind::Model,
            LinkageMeasure::FirstReferralsPmrIdentifiedCount(_)
            | LinkageMeasure::CensusRowsWithPmrCount(..) => LinkageKind::Count {
                zero_is_attribute: true,
            },
            _ => LinkageKind::Count {
                zero_is_attribute: false,
            },
        }
    }

    /// Whether the value counts children, rows or episodes rather than being a share or
    /// a model's.
    pub fn is_count(self) -> bool {
        matches!(self.kind(), LinkageKind::Count { .. })
    }

    /// Whether it is a split-identity diagnostic (`split_*`).
    pub fn is_split(self) -> bool {
        matches!(
            self,
            LinkageMeasure::SplitChildren { .. }
                | LinkageMeasure::SplitPmrChildrenMoved(_)
                | LinkageMeasure::SplitTransfer(_)
                | LinkageMeasure::SplitPmr(..)
                | LinkageMeasure::SplitYoungestFittedAge
                | LinkageMeasure::SplitMobilityAdjusted
                | LinkageMeasure::SplitHidden(_)
                | LinkageMeasure::SplitSeenPairs(_)
                | LinkageMeasure::SplitFirstEventsRemoved(_)
                | LinkageMeasure::SplitMechanism(_)
        )
    }
}

impl fmt::Display for LinkageMeasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LinkageMeasure::Count(c) => f.write_str(c.as_str()),
            LinkageMeasure::FirstReferrals(b) => {
                write!(f, "first_referrals_age_{}", b.as_str())
            }
            LinkageMeasure::FirstReferralsPmrIdentifiedCount(b) => {
                write!(f, "first_referrals_pmr_identified_age_{}", b.as_str())
            }
            LinkageMeasure::FirstReferralsPmrIdentified(b) => {
                write!(f, "share_first_referrals_pmr_identified_age_{}", b.as_str())
            }
            LinkageMeasure::CensusRows(y, b) => write!(f, "rows_census_{}_age_{}", y.0, b.as_str()),
            LinkageMeasure::CensusRowsWithPmrCount(y, b) => {
                write!(f, "rows_with_pmr_census_{}_age_{}", y.0, b.as_str())
            }
            LinkageMeasure::CensusRowsWithPmr(y, b) => {
                write!(f, "share_rows_with_pmr_census_{}_age_{}", y.0, b.as_str())
            }
            LinkageMeasure::SplitChildren { with_pmr, first } => {
                let pmr = if with_pmr { "with_pmr" } else { "without_pmr" };
                write!(f, "split_children_{pmr}_first_age_{}", first.as_str())
            }
            LinkageMeasure::SplitPmrChildrenMoved(b) => {
                write!(f, "split_pmr_children_moved_at_age_{}", b.as_str())
            }
            LinkageMeasure::SplitTransfer(t) => f.write_str(match t {
                TransferCount::Closures => "split_transfer_closures",
                TransferCount::ClosuresWithCandidates => "split_transfer_closures_with_candidates",
                TransferCount::CandidateMatches => "split_transfer_candidate_matches",
                TransferCount::Pairs => "split_transfer_pairs",
            }),
            LinkageMeasure::SplitPmr(d, age) => write!(f, "split_{}_age_{age}", d.as_str()),
            LinkageMeasure::SplitYoungestFittedAge => {
                f.write_str("split_successor_youngest_fitted_age")
            }
            LinkageMeasure::SplitMobilityAdjusted => f.write_str("split_mobility_adjusted"),
            LinkageMeasure::SplitHidden(h) => f.write_str(h.as_str()),
            LinkageMeasure::SplitSeenPairs(o) => write!(f, "split_seen_pairs_{o}"),
            LinkageMeasure::SplitFirstEventsRemoved(o) => {
                write!(f, "split_first_events_removed_{o}")
            }
            LinkageMeasure::SplitMechanism(m) => m.fmt(f),
        }
    }
}

/// One row of `linkage.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkageRow {
    /// Identifier mode.
    pub id_mode: IdMode,
    /// What is measured.
    pub measure: LinkageMeasure,
    /// The value (a count or a share; NaN when withheld).
    pub value: f64,
}

impl LinkageRow {
    /// `measure` of identifier mode `id_mode`.
    pub fn new(id_mode: IdMode, measure: LinkageMeasure, value: f64) -> LinkageRow {
        LinkageRow {
            id_mode,
            measure,
            value,
        }
    }
}
