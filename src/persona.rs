//! Personas: the identities a case acts as (owner, another project, a third project, admin, a
//! service user of the owner's project), and the identity headers that carry them to a target
//! that trusts such headers.

use crate::auth::keystone::Session;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The identities a case can act as. Without personas (a noauth target) every request goes out
/// with no identity, which such a target treats as an administrator without a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Persona {
    /// A member of the project that owns what the case creates.
    Owner,
    /// A member of another project (the one images are shared with).
    Other,
    /// A member of a third project, unrelated to the image.
    Third,
    /// A cloud administrator.
    Admin,
    /// Another OpenStack service acting in the owner's project (role `service`, which Glance's
    /// `service_api` rule wants for the locations API).
    Service,
    /// A user holding only the `reader` role in the owner's project: what it may do tells the
    /// legacy policy from secure RBAC (see [`crate::policy`]).
    Reader,
}

impl Persona {
    pub const ALL: [(&'static str, Persona); 6] = [
        ("owner", Persona::Owner),
        ("other", Persona::Other),
        ("third", Persona::Third),
        ("admin", Persona::Admin),
        ("service", Persona::Service),
        ("reader", Persona::Reader),
    ];

    /// Whether the persona works in the owner's project rather than in a project of its own.
    pub fn in_owner_project(self) -> bool {
        matches!(self, Persona::Service | Persona::Reader)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn parse(s: &str) -> Option<Persona> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
    }
}

/// The identities of one run: with trusted headers, projects made up per run (their ids carry
/// the run id, so what one run creates is owned by projects no other run or person uses); with
/// Keystone, one token per configured persona, its project the token's own.
#[derive(Debug, Clone)]
pub struct Personas {
    projects: BTreeMap<Persona, String>,
    /// Keystone sessions by persona; empty for trusted headers.
    tokens: BTreeMap<Persona, Arc<Session>>,
    /// The roles each persona holds (as sent in `X-Roles`, or as Keystone put them in the
    /// token), which decide whether a case's expectation applies to it.
    roles: BTreeMap<Persona, Vec<String>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({})", self.label)
    }
}

impl Personas {
    /// Identities sent as `X-Identity-Status: Confirmed` headers, for a pipeline that trusts them
    /// (Glance's `context` filter without `authtoken`).
    pub fn trusted_headers(run_id: &str) -> Personas {
        // The service user works in the owner's project: that is where a service acts on an
        // image (adding the location of its data). So does the reader, a read-only colleague.
        let projects = Persona::ALL
            .iter()
            .map(|(name, p)| {
                let name = if p.in_owner_project() { "owner" } else { name };
                (*p, format!("imgconf-{run_id}-{name}"))
            })
            .collect();
        let roles = Persona::ALL
            .iter()
            .map(|(_, p)| {
                let list = header_roles(*p).split(',').map(str::to_string).collect();
                (*p, list)
            })
            .collect();
        Personas {
            projects,
            tokens: BTreeMap::new(),
            roles,
        }
    }

    /// Identities that are Keystone tokens (`owner` always among them).
    pub fn keystone(sessions: BTreeMap<Persona, Arc<Session>>) -> Personas {
        let projects = sessions
            .iter()
            .filter_map(|(p, s)| s.issued().project_id.map(|id| (*p, id)))
            .collect();
        let roles = sessions
            .iter()
            .map(|(p, s)| (*p, s.issued().roles))
            .collect();
        Personas {
            projects,
            tokens: sessions,
            roles,
        }
    }

    /// The roles `p` holds, when it is one of the run's personas.
    pub fn roles(&self, p: Persona) -> Option<&[String]> {
        self.roles.get(&p).map(Vec::as_slice)
    }

    /// The same personas with `p` holding exactly `roles` (what a case is judged by; the
    /// requests still carry the real identity).
    pub fn with_roles(mut self, p: Persona, roles: &[&str]) -> Personas {
        self.roles
            .insert(p, roles.iter().map(|r| r.to_string()).collect());
        self
    }

    /// Whether `p` holds `role` (role names compare case-insensitively, as Keystone's do).
    pub fn holds(&self, p: Persona, role: &str) -> bool {
        self.roles(p)
            .is_some_and(|r| r.iter().any(|have| have.eq_ignore_ascii_case(role)))
    }

    /// Whether requests can be sent as `p`.
    pub fn has(&self, p: Persona) -> bool {
        if self.tokens.is_empty() {
            self.projects.contains_key(&p)
        } else {
            self.tokens.contains_key(&p)
        }
    }

    pub fn project(&self, p: Persona) -> Option<&str> {
        self.projects.get(&p).map(String::as_str)
    }

    /// Headers that make a request come from `p`.
    pub fn headers(&self, p: Persona) -> Vec<(String, String)> {
        if !self.tokens.is_empty() {
            return self
                .tokens
                .get(&p)
                .map(|s| vec![("X-Auth-Token".to_string(), s.token())])
                .unwrap_or_default();
        }
        let Some(project) = self.project(p) else {
            return Vec::new();
        };
        let roles = header_roles(p);
        let user = match p {
            Persona::Service => format!("{project}-service"),
            Persona::Reader => format!("{project}-reader"),
            _ => format!("{project}-user"),
        };
        vec![
            ("X-Identity-Status".into(), "Confirmed".into()),
            ("X-Project-Id".into(), project.to_string()),
            ("X-Tenant-Id".into(), project.to_string()),
            ("X-User-Id".into(), user),
            ("X-Roles".into(), roles.into()),
        ]
    }
}

/// The roles a trusted-headers persona is sent with.
fn header_roles(p: Persona) -> &'static str {
    match p {
        Persona::Admin => "admin,member,reader",
        Persona::Service => "member,reader,service",
        Persona::Reader => "reader",
        _ => "member,reader",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_have_distinct_run_scoped_projects() {
        let p = Personas::trusted_headers("r1");
        assert_eq!(p.project(Persona::Other), Some("imgconf-r1-other"));
        let h = p.headers(Persona::Admin);
        assert!(h.contains(&("X-Roles".into(), "admin,member,reader".into())));
        assert!(h.contains(&("X-Tenant-Id".into(), "imgconf-r1-admin".into())));
        assert!(!p
            .headers(Persona::Owner)
            .iter()
            .any(|(_, v)| v.contains("admin")));
        assert_eq!(p.project(Persona::Service), p.project(Persona::Owner));
        let s = p.headers(Persona::Service);
        assert!(s.contains(&("X-Roles".into(), "member,reader,service".into())));
        assert!(s.contains(&("X-User-Id".into(), "imgconf-r1-owner-service".into())));
        assert!(p.holds(Persona::Admin, "ADMIN") && !p.holds(Persona::Owner, "admin"));
        assert!(p.holds(Persona::Service, "service"));
        let r = p.headers(Persona::Reader);
        assert!(r.contains(&("X-Roles".into(), "reader".into())));
        assert!(r.contains(&("X-Tenant-Id".into(), "imgconf-r1-owner".into())));
        assert!(r.contains(&("X-User-Id".into(), "imgconf-r1-owner-reader".into())));
    }
}
