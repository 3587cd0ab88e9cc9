//! Everything a run creates on the target (images, metadata-definition namespaces) is recorded
//! here as it is created, and deleted at the end of its case and, for anything left, at the end
//! of the run.

use crate::http::Target;
use reqwest::Method;
use std::sync::Mutex;

/// What kind of resource was created; each kind has its own delete call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    /// A metadata-definition namespace (deleting it deletes its objects, properties and tags).
    Namespace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Created {
    case: String,
    kind: Kind,
    /// Image id, or namespace name.
    image_id: String,
    /// Headers the creating case used (identity), reused to delete.
    headers: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Tracker {
    live: Mutex<Vec<Created>>,
    /// The run's `created.jsonl`, for `imgconf cleanup` after a run that was killed.
    journal: Option<crate::journal::Journal>,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Namespace => "namespace",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        match name {
            "image" => Some(Kind::Image),
            "namespace" => Some(Kind::Namespace),
            _ => None,
        }
    }
}

const PATCH_TYPE: &str = "application/openstack-images-v2.1-json-patch";

impl Tracker {
    /// A tracker that also journals every creation and deletion.
    pub fn journaled(journal: crate::journal::Journal) -> Tracker {
        Tracker {
            journal: Some(journal),
            ..Tracker::default()
        }
    }

    fn note(&self, kind: Kind, key: &str, event: &str) {
        if let Some(j) = &self.journal {
            j.write(kind.name(), key, event);
        }
    }

    pub fn record(&self, case: &str, image_id: &str, headers: &[(String, String)]) {
        self.record_kind(case, Kind::Image, image_id, headers);
    }

    pub fn record_kind(&self, case: &str, kind: Kind, key: &str, headers: &[(String, String)]) {
        if self.adopt(case, kind, key, headers) {
            self.note(kind, key, "created");
        }
    }

    /// Takes on a resource the journal already holds (for `imgconf cleanup`); true when new.
    pub fn adopt(&self, case: &str, kind: Kind, key: &str, headers: &[(String, String)]) -> bool {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let new = !live.iter().any(|c| c.kind == kind && c.image_id == key);
        if new {
            live.push(Created {
                case: case.to_string(),
                kind,
                image_id: key.to_string(),
                headers: headers.to_vec(),
            });
        }
        new
    }

    /// Follows a rename, so the resource is deleted under its new name.
    pub fn rename(&self, kind: Kind, old: &str, new: &str) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        for c in live
            .iter_mut()
            .filter(|c| c.kind == kind && c.image_id == old)
        {
            c.image_id = new.to_string();
            self.note(kind, new, "created");
            self.note(kind, old, "deleted");
        }
    }

    /// How many recorded resources are not yet deleted.
    pub fn pending(&self) -> usize {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Deletes what `case` created (newest first); `None` deletes everything left. Returns problems.
    pub async fn delete(&self, target: &Target, case: Option<&str>) -> Vec<String> {
        let todo: Vec<Created> = {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.iter()
                .filter(|c| case.is_none_or(|n| c.case == n))
                .rev()
                .cloned()
                .collect()
        };
        let mut problems = Vec::new();
        for item in todo {
            let (what, done) = match item.kind {
                Kind::Image => ("image", delete_image(target, &item).await),
                Kind::Namespace => ("metadef namespace", delete_namespace(target, &item).await),
            };
            match done {
                Ok(()) => {
                    self.note(item.kind, &item.image_id, "deleted");
                    self.live
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|c| !(c.kind == item.kind && c.image_id == item.image_id))
                }
                Err(p) => problems.push(format!("{what} {}: {p}", item.image_id)),
            }
        }
        problems
    }
}

async fn delete_image(target: &Target, item: &Created) -> Result<(), String> {
    let url = target.url(&format!("/v2/images/{}", item.image_id));
    let mut headers = item.headers.clone();
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    let (_, first) = target.send(Method::DELETE, &url, &headers, None).await;
    let first = first.map_err(|e| e.to_string())?;
    match first.status {
        204 | 404 => return Ok(()),
        // A protected image must be unprotected first; cases protect images on purpose.
        403 => {}
        s => return Err(format!("DELETE answered {s}{}", said(&first.bytes))),
    }
    let mut patch_headers = headers.clone();
    patch_headers.push(("Content-Type".into(), PATCH_TYPE.into()));
    let body = br#"[{"op":"replace","path":"/protected","value":false}]"#.to_vec();
    let (_, unprotect) = target
        .send(Method::PATCH, &url, &patch_headers, Some(body))
        .await;
    let unprotect = unprotect.map_err(|e| e.to_string())?;
    if unprotect.status != 200 {
        return Err(format!(
            "DELETE answered 403{} and unprotecting answered {}{}",
            said(&first.bytes),
            unprotect.status,
            said(&unprotect.bytes)
        ));
    }
    let (_, second) = target.send(Method::DELETE, &url, &headers, None).await;
    let second = second.map_err(|e| e.to_string())?;
    match second.status {
        204 | 404 => Ok(()),
        s => Err(format!(
            "DELETE answered {s}{} even after unprotecting",
            said(&second.bytes)
        )),
    }
}

async fn delete_namespace(target: &Target, item: &Created) -> Result<(), String> {
    let name: String = url::form_urlencoded::byte_serialize(item.image_id.as_bytes()).collect();
    let url = target.url(&format!("/v2/metadefs/namespaces/{name}"));
    let mut headers = item.headers.clone();
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    let (_, r) = target.send(Method::DELETE, &url, &headers, None).await;
    let r = r.map_err(|e| e.to_string())?;
    match r.status {
        204 | 404 => Ok(()),
        s => Err(format!("DELETE answered {s}{}", said(&r.bytes))),
    }
}

/// ` ("the target's reason")`, from an error body: the `message` of a JSON error, else the text
/// with markup and the status line left out; empty when there is nothing to say.
fn said(body: &[u8]) -> String {
    let reason = reason(body);
    if reason.is_empty() {
        String::new()
    } else {
        format!(" ({reason:?})")
    }
}

fn reason(body: &[u8]) -> String {
    fn message(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(o) => o
                .get("message")
                .and_then(|m| m.as_str().map(str::to_string))
                .or_else(|| o.values().find_map(message)),
            serde_json::Value::Array(a) => a.iter().find_map(message),
            _ => None,
        }
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => message(&v).unwrap_or_else(|| v.to_string()),
        Err(_) => {
            let raw = String::from_utf8_lossy(body);
            // An HTML page's head and heading repeat the status; its text is the reason.
            let repeats = regex::Regex::new(r"(?is)<head>.*?</head>|<h1>.*?</h1>|<[^>]*>")
                .expect("a fixed pattern");
            let text = repeats.replace_all(&raw, "\n").into_owned();
            // webob's plain error pages start with the status line again ("400 Bad Request").
            let status_line =
                regex::Regex::new(r"^\s*\d{3} [A-Za-z -]+\n").expect("a fixed pattern");
            status_line.replace(&text, "").into_owned()
        }
    };
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = joined.chars().take(300).collect();
    if cut.len() < joined.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_reason_is_kept() {
        let glance = b"400 Bad Request\n\nImage status transition from deleted to deleted is not allowed\n\n   ";
        assert_eq!(
            reason(glance),
            "Image status transition from deleted to deleted is not allowed"
        );
        let html = b"<html><head><title>409 Conflict</title></head><body><h1>409 Conflict</h1>Image is in use.</body></html>";
        assert_eq!(reason(html), "Image is in use.");
        let json = br#"{"badRequest": {"code": 400, "message": "Bad thing"}}"#;
        assert_eq!(reason(json), "Bad thing");
        assert_eq!(said(b""), "");
        assert_eq!(said(b"  nope "), " (\"nope\")");
    }
}
