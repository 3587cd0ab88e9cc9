//! Who may see and change metadata definitions, and reading write bodies.

use serde_json::{Map, Value};

use super::super::errors::{ApiError, ApiResult};
use super::super::identity::Caller;
use super::super::request::Ctx;
use super::schemas;
use super::store::{Namespace, Store, Visibility};

/// Admins see every namespace; others see public ones and their own project's.
pub fn can_read(caller: &Caller, ns: &Namespace) -> bool {
    caller.is_admin
        || ns.visibility == Visibility::Public
        || (caller.project.is_some() && caller.project == ns.owner)
}

/// Writes are `role:admin` (a noauth caller, admin without roles, is refused like on Glance).
pub fn may_write(caller: &Caller) -> bool {
    caller.has_role("admin")
}

pub fn namespace_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!(
        "Metadata definition namespace={name} was not found."
    ))
}

pub fn forbidden(action: &str) -> ApiError {
    ApiError::forbidden(format!(
        "You are not authorized to complete {action} action."
    ))
}

/// 403 for deleting something of a protected namespace.
pub fn protected(kind: &str, name: &str) -> ApiError {
    ApiError::forbidden(format!(
        "Metadata definition {kind} {name} is protected and cannot be deleted."
    ))
}

/// A namespace the caller may see (404 otherwise).
pub fn readable<'a>(store: &'a Store, caller: &Caller, name: &str) -> ApiResult<&'a Namespace> {
    store
        .get(name)
        .filter(|ns| can_read(caller, ns))
        .ok_or_else(|| namespace_not_found(name))
}

/// A namespace the caller may see and change: 404 when hidden, 403 without the admin role.
pub fn writable<'a>(
    store: &'a mut Store,
    caller: &Caller,
    name: &str,
    action: &str,
) -> ApiResult<&'a mut Namespace> {
    readable(store, caller, name)?;
    if !may_write(caller) {
        return Err(forbidden(action));
    }
    store.get_mut(name).ok_or_else(|| namespace_not_found(name))
}

/// The JSON object body of a write: 400 when missing, malformed or not an object, 403 for a
/// read-only attribute (`read_only`), 400 when it does not match the schema `schema`.
pub fn write_body(ctx: &Ctx, schema: &str, read_only: &[&str]) -> ApiResult<Map<String, Value>> {
    let body = ctx.json_body()?;
    let Value::Object(map) = body else {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    if let Some(key) = read_only.iter().find(|k| map.contains_key(**k)) {
        return Err(ApiError::forbidden(format!(
            "Attribute '{key}' is read-only."
        )));
    }
    schemas::validate(schema, &Value::Object(map.clone())).map_err(ApiError::bad_request)?;
    Ok(map)
}

/// Read-only attributes of namespaces and objects.
pub const READ_ONLY: [&str; 4] = ["self", "schema", "created_at", "updated_at"];

pub fn opt_string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::state::now;

    fn ns(owner: Option<&str>, vis: Visibility) -> Namespace {
        let mut n = Namespace::new("n".into(), 1, now());
        n.owner = owner.map(str::to_string);
        n.visibility = vis;
        n
    }

    #[test]
    fn read_and_write_rules() {
        let member = Caller::confirmed(Some("A".into()), None, vec!["member".into()]);
        let admin = Caller::confirmed(Some("X".into()), None, vec!["admin".into()]);
        assert!(can_read(&member, &ns(Some("A"), Visibility::Private)));
        assert!(can_read(&member, &ns(Some("B"), Visibility::Public)));
        assert!(!can_read(&member, &ns(Some("B"), Visibility::Private)));
        assert!(!can_read(&member, &ns(None, Visibility::Private)));
        assert!(can_read(&admin, &ns(Some("B"), Visibility::Private)));
        assert!(can_read(&Caller::noauth(), &ns(None, Visibility::Private)));
        assert!(may_write(&admin));
        assert!(!may_write(&member));
        assert!(!may_write(&Caller::noauth()));
    }

    #[test]
    fn writable_hides_before_forbidding() {
        let mut store = Store::default();
        store.insert(ns(Some("B"), Visibility::Private));
        let member = Caller::confirmed(Some("A".into()), None, vec!["member".into()]);
        let e = writable(&mut store, &member, "n", "x").unwrap_err();
        assert_eq!(e.status.as_u16(), 404);
        store.get_mut("n").unwrap().visibility = Visibility::Public;
        let e = writable(&mut store, &member, "n", "x").unwrap_err();
        assert_eq!(e.status.as_u16(), 403);
        let admin = Caller::confirmed(None, None, vec!["admin".into()]);
        assert!(writable(&mut store, &admin, "n", "x").is_ok());
        assert!(writable(&mut store, &admin, "zz", "x").is_err());
    }
}
