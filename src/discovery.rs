//! What the run learns from the target before any case: that it answers at all, and which
//! Images API versions it offers (`GET /`).

use crate::case::ApiVersion;
use crate::http::Target;
use serde_json::Value;

#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetInfo {
    /// Every version the document lists, highest first.
    pub versions: Vec<ApiVersion>,
    pub current: Option<ApiVersion>,
}

impl TargetInfo {
    /// The highest version offered, which gates cases by `since`.
    pub fn highest(&self) -> Option<ApiVersion> {
        self.versions.first().copied()
    }
}

/// Fails only when the endpoint cannot be talked to; an odd versions document is not fatal here
/// (the versions cases judge it), it only leaves version gating off.
pub async fn probe(target: &Target) -> Result<TargetInfo, String> {
    let headers = [("Accept".to_string(), "application/json".to_string())];
    let (_, received) = target
        .send(reqwest::Method::GET, &target.url("/"), &headers, None)
        .await;
    let r = received.map_err(|e| format!("cannot reach the endpoint {}: {e}", target.base()))?;
    let doc: Value = serde_json::from_slice(&r.bytes).unwrap_or(Value::Null);
    Ok(parse_versions(&doc))
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
    TargetInfo { versions, current }
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
    fn anything_else_leaves_gating_off() {
        assert!(parse_versions(&json!("nope")).highest().is_none());
    }
}
