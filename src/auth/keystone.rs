//! Keystone v3: a token for one identity (password, token or application-credential method,
//! scoped to a project or domain), taken from `X-Subject-Token`; the image endpoint from the
//! token's service catalog; and a [`Session`] that renews the token once when it is close to
//! expiry or the endpoint answers 401.

use super::{AuthError, Credentials};
use serde_json::{json, Value};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// A token expiring within this is renewed before it is used.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(120);

#[derive(Clone)]
enum Method {
    Password { user: Value, password: String },
    Token { token: String },
    ApplicationCredential { credential: Value, secret: String },
}

/// Everything needed to ask Keystone for a token, again and again.
#[derive(Clone)]
pub struct TokenRequest {
    /// Who this is for, in messages (`the main credentials`, `persona admin`).
    pub what: String,
    /// `…/v3`.
    pub auth_url: String,
    method: Method,
    scope: Option<Value>,
    /// For messages: "password of user alice (domain Default), project demo".
    pub describe: String,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("what", &self.what)
            .field("auth_url", &self.auth_url)
            .field("describe", &self.describe)
            .finish_non_exhaustive()
    }
}

/// `…/v3` for an auth URL given with or without the version.
pub fn v3_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("/v3") {
        base.to_string()
    } else {
        format!("{base}/v3")
    }
}

fn domain_ref(id: &Option<String>, name: &Option<String>) -> (Value, String) {
    match (id, name) {
        (Some(id), _) => (json!({ "id": id }), format!("domain id {id}")),
        (None, Some(n)) => (json!({ "name": n }), format!("domain {n}")),
        // As openstackclient's --os-default-domain: the `default` domain.
        (None, None) => (json!({ "id": "default" }), "domain id default".into()),
    }
}

impl TokenRequest {
    pub fn from_credentials(c: &Credentials, what: &str) -> Result<TokenRequest, AuthError> {
        let incomplete = |reason: &str| AuthError::Incomplete {
            what: what.to_string(),
            reason: reason.to_string(),
        };
        let auth_url = c.auth_url.as_deref().ok_or_else(|| {
            incomplete("no auth URL (--os-auth-url, OS_AUTH_URL or clouds.yaml auth.auth_url)")
        })?;
        let auth_type = c
            .auth_type
            .as_deref()
            .map(|t| t.trim_start_matches("v3").replace(['-', '_'], ""));
        let app_cred = c.application_credential_id.is_some()
            || c.application_credential_name.is_some()
            || c.application_credential_secret.is_some();
        let kind = match auth_type.as_deref() {
            Some("password") => "password",
            Some("token") => "token",
            Some("applicationcredential") => "applicationcredential",
            Some(other) => {
                return Err(incomplete(&format!(
                "auth type `{other}` is not supported (password, token, v3applicationcredential)"
            )))
            }
            None if app_cred => "applicationcredential",
            None if c.password.is_some() => "password",
            None if c.token.is_some() => "token",
            None => {
                return Err(incomplete(
                    "no password, token or application credential to authenticate with",
                ))
            }
        };
        let user = || -> Result<(Value, String), AuthError> {
            let (domain, dtext) = domain_ref(&c.user_domain_id, &c.user_domain_name);
            match (&c.user_id, &c.username) {
                (Some(id), _) => Ok((json!({ "id": id }), format!("user id {id}"))),
                (None, Some(n)) => Ok((
                    json!({ "name": n, "domain": domain }),
                    format!("user {n} ({dtext})"),
                )),
                (None, None) => Err(incomplete("no user name or id (OS_USERNAME)")),
            }
        };
        let (method, mut describe) = match kind {
            "password" => {
                let password = c
                    .password
                    .clone()
                    .ok_or_else(|| incomplete("password auth without a password (OS_PASSWORD)"))?;
                let (user, text) = user()?;
                (
                    Method::Password { user, password },
                    format!("password of {text}"),
                )
            }
            "token" => {
                let token = c
                    .token
                    .clone()
                    .ok_or_else(|| incomplete("token auth without a token (OS_TOKEN)"))?;
                (Method::Token { token }, "token".to_string())
            }
            _ => {
                let secret = c.application_credential_secret.clone().ok_or_else(|| {
                    incomplete("application credential without a secret (OS_APPLICATION_CREDENTIAL_SECRET)")
                })?;
                let (credential, text) =
                    match (&c.application_credential_id, &c.application_credential_name) {
                        (Some(id), _) => (
                            json!({ "id": id, "secret": secret }),
                            format!("application credential {id}"),
                        ),
                        (None, Some(n)) => {
                            let (user, utext) = user()?;
                            (
                                json!({ "name": n, "user": user, "secret": secret }),
                                format!("application credential {n} of {utext}"),
                            )
                        }
                        (None, None) => return Err(incomplete(
                            "application credential without an id (OS_APPLICATION_CREDENTIAL_ID)",
                        )),
                    };
                (Method::ApplicationCredential { credential, secret }, text)
            }
        };
        // Application credentials carry their own project; asking for a scope is an error there.
        let scope = if matches!(method, Method::ApplicationCredential { .. }) {
            None
        } else if let Some(id) = &c.project_id {
            describe.push_str(&format!(", project id {id}"));
            Some(json!({ "project": { "id": id } }))
        } else if let Some(name) = &c.project_name {
            let (domain, dtext) = domain_ref(&c.project_domain_id, &c.project_domain_name);
            describe.push_str(&format!(", project {name} ({dtext})"));
            Some(json!({ "project": { "name": name, "domain": domain } }))
        } else if c.domain_id.is_some() || c.domain_name.is_some() {
            let (domain, dtext) = domain_ref(&c.domain_id, &c.domain_name);
            describe.push_str(&format!(", {dtext} scope"));
            Some(json!({ "domain": domain }))
        } else {
            None
        };
        Ok(TokenRequest {
            what: what.to_string(),
            auth_url: v3_url(auth_url),
            method,
            scope,
            describe,
        })
    }

    /// The JSON body of `POST /v3/auth/tokens`.
    pub fn body(&self) -> Value {
        let identity = match &self.method {
            Method::Password { user, password } => {
                let mut user = user.clone();
                user["password"] = json!(password);
                json!({ "methods": ["password"], "password": { "user": user } })
            }
            Method::Token { token } => json!({ "methods": ["token"], "token": { "id": token } }),
            Method::ApplicationCredential { credential, secret } => {
                let mut credential = credential.clone();
                credential["secret"] = json!(secret);
                json!({ "methods": ["application_credential"], "application_credential": credential })
            }
        };
        let mut auth = json!({ "identity": identity });
        if let Some(s) = &self.scope {
            auth["scope"] = s.clone();
        }
        json!({ "auth": auth })
    }

    /// Secret values this request sends (for redaction).
    pub fn secrets(&self) -> Vec<String> {
        match &self.method {
            Method::Password { password, .. } => vec![password.clone()],
            Method::Token { token } => vec![token.clone()],
            Method::ApplicationCredential { secret, .. } => vec![secret.clone()],
        }
    }
}

/// A token Keystone issued, with what came with it.
#[derive(Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub project_id: Option<String>,
    /// The domain of the token's project (where `--dynamic-personas` makes its own).
    pub project_domain_id: Option<String>,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    pub catalog: Value,
}

/// `POST {auth_url}/auth/tokens`.
pub async fn issue(client: &reqwest::Client, req: &TokenRequest) -> Result<Issued, AuthError> {
    let url = format!("{}/auth/tokens", req.auth_url);
    let resp = client
        .post(&url)
        .header("Accept", "application/json")
        .json(&req.body())
        .send()
        .await
        .map_err(|e| AuthError::Unreachable {
            what: req.what.clone(),
            url: url.clone(),
            reason: crate::http::error_chain(&e),
        })?;
    let status = resp.status().as_u16();
    let token = resp
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp.bytes().await.map_err(|e| AuthError::Unreachable {
        what: req.what.clone(),
        url: url.clone(),
        reason: crate::http::error_chain(&e),
    })?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    // Keystone's error document: {"error": {"code", "title", "message"}}.
    let message = || {
        body.pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                let t = String::from_utf8_lossy(&bytes);
                t.chars().take(200).collect::<String>().replace('\n', " ")
            })
    };
    match status {
        201 | 200 => {}
        401 | 403 | 404 => {
            return Err(AuthError::Rejected {
                what: req.what.clone(),
                url: url.clone(),
                method: req.describe.clone(),
                status,
                message: message(),
            })
        }
        _ => {
            return Err(AuthError::Unexpected {
                what: req.what.clone(),
                url: url.clone(),
                status,
                message: message(),
            })
        }
    }
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AuthError::Unexpected {
            what: req.what.clone(),
            url: url.clone(),
            status,
            message: "no X-Subject-Token header in the answer".into(),
        })?;
    let t = body.get("token").cloned().unwrap_or(Value::Null);
    let s = |p: &str| t.pointer(p).and_then(Value::as_str).map(str::to_string);
    Ok(Issued {
        token,
        expires_at: s("/expires_at").and_then(|e| {
            chrono::DateTime::parse_from_rfc3339(&e)
                .ok()
                .map(|d| d.with_timezone(&chrono::Utc))
        }),
        project_id: s("/project/id"),
        project_domain_id: s("/project/domain/id"),
        user_id: s("/user/id"),
        roles: t
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
            .collect(),
        catalog: t
            .get("catalog")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    })
}

/// The URL of a service in a catalog: type `service_type`, interface (`public` by default;
/// `publicURL` is accepted as older clients spell it) and, if given, region. The first match
/// wins, as in openstacksdk. A trailing version segment (`/v2`) is dropped: imgconf adds paths
/// to the unversioned root, as Glance's own catalog entries have it.
pub fn endpoint(
    catalog: &Value,
    service_type: &str,
    interface: Option<&str>,
    region: Option<&str>,
    what: &str,
) -> Result<String, AuthError> {
    let interface = interface
        .unwrap_or("public")
        .trim_end_matches("URL")
        .to_ascii_lowercase();
    let mut offered = Vec::new();
    for service in catalog.as_array().into_iter().flatten() {
        let stype = service.get("type").and_then(Value::as_str).unwrap_or("?");
        for e in service
            .get("endpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let get = |k: &str| e.get(k).and_then(Value::as_str);
            let (iface, url) = (get("interface").unwrap_or("?"), get("url").unwrap_or("?"));
            let reg = get("region_id").or_else(|| get("region"));
            offered.push(format!("{stype} {iface} {} {url}", reg.unwrap_or("-")));
            if stype == service_type && iface == interface && region.is_none_or(|r| reg == Some(r))
            {
                return Ok(unversioned(url));
            }
        }
    }
    let wanted = match region {
        Some(r) => format!("`{service_type}` endpoint with interface {interface} in region {r}"),
        None => format!("`{service_type}` endpoint with interface {interface}"),
    };
    Err(AuthError::NoEndpoint {
        what: what.to_string(),
        wanted,
        offered: if offered.is_empty() {
            "nothing (an unscoped token has no catalog: give a project)".into()
        } else {
            offered.join("; ")
        },
    })
}

fn unversioned(url: &str) -> String {
    let u = url.trim_end_matches('/');
    match u.rsplit_once('/') {
        Some((root, last))
            if last.len() > 1
                && last.starts_with('v')
                && last[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
                && root.contains("://") =>
        {
            root.to_string()
        }
        _ => u.to_string(),
    }
}

/// One identity's token for the run: the current one, every earlier one (so redaction and
/// renewal recognise them), and renewal at most once per stale token.
pub struct Session {
    /// `owner`, `other`, `admin`, … (for messages).
    pub label: String,
    client: reqwest::Client,
    request: TokenRequest,
    current: RwLock<Issued>,
    earlier: Mutex<Vec<String>>,
    renewing: tokio::sync::Mutex<()>,
}

impl Session {
    pub async fn open(
        client: reqwest::Client,
        request: TokenRequest,
        label: &str,
    ) -> Result<Session, AuthError> {
        let first = issue(&client, &request).await?;
        Ok(Session {
            label: label.to_string(),
            client,
            request,
            current: RwLock::new(first),
            earlier: Mutex::new(Vec::new()),
            renewing: tokio::sync::Mutex::new(()),
        })
    }

    pub fn issued(&self) -> Issued {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn token(&self) -> String {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .token
            .clone()
    }

    pub fn describe(&self) -> &str {
        &self.request.describe
    }

    /// Keystone's `…/v3`.
    pub fn auth_url(&self) -> &str {
        &self.request.auth_url
    }

    /// Every token this session has held, and the secrets it sends to Keystone.
    pub fn all_tokens(&self) -> Vec<String> {
        let mut all = self
            .earlier
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        all.push(self.token());
        all.extend(self.request.secrets());
        all
    }

    /// Whether `token` is (or was) this session's.
    pub fn owns(&self, token: &str) -> bool {
        self.token() == token
            || self
                .earlier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|t| t == token)
    }

    pub fn near_expiry(&self) -> bool {
        let expires = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .expires_at;
        let margin = chrono::Duration::from_std(EXPIRY_MARGIN).unwrap_or_default();
        expires.is_some_and(|e| e - chrono::Utc::now() < margin)
    }

    /// A new token in place of `stale`, unless another request already renewed it (then the
    /// current one).
    pub async fn renew(&self, stale: &str) -> Result<Renewed, AuthError> {
        let _one_at_a_time = self.renewing.lock().await;
        let now = self.token();
        if now != stale {
            return Ok(Renewed::Already(now));
        }
        let fresh = issue(&self.client, &self.request).await?;
        let token = fresh.token.clone();
        {
            let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
            let old = std::mem::replace(&mut *cur, fresh);
            self.earlier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(old.token);
        }
        Ok(Renewed::Fresh(token))
    }
}

/// What [`Session::renew`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewed {
    /// Keystone issued this token just now, in place of the stale one.
    Fresh(String),
    /// Another request renewed the token first: this is the current one.
    Already(String),
}

impl Renewed {
    pub fn token(&self) -> &str {
        match self {
            Renewed::Fresh(t) | Renewed::Already(t) => t,
        }
    }
}

/// The sessions of a run, looked up by the token a request carries: the run's [`Auth`] for the
/// HTTP layer. What renewal does is said through `notify` (a line for the run's console; never
/// a token).
///
/// [`Auth`]: crate::http::Auth
#[derive(Clone)]
pub struct TokenPool {
    sessions: Vec<std::sync::Arc<Session>>,
    notify: super::Notify,
}

impl TokenPool {
    pub fn new(sessions: Vec<std::sync::Arc<Session>>, notify: super::Notify) -> TokenPool {
        TokenPool { sessions, notify }
    }

    pub fn session_for(&self, token: &str) -> Option<&std::sync::Arc<Session>> {
        self.sessions.iter().find(|s| s.owns(token))
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The session `headers`' token belongs to, and that token.
    fn holder<'a>(
        &self,
        headers: &'a [(String, String)],
    ) -> Option<(std::sync::Arc<Session>, &'a str)> {
        let token = crate::http::header_value(headers, TOKEN_HEADER)?;
        Some((self.session_for(token)?.clone(), token))
    }

    /// `session`'s token renewed in place of `stale`, said on the console when Keystone was
    /// asked; `why` says what made it necessary.
    async fn renewed(
        &self,
        session: &Session,
        stale: &str,
        why: &str,
    ) -> Result<Renewed, AuthError> {
        let r = session.renew(stale).await?;
        if let Renewed::Fresh(_) = r {
            (self.notify)(&format!(
                "renewed the Keystone token of persona {} ({why})",
                session.label
            ));
        }
        Ok(r)
    }
}

/// The header a Keystone token travels in.
const TOKEN_HEADER: &str = "x-auth-token";

impl crate::http::Auth for TokenPool {
    fn prepare<'a>(
        &'a self,
        headers: &'a [(String, String)],
    ) -> futures_util::future::BoxFuture<'a, Option<Vec<(String, String)>>> {
        Box::pin(async move {
            let (session, token) = self.holder(headers)?;
            let mut headers = headers.to_vec();
            if session.near_expiry() {
                // A failure here is not the request's: it goes with the old token, and a 401
                // gets its own attempt (which says why it failed).
                if let Ok(r) = self
                    .renewed(&session, token, "its token was close to expiry")
                    .await
                {
                    crate::http::set_header(&mut headers, TOKEN_HEADER, r.token());
                }
            }
            Some(headers)
        })
    }

    fn renew<'a>(
        &'a self,
        headers: &'a [(String, String)],
    ) -> futures_util::future::BoxFuture<'a, Option<Vec<(String, String)>>> {
        Box::pin(async move {
            let (session, stale) = self.holder(headers)?;
            match self
                .renewed(&session, stale, "the endpoint answered 401")
                .await
            {
                Ok(r) if r.token() != stale => {
                    let mut headers = headers.to_vec();
                    crate::http::set_header(&mut headers, TOKEN_HEADER, r.token());
                    Some(headers)
                }
                Ok(_) => None,
                Err(e) => {
                    (self.notify)(&format!(
                        "cannot renew the token of persona {}: {e}",
                        session.label
                    ));
                    None
                }
            }
        })
    }
}

impl std::fmt::Debug for TokenPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenPool({} sessions)", self.sessions.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Value {
        json!([
            {"type": "identity", "endpoints": [{"interface": "public", "region_id": "R1", "url": "http://k:5000/v3"}]},
            {"type": "image", "endpoints": [
                {"interface": "internal", "region_id": "R1", "url": "http://internal-r1:9292"},
                {"interface": "public", "region_id": "R1", "url": "http://public-r1:9292/"},
                {"interface": "public", "region_id": "R2", "url": "http://public-r2:9292/v2"}
            ]}
        ])
    }

    #[test]
    fn catalog_picks_type_interface_and_region() {
        let c = catalog();
        assert_eq!(
            endpoint(&c, "image", None, None, "t").unwrap(),
            "http://public-r1:9292"
        );
        assert_eq!(
            endpoint(&c, "image", Some("internal"), None, "t").unwrap(),
            "http://internal-r1:9292"
        );
        assert_eq!(
            endpoint(&c, "image", Some("publicURL"), Some("R2"), "t").unwrap(),
            "http://public-r2:9292"
        );
        let e = endpoint(&c, "image", Some("admin"), None, "t")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("interface admin") && e.contains("image public R2"),
            "{e}"
        );
    }

    #[test]
    fn bodies_for_each_method() {
        let pw = Credentials {
            auth_url: Some("http://k:5000".into()),
            username: Some("u".into()),
            password: Some("pw".into()),
            project_name: Some("p".into()),
            project_domain_name: Some("D".into()),
            ..Default::default()
        };
        let r = TokenRequest::from_credentials(&pw, "main").unwrap();
        assert_eq!(r.auth_url, "http://k:5000/v3");
        let b = r.body();
        assert_eq!(
            b.pointer("/auth/identity/password/user/password"),
            Some(&json!("pw"))
        );
        assert_eq!(
            b.pointer("/auth/identity/password/user/domain/id"),
            Some(&json!("default"))
        );
        assert_eq!(
            b.pointer("/auth/scope/project/domain/name"),
            Some(&json!("D"))
        );
        assert!(!format!("{r:?}").contains("pw\""));

        let ac = Credentials {
            auth_url: Some("http://k:5000/v3/".into()),
            application_credential_id: Some("acid".into()),
            application_credential_secret: Some("acs".into()),
            project_name: Some("ignored".into()),
            ..Default::default()
        };
        let b = TokenRequest::from_credentials(&ac, "main").unwrap().body();
        assert_eq!(
            b.pointer("/auth/identity/methods/0"),
            Some(&json!("application_credential"))
        );
        assert_eq!(
            b.pointer("/auth/identity/application_credential/secret"),
            Some(&json!("acs"))
        );
        assert!(b.pointer("/auth/scope").is_none());

        let tok = Credentials {
            auth_url: Some("http://k/identity".into()),
            token: Some("t0".into()),
            domain_name: Some("Default".into()),
            ..Default::default()
        };
        let b = TokenRequest::from_credentials(&tok, "main").unwrap().body();
        assert_eq!(b.pointer("/auth/identity/token/id"), Some(&json!("t0")));
        assert_eq!(
            b.pointer("/auth/scope/domain/name"),
            Some(&json!("Default"))
        );

        let none = Credentials {
            auth_url: Some("http://k".into()),
            ..Default::default()
        };
        assert!(TokenRequest::from_credentials(&none, "main").is_err());
    }
}
