//! The subcommands other than `compare`: `run` (its stages are in [`crate::run`]), `serve`,
//! `coverage`, `faults`, `report` and `cleanup`.

use crate::auth;
use crate::cli::{AuthMode, RunArgs};
use crate::http::{HttpConfig, Target};
use crate::persona::Persona;
use crate::progress::Console;
use crate::reference::faults::{Faults, FAULTS};
use crate::reference::{self, ServerOptions};
use crate::report;
use crate::report::results::RunReport;
use crate::run::environment::{holds_admin, identity, Access};
use crate::suite::Suite;
use std::process::ExitCode;
use std::time::Duration;

pub use crate::run::{EXIT_CONFIG, EXIT_INTERRUPTED};

/// `imgconf run`: certify the target; the exit code says how it went.
pub fn run(args: RunArgs) -> ExitCode {
    match crate::run::pipeline(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
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
            secure_rbac: args.policy == crate::cli::Policy::Srbac,
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

/// Images named after imgconf runs and what the runs' journals list, found on the target and
/// (unless `--dry-run`) deleted; what could not be deleted, as problems.
fn sweep_images(
    args: &crate::cli::CleanupArgs,
    runtime: &tokio::runtime::Runtime,
    target: &Target,
    headers: &[(String, String)],
) -> Result<Vec<String>, String> {
    let prefix = crate::sweep::Prefix::new(args.run_id.as_deref());
    let found = runtime.block_on(crate::sweep::find(target, headers, &prefix))?;
    // The journals find what a case renamed (or left nameless), by id.
    let journal_files = if args.journal.is_empty() {
        crate::journal::default_journals(std::path::Path::new("reports"))
    } else {
        args.journal.clone()
    };
    let journals = crate::journal::left(&journal_files, &args.endpoint, args.run_id.as_deref())?;
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
        return Ok(Vec::new());
    }
    let mut problems = runtime.block_on(crate::sweep::delete(target, headers, &found));
    let (journaled, journal_problems) = runtime.block_on(crate::sweep::delete_journaled(
        target, headers, &journals, &found,
    ));
    problems.extend(journal_problems);
    for p in &problems {
        Console.note(&format!("cleanup failed: {p}"));
    }
    println!(
        "{} resource(s) deleted",
        (found.len() + journaled).saturating_sub(problems.len())
    );
    Ok(problems)
}

/// `imgconf cleanup`: sweep leftovers of earlier runs.
pub fn cleanup(args: crate::cli::CleanupArgs) -> ExitCode {
    let result = (|| -> Result<bool, String> {
        let resolved = auth::resolve(
            args.cloud.credentials(),
            args.cloud.os_cloud.as_deref(),
            &args.cloud.personas,
            &auth::Environment::capture(),
        )
        .map_err(|e| e.to_string())?;
        let mut access = Access::start(HttpConfig {
            tls: resolved.main.tls(),
            ..HttpConfig::default()
        })?;
        let target = Target::new(&args.endpoint, access.http.clone())?;
        access.sign_in(args.auth, &resolved)?;
        let target = access.authenticate(target, Console);
        let run = args.run_id.clone().unwrap_or_else(|| "cleanup".into());
        let personas = access.personas(args.auth, &run);
        // As the admin persona if there is one (it sees every project's images), else the main
        // credentials; as a Keystone administrator, the personas --dynamic-personas made are
        // swept too.
        let acting = match &personas {
            Some(p) if p.has(Persona::Admin) => Persona::Admin,
            Some(_) if args.auth == AuthMode::Keystone => Persona::Owner,
            _ => Persona::Admin,
        };
        let identity_admin = match &access.keystone {
            Some(k) => {
                let session = k.sessions[&acting].clone();
                holds_admin(&session).then(|| {
                    let client = crate::http::client(&access.http)?;
                    Ok::<_, String>(auth::provision::Admin::new(client, session))
                })
            }
            None => None,
        }
        .transpose()?;
        let headers = identity(personas.as_ref(), acting, args.token.as_ref());
        let mut problems = sweep_images(&args, &access.runtime, &target, &headers)?;
        if let Some(admin) = identity_admin {
            problems.extend(sweep_personas(
                &access.runtime,
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
