//! The results folder: results.json, report.html, summary.md and junit.xml tell the same story,
//! and `imgconf report` renders them again from results.json alone.

mod common;

use imgconf::report::results::RunReport;

fn imgconf(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = common::bin();
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("IMGCONF_ENDPOINT")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn count(html: &str, id: &str) -> usize {
    let key = format!("id=\"count-{id}\">");
    let start = html.find(&key).unwrap_or_else(|| panic!("no {key}")) + key.len();
    html[start..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn results_folder_files_agree_and_rerender() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("run");
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "previous step\n").unwrap();
    let o = imgconf(
        &[
            "run",
            "--cases",
            "tests/data/failing",
            "--report-dir",
            reports.to_str().unwrap(),
            "--junit",
            dir.path().join("j.xml").to_str().unwrap(),
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(101));

    let r = RunReport::read(&reports.join("results.json")).unwrap();
    assert_eq!(
        (r.counts.total, r.counts.passed, r.counts.failed),
        (4, 1, 3)
    );
    assert!(r.run.reference_server);
    assert_eq!(r.run.profile, "strict");
    let status = r
        .cases
        .iter()
        .find(|c| c.id == "selftest::wrong-status")
        .unwrap();
    let step = &status.steps[0];
    assert_eq!(step.exchanges[0].response.as_ref().unwrap().status, 201);
    assert!(step.findings[0].message.contains("expected 202, got 201"));
    assert!(!r
        .cases
        .iter()
        .find(|c| c.id == "selftest::wrong-schema")
        .unwrap()
        .steps[0]
        .findings[0]
        .schema_errors
        .is_empty());

    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    for (id, n) in [
        ("total", 4),
        ("passed", 1),
        ("failed", 3),
        ("errors", 0),
        ("skipped", 0),
        ("deviations", 0),
    ] {
        assert_eq!(count(&html, id), n, "count-{id}");
    }
    assert!(
        !html.contains("<script src") && !html.contains("<link") && !html.contains("http://fonts"),
        "self-contained"
    );
    assert!(
        html.contains("<span class=\"del\">") && html.contains("<span class=\"add\">"),
        "diff lines are highlighted"
    );
    assert!(html.contains("reproduce: curl"));

    let md = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(md.contains("| selftest | 1 | 3 | 0 | 0 | 0 |"), "{md}");
    assert!(
        md.contains(
            "- **selftest::wrong-status** (fail): step 1 (line 13): status: expected 202, got 201"
        ),
        "{md}"
    );
    let step_summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        step_summary.starts_with("previous step\n") && step_summary.contains(&md),
        "appended to GITHUB_STEP_SUMMARY"
    );

    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<failure").count(), 3);

    let again = dir.path().join("again.html");
    let md_again = dir.path().join("again.md");
    let o = imgconf(
        &[
            "report",
            reports.join("results.json").to_str().unwrap(),
            "--html",
            again.to_str().unwrap(),
            "--md",
            md_again.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(again).unwrap(), html);
    assert_eq!(std::fs::read_to_string(md_again).unwrap(), md);
    let o = imgconf(
        &["report", reports.join("results.json").to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("say what to render: --html PATH, --junit PATH and/or --md PATH"));
}

#[test]
fn report_refuses_files_that_are_not_results() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("x.json");
    std::fs::write(&bogus, r#"{"format": "other", "version": 1}"#).unwrap();
    let o = imgconf(
        &["report", bogus.to_str().unwrap(), "--html", "/dev/null"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an imgconf results file"));
}
