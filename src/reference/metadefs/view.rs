//! Metadefs entities as the API shows them (attributes that are unset are left out, like
//! Glance's WSME rendering).

use serde_json::{json, Map, Value};

use super::super::state::format_time;
use super::store::{Association, MdObject, MdTag, Namespace, ResourceType};

pub fn namespace_href(name: &str) -> String {
    format!("/v2/metadefs/namespaces/{name}")
}

fn put_opt(m: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        m.insert(key.into(), Value::String(v.clone()));
    }
}

/// The namespace's own attributes and links.
fn namespace_base(ns: &Namespace) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("namespace".into(), ns.name.clone().into());
    put_opt(&mut m, "display_name", &ns.display_name);
    put_opt(&mut m, "description", &ns.description);
    m.insert("visibility".into(), ns.visibility.as_str().into());
    m.insert("protected".into(), ns.protected.into());
    put_opt(&mut m, "owner", &ns.owner);
    m.insert("created_at".into(), format_time(&ns.created_at).into());
    m.insert("updated_at".into(), format_time(&ns.updated_at).into());
    m
}

fn links(mut m: Map<String, Value>, ns: &Namespace) -> Value {
    m.insert("self".into(), namespace_href(&ns.name).into());
    m.insert("schema".into(), "/v2/schemas/metadefs/namespace".into());
    Value::Object(m)
}

/// Update answers: attributes and links only.
pub fn namespace(ns: &Namespace) -> Value {
    links(namespace_base(ns), ns)
}

/// List entries: attributes, resource-type associations (when any) and links.
pub fn namespace_summary(ns: &Namespace) -> Value {
    let mut m = namespace_base(ns);
    if !ns.associations.is_empty() {
        m.insert(
            "resource_type_associations".into(),
            Value::Array(ns.associations.iter().map(association).collect()),
        );
    }
    links(m, ns)
}

/// Show (and create) answers: everything the namespace holds; `prefix` is prepended to
/// property names (`?resource_type=` of a prefixed association).
pub fn namespace_detail(ns: &Namespace, prefix: Option<&str>) -> Value {
    let mut m = namespace_base(ns);
    let p = prefix.unwrap_or("");
    if !ns.associations.is_empty() {
        m.insert(
            "resource_type_associations".into(),
            Value::Array(ns.associations.iter().map(association).collect()),
        );
    }
    if !ns.properties.is_empty() {
        let props: Map<String, Value> = ns
            .properties
            .iter()
            .map(|(k, v)| (format!("{p}{k}"), Value::Object(v.clone())))
            .collect();
        m.insert("properties".into(), Value::Object(props));
    }
    if !ns.objects.is_empty() {
        m.insert(
            "objects".into(),
            Value::Array(ns.objects.iter().map(|o| object(&ns.name, o, p)).collect()),
        );
    }
    if !ns.tags.is_empty() {
        m.insert(
            "tags".into(),
            Value::Array(ns.tags.iter().map(|t| json!({"name": t.name})).collect()),
        );
    }
    links(m, ns)
}

/// An object; `prefix` is prepended to its property names and required names.
pub fn object(ns: &str, o: &MdObject, prefix: &str) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), o.name.clone().into());
    put_opt(&mut m, "description", &o.description);
    m.insert(
        "required".into(),
        o.required
            .iter()
            .map(|r| Value::String(format!("{prefix}{r}")))
            .collect(),
    );
    let props: Map<String, Value> = o
        .properties
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
        .collect();
    m.insert("properties".into(), Value::Object(props));
    m.insert("created_at".into(), format_time(&o.created_at).into());
    m.insert("updated_at".into(), format_time(&o.updated_at).into());
    m.insert(
        "self".into(),
        format!("{}/objects/{}", namespace_href(ns), o.name).into(),
    );
    m.insert("schema".into(), "/v2/schemas/metadefs/object".into());
    Value::Object(m)
}

/// A property definition, `name` first.
pub fn property(name: &str, def: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    for (k, v) in def {
        if k != "name" {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

pub fn tag(t: &MdTag) -> Value {
    json!({
        "name": t.name,
        "created_at": format_time(&t.created_at),
        "updated_at": format_time(&t.updated_at),
    })
}

pub fn association(a: &Association) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.clone().into());
    put_opt(&mut m, "prefix", &a.prefix);
    put_opt(&mut m, "properties_target", &a.properties_target);
    m.insert("created_at".into(), format_time(&a.created_at).into());
    m.insert("updated_at".into(), format_time(&a.updated_at).into());
    Value::Object(m)
}

pub fn resource_type(r: &ResourceType) -> Value {
    json!({
        "name": r.name,
        "created_at": format_time(&r.created_at),
        "updated_at": format_time(&r.updated_at),
    })
}
