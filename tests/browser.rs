//! report.html and `imgconf compare --html` in a real browser: headless Chromium loads the file
//! (no network) and the summary numbers on the rendered page equal those in results.json (in the
//! comparison's JSON).
//!
//! Needs Debian's `chromium`; scripts/test.sh installs it and sets IMGCONF_REQUIRE_BROWSER=1, so
//! in CI a missing browser fails the test instead of skipping it.

mod common;

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
    let o = common::bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--cases", "tests/data/failing", "--report-dir"])
        .arg(&reports)
        .arg("--junit")
        .arg(dir.path().join("j.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101));
    let results = RunReport::read(&reports.join("results.json")).unwrap();
    let dom = dump_dom(&browser, &reports.join("report.html"));
    let c = &results.counts;
    assert_eq!(shown(&dom, "total"), c.total);
    assert_eq!(shown(&dom, "passed"), c.passed);
    assert_eq!(shown(&dom, "failed"), c.failed);
    assert_eq!(shown(&dom, "errors"), c.errors);
    assert_eq!(shown(&dom, "skipped"), c.skipped);
    assert_eq!(shown(&dom, "deviations"), c.deviations);
    assert!(dom.contains("id=\"verdict\">failed<"));
    assert_eq!(dom.matches("data-verdict=\"fail\"").count(), c.failed);
}

/// The page as the headless browser renders it (no network, a throwaway profile).
fn dump_dom(browser: &str, page: &std::path::Path) -> String {
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
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

/// The number the rendered page shows in the element `count-<id>`.
fn shown(dom: &str, id: &str) -> usize {
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
}

/// `imgconf compare --html`: the page renders with the numbers of `--json`, one highlighted
/// row per difference, A's values left of B's.
#[test]
fn compare_html_renders_with_the_numbers_of_compare_json() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("IMGCONF_REQUIRE_BROWSER").is_none(),
            "no Chromium found, but IMGCONF_REQUIRE_BROWSER is set (apt-get install chromium)"
        );
        eprintln!("skipped: no Chromium on this machine (scripts/test.sh installs it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, fault) in [("a", None), ("b", Some("tag-put-answers-200"))] {
        let mut cmd = common::bin();
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "-q", "--test-threads", "1", "tags::", "--report-dir"])
            .arg(dir.path().join(name))
            .arg("--junit")
            .arg(dir.path().join(format!("{name}.xml")));
        if let Some(f) = fault {
            cmd.args(["--fault", f]);
        }
        cmd.output().unwrap();
    }
    let (html, json) = (dir.path().join("c.html"), dir.path().join("c.json"));
    let o = common::bin()
        .arg("compare")
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b"))
        .arg("--html")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let cmp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let dom = dump_dom(&browser, &html);
    for id in [
        "compared",
        "same",
        "verdict_changes",
        "response_differences",
        "only_in_a",
        "only_in_b",
    ] {
        assert_eq!(
            shown(&dom, &id.replace('_', "-")) as u64,
            cmp["counts"][id].as_u64().unwrap(),
            "{id}"
        );
    }
    assert!(cmp["counts"]["verdict_changes"].as_u64().unwrap() > 0);
    assert!(dom.contains("id=\"outcome\">the runs differ<"));
    let rows: usize = cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().unwrap())
        .map(|s| s["differences"].as_array().unwrap().len())
        .sum();
    assert_eq!(dom.matches("<tr class=\"difference\">").count(), rows);
    // The status the fault changed, side by side: A's 204 left, B's 200 right.
    assert!(dom.contains("<code>status</code></td><td class=\"a\"><pre>204</pre></td><td class=\"b\"><pre>200</pre></td>"), "{dom}");
}
