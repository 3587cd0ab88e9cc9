//! The `imgconf` binary end to end against its built-in reference server: exit codes, console
//! evidence, the JUnit file, profiles, and errors before anything is sent.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

fn imgconf(args: &[&str]) -> Output {
    common::bin().args(args).output().expect("run imgconf")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn junit_path(name: &str) -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    dir.join(name)
}

#[test]
fn certifies_the_reference_server_by_default_and_writes_junit() {
    let junit = junit_path("junit.xml");
    let o = imgconf(&["run", "--junit", junit.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("built-in reference server"), "{out}");
    assert!(out.contains("profile `strict`"), "{out}");
    assert!(out.contains("test result: ok."), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testsuite name="tags""#), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="tags::put-is-idempotent""#),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn failures_show_evidence_exit_101_and_reach_junit() {
    let junit = junit_path("fail.xml");
    let o = imgconf(&[
        "run",
        "--cases",
        "tests/data/failing",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(101), "{out}");
    // Status: both codes, the step, the response, a curl line that repeats the request.
    assert!(
        out.contains("step 1 (line 13): status: expected 202, got 201"),
        "{out}"
    );
    assert!(out.contains("response: HTTP 201"), "{out}");
    // The failed check in its case file: where it is written, with the case's lines around it.
    assert!(
        out.contains("--> tests/data/failing/broken-expectations.yaml:18:18\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "    18 |         expect: {status: 202}\n       |                  ^ expected 202, got 201\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("reproduce: curl -sS -i -X POST 'http://127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("tests/data/failing/broken-expectations.yaml:8"),
        "{out}"
    );
    // Body: a unified diff of only the keys asked about.
    assert!(
        out.contains("--- expected") && out.contains("+++ actual"),
        "{out}"
    );
    assert!(
        out.contains("-  \"status\": \"active\"") && out.contains("+  \"status\": \"queued\""),
        "{out}"
    );
    // Schema: every error with its instance path (the schema document is no image).
    assert!(
        out.contains("does not validate against schema `image`"),
        "{out}"
    );
    assert!(
        out.contains("      /: \"id\" is a required property"),
        "{out}"
    );
    assert!(
        out.contains("      /: \"status\" is a required property"),
        "{out}"
    );
    assert!(
        out.contains("test result: FAILED. 1 passed; 3 failed"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<failure").count(), 3, "{xml}");
    assert!(xml.contains(r#"type="conformance failure""#), "{xml}");
    assert!(xml.contains("expected 202, got 201"), "{xml}");
    assert!(
        xml.contains("broken-expectations.yaml:31:11"),
        "the body check's place: {xml}"
    );
}

#[test]
fn a_profile_deviation_is_accepted_and_a_stale_one_fails() {
    let junit = junit_path("dev.xml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--cases",
            "tests/data/failing",
            "--profile",
            "tests/data/profiles/expects-wrong-status.yaml",
            "--junit",
            junit.to_str().unwrap(),
            "--skip",
            "wrong-body",
            "--skip",
            "wrong-schema",
        ];
        args.extend(extra);
        imgconf(&args)
    };
    let o = run(&[]);
    let out = text(&o);
    // A declared deviation that did not occur is reported, not a failure…
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("test selftest::wrong-status ... ok"), "{out}");
    assert!(
        out.contains("expected deviations accepted by profile `selftest` (1)"),
        "{out}"
    );
    assert!(
        out.contains("selftest::wrong-status: the self-test expects 202 on purpose"),
        "{out}"
    );
    assert!(
        out.contains(
            "declared deviations of profile `selftest` that did not occur (1; not a failure"
        ),
        "{out}"
    );
    // …unless --strict-deviations.
    let strict = run(&["--strict-deviations"]);
    let strict_out = text(&strict);
    assert_eq!(strict.status.code(), Some(101), "{strict_out}");
    assert!(
        strict_out.contains("the deviation did not occur"),
        "{strict_out}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("deviation: the self-test expects 202 on purpose"),
        "{xml}"
    );
}

#[test]
fn list_needs_no_target() {
    let o = imgconf(&["run", "--list", "--endpoint", "http://127.0.0.1:9"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("tags::put-is-idempotent: test"), "{out}");
}

#[test]
fn unreachable_endpoint_exits_2_before_any_case() {
    // Port 9 (discard) is closed on loopback.
    let o = imgconf(&[
        "run",
        "--endpoint",
        "http://127.0.0.1:9",
        "--connect-timeout",
        "2",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(
            "imgconf: error: cannot reach the endpoint http://127.0.0.1:9: could not connect"
        ),
        "{out}"
    );
    assert!(!out.contains("running "), "{out}");
}

#[test]
fn malformed_case_file_exits_2_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "area: tags\ntitle: T\ndocument: d\ncases:\n  - name: c\n    proves: p\n    spec: {section: s}\n    steps:\n      - request: {method: GET, path: /}\n        expect: {statsu: 200}\n",
    )
    .unwrap();
    let o = imgconf(&["run", "--cases", dir.path().to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let file = Path::new(dir.path()).join("bad.yaml");
    let want = format!(
        "{}:10:18: cases[0].steps[0].expect: unknown field `statsu`",
        file.display()
    );
    assert!(out.contains(&want), "{out}");
    assert!(out.contains("nothing was run"), "{out}");
}

#[test]
fn filter_matching_nothing_is_an_error() {
    let o = imgconf(&["run", "no-such-case"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("the filter `no-such-case` matches no case"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = imgconf(&["run", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    let o = imgconf(&["run", "--profile", "nope"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(
            "no built-in profile `nope` (built in: glance, glance-2025.1, glance-multiworker, glance-sqlite, huawei-ims, strict)"
        ),
        "{out}"
    );
    let o = imgconf(&["run", "--timeout", "0"]);
    assert!(text(&o).contains("--timeout must be a positive number of seconds"));
}

#[test]
fn personas_act_as_other_projects_and_are_skipped_without_identities() {
    let junit = junit_path("personas.xml");
    let j = junit.to_str().unwrap();
    let o = imgconf(&["run", "--cases", "tests/data/personas", "--junit", j]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(
            "test selftest.personas::private-image-is-invisible-to-another-project ... ok"
        ),
        "{out}"
    );
    assert!(
        out.contains("needs feature(s) the target does not offer: import:glance-download"),
        "{out}"
    );

    let o = imgconf(&[
        "run",
        "--cases",
        "tests/data/personas",
        "--auth",
        "none",
        "--junit",
        j,
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("needs persona(s) owner, other, which a run without identities (`--auth none`) does not have"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<skipped").count(), 2, "{xml}");
}

#[test]
fn readme_coverage_table_is_current() {
    let o = imgconf(&["coverage"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("<!-- coverage:begin -->\n")
        .expect("README has the coverage markers")
        + 24;
    let end = readme.find("<!-- coverage:end -->").unwrap();
    assert_eq!(
        readme[start..end].trim_end(),
        table.trim_end(),
        "README's coverage table is stale: paste the output of `imgconf coverage` between the markers"
    );
}

#[test]
fn coverage_refuses_ids_the_catalogue_lacks() {
    let o = imgconf(&["coverage", "--cases", "tests/data/failing"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(
            "cases name behaviours the catalogue does not have: T001 (selftest::wrong-status)"
        ),
        "{out}"
    );
}

fn listed(args: &[&str]) -> Vec<String> {
    let o = imgconf(args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(String::from)
        .collect()
}

#[test]
fn partitions_split_the_cases_without_overlap() {
    let all = listed(&["run", "--list"]);
    for kind in ["hash", "count"] {
        let a = listed(&["run", "--list", "--partition", &format!("{kind}:1/2")]);
        let b = listed(&["run", "--list", "--partition", &format!("{kind}:2/2")]);
        assert!(!a.is_empty() && !b.is_empty());
        let mut both: Vec<String> = a.iter().chain(&b).cloned().collect();
        both.sort();
        assert_eq!(both, all, "{kind}");
    }
    let o = imgconf(&["run", "--partition", "hash:3/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("is not a partition"));
}

#[test]
fn fail_fast_and_rerun_failed() {
    let o = imgconf(&[
        "run",
        "--cases",
        "tests/data/failing",
        "--fail-fast",
        "--test-threads",
        "1",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(101), "{out}");
    assert!(
        out.contains("ignored (not run: --fail-fast after selftest::wrong-body failed)"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    imgconf(&[
        "run",
        "--cases",
        "tests/data/failing",
        "--report-dir",
        first.to_str().unwrap(),
    ]);
    let results = first.join("results.json");
    let o = imgconf(&[
        "run",
        "--cases",
        "tests/data/failing",
        "--rerun-failed",
        results.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert!(
        out.contains("running 3 tests") && !out.contains("selftest::passes"),
        "{out}"
    );

    let clean = dir.path().join("clean");
    imgconf(&["run", "--report-dir", clean.to_str().unwrap()]);
    let o = imgconf(&[
        "run",
        "--rerun-failed",
        clean.join("results.json").to_str().unwrap(),
    ]);
    // Nothing to rerun is a success: a CI step that reruns failures stays green.
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("no case failed in that run; nothing to rerun"));
}

#[test]
fn a_single_store_reference_server_skips_the_multistore_cases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = imgconf(&[
        "run",
        "--reference-stores",
        "memory",
        "--report-dir",
        d,
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let features = out
        .lines()
        .find(|l| l.contains("optional features:"))
        .unwrap_or_default();
    assert!(features.contains(" stores,"), "{out}");
    assert!(!features.contains("multistore"), "{out}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("results.json")).unwrap()).unwrap();
    let verdict = |id: &str| {
        results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["verdict"].as_str().unwrap().to_string())
    };
    // Single-store behaviour still runs; what needs a second store is skipped, not failed.
    assert_eq!(
        verdict("stores::delete-from-the-only-store-is-403").as_deref(),
        Some("pass")
    );
    assert_eq!(
        verdict("images.import.web-download::web-download-makes-the-image-active").as_deref(),
        Some("pass")
    );
    assert_eq!(
        verdict("images.import.copy-image::copy-by-an-admin-ends-in-both-stores").as_deref(),
        Some("skip")
    );
    assert_eq!(
        verdict("stores::delete-from-one-of-two-stores").as_deref(),
        Some("skip")
    );
    let o = imgconf(&["run", "--reference-stores", "a,a", "--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = imgconf(&["run", "--reference-stores", "a,a", "stores::"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("given twice"), "{}", text(&o));
}

#[test]
fn faults_lists_one_fault_a_line_and_says_which_checks_no_fault_exercises() {
    let o = imgconf(&["faults"]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), imgconf::reference::faults::FAULTS.len());
    assert!(lines.iter().any(|l| l.starts_with("sort-dir-ignored ")));
    // The measurement goes to stderr, so stdout stays a list for scripts.
    let stderr = String::from_utf8_lossy(&o.stderr);
    let summary = imgconf::reference::coverage::FaultCoverage::builtin().summary();
    assert!(
        stderr.contains(&summary) && stderr.contains("docs/fault-coverage.json"),
        "{stderr}"
    );
}
