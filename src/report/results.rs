//! `results.json`: the whole run as data, in a documented and versioned format from which every
//! other report can be rendered again (`imgconf report`).
//!
//! Format `imgconf-results`, version 1:
//! - `run`: tool name, version and commit; run id; endpoint (and whether it was the built-in
//!   reference server); API versions the target offered and the current one; profile; identity
//!   mode; `warnings` (omitted when empty: what weakens the evidence, such as TLS verification
//!   turned off); optional features; start and end (RFC 3339) and duration; the effective
//!   configuration with secrets masked.
//! - `counts`: total, passed, failed, errors, skipped, deviations, deviations_gone (declared
//!   deviations that did not occur).
//! - `cases`: per case its id, area, what it proves, behaviour ids, document and section, case
//!   file and line, verdict (`pass`, `fail`, `error`, `skip`, `deviation`), one-line reason,
//!   duration, and per step the exchanges (request with masked headers, response status, headers
//!   and body cut at 16 KiB) and findings (rule, message, diff, schema errors with paths). Steps
//!   of passing cases are kept too: `imgconf compare` compares them.
//! - `suite` (omitted by older versions): the id of every case of the suite the run loaded,
//!   also those it did not run (filtered out), so that a comparison can tell runs of different
//!   suites from runs of one suite.

use crate::outcome::{CaseResult, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "imgconf-results";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub format: String,
    pub version: u32,
    pub run: RunMeta,
    pub counts: Counts,
    pub cases: Vec<CaseResult>,
    /// Every case id of the loaded suite, sorted (see [`RunReport::with_suite`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suite: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMeta {
    pub tool: String,
    pub tool_version: String,
    pub commit: String,
    pub run_id: String,
    pub endpoint: String,
    pub reference_server: bool,
    pub api_versions: Vec<String>,
    pub api_current: Option<String>,
    pub profile: String,
    pub identity: String,
    /// What weakens the run's evidence (TLS verification off), shown at the top of every report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub features: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u128,
    /// Effective options; secret values are masked.
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    pub deviations: usize,
    /// Declared deviations that did not occur.
    #[serde(default)]
    pub deviations_gone: usize,
}

impl Counts {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Counts {
        let mut c = Counts::default();
        for r in results {
            c.total += 1;
            match r.verdict {
                Verdict::Pass => c.passed += 1,
                Verdict::Fail => c.failed += 1,
                Verdict::Error => c.errors += 1,
                Verdict::Skip => c.skipped += 1,
                Verdict::Deviation => c.deviations += 1,
                Verdict::DeviationGone => c.deviations_gone += 1,
            }
        }
        c
    }
}

impl RunReport {
    pub fn new(run: RunMeta, mut cases: Vec<CaseResult>) -> RunReport {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        RunReport {
            format: FORMAT.into(),
            version: VERSION,
            counts: Counts::of(&cases),
            run,
            cases,
            suite: Vec::new(),
        }
    }

    /// Names the suite the run loaded (its case ids, run or not).
    pub fn with_suite(mut self, mut ids: Vec<String>) -> RunReport {
        ids.sort();
        self.suite = ids;
        self
    }

    /// Reads a saved `results.json`, refusing other formats and newer versions.
    pub fn read(path: &std::path::Path) -> Result<RunReport, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let r: RunReport = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not an imgconf results file: {e}", path.display()))?;
        if r.format != FORMAT || r.version > VERSION {
            return Err(format!(
                "{}: format `{}` version {} is not one this imgconf reads ({FORMAT} up to {VERSION})",
                path.display(),
                r.format,
                r.version
            ));
        }
        Ok(r)
    }

    /// The faults the built-in reference server was switched into (`--fault`), if any: such a
    /// run certifies a deliberately broken server, which every report says at its top.
    pub fn faults(&self) -> Option<&str> {
        self.run
            .config
            .get("faults")
            .map(String::as_str)
            .filter(|f| !f.is_empty())
    }

    /// Cases grouped by area, in area order.
    pub fn areas(&self) -> Vec<(&str, Vec<&CaseResult>)> {
        let mut map: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for c in &self.cases {
            map.entry(c.area.as_str()).or_default().push(c);
        }
        map.into_iter().collect()
    }
}
