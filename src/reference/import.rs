//! Interoperable image import (`POST /v2/images/{id}/import`, B263–B267) and the discovery
//! calls under `/v2/info` (B256–B259).
//!
//! Only `glance-direct` is implemented, and it is advertised alone. The import runs at once:
//! when the 202 goes out the staged data is already the image's data and the image is active
//! (the api-ref allows this: "if the import process completes before you make the API call, the
//! image may already show as active").

use axum::body::Body;
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::data::{self, STORE_DESCRIPTION, STORE_ID};
use super::errors::{ApiError, ApiResult};
use super::policy;
use super::request::{self, Ctx};
use super::state::{AppState, Status};

/// The import methods this server implements (and so advertises).
pub const METHODS: [&str; 1] = ["glance-direct"];

/// Headers of the create response that announce import methods and stores (B038).
pub fn announce(response: &mut Response) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&METHODS.join(",")) {
        headers.insert("openstack-image-import-methods", v);
    }
    headers.insert(
        "openstack-image-store-ids",
        HeaderValue::from_static(STORE_ID),
    );
}

/// `GET /v2/info/import`.
pub fn info_import(ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    Ok(request::json(
        StatusCode::OK,
        &json!({"import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": METHODS,
        }}),
    ))
}

/// `GET /v2/info/stores`: the one store, marked as the default (a boolean, as in the api-ref
/// sample).
pub fn info_stores(ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    Ok(request::json(
        StatusCode::OK,
        &json!({"stores": [
            {"id": STORE_ID, "description": STORE_DESCRIPTION, "default": true}
        ]}),
    ))
}

/// `GET /v2/info/stores/detail`: administrators only (`stores_info_detail` is `role:admin`).
pub fn info_stores_detail(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    if !ctx.caller.has_role("admin") {
        return Err(ApiError::forbidden(
            "You are not authorized to complete stores_info_detail action.",
        ));
    }
    Ok(request::json(
        StatusCode::OK,
        &json!({"stores": [{
            "id": STORE_ID,
            "type": "memory",
            "description": STORE_DESCRIPTION,
            "default": true,
            "weight": 0,
            "properties": {"max_image_bytes": app.options.max_image_bytes},
        }]}),
    ))
}

/// `GET /v2/info/usage`: quotas are not enforced here, so there is no usage to report (what
/// Glance answers without unified limits, B259).
pub fn info_usage(ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    Ok(request::json(StatusCode::OK, &json!({"usage": {}})))
}

/// The checked body of an import request.
struct ImportRequest {
    method: String,
    stores: Vec<String>,
}

/// Validates the body the way Glance does before it looks at the image (B264, B266).
fn parse_body(ctx: &Ctx) -> ApiResult<ImportRequest> {
    let body = match ctx.json_body()? {
        Value::Object(m) => m,
        _ => {
            return Err(ApiError::bad_request(
                "The import request body must be a JSON object.",
            ))
        }
    };
    let method = match body.get("method") {
        None => {
            return Err(ApiError::bad_request(
                "Import request requires a 'method' field.",
            ))
        }
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ApiError::bad_request(
                "The import request's 'method' must be an object with a 'name'.",
            ))
        }
    };
    let name = match method.get("name") {
        None => {
            return Err(ApiError::bad_request(
                "Import request requires a 'name' field.",
            ))
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Unknown import method name '{other}'."
            )))
        }
    };
    if !METHODS.contains(&name.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Unknown import method name '{name}'."
        )));
    }
    for flag in ["all_stores", "all_stores_must_succeed"] {
        if body.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(ApiError::bad_request(format!(
                "'{flag}' must be boolean value only"
            )));
        }
    }
    let stores = stores(&body, ctx)?;
    Ok(ImportRequest {
        method: name,
        stores,
    })
}

/// Target stores: `stores`, else `X-Image-Meta-Store`, else the default (api-ref, 2.8).
fn stores(body: &Map<String, Value>, ctx: &Ctx) -> ApiResult<Vec<String>> {
    let header = ctx
        .headers
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let all = body.get("all_stores") == Some(&Value::Bool(true));
    if all {
        if body.contains_key("stores") || header.is_some() {
            return Err(ApiError::bad_request(
                "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
            ));
        }
        return Ok(vec![STORE_ID.to_string()]);
    }
    match body.get("stores") {
        None => Ok(vec![header.unwrap_or_else(|| STORE_ID.to_string())]),
        Some(_) if header.is_some() => Err(ApiError::bad_request(
            "Stores parameter and x-image-meta-store header can't be both specified",
        )),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::bad_request("'stores' must be a list of store identifiers.")
                })
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(
            "'stores' must be a list of store identifiers.",
        )),
    }
}

/// `POST /v2/images/{id}/import`.
pub fn import(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let request = parse_body(ctx)?;
    let mut store = app.store();
    let image = store
        .get_live_mut(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))?;
    // Preconditions in Glance's order (B263, B268): status, then formats, then ownership.
    if image.status == Status::Active {
        return Err(ApiError::conflict(
            "Image with status active cannot be target for import",
        ));
    }
    if image.status != Status::Uploading || image.data.staged.is_none() {
        return Err(ApiError::conflict(format!(
            "Image needs to be staged before '{}' method can be used",
            request.method
        )));
    }
    for (key, value) in [
        ("container_format", &image.container_format),
        ("disk_format", &image.disk_format),
    ] {
        if value.is_none() {
            return Err(ApiError::conflict(format!(
                "'{key}' needs to be set before import"
            )));
        }
    }
    if !policy::can_write(&ctx.caller, image) {
        return Err(policy::not_owner());
    }
    if let Some(unknown) = request.stores.iter().find(|s| *s != STORE_ID) {
        return Err(ApiError::conflict(format!(
            "Store for identifier {unknown} not found"
        )));
    }
    if let Some(blob) = image.data.staged.take() {
        data::activate(image, blob);
    }
    drop(store);
    Ok(accepted())
}

/// An empty 202 (labelled like Glance's other empty answers, B005, B267).
fn accepted() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use reqwest::{Client, StatusCode};
    use serde_json::{json, Value};

    use crate::reference::{start, ServerOptions};

    const DATA: &[u8] = b"hello imgconf data\n";

    async fn create(
        http: &Client,
        base: &str,
        formats: bool,
    ) -> (String, reqwest::header::HeaderMap) {
        let body = if formats {
            json!({"disk_format": "raw", "container_format": "bare"})
        } else {
            json!({})
        };
        let resp = http
            .post(format!("{base}/v2/images"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let headers = resp.headers().clone();
        let image: Value = resp.json().await.unwrap();
        (image["id"].as_str().unwrap().to_string(), headers)
    }

    async fn image(http: &Client, base: &str, id: &str) -> Value {
        http.get(format!("{base}/v2/images/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn upload_download_stage_import_and_discovery() {
        let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
            .await
            .unwrap();
        let base = server.base_url();
        let http = Client::new();

        let (id, headers) = create(&http, &base, true).await;
        assert_eq!(headers["openstack-image-import-methods"], "glance-direct");
        assert_eq!(headers["openstack-image-store-ids"], "memory");

        // A chunked upload (no Content-Length) is streamed in and digested.
        let chunks: Vec<Result<&'static [u8], std::io::Error>> =
            vec![Ok(&DATA[..6]), Ok(&DATA[6..14]), Ok(&DATA[14..])];
        let resp = http
            .put(format!("{base}/v2/images/{id}/file"))
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        let img = image(&http, &base, &id).await;
        assert_eq!(img["status"], "active");
        assert_eq!(img["size"], 19);
        assert_eq!(img["virtual_size"], 19);
        assert_eq!(img["checksum"], "b30ef9a3dc4d358ba2aa785f6bac7c54");
        assert_eq!(img["os_hash_algo"], "sha512");
        assert_eq!(img["stores"], "memory");

        let resp = http
            .get(format!("{base}/v2/images/{id}/file"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-md5"], "sw75o9xNNYuiqnhfa6x8VA==");
        assert_eq!(resp.headers()["content-type"], "application/octet-stream");
        assert_eq!(resp.bytes().await.unwrap(), DATA);

        let resp = http
            .get(format!("{base}/v2/images/{id}/file"))
            .header("range", "bytes=-4")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(resp.headers()["content-range"], "bytes 15-18/19");
        assert!(resp.headers().get("content-md5").is_none());
        assert_eq!(resp.bytes().await.unwrap(), &DATA[15..]);

        let resp = http
            .get(format!("{base}/v2/images/{id}/file"))
            .header("range", "bytes=19-")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(resp.headers()["content-range"], "bytes */19");

        // Too much announced: refused before any data is read, the image stays queued.
        let (big, _) = create(&http, &base, true).await;
        let resp = http
            .put(format!("{base}/v2/images/{big}/file"))
            .header("content-type", "application/octet-stream")
            .header("x-image-meta-store", "nope")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let resp = http
            .put(format!("{base}/v2/images/{big}/file"))
            .header("content-type", "application/octet-stream")
            .header("x-openstack-image-size", (64 * 1024 * 1024 + 1).to_string())
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(image(&http, &base, &big).await["status"], "queued");

        // glance-direct: stage (no formats needed), import refused until formats are set.
        let (staged, _) = create(&http, &base, false).await;
        let resp = http
            .put(format!("{base}/v2/images/{staged}/stage"))
            .header("content-type", "application/octet-stream")
            .body(DATA)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        let img = image(&http, &base, &staged).await;
        assert_eq!(
            (img["status"].as_str(), img["size"].as_i64()),
            (Some("uploading"), Some(19))
        );
        let import = json!({"method": {"name": "glance-direct"}});
        let post_import = |body: Value| {
            http.post(format!("{base}/v2/images/{staged}/import"))
                .json(&body)
                .send()
        };
        assert_eq!(
            post_import(import.clone()).await.unwrap().status(),
            StatusCode::CONFLICT
        );
        let resp = http
            .patch(format!("{base}/v2/images/{staged}"))
            .header("content-type", "application/openstack-images-v2.1-json-patch")
            .body(r#"[{"op":"add","path":"/disk_format","value":"raw"},{"op":"add","path":"/container_format","value":"bare"}]"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let bad = json!({"method": {"name": "glance-direct"}, "stores": ["nope"]});
        assert_eq!(
            post_import(bad).await.unwrap().status(),
            StatusCode::CONFLICT
        );
        let bad =
            json!({"method": {"name": "glance-direct"}, "stores": ["memory"], "all_stores": true});
        assert_eq!(
            post_import(bad).await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );
        let bad = json!({"method": {"name": "web-download"}});
        assert_eq!(
            post_import(bad).await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            post_import(import.clone()).await.unwrap().status(),
            StatusCode::ACCEPTED
        );
        let img = image(&http, &base, &staged).await;
        assert_eq!(img["status"], "active");
        assert_eq!(
            img["os_hash_value"],
            crate::reference::data::Blob::of(DATA).sha512_hex
        );
        assert_eq!(
            post_import(import).await.unwrap().status(),
            StatusCode::CONFLICT
        );

        // Discovery.
        let info: Value = http
            .get(format!("{base}/v2/info/import"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["import-methods"]["value"], json!(["glance-direct"]));
        let stores: Value = http
            .get(format!("{base}/v2/info/stores"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stores["stores"][0]["default"], true);
        let resp = http
            .get(format!("{base}/v2/info/stores/detail"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let resp = http
            .get(format!("{base}/v2/info/stores/detail"))
            .header("x-identity-status", "Confirmed")
            .header("x-roles", "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        server.shutdown().await;
    }
}
