//! `imgconf run`: load the suite, pick the target, run every case as a libtest trial, write
//! reports, clean up, and turn the outcome into an exit code.

use crate::auth;
use crate::cli::{AuthMode, RunArgs};
use crate::discovery;
use crate::http::{HttpConfig, Target};
use crate::outcome::{CaseResult, Verdict};
use crate::persona::{Persona, Personas};
use crate::reference::faults::{Faults, FAULTS};
use crate::reference::{self, RunningServer, ServerOptions};
use crate::report;
use crate::report::results::{RunMeta, RunReport};
use crate::runner::{run_case, skipped, RunContext};
use crate::suite::Suite;
use libtest_mimic::{Completion, Failed, Trial};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Usage and configuration errors (bad case file, unreachable endpoint) exit with 2.
pub const EXIT_CONFIG: u8 = 2;
/// A run stopped by Ctrl-C or SIGTERM (after cleaning up) exits with 130, as shells do.
pub const EXIT_INTERRUPTED: u8 = 130;

pub fn run(args: RunArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn run_inner(args: RunArgs) -> Result<ExitCode, String> {
    // Never dropped: the process ends with the run, and freeing the parsed suite piece by piece
    // would only add to the time of every run (a tenth of `run --list`).
    let mut suite = std::mem::ManuallyDrop::new(
        Suite::load(args.cases.as_deref(), args.schemas.as_deref()).map_err(|e| e.to_string())?,
    );
    // The whole suite, before the profile and filters choose: `imgconf compare` tells runs of
    // different suites apart by it.
    let suite_ids: Vec<String> = suite.cases.iter().map(|c| c.id.clone()).collect();
    // Read first: a baseline that cannot be read stops the run before it starts.
    let baseline = match &args.compare_with {
        Some(p) => Some(crate::compare::load(p)?),
        None => None,
    };
    let env = auth::Environment::capture();
    let resolved = auth::resolve(
        args.cloud.credentials(),
        args.cloud.os_cloud.as_deref(),
        &args.cloud.personas,
        &env,
    )
    .map_err(|e| e.to_string())?;
    let mode = match (args.no_auth, args.auth) {
        (true, _) => AuthMode::None,
        (false, Some(m)) => m,
        (false, None) if resolved.main.auth_url.is_some() => AuthMode::Keystone,
        (false, None) if args.endpoint.is_none() => AuthMode::TrustedHeaders,
        (false, None) => AuthMode::None,
    };
    if mode == AuthMode::Keystone && args.token.is_some() {
        return Err("--token sends a token as is; with Keystone credentials the run gets its own (drop one of them)".into());
    }
    if args.dynamic_personas && mode != AuthMode::Keystone {
        return Err("--dynamic-personas makes personas through Keystone: it needs Keystone credentials with the admin role".into());
    }
    if args.dynamic_personas && !resolved.personas.is_empty() {
        return Err(
            "--dynamic-personas makes the personas itself: drop --persona / IMGCONF_PERSONA_*"
                .into(),
        );
    }
    if mode != AuthMode::Keystone && !resolved.personas.is_empty() {
        return Err(
            "--persona / IMGCONF_PERSONA_* need Keystone credentials (--auth keystone)".into(),
        );
    }
    // A real cloud (an endpoint given, or found in a Keystone catalog) is judged as Glance.
    let default_profile = if args.endpoint.is_some() || mode == AuthMode::Keystone {
        "glance"
    } else {
        "strict"
    };
    let mut profile = suite
        .profile(args.profile.as_deref().unwrap_or(default_profile))
        .map_err(|e| e.to_string())?;
    // The release a Glance target runs decides which release-bound deviations apply.
    let release = match &args.glance_release {
        Some(r) => Some(r.parse().map_err(|e| format!("--glance-release: {e}"))?),
        None => profile
            .glance_release
            .as_deref()
            .and_then(|r| r.parse().ok()),
    };
    profile.for_release(release);
    let release_note = match (&args.glance_release, &profile.glance_release) {
        (Some(r), _) | (None, Some(r)) => format!(", Glance release {r}"),
        (None, None) => String::new(),
    };
    let profile = Arc::new(profile);
    suite.apply_profile(&profile).map_err(|e| e.to_string())?;
    if args.libtest.ignored {
        return Err("--ignored selects the cases marked ignored before the run, and imgconf marks none: a case that cannot run here is skipped while running, with its reason (drop --ignored)".into());
    }
    let libtest = args.libtest.to_mimic();
    // After the profile, which may name any case of the suite.
    let Some(rerun_note) = select_cases(&args, &mut suite.cases)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(note) = rerun_note {
        eprintln!("imgconf: {note}");
    }
    if args.libtest.list {
        // Listing needs no target.
        let trials = suite
            .cases
            .iter()
            .map(|c| Trial::test(c.id.clone(), || Ok(())))
            .collect();
        let _ = libtest_mimic::run(&libtest, trials);
        return Ok(ExitCode::SUCCESS);
    }
    let selected = suite
        .cases
        .iter()
        .filter(|c| !libtest.is_filtered_out(&Trial::test(c.id.clone(), || Ok(()))))
        .count();
    if selected == 0 {
        let given = match (&args.libtest.filter, args.libtest.skip.is_empty()) {
            (Some(f), _) => format!("the filter `{f}`"),
            (None, false) => "--skip".to_string(),
            (None, true) => "the selection (--partition / --rerun-failed)".to_string(),
        };
        return Err(format!(
            "{given} matches no case (see `imgconf run --list`)"
        ));
    }
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string());
    // Where the reports go is settled (and writable) before anything is sent, not found out
    // after every case ran.
    let outputs = Outputs::prepare(&args, &run_id)?;
    let tls = resolved.main.tls();
    let http = HttpConfig {
        connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
        timeout: seconds(args.timeout, "--timeout")?,
        tls: tls.clone(),
        ..HttpConfig::default()
    };
    let faults = Faults::parse(&args.faults)?;
    if (args.endpoint.is_some() || mode == AuthMode::Keystone) && !faults.is_empty() {
        return Err(
            "--fault switches the built-in reference server; it cannot go with --endpoint or Keystone".into(),
        );
    }
    if args.endpoint.is_some() && !args.reference_stores.is_empty() {
        return Err("--reference-stores configures the built-in reference server; it cannot go with --endpoint".into());
    }
    let stores = if args.reference_stores.is_empty() {
        ServerOptions::default().stores
    } else {
        ServerOptions::parse_stores(&args.reference_stores)?
    };
    let given_source = match &args.web_download_url {
        Some(url) => Some(crate::websource::WebSource::given(
            url,
            args.web_download_sha512.as_deref(),
        )?),
        None if args.web_download_sha512.is_some() => {
            return Err("--web-download-sha512 goes with --web-download-url".into())
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    if tls.insecure {
        eprintln!("imgconf: WARNING: {}", auth::tls::INSECURE_WARNING);
    }
    // From here on an interrupt lets the run clean up (personas it made included).
    let interrupted = watch_interrupts(&runtime);
    // Keystone first: a refused password is one clear error before anything else happens.
    let mut keystone = match mode {
        AuthMode::Keystone => {
            let client = crate::http::client(&http)?;
            Some(
                runtime
                    .block_on(auth::connect(&client, &resolved))
                    .map_err(|e| e.to_string())?,
            )
        }
        _ => None,
    };
    // Declared after the runtime, so dropped (deleting the personas) while it still runs.
    let mut made_personas = PersonaTeardown::default();
    if let Some(k) = keystone.as_mut() {
        if args.dynamic_personas {
            let client = crate::http::client(&http)?;
            let main = k.sessions[&Persona::Owner].clone();
            let admin = auth::provision::Admin::new(client, main.clone());
            eprintln!("imgconf: making the personas owner, other, third and service for run {run_id} (--dynamic-personas)");
            let made = runtime
                .block_on(auth::provision::provision(&admin, &run_id))
                .map_err(|e| e.to_string())?;
            made_personas = PersonaTeardown::new(runtime.handle().clone(), admin, made.made);
            k.sessions = made.sessions;
            k.sessions.insert(Persona::Admin, main);
            k.describe = k
                .sessions
                .iter()
                .map(|(p, s)| format!("{}: {}", p.name(), s.describe()))
                .collect();
        } else if !k.sessions.contains_key(&Persona::Admin) {
            // Credentials that hold the admin role are the admin persona too.
            let owner = k.sessions[&Persona::Owner].clone();
            if owner
                .issued()
                .roles
                .iter()
                .any(|r| r.eq_ignore_ascii_case("admin"))
            {
                k.describe
                    .push("admin: the main credentials (they hold the admin role)".into());
                k.sessions.insert(Persona::Admin, owner);
            }
        }
    }
    let mut secrets = resolved.main.secrets();
    for (_, c) in resolved.personas.values() {
        secrets.extend(c.secrets());
    }
    secrets.extend(args.token.iter().cloned());
    let sessions: Vec<Arc<auth::keystone::Session>> = keystone
        .as_ref()
        .map(|k| k.sessions.values().cloned().collect())
        .unwrap_or_default();
    let redactor = auth::Redactor::new(secrets, sessions.clone());
    let endpoint_choice = match (&args.endpoint, &keystone) {
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
            runtime
                .block_on(reference::start(
                    ([127, 0, 0, 1], 0).into(),
                    ServerOptions {
                        faults,
                        stores,
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
    let mut target = Target::new(&endpoint, http)?;
    if !sessions.is_empty() {
        let console = crate::progress::Console;
        target = target.with_auth(Arc::new(auth::keystone::TokenPool::new(
            sessions,
            console.notify(),
        )));
    }
    let personas = match (&keystone, mode) {
        (Some(k), _) => Some(Personas::keystone(k.sessions.clone())),
        (None, AuthMode::TrustedHeaders) => Some(Personas::trusted_headers(&run_id)),
        _ => None,
    };
    let mut identity = personas
        .as_ref()
        .map(|p| p.headers(Persona::Owner))
        .unwrap_or_default();
    if let Some(t) = &args.token {
        identity.push(("X-Auth-Token".into(), t.clone()));
    }
    let mut info = runtime.block_on(discovery::probe(&target, &identity))?;
    // Web-download needs data the target can fetch: the operator's URL, or our own on loopback
    // for a target on this machine (it lives as long as the run).
    let local_source = match given_source {
        Some(_) => None,
        None if server.is_some() || crate::websource::is_local(&endpoint) => Some(
            runtime
                .block_on(crate::websource::serve_local())
                .map_err(|e| format!("cannot start the web-download data server: {e}"))?,
        ),
        None => None,
    };
    let web_source = given_source.or_else(|| local_source.as_ref().map(|l| l.source.clone()));
    if web_source.is_some() {
        info.features.insert(crate::websource::FEATURE.to_string());
    }
    // Not revealed by the API: taken as offered unless the profile or the command line says not.
    info.features
        .insert(crate::applicable::FORMAT_INSPECTION.to_string());
    // The policy: as said, or the built-in server's own (legacy: owners may do what Glance's
    // deprecated defaults let them).
    match (args.policy, &server) {
        (Some(p), _) => {
            info.features.insert(p.feature().to_string());
        }
        (None, Some(_)) => {
            info.features
                .insert(crate::cli::Policy::Legacy.feature().to_string());
        }
        (None, None) => {}
    }
    // Discovery, then the profile's rules, then the command line's.
    profile.apply_features(&mut info.features);
    info.features.extend(args.features.iter().cloned());
    info.features.retain(|f| !args.without_features.contains(f));
    let what = match (&server, args.faults.is_empty()) {
        (Some(_), true) => " (built-in reference server)".to_string(),
        (Some(_), false) => format!(
            " (built-in reference server with fault(s) {})",
            args.faults.join(", ")
        ),
        (None, _) if info.reference_server => " (imgconf's reference server)".to_string(),
        (None, _) => String::new(),
    };
    let version = info
        .highest()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "unknown".into());
    eprintln!("imgconf: certifying {endpoint}{what}, Images API up to {version}, profile `{}`{release_note}, run {run_id}", profile.name);
    let features: Vec<&str> = info.features.iter().map(String::as_str).collect();
    let features = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    let identity_text = match (&keystone, &personas) {
        (Some(k), _) => format!("Keystone tokens ({})", k.describe.join("; ")),
        (None, Some(_)) => {
            "trusted identity headers (personas owner, other, third, admin, service)".into()
        }
        (None, None) => "none (no personas: cases that need them are skipped)".into(),
    };
    eprintln!("imgconf: identity: {identity_text}; optional features: {features}");
    if let Some(line) = persona_shortfall(&args, &suite.cases, personas.as_ref()) {
        eprintln!("imgconf: {line}");
    }
    let mut warnings = Vec::new();
    if tls.insecure {
        warnings.push(auth::tls::INSECURE_WARNING.to_string());
    }
    let started = chrono::Utc::now();
    let mut meta = RunMeta {
        tool: "imgconf".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        commit: env!("IMGCONF_COMMIT").into(),
        run_id: run_id.clone(),
        endpoint: endpoint.clone(),
        reference_server: server.is_some(),
        api_versions: info.versions.iter().map(|v| v.to_string()).collect(),
        api_current: info.current.map(|v| v.to_string()),
        profile: profile.name.clone(),
        identity: match (&keystone, &personas) {
            (Some(k), _) => {
                let names: Vec<&str> = k.sessions.keys().map(|p| p.name()).collect();
                match made_personas.count() {
                    0 => format!("keystone (personas {})", names.join(", ")),
                    n => format!(
                        "keystone (personas {}; {n} made for the run by --dynamic-personas)",
                        names.join(", ")
                    ),
                }
            }
            (None, Some(_)) => "trusted-headers".into(),
            (None, None) => "none".into(),
        },
        warnings,
        features: info.features.iter().cloned().collect(),
        started_at: started.to_rfc3339(),
        finished_at: String::new(),
        duration_ms: 0,
        config: effective_config(&args, mode, &resolved),
    };

    // Another implementation's deviations (Glance's) do not occur on the reference server,
    // unless a fault bends it to behave like that implementation.
    let deviations_expected = !(info.reference_server || server.is_some())
        || profile.deviations_on_reference_server != Some(false)
        || !args.faults.is_empty();
    if !deviations_expected && !profile.deviations.is_empty() {
        eprintln!(
            "imgconf: the target is imgconf's reference server: the deviations of profile `{}` are not expected here",
            profile.name
        );
    }
    let judge = Arc::new(crate::verdict::Judge {
        profile: profile.clone(),
        deviations_expected,
        strict_deviations: args.strict_deviations,
    });
    let ctx = Arc::new(RunContext {
        target,
        schemas: suite.schemas.clone(),
        run_id: run_id.clone(),
        api_version: info.highest(),
        tracker: crate::cleanup::Tracker::journaled(crate::journal::Journal::open(
            &outputs.dir.join(crate::journal::FILE),
            &run_id,
            &endpoint,
        )?),
        personas,
        features: info.features.clone(),
        token: args.token.clone(),
        web_source,
    });
    let results: Arc<Mutex<Vec<CaseResult>>> = Arc::default();
    // With --fail-fast, the first failed case's name; cases that start later are skipped.
    let stop: Arc<std::sync::OnceLock<String>> = Arc::default();
    let progress =
        crate::progress::Progress::start(selected, !args.no_progress && !args.libtest.quiet);
    let trials = suite
        .cases
        .iter()
        .map(|case| {
            let judge = judge.clone();
            let (ctx, profile, results, handle) = (
                ctx.clone(),
                profile.clone(),
                results.clone(),
                runtime.handle().clone(),
            );
            let case = case.clone();
            let stop = stop.clone();
            let redactor = redactor.clone();
            let fail_fast = args.fail_fast;
            let interrupted = interrupted.clone();
            let progress = progress.counter.clone();
            Trial::ignorable_test(case.id.clone(), move || {
                let mut count = progress.on_drop();
                if interrupted.load(Ordering::SeqCst) {
                    return Ok(Completion::ignored_with("not run: the run was interrupted"));
                }
                if let Some(first) = stop.get() {
                    return Ok(Completion::ignored_with(format!(
                        "not run: --fail-fast after {first} failed"
                    )));
                }
                let mut result = match profile.exclusion(&case) {
                    Some(why) => skipped(&case, why),
                    None => handle.block_on(run_case(&ctx, &case)),
                };
                judge.judge(&mut result);
                if result.verdict == Verdict::Fail {
                    if let Some(hint) = crate::applicable::format_inspection_hint(&case.requires) {
                        result.reason = format!("{} ({hint})", result.reason);
                    }
                }
                // Only after the profile has judged: an accepted deviation does not stop the run.
                if fail_fast && judge.fails_run(&result) {
                    let _ = stop.set(result.id.clone());
                }
                let outcome = trial_outcome(&judge, &result, &redactor);
                count.failed(outcome.is_err());
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result);
                outcome
            })
        })
        .collect();
    let mut libtest = libtest;
    if progress.routes_stdout() && libtest.color.is_none() {
        // stdout reaches the terminal through the progress relay's pipe: keep its colours.
        libtest.color = Some(libtest_mimic::ColorSetting::Always);
    }
    let conclusion = libtest_mimic::run(&libtest, trials);
    progress.finish();

    // Whatever a case could not delete (or a panicking case left) goes now.
    let leftovers = runtime.block_on(ctx.tracker.delete(&ctx.target, None));
    for p in &leftovers {
        eprintln!("imgconf: cleanup failed: {p}");
    }
    let mut leftovers = leftovers;
    leftovers.extend(made_personas.finish());
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    let finished = chrono::Utc::now();
    meta.finished_at = finished.to_rfc3339();
    meta.duration_ms = (finished - started).num_milliseconds().max(0) as u128;
    let report = RunReport::new(meta, results).with_suite(suite_ids);
    finish(&args, &outputs, &report, &redactor)?;
    let differs = match (&baseline, &args.compare_with) {
        (Some(base), Some(path)) => {
            let cmp =
                crate::compare::command::after_run(path, base, &report, &outputs.dir, &|t| {
                    redactor.scrub(&t)
                })?;
            if let Some(t) = cmp.trouble() {
                return Err(t);
            }
            cmp.exit_code() != crate::compare::EXIT_SAME
        }
        _ => false,
    };
    if let Some(s) = server {
        runtime.block_on(s.shutdown());
    }
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("imgconf: interrupted; what the run created has been deleted");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if !leftovers.is_empty() && !conclusion.has_failed() {
        return Ok(ExitCode::from(101));
    }
    if differs && !conclusion.has_failed() {
        eprintln!(
            "imgconf: the run differs from {} (--compare-with)",
            args.compare_with
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        return Ok(ExitCode::from(crate::compare::EXIT_DIFFERENT));
    }
    Ok(conclusion.exit_code())
}

/// The projects and users `--dynamic-personas` made, deleted when the run ends: by
/// [`PersonaTeardown::finish`] on the normal path, or on drop when the run ends early with an
/// error.
#[derive(Default)]
struct PersonaTeardown {
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
    fn count(&self) -> usize {
        self.pending.as_ref().map_or(0, |(_, _, m)| m.users.len())
    }

    /// Deletes them; what could not be deleted, as problems.
    fn finish(&mut self) -> Vec<String> {
        let Some((handle, admin, made)) = self.pending.take() else {
            return Vec::new();
        };
        let problems = handle.block_on(admin.delete(&made));
        let problems: Vec<String> = problems
            .into_iter()
            .map(|p| format!("{p} (`imgconf cleanup --auth keystone` sweeps it)"))
            .collect();
        for p in &problems {
            eprintln!("imgconf: cleanup failed: {p}");
        }
        if problems.is_empty() {
            eprintln!(
                "imgconf: deleted the {} project(s) and {} user(s) made for the run",
                made.projects.len(),
                made.users.len()
            );
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
        loop {
            if !next_interrupt().await {
                return;
            }
            if seen.swap(true, Ordering::SeqCst) {
                eprintln!("imgconf: second interrupt: aborting without cleanup (`imgconf cleanup` sweeps leftovers)");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!("imgconf: interrupted: finishing running cases and deleting what the run created (interrupt again to abort)");
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

/// How many selected cases will be skipped for want of personas, and how to get them.
fn persona_shortfall(
    args: &RunArgs,
    cases: &[crate::case::Case],
    personas: Option<&Personas>,
) -> Option<String> {
    let mut wanted = std::collections::BTreeSet::new();
    let mut count = 0;
    for c in cases {
        if args
            .libtest
            .to_mimic()
            .is_filtered_out(&Trial::test(c.id.clone(), || Ok(())))
        {
            continue;
        }
        let missing: Vec<Persona> = c
            .personas
            .iter()
            .copied()
            .filter(|p| !personas.is_some_and(|ps| ps.has(*p)))
            .collect();
        if !missing.is_empty() {
            count += 1;
            wanted.extend(missing);
        }
    }
    if count == 0 {
        return None;
    }
    let names: Vec<&str> = wanted.iter().map(|p| p.name()).collect();
    let how = match personas {
        None => "a run without identities has none; certify with Keystone credentials or trusted headers",
        Some(_) => "give --persona NAME=CLOUD for each, or --dynamic-personas with admin credentials to have them made for the run",
    };
    Some(format!(
        "{count} case(s) will be skipped for want of persona(s) {}: {how}",
        names.join(", ")
    ))
}

/// Applies --partition and --rerun-failed to the loaded cases. `None`: nothing to run, which is
/// a success (a rerun of a green run); otherwise a note for the console, if any.
fn select_cases(
    args: &RunArgs,
    cases: &mut Vec<crate::case::Case>,
) -> Result<Option<Option<String>>, String> {
    let mut note = None;
    if let Some(path) = &args.rerun_failed {
        let saved = RunReport::read(path)?;
        let failed: std::collections::BTreeSet<&str> = saved
            .cases
            .iter()
            .filter(|c| c.verdict.is_failure())
            .map(|c| c.id.as_str())
            .collect();
        if failed.is_empty() {
            eprintln!(
                "imgconf: {}: no case failed in that run; nothing to rerun",
                path.display()
            );
            return Ok(None);
        }
        cases.retain(|c| failed.contains(c.id.as_str()));
        note = Some(format!(
            "rerunning the {} case(s) that failed in {}",
            cases.len(),
            path.display()
        ));
    }
    if let Some(p) = &args.partition {
        let mut i = 0;
        cases.retain(|c| {
            i += 1;
            p.contains(i - 1, &c.id)
        });
    }
    Ok(Some(note))
}

/// The libtest trial's outcome (and so the exit code) follows the judged verdict.
fn trial_outcome(
    judge: &crate::verdict::Judge,
    r: &CaseResult,
    redactor: &auth::Redactor,
) -> Result<Completion, Failed> {
    if judge.fails_run(r) {
        Err(redactor.scrub(&report::text::failure(r)).into())
    } else if r.verdict == Verdict::Skip {
        Ok(Completion::ignored_with(redactor.scrub(&r.reason)))
    } else {
        Ok(Completion::Completed)
    }
}

/// Where a run's files go: its results folder, and the extra JUnit copy if there is one.
struct Outputs {
    dir: std::path::PathBuf,
    /// `--junit PATH`; without it, `reports/junit.xml` only when no `--report-dir` is given.
    junit: Option<std::path::PathBuf>,
    /// Folders this run made, deepest first: a run that stops before writing anything (a refused
    /// password, say) leaves no empty report folder behind.
    made: Vec<std::path::PathBuf>,
}

impl Drop for Outputs {
    fn drop(&mut self) {
        // remove_dir only takes empty folders, so written reports always stay.
        for d in &self.made {
            let _ = std::fs::remove_dir(d);
        }
    }
}

impl Outputs {
    /// Creates the folders and checks that they can be written.
    fn prepare(args: &RunArgs, run_id: &str) -> Result<Outputs, String> {
        let dir = args
            .report_dir
            .clone()
            .unwrap_or_else(|| std::path::Path::new("reports").join(run_id));
        let junit = match (&args.junit, &args.report_dir) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(std::path::Path::new("reports").join("junit.xml")),
        };
        let mut made = Vec::new();
        let mut writable = |d: &std::path::Path, what: &str| -> Result<(), String> {
            let mut missing = d;
            while !missing.as_os_str().is_empty() && !missing.exists() {
                made.push(missing.to_path_buf());
                missing = missing.parent().unwrap_or(std::path::Path::new(""));
            }
            let fail = |e: std::io::Error| {
                format!(
                    "{what} {} cannot be written: {e} (nothing was run)",
                    d.display()
                )
            };
            std::fs::create_dir_all(d).map_err(fail)?;
            let probe = d.join(format!(".imgconf-write-check-{run_id}"));
            std::fs::write(&probe, b"").map_err(fail)?;
            let _ = std::fs::remove_file(&probe);
            Ok(())
        };
        writable(&dir, "the report folder")?;
        if let Some(j) = &junit {
            let parent = j.parent().filter(|d| !d.as_os_str().is_empty());
            writable(
                parent.unwrap_or(std::path::Path::new(".")),
                "the folder of --junit",
            )?;
        }
        Ok(Outputs { dir, junit, made })
    }
}

fn finish(
    args: &RunArgs,
    outputs: &Outputs,
    report: &RunReport,
    redactor: &auth::Redactor,
) -> Result<(), String> {
    let dir = &outputs.dir;
    report::write_all(report, dir, &|t| redactor.scrub(&t))?;
    if let Some(junit) = &outputs.junit {
        let xml = redactor.scrub(&report::junit::render_report(report)?);
        std::fs::write(junit, xml).map_err(|e| format!("{}: {e}", junit.display()))?;
    }
    // CI step summaries (GitHub Actions) get the Markdown summary appended.
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        use std::io::Write;
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| {
                f.write_all(redactor.scrub(&report::markdown::render(report)).as_bytes())
            });
        if let Err(e) = appended {
            eprintln!("imgconf: cannot append to GITHUB_STEP_SUMMARY: {e}");
        }
    }
    if !args.libtest.quiet {
        eprint!("{}", report::text::area_summary(report));
    }
    for w in &report.run.warnings {
        eprintln!("imgconf: WARNING: {w}");
    }
    let deviations = report::text::deviations(&report.cases);
    if !deviations.is_empty() {
        eprintln!(
            "\nexpected deviations accepted by profile `{}` ({}):",
            report.run.profile,
            deviations.len()
        );
        for d in deviations {
            eprintln!("  {d}");
        }
    }
    let gone = report::text::deviations_gone(&report.cases);
    if !gone.is_empty() {
        let what = if args.strict_deviations {
            "failing the run: --strict-deviations"
        } else {
            "not a failure; --strict-deviations makes it one"
        };
        eprintln!(
            "\ndeclared deviations of profile `{}` that did not occur ({}; {what}):",
            report.run.profile,
            gone.len()
        );
        for d in gone {
            eprintln!("  {d}");
        }
    }
    let copy = match &outputs.junit {
        Some(j) => format!("; JUnit also at {}", j.display()),
        None => String::new(),
    };
    eprintln!(
        "imgconf: reports written to {} (junit.xml, results.json, report.html, summary.md){copy}",
        dir.display()
    );
    Ok(())
}

/// The options that shaped the run, for the report; secret values never appear.
fn effective_config(
    args: &RunArgs,
    mode: AuthMode,
    resolved: &auth::Resolved,
) -> std::collections::BTreeMap<String, String> {
    let mut c = std::collections::BTreeMap::new();
    let mut put = |k: &str, v: String| {
        c.insert(k.to_string(), v);
    };
    let keystone = mode == AuthMode::Keystone;
    put(
        "endpoint",
        args.endpoint.clone().unwrap_or_else(|| {
            if keystone {
                "(image service in the Keystone catalog)".into()
            } else {
                "(built-in reference server)".into()
            }
        }),
    );
    put(
        "profile",
        args.profile.clone().unwrap_or_else(|| "(default)".into()),
    );
    let auth = match mode {
        AuthMode::None => "none",
        AuthMode::TrustedHeaders => "trusted-headers",
        AuthMode::Keystone => "keystone",
    };
    put("auth", auth.to_string());
    let m = &resolved.main;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    if keystone {
        put("os_cloud", opt(&resolved.cloud));
        put("os_auth_url", opt(&m.auth_url));
        put("os_username", opt(&m.username));
        put("os_project_name", opt(&m.project_name));
        put("os_project_id", opt(&m.project_id));
        put("os_user_domain_name", opt(&m.user_domain_name));
        put("os_project_domain_name", opt(&m.project_domain_name));
        put("os_region_name", opt(&m.region_name));
        put("os_interface", opt(&m.interface));
        put(
            "os_application_credential_id",
            opt(&m.application_credential_id),
        );
        let masked = |v: &Option<String>| if v.is_some() { "***" } else { "" }.to_string();
        put("os_password", masked(&m.password));
        put(
            "os_application_credential_secret",
            masked(&m.application_credential_secret),
        );
        put("os_token", masked(&m.token));
        let personas: Vec<String> = resolved
            .personas
            .iter()
            .map(|(p, (cloud, _))| format!("{}={cloud}", p.name()))
            .collect();
        put("personas", personas.join(","));
    }
    put("cacert", opt(&m.cacert));
    put("cert", opt(&m.cert));
    put("insecure", m.insecure.unwrap_or(false).to_string());
    put("connect_timeout_s", args.connect_timeout.to_string());
    put("timeout_s", args.timeout.to_string());
    put(
        "test_threads",
        args.libtest
            .test_threads
            .map(|n| n.to_string())
            .unwrap_or_else(|| "(cores)".into()),
    );
    put("filter", args.libtest.filter.clone().unwrap_or_default());
    put("skip", args.libtest.skip.join(","));
    put(
        "cases",
        args.cases
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(built in)".into()),
    );
    put(
        "token",
        if args.token.is_some() { "***" } else { "" }.to_string(),
    );
    put("features", args.features.join(","));
    put("dynamic_personas", args.dynamic_personas.to_string());
    put(
        "policy",
        args.policy
            .map(|p| p.feature().trim_start_matches("policy:").to_string())
            .unwrap_or_default(),
    );
    put("without_features", args.without_features.join(","));
    put("faults", args.faults.join(","));
    put("reference_stores", args.reference_stores.join(","));
    put(
        "web_download_url",
        args.web_download_url.clone().unwrap_or_default(),
    );
    c
}

fn seconds(v: f64, flag: &str) -> Result<Duration, String> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!("{flag} must be a positive number of seconds"))
    }
}

/// `imgconf serve`: the reference server alone, until Ctrl-C.
pub fn serve(args: crate::cli::ServeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("imgconf: error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let faults = match Faults::parse(&args.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    runtime.block_on(async {
        let stores = if args.stores.is_empty() {
            ServerOptions::default().stores
        } else {
            match ServerOptions::parse_stores(&args.stores) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("imgconf: error: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            }
        };
        let options = ServerOptions {
            flavor: args.flavor,
            faults,
            latency: Duration::from_millis(args.latency_ms),
            stores,
            max_image_bytes: args.max_image_bytes,
        };
        let server = match reference::start(args.listen, options).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("imgconf: error: cannot listen on {}: {e}", args.listen);
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        let flavor = match args.flavor {
            crate::reference::flavor::Flavor::Glance => "",
            crate::reference::flavor::Flavor::HuaweiIms => " (flavor huawei-ims)",
        };
        println!(
            "imgconf reference server{flavor} listening on {}",
            server.base_url()
        );
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// `imgconf coverage`: the behaviour catalogue joined with the cases.
pub fn coverage(args: crate::cli::CoverageArgs) -> ExitCode {
    let result = (|| -> Result<String, String> {
        let suite = Suite::load(args.cases.as_deref(), None).map_err(|e| e.to_string())?;
        let cov = crate::coverage::Catalogue::builtin()?.coverage(&suite.cases);
        if !cov.unknown_ids.is_empty() {
            let list: Vec<String> = cov
                .unknown_ids
                .iter()
                .map(|(id, case)| format!("{id} ({case})"))
                .collect();
            return Err(format!(
                "cases name behaviours the catalogue does not have: {}",
                list.join(", ")
            ));
        }
        if args.json {
            serde_json::to_string_pretty(&cov).map_err(|e| e.to_string())
        } else {
            Ok(cov.markdown())
        }
    })();
    match result {
        Ok(text) => {
            use std::io::Write;
            let _ = writeln!(std::io::stdout().lock(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// `imgconf faults`: every fault the reference server can be switched into.
pub fn faults() -> ExitCode {
    use std::io::Write;
    let width = FAULTS.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for f in FAULTS {
        // A closed pipe (`imgconf faults | head`) just ends the listing.
        if writeln!(out, "{:width$}  {}", f.name, f.breaks).is_err() {
            return ExitCode::SUCCESS;
        }
    }
    // On stderr: stdout stays one fault a line for scripts.
    let coverage = crate::reference::coverage::FaultCoverage::builtin();
    eprintln!(
        "\n{} faults. {} (measured by tests/mutation.rs; {})",
        FAULTS.len(),
        coverage.summary(),
        crate::reference::coverage::PATH
    );
    ExitCode::SUCCESS
}

/// `imgconf report`: render reports from a saved results.json.
pub fn report(args: crate::cli::ReportArgs) -> ExitCode {
    let result = (|| -> Result<(), String> {
        let saved = RunReport::read(&args.results)?;
        if args.html.is_none() && args.junit.is_none() && args.md.is_none() {
            return Err("say what to render: --html PATH, --junit PATH and/or --md PATH".into());
        }
        let write = |path: &std::path::Path, text: String| {
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
        };
        if let Some(p) = &args.html {
            write(p, report::html::render(&saved))?;
        }
        if let Some(p) = &args.junit {
            write(p, report::junit::render_report(&saved)?)?;
        }
        if let Some(p) = &args.md {
            write(p, report::markdown::render(&saved))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// Projects and users that `--dynamic-personas` made and a killed run left in Keystone.
fn sweep_personas(
    runtime: &tokio::runtime::Runtime,
    admin: &auth::provision::Admin,
    run_id: Option<&str>,
    dry_run: bool,
) -> Result<Vec<String>, String> {
    let found = runtime.block_on(admin.leftovers(run_id))?;
    let all = found.users.iter().map(|u| ("user", u));
    for (kind, (id, name)) in all.chain(found.projects.iter().map(|p| ("project", p))) {
        let verb = if dry_run { "would delete" } else { "deleting" };
        println!("{verb} Keystone {kind} {id} ({name})");
    }
    let count = found.users.len() + found.projects.len();
    if dry_run {
        println!("{count} Keystone project(s) and user(s) left by imgconf runs; nothing deleted (--dry-run)");
        return Ok(Vec::new());
    }
    let problems = runtime.block_on(admin.delete(&found));
    for p in &problems {
        eprintln!("imgconf: cleanup failed: {p}");
    }
    println!(
        "{} Keystone project(s) and user(s) deleted",
        count - problems.len()
    );
    Ok(problems)
}

/// `imgconf cleanup`: sweep leftovers of earlier runs.
pub fn cleanup(args: crate::cli::CleanupArgs) -> ExitCode {
    let result = (|| -> Result<bool, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let resolved = auth::resolve(
            args.cloud.credentials(),
            args.cloud.os_cloud.as_deref(),
            &args.cloud.personas,
            &auth::Environment::capture(),
        )
        .map_err(|e| e.to_string())?;
        let http = HttpConfig {
            tls: resolved.main.tls(),
            ..HttpConfig::default()
        };
        let mut target = Target::new(&args.endpoint, http.clone())?;
        // As a Keystone administrator, the personas --dynamic-personas made are swept too.
        let mut identity_admin = None;
        let headers = match args.auth {
            AuthMode::TrustedHeaders => {
                let run = args.run_id.clone().unwrap_or_else(|| "cleanup".into());
                Personas::trusted_headers(&run).headers(Persona::Admin)
            }
            AuthMode::None => Vec::new(),
            // The admin persona if one is configured (it sees every project's images), else the
            // main credentials.
            AuthMode::Keystone => {
                let client = crate::http::client(&http)?;
                let k = runtime
                    .block_on(auth::connect(&client, &resolved))
                    .map_err(|e| e.to_string())?;
                let sessions: Vec<_> = k.sessions.values().cloned().collect();
                let console = crate::progress::Console;
                target = target.with_auth(Arc::new(auth::keystone::TokenPool::new(
                    sessions,
                    console.notify(),
                )));
                let acting = k
                    .sessions
                    .get(&Persona::Admin)
                    .unwrap_or(&k.sessions[&Persona::Owner])
                    .clone();
                if acting
                    .issued()
                    .roles
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case("admin"))
                {
                    identity_admin = Some(auth::provision::Admin::new(client, acting));
                }
                let personas = Personas::keystone(k.sessions);
                if personas.has(Persona::Admin) {
                    personas.headers(Persona::Admin)
                } else {
                    personas.headers(Persona::Owner)
                }
            }
        };
        let mut headers = headers;
        if let Some(t) = &args.token {
            headers.push(("X-Auth-Token".into(), t.clone()));
        }
        let prefix = crate::sweep::Prefix::new(args.run_id.as_deref());
        let found = runtime.block_on(crate::sweep::find(&target, &headers, &prefix))?;
        // The journals find what a case renamed (or left nameless), by id.
        let journal_files = if args.journal.is_empty() {
            crate::journal::default_journals(std::path::Path::new("reports"))
        } else {
            args.journal.clone()
        };
        let journals =
            crate::journal::left(&journal_files, &args.endpoint, args.run_id.as_deref())?;
        let verb = if args.dry_run {
            "would delete"
        } else {
            "deleting"
        };
        for l in &found {
            println!("{verb} image {} ({})", l.id, l.name);
        }
        let mut journal_count = 0;
        for (path, e) in &journals {
            if found.iter().any(|l| e.kind == "image" && l.id == e.id) {
                continue;
            }
            journal_count += 1;
            println!(
                "{verb} {} {} (created by run {}, journal {})",
                e.kind,
                e.id,
                e.run_id,
                path.display()
            );
        }
        if args.dry_run {
            println!(
                "{} resource(s) left by imgconf runs; nothing deleted (--dry-run)",
                found.len() + journal_count
            );
            if let Some(admin) = identity_admin {
                sweep_personas(&runtime, &admin, args.run_id.as_deref(), true)?;
            }
            return Ok(true);
        }
        let mut problems = runtime.block_on(crate::sweep::delete(&target, &headers, &found));
        let (journaled, journal_problems) = runtime.block_on(crate::sweep::delete_journaled(
            &target, &headers, &journals, &found,
        ));
        problems.extend(journal_problems);
        for p in &problems {
            eprintln!("imgconf: cleanup failed: {p}");
        }
        println!(
            "{} resource(s) deleted",
            (found.len() + journaled).saturating_sub(problems.len())
        );
        if let Some(admin) = identity_admin {
            problems.extend(sweep_personas(
                &runtime,
                &admin,
                args.run_id.as_deref(),
                args.dry_run,
            )?);
        }
        Ok(problems.is_empty())
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}
