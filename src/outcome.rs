//! What running a case produced: the verdict and the evidence behind it.

use crate::expect::Finding;
use crate::http::{Received, SentRequest};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// The target broke a documented rule.
    Fail,
    /// The harness could not decide: transport failure, an unusable template, a harness bug.
    Error,
    /// Not applicable to this target (API version, feature); the reason says why.
    Skip,
    /// Failed exactly as the profile's declared deviation says: accepted, and reported.
    Deviation,
    /// Passed although the profile declares a deviation here: the target got more conformant.
    /// Reported; it fails the run only with `--strict-deviations`.
    DeviationGone,
}

impl Verdict {
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Error)
    }
}

/// One request/response pair as evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeRecord {
    pub request: SentRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseEvidence>,
    /// Why there is no response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseEvidence {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_len: usize,
    pub elapsed_ms: u128,
}

impl From<&Received> for ResponseEvidence {
    fn from(r: &Received) -> Self {
        ResponseEvidence {
            status: r.status,
            headers: r.headers.clone(),
            body: crate::http::evidence_text(&r.bytes),
            body_len: r.body_len,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub number: usize,
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub exchanges: Vec<ExchangeRecord>,
    pub findings: Vec<Finding>,
}

/// A deviation the profile declared for this case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviationNote {
    pub reason: String,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub area: String,
    pub area_title: String,
    pub proves: String,
    pub behaviours: Vec<String>,
    pub document: String,
    pub section: String,
    pub file: String,
    pub line: usize,
    pub verdict: Verdict,
    /// One line: why it failed, errored, was skipped or deviated.
    pub reason: String,
    pub steps: Vec<StepRecord>,
    /// Problems deleting what the case created.
    pub cleanup: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<DeviationNote>,
    pub duration_ms: u128,
}
