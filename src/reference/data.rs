//! Image data, as far as the lifecycle cases need it: `PUT …/file` stores the bytes and makes
//! a queued image active (B195–B198), `GET …/file` returns them (B205, B206), refusing a
//! deactivated image to non-admins (B215).

use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use md5::{Digest, Md5};
use sha2::Sha512;

use super::errors::{ApiError, ApiResult};
use super::images::{readable, readable_mut};
use super::policy;
use super::request::{self, Ctx};
use super::state::{now, AppState, ImageData, Status};

const OCTET_STREAM: &str = "application/octet-stream";

/// `PUT /v2/images/{id}/file`: 204 and the image becomes active.
pub fn upload(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let media = ctx.content_type();
    if media.as_deref() != Some(OCTET_STREAM) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Invalid content type {}",
                media.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    let mut store = app.store();
    let image = readable_mut(&mut store, &ctx.caller, id)?;
    if !policy::can_write(&ctx.caller, image) {
        return Err(policy::not_owner());
    }
    if image.disk_format.is_none() || image.container_format.is_none() {
        return Err(ApiError::bad_request(
            "Properties disk_format, container_format must be set prior to saving data.",
        ));
    }
    if image.status != Status::Queued {
        return Err(ApiError::conflict(format!(
            "Image status transition from {} to saving is not allowed",
            image.status.as_str()
        )));
    }
    let raw = image.disk_format.as_deref() == Some("raw");
    image.data = describe(&ctx.body, raw);
    image.status = Status::Active;
    image.updated_at = now();
    Ok(request::no_content())
}

/// Size and hashes of uploaded bytes; a raw image's virtual size is its size (B080).
fn describe(bytes: &bytes::Bytes, raw: bool) -> ImageData {
    let size = i64::try_from(bytes.len()).ok();
    ImageData {
        size,
        virtual_size: if raw { size } else { None },
        checksum: Some(hex::encode(Md5::digest(bytes))),
        os_hash_algo: Some("sha512".into()),
        os_hash_value: Some(hex::encode(Sha512::digest(bytes))),
        stores: None,
        bytes: Some(bytes.clone()),
    }
}

/// `GET /v2/images/{id}/file`: 200 with the bytes, 204 without data.
pub fn download(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let store = app.store();
    let image = readable(&store, &ctx.caller, id)?;
    if image.status == Status::Deactivated && !ctx.caller.is_admin {
        return Err(ApiError::forbidden(
            "The requested image has been deactivated. Image data download is forbidden.",
        ));
    }
    let Some(bytes) = image.data.bytes.clone() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
    if let Some(md5) = image
        .data
        .checksum
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert("content-md5", md5);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_uploaded_bytes() {
        let d = describe(&bytes::Bytes::from_static(b"hello world"), true);
        assert_eq!(d.size, Some(11));
        assert_eq!(d.virtual_size, Some(11));
        assert_eq!(
            d.checksum.as_deref(),
            Some("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(d.os_hash_value.as_deref().map(str::len), Some(128));
        assert_eq!(describe(&bytes::Bytes::new(), false).virtual_size, None);
    }
}
