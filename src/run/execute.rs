//! Stage 4 of a run: the cases as libtest-mimic trials. Every trial holds one [`Shared`] (the
//! case context, the judge, the stop flags and where results go) behind an `Arc`; the verdict
//! of each case is [`crate::verdict::Judge`]'s alone, and the trial's outcome follows it.

use super::config::RunConfig;
use super::environment::Environment;
use super::plan::{Plan, Planned};
use crate::auth::Redactor;
use crate::cleanup::Tracker;
use crate::outcome::{CaseResult, Verdict};
use crate::progress::{Console, Counter, Progress};
use crate::report;
use crate::runner::{run_case, skipped, RunContext};
use crate::schema::SchemaSet;
use crate::verdict::Judge;
use libtest_mimic::{Completion, Conclusion, Failed, Trial};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// What every trial of a run shares.
struct Shared {
    ctx: RunContext,
    judge: Judge,
    redactor: Redactor,
    handle: tokio::runtime::Handle,
    interrupted: Arc<AtomicBool>,
    /// `--fail-fast`.
    fail_fast: bool,
    /// With `--fail-fast`, the first failed case's name; cases that start later are skipped.
    stop: OnceLock<String>,
    results: Mutex<Vec<CaseResult>>,
    progress: Arc<Counter>,
}

/// What the trials left: libtest's conclusion, every case's judged result, and what the run
/// could not delete afterwards.
pub struct Executed {
    pub conclusion: Conclusion,
    pub results: Vec<CaseResult>,
    pub leftovers: Vec<String>,
}

/// Runs the plan's cases against the environment; what they create goes to `tracker` (the
/// environment's, which journals it).
pub fn execute(
    plan: Plan,
    env: &Environment,
    config: &RunConfig,
    schemas: Arc<SchemaSet>,
    tracker: Tracker,
    console: Console,
) -> Result<Executed, String> {
    let args = &config.args;
    let deviations_expected = env.deviations_expected(config);
    if !deviations_expected && !config.profile.deviations.is_empty() {
        console.note(&format!(
            "the target is imgconf's reference server: the deviations of profile `{}` are not expected here",
            config.profile.name
        ));
    }
    let ctx = RunContext {
        target: env.target.clone(),
        schemas,
        run_id: config.run_id.clone(),
        api_version: env.info.highest(),
        tracker,
        personas: env.personas.clone(),
        features: env.info.features.clone(),
        token: args.token.clone(),
        web_source: env.web_source.clone(),
    };
    let progress = Progress::start(plan.selected, !args.no_progress && !args.libtest.quiet);
    let shared = Arc::new(Shared {
        ctx,
        judge: Judge {
            profile: config.profile.clone(),
            deviations_expected,
            strict_deviations: args.strict_deviations,
        },
        redactor: env.redactor.clone(),
        handle: env.access.runtime.handle().clone(),
        interrupted: env.interrupted.clone(),
        fail_fast: args.fail_fast,
        stop: OnceLock::new(),
        results: Mutex::default(),
        progress: progress.counter.clone(),
    });
    let trials = plan
        .cases
        .into_iter()
        .map(|planned| {
            let shared = shared.clone();
            Trial::ignorable_test(planned.case.id.clone(), move || shared.trial(&planned))
        })
        .collect();
    let mut libtest = plan.libtest;
    if progress.routes_stdout() && libtest.color.is_none() {
        // stdout reaches the terminal through the progress relay's pipe: keep its colours.
        libtest.color = Some(libtest_mimic::ColorSetting::Always);
    }
    let conclusion = libtest_mimic::run(&libtest, trials);
    progress.finish();
    // Whatever a case could not delete (or a panicking case left) goes now.
    let ctx = &shared.ctx;
    let leftovers = env
        .access
        .runtime
        .block_on(ctx.tracker.delete(&ctx.target, None));
    for p in &leftovers {
        console.note(&format!("cleanup failed: {p}"));
    }
    let results = std::mem::take(&mut *shared.results.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Executed {
        conclusion,
        results,
        leftovers,
    })
}

impl Shared {
    /// One case: skipped when the run was interrupted or stopped by `--fail-fast`, else run
    /// (unless the profile excludes it) and judged.
    fn trial(&self, planned: &Planned) -> Result<Completion, Failed> {
        let case = &planned.case;
        let mut count = self.progress.on_drop();
        if self.interrupted.load(Ordering::SeqCst) {
            return Ok(Completion::ignored_with("not run: the run was interrupted"));
        }
        if let Some(first) = self.stop.get() {
            return Ok(Completion::ignored_with(format!(
                "not run: --fail-fast after {first} failed"
            )));
        }
        let mut result = match &planned.excluded {
            Some(why) => skipped(case, why.clone()),
            None => self.handle.block_on(run_case(&self.ctx, case)),
        };
        self.judge.judge(&mut result);
        if result.verdict == Verdict::Fail {
            if let Some(hint) = crate::applicable::format_inspection_hint(&case.requires) {
                result.reason = format!("{} ({hint})", result.reason);
            }
        }
        // Only after the profile has judged: an accepted deviation does not stop the run.
        if self.fail_fast && self.judge.fails_run(&result) {
            let _ = self.stop.set(result.id.clone());
        }
        let outcome = self.outcome(&result);
        count.failed(outcome.is_err());
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(result);
        outcome
    }

    /// The libtest trial's outcome (and so the exit code) follows the judged verdict.
    fn outcome(&self, r: &CaseResult) -> Result<Completion, Failed> {
        if self.judge.fails_run(r) {
            Err(self.redactor.scrub(&report::text::failure(r)).into())
        } else if r.verdict == Verdict::Skip {
            Ok(Completion::ignored_with(self.redactor.scrub(&r.reason)))
        } else {
            Ok(Completion::Completed)
        }
    }
}
