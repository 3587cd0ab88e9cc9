//! Is the endpoint the root of an Images API? Checked before any case, so a wrong URL (with
//! `/v2`, a path prefix, a Keystone URL, any other web server) ends the run at once with what
//! was found and what to give instead, rather than with hundreds of failed cases.

use serde_json::Value;

/// The endpoint names a version path (`…/v2`, `…/v2.17/`): cases add `/v2/…` themselves.
pub fn version_suffix(endpoint: &str) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    let path = url.path().trim_end_matches('/');
    let (root, last) = path.rsplit_once('/')?;
    // Images API versions only: `/v3` is Keystone's, judged by what it answers.
    let is_version = ["v1", "v2"].iter().any(|v| {
        last.strip_prefix(v).is_some_and(|n| {
            n.is_empty()
                || n.strip_prefix('.')
                    .is_some_and(|m| m.parse::<u32>().is_ok())
        })
    });
    if !is_version {
        return None;
    }
    let mut fixed = url.clone();
    fixed.set_path(root);
    let fixed = fixed.as_str().trim_end_matches('/').to_string();
    Some(format!(
        "the endpoint {endpoint} ends with the version path `/{last}`; give the API root instead (drop `/{last}`): --endpoint {fixed}"
    ))
}

/// What `GET /` answered, judged: `None` when it is an Images API versions document (a
/// `versions` list of `v2…` ids; an empty list is left to the versions cases to judge).
pub fn versions_problem(
    url: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<String> {
    let found = || describe(status, content_type, body);
    let doc: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return Some(format!(
                "GET {url} answered {}: not an Images API versions document; give the root URL of the Images API (the `image` endpoint of the Keystone catalog, e.g. http://HOST:9292)",
                found()
            ))
        }
    };
    if is_identity(&doc) {
        return Some(format!(
            "GET {url} answered the versions of the Identity API (Keystone), not of the Images API; give the image endpoint as --endpoint (and Keystone as --os-auth-url)"
        ));
    }
    let Some(list) = doc.get("versions").and_then(Value::as_array) else {
        return Some(format!(
            "GET {url} answered {}: JSON without a `versions` list, not an Images API versions document; give the root URL of the Images API (e.g. http://HOST:9292)",
            found()
        ));
    };
    let ids: Vec<&str> = list
        .iter()
        .filter_map(|v| v.get("id").and_then(Value::as_str))
        .collect();
    if !list.is_empty() && !ids.iter().any(|id| id.starts_with("v2")) {
        return Some(format!(
            "GET {url} lists the versions {} but no Images API v2 version; give the root URL of an Images API v2 endpoint",
            if ids.is_empty() { "(without ids)".to_string() } else { ids.join(", ") }
        ));
    }
    None
}

/// A path every Images v2 API serves answered with the versions document again (status 300):
/// the target does not know the path, so the endpoint is not its root (Glance answers 300 to
/// any path it does not route, such as a prefix or a Keystone path on its port).
pub fn not_root_problem(
    endpoint: &str,
    probe_url: &str,
    status: u16,
    body: &[u8],
) -> Option<String> {
    if status != 300 {
        return None;
    }
    let doc: Value = serde_json::from_slice(body).ok()?;
    let list = doc.get("versions").and_then(Value::as_array)?;
    let root = list
        .iter()
        .filter_map(|v| v.get("links").and_then(Value::as_array))
        .flatten()
        .filter_map(|l| l.get("href").and_then(Value::as_str))
        .find_map(|h| {
            h.trim_end_matches('/')
                .strip_suffix("/v2")
                .map(str::to_string)
        });
    let hint = match root {
        Some(r) if r != endpoint.trim_end_matches('/') => {
            format!("; its versions document places the API at {r}: --endpoint {r}")
        }
        _ => String::new(),
    };
    Some(format!(
        "GET {probe_url} answered 300 with the versions document: the target does not know that path, so {endpoint} is not the root of its Images API (a path prefix or a Keystone path on an image port?){hint}"
    ))
}

/// Keystone's root (`{"versions": {"values": […]}}`) or a version document (`{"version": {…}}`).
fn is_identity(doc: &Value) -> bool {
    doc.pointer("/versions/values").is_some()
        || doc.get("version").is_some_and(|v| {
            v.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.starts_with("v3"))
        })
}

/// `200 text/html: "<!DOCTYPE HTML>…"`: enough to recognise what answered.
fn describe(status: u16, content_type: Option<&str>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect();
    let ct = content_type.unwrap_or("no Content-Type");
    if start.is_empty() {
        format!("{status} {ct} with an empty body")
    } else {
        format!("{status} {ct}: {start:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_paths_are_named_with_the_root_to_give() {
        let m = version_suffix("http://h:9292/v2/").unwrap();
        assert!(
            m.contains("drop `/v2`") && m.ends_with("--endpoint http://h:9292"),
            "{m}"
        );
        let m = version_suffix("https://h/image/v2.17").unwrap();
        assert!(m.ends_with("--endpoint https://h/image"), "{m}");
        for fine in [
            "http://h:9292",
            "http://h:9292/",
            "http://h/image",
            "http://h/v2x",
            "http://h/identity/v3",
        ] {
            assert_eq!(version_suffix(fine), None, "{fine}");
        }
    }

    #[test]
    fn only_an_images_versions_document_passes() {
        let url = "http://h/";
        let ok = br#"{"versions": [{"id": "v2.17", "status": "CURRENT"}]}"#;
        assert_eq!(versions_problem(url, 300, None, ok), None);
        assert_eq!(
            versions_problem(url, 200, None, br#"{"versions": []}"#),
            None
        );
        let html =
            versions_problem(url, 200, Some("text/html"), b"<!DOCTYPE HTML>\n<html>").unwrap();
        assert!(
            html.contains("200 text/html: \"<!DOCTYPE HTML> <html>\""),
            "{html}"
        );
        assert!(
            html.contains("not an Images API versions document"),
            "{html}"
        );
        let keystone = br#"{"versions": {"values": [{"id": "v3.14", "status": "stable"}]}}"#;
        let m = versions_problem(url, 300, None, keystone).unwrap();
        assert!(m.contains("Identity API (Keystone)"), "{m}");
        let v3 = br#"{"version": {"id": "v3.14", "status": "stable"}}"#;
        assert!(versions_problem(url, 200, None, v3)
            .unwrap()
            .contains("Keystone"));
        let other = versions_problem(url, 200, None, br#"{"versions": [{"id": "v1.0"}]}"#).unwrap();
        assert!(other.contains("v1.0 but no Images API v2"), "{other}");
        let nolist = versions_problem(url, 404, None, br#"{"error": "x"}"#).unwrap();
        assert!(nolist.contains("without a `versions` list"), "{nolist}");
        let empty = versions_problem(url, 404, None, b"").unwrap();
        assert!(
            empty.contains("404 no Content-Type with an empty body"),
            "{empty}"
        );
    }

    #[test]
    fn a_300_to_a_known_path_means_a_wrong_root() {
        let doc = br#"{"versions": [{"id": "v2.17", "links": [{"rel": "self", "href": "http://h:9292/v2/"}]}]}"#;
        let m = not_root_problem(
            "http://h:9292/image",
            "http://h:9292/image/v2/info/import",
            300,
            doc,
        )
        .unwrap();
        assert!(
            m.contains("is not the root") && m.ends_with("--endpoint http://h:9292"),
            "{m}"
        );
        assert_eq!(not_root_problem("http://h:9292", "u", 200, doc), None);
        assert_eq!(not_root_problem("http://h:9292", "u", 300, b"<html>"), None);
    }
}
