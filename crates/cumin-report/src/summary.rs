//! `sdc.json`: the output checker's summary of a folder, in the spirit of ACRO's results
//! file: the profile and its rules, then per file its status, the rule applied, its
//! columns and what kind of number each holds, and how many cells were withheld and
//! rounded.

use crate::sdc::{CellStats, SdcProfile};
use crate::spec::{Column, NOT_FOR_RELEASE_INPUT, TableSpec};
use serde::Serialize;

/// The summary document.
#[derive(Clone, Debug, Serialize)]
pub struct SdcSummary {
    /// Tool name.
    pub tool: &'static str,
    /// Disclosure-control profile.
    pub profile: &'static str,
    /// Whether the folder holds anything for release (`false` under `none`).
    pub for_release: bool,
    /// What the profile does.
    pub rules: &'static str,
    /// Counts under it are withheld (0: none).
    pub threshold: f64,
    /// Whether zeros that are attributes of a group are withheld.
    pub zeros_disclosive: bool,
    /// Base shown counts are rounded to.
    pub round_to: f64,
    /// Least events in a released step of a curve.
    pub step_least: f64,
    /// Every file of the folder but the manifest, in the order written.
    pub files: Vec<FileSummary>,
}

/// One file.
#[derive(Clone, Debug, Serialize)]
pub struct FileSummary {
    /// Path inside the folder.
    pub name: String,
    /// Release status, as the manifest states it.
    pub status: &'static str,
    /// Whether the file may leave after output checking.
    pub for_release: bool,
    /// The rule applied.
    pub rule: &'static str,
    /// Columns and their kinds (tables only).
    #[serde(skip_serializing_if = "<[Column]>::is_empty")]
    pub columns: &'static [Column],
    /// What the layer withheld and rounded (released tables only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells: Option<CellStats>,
}

impl SdcSummary {
    /// An empty summary of a folder released under `profile`.
    pub fn new(profile: SdcProfile) -> SdcSummary {
        let r = profile.rules();
        SdcSummary {
            tool: "cumin",
            profile: profile.as_str(),
            for_release: profile.controls(),
            rules: profile.description(),
            threshold: r.threshold,
            zeros_disclosive: r.zeros_disclosive,
            round_to: r.round_to,
            step_least: profile.step_least(),
            files: Vec::new(),
        }
    }

    /// Adds file `name`, described by `spec`, with the layer's tally.
    pub fn push(&mut self, name: &str, spec: &'static TableSpec, cells: Option<CellStats>) {
        let for_release = self.for_release && spec.for_release();
        self.files.push(FileSummary {
            name: name.to_owned(),
            status: spec.status.label(self.for_release),
            for_release,
            rule: spec.rule,
            columns: spec.columns,
            cells,
        });
    }

    /// Adds an input of the run that lies inside the folder.
    pub fn push_input(&mut self, name: &str) {
        self.files.push(FileSummary {
            name: name.to_owned(),
            status: NOT_FOR_RELEASE_INPUT,
            for_release: false,
            rule: "an input of the run: not an output",
            columns: &[],
            cells: None,
        });
    }

    /// The status of file `name` (`None` if not listed).
    pub fn status(&self, name: &str) -> Option<&'static str> {
        self.files.iter().find(|f| f.name == name).map(|f| f.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    #[test]
    fn none_releases_nothing_and_analyst_only_is_never_for_release() {
        let mut s = SdcSummary::new(SdcProfile::OnsSrs);
        s.push(
            "cumulative_incidence.csv",
            &spec::CUMULATIVE_INCIDENCE,
            None,
        );
        s.push("analyst-only/corrections.csv", &spec::CORRECTIONS, None);
        assert!(s.files[0].for_release);
        assert!(!s.files[1].for_release);
        assert!(s.files[1].status.starts_with("not for release"));
        let mut n = SdcSummary::new(SdcProfile::None);
        n.push(
            "cumulative_incidence.csv",
            &spec::CUMULATIVE_INCIDENCE,
            None,
        );
        assert!(!n.for_release && !n.files[0].for_release);
        assert!(n.files[0].status.contains("--sdc none"));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["files"][0]["columns"][8]["kind"], "rate");
        assert_eq!(json["files"][0]["columns"][6]["zero_is_attribute"], true);
    }
}
