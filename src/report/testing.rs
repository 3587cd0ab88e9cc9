//! Results built by hand for the reporters' tests: a failed case whose finding knows where its
//! check is written.

use super::excerpt::excerpt;
use super::results::{RunMeta, RunReport};
use crate::expect::{Check, Finding};
use crate::outcome::{CaseResult, StepRecord, Verdict};
use crate::yaml::Pos;

/// A case on lines 28 to 33 of its file, its failing check at 32:19; the value it wants holds
/// markup, which every reporter must escape in its own way.
pub const CASE: &str = "\
- id: rename
  steps:
    - request: {method: PATCH, path: \"/v2/images/{{image_id}}\"}
      expect:
        checks: [{at: body.name, equals: \"<b>&\"}]
    - request: {method: GET, path: \"/v2/images/{{image_id}}\"}
";

pub const MESSAGE: &str = "expected \"<b>&\", got \"x\"";

pub const AT: Pos = Pos {
    line: 32,
    column: 19,
};

/// The case file: 27 lines of other cases, then [`CASE`].
pub fn file_text() -> String {
    format!("{}{CASE}", "# another case\n".repeat(27))
}

/// The failing check's finding, with its position and (when `with_excerpt`) its lines.
pub fn located(with_excerpt: bool) -> Finding {
    Finding {
        at: Some(AT),
        excerpt: with_excerpt.then(|| excerpt(&file_text(), 28..=33, AT, MESSAGE)),
        ..Finding::new("body.name", Check::Equals, MESSAGE)
    }
}

pub fn failed_case(findings: Vec<Finding>) -> CaseResult {
    CaseResult {
        id: "images.update::rename".into(),
        area: "images.update".into(),
        area_title: "Updating images".into(),
        proves: "a rename is kept".into(),
        behaviours: vec![],
        document: "d".into(),
        section: "s".into(),
        file: "cases/update.yaml".into(),
        line: 28,
        verdict: Verdict::Fail,
        reason: format!("step 1 (line 30): body.name: {MESSAGE}"),
        steps: vec![StepRecord {
            number: 1,
            line: 30,
            title: None,
            exchanges: vec![],
            findings,
        }],
        cleanup: vec![],
        deviation: None,
        duration_ms: 5,
    }
}

pub fn report(cases: Vec<CaseResult>) -> RunReport {
    let run = RunMeta {
        tool: "imgconf".into(),
        tool_version: "0".into(),
        commit: "c".into(),
        run_id: "r".into(),
        endpoint: "http://127.0.0.1:1".into(),
        reference_server: false,
        api_versions: vec![],
        api_current: None,
        profile: "strict".into(),
        identity: "none".into(),
        warnings: vec![],
        features: vec![],
        started_at: String::new(),
        finished_at: String::new(),
        duration_ms: 5,
        config: Default::default(),
    };
    RunReport::new(run, cases)
}
