//! Metadata definitions (`/v2/metadefs/…`, since API 2.2): namespaces and, inside each, objects,
//! properties, tags and resource-type associations; the global resource-type list; and the ten
//! schema documents under `/v2/schemas/metadefs/…`.
//!
//! Writes need the `admin` role (Glance's legacy `metadef_admin` rule, and the API reference's
//! "by default, only admins can manipulate" note); reads see public namespaces, the caller's
//! project's namespaces, and everything for an admin. A namespace the caller may not see is
//! reported as missing (404).

mod access;
mod namespaces;
mod objects;
mod properties;
mod query;
mod resource_types;
mod route;
mod schemas;
mod store;
mod tags;
mod view;

#[cfg(test)]
mod tests;

use axum::http::Method;
use axum::response::Response;

use super::errors::{ApiError, ApiResult};
use super::request::{self, Ctx};
use super::state::AppState;

pub use route::{resolve, resolve_schema, MdRoute};
pub use store::Store;

/// Answers a metadefs route (OPTIONS is handled by the caller).
pub fn handle(app: &AppState, ctx: &Ctx, route: &MdRoute) -> ApiResult<Response> {
    let m = &ctx.method;
    if route.rejects_body(m) {
        ctx.reject_body()?;
    }
    match route {
        MdRoute::Schema(name) if *m == Method::GET => Ok(request::json(
            axum::http::StatusCode::OK,
            &schemas::document(name),
        )),
        MdRoute::ResourceTypes if *m == Method::GET => resource_types::list_all(app, ctx),
        MdRoute::Namespaces if *m == Method::GET => namespaces::index(app, ctx),
        MdRoute::Namespaces if *m == Method::POST => namespaces::create(app, ctx),
        MdRoute::Namespace(ns) if *m == Method::GET => namespaces::show(app, ctx, ns),
        MdRoute::Namespace(ns) if *m == Method::PUT => namespaces::update(app, ctx, ns),
        MdRoute::Namespace(ns) if *m == Method::DELETE => namespaces::delete(app, ctx, ns),
        MdRoute::Objects(ns) if *m == Method::GET => objects::index(app, ctx, ns),
        MdRoute::Objects(ns) if *m == Method::POST => objects::create(app, ctx, ns),
        MdRoute::Objects(ns) if *m == Method::DELETE => objects::delete_all(app, ctx, ns),
        MdRoute::Object(ns, o) if *m == Method::GET => objects::show(app, ctx, ns, o),
        MdRoute::Object(ns, o) if *m == Method::PUT => objects::update(app, ctx, ns, o),
        MdRoute::Object(ns, o) if *m == Method::DELETE => objects::delete(app, ctx, ns, o),
        MdRoute::Properties(ns) if *m == Method::GET => properties::index(app, ctx, ns),
        MdRoute::Properties(ns) if *m == Method::POST => properties::create(app, ctx, ns),
        MdRoute::Properties(ns) if *m == Method::DELETE => properties::delete_all(app, ctx, ns),
        MdRoute::Property(ns, p) if *m == Method::GET => properties::show(app, ctx, ns, p),
        MdRoute::Property(ns, p) if *m == Method::PUT => properties::update(app, ctx, ns, p),
        MdRoute::Property(ns, p) if *m == Method::DELETE => properties::delete(app, ctx, ns, p),
        MdRoute::Tags(ns) if *m == Method::GET => tags::index(app, ctx, ns),
        MdRoute::Tags(ns) if *m == Method::POST => tags::create_many(app, ctx, ns),
        MdRoute::Tags(ns) if *m == Method::DELETE => tags::delete_all(app, ctx, ns),
        MdRoute::Tag(ns, t) if *m == Method::GET => tags::show(app, ctx, ns, t),
        MdRoute::Tag(ns, t) if *m == Method::POST => tags::create(app, ctx, ns, t),
        MdRoute::Tag(ns, t) if *m == Method::PUT => tags::update(app, ctx, ns, t),
        MdRoute::Tag(ns, t) if *m == Method::DELETE => tags::delete(app, ctx, ns, t),
        MdRoute::Associations(ns) if *m == Method::GET => resource_types::index(app, ctx, ns),
        MdRoute::Associations(ns) if *m == Method::POST => resource_types::create(app, ctx, ns),
        MdRoute::Association(ns, r) if *m == Method::DELETE => {
            resource_types::delete(app, ctx, ns, r)
        }
        other => Err(ApiError::method_not_allowed(m.as_str(), other.allow())),
    }
}
