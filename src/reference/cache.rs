//! The image cache API (`/v2/cache`, since 2.14; `clean` and `prune` since 2.18): B278.
//!
//! Every call is admin-only (Glance's `cache_*` policies are `role:admin`). Queueing an active
//! image caches it at once: this server keeps image data in memory, so "fetching it into the
//! cache" is recording it. As on Glance, deleting an image leaves its cache entry; the entry
//! goes with `DELETE /v2/cache/{id}` or a clear.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::policy;
use super::request::{self, Ctx};
use super::state::{AppState, Status};

#[derive(Debug, Default)]
pub struct Cache {
    /// Cached images by id: size and when they were cached (seconds since the epoch).
    cached: BTreeMap<String, (i64, f64)>,
    /// Images waiting to be cached, in order.
    queued: Vec<String>,
}

impl Cache {
    fn contains(&self, id: &str) -> bool {
        self.cached.contains_key(id) || self.queued.iter().any(|q| q == id)
    }

    fn document(&self) -> Value {
        let cached: Vec<Value> = self
            .cached
            .iter()
            .map(|(id, (size, at))| {
                json!({"image_id": id, "hits": 0, "last_accessed": at, "last_modified": at, "size": size})
            })
            .collect();
        json!({"cached_images": cached, "queued_images": self.queued})
    }
}

/// The cache policies (`cache_list`, `cache_image`, `cache_delete`, `cache_clean`,
/// `cache_prune`) are `role:admin`.
fn admit(ctx: &Ctx, action: &str) -> ApiResult<()> {
    if ctx.caller.has_role("admin") {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "You are not authorized to complete {action} action."
        )))
    }
}

/// An empty answer with a status, labelled like Glance's other empty answers (B005).
fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response
}

/// `GET /v2/cache`: cached and queued images.
pub fn state(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    admit(ctx, "cache_list")?;
    let doc = app.store().cache.document();
    Ok(request::json(StatusCode::OK, &doc))
}

/// `PUT /v2/cache/{id}`: 404 for an image the caller cannot see, then the policy, then 400
/// unless the image is active (Glance's order), 202 when queued.
pub fn queue(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let mut store = app.store();
    let image = store
        .get_live(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("Image {id} not found.")))?;
    admit(ctx, "cache_image")?;
    if image.status != Status::Active {
        return Err(ApiError::bad_request(
            "Only images with status active can be targeted for queueing",
        ));
    }
    let size = image.data.size.unwrap_or(0);
    let at = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
    store.cache.queued.retain(|q| q != id);
    store.cache.cached.insert(id.to_string(), (size, at));
    Ok(empty(StatusCode::ACCEPTED))
}

/// `DELETE /v2/cache/{id}`: removes the image from cache and queue; 404 only when neither the
/// image nor a cache entry for it exists.
pub fn delete_entry(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let mut store = app.store();
    let visible = store
        .get_live(id)
        .is_some_and(|img| policy::can_read(&ctx.caller, img));
    if !visible && !store.cache.contains(id) {
        return Err(ApiError::not_found(format!("Image {id} not found.")));
    }
    admit(ctx, "cache_delete")?;
    store.cache.cached.remove(id);
    store.cache.queued.retain(|q| q != id);
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `DELETE /v2/cache`: clears the cache, the queue or both (`x-image-cache-clear-target`).
pub fn clear(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    admit(ctx, "cache_delete")?;
    let target = ctx
        .headers
        .get("x-image-cache-clear-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (cache, queue) = match target.as_str() {
        "" => (true, true),
        "cache" => (true, false),
        "queue" => (false, true),
        _ => return Err(ApiError::bad_request(
            "If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.",
        )),
    };
    let mut store = app.store();
    if cache {
        store.cache.cached.clear();
    }
    if queue {
        store.cache.queued.clear();
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST /v2/cache/clean`: nothing here is ever stalled or invalid, so there is nothing to
/// clean; 200 with an empty body, as on Glance.
pub fn clean(ctx: &Ctx) -> ApiResult<Response> {
    admit(ctx, "cache_clean")?;
    Ok(empty(StatusCode::OK))
}

/// `POST /v2/cache/prune`: this cache has no size limit, so nothing is pruned.
pub fn prune(ctx: &Ctx) -> ApiResult<Response> {
    admit(ctx, "cache_prune")?;
    Ok(request::json(
        StatusCode::OK,
        &json!({"total_files_pruned": 0, "total_bytes_pruned": 0}),
    ))
}
