//! Resource types (`GET /v2/metadefs/resource_types`) and a namespace's resource-type
//! associations (`GET|POST …/resource_types`, `DELETE …/resource_types/{name}`).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::request::{self, Ctx};
use super::super::state::{now, AppState};
use super::access::{self, opt_string};
use super::store::Association;
use super::view;

/// Every known resource type (an association to a new name creates one).
pub fn list_all(app: &AppState, _ctx: &Ctx) -> ApiResult<Response> {
    let md = app.metadefs();
    let types: Vec<Value> = md.resource_types().map(view::resource_type).collect();
    Ok(request::json(
        StatusCode::OK,
        &json!({"resource_types": types}),
    ))
}

pub fn index(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let list: Vec<Value> = ns.associations.iter().map(view::association).collect();
    Ok(request::json(
        StatusCode::OK,
        &json!({"resource_type_associations": list}),
    ))
}

pub fn create(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "resource_type", &["created_at", "updated_at"])?;
    let mut md = app.metadefs();
    let name = opt_string(&body, "name").unwrap_or_default();
    let t = now();
    {
        let ns = access::writable(
            &mut md,
            &ctx.caller,
            ns_name,
            "add_metadef_resource_type_association",
        )?;
        if ns.association(&name).is_some() {
            return Err(ApiError::conflict(format!(
                "The metadata definition resource-type association of resource-type={name} to namespace={ns_name} already exists."
            )));
        }
    }
    md.ensure_resource_type(&name, t);
    let association = Association {
        name,
        prefix: opt_string(&body, "prefix"),
        properties_target: opt_string(&body, "properties_target"),
        created_at: t,
        updated_at: t,
    };
    let rendered = view::association(&association);
    if let Some(ns) = md.get_mut(ns_name) {
        ns.associations.push(association);
    }
    Ok(request::json(StatusCode::CREATED, &rendered))
}

pub fn delete(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(
        &mut md,
        &ctx.caller,
        ns_name,
        "remove_metadef_resource_type_association",
    )?;
    if ns.association(name).is_none() {
        return Err(ApiError::not_found(format!(
            "Failed to find resource type {name} to delete"
        )));
    }
    if ns.protected {
        return Err(access::protected("resource-type-association", name));
    }
    ns.associations.retain(|a| a.name != name);
    Ok(request::no_content())
}
