//! `report.html`: one self-contained page (no scripts, no network) for a policy reader:
//! the headline (one recommended estimate per outcome, in pathway order, in words), the
//! curves by age, deprivation, trends, recurrence, the sensitivity to the identifiers,
//! data quality, the methods (every estimator) and the disclosure status. Figures are
//! inline SVG, also written as `figures/*.svg`.
//!
//! The page shows only released tables, so it carries no figure the CSV outputs do not:
//! every statistic is a `<data>` element holding the released cell exactly as its file
//! writes it ([`crate::cell`]); a cell without a number shows a DfE symbol.

use crate::cell::{Shown, Symbol, escape, percent_with_interval, symbols_footnote, value};
use crate::headline::{self, HeadlineEstimate, outcome_label};
use crate::quality::{self, FileStatus};
use crate::sdc::{LedgerLine, Released};
use crate::sections::{self, Figure};
use crate::tables::{CiRow, LinkageRow, TrendRow};
use crate::write::{ReportError, write_text};
use cumin_estimate::{InequalityMeasure, Recurrence};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the report shows: released tables only.
pub struct ReportInput<'a> {
    /// Title line.
    pub title: String,
    /// Lines of context (tool version, inputs, data end, profile).
    pub context: Vec<String>,
    /// Released cumulative-incidence rows.
    pub ci: &'a Released<Vec<CiRow>>,
    /// Released trend rows (with `--period`).
    pub trend: Option<&'a Released<Vec<TrendRow>>>,
    /// Released inequality measures (with `--by idaci_decile`).
    pub inequality: Option<&'a Released<Vec<InequalityMeasure>>>,
    /// Released recurrence rows (`None`: not part of the design).
    pub recurrence: Option<&'a Released<Vec<Recurrence>>>,
    /// Released sensitivity rows (with `--sensitivity`).
    pub sensitivity: Option<&'a Released<Vec<CiRow>>>,
    /// Released linkage rows.
    pub linkage: &'a Released<Vec<LinkageRow>>,
    /// Released ledger lines.
    pub ledger: &'a Released<Vec<LedgerLine>>,
    /// Every file of the folder written before the page, with its release status.
    pub files: Vec<FileStatus>,
    /// The Jay et al. 2025 preset the run follows (`jay2025`, `jay2025-strict`), if any:
    /// its design has no deprivation, trend, recurrence or sensitivity tables.
    pub preset: Option<String>,
}

impl<'a> ReportInput<'a> {
    /// A page of the curves, linkage and ledger only (no trend, inequality, recurrence or
    /// sensitivity tables), the folder's files to be filled in when it is written.
    pub fn new(
        (title, context): (String, Vec<String>),
        ci: &'a Released<Vec<CiRow>>,
        linkage: &'a Released<Vec<LinkageRow>>,
        ledger: &'a Released<Vec<LedgerLine>>,
    ) -> ReportInput<'a> {
        ReportInput {
            title,
            context,
            ci,
            trend: None,
            inequality: None,
            recurrence: None,
            sensitivity: None,
            linkage,
            ledger,
            files: Vec::new(),
            preset: None,
        }
    }
}

/// A section the run has no table for, saying what it would need: the options of
/// cumin's own design that compute it (`needs`), and under a Jay preset that the
/// section is outside the paper's design.
fn not_in_run(id: &str, title: &str, needs: Option<&str>, preset: Option<&str>) -> String {
    let why = match (preset, needs) {
        (Some(p), _) => format!(
            "Not part of the Jay et al. 2025 design this run follows (<code>--preset {}</code>). \
             It is part of cumin's default design: run without <code>--preset</code>{}.",
            escape(p),
            needs.map_or(String::new(), |n| format!(", with {n}"))
        ),
        (None, Some(n)) => format!("Not computed in this run (run with {n})."),
        (None, None) => "Not part of this design.".to_owned(),
    };
    format!("<section id=\"{id}\"><h2>{title}</h2><p>{why}</p></section>")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1000px;margin:1.5em auto;\
padding:0 1em;color:#1b1b1b;line-height:1.45}h1{font-size:1.6em;margin-bottom:0.2em}\
h2{border-bottom:2px solid #1d70b8;padding-bottom:0.15em;margin-top:1.8em}\
table{border-collapse:collapse;margin:0.8em 0}td,th{border:1px solid #ccc;padding:2px 8px;\
text-align:right;vertical-align:top}th{background:#f3f2f1}td:first-child,th:first-child{text-align:left}\
figure{display:inline-block;margin:0.4em;vertical-align:top}figcaption{font-size:85%;color:#505a5f}\
.note{color:#505a5f;font-size:90%}.release{padding:0.6em 0.8em;font-weight:bold;font-size:1.1em}\
.banner{color:#fff;background:#b2182b}.ok{background:#e6f0e6;border-left:6px solid #00703c}\
.cards{display:flex;flex-wrap:wrap;gap:0.6em}.card{flex:1 1 140px;border:1px solid #b1b4b6;\
border-top:5px solid #1d70b8;padding:0.5em 0.7em}.card .pct{font-size:2em;font-weight:bold}\
.card .name{font-weight:bold}.card .ci,.card .est{font-size:85%;color:#505a5f}\
.caveat{background:#fff4e5;border-left:5px solid #e08214;padding:0.4em 0.6em}\
table.risk{font-size:70%;margin:0}table.risk td,table.risk th{padding:0 3px}\
abbr.sym{text-decoration:none;font-weight:bold}nav a{margin-right:0.8em}\
#deprivation table,#trends table,#sensitivity table{font-size:85%}.pair h3{margin:0.8em 0 0}\
ul.indices{margin:0.2em 0;font-size:92%}sup{font-size:70%;color:#505a5f}";

/// The sections a page has, in order: id and title (the browser test checks them).
pub const SECTIONS: [(&str, &str); 9] = [
    ("headline", "Before the 18th birthday"),
    ("by-age", "Curves by age"),
    ("deprivation", "Deprivation"),
    ("trends", "Trends by period"),
    ("recurrence", "Recurrence"),
    ("sensitivity", "Sensitivity to identifiers"),
    ("quality", "Data quality"),
    ("methods", "Methods and other estimators"),
    ("disclosure", "Disclosure status"),
];

/// The headline: a card per outcome with its recommended estimate, interval and sentence.
fn headline_section(ci: &Released<Vec<CiRow>>) -> String {
    let head = headline::headline(ci);
    let mut html = String::from(
        "<section id=\"headline\"><h2>Before the 18th birthday</h2><p>The share of all \
         children who reach each stage of children's social care before their 18th \
         birthday, with its 95% confidence interval.</p><div class=\"cards\">",
    );
    for h in &head {
        let _ = write!(
            html,
            "<div class=\"card\"><div class=\"name\">{}</div><div class=\"pct\">{}</div>\
             <div class=\"ci\">{}</div><p>{}</p><div class=\"est\">estimator: {}</div></div>",
            escape(outcome_label(h.outcome)),
            match h.cum_inc {
                Some(_) => format!("{}%", value(h.cum_inc, Shown::Percent, Symbol::Withheld)),
                None => Symbol::Withheld.html(),
            },
            interval_words(h),
            headline::sentence_with(h, |v| value(Some(v), headline::per(v), Symbol::Withheld)),
            escape(h.estimator.as_str())
        );
    }
    html.push_str("</div>");
    html.push_str(&symbols_footnote());
    html.push_str("</section>");
    html
}

fn interval_words(h: &HeadlineEstimate) -> String {
    match (h.lower, h.upper, h.age) {
        (Some(_), Some(_), Some(age)) => format!(
            "95% CI {}% to {}%{}",
            value(h.lower, Shown::Percent, Symbol::Withheld),
            value(h.upper, Shown::Percent, Symbol::Withheld),
            if age == 17 {
                String::new()
            } else {
                format!(", before the {} birthday", headline::birthday(age))
            }
        ),
        _ => String::new(),
    }
}

/// Every estimator's estimate before 18, the recommended one marked, with what each is.
fn methods_section(ci: &Released<Vec<CiRow>>) -> String {
    let mut html = String::from(
        "<section id=\"methods\"><h2>Methods and other estimators</h2><p>The headline uses \
         the recommended estimator. The <code>-unadjusted</code> estimators count first \
         events seen in the data as first ever; cohorts born before the study window carry \
         events from before it, so they over-count at older ages. The corrected estimators \
         (<code>cohort-splice</code>, <code>life-table</code>) correct for that; see \
         docs/methods.md.</p><table><tr><th>outcome</th><th>estimator</th><th>identifiers</th>\
         <th>estimate (95% CI)</th><th>age</th></tr>",
    );
    for h in headline::estimates(ci) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(outcome_label(h.outcome)),
            escape(h.estimator.as_str()),
            if h.recommended { " (recommended)" } else { "" },
            escape(h.id_mode.as_str()),
            percent_with_interval(h.cum_inc, h.lower, h.upper, Symbol::Withheld),
            h.age.map_or(String::new(), |a| format!(
                "before {}",
                headline::birthday(a)
            ))
        );
    }
    html.push_str("</table>");
    html.push_str(&symbols_footnote());
    html.push_str("</section>");
    html
}

/// Renders the page and its figures: returns the HTML and `(file name, svg)` pairs.
pub fn render(input: &ReportInput<'_>) -> (String, Vec<(String, String)>) {
    let rows = input.ci.get();
    let profile = input.ci.profile();
    let mut figures: Vec<Figure> = Vec::new();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{STYLE}</style></head><body><header><h1>{t}</h1>{}",
        quality::banner(profile),
        t = escape(&input.title)
    );
    for c in &input.context {
        let _ = write!(html, "<p class=\"note\">{}</p>", escape(c));
    }
    html.push_str("</header><nav>");
    for (id, title) in SECTIONS {
        let _ = write!(html, "<a href=\"#{id}\">{title}</a>");
    }
    html.push_str("</nav>");
    html.push_str(&headline_section(input.ci));
    html.push_str(&sections::by_age(rows, &mut figures));
    let ineq: &[InequalityMeasure] = input.inequality.map_or(&[], |r| r.get());
    let preset = input.preset.as_deref();
    html.push_str(
        &sections::deprivation(rows, ineq, &mut figures).unwrap_or_else(|| {
            not_in_run(
                "deprivation",
                "Deprivation",
                Some("<code>--by idaci_decile</code>"),
                preset,
            )
        }),
    );
    html.push_str(
        &crate::extras::trends(input.trend.map_or(&[], |t| t.get()), &mut figures).unwrap_or_else(
            || {
                not_in_run(
                    "trends",
                    "Trends by period",
                    Some("<code>--period</code>, e.g. <code>--period 2012-2015,2016-2019</code>"),
                    preset,
                )
            },
        ),
    );
    html.push_str(&match input.recurrence {
        Some(r) => crate::extras::recurrence(r.get()),
        None => not_in_run("recurrence", "Recurrence", None, preset),
    });
    html.push_str(
        &crate::extras::sensitivity(input.sensitivity.map(|s| s.get().as_slice()), &mut figures)
            .unwrap_or_else(|| {
                not_in_run(
                    "sensitivity",
                    "Sensitivity to identifiers and linkage",
                    Some("<code>--sensitivity</code>"),
                    preset,
                )
            }),
    );
    if let Some(s) = sections::other_strata(rows, &mut figures) {
        html.push_str(&s);
    }
    html.push_str(
        "<section id=\"quality\"><h2>Data quality</h2><p>Every input row is used or \
                   set aside for a stated reason. Counts are shown through disclosure control \
                   (the exact ledger is <code>analyst-only/ledger.csv</code>).</p>",
    );
    html.push_str(&quality::ledger(input.ledger.get()));
    html.push_str(&quality::linkage(
        input.linkage.get(),
        headline::main_mode(rows),
    ));
    html.push_str(&symbols_footnote());
    html.push_str("</section>");
    html.push_str(&methods_section(input.ci));
    let status = crate::spec::Status::ForRelease.label(profile.controls());
    let mut files = input.files.clone();
    let listed = |name: String| FileStatus {
        name,
        status,
        cells: None,
    };
    files.push(listed("report.html".to_owned()));
    files.extend(figures.iter().map(|f| listed(f.name.clone())));
    files.push(listed("sdc.json".to_owned()));
    files.push(listed("manifest.json".to_owned()));
    html.push_str(&quality::disclosure(profile, &files));
    html.push_str("</body></html>\n");
    (html, figures.into_iter().map(|f| (f.name, f.svg)).collect())
}

/// Writes `report.html` and its SVG figures under `dir`; returns the files written.
pub fn write_report(dir: &Path, input: &ReportInput<'_>) -> Result<Vec<PathBuf>, ReportError> {
    let (html, figures) = render(input);
    let mut files = Vec::new();
    let page = dir.join("report.html");
    write_text(&page, &html)?;
    files.push(page);
    for (name, svg) in figures {
        let p = dir.join(name);
        write_text(&p, &svg)?;
        files.push(p);
    }
    Ok(files)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::{SdcProfile, release_ledger, release_linkage};
    use cumin_census::Outcome;
    use cumin_estimate::{Curve, CurveEstimator};

    fn curve(stratum_var: &str, stratum: &str, step: f64) -> Curve {
        let e = CurveEstimator::LifeTableUnadjusted;
        crate::testing::curve(Outcome::Referral, e, stratum_var, stratum, step)
    }

    fn input_for(profile: SdcProfile, f: impl FnOnce(&ReportInput<'_>)) {
        let curves = [curve("all", "all", 0.02), curve("idaci_decile", "1", 0.03)];
        input_of(profile, &curves, f);
    }

    fn input_of(profile: SdcProfile, curves: &[Curve], f: impl FnOnce(&ReportInput<'_>)) {
        let ci = crate::testing::released(profile, curves);
        let (linkage, _) = release_linkage(profile, vec![]);
        let ledger = release_ledger(
            profile,
            vec![LedgerLine {
                file: "a.csv".into(),
                reason: "excluded:child_without_birth_date".into(),
                rows: 3.0,
            }],
        );
        let input = ReportInput {
            title: "cumin <test>".into(),
            context: vec!["data end 2024-03-31".into()],
            ci: &ci,
            trend: None,
            inequality: None,
            recurrence: None,
            sensitivity: None,
            linkage: &linkage,
            ledger: &ledger,
            files: vec![FileStatus {
                name: "cumulative_incidence.csv".into(),
                status: "for release",
                cells: None,
            }],
            preset: None,
        };
        f(&input);
    }

    #[test]
    fn renders_a_self_contained_page_with_figures() {
        input_for(SdcProfile::None, |input| {
            let (html, figs) = render(input);
            assert!(html.contains("cumin &lt;test&gt;"));
            assert!(!html.contains("<script"), "no scripts");
            assert!(
                !html.contains("src=\"http") && !html.contains("href=\"http"),
                "no network resources"
            );
            for (id, _) in SECTIONS {
                assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
            }
            assert_eq!(
                figs.len(),
                3,
                "{:?}",
                figs.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            assert!(
                figs.iter()
                    .all(|f| f.1.starts_with("<svg") && !f.0.contains(':'))
            );
            assert!(
                html.contains("<data value=\"0.36\">36.0</data>%"),
                "the age-17 headline is shown: {html}"
            );
            assert!(html.contains("About <data value=\"0.36\">36</data> in every 100 children"));
            assert!(html.contains("NOT FOR RELEASE"));
            assert!(html.contains("<td>figures/referral_all.svg</td>"));
        });
    }

    #[test]
    fn a_presets_page_says_what_its_missing_sections_need() {
        let curves = [curve("all", "all", 0.02)];
        let mut pages = Vec::new();
        for preset in [None, Some("jay2025".to_owned())] {
            input_of(SdcProfile::Jay2025, &curves, |input| {
                let input = ReportInput {
                    preset,
                    title: input.title.clone(),
                    context: input.context.clone(),
                    files: Vec::new(),
                    ..*input
                };
                pages.push(render(&input).0);
            });
        }
        let [own, jay] = &pages[..] else { panic!() };
        assert!(own.contains("Not computed in this run (run with <code>--sensitivity</code>)"));
        assert!(!jay.contains("Not computed in this run"), "{jay}");
        for (section, needs) in [
            ("deprivation", ", with <code>--by idaci_decile</code>."),
            ("trends", ", with <code>--period</code>"),
            ("recurrence", "run without <code>--preset</code>."),
            ("sensitivity", ", with <code>--sensitivity</code>."),
        ] {
            let start = jay.find(&format!("<section id=\"{section}\">")).unwrap();
            let body = &jay[start..start + jay[start..].find("</section>").unwrap()];
            assert!(
                body.contains(
                    "Not part of the Jay et al. 2025 design this run follows \
                     (<code>--preset jay2025</code>). It is part of cumin's default design"
                ) && body.contains(needs),
                "{body}"
            );
        }
    }

    #[test]
    fn the_page_shows_released_numbers_only() {
        input_for(SdcProfile::OnsSrs, |input| {
            let (html, _) = render(input);
            assert!(!html.contains("NOT FOR RELEASE"));
            assert!(html.contains("For release after output checking"));
            assert!(
                html.contains("<li><abbr class=\"sym\" title=\"withheld by disclosure control (confidential)\">c</abbr> rows: no usable birth date</li>"),
                "the ledger's 3 is withheld: {html}"
            );
        });
    }

    #[test]
    fn a_withheld_headline_shows_c_with_its_footnote() {
        let mut rare = curve("all", "all", 0.0002);
        for p in &mut rare.points {
            p.events = 0.2;
        }
        let mut html = String::new();
        input_of(SdcProfile::Dfe, &[rare], |input| html = render(input).0);
        let card = &html[html.find("<div class=\"card\">").unwrap()..];
        assert!(
            card.contains("<div class=\"pct\"><abbr class=\"sym\""),
            "the withheld estimate is a c: {card}"
        );
        assert!(card.contains("is withheld by disclosure control"));
        assert!(html.contains("<b>c</b> withheld by disclosure control"));
        assert!(
            !html.contains("<data value="),
            "no number of a withheld curve"
        );
    }
}
