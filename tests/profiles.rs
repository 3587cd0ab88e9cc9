//! Profiles for real: the `huawei-ims` profile certifies the reference server's `huawei-ims`
//! flavor, the plain profiles fail on it exactly where IMS's documented differences say, the
//! `huawei-ims` profile fails on plain Glance behaviour where its deviations no longer occur, a
//! user profile extends a built-in one, a malformed profile stops the run naming file, line and
//! field, and every report names the profile.

mod common;

use common::{bin, serve};
use imgconf::outcome::Verdict;
use imgconf::profile::Profile;
use imgconf::report::results::RunReport;
use imgconf::source::SourceFile;
use std::collections::BTreeSet;
use std::path::Path;

fn profile(name: &str) -> Profile {
    let path = format!("profiles/{name}.yaml");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path)).unwrap();
    Profile::parse(&SourceFile::new(path, text), None).unwrap()
}

/// Runs the built-in cases and returns exit code, console text and the results.
fn run(endpoint: Option<&str>, profile: &str, dir: &Path) -> (Option<i32>, String, RunReport) {
    let extra = match endpoint {
        Some(e) => vec!["--endpoint", e, "--auth", "trusted-headers"],
        None => vec![],
    };
    run_with(profile, dir, &extra)
}

/// `imgconf run --profile PROFILE` with its reports in `dir`, and `extra` arguments.
fn run_with(profile: &str, dir: &Path, extra: &[&str]) -> (Option<i32>, String, RunReport) {
    let mut cmd = bin();
    cmd.env_remove("GITHUB_STEP_SUMMARY").args([
        "run",
        "--profile",
        profile,
        "--report-dir",
        dir.to_str().unwrap(),
        "--junit",
        dir.join("junit.xml").to_str().unwrap(),
    ]);
    let o = cmd.args(extra).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let report = RunReport::read(&dir.join("results.json"))
        .unwrap_or_else(|e| panic!("no results.json: {e}\n{text}"));
    (o.status.code(), text, report)
}

fn ids(r: &RunReport, verdict: Verdict) -> BTreeSet<String> {
    r.cases
        .iter()
        .filter(|c| c.verdict == verdict)
        .map(|c| c.id.clone())
        .collect()
}

fn deviation_cases(p: &Profile) -> BTreeSet<String> {
    p.deviations.iter().map(|d| d.case.clone()).collect()
}

/// Whether the profile's exclusions name the case (directly or by its area).
fn excluded(p: &Profile, id: &str) -> bool {
    let area = id.split("::").next().unwrap();
    p.areas.exclude.iter().any(|x| x.area == area)
        || p.cases
            .exclude
            .iter()
            .any(|x| x.cases.iter().any(|c| c == id))
}

#[test]
fn huawei_ims_profile_certifies_the_huawei_ims_flavor_and_reports_name_it() {
    let server = serve(&["--flavor", "huawei-ims"]);
    let dir = tempfile::tempdir().unwrap();
    let (code, text, r) = run(Some(&server.1), "huawei-ims", dir.path());
    assert_eq!(code, Some(0), "{text}");
    let ims = profile("huawei-ims");
    // Every declared deviation happened, as declared.
    assert_eq!(ids(&r, Verdict::Deviation), deviation_cases(&ims), "{text}");
    // Every excluded case is reported as skipped, with the profile's reason.
    for c in r.cases.iter().filter(|c| excluded(&ims, &c.id)) {
        assert_eq!(c.verdict, Verdict::Skip, "{}", c.id);
        assert!(
            c.reason.starts_with("excluded by profile `huawei-ims`: ") && c.reason.contains("HW"),
            "{}: {}",
            c.id,
            c.reason
        );
    }
    assert!(text.contains("profile `huawei-ims`"), "{text}");
    assert_eq!(r.run.profile, "huawei-ims");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("profile <code>huawei-ims</code>"),
        "report.html"
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("profile `huawei-ims`"), "{md}");
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        xml.contains(r#"<property name="profile" value="huawei-ims"/>"#),
        "junit.xml"
    );
}

#[test]
fn glance_profile_fails_on_the_huawei_ims_flavor_only_where_ims_differs() {
    let server = serve(&["--flavor", "huawei-ims"]);
    let dir = tempfile::tempdir().unwrap();
    let (code, text, r) = run(Some(&server.1), "glance", dir.path());
    assert_eq!(code, Some(101), "{text}");
    let ims = profile("huawei-ims");
    let glance = profile("glance");
    let failed = ids(&r, Verdict::Fail);
    // Each IMS deviation shows as a failure under the Glance profile…
    for d in &ims.deviations {
        assert!(failed.contains(&d.case), "{} passed on the flavor", d.case);
    }
    // …and nothing fails that neither IMS's documented differences (the huawei-ims profile)
    // nor Glance's own deviations (which the reference server does not reproduce) explain.
    let unexplained: Vec<&String> = failed
        .iter()
        .filter(|id| !excluded(&ims, id) && !deviation_cases(&ims).contains(*id))
        .filter(|id| !deviation_cases(&glance).contains(*id))
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained failures: {unexplained:?}"
    );
    // The differences are real: most excluded cases fail here, they are not excluded for show.
    let excluded_failing = failed.iter().filter(|id| excluded(&ims, id)).count();
    assert!(excluded_failing > 100, "{excluded_failing}");
}

#[test]
fn huawei_ims_profile_on_plain_glance_behaviour_reports_stale_deviations() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text, r) = run(None, "huawei-ims", dir.path());
    assert_eq!(code, Some(101), "{text}");
    let ims = profile("huawei-ims");
    for c in r.cases.iter().filter(|c| c.verdict == Verdict::Fail) {
        assert!(
            !deviation_cases(&ims).contains(&c.id),
            "{}: {}",
            c.id,
            c.reason
        );
        {
            // IMS's image fixture: Glance images lack the vendor properties (or are shared).
            assert!(
                c.steps
                    .iter()
                    .flat_map(|s| &s.findings)
                    .any(|f| f.rule == "schema image"),
                "{}: {}",
                c.id,
                c.reason
            );
        }
    }
    // Each declared deviation that does not occur on plain Glance behaviour is reported so.
    for d in &ims.deviations {
        assert!(
            ids(&r, Verdict::DeviationGone).contains(&d.case),
            "{}",
            d.case
        );
    }
}

#[test]
fn a_user_profile_extends_huawei_ims() {
    let server = serve(&["--flavor", "huawei-ims"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my-ims.yaml");
    std::fs::write(
        &file,
        "name: my-ims\nextends: huawei-ims\ndescription: our IMS region\ncases:\n  exclude:\n    - cases: [images.data::upload-makes-the-image-active]\n      reason: uploads go through OBS in our region\n      reference: ops runbook 12\n",
    )
    .unwrap();
    let reports = dir.path().join("r");
    let (code, text, r) = run(Some(&server.1), file.to_str().unwrap(), &reports);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(r.run.profile, "my-ims");
    let mine = r
        .cases
        .iter()
        .find(|c| c.id == "images.data::upload-makes-the-image-active")
        .unwrap();
    assert_eq!(mine.verdict, Verdict::Skip);
    assert!(
        mine.reason.contains(
            "excluded by profile `my-ims`: uploads go through OBS in our region (ops runbook 12)"
        ),
        "{}",
        mine.reason
    );
    // The base's rules still hold: its exclusions and deviations.
    assert_eq!(
        ids(&r, Verdict::Deviation),
        deviation_cases(&profile("huawei-ims"))
    );
    assert!(r
        .cases
        .iter()
        .filter(|c| c.area == "members")
        .all(|c| c.verdict == Verdict::Skip));
}

#[test]
fn a_malformed_profile_exits_2_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, text: &str, expected: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let o = bin()
            .args(["run", "--profile", file.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let expected = format!("{}:{expected}", file.display());
        assert!(err.contains(&expected), "{err}\nwanted: {expected}");
        assert!(!err.contains("test result"), "nothing may run: {err}");
    };
    check(
        "unknown-field.yaml",
        "name: x\ndescription: d\nexclude: [tags]\n",
        "3:1: unknown field `exclude`",
    );
    check(
        "bad-case.yaml",
        "name: x\nextends: huawei-ims\ndescription: d\ncases:\n  exclude:\n    - cases: [tags::put-adds-the-tag, tags::no-such-case]\n      reason: r\n      reference: f\n",
        "6:39: cases.exclude[0].cases[1]: unknown case `tags::no-such-case`",
    );
    check(
        "bad-schema.yaml",
        "name: x\ndescription: d\nschemas:\n  image: no-such-fixture\n",
        "4:3: schemas.image: no schema fixture `no-such-fixture`",
    );
}

#[test]
fn a_profile_chooses_areas_and_features() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("narrow.yaml");
    std::fs::write(
        &file,
        "name: narrow\nextends: strict\ndescription: only discovery and versions\nareas:\n  include: [discovery, versions]\n  exclude:\n    - {area: versions, reason: versions are checked elsewhere, reference: test}\nfeatures:\n  without: [stores]\n",
    )
    .unwrap();
    let reports = dir.path().join("r");
    let (code, text, r) = run(None, file.to_str().unwrap(), &reports);
    assert_eq!(code, Some(0), "{text}");
    // The reference server offers stores; the profile takes them as absent.
    assert!(!r.run.features.contains(&"stores".to_string()), "{text}");
    for c in &r.cases {
        let expected = match c.area.as_str() {
            "discovery" if c.id.contains("store") => {
                "needs feature(s) the target does not offer: stores"
            }
            "discovery" => "",
            "versions" => "excluded by profile `narrow`: versions are checked elsewhere (test)",
            _ => "profile `narrow` covers only the areas discovery, versions",
        };
        if expected.is_empty() {
            assert_eq!(c.verdict, Verdict::Pass, "{}: {}", c.id, c.reason);
        } else {
            assert_eq!(c.verdict, Verdict::Skip, "{}", c.id);
            assert_eq!(c.reason, expected, "{}", c.id);
        }
    }
    // The command line still wins over the profile.
    let o = bin()
        .args([
            "run",
            "--profile",
            file.to_str().unwrap(),
            "--feature",
            "stores",
        ])
        .args(["--report-dir", reports.to_str().unwrap(), "--junit"])
        .arg(reports.join("j.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let r = RunReport::read(&reports.join("results.json")).unwrap();
    assert!(r.run.features.contains(&"stores".to_string()));
}

/// Runs one case on the built-in server with `faults` switched on, under `profile`.
fn run_faulted(faults: &[&str], profile: &str, case: &str) -> (Option<i32>, String, RunReport) {
    run_faulted_with(faults, profile, case, &[])
}

fn run_faulted_with(
    faults: &[&str],
    profile: &str,
    case: &str,
    extra: &[&str],
) -> (Option<i32>, String, RunReport) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--exact", case];
    for f in faults {
        args.extend(["--fault", f]);
    }
    args.extend(extra);
    run_with(profile, dir.path(), &args)
}

#[test]
fn a_deviation_excuses_only_the_findings_it_names() {
    let profile = "tests/data/profiles/stores-default-as-string.yaml";
    let case = "discovery::stores-default-flag-is-boolean";
    // The declared deviation alone: accepted.
    let (code, text, r) = run_faulted(&["stores-default-as-string"], profile, case);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(r.cases[0].verdict, Verdict::Deviation, "{text}");
    // The same deviation and a second broken check in the same step: the case fails, naming the
    // finding the deviation does not excuse.
    let (code, text, r) = run_faulted(
        &["stores-default-as-string", "stores-read-only-as-string"],
        profile,
        case,
    );
    assert_eq!(code, Some(101), "{text}");
    let c = &r.cases[0];
    assert_eq!(c.verdict, Verdict::Fail, "{text}");
    assert!(
        c.reason.starts_with(r#"step 1 (line 85): body.stores[*]["read-only"][0]: expected true, got "true""#)
            && c.reason.contains("not excused by the deviation `stores-default-as-string` declares here (2 other finding(s) are)"),
        "{}",
        c.reason
    );
    let findings = &c.steps[0].findings;
    assert_eq!(findings.len(), 4, "{findings:?}");
    assert!(findings
        .iter()
        .all(|f| f.check == imgconf::expect::Check::Equals
            && f.actual == Some(serde_json::json!("true"))));
}

#[test]
fn fail_fast_fires_on_failures_only_after_the_profile_judged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = bin()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "run",
            "--fault",
            "stores-default-as-string",
            "--profile",
            "tests/data/profiles/stores-default-as-string.yaml",
            "--fail-fast",
            "--test-threads",
            "1",
            "--report-dir",
            d.to_str().unwrap(),
            "--junit",
            d.join("junit.xml").to_str().unwrap(),
            "discovery::",
            // The fault marks every store default, which this case rightly fails on.
            "--skip",
            "discovery::stores-info-has-one-default",
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(!text.contains("--fail-fast after"), "{text}");
    let r = RunReport::read(&d.join("results.json")).unwrap();
    let deviating = r.cases.iter().position(|c| c.verdict == Verdict::Deviation);
    // The deviation was met before the last case, and every case after it ran.
    assert!(deviating.is_some_and(|i| i + 1 < r.cases.len()), "{text}");
    assert!(
        r.cases.iter().all(|c| c.verdict == Verdict::Pass
            || c.verdict == Verdict::Deviation
            || (c.verdict == Verdict::Skip && !c.reason.contains("fail-fast"))),
        "{text}"
    );
}

#[test]
fn the_readme_serve_then_run_example_is_green() {
    // `imgconf serve` + `imgconf run --endpoint`: the default `glance` profile's deviations are
    // Glance's, and the run recognises the reference server, so none is expected there.
    let server = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = bin()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["run", "--endpoint", &server.1, "--report-dir"])
        .arg(d)
        .arg("--junit")
        .arg(d.join("junit.xml"))
        .arg("--strict-deviations")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("the deviations of profile `glance` are not expected here"),
        "{text}"
    );
    let r = RunReport::read(&d.join("results.json")).unwrap();
    assert_eq!(r.counts.deviations + r.counts.deviations_gone, 0);
}

/// A deviation declares exactly what Glance shows: the reference bent to mangle a non-ASCII tag
/// as Glance 33 does is accepted by the `glance` profile, bent to mangle it in another way fails.
#[test]
fn the_non_ascii_tag_deviation_accepts_only_what_glance_shows() {
    let case = "tags::non-ascii-tag-round-trips";
    for (fault, want) in [
        ("non-ascii-tag-read-as-latin-1", Verdict::Deviation),
        ("non-ascii-tag-stored-percent-encoded", Verdict::Fail),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = bin()
            .env_remove("GITHUB_STEP_SUMMARY")
            .args([
                "run",
                "--profile",
                "glance",
                "--fault",
                fault,
                "--exact",
                case,
            ])
            .arg("--report-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        let r = RunReport::read(&dir.path().join("results.json")).unwrap();
        let c = r.cases.iter().find(|c| c.id == case).unwrap();
        assert_eq!(c.verdict, want, "{fault}: {}", c.reason);
        assert_eq!(
            o.status.code(),
            Some(if want == Verdict::Fail { 101 } else { 0 })
        );
    }
}

#[test]
fn a_release_bound_deviation_applies_up_to_its_release_only() {
    let profile = "tests/data/profiles/until-release.yaml";
    let case = "discovery::stores-default-flag-is-boolean";
    let fault = ["stores-default-as-string"];
    for (release, want) in [
        (Some("2025.1"), Verdict::Deviation),
        (Some("2024.2"), Verdict::Deviation),
        (Some("2025.2"), Verdict::Fail),
        (None, Verdict::Fail),
    ] {
        let extra: Vec<&str> = release
            .map(|r| vec!["--glance-release", r])
            .unwrap_or_default();
        let (_, text, r) = run_faulted_with(&fault, profile, case, &extra);
        assert_eq!(r.cases[0].verdict, want, "{release:?}: {text}");
        if let Some(r) = release {
            assert!(text.contains(&format!(", Glance release {r},")), "{text}");
        }
    }
    let o = bin()
        .args(["run", "--profile", profile, "--glance-release", "Epoxy"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--glance-release: `Epoxy` is not a release series such as 2025.1"),
        "{text}"
    );
}
