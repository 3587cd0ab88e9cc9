//! JUnit XML: one testsuite per area, one testcase per case, with the evidence of failures.

use crate::outcome::{CaseResult, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// JUnit for a whole run report.
pub fn render_report(r: &super::results::RunReport) -> Result<String, String> {
    render(
        &r.cases,
        &r.run.run_id,
        &r.run.endpoint,
        &r.run.profile,
        &r.run.warnings,
    )
}

pub fn render(
    results: &[CaseResult],
    run_id: &str,
    endpoint: &str,
    profile: &str,
    warnings: &[String],
) -> Result<String, String> {
    let mut report = Report::new("imgconf");
    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for r in results {
        areas.entry(r.area.as_str()).or_default().push(r);
    }
    for (area, cases) in areas {
        let mut suite = TestSuite::new(area);
        suite.add_property(Property::new("run_id", run_id));
        suite.add_property(Property::new("endpoint", endpoint));
        suite.add_property(Property::new("profile", profile));
        for w in warnings {
            suite.add_property(Property::new("warning", w.as_str()));
        }
        for r in cases {
            let status = match r.verdict {
                Verdict::Pass | Verdict::Deviation => TestCaseStatus::success(),
                Verdict::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(r.reason.as_str());
                    s
                }
                Verdict::Fail | Verdict::Error => {
                    let kind = if r.verdict == Verdict::Fail {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    s.set_message(r.reason.as_str());
                    s.set_type(if r.verdict == Verdict::Fail {
                        "conformance failure"
                    } else {
                        "harness error"
                    });
                    s.set_description(super::text::failure(r));
                    s
                }
            };
            let mut tc = TestCase::new(r.id.as_str(), status);
            tc.set_classname(format!("imgconf.{}", r.area));
            tc.set_time(Duration::from_millis(r.duration_ms as u64));
            tc.add_property(Property::new("proves", r.proves.as_str()));
            tc.add_property(Property::new(
                "spec",
                format!("{} — {}", r.document, r.section),
            ));
            if !r.behaviours.is_empty() {
                tc.add_property(Property::new("behaviours", r.behaviours.join(",")));
            }
            if let Some(d) = &r.deviation {
                tc.add_property(Property::new(
                    "deviation",
                    format!("{} ({})", d.reason, d.reference),
                ));
                if r.verdict == Verdict::Deviation {
                    tc.set_system_out(format!(
                        "expected deviation: {}\n{}",
                        d.reason,
                        super::text::failure(r)
                    ));
                }
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
}
