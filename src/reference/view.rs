//! The image entity as the API shows it (B039, B041, B042).

use serde_json::{Map, Value};

use super::identity::Caller;
use super::state::{format_time, Image, Status};

fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// The custom properties, then every base property (null when unset), the links, and the
/// stores holding the data: Glance's order. Clients that compute a JSON patch from the entity
/// (glanceclient) order their operations by it.
///
/// The stores come from the image's locations, which Glance does not load for a deactivated
/// image unless the caller is an administrator (B288); a custom property named `stores` (a
/// PATCH may add one, B289) shows where no store is known.
pub fn image(img: &Image, caller: &Caller) -> Value {
    let mut m = Map::new();
    for (k, v) in &img.extra {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    m.insert("name".into(), opt_str(&img.name));
    m.insert("disk_format".into(), opt_str(&img.disk_format));
    m.insert("container_format".into(), opt_str(&img.container_format));
    m.insert("visibility".into(), img.visibility.as_str().into());
    m.insert("size".into(), opt_int(img.data.size));
    m.insert("virtual_size".into(), opt_int(img.data.virtual_size));
    m.insert("status".into(), img.status.as_str().into());
    m.insert("checksum".into(), opt_str(&img.data.checksum));
    m.insert("protected".into(), img.protected.into());
    m.insert("min_ram".into(), img.min_ram.into());
    m.insert("min_disk".into(), img.min_disk.into());
    m.insert("owner".into(), opt_str(&img.owner));
    m.insert("os_hidden".into(), img.os_hidden.into());
    m.insert("os_hash_algo".into(), opt_str(&img.data.os_hash_algo));
    m.insert("os_hash_value".into(), opt_str(&img.data.os_hash_value));
    m.insert("id".into(), Value::String(img.id.clone()));
    m.insert("created_at".into(), format_time(&img.created_at).into());
    m.insert("updated_at".into(), format_time(&img.updated_at).into());
    m.insert(
        "tags".into(),
        Value::Array(img.tags.iter().cloned().map(Value::String).collect()),
    );
    m.insert("self".into(), format!("/v2/images/{}", img.id).into());
    m.insert("file".into(), format!("/v2/images/{}/file", img.id).into());
    m.insert("schema".into(), "/v2/schemas/image".into());
    let locations_shown = img.status != Status::Deactivated || caller.is_admin;
    if locations_shown && !img.data.stores.is_empty() {
        m.insert("stores".into(), Value::String(img.data.stores.join(",")));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::state::now;

    #[test]
    fn fresh_image_view() {
        let mut img = Image::new("abc".into(), 1, now());
        img.extra.insert("login-user".into(), "kvothe".into());
        let v = image(&img, &Caller::noauth());
        assert_eq!(v["status"], "queued");
        assert_eq!(v["visibility"], "shared");
        assert_eq!(v["size"], Value::Null);
        assert_eq!(v["owner"], Value::Null);
        assert_eq!(v["min_ram"], 0);
        assert_eq!(v["tags"], serde_json::json!([]));
        assert_eq!(v["self"], "/v2/images/abc");
        assert_eq!(v["file"], "/v2/images/abc/file");
        assert_eq!(v["schema"], "/v2/schemas/image");
        assert_eq!(v["created_at"], v["updated_at"]);
        assert_eq!(v["login-user"], "kvothe");
        assert!(v.get("stores").is_none());
        let ts = v["created_at"].as_str().unwrap();
        assert_eq!(ts.len(), 20);
        assert!(ts.ends_with('Z'));
    }

    #[test]
    fn entities_validate_against_the_served_schema() {
        use crate::reference::state::{Status, Visibility};
        let schema = crate::reference::schemas::image();
        let validator = jsonschema::draft4::new(&schema).unwrap();
        let mut img = Image::new("e7db3b45-8db7-47ad-8109-3fb55c2c24fd".into(), 1, now());
        assert!(validator.is_valid(&image(&img, &Caller::noauth())));
        img.name = Some("n".into());
        img.visibility = Visibility::Community;
        img.status = Status::Active;
        img.container_format = Some("bare".into());
        img.disk_format = Some("qcow2".into());
        img.tags = vec!["a".into()];
        img.extra.insert("k".into(), "v".into());
        img.data.size = Some(5);
        img.data.checksum = Some("0".repeat(32));
        img.data.stores = vec!["fs".into()];
        let v = image(&img, &Caller::noauth());
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn custom_properties_come_first_and_stores_last() {
        let mut img = Image::new("abc".into(), 1, now());
        img.extra.insert("login-user".into(), "kvothe".into());
        img.data.stores = vec!["fs".into()];
        let v = image(&img, &Caller::noauth());
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.first().map(|k| k.as_str()), Some("login-user"));
        assert_eq!(keys.last().map(|k| k.as_str()), Some("stores"));
    }

    #[test]
    fn stores_of_a_deactivated_image_are_for_administrators() {
        use crate::reference::state::Status;
        let mut img = Image::new("abc".into(), 1, now());
        img.data.stores = vec!["fs".into()];
        img.status = Status::Deactivated;
        let member = Caller::confirmed(Some("p".into()), None, vec!["member".into()]);
        let admin = Caller::confirmed(Some("p".into()), None, vec!["admin".into()]);
        assert!(image(&img, &member).get("stores").is_none());
        assert_eq!(image(&img, &admin)["stores"], "fs");
        // A custom `stores` property shows where the caller sees no store.
        img.extra.insert("stores".into(), "mine".into());
        assert_eq!(image(&img, &member)["stores"], "mine");
        assert_eq!(image(&img, &admin)["stores"], "fs");
        img.status = Status::Active;
        assert_eq!(image(&img, &member)["stores"], "fs");
    }
}
