//! Objects of a namespace: `GET|POST|DELETE …/objects`, `GET|PUT|DELETE …/objects/{name}`.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::request::{self, Ctx};
use super::super::state::{now, AppState};
use super::access::{self, opt_string, READ_ONLY};
use super::store::MdObject;
use super::view;

/// An object from a (schema-checked) body.
pub fn from_body(body: &Map<String, Value>, t: DateTime<Utc>) -> MdObject {
    MdObject {
        name: opt_string(body, "name").unwrap_or_default(),
        description: opt_string(body, "description"),
        required: body
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        properties: body
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        created_at: t,
        updated_at: t,
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("Could not find metadata object {name}"))
}

fn duplicate(name: &str, ns: &str) -> ApiError {
    ApiError::conflict(format!(
        "A metadata definition object with name={name} already exists in namespace={ns}."
    ))
}

pub fn create(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "object", &READ_ONLY)?;
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "add_metadef_object")?;
    let object = from_body(&body, now());
    if ns.object(&object.name).is_some() {
        return Err(duplicate(&object.name, ns_name));
    }
    let rendered = view::object(ns_name, &object, "");
    ns.objects.push(object);
    Ok(request::json(StatusCode::CREATED, &rendered))
}

/// `GET …/objects`: `schema` is `v2/schemas/metadefs/objects`, without the leading slash, as in
/// the API reference's sample and on Glance.
pub fn index(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let objects: Vec<Value> = ns
        .objects
        .iter()
        .map(|o| view::object(ns_name, o, ""))
        .collect();
    Ok(request::json(
        StatusCode::OK,
        &json!({"objects": objects, "schema": "v2/schemas/metadefs/objects"}),
    ))
}

pub fn show(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let object = ns.object(name).ok_or_else(|| not_found(name))?;
    Ok(request::json(
        StatusCode::OK,
        &view::object(ns_name, object, ""),
    ))
}

/// `PUT`: the object is replaced by the body (omitted attributes are dropped); a new name
/// renames it (409 if taken).
pub fn update(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "object", &READ_ONLY)?;
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "modify_metadef_object")?;
    let pos = ns
        .objects
        .iter()
        .position(|o| o.name == name)
        .ok_or_else(|| not_found(name))?;
    let mut replacement = from_body(&body, ns.objects[pos].created_at);
    if replacement.name != name && ns.object(&replacement.name).is_some() {
        return Err(duplicate(&replacement.name, ns_name));
    }
    replacement.updated_at = now();
    let rendered = view::object(ns_name, &replacement, "");
    ns.objects[pos] = replacement;
    Ok(request::json(StatusCode::OK, &rendered))
}

pub fn delete(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "delete_metadef_object")?;
    if ns.object(name).is_none() {
        return Err(not_found(name));
    }
    if ns.protected {
        return Err(access::protected("object", name));
    }
    ns.objects.retain(|o| o.name != name);
    Ok(request::no_content())
}

/// `DELETE …/objects`: every object of the namespace (403 while protected).
pub fn delete_all(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "delete_metadef_object")?;
    if ns.protected {
        return Err(access::protected("namespace", ns_name));
    }
    ns.objects.clear();
    Ok(request::no_content())
}
