//! TLS against a loopback server with certificates made here (rcgen): the CA given with
//! --cacert is trusted, a server asking for a client certificate gets --cert/--key, and
//! --insecure works but is announced in the console and every report.

mod common;
#[path = "common/keystone.rs"]
mod fake;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use tokio_rustls::rustls;

struct Pki {
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: Vec<u8>,
    client_pem: String,
    client_key_pem: String,
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "imgconf test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(DnType::CommonName, "imgconf client");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client.signed_by(&client_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        server_cert: server.der().clone(),
        server_key: server_key.serialize_der(),
        client_pem: client.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

fn server_config(p: &Pki, require_client_cert: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(p.ca_der.clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(p.server_key.clone().into());
    Arc::new(
        builder
            .with_single_cert(vec![p.server_cert.clone()], key)
            .unwrap(),
    )
}

/// Keystone and its image API over TLS; the owner's password in OS_PASSWORD.
fn run(ks: &fake::FakeKeystone, dir: &Path, extra: &[&str]) -> Output {
    run_env(ks, dir, extra, &[])
}

fn run_env(ks: &fake::FakeKeystone, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c: Command = common::bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("OS_") || k.starts_with("IMGCONF_") {
            c.env_remove(k);
        }
    }
    let pw = ks.state().users["owner"].0.clone();
    c.env("HOME", dir)
        .env("OS_AUTH_URL", ks.auth_url())
        .env("OS_USERNAME", "owner")
        .env("OS_PASSWORD", pw)
        .env("OS_PROJECT_NAME", "proj-owner")
        .arg("run")
        .arg("--cases")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystone"))
        .arg("--report-dir")
        .arg(dir.join("reports"))
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .args(extra)
        .arg("owner-token");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn console(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn cacert_trusts_the_server_and_without_it_the_run_stops() {
    let p = pki();
    let ks = fake::start_with(fake::default_state(), Some(server_config(&p, false)));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &p.ca_pem).unwrap();

    let o = run(&ks, dir.path(), &[]);
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("cannot reach Keystone"), "{text}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");

    let o = run(&ks, dir.path(), &["--cacert", ca.to_str().unwrap()]);
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!("certifying {}", ks.root)), "{text}");
    assert!(!text.contains("WARNING"), "{text}");

    // OS_CACERT is the same setting.
    let o = run_env(&ks, dir.path(), &[], &[("OS_CACERT", ca.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
}

#[test]
fn a_server_asking_for_a_client_certificate_gets_cert_and_key() {
    let p = pki();
    let ks = fake::start_with(fake::default_state(), Some(server_config(&p, true)));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let cert = dir.path().join("client.pem");
    let key = dir.path().join("client.key");
    std::fs::write(&ca, &p.ca_pem).unwrap();
    std::fs::write(&cert, &p.client_pem).unwrap();
    std::fs::write(&key, &p.client_key_pem).unwrap();
    let ca = ca.to_str().unwrap();

    let o = run(&ks, dir.path(), &["--cacert", ca]);
    assert_eq!(o.status.code(), Some(2), "{}", console(&o));

    let o = run(
        &ks,
        dir.path(),
        &[
            "--cacert",
            ca,
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert_eq!(
        ks.tokens_of("owner").len(),
        1,
        "only the run with the certificate got a token"
    );

    // A key without its certificate is a usage error.
    let o = run(&ks, dir.path(), &["--key", key.to_str().unwrap()]);
    let text = console(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("needs a client certificate (--cert)"),
        "{text}"
    );
}

#[test]
fn insecure_connects_and_every_report_says_so() {
    let p = pki();
    let ks = fake::start_with(fake::default_state(), Some(server_config(&p, false)));
    let dir = tempfile::tempdir().unwrap();
    let o = run(&ks, dir.path(), &["--insecure"]);
    let text = console(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("imgconf: WARNING: TLS certificate verification is OFF"),
        "{text}"
    );
    let reports = dir.path().join("reports");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["run"]["config"]["insecure"], "true");
    assert!(results["run"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("verification is OFF"));
    for f in ["report.html", "summary.md", "junit.xml"] {
        let t = std::fs::read_to_string(reports.join(f)).unwrap();
        assert!(t.contains("TLS certificate verification is OFF"), "{f}");
    }
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("<property name=\"warning\" value=\"TLS certificate verification is OFF")
    );
}
