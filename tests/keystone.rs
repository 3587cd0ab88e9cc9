//! Keystone authentication end to end, against a fake Keystone the test serves: where
//! credentials come from (clouds.yaml + secure.yaml and their search order, OS_* variables under
//! flags), which catalog endpoint is used, renewal of a refused or expiring token, and the one
//! clear error of a wrong password.

mod common;
#[path = "common/keystone.rs"]
mod fake;

use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

const CASES: &str = "tests/data/keystone";

/// The binary with no OS_* or persona variables of the caller's shell, HOME and the working
/// directory in `dir` (so no real clouds.yaml is found), reports under `dir`.
fn imgconf(dir: &Path) -> Command {
    let mut c = common::bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("OS_") || k.starts_with("IMGCONF_") || k == "XDG_CONFIG_HOME" {
            c.env_remove(k);
        }
    }
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    c.env("HOME", &home);
    c.arg("run")
        .arg("--cases")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(CASES))
        .arg("--report-dir")
        .arg(dir.join("reports"))
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .args(["--test-threads", "1"]);
    c
}

fn console(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A clouds.yaml with one cloud per user (`c-owner`, `c-other`, `c-admin`), no passwords.
fn clouds_yaml(ks: &fake::FakeKeystone, users: &[&str]) -> String {
    let mut s = String::from("clouds:\n");
    for u in users {
        s.push_str(&format!(
            "  c-{u}:\n    auth:\n      auth_url: {}\n      username: {u}\n      project_name: proj-{u}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n",
            ks.auth_url()
        ));
    }
    s
}

fn secure_yaml(ks: &fake::FakeKeystone, users: &[&str]) -> String {
    let mut s = String::from("clouds:\n");
    for u in users {
        let pw = ks.state().users[*u].0.clone();
        s.push_str(&format!("  c-{u}:\n    auth:\n      password: {pw}\n"));
    }
    s
}

#[test]
fn clouds_yaml_with_secure_yaml_drives_owner_and_personas() {
    let ks = fake::start(fake::default_state());
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    // clouds.yaml in the working directory, its passwords in ~/.config/openstack/secure.yaml.
    write(
        &cwd.join("clouds.yaml"),
        &clouds_yaml(&ks, &["owner", "other"]),
    );
    let home_os = dir.path().join("home/.config/openstack");
    write(
        &home_os.join("secure.yaml"),
        &secure_yaml(&ks, &["owner", "other"]),
    );
    let o = imgconf(dir.path())
        .current_dir(&cwd)
        .args(["--os-cloud", "c-owner", "--persona", "other=c-other"])
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("2 passed"), "{text}");
    let owner = ks.tokens_of("owner");
    let other = ks.tokens_of("other");
    assert_eq!((owner.len(), other.len()), (1, 1), "one token each");
    assert_eq!(owner[0].method, "password");
    assert_eq!(
        owner[0].scope,
        json!({"project": {"name": "proj-owner", "domain": {"name": "Default"}}})
    );
    // Each persona's request went out with its own token.
    let seen: Vec<String> = ks
        .state()
        .image_seen
        .iter()
        .map(|(t, _)| t.clone())
        .collect();
    assert!(seen.contains(&owner[0].token) && seen.contains(&other[0].token));
    assert!(text.contains(&format!("certifying {}", ks.root)), "{text}");
}

#[test]
fn the_first_clouds_yaml_found_wins_cwd_then_home_config() {
    let ks = fake::start(fake::default_state());
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    let home_os = dir.path().join("home/.config/openstack");
    // The same cloud name in both places; only the working directory's has the right user.
    write(&cwd.join("clouds.yaml"), &clouds_yaml(&ks, &["owner"]));
    write(
        &home_os.join("clouds.yaml"),
        &clouds_yaml(&ks, &["owner"]).replace("username: owner", "username: nobody"),
    );
    write(&home_os.join("secure.yaml"), &secure_yaml(&ks, &["owner"]));
    let o = imgconf(dir.path())
        .current_dir(&cwd)
        .env("OS_CLOUD", "c-owner")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    // Without the working directory's file, ~/.config/openstack/clouds.yaml is read.
    std::fs::remove_file(cwd.join("clouds.yaml")).unwrap();
    let o = imgconf(dir.path())
        .current_dir(&cwd)
        .env("OS_CLOUD", "c-owner")
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("user nobody"), "{text}");
    // An unknown cloud names every place searched.
    let o = imgconf(dir.path())
        .current_dir(&cwd)
        .env("OS_CLOUD", "nowhere")
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("cloud `nowhere`")
            && text.contains(&format!("read {}", home_os.join("clouds.yaml").display()))
            && text.contains("/etc/openstack"),
        "{text}"
    );
}

#[test]
fn os_variables_override_clouds_yaml_and_flags_override_both() {
    let ks = fake::start(fake::default_state());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("clouds.yaml");
    write(&cfg, &clouds_yaml(&ks, &["owner"]));
    let pw = ks.state().users["owner"].0.clone();
    let run = |flag: bool| {
        let mut c = imgconf(dir.path());
        c.env("OS_CLIENT_CONFIG_FILE", &cfg)
            .env("OS_CLOUD", "c-owner")
            .env("OS_PASSWORD", &pw)
            .env("OS_PROJECT_NAME", "from-env");
        if flag {
            c.args(["--os-project-name", "from-flag"]);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    };
    run(false);
    run(true);
    let scopes: Vec<String> = ks
        .tokens_of("owner")
        .iter()
        .map(|t| t.scope["project"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(scopes, ["from-env", "from-flag"]);
}

#[test]
fn catalog_endpoint_follows_interface_and_region_and_endpoint_overrides_it() {
    let mut state = fake::default_state();
    let server = common::serve(&[]);
    state.catalog = json!([{"type": "image", "endpoints": [
        {"interface": "public", "region_id": "RegionOne", "url": "http://127.0.0.1:9"},
        {"interface": "internal", "region_id": "RegionOne", "url": "{image}/v2/"},
        {"interface": "public", "region_id": "RegionTwo", "url": "{image}"}
    ]}]);
    let ks = fake::start(state);
    let dir = tempfile::tempdir().unwrap();
    let pw = ks.state().users["owner"].0.clone();
    let base = || {
        let mut c = imgconf(dir.path());
        c.env("OS_AUTH_URL", ks.auth_url())
            .env("OS_USERNAME", "owner")
            .env("OS_PASSWORD", &pw)
            .env("OS_PROJECT_NAME", "proj-owner")
            .arg("owner-token");
        c
    };
    let certified = |o: &Output| {
        let text = console(o);
        assert_eq!(o.status.code(), Some(0), "{text}");
        text.lines()
            .find_map(|l| l.strip_prefix("imgconf: certifying "))
            .and_then(|l| l.split(',').next())
            .unwrap()
            .to_string()
    };
    let o = base().env("OS_INTERFACE", "internal").output().unwrap();
    assert_eq!(certified(&o), ks.root, "internal, version suffix dropped");
    let o = base()
        .args(["--os-region-name", "RegionTwo"])
        .output()
        .unwrap();
    assert_eq!(certified(&o), ks.root);
    // The default (public, any region) is the dead first entry: the run says it cannot reach it.
    let o = base().output().unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("http://127.0.0.1:9"), "{text}");
    let o = base().args(["--os-interface", "admin"]).output().unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("no `image` endpoint with interface admin"),
        "{text}"
    );
    // --endpoint wins over the catalog (the reference server has no GET / 401 check).
    let o = base().args(["--endpoint", &server.1]).output().unwrap();
    // The reference server says what it is, and the run names it.
    assert_eq!(
        certified(&o),
        format!("{} (imgconf's reference server)", server.1)
    );
}

#[test]
fn a_token_answered_401_is_renewed_once_and_the_case_passes() {
    let mut state = fake::default_state();
    state.revoke_first = true;
    let ks = fake::start(state);
    let dir = tempfile::tempdir().unwrap();
    let pw = ks.state().users["owner"].0.clone();
    let o = imgconf(dir.path())
        .args(["--os-auth-url", &ks.auth_url(), "--os-username", "owner"])
        .args(["--os-project-name", "proj-owner"])
        .env("OS_PASSWORD", &pw)
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("renewed the Keystone token of persona owner (the endpoint answered 401)"),
        "{text}"
    );
    let tokens = ks.tokens_of("owner");
    assert_eq!(tokens.len(), 2, "renewed exactly once");
    let seen = ks.state().image_seen.clone();
    assert_eq!(seen[0], (tokens[0].token.clone(), 401));
    assert!(seen[1..]
        .iter()
        .all(|(t, s)| *t == tokens[1].token && *s == 300));
}

#[test]
fn a_token_close_to_expiry_is_renewed_before_use() {
    let mut state = fake::default_state();
    state.first_expires_in = Some(30);
    let ks = fake::start(state);
    let dir = tempfile::tempdir().unwrap();
    let o = imgconf(dir.path())
        .env("OS_AUTH_URL", ks.auth_url())
        .env("OS_APPLICATION_CREDENTIAL_ID", "ac-owner")
        .env("OS_APPLICATION_CREDENTIAL_SECRET", "ac-secret-5b8d02")
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("(its token was close to expiry)"), "{text}");
    let tokens = ks.tokens_of("owner");
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].method, "application_credential");
    assert!(
        tokens[0].scope.is_null(),
        "an application credential is not scoped again"
    );
    let seen = ks.state().image_seen.clone();
    assert!(seen.iter().all(|(t, _)| *t == tokens[1].token), "{seen:?}");
}

#[test]
fn a_wrong_password_is_one_error_before_any_case() {
    let ks = fake::start(fake::default_state());
    let dir = tempfile::tempdir().unwrap();
    let o = imgconf(dir.path())
        .env("OS_AUTH_URL", ks.auth_url())
        .env("OS_USERNAME", "owner")
        .env("OS_PASSWORD", "not-the-password-4471")
        .env("OS_PROJECT_NAME", "proj-owner")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let text = console(&o);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].starts_with("imgconf: error: the main credentials: Keystone at ")
            && lines[0].contains("refused the credentials (password of user owner")
            && lines[0].contains("401 The request you have made requires authentication."),
        "{text}"
    );
    assert!(!text.contains("not-the-password-4471"));
    assert!(
        ks.state().image_seen.is_empty(),
        "no request reached the endpoint"
    );
    assert!(!dir.path().join("reports").exists(), "no case ran");
}

#[test]
fn an_unconfigured_persona_skips_its_cases_with_the_reason() {
    let ks = fake::start(fake::default_state());
    let dir = tempfile::tempdir().unwrap();
    let pw = ks.state().users["owner"].0.clone();
    let o = imgconf(dir.path())
        .env("OS_AUTH_URL", ks.auth_url())
        .env("OS_USERNAME", "owner")
        .env("OS_PASSWORD", &pw)
        .env("OS_PROJECT_NAME", "proj-owner")
        .output()
        .unwrap();
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let results = std::fs::read_to_string(dir.path().join("reports/results.json")).unwrap();
    let r: serde_json::Value = serde_json::from_str(&results).unwrap();
    let skipped = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "selftest.keystone::other-persona-has-its-own-token")
        .unwrap();
    assert_eq!(skipped["verdict"], "skip");
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .contains("needs persona(s) other, not configured for this run"),
        "{skipped}"
    );
    assert_eq!(r["run"]["identity"], "keystone (personas owner)");
}
