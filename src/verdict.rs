//! The verdict of a case, decided in one place: the evidence a case gathered (its findings and
//! what cleaning up found) and the profile's declared deviation make the outcome, and the
//! outcome alone says whether the case fails the run (the libtest trial, `--fail-fast`, the exit
//! code and every report follow from it).
//!
//! A deviation excuses findings one by one: a case is accepted as deviating only when every
//! finding it produced matches one of the deviation's `excuses`; any other finding fails it.

use crate::expect::{Check, Finding};
use crate::outcome::{CaseResult, DeviationNote, Verdict};
use crate::profile::{Deviation, Excuse, Profile};
use serde_json::Value;
use std::sync::Arc;

/// Judges finished cases for one run.
pub struct Judge {
    pub profile: Arc<Profile>,
    /// Whether the profile's deviations apply to this target (not on imgconf's own reference
    /// server when the profile says they are another implementation's).
    pub deviations_expected: bool,
    /// `--strict-deviations`: a declared deviation that did not occur fails the run.
    pub strict_deviations: bool,
}

impl Judge {
    /// Whether a judged case fails the run: its trial, `--fail-fast` and the exit code.
    pub fn fails_run(&self, result: &CaseResult) -> bool {
        match result.verdict {
            Verdict::Fail | Verdict::Error => true,
            Verdict::DeviationGone => self.strict_deviations,
            Verdict::Pass | Verdict::Skip | Verdict::Deviation => false,
        }
    }
}

/// One finding with where it was made (`None`: while cleaning up).
struct Seen {
    step: Option<(usize, usize)>,
    finding: Finding,
}

impl Judge {
    /// Turns a case's evidence into its outcome: sets `verdict`, `reason` and `deviation`.
    /// A case that was skipped or could not be decided (`Error`) keeps its verdict.
    pub fn judge(&self, result: &mut CaseResult) {
        if matches!(result.verdict, Verdict::Skip | Verdict::Error) {
            return;
        }
        let seen = findings(result);
        let declared = (self.deviations_expected)
            .then(|| self.profile.deviations.iter().find(|d| d.case == result.id))
            .flatten();
        let note = declared.map(|d| DeviationNote {
            reason: d.reason.clone(),
            reference: d.reference.clone(),
        });
        let (excused, unexcused): (Vec<&Seen>, Vec<&Seen>) = seen
            .iter()
            .partition(|s| declared.is_some_and(|d| excused_by(d, s)));
        let name = &self.profile.name;
        match (declared, seen.is_empty()) {
            (None, true) => result.verdict = Verdict::Pass,
            (Some(d), true) if d.intermittent => {
                result.verdict = Verdict::Pass;
                result.reason =
                    format!("passed this time; `{name}` declares an intermittent deviation here");
                result.deviation = note;
            }
            (Some(_), true) => {
                result.verdict = Verdict::DeviationGone;
                result.reason = format!(
                    "passed although the `{name}` profile declares a deviation here: the deviation did not occur (the target got more conformant, or the profile is stale)"
                );
                result.deviation = note;
            }
            (_, false) if unexcused.is_empty() => {
                result.verdict = Verdict::Deviation;
                result.reason = summary(&excused);
                result.deviation = note;
            }
            (_, false) => {
                result.verdict = Verdict::Fail;
                result.reason = summary(&unexcused);
                if !excused.is_empty() {
                    result.reason += &format!(
                        " — not excused by the deviation `{name}` declares here ({} other finding(s) are)",
                        excused.len()
                    );
                }
                result.deviation = note;
            }
        }
    }
}

/// Every finding of the case: the steps' (a case stops at its first failing step), then one per
/// problem deleting what it created.
fn findings(result: &CaseResult) -> Vec<Seen> {
    let mut seen: Vec<Seen> = result
        .steps
        .iter()
        .flat_map(|st| {
            st.findings.iter().map(|f| Seen {
                step: Some((st.number, st.line)),
                finding: f.clone(),
            })
        })
        .collect();
    seen.extend(result.cleanup.iter().map(|p| Seen {
        step: None,
        finding:
            Finding::new("cleanup", Check::Cleanup, p.clone()).actual(answered(p).map(Value::from)),
    }));
    seen
}

/// The status a failed delete was answered with: the last `answered N` of the problem
/// (`DELETE answered 403 and unprotecting answered 500` → 500).
fn answered(problem: &str) -> Option<u16> {
    problem
        .rsplit("answered ")
        .next()
        .filter(|_| problem.contains("answered "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

fn excused_by(d: &Deviation, s: &Seen) -> bool {
    d.excuses.iter().any(|e| matches(e, s))
}

fn matches(e: &Excuse, s: &Seen) -> bool {
    let f = &s.finding;
    e.rule == f.rule
        && e.step
            .is_none_or(|n| s.step.is_some_and(|(step, _)| step == n))
        && e.check.is_none_or(|c| c == f.check)
        && e.actual
            .as_ref()
            .is_none_or(|a| f.actual.as_ref() == Some(a))
}

/// One line: where the first finding was made, what it says, and how many more there are.
fn summary(seen: &[&Seen]) -> String {
    let Some(first) = seen.first() else {
        return String::new();
    };
    let more = match seen.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    match first.step {
        Some((number, line)) => format!(
            "step {number} (line {line}): {}{more}",
            first.finding.line()
        ),
        None => {
            let all: Vec<&str> = seen.iter().map(|s| s.finding.message.as_str()).collect();
            format!("cleanup: {}", all.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::StepRecord;
    use crate::source::SourceFile;

    fn judge(deviation: &str) -> Judge {
        let text = format!("name: t\ndescription: test\ndeviations:\n{deviation}");
        let profile = Profile::parse(&SourceFile::new("profiles/t.yaml", text), None).unwrap();
        Judge {
            profile: Arc::new(profile),
            deviations_expected: true,
            strict_deviations: false,
        }
    }

    const STATUS_500: &str = "  - case: a::b\n    reason: r\n    reference: catalogue/behaviours.yaml\n    excuses: [{step: 1, rule: status, actual: 500}]\n";

    fn status(want: u16, got: u16) -> Finding {
        Finding::new(
            "status",
            Check::Status,
            format!("expected {want}, got {got}"),
        )
        .expected(Value::from(vec![want]))
        .actual(Value::from(got))
    }

    fn result(findings: Vec<Finding>) -> CaseResult {
        CaseResult {
            id: "a::b".into(),
            area: "a".into(),
            area_title: "A".into(),
            proves: "p".into(),
            behaviours: vec![],
            document: "d".into(),
            section: "s".into(),
            file: "f".into(),
            line: 1,
            verdict: Verdict::Pass,
            reason: String::new(),
            steps: vec![StepRecord {
                number: 1,
                line: 3,
                title: None,
                exchanges: vec![],
                findings,
            }],
            cleanup: vec![],
            deviation: None,
            duration_ms: 0,
        }
    }

    #[test]
    fn the_declared_finding_alone_is_a_deviation() {
        let mut r = result(vec![status(400, 500)]);
        judge(STATUS_500).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
        assert_eq!(r.reason, "step 1 (line 3): status: expected 400, got 500");
        assert_eq!(r.deviation.unwrap().reason, "r");
    }

    #[test]
    fn a_second_finding_beside_the_declared_one_fails_the_case() {
        let other = Finding::new("body.name", Check::Equals, "expected \"x\", got \"y\"")
            .actual(Value::from("y"));
        let mut r = result(vec![status(400, 500), other]);
        judge(STATUS_500).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.reason,
            "step 1 (line 3): body.name: expected \"x\", got \"y\" — not excused by the deviation `t` declares here (1 other finding(s) are)"
        );
    }

    #[test]
    fn another_actual_value_or_step_is_not_excused() {
        for f in [status(400, 501), status(400, 500)] {
            let mut r = result(vec![f.clone()]);
            if f.actual == Some(Value::from(500)) {
                r.steps[0].number = 2;
            }
            judge(STATUS_500).judge(&mut r);
            assert_eq!(r.verdict, Verdict::Fail, "{f:?}");
        }
    }

    #[test]
    fn a_check_kind_narrows_the_excuse() {
        let d = "  - case: a::b\n    reason: r\n    reference: https://example.org/x\n    excuses: [{rule: body.tags, check: set_equals}]\n";
        let set = Finding::new(
            "body.tags",
            Check::SetEquals,
            "expected the set [1], got [2]",
        );
        let len = Finding::new(
            "body.tags",
            Check::Len,
            "expected a length of exactly 1, got 2",
        );
        let mut r = result(vec![set.clone()]);
        judge(d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
        let mut r = result(vec![set, len]);
        judge(d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(
            r.reason.contains("body.tags: expected a length"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn cleanup_problems_are_findings_with_the_status_they_got() {
        let d = "  - case: a::b\n    reason: r\n    reference: https://example.org/x\n    excuses: [{rule: cleanup, actual: 500}]\n";
        let mut r = result(vec![]);
        r.cleanup = vec!["image 1: DELETE answered 500".into()];
        judge(d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
        let mut r = result(vec![]);
        r.cleanup = vec!["image 1: DELETE answered 403 and unprotecting answered 409".into()];
        judge(d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.reason,
            "cleanup: image 1: DELETE answered 403 and unprotecting answered 409"
        );
        let mut r = result(vec![]);
        r.cleanup = vec!["image 1: DELETE answered 500".into()];
        judge("  []\n").judge(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(answered("image 1: connection refused"), None);
    }

    #[test]
    fn a_deviation_that_did_not_occur_fails_the_run_only_when_strict() {
        let mut r = result(vec![]);
        let mut j = judge(STATUS_500);
        j.judge(&mut r);
        assert_eq!(r.verdict, Verdict::DeviationGone);
        assert!(
            r.reason.contains("the deviation did not occur"),
            "{}",
            r.reason
        );
        assert!(!j.fails_run(&r));
        j.strict_deviations = true;
        assert!(j.fails_run(&r));
    }

    #[test]
    fn deviations_not_expected_here_are_not_applied() {
        let mut j = judge(STATUS_500);
        j.deviations_expected = false;
        let mut r = result(vec![]);
        j.judge(&mut r);
        assert_eq!((r.verdict, r.deviation.is_none()), (Verdict::Pass, true));
        let mut r = result(vec![status(400, 500)]);
        j.judge(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
    }

    #[test]
    fn an_intermittent_deviation_may_pass() {
        let d = format!("{STATUS_500}    intermittent: true\n");
        let mut r = result(vec![]);
        judge(&d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Pass);
        assert!(r.reason.contains("intermittent deviation"), "{}", r.reason);
        let mut r = result(vec![status(400, 500)]);
        judge(&d).judge(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
    }

    #[test]
    fn errors_and_skips_are_not_judged() {
        for v in [Verdict::Error, Verdict::Skip] {
            let mut r = result(vec![status(400, 500)]);
            r.verdict = v;
            r.reason = "why".into();
            judge(STATUS_500).judge(&mut r);
            assert_eq!((r.verdict, r.reason.as_str()), (v, "why"));
        }
    }

    #[test]
    fn several_responses_are_named_in_the_reason() {
        let mut f = status(200, 409);
        f.response = Some("response 2 of 5".into());
        let mut r = result(vec![f, status(200, 500)]);
        judge("  []\n").judge(&mut r);
        assert_eq!(
            r.reason,
            "step 1 (line 3): response 2 of 5: status: expected 200, got 409 (and 1 more)"
        );
    }
}
