//! Image attributes: which names are base, read-only or reserved, how values are checked
//! (what Glance's image schema validation does) and how writable ones are set.

use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::state::{dedupe, Image, Status, Visibility};

pub const UUID_PATTERN: &str =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

/// Served enums (B059).
pub const CONTAINER_FORMATS: [&str; 8] = [
    "ami",
    "ari",
    "aki",
    "bare",
    "ovf",
    "ova",
    "docker",
    "compressed",
];
pub const DISK_FORMATS: [&str; 11] = [
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];

/// Longest name, owner, tag and custom property key.
pub const MAX_STRING: usize = 255;
/// Glance's default `image_tag_quota` and `image_property_quota`.
pub const TAG_QUOTA: usize = 128;
pub const PROPERTY_QUOTA: usize = 128;

/// Attributes a client may never send on create (checked before schema validation).
pub const CREATE_DISALLOWED: [&str; 5] = ["direct_url", "self", "file", "schema", "stores"];
/// Attributes rejected on create after schema validation (B051; `os_hash_*` follow the
/// document, not Glance's silent drop, B052).
pub const CREATE_READ_ONLY: [&str; 8] = [
    "status",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
];
/// Attributes a PATCH may not touch (B102). Not `stores`: Glance's deserializer leaves it out,
/// so a PATCH of `/stores` acts on a custom property of that name (B289).
pub const PATCH_READ_ONLY: [&str; 13] = [
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "direct_url",
    "self",
    "file",
    "schema",
    "id",
    "os_hash_algo",
    "os_hash_value",
];
/// Reserved names (B054, B103).
pub const RESERVED: [&str; 3] = ["location", "deleted", "deleted_at"];
pub const RESERVED_PREFIX: &str = "os_glance";

pub fn is_reserved(key: &str) -> bool {
    RESERVED.contains(&key) || key.starts_with(RESERVED_PREFIX)
}

pub fn read_only(key: &str) -> ApiError {
    ApiError::forbidden(format!("Attribute '{key}' is read-only."))
}

pub fn reserved(key: &str) -> ApiError {
    ApiError::forbidden(format!("Attribute '{key}' is reserved."))
}

/// `8-4-4-4-12` hex digits, either case (the schema's `id` pattern).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8usize, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Base attributes that exist on every image and can be written through the API.
pub const WRITABLE_BASE: [&str; 10] = [
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "tags",
];

/// Whether `key` is a property of the image schema (otherwise it is a custom property).
pub fn is_base(key: &str) -> bool {
    matches!(
        key,
        "id" | "name"
            | "status"
            | "visibility"
            | "protected"
            | "os_hidden"
            | "checksum"
            | "os_hash_algo"
            | "os_hash_value"
            | "owner"
            | "size"
            | "virtual_size"
            | "container_format"
            | "disk_format"
            | "created_at"
            | "updated_at"
            | "tags"
            | "direct_url"
            | "min_ram"
            | "min_disk"
            | "self"
            | "file"
            | "stores"
            | "schema"
            | "locations"
    )
}

fn schema_error(reason: String) -> ApiError {
    ApiError::bad_request(format!(
        "Provided object does not match schema 'image': {reason}"
    ))
}

/// Python-like rendering of a JSON value in messages.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

fn type_error(value: &Value, types: &str) -> ApiError {
    schema_error(format!("{} is not of type {types}", show(value)))
}

fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64()
}

fn check_len(value: &Value, s: &str, max: usize) -> ApiResult<()> {
    if s.chars().count() > max {
        Err(schema_error(format!("{} is too long", show(value))))
    } else {
        Ok(())
    }
}

fn check_enum(value: &Value, s: &str, allowed: &[&str], nullable: bool) -> ApiResult<()> {
    if allowed.contains(&s) {
        return Ok(());
    }
    let mut list: Vec<String> = Vec::new();
    if nullable {
        list.push("None".into());
    }
    list.extend(allowed.iter().map(|a| format!("'{a}'")));
    Err(schema_error(format!(
        "{} is not one of [{}]",
        show(value),
        list.join(", ")
    )))
}

fn nullable_string(value: &Value, max: Option<usize>) -> ApiResult<()> {
    match value {
        Value::Null => Ok(()),
        Value::String(s) => max.map_or(Ok(()), |m| check_len(value, s, m)),
        _ => Err(type_error(value, "'null', 'string'")),
    }
}

fn plain_string(value: &Value) -> ApiResult<&str> {
    value.as_str().ok_or_else(|| type_error(value, "'string'"))
}

/// The schema check of one property value: base properties by their schema entry, custom
/// properties must be strings (`additionalProperties: {"type": "string"}`).
pub fn check_value(key: &str, value: &Value) -> ApiResult<()> {
    match key {
        "id" => {
            let s = plain_string(value)?;
            if is_uuid(s) {
                Ok(())
            } else {
                Err(schema_error(format!(
                    "{} does not match '{UUID_PATTERN}'",
                    show(value)
                )))
            }
        }
        "name" | "owner" => nullable_string(value, Some(MAX_STRING)),
        "checksum" => nullable_string(value, Some(32)),
        "os_hash_algo" => nullable_string(value, Some(64)),
        "os_hash_value" => nullable_string(value, Some(128)),
        "status" => {
            let s = plain_string(value)?;
            let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            check_enum(value, s, &all, false)
        }
        "visibility" => {
            let s = plain_string(value)?;
            let all: Vec<&str> = Visibility::ALL.iter().map(|v| v.as_str()).collect();
            check_enum(value, s, &all, false)
        }
        "protected" | "os_hidden" => {
            if value.is_boolean() {
                Ok(())
            } else {
                Err(type_error(value, "'boolean'"))
            }
        }
        "size" | "virtual_size" => {
            if value.is_null() || is_integer(value) {
                Ok(())
            } else {
                Err(type_error(value, "'null', 'integer'"))
            }
        }
        "container_format" | "disk_format" => {
            nullable_string(value, None)?;
            match value.as_str() {
                None => Ok(()),
                Some(s) if key == "container_format" => {
                    check_enum(value, s, &CONTAINER_FORMATS, true)
                }
                Some(s) => check_enum(value, s, &DISK_FORMATS, true),
            }
        }
        "min_ram" | "min_disk" => {
            if is_integer(value) {
                Ok(())
            } else {
                Err(type_error(value, "'integer'"))
            }
        }
        "tags" => {
            let items = value
                .as_array()
                .ok_or_else(|| type_error(value, "'array'"))?;
            for item in items {
                let s = plain_string(item)?;
                check_len(item, s, MAX_STRING)?;
            }
            Ok(())
        }
        "locations" => check_locations(value),
        "created_at" | "updated_at" | "direct_url" | "self" | "file" | "stores" | "schema" => {
            plain_string(value).map(|_| ())
        }
        _ => plain_string(value).map(|_| ()),
    }
}

fn check_locations(value: &Value) -> ApiResult<()> {
    let items = value
        .as_array()
        .ok_or_else(|| type_error(value, "'array'"))?;
    for item in items {
        let obj = item
            .as_object()
            .ok_or_else(|| type_error(item, "'object'"))?;
        for required in ["url", "metadata"] {
            if !obj.contains_key(required) {
                return Err(schema_error(format!("'{required}' is a required property")));
            }
        }
        let url = &obj["url"];
        check_len(url, plain_string(url)?, MAX_STRING)?;
        if !obj["metadata"].is_object() {
            return Err(type_error(&obj["metadata"], "'object'"));
        }
    }
    Ok(())
}

/// Sets a writable base attribute from an already schema-checked value, applying the domain
/// rules Glance applies on top of the schema (non-negative sizes, tag de-duplication).
pub fn set_base(image: &mut Image, key: &str, value: &Value) -> ApiResult<()> {
    check_value(key, value)?;
    let opt_string = |v: &Value| v.as_str().map(str::to_string);
    match key {
        "name" => image.name = opt_string(value),
        "owner" => image.owner = opt_string(value),
        "container_format" => image.container_format = opt_string(value),
        "disk_format" => image.disk_format = opt_string(value),
        "visibility" => {
            image.visibility = value
                .as_str()
                .and_then(Visibility::parse)
                .ok_or_else(|| type_error(value, "'string'"))?
        }
        "protected" => image.protected = value.as_bool().unwrap_or(false),
        "os_hidden" => image.os_hidden = value.as_bool().unwrap_or(false),
        "min_ram" | "min_disk" => {
            let n = value.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_request(format!("{key}: Cannot be a negative value."))
            })?;
            if key == "min_ram" {
                image.min_ram = n;
            } else {
                image.min_disk = n;
            }
        }
        "tags" => {
            let tags = value
                .as_array()
                .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)));
            image.tags = tags.map(dedupe).unwrap_or_default();
        }
        _ => return Err(read_only(key)),
    }
    Ok(())
}

/// 413 when an image would carry more tags or custom properties than the quotas allow.
pub fn check_quotas(image: &Image) -> ApiResult<()> {
    if image.tags.len() > TAG_QUOTA {
        return Err(ApiError::too_large(format!(
            "Maximum number of tags exceeded. Attempted: {}, Maximum: {TAG_QUOTA}",
            image.tags.len()
        )));
    }
    if image.extra.len() > PROPERTY_QUOTA {
        return Err(ApiError::too_large(format!(
            "Maximum number of image properties exceeded. Attempted: {}, Maximum: {PROPERTY_QUOTA}",
            image.extra.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use serde_json::json;

    fn status(r: ApiResult<()>) -> Option<StatusCode> {
        r.err().map(|e| e.status)
    }

    #[test]
    fn uuid_pattern() {
        assert!(is_uuid("e7db3b45-8db7-47ad-8109-3fb55c2c24fd"));
        assert!(is_uuid("E7DB3B45-8DB7-47AD-8109-3FB55C2C24FD"));
        assert!(!is_uuid("e7db3b45-8db7-47ad-8109-3fb55c2c24f"));
        assert!(!is_uuid("e7db3b458db747ad81093fb55c2c24fd"));
        assert!(!is_uuid("g7db3b45-8db7-47ad-8109-3fb55c2c24fd"));
        assert!(!is_uuid(""));
    }

    #[test]
    fn value_checks() {
        assert_eq!(status(check_value("name", &json!(null))), None);
        assert_eq!(status(check_value("name", &json!("x".repeat(255)))), None);
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            status(check_value("name", &json!("x".repeat(256)))),
            Some(bad)
        );
        assert_eq!(status(check_value("name", &json!(5))), Some(bad));
        assert_eq!(
            status(check_value("visibility", &json!("bogus"))),
            Some(bad)
        );
        assert_eq!(status(check_value("visibility", &json!("community"))), None);
        assert_eq!(status(check_value("disk_format", &json!(null))), None);
        assert_eq!(status(check_value("disk_format", &json!("qcow2"))), None);
        assert_eq!(
            status(check_value("disk_format", &json!("zvhd2"))),
            Some(bad)
        );
        assert_eq!(
            status(check_value("container_format", &json!("compressed"))),
            None
        );
        assert_eq!(status(check_value("min_ram", &json!("5"))), Some(bad));
        assert_eq!(status(check_value("min_ram", &json!(2.5))), Some(bad));
        assert_eq!(status(check_value("min_ram", &json!(-1))), None); // domain check later
        assert_eq!(status(check_value("protected", &json!("true"))), Some(bad));
        assert_eq!(status(check_value("tags", &json!("a"))), Some(bad));
        assert_eq!(status(check_value("tags", &json!(["a", 1]))), Some(bad));
        assert_eq!(
            status(check_value("tags", &json!(["y".repeat(256)]))),
            Some(bad)
        );
        assert_eq!(status(check_value("login-user", &json!("root"))), None);
        assert_eq!(status(check_value("login-user", &json!(1))), Some(bad));
        assert_eq!(status(check_value("login-user", &json!(null))), Some(bad));
        assert_eq!(status(check_value("id", &json!("nope"))), Some(bad));
        assert_eq!(status(check_value("status", &json!("active"))), None);
        assert_eq!(
            status(check_value("locations", &json!([{"url": "x"}]))),
            Some(bad)
        );
    }

    #[test]
    fn setters_apply_domain_rules() {
        let mut img = Image::new("id".into(), 1, crate::reference::state::now());
        assert_eq!(
            set_base(&mut img, "min_ram", &json!(-5))
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
        set_base(&mut img, "tags", &json!(["a", "b", "a"])).unwrap();
        assert_eq!(img.tags, vec!["a", "b"]);
        set_base(&mut img, "visibility", &json!("private")).unwrap();
        assert_eq!(img.visibility, Visibility::Private);
        set_base(&mut img, "name", &json!(null)).unwrap();
        assert_eq!(img.name, None);
        assert_eq!(
            set_base(&mut img, "status", &json!("active"))
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
    }
}
