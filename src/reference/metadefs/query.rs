//! Query strings of the metadefs lists: `limit`, `marker`, `sort_key`, `sort_dir` and the
//! namespace filters `visibility` and `resource_types`; paging of a sorted list.

use std::cmp::Ordering;

use super::super::errors::{ApiError, ApiResult};
use super::store::Visibility;

/// Glance's `limit_param_default` and `api_limit_max`.
pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `namespace` for namespaces, `name` for tags.
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Every parameter as sent, in order (for the `first` and `next` links).
    pub pairs: Vec<(String, String)>,
    pub limit: usize,
    pub marker: Option<String>,
    pub sort_key: SortKey,
    pub descending: bool,
    pub visibility: Option<Visibility>,
    pub resource_types: Vec<String>,
}

impl ListQuery {
    /// Orders two items given their sort values and creation sequence (ties: newest last
    /// ascending, first descending).
    pub fn order(&self, a: Ordering) -> Ordering {
        if self.descending {
            a.reverse()
        } else {
            a
        }
    }
}

/// Parses a list query; `name_key` is the name sort key of the list (`namespace` or `name`).
pub fn parse(raw: Option<&str>, name_key: &str) -> ApiResult<ListQuery> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = ListQuery {
        pairs: pairs.clone(),
        limit: DEFAULT_LIMIT,
        marker: None,
        sort_key: SortKey::CreatedAt,
        descending: true,
        visibility: None,
        resource_types: Vec::new(),
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "limit" => {
                let n: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request("limit param must be an integer"))?;
                if n < 0 {
                    return Err(ApiError::bad_request("limit param must be positive"));
                }
                q.limit = usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
            }
            "marker" => q.marker = Some(v.clone()),
            "sort_key" => {
                q.sort_key = match v.as_str() {
                    "created_at" => SortKey::CreatedAt,
                    "updated_at" => SortKey::UpdatedAt,
                    s if s == name_key => SortKey::Name,
                    _ => return Err(ApiError::bad_request(format!("Invalid sort key: {v}"))),
                }
            }
            "sort_dir" => {
                q.descending = match v.as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid sort direction: {v}"
                        )))
                    }
                }
            }
            "visibility" => {
                q.visibility = Some(Visibility::parse(v).ok_or_else(|| {
                    ApiError::bad_request(format!("Invalid visibility value: {v}"))
                })?)
            }
            "resource_types" => {
                q.resource_types = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            _ => {}
        }
    }
    Ok(q)
}

/// The items after `marker` (in list order), at most `limit` of them, and whether more follow.
pub fn page<'a, T>(
    sorted: Vec<&'a T>,
    marker: Option<&'a T>,
    limit: usize,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> (Vec<&'a T>, bool) {
    let after: Vec<&T> = match marker {
        Some(m) => sorted
            .into_iter()
            .filter(|i| cmp(i, m) == Ordering::Greater)
            .collect(),
        None => sorted,
    };
    let more = after.len() > limit;
    (after.into_iter().take(limit).collect(), more)
}

/// `base?query` with every parameter except `marker`, then `marker` when given.
pub fn link(base: &str, q: &ListQuery, marker: Option<&str>) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.pairs.iter().filter(|(k, _)| k != "marker") {
        ser.append_pair(k, v);
    }
    if let Some(m) = marker {
        ser.append_pair("marker", m);
    }
    let query = ser.finish();
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let q = parse(None, "namespace").unwrap();
        assert_eq!(q.limit, DEFAULT_LIMIT);
        assert!(q.descending);
        assert_eq!(q.sort_key, SortKey::CreatedAt);
        let q = parse(
            Some("limit=2&sort_key=namespace&sort_dir=asc&visibility=public&resource_types=A,B"),
            "namespace",
        )
        .unwrap();
        assert_eq!(q.limit, 2);
        assert!(!q.descending);
        assert_eq!(q.sort_key, SortKey::Name);
        assert_eq!(q.visibility, Some(Visibility::Public));
        assert_eq!(q.resource_types, ["A", "B"]);
        assert_eq!(parse(Some("limit=5000"), "name").unwrap().limit, MAX_LIMIT);
        for bad in [
            "limit=-1",
            "limit=abc",
            "sort_dir=up",
            "sort_key=bogus",
            "sort_key=name",
            "visibility=shared",
        ] {
            assert!(parse(Some(bad), "namespace").is_err(), "{bad}");
        }
        assert!(parse(Some("sort_key=name"), "name").is_ok());
    }

    #[test]
    fn paging_and_links() {
        let items = [1, 2, 3, 4, 5];
        let sorted: Vec<&i32> = items.iter().collect();
        let (p, more) = page(sorted.clone(), None, 2, |a, b| a.cmp(b));
        assert_eq!(p, [&1, &2]);
        assert!(more);
        let (p, more) = page(sorted.clone(), Some(&items[2]), 2, |a, b| a.cmp(b));
        assert_eq!(p, [&4, &5]);
        assert!(!more);
        let (p, _) = page(sorted, None, 0, |a, b| a.cmp(b));
        assert!(p.is_empty());
        let q = parse(Some("limit=2&marker=x&resource_types=OS::A"), "namespace").unwrap();
        assert_eq!(
            link("/v2/metadefs/namespaces", &q, None),
            "/v2/metadefs/namespaces?limit=2&resource_types=OS%3A%3AA"
        );
        assert_eq!(
            link("/v2/metadefs/namespaces", &q, Some("n b")),
            "/v2/metadefs/namespaces?limit=2&resource_types=OS%3A%3AA&marker=n+b"
        );
        let q = parse(None, "namespace").unwrap();
        assert_eq!(link("/b", &q, None), "/b");
    }
}
