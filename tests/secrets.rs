//! Secrets never reach output: a token given to a run appears in no console line and no report
//! file, failures and curl lines included.

mod common;

const SECRET: &str = "sentinel-token-5f1d2c9a";

/// Every file a run wrote in its results folder, the `reproduce/` scripts included; the run's
/// usual files must all be there (a failed case makes at least one script).
fn report_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    let names: Vec<String> = out
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    for want in [
        "junit.xml",
        "results.json",
        "report.html",
        "summary.md",
        "created.jsonl",
    ] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("reproduce/") && n.ends_with(".sh")),
        "no reproduce script in {names:?}"
    );
    out
}

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
    files.extend(report_files(&reports));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains(SECRET), "{} contains the token", f.display());
    }
}

#[path = "common/keystone.rs"]
mod fake;

/// With Keystone: the application credential secret, a persona's password (from secure.yaml) and
/// every token obtained at run time appear in no console line and no report file.
#[test]
fn keystone_secrets_and_run_time_tokens_appear_nowhere() {
    let server = common::serve(&[]);
    let mut state = fake::default_state();
    state.catalog = serde_json::json!([{"type": "image", "endpoints": [
        {"interface": "public", "region_id": "RegionOne", "url": server.1}]}]);
    let ks = fake::start(state);
    let other_pw = ks.state().users["other"].0.clone();
    let ac_secret = ks.state().app_creds["ac-owner"].0.clone();
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    let secure = dir.path().join("secure.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  main:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {0}\n      application_credential_id: ac-owner\n  other:\n    auth:\n      auth_url: {0}\n      username: other\n      project_name: proj-other\n",
            ks.auth_url()
        ),
    )
    .unwrap();
    std::fs::write(
        &secure,
        format!("clouds:\n  main:\n    auth:\n      application_credential_secret: {ac_secret}\n  other:\n    auth:\n      password: {other_pw}\n"),
    )
    .unwrap();
    let reports = dir.path().join("run");
    let junit = dir.path().join("junit.xml");
    let mut c = common::bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("OS_") || k.starts_with("IMGCONF_") {
            c.env_remove(k);
        }
    }
    let o = c
        .env("HOME", dir.path())
        .env("OS_CLIENT_CONFIG_FILE", &clouds)
        .env("OS_CLIENT_SECURE_FILE", &secure)
        .env("OS_CLOUD", "main")
        .env("IMGCONF_PERSONA_OTHER", "other")
        .args(["run", "--cases", "tests/data/failing"])
        .arg("--report-dir")
        .arg(&reports)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(101), "{console}");
    assert!(
        console.contains("-H 'X-Auth-Token: ***'"),
        "the run-time token was sent, masked: {console}"
    );
    let mut secrets = vec![other_pw, ac_secret];
    let tokens: Vec<String> = ks.state().issued.iter().map(|t| t.token.clone()).collect();
    assert_eq!(tokens.len(), 2, "a token for the owner and one for other");
    secrets.extend(tokens);
    let mut texts = vec![("console".to_string(), console)];
    texts.push((
        junit.display().to_string(),
        std::fs::read_to_string(&junit).unwrap(),
    ));
    for p in report_files(&reports) {
        texts.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).unwrap(),
        ));
    }
    for (name, text) in &texts {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{name} contains a secret");
        }
    }
}
