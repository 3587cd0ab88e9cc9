//! report.html in a real browser: headless Chromium loads the file (no network) and the summary
//! numbers on the rendered page equal those in results.json.
//!
//! Needs Debian's `chromium`; scripts/test.sh installs it and sets IMGCONF_REQUIRE_BROWSER=1, so
//! in CI a missing browser fails the test instead of skipping it.

use imgconf::report::results::RunReport;
use std::process::Command;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|b| b.to_string())
}

#[test]
fn report_html_renders_with_the_numbers_of_results_json() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("IMGCONF_REQUIRE_BROWSER").is_none(),
            "no Chromium found, but IMGCONF_REQUIRE_BROWSER is set (apt-get install chromium)"
        );
        eprintln!("skipped: no Chromium on this machine (scripts/test.sh installs it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_imgconf"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--cases", "tests/data/failing", "--report-dir"])
        .arg(&reports)
        .arg("--junit")
        .arg(dir.path().join("j.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101));
    let results = RunReport::read(&reports.join("results.json")).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", reports.join("report.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let shown = |id: &str| -> usize {
        let key = format!("id=\"count-{id}\">");
        let start = dom
            .find(&key)
            .unwrap_or_else(|| panic!("rendered page has no {key}: {dom}"))
            + key.len();
        dom[start..]
            .split('<')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let c = &results.counts;
    assert_eq!(shown("total"), c.total);
    assert_eq!(shown("passed"), c.passed);
    assert_eq!(shown("failed"), c.failed);
    assert_eq!(shown("errors"), c.errors);
    assert_eq!(shown("skipped"), c.skipped);
    assert_eq!(shown("deviations"), c.deviations);
    assert!(dom.contains("id=\"verdict\">failed<"));
    assert_eq!(dom.matches("data-verdict=\"fail\"").count(), c.failed);
}
