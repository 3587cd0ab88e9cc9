//! Who is calling.
//!
//! With `X-Identity-Status: Confirmed` (what keystonemiddleware hands to Glance) the caller's
//! project, user and roles come from the trusted identity headers. Without it the caller is
//! like Glance's noauth context: admin, but with no project, no user and no roles.

use axum::http::HeaderMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caller {
    pub project: Option<String>,
    pub user: Option<String>,
    pub roles: Vec<String>,
    pub is_admin: bool,
}

impl Caller {
    /// The noauth caller: admin without project, user or roles.
    pub fn noauth() -> Self {
        Caller {
            project: None,
            user: None,
            roles: Vec::new(),
            is_admin: true,
        }
    }

    /// A caller from trusted identity headers.
    pub fn confirmed(project: Option<String>, user: Option<String>, roles: Vec<String>) -> Self {
        let is_admin = roles.iter().any(|r| r.eq_ignore_ascii_case("admin"));
        Caller {
            project,
            user,
            roles,
            is_admin,
        }
    }

    pub fn from_headers(headers: &HeaderMap) -> Self {
        let confirmed = header(headers, "x-identity-status")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("confirmed"));
        if !confirmed {
            return Caller::noauth();
        }
        let project = header(headers, "x-project-id").or_else(|| header(headers, "x-tenant-id"));
        let user = header(headers, "x-user-id");
        let roles = header(headers, "x-roles")
            .map(|r| {
                r.split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Caller::confirmed(project, user, roles)
    }

    /// Policy rules written as `role:x` (oslo.policy compares roles case-insensitively).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}

/// A non-empty, trimmed, UTF-8 header value.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn without_confirmation_the_caller_is_noauth() {
        let c = Caller::from_headers(&headers(&[("x-project-id", "p"), ("x-roles", "member")]));
        assert_eq!(c, Caller::noauth());
        assert!(c.is_admin && c.project.is_none() && !c.has_role("admin"));
    }

    #[test]
    fn confirmed_identity() {
        let c = Caller::from_headers(&headers(&[
            ("x-identity-status", "Confirmed"),
            ("x-tenant-id", "t1"),
            ("x-user-id", "u1"),
            ("x-roles", "reader, Member"),
        ]));
        assert_eq!(c.project.as_deref(), Some("t1"));
        assert_eq!(c.user.as_deref(), Some("u1"));
        assert!(!c.is_admin);
        assert!(c.has_role("member"));

        let a = Caller::from_headers(&headers(&[
            ("x-identity-status", "Confirmed"),
            ("x-project-id", "p1"),
            ("x-tenant-id", "t1"),
            ("x-roles", "admin"),
        ]));
        assert_eq!(a.project.as_deref(), Some("p1"));
        assert!(a.is_admin);
    }
}
