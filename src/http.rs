//! Talking to the target: one client for the run, bounded reads, and a record of every exchange
//! (what was sent, what came back) that failure messages and reports show. Who the requests
//! come from is not this module's business: an [`Auth`] the run attaches supplies credentials
//! and renews them.

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Headers whose values are secrets: shown as `***` everywhere.
const SECRET_HEADERS: [&str; 4] = [
    "x-auth-token",
    "x-subject-token",
    "authorization",
    "proxy-authorization",
];
/// How much of a body is kept as evidence.
const EVIDENCE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Responses larger than this are not read further; the exchange fails with that reason.
    pub max_body: usize,
    /// CA certificates, client certificate, or no verification.
    pub tls: crate::auth::tls::TlsSettings,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            max_body: 16 * 1024 * 1024,
            tls: Default::default(),
        }
    }
}

/// What authenticates the requests of a run, seen from the HTTP side: it may put fresher
/// credentials into a request's headers before it is sent, and once after the target answered
/// 401. How credentials are obtained, and what is said about it, is the implementation's
/// business (the run's tokens are kept in `auth`).
pub trait Auth: Send + Sync + std::fmt::Debug {
    /// The headers to send in place of `headers` (a credential close to expiry replaced), or
    /// `None` when they carry no credential this one manages: the request then goes as is, and
    /// a 401 stands.
    fn prepare<'a>(
        &'a self,
        headers: &'a [(String, String)],
    ) -> BoxFuture<'a, Option<Vec<(String, String)>>>;

    /// The target answered 401 to `headers` (as [`Auth::prepare`] gave them): headers with a
    /// fresh credential to send the request once more with, or `None` to keep the 401.
    fn renew<'a>(
        &'a self,
        headers: &'a [(String, String)],
    ) -> BoxFuture<'a, Option<Vec<(String, String)>>>;
}

/// The endpoint and the client used for every request of a run.
#[derive(Clone, Debug)]
pub struct Target {
    base: String,
    client: reqwest::Client,
    config: HttpConfig,
    /// The run's credentials: a request carrying one is renewed once (close to expiry, or
    /// answered 401) instead of failing for it.
    auth: Option<std::sync::Arc<dyn Auth>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Body as text (cut at a bound), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Size and hashes of the whole body sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub status: u16,
    /// Lower-case names, in arrival order; repeated headers joined with ", ".
    pub headers: Vec<(String, String)>,
    /// The body; for a streamed response only its first bytes (the whole body is in `digest`).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub body_len: usize,
    /// Size and hashes of the whole body, computed as it arrived; only for streamed responses
    /// (for the others [`Received::digest`] computes them from `bytes` when asked).
    pub streamed: Option<Digest>,
    /// False when the body was streamed and only its beginning kept.
    pub complete: bool,
    pub elapsed_ms: u128,
}

/// Size, md5 and sha512 of a body, computed incrementally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub size: u64,
    pub md5: String,
    pub sha512: String,
}

#[derive(Clone, Default)]
struct Hashing {
    md5: md5::Md5,
    sha512: sha2::Sha512,
    size: u64,
}

impl Hashing {
    fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        self.md5.update(bytes);
        self.sha512.update(bytes);
        self.size += bytes.len() as u64;
    }

    fn finish(self) -> Digest {
        use sha2::Digest as _;
        Digest {
            size: self.size,
            md5: hex::encode(self.md5.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
        }
    }
}

/// Chunks in flight to each hashing thread: bounds memory (a chunk is at most a few hundred
/// KiB) while letting the network run ahead of the digests.
const HASH_QUEUE: usize = 32;

/// Feeds a large body's chunks to MD5 and SHA-512, each on its own blocking thread: the two
/// digests in a row cost more CPU than receiving the bytes, so in line they would set the pace
/// of a download. Chunks are shared (`Bytes`), not copied. Dropping the feeder (or
/// [`Feeder::close`]) ends the input; [`Digesting::finish`] then gives the digest of what was fed.
struct Feeder {
    md5: tokio::sync::mpsc::Sender<bytes::Bytes>,
    sha512: tokio::sync::mpsc::Sender<bytes::Bytes>,
    size: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

struct Digesting {
    md5: tokio::task::JoinHandle<[u8; 16]>,
    sha512: tokio::task::JoinHandle<Vec<u8>>,
    size: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn parallel_hashing() -> (Feeder, Digesting) {
    use sha2::Digest as _;
    let (md5_tx, mut md5_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(HASH_QUEUE);
    let (sha_tx, mut sha_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(HASH_QUEUE);
    let md5 = tokio::task::spawn_blocking(move || {
        let mut h = md5::Md5::new();
        while let Some(c) = md5_rx.blocking_recv() {
            h.update(&c);
        }
        h.finalize().into()
    });
    let sha512 = tokio::task::spawn_blocking(move || {
        let mut h = sha2::Sha512::new();
        while let Some(c) = sha_rx.blocking_recv() {
            h.update(&c);
        }
        h.finalize().to_vec()
    });
    let size = std::sync::Arc::default();
    (
        Feeder {
            md5: md5_tx,
            sha512: sha_tx,
            size: std::sync::Arc::clone(&size),
        },
        Digesting { md5, sha512, size },
    )
}

impl Feeder {
    async fn update(&self, chunk: bytes::Bytes) {
        self.size
            .fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
        // A send fails only if a hashing thread died; `finish` reports that.
        let _ = self.md5.send(chunk.clone()).await;
        let _ = self.sha512.send(chunk).await;
    }
}

impl Digesting {
    async fn finish(self) -> Digest {
        let md5 = self.md5.await.map(hex::encode).unwrap_or_default();
        let sha512 = self.sha512.await.map(hex::encode).unwrap_or_default();
        Digest {
            size: self.size.load(std::sync::atomic::Ordering::Relaxed),
            md5,
            sha512,
        }
    }
}

impl Received {
    /// Size and hashes of the whole body.
    pub fn digest(&self) -> Digest {
        self.streamed.clone().unwrap_or_else(|| digest(&self.bytes))
    }
}

/// Digest of bytes already in memory.
pub fn digest(bytes: &[u8]) -> Digest {
    let mut h = Hashing::default();
    h.update(bytes);
    h.finish()
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Bytes(Vec<u8>),
    /// `size` pseudo-random bytes made while sending (never held in memory whole).
    Generated {
        size: u64,
        seed: u64,
    },
}

const CHUNK: usize = 64 * 1024;

/// The generated body as a stream of chunks, hashed as it goes out. The feeder sits behind a
/// shared slot so that the sender can end the input once the exchange is over, even if the
/// client still holds the body.
fn generated(
    size: u64,
    seed: u64,
    feeder: std::sync::Arc<tokio::sync::Mutex<Option<Feeder>>>,
) -> reqwest::Body {
    // xorshift64* (diskimage::fill): cheap, deterministic for a seed, and not compressible.
    let state = (seed | 1, size);
    let chunks = futures_util::stream::unfold(state, move |(mut state, left)| {
        let feeder = feeder.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = left.min(CHUNK as u64) as usize;
            let mut buf = Vec::with_capacity(n);
            crate::diskimage::fill(&mut state, &mut buf, n);
            let buf = bytes::Bytes::from(buf);
            if let Some(f) = feeder.lock().await.as_ref() {
                f.update(buf.clone()).await;
            }
            Some((Ok::<_, std::io::Error>(buf), (state, left - n as u64)))
        }
    });
    reqwest::Body::wrap_stream(chunks)
}

/// Why no response could be used.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
pub enum TransportError {
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("no answer from {url} within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("the response body is larger than {limit} bytes; stopped reading")]
    TooLarge { limit: usize },
    #[error("{url}: {reason}")]
    Other { url: String, reason: String },
}

impl Target {
    pub fn new(endpoint: &str, config: HttpConfig) -> Result<Target, String> {
        let url = url::Url::parse(endpoint)
            .map_err(|e| format!("endpoint `{endpoint}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("endpoint `{endpoint}` must be http:// or https://"));
        }
        let client = client(&config)?;
        Ok(Target {
            base: endpoint.trim_end_matches('/').to_string(),
            client,
            config,
            auth: None,
        })
    }

    /// The same target, its requests' credentials kept fresh by `auth`.
    pub fn with_auth(mut self, auth: std::sync::Arc<dyn Auth>) -> Target {
        self.auth = Some(auth);
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// An absolute URL for a path relative to the endpoint, or a link the target returned.
    pub fn url(&self, path_or_link: &str) -> String {
        if path_or_link.starts_with("http://") || path_or_link.starts_with("https://") {
            path_or_link.to_string()
        } else {
            format!("{}{}", self.base, path_or_link)
        }
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> (SentRequest, Result<Received, TransportError>) {
        self.send_with(method, url, headers, body.map(Outgoing::Bytes), false)
            .await
    }

    /// Sends any body; with `stream`, a response of any size is hashed as it arrives and only its
    /// beginning kept (instead of failing past the size bound).
    pub async fn send_with(
        &self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<Outgoing>,
        stream: bool,
    ) -> (SentRequest, Result<Received, TransportError>) {
        let prepared = match &self.auth {
            Some(auth) => auth.prepare(headers).await.map(|h| (auth, h)),
            None => None,
        };
        let Some((auth, headers)) = prepared else {
            return self.send_once(method, url, headers, body, stream).await;
        };
        let first = self
            .send_once(method.clone(), url, &headers, body.clone(), stream)
            .await;
        if !matches!(&first.1, Ok(r) if r.status == 401) {
            return first;
        }
        // Once: a credential revoked or expired early gets one fresh replacement.
        match auth.renew(&headers).await {
            Some(fresh) => self.send_once(method, url, &fresh, body, stream).await,
            None => first,
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<Outgoing>,
        stream: bool,
    ) -> (SentRequest, Result<Received, TransportError>) {
        let mut sent = SentRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.clone(), mask(n, v)))
                .collect(),
            body: None,
            digest: None,
        };
        let mut req = self.client.request(method, url);
        for (n, v) in headers {
            req = req.header(n, v);
        }
        let mut generated_body = None;
        match body {
            None => {}
            Some(Outgoing::Bytes(b)) => {
                sent.body = Some(evidence_text(&b));
                sent.digest = Some(digest(&b));
                req = req.body(b);
            }
            Some(Outgoing::Generated { size, seed }) => {
                sent.body = Some(format!("[{size} generated bytes, seed {seed}]"));
                let (feeder, digesting) = parallel_hashing();
                let slot = std::sync::Arc::new(tokio::sync::Mutex::new(Some(feeder)));
                req = req
                    .header(reqwest::header::CONTENT_LENGTH, size)
                    .body(generated(size, seed, slot.clone()));
                generated_body = Some((slot, digesting));
            }
        }
        let started = Instant::now();
        let result = self.receive(req, url, started, stream).await;
        if let Some((slot, digesting)) = generated_body {
            // What was sent, also when the target answered before reading it all.
            slot.lock().await.take();
            sent.digest = Some(digesting.finish().await);
        }
        (sent, result)
    }

    async fn receive(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        started: Instant,
        stream: bool,
    ) -> Result<Received, TransportError> {
        let resp = req.send().await.map_err(|e| self.transport(url, &e))?;
        let status = resp.status().as_u16();
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in resp.headers() {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match headers.iter_mut().find(|(n, _)| n == name.as_str()) {
                Some((_, existing)) => {
                    existing.push_str(", ");
                    existing.push_str(&v);
                }
                None => headers.push((name.as_str().to_string(), v)),
            }
        }
        let mut bytes = Vec::new();
        let (feeder, digesting) = match stream {
            true => {
                let (f, d) = parallel_hashing();
                (Some(f), Some(d))
            }
            false => (None, None),
        };
        let mut complete = true;
        let mut chunks = resp.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| self.transport(url, &e))?;
            if complete && bytes.len() + chunk.len() <= self.config.max_body {
                bytes.extend_from_slice(&chunk);
            } else if stream {
                // Keep what evidence needs; the digest has the rest.
                bytes.truncate(EVIDENCE_BYTES);
                bytes.shrink_to_fit();
                complete = false;
            } else {
                return Err(TransportError::TooLarge {
                    limit: self.config.max_body,
                });
            }
            if let Some(f) = &feeder {
                f.update(chunk).await;
            }
        }
        drop(feeder);
        let streamed = match digesting {
            Some(d) => Some(d.finish().await),
            None => None,
        };
        Ok(Received {
            status,
            headers,
            body_len: streamed.as_ref().map_or(bytes.len(), |d| d.size as usize),
            bytes,
            streamed,
            complete,
            elapsed_ms: started.elapsed().as_millis(),
        })
    }

    fn transport(&self, url: &str, e: &reqwest::Error) -> TransportError {
        let reason = error_chain(e);
        if let Some(cause) = connect_cause(e, url.starts_with("https:")) {
            return TransportError::Connect {
                url: url.to_string(),
                reason: format!("{cause}: {reason}"),
            };
        }
        if e.is_timeout() {
            TransportError::Timeout {
                url: url.to_string(),
                secs: self.config.timeout.as_secs(),
            }
        } else if e.is_connect() {
            TransportError::Connect {
                url: url.to_string(),
                reason,
            }
        } else {
            TransportError::Other {
                url: url.to_string(),
                reason,
            }
        }
    }
}

/// The run's HTTP client: timeouts, no redirects, and the TLS settings.
pub fn client(config: &HttpConfig) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("imgconf/", env!("CARGO_PKG_VERSION")));
    config
        .tls
        .apply(builder)
        .map_err(|e| format!("TLS: {e}"))?
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// The value of a header (the first of that name, in any case).
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Gives every header of that name (in any case) the value.
pub fn set_header(headers: &mut [(String, String)], name: &str, value: &str) {
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case(name) {
            *v = value.to_string();
        }
    }
}

/// What kind of connection failure `e` is, in words, when it is one a reader should not have to
/// decode from the error chain: the host name did not resolve, or TLS could not be set up.
fn connect_cause(e: &reqwest::Error, https: bool) -> Option<&'static str> {
    if !e.is_connect() {
        return None;
    }
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cur {
        if c.to_string().starts_with("dns error") {
            return Some("DNS lookup failed");
        }
        // hyper-rustls reports a TLS failure (a peer that does not speak TLS, a certificate
        // that is not trusted) as an I/O error of kind InvalidData or Other around rustls's
        // error; TCP failures (refused, reset) are plain I/O errors with their own kinds.
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{InvalidData, Other};
            if https && io.get_ref().is_some() && matches!(io.kind(), InvalidData | Other) {
                return Some("TLS handshake failed");
            }
        }
        cur = c.source();
    }
    None
}

/// The error and its causes in one line ("client error (Connect): connection refused"); the
/// request's URL, which every message already names, is left out.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let top = e.to_string();
    let mut parts = Vec::new();
    if !top.starts_with("error sending request for url") {
        parts.push(top);
    }
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

pub fn mask(name: &str, value: &str) -> String {
    if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        "***".to_string()
    } else {
        value.to_string()
    }
}

/// Body bytes as text for evidence: UTF-8 (lossy), cut at a bound with a note.
pub fn evidence_text(bytes: &[u8]) -> String {
    if bytes.len() > EVIDENCE_BYTES {
        let text = String::from_utf8_lossy(&bytes[..EVIDENCE_BYTES]);
        format!(
            "{text}… [{} more bytes not shown]",
            bytes.len() - EVIDENCE_BYTES
        )
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

impl SentRequest {
    /// A curl command that repeats this request (secret headers stay masked).
    pub fn curl(&self) -> String {
        let mut s = format!("curl -sS -i -X {} {}", self.method, shell_quote(&self.url));
        for (n, v) in &self.headers {
            s.push_str(&format!(" -H {}", shell_quote(&format!("{n}: {v}"))));
        }
        if let Some(b) = &self.body {
            s.push_str(&format!(" --data-binary {}", shell_quote(b)));
        }
        s
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_line_quotes_and_masks() {
        let r = SentRequest {
            method: "PATCH".into(),
            url: "http://127.0.0.1:9/v2/images/x".into(),
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/openstack-images-v2.1-json-patch".into(),
                ),
                ("X-Auth-Token".into(), mask("X-Auth-Token", "s3cret")),
            ],
            body: Some(r#"[{"op":"add","path":"/it's","value":"x"}]"#.into()),
            digest: None,
        };
        let c = r.curl();
        assert!(
            c.starts_with("curl -sS -i -X PATCH 'http://127.0.0.1:9/v2/images/x'"),
            "{c}"
        );
        assert!(c.contains("-H 'X-Auth-Token: ***'"));
        assert!(
            c.contains(r#"'[{"op":"add","path":"/it'\''s","value":"x"}]'"#),
            "{c}"
        );
        assert!(!c.contains("s3cret"));
    }

    #[test]
    fn links_and_paths_become_urls() {
        let t = Target::new("http://127.0.0.1:9292/", HttpConfig::default()).unwrap();
        assert_eq!(
            t.url("/v2/images?limit=2"),
            "http://127.0.0.1:9292/v2/images?limit=2"
        );
        assert_eq!(t.url("http://other/v2/images"), "http://other/v2/images");
        assert!(Target::new("ftp://x", HttpConfig::default()).is_err());
        assert!(Target::new("not a url", HttpConfig::default())
            .unwrap_err()
            .contains("is not a URL"));
    }

    #[test]
    fn evidence_is_bounded() {
        let big = vec![b'a'; EVIDENCE_BYTES + 10];
        assert!(evidence_text(&big).ends_with("[10 more bytes not shown]"));
    }

    /// An auth that manages the token `stale`: before sending it changes nothing, and after a
    /// 401 it gives `fresh` (if any); it counts how often it was asked to renew.
    #[derive(Debug)]
    struct Renewing {
        fresh: Option<&'static str>,
        renewals: std::sync::atomic::AtomicUsize,
    }

    impl Auth for Renewing {
        fn prepare<'a>(
            &'a self,
            headers: &'a [(String, String)],
        ) -> BoxFuture<'a, Option<Vec<(String, String)>>> {
            let managed = header_value(headers, "x-auth-token") == Some("stale");
            Box::pin(async move { managed.then(|| headers.to_vec()) })
        }

        fn renew<'a>(
            &'a self,
            headers: &'a [(String, String)],
        ) -> BoxFuture<'a, Option<Vec<(String, String)>>> {
            self.renewals
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                let fresh = self.fresh?;
                let mut headers = headers.to_vec();
                set_header(&mut headers, "X-Auth-Token", fresh);
                Some(headers)
            })
        }
    }

    /// A loopback server that accepts only the token `good` and records the tokens it saw.
    async fn guarded() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use axum::http::{HeaderMap, StatusCode};
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move |h: HeaderMap| {
                let log = log.clone();
                async move {
                    let token = h
                        .get("x-auth-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let ok = token == "good";
                    log.lock().unwrap().push(token);
                    if ok {
                        StatusCode::OK
                    } else {
                        StatusCode::UNAUTHORIZED
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, seen)
    }

    async fn get_as(
        auth: Option<std::sync::Arc<Renewing>>,
        token: &str,
    ) -> (u16, Vec<String>, usize) {
        let (base, seen) = guarded().await;
        let mut target = Target::new(&base, HttpConfig::default()).unwrap();
        if let Some(a) = &auth {
            target = target.with_auth(a.clone());
        }
        let headers = vec![("X-Auth-Token".to_string(), token.to_string())];
        let (sent, got) = target
            .send(Method::GET, &target.url("/"), &headers, None)
            .await;
        assert!(
            sent.headers.iter().all(|(_, v)| v == "***"),
            "{:?}",
            sent.headers
        );
        let renewals = auth.map_or(0, |a| a.renewals.load(std::sync::atomic::Ordering::SeqCst));
        let seen = seen.lock().unwrap().clone();
        (got.unwrap().status, seen, renewals)
    }

    fn renewing(fresh: Option<&'static str>) -> Option<std::sync::Arc<Renewing>> {
        Some(std::sync::Arc::new(Renewing {
            fresh,
            renewals: Default::default(),
        }))
    }

    #[tokio::test]
    async fn a_401_is_renewed_once_and_retried_once() {
        let (status, seen, renewals) = get_as(renewing(Some("good")), "stale").await;
        assert_eq!((status, renewals), (200, 1));
        assert_eq!(seen, ["stale", "good"]);
        // The fresh credential is refused too: that answer stands, without a second renewal.
        let (status, seen, renewals) = get_as(renewing(Some("also-bad")), "stale").await;
        assert_eq!((status, renewals), (401, 1));
        assert_eq!(seen, ["stale", "also-bad"]);
    }

    #[tokio::test]
    async fn a_401_stands_when_nothing_renews_it() {
        // The auth cannot renew: one request.
        let (status, seen, renewals) = get_as(renewing(None), "stale").await;
        assert_eq!((status, seen.len(), renewals), (401, 1, 1));
        // A credential the auth does not manage is sent as is and never renewed.
        let (status, seen, renewals) = get_as(renewing(Some("good")), "foreign").await;
        assert_eq!((status, renewals), (401, 0));
        assert_eq!(seen, ["foreign"]);
        // No auth at all.
        let (status, seen, _) = get_as(None, "stale").await;
        assert_eq!((status, seen.len()), (401, 1));
    }
}
