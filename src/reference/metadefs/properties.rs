//! Property definitions of a namespace: `GET|POST|DELETE …/properties`,
//! `GET|PUT|DELETE …/properties/{name}`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::request::{self, Ctx};
use super::super::state::AppState;
use super::access::{self, opt_string};
use super::view;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("Could not find property {name}"))
}

fn duplicate(name: &str, ns: &str) -> ApiError {
    ApiError::conflict(format!(
        "A metadata definition property with name={name} already exists in namespace={ns}."
    ))
}

/// Name and definition (without `name`) of a schema-checked body.
fn split(body: Map<String, Value>) -> (String, Map<String, Value>) {
    let name = opt_string(&body, "name").unwrap_or_default();
    let mut def = body;
    def.remove("name");
    (name, def)
}

pub fn create(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "property", &[])?;
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "add_metadef_property")?;
    let (name, def) = split(body);
    if ns.properties.contains_key(&name) {
        return Err(duplicate(&name, ns_name));
    }
    let rendered = view::property(&name, &def);
    ns.properties.insert(name, def);
    Ok(request::json(StatusCode::CREATED, &rendered))
}

pub fn index(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let props: Map<String, Value> = ns
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), view::property(k, v)))
        .collect();
    Ok(request::json(StatusCode::OK, &json!({"properties": props})))
}

/// `GET …/properties/{name}[?resource_type=…]`: with a prefixed association the name must
/// carry the prefix, which is removed before the lookup.
pub fn show(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let resource_type = url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "resource_type")
        .map(|(_, v)| v.into_owned());
    let prefix = resource_type.and_then(|rt| ns.association(&rt).and_then(|a| a.prefix.clone()));
    let key = match prefix.as_deref() {
        Some(p) => name.strip_prefix(p).ok_or_else(|| {
            ApiError::not_found(format!(
                "Property {name} does not start with the expected resource type association prefix of '{p}'."
            ))
        })?,
        None => name,
    };
    let def = ns.properties.get(key).ok_or_else(|| not_found(name))?;
    Ok(request::json(StatusCode::OK, &view::property(key, def)))
}

pub fn update(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "property", &[])?;
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "modify_metadef_property")?;
    if !ns.properties.contains_key(name) {
        return Err(not_found(name));
    }
    let (new_name, def) = split(body);
    if new_name != name && ns.properties.contains_key(&new_name) {
        return Err(duplicate(&new_name, ns_name));
    }
    ns.properties.remove(name);
    let rendered = view::property(&new_name, &def);
    ns.properties.insert(new_name, def);
    Ok(request::json(StatusCode::OK, &rendered))
}

pub fn delete(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "remove_metadef_property")?;
    if !ns.properties.contains_key(name) {
        return Err(not_found(name));
    }
    if ns.protected {
        return Err(access::protected("property", name));
    }
    ns.properties.remove(name);
    Ok(request::no_content())
}

/// `DELETE …/properties`: every property of the namespace (403 while protected).
pub fn delete_all(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "remove_metadef_property")?;
    if ns.protected {
        return Err(access::protected("namespace", ns_name));
    }
    ns.properties.clear();
    Ok(request::no_content())
}
