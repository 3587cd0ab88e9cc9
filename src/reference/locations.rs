//! The locations API (`/v2/images/{id}/locations`, since 2.17): B276, B277.
//!
//! Adding a location runs as a `location_import` task, as on Glance: the call answers 202 and
//! the task does the work. This server only holds data in memory and reads no URL, so the
//! task fails and the image stays queued — what Glance does with a location it cannot read.
//! Listing shows where an image's data is: one `memory://` location once data exists.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ApiResult};
use super::policy;
use super::request::{self, Ctx};
use super::state::{AppState, Status};
use super::tasks::{self, Task};

/// Hash algorithms `validation_data` may name, and their digest sizes in bytes.
const ALGOS: [(&str, usize); 4] = [("sha1", 20), ("sha256", 32), ("sha512", 64), ("md5", 16)];

/// The checked body of an add-location request.
#[derive(Debug, PartialEq)]
struct NewLocation {
    url: String,
    validation_data: Map<String, Value>,
}

/// Validates the body against Glance's `location` schema (B276): `url` required, a string;
/// `validation_data` an object of `os_hash_algo` (enum) and `os_hash_value` (string), each
/// requiring the other, nothing else.
fn parse_body(ctx: &Ctx) -> ApiResult<NewLocation> {
    let body = ctx.json_body()?;
    let invalid = |why: &str| {
        ApiError::bad_request(format!(
            "Provided object does not match schema 'location': {why}"
        ))
    };
    let body = body.as_object().ok_or_else(|| invalid("not an object"))?;
    let url = match body.get("url") {
        None => return Err(invalid("'url' is a required property")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(invalid("'url' is not of type 'string'")),
    };
    let validation_data = match body.get("validation_data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid("'validation_data' is not of type 'object'")),
    };
    if let Some(extra) = validation_data
        .keys()
        .find(|k| *k != "os_hash_algo" && *k != "os_hash_value")
    {
        return Err(invalid(&format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    match (
        validation_data.get("os_hash_algo"),
        validation_data.get("os_hash_value"),
    ) {
        (Some(_), None) => {
            return Err(invalid("'os_hash_value' is a dependency of 'os_hash_algo'"))
        }
        (None, Some(_)) => {
            return Err(invalid("'os_hash_algo' is a dependency of 'os_hash_value'"))
        }
        (Some(algo), Some(value)) => {
            let known = algo
                .as_str()
                .is_some_and(|a| ALGOS.iter().any(|(n, _)| *n == a));
            if !known {
                return Err(invalid(&format!(
                    "{algo} is not one of sha1, sha256, sha512, md5"
                )));
            }
            if value.as_str().is_none_or(|v| v.len() > 128) {
                return Err(invalid(
                    "'os_hash_value' must be a string of at most 128 characters",
                ));
            }
        }
        (None, None) => {}
    }
    Ok(NewLocation {
        url,
        validation_data,
    })
}

/// The hash value must be hexadecimal and as long as the algorithm's digest (checked after the
/// policy, as Glance does).
fn check_hash(data: &Map<String, Value>) -> ApiResult<()> {
    let (Some(algo), Some(value)) = (
        data.get("os_hash_algo").and_then(Value::as_str),
        data.get("os_hash_value").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let hex = value.len() % 2 == 0 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return Err(ApiError::bad_request(format!(
            "os_hash_value ({value}) is not a valid hexadecimal value"
        )));
    }
    let want = ALGOS
        .iter()
        .find(|(n, _)| *n == algo)
        .map_or(0, |(_, s)| *s);
    if value.len() / 2 != want {
        return Err(ApiError::bad_request(format!(
            "os_hash_value: ({value}) is not the correct size for ({algo}) (should be ({want}) bytes)"
        )));
    }
    Ok(())
}

/// `add_image_location` is `service_api or (member of the owning project)`; `service_api` is
/// `role:service or role:admin`.
fn may_add(ctx: &Ctx, owner: Option<&str>) -> bool {
    let c = &ctx.caller;
    c.has_role("service")
        || c.has_role("admin")
        || (c.has_role("member") && c.project.is_some() && c.project.as_deref() == owner)
}

/// `POST /v2/images/{id}/locations` (B276).
pub fn add(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let new = parse_body(ctx)?;
    let mut store = app.store();
    let image = store
        .get_live(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))?;
    if image.status != Status::Queued {
        return Err(ApiError::conflict(format!(
            "It's not allowed to add locations if image status is {}.",
            image.status.as_str()
        )));
    }
    if !may_add(ctx, image.owner.as_deref()) {
        return Err(ApiError::forbidden(
            "You are not authorized to complete add_image_location action.",
        ));
    }
    // Without the service role only http locations are allowed, and only with an http
    // store, which this server does not have.
    if !ctx.caller.has_role("service") {
        return Err(ApiError::forbidden(
            "http store must be enabled to use location API by normal user.",
        ));
    }
    check_hash(&new.validation_data)?;
    let scheme = new.url.split(':').next().unwrap_or("");
    if (scheme == "http" || scheme == "https") && !tasks::passes_filter(&new.url) {
        return Err(ApiError::bad_request(format!(
            "URI for add location does not pass filtering: {}",
            new.url
        )));
    }
    let input = json!({
        "image_id": id,
        "loc_url": new.url,
        "validation_data": new.validation_data,
    });
    let task = Task::finished(
        ctx,
        "location_import",
        Some(id),
        input,
        "failure",
        Value::Null,
        "The reference server cannot read data from this location.",
    );
    store.tasks.push(task);
    drop(store);
    Ok(accepted())
}

/// An empty 202 (labelled like Glance's other empty answers).
fn accepted() -> Response {
    let mut response = request::no_content();
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

/// `GET /v2/images/{id}/locations` (B277): `fetch_image_location` is `service_api`.
pub fn list(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let store = app.store();
    let image = store
        .get_live(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))?;
    if !(ctx.caller.has_role("service") || ctx.caller.has_role("admin")) {
        return Err(ApiError::forbidden(
            "You are not authorized to complete fetch_image_location action.",
        ));
    }
    let locations: Vec<Value> = match &image.data.content {
        Some(_) => image
            .data
            .stores
            .iter()
            .map(|s| json!({"url": format!("{s}://{id}"), "metadata": {"store": s}}))
            .collect(),
        None => Vec::new(),
    };
    Ok(request::json(StatusCode::OK, &Value::Array(locations)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_values_must_be_hex_of_the_digest_size() {
        let data = |algo: &str, value: &str| {
            json!({"os_hash_algo": algo, "os_hash_value": value})
                .as_object()
                .cloned()
                .unwrap()
        };
        assert!(check_hash(&Map::new()).is_ok());
        assert!(check_hash(&data("md5", "b30ef9a3dc4d358ba2aa785f6bac7c54")).is_ok());
        assert!(check_hash(&data("md5", "abc")).is_err());
        assert!(check_hash(&data("md5", "zz0ef9a3dc4d358ba2aa785f6bac7c54")).is_err());
        assert!(check_hash(&data("sha256", "b30ef9a3dc4d358ba2aa785f6bac7c54")).is_err());
    }
}
