//! The report shows released numbers only: every statistic of each golden run's
//! `report.html` is a `<data>` element whose value is a cell of a released table of the
//! same run (its CSVs, or the ledger as the report releases it), shown as that value
//! rounded; and no other number with a decimal point, nor any count, is on the page.

use super::root;
use cumin_report::cell::{Shown, text};
use cumin_report::{LedgerLine, SdcProfile, release_ledger};
use std::collections::BTreeSet;
use std::path::Path;

/// Every cell of the released tables of the folder `out` (CSV files outside
/// `analyst-only/`), and the ledger lines as the report releases them.
fn released_cells(out: &Path) -> BTreeSet<String> {
    let mut cells = BTreeSet::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let mut r = csv::Reader::from_path(&p).unwrap();
            for rec in r.records() {
                cells.extend(rec.unwrap().iter().map(str::to_owned));
            }
        }
    }
    let sdc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sdc.json")).unwrap()).unwrap();
    let profile = SdcProfile::parse(sdc["profile"].as_str().unwrap()).unwrap();
    let mut r = csv::Reader::from_path(out.join("analyst-only/ledger.csv")).unwrap();
    let lines: Vec<LedgerLine> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            LedgerLine {
                file: rec[0].to_owned(),
                reason: rec[1].to_owned(),
                rows: rec[2].parse().unwrap(),
            }
        })
        .collect();
    for l in release_ledger(profile, lines).get() {
        cells.insert(cumin_report::write::number(Some(l.rows)));
    }
    cells
}

/// Removes every `open…close` span of `html`, giving each span's inside to `seen`.
fn cut(html: &str, open: &str, close: &str, mut seen: impl FnMut(&str)) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let j = after.find(close).expect("closed") + close.len();
        seen(&after[..j]);
        rest = &after[j..];
    }
    out.push_str(rest);
    out
}

/// What is wrong with the numbers of `html` given the released `cells`.
fn problems(html: &str, cells: &BTreeSet<String>) -> Vec<String> {
    let mut bad = Vec::new();
    let html = cut(html, "<head>", "</head>", |_| {});
    let html = cut(&html, "<header>", "</header>", |_| {});
    let html = cut(&html, "<svg", "</svg>", |_| {});
    let html = cut(&html, "<td class=\"tally\">", "</td>", |_| {});
    let html = cut(&html, "<data value=\"", "</data>", |d| {
        let body = &d["<data value=\"".len()..d.len() - "</data>".len()];
        let (value, shown) = body.split_once("\">").expect("a data element");
        if !cells.contains(value) {
            bad.push(format!("{value} is in no released table"));
        }
        let v: f64 = value.parse().expect("a number");
        let forms = [
            Shown::Percent,
            Shown::PerHundred,
            Shown::PerThousand,
            Shown::Count,
            Shown::Ratio,
        ];
        if !forms.iter().any(|f| text(v, *f) == shown) {
            bad.push(format!("{value} shown as {shown}"));
        }
    });
    let text = cut(&html.replace('<', " <"), "<", ">", |_| {})
        .replace("in every 100 ", "")
        .replace("in every 1,000 ", "");
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len()
            && (bytes[j].is_ascii_digit()
                || (matches!(bytes[j], b'.' | b',')
                    && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)))
        {
            j += 1;
        }
        let word = &text[i..j];
        // `2012-2015,2016-2019` lists years; `20,500` is a count.
        let thousands = word.split(',').skip(1).all(|g| g.len() == 3);
        let parts: Vec<&str> = if thousands {
            vec![word]
        } else {
            word.split(',').collect()
        };
        for part in parts {
            let n = part.parse::<i64>().ok();
            let year = part.len() == 4 && n.is_some_and(|y| (1900..=2100).contains(&y));
            let small = n.is_some_and(|n| n < 100);
            if !(year || small) {
                bad.push(format!(
                    "{part} outside a <data> element: …{}…",
                    &text[i.saturating_sub(60)..(j + 20).min(text.len())]
                ));
            }
        }
        i = j;
    }
    bad
}

#[test]
fn every_number_of_each_golden_report_is_a_released_one() {
    for case in ["demo", "sensitivity", "jay2025", "jay2025-strict"] {
        let out = root().join("fixtures/golden").join(case).join("out");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.matches("<data value=").count() > 50,
            "{case}: too few numbers"
        );
        let bad = problems(&html, &released_cells(&out));
        assert!(bad.is_empty(), "{case}:\n{}", bad.join("\n"));
    }
}

/// The change before 18 of `rule` (main identifiers) on `outcome`, in percentage points,
/// from the released files of `out` alone: per age the released `corrected − strict`
/// counts of `jay_corrections.csv` of the cohort supplying it (JAY_BANDS, the months
/// before birth in age 0) over the population the released unadjusted splice shows at
/// that age; `None` where a count is withheld.
fn released_change(out: &Path, rule: &str, outcome: &str) -> Option<f64> {
    let read = |f: &str| -> Vec<csv::StringRecord> {
        let mut r = csv::Reader::from_path(out.join(f)).unwrap();
        r.records().map(Result::unwrap).collect()
    };
    let corrections = read("jay_corrections.csv");
    let ci = read("cumulative_incidence.csv");
    let mut change = 0.0;
    for (cohort, lo, hi) in cumin_census::JAY_BANDS {
        for age in lo.max(0)..=hi {
            let mut events = 0.0;
            for r in &corrections {
                let a: i8 = r[3].parse().unwrap();
                if &r[0] == rule
                    && &r[1] == "main"
                    && r[2].parse::<i16>().unwrap() == cohort
                    && a.max(0) == age
                    && &r[4] == outcome
                {
                    events += r[6].parse::<f64>().ok()? - r[5].parse::<f64>().ok()?;
                }
            }
            let population: f64 = ci.iter().find(|r| {
                &r[1] == "cohort-splice-unadjusted"
                    && &r[2] == "pmr-school-age"
                    && &r[3] == "all"
                    && r[5].parse::<i8>().unwrap() == age
                    && !r[7].is_empty()
            })?[7]
                .parse()
                .unwrap();
            change += events / population;
        }
    }
    Some(100.0 * change)
}

/// A Jay preset's terminal says what each correction changes from the released counts
/// of `jay_corrections.csv` (it printed differences of the exact counts, to a child).
#[test]
fn each_printed_correction_change_is_one_of_released_counts() {
    for case in ["jay2025", "jay2025-strict"] {
        let dir = root().join("fixtures/golden").join(case);
        let stdout = std::fs::read_to_string(dir.join("stdout.txt")).unwrap();
        let lines: Vec<&str> = stdout
            .lines()
            .skip_while(|l| !l.starts_with("what each correction changes"))
            .skip(1)
            .filter(|l| !l.trim_start().starts_with('('))
            .collect();
        assert!(lines.len() > 5, "{case}: {lines:?}");
        for l in lines {
            let w: Vec<&str> = l.split_whitespace().collect();
            let released = released_change(&dir.join("out"), w[0], w[1]);
            let want = released.map_or("c".to_owned(), |c| format!("{c:+.1}"));
            assert_eq!(w[2], want, "{case}: {l}");
        }
    }
}

#[test]
fn the_guard_finds_an_exact_value_and_a_bare_number() {
    let cells: BTreeSet<String> = ["0.25".to_owned(), "640".to_owned()].into();
    let good = "<p><data value=\"0.25\">25.0</data>% of <data value=\"640\">640</data> aged 17, \
                in 2015; About <data value=\"0.25\">25</data> in every 100 children</p>";
    assert!(
        problems(good, &cells).is_empty(),
        "{:?}",
        problems(good, &cells)
    );
    let exact = "<p><data value=\"0.2513\">25.1</data></p>";
    assert!(problems(exact, &cells)[0].contains("in no released table"));
    let misshown = "<p><data value=\"0.25\">26.0</data></p>";
    assert!(problems(misshown, &cells)[0].contains("shown as"));
    let bare = "<p>38.2% of children, 1,234 rows</p>";
    assert_eq!(problems(bare, &cells).len(), 2);
}
