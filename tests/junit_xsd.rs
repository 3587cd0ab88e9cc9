//! Every kind of junit.xml a run writes validates against the Ant/Jenkins JUnit schema
//! (tests/data/junit.xsd) with a real validator, `xmllint --schema` (Debian's libxml2-utils):
//! a passing run with skips, a run with failures and expected deviations, a run with harness
//! errors whose evidence carries control bytes, and a report rendered again from results.json.
//!
//! scripts/test.sh installs xmllint and sets IMGCONF_REQUIRE_XSD=1, so in CI a missing
//! validator fails the test instead of skipping it.

mod common;

use imgconf::report::excerpt::excerpt;
use imgconf::report::results::RunReport;
use imgconf::yaml::Pos;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

fn xmllint() -> bool {
    let found = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("IMGCONF_REQUIRE_XSD").is_none(),
            "no xmllint, but IMGCONF_REQUIRE_XSD is set (apt-get install libxml2-utils)"
        );
        eprintln!("skipped: no xmllint on this machine (scripts/test.sh installs it)");
    }
    found
}

fn validate(xml: &Path) -> String {
    let o = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd"))
        .arg(xml)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "{} does not validate:\n{out}\n{}",
        xml.display(),
        std::fs::read_to_string(xml).unwrap_or_default()
    );
    std::fs::read_to_string(xml).unwrap()
}

/// Runs imgconf with `args` and returns (exit code, junit path).
fn run(dir: &Path, name: &str, args: &[&str]) -> (Option<i32>, std::path::PathBuf) {
    let junit = dir.join(format!("{name}.xml"));
    let o = common::bin()
        .arg("run")
        .args(args)
        .arg("--report-dir")
        .arg(dir.join(name))
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), junit)
}

/// A target that answers `GET /` and then every request with a 500 whose body has control
/// bytes, and cuts the connection on the next: failures and errors with hostile evidence.
fn garbage_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, sock) in listener.incoming().enumerate() {
            let Ok(mut sock) = sock else { return };
            let mut buf = [0u8; 8192];
            let len = sock.read(&mut buf).unwrap_or(0);
            let body: &[u8] = if buf[..len].starts_with(b"GET / ") {
                br#"{"versions":[{"id":"v2.17","status":"CURRENT","links":[]}]}"#
            } else if n % 2 == 0 {
                b"\x00\x01\x1b[31m<bad>&\"]]>\xff\xfe oops"
            } else {
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{");
                continue;
            };
            let head = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                if body.starts_with(b"{") { 300 } else { 500 },
                body.len()
            );
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn every_junit_report_validates_against_the_junit_schema() {
    if !xmllint() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Passes, and skips (no personas with --auth none).
    let (code, junit) = run(d, "pass-skip", &["--auth", "none", "members::"]);
    assert_eq!(code, Some(0));
    let xml = validate(&junit);
    assert!(xml.contains("<skipped message=\""), "{xml}");
    assert!(xml.contains("<system-out>proves: "), "{xml}");

    // Failures, an accepted deviation and a stale one.
    let (code, junit) = run(
        d,
        "fail-deviation",
        &[
            "--cases",
            "tests/data/failing",
            "--profile",
            "tests/data/profiles/expects-wrong-status.yaml",
        ],
    );
    assert_eq!(code, Some(101));
    let xml = validate(&junit);
    assert!(
        xml.contains("<failure type=\"conformance failure\""),
        "{xml}"
    );
    assert!(xml.contains("expected deviation: the self-test"), "{xml}");

    // Harness errors and failures whose evidence holds control bytes and markup.
    let ep = garbage_server();
    let (code, junit) = run(
        d,
        "errors",
        &[
            "--endpoint",
            &ep,
            "--test-threads",
            "1",
            "--timeout",
            "5",
            "images.create::",
        ],
    );
    assert_eq!(code, Some(101));
    let xml = validate(&junit);
    assert!(xml.contains("<error type=\"harness error\""), "{xml}");
    assert!(
        xml.contains("<failure type=\"conformance failure\""),
        "{xml}"
    );
    assert!(
        xml.contains("\\u{1b}"),
        "control bytes are shown, not written: {xml}"
    );

    // Rendered again from a saved results.json.
    let again = d.join("again.xml");
    let o = common::bin()
        .arg("report")
        .arg(d.join("errors/results.json"))
        .arg("--junit")
        .arg(&again)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(validate(&again), xml);

    // Rendered again with every check pointed out in its case file, lines holding markup.
    let saved = d.join("fail-deviation/results.json");
    let mut report = RunReport::read(&saved).unwrap();
    let at = Pos { line: 2, column: 3 };
    let lines = excerpt(
        "- id: x\n  checks: [{equals: \"<]]>&\u{1b}\"}]\n",
        1..=2,
        at,
        "expected \"<]]>&\"",
    );
    let findings = report
        .cases
        .iter_mut()
        .flat_map(|c| c.steps.iter_mut())
        .flat_map(|s| s.findings.iter_mut());
    for f in findings {
        f.at = Some(at);
        f.excerpt = Some(lines.clone());
    }
    std::fs::write(&saved, serde_json::to_string(&report).unwrap()).unwrap();
    let pointed = d.join("pointed.xml");
    let o = common::bin()
        .arg("report")
        .arg(&saved)
        .arg("--junit")
        .arg(&pointed)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let xml = validate(&pointed);
    assert!(xml.contains(".yaml:2:3\n"), "{xml}");
    assert!(
        xml.contains("2 |   checks: [{equals: \"&lt;]]&gt;&amp;\u{fffd}\"}]\n"),
        "{xml}"
    );
}

#[test]
fn the_schema_rejects_what_the_format_does_not_allow() {
    if !xmllint() {
        return;
    }
    // The validator and schema are strict enough to catch the mistakes they exist for.
    let dir = tempfile::tempdir().unwrap();
    for (name, bad) in [
        ("testcase-properties", "<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"x\"><properties/></testcase></testsuite></testsuites>"),
        ("root-skipped", "<testsuites skipped=\"0\"/>"),
        ("missing-counts", "<testsuites><testsuite name=\"a\"/></testsuites>"),
        ("bad-time", "<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\" time=\"1s\"/></testsuites>"),
    ] {
        let p = dir.path().join(format!("{name}.xml"));
        std::fs::write(&p, bad).unwrap();
        let ok = Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd"))
            .arg(&p)
            .output()
            .unwrap()
            .status
            .success();
        assert!(!ok, "{name} should not validate");
    }
}
