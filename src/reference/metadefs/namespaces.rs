//! `GET|POST /v2/metadefs/namespaces` and `GET|PUT|DELETE /v2/metadefs/namespaces/{name}`.

use std::cmp::Ordering;

use axum::http::header::{HeaderValue, LOCATION};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::request::{self, Ctx};
use super::super::state::{now, AppState};
use super::access::{self, opt_string, READ_ONLY};
use super::query::{self, SortKey};
use super::store::{Association, MdTag, Namespace, Visibility};
use super::view;

fn set_attributes(ns: &mut Namespace, body: &Map<String, Value>) {
    ns.display_name = opt_string(body, "display_name");
    ns.description = opt_string(body, "description");
    ns.visibility = body
        .get("visibility")
        .and_then(Value::as_str)
        .and_then(Visibility::parse)
        .unwrap_or(Visibility::Private);
    ns.protected = body
        .get("protected")
        .and_then(Value::as_bool)
        .unwrap_or(false);
}

fn names_unique<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::BTreeSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

/// The objects, properties, tags and associations of a create body (already schema-checked).
fn nested(ns: &mut Namespace, body: &Map<String, Value>) -> ApiResult<()> {
    let t = ns.created_at;
    let items = |key: &str| -> Vec<Map<String, Value>> {
        body.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
            .unwrap_or_default()
    };
    for a in items("resource_type_associations") {
        ns.associations.push(Association {
            name: opt_string(&a, "name").unwrap_or_default(),
            prefix: opt_string(&a, "prefix"),
            properties_target: opt_string(&a, "properties_target"),
            created_at: t,
            updated_at: t,
        });
    }
    for o in items("objects") {
        ns.objects.push(super::objects::from_body(&o, t));
    }
    for (i, tg) in items("tags").iter().enumerate() {
        ns.tags.push(MdTag {
            name: opt_string(tg, "name").unwrap_or_default(),
            created_at: t,
            updated_at: t,
            seq: i as u64,
        });
    }
    if let Some(props) = body.get("properties").and_then(Value::as_object) {
        for (name, def) in props {
            let mut def = def.as_object().cloned().unwrap_or_default();
            def.remove("name");
            ns.properties.insert(name.clone(), def);
        }
    }
    let dup = names_unique(ns.associations.iter().map(|a| a.name.as_str()))
        .or_else(|| names_unique(ns.objects.iter().map(|o| o.name.as_str())))
        .or_else(|| names_unique(ns.tags.iter().map(|t| t.name.as_str())));
    match dup {
        Some(d) => Err(ApiError::conflict(format!(
            "Duplicate name {d} in namespace {}.",
            ns.name
        ))),
        None => Ok(()),
    }
}

/// `POST /v2/metadefs/namespaces`: 201 with Location.
pub fn create(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    let body = access::write_body(ctx, "namespace", &READ_ONLY)?;
    if !access::may_write(&ctx.caller) {
        return Err(access::forbidden("add_metadef_namespace"));
    }
    let name = opt_string(&body, "namespace").unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "The namespace name must not be empty.",
        ));
    }
    let mut md = app.metadefs();
    if md.contains(&name) {
        return Err(ApiError::conflict(format!(
            "The metadata definition namespace={name} already exists."
        )));
    }
    let t = now();
    let seq = md.next_seq();
    let mut ns = Namespace::new(name.clone(), seq, t);
    set_attributes(&mut ns, &body);
    ns.owner = opt_string(&body, "owner").or_else(|| ctx.caller.project.clone());
    nested(&mut ns, &body)?;
    for a in &ns.associations {
        md.ensure_resource_type(&a.name, t);
    }
    let rendered = view::namespace_detail(&ns, None);
    md.insert(ns);
    let mut response = request::json(StatusCode::CREATED, &rendered);
    let location = format!("{}{}", ctx.host_url, view::namespace_href(&name));
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, v);
    }
    Ok(response)
}

/// `GET /v2/metadefs/namespaces/{name}[?resource_type=…]`.
pub fn show(app: &AppState, ctx: &Ctx, name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, name)?;
    let resource_type = url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "resource_type")
        .map(|(_, v)| v.into_owned());
    let prefix = resource_type.and_then(|rt| ns.association(&rt).and_then(|a| a.prefix.clone()));
    Ok(request::json(
        StatusCode::OK,
        &view::namespace_detail(ns, prefix.as_deref()),
    ))
}

/// `PUT /v2/metadefs/namespaces/{name}`: replaces the attributes (omitted ones get their
/// defaults, the owner included, as on Glance); a different `namespace` renames it, with
/// everything it holds.
pub fn update(app: &AppState, ctx: &Ctx, name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "namespace", &READ_ONLY)?;
    let mut md = app.metadefs();
    access::writable(&mut md, &ctx.caller, name, "modify_metadef_namespace")?;
    let new_name = opt_string(&body, "namespace").unwrap_or_default();
    if new_name.is_empty() {
        return Err(ApiError::bad_request(
            "The namespace name must not be empty.",
        ));
    }
    if new_name != name && md.contains(&new_name) {
        return Err(ApiError::conflict(format!(
            "Invalid update. It would result in a duplicate metadata definition namespace with the same name of {new_name}"
        )));
    }
    md.rename(name, &new_name);
    let ns = md
        .get_mut(&new_name)
        .ok_or_else(|| access::namespace_not_found(name))?;
    set_attributes(ns, &body);
    // Like the other attributes, an omitted owner takes its default: the caller's project.
    ns.owner = opt_string(&body, "owner").or_else(|| ctx.caller.project.clone());
    ns.updated_at = now();
    Ok(request::json(StatusCode::OK, &view::namespace(ns)))
}

/// `DELETE /v2/metadefs/namespaces/{name}`: 403 while protected; removes everything in it.
pub fn delete(app: &AppState, ctx: &Ctx, name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, name, "delete_metadef_namespace")?;
    if ns.protected {
        return Err(access::protected("namespace", name));
    }
    md.remove(name);
    Ok(request::no_content())
}

fn compare(key: SortKey, a: &Namespace, b: &Namespace) -> Ordering {
    let primary = match key {
        SortKey::Name => a.name.cmp(&b.name),
        SortKey::CreatedAt => a.created_at.cmp(&b.created_at),
        SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
    };
    primary.then(a.seq.cmp(&b.seq))
}

/// `GET /v2/metadefs/namespaces`: the namespaces the caller may see, filtered, sorted, paged.
pub fn index(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    let q = query::parse(ctx.query.as_deref(), "namespace")?;
    let md = app.metadefs();
    let marker = match &q.marker {
        Some(m) => Some(access::readable(&md, &ctx.caller, m)?),
        None => None,
    };
    let mut listed: Vec<&Namespace> = md
        .all()
        .filter(|ns| access::can_read(&ctx.caller, ns))
        .filter(|ns| q.visibility.is_none_or(|v| ns.visibility == v))
        .filter(|ns| {
            q.resource_types.is_empty()
                || ns
                    .associations
                    .iter()
                    .any(|a| q.resource_types.contains(&a.name))
        })
        .collect();
    let cmp = |a: &Namespace, b: &Namespace| q.order(compare(q.sort_key, a, b));
    listed.sort_by(|a, b| cmp(a, b));
    let (page, more) = query::page(listed, marker, q.limit, cmp);
    let base = "/v2/metadefs/namespaces";
    let mut body = json!({
        "namespaces": page.iter().map(|ns| view::namespace_summary(ns)).collect::<Vec<_>>(),
        "first": query::link(base, &q, None),
        "schema": "/v2/schemas/metadefs/namespaces",
    });
    if more {
        if let Some(last) = page.last() {
            body["next"] = query::link(base, &q, Some(&last.name)).into();
        }
    }
    Ok(request::json(StatusCode::OK, &body))
}
