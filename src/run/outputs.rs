//! Stage 6 of a run: its files. Where they go is settled (and checked writable) before anything
//! is sent; at the end the results are written in every format, summed up on the console, and
//! compared with `--compare-with`'s baseline.

use super::config::RunConfig;
use super::environment::Environment;
use crate::auth;
use crate::cli::RunArgs;
use crate::progress::Console;
use crate::report;
use crate::report::results::{RunMeta, RunReport};

/// The run's description in its report, as far as it is known before the cases run.
pub fn meta(
    config: &RunConfig,
    env: &Environment,
    started: chrono::DateTime<chrono::Utc>,
) -> RunMeta {
    let mut warnings = Vec::new();
    if env.insecure {
        warnings.push(auth::tls::INSECURE_WARNING.to_string());
    }
    RunMeta {
        tool: "imgconf".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        commit: env!("IMGCONF_COMMIT").into(),
        run_id: config.run_id.clone(),
        endpoint: env.endpoint.clone(),
        reference_server: env.server.is_some(),
        api_versions: env.info.versions.iter().map(|v| v.to_string()).collect(),
        api_current: env.info.current.map(|v| v.to_string()),
        profile: config.profile.name.clone(),
        identity: env.identity_summary(),
        warnings,
        features: env.info.features.iter().cloned().collect(),
        started_at: started.to_rfc3339(),
        finished_at: String::new(),
        duration_ms: 0,
        config: config.effective(),
    }
}

/// Whether the run differs from `--compare-with`'s baseline (written next to the reports).
pub fn compare(
    config: &RunConfig,
    outputs: &Outputs,
    report: &RunReport,
    redactor: &auth::Redactor,
) -> Result<bool, String> {
    let (Some(base), Some(path)) = (&config.baseline, &config.args.compare_with) else {
        return Ok(false);
    };
    let cmp = crate::compare::command::after_run(path, base, report, &outputs.dir, &|t| {
        redactor.scrub(&t)
    })?;
    if let Some(t) = cmp.trouble() {
        return Err(t);
    }
    Ok(cmp.exit_code() != crate::compare::EXIT_SAME)
}

/// Where a run's files go: its results folder, and the extra JUnit copy if there is one.
pub struct Outputs {
    pub dir: std::path::PathBuf,
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
    pub fn prepare(args: &RunArgs, run_id: &str) -> Result<Outputs, String> {
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

pub fn finish(
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
            Console.note(&format!("cannot append to GITHUB_STEP_SUMMARY: {e}"));
        }
    }
    if !args.libtest.quiet {
        eprint!("{}", report::text::area_summary(report));
    }
    for w in &report.run.warnings {
        Console.warn(w);
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
    Console.note(&format!(
        "reports written to {} (junit.xml, results.json, report.html, summary.md){copy}",
        dir.display()
    ));
    Ok(())
}
