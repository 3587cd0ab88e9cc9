//! `imgconf compare` and `imgconf run --compare-with` end to end: exit statuses as diff(1), the
//! IMS differences of the reference server's `huawei-ims` flavor, the JSON against its schema.

mod common;

use common::{bin, serve};
use serde_json::Value;
use std::path::Path;

/// `imgconf run` with `args` into `dir`; the exit code and stderr.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = bin()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "run",
            "-q",
            "--report-dir",
            dir.to_str().unwrap(),
            "--junit",
        ])
        .arg(dir.join("junit.xml"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn compare(args: &[&str]) -> (Option<i32>, String, String) {
    let o = bin().arg("compare").args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_run_compared_with_itself_is_the_same_and_trouble_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    assert_eq!(run(&a, &[]).0, Some(0));
    let a = a.to_str().unwrap();
    let file = format!("{a}/results.json");
    let (code, out, _) = compare(&[a, &file]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("the same, 0 verdict changes, 0 with the same verdict but different responses; 0 only in A, 0 only in B"), "{out}");

    let (code, _, err) = compare(&[a, "no/such/run"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("imgconf: error: no/such/run/results.json") || err.contains("no/such/run"),
        "{err}"
    );

    // Another suite: exit 2, naming the cases on one side only.
    let other = dir.path().join("other");
    run(&other, &["--cases", "tests/data/failing"]);
    let (code, out, err) = compare(&[a, other.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        err.contains("the runs come from different suites: only in A's suite: "),
        "{err}"
    );
    assert!(err.contains("only in B's suite: selftest::"), "{err}");
    assert!(err.contains(" more; only in B's suite"), "{err}");
}

#[test]
fn the_huawei_ims_flavor_differs_from_the_plain_reference_server_where_ims_does() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, ims) = (serve(&[]), serve(&["--flavor", "huawei-ims"]));
    for (name, server) in [("plain", &plain), ("ims", &ims)] {
        let (code, err) = run(
            &dir.path().join(name),
            &[
                "--endpoint",
                &server.1,
                "--auth",
                "trusted-headers",
                "--profile",
                "glance",
            ],
        );
        assert!(matches!(code, Some(0 | 101)), "{err}");
    }
    let json = dir.path().join("c.json");
    let md = dir.path().join("c.md");
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (code, out, _) = compare(&[
        &d("plain"),
        &d("ims"),
        "--json",
        json.to_str().unwrap(),
        "--md",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{out}");
    // IMS creates images `private` unless told otherwise (HW-visibility in profiles/huawei-ims.yaml).
    assert!(out.contains("Verdict changes ("), "{out}");
    let cmp: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let case = cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "images.create::default-visibility-is-shared")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        (
            case["change"].as_str(),
            case["a"]["verdict"].as_str(),
            case["b"]["verdict"].as_str()
        ),
        (Some("verdict"), Some("pass"), Some("fail"))
    );
    let visibility = case["steps"][0]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "body.visibility")
        .unwrap_or_else(|| panic!("{case}"));
    assert_eq!(
        (&visibility["a"], &visibility["b"]),
        (&Value::from("shared"), &Value::from("private"))
    );
    // No noise: no header that always differs, no unmasked id or date in any difference.
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-|\d{4}-\d{2}-\d{2}T\d{2}:").unwrap();
    for case in cmp["cases"].as_array().unwrap() {
        for step in case["steps"].as_array().unwrap() {
            for d in step["differences"].as_array().unwrap() {
                let path = d["path"].as_str().unwrap();
                assert!(
                    !["headers.date", "headers.x-openstack-request-id"].contains(&path),
                    "{d}"
                );
                assert!(
                    !uuid.is_match(&format!("{} {}", d["a"], d["b"])),
                    "{} {d}",
                    case["id"]
                );
            }
        }
    }
    // The JSON is what docs/compare.schema.json says.
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("docs/compare.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&cmp).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("| `images.create::default-visibility-is-shared` | pass | fail |"),
        "{md}"
    );
}

#[test]
fn run_compare_with_gates_a_passing_run_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let serial = ["--test-threads", "1", "tags::"];
    assert_eq!(run(&base, &serial).0, Some(0));
    let base = base.to_str().unwrap();
    // The same cases again: no difference, exit 0, the comparison next to the reports.
    let same = dir.path().join("same");
    let (code, err) = run(&same, &[&serial[..], &["--compare-with", base]].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("0 verdict changes"), "{err}");
    for f in ["compare.md", "compare.html", "compare.json"] {
        assert!(same.join(f).is_file(), "{f}");
    }
    // Fewer cases: it passes, but differs (cases only in A): exit 1.
    let fewer = dir.path().join("fewer");
    let (code, err) = run(&fewer, &["tags::non-ascii", "--compare-with", base]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the run differs from"), "{err}");
    // A baseline that cannot be read stops the run before it starts.
    let (code, err) = run(
        &dir.path().join("x"),
        &["--compare-with", "no/such/results.json"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("no/such/results.json"), "{err}");
}
