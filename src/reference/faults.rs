//! Switchable faults: the reference server bent into a plausible non-conformant implementation,
//! so that the suite's power to reject one can be measured.
//!
//! Every fault is one row of [`FAULTS`]: its name, what it breaks, the cases expected to catch it,
//! and the one rule that bends behaviour — a rewrite of the request before the server sees it
//! ([`Bend::Request`]) or of the response after ([`Bend::Response`]). The clean server is never
//! touched: with no fault switched on, requests go straight to the router.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::routes;
use super::state::{AppState, Status};

/// A request as the fault layer sees it, before it reaches the server.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A response as the fault layer sees it, before it reaches the client.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// How a fault bends behaviour.
pub enum Bend {
    /// Changes the request; may answer in the server's place.
    Request(fn(&mut Call) -> Option<Reply>),
    /// Changes the response to the (original) request.
    Response(fn(&Call, &mut Reply)),
    /// Answers in the server's place, reaching into its state across an await: for races.
    Racy(fn(Arc<AppState>, Call) -> RacyReply),
}

pub type RacyReply = std::pin::Pin<Box<dyn std::future::Future<Output = Option<Reply>> + Send>>;

pub struct Fault {
    pub name: &'static str,
    /// What a client sees go wrong, in one line.
    pub breaks: &'static str,
    /// Case names (or name prefixes) expected to fail with this fault on.
    pub caught_by: &'static [&'static str],
    pub bend: Bend,
}

/// The faults switched on for one server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults(BTreeSet<&'static str>);

impl Faults {
    /// Parses fault names; an unknown name is an error that lists the known ones.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Faults, String> {
        let mut set = BTreeSet::new();
        for n in names {
            let f = find(n.as_ref())
                .ok_or_else(|| format!("unknown fault `{}` (see `imgconf faults`)", n.as_ref()))?;
            set.insert(f.name);
        }
        Ok(Faults(set))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn active(&self) -> impl Iterator<Item = &'static Fault> + '_ {
        FAULTS.iter().filter(|f| self.0.contains(f.name))
    }
}

pub fn find(name: &str) -> Option<&'static Fault> {
    FAULTS.iter().find(|f| f.name == name)
}

/// Entry point when faults are on: bend the request, let the server answer, bend the reply.
pub async fn dispatch(State(app): State<Arc<AppState>>, req: Request) -> Response {
    if !app.options.latency.is_zero() {
        tokio::time::sleep(app.options.latency).await;
    }
    let flavor = app.options.flavor;
    if app.options.faults.is_empty() && flavor.is_glance() {
        return routes::dispatch(State(app), req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, routes::MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let original = Call {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        headers: parts.headers.clone(),
        body,
    };
    let mut call = original.clone();
    let mut answered = flavor.bend_request(&mut call);
    if answered.is_none() {
        for f in app.options.faults.active() {
            if let Bend::Request(bend) = f.bend {
                if let Some(reply) = bend(&mut call) {
                    answered = Some(reply);
                    break;
                }
            }
        }
    }
    if answered.is_none() {
        for f in app.options.faults.active() {
            if let Bend::Racy(bend) = f.bend {
                if let Some(reply) = bend(app.clone(), call.clone()).await {
                    answered = Some(reply);
                    break;
                }
            }
        }
    }
    let mut reply = match answered {
        Some(r) => r,
        None => send(&app, &call).await,
    };
    flavor.bend_response(&original, &mut reply);
    for f in app.options.faults.active() {
        if let Bend::Response(bend) = f.bend {
            bend(&original, &mut reply);
        }
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response.headers_mut().remove("content-length");
    response
}

async fn send(app: &Arc<AppState>, call: &Call) -> Reply {
    let mut uri = call.path.clone();
    if !call.query.is_empty() {
        uri.push('?');
        uri.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&call.query)
                .finish(),
        );
    }
    let mut req = Request::new(Body::from(call.body.clone()));
    *req.method_mut() = call.method.clone();
    *req.uri_mut() = uri.parse::<Uri>().unwrap_or_else(|_| Uri::from_static("/"));
    *req.headers_mut() = call.headers.clone();
    let resp = routes::dispatch(State(app.clone()), req).await;
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers the rules share.

impl Call {
    fn is(&self, method: Method, shape: &[&str]) -> bool {
        self.method == method && path_is(&self.path, shape)
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    fn set_json(&mut self, v: &Value) {
        self.body = Bytes::from(v.to_string());
    }

    /// Applies `f` to the JSON body, if it is JSON.
    fn edit_json(&mut self, f: impl FnOnce(&mut Value)) {
        if let Some(mut v) = self.json() {
            f(&mut v);
            self.set_json(&v);
        }
    }

    fn drop_query(&mut self, keys: &[&str]) {
        self.query.retain(|(k, _)| !keys.contains(&k.as_str()));
    }
}

impl Reply {
    fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Applies `f` to the JSON body, if it is JSON.
    fn edit_json(&mut self, f: impl FnOnce(&mut Value)) {
        if let Ok(mut v) = serde_json::from_slice::<Value>(&self.body) {
            f(&mut v);
            self.body = Bytes::from(v.to_string());
        }
    }

    /// Applies `f` to every element of the top-level array member `key` of a JSON body.
    fn edit_each(&mut self, key: &str, f: impl Fn(&mut Value)) {
        self.edit_json(|v| {
            for item in v
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                f(item);
            }
        });
    }

    /// Removes a top-level member of a JSON object body.
    fn remove_key(&mut self, key: &str) {
        self.edit_json(|v| {
            if let Some(o) = v.as_object_mut() {
                o.remove(key);
            }
        });
    }

    /// Applies `f` to every image entity in the body (a single image or a list page).
    fn edit_images(&mut self, f: impl Fn(&mut serde_json::Map<String, Value>)) {
        self.edit_json(|v| {
            if let Some(list) = v.get_mut("images").and_then(Value::as_array_mut) {
                list.iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(&f);
            } else if let Some(obj) = v.as_object_mut().filter(|o| o.contains_key("self")) {
                f(obj);
            }
        });
    }
}

/// `/v2/images/*/tags/*` style matching, `*` for one segment.
fn path_is(path: &str, shape: &[&str]) -> bool {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    segs.len() == shape.len() && segs.iter().zip(shape).all(|(s, p)| *p == "*" || s == p)
}

fn is_image_response(call: &Call) -> bool {
    path_is(&call.path, &["v2", "images"]) || path_is(&call.path, &["v2", "images", "*"])
}

fn is_json(reply: &Reply) -> bool {
    reply
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// In the entity a create answers with, `key` becomes `value`.
fn set_on_create(call: &Call, reply: &mut Reply, key: &str, value: &str) {
    if call.is(Method::POST, IMAGES) {
        reply.edit_images(|o| {
            o.insert(key.into(), value.into());
        });
    }
}

/// Every `from` answer becomes `to`, whatever the route.
fn remap(reply: &mut Reply, from: u16, to: u16) {
    if reply.status.as_u16() == from {
        reply.status = StatusCode::from_u16(to).unwrap_or(reply.status);
    }
}

fn status(call: &Call, reply: &mut Reply, method: Method, shape: &[&str], from: u16, to: u16) {
    if call.method == method && path_is(&call.path, shape) && reply.status.as_u16() == from {
        reply.status = StatusCode::from_u16(to).unwrap_or(reply.status);
    }
}

const IMAGES: &[&str] = &["v2", "images"];
const IMAGE: &[&str] = &["v2", "images", "*"];
const TAG: &[&str] = &["v2", "images", "*", "tags", "*"];
const IMAGE_TASKS: &[&str] = &["v2", "images", "*", "tasks"];
const IMAGE_LOCATIONS: &[&str] = &["v2", "images", "*", "locations"];
const TASKS: &[&str] = &["v2", "tasks"];
const CACHE: &[&str] = &["v2", "cache"];
const CACHE_ENTRY: &[&str] = &["v2", "cache", "*"];

/// Rewrites the (still percent-encoded) tag segment of a tag PUT or DELETE.
fn bend_tag_segment(c: &mut Call, f: impl Fn(&str) -> Option<String>) {
    if c.is(Method::PUT, TAG) || c.is(Method::DELETE, TAG) {
        if let Some((head, tag)) = c.path.rsplit_once('/') {
            if let Some(bent) = f(tag) {
                c.path = format!("{head}/{bent}");
            }
        }
    }
}

/// Percent-encodes every byte of `s` but the unreserved characters of RFC 3986.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Replaces every non-ASCII string value (not the keys) with the Latin-1 reading of its UTF-8.
fn mangle_strings(v: &mut Value) {
    match v {
        Value::String(s) if !s.is_ascii() => {
            *s = s.bytes().map(char::from).collect();
        }
        Value::Array(items) => items.iter_mut().for_each(mangle_strings),
        Value::Object(o) => o.values_mut().for_each(mangle_strings),
        _ => {}
    }
}

/// Lower-cases every tag a request names: in a tag's path, a create body, a PATCH of `/tags`
/// and the list's `tag` filter.
fn fold_tags(c: &mut Call) {
    let lower_all = |v: &mut Value| {
        for t in v.as_array_mut().into_iter().flatten() {
            if let Some(s) = t.as_str() {
                *t = Value::from(s.to_lowercase());
            }
        }
    };
    bend_tag_segment(c, |raw| {
        let tag = super::request::percent_decode(raw).and_then(|b| String::from_utf8(b).ok())?;
        Some(percent_encode(&tag.to_lowercase()))
    });
    if c.is(Method::POST, IMAGES) {
        c.edit_json(|v| {
            if let Some(tags) = v.get_mut("tags") {
                lower_all(tags);
            }
        });
    }
    if c.is(Method::PATCH, IMAGE) {
        c.edit_json(|v| {
            for op in v.as_array_mut().into_iter().flatten() {
                if op.get("path").and_then(Value::as_str) == Some("/tags") {
                    if let Some(tags) = op.get_mut("value") {
                        lower_all(tags);
                    }
                }
            }
        });
    }
    if c.is(Method::GET, IMAGES) {
        for (k, v) in &mut c.query {
            if k == "tag" {
                *v = v.to_lowercase();
            }
        }
    }
}

/// A JSON answer in the server's place.
fn json_reply(status: StatusCode, body: &'static str) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Reply {
        status,
        headers,
        body: Bytes::from(body),
    }
}

/// Adds `role` to a trusted caller's roles (a caller without identity headers is left alone).
fn add_role(c: &mut Call, role: &str) {
    let roles = c
        .headers
        .get("x-roles")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(roles) = roles {
        if let Ok(v) = HeaderValue::from_str(&format!("{roles},{role}")) {
            c.headers.insert("x-roles", v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The faults.

pub static FAULTS: &[Fault] = &[
    // Status codes of whole classes of answers: each documented code replaced by a plausible
    // wrong one. Every case that asserts that code catches these.
    Fault {
        name: "bad-request-as-422",
        breaks: "invalid requests answer 422 instead of 400 Bad Request",
        caught_by: &[
            "tags::tag-of-256-characters-is-400",
            "images.create::array-body-is-rejected",
        ],
        bend: Bend::Response(|_, r| remap(r, 400, 422)),
    },
    Fault {
        name: "forbidden-as-401",
        breaks: "refusals answer 401 instead of 403 Forbidden",
        caught_by: &[
            "images.",
            "members::",
            "visibility::",
            "actions::",
            "tags::",
            "metadefs",
        ],
        bend: Bend::Response(|_, r| remap(r, 403, 401)),
    },
    Fault {
        name: "unsupported-media-type-as-400",
        breaks: "a wrong Content-Type answers 400 instead of 415 Unsupported Media Type",
        caught_by: &["images.update::plain-json-media-type-is-415"],
        bend: Bend::Response(|_, r| remap(r, 415, 400)),
    },
    Fault {
        name: "quota-as-400",
        breaks: "going over a quota answers 400 instead of 413",
        caught_by: &["images.", "tags::", "members::"],
        bend: Bend::Response(|_, r| remap(r, 413, 400)),
    },
    Fault {
        name: "method-not-allowed-as-404",
        breaks: "a wrong method on a known route answers 404 instead of 405 Method Not Allowed",
        caught_by: &[
            "metadefs.namespaces::wrong-method-is-405",
            "errors::wrong-method-",
            "schemas::other-methods-on-a-schema-are-405",
            "tags::post-on-a-tag-is-405",
        ],
        bend: Bend::Response(|_, r| remap(r, 405, 404)),
    },
    Fault {
        name: "no-content-as-200",
        breaks: "calls documented to answer 204 No Content answer 200",
        caught_by: &[
            "tags::put-adds-the-tag",
            "images.show::deleted-image-is-404",
        ],
        bend: Bend::Response(|_, r| remap(r, 204, 200)),
    },
    Fault {
        name: "ok-as-201",
        breaks: "successful reads and updates answer 201 instead of 200",
        caught_by: &[
            "images.show::returns-the-image",
            "images.update::replace-name-and-tags",
            "versions::versions-path-lists-versions",
        ],
        bend: Bend::Response(|_, r| remap(r, 200, 201)),
    },
    Fault {
        name: "create-answers-200",
        breaks: "creating an image answers 200 instead of 201 Created",
        caught_by: &["images.create::returns-201-location-and-entity"],
        bend: Bend::Response(|c, r| status(c, r, Method::POST, IMAGES, 201, 200)),
    },
    Fault {
        name: "create-without-location",
        breaks: "the create response has no Location header",
        caught_by: &["images.create::returns-201-location-and-entity"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::POST, IMAGES) {
                r.headers.remove(LOCATION);
            }
        }),
    },
    Fault {
        name: "location-names-another-image",
        breaks: "the Location header of a new image points at a different image id",
        caught_by: &["images.create::honours-client-supplied-id"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::POST, IMAGES) {
                let other = format!("http://localhost/v2/images/{}", uuid::Uuid::new_v4());
                if let Ok(v) = HeaderValue::from_str(&other) {
                    r.headers.insert(LOCATION, v);
                }
            }
        }),
    },
    Fault {
        name: "client-id-ignored",
        breaks: "an id supplied on create is ignored and a new one generated",
        caught_by: &[
            "images.create::honours-client-supplied-id",
            "images.create::duplicate-id-conflicts",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, IMAGES) {
                if let Some(mut v) = c.json() {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("id");
                    }
                    c.set_json(&v);
                }
            }
            None
        }),
    },
    Fault {
        name: "create-drops-tags",
        breaks: "tags given in the create body are not stored",
        caught_by: &["images.create::tags-in-body-are-kept"],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, IMAGES) {
                if let Some(mut v) = c.json() {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("tags");
                    }
                    c.set_json(&v);
                }
            }
            None
        }),
    },
    Fault {
        name: "new-image-is-active",
        breaks: "a new image reports status active instead of queued",
        caught_by: &["images.create::returns-201-location-and-entity"],
        bend: Bend::Response(|c, r| set_on_create(c, r, "status", "active")),
    },
    Fault {
        name: "default-visibility-private",
        breaks: "an image created without visibility reports `private` instead of `shared`",
        caught_by: &["images.create::default-visibility-is-shared"],
        bend: Bend::Response(|c, r| set_on_create(c, r, "visibility", "private")),
    },
    Fault {
        name: "entity-missing-protected",
        breaks: "image entities leave out the `protected` base property",
        caught_by: &[
            "images.create::returns-201-location-and-entity",
            "images.list::entities-validate-against-the-image-schema",
        ],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    o.remove("protected");
                });
            }
        }),
    },
    Fault {
        name: "entity-renames-created-at",
        breaks: "image entities carry `created` instead of `created_at`",
        caught_by: &[
            "images.create::timestamps-are-equal-on-create",
            "images.show::returns-the-image",
        ],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    if let Some(v) = o.remove("created_at") {
                        o.insert("created".into(), v);
                    }
                });
            }
        }),
    },
    Fault {
        name: "min-ram-as-string",
        breaks: "`min_ram` is a JSON string instead of an integer",
        caught_by: &[
            "images.create::returns-201-location-and-entity",
            "images.list::entities-validate-against-the-image-schema",
        ],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    if let Some(n) = o.get("min_ram").and_then(Value::as_i64) {
                        o.insert("min_ram".into(), n.to_string().into());
                    }
                });
            }
        }),
    },
    Fault {
        name: "timestamps-not-iso8601",
        breaks: "timestamps are `YYYY-MM-DD hh:mm:ss` instead of ISO 8601",
        caught_by: &[
            "images.create::timestamps-are-equal-on-create",
            "images.create::returns-201-location-and-entity",
        ],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    for k in ["created_at", "updated_at"] {
                        if let Some(s) = o.get(k).and_then(Value::as_str) {
                            let bent = s.replace('T', " ").trim_end_matches('Z').to_string();
                            o.insert(k.into(), bent.into());
                        }
                    }
                });
            }
        }),
    },
    Fault {
        name: "updated-at-differs-on-create",
        breaks: "a new image's updated_at differs from its created_at",
        caught_by: &["images.create::timestamps-are-equal-on-create"],
        bend: Bend::Response(|c, r| set_on_create(c, r, "updated_at", "2001-01-01T00:00:00Z")),
    },
    Fault {
        name: "updated-at-never-moves",
        breaks: "an image's updated_at stays at its creation time whatever changes",
        caught_by: &["images.update::update-keeps-created-at-and-advances-updated-at"],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    if let Some(created) = o.get("created_at").cloned() {
                        o.insert("updated_at".into(), created);
                    }
                });
            }
        }),
    },
    Fault {
        name: "show-adds-a-property",
        breaks: "showing an image adds one property the image does not have (`os_internal_id`)",
        caught_by: &["images.show::returns-the-image"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGE) {
                r.edit_images(|o| {
                    o.insert("os_internal_id".into(), "42".into());
                });
            }
        }),
    },
    Fault {
        name: "member-updated-at-never-moves",
        breaks: "a member's updated_at stays at its creation time when its status changes",
        caught_by: &["members::member-accepts"],
        bend: Bend::Response(|c, r| {
            if path_is(&c.path, &["v2", "images", "*", "members", "*"]) {
                r.edit_json(|v| {
                    if let Some(created) = v.get("created_at").cloned() {
                        v["updated_at"] = created;
                    }
                });
            }
        }),
    },
    Fault {
        name: "json-served-as-text",
        breaks: "JSON responses are labelled `text/plain`",
        caught_by: &[
            "images.create::returns-201-location-and-entity",
            "versions::root-lists-versions",
        ],
        bend: Bend::Response(|_, r| {
            if is_json(r) {
                r.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=UTF-8"),
                );
            }
        }),
    },
    Fault {
        name: "not-found-as-500",
        breaks: "a missing resource answers 500 instead of 404",
        caught_by: &[
            "images.show::unknown-id-is-404",
            "images.show::deleted-image-is-404",
            "tags::repeated-delete-is-404",
        ],
        bend: Bend::Response(|_, r| {
            if r.status == StatusCode::NOT_FOUND {
                r.status = StatusCode::INTERNAL_SERVER_ERROR;
            }
        }),
    },
    Fault {
        name: "conflict-as-400",
        breaks: "a conflict (duplicate id) answers 400 instead of 409",
        caught_by: &["images.create::duplicate-id-conflicts"],
        bend: Bend::Response(|_, r| {
            if r.status == StatusCode::CONFLICT {
                r.status = StatusCode::BAD_REQUEST;
            }
        }),
    },
    Fault {
        name: "array-body-crashes",
        breaks: "a JSON array as create body answers 500 instead of 400",
        caught_by: &["images.create::array-body-is-rejected"],
        bend: Bend::Request(|c| {
            let is_array = c.json().is_some_and(|v| v.is_array());
            (c.is(Method::POST, IMAGES) && is_array)
                .then(|| Reply::empty(StatusCode::INTERNAL_SERVER_ERROR))
        }),
    },
    Fault {
        name: "delete-keeps-image",
        breaks: "DELETE of an image answers 204 but the image stays",
        caught_by: &["images.show::deleted-image-is-404"],
        bend: Bend::Request(|c| {
            c.is(Method::DELETE, IMAGE)
                .then(|| Reply::empty(StatusCode::NO_CONTENT))
        }),
    },
    Fault {
        name: "patch-changes-nothing",
        breaks: "PATCH answers 200 with the image but applies no change",
        caught_by: &[
            "images.update::replace-name-and-tags",
            "images.update::add-custom-property",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::PATCH, IMAGE) {
                c.method = Method::GET;
                c.body = Bytes::new();
                c.headers.remove(CONTENT_TYPE);
            }
            None
        }),
    },
    Fault {
        name: "patch-remove-ignored",
        breaks: "json-patch `remove` operations are silently skipped",
        caught_by: &["images.update::remove-custom-property"],
        bend: Bend::Request(|c| {
            if c.is(Method::PATCH, IMAGE) {
                if let Some(Value::Array(ops)) = c.json() {
                    let kept: Vec<Value> = ops
                        .into_iter()
                        .filter(|op| op.get("op") != Some(&Value::from("remove")))
                        .collect();
                    c.set_json(&Value::Array(kept));
                }
            }
            None
        }),
    },
    Fault {
        name: "patch-any-media-type",
        breaks: "PATCH accepts any Content-Type instead of answering 415",
        caught_by: &["images.update::plain-json-media-type-is-415"],
        bend: Bend::Request(|c| {
            if c.is(Method::PATCH, IMAGE) {
                c.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/openstack-images-v2.1-json-patch"),
                );
            }
            None
        }),
    },
    Fault {
        name: "tag-put-answers-200",
        breaks: "adding a tag answers 200 instead of 204",
        caught_by: &["tags::put-adds-the-tag", "tags::put-is-idempotent"],
        bend: Bend::Response(|c, r| status(c, r, Method::PUT, TAG, 204, 200)),
    },
    Fault {
        name: "tag-delete-repeats-204",
        breaks: "deleting a tag that is not there answers 204 instead of 404",
        caught_by: &["tags::repeated-delete-is-404"],
        bend: Bend::Response(|c, r| status(c, r, Method::DELETE, TAG, 404, 204)),
    },
    Fault {
        name: "tag-delete-keeps-tag",
        breaks: "DELETE of a tag answers 204 but the tag stays",
        caught_by: &["tags::delete-removes-the-tag"],
        bend: Bend::Request(|c| {
            c.is(Method::DELETE, TAG)
                .then(|| Reply::empty(StatusCode::NO_CONTENT))
        }),
    },
    Fault {
        name: "long-tag-truncated",
        breaks: "a tag over 255 characters is cut to 255 and accepted instead of refused",
        caught_by: &["tags::tag-of-256-characters-is-400"],
        bend: Bend::Request(|c| {
            if c.is(Method::PUT, TAG) {
                if let Some((head, tag)) = c.path.rsplit_once('/') {
                    if tag.len() > 255 {
                        c.path = format!("{head}/{}", &tag[..255]);
                    }
                }
            }
            None
        }),
    },
    Fault {
        name: "tag-limit-off-by-one",
        breaks: "a tag of exactly 255 characters is refused",
        caught_by: &["tags::tag-of-255-characters-is-accepted"],
        bend: Bend::Request(|c| {
            let at_limit = c.path.rsplit_once('/').is_some_and(|(_, t)| t.len() >= 255);
            (c.is(Method::PUT, TAG) && at_limit).then(|| Reply::empty(StatusCode::BAD_REQUEST))
        }),
    },
    Fault {
        name: "tag-put-races",
        breaks: "concurrent PUTs of the same tag each add it (read, then write without a lock)",
        caught_by: &["concurrency::parallel-tag-puts-leave-one-instance"],
        bend: Bend::Racy(|app, call| {
            Box::pin(async move {
                if !call.is(Method::PUT, TAG) {
                    return None;
                }
                let mut parts = call.path.trim_start_matches('/').split('/');
                let (Some(id), Some(tag)) = (parts.nth(2), parts.nth(1)) else {
                    return None;
                };
                let tag =
                    super::request::percent_decode(tag).and_then(|b| String::from_utf8(b).ok())?;
                // Read under the lock, write later without looking again: overlapping PUTs of
                // the same tag both find it absent and both append it.
                let absent = !app.store().get_live(id)?.tags.contains(&tag);
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                let mut store = app.store();
                let image = store.get_live_mut(id)?;
                if absent {
                    image.tags.push(tag);
                }
                Some(Reply::empty(StatusCode::NO_CONTENT))
            })
        }),
    },
    Fault {
        name: "tags-folded-to-lower-case",
        breaks: "tags are stored and filtered in lower case: `Miracle` becomes `miracle`, and `?tag=Miracle` finds `miracle`",
        caught_by: &["tags::mixed-case-tags-are-distinct"],
        bend: Bend::Request(|c| {
            fold_tags(c);
            None
        }),
    },
    Fault {
        name: "non-ascii-tag-read-as-latin-1",
        breaks: "the UTF-8 bytes of a tag in the path are read as Latin-1: `中文` is stored as `ä¸\u{ad}æ\u{96}\u{87}` (as Glance 33 does)",
        caught_by: &["tags::non-ascii-tag-round-trips"],
        bend: Bend::Request(|c| {
            bend_tag_segment(c, |raw| {
                let bytes = super::request::percent_decode(raw)?;
                let latin1: String = bytes.into_iter().map(char::from).collect();
                Some(percent_encode(&latin1))
            });
            None
        }),
    },
    Fault {
        name: "non-ascii-tag-stored-percent-encoded",
        breaks: "a tag in the path is stored as sent, percent-encoded: `中文` is stored as `%E4%B8%AD%E6%96%87`",
        caught_by: &["tags::non-ascii-tag-round-trips"],
        bend: Bend::Request(|c| {
            bend_tag_segment(c, |raw| Some(raw.replace('%', "%25")));
            None
        }),
    },
    Fault {
        name: "non-ascii-values-read-as-latin-1",
        breaks: "non-ASCII strings in a create or PATCH body are stored as the Latin-1 reading of their UTF-8 bytes (`Ü` becomes `Ã\u{9c}`)",
        caught_by: &["images.update::case-and-non-ascii-round-trip-exactly"],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, IMAGES) || c.is(Method::PATCH, IMAGE) {
                c.edit_json(mangle_strings);
            }
            None
        }),
    },
    Fault {
        name: "download-corrupted",
        breaks: "downloaded image data differs from what was uploaded (one byte flipped)",
        caught_by: &["images.data"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, &["v2", "images", "*", "file"]) && !r.body.is_empty() {
                let mut bytes = r.body.to_vec();
                bytes[0] ^= 0xff;
                r.body = Bytes::from(bytes);
            }
        }),
    },
    Fault {
        name: "checksum-wrong",
        breaks: "an image's `checksum` is not the md5 of its data",
        caught_by: &["images.data"],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    if o.get("checksum").is_some_and(Value::is_string) {
                        o.insert("checksum".into(), "0123456789abcdef0123456789abcdef".into());
                    }
                });
            }
        }),
    },
    Fault {
        name: "stores-default-as-string",
        breaks: "`/v2/info/stores` says `\"default\": \"true\"`, a string",
        caught_by: &["discovery::stores-default-flag-is-boolean"],
        bend: Bend::Response(|c, r| {
            if c.path.starts_with("/v2/info/stores") {
                r.edit_each("stores", |store| {
                        store["default"] = "true".into();
});
            }
        }),
    },
    Fault {
        // With `stores-default-as-string` on, a second finding in a case whose first one a
        // profile may excuse (tests/profiles.rs: the deviation must not excuse this one too).
        name: "stores-read-only-as-string",
        breaks: "`/v2/info/stores` marks every store `\"read-only\": \"true\"`, a string",
        caught_by: &["discovery::stores-default-flag-is-boolean"],
        bend: Bend::Response(|c, r| {
            if c.path == "/v2/info/stores" {
                r.edit_each("stores", |store| {
                    store["read-only"] = "true".into();
                });
            }
        }),
    },
    Fault {
        name: "stores-without-default",
        breaks: "`/v2/info/stores` marks no store as the default",
        caught_by: &["discovery::stores-info-has-one-default"],
        bend: Bend::Response(|c, r| {
            if c.path == "/v2/info/stores" {
                r.edit_each("stores", |store| {
                        if let Some(o) = store.as_object_mut() {
                            o.remove("default");
                        }
});
            }
        }),
    },
    Fault {
        name: "stores-detail-drops-a-store",
        breaks: "`/v2/info/stores/detail` leaves out the last store",
        caught_by: &["discovery::stores-detail-for-admin"],
        bend: Bend::Response(|c, r| {
            if c.path == "/v2/info/stores/detail" {
                r.edit_json(|v| {
                    if let Some(list) = v.get_mut("stores").and_then(Value::as_array_mut) {
                        list.pop();
                    }
                });
            }
        }),
    },
    Fault {
        name: "protected-image-deletable",
        breaks: "a protected image is deleted like any other",
        caught_by: &["images.show::protected-image-cannot-be-deleted"],
        bend: Bend::Racy(|app, call| {
            Box::pin(async move {
                if call.is(Method::DELETE, IMAGE) {
                    let id = call.path.rsplit('/').next().unwrap_or_default().to_string();
                    if let Some(image) = app.store().get_live_mut(&id) {
                        image.protected = false;
                    }
                }
                None
            })
        }),
    },
    Fault {
        name: "deactivate-does-nothing",
        breaks: "deactivating an image answers 204 but the image stays active",
        caught_by: &["actions::deactivate-an-active-image"],
        bend: Bend::Request(|c| {
            let deactivate = c.is(Method::POST, &["v2", "images", "*", "actions", "deactivate"]);
            deactivate.then(|| Reply::empty(StatusCode::NO_CONTENT))
        }),
    },
    Fault {
        name: "member-status-change-ignored",
        breaks: "a member's accept or reject answers 200 with the member, unchanged",
        caught_by: &["members::member-accepts"],
        bend: Bend::Request(|c| {
            if c.is(Method::PUT, &["v2", "images", "*", "members", "*"]) {
                c.method = Method::GET;
                c.body = Bytes::new();
                c.headers.remove(CONTENT_TYPE);
            }
            None
        }),
    },
    Fault {
        name: "identity-ignored",
        breaks: "the caller's identity is ignored: every request acts as an administrator",
        caught_by: &["visibility::private-image-is-not-found-by-other-projects", "members::"],
        bend: Bend::Request(|c| {
            for h in ["x-identity-status", "x-project-id", "x-tenant-id", "x-user-id", "x-roles"] {
                c.headers.remove(h);
            }
            None
        }),
    },
    Fault {
        name: "limit-ignored",
        breaks: "the list ignores `limit` and returns every match in one page",
        caught_by: &["images.list::pagination-visits-every-image-once"],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, IMAGES) {
                c.drop_query(&["limit"]);
            }
            None
        }),
    },
    Fault {
        name: "sort-dir-ignored",
        breaks: "the list ignores `sort_dir` and always sorts descending",
        caught_by: &[
            "images.list::default-order-is-newest-first",
            "images.list::sort-key-and-dir-sort-ascending",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, IMAGES) {
                c.drop_query(&["sort_dir"]);
            }
            None
        }),
    },
    Fault {
        name: "request-id-constant",
        breaks: "every answer carries the same well-formed `X-OpenStack-Request-Id`",
        caught_by: &["errors::request-ids-differ-between-requests"],
        bend: Bend::Response(|_, r| {
            r.headers.insert(
                "x-openstack-request-id",
                HeaderValue::from_static("req-00000000-0000-4000-8000-000000000000"),
            );
        }),
    },
    Fault {
        name: "name-filter-ignored",
        breaks: "the list ignores the `name` filter",
        caught_by: &["images.list::name-filter-matches-the-whole-name"],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, IMAGES) {
                c.drop_query(&["name"]);
            }
            None
        }),
    },
    Fault {
        name: "next-link-missing",
        breaks: "a full list page has no `next` link",
        caught_by: &["images.list::pagination-visits-every-image-once"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGES) {
                r.remove_key("next");
            }
        }),
    },
    Fault {
        name: "next-marker-repeats-page",
        breaks: "the `next` link's marker is the page's first image, so pages overlap",
        caught_by: &["images.list::pagination-visits-every-image-once"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGES) {
                r.edit_json(|v| {
                    let first = v
                        .pointer("/images/0/id")
                        .and_then(Value::as_str)
                        .map(String::from);
                    let last = v
                        .pointer("/images")
                        .and_then(Value::as_array)
                        .and_then(|a| a.last())
                        .and_then(|i| i.get("id"))
                        .and_then(Value::as_str)
                        .map(String::from);
                    if let (Some(first), Some(last), Some(next)) = (
                        first,
                        last,
                        v.get("next").and_then(Value::as_str).map(String::from),
                    ) {
                        v["next"] = next.replace(&last, &first).into();
                    }
                });
            }
        }),
    },
    Fault {
        name: "first-link-missing",
        breaks: "list pages have no `first` link",
        caught_by: &[
            "images.list::shows-a-created-image",
            "images.list::pagination-visits-every-image-once",
        ],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGES) {
                r.remove_key("first");
            }
        }),
    },
    Fault {
        name: "list-schema-link-wrong",
        breaks: "the list's `schema` link names the image schema instead of the images schema",
        caught_by: &["images.list::shows-a-created-image"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGES) {
                r.edit_json(|v| {
                    if v.get("schema").is_some() {
                        v["schema"] = "/v2/schemas/image".into();
                    }
                });
            }
        }),
    },
    Fault {
        name: "image-schema-without-links",
        breaks: "the image schema document has no `links`",
        caught_by: &["schemas::image-schema-has-the-documented-shape"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, &["v2", "schemas", "image"]) {
                r.remove_key("links");
            }
        }),
    },
    Fault {
        name: "images-schema-without-next",
        breaks: "the images schema document does not describe the `next` property",
        caught_by: &["schemas::images-schema-has-the-documented-shape"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, &["v2", "schemas", "images"]) {
                r.edit_json(|v| {
                    if let Some(p) = v.get_mut("properties").and_then(Value::as_object_mut) {
                        p.remove("next");
                    }
                });
            }
        }),
    },
    Fault {
        name: "versions-empty",
        breaks: "the versions document lists no versions",
        caught_by: &[
            "versions::root-lists-versions",
            "versions::versions-path-lists-versions",
        ],
        bend: Bend::Response(|c, r| {
            if c.path == "/" || c.path == "/versions" {
                r.edit_json(|v| v["versions"] = Value::Array(Vec::new()));
            }
        }),
    },
    Fault {
        name: "versions-without-current",
        breaks: "no version is marked CURRENT",
        caught_by: &["versions::root-lists-versions"],
        bend: Bend::Response(|c, r| {
            if c.path == "/" || c.path == "/versions" {
                r.edit_each("versions", |item| {
                        item["status"] = "SUPPORTED".into();
});
            }
        }),
    },
    Fault {
        name: "root-answers-200",
        breaks: "GET / answers 200 instead of 300 Multiple Choices",
        caught_by: &["versions::root-lists-versions"],
        bend: Bend::Response(|c, r| {
            if c.path == "/" && r.status == StatusCode::MULTIPLE_CHOICES {
                r.status = StatusCode::OK;
            }
        }),
    },
    // HTTP-level conventions and version negotiation (errors::, versions:: cases).
    Fault {
        name: "method-not-allowed-without-allow",
        breaks: "405 Method Not Allowed answers carry no Allow header",
        caught_by: &[
            "errors::wrong-method-",
            "schemas::other-methods-on-a-schema-are-405",
            "tags::post-on-a-tag-is-405",
        ],
        bend: Bend::Response(|_, r| {
            r.headers.remove(axum::http::header::ALLOW);
        }),
    },
    Fault {
        name: "allow-names-an-extra-method",
        breaks: "405 answers carry an Allow header that names one method the route does not take (OPTIONS)",
        caught_by: &["errors::wrong-method-", "tags::post-on-a-tag-is-405"],
        bend: Bend::Response(|_, r| {
            let allow = r.headers.get(axum::http::header::ALLOW).cloned();
            let bent = allow
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| HeaderValue::from_str(&format!("{v}, OPTIONS")).ok());
            if let Some(v) = bent {
                r.headers.insert(axum::http::header::ALLOW, v);
            }
        }),
    },
    Fault {
        name: "unknown-version-path-404",
        breaks: "a path under a version the server does not serve answers 404 instead of 300 with the versions",
        caught_by: &["versions::unadvertised-version-path-answers-300"],
        bend: Bend::Response(|c, r| {
            if c.path != "/" && r.status == StatusCode::MULTIPLE_CHOICES {
                *r = Reply::empty(StatusCode::NOT_FOUND);
            }
        }),
    },
    Fault {
        name: "v2-not-redirected",
        breaks: "GET /v2 answers 404 instead of redirecting to /v2/",
        caught_by: &["versions::v2-without-trailing-slash-redirects"],
        bend: Bend::Response(|_, r| {
            if r.status == StatusCode::FOUND {
                *r = Reply::empty(StatusCode::NOT_FOUND);
            }
        }),
    },
    // Stores, copy-image, web-download and format inspection.
    Fault {
        name: "upload-ignores-store-header",
        breaks: "an upload ignores X-Image-Meta-Store and always goes to the default store",
        caught_by: &["stores::upload-to-a-named-store"],
        bend: Bend::Request(|c| {
            if c.is(Method::PUT, IMAGE_FILE) {
                c.headers.remove("x-image-meta-store");
            }
            None
        }),
    },
    Fault {
        name: "prefer-ignored",
        breaks: "a download ignores `prefer`, also when it names a store that does not exist",
        caught_by: &["stores::download-preferring-an-unknown-store-is-400"],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, IMAGE_FILE) {
                c.drop_query(&["prefer"]);
            }
            None
        }),
    },
    Fault {
        name: "prefer-refused",
        breaks: "a download with `prefer` is refused with 400 even for the store holding the data",
        caught_by: &["stores::download-preferring-the-store-that-holds-the-data"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGE_FILE) && c.query.iter().any(|(k, _)| k == "prefer") {
                *r = Reply::empty(StatusCode::BAD_REQUEST);
            }
        }),
    },
    Fault {
        name: "store-delete-refusals-as-400",
        breaks: "DELETE /v2/stores/{store}/{id} answers every refusal (only store, unknown store, queued or unknown image) with 400",
        caught_by: &[
            "stores::delete-from-the-only-store-is-403",
            "stores::delete-from-an-unknown-store-is-409",
            "stores::delete-from-store-of-a-queued-image-is-409",
            "stores::delete-from-store-of-an-unknown-image-is-404",
        ],
        bend: Bend::Response(|c, r| {
            if c.is(Method::DELETE, STORE_IMAGE) && r.status.is_client_error() {
                r.status = StatusCode::BAD_REQUEST;
            }
        }),
    },
    Fault {
        name: "store-delete-does-nothing",
        breaks: "DELETE /v2/stores/{store}/{id} answers 204 and leaves the data where it was",
        caught_by: &["stores::delete-from-one-of-two-stores"],
        bend: Bend::Request(|c| {
            c.is(Method::DELETE, STORE_IMAGE)
                .then(|| Reply::empty(StatusCode::NO_CONTENT))
        }),
    },
    Fault {
        name: "copy-image-refusals-accepted",
        breaks: "copy-image answers 202 where it must refuse (queued image, non-admin caller, store already holding the data, unknown store)",
        caught_by: &["images.import.copy-image::copy-"],
        bend: Bend::Response(|c, r| {
            if import_method(c).as_deref() == Some("copy-image") && r.status.is_client_error() {
                *r = Reply::empty(StatusCode::ACCEPTED);
            }
        }),
    },
    Fault {
        name: "copy-image-does-nothing",
        breaks: "copy-image answers 202 and copies nothing",
        caught_by: &["images.import.copy-image::copy-by-an-admin-ends-in-both-stores"],
        bend: Bend::Request(|c| {
            (import_method(c).as_deref() == Some("copy-image"))
                .then(|| Reply::empty(StatusCode::ACCEPTED))
        }),
    },
    Fault {
        name: "web-download-does-nothing",
        breaks: "web-download answers 202 and never fetches anything: the image stays queued",
        caught_by: &["images.import.web-download::web-download-makes-the-image-active"],
        bend: Bend::Request(|c| {
            (import_method(c).as_deref() == Some("web-download"))
                .then(|| Reply::empty(StatusCode::ACCEPTED))
        }),
    },
    Fault {
        name: "web-download-ignores-stores",
        breaks: "web-download ignores `stores` and `all_stores` and imports into the default store",
        caught_by: &[
            "images.import.web-download::web-download-into-a-named-store",
            "images.import.web-download::web-download-into-all-stores",
        ],
        bend: Bend::Request(|c| {
            if import_method(c).as_deref() == Some("web-download") {
                if let Some(mut body) = c.json() {
                    if let Some(o) = body.as_object_mut() {
                        o.remove("stores");
                        o.remove("all_stores");
                    }
                    c.set_json(&body);
                }
            }
            None
        }),
    },
    Fault {
        name: "web-download-refusals-accepted",
        breaks: "web-download answers 202 where it must refuse (image not queued, no container_format, no or filtered URI, unknown store, not the owner)",
        caught_by: &[
            "images.import.web-download::web-download-without-",
            "images.import.web-download::web-download-into-an-",
            "images.import.web-download::web-download-into-a-staged-image-is-409",
            "images.import.web-download::web-download-of-a-file-uri-is-400",
            "images.import.web-download::web-download-by-another-project-is-403",
        ],
        bend: Bend::Response(|c, r| {
            if import_method(c).as_deref() == Some("web-download") && r.status.is_client_error()
            {
                *r = Reply::empty(StatusCode::ACCEPTED);
            }
        }),
    },
    Fault {
        name: "format-inspection-off",
        breaks: "uploaded data is stored whatever its format, also when it contradicts disk_format",
        caught_by: &[
            "images.data.formats::raw-data-declared-qcow2-is-refused",
            "images.data.formats::qcow2-data-declared-vmdk-is-refused",
        ],
        bend: Bend::Response(|c, r| {
            let octets = c
                .headers
                .get(CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes() == b"application/octet-stream");
            if c.is(Method::PUT, IMAGE_FILE)
                && octets
                && r.status == StatusCode::UNSUPPORTED_MEDIA_TYPE
            {
                *r = Reply::empty(StatusCode::NO_CONTENT);
            }
        }),
    },
    Fault {
        name: "qcow2-virtual-size-is-file-size",
        breaks: "a qcow2 image's virtual_size is its file size instead of the disk size its header states",
        caught_by: &["images.data.formats::qcow2-data-declared-qcow2-shows-its-virtual-size"],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| {
                    if o.get("disk_format") == Some(&Value::from("qcow2")) {
                        if let Some(size) = o.get("size").filter(|v| v.is_number()).cloned() {
                            o.insert("virtual_size".into(), size);
                        }
                    }
                });
            }
        }),
    },
    Fault {
        name: "qcow2-refused-as-raw",
        breaks: "qcow2 data uploaded to a raw image is refused with 415, though any bytes may be a raw disk",
        caught_by: &["images.data.formats::qcow2-data-declared-raw-is-accepted"],
        bend: Bend::Racy(|app, call| {
            Box::pin(async move {
                if !call.is(Method::PUT, IMAGE_FILE) || !call.body.starts_with(b"QFI\xfb") {
                    return None;
                }
                let id = call.path.trim_start_matches('/').split('/').nth(2)?;
                let raw = app.store().get_live(id)?.disk_format.as_deref() == Some("raw");
                raw.then(|| Reply::empty(StatusCode::UNSUPPORTED_MEDIA_TYPE))
            })
        }),
    },
    Fault {
        name: "list-pages-by-offset",
        breaks: "`next` links count images from the start of the list instead of naming a marker, so images created during a walk shift the pages (repeats)",
        caught_by: &["images.list::walk-under-concurrent-creation-sees-each-image-once"],
        bend: Bend::Racy(|app, call| {
            Box::pin(async move {
                let param = |k: &str| {
                    call.query
                        .iter()
                        .find(|(n, _)| n == k)
                        .and_then(|(_, v)| v.parse::<usize>().ok())
                };
                if !call.is(Method::GET, IMAGES) {
                    return None;
                }
                let limit = param("limit")?;
                let offset = param("offset").unwrap_or(0);
                let mut whole = call.clone();
                whole.drop_query(&["offset", "marker", "limit"]);
                whole.query.push(("limit".into(), "1000".into()));
                let mut reply = send(&app, &whole).await;
                if reply.status != StatusCode::OK {
                    return None;
                }
                let mut doc: Value = serde_json::from_slice(&reply.body).ok()?;
                let images = doc.get("images")?.as_array()?.clone();
                doc["images"] = images.iter().skip(offset).take(limit).cloned().collect();
                let obj = doc.as_object_mut()?;
                obj.remove("next");
                if offset + limit < images.len() {
                    let mut query = call.query.clone();
                    query.retain(|(k, _)| k != "offset" && k != "marker");
                    query.push(("offset".into(), (offset + limit).to_string()));
                    let query = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(&query)
                        .finish();
                    obj.insert("next".into(), format!("/v2/images?{query}").into());
                }
                reply.body = Bytes::from(doc.to_string());
                Some(reply)
            })
        }),
    },
    // Tasks, locations and the image cache.
    Fault {
        name: "image-tasks-always-empty",
        breaks: "an image's task list is always empty: imports and locations leave no task",
        caught_by: &[
            "tasks::image-tasks-show-the-import-task",
            "tasks::admin-shows-the-import-task",
            "locations::add-location-as-service-starts-a-location-import",
        ],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGE_TASKS) && r.status == StatusCode::OK {
                r.body = Bytes::from(r#"{"tasks": []}"#);
            }
        }),
    },
    Fault {
        name: "image-tasks-never-404",
        breaks: "the tasks of an unknown or unreadable image are an empty list instead of 404",
        caught_by: &[
            "tasks::image-tasks-of-unknown-image-is-404",
            "tasks::image-tasks-of-another-projects-private-image-is-404",
        ],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGE_TASKS) && r.status == StatusCode::NOT_FOUND {
                *r = json_reply(StatusCode::OK, r#"{"tasks": []}"#);
            }
        }),
    },
    Fault {
        name: "tasks-open-to-members",
        breaks: "the admin-only tasks API serves project members",
        caught_by: &[
            "tasks::task-list-for-a-member-is-403",
            "tasks::show-task-for-a-member-is-403",
            "tasks::create-task-for-a-member-is-403",
        ],
        bend: Bend::Request(|c| {
            if c.path.starts_with("/v2/tasks") {
                add_role(c, "admin");
            }
            None
        }),
    },
    Fault {
        name: "task-filters-unchecked",
        breaks: "task list filters outside the schema's enums are ignored instead of refused",
        caught_by: &["tasks::task-list-filters-outside-the-enums-are-400"],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, TASKS) {
                c.query.retain(|(k, v)| match k.as_str() {
                    "status" => ["pending", "processing", "success", "failure"].contains(&v.as_str()),
                    "type" => ["import", "api_image_import", "location_import"].contains(&v.as_str()),
                    _ => true,
                });
            }
            None
        }),
    },
    Fault {
        name: "task-limit-ignored",
        breaks: "the task list ignores `limit`",
        caught_by: &["tasks::admin-task-list-honours-limit"],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, TASKS) {
                c.drop_query(&["limit"]);
            }
            None
        }),
    },
    Fault {
        name: "task-type-unchecked",
        breaks: "a task of an unknown type is created instead of refused",
        caught_by: &["tasks::create-task-with-unknown-type-is-400"],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, TASKS) {
                c.edit_json(|v| {
                    let known = v["type"]
                        .as_str()
                        .is_some_and(|t| ["import", "api_image_import", "location_import"].contains(&t));
                    if v["type"].is_string() && !known {
                        v["type"] = "api_image_import".into();
                    }
                });
            }
            None
        }),
    },
    Fault {
        name: "legacy-import-unfiltered",
        breaks: "a legacy import task may download from the service's own host",
        caught_by: &["tasks::legacy-import-from-a-loopback-url-is-400"],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, TASKS) {
                c.edit_json(|v| {
                    if let Some(from) = v["input"]["import_from"].as_str() {
                        v["input"]["import_from"] =
                            from.replace("://127.", "://203.").into();
                    }
                });
            }
            None
        }),
    },
    Fault {
        name: "task-schema-drops-failure",
        breaks: "the task schemas leave `failure` out of the status enum",
        caught_by: &[
            "tasks::task-schema-has-the-documented-shape",
            "tasks::tasks-schema-describes-a-list-of-tasks",
        ],
        bend: Bend::Response(|c, r| {
            if c.path.starts_with("/v2/schemas/task") {
                r.edit_json(|v| {
                    for at in [
                        "/properties/status/enum",
                        "/properties/tasks/items/properties/status/enum",
                    ] {
                        if let Some(a) = v.pointer_mut(at).and_then(Value::as_array_mut) {
                            a.retain(|s| s != "failure");
                        }
                    }
                });
            }
        }),
    },
    Fault {
        name: "location-body-unchecked",
        breaks: "an add-location body without `url` or with bad validation data is accepted",
        caught_by: &[
            "locations::add-location-without-url-is-400",
            "locations::add-location-hash-algo-without-value-is-400",
            "locations::add-location-hash-value-that-is-not-hex-is-400",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::POST, IMAGE_LOCATIONS) {
                c.edit_json(|v| {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("validation_data");
                        o.entry("url")
                            .or_insert_with(|| "file:///imgconf-fault/none".into());
                    }
                });
            }
            None
        }),
    },
    Fault {
        name: "location-added-to-active-image",
        breaks: "adding a location to an image that is not queued is accepted instead of 409",
        caught_by: &["locations::add-location-to-active-image-is-409"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::POST, IMAGE_LOCATIONS) && r.status == StatusCode::CONFLICT {
                *r = Reply::empty(StatusCode::ACCEPTED);
            }
        }),
    },
    Fault {
        name: "locations-open-to-everyone",
        breaks: "every project may add and list locations, as if it had the service role",
        caught_by: &[
            "locations::get-locations-as-owner-is-403",
            "locations::add-location-by-another-project-is-403",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::GET, IMAGE_LOCATIONS) || c.is(Method::POST, IMAGE_LOCATIONS) {
                add_role(c, "service");
            }
            None
        }),
    },
    Fault {
        name: "locations-always-empty",
        breaks: "an image's locations are an empty list even when it has data",
        caught_by: &["locations::get-locations-as-service-lists-where-the-data-is"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, IMAGE_LOCATIONS) && r.status == StatusCode::OK {
                r.body = Bytes::from("[]");
            }
        }),
    },
    Fault {
        name: "cache-open-to-members",
        breaks: "the admin-only cache API serves project members",
        caught_by: &[
            "cache::cache-calls-by-a-member-are-403",
            "cache::clean-and-prune-are-for-administrators",
        ],
        bend: Bend::Request(|c| {
            if c.path.starts_with("/v2/cache") {
                add_role(c, "admin");
            }
            None
        }),
    },
    Fault {
        name: "cache-queue-does-nothing",
        breaks: "queueing an image for caching answers 202 whatever the image, and caches nothing",
        caught_by: &[
            "cache::queued-active-image-gets-cached",
            "cache::queueing-an-image-without-data-is-400",
            "cache::queueing-an-unknown-image-is-404",
        ],
        bend: Bend::Request(|c| {
            (c.is(Method::PUT, CACHE_ENTRY)).then(|| Reply::empty(StatusCode::ACCEPTED))
        }),
    },
    Fault {
        name: "cache-entry-delete-does-nothing",
        breaks: "deleting a cache entry answers 204 whatever the id, and removes nothing",
        caught_by: &[
            "cache::deleting-a-cache-entry-removes-the-image-from-the-cache",
            "cache::deleting-the-cache-entry-of-an-unknown-image-is-404",
        ],
        bend: Bend::Request(|c| {
            (c.is(Method::DELETE, CACHE_ENTRY)).then(|| Reply::empty(StatusCode::NO_CONTENT))
        }),
    },
    Fault {
        name: "cache-clear-ignores-target",
        breaks: "clearing the cache ignores `x-image-cache-clear-target` and clears everything",
        caught_by: &[
            "cache::clearing-only-the-queue-keeps-cached-images",
            "cache::clear-with-an-unknown-target-is-400",
        ],
        bend: Bend::Request(|c| {
            if c.is(Method::DELETE, CACHE) {
                c.headers.remove("x-image-cache-clear-target");
            }
            None
        }),
    },
    Fault {
        name: "cache-state-without-queue",
        breaks: "the cache state has no `queued_images` list",
        caught_by: &["cache::cache-state-lists-cached-and-queued-images"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, CACHE) {
                r.remove_key("queued_images");
            }
        }),
    },
    Fault {
        name: "prune-counts-as-strings",
        breaks: "the prune answer gives its counts as strings",
        caught_by: &["cache::prune-reports-what-it-removed"],
        bend: Bend::Response(|c, r| {
            if c.is(Method::POST, &["v2", "cache", "prune"]) {
                r.edit_json(|v| {
                    if let Some(o) = v.as_object_mut() {
                        for n in o.values_mut() {
                            *n = n.to_string().into();
                        }
                    }
                });
            }
        }),
    },
    // What the common clients (openstacksdk, openstackclient, glanceclient) rely on.
    Fault {
        name: "os-hidden-case-sensitive",
        breaks: "`os_hidden=True` (as openstacksdk's find and glanceclient's `--hidden` send it) is refused with 400; only lower-case `true`/`false` pass",
        caught_by: &[
            "images.list::os-hidden-filter-value-is-case-insensitive",
            "clients::openstacksdk-find-image-by-name-among-hidden-images",
            "clients::glanceclient-image-list-hidden",
        ],
        bend: Bend::Request(|c| {
            let capitalised = c.is(Method::GET, IMAGES)
                && c.query
                    .iter()
                    .any(|(k, v)| k == "os_hidden" && v != "true" && v != "false");
            capitalised.then(|| Reply::empty(StatusCode::BAD_REQUEST))
        }),
    },
    Fault {
        name: "import-methods-as-a-string",
        breaks: "GET /v2/info/import gives `import-methods.value` as one comma-separated string (as the create response's header does) instead of a list",
        caught_by: &[
            "clients::clients-import-info",
            "discovery::import-info-lists-methods",
        ],
        bend: Bend::Response(|c, r| {
            if c.is(Method::GET, &["v2", "info", "import"]) {
                r.edit_json(|v| {
                    if let Some(list) = v.pointer("/import-methods/value").and_then(Value::as_array) {
                        let joined: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
                        v["import-methods"]["value"] = joined.join(",").into();
                    }
                });
            }
        }),
    },
    Fault {
        name: "deactivated-stores-shown",
        breaks: "a deactivated image shows its `stores` to every caller, not only to administrators",
        caught_by: &["actions::deactivated-image-shows-its-stores-only-to-administrators"],
        bend: Bend::Racy(|app, call| {
            Box::pin(async move {
                if !call.is(Method::GET, IMAGE) {
                    return None;
                }
                let id = call.path.trim_start_matches('/').split('/').nth(2)?;
                let stores = {
                    let store = app.store();
                    let img = store.get_live(id)?;
                    let shown = img.status == Status::Deactivated && !img.data.stores.is_empty();
                    shown.then(|| img.data.stores.join(","))?
                };
                let mut reply = send(&app, &call).await;
                reply.edit_images(|o| {
                    o.insert("stores".into(), stores.clone().into());
                });
                Some(reply)
            })
        }),
    },
    Fault {
        name: "stores-patch-read-only",
        breaks: "a PATCH of `/stores` (openstacksdk's `update_image` may send `remove /stores`) is refused as read-only (403) instead of acting on a property of that name (409 when absent, 200 for add)",
        caught_by: &["images.update::patch-of-stores-acts-on-a-property-of-that-name"],
        bend: Bend::Request(|c| {
            let touches_stores = c.is(Method::PATCH, IMAGE)
                && c.json()
                    .and_then(|v| v.as_array().cloned())
                    .is_some_and(|ops| ops.iter().any(|op| op["path"] == "/stores"));
            touches_stores.then(|| Reply::empty(StatusCode::FORBIDDEN))
        }),
    },
    Fault {
        name: "import-progress-properties-missing",
        breaks: "an image never shows the `os_glance_*` properties an import leaves (`os_glance_importing_to_stores`, `os_glance_failed_import`)",
        caught_by: &[
            "clients::openstacksdk-glance-direct-import",
            "images.import.web-download::failed-web-download-names-the-failed-store",
        ],
        bend: Bend::Response(|c, r| {
            if is_image_response(c) {
                r.edit_images(|o| o.retain(|k, _| !k.starts_with("os_glance_")));
            }
        }),
    },
];

/// The import method a `POST /v2/images/{id}/import` names, if it is one.
fn import_method(call: &Call) -> Option<String> {
    if !call.is(Method::POST, &["v2", "images", "*", "import"]) {
        return None;
    }
    call.json()?
        .pointer("/method/name")?
        .as_str()
        .map(str::to_string)
}

const IMAGE_FILE: &[&str] = &["v2", "images", "*", "file"];
const STORE_IMAGE: &[&str] = &["v2", "stores", "*", "*"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_each_names_its_catchers() {
        let mut seen = BTreeSet::new();
        for f in FAULTS {
            assert!(seen.insert(f.name), "duplicate fault {}", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                f.name
            );
            assert!(!f.caught_by.is_empty(), "{} names no case", f.name);
            assert!(!f.breaks.is_empty());
        }
    }

    /// A `caught_by` typo would otherwise show only in the whole mutation test.
    #[test]
    fn every_catcher_names_a_built_in_case() {
        let suite = crate::suite::Suite::load(None, None).unwrap();
        for f in FAULTS {
            for c in f.caught_by {
                assert!(
                    suite.cases.iter().any(|case| case.id.starts_with(c)),
                    "fault {}: no built-in case is named {c}",
                    f.name
                );
            }
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(Faults::parse(&["limit-ignored"]).is_ok());
        let err = Faults::parse(&["nope"]).unwrap_err();
        assert!(err.contains("unknown fault `nope`"), "{err}");
    }

    #[test]
    fn paths_match_by_shape() {
        assert!(path_is("/v2/images/abc/tags/x", TAG));
        assert!(!path_is("/v2/images/abc/tags", TAG));
        assert!(path_is("/v2/images", IMAGES));
    }
}
