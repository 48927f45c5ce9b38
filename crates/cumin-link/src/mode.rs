//! The choices a linkage makes: which identifiers tie rows together, and what to do when
//! the identifiers contradict each other.

/// How rows are tied to children (docs/methods.md §2).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum IdMode {
    /// PMR where present, else LA child ID within LA; PMR back-filled within (LA ID, LA).
    #[default]
    Combined,
    /// As `combined`, but events at age 5 or over count only from rows identified by PMR
    /// (Jay et al.'s main analysis).
    PmrSchoolAge,
    /// LA child ID within LA only (PMR stands in where the LA ID is empty): children who
    /// move LA count once per LA, an upper bound.
    LaOnly,
    /// PMR only (back-filled within LA key where unambiguous): rows no PMR reaches are
    /// left out, a lower bound.
    PmrOnly,
}

impl IdMode {
    /// Every mode, in output order.
    pub const ALL: [IdMode; 4] = [
        IdMode::Combined,
        IdMode::PmrSchoolAge,
        IdMode::LaOnly,
        IdMode::PmrOnly,
    ];

    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            IdMode::Combined => "combined",
            IdMode::PmrSchoolAge => "pmr-school-age",
            IdMode::LaOnly => "la-only",
            IdMode::PmrOnly => "pmr-only",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<IdMode> {
        IdMode::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    /// Whether a PMR joins the LA keys it appears with.
    pub fn joins_through_pmr(self) -> bool {
        !matches!(self, IdMode::LaOnly)
    }

    /// The mode whose linkage this mode's equals: `pmr-school-age` links rows exactly as
    /// `combined` (it differs only in which events count, `cumin_cohort`'s event rules).
    #[must_use]
    pub fn links_as(self) -> IdMode {
        match self {
            IdMode::PmrSchoolAge => IdMode::Combined,
            m => m,
        }
    }
}

impl std::fmt::Display for IdMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is done about split identities: children whose records no identifier joins
/// (docs/methods.md, "Linkage error").
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum LinkageMode {
    /// The identifier graph only (what Jay et al. do, and `jay2025-strict`).
    #[default]
    Exact,
    /// Also join suspected transfers (`cumin_link::transfer`): an RC5 closure then,
    /// within 8 weeks, a first referral in another LA with the same birth month, sex and
    /// ethnicity, unique both ways.
    Merge,
    /// `merge`, then remove the expected number of spurious first events of the splits
    /// that remain (docs/methods.md §2.1; measured in docs/validation.md, "Linkage
    /// error").
    Corrected,
}

impl LinkageMode {
    /// Every mode, in output order.
    pub const ALL: [LinkageMode; 3] = [
        LinkageMode::Exact,
        LinkageMode::Merge,
        LinkageMode::Corrected,
    ];

    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkageMode::Exact => "exact",
            LinkageMode::Merge => "merge",
            LinkageMode::Corrected => "corrected",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<LinkageMode> {
        LinkageMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
    }

    /// Whether suspected transfer pairs are joined.
    pub fn merges_transfers(self) -> bool {
        self != LinkageMode::Exact
    }
}

impl std::fmt::Display for LinkageMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with identifiers that contradict each other (see [`crate::conflict`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Join anyway, as the identifiers say (Jay et al.'s code does this silently; cumin
    /// counts it).
    Merge,
    /// Do not let the conflicting PMR join anything: each of its LA keys stays a child of
    /// its own. Errs towards over-counting children, which the report shows.
    #[default]
    Split,
    /// Leave the rows of the conflicting identifiers out (ledger reason
    /// `linkage_conflict_dropped`).
    Drop,
}

impl ConflictPolicy {
    /// Every policy, in output order.
    pub const ALL: [ConflictPolicy; 3] = [
        ConflictPolicy::Merge,
        ConflictPolicy::Split,
        ConflictPolicy::Drop,
    ];

    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictPolicy::Merge => "merge",
            ConflictPolicy::Split => "split",
            ConflictPolicy::Drop => "drop",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<ConflictPolicy> {
        ConflictPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
    }
}

impl std::fmt::Display for ConflictPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything [`crate::link`] needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkOptions {
    /// Which identifiers tie rows together.
    pub mode: IdMode,
    /// What to do with conflicts.
    pub policy: ConflictPolicy,
    /// Two birth dates (year and month) further apart than this cannot be one child.
    /// One month either way forgives the commonest slip (a date at a month's edge);
    /// anything further is another child or a wrong identifier.
    pub birth_tolerance_months: u16,
    /// A child recorded by more LAs than this is implausible: more likely a PMR shared
    /// by mistake than a child who moved that often (the simulator's movers, at its
    /// England-calibrated rates, almost never exceed three).
    pub max_las: u16,
}

impl Default for LinkOptions {
    fn default() -> LinkOptions {
        LinkOptions {
            mode: IdMode::default(),
            policy: ConflictPolicy::default(),
            birth_tolerance_months: 1,
            max_las: 6,
        }
    }
}

impl LinkOptions {
    /// The defaults with `mode`.
    pub fn with_mode(mode: IdMode) -> LinkOptions {
        LinkOptions {
            mode,
            ..LinkOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in IdMode::ALL {
            assert_eq!(IdMode::parse(m.as_str()), Some(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        for p in ConflictPolicy::ALL {
            assert_eq!(ConflictPolicy::parse(&format!(" {p} ")), Some(p));
        }
        assert_eq!(IdMode::parse("pmr"), None);
        assert_eq!(ConflictPolicy::parse("ignore"), None);
        assert_eq!(ConflictPolicy::default(), ConflictPolicy::Split);
        for m in LinkageMode::ALL {
            assert_eq!(LinkageMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(LinkageMode::parse("probabilistic"), None);
    }
}
