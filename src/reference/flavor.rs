//! Vendor flavors: the reference server behaving as a documented vendor variant of Glance, so
//! that a vendor profile can be certified for real without the vendor's cloud.
//!
//! `huawei-ims` implements only what Huawei Cloud IMS documents differently for its
//! "OpenStack native" calls (`spec/huawei-ims-*.zh.txt`; research §2):
//! - create accepts only `visibility: private` and defaults to it (HW1, 创建镜像元数据, 请求参数
//!   visibility);
//! - tags are `key=value` (HW1, 请求参数 tags: "tag中key的赋值方式为 key=value");
//! - a name is 1–255 characters (HW1, 请求参数 name);
//! - every image carries the vendor's `__`-prefixed properties and `virtual_env_type` (HW1,
//!   响应参数 and 响应样例); `__os_version` may be given on create and defaults to
//!   "Other Linux (64 bit)";
//! - the schema documents are IMS's (HW3, 查询镜像列表视图 响应样例): six statuses, two
//!   visibilities, the older format enums; values outside them are refused, and the calls that
//!   would lead to the missing statuses (deactivate/reactivate: `deactivated`; stage and
//!   interoperable import: `uploading`, `importing`) are not offered.
//!
//! It is a layer around the Glance reference (like the faults): requests are checked and
//! completed before the server sees them, answers completed after.

use axum::body::Bytes;
use axum::http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value};

use super::errors::{negotiate, ApiError};
use super::faults::{Call, Reply};

/// Which implementation the reference server is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Flavor {
    /// The Images API as the Glance documents describe it.
    #[default]
    Glance,
    /// Huawei Cloud IMS's "OpenStack native" Images v2 calls, as its documents describe them.
    HuaweiIms,
}

/// HW3: the served images schema, verbatim from the document's response sample.
const IMS_IMAGES_SCHEMA: &str = include_str!("schemas/huawei-ims-images.json");
const IMS_DISK_FORMATS: [&str; 9] = [
    "ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vdi", "iso",
];
const IMS_CONTAINER_FORMATS: [&str; 6] = ["ami", "ari", "aki", "bare", "ovf", "ova"];
const IMS_VISIBILITIES: [&str; 2] = ["public", "private"];
/// HW1: the default when a create names no `__os_version`.
const DEFAULT_OS_VERSION: &str = "Other Linux (64 bit)";

impl Flavor {
    pub fn is_glance(self) -> bool {
        self == Flavor::Glance
    }

    /// Checks and completes a request; `Some` answers in the server's place.
    pub(super) fn bend_request(self, call: &mut Call) -> Option<Reply> {
        if self.is_glance() {
            return None;
        }
        let refused = |message: String| Some(reject(call, ApiError::bad_request(message)));
        let segs: Vec<&str> = call.path.trim_start_matches('/').split('/').collect();
        match (call.method.clone(), segs.as_slice()) {
            (Method::POST, ["v2", "images"]) => {
                let Some(Value::Object(mut body)) = serde_json::from_slice(&call.body).ok() else {
                    return None; // not an object: the server's own checks answer
                };
                if let Err(m) = check_create(&body) {
                    return refused(m);
                }
                complete_create(&mut body);
                call.body = Bytes::from(Value::Object(body).to_string());
                None
            }
            (Method::PUT, ["v2", "images", _, "tags", tag]) => {
                let tag = super::request::percent_decode(tag)
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                check_tag(&tag).err().and_then(refused)
            }
            (Method::PATCH, ["v2", "images", _]) => {
                let ops: Value = serde_json::from_slice(&call.body).ok()?;
                for op in ops.as_array().into_iter().flatten() {
                    let path = op
                        .get("path")
                        .or_else(|| op.get("replace"))
                        .or_else(|| op.get("add"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let Some(value) = op.get("value") else {
                        continue;
                    };
                    if let Err(m) = check_value(path.trim_start_matches('/'), value) {
                        return refused(m);
                    }
                }
                None
            }
            // No `deactivated`, `uploading` or `importing` in IMS's status enum (HW3): the calls
            // that lead there are not offered, nor is the import discovery document.
            (Method::POST, ["v2", "images", _, "actions", _])
            | (_, ["v2", "images", _, "stage"])
            | (_, ["v2", "images", _, "import"])
            | (_, ["v2", "info", "import"]) => {
                call.path = "/v2/not-offered-by-huawei-ims".into();
                None
            }
            _ => None,
        }
    }

    /// Completes an answer: IMS's schema documents, the vendor's size property.
    pub(super) fn bend_response(self, call: &Call, reply: &mut Reply) {
        if self.is_glance() {
            return;
        }
        let schema = matches!(
            call.path.as_str(),
            "/v2/schemas/images" | "/v2/schemas/image"
        );
        if schema && call.method == Method::GET && reply.status == StatusCode::OK {
            let images: Value =
                serde_json::from_str(IMS_IMAGES_SCHEMA).expect("huawei-ims-images.json is JSON");
            let doc = if call.path == "/v2/schemas/images" {
                images
            } else {
                images["properties"]["images"]["items"].clone()
            };
            reply.body = Bytes::from(doc.to_string());
            return;
        }
        // `__image_size` is the vendor's record of the stored bytes (HW1: 镜像大小, 单位为字节).
        let Ok(mut v) = serde_json::from_slice::<Value>(&reply.body) else {
            return;
        };
        let mut changed = false;
        let mut fix = |o: &mut Map<String, Value>| {
            if o.contains_key("__image_size") {
                let size = o.get("size").and_then(Value::as_u64).unwrap_or(0);
                o.insert("__image_size".into(), size.to_string().into());
                changed = true;
            }
        };
        if let Some(list) = v.get_mut("images").and_then(Value::as_array_mut) {
            list.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(&mut fix);
        } else if let Some(o) = v.as_object_mut() {
            fix(o);
        }
        if changed {
            reply.body = Bytes::from(v.to_string());
        }
    }
}

/// HW1: only private images are created, names are 1–255 characters, tags are `key=value`;
/// HW3: formats and visibility within the served enums.
fn check_create(body: &Map<String, Value>) -> Result<(), String> {
    match body.get("visibility") {
        None => {}
        Some(Value::String(v)) if v == "private" => {}
        Some(v) => {
            return Err(format!(
                "Invalid visibility {v}: only private images can be created"
            ))
        }
    }
    for (key, value) in body {
        check_value(key, value)?;
    }
    Ok(())
}

/// A value for a base property, as IMS's documents limit it (other properties pass).
fn check_value(key: &str, value: &Value) -> Result<(), String> {
    let within = |allowed: &[&str]| match value.as_str() {
        Some(s) if !allowed.contains(&s) => Err(format!(
            "Invalid {key} '{s}': expected one of {}",
            allowed.join(", ")
        )),
        _ => Ok(()),
    };
    match key {
        "name" if value.as_str() == Some("") => {
            Err("Invalid name: a name is 1 to 255 characters long".into())
        }
        "tags" => value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .try_for_each(check_tag),
        "visibility" => within(&IMS_VISIBILITIES),
        "disk_format" => within(&IMS_DISK_FORMATS),
        "container_format" => within(&IMS_CONTAINER_FORMATS),
        _ => Ok(()),
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    match tag.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(()),
        _ => Err(format!("Invalid tag '{tag}': tags are key=value")),
    }
}

/// HW1 响应参数: private by default, and the vendor properties every image carries, derived from
/// `__os_version`. A client cannot set the derived ones.
fn complete_create(body: &mut Map<String, Value>) {
    body.entry("visibility").or_insert("private".into());
    let os_version = body
        .get("__os_version")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_OS_VERSION)
        .to_string();
    let os_type = if os_version.contains("Windows") {
        "Windows"
    } else {
        "Linux"
    };
    let platform = os_version.split(' ').next().unwrap_or("Other").to_string();
    let bits = if os_version.contains("32") {
        "32"
    } else {
        "64"
    };
    let env_type = if body.get("disk_format").and_then(Value::as_str) == Some("iso") {
        "IsoImage"
    } else {
        "FusionCompute"
    };
    for (k, v) in [
        ("__os_version", os_version.as_str()),
        ("__os_type", os_type),
        ("__platform", &platform),
        ("__os_bit", bits),
        ("__imagetype", "private"),
        ("__isregistered", "true"),
        ("__image_source_type", "uds"),
        ("__image_size", "0"),
        ("virtual_env_type", env_type),
    ] {
        body.insert(k.into(), v.into());
    }
}

fn reject(call: &Call, error: ApiError) -> Reply {
    let accept = call.headers.get(ACCEPT).and_then(|v| v.to_str().ok());
    let (content_type, body) = error.body(negotiate(accept));
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Reply {
        status: error.status,
        headers,
        body: Bytes::from(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_rules() {
        let ok = |v: Value| check_create(v.as_object().unwrap());
        assert!(ok(json!({"name": "n", "tags": ["a=b", "c="]})).is_ok());
        assert!(ok(json!({"visibility": "shared"})).is_err());
        assert!(ok(json!({"visibility": "private", "disk_format": "vhdx"})).is_err());
        assert!(ok(json!({"container_format": "docker"})).is_err());
        assert!(ok(json!({"tags": ["plain"]})).is_err());
        assert!(ok(json!({"tags": ["=v"]})).is_err());
        assert!(ok(json!({"name": ""})).is_err());
    }

    #[test]
    fn create_carries_the_vendor_properties() {
        let mut b = json!({"__os_version": "Windows Server 2019 32bit", "__imagetype": "public"});
        complete_create(b.as_object_mut().unwrap());
        assert_eq!(b["__os_type"], "Windows");
        assert_eq!(b["__os_bit"], "32");
        assert_eq!(b["__platform"], "Windows");
        assert_eq!(b["__imagetype"], "private");
        assert_eq!(b["visibility"], "private");
        let mut b = json!({});
        complete_create(b.as_object_mut().unwrap());
        assert_eq!(b["__os_version"], DEFAULT_OS_VERSION);
    }

    #[test]
    fn the_schema_document_is_hw3() {
        let doc: Value = serde_json::from_str(IMS_IMAGES_SCHEMA).unwrap();
        let status = &doc["properties"]["images"]["items"]["properties"]["status"]["enum"];
        assert_eq!(status.as_array().unwrap().len(), 6);
        assert_eq!(
            doc["properties"]["images"]["items"]["additionalProperties"]["type"],
            "String"
        );
    }
}
