//! Path resolution and method dispatch.
//!
//! Routing is done by hand rather than with axum's router so that the server can answer like
//! Glance at the edges: URL version negotiation (`/v2.N/…`, other versions → 300), `/v2` →
//! 302, 405 with Glance's `Allow` lists (B006), HEAD not routed for images (B007), OPTIONS →
//! 200 (B008), doubled slashes normalised and a trailing slash → 404 (B009), encoded slash in
//! a tag → 404 (B139).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{HeaderValue, ACCEPT, LOCATION};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::actions::Action;
use super::data::{self, Sink};
use super::errors::{self, ApiError, ApiResult};
use super::request::{self, percent_decode, Ctx};
use super::schemas::{self, SchemaName};
use super::state::AppState;
use super::{
    actions, cache, images, import, list, locations, members, metadefs, tags, tasks, versions,
};

/// Largest request body read into memory.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /` → 300 with the version list.
    Root,
    /// `GET /versions` → 200 with the version list.
    Versions,
    /// A path under no served version → 300 with the version list (B020, B021).
    VersionChoices,
    /// `/v2` without the trailing slash → 302 to `/v2/` (B017).
    V2Redirect,
    /// Anything unknown under a served version.
    NotFound,
    Schema(SchemaName),
    Images,
    Image(String),
    ImageTag(String, String),
    /// `/v2/images/{id}/file`: image data.
    ImageFile(String),
    /// `/v2/images/{id}/stage`: staging for an interoperable import.
    ImageStage(String),
    /// `/v2/images/{id}/import`.
    ImageImport(String),
    /// `/v2/stores/{store_id}/{image_id}`: the image's data in one store (2.10).
    StoreImage(String, String),
    /// `/v2/info/import`, `/v2/info/stores`, `/v2/info/stores/detail`, `/v2/info/usage`.
    Info(InfoDoc),
    /// `/v2/images/{id}/actions/{deactivate|reactivate}`; other actions are unknown paths.
    ImageAction(String, Action),
    /// `/v2/images/{id}/members`.
    ImageMembers(String),
    /// `/v2/images/{id}/members/{member_id}`.
    ImageMember(String, String),
    /// A tag segment that is not valid percent-encoded UTF-8.
    BadTag,
    /// Metadata definitions and their schemas (`/v2/metadefs/…`, `/v2/schemas/metadefs/…`).
    Metadef(metadefs::MdRoute),
    /// `/v2/images/{id}/tasks` (2.12).
    ImageTasks(String),
    /// `/v2/images/{id}/locations` (2.17).
    ImageLocations(String),
    /// `/v2/tasks`.
    Tasks,
    /// `/v2/tasks/{id}`.
    Task(String),
    /// `/v2/cache` (2.14).
    Cache,
    /// `/v2/cache/{image_id}`.
    CacheEntry(String),
    /// `/v2/cache/clean` (2.18).
    CacheClean,
    /// `/v2/cache/prune` (2.18).
    CachePrune,
}

impl Route {
    /// Routes of the v2 API (they carry `x-openstack-request-id`, B003).
    fn is_v2(&self) -> bool {
        !matches!(self, Route::Root | Route::Versions | Route::VersionChoices)
    }

    /// Glance's `Allow` list for a known v2 route.
    fn allow(&self) -> Option<&'static str> {
        match self {
            Route::Schema(_) => Some("GET"),
            Route::Images => Some("GET, POST"),
            Route::Image(_) => Some("GET, PATCH, DELETE"),
            Route::ImageTag(..) | Route::BadTag => Some("PUT, DELETE"),
            Route::ImageFile(_) => Some("GET, PUT"),
            Route::ImageStage(_) => Some("PUT"),
            Route::ImageImport(_) => Some("POST"),
            Route::StoreImage(..) => Some("DELETE"),
            Route::Info(_) => Some("GET"),
            Route::ImageAction(..) => Some("POST"),
            Route::ImageMembers(_) => Some("GET, POST"),
            Route::ImageMember(..) => Some("GET, PUT, DELETE"),
            Route::ImageTasks(_) => Some("GET"),
            Route::ImageLocations(_) => Some("GET, POST"),
            Route::Tasks => Some("GET, POST"),
            Route::Task(_) => Some("GET"),
            Route::Cache => Some("GET, DELETE"),
            Route::CacheEntry(_) => Some("DELETE, PUT"),
            Route::CacheClean | Route::CachePrune => Some("POST"),
            _ => None,
        }
    }
}

/// The discovery documents under `/v2/info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoDoc {
    Import,
    Stores,
    StoresDetail,
    Usage,
}

/// Maps a raw (percent-encoded) path to a route.
pub fn resolve(path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    // Doubled slashes are normalised, a trailing slash is kept as an empty last segment.
    let mut kept: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        if !seg.is_empty() || i + 1 == segments.len() {
            kept.push(seg);
        }
    }
    match kept.as_slice() {
        [] | [""] => return Route::Root,
        ["versions"] => return Route::Versions,
        _ => {}
    }
    if !versions::is_served(kept[0]) {
        return Route::VersionChoices;
    }
    match &kept[1..] {
        [] => Route::V2Redirect,
        ["schemas", name] => SchemaName::parse(name).map_or(Route::NotFound, Route::Schema),
        ["schemas", "metadefs", name] => {
            metadefs::resolve_schema(name).map_or(Route::NotFound, Route::Metadef)
        }
        ["metadefs", rest @ ..] => metadefs::resolve(rest).map_or(Route::NotFound, Route::Metadef),
        ["images"] => Route::Images,
        ["images", id] if !id.is_empty() => match decode(id) {
            Some(id) => Route::Image(id),
            None => Route::NotFound,
        },
        ["images", id, "members"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageMembers)
        }
        ["images", id, "members", member] if !id.is_empty() && !member.is_empty() => {
            match (decode(id), decode(member)) {
                (Some(id), Some(member)) => Route::ImageMember(id, member),
                _ => Route::NotFound,
            }
        }
        ["images", id, "tags", tag] if !id.is_empty() && !tag.is_empty() => {
            let Some(id) = decode(id) else {
                return Route::NotFound;
            };
            match percent_decode(tag) {
                Some(bytes) if bytes.contains(&b'/') => Route::NotFound,
                Some(bytes) => match String::from_utf8(bytes) {
                    Ok(tag) => Route::ImageTag(id, tag),
                    Err(_) => Route::BadTag,
                },
                None => Route::BadTag,
            }
        }
        ["info", "import"] => Route::Info(InfoDoc::Import),
        ["info", "stores"] => Route::Info(InfoDoc::Stores),
        ["info", "stores", "detail"] => Route::Info(InfoDoc::StoresDetail),
        ["info", "usage"] => Route::Info(InfoDoc::Usage),
        ["images", id, "stage"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageStage)
        }
        ["images", id, "import"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageImport)
        }
        ["stores", store, id] if !store.is_empty() && !id.is_empty() => {
            match (decode(store), decode(id)) {
                (Some(store), Some(id)) => Route::StoreImage(store, id),
                _ => Route::NotFound,
            }
        }
        ["images", id, "file"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageFile)
        }
        ["images", id, "tasks"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageTasks)
        }
        ["images", id, "locations"] if !id.is_empty() => {
            decode(id).map_or(Route::NotFound, Route::ImageLocations)
        }
        ["tasks"] => Route::Tasks,
        ["tasks", id] if !id.is_empty() => decode(id).map_or(Route::NotFound, Route::Task),
        ["cache"] => Route::Cache,
        ["cache", "clean"] => Route::CacheClean,
        ["cache", "prune"] => Route::CachePrune,
        ["cache", id] if !id.is_empty() => decode(id).map_or(Route::NotFound, Route::CacheEntry),
        ["images", id, "actions", action] if !id.is_empty() => {
            match (decode(id), Action::parse(action)) {
                (Some(id), Some(action)) => Route::ImageAction(id, action),
                _ => Route::NotFound,
            }
        }
        _ => Route::NotFound,
    }
}

fn decode(segment: &str) -> Option<String> {
    String::from_utf8(percent_decode(segment)?).ok()
}

/// The single entry point: every request lands here.
pub async fn dispatch(State(app): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let format = errors::negotiate(parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()));
    let route = resolve(parts.uri.path());
    // Image data is streamed into the image rather than read here first.
    let sink = match &route {
        Route::ImageFile(id) if parts.method == Method::PUT => Some((id, Sink::Upload)),
        Route::ImageStage(id) if parts.method == Method::PUT => Some((id, Sink::Stage)),
        _ => None,
    };
    let result = match sink {
        Some((id, sink)) => data::receive(&app, &parts, body, id, sink).await,
        None => match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => {
                let ctx = Ctx::new(&parts, bytes);
                match &route {
                    // A web-download import fetches its URL before answering.
                    Route::ImageImport(id) if parts.method == Method::POST => {
                        import::import(&app, &ctx, id).await
                    }
                    _ => handle(&app, &route, &ctx),
                }
            }
            Err(_) => Err(ApiError::too_large("Request body too large.")),
        },
    };
    let mut response = result.unwrap_or_else(|e| e.render(format));
    if route.is_v2() {
        let id = format!("req-{}", uuid::Uuid::new_v4());
        if let Ok(value) = HeaderValue::from_str(&id) {
            response
                .headers_mut()
                .insert("x-openstack-request-id", value);
        }
    }
    response
}

fn handle(app: &AppState, route: &Route, ctx: &Ctx) -> ApiResult<Response> {
    let mut response = handle_route(app, route, ctx)?;
    if matches!(route, Route::Root | Route::VersionChoices | Route::Versions) {
        response.headers_mut().insert(
            versions::MARKER_HEADER,
            HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        );
    }
    Ok(response)
}

fn handle_route(app: &AppState, route: &Route, ctx: &Ctx) -> ApiResult<Response> {
    let method = &ctx.method;
    match route {
        Route::Root => Ok(request::json(
            StatusCode::MULTIPLE_CHOICES,
            &versions::document(&ctx.host_url),
        )),
        Route::VersionChoices => Ok(request::json(
            StatusCode::MULTIPLE_CHOICES,
            &versions::document(&ctx.host_url),
        )),
        Route::Versions => Ok(request::json(
            StatusCode::OK,
            &versions::document(&ctx.host_url),
        )),
        Route::V2Redirect => {
            let mut response = StatusCode::FOUND.into_response();
            let target = format!("{}/v2/", ctx.host_url);
            if let Ok(value) = HeaderValue::from_str(&target) {
                response.headers_mut().insert(LOCATION, value);
            }
            Ok(response)
        }
        Route::NotFound => Err(ApiError::no_resource()),
        _ if *method == Method::OPTIONS => Ok(Response::new(Body::empty())),
        Route::Schema(name) if *method == Method::GET => {
            ctx.reject_body()?;
            Ok(request::json(
                StatusCode::OK,
                &schemas::document(*name, &app.image_schema),
            ))
        }
        Route::Metadef(md) => metadefs::handle(app, ctx, md),
        Route::Images if *method == Method::GET => list::index(app, ctx),
        Route::Images if *method == Method::POST => images::create(app, ctx),
        Route::Image(id) if *method == Method::GET => images::show(app, ctx, id),
        Route::Image(id) if *method == Method::PATCH => images::update(app, ctx, id),
        Route::Image(id) if *method == Method::DELETE => images::delete(app, ctx, id),
        Route::ImageTag(id, tag) if *method == Method::PUT => tags::add(app, ctx, id, tag),
        Route::ImageTag(id, tag) if *method == Method::DELETE => tags::remove(app, ctx, id, tag),
        Route::ImageFile(id) if *method == Method::GET => data::download(app, ctx, id),
        Route::StoreImage(store, id) if *method == Method::DELETE => {
            import::delete_from_store(app, ctx, store, id)
        }
        Route::Info(doc) if *method == Method::GET => match doc {
            InfoDoc::Import => import::info_import(ctx),
            InfoDoc::Stores => import::info_stores(app, ctx),
            InfoDoc::StoresDetail => import::info_stores_detail(app, ctx),
            InfoDoc::Usage => import::info_usage(ctx),
        },
        Route::ImageAction(id, action) if *method == Method::POST => {
            actions::run(app, ctx, id, *action)
        }
        Route::ImageMembers(id) if *method == Method::GET => members::index(app, ctx, id),
        Route::ImageMembers(id) if *method == Method::POST => members::create(app, ctx, id),
        Route::ImageMember(id, m) if *method == Method::GET => members::show(app, ctx, id, m),
        Route::ImageMember(id, m) if *method == Method::PUT => members::update(app, ctx, id, m),
        Route::ImageMember(id, m) if *method == Method::DELETE => members::delete(app, ctx, id, m),
        Route::ImageTasks(id) if *method == Method::GET => tasks::image_tasks(app, ctx, id),
        Route::ImageLocations(id) if *method == Method::GET => locations::list(app, ctx, id),
        Route::ImageLocations(id) if *method == Method::POST => locations::add(app, ctx, id),
        Route::Tasks if *method == Method::GET => tasks::list(app, ctx),
        Route::Tasks if *method == Method::POST => tasks::create(app, ctx),
        Route::Task(id) if *method == Method::GET => tasks::show(app, ctx, id),
        Route::Cache if *method == Method::GET => cache::state(app, ctx),
        Route::Cache if *method == Method::DELETE => cache::clear(app, ctx),
        Route::CacheEntry(id) if *method == Method::PUT => cache::queue(app, ctx, id),
        Route::CacheEntry(id) if *method == Method::DELETE => cache::delete_entry(app, ctx, id),
        Route::CacheClean if *method == Method::POST => cache::clean(ctx),
        Route::CachePrune if *method == Method::POST => cache::prune(ctx),
        Route::BadTag if *method == Method::PUT || *method == Method::DELETE => Err(
            ApiError::bad_request("The tag is not valid percent-encoded UTF-8."),
        ),
        other => match other.allow() {
            Some(allow) => Err(ApiError::method_not_allowed(method.as_str(), allow)),
            None => Err(ApiError::no_resource()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        assert_eq!(resolve("/"), Route::Root);
        assert_eq!(resolve("/versions"), Route::Versions);
        assert_eq!(resolve("/v2"), Route::V2Redirect);
        assert_eq!(resolve("/v2.3"), Route::V2Redirect);
        assert_eq!(resolve("/v2/"), Route::NotFound);
        assert_eq!(resolve("/v1/images"), Route::VersionChoices);
        assert_eq!(resolve("/v2.19/images"), Route::VersionChoices);
        assert_eq!(resolve("/images"), Route::VersionChoices);
        assert_eq!(resolve("/v2/images"), Route::Images);
        assert_eq!(resolve("/v2.17/images"), Route::Images);
        assert_eq!(resolve("//v2//images"), Route::Images);
        assert_eq!(resolve("/v2/images/"), Route::NotFound);
        assert_eq!(resolve("/v2/images/abc"), Route::Image("abc".into()));
        assert_eq!(
            resolve("/v2/images/abc/tags/with%20space"),
            Route::ImageTag("abc".into(), "with space".into())
        );
        assert_eq!(resolve("/v2/images/abc/tags/a%2Fb"), Route::NotFound);
        assert_eq!(resolve("/v2/images/abc/tags/%FF"), Route::BadTag);
        assert_eq!(resolve("/v2/images/abc/tags"), Route::NotFound);
        assert_eq!(
            resolve("/v2/images/abc/file"),
            Route::ImageFile("abc".into())
        );
        assert_eq!(
            resolve("/v2/images/abc/actions/deactivate"),
            Route::ImageAction("abc".into(), Action::Deactivate)
        );
        assert_eq!(resolve("/v2/images/abc/actions/bogus"), Route::NotFound);
        assert_eq!(resolve("/v2/images/abc/actions"), Route::NotFound);
        assert_eq!(
            resolve("/v2/images/abc/members"),
            Route::ImageMembers("abc".into())
        );
        assert_eq!(
            resolve("/v2/images/abc/members/p%201"),
            Route::ImageMember("abc".into(), "p 1".into())
        );
        assert_eq!(resolve("/v2/images/abc/members/"), Route::NotFound);
        assert_eq!(
            resolve("/v2/schemas/image"),
            Route::Schema(SchemaName::Image)
        );
        assert_eq!(resolve("/v2/schemas/bogus"), Route::NotFound);
        assert_eq!(resolve("/v2/tasks"), Route::Tasks);
        assert_eq!(resolve("/v2/tasks/t1"), Route::Task("t1".into()));
        assert_eq!(
            resolve("/v2/images/abc/tasks"),
            Route::ImageTasks("abc".into())
        );
        assert_eq!(
            resolve("/v2/images/abc/locations"),
            Route::ImageLocations("abc".into())
        );
        assert_eq!(resolve("/v2/cache"), Route::Cache);
        assert_eq!(resolve("/v2/cache/clean"), Route::CacheClean);
        assert_eq!(resolve("/v2/cache/prune"), Route::CachePrune);
        assert_eq!(resolve("/v2/cache/abc"), Route::CacheEntry("abc".into()));
    }
}
