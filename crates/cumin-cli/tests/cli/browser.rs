//! The report in a real browser: a run on the demo extract with deprivation, trends and
//! sensitivity is rendered by headless Chromium (Debian's `chromium`), which must log no
//! console error and show every section; its screenshot is saved (to `docs/` when
//! `CUMIN_UPDATE_SCREENSHOT=1`).
//!
//! Without a Chromium on `PATH` the test prints why and passes, unless
//! `CUMIN_REQUIRE_BROWSER` is set (CI sets it, and `.ci/run` installs `chromium`).

use super::{root, support::text};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first browser on `PATH`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Headless Chromium on `page` with `args`; returns (stdout, stderr).
fn headless(browser: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("runs chromium");
    assert!(o.status.success(), "chromium failed: {}", text(&o));
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_report_renders_in_chromium_without_console_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CUMIN_REQUIRE_BROWSER").is_none(),
            "CUMIN_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        // The test output is where a skipped test should say so.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: no chromium on PATH (apt-get install chromium)");
        }
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let demo = root().join("fixtures/demo");
    // The page is the same with 20 bootstrap replicates as with the default 200 (its
    // intervals from fewer), and the run in a test build a fraction as long; the
    // committed screenshot shows the default.
    let update_screenshot = std::env::var_os("CUMIN_UPDATE_SCREENSHOT").is_some();
    let replicates = if update_screenshot { "200" } else { "20" };
    let o = super::support::cumin(&[
        "estimate",
        "--bootstrap",
        replicates,
        "--episodes",
        demo.join("episodes.parquet").to_str().unwrap(),
        "--denominators",
        demo.join("denominators.csv").to_str().unwrap(),
        "--by",
        "idaci_decile",
        "--period",
        "2012-2015,2016-2019,2020-2024",
        "--sensitivity",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let page = out.join("report.html");

    let (dom, log) = headless(&browser, &page, &["--dump-dom"]);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("SyntaxError"))
        .collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    for (id, title) in cumin_report::html::SECTIONS {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "section {id} ({title}) missing from the rendered page"
        );
    }
    for must in [
        "Trends by period",
        "most deprived",
        "About ",
        "For release after output checking",
    ] {
        assert!(
            dom.contains(must),
            "{must:?} missing from the rendered page"
        );
    }
    assert!(
        !dom.contains("Not computed in this run"),
        "every section has content here"
    );

    let shot = dir.path().join("report-demo.png");
    headless(
        &browser,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,7000",
            "--force-device-scale-factor=0.6",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    if update_screenshot {
        std::fs::write(root().join("docs/report-demo.png"), png).unwrap();
    }
}
