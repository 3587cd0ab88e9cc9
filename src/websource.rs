//! Data for web-download cases: a URL the target can fetch, and the digests of what is there.
//!
//! When the target runs on this machine (or is the built-in server) the run serves the data
//! itself: a small HTTP server on 127.0.0.1 with pseudo-random bytes whose digests it knows.
//! An operator of a remote cloud gives a URL that cloud can reach instead, with the SHA-512 of
//! its content (`--web-download-url`, `--web-download-sha512`). Cases read them as
//! `{{$web_download_url}}` and `{{$web_download_sha512}}`, and require the feature
//! [`FEATURE`]; without a source they are skipped with the reason.

use std::net::{IpAddr, SocketAddr};

use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha512};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The feature a run has when it knows a web-download source.
pub const FEATURE: &str = "web-download-source";

/// Size of the served data: a little over 1 MiB, not a multiple of any block size.
pub const SIZE: usize = (1 << 20) + 7;
const SEED: u64 = 0x1a2b_3c4d;
const PATH: &str = "/imgconf/web-download.raw";

/// A URL with known content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSource {
    pub url: String,
    /// Hex SHA-512 of the content (what the image's `os_hash_value` must become).
    pub sha512: String,
}

impl WebSource {
    /// An operator's URL and digest, checked for shape.
    pub fn given(url: &str, sha512: Option<&str>) -> Result<WebSource, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("--web-download-url: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("--web-download-url must be an http or https URL".into());
        }
        let sha512 = sha512
            .ok_or(
                "--web-download-url needs --web-download-sha512 (the hex SHA-512 of its content)",
            )?
            .trim()
            .to_ascii_lowercase();
        if sha512.len() != 128 || !sha512.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("--web-download-sha512 must be 128 hex digits".into());
        }
        Ok(WebSource {
            url: url.to_string(),
            sha512,
        })
    }
}

/// Whether an endpoint URL points at this machine (so a server of ours on 127.0.0.1 is
/// reachable from it).
pub fn is_local(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The run's own data server; stops when dropped.
pub struct LocalSource {
    pub source: WebSource,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for LocalSource {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves the data on 127.0.0.1 (a free port) until the returned value is dropped.
pub async fn serve_local() -> std::io::Result<LocalSource> {
    let data = bytes::Bytes::from(crate::diskimage::pseudo_random(SIZE, SEED));
    let sha512 = hex::encode(Sha512::digest(&data));
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route(
        PATH,
        axum::routing::get(move || {
            let data = data.clone();
            async move {
                let mut response: Response = data.into_response();
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                response
            }
        }),
    );
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(LocalSource {
        source: WebSource {
            url: format!("http://{addr}{PATH}"),
            sha512,
        },
        shutdown: Some(tx),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_endpoints() {
        assert!(is_local("http://127.0.0.1:9292"));
        assert!(is_local("http://127.8.0.1/"));
        assert!(is_local("http://localhost:9292/glance"));
        assert!(is_local("http://[::1]:9292"));
        assert!(!is_local("https://image.example.com"));
        assert!(!is_local("http://10.0.0.5:9292"));
        assert!(!is_local("not a url"));
    }

    #[test]
    fn an_operator_source_needs_a_digest() {
        let digest = "a".repeat(128);
        let s = WebSource::given("http://example.com/x.raw", Some(&digest)).unwrap();
        assert_eq!(s.sha512, digest);
        assert!(WebSource::given("http://example.com/x.raw", None).is_err());
        assert!(WebSource::given("http://example.com/x.raw", Some("abc")).is_err());
        assert!(WebSource::given("ftp://example.com/x.raw", Some(&digest)).is_err());
    }

    #[tokio::test]
    async fn the_local_source_serves_what_it_announces() {
        let local = serve_local().await.unwrap();
        assert!(local.source.url.starts_with("http://127.0.0.1:"));
        let body = reqwest::get(&local.source.url)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(body.len(), SIZE);
        assert_eq!(hex::encode(Sha512::digest(&body)), local.source.sha512);
    }
}
