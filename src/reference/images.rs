//! Image metadata calls: create, show, update (PATCH) and delete.

use axum::http::header::{HeaderValue, LOCATION};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::request::{self, Ctx};
use super::state::{now, AppState, Image, Store};
use super::{patch, policy, props, view};

pub(super) fn no_image(id: &str) -> ApiError {
    ApiError::not_found(format!("No image found with ID {id}"))
}

/// A live image the caller may read (else 404, B074–B077).
pub(super) fn readable<'a>(store: &'a Store, caller: &Caller, id: &str) -> ApiResult<&'a Image> {
    store
        .get_live(id)
        .filter(|img| policy::can_read(caller, img))
        .ok_or_else(|| no_image(id))
}

/// The same image, to change it.
pub(super) fn readable_mut<'a>(
    store: &'a mut Store,
    caller: &Caller,
    id: &str,
) -> ApiResult<&'a mut Image> {
    store
        .get_live_mut(id)
        .filter(|img| policy::can_read(caller, img))
        .ok_or_else(|| no_image(id))
}

/// `POST /v2/images`.
pub fn create(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    // The api-ref lists 415 for create; an explicit non-JSON media type gets it (Glance does
    // not look, B070). A missing Content-Type is tolerated.
    if let Some(media) = ctx.content_type() {
        if media != "application/json" && !media.ends_with("+json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("The request media type {media} is not supported by this server."),
            ));
        }
    }
    let body = match ctx.json_body()? {
        Value::Object(obj) => obj,
        // The document expects 400 for an array (Glance answers 500, B068).
        Value::Array(_) => {
            return Err(ApiError::bad_request(
                "Unexpected body type. Expected dict, got a list.",
            ))
        }
        _ => {
            return Err(ApiError::bad_request(
                "Unexpected body type. Expected list/dict.",
            ))
        }
    };
    let mut image = new_image(&body, &ctx.caller)?;
    if !policy::may_create(&ctx.caller, app.options.secure_rbac) {
        return Err(policy::not_authorized("add_image"));
    }

    let mut store = app.store();
    image.seq = store.next_seq();
    if store.id_used(&image.id) {
        return Err(ApiError::conflict(format!(
            "Image ID {} already exists!",
            image.id
        )));
    }
    store.insert(image.clone());
    drop(store);

    let mut response = request::json(StatusCode::CREATED, &view::image(&image, &ctx.caller));
    let location = format!("{}/v2/images/{}", ctx.host_url, image.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    super::import::announce(app, &mut response);
    Ok(response)
}

/// Validates a create body in Glance's order and builds the image (sequence number unset).
fn new_image(body: &Map<String, Value>, caller: &Caller) -> ApiResult<Image> {
    for key in props::CREATE_DISALLOWED {
        if body.contains_key(key) {
            return Err(props::read_only(key));
        }
    }
    for (key, value) in body {
        props::check_value(key, value)?;
    }
    for key in body.keys().filter(|k| !props::is_base(k)) {
        if key.chars().count() > props::MAX_STRING {
            return Err(ApiError::bad_request(
                "Custom property should not be greater than 255 characters.",
            ));
        }
        if props::is_reserved(key) {
            return Err(props::reserved(key));
        }
    }
    for key in props::CREATE_READ_ONLY {
        if body.contains_key(key) {
            return Err(props::read_only(key));
        }
    }
    if body.contains_key("locations") {
        return Err(props::reserved("locations"));
    }

    let owner = match body.get("owner") {
        Some(value) => {
            let owner = value.as_str();
            if !policy::may_set_owner(caller, owner) {
                return Err(ApiError::forbidden(format!(
                    "You are not permitted to create images owned by '{}'.",
                    owner.unwrap_or("None")
                )));
            }
            owner.map(str::to_string)
        }
        None => caller.project.clone(),
    };
    if body.get("visibility").and_then(Value::as_str) == Some("public")
        && !policy::may_publicize(caller)
    {
        return Err(policy::publicize_denied());
    }

    let id = body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut image = Image::new(id, 0, now());
    image.owner = owner;
    for key in props::WRITABLE_BASE.iter().filter(|k| **k != "owner") {
        if let Some(value) = body.get(*key) {
            props::set_base(&mut image, key, value)?;
        }
    }
    for (key, value) in body.iter().filter(|(k, _)| !props::is_base(k)) {
        let text = value.as_str().unwrap_or_default().to_string();
        image.extra.insert(key.clone(), text);
    }
    props::check_quotas(&image)?;
    Ok(image)
}

/// `GET /v2/images/{id}`.
pub fn show(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let store = app.store();
    let image = readable(&store, &ctx.caller, id)?;
    Ok(request::json(
        StatusCode::OK,
        &view::image(image, &ctx.caller),
    ))
}

/// `PATCH /v2/images/{id}`: media type, body and operations are checked before the image is
/// looked up (as Glance's deserializer does); the operations then apply atomically.
pub fn update(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let media = ctx.content_type();
    let dialect =
        patch::dialect(media.as_deref()).ok_or_else(|| patch::unsupported(media.as_deref()))?;
    let body = ctx.json_body()?;
    let changes = patch::parse(&body, dialect)?;

    let mut store = app.store();
    let current = readable(&store, &ctx.caller, id)?;
    if !policy::can_write(&ctx.caller, current) {
        return Err(policy::not_owner());
    }
    let mut image = current.clone();
    patch::apply(&mut image, &changes, &ctx.caller, dialect)?;
    if !changes.is_empty() {
        image.updated_at = now();
    }
    store.insert(image.clone());
    drop(store);
    Ok(request::json(
        StatusCode::OK,
        &view::image(&image, &ctx.caller),
    ))
}

/// `DELETE /v2/images/{id}`.
pub fn delete(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let mut store = app.store();
    let caller = &ctx.caller;
    let image = store
        .get_live_mut(id)
        .filter(|img| policy::can_read(caller, img))
        .ok_or_else(|| ApiError::not_found(format!("Failed to find image {id} to delete")))?;
    if !policy::can_write(caller, image) {
        return Err(policy::not_owner());
    }
    if image.protected {
        return Err(ApiError::forbidden(format!(
            "Image {id} is protected and cannot be deleted."
        )));
    }
    image.mark_deleted(now());
    Ok(request::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(body: Value, caller: &Caller) -> ApiResult<Image> {
        new_image(body.as_object().unwrap(), caller)
    }

    fn code(body: Value) -> StatusCode {
        build(body, &Caller::noauth()).unwrap_err().status
    }

    #[test]
    fn create_defaults_and_values() {
        let img = build(
            json!({"id": "e7db3b45-8db7-47ad-8109-3fb55c2c24fd", "name": "Ubuntu 12.10",
                   "tags": ["ubuntu", "quantal", "ubuntu"], "login-user": "kvothe",
                   "min_ram": 512, "protected": true, "disk_format": "qcow2"}),
            &Caller::noauth(),
        )
        .unwrap();
        assert_eq!(img.id, "e7db3b45-8db7-47ad-8109-3fb55c2c24fd");
        assert_eq!(img.tags, vec!["ubuntu", "quantal"]);
        assert_eq!(img.extra["login-user"], "kvothe");
        assert_eq!(img.min_ram, 512);
        assert!(img.protected);
        assert_eq!(img.owner, None);
        assert_eq!(img.created_at, img.updated_at);

        let member = Caller::confirmed(Some("A".into()), None, vec!["member".into()]);
        assert_eq!(
            build(json!({}), &member).unwrap().owner.as_deref(),
            Some("A")
        );
        assert_eq!(
            build(json!({"owner": "B"}), &member).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            build(json!({"visibility": "public"}), &member)
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
        let admin = Caller::confirmed(Some("A".into()), None, vec!["admin".into()]);
        assert!(build(json!({"visibility": "public", "owner": "B"}), &admin).is_ok());
    }

    #[test]
    fn create_rejections() {
        use StatusCode as S;
        assert_eq!(code(json!({"self": "x"})), S::FORBIDDEN);
        assert_eq!(code(json!({"stores": "x"})), S::FORBIDDEN);
        assert_eq!(code(json!({"status": "active"})), S::FORBIDDEN);
        assert_eq!(code(json!({"status": "bogus"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"size": 5})), S::FORBIDDEN);
        assert_eq!(code(json!({"os_hash_algo": "sha512"})), S::FORBIDDEN);
        assert_eq!(
            code(json!({"created_at": "2020-01-01T00:00:00Z"})),
            S::FORBIDDEN
        );
        assert_eq!(code(json!({"locations": []})), S::FORBIDDEN);
        assert_eq!(code(json!({"os_glance_x": "y"})), S::FORBIDDEN);
        assert_eq!(code(json!({"deleted": "y"})), S::FORBIDDEN);
        assert_eq!(code(json!({"deleted": true})), S::BAD_REQUEST);
        assert_eq!(code(json!({"id": "not-a-uuid"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"name": "n".repeat(256)})), S::BAD_REQUEST);
        assert_eq!(code(json!({"k".repeat(256): "v"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"extra": 5})), S::BAD_REQUEST);
        assert_eq!(code(json!({"visibility": "everyone"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"container_format": "tgz"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"min_disk": -1})), S::BAD_REQUEST);
        assert_eq!(code(json!({"min_disk": 1.5})), S::BAD_REQUEST);
        assert_eq!(code(json!({"os_hidden": "yes"})), S::BAD_REQUEST);
        assert_eq!(code(json!({"tags": "a"})), S::BAD_REQUEST);
        let tags: Vec<String> = (0..129).map(|i| format!("t{i}")).collect();
        assert_eq!(code(json!({"tags": tags})), S::PAYLOAD_TOO_LARGE);
        let mut props = serde_json::Map::new();
        for i in 0..129 {
            props.insert(format!("p{i}"), json!("v"));
        }
        assert_eq!(code(Value::Object(props.clone())), S::PAYLOAD_TOO_LARGE);
        props.remove("p0");
        assert!(build(Value::Object(props), &Caller::noauth()).is_ok());
    }
}
