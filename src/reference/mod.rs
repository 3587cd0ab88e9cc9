//! The reference server: an in-memory OpenStack Images v2 (Glance) implementation.
//!
//! It follows the current Glance API reference and agrees with real Glance 33 where the
//! documents are silent (behaviour numbers B001… refer to
//! `research/glance-api-behaviours.md`). It is the built-in default target of the harness and
//! the fast target of the project's own tests.
//!
//! Every call to [`router`] gets its own, fresh state; nothing is global.

mod actions;
mod cache;
mod data;
pub use data::DEFAULT_MAX_IMAGE_BYTES;
pub mod coverage;
mod errors;
pub mod faults;
pub mod flavor;
mod identity;
mod images;
mod import;
mod inspect;
mod list;
mod locations;
mod members;
mod metadefs;
mod patch;
mod policy;
mod props;
mod request;
mod routes;
mod schemas;
mod state;
mod tags;
mod tasks;
pub mod versions;
mod view;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Switches of the reference server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Which implementation it is: Glance, or a documented vendor variant (see [`flavor`]).
    pub flavor: flavor::Flavor,
    /// Faults switched on: the server then breaks the rules they name (see [`faults`]).
    pub faults: faults::Faults,
    /// Added before every answer: a slow server, for tests of timeouts and interruption.
    pub latency: std::time::Duration,
    /// Store ids (`GET /v2/info/stores`), the first one the default. Two by default, so that
    /// copy-image and per-store delete are served; one gives a single-store deployment.
    pub stores: Vec<String>,
    /// Largest image (and staged) data accepted; more is refused with 413. Data is held in
    /// memory, so the default is small; benchmarks raise it.
    pub max_image_bytes: usize,
    /// Glance's secure RBAC defaults instead of its legacy ones, where the two differ for the
    /// cases: `add_image` needs the `member` role, `delete_image_location` is the
    /// administrator's.
    pub secure_rbac: bool,
}

/// The stores of the default (multi-store) reference server.
pub const DEFAULT_STORES: [&str; 2] = ["memory", "memory2"];

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            flavor: flavor::Flavor::default(),
            faults: faults::Faults::default(),
            latency: std::time::Duration::ZERO,
            stores: DEFAULT_STORES.iter().map(|s| s.to_string()).collect(),
            max_image_bytes: data::DEFAULT_MAX_IMAGE_BYTES,
            secure_rbac: false,
        }
    }
}

impl ServerOptions {
    /// Store ids from a comma-separated list (`memory,cold`): distinct, non-empty, URL-safe.
    pub fn parse_stores(list: &[String]) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for id in list.iter().flat_map(|s| s.split(',')).map(str::trim) {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "store id `{id}`: use letters, digits, `-` and `_` only"
                ));
            }
            if out.iter().any(|s| s == id) {
                return Err(format!("store id `{id}` is given twice"));
            }
            out.push(id.to_string());
        }
        if out.is_empty() {
            return Err("--stores needs at least one store id".into());
        }
        Ok(out)
    }
}

/// An axum router serving the Images v2 API from a fresh in-memory store.
pub fn router(options: ServerOptions) -> axum::Router {
    let state = Arc::new(state::AppState::new(options));
    axum::Router::new()
        .fallback(faults::dispatch)
        .with_state(state)
}

/// A reference server running on a Tokio task.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The address the server listens on (the real port when started with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`; an unspecified listen address is reported as loopback.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            let loopback: std::net::IpAddr = if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            addr.set_ip(loopback);
        }
        format!("http://{addr}")
    }

    /// Stops accepting connections, lets open requests finish and waits for the task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Dropped without `shutdown()`: still ask the server to stop (in the background).
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `listen` (port 0 picks a free port) and serves [`router`] until shut down.
pub async fn start(listen: SocketAddr, options: ServerOptions) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(options);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}
