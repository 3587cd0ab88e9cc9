//! Profiles: what a kind of target is expected to do differently from the documents.
//!
//! A profile is data (`profiles/<name>.yaml`). For now it declares expected deviations: cases
//! that fail on that kind of target for a known, documented reason. Such a failure is accepted
//! and reported as a deviation; a deviation that no longer happens fails the case, so the list
//! never goes stale.

use crate::outcome::{CaseResult, DeviationNote, Verdict};
use crate::source::SourceFile;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// A profile (built-in name or path) whose deviations this one starts from.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default)]
    pub deviations: Vec<Deviation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Full case name (`images.create::array-body-is-rejected`).
    pub case: String,
    /// Why the target behaves this way.
    pub reason: String,
    /// Where the difference is recorded.
    pub reference: String,
    /// Text the failure must contain, so that a different failure is not excused.
    pub failure_contains: String,
    /// A race: it shows in some runs and not in others, so a pass is not a sign that it is gone.
    #[serde(default)]
    pub intermittent: bool,
}

impl Profile {
    /// Parses a profile and checks that every deviation names a known case (`None`: the cases
    /// are not the ones the profile was written for, so names cannot be checked).
    pub fn parse(file: &SourceFile, known_cases: Option<&[&str]>) -> Result<Profile, String> {
        let p: Profile =
            serde_norway::from_str(&file.text).map_err(|e| format!("{}: {e}", file.path))?;
        let Some(known_cases) = known_cases else {
            return Ok(p);
        };
        for d in &p.deviations {
            if !known_cases.contains(&d.case.as_str()) {
                return Err(format!(
                    "{}: deviation for unknown case `{}`",
                    file.path, d.case
                ));
            }
        }
        Ok(p)
    }

    /// Takes the base's deviations for cases this profile says nothing about.
    pub fn inherit(&mut self, base: Profile) {
        for d in base.deviations {
            if !self.deviations.iter().any(|mine| mine.case == d.case) {
                self.deviations.push(d);
            }
        }
    }

    /// Applies the declared deviation, if any, to a finished case.
    pub fn apply(&self, result: &mut CaseResult) {
        let Some(d) = self.deviations.iter().find(|d| d.case == result.id) else {
            return;
        };
        let note = DeviationNote {
            reason: d.reason.clone(),
            reference: d.reference.clone(),
        };
        match result.verdict {
            Verdict::Fail if result.reason.contains(&d.failure_contains) => {
                result.verdict = Verdict::Deviation;
                result.deviation = Some(note);
            }
            Verdict::Pass if d.intermittent => {
                result.reason = format!(
                    "passed this time; `{}` declares an intermittent deviation here",
                    self.name
                );
                result.deviation = Some(note);
            }
            Verdict::Pass => {
                result.verdict = Verdict::Fail;
                result.reason = format!(
                    "the `{}` profile expects this case to fail ({}), but it passed: the deviation is gone, remove it from the profile",
                    self.name, d.failure_contains
                );
                result.deviation = Some(note);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        let text = "name: t\ndescription: test\ndeviations:\n  - case: a::b\n    reason: r\n    reference: ref\n    failure_contains: 'expected 400, got 500'\n";
        Profile::parse(
            &SourceFile::new("profiles/t.yaml", text.into()),
            Some(&["a::b"]),
        )
        .unwrap()
    }

    fn result(verdict: Verdict, reason: &str) -> CaseResult {
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
            verdict,
            reason: reason.into(),
            steps: vec![],
            cleanup: vec![],
            deviation: None,
            duration_ms: 0,
        }
    }

    #[test]
    fn the_declared_failure_becomes_a_deviation() {
        let mut r = result(
            Verdict::Fail,
            "step 1 (line 3): status: expected 400, got 500",
        );
        profile().apply(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
        assert_eq!(r.deviation.unwrap().reason, "r");
    }

    #[test]
    fn another_failure_is_not_excused() {
        let mut r = result(
            Verdict::Fail,
            "step 2 (line 9): status: expected 204, got 200",
        );
        profile().apply(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
    }

    #[test]
    fn a_deviation_that_no_longer_occurs_fails() {
        let mut r = result(Verdict::Pass, "");
        profile().apply(&mut r);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.reason.contains("the deviation is gone"), "{}", r.reason);
    }

    #[test]
    fn an_intermittent_deviation_may_pass() {
        let mut p = profile();
        p.deviations[0].intermittent = true;
        let mut r = result(Verdict::Pass, "");
        p.apply(&mut r);
        assert_eq!(r.verdict, Verdict::Pass);
        assert!(r.reason.contains("intermittent deviation"), "{}", r.reason);
        let mut r = result(
            Verdict::Fail,
            "step 1 (line 3): status: expected 400, got 500",
        );
        p.apply(&mut r);
        assert_eq!(r.verdict, Verdict::Deviation);
    }

    #[test]
    fn unknown_case_is_an_error() {
        let text = "name: t\ndescription: d\ndeviations:\n  - {case: x::y, reason: r, reference: f, failure_contains: z}\n";
        let err =
            Profile::parse(&SourceFile::new("p.yaml", text.into()), Some(&["a::b"])).unwrap_err();
        assert!(err.contains("unknown case `x::y`"), "{err}");
    }
}
