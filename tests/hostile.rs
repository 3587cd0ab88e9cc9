//! Broken or hostile endpoints: every case ends failed or errored with a one-line reason and the
//! evidence; the harness never panics, never hangs past its timeouts and never reads without bound.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const VERSIONS: &str = r#"{"versions":[{"id":"v2.17","status":"CURRENT","links":[{"rel":"self","href":"http://x/v2/"}]}]}"#;

#[derive(Clone, Copy)]
enum Misbehaviour {
    NeverAnswers,
    NotJson,
    WrongTopLevelType,
    Huge,
    Truncated,
    RedirectLoop,
    CloseDelimited,
    /// Answers properly, but 3 s late (more than the run's 1 s request timeout).
    Slow,
    /// Sends the headers at once, then the body one byte every 400 ms.
    Trickle,
    /// Declares more bytes than it sends and keeps the connection open.
    LongerThanSent,
    /// Declares fewer bytes than the JSON body it sends.
    ShorterThanSent,
}

/// A server that answers `GET /` properly (so the run starts) and misbehaves on everything else.
fn hostile(kind: Misbehaviour) -> String {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]);
                    if head.starts_with("GET / ") {
                        let resp = format!("HTTP/1.1 300 Multiple Choices\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{VERSIONS}", VERSIONS.len());
                        let _ = sock.write_all(resp.as_bytes()).await;
                        return;
                    }
                    let reply: &[u8] = match kind {
                        Misbehaviour::NeverAnswers => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return;
                        }
                        Misbehaviour::NotJson => b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n<html>oops",
                        Misbehaviour::WrongTopLevelType => b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n[1,2,3]",
                        Misbehaviour::Truncated => b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":",
                        Misbehaviour::RedirectLoop => b"HTTP/1.1 302 Found\r\nLocation: /v2/images\r\nContent-Length: 0\r\n\r\n",
                        Misbehaviour::CloseDelimited => b"HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"message\":\"no\"}",
                        Misbehaviour::Slow => {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                        }
                        Misbehaviour::Trickle => {
                            let _ = sock.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n").await;
                            for _ in 0..100 {
                                tokio::time::sleep(Duration::from_millis(400)).await;
                                if sock.write_all(b" ").await.is_err() {
                                    return;
                                }
                            }
                            return;
                        }
                        Misbehaviour::LongerThanSent => {
                            let _ = sock.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}").await;
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return;
                        }
                        Misbehaviour::ShorterThanSent => b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"id\":\"7c1d7f6e\",\"name\":\"x\"}",
                        Misbehaviour::Huge => {
                            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n").await;
                            let chunk = vec![b' '; 1 << 20];
                            for _ in 0..10240 {
                                if sock.write_all(&chunk).await.is_err() {
                                    return;
                                }
                            }
                            return;
                        }
                    };
                    let _ = sock.write_all(reply).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
    });
    format!("http://{addr}")
}

struct Outcome {
    code: Option<i32>,
    console: String,
    junit: String,
    took: Duration,
    /// The reasons results.json gives, one per case.
    reasons: Vec<String>,
}

fn certify(endpoint: &str, filter: &str) -> Outcome {
    certify_within(endpoint, filter, "2")
}

fn certify_within(endpoint: &str, filter: &str, timeout: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("j.xml");
    let started = Instant::now();
    let o = common::bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--endpoint",
            endpoint,
            "--auth",
            "none",
            "--timeout",
            timeout,
            "--connect-timeout",
            "2",
            "--exact",
            filter,
        ])
        .arg("--report-dir")
        .arg(dir.path().join("r"))
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    Outcome {
        code: o.status.code(),
        console: format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        junit: std::fs::read_to_string(&junit).unwrap_or_default(),
        took: started.elapsed(),
        reasons: std::fs::read_to_string(dir.path().join("r/results.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["cases"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|c| c["reason"].as_str().unwrap_or_default().to_string())
            .collect(),
    }
}

/// The single case ended with a one-line reason containing `what`.
fn assert_reason(o: &Outcome, what: &str) {
    assert_eq!(o.reasons.len(), 1, "{}", o.console);
    let r = &o.reasons[0];
    assert!(
        r.contains(what) && !r.contains('\n'),
        "reason {r:?}: {}",
        o.console
    );
}

/// The run stopped before any case with exit 2 and one line that says why.
fn assert_unreachable(o: &Outcome, why: &str) {
    assert_eq!(o.code, Some(2), "{}", o.console);
    let line = o
        .console
        .lines()
        .find(|l| l.contains("cannot reach the endpoint"))
        .unwrap_or_else(|| panic!("{}", o.console));
    assert!(line.contains(why), "{line}");
    assert!(!o.console.contains("panicked"), "{}", o.console);
    assert!(o.junit.is_empty(), "no report before any case: {}", o.junit);
}

fn assert_no_panic(o: &Outcome) {
    assert!(!o.console.contains("panicked"), "{}", o.console);
    assert!(o.code == Some(101), "exit {:?}: {}", o.code, o.console);
}

#[test]
fn server_that_never_answers_times_out_as_a_harness_error() {
    let o = certify(
        &hostile(Misbehaviour::NeverAnswers),
        "images.show::unknown-id-is-404",
    );
    assert_no_panic(&o);
    assert!(
        o.console.contains("no answer from http://127.0.0.1:") && o.console.contains("within 2 s"),
        "{}",
        o.console
    );
    assert!(
        o.junit.contains("<error") && o.junit.contains("harness error"),
        "{}",
        o.junit
    );
    assert!(o.took < Duration::from_secs(20), "took {:?}", o.took);
}

#[test]
fn non_json_where_json_is_expected_is_a_failure_with_the_body() {
    let o = certify(
        &hostile(Misbehaviour::NotJson),
        "images.create::returns-201-location-and-entity",
    );
    assert_no_panic(&o);
    assert!(
        o.console.contains("status: expected 201, got 404"),
        "{}",
        o.console
    );
    assert!(
        o.console
            .contains("expected a JSON body: not JSON (Content-Type: application/json)"),
        "{}",
        o.console
    );
    assert!(
        o.console.contains("<html>oop"),
        "evidence shows the body: {}",
        o.console
    );
    assert!(o.junit.contains("<failure"), "{}", o.junit);
}

#[test]
fn json_of_the_wrong_shape_fails_the_checks() {
    let o = certify(
        &hostile(Misbehaviour::WrongTopLevelType),
        "images.create::returns-201-location-and-entity",
    );
    assert_no_panic(&o);
    assert!(
        o.console
            .contains("cannot capture `image_id` from body.id: absent"),
        "{}",
        o.console
    );
    assert!(
        o.console
            .contains("does not validate against schema `image`"),
        "{}",
        o.console
    );
}

#[test]
fn huge_body_is_read_only_up_to_the_bound() {
    let o = certify(
        &hostile(Misbehaviour::Huge),
        "images.show::unknown-id-is-404",
    );
    assert_no_panic(&o);
    assert!(
        o.console
            .contains("the response body is larger than 16777216 bytes; stopped reading"),
        "{}",
        o.console
    );
    assert!(o.junit.contains("<error"), "{}", o.junit);
    assert!(o.took < Duration::from_secs(30), "took {:?}", o.took);
}

#[test]
fn truncated_body_is_a_transport_error() {
    let o = certify(
        &hostile(Misbehaviour::Truncated),
        "images.create::returns-201-location-and-entity",
    );
    assert_no_panic(&o);
    assert!(o.junit.contains("<error"), "{}", o.console);
    assert!(
        o.console.contains("POST http://127.0.0.1:"),
        "{}",
        o.console
    );
}

#[test]
fn redirects_are_not_followed() {
    let o = certify(
        &hostile(Misbehaviour::RedirectLoop),
        "images.list::shows-a-created-image",
    );
    assert_no_panic(&o);
    assert!(
        o.console.contains("status: expected 201, got 302"),
        "{}",
        o.console
    );
}

#[test]
fn http_1_0_close_delimited_responses_are_read() {
    let o = certify(
        &hostile(Misbehaviour::CloseDelimited),
        "images.show::unknown-id-is-404",
    );
    assert_eq!(o.code, Some(0), "{}", o.console);
}

#[test]
fn refused_connection_stops_the_run_before_any_case() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = certify(
        &format!("http://127.0.0.1:{port}"),
        "images.show::unknown-id-is-404",
    );
    assert_eq!(o.code, Some(2), "{}", o.console);
    assert!(
        o.console.contains("cannot reach the endpoint"),
        "{}",
        o.console
    );
}

#[test]
fn unresolvable_host_stops_the_run_with_the_dns_failure() {
    let o = certify(
        "http://imgconf-does-not-exist.invalid:9292",
        "images.show::unknown-id-is-404",
    );
    assert_unreachable(&o, "DNS lookup failed");
    assert!(o.took < Duration::from_secs(20), "took {:?}", o.took);
}

/// A loopback port whose server accepts TCP and answers anything with plain-text garbage.
fn plain_tcp_garbage() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            use std::io::{Read, Write};
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf);
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\n\r\nthis is not TLS\x00\x01");
        }
    });
    port
}

#[test]
fn tls_handshake_with_a_plain_tcp_server_fails_with_a_reason() {
    let port = plain_tcp_garbage();
    let o = certify(
        &format!("https://127.0.0.1:{port}"),
        "images.show::unknown-id-is-404",
    );
    assert_unreachable(&o, "TLS handshake failed");
    assert!(o.took < Duration::from_secs(20), "took {:?}", o.took);
}

#[test]
fn untrusted_self_signed_certificate_fails_the_tls_handshake() {
    // openssl(1) makes the certificate and serves it; without it, the plain-TCP test above
    // still covers a failed handshake.
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: no openssl(1) to serve a self-signed certificate");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(dir.path().join("k.pem"))
        .arg("-out")
        .arg(dir.path().join("c.pem"))
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &port.to_string(),
            "-cert",
        ])
        .arg(dir.path().join("c.pem"))
        .arg("-key")
        .arg(dir.path().join("k.pem"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = certify(
        &format!("https://127.0.0.1:{port}"),
        "images.show::unknown-id-is-404",
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_unreachable(&o, "TLS handshake failed");
    assert!(o.console.contains("certificate"), "{}", o.console);
}

#[test]
fn server_slower_than_the_timeout_errors_within_the_bound() {
    let o = certify_within(
        &hostile(Misbehaviour::Slow),
        "images.show::unknown-id-is-404",
        "1",
    );
    assert_no_panic(&o);
    assert_reason(&o, "within 1 s");
    assert!(
        o.junit.contains("<error type=\"harness error\""),
        "{}",
        o.junit
    );
    // One request of the case times out; the run ends soon after (timeout plus margin).
    assert!(o.took < Duration::from_secs(8), "took {:?}", o.took);
}

#[test]
fn body_trickling_slower_than_the_timeout_errors_within_the_bound() {
    let o = certify_within(
        &hostile(Misbehaviour::Trickle),
        "images.show::unknown-id-is-404",
        "1",
    );
    assert_no_panic(&o);
    assert_reason(&o, "within 1 s");
    assert!(o.junit.contains("<error"), "{}", o.junit);
    assert!(o.took < Duration::from_secs(8), "took {:?}", o.took);
}

#[test]
fn content_length_longer_than_the_body_sent_errors_within_the_bound() {
    let o = certify(
        &hostile(Misbehaviour::LongerThanSent),
        "images.show::unknown-id-is-404",
    );
    assert_no_panic(&o);
    assert_reason(&o, "within 2 s");
    assert!(o.junit.contains("<error"), "{}", o.junit);
    assert!(o.took < Duration::from_secs(12), "took {:?}", o.took);
}

#[test]
fn content_length_shorter_than_the_body_is_what_is_read() {
    // The client reads the declared 5 bytes (`{"id"`): not JSON, a conformance failure.
    let o = certify(
        &hostile(Misbehaviour::ShorterThanSent),
        "images.create::returns-201-location-and-entity",
    );
    assert_no_panic(&o);
    assert_reason(&o, "(and 2 more)");
    assert!(
        o.console.contains("expected a JSON body: not JSON"),
        "{}",
        o.console
    );
    assert!(
        o.junit.contains("<failure type=\"conformance failure\""),
        "{}",
        o.junit
    );
    assert!(o.console.contains("{\"id\""), "{}", o.console);
}
