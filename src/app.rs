//! `imgconf run`: load the suite, pick the target, run every case as a libtest trial, write
//! reports, clean up, and turn the outcome into an exit code.

use crate::cli::{AuthMode, RunArgs};
use crate::discovery;
use crate::http::{HttpConfig, Target};
use crate::outcome::{CaseResult, Verdict};
use crate::persona::{Persona, Personas};
use crate::profile::Profile;
use crate::reference::faults::{Faults, FAULTS};
use crate::reference::{self, RunningServer, ServerOptions};
use crate::report;
use crate::runner::{run_case, RunContext};
use crate::suite::Suite;
use libtest_mimic::{Completion, Failed, Trial};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Usage and configuration errors (bad case file, unreachable endpoint) exit with 2.
pub const EXIT_CONFIG: u8 = 2;

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
    let suite =
        Suite::load(args.cases.as_deref(), args.schemas.as_deref()).map_err(|e| e.to_string())?;
    let default_profile = if args.endpoint.is_some() {
        "glance"
    } else {
        "strict"
    };
    let profile = Arc::new(
        suite
            .profile(args.profile.as_deref().unwrap_or(default_profile))
            .map_err(|e| e.to_string())?,
    );
    if args.libtest.list {
        // Listing needs no target.
        let trials = suite
            .cases
            .iter()
            .map(|c| Trial::test(c.id.clone(), || Ok(())))
            .collect();
        let _ = libtest_mimic::run(&args.libtest, trials);
        return Ok(ExitCode::SUCCESS);
    }
    let selected = suite
        .cases
        .iter()
        .filter(|c| {
            !args
                .libtest
                .is_filtered_out(&Trial::test(c.id.clone(), || Ok(())))
        })
        .count();
    if selected == 0 {
        return Err("the filter matches no case (see `imgconf run --list`)".into());
    }
    let http = HttpConfig {
        connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
        timeout: seconds(args.timeout, "--timeout")?,
        ..HttpConfig::default()
    };
    let faults = Faults::parse(&args.faults)?;
    if args.endpoint.is_some() && !faults.is_empty() {
        return Err(
            "--fault switches the built-in reference server; it cannot go with --endpoint".into(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let server: Option<RunningServer> = match &args.endpoint {
        Some(_) => None,
        None => Some(
            runtime
                .block_on(reference::start(
                    ([127, 0, 0, 1], 0).into(),
                    ServerOptions { faults },
                ))
                .map_err(|e| format!("cannot start the reference server: {e}"))?,
        ),
    };
    let endpoint = match (&args.endpoint, &server) {
        (Some(e), _) => e.clone(),
        (None, Some(s)) => s.base_url(),
        (None, None) => unreachable!("a server is started when no endpoint is given"),
    };
    let target = Target::new(&endpoint, http)?;
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string());
    let default_auth = if server.is_some() {
        AuthMode::TrustedHeaders
    } else {
        AuthMode::None
    };
    let personas = (args.auth.unwrap_or(default_auth) == AuthMode::TrustedHeaders)
        .then(|| Personas::trusted_headers(&run_id));
    let identity = personas
        .as_ref()
        .map(|p| p.headers(Persona::Owner))
        .unwrap_or_default();
    let mut info = runtime.block_on(discovery::probe(&target, &identity))?;
    info.features.extend(args.features.iter().cloned());
    info.features.retain(|f| !args.without_features.contains(f));
    let what = if server.is_some() {
        " (built-in reference server)"
    } else {
        ""
    };
    let version = info
        .highest()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "unknown".into());
    eprintln!("imgconf: certifying {endpoint}{what}, Images API up to {version}, profile `{}`, run {run_id}", profile.name);
    let features: Vec<&str> = info.features.iter().map(String::as_str).collect();
    let features = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    let identity_text = match personas {
        Some(_) => "trusted identity headers (personas owner, other, third, admin)",
        None => "none (no personas: cases that need them are skipped)",
    };
    eprintln!("imgconf: identity: {identity_text}; optional features: {features}");

    let ctx = Arc::new(RunContext {
        target,
        schemas: suite.schemas.clone(),
        run_id: run_id.clone(),
        api_version: info.highest(),
        tracker: Default::default(),
        personas,
        features: info.features.clone(),
    });
    let results: Arc<Mutex<Vec<CaseResult>>> = Arc::default();
    let trials = suite
        .cases
        .iter()
        .map(|case| {
            let (ctx, profile, results, handle) = (
                ctx.clone(),
                profile.clone(),
                results.clone(),
                runtime.handle().clone(),
            );
            let case = case.clone();
            Trial::ignorable_test(case.id.clone(), move || {
                let mut result = handle.block_on(run_case(&ctx, &case));
                profile.apply(&mut result);
                let outcome = trial_outcome(&result);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result);
                outcome
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args.libtest, trials);

    // Whatever a case could not delete (or a panicking case left) goes now.
    let leftovers = runtime.block_on(ctx.tracker.delete(&ctx.target, None));
    for p in &leftovers {
        eprintln!("imgconf: cleanup failed: {p}");
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    results.sort_by(|a, b| a.id.cmp(&b.id));
    finish(&args, &results, &run_id, &endpoint, &profile)?;
    if let Some(s) = server {
        runtime.block_on(s.shutdown());
    }
    if !leftovers.is_empty() && !conclusion.has_failed() {
        return Ok(ExitCode::from(101));
    }
    Ok(conclusion.exit_code())
}

fn trial_outcome(r: &CaseResult) -> Result<Completion, Failed> {
    match r.verdict {
        Verdict::Pass | Verdict::Deviation => Ok(Completion::Completed),
        Verdict::Skip => Ok(Completion::ignored_with(&r.reason)),
        Verdict::Fail | Verdict::Error => Err(report::text::failure(r).into()),
    }
}

fn finish(
    args: &RunArgs,
    results: &[CaseResult],
    run_id: &str,
    endpoint: &str,
    profile: &Profile,
) -> Result<(), String> {
    let xml = report::junit::render(results, run_id, endpoint, &profile.name)?;
    if let Some(dir) = args.junit.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.junit, xml).map_err(|e| format!("{}: {e}", args.junit.display()))?;
    let deviations = report::text::deviations(results);
    if !deviations.is_empty() {
        eprintln!(
            "\nexpected deviations accepted by profile `{}` ({}):",
            profile.name,
            deviations.len()
        );
        for d in deviations {
            eprintln!("  {d}");
        }
    }
    eprintln!("imgconf: JUnit report written to {}", args.junit.display());
    Ok(())
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
        let server = match reference::start(args.listen, ServerOptions { faults }).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("imgconf: error: cannot listen on {}: {e}", args.listen);
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        println!(
            "imgconf reference server listening on {}",
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
            break;
        }
    }
    ExitCode::SUCCESS
}
