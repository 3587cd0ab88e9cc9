//! Which policy the target enforces: Glance's legacy defaults or secure RBAC. A few expected
//! answers depend on it (`delete_image_location` is the owner's under the legacy defaults and
//! the administrator's under secure RBAC), so the run must know it: declared with `--policy`,
//! fixed for the built-in server, or observed here.
//!
//! The observation is one call whose answer the two families disagree on: a user holding only
//! the `reader` role in a project creates an image there. Glance's deprecated `add_image` rule
//! is `rule:default` (anyone), so the legacy defaults answer 201; secure RBAC wants the `member`
//! role and answers 403. The probe image is tracked like any case's and deleted at once.

use crate::cleanup::Tracker;
use crate::cli::Policy;
use crate::http::Target;
use crate::persona::{Persona, Personas};
use reqwest::Method;

/// The name the probe's image is tracked under.
const PROBE: &str = "policy-probe";

/// The policy a run certifies, and how it came to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// `--policy` / `IMGCONF_POLICY`.
    Declared(Policy),
    /// The built-in reference server follows the legacy defaults.
    BuiltIn,
    /// Observed on the target; `evidence` says what answered what.
    Detected { policy: Policy, evidence: String },
    /// Neither said nor observable; `why` says what was missing.
    Unknown { why: String },
}

impl Known {
    pub fn policy(&self) -> Option<Policy> {
        match self {
            Known::Declared(p) | Known::Detected { policy: p, .. } => Some(*p),
            Known::BuiltIn => Some(Policy::Legacy),
            Known::Unknown { .. } => None,
        }
    }

    /// One line for the banner.
    pub fn describe(&self) -> String {
        match self {
            Known::Declared(p) => format!("{} (declared)", name(*p)),
            Known::BuiltIn => "legacy (the built-in server's)".into(),
            Known::Detected { policy, evidence } => {
                format!("{} (detected: {evidence})", name(*policy))
            }
            Known::Unknown { why } => format!(
                "unknown ({why}); the cases whose answer depends on it are skipped: give --policy legacy|srbac"
            ),
        }
    }
}

fn name(p: Policy) -> &'static str {
    p.feature().trim_start_matches("policy:")
}

/// What the probe's answer says about the policy.
pub fn interpret(status: u16) -> Result<(Policy, String), String> {
    match status {
        201 => Ok((
            Policy::Legacy,
            "a project reader may create an image (POST /v2/images answered 201), which Glance's legacy `add_image` default allows".into(),
        )),
        403 => Ok((
            Policy::Srbac,
            "a project reader may not create an image (POST /v2/images answered 403), as secure RBAC's `add_image` wants the member role".into(),
        )),
        s => Err(format!(
            "a project reader's POST /v2/images answered {s}, which tells neither policy"
        )),
    }
}

/// Settles the policy: as declared, the built-in server's, or observed with the `reader` persona.
pub async fn settle(
    declared: Option<Policy>,
    built_in: bool,
    target: &Target,
    personas: Option<&Personas>,
    tracker: &Tracker,
    run_id: &str,
) -> Known {
    if let Some(p) = declared {
        return Known::Declared(p);
    }
    if built_in {
        return Known::BuiltIn;
    }
    let Some(personas) = personas.filter(|p| p.has(Persona::Reader)) else {
        return Known::Unknown {
            why: "no `reader` persona to observe it with: --persona reader=CLOUD or --dynamic-personas give one".into(),
        };
    };
    let mut headers = personas.headers(Persona::Reader);
    headers.push(("Content-Type".into(), "application/json".into()));
    let body = serde_json::json!({ "name": format!("imgconf-{run_id}-{PROBE}") });
    let (_, answer) = target
        .send(
            Method::POST,
            &target.url("/v2/images"),
            &headers,
            Some(body.to_string().into_bytes()),
        )
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return Known::Unknown {
                why: format!("a project reader's POST /v2/images failed: {e}"),
            }
        }
    };
    if answer.status == 201 {
        let id = serde_json::from_slice::<serde_json::Value>(&answer.bytes)
            .ok()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
        let Some(id) = id else {
            return Known::Unknown {
                why: "a project reader's POST /v2/images answered 201 without an image id".into(),
            };
        };
        // Deleted as the owner: the image is the owner project's.
        tracker.record(PROBE, &id, &personas.headers(Persona::Owner));
        let problems = tracker.delete(target, Some(PROBE)).await;
        if let Some(p) = problems.first() {
            return Known::Unknown {
                why: format!("the policy probe's image could not be deleted: {p}"),
            };
        }
    }
    match interpret(answer.status) {
        Ok((policy, evidence)) => Known::Detected { policy, evidence },
        Err(why) => Known::Unknown { why },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_answer_tells_the_policy_only_when_it_can() {
        assert_eq!(interpret(201).unwrap().0, Policy::Legacy);
        assert_eq!(interpret(403).unwrap().0, Policy::Srbac);
        let e = interpret(500).unwrap_err();
        assert_eq!(
            e,
            "a project reader's POST /v2/images answered 500, which tells neither policy"
        );
    }

    #[test]
    fn each_way_of_knowing_reads_as_it_came() {
        assert_eq!(Known::BuiltIn.policy(), Some(Policy::Legacy));
        assert_eq!(
            Known::Declared(Policy::Srbac).describe(),
            "srbac (declared)"
        );
        let (policy, evidence) = interpret(403).unwrap();
        let d = Known::Detected { policy, evidence };
        assert!(d
            .describe()
            .starts_with("srbac (detected: a project reader may not"));
        let u = Known::Unknown {
            why: "no reader".into(),
        };
        assert_eq!(u.policy(), None);
        assert!(u.describe().contains("give --policy legacy|srbac"));
    }
}
