//! A fake Keystone v3 (and, on the same port, a tiny image API that checks the tokens it
//! issued), served by the test itself so Keystone behaviour runs in `cargo test` without Python.
//! Over plain HTTP, or over TLS with certificates the test makes.

#![allow(dead_code)] // each test file uses its own subset

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One token the fake issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub user: String,
    /// `password`, `application_credential` or `token`.
    pub method: String,
    /// The scope the request asked for, as sent.
    pub scope: Value,
}

#[derive(Debug, Default)]
pub struct FakeState {
    /// user name → (password, project id)
    pub users: BTreeMap<String, (String, String)>,
    /// application credential id → (secret, user name)
    pub app_creds: BTreeMap<String, (String, String)>,
    /// The catalog in every token; `{image}` in a URL becomes this server's own root.
    pub catalog: Value,
    pub issued: Vec<IssuedToken>,
    /// The first token of each user expires this many seconds after it is issued.
    pub first_expires_in: Option<i64>,
    /// The image API answers 401 to the first token it sees (as if Keystone revoked it).
    pub revoke_first: bool,
    pub revoked: Vec<String>,
    /// Tokens the image API was sent, in order, with the status it answered.
    pub image_seen: Vec<(String, u16)>,
    pub root: String,
}

pub struct FakeKeystone {
    pub state: Arc<Mutex<FakeState>>,
    /// The server's root (`http://127.0.0.1:PORT` or `https://…`).
    pub root: String,
    _rt: tokio::runtime::Runtime,
}

impl FakeKeystone {
    pub fn auth_url(&self) -> String {
        format!("{}/v3", self.root)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// Tokens issued to `user`, in order.
    pub fn tokens_of(&self, user: &str) -> Vec<IssuedToken> {
        self.state()
            .issued
            .iter()
            .filter(|t| t.user == user)
            .cloned()
            .collect()
    }
}

/// Users `owner`, `other`, `admin` with passwords `<name>-pw-…`; an application credential
/// `ac-owner` of owner; a catalog whose public RegionOne image endpoint is this server.
pub fn default_state() -> FakeState {
    let mut s = FakeState::default();
    for u in ["owner", "other", "admin"] {
        s.users
            .insert(u.into(), (format!("{u}-pw-91c3e7"), format!("proj-{u}")));
    }
    s.app_creds.insert(
        "ac-owner".into(),
        ("ac-secret-5b8d02".into(), "owner".into()),
    );
    s.catalog = json!([
        {"type": "identity", "endpoints": [
            {"interface": "public", "region_id": "RegionOne", "url": "{image}/v3"}]},
        {"type": "image", "endpoints": [
            {"interface": "public", "region_id": "RegionOne", "url": "{image}"}]}
    ]);
    s
}

pub fn start(state: FakeState) -> FakeKeystone {
    start_with(state, None)
}

/// Serves over TLS with this rustls server configuration when given.
pub fn start_with(
    state: FakeState,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
) -> FakeKeystone {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tcp = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = tcp.local_addr().unwrap().port();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let root = format!("{scheme}://127.0.0.1:{port}");
    let state = Arc::new(Mutex::new(FakeState {
        root: root.clone(),
        ..state
    }));
    let app = Router::new()
        .route("/v3/auth/tokens", post(tokens))
        .route("/", get(versions))
        .with_state(state.clone());
    match tls {
        None => {
            rt.spawn(async move { axum::serve(tcp, app).await });
        }
        Some(config) => {
            let listener = TlsListener {
                tcp,
                acceptor: tokio_rustls::TlsAcceptor::from(config),
            };
            rt.spawn(async move { axum::serve(listener, app).await });
        }
    }
    FakeKeystone {
        state,
        root,
        _rt: rt,
    }
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A failed handshake (the point of some tests) just drops that connection.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"code": 401, "title": "Unauthorized",
            "message": "The request you have made requires authentication."}})),
    )
        .into_response()
}

async fn tokens(State(state): State<Arc<Mutex<FakeState>>>, Json(body): Json<Value>) -> Response {
    let mut s = state.lock().unwrap();
    let identity = &body["auth"]["identity"];
    let method = identity["methods"][0].as_str().unwrap_or("").to_string();
    let user = match method.as_str() {
        "password" => {
            let u = &identity["password"]["user"];
            let name = u["name"].as_str().unwrap_or("");
            match s.users.get(name) {
                Some((pw, _)) if u["password"].as_str() == Some(pw) => name.to_string(),
                _ => return unauthorized(),
            }
        }
        "application_credential" => {
            let ac = &identity["application_credential"];
            match s.app_creds.get(ac["id"].as_str().unwrap_or("")) {
                Some((secret, user)) if ac["secret"].as_str() == Some(secret) => user.clone(),
                _ => return unauthorized(),
            }
        }
        "token" => {
            let t = identity["token"]["id"].as_str().unwrap_or("");
            match s.issued.iter().find(|i| i.token == t) {
                Some(i) => i.user.clone(),
                None => return unauthorized(),
            }
        }
        _ => return unauthorized(),
    };
    let first = !s.issued.iter().any(|i| i.user == user);
    let n = s.issued.len() + 1;
    let token = format!("gAAAAfake{n}tok{}x{user}", 7919 * n);
    s.issued.push(IssuedToken {
        token: token.clone(),
        user: user.clone(),
        method,
        scope: body["auth"]["scope"].clone(),
    });
    let lifetime = match s.first_expires_in {
        Some(secs) if first => secs,
        _ => 3600,
    };
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(lifetime))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let project = s
        .users
        .get(&user)
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let catalog: Value =
        serde_json::from_str(&s.catalog.to_string().replace("{image}", &s.root)).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-subject-token", token.parse().unwrap());
    (
        StatusCode::CREATED,
        headers,
        Json(json!({"token": {
            "methods": [body["auth"]["identity"]["methods"][0]],
            "expires_at": expires,
            "user": {"id": format!("uid-{user}"), "name": user},
            "project": {"id": project, "name": project},
            "roles": [{"name": "member"}],
            "catalog": catalog,
        }})),
    )
        .into_response()
}

/// The image API's version document, for a token this fake issued (and did not revoke).
async fn versions(State(state): State<Arc<Mutex<FakeState>>>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap();
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let known = s.issued.iter().any(|i| i.token == token);
    if s.revoke_first && s.image_seen.is_empty() && known {
        s.revoked.push(token.clone());
    }
    let status = if !known || s.revoked.contains(&token) {
        401
    } else {
        300
    };
    s.image_seen.push((token, status));
    if status == 401 {
        return unauthorized();
    }
    let root = s.root.clone();
    (
        StatusCode::MULTIPLE_CHOICES,
        Json(json!({"versions": [{"id": "v2.17", "status": "CURRENT",
            "links": [{"rel": "self", "href": format!("{root}/v2/")}]}]})),
    )
        .into_response()
}
