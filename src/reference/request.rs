//! The parts of a request handlers use, and the small response builders they share.

use axum::body::Bytes;
use axum::http::header::{HeaderValue, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;

/// One request, body already read.
pub struct Ctx {
    pub method: Method,
    pub headers: HeaderMap,
    /// The raw (still percent-encoded) query string.
    pub query: Option<String>,
    pub caller: Caller,
    /// `scheme://host[:port]` as the client addressed us (B015, B071).
    pub host_url: String,
    pub body: Bytes,
}

impl Ctx {
    pub fn new(parts: &Parts, body: Bytes) -> Self {
        Ctx {
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            query: parts.uri.query().map(str::to_string),
            caller: Caller::from_headers(&parts.headers),
            host_url: host_url(parts),
            body,
        }
    }

    /// webob's notion of "the request has a body": chunked, a positive `Content-Length`, or
    /// bytes actually received.
    pub fn has_body(&self) -> bool {
        let chunked = self.headers.contains_key("transfer-encoding");
        let length = self
            .headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        chunked || length > 0 || !self.body.is_empty()
    }

    /// 400 when a body was sent to a call that takes none (Glance `body_reject`, B033/B125).
    pub fn reject_body(&self) -> ApiResult<()> {
        if self.has_body() {
            Err(ApiError::bad_request(
                "A body is not expected with this request.",
            ))
        } else {
            Ok(())
        }
    }

    /// The request body as JSON (400 when missing or malformed, B066/B069).
    pub fn json_body(&self) -> ApiResult<Value> {
        if !self.has_body() || self.body.is_empty() {
            return Err(ApiError::bad_request("Body expected in request."));
        }
        serde_json::from_slice(&self.body)
            .map_err(|_| ApiError::bad_request("Malformed JSON in request body."))
    }

    /// The media type of `Content-Type`, lower-cased, parameters dropped.
    pub fn content_type(&self) -> Option<String> {
        let raw = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        let media = raw
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        (!media.is_empty()).then_some(media)
    }
}

fn host_url(parts: &Parts) -> String {
    let https = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    let host = parts
        .headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    format!("{scheme}://{host}")
}

/// A JSON response (`Content-Type: application/json`, no charset, B004).
pub fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An empty 204 (Glance still labels it `text/html; charset=UTF-8`, B005).
pub fn no_content() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response
}

/// Decodes `%XX` escapes of a path segment (no `+` → space). `None` for bad escapes.
pub fn percent_decode(segment: &str) -> Option<Vec<u8>> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("with%20space").unwrap(), b"with space");
        assert_eq!(percent_decode("k%3Dv").unwrap(), b"k=v");
        assert_eq!(percent_decode("a+b").unwrap(), b"a+b");
        assert_eq!(
            String::from_utf8(percent_decode("%E4%B8%AD%E6%96%87").unwrap()).unwrap(),
            "中文"
        );
        assert!(percent_decode("bad%2").is_none());
        assert!(percent_decode("bad%zz").is_none());
    }

    #[test]
    fn host_url_from_headers() {
        let req = axum::http::Request::builder()
            .uri("/v2/images")
            .header("host", "images.example.com:8443")
            .header("x-forwarded-proto", "https")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(host_url(&parts), "https://images.example.com:8443");
        let req = axum::http::Request::builder().uri("/").body(()).unwrap();
        assert_eq!(host_url(&req.into_parts().0), "http://localhost");
    }
}
