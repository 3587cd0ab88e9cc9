//! Paths under `/v2/metadefs/` and `/v2/schemas/metadefs/`.

use axum::http::Method;

use super::super::request::percent_decode;
use super::schemas::SCHEMA_NAMES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdRoute {
    /// `/v2/schemas/metadefs/{name}`.
    Schema(&'static str),
    /// `/v2/metadefs/resource_types`.
    ResourceTypes,
    Namespaces,
    Namespace(String),
    Objects(String),
    Object(String, String),
    Properties(String),
    Property(String, String),
    Tags(String),
    Tag(String, String),
    Associations(String),
    Association(String, String),
}

impl MdRoute {
    /// Calls that take no body and answer 400 to one (Glance's `body_reject` routes; the API
    /// reference notes it for show namespace and show object).
    pub fn rejects_body(&self, method: &Method) -> bool {
        match self {
            MdRoute::Schema(_) | MdRoute::ResourceTypes | MdRoute::Object(..) => {
                *method == Method::GET || *method == Method::DELETE
            }
            MdRoute::Associations(_) | MdRoute::Properties(_) => *method == Method::GET,
            MdRoute::Association(..) => *method == Method::DELETE,
            MdRoute::Namespace(_) => *method == Method::GET || *method == Method::DELETE,
            MdRoute::Tag(..) => *method != Method::PUT,
            MdRoute::Namespaces
            | MdRoute::Objects(_)
            | MdRoute::Tags(_)
            | MdRoute::Property(..) => false,
        }
    }

    /// Glance's `Allow` list for the route (405 answers).
    pub fn allow(&self) -> &'static str {
        match self {
            MdRoute::Schema(_) | MdRoute::ResourceTypes => "GET",
            MdRoute::Namespaces | MdRoute::Associations(_) => "GET, POST",
            MdRoute::Namespace(_) | MdRoute::Object(..) | MdRoute::Property(..) => {
                "GET, PUT, DELETE"
            }
            MdRoute::Objects(_) | MdRoute::Properties(_) | MdRoute::Tags(_) => "GET, POST, DELETE",
            MdRoute::Tag(..) => "GET, POST, PUT, DELETE",
            MdRoute::Association(..) => "DELETE",
        }
    }
}

/// A decoded, non-empty path segment.
fn name(segment: &str) -> Option<String> {
    let decoded = String::from_utf8(percent_decode(segment)?).ok()?;
    (!decoded.is_empty()).then_some(decoded)
}

/// The route for the segments after `/v2/metadefs/`; `None` for an unknown path.
pub fn resolve(rest: &[&str]) -> Option<MdRoute> {
    Some(match rest {
        ["resource_types"] => MdRoute::ResourceTypes,
        ["namespaces"] => MdRoute::Namespaces,
        ["namespaces", ns] => MdRoute::Namespace(name(ns)?),
        ["namespaces", ns, kind] => {
            let ns = name(ns)?;
            match *kind {
                "objects" => MdRoute::Objects(ns),
                "properties" => MdRoute::Properties(ns),
                "tags" => MdRoute::Tags(ns),
                "resource_types" => MdRoute::Associations(ns),
                _ => return None,
            }
        }
        ["namespaces", ns, kind, item] => {
            let (ns, item) = (name(ns)?, name(item)?);
            match *kind {
                "objects" => MdRoute::Object(ns, item),
                "properties" => MdRoute::Property(ns, item),
                "tags" => MdRoute::Tag(ns, item),
                "resource_types" => MdRoute::Association(ns, item),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// The route for `/v2/schemas/metadefs/{segment}`.
pub fn resolve_schema(segment: &str) -> Option<MdRoute> {
    SCHEMA_NAMES
        .iter()
        .find(|n| **n == segment)
        .map(|n| MdRoute::Schema(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        assert_eq!(resolve(&["namespaces"]), Some(MdRoute::Namespaces));
        assert_eq!(
            resolve(&["namespaces", "OS%3A%3ACompute"]),
            Some(MdRoute::Namespace("OS::Compute".into()))
        );
        assert_eq!(
            resolve(&["namespaces", "n", "resource_types", "OS::Glance::Image"]),
            Some(MdRoute::Association("n".into(), "OS::Glance::Image".into()))
        );
        assert_eq!(
            resolve(&["namespaces", "n", "tags", "t"]),
            Some(MdRoute::Tag("n".into(), "t".into()))
        );
        assert_eq!(resolve(&["namespaces", ""]), None);
        assert_eq!(resolve(&["namespaces", "n", "tags", ""]), None);
        assert_eq!(resolve(&["namespaces", "n", "bogus"]), None);
        assert_eq!(resolve(&["namespaces", "%FF"]), None);
        assert_eq!(resolve(&["resource_types"]), Some(MdRoute::ResourceTypes));
        assert_eq!(resolve(&[]), None);
        assert_eq!(resolve_schema("tag"), Some(MdRoute::Schema("tag")));
        assert_eq!(resolve_schema("bogus"), None);
    }

    #[test]
    fn body_rejection_follows_glance() {
        let ns = || "n".to_string();
        assert!(MdRoute::Namespace(ns()).rejects_body(&Method::GET));
        assert!(!MdRoute::Namespace(ns()).rejects_body(&Method::PUT));
        assert!(MdRoute::Tag(ns(), ns()).rejects_body(&Method::POST));
        assert!(!MdRoute::Tag(ns(), ns()).rejects_body(&Method::PUT));
        assert!(!MdRoute::Namespaces.rejects_body(&Method::GET));
        assert!(MdRoute::Schema("tag").rejects_body(&Method::GET));
    }
}
