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
}

const PATCH_TYPE: &str = "application/openstack-images-v2.1-json-patch";

impl Tracker {
    pub fn record(&self, case: &str, image_id: &str, headers: &[(String, String)]) {
        self.record_kind(case, Kind::Image, image_id, headers);
    }

    pub fn record_kind(&self, case: &str, kind: Kind, key: &str, headers: &[(String, String)]) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if !live.iter().any(|c| c.kind == kind && c.image_id == key) {
            live.push(Created {
                case: case.to_string(),
                kind,
                image_id: key.to_string(),
                headers: headers.to_vec(),
            });
        }
    }

    /// Follows a rename, so the resource is deleted under its new name.
    pub fn rename(&self, kind: Kind, old: &str, new: &str) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        for c in live
            .iter_mut()
            .filter(|c| c.kind == kind && c.image_id == old)
        {
            c.image_id = new.to_string();
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
                Ok(()) => self
                    .live
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|c| !(c.kind == item.kind && c.image_id == item.image_id)),
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
    match first.map_err(|e| e.to_string())?.status {
        204 | 404 => return Ok(()),
        // A protected image must be unprotected first; cases protect images on purpose.
        403 => {}
        s => return Err(format!("DELETE answered {s}")),
    }
    let mut patch_headers = headers.clone();
    patch_headers.push(("Content-Type".into(), PATCH_TYPE.into()));
    let body = br#"[{"op":"replace","path":"/protected","value":false}]"#.to_vec();
    let (_, unprotect) = target
        .send(Method::PATCH, &url, &patch_headers, Some(body))
        .await;
    let s = unprotect.map_err(|e| e.to_string())?.status;
    if s != 200 {
        return Err(format!("DELETE answered 403 and unprotecting answered {s}"));
    }
    let (_, second) = target.send(Method::DELETE, &url, &headers, None).await;
    match second.map_err(|e| e.to_string())?.status {
        204 | 404 => Ok(()),
        s => Err(format!("DELETE answered {s} even after unprotecting")),
    }
}

async fn delete_namespace(target: &Target, item: &Created) -> Result<(), String> {
    let name: String = url::form_urlencoded::byte_serialize(item.image_id.as_bytes()).collect();
    let url = target.url(&format!("/v2/metadefs/namespaces/{name}"));
    let mut headers = item.headers.clone();
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    let (_, r) = target.send(Method::DELETE, &url, &headers, None).await;
    match r.map_err(|e| e.to_string())?.status {
        204 | 404 => Ok(()),
        s => Err(format!("DELETE answered {s}")),
    }
}
