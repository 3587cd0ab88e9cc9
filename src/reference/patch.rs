//! JSON-patch for images (B081–B109).
//!
//! Two media types are accepted: `application/openstack-images-v2.1-json-patch` (RFC 6902
//! subset: `{"op","path","value"}` with op add/remove/replace) and the deprecated
//! `application/openstack-images-v2.0-json-patch` (draft syntax: `{"replace":"/name",
//! "value":…}`, exactly one of add/remove/replace). Paths are restricted JSON pointers with a
//! single reference token (`~1` → `/`, `~0` → `~`); only `/locations/<n>` may have two.
//!
//! [`parse`] does everything Glance's request deserializer does (structure, pointers,
//! read-only/reserved names, value types); [`apply`] does what its controller does (missing
//! properties, base-property removal, policy), on a copy, so a failing request changes nothing.

use axum::http::header::{HeaderName, HeaderValue};
use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::policy;
use super::props;
use super::state::{Image, Visibility};

pub const V2_0: &str = "application/openstack-images-v2.0-json-patch";
pub const V2_1: &str = "application/openstack-images-v2.1-json-patch";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The deprecated draft-04 syntax.
    V2_0,
    /// The RFC 6902 (draft-10) syntax.
    V2_1,
}

/// The dialect for a `Content-Type` media type (parameters already dropped).
pub fn dialect(media_type: Option<&str>) -> Option<Dialect> {
    match media_type? {
        V2_0 => Some(Dialect::V2_0),
        V2_1 => Some(Dialect::V2_1),
        _ => None,
    }
}

/// 415 with `Accept-Patch` (B085).
pub fn unsupported(media_type: Option<&str>) -> ApiError {
    let shown = media_type.unwrap_or("(none)");
    ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("The request media type {shown} is not supported by this server."),
    )
    .with_header(
        HeaderName::from_static("accept-patch"),
        HeaderValue::from_static(
            "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
        ),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    const ALL: [Op; 3] = [Op::Add, Op::Remove, Op::Replace];

    fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
        }
    }

    fn parse(s: &str) -> Option<Op> {
        Self::ALL.into_iter().find(|op| op.as_str() == s)
    }
}

/// One validated operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    /// Decoded reference tokens; the first one names the property.
    pub path: Vec<String>,
    /// Present for add and replace.
    pub value: Option<Value>,
}

impl Change {
    pub fn root(&self) -> &str {
        self.path.first().map(String::as_str).unwrap_or("")
    }
}

/// Parses and validates a PATCH body.
pub fn parse(body: &Value, dialect: Dialect) -> ApiResult<Vec<Change>> {
    let Some(list) = body.as_array() else {
        return Err(ApiError::bad_request(
            "Request body must be a JSON array of operation objects.",
        ));
    };
    let mut changes = Vec::with_capacity(list.len());
    for raw in list {
        let Some(obj) = raw.as_object() else {
            return Err(ApiError::bad_request("Operations must be JSON objects."));
        };
        let (op, pointer) = match dialect {
            Dialect::V2_1 => op_and_path_v21(obj)?,
            Dialect::V2_0 => op_and_path_v20(obj)?,
        };
        let path = decode_pointer(pointer)?;
        check_depth(op, &path)?;
        let value = match op {
            Op::Remove => None,
            _ => Some(obj.get("value").cloned().ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Operation \"{}\" requires a member named \"value\".",
                    op.as_str()
                ))
            })?),
        };
        let change = Change { op, path, value };
        check_target(&change)?;
        changes.push(change);
    }
    Ok(changes)
}

type Obj = serde_json::Map<String, Value>;

fn supported_list() -> String {
    Op::ALL.map(Op::as_str).join(", ")
}

fn op_and_path_v21(obj: &Obj) -> ApiResult<(Op, &Value)> {
    let Some(raw_op) = obj.get("op") else {
        return Err(ApiError::bad_request(format!(
            "Unable to find `op` in JSON Schema change. It must be one of the following: {}.",
            supported_list()
        )));
    };
    let op = raw_op.as_str().and_then(Op::parse).ok_or_else(|| {
        let shown = raw_op
            .as_str()
            .map_or_else(|| raw_op.to_string(), str::to_string);
        ApiError::bad_request(format!(
            "Invalid operation: `{shown}`. It must be one of the following: {}.",
            supported_list()
        ))
    })?;
    let path = obj
        .get("path")
        .ok_or_else(|| ApiError::bad_request("Unable to find 'path' in JSON Schema change"))?;
    Ok((op, path))
}

fn op_and_path_v20(obj: &Obj) -> ApiResult<(Op, &Value)> {
    let mut found: Option<Op> = None;
    for op in Op::ALL {
        if obj.contains_key(op.as_str()) {
            if found.is_some() {
                return Err(ApiError::bad_request(
                    "Operation objects must contain only one member named \"add\", \"remove\", or \"replace\".",
                ));
            }
            found = Some(op);
        }
    }
    let op = found.ok_or_else(|| {
        ApiError::bad_request(
            "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".",
        )
    })?;
    Ok((op, &obj[op.as_str()]))
}

/// Validates a restricted JSON pointer and returns its decoded, trimmed tokens.
pub fn decode_pointer(pointer: &Value) -> ApiResult<Vec<String>> {
    let Some(p) = pointer.as_str() else {
        return Err(ApiError::bad_request(format!(
            "Pointer `{pointer}` is not a string."
        )));
    };
    let bad = |why: &str| ApiError::bad_request(format!("Pointer `{p}` {why}"));
    let Some(rest) = p.strip_prefix('/') else {
        return Err(bad("does not start with \"/\"."));
    };
    let tokens: Vec<&str> = rest.split('/').collect();
    if tokens.len() > 1
        && tokens[..tokens.len() - 1]
            .iter()
            .any(|t| t.trim().is_empty())
    {
        return Err(bad("contains adjacent \"/\"."));
    }
    if p.len() > 1 && p.ends_with('/') {
        return Err(bad("end with \"/\"."));
    }
    if tokens.iter().all(|t| t.trim().is_empty()) {
        return Err(bad("does not contains valid token."));
    }
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.peek(), Some('0') | Some('1')) {
            return Err(bad(
                "contains \"~\" not part of a recognized escape sequence.",
            ));
        }
    }
    Ok(tokens
        .iter()
        .map(|t| t.replace("~1", "/").replace("~0", "~").trim().to_string())
        .collect())
}

/// One token, except `/locations/<n>` for add and remove (B092).
fn check_depth(op: Op, path: &[String]) -> ApiResult<()> {
    let allowed = match (path.first().map(String::as_str), op) {
        (Some("locations"), Op::Add | Op::Remove) => 2,
        _ => 1,
    };
    if path.len() == allowed {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid JSON pointer for this resource: '/{}'",
            path.join("/")
        )))
    }
}

/// Read-only and reserved names (403), then the schema check of the value (400).
fn check_target(change: &Change) -> ApiResult<()> {
    let root = change.root();
    if props::PATCH_READ_ONLY.contains(&root) {
        return Err(props::read_only(root));
    }
    if props::is_reserved(root) {
        return Err(props::reserved(root));
    }
    let Some(value) = &change.value else {
        return Ok(());
    };
    if change.path.len() == 1 {
        props::check_value(root, value)
    } else {
        // `/locations/<n>`: the value is one location.
        props::check_value(root, &Value::Array(vec![value.clone()]))
    }
}

/// Applies validated changes to `image` in order. Errors leave the caller to discard the copy.
pub fn apply(
    image: &mut Image,
    changes: &[Change],
    caller: &Caller,
    dialect: Dialect,
) -> ApiResult<()> {
    for change in changes {
        let root = change.root();
        if root == "locations" {
            return Err(locations_error(change));
        }
        let is_base = props::WRITABLE_BASE.contains(&root);
        match (change.op, &change.value) {
            (Op::Remove, _) => {
                if is_base {
                    return Err(ApiError::forbidden(format!(
                        "Property {root} may not be removed."
                    )));
                }
                if image.extra.remove(root).is_none() {
                    return Err(missing(root));
                }
            }
            (op, Some(value)) => {
                check_policy(caller, root, value)?;
                let exists = is_base || image.extra.contains_key(root);
                if op == Op::Replace && !exists {
                    return Err(missing(root));
                }
                if op == Op::Add && dialect == Dialect::V2_0 && exists {
                    return Err(ApiError::conflict(format!(
                        "Property {root} already present."
                    )));
                }
                if is_base {
                    props::set_base(image, root, value)?;
                } else {
                    let s = value.as_str().unwrap_or_default().to_string();
                    image.extra.insert(root.to_string(), s);
                }
            }
            (_, None) => {
                return Err(ApiError::bad_request(format!(
                    "Operation \"{}\" requires a member named \"value\".",
                    change.op.as_str()
                )))
            }
        }
    }
    props::check_quotas(image)
}

fn missing(root: &str) -> ApiError {
    ApiError::conflict(format!("Property {root} does not exist."))
}

/// Locations are not shown by this server, so every location operation is refused (B111).
fn locations_error(change: &Change) -> ApiError {
    let empty = change
        .value
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    ApiError::forbidden(match change.op {
        Op::Replace if empty => "Cannot set locations to empty list.",
        Op::Replace => "It's not allowed to update locations if locations are invisible.",
        Op::Add => "It's not allowed to add locations if locations are invisible.",
        Op::Remove => "It's not allowed to remove locations if locations are invisible.",
    })
}

fn check_policy(caller: &Caller, root: &str, value: &Value) -> ApiResult<()> {
    if root == "owner" && !caller.is_admin {
        return Err(ApiError::forbidden("Owner can't be updated by non admin."));
    }
    if root == "visibility"
        && value.as_str() == Some(Visibility::Public.as_str())
        && !policy::may_publicize(caller)
    {
        return Err(policy::publicize_denied());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::state::now;
    use axum::http::StatusCode;
    use serde_json::json;

    fn parse_err(body: Value, d: Dialect) -> StatusCode {
        parse(&body, d).unwrap_err().status
    }

    #[test]
    fn media_types() {
        assert_eq!(dialect(Some(V2_1)), Some(Dialect::V2_1));
        assert_eq!(dialect(Some(V2_0)), Some(Dialect::V2_0));
        assert_eq!(dialect(Some("application/json")), None);
        assert_eq!(dialect(None), None);
        let e = unsupported(None);
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(e.headers[0].0, "accept-patch");
    }

    #[test]
    fn parses_v21() {
        let c = parse(
            &json!([
                {"op": "replace", "path": "/name", "value": "Fedora 17"},
                {"op": "replace", "path": "/tags", "value": ["fedora", "beefy"]},
                {"op": "add", "path": "/login-user", "value": "kvothe"},
                {"op": "remove", "path": "/login-user"},
            ]),
            Dialect::V2_1,
        )
        .unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].op, Op::Replace);
        assert_eq!(c[0].path, vec!["name"]);
        assert_eq!(c[3].value, None);
        assert!(parse(&json!([]), Dialect::V2_1).unwrap().is_empty());
    }

    #[test]
    fn parses_v20_draft_syntax() {
        let c = parse(&json!([{"replace": "/name", "value": "x"}]), Dialect::V2_0).unwrap();
        assert_eq!(c[0].op, Op::Replace);
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            parse_err(
                json!([{"op": "replace", "path": "/name", "value": "x"}]),
                Dialect::V2_0
            ),
            bad
        );
        assert_eq!(
            parse_err(
                json!([{"add": "/a", "remove": "/b", "value": "x"}]),
                Dialect::V2_0
            ),
            bad
        );
        assert_eq!(
            parse_err(json!([{"replace": "/name", "value": "x"}]), Dialect::V2_1),
            bad
        );
    }

    #[test]
    fn structural_errors_are_400() {
        let bad = StatusCode::BAD_REQUEST;
        let d = Dialect::V2_1;
        assert_eq!(parse_err(json!({"op": "add"}), d), bad);
        assert_eq!(parse_err(json!(["x"]), d), bad);
        assert_eq!(
            parse_err(json!([{"op": "move", "path": "/a", "from": "/b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "test", "path": "/a", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": 5, "path": "/a", "value": "b"}]), d),
            bad
        );
        assert_eq!(parse_err(json!([{"op": "add", "value": "b"}]), d), bad);
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "name", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/tags/0", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/tags/-", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "replace", "path": "/name"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/a//b", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/a/", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/a~2", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/a~", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/", "value": "b"}]), d),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": 7, "value": "b"}]), d),
            bad
        );
        // wrong value types
        assert_eq!(
            parse_err(json!([{"op": "replace", "path": "/name", "value": 5}]), d),
            bad
        );
        assert_eq!(
            parse_err(
                json!([{"op": "replace", "path": "/min_ram", "value": "5"}]),
                d
            ),
            bad
        );
        assert_eq!(
            parse_err(json!([{"op": "add", "path": "/x", "value": 5}]), d),
            bad
        );
        assert_eq!(
            parse_err(
                json!([{"op": "replace", "path": "/visibility", "value": "bogus"}]),
                d
            ),
            bad
        );
    }

    #[test]
    fn forbidden_targets_are_403() {
        let d = Dialect::V2_1;
        for path in [
            "/status",
            "/id",
            "/size",
            "/checksum",
            "/os_hash_value",
            "/created_at",
            "/self",
        ] {
            assert_eq!(
                parse_err(json!([{"op": "replace", "path": path, "value": "x"}]), d),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        for path in ["/os_glance_x", "/deleted", "/deleted_at", "/location"] {
            assert_eq!(
                parse_err(json!([{"op": "add", "path": path, "value": "x"}]), d),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
    }

    #[test]
    fn pointer_escapes() {
        assert_eq!(decode_pointer(&json!("/a~1b")).unwrap(), vec!["a/b"]);
        assert_eq!(decode_pointer(&json!("/t~0x")).unwrap(), vec!["t~x"]);
        assert_eq!(decode_pointer(&json!("/~01")).unwrap(), vec!["~1"]);
        assert_eq!(decode_pointer(&json!("/ name ")).unwrap(), vec!["name"]);
    }

    fn run(img: &mut Image, body: Value, d: Dialect) -> ApiResult<()> {
        let changes = parse(&body, d)?;
        apply(img, &changes, &Caller::noauth(), d)
    }

    fn fresh() -> Image {
        Image::new("i".into(), 1, now())
    }

    #[test]
    fn applies_semantics() {
        let d = Dialect::V2_1;
        let mut img = fresh();
        run(
            &mut img,
            json!([
                {"op": "replace", "path": "/name", "value": "Fedora 17"},
                {"op": "replace", "path": "/tags", "value": ["fedora", "beefy", "fedora"]},
                {"op": "add", "path": "/login-user", "value": "kvothe"},
                {"op": "add", "path": "/a~1b", "value": "slash"},
                {"op": "add", "path": "/min_ram", "value": 512},
            ]),
            d,
        )
        .unwrap();
        assert_eq!(img.name.as_deref(), Some("Fedora 17"));
        assert_eq!(img.tags, vec!["fedora", "beefy"]);
        assert_eq!(img.extra["login-user"], "kvothe");
        assert_eq!(img.extra["a/b"], "slash");
        assert_eq!(img.min_ram, 512);

        // add on an existing property overwrites (RFC 6902)
        run(
            &mut img,
            json!([{"op": "add", "path": "/login-user", "value": "root"}]),
            d,
        )
        .unwrap();
        assert_eq!(img.extra["login-user"], "root");
        run(
            &mut img,
            json!([{"op": "remove", "path": "/login-user"}]),
            d,
        )
        .unwrap();
        assert!(!img.extra.contains_key("login-user"));
        run(
            &mut img,
            json!([{"op": "replace", "path": "/name", "value": null}]),
            d,
        )
        .unwrap();
        assert_eq!(img.name, None);
    }

    #[test]
    fn stores_is_a_custom_property_to_a_patch() {
        // Glance: remove or replace of /stores is 409 until an add made a property of it.
        let d = Dialect::V2_1;
        let mut img = fresh();
        img.data.stores = vec!["fs".into()];
        for op in [
            json!([{"op": "remove", "path": "/stores"}]),
            json!([{"op": "replace", "path": "/stores", "value": "fs"}]),
        ] {
            assert_eq!(
                run(&mut img, op, d).unwrap_err().status,
                StatusCode::CONFLICT
            );
        }
        run(
            &mut img,
            json!([{"op": "add", "path": "/stores", "value": "x"}]),
            d,
        )
        .unwrap();
        assert_eq!(img.extra["stores"], "x");
        assert_eq!(img.data.stores, vec!["fs"]);
        run(&mut img, json!([{"op": "remove", "path": "/stores"}]), d).unwrap();
        assert!(!img.extra.contains_key("stores"));
    }

    #[test]
    fn apply_errors() {
        let d = Dialect::V2_1;
        let status = |body: Value| run(&mut fresh(), body, d).unwrap_err().status;
        assert_eq!(
            status(json!([{"op": "replace", "path": "/nonexistent", "value": "x"}])),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(json!([{"op": "remove", "path": "/nonexistent"}])),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(json!([{"op": "remove", "path": "/name"}])),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(json!([{"op": "remove", "path": "/tags"}])),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(json!([{"op": "replace", "path": "/min_ram", "value": -5}])),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(json!([{"op": "replace", "path": "/locations", "value": []}])),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(
                json!([{"op": "add", "path": "/locations/-", "value": {"url": "http://x", "metadata": {}}}])
            ),
            StatusCode::FORBIDDEN
        );
        // noauth has no admin role: publicizing is denied like on Glance
        assert_eq!(
            status(json!([{"op": "replace", "path": "/visibility", "value": "public"}])),
            StatusCode::FORBIDDEN
        );
        let tags: Vec<String> = (0..129).map(|i| format!("t{i}")).collect();
        assert_eq!(
            status(json!([{"op": "replace", "path": "/tags", "value": tags}])),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // v2.0 add of an existing property is a conflict
        let mut img = fresh();
        assert_eq!(
            run(
                &mut img,
                json!([{"add": "/name", "value": "x"}]),
                Dialect::V2_0
            )
            .unwrap_err()
            .status,
            StatusCode::CONFLICT
        );
    }

    #[test]
    fn owner_and_visibility_policy() {
        let member = Caller::confirmed(Some("A".into()), None, vec!["member".into()]);
        let admin = Caller::confirmed(Some("A".into()), None, vec!["admin".into()]);
        let mut img = fresh();
        let vis = parse(
            &json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
            Dialect::V2_1,
        )
        .unwrap();
        assert_eq!(
            apply(&mut img, &vis, &member, Dialect::V2_1)
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
        apply(&mut img, &vis, &admin, Dialect::V2_1).unwrap();
        assert_eq!(img.visibility, Visibility::Public);
        let owner = parse(
            &json!([{"op": "replace", "path": "/owner", "value": "B"}]),
            Dialect::V2_1,
        )
        .unwrap();
        assert_eq!(
            apply(&mut img, &owner, &member, Dialect::V2_1)
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
        apply(&mut img, &owner, &admin, Dialect::V2_1).unwrap();
        assert_eq!(img.owner.as_deref(), Some("B"));
    }
}
