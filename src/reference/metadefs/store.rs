//! The metadefs store: namespaces (each owning its objects, properties, tags and resource-type
//! associations) and the global resource types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MdObject {
    pub name: String,
    pub description: Option<String>,
    pub required: Vec<String>,
    pub properties: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MdTag {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Association {
    pub name: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub protected: bool,
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Creation order, to order namespaces created within the same second.
    pub seq: u64,
    pub objects: Vec<MdObject>,
    /// Property definitions by name (each definition without its `name`).
    pub properties: BTreeMap<String, Map<String, Value>>,
    pub tags: Vec<MdTag>,
    pub associations: Vec<Association>,
}

impl Namespace {
    pub fn new(name: String, seq: u64, now: DateTime<Utc>) -> Self {
        Namespace {
            name,
            display_name: None,
            description: None,
            visibility: Visibility::Private,
            protected: false,
            owner: None,
            created_at: now,
            updated_at: now,
            seq,
            objects: Vec::new(),
            properties: BTreeMap::new(),
            tags: Vec::new(),
            associations: Vec::new(),
        }
    }

    pub fn object(&self, name: &str) -> Option<&MdObject> {
        self.objects.iter().find(|o| o.name == name)
    }

    pub fn tag(&self, name: &str) -> Option<&MdTag> {
        self.tags.iter().find(|t| t.name == name)
    }

    pub fn association(&self, name: &str) -> Option<&Association> {
        self.associations.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Default)]
pub struct Store {
    namespaces: BTreeMap<String, Namespace>,
    resource_types: BTreeMap<String, ResourceType>,
    next_seq: u64,
}

impl Store {
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn get(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Namespace> {
        self.namespaces.get_mut(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.namespaces.contains_key(name)
    }

    pub fn insert(&mut self, ns: Namespace) {
        self.namespaces.insert(ns.name.clone(), ns);
    }

    /// Removes a namespace and everything in it.
    pub fn remove(&mut self, name: &str) -> Option<Namespace> {
        self.namespaces.remove(name)
    }

    /// Renames a namespace (the caller checked the new name is free).
    pub fn rename(&mut self, old: &str, new: &str) {
        if let Some(mut ns) = self.namespaces.remove(old) {
            ns.name = new.to_string();
            self.namespaces.insert(new.to_string(), ns);
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.values()
    }

    /// Makes sure a resource type exists (an association to an unknown type creates it).
    pub fn ensure_resource_type(&mut self, name: &str, now: DateTime<Utc>) {
        self.resource_types
            .entry(name.to_string())
            .or_insert_with(|| ResourceType {
                name: name.to_string(),
                created_at: now,
                updated_at: now,
            });
    }

    pub fn resource_types(&self) -> impl Iterator<Item = &ResourceType> {
        self.resource_types.values()
    }
}
