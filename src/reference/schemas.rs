//! The JSON-schema documents served under `/v2/schemas/…` (B022–B031).
//!
//! The `image` and `member` documents are kept as JSON files shaped like the ones Glance 33
//! serves; the collection documents (`images`, `members`) are built from them the way Glance
//! builds them (`images` embeds the full image schema, `members` the minimal member schema).

use serde_json::{json, Value};

const IMAGE: &str = include_str!("schemas/image.json");
const MEMBER: &str = include_str!("schemas/member.json");
const TASK: &str = include_str!("schemas/task.json");

/// The served schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaName {
    Image,
    Images,
    Member,
    Members,
    Task,
    Tasks,
}

impl SchemaName {
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "image" => Some(SchemaName::Image),
            "images" => Some(SchemaName::Images),
            "member" => Some(SchemaName::Member),
            "members" => Some(SchemaName::Members),
            "task" => Some(SchemaName::Task),
            "tasks" => Some(SchemaName::Tasks),
            _ => None,
        }
    }
}

/// The image schema (`name: image`, permissive: additional properties are strings).
pub fn image() -> Value {
    serde_json::from_str(IMAGE).expect("schemas/image.json is valid JSON")
}

/// The member schema (`name: member`, no links, no additionalProperties).
pub fn member() -> Value {
    serde_json::from_str(MEMBER).expect("schemas/member.json is valid JSON")
}

/// A collection schema: `name`, the item array, `first`/`next`/`schema` strings and links.
pub fn images(image: &Value) -> Value {
    json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

/// The members collection schema (Glance serves the minimal form: members + schema).
pub fn members(member: &Value) -> Value {
    minimal_collection("members", member)
}

/// A collection schema in Glance's minimal form: the list under `name`, and `schema`.
fn minimal_collection(name: &str, item: &Value) -> Value {
    json!({
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

/// The task schema (B032), shaped like the one Glance 33 serves.
pub fn task() -> Value {
    serde_json::from_str(TASK).expect("schemas/task.json is valid JSON")
}

/// The tasks collection schema: list items leave out `input`, `result` and `message` (B032).
pub fn tasks() -> Value {
    let mut item = task();
    if let Some(props) = item["properties"].as_object_mut() {
        for key in ["input", "result", "message"] {
            props.remove(key);
        }
    }
    minimal_collection("tasks", &item)
}

/// The document for `name`.
pub fn document(name: SchemaName, image_schema: &Value) -> Value {
    match name {
        SchemaName::Image => image_schema.clone(),
        SchemaName::Images => images(image_schema),
        SchemaName::Member => member(),
        SchemaName::Members => members(&member()),
        SchemaName::Task => task(),
        SchemaName::Tasks => tasks(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::props;

    fn strings(v: &Value) -> Vec<Option<String>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn image_schema_shape() {
        let s = image();
        assert_eq!(s["name"], "image");
        assert_eq!(s["additionalProperties"], json!({"type": "string"}));
        assert_eq!(
            s["links"],
            json!([
                {"rel": "self", "href": "{self}"},
                {"rel": "enclosure", "href": "{file}"},
                {"rel": "describedby", "href": "{schema}"},
            ])
        );
        let p = &s["properties"];
        for key in [
            "id",
            "name",
            "status",
            "visibility",
            "protected",
            "os_hidden",
            "checksum",
            "os_hash_algo",
            "os_hash_value",
            "owner",
            "size",
            "virtual_size",
            "container_format",
            "disk_format",
            "created_at",
            "updated_at",
            "tags",
            "direct_url",
            "min_ram",
            "min_disk",
            "self",
            "file",
            "stores",
            "schema",
            "locations",
        ] {
            assert!(p.get(key).is_some(), "missing {key}");
        }
        assert_eq!(p["id"]["pattern"], props::UUID_PATTERN);
        assert_eq!(p["size"]["type"], json!(["null", "integer"]));
        for key in [
            "checksum",
            "created_at",
            "direct_url",
            "file",
            "os_hash_algo",
            "os_hash_value",
            "schema",
            "self",
            "size",
            "status",
            "updated_at",
            "virtual_size",
            "stores",
        ] {
            assert_eq!(p[key]["readOnly"], true, "{key} readOnly");
        }
        assert!(p["id"].get("readOnly").is_none());
    }

    #[test]
    fn enums_match_the_validation_tables() {
        let p = image()["properties"].clone();
        let with_null = |list: &[&str]| {
            let mut v = vec![None];
            v.extend(list.iter().map(|s| Some(s.to_string())));
            v
        };
        assert_eq!(
            strings(&p["container_format"]["enum"]),
            with_null(&props::CONTAINER_FORMATS)
        );
        assert_eq!(
            strings(&p["disk_format"]["enum"]),
            with_null(&props::DISK_FORMATS)
        );
        let vis: Vec<Option<String>> = crate::reference::state::Visibility::ALL
            .iter()
            .map(|v| Some(v.as_str().to_string()))
            .collect();
        assert_eq!(strings(&p["visibility"]["enum"]), vis);
        let st: Vec<Option<String>> = crate::reference::state::Status::ALL
            .iter()
            .map(|v| Some(v.as_str().to_string()))
            .collect();
        assert_eq!(strings(&p["status"]["enum"]), st);
    }

    #[test]
    fn collections_embed_items() {
        let img = image();
        let c = images(&img);
        assert_eq!(c["properties"]["images"]["items"], img);
        assert_eq!(c["links"][1], json!({"rel": "next", "href": "{next}"}));
        let m = members(&member());
        assert_eq!(m["properties"]["members"]["items"]["name"], "member");
        assert_eq!(member()["properties"]["schema"]["readOnly"], true);
    }
}
