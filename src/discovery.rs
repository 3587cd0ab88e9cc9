//! What the run learns from the target before any case: that it answers at all, which Images
//! API versions it offers (`GET /`), and the optional features its API reveals.

use crate::case::ApiVersion;
use crate::http::Target;
use serde_json::Value;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TargetInfo {
    /// Every version the document lists, highest first.
    pub versions: Vec<ApiVersion>,
    pub current: Option<ApiVersion>,
    /// Optional features the target reveals through its API.
    pub features: std::collections::BTreeSet<String>,
    /// The target is imgconf's own reference server (its versions document says so).
    pub reference_server: bool,
}

impl TargetInfo {
    /// The highest version offered, which gates cases by `since`.
    pub fn highest(&self) -> Option<ApiVersion> {
        self.versions.first().copied()
    }
}

/// Fails when the endpoint cannot be talked to or is not the root of an Images API (see
/// [`crate::apiroot`]); a versions document that is only odd is not fatal here (the versions
/// cases judge it), it only leaves version gating off.
pub async fn probe(target: &Target, identity: &[(String, String)]) -> Result<TargetInfo, String> {
    if let Some(why) = crate::apiroot::version_suffix(target.base()) {
        return Err(why);
    }
    let mut headers = identity.to_vec();
    headers.push(("Accept".to_string(), "application/json".to_string()));
    let (_, received) = target
        .send(reqwest::Method::GET, &target.url("/"), &headers, None)
        .await;
    let r = received.map_err(|e| format!("cannot reach the endpoint {}: {e}", target.base()))?;
    let content_type = r
        .headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str());
    if let Some(why) =
        crate::apiroot::versions_problem(&target.url("/"), r.status, content_type, &r.bytes)
    {
        return Err(why);
    }
    let doc: Value = serde_json::from_slice(&r.bytes).unwrap_or(Value::Null);
    let mut info = parse_versions(&doc);
    info.reference_server = r
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(crate::reference::versions::MARKER_HEADER));
    info.features.extend(cache_feature(&info.versions));
    // Discovery calls (2.6+, 2.8+): a target without them simply does not offer the features.
    // An answer of 300 with the versions document means the target does not know the path:
    // the endpoint is not its API root.
    let import_url = target.url("/v2/info/import");
    let (_, import) = target
        .send(reqwest::Method::GET, &import_url, &headers, None)
        .await;
    if let Ok(r) = &import {
        if let Some(why) =
            crate::apiroot::not_root_problem(target.base(), &import_url, r.status, &r.bytes)
        {
            return Err(why);
        }
        if r.status == 200 {
            if let Ok(doc) = serde_json::from_slice::<Value>(&r.bytes) {
                info.features.extend(import_features(&doc));
            }
        }
    }
    if let Some(doc) = get_json(target, "/v2/info/stores", &headers).await {
        info.features.extend(store_features(&doc));
    }
    Ok(info)
}

async fn get_json(target: &Target, path: &str, headers: &[(String, String)]) -> Option<Value> {
    let (_, received) = target
        .send(reqwest::Method::GET, &target.url(path), headers, None)
        .await;
    let r = received.ok().filter(|r| r.status == 200)?;
    serde_json::from_slice(&r.bytes).ok()
}

/// `import` and `import:<method>` for each method in `/v2/info/import`.
pub fn import_features(doc: &Value) -> Vec<String> {
    let methods: Vec<String> = doc
        .pointer("/import-methods/value")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|m| format!("import:{m}"))
        .collect();
    if methods.is_empty() {
        return methods;
    }
    std::iter::once("import".to_string())
        .chain(methods)
        .collect()
}

/// `stores` when `/v2/info/stores` lists any, `multistore` when it lists more than one.
pub fn store_features(doc: &Value) -> Vec<String> {
    let n = doc
        .get("stores")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    match n {
        0 => vec![],
        1 => vec!["stores".into()],
        _ => vec!["stores".into(), "multistore".into()],
    }
}

/// `cache` when the versions document lists v2.14 itself, the version that brought the cache
/// API: Glance lists v2.14 (and v2.16) only when an image cache is configured, and otherwise
/// answers every `/v2/cache` call with 404 although it offers v2.17.
pub fn cache_feature(versions: &[ApiVersion]) -> Option<String> {
    versions
        .iter()
        .any(|v| v.major == 2 && v.minor == 14)
        .then(|| "cache".to_string())
}

pub fn parse_versions(doc: &Value) -> TargetInfo {
    let mut versions = Vec::new();
    let mut current = None;
    for v in doc
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = v.get("id").and_then(Value::as_str) else {
            continue;
        };
        let Ok(parsed) = id.parse::<ApiVersion>() else {
            continue;
        };
        if v.get("status").and_then(Value::as_str) == Some("CURRENT") {
            current = Some(parsed);
        }
        versions.push(parsed);
    }
    versions.sort_by(|a, b| b.cmp(a));
    versions.dedup();
    TargetInfo {
        versions,
        current,
        ..TargetInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_an_unsorted_version_list() {
        let doc = json!({"versions": [
            {"id": "v2.15", "status": "SUPPORTED"},
            {"id": "v2.17", "status": "CURRENT"},
            {"id": "v2.0", "status": "SUPPORTED"},
            {"id": "bogus", "status": "SUPPORTED"}
        ]});
        let info = parse_versions(&doc);
        assert_eq!(info.highest().unwrap().to_string(), "2.17");
        assert_eq!(info.current.unwrap().to_string(), "2.17");
        assert_eq!(info.versions.len(), 3);
    }

    #[test]
    fn features_from_discovery_documents() {
        let import = json!({"import-methods": {"description": "d", "type": "array", "value": ["glance-direct", "web-download"]}});
        assert_eq!(
            import_features(&import),
            ["import", "import:glance-direct", "import:web-download"]
        );
        assert!(import_features(&json!({"import-methods": {"value": []}})).is_empty());
        assert_eq!(
            store_features(&json!({"stores": [{"id": "fs", "default": "true"}]})),
            ["stores"]
        );
        assert_eq!(
            store_features(&json!({"stores": [{"id": "a"}, {"id": "b"}]})),
            ["stores", "multistore"]
        );
    }

    #[test]
    fn cache_only_when_v2_14_is_listed() {
        let with = json!({"versions": [{"id": "v2.18", "status": "CURRENT"}, {"id": "v2.14", "status": "SUPPORTED"}]});
        let without = json!({"versions": [{"id": "v2.15", "status": "SUPPORTED"}, {"id": "v2.17", "status": "CURRENT"}]});
        assert_eq!(
            cache_feature(&parse_versions(&with).versions).as_deref(),
            Some("cache")
        );
        assert_eq!(cache_feature(&parse_versions(&without).versions), None);
    }

    #[test]
    fn anything_else_leaves_gating_off() {
        assert!(parse_versions(&json!("nope")).highest().is_none());
    }
}
