//! `imgconf cleanup`: finds images that earlier runs left on a target (their names start with
//! `imgconf-<run id>-`) and deletes them. Nothing without that prefix is ever touched.

use crate::cleanup::Tracker;
use crate::http::Target;
use regex::Regex;
use serde_json::Value;

/// Which names belong to imgconf runs.
pub struct Prefix(Regex);

impl Prefix {
    /// One run's images, or (without a run id) any run's: `imgconf-<8 hex>-…`, the form of
    /// generated run ids.
    pub fn new(run_id: Option<&str>) -> Prefix {
        let pattern = match run_id {
            Some(id) => format!("^imgconf-{}-", regex::escape(id)),
            None => "^imgconf-[0-9a-f]{8}-".to_string(),
        };
        Prefix(Regex::new(&pattern).expect("a fixed pattern"))
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// An image a run left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub id: String,
    pub name: String,
}

/// Every visible image whose name has the prefix (hidden ones included), following `next` links.
pub async fn find(
    target: &Target,
    headers: &[(String, String)],
    prefix: &Prefix,
) -> Result<Vec<Leftover>, String> {
    let mut found = Vec::new();
    for start in [
        "/v2/images?limit=200",
        "/v2/images?limit=200&os_hidden=true",
    ] {
        let mut url = target.url(start);
        for _ in 0..10_000 {
            let (_, r) = target.send(reqwest::Method::GET, &url, headers, None).await;
            let r = r.map_err(|e| e.to_string())?;
            if r.status != 200 {
                return Err(format!("listing images answered {}", r.status));
            }
            let page: Value = serde_json::from_slice(&r.bytes)
                .map_err(|e| format!("listing images: not JSON: {e}"))?;
            for img in page
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(id), Some(name)) = (
                    img.get("id").and_then(Value::as_str),
                    img.get("name").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if prefix.matches(name) && !found.iter().any(|l: &Leftover| l.id == id) {
                    found.push(Leftover {
                        id: id.into(),
                        name: name.into(),
                    });
                }
            }
            match page.get("next").and_then(Value::as_str) {
                Some(next) => url = target.url(next),
                None => break,
            }
        }
    }
    Ok(found)
}

/// Deletes the leftovers (unprotecting first where needed); returns the problems.
pub async fn delete(
    target: &Target,
    headers: &[(String, String)],
    leftovers: &[Leftover],
) -> Vec<String> {
    let tracker = Tracker::default();
    for l in leftovers {
        tracker.record("cleanup", &l.id, headers);
    }
    tracker.delete(target, None).await
}

/// Deletes what the journals say is left (images by id, namespaces by name), except what the
/// name sweep already took, and journals each deletion. Returns how many were tried and the
/// problems.
pub async fn delete_journaled(
    target: &Target,
    headers: &[(String, String)],
    journals: &[(std::path::PathBuf, crate::journal::Entry)],
    swept: &[Leftover],
) -> (usize, Vec<String>) {
    let mut by_run: Vec<(&std::path::Path, &str, Vec<&crate::journal::Entry>)> = Vec::new();
    for (path, e) in journals {
        if e.kind == "image" && swept.iter().any(|l| l.id == e.id) {
            continue;
        }
        match by_run
            .iter_mut()
            .find(|(p, r, _)| *p == path.as_path() && *r == e.run_id)
        {
            Some((_, _, list)) => list.push(e),
            None => by_run.push((path, &e.run_id, vec![e])),
        }
    }
    let (mut tried, mut problems) = (0, Vec::new());
    for (path, run_id, entries) in by_run {
        let tracker = match crate::journal::Journal::open(path, run_id, target.base()) {
            Ok(j) => Tracker::journaled(j),
            // A journal that can be read but not written: delete all the same.
            Err(_) => Tracker::default(),
        };
        for e in entries {
            if let Some(kind) = crate::cleanup::Kind::from_name(&e.kind) {
                tried += 1;
                tracker.adopt("cleanup", kind, &e.id, headers);
            }
        }
        problems.extend(tracker.delete(target, None).await);
    }
    (tried, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_only_imgconf_names() {
        let any = Prefix::new(None);
        assert!(any.matches("imgconf-0a1b2c3d-tags-put-is-idempotent"));
        assert!(!any.matches("imgconf-notarun-x"));
        assert!(!any.matches("ubuntu-imgconf-0a1b2c3d-x"));
        let one = Prefix::new(Some("r.1"));
        assert!(one.matches("imgconf-r.1-x"));
        assert!(!one.matches("imgconf-rx1-x"));
    }
}
