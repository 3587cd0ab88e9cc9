//! Malformed case files (tests/data/malformed/*.yaml) stop `imgconf run` with exit 2 and a
//! one-line message naming file, line and field, before any request: the endpoint is a TCP
//! listener that records every connection, and none may arrive.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A loopback listener counting the connections it accepts.
fn recording_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(sock);
        }
    });
    (format!("http://{addr}"), seen)
}

/// Runs `imgconf run` on `files` (copied alone into a folder); returns the error output.
fn load_only(files: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/malformed")
            .join(f);
        std::fs::copy(&src, dir.path().join(f)).unwrap();
    }
    let (endpoint, seen) = recording_listener();
    let o = common::bin()
        .args(["run", "--endpoint", &endpoint, "--cases"])
        .arg(dir.path())
        .arg("--report-dir")
        .arg(dir.path().join("r"))
        .arg("--junit")
        .arg(dir.path().join("j.xml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).replace(&format!("{}/", dir.path().display()), "");
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing was run"), "{err}");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a request was sent: {err}");
    assert!(!dir.path().join("j.xml").exists(), "no report: {err}");
    err
}

/// The single problem line of `file`: `file:line:col: field: message` on one line.
fn problem(file: &str, line: usize, field: &str, message: &str) {
    let err = load_only(&[file]);
    let first = err.lines().next().unwrap_or_default();
    let expected = format!("imgconf: error: {file}:{line}:");
    assert!(
        first.starts_with(&expected),
        "want {expected}…, got:\n{err}"
    );
    assert!(
        first.contains(&format!(" {field}: ")),
        "field {field}:\n{err}"
    );
    assert!(first.contains(message), "message {message}:\n{err}");
    assert_eq!(
        err.lines().count(),
        2,
        "one line per problem, then the total:\n{err}"
    );
}

#[test]
fn yaml_syntax_error() {
    let err = load_only(&["syntax-error.yaml"]);
    assert!(
        err.starts_with("imgconf: error: syntax-error.yaml:9:10: mapping values are not allowed"),
        "{err}"
    );
}

#[test]
fn unknown_field() {
    problem(
        "unknown-field.yaml",
        13,
        "cases[0].steps[0].expect",
        "unknown field `statuss`, expected one of `status`",
    );
}

#[test]
fn wrong_type() {
    problem(
        "wrong-type.yaml",
        14,
        "cases[0].steps[0].expect.status",
        "invalid type: string \"two hundred\", expected an HTTP status code",
    );
}

#[test]
fn unknown_variable() {
    problem(
        "unknown-variable.yaml",
        12,
        "cases[0].steps[0].request.path",
        "unknown variable `image_id`",
    );
}

#[test]
fn duplicate_case_name() {
    problem(
        "duplicate-case-name.yaml",
        14,
        "cases[1].name",
        "duplicate case name `twice`",
    );
}

#[test]
fn missing_schema_file() {
    problem(
        "missing-schema.yaml",
        15,
        "cases[0].steps[0].expect.schema",
        "no schema `imagez` in fixtures/schemas (known: huawei-ims-image, image, images,",
    );
}

#[test]
fn invalid_regex() {
    problem(
        "invalid-regex.yaml",
        16,
        "cases[0].steps[0].expect.checks[0].regex",
        "invalid regex `([a-`: unclosed character class",
    );
}

#[test]
fn every_problem_of_every_file_is_reported_in_one_run() {
    let files: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let err = load_only(&names);
    for f in &files {
        assert!(err.contains(&format!("{f}:")), "{f} not reported:\n{err}");
    }
    assert!(
        err.contains("7 problem(s) in case files; nothing was run"),
        "{err}"
    );
}
