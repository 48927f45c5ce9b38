//! What `estimate`, `run` and `demo` print on standard output: where the outputs are,
//! the headline table (or a Jay preset's table), linkage and sensitivity.

use cumin_census::Outcome;
use cumin_jay::{CorrectionLine, JayLine, JayMode, JaySummary};

/// Prints a run's summary: the Jay table for a Jay preset, else the headline and linkage.
pub fn print_outcome(out: &cumin_study::RunOutput) {
    if let Some(jay) = &out.jay {
        print_files(out);
        print_jay(jay);
    } else {
        print_run(out, None);
        print_linkage(out);
    }
}

/// Prints the Jay et al. 2025 table (as the paper lays it out) and what each correction
/// changes.
fn print_jay(jay: &JaySummary) {
    println!();
    println!(
        "Jay et al. 2025 design, preset {} (corrections in force: {})",
        jay.preset,
        jay.rules.join(", ")
    );
    println!("cumulative incidence before 18th birthday, % (95% CI), unadjusted splice:");
    print_jay_table(&jay.table);
    println!();
    println!(
        "the same design with cumin's cleaning, linkage ({}) and left-censoring correction \
         (cohort-splice):",
        jay.corrected_linkage
    );
    match &jay.corrected_missing {
        None => print_jay_table(&jay.corrected_table),
        Some(why) => println!("  not computed: {why}"),
    }
    let changed: Vec<_> = jay
        .corrections
        .iter()
        .filter(|c| c.mode == JayMode::Main && (c.corrected - c.strict) != 0.0)
        .collect();
    println!();
    if changed.is_empty() {
        println!(
            "no correction of the R code's rules changes the main estimates here (released \
             counts of jay_corrections.csv)"
        );
        return;
    }
    print_jay_changes(&changed);
}

/// One half of the paper-like table: outcomes by main and sensitivity identifiers, as
/// `cumulative_incidence.csv` releases them (a withheld cell blank, as in the file).
fn print_jay_table(table: &[JayLine]) {
    println!(
        "  {:13} {:>22} {:>22}",
        "", "main (pmr-school-age)", "sensitivity (combined)"
    );
    for (o, label) in [
        (Outcome::Referral, "referred"),
        (Outcome::Assessed, "assessed"),
        (Outcome::Cin, "CIN"),
        (Outcome::Cpp, "CPP"),
    ] {
        let cell = |mode: JayMode| {
            table
                .iter()
                .find(|l| l.outcome == o && l.mode == mode)
                .map_or_else(String::new, |l| {
                    format!(
                        "{:.1} ({:.1}-{:.1})",
                        100.0 * l.cum_inc,
                        100.0 * l.lower,
                        100.0 * l.upper
                    )
                })
        };
        println!(
            "  {label:13} {:>22} {:>22}",
            cell(JayMode::Main),
            cell(JayMode::Sensitivity)
        );
    }
    if table.len() < 2 * Outcome::JAY.len() {
        println!("  (blank: withheld by disclosure control, blank in cumulative_incidence.csv)");
    }
}

/// What each correction of the R code's rules changes before 18: the splices of the
/// released counts of `jay_corrections.csv` (`c` where one is withheld).
fn print_jay_changes(changed: &[&CorrectionLine]) {
    println!(
        "what each correction changes before 18 (main, percentage points, from the released counts of jay_corrections.csv):"
    );
    for c in changed {
        let change = 100.0 * (c.corrected - c.strict);
        let shown = if change.is_finite() {
            format!("{change:+.1}")
        } else {
            "c".to_owned()
        };
        println!(
            "  {:32} {:9} {shown:>6}",
            c.rule.as_str(),
            c.outcome.as_str()
        );
    }
    if changed
        .iter()
        .any(|c| !(c.corrected - c.strict).is_finite())
    {
        println!("  (c: a count withheld by disclosure control)");
    }
}

/// Where the rows read went, adding up to the rows read: used, quarantined, excluded by
/// design, and (only when there are some) left out for want of a birth date, which is
/// a fault of the data, not a choice of the analysis.
fn rows_line([read, used, quarantined, by_design, no_birth]: [u64; 5]) -> String {
    let no_birth = if no_birth > 0 {
        format!(
            ", {no_birth} excluded for want of a birth date (no row of the child gives a month and year of birth)"
        )
    } else {
        String::new()
    };
    format!(
        "read {read} rows: {used} used, {quarantined} quarantined, {by_design} excluded by design{no_birth} (see analyst-only/ledger.csv)"
    )
}

/// Prints where the outputs are.
fn print_files(out: &cumin_study::RunOutput) {
    println!("{}", rows_line(out.rows));
    println!("data end: {}", out.data_end);
    println!("outputs in {}:", out.out.display());
    for (f, for_release) in &out.files {
        let note = if *for_release {
            ""
        } else {
            "  (not for release)"
        };
        println!("  {f}{note}");
    }
}

/// Prints where the outputs are and the headline table; `truth` adds a column.
pub fn print_run(out: &cumin_study::RunOutput, truth: Option<&dyn Fn(Outcome) -> Option<f64>>) {
    print_files(out);
    println!();
    println!("cumulative incidence before 18th birthday (stratum all, 95% CI; * recommended):");
    let truth_head = if truth.is_some() { "  truth" } else { "" };
    println!(
        "  {:9} {:26} {:>7}  {:>17}{truth_head}",
        "outcome", "estimator", "%", "95% CI"
    );
    for h in &out.headline {
        let age_note = if h.age == 17 {
            String::new()
        } else {
            format!(" (to age {})", h.age + 1)
        };
        let t = truth
            .and_then(|f| f(h.outcome))
            .map(|t| format!("  {:5.1}", 100.0 * t))
            .unwrap_or_default();
        println!(
            "  {:9} {:26} {:>7}  {:>15}{t}{age_note}",
            h.outcome.as_str(),
            format!("{}{}", h.estimator, if h.recommended { "*" } else { "" }),
            h.cum_inc.map_or_else(|| WITHHELD.to_owned(), percent),
            interval(h.lower, h.upper),
        );
    }
    if out.headline.iter().any(|h| h.cum_inc.is_none()) {
        println!(
            "  {WITHHELD}: disclosure control withheld the figure (blank in \
             cumulative_incidence.csv, suppressed = true)"
        );
    }
}

/// How a withheld figure is shown.
const WITHHELD: &str = "withheld";

/// A released proportion as a percentage to one decimal.
fn percent(p: f64) -> String {
    format!("{:.1}", 100.0 * p)
}

/// A released interval, blank where either limit is withheld.
fn interval(lower: Option<f64>, upper: Option<f64>) -> String {
    match (lower, upper) {
        (Some(l), Some(u)) => format!("({:>5} – {:>5})", percent(l), percent(u)),
        _ => String::new(),
    }
}

/// The measures of the linkage section worth a line on the terminal (the rest are in
/// `linkage.csv`).
const LINKAGE_SUMMARY: [&str; 12] = [
    "rows",
    "rows_linked",
    "episodes",
    "rows_merged_into_episodes",
    "children",
    "children_in_several_las",
    "conflict_la_key_several_pmrs",
    "conflict_pmr_birth_mismatch",
    "conflict_many_las",
    "rows_conflict_split",
    "rows_conflict_dropped",
    "rows_unidentified",
];

/// Prints the linkage summary by identifier mode and, if run, the sensitivity table.
fn print_linkage(out: &cumin_study::RunOutput) {
    let tables = &out.linkage.tables;
    println!();
    println!("linkage by identifier mode (counts after disclosure control; all in linkage.csv):");
    if let Some(head) = tables.first() {
        print_cells(&head.columns);
        for row in tables.iter().take(2).flat_map(|t| &t.rows) {
            if LINKAGE_SUMMARY.contains(&row[0].as_str()) {
                print_cells(row);
            }
        }
    }
    let Some(lines) = &out.sensitivity else {
        return;
    };
    println!();
    println!(
        "sensitivity: cumulative incidence before 18th birthday (%) by identifier mode (as in \
         sensitivity.csv):"
    );
    let Some(first) = lines.first() else { return };
    let mut head = vec!["outcome / estimator".to_owned()];
    head.extend(first.by_mode.iter().map(|(m, _)| m.as_str().to_owned()));
    print_cells(&head);
    for l in lines {
        let mut cells = vec![format!("{} {}", l.outcome.as_str(), l.estimator.as_str())];
        cells.extend(
            l.by_mode
                .iter()
                .map(|(_, h)| match (h.cum_inc, h.lower, h.upper) {
                    (Some(c), Some(lo), Some(up)) => {
                        format!("{} ({}-{})", percent(c), percent(lo), percent(up))
                    }
                    (Some(c), _, _) => percent(c),
                    _ => WITHHELD.to_owned(),
                }),
        );
        print_cells(&cells);
    }
    println!("  la-only splits movers into several children (over-counts); pmr-only leaves out");
    println!("  rows no PMR reaches (under-counts); see docs/linkage.md.");
}

fn print_cells(cells: &[String]) {
    let (label, rest) = cells.split_first().expect("a label");
    print!("  {label:38}");
    for c in rest {
        print!(" {c:>18}");
    }
    println!();
}
