//! Tasks (`/v2/tasks`, since 2.2; `/v2/images/{id}/tasks`, since 2.12): B032, B271–B274.
//!
//! Tasks are made by the server itself — a glance-direct import records an `api_image_import`
//! task, adding a location a `location_import` task — or by an administrator with
//! `POST /v2/tasks`. The tasks API is admin-only (`tasks_api_access` is `role:admin`, so a
//! noauth caller without roles is refused, like on Glance); the tasks of one image are shown to
//! whoever may see the image.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ApiResult};
use super::policy;
use super::request::{self, Ctx};
use super::state::{format_time, now, AppState};

/// Task types of the task schema (Glance 33).
pub const TYPES: [&str; 3] = ["import", "api_image_import", "location_import"];
/// Task statuses of the task schema and the api-ref's status table.
pub const STATUSES: [&str; 4] = ["pending", "processing", "success", "failure"];
/// How long a finished task is kept (Glance's `task_time_to_live` default, 48 hours).
const TIME_TO_LIVE_HOURS: i64 = 48;
/// Page size without `limit`, and the most one page holds (Glance's defaults).
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub owner: Option<String>,
    pub image_id: Option<String>,
    pub user_id: Option<String>,
    pub request_id: String,
    pub input: Value,
    pub result: Value,
    pub message: String,
    pub created_at: DateTime<Utc>,
    /// Creation time with microseconds, as the per-image task view shows it (B271).
    pub created_precise: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Task {
    /// A task of `caller`'s project about `image_id`, already finished with `status`.
    pub fn finished(
        ctx: &Ctx,
        kind: &'static str,
        image_id: Option<&str>,
        input: Value,
        status: &'static str,
        result: Value,
        message: &str,
    ) -> Task {
        let precise = Utc::now();
        let at = now();
        let done = status == "success" || status == "failure";
        Task {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            status,
            owner: ctx.caller.project.clone(),
            image_id: image_id.map(str::to_string),
            user_id: ctx.caller.user.clone(),
            request_id: format!("req-{}", uuid::Uuid::new_v4()),
            input,
            result,
            message: message.to_string(),
            created_at: at,
            created_precise: precise,
            updated_at: at,
            expires_at: done.then(|| at + Duration::hours(TIME_TO_LIVE_HOURS)),
        }
    }

    /// The entity of `GET /v2/tasks/{id}` and `POST /v2/tasks`.
    fn detail(&self) -> Value {
        let mut v = self.summary();
        let o = v.as_object_mut().expect("summary is an object");
        o.insert("input".into(), self.input.clone());
        o.insert("result".into(), self.result.clone());
        o.insert("message".into(), self.message.clone().into());
        for (key, value) in [("image_id", &self.image_id), ("user_id", &self.user_id)] {
            if let Some(value) = value {
                o.insert(key.into(), value.clone().into());
            }
        }
        o.insert("request_id".into(), self.request_id.clone().into());
        v
    }

    /// A list item: no input, result or message (the tasks schema leaves them out, B032).
    fn summary(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), self.id.clone().into());
        o.insert("type".into(), self.kind.into());
        o.insert("status".into(), self.status.into());
        o.insert("owner".into(), self.owner.clone().into());
        o.insert("created_at".into(), format_time(&self.created_at).into());
        o.insert("updated_at".into(), format_time(&self.updated_at).into());
        o.insert("self".into(), format!("/v2/tasks/{}", self.id).into());
        o.insert("schema".into(), "/v2/schemas/task".into());
        if let Some(t) = &self.expires_at {
            o.insert("expires_at".into(), format_time(t).into());
        }
        Value::Object(o)
    }

    /// A task as `GET /v2/images/{id}/tasks` shows it: the database row, with `deleted` and
    /// `deleted_at` and timestamps with microseconds and no zone (what Glance 33 does; the
    /// api-ref's sample shows the same row form).
    fn row(&self) -> Value {
        let precise = |t: &DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        json!({
            "id": self.id,
            "type": self.kind,
            "status": self.status,
            "owner": self.owner,
            "expires_at": self.expires_at.as_ref().map(precise),
            "created_at": precise(&self.created_precise),
            "updated_at": precise(&self.updated_at),
            "deleted_at": null,
            "deleted": false,
            "image_id": self.image_id,
            "request_id": self.request_id,
            "user_id": self.user_id,
            "input": self.input,
            "result": self.result,
            "message": self.message,
        })
    }
}

/// `tasks_api_access` is `role:admin`.
fn admit(ctx: &Ctx) -> ApiResult<()> {
    if ctx.caller.has_role("admin") {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "You are not authorized to complete tasks_api_access action.",
        ))
    }
}

/// `GET /v2/images/{id}/tasks`: the image's tasks, oldest first; 404 for an image the caller
/// may not see (B271).
pub fn image_tasks(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let store = app.store();
    store
        .get_live(id)
        .filter(|img| policy::can_read(&ctx.caller, img))
        .ok_or_else(ApiError::no_resource)?;
    let tasks: Vec<Value> = store
        .tasks
        .iter()
        .filter(|t| t.image_id.as_deref() == Some(id))
        .map(Task::row)
        .collect();
    Ok(request::json(StatusCode::OK, &json!({ "tasks": tasks })))
}

/// `GET /v2/tasks/{id}` (B273).
pub fn show(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    admit(ctx)?;
    let store = app.store();
    let task = store
        .tasks
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Could not find task {id}")))?;
    Ok(request::json(StatusCode::OK, &task.detail()))
}

/// The checked query of `GET /v2/tasks`.
#[derive(Debug, PartialEq)]
struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    limit: usize,
    marker: Option<String>,
    sort_key: String,
    ascending: bool,
    /// The pairs as given, for the `first` and `next` links.
    pairs: Vec<(String, String)>,
}

/// Validates the list query like Glance: enum filters, a non-negative integer limit, a known
/// sort key and direction (B272).
fn parse_query(raw: Option<&str>) -> ApiResult<ListQuery> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let mut q = ListQuery {
        status: None,
        kind: None,
        limit: DEFAULT_LIMIT,
        marker: None,
        sort_key: "created_at".into(),
        ascending: false,
        pairs: pairs.clone(),
    };
    for (key, value) in &pairs {
        match key.as_str() {
            "status" if !STATUSES.contains(&value.as_str()) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid status value: {value}"
                )))
            }
            "status" => q.status = Some(value.clone()),
            "type" if !TYPES.contains(&value.as_str()) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid type value: {value}"
                )))
            }
            "type" => q.kind = Some(value.clone()),
            "limit" => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| ApiError::bad_request("limit param must be an integer"))?;
                if n < 0 {
                    return Err(ApiError::bad_request("limit param must be positive"));
                }
                q.limit = (n as usize).min(MAX_LIMIT);
            }
            "marker" => q.marker = Some(value.clone()),
            "sort_key" => {
                if !["id", "type", "status", "created_at", "updated_at"].contains(&value.as_str()) {
                    return Err(ApiError::bad_request("Sort key supplied was not valid."));
                }
                q.sort_key = value.clone();
            }
            "sort_dir" => match value.as_str() {
                "asc" => q.ascending = true,
                "desc" => q.ascending = false,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid sort direction: {value}"
                    )))
                }
            },
            _ => {}
        }
    }
    Ok(q)
}

fn sort_value(t: &Task, key: &str) -> (String, DateTime<Utc>) {
    let s = match key {
        "id" => t.id.clone(),
        "type" => t.kind.to_string(),
        "status" => t.status.to_string(),
        "updated_at" => format_time(&t.updated_at),
        _ => String::new(),
    };
    (s, t.created_precise)
}

/// `GET /v2/tasks`: admin only, newest first by default, paged with `limit`/`marker` (B272).
pub fn list(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    admit(ctx)?;
    let q = parse_query(ctx.query.as_deref())?;
    let store = app.store();
    let mut tasks: Vec<&Task> = store
        .tasks
        .iter()
        .filter(|t| q.status.as_deref().is_none_or(|s| s == t.status))
        .filter(|t| q.kind.as_deref().is_none_or(|k| k == t.kind))
        .collect();
    tasks.sort_by(|a, b| {
        let order = sort_value(a, &q.sort_key).cmp(&sort_value(b, &q.sort_key));
        if q.ascending {
            order
        } else {
            order.reverse()
        }
    });
    let start = match &q.marker {
        None => 0,
        Some(m) => {
            tasks.iter().position(|t| &t.id == m).ok_or_else(|| {
                ApiError::bad_request(format!("Task with the given id {m} was not found"))
            })? + 1
        }
    };
    let page: Vec<&Task> = tasks.iter().skip(start).take(q.limit).copied().collect();
    let link = |extra: Option<&str>| {
        let mut pairs: Vec<(String, String)> = q
            .pairs
            .iter()
            .filter(|(k, _)| k != "marker")
            .cloned()
            .collect();
        if let Some(m) = extra {
            pairs.push(("marker".into(), m.into()));
        }
        if pairs.is_empty() {
            "/v2/tasks".to_string()
        } else {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            format!("/v2/tasks?{query}")
        }
    };
    let mut body = json!({
        "tasks": page.iter().map(|t| t.summary()).collect::<Vec<_>>(),
        "first": link(None),
        "schema": "/v2/schemas/tasks",
    });
    if q.limit > 0 && page.len() == q.limit {
        if let Some(last) = page.last() {
            body["next"] = link(Some(&last.id)).into();
        }
    }
    Ok(request::json(StatusCode::OK, &body))
}

/// `POST /v2/tasks` (B274): admin only; `type` and `input` required, `type` from the schema's
/// enum. A legacy `import` needs an `import_from` URL that passes the download filter; this
/// server never downloads, so such a task is recorded as failed at once.
pub fn create(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    admit(ctx)?;
    let body = ctx.json_body()?;
    let body = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Provided object does not match schema 'task'"))?;
    let kind = match body.get("type") {
        None => return Err(ApiError::bad_request("Task 'type' is required")),
        Some(Value::String(s)) => TYPES.iter().find(|t| **t == s).copied().ok_or_else(|| {
            ApiError::bad_request(format!(
                "Provided object does not match schema 'task': '{s}' is not one of {TYPES:?}"
            ))
        })?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Provided object does not match schema 'task': 'type' must be a string",
            ))
        }
    };
    let input = match body.get("input") {
        None => return Err(ApiError::bad_request("Task 'input' is required")),
        Some(v @ (Value::Object(_) | Value::Null)) => v.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Provided object does not match schema 'task': 'input' must be an object",
            ))
        }
    };
    let (status, message) = if kind == "import" {
        let from = input.get("import_from").and_then(Value::as_str);
        let Some(from) = from else {
            return Err(ApiError::bad_request("Invalid location: None"));
        };
        if !passes_filter(from) {
            return Err(ApiError::bad_request(format!(
                "URI for legacy import task does not pass filtering: {from}"
            )));
        }
        (
            "failure",
            "The reference server does not download image data.",
        )
    } else {
        ("pending", "")
    };
    let task = Task::finished(ctx, kind, None, input, status, Value::Null, message);
    let entity = task.detail();
    app.store().tasks.push(task);
    Ok(request::json(StatusCode::CREATED, &entity))
}

/// Glance's download filter with its defaults: http(s) only, and the host must resolve to an
/// address that is not loopback or link-local. This server resolves no names, so only a
/// literal address passes.
pub fn passes_filter(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if !["http", "https"].contains(&url.scheme()) {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            !(ip.is_loopback() || ip.is_link_local() || ip.is_unspecified())
        }
        Some(url::Host::Ipv6(ip)) => !(ip.is_loopback() || ip.is_unspecified()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_validation() {
        let q = parse_query(Some("status=success&type=import&limit=3&sort_dir=asc")).unwrap();
        assert_eq!(q.status.as_deref(), Some("success"));
        assert_eq!((q.limit, q.ascending), (3, true));
        assert_eq!(parse_query(None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(parse_query(Some("limit=5000")).unwrap().limit, MAX_LIMIT);
        for bad in [
            "status=bogus",
            "type=bogus",
            "limit=-1",
            "limit=x",
            "sort_key=name",
            "sort_dir=up",
        ] {
            let err = parse_query(Some(bad)).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn download_filter() {
        assert!(passes_filter("http://203.0.113.7/image.raw"));
        assert!(passes_filter("https://10.1.2.3:8443/x"));
        for refused in [
            "http://127.0.0.1/x",
            "http://localhost/x",
            "http://169.254.1.1/x",
            "http://[::1]/x",
            "ftp://203.0.113.7/x",
            "http://example.org/x",
            "not a url",
        ] {
            assert!(!passes_filter(refused), "{refused}");
        }
    }
}
