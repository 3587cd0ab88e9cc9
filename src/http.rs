//! Talking to the target: one client for the run, bounded reads, and a record of every exchange
//! (what was sent, what came back) that failure messages and reports show.

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
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// The endpoint and the client used for every request of a run.
#[derive(Clone, Debug)]
pub struct Target {
    base: String,
    client: reqwest::Client,
    config: HttpConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Body as text (cut at a bound), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub status: u16,
    /// Lower-case names, in arrival order; repeated headers joined with ", ".
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub body_len: usize,
    pub elapsed_ms: u128,
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
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("imgconf/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Target {
            base: endpoint.trim_end_matches('/').to_string(),
            client,
            config,
        })
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
        let sent = SentRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.clone(), mask(n, v)))
                .collect(),
            body: body.as_ref().map(|b| evidence_text(b)),
        };
        let mut req = self.client.request(method, url);
        for (n, v) in headers {
            req = req.header(n, v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let started = Instant::now();
        let result = self.receive(req, url, started).await;
        (sent, result)
    }

    async fn receive(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        started: Instant,
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
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport(url, &e))?;
            if bytes.len() + chunk.len() > self.config.max_body {
                return Err(TransportError::TooLarge {
                    limit: self.config.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            headers,
            body_len: bytes.len(),
            bytes,
            elapsed_ms: started.elapsed().as_millis(),
        })
    }

    fn transport(&self, url: &str, e: &reqwest::Error) -> TransportError {
        let reason = error_chain(e);
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

/// The error and its causes in one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
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
}
