//! The report's data-quality and disclosure sections: the ledger in words (rows read,
//! used, set aside and why), the linkage in a dozen plain measures, and what the folder
//! may release. Counts come through disclosure control (the released ledger and
//! `linkage.csv`); nothing here is computed from them.

use crate::cell::{Shown, Symbol, escape, value};
use crate::sdc::{CellStats, LedgerLine, SdcProfile};
use crate::tables::{AgeBand, LinkCount, LinkageMeasure, LinkageRow};
use cumin_link::IdMode;
use std::fmt::Write as _;

/// A file of the folder and its release status, with what disclosure control did to it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileStatus {
    /// Path inside the folder.
    pub name: String,
    /// Release status, as the manifest states it.
    pub status: &'static str,
    /// Cells withheld and rounded (released tables only).
    pub cells: Option<CellStats>,
}

/// A ledger reason in words.
pub fn reason_words(reason: &str) -> String {
    let (kind, name) = reason.split_once(':').unwrap_or(("", reason));
    let words = match name {
        "episode_before_window" => "the episode ended before the study window",
        "episode_at_age_18_or_over" => "the child was 18 or over",
        "child_first_contact_age_25_plus" => {
            "the child's first contact was at 25 or over (implausible birth date)"
        }
        "child_without_birth_date" => "no usable birth date",
        "episode_age_5_plus_without_pmr" => {
            "no pupil matching reference from age 5 (identifier mode)"
        }
        "referral_before_data_start" => "the referral came before the data start",
        "unidentified_in_id_mode" => "no identifier the identifier mode uses",
        "linkage_conflict_dropped" => "conflicting identifiers (dropped by the conflict policy)",
        "census_year_outside_window" => "census year outside the study window",
        "no_identifier" => "no identifier at all",
        "census_year_unreadable" => "unreadable census year",
        "wrong_field_count" => "wrong number of fields",
        "unclosed_quote" => "an unclosed quote",
        "blank_line" => "a blank line",
        other => return format!("{} ({kind})", other.replace('_', " ")).replace(" ()", ""),
    };
    words.to_owned()
}

/// The ledger in words: per file rows read and used, the rows set aside with their
/// reasons, and the rows a cleaning rule changed.
pub fn ledger(lines: &[LedgerLine]) -> String {
    let mut files: Vec<&str> = Vec::new();
    for l in lines {
        if !files.contains(&l.file.as_str()) {
            files.push(&l.file);
        }
    }
    let n = |v: f64| value(Some(v), Shown::Count, Symbol::Withheld);
    let mut html = String::from("<h3>Rows read and used</h3>");
    for file in files {
        let of: Vec<&LedgerLine> = lines.iter().filter(|l| l.file == file).collect();
        let get = |reason: &str| of.iter().find(|l| l.reason == reason).map(|l| l.rows);
        let _ = write!(
            html,
            "<p><code>{}</code>: {} rows read, {} used in the estimates.</p>",
            escape(file),
            get("read").map_or(Symbol::NotAvailable.html(), n),
            get("used").map_or(Symbol::NotAvailable.html(), n)
        );
        let aside: Vec<&&LedgerLine> = of
            .iter()
            .filter(|l| l.reason.starts_with("excluded:") || l.reason.starts_with("quarantined:"))
            .collect();
        if !aside.is_empty() {
            html.push_str("<p>Set aside, and why:</p><ul>");
            for l in aside {
                let how = if l.reason.starts_with("quarantined:") {
                    " (unreadable: quarantined)"
                } else {
                    ""
                };
                let _ = write!(
                    html,
                    "<li>{} rows: {}{how}</li>",
                    n(l.rows),
                    escape(&reason_words(&l.reason))
                );
            }
            html.push_str("</ul>");
        }
        let rules: Vec<&&LedgerLine> = of
            .iter()
            .filter(|l| l.reason.starts_with("rule:"))
            .collect();
        if !rules.is_empty() {
            html.push_str(
                "<details><summary>Values repaired or recoded by a cleaning rule (rows \
                 affected; a rule keeps its rows, which are set aside only for a reason \
                 listed above)</summary><ul>",
            );
            for l in rules {
                let _ = write!(
                    html,
                    "<li>{} rows: {}</li>",
                    n(l.rows),
                    escape(&reason_words(&l.reason))
                );
            }
            html.push_str("</ul></details>");
        }
    }
    html
}

/// The linkage measures shown, in words.
fn plain_measures() -> Vec<(LinkageMeasure, &'static str)> {
    use LinkCount as C;
    use LinkageMeasure as M;
    vec![
        (M::Count(C::Rows), "Rows considered for linkage"),
        (M::Count(C::RowsLinked), "Rows tied to a child"),
        (
            M::Count(C::RowsUnidentified),
            "Rows no identifier could tie to a child",
        ),
        (
            M::Count(C::RowsWithPmr),
            "Rows carrying a pupil matching reference (PMR)",
        ),
        (M::Count(C::Children), "Children"),
        (M::Count(C::ChildrenWithPmr), "Children with a PMR"),
        (
            M::Count(C::ChildrenInSeveralLas),
            "Children seen in more than one local authority",
        ),
        (
            M::Count(C::Episodes),
            "Episodes, once repeated rows are merged",
        ),
        (
            M::Count(C::RowsMergedIntoEpisodes),
            "Rows merged into an episode (repeats across census years)",
        ),
        (
            M::Count(C::EpisodesReferralImputed),
            "Episodes with an imputed referral date",
        ),
        (
            M::Count(C::ConflictLaKeySeveralPmrs),
            "LA child IDs carrying several PMRs (conflicts)",
        ),
        (
            M::Count(C::RowsConflictDropped),
            "Rows dropped for conflicting identifiers",
        ),
        (
            M::FirstReferralsPmrIdentified(AgeBand::Under5),
            "First referrals at age 0-4 identified by PMR (%)",
        ),
        (
            M::FirstReferralsPmrIdentified(AgeBand::Primary),
            "First referrals at age 5-10 identified by PMR (%)",
        ),
        (
            M::FirstReferralsPmrIdentified(AgeBand::Secondary),
            "First referrals at age 11-17 identified by PMR (%)",
        ),
    ]
}

/// The linkage in plain measures for the run's identifier mode (every measure of every
/// mode is in `linkage.csv`).
pub fn linkage(rows: &[LinkageRow], mode: Option<IdMode>) -> String {
    let Some(mode) = mode.filter(|m| rows.iter().any(|r| r.id_mode == *m)) else {
        return "<h3>Linkage</h3><p>No linkage measures in this run.</p>".to_owned();
    };
    let _ = mode;
    let mut html = format!(
        "<h3>Linkage</h3><p>How rows became children, identifier mode {} (every measure of \
         every mode is in <code>linkage.csv</code>).</p><table><tr><th>measure</th><th>value</th></tr>",
        escape(mode.as_str())
    );
    for (m, words) in plain_measures() {
        let Some(r) = rows.iter().find(|r| r.id_mode == mode && r.measure == m) else {
            continue;
        };
        let how = if m.is_count() {
            Shown::Count
        } else {
            Shown::Percent
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(words),
            value(Some(r.value), how, Symbol::Withheld)
        );
    }
    if let Some(r) = rows
        .iter()
        .find(|r| r.id_mode == mode && r.measure == LinkageMeasure::SplitMobilityAdjusted)
    {
        let _ = write!(
            html,
            "<tr><td>Split correction adjusted for PMRs depending on later mobility \
             (assumption 1)</td><td>{}</td></tr>",
            if r.value > 0.0 { "yes" } else { "no" }
        );
    }
    html.push_str("</table>");
    html.push_str(&crate::linkage::mechanism_html(rows, mode));
    html
}

/// The banner at the top of the page: whether the folder may leave after output
/// checking.
pub fn banner(profile: SdcProfile) -> String {
    if profile.controls() {
        format!(
            "<p class=\"release ok\">For release after output checking: every number passed \
             disclosure control ({}).</p>",
            escape(profile.as_str())
        )
    } else {
        "<p class=\"release banner\">NOT FOR RELEASE: written under <code>--sdc none</code>, \
         without disclosure control. Every file of this folder is for the analyst only.</p>"
            .to_owned()
    }
}

/// The disclosure status: the profile, what it withheld and rounded per file, and every
/// file's status.
pub fn disclosure(profile: SdcProfile, files: &[FileStatus]) -> String {
    let mut html = format!(
        "<section id=\"disclosure\"><h2>Disclosure status</h2>{}<p>Profile <b>{}</b>: {}. \
         Withheld cells show <b>c</b>; every percentage, interval and index is computed from \
         released counts. The output checker's summary is <code>sdc.json</code>.</p>",
        banner(profile),
        escape(profile.as_str()),
        escape(profile.description())
    );
    html.push_str(
        "<p class=\"note\">Per file, how many count cells it has and how many disclosure \
         control withheld or rounded (tallies of cells, not of children). Each stage's curve \
         is rounded on its own counts, so a later stage (assessed) could come out above an \
         earlier one (referred), which no child's history allows: there it is shown at the \
         earlier stage's figure, its interval moved with it (the last column).</p><table><tr>\
         <th>file</th><th>status</th><th>counts</th><th>withheld</th>\
         <th>rounded</th><th>ages merged into steps</th>\
         <th>estimates capped at the stage before</th></tr>",
    );
    for f in files {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td>",
            escape(&f.name),
            escape(f.status)
        );
        let cells: Vec<String> = f.cells.map_or_else(
            || vec![Symbol::NotApplicable.html(); 5],
            |c| {
                [
                    c.counts,
                    c.counts_withheld,
                    c.counts_rounded,
                    c.ages_in_steps,
                    c.nested_capped,
                ]
                .iter()
                .map(u64::to_string)
                .collect()
            },
        );
        for c in cells {
            let _ = write!(html, "<td class=\"tally\">{c}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</table></section>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_says_not_for_release_without_control() {
        assert!(banner(SdcProfile::None).contains("NOT FOR RELEASE"));
        for p in [SdcProfile::Jay2025, SdcProfile::Dfe, SdcProfile::OnsSrs] {
            let b = banner(p);
            assert!(b.contains("For release after output checking") && !b.contains("NOT FOR"));
        }
    }

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(
            reason_words("excluded:episode_before_window"),
            "the episode ended before the study window"
        );
        assert_eq!(
            reason_words("rule:date_unreadable"),
            "date unreadable (rule)"
        );
    }
}
