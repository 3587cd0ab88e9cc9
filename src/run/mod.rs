//! `imgconf run` as a pipeline of stages, each with one owner:
//!
//! | stage | what it decides or does | file |
//! |---|---|---|
//! | config | flags, environment and files → [`RunConfig`] (pure) | `run/config.rs` |
//! | plan | selection, partition, rerun, profile exclusions → [`Plan`] | `run/plan.rs` |
//! | environment | runtime, Keystone, personas, target, reference server, discovery, features → [`Environment`] (its [`Access`] is `imgconf cleanup`'s too) | `run/environment.rs` |
//! | execution | the libtest-mimic trials over one shared context | `run/execute.rs` |
//! | verdict | a case's evidence and the profile → its outcome | `verdict.rs` |
//! | reports | report folder, results in every format, console summary, comparison | `run/outputs.rs` |

pub mod config;
pub mod environment;
pub mod execute;
pub mod outputs;
pub mod plan;

pub use config::RunConfig;
pub use environment::{Access, Environment};
pub use plan::Plan;

use crate::auth;
use crate::cli::RunArgs;
use crate::progress::Console;
use crate::report::results::RunReport;
use crate::suite::Suite;
use std::process::ExitCode;

/// Usage and configuration errors (bad case file, unreachable endpoint) exit with 2.
pub const EXIT_CONFIG: u8 = 2;
/// A run stopped by Ctrl-C or SIGTERM (after cleaning up) exits with 130, as shells do.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The whole run, stage after stage; an error is a usage or configuration problem (exit 2).
pub fn pipeline(args: RunArgs) -> Result<ExitCode, String> {
    let console = Console;
    // Never dropped: the process ends with the run, and freeing the parsed suite piece by piece
    // would only add to the time of every run (a tenth of `run --list`).
    let mut suite = std::mem::ManuallyDrop::new(
        Suite::load(args.cases.as_deref(), args.schemas.as_deref()).map_err(|e| e.to_string())?,
    );
    // The whole suite, before the profile and filters choose: `imgconf compare` tells runs of
    // different suites apart by it.
    let suite_ids: Vec<String> = suite.cases.iter().map(|c| c.id.clone()).collect();
    let mut config = RunConfig::from(args, &auth::Environment::capture(), &suite)?;
    suite
        .apply_profile(&config.profile)
        .map_err(|e| e.to_string())?;
    let cases = std::mem::take(&mut suite.cases);
    let Some(plan) = Plan::make(&config, cases, console)? else {
        return Ok(ExitCode::SUCCESS);
    };
    // The plan's cases are not freed either (see the suite).
    let plan = std::mem::ManuallyDrop::new(plan);
    if config.args.libtest.list {
        // Listing needs no target.
        plan.list();
        return Ok(ExitCode::SUCCESS);
    }
    plan.require_some(&config)?;
    let plan = std::mem::ManuallyDrop::into_inner(plan);
    // Where the reports go is settled (and writable) before anything is sent, not found out
    // after every case ran.
    let outputs = outputs::Outputs::prepare(&config.args, &config.run_id)?;
    let options = config.target_options()?;
    let journal = outputs.dir.join(crate::journal::FILE);
    let mut env = Environment::bring_up(&config, options, &journal, console)?;
    config.settle_release(env.info.current, env.server.is_some());
    env.announce(&config, console);
    if let Some(line) = plan.persona_shortfall(env.personas.as_ref()) {
        console.note(&line);
    }
    let started = chrono::Utc::now();
    let mut meta = outputs::meta(&config, &env, started);
    let tracker = std::mem::take(&mut env.tracker);
    let executed = execute::execute(plan, &env, &config, suite.schemas.clone(), tracker, console)?;
    let mut leftovers = executed.leftovers;
    leftovers.extend(env.made_personas.finish());
    let finished = chrono::Utc::now();
    meta.finished_at = finished.to_rfc3339();
    meta.duration_ms = (finished - started).num_milliseconds().max(0) as u128;
    let report = RunReport::new(meta, executed.results).with_suite(suite_ids);
    outputs::finish(&config.args, &outputs, &report, &env.redactor)?;
    let differs = outputs::compare(&config, &outputs, &report, &env.redactor)?;
    env.shut_down_server();
    exit_code(&config, &env, &executed.conclusion, &leftovers, differs)
}

/// Interrupted, then leftovers, then a difference from the baseline, then libtest's own.
fn exit_code(
    config: &RunConfig,
    env: &Environment,
    conclusion: &libtest_mimic::Conclusion,
    leftovers: &[String],
    differs: bool,
) -> Result<ExitCode, String> {
    if env.interrupted() {
        Console.note("interrupted; what the run created has been deleted");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if !leftovers.is_empty() && !conclusion.has_failed() {
        return Ok(ExitCode::from(101));
    }
    if differs && !conclusion.has_failed() {
        Console.note(&format!(
            "the run differs from {} (--compare-with)",
            config
                .args
                .compare_with
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ));
        return Ok(ExitCode::from(crate::compare::EXIT_DIFFERENT));
    }
    Ok(conclusion.exit_code())
}
