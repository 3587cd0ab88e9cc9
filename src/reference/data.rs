//! Image data: upload (`PUT …/file`), staging (`PUT …/stage`) and download (`GET …/file`) with
//! byte ranges (B195–B213, B260–B262).
//!
//! Uploads are streamed: the body is read chunk by chunk, each chunk goes into the MD5 and
//! SHA-512 digests as it arrives, and reading stops with 413 once the data passes the server's
//! `max_image_bytes` (default [`DEFAULT_MAX_IMAGE_BYTES`]). While the bytes arrive the image is `saving` (upload) or `uploading`
//! (stage), so a second writer gets 409; any failure puts it back to `queued`.

use axum::body::{Body, Bytes};
use axum::http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha512};

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::policy;
use super::request::{self, Ctx};
use super::state::{now, AppState, Image, Status};

/// Largest image (and staged) data accepted unless `imgconf serve --max-image-bytes` says
/// otherwise; more is refused with 413.
pub const DEFAULT_MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;

/// How `GET /v2/info/stores` describes each store.
pub const STORE_DESCRIPTION: &str = "In-memory store of the imgconf reference server";
/// The secure hash algorithm of `os_hash_algo` (Glance's default `hashing_algorithm`).
pub const HASH_ALGO: &str = "sha512";

/// Received data with its digests, computed while it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    pub bytes: Bytes,
    pub md5: [u8; 16],
    pub sha512_hex: String,
}

impl Blob {
    /// A blob of `bytes`, digested in one go (tests and small data).
    #[cfg(test)]
    pub fn of(bytes: &[u8]) -> Blob {
        Blob::digest(Bytes::copy_from_slice(bytes))
    }

    /// A blob of data already in memory (a web-download).
    pub fn digest(bytes: Bytes) -> Blob {
        let mut d = Digests::default();
        d.update(&bytes);
        d.finish(bytes)
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

#[derive(Default)]
struct Digests {
    md5: Md5,
    sha512: Sha512,
}

impl Digests {
    fn update(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        self.sha512.update(chunk);
    }

    fn finish(self, bytes: Bytes) -> Blob {
        Blob {
            bytes,
            md5: self.md5.finalize().into(),
            sha512_hex: hex::encode(self.sha512.finalize()),
        }
    }
}

/// Where streamed data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `PUT /v2/images/{id}/file`: the image's data; the image becomes active.
    Upload,
    /// `PUT /v2/images/{id}/stage`: the staging area; the image becomes `uploading`.
    Stage,
}

impl Sink {
    /// The status the image has while the data arrives.
    fn busy_status(self) -> Status {
        match self {
            Sink::Upload => Status::Saving,
            Sink::Stage => Status::Uploading,
        }
    }
}

/// Format inspection of data about to become the image's (B080, B203): the virtual size to
/// show, or 415 when the data contradicts `disk_format`.
pub fn inspect(image: &Image, blob: &Blob) -> ApiResult<Option<i64>> {
    super::inspect::check(
        image.disk_format.as_deref(),
        image.container_format.as_deref(),
        &blob.bytes,
    )
    .map_err(|why| ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, why))
}

/// Sets every data attribute of `image` from `blob` (already inspected, giving
/// `virtual_size`) and makes it active in `stores` (upload and import).
pub fn activate(image: &mut Image, blob: Blob, stores: Vec<String>, virtual_size: Option<i64>) {
    image.data.size = Some(blob.len() as i64);
    image.data.virtual_size = virtual_size;
    image.data.checksum = Some(hex::encode(blob.md5));
    image.data.os_hash_algo = Some(HASH_ALGO.to_string());
    image.data.os_hash_value = Some(blob.sha512_hex.clone());
    image.data.stores = stores;
    image.data.content = Some(blob);
    image.data.staged = None;
    image.status = Status::Active;
    image.updated_at = now();
}

/// 415 unless the body is declared `application/octet-stream` (B198, B262).
fn check_media_type(ctx: &Ctx) -> ApiResult<()> {
    match ctx.content_type() {
        Some(media) if media == "application/octet-stream" => Ok(()),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "The request media type {} is not supported by this server; send application/octet-stream.",
                other.as_deref().unwrap_or("(none)")
            ),
        )),
    }
}

/// `x-openstack-image-size`, when sent (400 when it is not a byte count).
fn declared_size(ctx: &Ctx) -> ApiResult<Option<usize>> {
    let Some(value) = ctx.headers.get("x-openstack-image-size") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("Invalid or missing image size in request headers."))
}

/// The store an upload goes to: `X-Image-Meta-Store`, which must name a known store (400
/// otherwise, B204), else the default store (B079).
fn upload_store(app: &AppState, ctx: &Ctx) -> ApiResult<String> {
    let stores = &app.options.stores;
    match ctx.headers.get("x-image-meta-store").map(|v| v.to_str()) {
        None => Ok(stores[0].clone()),
        Some(Ok(store)) if stores.iter().any(|s| s == store.trim()) => Ok(store.trim().to_string()),
        Some(Ok(store)) => Err(ApiError::bad_request(format!(
            "Store for identifier {} not found",
            store.trim()
        ))),
        Some(Err(_)) => Err(ApiError::bad_request("Store for identifier not found")),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::too_large(format!(
        "Image data exceeds the limit of {limit} bytes of this server."
    ))
}

/// `PUT …/file` or `PUT …/stage`: checks, then streams the body into the image.
pub async fn receive(
    app: &AppState,
    parts: &Parts,
    body: Body,
    id: &str,
    sink: Sink,
) -> ApiResult<Response> {
    let ctx = Ctx::new(parts, Bytes::new());
    check_media_type(&ctx)?;
    let declared = declared_size(&ctx)?;
    let announced = ctx
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let limit = app.options.max_image_bytes;
    if declared.max(announced).is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let store_id = match sink {
        Sink::Upload => Some(upload_store(app, &ctx)?),
        Sink::Stage => None,
    };
    let mut claim = claim(app, &ctx.caller, id, sink)?;

    let outcome = read_all(body, declared.or(announced), declared, limit).await;
    let mut store = app.store();
    let Some(image) = store.get_live_mut(id) else {
        return Err(ApiError::new(
            StatusCode::GONE,
            format!("Image {id} could not be found after upload. The image may have been deleted during the upload."),
        ));
    };
    if image.status != sink.busy_status() {
        return Err(ApiError::conflict(format!(
            "Image {id} changed status to {} during the upload.",
            image.status.as_str()
        )));
    }
    let blob = match outcome {
        Ok(blob) => blob,
        Err(e) => {
            // The claim puts the image back to queued (B199).
            drop(store);
            return Err(e);
        }
    };
    match sink {
        Sink::Upload => {
            // Refused data leaves the image queued (the armed claim puts it back).
            let virtual_size = inspect(image, &blob)?;
            claim.armed = false;
            activate(image, blob, store_id.into_iter().collect(), virtual_size);
        }
        Sink::Stage => {
            claim.armed = false;
            image.data.size = Some(blob.len() as i64);
            image.data.staged = Some(blob);
            image.updated_at = now();
        }
    }
    Ok(request::no_content())
}

/// An image marked busy while its data arrives. Unless disarmed, dropping it (a failed upload,
/// or a client that went away and so dropped the request) puts the image back to `queued`.
struct Claim<'a> {
    app: &'a AppState,
    id: &'a str,
    busy: Status,
    armed: bool,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut store = self.app.store();
        if let Some(image) = store.get_live_mut(self.id) {
            if image.status == self.busy {
                image.status = Status::Queued;
                image.updated_at = now();
            }
        }
    }
}

/// Checks that the image may take data now and marks it busy (`saving` / `uploading`).
fn claim<'a>(app: &'a AppState, caller: &Caller, id: &'a str, sink: Sink) -> ApiResult<Claim<'a>> {
    let mut store = app.store();
    let image = super::images::readable_mut(&mut store, caller, id)?;
    if !policy::can_write(caller, image) {
        return Err(policy::not_owner());
    }
    let busy = sink.busy_status();
    if image.status != Status::Queued {
        return Err(ApiError::conflict(format!(
            "Image status transition from {} to {} is not allowed",
            image.status.as_str(),
            busy.as_str()
        )));
    }
    if sink == Sink::Upload {
        let missing: Vec<&str> = [
            ("disk_format", &image.disk_format),
            ("container_format", &image.container_format),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k)
        .collect();
        match missing.as_slice() {
            [] => {}
            [one] => {
                return Err(ApiError::bad_request(format!(
                    "Property {one} must be set prior to saving data."
                )))
            }
            many => {
                return Err(ApiError::bad_request(format!(
                    "Properties {} must be set prior to saving data.",
                    many.join(", ")
                )))
            }
        }
    }
    image.status = busy;
    image.updated_at = now();
    Ok(Claim {
        app,
        id,
        busy,
        armed: true,
    })
}

/// Reads the body to its end, digesting as it goes; stops past `limit` bytes.
/// Reads the whole body (at most `limit` bytes), digesting it as it arrives. `expect_len` (the
/// declared size or Content-Length, already checked against `limit`) sizes the buffer once
/// instead of growing it by copies.
async fn read_all(
    body: Body,
    expect_len: Option<usize>,
    declared: Option<usize>,
    limit: usize,
) -> ApiResult<Blob> {
    let mut stream = body.into_data_stream();
    let mut digests = Digests::default();
    let mut buffer: Vec<u8> = Vec::with_capacity(expect_len.unwrap_or(0).min(limit));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(format!("The image data could not be read: {e}")))?;
        if buffer.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        digests.update(&chunk);
        buffer.extend_from_slice(&chunk);
    }
    if let Some(expected) = declared {
        if expected != buffer.len() {
            return Err(ApiError::bad_request(format!(
                "Size mismatch: expected {expected} bytes, got {} bytes",
                buffer.len()
            )));
        }
    }
    Ok(digests.finish(Bytes::from(buffer)))
}

/// A single byte range resolved against the data size (inclusive bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: usize,
    pub last: usize,
}

/// What a `Range` header asks for (RFC 7233).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No range, or a unit other than bytes (ignored, RFC 7233 §3.1): the whole data.
    Whole,
    Partial(Span),
    /// Several ranges: not supported (api-ref `Range`, B212).
    Multiple,
    /// Invalid or unsatisfiable (B211).
    Unsatisfiable,
}

/// Resolves a `Range` header value against data of `size` bytes.
pub fn resolve_range(header: Option<&str>, size: usize) -> RangeAnswer {
    let Some(value) = header.map(str::trim) else {
        return RangeAnswer::Whole;
    };
    let Some((unit, set)) = value.split_once('=') else {
        return RangeAnswer::Unsatisfiable;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeAnswer::Whole;
    }
    if set.contains(',') {
        return RangeAnswer::Multiple;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return RangeAnswer::Unsatisfiable;
    };
    let number = |s: &str| -> Option<usize> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<usize>().unwrap_or(usize::MAX))
    };
    let span = match (first.trim().is_empty(), number(first), number(last)) {
        // `-N`: the last N bytes (all of them when N is larger than the data).
        (true, _, Some(n)) if n > 0 && size > 0 => Some(Span {
            first: size - n.min(size),
            last: size - 1,
        }),
        // `A-` and `A-B`, clamped to the data (RFC 7233 §2.1).
        (false, Some(a), None) if last.trim().is_empty() && a < size => Some(Span {
            first: a,
            last: size - 1,
        }),
        (false, Some(a), Some(b)) if a <= b && a < size => Some(Span {
            first: a,
            last: b.min(size - 1),
        }),
        _ => None,
    };
    span.map_or(RangeAnswer::Unsatisfiable, RangeAnswer::Partial)
}

/// `?prefer=a,b` on a download names stores to read from first (2026.1, B214); each must be
/// a configured store (400 otherwise). Every store here holds the same bytes, so the order
/// changes nothing else.
fn check_prefer(app: &AppState, ctx: &Ctx) -> ApiResult<()> {
    let query = ctx.query.as_deref().unwrap_or("");
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key != "prefer" {
            continue;
        }
        for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !app.options.stores.iter().any(|s| s == id) {
                return Err(ApiError::bad_request(format!(
                    "Store '{id}' is not configured."
                )));
            }
        }
    }
    Ok(())
}

/// `GET …/file`.
pub fn download(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    check_prefer(app, ctx)?;
    let store = app.store();
    let image = store
        .get_live(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| super::images::no_image(id))?;
    if image.status == Status::Deactivated && !ctx.caller.is_admin {
        return Err(ApiError::forbidden(
            "The requested image has been deactivated. Image data download is forbidden.",
        ));
    }
    let Some(blob) = image.data.content.clone() else {
        // No data (queued, staged, importing): 204 without a body or Content-Type (B005, B206).
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return Ok(response);
    };
    drop(store);

    let size = blob.len();
    let range = ctx.headers.get("range").and_then(|v| v.to_str().ok());
    let (status, body, content_range) = match resolve_range(range, size) {
        RangeAnswer::Whole => (StatusCode::OK, blob.bytes.clone(), None),
        RangeAnswer::Partial(span) => (
            StatusCode::PARTIAL_CONTENT,
            blob.bytes.slice(span.first..=span.last),
            Some(format!("bytes {}-{}/{size}", span.first, span.last)),
        ),
        RangeAnswer::Multiple => {
            return Err(ApiError::bad_request(
                "Requests with multiple ranges are not supported. Make several single-range requests instead.",
            ))
        }
        RangeAnswer::Unsatisfiable => {
            let error = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("The requested range is not satisfiable for {size} bytes of data."),
            );
            return Err(match HeaderValue::from_str(&format!("bytes */{size}")) {
                Ok(v) => error.with_header(axum::http::header::CONTENT_RANGE, v),
                Err(_) => error,
            });
        }
    };
    let length = body.len();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    match content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        Some(v) => {
            headers.insert(axum::http::header::CONTENT_RANGE, v);
        }
        None => {
            // RFC 1864: the base64 of the MD5 digest of the body, i.e. of the whole data. A
            // partial answer carries no Content-MD5 (it would have to cover only the part).
            if let Ok(v) = HeaderValue::from_str(&base64(&blob.md5)) {
                headers.insert("content-md5", v);
            }
        }
    }
    Ok(response)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(first: usize, last: usize) -> RangeAnswer {
        RangeAnswer::Partial(Span { first, last })
    }

    #[test]
    fn ranges_follow_rfc_7233() {
        use RangeAnswer::*;
        let r = |h: &str| resolve_range(Some(h), 19);
        assert_eq!(resolve_range(None, 19), Whole);
        assert_eq!(r("bytes=0-3"), partial(0, 3));
        assert_eq!(r("bytes=0-0"), partial(0, 0));
        assert_eq!(r("bytes=5-"), partial(5, 18));
        assert_eq!(r("bytes=-4"), partial(15, 18));
        assert_eq!(r("bytes=10-2000"), partial(10, 18));
        assert_eq!(r("bytes=-2000"), partial(0, 18));
        assert_eq!(r("Bytes = 18-18"), partial(18, 18));
        assert_eq!(r("bytes=19-"), Unsatisfiable);
        assert_eq!(r("bytes=2000-3000"), Unsatisfiable);
        assert_eq!(r("bytes=5-2"), Unsatisfiable);
        assert_eq!(r("bytes=-0"), Unsatisfiable);
        assert_eq!(r("bytes=abc"), Unsatisfiable);
        assert_eq!(r("bytes=1-x"), Unsatisfiable);
        assert_eq!(r("bytes=99999999999999999999999-"), Unsatisfiable);
        assert_eq!(r("bytes"), Unsatisfiable);
        assert_eq!(r("bytes=0-1,5-6"), Multiple);
        assert_eq!(r("items=0-1"), Whole);
        assert_eq!(resolve_range(Some("bytes=0-3"), 0), Unsatisfiable);
        assert_eq!(resolve_range(Some("bytes=-3"), 0), Unsatisfiable);
    }

    #[test]
    fn digests_and_base64() {
        let blob = Blob::of(b"hello imgconf data\n");
        assert_eq!(hex::encode(blob.md5), "b30ef9a3dc4d358ba2aa785f6bac7c54");
        assert_eq!(base64(&blob.md5), "sw75o9xNNYuiqnhfa6x8VA==");
        assert!(blob.sha512_hex.starts_with("0192e362fa7f8533"));
        assert_eq!(base64(&Blob::of(b"").md5), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    fn chunked(chunks: &[&'static [u8]]) -> Body {
        let items: Vec<Result<Bytes, std::io::Error>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Body::from_stream(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn reading_digests_chunks_and_enforces_limits() {
        let blob = read_all(
            chunked(&[b"hello ", b"imgconf ", b"data\n"]),
            Some(19),
            Some(19),
            19,
        )
        .await
        .unwrap();
        assert_eq!(blob, Blob::of(b"hello imgconf data\n"));
        let err = read_all(
            chunked(&[b"hello ", b"imgconf ", b"data\n"]),
            None,
            None,
            18,
        )
        .await
        .unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
        let err = read_all(chunked(&[b"hello"]), Some(21), Some(21), 64)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message.contains("expected 21 bytes, got 5 bytes"),
            "{}",
            err.message
        );
        let failing = Body::from_stream(futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"x")),
            Err(std::io::Error::other("client went away")),
        ]));
        let err = read_all(failing, None, None, 64).await.unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_dropped_claim_puts_the_image_back_to_queued() {
        let app = AppState::new(super::super::ServerOptions::default());
        let mut img = Image::new("i".into(), 1, now());
        img.disk_format = Some("raw".into());
        img.container_format = Some("bare".into());
        app.store().insert(img);
        let caller = Caller::noauth();
        let claim = claim(&app, &caller, "i", Sink::Upload).unwrap();
        assert_eq!(app.store().get_live("i").unwrap().status, Status::Saving);
        let again = claim_status(&app, &caller, Sink::Stage);
        assert_eq!(again, Some(StatusCode::CONFLICT));
        drop(claim);
        assert_eq!(app.store().get_live("i").unwrap().status, Status::Queued);
        let mut claim = claim_ok(&app, &caller, Sink::Stage);
        claim.armed = false;
        drop(claim);
        assert_eq!(app.store().get_live("i").unwrap().status, Status::Uploading);
    }

    fn claim_status(app: &AppState, caller: &Caller, sink: Sink) -> Option<StatusCode> {
        claim(app, caller, "i", sink).err().map(|e| e.status)
    }

    fn claim_ok<'a>(app: &'a AppState, caller: &Caller, sink: Sink) -> Claim<'a> {
        claim(app, caller, "i", sink).unwrap()
    }

    #[test]
    fn uploads_need_both_formats_but_staging_does_not() {
        let app = AppState::new(super::super::ServerOptions::default());
        app.store().insert(Image::new("i".into(), 1, now()));
        let caller = Caller::noauth();
        let err = claim(&app, &caller, "i", Sink::Upload).err().unwrap();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(err
            .message
            .starts_with("Properties disk_format, container_format"));
        assert!(claim(&app, &caller, "i", Sink::Stage).is_ok());
        assert_eq!(
            claim_status(&app, &caller, Sink::Upload),
            Some(StatusCode::BAD_REQUEST)
        );
        let stranger = Caller::confirmed(Some("B".into()), None, vec!["member".into()]);
        assert_eq!(
            claim(&app, &stranger, "nope", Sink::Upload)
                .err()
                .map(|e| e.status),
            Some(StatusCode::NOT_FOUND)
        );
    }

    #[test]
    fn activation_fills_the_data_attributes() {
        let mut img = Image::new("i".into(), 1, now());
        img.disk_format = Some("raw".into());
        img.container_format = Some("bare".into());
        let blob = Blob::of(b"abc");
        let virtual_size = inspect(&img, &blob).unwrap();
        activate(&mut img, blob, vec!["fs".into()], virtual_size);
        assert_eq!(img.status, Status::Active);
        assert_eq!(img.data.size, Some(3));
        assert_eq!(img.data.virtual_size, Some(3));
        assert_eq!(
            img.data.checksum.as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(img.data.os_hash_algo.as_deref(), Some("sha512"));
        assert_eq!(img.data.stores, ["fs"]);
        // raw bytes declared qcow2 are refused (B203); a real qcow2 shows its virtual size.
        let mut q = Image::new("q".into(), 2, now());
        q.disk_format = Some("qcow2".into());
        q.container_format = Some("bare".into());
        let err = inspect(&q, &Blob::of(b"abc")).unwrap_err();
        assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let qcow2 = Blob::of(&crate::diskimage::qcow2(1 << 20));
        assert_eq!(inspect(&q, &qcow2).unwrap(), Some(1 << 20));
    }
}
