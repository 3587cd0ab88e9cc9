//! Secrets never reach output: a token given to a run appears in no console line and no report
//! file, failures and curl lines included.

mod common;

const SECRET: &str = "sentinel-token-5f1d2c9a";

#[test]
fn a_token_appears_in_no_output_and_no_report() {
    let server = common::serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("run");
    let junit = dir.path().join("junit.xml");
    let o = common::bin()
        .args([
            "run",
            "--endpoint",
            &server.1,
            "--auth",
            "none",
            "--cases",
            "tests/data/failing",
            "--token",
            SECRET,
        ])
        .arg("--report-dir")
        .arg(&reports)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101));
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        console.contains("-H 'X-Auth-Token: ***'"),
        "the token was sent, masked: {console}"
    );
    assert!(!console.contains(SECRET), "console shows the token");
    let mut files = vec![junit];
    files.extend(
        std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    assert_eq!(files.len(), 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains(SECRET), "{} contains the token", f.display());
    }
}
