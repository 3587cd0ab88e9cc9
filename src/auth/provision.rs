//! `--dynamic-personas`: the projects, users and role assignments a run needs, made through
//! Keystone's identity API with the main credentials (which must hold the admin role), named
//! with the run id, and deleted when the run ends. `imgconf cleanup` finds the leftovers of a
//! killed run by those names ([`is_run_name`]).
//!
//! Personas made: `owner`, `other` and `third`, each a user with `member` and `reader` in a
//! project of its own; `service`, a user with `service` (and `member`, `reader`) in the owner's
//! project; `reader`, a user with only `reader` in the owner's project. `admin` is the main
//! credentials themselves.

use super::keystone::{Session, TokenRequest};
use super::{AuthError, Credentials};
use crate::persona::Persona;
use futures_util::future::join_all;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What each persona made here is called after the run id: `imgconf-<run id>-<suffix>`.
const SUFFIXES: [(&str, Persona); 5] = [
    ("owner", Persona::Owner),
    ("other", Persona::Other),
    ("third", Persona::Third),
    ("service", Persona::Service),
    ("reader", Persona::Reader),
];

/// The name of the project or user made for `suffix` in run `run_id`.
pub fn run_name(run_id: &str, suffix: &str) -> String {
    format!("imgconf-{run_id}-{suffix}")
}

/// Whether `name` is one that [`provision`] gives (of run `run_id`, or of any run): only
/// `imgconf-<run id>-owner|other|third|service|reader`, so nothing else carrying the prefix is touched.
pub fn is_run_name(name: &str, run_id: Option<&str>) -> bool {
    let Some(rest) = name.strip_prefix("imgconf-") else {
        return false;
    };
    SUFFIXES.iter().any(|(suffix, _)| {
        rest.strip_suffix(suffix)
            .and_then(|r| r.strip_suffix('-'))
            .is_some_and(|run| match run_id {
                Some(want) => run == want,
                None => !run.is_empty() && !run.contains('/'),
            })
    })
}

/// Projects and users made for a run (ids and names), to delete at its end.
#[derive(Debug, Default, Clone)]
pub struct Made {
    pub projects: Vec<(String, String)>,
    pub users: Vec<(String, String)>,
}

impl Made {
    pub fn is_empty(&self) -> bool {
        self.projects.is_empty() && self.users.is_empty()
    }
}

/// The identity API, called with the admin's token.
pub struct Admin {
    client: reqwest::Client,
    session: Arc<Session>,
    base: String,
}

impl Admin {
    pub fn new(client: reqwest::Client, session: Arc<Session>) -> Admin {
        let base = session.auth_url().to_string();
        Admin {
            client,
            session,
            base,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .client
            .request(method.clone(), &url)
            .header("Accept", "application/json")
            .header("X-Auth-Token", self.session.token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {}", crate::http::error_chain(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !(200..300).contains(&status) && status != 404 {
            let message = value
                .pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            return Err(format!("{method} {url}: {status} {message}"));
        }
        Ok((status, value))
    }

    async fn create(&self, kind: &str, body: Value) -> Result<String, String> {
        let (status, v) = self
            .call(reqwest::Method::POST, &format!("/{kind}s"), Some(body))
            .await?;
        v.pointer(&format!("/{kind}/id"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("POST /{kind}s answered {status} without {kind}.id"))
    }

    async fn role_id(&self, name: &str) -> Result<String, String> {
        let (_, v) = self
            .call(reqwest::Method::GET, &format!("/roles?name={name}"), None)
            .await?;
        v.pointer("/roles/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("Keystone has no role `{name}`"))
    }

    /// Every project and user whose name [`is_run_name`] (of `run_id`, or of any run).
    pub async fn leftovers(&self, run_id: Option<&str>) -> Result<Made, String> {
        let mut made = Made::default();
        for (kind, out) in [("project", &mut made.projects), ("user", &mut made.users)] {
            let (_, v) = self
                .call(reqwest::Method::GET, &format!("/{kind}s"), None)
                .await?;
            for item in v
                .get(format!("{kind}s"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let s = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default();
                if is_run_name(s("name"), run_id) {
                    out.push((s("id").to_string(), s("name").to_string()));
                }
            }
        }
        Ok(made)
    }

    /// Deletes users, then projects, in parallel; returns what could not be deleted.
    pub async fn delete(&self, made: &Made) -> Vec<String> {
        let users = join_all(made.users.iter().map(|(id, name)| async move {
            self.call(reqwest::Method::DELETE, &format!("/users/{id}"), None)
                .await
                .err()
                .map(|e| format!("user {name}: {e}"))
        }))
        .await;
        let projects = join_all(made.projects.iter().map(|(id, name)| async move {
            self.call(reqwest::Method::DELETE, &format!("/projects/{id}"), None)
                .await
                .err()
                .map(|e| format!("project {name}: {e}"))
        }))
        .await;
        users.into_iter().chain(projects).flatten().collect()
    }
}

/// The personas of a run made by [`provision`], and what to delete afterwards.
pub struct Provisioned {
    pub sessions: BTreeMap<Persona, Arc<Session>>,
    pub made: Made,
}

/// Makes the personas of run `run_id` (in parallel, step by step) and opens a session for each.
/// On any failure, what was made is deleted again before the error is returned.
pub async fn provision(admin: &Admin, run_id: &str) -> Result<Provisioned, AuthError> {
    let mut made = Made::default();
    match provision_into(admin, run_id, &mut made).await {
        Ok(sessions) => Ok(Provisioned { sessions, made }),
        Err(e) => {
            let left = admin.delete(&made).await;
            let left = if left.is_empty() {
                String::new()
            } else {
                format!(
                    "; could not delete again: {} (`imgconf cleanup --auth keystone` sweeps them)",
                    left.join("; ")
                )
            };
            Err(AuthError::Provision(format!("{e}{left}")))
        }
    }
}

async fn provision_into(
    admin: &Admin,
    run_id: &str,
    made: &mut Made,
) -> Result<BTreeMap<Persona, Arc<Session>>, String> {
    let issued = admin.session.issued();
    if !issued.roles.iter().any(|r| r.eq_ignore_ascii_case("admin")) {
        return Err(format!(
            "--dynamic-personas needs credentials with the admin role; they hold: {}",
            issued.roles.join(", ")
        ));
    }
    let domain = issued
        .project_domain_id
        .clone()
        .unwrap_or_else(|| "default".into());
    let roles = join_all(["member", "reader", "service"].map(|r| admin.role_id(r))).await;
    let mut roles = roles.into_iter();
    let mut next = || roles.next().unwrap_or_else(|| Err("no role".into()));
    let (member, reader, service) = (next()?, next()?, next()?);
    // Projects (the service user works in the owner's).
    let projects = ["owner", "other", "third"];
    let created = join_all(projects.map(|p| {
        let name = run_name(run_id, p);
        let body = json!({"project": {"name": name, "domain_id": domain,
            "description": "made by imgconf --dynamic-personas for one run; deleted at its end"}});
        async move { admin.create("project", body).await.map(|id| (id, name)) }
    }))
    .await;
    let mut project_of = BTreeMap::new();
    let mut first_error = None;
    for (p, r) in projects.iter().zip(created) {
        match r {
            Ok((id, name)) => {
                project_of.insert(*p, id.clone());
                made.projects.push((id, name));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let password = || uuid::Uuid::new_v4().simple().to_string();
    let plan: Vec<(Persona, String, String, Vec<&String>, String)> = SUFFIXES
        .iter()
        .map(|(suffix, p)| {
            let project = if p.in_owner_project() {
                project_of["owner"].clone()
            } else {
                project_of[suffix].clone()
            };
            let roles = match p {
                Persona::Service => vec![&member, &reader, &service],
                Persona::Reader => vec![&reader],
                _ => vec![&member, &reader],
            };
            (*p, run_name(run_id, suffix), project, roles, password())
        })
        .collect();
    let users = join_all(plan.iter().map(|(_, name, project, roles, pw)| {
        let body = json!({"user": {"name": name, "domain_id": domain, "password": pw,
            "default_project_id": project}});
        make_user(admin, body, project, roles)
    }))
    .await;
    let mut user_ids = Vec::new();
    let mut first_error = None;
    for ((_, name, ..), r) in plan.iter().zip(users) {
        match r {
            Ok((id, assigned)) => {
                made.users.push((id.clone(), name.clone()));
                match assigned {
                    Ok(()) => user_ids.push(id),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let auth_url = admin.base.clone();
    let sessions = join_all(
        plan.iter()
            .zip(&user_ids)
            .map(|((p, _, project, _, pw), id)| {
                let creds = Credentials {
                    auth_url: Some(auth_url.clone()),
                    user_id: Some(id.clone()),
                    password: Some(pw.clone()),
                    project_id: Some(project.clone()),
                    ..Default::default()
                };
                let client = admin.client.clone();
                async move {
                    let what = format!("persona {} (made for the run)", p.name());
                    let req =
                        TokenRequest::from_credentials(&creds, &what).map_err(|e| e.to_string())?;
                    let s = Session::open(client, req, p.name())
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok::<_, String>((*p, Arc::new(s)))
                }
            }),
    )
    .await;
    sessions.into_iter().collect()
}

/// Creates a user and gives it its roles in `project`; the user's id comes back even when an
/// assignment fails, so that it is deleted again.
async fn make_user(
    admin: &Admin,
    body: Value,
    project: &str,
    roles: &[&String],
) -> Result<(String, Result<(), String>), String> {
    let id = admin.create("user", body).await?;
    let assigned = join_all(roles.iter().map(|r| {
        let path = format!("/projects/{project}/users/{id}/roles/{r}");
        async move { admin.call(reqwest::Method::PUT, &path, None).await }
    }))
    .await;
    let first = assigned.into_iter().find_map(Result::err);
    Ok((id, first.map_or(Ok(()), Err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_of_made_personas_are_swept() {
        assert_eq!(run_name("ab12cd34", "owner"), "imgconf-ab12cd34-owner");
        assert!(is_run_name("imgconf-ab12cd34-owner", None));
        assert!(is_run_name("imgconf-ab12cd34-service", Some("ab12cd34")));
        assert!(!is_run_name("imgconf-ab12cd34-service", Some("other1")));
        // The fixed personas of scripts/keystone.sh, and anything else, are left alone.
        for name in [
            "imgconf-owner",
            "imgconf--owner",
            "imgconf-ab12cd34-admin",
            "demo",
            "xmgconf-ab12cd34-owner",
            "imgconf-ab12cd34-owner2",
        ] {
            assert!(!is_run_name(name, None), "{name}");
        }
    }
}
