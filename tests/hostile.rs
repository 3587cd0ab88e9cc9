//! Broken or hostile endpoints: every case ends failed or errored with a one-line reason and the
//! evidence; the harness never panics, never hangs past its timeouts and never reads without bound.

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
}

fn certify(endpoint: &str, filter: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("j.xml");
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_imgconf"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--endpoint",
            endpoint,
            "--auth",
            "none",
            "--timeout",
            "2",
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
    }
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
