//! The report's sections beyond the main curves: trends by calendar period
//! (`trend.csv`), recurrence (`recurrence.csv`) and the sensitivity to the identifiers
//! (`sensitivity.csv`), each from its released table.

use crate::cell::{Shown, Symbol, escape, percent_with_interval, value};
use crate::chart::{PALETTE, Point, category_chart};
use crate::headline::{PATHWAY, birthday, outcome_label, recommended_among};
use crate::sections::Figure;
use crate::tables::{CiRow, TrendRow};
use cumin_census::Outcome;
use cumin_estimate::{Recurrence, Stratification};
use cumin_link::IdMode;
use std::fmt::Write as _;

/// A short name for chart axes.
fn short(o: Outcome) -> &'static str {
    match o {
        Outcome::Referral => "referred",
        Outcome::Assessed => "assessed",
        Outcome::Cin => "in need",
        Outcome::S47 => "s47",
        Outcome::Cpp => "CPP",
    }
}

/// The oldest released estimate of the rows matching `keep`.
fn oldest<'a>(rows: impl Iterator<Item = &'a CiRow>) -> Option<&'a CiRow> {
    rows.filter(|r| r.cum_inc.is_some()).max_by_key(|r| r.age)
}

fn cell(r: Option<&CiRow>) -> String {
    match r {
        None => Symbol::Withheld.html(),
        Some(r) => {
            let age = if r.age.0 == 17 {
                String::new()
            } else {
                format!(
                    " <span class=\"note\">before the {} birthday</span>",
                    birthday(r.age.0 as u8)
                )
            };
            format!(
                "{}{age}",
                percent_with_interval(r.cum_inc, r.lower, r.upper, Symbol::Withheld)
            )
        }
    }
}

fn point(r: Option<&CiRow>) -> Option<Point> {
    r.and_then(|r| Some((r.cum_inc?, r.lower, r.upper)))
}

/// Trends by period: per outcome the estimate before 18 of each period (all children,
/// the recommended of the trend's estimators); `None` without periods.
pub fn trends(rows: &[TrendRow], figures: &mut Vec<Figure>) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let mut periods: Vec<String> = Vec::new();
    for r in rows {
        let p = r.period.to_string();
        if !periods.contains(&p) {
            periods.push(p);
        }
    }
    let mut html = String::from(
        "<section id=\"trends\"><h2>Trends by period</h2><p>Estimates before the 18th \
         birthday from the census years of each period alone (life table of the period's \
         cells), all children.</p><table><tr><th>outcome</th>",
    );
    for p in &periods {
        let _ = write!(html, "<th>{}</th>", escape(p));
    }
    html.push_str("</tr>");
    let mut series = Vec::new();
    for (i, outcome) in PATHWAY.into_iter().enumerate() {
        let all = || {
            rows.iter()
                .filter(move |r| r.ci.outcome == outcome && r.ci.by == Stratification::ALL)
        };
        let Some(estimator) = recommended_among(outcome, all().map(|r| r.ci.estimator)) else {
            continue;
        };
        let _ = write!(html, "<tr><td>{}</td>", escape(outcome_label(outcome)));
        let mut pts = Vec::new();
        for p in &periods {
            let r = oldest(
                all()
                    .filter(|r| r.ci.estimator == estimator && &r.period.to_string() == p)
                    .map(|r| &r.ci),
            );
            let _ = write!(html, "<td>{}</td>", cell(r));
            pts.push(point(r));
        }
        html.push_str("</tr>");
        series.push((
            short(outcome).to_owned(),
            PALETTE[(i * 2) % PALETTE.len()],
            pts,
        ));
    }
    html.push_str("</table>");
    let svg = category_chart(
        "Before the 18th birthday, by period",
        "census years",
        &periods,
        &series,
        true,
    );
    let _ = write!(html, "<figure>{svg}</figure></section>");
    figures.push(Figure {
        name: "figures/trend.svg".to_owned(),
        svg,
    });
    Some(html)
}

/// Recurrence: per outcome, of the children with a first event in the earliest year,
/// the share with another within 1–6 years; every year's table below.
pub fn recurrence(rows: &[Recurrence]) -> String {
    if rows.is_empty() {
        return "<section id=\"recurrence\"><h2>Recurrence</h2><p>Not computed: no year \
                has the follow-up it needs.</p></section>"
            .to_owned();
    }
    let ks: Vec<u8> = (1..=6)
        .filter(|k| rows.iter().any(|r| r.years_after == *k))
        .collect();
    let head = |first: &str| {
        let mut s = format!("<tr><th>{first}</th><th>children</th>");
        for k in &ks {
            let _ = write!(
                s,
                "<th>within {k} year{}</th>",
                if *k == 1 { "" } else { "s" }
            );
        }
        s.push_str("</tr>");
        s
    };
    let line = |label: &str, rs: &[&Recurrence]| {
        let mut s = format!(
            "<tr><td>{}</td><td>{}</td>",
            escape(label),
            value(
                rs.first().map(|r| r.children),
                Shown::Count,
                Symbol::Withheld
            )
        );
        for k in &ks {
            let r = rs.iter().find(|r| r.years_after == *k);
            let _ = write!(
                s,
                "<td>{}</td>",
                match r {
                    None => Symbol::NotAvailable.html(),
                    Some(r) => value(r.share, Shown::Percent, Symbol::Withheld),
                }
            );
        }
        s.push_str("</tr>");
        s
    };
    let mut html = String::from(
        "<section id=\"recurrence\"><h2>Recurrence</h2><p>Of the children whose first event \
         in the data fell in a census year, the percentage with another within so many years \
         (a year is shown only where every child is followed that long). The first year, \
         followed longest:</p><table>",
    );
    html.push_str(&head("outcome (first year)"));
    let mut every = head("outcome, first year");
    for outcome in PATHWAY {
        let of: Vec<&Recurrence> = rows.iter().filter(|r| r.outcome == outcome).collect();
        let mut years: Vec<i16> = of.iter().map(|r| r.first_year.0).collect();
        years.sort_unstable();
        years.dedup();
        for (i, y) in years.iter().enumerate() {
            let rs: Vec<&Recurrence> = of
                .iter()
                .copied()
                .filter(|r| r.first_year.0 == *y)
                .collect();
            let label = format!("{} ({y})", outcome_label(outcome));
            if i == 0 {
                html.push_str(&line(&label, &rs));
            }
            every.push_str(&line(&label, &rs));
        }
    }
    let _ = write!(
        html,
        "</table><details><summary>Every first year</summary><table>{every}</table></details></section>"
    );
    html
}

/// What an identifier mode is, in words.
fn mode_words(m: IdMode) -> &'static str {
    match m {
        IdMode::Combined => "PMR or LA child ID (combined)",
        IdMode::PmrSchoolAge => "PMR from school age (pmr-school-age)",
        IdMode::LaOnly => "LA child ID only (la-only): movers counted again",
        IdMode::PmrOnly => "PMR only (pmr-only): children without a PMR left out",
    }
}

/// Sensitivity to the identifiers: per outcome the recommended estimate before 18 under
/// every identifier mode, in a table and a chart; `None` without the analysis.
pub fn sensitivity(rows: Option<&[CiRow]>, figures: &mut Vec<Figure>) -> Option<String> {
    let rows = rows.filter(|r| !r.is_empty())?;
    let modes: Vec<IdMode> = IdMode::ALL
        .into_iter()
        .filter(|m| rows.iter().any(|r| r.id_mode == *m))
        .collect();
    let mut html = String::from(
        "<section id=\"sensitivity\"><h2>Sensitivity to identifiers and linkage</h2><p>The \
         recommended estimate before the 18th birthday when children are linked by each set \
         of identifiers alone (no transfer rule or split correction, so the combined column \
         can differ from the headline). Linking by LA child ID only counts a child who moves as a new \
         child (too high); by PMR only leaves out children no PMR reaches (too low).</p>\
         <table><tr><th>outcome</th>",
    );
    for m in &modes {
        let _ = write!(html, "<th>{}</th>", escape(mode_words(*m)));
    }
    html.push_str("</tr>");
    let mut per_mode: Vec<Vec<Option<Point>>> = vec![Vec::new(); modes.len()];
    let mut outcomes = Vec::new();
    for outcome in PATHWAY {
        let of = rows.iter().filter(|r| r.outcome == outcome);
        let Some(estimator) = recommended_among(outcome, of.map(|r| r.estimator)) else {
            continue;
        };
        outcomes.push(short(outcome).to_owned());
        let _ = write!(html, "<tr><td>{}</td>", escape(outcome_label(outcome)));
        for (i, m) in modes.iter().enumerate() {
            let r = oldest(rows.iter().filter(|r| {
                r.outcome == outcome
                    && r.estimator == estimator
                    && r.id_mode == *m
                    && r.by == Stratification::ALL
            }));
            let _ = write!(html, "<td>{}</td>", cell(r));
            per_mode[i].push(point(r));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    let series: Vec<(String, &'static str, Vec<Option<Point>>)> = modes
        .iter()
        .zip(per_mode)
        .enumerate()
        .map(|(i, (m, pts))| (m.as_str().to_owned(), PALETTE[[8, 0, 4, 6][i % 4]], pts))
        .collect();
    let svg = category_chart(
        "Before the 18th birthday, by identifier mode",
        "outcome",
        &outcomes,
        &series,
        false,
    );
    let _ = write!(html, "<figure>{svg}</figure></section>");
    figures.push(Figure {
        name: "figures/sensitivity.svg".to_owned(),
        svg,
    });
    Some(html)
}
