//! `GET /v2/images`: query parsing, visibility, filters, sorting and paging (B146–B194).
//!
//! Paging is keyset-based: the page holds the images sorted after the marker image, and the
//! sort always ends with `created_at` (tie-broken by the creation sequence number) and `id`,
//! so every image has a unique position and following `next` visits each image once.

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::policy;
use super::request::{self, Ctx};
use super::state::{AppState, Image, MemberStatus, Store, Visibility};
use super::view;

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
}

impl SortKey {
    const ALL: [SortKey; 8] = [
        SortKey::Name,
        SortKey::Status,
        SortKey::ContainerFormat,
        SortKey::DiskFormat,
        SortKey::Size,
        SortKey::Id,
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::ContainerFormat => "container_format",
            SortKey::DiskFormat => "disk_format",
            SortKey::Size => "size",
            SortKey::Id => "id",
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
        }
    }

    fn parse(s: &str) -> ApiResult<SortKey> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                ApiError::bad_request(format!(
                    "Invalid sort key: {s}. It must be one of the following: {}.",
                    names.join(", ")
                ))
            })
    }

    fn compare(self, a: &Image, b: &Image) -> Ordering {
        match self {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
            SortKey::ContainerFormat => a.container_format.cmp(&b.container_format),
            SortKey::DiskFormat => a.disk_format.cmp(&b.disk_format),
            SortKey::Size => a.data.size.cmp(&b.data.size),
            SortKey::Id => a.id.cmp(&b.id),
            SortKey::CreatedAt => (a.created_at, a.seq).cmp(&(b.created_at, b.seq)),
            SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

impl Dir {
    fn parse(s: &str) -> ApiResult<Dir> {
        match s {
            "asc" => Ok(Dir::Asc),
            "desc" => Ok(Dir::Desc),
            _ => Err(ApiError::bad_request(format!(
                "Invalid sort direction: {s}"
            ))),
        }
    }
}

/// Which visibilities a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisibilityFilter {
    /// No `visibility`: everything visible except other projects' community images.
    Default,
    All,
    Only(Visibility),
    /// `visibility=` (empty): matches nothing, like Glance.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Exact(String),
    In(Vec<String>),
}

impl Match {
    fn matches(&self, value: &str) -> bool {
        match self {
            Match::Exact(v) => v == value,
            Match::In(list) => list.iter().any(|v| v == value),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOp {
    Gt,
    Gte,
    Eq,
    Neq,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeFilter {
    pub op: TimeOp,
    pub at: DateTime<Utc>,
}

impl TimeFilter {
    fn matches(&self, t: &DateTime<Utc>) -> bool {
        match self.op {
            TimeOp::Gt => *t > self.at,
            TimeOp::Gte => *t >= self.at,
            TimeOp::Eq => *t == self.at,
            TimeOp::Neq => *t != self.at,
            TimeOp::Lt => *t < self.at,
            TimeOp::Lte => *t <= self.at,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    pub visibility: VisibilityFilter,
    /// Membership status of images shared with the caller; `None` = all.
    pub member_status: Option<MemberStatus>,
    pub tags: Vec<String>,
    pub protected: Option<bool>,
    pub os_hidden: bool,
    pub size_min: Option<i128>,
    pub size_max: Option<i128>,
    pub created_at: Option<TimeFilter>,
    pub updated_at: Option<TimeFilter>,
    /// Exact (or `in:`) matches on other base attributes and custom properties.
    pub attrs: Vec<(String, Match)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The decoded query, in order (for the `first` and `next` links).
    pub pairs: Vec<(String, String)>,
    pub limit: usize,
    pub marker: Option<String>,
    /// User sort keys followed by the tie-breakers.
    pub sort: Vec<(SortKey, Dir)>,
    pub filters: Filters,
}

/// Parameters consumed by the list call itself; everything else is a filter.
const CONTROL: [&str; 7] = [
    "limit",
    "marker",
    "member_status",
    "tag",
    "sort",
    "sort_key",
    "sort_dir",
];
/// Attributes that support `in:` lists.
const IN_KEYS: [&str; 5] = ["id", "name", "status", "container_format", "disk_format"];
/// Link attributes cannot be filtered on (api-ref).
const LINK_KEYS: [&str; 3] = ["self", "file", "schema"];

pub fn parse_query(raw: Option<&str>) -> ApiResult<ListQuery> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let last = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let all = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };

    let visibility = match last("visibility") {
        None => VisibilityFilter::Default,
        Some(v) if v.is_empty() => VisibilityFilter::Nothing,
        Some(v) if v == "all" => VisibilityFilter::All,
        Some(v) => VisibilityFilter::Only(
            Visibility::parse(&v)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid visibility value: {v}")))?,
        ),
    };
    if last("changes-since").is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::bad_request(
            "The \"changes-since\" filter is no longer available on v2.",
        ));
    }
    let member_status = match last("member_status").as_deref().unwrap_or("accepted") {
        "all" => None,
        other => Some(
            MemberStatus::parse(other)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid status: {other}")))?,
        ),
    };
    let limit = match last("limit") {
        Some(v) => parse_limit(&v)?,
        None => DEFAULT_LIMIT,
    };
    let sort = parse_sort(&pairs)?;

    let mut filters = Filters {
        visibility,
        member_status,
        tags: all("tag").iter().map(|t| t.trim().to_string()).collect(),
        protected: None,
        os_hidden: false,
        size_min: None,
        size_max: None,
        created_at: None,
        updated_at: None,
        attrs: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in &pairs {
        let key = key.as_str();
        if CONTROL.contains(&key) || key == "visibility" || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let value = last(key).unwrap_or_default();
        match key {
            "protected" => filters.protected = Some(parse_bool(key, &value)?),
            // Glance lower-cases `os_hidden` (not `protected`) before checking it, so the
            // `True` that openstacksdk and glanceclient send is accepted (B287).
            "os_hidden" => filters.os_hidden = parse_bool(key, &value.to_lowercase())?,
            "size_min" => filters.size_min = Some(parse_size(&value)?),
            "size_max" => filters.size_max = Some(parse_size(&value)?),
            "created_at" => filters.created_at = Some(parse_time_filter(key, &value)?),
            "updated_at" => filters.updated_at = Some(parse_time_filter(key, &value)?),
            "changes-since" => {}
            k if LINK_KEYS.contains(&k) => {
                return Err(ApiError::bad_request(format!(
                    "Filtering on the link attribute '{k}' is not allowed."
                )))
            }
            k => {
                let m = match value.strip_prefix("in:") {
                    Some(list) if IN_KEYS.contains(&k) => Match::In(split_in_list(list)),
                    _ => Match::Exact(value),
                };
                filters.attrs.push((k.to_string(), m));
            }
        }
    }

    Ok(ListQuery {
        marker: last("marker"),
        pairs,
        limit,
        sort,
        filters,
    })
}

fn parse_limit(value: &str) -> ApiResult<usize> {
    let t = value.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("limit param must be an integer"));
    }
    let n = digits.parse::<u64>().unwrap_or(u64::MAX);
    if negative && n > 0 {
        return Err(ApiError::bad_request("limit param must be positive"));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX).min(MAX_LIMIT))
}

fn parse_bool(key: &str, value: &str) -> ApiResult<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "Invalid value '{value}' for '{key}' filter. Valid values are 'true' or 'false'."
        ))),
    }
}

fn parse_size(value: &str) -> ApiResult<i128> {
    let t = value.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "Unable to filter on a range with a non-numeric value.",
        ));
    }
    let n = digits.parse::<i128>().unwrap_or(i128::MAX);
    Ok(if t.starts_with('-') { -n } else { n })
}

/// `sort=k:dir,…` or repeated `sort_key`/`sort_dir`, then the tie-breakers.
fn parse_sort(pairs: &[(String, String)]) -> ApiResult<Vec<(SortKey, Dir)>> {
    let has = |key: &str| pairs.iter().any(|(k, _)| k == key);
    let mut keys: Vec<SortKey> = Vec::new();
    let mut dirs: Vec<Dir> = Vec::new();
    if has("sort") {
        if has("sort_key") || has("sort_dir") {
            return Err(ApiError::bad_request(
                "Old and new sorting syntax cannot be combined",
            ));
        }
        let value = pairs
            .iter()
            .rev()
            .find(|(k, _)| k == "sort")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        for part in value.trim().split(',') {
            let (key, dir) = part.split_once(':').unwrap_or((part, ""));
            keys.push(SortKey::parse(key.trim())?);
            dirs.push(if dir.is_empty() {
                Dir::Desc
            } else {
                Dir::parse(dir.trim())?
            });
        }
    } else {
        for (k, v) in pairs {
            if k == "sort_key" {
                keys.push(SortKey::parse(v.trim())?);
            }
        }
        for (k, v) in pairs {
            if k == "sort_dir" {
                dirs.push(Dir::parse(v.trim())?);
            }
        }
        if dirs.len() > 1 && dirs.len() != keys.len() {
            return Err(ApiError::bad_request(
                "Number of sort dirs does not match the number of sort keys",
            ));
        }
    }
    if keys.is_empty() {
        keys.push(SortKey::CreatedAt);
    }
    let default_dir = if dirs.len() == 1 { dirs[0] } else { Dir::Desc };
    let mut sort: Vec<(SortKey, Dir)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let dir = if dirs.len() > 1 { dirs[i] } else { default_dir };
            (*k, dir)
        })
        .collect();
    for tie in [SortKey::CreatedAt, SortKey::Id] {
        if !keys.contains(&tie) {
            sort.push((tie, default_dir));
        }
    }
    Ok(sort)
}

/// Splits an `in:` list on commas outside double quotes; quotes are removed.
fn split_in_list(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    if list.is_empty() {
        return out;
    }
    let mut current = String::new();
    let mut quoted = false;
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out
}

fn parse_time_filter(key: &str, raw: &str) -> ApiResult<TimeFilter> {
    let (op, threshold) = match raw.split_once(':') {
        Some((left, right)) if parse_iso(raw.trim()).is_none() => (left, right),
        _ => ("eq", raw),
    };
    let op = match op {
        "gt" => TimeOp::Gt,
        "gte" => TimeOp::Gte,
        "eq" => TimeOp::Eq,
        "neq" => TimeOp::Neq,
        "lt" => TimeOp::Lt,
        "lte" => TimeOp::Lte,
        _ => {
            return Err(ApiError::bad_request(
                "Unable to filter on a unknown operator.",
            ))
        }
    };
    let at = parse_iso(threshold.trim()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Bad \"{key}\" query filter format. Use ISO 8601 DateTime notation."
        ))
    })?;
    Ok(TimeFilter { op, at })
}

/// ISO 8601: with a zone, without one (UTC), or a bare date (midnight UTC).
fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Whether the caller sees `image` in a list with these filters (visibility rules only).
fn listed(caller: &Caller, image: &Image, filters: &Filters) -> bool {
    policy::can_list(caller, image, filters.member_status)
        && match filters.visibility {
            VisibilityFilter::Default => policy::in_default_list(caller, image),
            VisibilityFilter::All => true,
            VisibilityFilter::Only(v) => image.visibility == v,
            VisibilityFilter::Nothing => false,
        }
}

/// The string form of a base attribute for exact filters: `None` when `key` is not a base
/// attribute, `Some(None)` when it is unset.
fn attr_value(image: &Image, key: &str) -> Option<Option<String>> {
    let s = |v: &Option<String>| v.clone();
    Some(match key {
        "id" => Some(image.id.clone()),
        "name" => s(&image.name),
        "status" => Some(image.status.as_str().to_string()),
        "owner" => s(&image.owner),
        "checksum" => s(&image.data.checksum),
        "os_hash_algo" => s(&image.data.os_hash_algo),
        "os_hash_value" => s(&image.data.os_hash_value),
        "container_format" => s(&image.container_format),
        "disk_format" => s(&image.disk_format),
        "size" => image.data.size.map(|n| n.to_string()),
        "virtual_size" => image.data.virtual_size.map(|n| n.to_string()),
        "min_ram" => Some(image.min_ram.to_string()),
        "min_disk" => Some(image.min_disk.to_string()),
        _ => return None,
    })
}

fn matches(image: &Image, f: &Filters) -> bool {
    if image.os_hidden != f.os_hidden {
        return false;
    }
    if f.protected.is_some_and(|p| p != image.protected) {
        return false;
    }
    if !f.tags.iter().all(|t| image.tags.contains(t)) {
        return false;
    }
    if f.size_min.is_some() || f.size_max.is_some() {
        let Some(size) = image.data.size.map(i128::from) else {
            return false;
        };
        if f.size_min.is_some_and(|m| size < m) || f.size_max.is_some_and(|m| size > m) {
            return false;
        }
    }
    if f.created_at.is_some_and(|t| !t.matches(&image.created_at))
        || f.updated_at.is_some_and(|t| !t.matches(&image.updated_at))
    {
        return false;
    }
    f.attrs.iter().all(|(key, m)| {
        let value = match attr_value(image, key) {
            Some(v) => v,
            None => image.extra.get(key).cloned(),
        };
        value.is_some_and(|v| m.matches(&v))
    })
}

fn compare(a: &Image, b: &Image, sort: &[(SortKey, Dir)]) -> Ordering {
    for (key, dir) in sort {
        let ord = key.compare(a, b);
        let ord = if *dir == Dir::Desc {
            ord.reverse()
        } else {
            ord
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// One page: the images and, when the page is full, the marker of the next page.
pub struct Page<'a> {
    pub images: Vec<&'a Image>,
    pub next_marker: Option<String>,
}

pub fn run<'a>(store: &'a Store, caller: &Caller, q: &ListQuery) -> ApiResult<Page<'a>> {
    let marker = match &q.marker {
        None => None,
        Some(m) => Some(
            store
                .get_any(m)
                .filter(|img| caller.is_admin || (!img.deleted && policy::can_read(caller, img)))
                .ok_or_else(|| ApiError::bad_request(format!("No image found with ID {m}")))?,
        ),
    };
    let mut images: Vec<&Image> = store
        .live()
        .filter(|img| listed(caller, img, &q.filters) && matches(img, &q.filters))
        .collect();
    images.sort_by(|a, b| compare(a, b, &q.sort));
    if let Some(m) = marker {
        images.retain(|img| compare(img, m, &q.sort) == Ordering::Greater);
    }
    images.truncate(q.limit);
    let next_marker = (q.limit > 0 && images.len() == q.limit)
        .then(|| images.last().map(|i| i.id.clone()))
        .flatten();
    Ok(Page {
        images,
        next_marker,
    })
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `first` keeps the query without `marker`; `next` appends the new marker (B149).
pub fn links(q: &ListQuery, next_marker: Option<&str>) -> (String, Option<String>) {
    let mut kept: Vec<(String, String)> = q
        .pairs
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    let first = if kept.is_empty() {
        "/v2/images".to_string()
    } else {
        format!("/v2/images?{}", encode(&kept))
    };
    let next = next_marker.map(|m| {
        kept.push(("marker".to_string(), m.to_string()));
        format!("/v2/images?{}", encode(&kept))
    });
    (first, next)
}

/// `GET /v2/images` (a request body is ignored, B160).
pub fn index(app: &AppState, ctx: &Ctx) -> ApiResult<Response> {
    let q = parse_query(ctx.query.as_deref())?;
    let store = app.store();
    let page = run(&store, &ctx.caller, &q)?;
    let images: Vec<Value> = page
        .images
        .iter()
        .map(|img| view::image(img, &ctx.caller))
        .collect();
    let next_marker = page.next_marker;
    drop(store);
    let (first, next) = links(&q, next_marker.as_deref());
    let mut body = json!({
        "images": images,
        "first": first,
        "schema": "/v2/schemas/images",
    });
    if let (Some(next), Some(obj)) = (next, body.as_object_mut()) {
        obj.insert("next".to_string(), Value::String(next));
    }
    Ok(request::json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::state::{now, Member};

    fn q(raw: &str) -> ApiResult<ListQuery> {
        parse_query(Some(raw))
    }

    fn code(raw: &str) -> StatusCode {
        q(raw).unwrap_err().status
    }

    #[test]
    fn defaults() {
        let d = parse_query(None).unwrap();
        assert_eq!(d.limit, DEFAULT_LIMIT);
        assert_eq!(d.marker, None);
        assert_eq!(
            d.sort,
            vec![(SortKey::CreatedAt, Dir::Desc), (SortKey::Id, Dir::Desc)]
        );
        assert_eq!(d.filters.visibility, VisibilityFilter::Default);
        assert_eq!(d.filters.member_status, Some(MemberStatus::Accepted));
        assert!(!d.filters.os_hidden);
    }

    #[test]
    fn limits() {
        assert_eq!(q("limit=0").unwrap().limit, 0);
        assert_eq!(q("limit=2").unwrap().limit, 2);
        assert_eq!(q("limit=5000").unwrap().limit, MAX_LIMIT);
        assert_eq!(q("limit=99999999999999999999999").unwrap().limit, MAX_LIMIT);
        for bad in ["limit=-1", "limit=abc", "limit=2.5", "limit="] {
            assert_eq!(code(bad), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn sorting() {
        assert_eq!(
            q("sort_key=name").unwrap().sort,
            vec![
                (SortKey::Name, Dir::Desc),
                (SortKey::CreatedAt, Dir::Desc),
                (SortKey::Id, Dir::Desc)
            ]
        );
        assert_eq!(
            q("sort_key=name&sort_dir=asc").unwrap().sort,
            vec![
                (SortKey::Name, Dir::Asc),
                (SortKey::CreatedAt, Dir::Asc),
                (SortKey::Id, Dir::Asc)
            ]
        );
        assert_eq!(
            q("sort=name:asc,status").unwrap().sort,
            vec![
                (SortKey::Name, Dir::Asc),
                (SortKey::Status, Dir::Desc),
                (SortKey::CreatedAt, Dir::Desc),
                (SortKey::Id, Dir::Desc)
            ]
        );
        assert_eq!(
            q("sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc")
                .unwrap()
                .sort[..2],
            [(SortKey::Name, Dir::Asc), (SortKey::Size, Dir::Desc)]
        );
        assert_eq!(
            q("sort_key=name&sort_key=size&sort_dir=asc").unwrap().sort[..2],
            [(SortKey::Name, Dir::Asc), (SortKey::Size, Dir::Asc)]
        );
        for bad in [
            "sort_key=bogus",
            "sort_key=tags",
            "sort_dir=up",
            "sort=name:up",
            "sort=bogus:asc",
            "sort=name&sort_key=name",
            "sort=name&sort_dir=asc",
            "sort_key=a&sort_key=b&sort_key=c&sort_dir=asc&sort_dir=desc",
        ] {
            assert_eq!(code(bad), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn filters() {
        let f = q("tag=a&tag=b&protected=true&os_hidden=true&size_min=1&size_max=10&name=x&login-user=root")
            .unwrap()
            .filters;
        assert_eq!(f.tags, vec!["a", "b"]);
        assert_eq!(f.protected, Some(true));
        assert!(f.os_hidden);
        assert_eq!((f.size_min, f.size_max), (Some(1), Some(10)));
        assert_eq!(
            f.attrs,
            vec![
                ("name".to_string(), Match::Exact("x".into())),
                ("login-user".to_string(), Match::Exact("root".into()))
            ]
        );
        assert_eq!(
            q("name=in:a,\"b,c\"").unwrap().filters.attrs,
            vec![(
                "name".to_string(),
                Match::In(vec!["a".into(), "b,c".into()])
            )]
        );
        assert_eq!(
            q("visibility=all").unwrap().filters.visibility,
            VisibilityFilter::All
        );
        assert_eq!(
            q("visibility=community").unwrap().filters.visibility,
            VisibilityFilter::Only(Visibility::Community)
        );
        assert_eq!(q("member_status=all").unwrap().filters.member_status, None);
        let t = q("created_at=gte:2020-01-01T00:00:00Z")
            .unwrap()
            .filters
            .created_at
            .unwrap();
        assert_eq!(t.op, TimeOp::Gte);
        let t = q("updated_at=2020-01-01T00:00:00Z")
            .unwrap()
            .filters
            .updated_at
            .unwrap();
        assert_eq!(t.op, TimeOp::Eq);
        assert!(q("created_at=lt:2020-01-01").is_ok());
        assert!(q("created_at=lt:2020-01-01T00:00:00%2B01:00").is_ok());
        // os_hidden is read case-insensitively (as Glance lower-cases it), protected is not.
        assert!(q("os_hidden=True").unwrap().filters.os_hidden);
        assert!(!q("os_hidden=FALSE").unwrap().filters.os_hidden);
        for bad in [
            "visibility=bogus",
            "member_status=bogus",
            "protected=True",
            "protected=yes",
            "os_hidden=maybe",
            "os_hidden=1",
            "os_hidden=",
            "size_min=abc",
            "size_max=1.5",
            "created_at=gt:yesterday",
            "created_at=foo:2020-01-01",
            "self=x",
            "changes-since=2020-01-01",
        ] {
            assert_eq!(code(bad), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn link_building() {
        let query = q("limit=2&tag=a&tag=b&marker=m1").unwrap();
        let (first, next) = links(&query, Some("m2"));
        assert_eq!(first, "/v2/images?limit=2&tag=a&tag=b");
        assert_eq!(next.unwrap(), "/v2/images?limit=2&tag=a&tag=b&marker=m2");
        let (first, next) = links(&parse_query(None).unwrap(), None);
        assert_eq!(first, "/v2/images");
        assert!(next.is_none());
        let query = q("status=in:active,queued").unwrap();
        assert_eq!(
            links(&query, None).0,
            "/v2/images?status=in%3Aactive%2Cqueued"
        );
    }

    fn store_with(n: usize) -> Store {
        let mut store = Store::default();
        let at = now();
        for i in 0..n {
            let seq = store.next_seq();
            let mut img = Image::new(format!("id-{i:02}"), seq, at);
            img.name = Some(format!("n{}", i % 3));
            store.insert(img);
        }
        store
    }

    fn ids(page: &Page) -> Vec<String> {
        page.images.iter().map(|i| i.id.clone()).collect()
    }

    #[test]
    fn paging_is_exact_within_one_second() {
        let store = store_with(7);
        let caller = Caller::noauth();
        let mut seen = Vec::new();
        let mut raw = "limit=3".to_string();
        loop {
            let query = q(&raw).unwrap();
            let page = run(&store, &caller, &query).unwrap();
            seen.extend(ids(&page));
            match page.next_marker {
                Some(m) => raw = format!("limit=3&marker={m}"),
                None => break,
            }
        }
        let expected: Vec<String> = (0..7).rev().map(|i| format!("id-{i:02}")).collect();
        assert_eq!(seen, expected);

        // an exact multiple: the last full page has a next, which is empty
        let store = store_with(4);
        let page = run(&store, &caller, &q("limit=2&marker=id-02").unwrap()).unwrap();
        assert_eq!(ids(&page), vec!["id-01", "id-00"]);
        let last = page.next_marker.unwrap();
        let page = run(
            &store,
            &caller,
            &q(&format!("limit=2&marker={last}")).unwrap(),
        )
        .unwrap();
        assert!(page.images.is_empty() && page.next_marker.is_none());

        assert!(run(&store, &caller, &q("limit=0").unwrap())
            .unwrap()
            .images
            .is_empty());
        assert_eq!(
            run(&store, &caller, &q("marker=nope").unwrap())
                .err()
                .unwrap()
                .status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn sorted_paging_by_name() {
        let store = store_with(6);
        let caller = Caller::noauth();
        let page = run(&store, &caller, &q("sort=name:asc&limit=4").unwrap()).unwrap();
        let names: Vec<_> = page
            .images
            .iter()
            .map(|i| i.name.clone().unwrap())
            .collect();
        assert_eq!(names, vec!["n0", "n0", "n1", "n1"]);
        let m = page.next_marker.unwrap();
        let rest = run(
            &store,
            &caller,
            &q(&format!("sort=name:asc&limit=4&marker={m}")).unwrap(),
        )
        .unwrap();
        assert_eq!(rest.images.len(), 2);
        assert!(rest.images.iter().all(|i| i.name.as_deref() == Some("n2")));
    }

    #[test]
    fn visibility_and_filters_in_lists() {
        let mut store = Store::default();
        let at = now();
        let mk = |store: &mut Store, id: &str, owner: &str, vis: Visibility| {
            let seq = store.next_seq();
            let mut img = Image::new(id.into(), seq, at);
            img.owner = Some(owner.into());
            img.visibility = vis;
            store.insert(img);
        };
        mk(&mut store, "a-priv", "A", Visibility::Private);
        mk(&mut store, "a-comm", "A", Visibility::Community);
        mk(&mut store, "b-pub", "B", Visibility::Public);
        mk(&mut store, "b-comm", "B", Visibility::Community);
        mk(&mut store, "b-shared", "B", Visibility::Shared);
        mk(&mut store, "b-priv", "B", Visibility::Private);
        let a = Caller::confirmed(Some("A".into()), None, vec!["member".into()]);
        fn list_in(store: &Store, caller: &Caller, raw: &str) -> Vec<String> {
            let mut v = ids(&run(store, caller, &q(raw).unwrap()).unwrap());
            v.sort();
            v
        }
        macro_rules! list {
            ($caller:expr, $raw:expr) => {
                list_in(&store, $caller, $raw)
            };
        }
        assert_eq!(list!(&a, ""), vec!["a-comm", "a-priv", "b-pub"]);
        assert_eq!(list!(&a, "visibility=community"), vec!["a-comm", "b-comm"]);
        assert_eq!(
            list!(&a, "visibility=all"),
            vec!["a-comm", "a-priv", "b-comm", "b-pub"]
        );
        assert_eq!(list!(&a, "owner=B"), vec!["b-pub"]);
        let admin = Caller::noauth();
        assert_eq!(list!(&admin, "").len(), 4); // other projects' community images hidden
        assert_eq!(list!(&admin, "visibility=all").len(), 6);

        store
            .get_live_mut("b-shared")
            .unwrap()
            .members
            .insert("A".into(), Member::pending(at));
        assert!(!list!(&a, "").contains(&"b-shared".to_string()));
        assert!(
            list!(&a, "visibility=shared&member_status=pending").contains(&"b-shared".to_string())
        );
        store.get_live_mut("b-shared").unwrap().members.insert(
            "A".into(),
            Member {
                status: MemberStatus::Accepted,
                ..Member::pending(at)
            },
        );
        assert!(list!(&a, "").contains(&"b-shared".to_string()));

        store.get_live_mut("b-pub").unwrap().os_hidden = true;
        assert!(!list!(&a, "").contains(&"b-pub".to_string()));
        assert_eq!(list!(&a, "os_hidden=true"), vec!["b-pub"]);
        assert!(list!(&a, "foo=bar").is_empty());
        assert_eq!(list!(&a, "id=in:a-priv,b-pub"), vec!["a-priv"]);
    }
}
