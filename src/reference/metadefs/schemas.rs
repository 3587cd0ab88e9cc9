//! The ten metadefs schema documents (shaped like the ones Glance 33 serves) and request-body
//! validation against them: Glance validates each write body with the document it serves.

use serde_json::Value;

/// The names under `/v2/schemas/metadefs/`.
pub const SCHEMA_NAMES: [&str; 10] = [
    "namespace",
    "namespaces",
    "resource_type",
    "resource_types",
    "object",
    "objects",
    "property",
    "properties",
    "tag",
    "tags",
];

fn text(name: &str) -> &'static str {
    match name {
        "namespace" => include_str!("schemas/namespace.json"),
        "namespaces" => include_str!("schemas/namespaces.json"),
        "resource_type" => include_str!("schemas/resource_type.json"),
        "resource_types" => include_str!("schemas/resource_types.json"),
        "object" => include_str!("schemas/object.json"),
        "objects" => include_str!("schemas/objects.json"),
        "property" => include_str!("schemas/property.json"),
        "properties" => include_str!("schemas/properties.json"),
        "tag" => include_str!("schemas/tag.json"),
        "tags" => include_str!("schemas/tags.json"),
        _ => "null",
    }
}

/// The document served at `/v2/schemas/metadefs/{name}` (`null` for an unknown name).
pub fn document(name: &str) -> Value {
    serde_json::from_str(text(name)).unwrap_or(Value::Null)
}

/// Checks `body` against the schema `name`; the error names the first violation.
pub fn validate(name: &str, body: &Value) -> Result<(), String> {
    let mut schema = document(name);
    if name == "tags" {
        // Glance checks bulk tag bodies with a stricter form of the served list schema.
        schema["additionalProperties"] = Value::Bool(false);
    }
    let title = schema
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_string();
    let Ok(validator) = jsonschema::draft4::new(&schema) else {
        return Ok(());
    };
    let first = validator.iter_errors(body).next().map(|e| e.to_string());
    match first {
        None => Ok(()),
        Some(e) => Err(format!(
            "Provided object does not match schema '{title}': {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_document_parses_and_names_itself() {
        let names: Vec<String> = SCHEMA_NAMES
            .iter()
            .map(|n| document(n)["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "namespace",
                "namespaces",
                "resource_type_association",
                "resource_type_associations",
                "object",
                "objects",
                "property",
                "properties",
                "tag",
                "tags"
            ]
        );
        for n in SCHEMA_NAMES {
            assert!(jsonschema::draft4::new(&document(n)).is_ok(), "{n}");
        }
        assert_eq!(document("bogus"), Value::Null);
    }

    #[test]
    fn validation() {
        assert_eq!(validate("namespace", &json!({"namespace": "n"})), Ok(()));
        assert!(validate("namespace", &json!({"display_name": "n"})).is_err());
        assert!(validate(
            "namespace",
            &json!({"namespace": "n", "visibility": "shared"})
        )
        .is_err());
        assert!(validate("namespace", &json!({"namespace": "n", "bogus": 1})).is_err());
        assert!(validate("namespace", &json!({"namespace": "n".repeat(81)})).is_err());
        let e = validate(
            "object",
            &json!({"name": "o", "properties": {"p": {"type": "string"}}}),
        );
        assert!(e
            .unwrap_err()
            .starts_with("Provided object does not match schema 'object'"));
        assert!(validate(
            "property",
            &json!({"name": "p", "title": "P", "type": "string"})
        )
        .is_ok());
        assert!(validate(
            "property",
            &json!({"name": "p", "title": "P", "type": "weird"})
        )
        .is_err());
        assert!(validate("property", &json!({"name": "p", "type": "string"})).is_err());
        assert!(validate("tags", &json!({"tags": [{"name": "a"}]})).is_ok());
        assert!(validate("tags", &json!({"nope": 1})).is_err());
        assert!(validate("resource_type", &json!({"prefix": "x"})).is_err());
    }
}
