//! Safety on a shared target: a run interrupted halfway deletes what it created; a run killed
//! outright leaves images that `imgconf cleanup` sweeps; nothing else on the target is touched.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, Server};

/// `imgconf serve` answering every request 40 ms late.
fn serve() -> Server {
    common::serve(&["--latency-ms", "40"])
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Names of every image on the server.
fn names(url: &str) -> Vec<String> {
    rt().block_on(async {
        let body: serde_json::Value = reqwest::get(format!("{url}/v2/images?limit=1000"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap_or("").to_string())
            .collect()
    })
}

fn create(url: &str, name: &str) {
    rt().block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{url}/v2/images"))
            .json(&serde_json::json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    });
}

/// Starts a run of the cases matching `filter` against `url`; waits until it has created an image.
fn run_until_it_creates(url: &str, run_id: &str, filter: &str) -> Child {
    let tmp = std::env::temp_dir();
    let child = bin()
        .args([
            "run",
            "--endpoint",
            url,
            "--auth",
            "none",
            "--test-threads",
            "1",
            "--run-id",
            run_id,
            filter,
        ])
        .arg("--report-dir")
        .arg(tmp.join(format!("imgconf-{run_id}")))
        .arg("--junit")
        .arg(tmp.join(format!("imgconf-{run_id}.xml")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !names(url)
        .iter()
        .any(|n| n.starts_with(&format!("imgconf-{run_id}-")))
    {
        assert!(Instant::now() < deadline, "the run created nothing");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success());
}

#[test]
fn interrupted_run_cleans_up_and_leaves_the_rest() {
    let server = serve();
    create(&server.1, "not-made-by-imgconf");
    let child = run_until_it_creates(&server.1, "abcd0001", "images.list::");
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let console = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: finishing running cases"),
        "{err}"
    );
    assert!(
        err.contains("imgconf: interrupted; what the run created has been deleted"),
        "{err}"
    );
    assert!(
        console.contains("ignored (not run: the run was interrupted)"),
        "{console}"
    );
    assert_eq!(names(&server.1), ["not-made-by-imgconf"]);
}

#[test]
fn killed_run_leaves_images_that_cleanup_sweeps() {
    let server = serve();
    create(&server.1, "not-made-by-imgconf");
    create(&server.1, "imgconf-otherrun-x"); // not a run id's shape: never swept
                                             // The pagination case keeps its five images through several requests: time to kill it.
    let mut child =
        run_until_it_creates(&server.1, "dead0001", "pagination-visits-every-image-once");
    signal(&child, "-KILL");
    let _ = child.wait();
    let left: Vec<String> = names(&server.1)
        .into_iter()
        .filter(|n| n.starts_with("imgconf-dead0001-"))
        .collect();
    assert!(!left.is_empty());

    let dry = bin()
        .args([
            "cleanup",
            "--endpoint",
            &server.1,
            "--run-id",
            "dead0001",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "{} resource(s) left by imgconf runs; nothing deleted (--dry-run)",
            left.len()
        )),
        "{text}"
    );
    assert!(
        names(&server.1)
            .iter()
            .filter(|n| n.starts_with("imgconf-dead0001-"))
            .count()
            == left.len()
    );

    let sweep = bin()
        .args(["cleanup", "--endpoint", &server.1])
        .output()
        .unwrap();
    assert!(
        sweep.status.success(),
        "{}",
        String::from_utf8_lossy(&sweep.stderr)
    );
    let mut rest = names(&server.1);
    rest.sort();
    assert_eq!(rest, ["imgconf-otherrun-x", "not-made-by-imgconf"]);
}
