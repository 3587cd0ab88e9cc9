//! Image tags: `PUT|DELETE /v2/images/{id}/tags/{tag}` (B129–B143).
//!
//! The tag arrives percent-decoded (UTF-8). A request body is ignored, as the document says
//! (Glance rejects it with 400, B137).

use axum::response::Response;

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::request::{self, Ctx};
use super::state::{now, AppState, Image, Store};
use super::{policy, props};

fn image_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Image {id} not found."))
}

/// A live image the caller may read and change.
fn writable<'a>(
    store: &'a mut Store,
    caller: &Caller,
    id: &str,
    verb: &str,
) -> Result<&'a mut Image, ApiError> {
    let image = store
        .get_live_mut(id)
        .filter(|img| policy::can_read(caller, img))
        .ok_or_else(|| image_not_found(id))?;
    if !policy::can_write(caller, image) {
        return Err(ApiError::forbidden(format!(
            "Not allowed to {verb} tags for image {id}."
        )));
    }
    Ok(image)
}

/// `PUT …/tags/{tag}`: idempotent; 413 only when a new tag would exceed the quota.
pub fn add(app: &AppState, ctx: &Ctx, id: &str, tag: &str) -> ApiResult<Response> {
    if tag.chars().count() > props::MAX_STRING {
        return Err(ApiError::bad_request(format!(
            "Provided object does not match schema 'image': '{tag}' is too long"
        )));
    }
    let mut store = app.store();
    let image = writable(&mut store, &ctx.caller, id, "update")?;
    let present = image.tags.iter().any(|t| t == tag);
    if !present && image.tags.len() >= props::TAG_QUOTA {
        return Err(ApiError::too_large(format!(
            "Image tag limit exceeded for image {id}: Attempted: {}, Maximum: {}",
            image.tags.len() + 1,
            props::TAG_QUOTA
        )));
    }
    image.add_tag(tag);
    image.updated_at = now();
    Ok(request::no_content())
}

/// `DELETE …/tags/{tag}`: 404 when the tag is not set.
pub fn remove(app: &AppState, ctx: &Ctx, id: &str, tag: &str) -> ApiResult<Response> {
    let mut store = app.store();
    let image = writable(&mut store, &ctx.caller, id, "delete")?;
    let before = image.tags.len();
    image.tags.retain(|t| t != tag);
    if image.tags.len() == before {
        return Err(ApiError::no_resource());
    }
    image.updated_at = now();
    Ok(request::no_content())
}
