//! Error values and their HTTP rendering.
//!
//! Glance renders every error with a body whose format follows `Accept` (B001): JSON
//! `{"message","code","title"}` for `application/json`, an HTML page for `text/html` or `*/*`,
//! and plain text otherwise (no `Accept`, `text/plain`, anything unknown).

use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failed request: status, explanation and any extra headers (`Allow`, `Accept-Patch`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// The generic 404 of an unknown path.
    pub fn no_resource() -> Self {
        Self::not_found("The resource could not be found.")
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 405 with the `Allow` header listing the methods of the route (B006).
    pub fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The method {method} is not allowed for this resource."),
        )
        .with_header(axum::http::header::ALLOW, HeaderValue::from_static(allow))
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The response for a client that announced `format`.
    pub fn render(&self, format: ErrorFormat) -> Response {
        let (content_type, body) = self.body(format);
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        response
    }

    /// Content type and body of the response for a client that announced `format`.
    pub fn body(&self, format: ErrorFormat) -> (&'static str, String) {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let code = format!("{} {}", self.status.as_u16(), reason);
        match format {
            ErrorFormat::Json => (
                "application/json",
                json!({"message": self.message, "code": code, "title": reason}).to_string(),
            ),
            ErrorFormat::Html => (
                "text/html; charset=UTF-8",
                format!(
                    "<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n  {}<br /><br />\n\n\n\n </body>\n</html>",
                    html_escape(&self.message)
                ),
            ),
            ErrorFormat::Plain => (
                "text/plain; charset=UTF-8",
                format!("{code}\n\n{}\n\n   ", self.message),
            ),
        }
    }
}

/// The body format of error responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    Json,
    Html,
    Plain,
}

/// Picks the error format from an `Accept` header the way webob does: offers are
/// `text/html`, `application/json`, `text/plain` in that order, the highest q wins, ties go to
/// the earlier offer, and without a usable header the answer is plain text.
pub fn negotiate(accept: Option<&str>) -> ErrorFormat {
    let Some(accept) = accept else {
        return ErrorFormat::Plain;
    };
    let ranges: Vec<(String, f32)> = accept.split(',').filter_map(parse_range).collect();
    if ranges.is_empty() {
        return ErrorFormat::Plain;
    }
    let offers = [
        ("text/html", ErrorFormat::Html),
        ("application/json", ErrorFormat::Json),
        ("text/plain", ErrorFormat::Plain),
    ];
    let mut best: Option<(f32, ErrorFormat)> = None;
    for (offer, format) in offers {
        let q = quality(&ranges, offer);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, format));
        }
    }
    best.map(|(_, f)| f).unwrap_or(ErrorFormat::Plain)
}

fn parse_range(item: &str) -> Option<(String, f32)> {
    let mut parts = item.split(';');
    let media = parts.next()?.trim().to_ascii_lowercase();
    if media.is_empty() || !media.contains('/') {
        return None;
    }
    let mut q = 1.0_f32;
    for param in parts {
        let (k, v) = param.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("q") {
            q = v.trim().parse().ok()?;
        }
    }
    Some((media, q.clamp(0.0, 1.0)))
}

/// q of the most specific range matching `offer` (0 when none matches).
fn quality(ranges: &[(String, f32)], offer: &str) -> f32 {
    let (otype, _) = offer.split_once('/').unwrap_or((offer, ""));
    let mut best: Option<(u8, f32)> = None;
    for (media, q) in ranges {
        let specificity = if media == offer {
            3
        } else if media.strip_suffix("/*") == Some(otype) {
            2
        } else if media == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, *q));
        }
    }
    best.map(|(_, q)| q).unwrap_or(0.0)
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_webob() {
        assert_eq!(negotiate(None), ErrorFormat::Plain);
        assert_eq!(negotiate(Some("application/json")), ErrorFormat::Json);
        assert_eq!(negotiate(Some("*/*")), ErrorFormat::Html);
        assert_eq!(negotiate(Some("text/html")), ErrorFormat::Html);
        assert_eq!(negotiate(Some("text/plain")), ErrorFormat::Plain);
        assert_eq!(negotiate(Some("application/xml")), ErrorFormat::Plain);
        assert_eq!(
            negotiate(Some("application/json;q=0.5, text/html;q=0.9")),
            ErrorFormat::Html
        );
        assert_eq!(
            negotiate(Some("application/json, */*;q=0.1")),
            ErrorFormat::Json
        );
        assert_eq!(negotiate(Some("garbage")), ErrorFormat::Plain);
    }

    #[test]
    fn json_body_shape() {
        let resp = ApiError::not_found("nope").render(ErrorFormat::Json);
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            resp.headers().get(CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
}
