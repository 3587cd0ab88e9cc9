//! What a newcomer meets first (issue 15): each common mistake ends at once, with exit status 2
//! and a hint, before any case runs; and options that mean nothing here are not offered.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs imgconf and kills it if it has not ended within `limit`: a hang fails the test instead
/// of hanging it. Returns the exit code and stdout + stderr.
fn run_within(limit: Duration, args: &[&str], dir: Option<&std::path::Path>) -> (i32, String) {
    let mut cmd: Command = common::bin();
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("start imgconf");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let readers = (
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        }),
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        }),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("imgconf {args:?} still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = format!("{}{}", readers.0.join().unwrap(), readers.1.join().unwrap());
    (status.code().unwrap_or(-1), text)
}

fn run(args: &[&str]) -> (i32, String) {
    run_within(Duration::from_secs(60), args, None)
}

/// `run` with the reports in a fresh folder (`--report-dir`), which is returned with the outcome.
fn run_reporting(args: &[&str]) -> (tempfile::TempDir, i32, String) {
    let reports = tempfile::tempdir().unwrap();
    let mut all = args.to_vec();
    all.extend(["--report-dir", reports.path().to_str().unwrap()]);
    let (code, out) = run(&all);
    (reports, code, out)
}

#[test]
fn zero_test_threads_is_refused_at_once_instead_of_hanging() {
    let (code, out) = run_within(
        Duration::from_secs(10),
        &["run", "--test-threads", "0"],
        None,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--test-threads"), "{out}");
    assert!(!out.contains("running "), "{out}");
}

#[test]
fn run_help_offers_only_what_means_something_here() {
    let (code, help) = run(&["run", "--help"]);
    assert_eq!(code, 0, "{help}");
    assert!(
        help.contains("Usage: imgconf run [OPTIONS] [FILTER]"),
        "{help}"
    );
    for gone in [
        "--bench",
        "--nocapture",
        "--show-output",
        " -Z",
        "--test ",
        "Usefull",
        "--ignored",
    ] {
        assert!(!help.contains(gone), "{gone} in\n{help}");
    }
    for kept in [
        "--exact",
        "--skip",
        "--list",
        "--test-threads",
        "--format",
        "--quiet",
        "--color",
    ] {
        assert!(help.contains(kept), "{kept} not in\n{help}");
    }
}

#[test]
fn libtest_options_without_meaning_are_refused() {
    for args in [
        &["run", "--bench"][..],
        &["run", "--nocapture"],
        &["run", "--show-output"],
        &["run", "-Z", "unstable-options"],
        &["run", "--test"],
    ] {
        let (code, out) = run(args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains("unexpected argument"), "{args:?}: {out}");
        assert!(!out.contains("passed"), "{args:?}: {out}");
    }
}

#[test]
fn ignored_says_why_it_selects_nothing() {
    let (code, out) = run(&["run", "--ignored"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("drop --ignored"), "{out}");
    assert!(!out.contains("filter"), "{out}");
}

/// A loopback server that answers every request with the same response, as long as the test runs.
fn fixed_server(status: &str, content_type: &str, body: &'static str) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
        }
    });
    format!("http://{addr}")
}

/// Runs against `endpoint` and expects exit 2 before any case, with `hint` in the message.
fn refused(endpoint: &str, hint: &str) {
    let (_reports, code, out) = run_reporting(&["run", "--endpoint", endpoint]);
    assert_eq!(code, 2, "{endpoint}: {out}");
    assert!(out.contains(hint), "{endpoint}: want {hint:?} in\n{out}");
    assert!(!out.contains("running "), "{endpoint}: cases ran:\n{out}");
}

#[test]
fn an_endpoint_that_is_not_an_images_api_root_ends_the_run_with_a_hint() {
    let server = common::serve(&[]);
    let root = &server.1;
    let drop_v2 = format!("give the API root instead (drop `/v2`): --endpoint {root}");
    refused(&format!("{root}/v2"), &drop_v2);
    refused(&format!("{root}/v2/"), &drop_v2);
    // The reference server, like Glance, answers 300 with its versions to a path it does not know.
    let elsewhere = format!("is not the root of its Images API (a path prefix or a Keystone path on an image port?); its versions document places the API at {root}: --endpoint {root}");
    refused(&format!("{root}/image"), &elsewhere);
    refused(&format!("{root}/identity/v3"), &elsewhere);

    let web = fixed_server(
        "200 OK",
        "text/html",
        "<!DOCTYPE HTML>\n<html><title>Directory listing</title></html>",
    );
    refused(&web, "answered 200 text/html: \"<!DOCTYPE HTML> <html><title>Directory listing</title></html>\": not an Images API versions document");
    let keystone = fixed_server(
        "300 Multiple Choices",
        "application/json",
        r#"{"versions": {"values": [{"id": "v3.14", "status": "stable"}]}}"#,
    );
    refused(&keystone, "versions of the Identity API (Keystone), not of the Images API; give the image endpoint as --endpoint");
    let keystone_v3 = fixed_server(
        "200 OK",
        "application/json",
        r#"{"version": {"id": "v3.14", "status": "stable"}}"#,
    );
    refused(&format!("{keystone_v3}/v3"), "Identity API (Keystone)");
    let missing = fixed_server("404 Not Found", "application/json", r#"{"message": "no"}"#);
    refused(&missing, "answered 404 application/json: \"{\\\"message\\\": \\\"no\\\"}\": JSON without a `versions` list");
    let v1 = fixed_server(
        "300 Multiple Choices",
        "application/json",
        r#"{"versions": [{"id": "v1.1"}]}"#,
    );
    refused(&v1, "lists the versions v1.1 but no Images API v2 version");
}

#[test]
fn python_http_server_is_not_an_images_api() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "python3 -m http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    refused(
        &format!("http://127.0.0.1:{port}"),
        "not an Images API versions document; give the root URL of the Images API",
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_report_dir_that_cannot_be_written_ends_the_run_before_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let bad = file.join("reports");
    let (code, out) = run(&["run", "--report-dir", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the report folder"), "{out}");
    assert!(out.contains("cannot be written"), "{out}");
    assert!(!out.contains("running "), "{out}");
}

#[test]
fn with_a_report_dir_no_copy_goes_to_reports_junit_xml() {
    // Run from a read-only folder: only the report dir may be written.
    let cwd = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let (code, out) = run_within(
        Duration::from_secs(60),
        &[
            "run",
            "tags::",
            "--report-dir",
            reports.path().to_str().unwrap(),
        ],
        Some(cwd.path()),
    );
    assert_eq!(code, 0, "{out}");
    assert!(reports.path().join("junit.xml").is_file());
    assert!(!cwd.path().join("reports").exists(), "{out}");
    assert!(!out.contains("JUnit also at"), "{out}");
    // --junit still asks for a copy.
    let copy = cwd.path().join("copy.xml");
    let (code, out) = run_within(
        Duration::from_secs(60),
        &[
            "run",
            "tags::",
            "--report-dir",
            reports.path().to_str().unwrap(),
            "--junit",
            copy.to_str().unwrap(),
        ],
        Some(cwd.path()),
    );
    assert_eq!(code, 0, "{out}");
    assert!(copy.is_file(), "{out}");
}

/// The built-in server with `faults`, in this process, counting the requests it answers.
fn counting_server(
    faults: &[&str],
) -> (
    tokio::runtime::Runtime,
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let faults: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
    let options = imgconf::reference::ServerOptions {
        faults: imgconf::reference::faults::Faults::parse(&faults).unwrap(),
        ..Default::default()
    };
    let app = imgconf::reference::router(options).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            seen.fetch_add(1, Ordering::SeqCst);
            next.run(req)
        },
    ));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, url, count)
}

fn requests_for_a_run(faults: &[&str]) -> usize {
    let (_rt, url, count) = counting_server(faults);
    let (_reports, code, out) = run_reporting(&[
        "run",
        "--endpoint",
        &url,
        "--profile",
        "strict",
        "--auth",
        "trusted-headers",
        "-q",
    ]);
    let want = if faults.is_empty() { 0 } else { 101 };
    assert_eq!(code, want, "{out}");
    count.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn polling_steps_do_not_retry_what_waiting_cannot_change() {
    // min-ram-as-string breaks the schema of every image, also in the answers that polling
    // steps wait on: those are judged at once, not asked again up to their attempts.
    let clean = requests_for_a_run(&[]);
    let broken = requests_for_a_run(&["min-ram-as-string"]);
    assert!(
        broken <= clean + 20,
        "with the fault {broken} requests, without {clean}: polling retried a schema failure"
    );
}

#[test]
fn the_fault_switched_on_is_named_in_the_banner_and_the_reports() {
    let (reports, code, out) =
        run_reporting(&["run", "--fault", "min-ram-as-string", "images.create::"]);
    assert_eq!(code, 101, "{out}");
    assert!(
        out.contains("(built-in reference server with fault(s) min-ram-as-string)"),
        "{out}"
    );
    let md = std::fs::read_to_string(reports.path().join("summary.md")).unwrap();
    assert!(
        md.contains("**Faults switched on:** `min-ram-as-string`"),
        "{md}"
    );
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap();
    assert!(
        html.contains("Faults switched on: <code>min-ram-as-string</code>"),
        "{html}"
    );
}

/// One HTTP/1.1 request over a plain socket: (status, body).
fn http(url: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

#[test]
fn a_run_journals_what_it_creates_and_cleanup_finds_it_by_id() {
    let server = common::serve(&[]);
    let url = &server.1;
    let (reports, code, out) = run_reporting(&[
        "run",
        "--endpoint",
        url,
        "--auth",
        "trusted-headers",
        "--profile",
        "strict",
        "tags::",
        "--run-id",
        "j0urnal1",
    ]);
    assert_eq!(code, 0, "{out}");
    let journal = reports.path().join("created.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let created = text.matches("\"event\":\"created\"").count();
    assert!(created > 5, "{text}");
    assert_eq!(
        created,
        text.matches("\"event\":\"deleted\"").count(),
        "{text}"
    );
    assert!(text.contains("\"run_id\":\"j0urnal1\""), "{text}");

    // A run killed before its cleanup: an image without a name, known only to the journal.
    let (status, body) = http(url, "POST", "/v2/images", Some("{}"));
    assert_eq!(status, 201, "{body}");
    let id = body
        .split("\"id\": \"")
        .nth(1)
        .or_else(|| body.split("\"id\":\"").nth(1))
        .unwrap();
    let id = &id[..36];
    let line = format!(
        "{{\"run_id\":\"j0urnal1\",\"endpoint\":\"{url}\",\"kind\":\"image\",\"id\":\"{id}\",\"event\":\"created\"}}\n"
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
        .unwrap();
    let j = journal.to_str().unwrap();
    let (code, out) = run(&["cleanup", "--endpoint", url, "--journal", j, "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("would delete image {id} (created by run j0urnal1")),
        "{out}"
    );
    assert_eq!(http(url, "GET", &format!("/v2/images/{id}"), None).0, 200);
    let (code, out) = run(&["cleanup", "--endpoint", url, "--journal", j]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 resource(s) deleted"), "{out}");
    assert_eq!(http(url, "GET", &format!("/v2/images/{id}"), None).0, 404);
    // Journaled as deleted: the next cleanup has nothing to do.
    let (code, out) = run(&["cleanup", "--endpoint", url, "--journal", j, "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 resource(s) left"), "{out}");
}

#[test]
fn cleanup_shows_the_targets_reason_and_exits_1() {
    // Lists one imgconf image; refuses to delete it as Glance does after a concurrent delete.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::Write;
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let (status, ct, body) = if req.starts_with("DELETE") {
                ("400 Bad Request", "text/plain", "400 Bad Request\n\nImage status transition from deleted to deleted is not allowed\n\n   ".to_string())
            } else if req.starts_with("GET /v2/images?limit=200 ") {
                ("200 OK", "application/json", r#"{"images": [{"id": "0f0e7d27-44aa-4c5c-bb3c-0e8c2f3a9d11", "name": "imgconf-0a1b2c3d-x"}]}"#.to_string())
            } else {
                (
                    "200 OK",
                    "application/json",
                    r#"{"images": []}"#.to_string(),
                )
            };
            let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    let empty = tempfile::tempdir().unwrap();
    let (code, out) = run_within(
        Duration::from_secs(30),
        &["cleanup", "--endpoint", &url],
        Some(empty.path()),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DELETE answered 400 (\"Image status transition from deleted to deleted is not allowed\")"),
        "{out}"
    );
}

#[test]
fn cleanup_help_documents_its_exit_codes() {
    let (code, help) = run(&["cleanup", "--help"]);
    assert_eq!(code, 0, "{help}");
    assert!(
        help.contains("Exit status: 0 everything found was deleted"),
        "{help}"
    );
    assert!(help.contains("1 something could not be deleted"), "{help}");
    assert!(help.contains("--journal"), "{help}");
}

#[test]
fn a_failed_case_can_be_replayed_with_curl() {
    let (reports, code, out) = run_reporting(&[
        "run",
        "--fault",
        "tag-put-answers-200",
        "--exact",
        "tags::put-adds-the-tag",
    ]);
    assert_eq!(code, 101, "{out}");
    let rel = "reproduce/tags__put-adds-the-tag.sh";
    assert!(
        out.contains(&format!("replay: {rel} in the results folder")),
        "{out}"
    );
    let script = reports.path().join(rel);
    let text = std::fs::read_to_string(&script).unwrap();
    // The image the run made (and deleted) is not named: its id comes from the new answer.
    assert!(text.contains("/tags/") && text.contains("${ID1}"), "{text}");
    for (file, marker) in [
        ("junit.xml", rel),
        ("summary.md", rel),
        (
            "report.html",
            "href=\"reproduce/tags__put-adds-the-tag.sh\"",
        ),
    ] {
        let body = std::fs::read_to_string(reports.path().join(file)).unwrap();
        assert!(body.contains(marker), "{file}: {body}");
    }
    let replay = |server: &common::Server| {
        let o = Command::new("bash")
            .arg(&script)
            .env("IMGCONF_ENDPOINT", &server.1)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let broken = common::serve(&["--fault", "tag-put-answers-200"]);
    let (code, out) = replay(&broken);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("-> HTTP 200 (the run got 200)"), "{out}");
    assert!(out.contains("the failure reproduces"), "{out}");
    let fixed = common::serve(&[]);
    let (code, out) = replay(&fixed);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("-> HTTP 204 (the run got 200)"), "{out}");
    // What the script created is gone again.
    let (_, list) = http(&fixed.1, "GET", "/v2/images", None);
    assert!(!list.contains("imgconf-"), "{list}");
}

#[test]
fn report_html_lists_the_failures_first_with_links() {
    let (reports, code, out) = run_reporting(&["run", "--cases", "tests/data/failing"]);
    assert_eq!(code, 101, "{out}");
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap();
    let failures = html
        .find("<h2 id=\"failures\">Failures (")
        .expect("a failures list");
    assert!(failures < html.find("<table>").unwrap(), "{html}");
    let link = html[failures..].find("<a href=\"#case-").unwrap() + failures;
    let target = &html[link + 10..];
    let id = &target[..target.find('"').unwrap()];
    assert!(
        html.contains(&format!("<details id=\"{id}\"")),
        "{id}: {html}"
    );
}

#[test]
fn every_results_json_validates_against_the_shipped_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/results.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    // Passes, failures with evidence, skips, deviations, faults.
    let runs: [&[&str]; 4] = [
        &["run"],
        &["run", "--cases", "tests/data/failing"],
        &["run", "--reference-stores", "memory", "stores::"],
        &["run", "--fault", "min-ram-as-string", "--profile", "glance"],
    ];
    for args in runs {
        let (reports, code, out) = run_reporting(args);
        assert!(code == 0 || code == 101, "{args:?}: {out}");
        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(reports.path().join("results.json")).unwrap(),
        )
        .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .take(10)
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
}

/// The policy a target enforces is observed with the `reader` persona when not declared: the
/// cases that depend on it then run under the right one, and without a reader they are skipped
/// with the reason.
#[test]
fn the_policy_is_observed_when_not_declared() {
    let run_on = |server: &common::Server, auth: &str| {
        run_reporting(&[
            "run",
            "--endpoint",
            &server.1,
            "--auth",
            auth,
            "stores::owner-delete",
        ])
    };
    for (policy, runs, skipped) in [
        (
            "srbac",
            "stores::owner-delete-from-a-store-under-secure-rbac-is-403",
            "stores::owner-deletes-from-a-store-under-the-legacy-policy",
        ),
        (
            "legacy",
            "stores::owner-deletes-from-a-store-under-the-legacy-policy",
            "stores::owner-delete-from-a-store-under-secure-rbac-is-403",
        ),
    ] {
        let server = common::serve(&["--policy", policy]);
        let (_reports, code, out) = run_on(&server, "trusted-headers");
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!(
                "imgconf: policy: {policy} (detected: a project reader may"
            )),
            "{out}"
        );
        assert!(out.contains(&format!("test {runs} ")), "{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("test {runs} ")) && l.ends_with("ok")),
            "{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("test {skipped} ")) && l.contains("ignored")),
            "{out}"
        );
    }
    // No personas, so no reader to observe with.
    let server = common::serve(&[]);
    let (_reports, code, out) = run_on(&server, "none");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imgconf: policy: unknown (no `reader` persona to observe it with: --persona reader=CLOUD or --dynamic-personas give one)"), "{out}");
    // An answer that tells neither policy: the cases that depend on it are skipped, saying why.
    let server = common::serve(&["--fault", "create-answers-200"]);
    let (reports, code, out) = run_on(&server, "trusted-headers");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imgconf: policy: unknown (a project reader's POST /v2/images answered 200, which tells neither policy); the cases whose answer depends on it are skipped: give --policy legacy|srbac"), "{out}");
    let results = std::fs::read_to_string(reports.path().join("results.json")).unwrap();
    assert_eq!(
        results
            .matches("which the run was not told and could not observe (the banner says why): give --policy legacy|srbac")
            .count(),
        2,
        "{results}"
    );
}
