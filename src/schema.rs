//! The JSON schemas responses are checked against (`fixtures/schemas/*.json`).
//!
//! Images v2 schema documents carry no `$schema`; they are Draft 4 documents, so every validator
//! is built as Draft 4 explicitly (the crate's default would be 2020-12, which treats `format` as
//! an annotation and would let a malformed timestamp through).

use crate::source::SourceFile;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

pub struct SchemaSet {
    validators: BTreeMap<String, jsonschema::Validator>,
    /// A profile's overrides: the name a case uses → the fixture checked in its place.
    aliases: BTreeMap<String, String>,
}

/// One violation, with where it is in the instance and which keyword it broke.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SchemaError {
    pub instance_path: String,
    pub schema_path: String,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {} (schema {})", self.message, self.schema_path)
    }
}

impl SchemaSet {
    /// Compiles every `*.json` file; the schema's name is its file stem.
    pub fn compile(files: &[SourceFile]) -> Result<SchemaSet, String> {
        let mut validators = BTreeMap::new();
        for file in files {
            let Some(name) = file.stem() else { continue };
            let doc: Value = serde_json::from_str(&file.text)
                .map_err(|e| format!("{}: not JSON: {e}", file.path))?;
            let validator = jsonschema::draft4::new(&doc)
                .map_err(|e| format!("{}: not a valid Draft 4 schema: {e}", file.path))?;
            validators.insert(name.to_string(), validator);
        }
        Ok(SchemaSet {
            validators,
            aliases: BTreeMap::new(),
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// From now on, a case naming `name` is checked against fixture `with` instead.
    pub fn replace(&mut self, name: &str, with: &str) -> Result<(), String> {
        for n in [name, with] {
            if !self.contains(n) {
                return Err(format!("no schema fixture `{n}`"));
            }
        }
        self.aliases.insert(name.to_string(), with.to_string());
        Ok(())
    }

    /// Every violation of schema `name` (not just the first); empty when valid.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<Vec<SchemaError>, String> {
        let name = self.aliases.get(name).map_or(name, String::as_str);
        let validator = self
            .validators
            .get(name)
            .ok_or_else(|| format!("no schema named `{name}`"))?;
        Ok(errors_of(validator, instance))
    }
}

/// Every violation of `schema` (a Draft 4 document given as a value, e.g. one a target served).
pub fn validate_with(schema: &Value, instance: &Value) -> Result<Vec<SchemaError>, String> {
    let validator = jsonschema::draft4::new(schema)
        .map_err(|e| format!("the given schema is not a valid Draft 4 schema: {e}"))?;
    Ok(errors_of(&validator, instance))
}

fn errors_of(validator: &jsonschema::Validator, instance: &Value) -> Vec<SchemaError> {
    validator
        .iter_errors(instance)
        .map(|e| SchemaError {
            instance_path: e.instance_path().as_str().to_string(),
            schema_path: e.schema_path().as_str().to_string(),
            // The masked message leaves out the offending value, which can be a whole document.
            message: e.masked().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> SchemaSet {
        let schema = json!({
            "name": "thing",
            "properties": {
                "id": {"type": "string"},
                "when": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "additionalProperties": {"type": "string"}
        });
        SchemaSet::compile(&[SourceFile::new(
            "fixtures/schemas/thing.json",
            schema.to_string(),
        )])
        .unwrap()
    }

    #[test]
    fn reports_every_error_with_its_instance_path() {
        let errors = set()
            .validate(
                "thing",
                &json!({"id": 5, "when": "yesterday", "tags": ["a", 1], "x": 2}),
            )
            .unwrap();
        let paths: Vec<_> = errors.iter().map(|e| e.instance_path.as_str()).collect();
        for p in ["/id", "/when", "/tags/1", "/x"] {
            assert!(paths.contains(&p), "missing {p} in {paths:?}");
        }
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn valid_instance_has_no_errors_and_unknown_names_are_reported() {
        let s = set();
        assert!(s
            .validate("thing", &json!({"id": "a", "when": "2026-01-02T03:04:05Z"}))
            .unwrap()
            .is_empty());
        assert!(s
            .validate("nope", &json!({}))
            .unwrap_err()
            .contains("no schema named `nope`"));
    }

    #[test]
    fn schemas_given_as_values_validate_too() {
        let schema = json!({"properties": {"n": {"type": "integer"}}});
        let errors = validate_with(&schema, &json!({"n": "x"})).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].instance_path, "/n");
        let err = validate_with(&json!({"type": 5}), &json!({})).unwrap_err();
        assert!(err.contains("not a valid Draft 4 schema"), "{err}");
    }

    #[test]
    fn a_broken_schema_file_names_the_file() {
        let err = SchemaSet::compile(&[SourceFile::new("fixtures/schemas/bad.json", "{".into())])
            .err()
            .unwrap();
        assert!(
            err.starts_with("fixtures/schemas/bad.json: not JSON"),
            "{err}"
        );
    }
}
