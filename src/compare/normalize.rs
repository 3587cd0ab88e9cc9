//! What differs between any two runs whatever the targets do, masked before responses are
//! compared: ids, the run id in names, timestamps, hosts, and hex digests (of generated data,
//! project ids). Arrays named `tags` are compared as sets, as the cases compare them.

use regex::Regex;
use serde_json::Value;

/// Response headers left out of the comparison: their values differ from one response to the
/// next (dates, request ids, lengths of bodies with masked parts), or they belong to the HTTP
/// server in front of the API rather than to the API (`server`, connection handling).
pub const IGNORED_HEADERS: &[&str] = &[
    "date",
    "server",
    "x-openstack-request-id",
    "x-compute-request-id",
    "x-request-id",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// The masks, in the order they are applied; the report documents them with these names.
pub const MASKS: &[(&str, &str)] = &[
    ("<timestamp>", "ISO 8601 / RFC 3339 date-times"),
    ("<http-date>", "HTTP dates (RFC 9110), as in Last-Modified"),
    ("<uuid>", "UUIDs: image, task, member and request ids"),
    (
        "<epoch>",
        "fractional numbers that are Unix times (as the cache API gives them)",
    ),
    (
        "<hexN>",
        "hex strings of 32, 40, 64 or 128 digits: digests, Keystone ids",
    ),
    (
        "<run>",
        "the run id, in names (`imgconf-<run>-…`) and projects",
    ),
    ("<origin>", "scheme, host and port of absolute URLs"),
];

/// Masks one run's values; each side of a comparison has its own (its run id).
pub struct Normalizer {
    patterns: Vec<(Regex, &'static str)>,
    run_id: String,
}

impl Normalizer {
    pub fn new(run_id: &str) -> Normalizer {
        let p = |re: &str, to: &'static str| (Regex::new(re).expect("a valid mask pattern"), to);
        Normalizer {
            patterns: vec![
                // Also percent-encoded, as in the `next` link of a `created_at` filter (`eq%3A2026-…`:
                // no word boundary before).
                p(
                    r"\d{4}-\d{2}-\d{2}(T|[ +]|%20)\d{2}(:|%3A)\d{2}((:|%3A)\d{2}(\.\d+)?)?(Z|([+-]|%2B)\d{2}(:|%3A)?\d{2})?",
                    "<timestamp>",
                ),
                p(
                    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
                    "<http-date>",
                ),
                // No word boundary before: a percent-encoded comma or colon (`in%3A<uuid>`)
                // ends in a hex digit.
                p(
                    r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
                    "<uuid>",
                ),
                p(r"(?i)\b[0-9a-f]{128}\b", "<hex128>"),
                p(r"(?i)\b[0-9a-f]{64}\b", "<hex64>"),
                p(r"(?i)\b[0-9a-f]{40}\b", "<hex40>"),
                p(r"(?i)\b[0-9a-f]{32}\b", "<hex32>"),
                p(r"\bhttps?://[^/\s\x22'<>]+", "<origin>"),
            ],
            run_id: run_id.to_string(),
        }
    }

    /// A string with every mask applied.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (re, to) in &self.patterns {
            if re.is_match(&out) {
                out = re.replace_all(&out, *to).into_owned();
            }
        }
        if !self.run_id.is_empty() {
            // A short id given with --run-id could be an ordinary word: then only in names.
            let (from, to) = if self.run_id.len() >= 6 {
                (self.run_id.clone(), "<run>")
            } else {
                (format!("imgconf-{}", self.run_id), "imgconf-<run>")
            };
            out = out.replace(&from, to);
        }
        out
    }

    /// A JSON value with every string (keys too) masked and `tags` arrays sorted, without
    /// repeats.
    pub fn json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.json(i)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = self.json(v);
                        let v = if k == "tags" { as_set(v) } else { v };
                        (self.text(k), v)
                    })
                    .collect(),
            ),
            Value::Number(n) if is_epoch(n) => Value::String("<epoch>".into()),
            other => other.clone(),
        }
    }

    /// A body: JSON when it parses as JSON, else its masked text.
    pub fn body(&self, text: &str) -> Value {
        match serde_json::from_str::<Value>(text) {
            Ok(v) if !text.trim().is_empty() => self.json(&v),
            _ => Value::String(self.text(text)),
        }
    }
}

/// A Unix time with a fraction, between 2001 and 2096: no size, count or limit looks so.
fn is_epoch(n: &serde_json::Number) -> bool {
    !n.is_i64() && !n.is_u64() && n.as_f64().is_some_and(|f| (1e9..4e9).contains(&f))
}

fn as_set(v: Value) -> Value {
    match v {
        Value::Array(mut items) => {
            items.sort_by_key(|i| i.to_string());
            items.dedup();
            Value::Array(items)
        }
        other => other,
    }
}

pub fn ignored_header(name: &str) -> bool {
    IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_ids_dates_digests_hosts_and_the_run_id() {
        let n = Normalizer::new("4f3a9c1e");
        assert_eq!(
            n.text("/v2/images/0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10/file"),
            "/v2/images/<uuid>/file"
        );
        assert_eq!(n.text("2026-12-03T02:19:19Z"), "<timestamp>");
        assert_eq!(n.text("2026-12-03T02:19:19.123456+00:00"), "<timestamp>");
        assert_eq!(
            n.text("created_at=eq%3A2026-12-03T02%3A46%3A18Z&id=in%3A0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10"),
            "created_at=eq%3A<timestamp>&id=in%3A<uuid>"
        );
        assert_eq!(
            n.json(&json!({"last_accessed": 1796265978.824392, "size": 1796265978u64})),
            json!({"last_accessed": "<epoch>", "size": 1796265978u64})
        );
        assert_eq!(n.text("Thu, 03 Dec 2026 02:19:19 GMT"), "<http-date>");
        assert_eq!(n.text(&"ab".repeat(16)), "<hex32>");
        assert_eq!(n.text(&"0f".repeat(64)), "<hex128>");
        assert_eq!(
            n.text("http://127.0.0.1:41234/v2/images?marker=x"),
            "<origin>/v2/images?marker=x"
        );
        assert_eq!(n.text("imgconf-4f3a9c1e-tags-1"), "imgconf-<run>-tags-1");
        // Words that only look like hex stay.
        assert_eq!(n.text("deadbeef active"), "deadbeef active");
    }

    #[test]
    fn a_short_run_id_is_masked_only_in_names() {
        let n = Normalizer::new("ci");
        assert_eq!(
            n.text("imgconf-ci-owner decision"),
            "imgconf-<run>-owner decision"
        );
    }

    #[test]
    fn tags_are_compared_as_sets_and_other_arrays_in_order() {
        let n = Normalizer::new("r1r2r3r4");
        let a = n.body(r#"{"tags": ["b", "a", "b"], "locations": [2, 1]}"#);
        let b = n.body(r#"{"tags": ["a", "b"], "locations": [2, 1]}"#);
        assert_eq!(a, b);
        assert_eq!(a["locations"], json!([2, 1]));
        assert_eq!(n.body("not json {"), json!("not json {"));
        assert_eq!(n.body(""), json!(""));
    }

    #[test]
    fn ignored_headers_are_matched_without_regard_to_case() {
        assert!(ignored_header("X-OpenStack-Request-ID"));
        assert!(ignored_header("Date"));
        assert!(!ignored_header("content-type"));
    }
}
