//! Interoperable image import (`POST /v2/images/{id}/import`, B263–B270), per-store delete
//! (`DELETE /v2/stores/{store}/{id}`, B275) and the discovery calls under `/v2/info`
//! (B256–B259).
//!
//! All three of Glance's standard methods are implemented and advertised: `glance-direct`
//! (staged data), `web-download` (the server fetches a URL) and `copy-image` (an active image
//! copied into more stores). The import runs before the 202 goes out, so the image is already
//! in its end state then (the api-ref allows this: "if the import process completes before you
//! make the API call, the image may already show as active"). A web-download that fails
//! (unreachable URL, data refused by format inspection) leaves the image queued again, as
//! Glance does.

use std::time::Duration;

use axum::body::Body;
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use super::data::{self, Blob, STORE_DESCRIPTION};
use super::errors::{ApiError, ApiResult};
use super::policy;
use super::request::{self, Ctx};
use super::state::{now, AppState, Image, Status};
use super::tasks::Task;

/// The import methods this server implements (and so advertises).
pub const METHODS: [&str; 3] = ["glance-direct", "web-download", "copy-image"];

/// The only host web-download fetches from: this is a test server, so like the test Glance
/// deployments (`[import_filtering_opts] allowed_hosts = [127.0.0.1]`) it reaches nothing but
/// loopback, on any port, over http or https.
pub const WEB_DOWNLOAD_HOST: &str = "127.0.0.1";

/// The properties Glance keeps on an image about its import (B078), which clients show: the
/// task holding the image's import lock (while it runs), the stores still to import into, and
/// those that failed (both empty strings once an import succeeded).
const IMPORT_TASK: &str = "os_glance_import_task";
const IMPORTING_TO: &str = "os_glance_importing_to_stores";
const FAILED_IMPORT: &str = "os_glance_failed_import";

fn import_started(image: &mut Image, task_id: &str, stores: &[String]) {
    image.extra.insert(IMPORT_TASK.into(), task_id.into());
    image.extra.insert(IMPORTING_TO.into(), stores.join(","));
    image.extra.insert(FAILED_IMPORT.into(), String::new());
}

fn import_ended(image: &mut Image, failed: &[String]) {
    image.extra.remove(IMPORT_TASK);
    image.extra.insert(IMPORTING_TO.into(), String::new());
    image.extra.insert(FAILED_IMPORT.into(), failed.join(","));
}

/// Headers of the create response that announce import methods and stores (B038).
pub fn announce(app: &AppState, response: &mut Response) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&METHODS.join(",")) {
        headers.insert("openstack-image-import-methods", v);
    }
    if let Ok(v) = HeaderValue::from_str(&app.options.stores.join(",")) {
        headers.insert("openstack-image-store-ids", v);
    }
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

/// `GET /v2/info/stores`: every store, the first marked as the default (a boolean, as in the
/// api-ref sample).
pub fn info_stores(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    let stores: Vec<Value> = app
        .options
        .stores
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut store = json!({"id": id, "description": STORE_DESCRIPTION});
            if i == 0 {
                store["default"] = true.into();
            }
            store
        })
        .collect();
    Ok(request::json(StatusCode::OK, &json!({ "stores": stores })))
}

/// `GET /v2/info/stores/detail`: administrators only (`stores_info_detail` is `role:admin`).
pub fn info_stores_detail(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    if !ctx.caller.has_role("admin") {
        return Err(ApiError::forbidden(
            "You are not authorized to complete stores_info_detail action.",
        ));
    }
    let stores: Vec<Value> = app
        .options
        .stores
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut store = json!({
                "id": id,
                "type": "memory",
                "description": STORE_DESCRIPTION,
                "weight": 0,
                "properties": {"max_image_bytes": app.options.max_image_bytes},
            });
            if i == 0 {
                store["default"] = true.into();
            }
            store
        })
        .collect();
    Ok(request::json(StatusCode::OK, &json!({ "stores": stores })))
}

/// `GET /v2/info/usage`: quotas are not enforced here, so there is no usage to report (what
/// Glance answers without unified limits, B259).
pub fn info_usage(ctx: &Ctx) -> ApiResult<Response> {
    ctx.reject_body()?;
    Ok(request::json(StatusCode::OK, &json!({"usage": {}})))
}

/// Which stores an import names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Targets {
    /// `stores`, or `X-Image-Meta-Store`, or (neither given) the default store.
    Named(Vec<String>),
    /// `all_stores: true`.
    All,
}

/// The checked body of an import request.
struct ImportRequest {
    method: String,
    /// `method.uri` of a web-download, when a string.
    uri: Option<String>,
    targets: Targets,
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
    let targets = targets(&body, ctx)?;
    Ok(ImportRequest {
        method: name,
        uri: method
            .get("uri")
            .and_then(Value::as_str)
            .map(str::to_string),
        targets,
    })
}

/// Target stores: `all_stores`, else `stores`, else `X-Image-Meta-Store`, else the default
/// (api-ref, 2.8).
fn targets(body: &Map<String, Value>, ctx: &Ctx) -> ApiResult<Targets> {
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
        return Ok(Targets::All);
    }
    match body.get("stores") {
        None => Ok(Targets::Named(header.into_iter().collect())),
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
            .collect::<ApiResult<Vec<String>>>()
            .map(Targets::Named),
        Some(_) => Err(ApiError::bad_request(
            "'stores' must be a list of store identifiers.",
        )),
    }
}

/// Whether web-download may fetch `uri` (Glance's `import_filtering_opts`, here fixed to
/// loopback): http(s), host exactly [`WEB_DOWNLOAD_HOST`].
pub fn uri_passes_filtering(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host_str() == Some(WEB_DOWNLOAD_HOST)
                && u.username().is_empty()
                && u.password().is_none()
        }
        Err(_) => false,
    }
}

/// What an accepted import still has to do once the checks passed.
enum Work {
    Done,
    /// Fetch this URL into the image (status `importing` meanwhile), into these stores.
    Download(String, Vec<String>),
}

/// `POST /v2/images/{id}/import`.
pub async fn import(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let request = parse_body(ctx)?;
    let input = json!({
        "image_id": id,
        "import_req": {"method": {"name": request.method}},
        "backend": match &request.targets {
            Targets::Named(stores) => json!(stores),
            Targets::All => json!(app.options.stores),
        },
    });
    let task_id = uuid::Uuid::new_v4().to_string();
    match start(app, ctx, id, request, &task_id)? {
        Work::Done => {}
        Work::Download(uri, stores) => {
            let fetched = fetch(&uri, app.options.max_image_bytes).await;
            finish_download(app, id, fetched, stores);
        }
    }
    record_task(app, ctx, id, input, task_id);
    Ok(accepted())
}

/// The import is recorded as an `api_image_import` task of the caller's project (B271); a
/// caller without a project cannot own one (Glance answers such an import with 500). It has
/// succeeded when the image ended active. Its id is the one the image named while it ran.
fn record_task(app: &AppState, ctx: &Ctx, id: &str, input: Value, task_id: String) {
    if ctx.caller.project.is_none() {
        return;
    }
    let mut store = app.store();
    let active = store
        .get_live_mut(id)
        .is_some_and(|i| i.status == Status::Active);
    let (status, message) = if active {
        ("success", "")
    } else {
        ("failure", "the imported data was refused")
    };
    let mut task = Task::finished(
        ctx,
        "api_image_import",
        Some(id),
        input,
        status,
        json!({"image_id": id}),
        message,
    );
    task.id = task_id;
    store.tasks.push(task);
}

/// The checks in Glance's order (B263, B268, B270): image, status for the method, formats,
/// policy, stores, then the web-download URI; and what can be done at once.
fn start(
    app: &AppState,
    ctx: &Ctx,
    id: &str,
    request: ImportRequest,
    task_id: &str,
) -> ApiResult<Work> {
    let configured = &app.options.stores;
    let mut store = app.store();
    let image = store
        .get_live_mut(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))?;
    let method = request.method.as_str();
    let copy = method == "copy-image";
    if image.status == Status::Active && !copy {
        return Err(ApiError::conflict(
            "Image with status active cannot be target for import",
        ));
    }
    if image.status != Status::Active && copy {
        return Err(ApiError::conflict(
            "Only images with status active can be targeted for copying",
        ));
    }
    if image.status != Status::Queued && method == "web-download" {
        return Err(ApiError::conflict(format!(
            "Image needs to be in 'queued' state to use '{method}' method"
        )));
    }
    if method == "glance-direct"
        && (image.status != Status::Uploading || image.data.staged.is_none())
    {
        return Err(ApiError::conflict(format!(
            "Image needs to be staged before '{method}' method can be used"
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
    if copy {
        // `copy_image` is `role:admin` (an administrator without the role, as in a noauth
        // deployment, is refused too).
        if !ctx.caller.has_role("admin") {
            return Err(ApiError::forbidden(
                "You are not authorized to complete copy_image action.",
            ));
        }
    } else if !policy::can_write(&ctx.caller, image) {
        return Err(policy::not_owner());
    }
    let all = request.targets == Targets::All;
    let mut stores = match request.targets {
        Targets::All => configured.clone(),
        Targets::Named(named) if named.is_empty() => vec![configured[0].clone()],
        Targets::Named(named) => named,
    };
    if let Some(unknown) = stores.iter().find(|s| !configured.contains(s)) {
        return Err(ApiError::conflict(format!(
            "Store for identifier {unknown} not found"
        )));
    }
    stores = super::state::dedupe(stores);
    if copy {
        let held = &image.data.stores;
        if all {
            stores.retain(|s| !held.contains(s));
        } else if let Some(present) = stores.iter().find(|s| held.contains(s)) {
            return Err(ApiError::bad_request(format!(
                "Image is already present at store '{present}'"
            )));
        }
        import_started(image, task_id, &stores);
        image.data.stores.extend(stores);
        import_ended(image, &[]);
        image.updated_at = now();
        return Ok(Work::Done);
    }
    if method == "web-download" {
        let uri = request.uri.filter(|u| uri_passes_filtering(u));
        let Some(uri) = uri else {
            return Err(ApiError::bad_request(
                "URI for web-download does not pass filtering",
            ));
        };
        image.status = Status::Importing;
        import_started(image, task_id, &stores);
        image.updated_at = now();
        return Ok(Work::Download(uri, stores));
    }
    if let Some(blob) = image.data.staged.take() {
        import_started(image, task_id, &stores);
        match data::inspect(image, &blob) {
            Ok(virtual_size) => {
                data::activate(image, blob, stores, virtual_size);
                import_ended(image, &[]);
            }
            // The import fails after its 202: the image goes back to queued without data.
            Err(_) => {
                import_ended(image, &stores);
                image.status = Status::Queued;
                image.data.size = None;
                image.updated_at = now();
            }
        }
    }
    Ok(Work::Done)
}

/// Fetches a web-download URL: at most `max` bytes (the server's image cap), within a minute.
async fn fetch(uri: &str, max: usize) -> Result<Blob, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(uri).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("{uri} answered {}", response.status()));
    }
    let mut stream = response.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if bytes.len() + chunk.len() > max {
            return Err(format!("{uri} has more than {max} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Blob::digest(bytes.into()))
}

/// Ends a web-download: the image becomes active with the data, or (fetch failed, data
/// refused by format inspection) queued again. An image deleted or changed meanwhile is left
/// alone.
fn finish_download(app: &AppState, id: &str, fetched: Result<Blob, String>, stores: Vec<String>) {
    let mut store = app.store();
    let Some(image) = store
        .get_live_mut(id)
        .filter(|i| i.status == Status::Importing)
    else {
        return;
    };
    match fetched.and_then(|blob| {
        data::inspect(image, &blob)
            .map(|virtual_size| (blob, virtual_size))
            .map_err(|e| e.message)
    }) {
        Ok((blob, virtual_size)) => {
            data::activate(image, blob, stores, virtual_size);
            import_ended(image, &[]);
        }
        Err(_) => {
            import_ended(image, &stores);
            image.status = Status::Queued;
            image.updated_at = now();
        }
    }
}

/// `DELETE /v2/stores/{store}/{id}` (2.10, B275): removes the image's data from one store.
/// Checks in Glance's order: the store, the image, the policy, the status, the last copy.
pub fn delete_from_store(
    app: &AppState,
    ctx: &Ctx,
    store_id: &str,
    id: &str,
) -> ApiResult<Response> {
    ctx.reject_body()?;
    if !app.options.stores.iter().any(|s| s == store_id) {
        return Err(ApiError::conflict(format!(
            "The selected store {store_id} is not available on this node."
        )));
    }
    let mut store = app.store();
    let image = store
        .get_live_mut(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("Failed to find image {id}")))?;
    if !policy::may_delete_location(&ctx.caller, app.options.secure_rbac) {
        return Err(policy::not_authorized("delete_image_location"));
    }
    if !policy::can_write(&ctx.caller, image) {
        return Err(policy::not_owner());
    }
    if image.status != Status::Active {
        return Err(ApiError::conflict(
            "It's not allowed to remove image data from store if image status is not 'active'",
        ));
    }
    if image.data.stores.len() == 1 {
        return Err(ApiError::forbidden(
            "Cannot delete image data from the only store containing it. Consider deleting the image instead.",
        ));
    }
    let Some(at) = image.data.stores.iter().position(|s| s == store_id) else {
        return Err(ApiError::not_found(format!(
            "Image {id} is not stored in store {store_id}."
        )));
    };
    image.data.stores.remove(at);
    image.updated_at = now();
    Ok(request::no_content())
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

    #[test]
    fn web_download_reaches_only_loopback() {
        use super::uri_passes_filtering as ok;
        assert!(ok("http://127.0.0.1:8080/x.raw"));
        assert!(ok("https://127.0.0.1/x"));
        assert!(!ok("http://localhost:8080/x"));
        assert!(!ok("http://10.0.0.1/x"));
        assert!(!ok("ftp://127.0.0.1/x"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("http://user:pw@127.0.0.1/x"));
        assert!(!ok("not a url"));
    }

    #[tokio::test]
    async fn a_failed_web_download_leaves_the_image_queued() {
        let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
            .await
            .unwrap();
        let base = server.base_url();
        let http = Client::new();
        let import = |id: String, uri: String| {
            http.post(format!("{base}/v2/images/{id}/import"))
                .json(&json!({"method": {"name": "web-download", "uri": uri}}))
                .send()
        };
        // Nothing listens on port 9 of loopback: accepted, then back to queued without data.
        let (id, _) = create(&http, &base, true).await;
        let resp = import(id.clone(), "http://127.0.0.1:9/x.raw".into())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let img = image(&http, &base, &id).await;
        assert_eq!(
            (img["status"].as_str(), img["size"].as_i64()),
            (Some("queued"), None)
        );
        // The failed store is named; the import lock is gone (as on Glance).
        assert_eq!(img["os_glance_failed_import"], "memory");
        assert_eq!(img["os_glance_importing_to_stores"], "");
        assert!(img.get("os_glance_import_task").is_none());
        // Raw data fetched into a qcow2 image fails format inspection the same way.
        let source = crate::websource::serve_local().await.unwrap();
        let resp = http
            .post(format!("{base}/v2/images"))
            .json(&json!({"disk_format": "qcow2", "container_format": "bare"}))
            .send()
            .await
            .unwrap();
        let qcow2: Value = resp.json().await.unwrap();
        let qid = qcow2["id"].as_str().unwrap().to_string();
        let resp = import(qid.clone(), source.source.url.clone())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        assert_eq!(image(&http, &base, &qid).await["status"], "queued");
        // The same data into a raw image: active, with the source's digest.
        let resp = import(id.clone(), source.source.url.clone()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let img = image(&http, &base, &id).await;
        assert_eq!(img["status"], "active");
        assert_eq!(img["os_hash_value"], source.source.sha512.as_str());
        assert_eq!(img["stores"], "memory");
        assert_eq!(img["os_glance_failed_import"], "");
        assert_eq!(img["os_glance_importing_to_stores"], "");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn a_running_import_names_its_task_and_stores() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
            .await
            .unwrap();
        let base = server.base_url();
        // A project's member: the import is recorded as a task of that project.
        let mut identity = reqwest::header::HeaderMap::new();
        for (k, v) in [
            ("x-identity-status", "Confirmed"),
            ("x-project-id", "p"),
            ("x-roles", "member"),
        ] {
            identity.insert(k, v.parse().unwrap());
        }
        let http = Client::builder().default_headers(identity).build().unwrap();
        // A data source that answers only when told: the import is under way until then.
        let source = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/x.raw", source.local_addr().unwrap());
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let answering = tokio::spawn(async move {
            let (mut conn, _) = source.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            let _ = released.await;
            let _ = conn
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let (id, _) = create(&http, &base, true).await;
        let import = {
            let http = http.clone();
            let url = format!("{base}/v2/images/{id}/import");
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"method": {"name": "web-download", "uri": uri}}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        let mut running = image(&http, &base, &id).await;
        for _ in 0..500 {
            if running["status"] == "importing" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            running = image(&http, &base, &id).await;
        }
        assert_eq!(running["status"], "importing", "{running}");
        assert_eq!(running["os_glance_importing_to_stores"], "memory");
        assert_eq!(running["os_glance_failed_import"], "");
        let task = running["os_glance_import_task"]
            .as_str()
            .unwrap()
            .to_string();
        release.send(()).unwrap();
        assert_eq!(import.await.unwrap(), StatusCode::ACCEPTED);
        answering.await.unwrap();
        let done = image(&http, &base, &id).await;
        assert!(done.get("os_glance_import_task").is_none());
        assert_eq!(done["os_glance_failed_import"], "memory");
        // The task the image named is the import's task.
        let tasks: Value = http
            .get(format!("{base}/v2/images/{id}/tasks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tasks["tasks"][0]["id"], task.as_str());
        server.shutdown().await;
    }

    #[tokio::test]
    async fn upload_download_stage_import_and_discovery() {
        let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
            .await
            .unwrap();
        let base = server.base_url();
        let http = Client::new();

        let (id, headers) = create(&http, &base, true).await;
        assert_eq!(
            headers["openstack-image-import-methods"],
            "glance-direct,web-download,copy-image"
        );
        assert_eq!(headers["openstack-image-store-ids"], "memory,memory2");

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
        let bad = json!({"method": {"name": "glance-download"}});
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
            (
                &img["os_glance_failed_import"],
                &img["os_glance_importing_to_stores"]
            ),
            (&json!(""), &json!(""))
        );
        assert!(img.get("os_glance_import_task").is_none());
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
        assert_eq!(
            info["import-methods"]["value"],
            json!(["glance-direct", "web-download", "copy-image"])
        );
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
