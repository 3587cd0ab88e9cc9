//! API versions: the version document (B012–B015) and URL version negotiation (B019–B020).
//!
//! The list follows the api-ref sample: v2.18 CURRENT, then v2.17 … v2.0 SUPPORTED,
//! contiguous and descending (Glance 33 without an image cache leaves some minors out).

use serde_json::{json, Value};

/// Set on the versions document the reference server serves, so that a run recognises the
/// reference server behind any endpoint (and does not expect another implementation's deviations).
pub const MARKER_HEADER: &str = "x-imgconf-reference-server";

/// The newest minor version; every minor from 0 up to it is served.
pub const CURRENT_MINOR: u32 = 18;

/// `{"versions":[…]}` with self links built from the caller's host URL.
pub fn document(host_url: &str) -> Value {
    let href = format!("{host_url}/v2/");
    let versions: Vec<Value> = (0..=CURRENT_MINOR)
        .rev()
        .map(|minor| {
            let status = if minor == CURRENT_MINOR {
                "CURRENT"
            } else {
                "SUPPORTED"
            };
            json!({
                "id": format!("v2.{minor}"),
                "status": status,
                "links": [{"rel": "self", "href": href}],
            })
        })
        .collect();
    json!({ "versions": versions })
}

/// Whether a leading path segment names a served version: `v2` or `v2.<minor>`.
pub fn is_served(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix("v2") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(minor) = rest.strip_prefix('.') else {
        return false;
    };
    !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
        && minor.parse::<u32>().is_ok_and(|m| m <= CURRENT_MINOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_contiguous_and_descending() {
        let doc = document("http://h:1");
        let list = doc["versions"].as_array().unwrap();
        assert_eq!(list.len(), 19);
        assert_eq!(list[0]["id"], "v2.18");
        assert_eq!(list[0]["status"], "CURRENT");
        assert_eq!(list[18]["id"], "v2.0");
        assert!(list[1..].iter().all(|v| v["status"] == "SUPPORTED"));
        assert_eq!(list[3]["links"][0]["href"], "http://h:1/v2/");
        assert_eq!(list[3]["links"][0]["rel"], "self");
    }

    #[test]
    fn served_segments() {
        for s in ["v2", "v2.0", "v2.1", "v2.15", "v2.18"] {
            assert!(is_served(s), "{s}");
        }
        for s in [
            "v1", "v1.1", "v3", "v2.19", "v2.99", "v2.", "v2.-1", "v2x", "images", "",
        ] {
            assert!(!is_served(s), "{s}");
        }
    }
}
