//! Stage 3 of a run: everything the cases run against, brought up once. The async runtime and
//! Keystone sign-in ([`Access`]) are shared with `imgconf cleanup`; a run adds interrupts, the
//! personas of `--dynamic-personas`, the built-in reference server when no endpoint is given,
//! discovery, the web-download source and the features the cases are gated by.

use super::config::{RunConfig, TargetOptions};
use crate::auth;
use crate::cli::AuthMode;
use crate::discovery::{self, TargetInfo};
use crate::http::{HttpConfig, Target};
use crate::persona::{Persona, Personas};
use crate::progress::Console;
use crate::reference::{self, RunningServer, ServerOptions};
use crate::websource::{LocalSource, WebSource};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The async runtime, the HTTP settings and, with Keystone, a session for every persona: the
/// set-up a run and `imgconf cleanup` share.
pub struct Access {
    pub runtime: tokio::runtime::Runtime,
    pub http: HttpConfig,
    pub keystone: Option<auth::KeystoneRun>,
}

impl Access {
    pub fn start(http: HttpConfig) -> Result<Access, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(Access {
            runtime,
            http,
            keystone: None,
        })
    }

    /// A token for every persona from Keystone, when the identity comes from there: a refused
    /// password is one clear error before anything else happens.
    pub fn sign_in(&mut self, mode: AuthMode, resolved: &auth::Resolved) -> Result<(), String> {
        if mode == AuthMode::Keystone {
            let client = crate::http::client(&self.http)?;
            let k = self
                .runtime
                .block_on(auth::connect(&client, resolved))
                .map_err(|e| e.to_string())?;
            self.keystone = Some(k);
        }
        Ok(())
    }

    /// The Keystone sessions (none without Keystone).
    pub fn sessions(&self) -> Vec<Arc<auth::keystone::Session>> {
        self.keystone
            .as_ref()
            .map(|k| k.sessions.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The endpoint, its requests' tokens kept fresh (renewal said on `console`).
    pub fn target(&self, endpoint: &str, console: Console) -> Result<Target, String> {
        Ok(self.authenticate(Target::new(endpoint, self.http.clone())?, console))
    }

    /// `target`, its requests' Keystone tokens kept fresh (renewal said on `console`).
    pub fn authenticate(&self, target: Target, console: Console) -> Target {
        let sessions = self.sessions();
        match sessions.is_empty() {
            true => target,
            false => target.with_auth(Arc::new(auth::keystone::TokenPool::new(
                sessions,
                console.notify(),
            ))),
        }
    }

    /// Who the requests can come from: the Keystone sessions, or trusted identity headers
    /// (their project names made from `run`), or no one.
    pub fn personas(&self, mode: AuthMode, run: &str) -> Option<Personas> {
        match (&self.keystone, mode) {
            (Some(k), _) => Some(Personas::keystone(k.sessions.clone())),
            (None, AuthMode::TrustedHeaders) => Some(Personas::trusted_headers(run)),
            _ => None,
        }
    }
}

/// Identity headers of `persona` (none without personas), with `--token` when given.
pub fn identity(
    personas: Option<&Personas>,
    persona: Persona,
    token: Option<&String>,
) -> Vec<(String, String)> {
    let mut headers = personas.map(|p| p.headers(persona)).unwrap_or_default();
    if let Some(t) = token {
        headers.push(("X-Auth-Token".into(), t.clone()));
    }
    headers
}

/// What a run's cases run against.
pub struct Environment {
    /// Deleted when the run ends; declared before `access`, so dropped (deleting the personas)
    /// while the runtime still runs.
    pub made_personas: PersonaTeardown,
    pub server: Option<RunningServer>,
    /// Our own web-download data server, for as long as the run.
    _local_source: Option<LocalSource>,
    pub endpoint: String,
    pub target: Target,
    pub personas: Option<Personas>,
    /// Versions and features, as discovered and then as the profile and the command line say.
    pub info: TargetInfo,
    pub web_source: Option<WebSource>,
    /// The policy the run certifies, and how it knows.
    pub policy: crate::policy::Known,
    /// What the run creates, journaled in its `created.jsonl`; handed to the cases' execution.
    pub tracker: crate::cleanup::Tracker,
    pub redactor: auth::Redactor,
    /// Set by the first Ctrl-C or SIGTERM.
    pub interrupted: Arc<AtomicBool>,
    pub insecure: bool,
    pub access: Access,
}

impl Environment {
    /// `journal` is the run's `created.jsonl`: the policy probe's image is journaled there.
    pub fn bring_up(
        config: &RunConfig,
        options: TargetOptions,
        journal: &std::path::Path,
        console: Console,
    ) -> Result<Environment, String> {
        let args = &config.args;
        let insecure = options.http.tls.insecure;
        let mut access = Access::start(options.http)?;
        if insecure {
            console.warn(auth::tls::INSECURE_WARNING);
        }
        // From here on an interrupt lets the run clean up (personas it made included).
        let interrupted = watch_interrupts(&access.runtime);
        access.sign_in(config.mode, &config.resolved)?;
        let made_personas = complete_personas(&mut access, config, console)?;
        let redactor = auth::Redactor::new(config.secrets(), access.sessions());
        let endpoint_choice = match (&args.endpoint, &access.keystone) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(k)) => Some(
                k.catalog_endpoint
                    .as_ref()
                    .map_err(|e| format!("{e} (or give --endpoint)"))?
                    .clone(),
            ),
            (None, None) => None,
        };
        let server: Option<RunningServer> = match &endpoint_choice {
            Some(_) => None,
            None => Some(
                access
                    .runtime
                    .block_on(reference::start(
                        ([127, 0, 0, 1], 0).into(),
                        ServerOptions {
                            faults: options.faults,
                            stores: options.stores,
                            secure_rbac: args.policy == Some(crate::cli::Policy::Srbac),
                            ..ServerOptions::default()
                        },
                    ))
                    .map_err(|e| format!("cannot start the reference server: {e}"))?,
            ),
        };
        let endpoint = match (&endpoint_choice, &server) {
            (Some(e), _) => e.clone(),
            (None, Some(s)) => s.base_url(),
            (None, None) => unreachable!("a server is started when no endpoint is given"),
        };
        let target = access.target(&endpoint, console)?;
        let personas = access.personas(config.mode, &config.run_id);
        let owner = identity(personas.as_ref(), Persona::Owner, args.token.as_ref());
        let mut info = access.runtime.block_on(discovery::probe(&target, &owner))?;
        // Web-download needs data the target can fetch: the operator's URL, or our own on
        // loopback for a target on this machine (it lives as long as the run).
        let local_source = match options.given_source {
            Some(_) => None,
            None if server.is_some() || crate::websource::is_local(&endpoint) => Some(
                access
                    .runtime
                    .block_on(crate::websource::serve_local())
                    .map_err(|e| format!("cannot start the web-download data server: {e}"))?,
            ),
            None => None,
        };
        let web_source = options
            .given_source
            .or_else(|| local_source.as_ref().map(|l| l.source.clone()));
        // The policy: declared, the built-in server's, or observed (the probe is tracked).
        // One tracker for the whole run: the policy probe's image, then every case's.
        let tracker = crate::cleanup::Tracker::journaled(crate::journal::Journal::open(
            journal,
            &config.run_id,
            &endpoint,
        )?);
        let policy = access.runtime.block_on(crate::policy::settle(
            args.policy,
            server.is_some(),
            &target,
            personas.as_ref(),
            &tracker,
            &config.run_id,
        ));
        settle_features(&mut info, config, web_source.is_some(), &policy);
        Ok(Environment {
            made_personas,
            server,
            _local_source: local_source,
            endpoint,
            target,
            personas,
            info,
            web_source,
            policy,
            tracker,
            redactor,
            interrupted,
            insecure,
            access,
        })
    }

    /// The console's account of what is certified, as whom, with which features.
    pub fn announce(&self, config: &RunConfig, console: Console) {
        let args = &config.args;
        let what = match (&self.server, args.faults.is_empty()) {
            (Some(_), true) => " (built-in reference server)".to_string(),
            (Some(_), false) => format!(
                " (built-in reference server with fault(s) {})",
                args.faults.join(", ")
            ),
            (None, _) if self.info.reference_server => " (imgconf's reference server)".to_string(),
            (None, _) => String::new(),
        };
        let version = self
            .info
            .highest()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "unknown".into());
        console.note(&format!(
            "certifying {}{what}, Images API up to {version}, profile `{}`{}, run {}",
            self.endpoint, config.profile.name, config.release_note, config.run_id
        ));
        let features: Vec<&str> = self.info.features.iter().map(String::as_str).collect();
        let features = if features.is_empty() {
            "none".to_string()
        } else {
            features.join(", ")
        };
        let identity_text = match (&self.access.keystone, &self.personas) {
            (Some(k), _) => format!("Keystone tokens ({})", k.describe.join("; ")),
            (None, Some(_)) => {
                "trusted identity headers (personas owner, other, third, admin, service, reader)"
                    .into()
            }
            (None, None) => "none (no personas: cases that need them are skipped)".into(),
        };
        console.note(&format!(
            "identity: {identity_text}; optional features: {features}"
        ));
        console.note(&format!("policy: {}", self.policy.describe()));
    }

    /// The identity as the report names it.
    pub fn identity_summary(&self) -> String {
        match (&self.access.keystone, &self.personas) {
            (Some(k), _) => {
                let names: Vec<&str> = k.sessions.keys().map(|p| p.name()).collect();
                match self.made_personas.count() {
                    0 => format!("keystone (personas {})", names.join(", ")),
                    n => format!(
                        "keystone (personas {}; {n} made for the run by --dynamic-personas)",
                        names.join(", ")
                    ),
                }
            }
            (None, Some(_)) => "trusted-headers".into(),
            (None, None) => "none".into(),
        }
    }

    /// Whether the profile's deviations are to be expected here: another implementation's
    /// (Glance's) do not occur on the reference server, unless a fault bends it to behave like
    /// that implementation.
    pub fn deviations_expected(&self, config: &RunConfig) -> bool {
        !(self.info.reference_server || self.server.is_some())
            || config.profile.deviations_on_reference_server != Some(false)
            || !config.args.faults.is_empty()
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Stops the built-in reference server, if the run started one.
    pub fn shut_down_server(&mut self) {
        if let Some(s) = self.server.take() {
            self.access.runtime.block_on(s.shutdown());
        }
    }
}

/// With `--dynamic-personas`, makes the personas for the run (the credentials are `admin`);
/// otherwise credentials that hold the admin role are the admin persona too.
fn complete_personas(
    access: &mut Access,
    config: &RunConfig,
    console: Console,
) -> Result<PersonaTeardown, String> {
    let Some(k) = access.keystone.as_mut() else {
        return Ok(PersonaTeardown::default());
    };
    if config.args.dynamic_personas {
        let client = crate::http::client(&access.http)?;
        let main = k.sessions[&Persona::Owner].clone();
        let admin = auth::provision::Admin::new(client, main.clone());
        console.note(&format!(
            "making the personas owner, other, third, service and reader for run {} (--dynamic-personas)",
            config.run_id
        ));
        let made = access
            .runtime
            .block_on(auth::provision::provision(&admin, &config.run_id))
            .map_err(|e| e.to_string())?;
        let teardown = PersonaTeardown::new(access.runtime.handle().clone(), admin, made.made);
        k.sessions = made.sessions;
        k.sessions.insert(Persona::Admin, main);
        k.describe = k
            .sessions
            .iter()
            .map(|(p, s)| format!("{}: {}", p.name(), s.describe()))
            .collect();
        return Ok(teardown);
    }
    if !k.sessions.contains_key(&Persona::Admin) {
        let owner = k.sessions[&Persona::Owner].clone();
        if holds_admin(&owner) {
            k.describe
                .push("admin: the main credentials (they hold the admin role)".into());
            k.sessions.insert(Persona::Admin, owner);
        }
    }
    Ok(PersonaTeardown::default())
}

/// Whether the session's token carries the admin role.
pub fn holds_admin(session: &auth::keystone::Session) -> bool {
    session
        .issued()
        .roles
        .iter()
        .any(|r| r.eq_ignore_ascii_case("admin"))
}

/// The features cases are gated by: discovery's, then the run's own (web-download data, format
/// inspection, the policy), then the profile's rules, then the command line's.
fn settle_features(
    info: &mut TargetInfo,
    config: &RunConfig,
    web_source: bool,
    policy: &crate::policy::Known,
) {
    let args = &config.args;
    if web_source {
        info.features.insert(crate::websource::FEATURE.to_string());
    }
    // Not revealed by the API: taken as offered unless the profile or the command line says not.
    info.features
        .insert(crate::applicable::FORMAT_INSPECTION.to_string());
    if let Some(p) = policy.policy() {
        info.features.insert(p.feature().to_string());
    }
    config.profile.apply_features(&mut info.features);
    info.features.extend(args.features.iter().cloned());
    info.features.retain(|f| !args.without_features.contains(f));
}

/// The projects and users `--dynamic-personas` made, deleted when the run ends: by
/// [`PersonaTeardown::finish`] on the normal path, or on drop when the run ends early with an
/// error.
#[derive(Default)]
pub struct PersonaTeardown {
    pending: Option<(
        tokio::runtime::Handle,
        auth::provision::Admin,
        auth::provision::Made,
    )>,
}

impl PersonaTeardown {
    fn new(
        handle: tokio::runtime::Handle,
        admin: auth::provision::Admin,
        made: auth::provision::Made,
    ) -> PersonaTeardown {
        PersonaTeardown {
            pending: Some((handle, admin, made)),
        }
    }

    /// How many personas were made (users).
    pub fn count(&self) -> usize {
        self.pending.as_ref().map_or(0, |(_, _, m)| m.users.len())
    }

    /// Deletes them; what could not be deleted, as problems.
    pub fn finish(&mut self) -> Vec<String> {
        let Some((handle, admin, made)) = self.pending.take() else {
            return Vec::new();
        };
        let console = Console;
        let problems = handle.block_on(admin.delete(&made));
        let problems: Vec<String> = problems
            .into_iter()
            .map(|p| format!("{p} (`imgconf cleanup --auth keystone` sweeps it)"))
            .collect();
        for p in &problems {
            console.note(&format!("cleanup failed: {p}"));
        }
        if problems.is_empty() {
            console.note(&format!(
                "deleted the {} project(s) and {} user(s) made for the run",
                made.projects.len(),
                made.users.len()
            ));
        }
        problems
    }
}

impl Drop for PersonaTeardown {
    fn drop(&mut self) {
        self.finish();
    }
}

/// First Ctrl-C or SIGTERM: cases not yet started are skipped, running ones finish and clean up,
/// then the run deletes what is left and writes its reports. A second one aborts at once.
fn watch_interrupts(runtime: &tokio::runtime::Runtime) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    runtime.spawn(async move {
        let console = Console;
        loop {
            if !next_interrupt().await {
                return;
            }
            if seen.swap(true, Ordering::SeqCst) {
                console.note("second interrupt: aborting without cleanup (`imgconf cleanup` sweeps leftovers)");
                std::process::exit(i32::from(super::EXIT_INTERRUPTED));
            }
            console.note("interrupted: finishing running cases and deleting what the run created (interrupt again to abort)");
        }
    });
    flag
}

/// Waits for Ctrl-C or SIGTERM; false when signals cannot be watched.
async fn next_interrupt() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return false;
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = term.recv() => r.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
