//! Tag definitions of a namespace: `GET|POST|DELETE …/tags`, `GET|POST|PUT|DELETE …/tags/{name}`.

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::request::{self, Ctx};
use super::super::state::{now, AppState};
use super::access::{self, opt_string};
use super::query::{self, SortKey};
use super::store::MdTag;
use super::view;

/// Tag names are at most 80 characters (API reference, `tag_name`).
const MAX_NAME: usize = 80;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("Could not find metadata tag {name}"))
}

fn duplicate(name: &str, ns: &str) -> ApiError {
    ApiError::conflict(format!(
        "A metadata tag with name={name} already exists in namespace={ns}."
    ))
}

fn check_name(name: &str) -> ApiResult<()> {
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "Provided object does not match schema 'tag': '{name}' is too long"
        )));
    }
    Ok(())
}

/// `POST …/tags/{name}`: one new tag (no body).
pub fn create(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    check_name(name)?;
    let mut md = app.metadefs();
    let seq = md.next_seq();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "add_metadef_tag")?;
    if ns.tag(name).is_some() {
        return Err(duplicate(name, ns_name));
    }
    let t = now();
    let tag = MdTag {
        name: name.to_string(),
        created_at: t,
        updated_at: t,
        seq,
    };
    let rendered = view::tag(&tag);
    ns.tags.push(tag);
    Ok(request::json(StatusCode::CREATED, &rendered))
}

/// `POST …/tags` with `{"tags": [{"name": …}, …]}`: replaces the namespace's tags, or adds to
/// them with `X-Openstack-Append: true`; a name given twice or already present (when
/// appending) is a 409 that changes nothing.
pub fn create_many(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "tags", &[])?;
    let names: Vec<String> = body
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_object().and_then(|o| opt_string(o, "name")))
                .collect()
        })
        .unwrap_or_default();
    for n in &names {
        check_name(n)?;
    }
    let append = ctx
        .headers
        .get("x-openstack-append")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let mut md = app.metadefs();
    let first_seq = md.next_seq();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "add_metadef_tags")?;
    let mut seen = std::collections::BTreeSet::new();
    for n in &names {
        if !seen.insert(n.as_str()) || (append && ns.tag(n).is_some()) {
            return Err(duplicate(n, ns_name));
        }
    }
    if !append {
        ns.tags.clear();
    }
    let t = now();
    for (i, n) in names.iter().enumerate() {
        ns.tags.push(MdTag {
            name: n.clone(),
            created_at: t,
            updated_at: t,
            seq: first_seq.saturating_mul(1000).saturating_add(i as u64),
        });
    }
    let tags: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
    Ok(request::json(StatusCode::CREATED, &json!({"tags": tags})))
}

pub fn show(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let tag = ns.tag(name).ok_or_else(|| not_found(name))?;
    Ok(request::json(StatusCode::OK, &view::tag(tag)))
}

/// `PUT …/tags/{name}` with `{"name": new}`: renames the tag.
pub fn update(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let body = access::write_body(ctx, "tag", &["created_at", "updated_at"])?;
    let new_name = opt_string(&body, "name").unwrap_or_default();
    check_name(&new_name)?;
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "modify_metadef_tag")?;
    if ns.tag(name).is_none() {
        return Err(not_found(name));
    }
    if new_name != name && ns.tag(&new_name).is_some() {
        return Err(duplicate(&new_name, ns_name));
    }
    let tag = ns
        .tags
        .iter_mut()
        .find(|t| t.name == name)
        .ok_or_else(|| not_found(name))?;
    tag.name = new_name;
    tag.updated_at = now();
    Ok(request::json(StatusCode::OK, &view::tag(tag)))
}

pub fn delete(app: &AppState, ctx: &Ctx, ns_name: &str, name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "delete_metadef_tag")?;
    if ns.tag(name).is_none() {
        return Err(not_found(name));
    }
    if ns.protected {
        return Err(access::protected("tag", name));
    }
    ns.tags.retain(|t| t.name != name);
    Ok(request::no_content())
}

/// `DELETE …/tags`: every tag of the namespace (403 while protected).
pub fn delete_all(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let mut md = app.metadefs();
    let ns = access::writable(&mut md, &ctx.caller, ns_name, "delete_metadef_tags")?;
    if ns.protected {
        return Err(access::protected("namespace", ns_name));
    }
    ns.tags.clear();
    Ok(request::no_content())
}

fn compare(key: SortKey, a: &MdTag, b: &MdTag) -> Ordering {
    let primary = match key {
        SortKey::Name => a.name.cmp(&b.name),
        SortKey::CreatedAt => a.created_at.cmp(&b.created_at),
        SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
    };
    primary.then(a.seq.cmp(&b.seq))
}

/// `GET …/tags`: sorted (`sort_key` name, created_at, updated_at) and paged (`limit`,
/// `marker` = a tag name).
pub fn index(app: &AppState, ctx: &Ctx, ns_name: &str) -> ApiResult<Response> {
    let q = query::parse(ctx.query.as_deref(), "name")?;
    let md = app.metadefs();
    let ns = access::readable(&md, &ctx.caller, ns_name)?;
    let marker = match &q.marker {
        Some(m) => Some(ns.tag(m).ok_or_else(|| not_found(m))?),
        None => None,
    };
    let cmp = |a: &MdTag, b: &MdTag| q.order(compare(q.sort_key, a, b));
    let mut sorted: Vec<&MdTag> = ns.tags.iter().collect();
    sorted.sort_by(|a, b| cmp(a, b));
    let (page, _) = query::page(sorted, marker, q.limit, cmp);
    let tags: Vec<Value> = page.iter().map(|t| json!({"name": t.name})).collect();
    Ok(request::json(StatusCode::OK, &json!({"tags": tags})))
}
