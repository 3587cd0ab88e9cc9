//! `imgconf compare A B`: two runs side by side, behaviour by behaviour and response by
//! response. Verdicts that changed are listed apart from cases whose verdict is the same but
//! whose responses differ (two implementations can both conform and still answer differently).
//! Responses are compared after [`normalize`] masks what differs between any two runs.
//!
//! The comparison is data ([`Comparison`], written by `--json`, schema in
//! `docs/compare.schema.json`), rendered for the console and Markdown ([`text`]) and as one
//! self-contained HTML page ([`html`]).

pub mod command;
pub mod html;
pub mod jsondiff;
pub mod normalize;
pub mod text;

use crate::outcome::{CaseResult, ExchangeRecord, StepRecord, Verdict};
use crate::report::results::{Counts as RunCounts, RunReport};
use normalize::Normalizer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const FORMAT: &str = "imgconf-compare";
pub const VERSION: u32 = 1;
/// Differences kept per exchange: enough to see how two bodies differ, bounded when they are
/// unrelated.
pub const DIFF_LIMIT: usize = 40;

/// Exit status as diff(1): 0 no difference, 1 differences, 2 trouble.
pub const EXIT_SAME: u8 = 0;
pub const EXIT_DIFFERENT: u8 = 1;
pub const EXIT_TROUBLE: u8 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub format: String,
    pub version: u32,
    pub a: Side,
    pub b: Side,
    /// Response headers not compared (see [`normalize::IGNORED_HEADERS`]).
    pub ignored_headers: Vec<String>,
    pub counts: Counts,
    /// False when the two runs come from different suites (then the exit status is 2).
    pub same_suite: bool,
    /// Cases of A's suite that B's suite does not have, and the other way round.
    pub suite_only_in_a: Vec<String>,
    pub suite_only_in_b: Vec<String>,
    /// Cases that ran in one run only (a filter, a partition, another suite).
    pub only_in_a: Vec<Lone>,
    pub only_in_b: Vec<Lone>,
    /// Cases with a changed verdict or differing responses, in case id order.
    pub cases: Vec<CaseDiff>,
}

/// One run, as the comparison names it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Side {
    /// The folder or file it was read from.
    pub source: String,
    pub run_id: String,
    pub endpoint: String,
    pub reference_server: bool,
    pub profile: String,
    pub tool_version: String,
    pub commit: String,
    pub started_at: String,
    pub counts: RunCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Cases that ran in both runs.
    pub compared: usize,
    pub same: usize,
    pub verdict_changes: usize,
    /// Same verdict, different responses.
    pub response_differences: usize,
    pub only_in_a: usize,
    pub only_in_b: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lone {
    pub id: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Verdict,
    Responses,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseDiff {
    pub id: String,
    pub area: String,
    pub area_title: String,
    pub proves: String,
    pub change: Change,
    pub a: CaseSide,
    pub b: CaseSide,
    pub steps: Vec<StepDiff>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseSide {
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepDiff {
    pub number: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The step's (first) request, normalised: `GET /v2/images/<uuid>`.
    pub request: String,
    pub differences: Vec<Difference>,
}

/// One difference within a step. `path` is `statuses` (a step of concurrent requests: only the
/// sorted statuses of their responses are compared), `step` (the step ran in one run only: the values are
/// its request), `request` (the requests differ), `response` (one got no response: the error),
/// `status`, `headers.<name>` or `body…` (a path into the JSON body; `body` alone for text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Which exchange of the step, from 1 (pages of a listing, parallel requests).
    pub exchange: usize,
    pub path: String,
    /// Absent where the run has nothing there (a JSON `null` is a value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<Value>,
}

impl Comparison {
    pub fn exit_code(&self) -> u8 {
        if !self.same_suite {
            EXIT_TROUBLE
        } else if self.counts.verdict_changes
            + self.counts.response_differences
            + self.counts.only_in_a
            + self.counts.only_in_b
            == 0
        {
            EXIT_SAME
        } else {
            EXIT_DIFFERENT
        }
    }

    /// Why the runs cannot be compared as they are, when they cannot (different suites).
    pub fn trouble(&self) -> Option<String> {
        (!self.same_suite).then(|| {
            // The first few ids: the JSON output has them all.
            let list = |ids: &[String]| match ids.len() {
                0 => "none".to_string(),
                n if n <= 10 => ids.join(", "),
                n => format!("{} and {} more", ids[..10].join(", "), n - 10),
            };
            format!(
                "the runs come from different suites: only in A's suite: {}; only in B's suite: {}",
                list(&self.suite_only_in_a),
                list(&self.suite_only_in_b)
            )
        })
    }
}

/// Reads a run: a results folder (its `results.json`) or a `results.json` file.
pub fn load(path: &Path) -> Result<RunReport, String> {
    if path.is_dir() {
        RunReport::read(&path.join("results.json"))
    } else {
        RunReport::read(path)
    }
}

/// The verdict's name as results.json writes it.
pub fn verdict_name(v: Verdict) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => format!("{v:?}").to_lowercase(),
    }
}

/// Compares run `a` (read from `source_a`) with run `b`.
pub fn compare(source_a: &str, a: &RunReport, source_b: &str, b: &RunReport) -> Comparison {
    let by_id = |r: &'_ RunReport| -> BTreeMap<String, usize> {
        r.cases
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect()
    };
    let (ia, ib) = (by_id(a), by_id(b));
    // Older results files name no suite: then the cases they ran stand for it.
    let suite = |r: &RunReport, ran: &BTreeMap<String, usize>| -> BTreeSet<String> {
        if r.suite.is_empty() {
            ran.keys().cloned().collect()
        } else {
            r.suite.iter().cloned().collect()
        }
    };
    let (sa, sb) = (suite(a, &ia), suite(b, &ib));
    let suite_only_in_a: Vec<String> = sa.difference(&sb).cloned().collect();
    let suite_only_in_b: Vec<String> = sb.difference(&sa).cloned().collect();
    let lone = |ids: &BTreeMap<String, usize>, other: &BTreeMap<String, usize>, r: &RunReport| {
        ids.iter()
            .filter(|(id, _)| !other.contains_key(*id))
            .map(|(id, &i)| Lone {
                id: id.clone(),
                verdict: r.cases[i].verdict,
            })
            .collect::<Vec<_>>()
    };
    let only_in_a = lone(&ia, &ib, a);
    let only_in_b = lone(&ib, &ia, b);
    let (na, nb) = (
        Normalizer::new(&a.run.run_id),
        Normalizer::new(&b.run.run_id),
    );
    let mut counts = Counts {
        only_in_a: only_in_a.len(),
        only_in_b: only_in_b.len(),
        ..Counts::default()
    };
    let mut cases = Vec::new();
    for (id, &i) in &ia {
        let Some(&j) = ib.get(id) else { continue };
        counts.compared += 1;
        match compare_case(&na, &a.cases[i], &nb, &b.cases[j]) {
            None => counts.same += 1,
            Some(d) => {
                match d.change {
                    Change::Verdict => counts.verdict_changes += 1,
                    Change::Responses => counts.response_differences += 1,
                }
                cases.push(d);
            }
        }
    }
    Comparison {
        format: FORMAT.into(),
        version: VERSION,
        a: side(source_a, a),
        b: side(source_b, b),
        ignored_headers: normalize::IGNORED_HEADERS
            .iter()
            .map(|h| h.to_string())
            .collect(),
        counts,
        same_suite: suite_only_in_a.is_empty() && suite_only_in_b.is_empty(),
        suite_only_in_a,
        suite_only_in_b,
        only_in_a,
        only_in_b,
        cases,
    }
}

fn side(source: &str, r: &RunReport) -> Side {
    Side {
        source: source.to_string(),
        run_id: r.run.run_id.clone(),
        endpoint: r.run.endpoint.clone(),
        reference_server: r.run.reference_server,
        profile: r.run.profile.clone(),
        tool_version: r.run.tool_version.clone(),
        commit: r.run.commit.clone(),
        started_at: r.run.started_at.clone(),
        counts: r.counts.clone(),
    }
}

fn compare_case(
    na: &Normalizer,
    a: &CaseResult,
    nb: &Normalizer,
    b: &CaseResult,
) -> Option<CaseDiff> {
    let own = format!(
        "imgconf-<run>-{}",
        crate::template::Env::new("", &a.id).case_slug
    );
    let steps = compare_steps(&Case { own: &own }, na, &a.steps, nb, &b.steps);
    let change = if a.verdict != b.verdict {
        Change::Verdict
    } else if !steps.is_empty() {
        Change::Responses
    } else {
        return None;
    };
    Some(CaseDiff {
        id: a.id.clone(),
        area: a.area.clone(),
        area_title: a.area_title.clone(),
        proves: a.proves.clone(),
        change,
        a: CaseSide {
            verdict: a.verdict,
            reason: a.reason.clone(),
        },
        b: CaseSide {
            verdict: b.verdict,
            reason: b.reason.clone(),
        },
        steps,
    })
}

/// What the comparison of a case's steps needs to know about the case.
struct Case<'a> {
    /// The masked prefix of the names of the case's own images.
    own: &'a str,
}

fn compare_steps(
    case: &Case,
    na: &Normalizer,
    a: &[StepRecord],
    nb: &Normalizer,
    b: &[StepRecord],
) -> Vec<StepDiff> {
    let numbers: BTreeSet<usize> = a.iter().chain(b).map(|s| s.number).collect();
    let mut out = Vec::new();
    for n in numbers {
        let sa = a.iter().find(|s| s.number == n);
        let sb = b.iter().find(|s| s.number == n);
        let first = |s: Option<&StepRecord>, norm: &Normalizer| {
            s.and_then(|s| s.exchanges.first())
                .map(|e| request_line(norm, e))
        };
        let (ra, rb) = (first(sa, na), first(sb, nb));
        let mut differences = Vec::new();
        match (sa, sb) {
            (Some(x), Some(y)) if concurrent(na, x) || concurrent(nb, y) => {
                let statuses = |s: &StepRecord| {
                    let mut v: Vec<u16> = s
                        .exchanges
                        .iter()
                        .filter_map(|e| e.response.as_ref().map(|r| r.status))
                        .collect();
                    v.sort_unstable();
                    v
                };
                let (xa, yb) = (statuses(x), statuses(y));
                if xa != yb {
                    differences.push(Difference {
                        exchange: 0,
                        path: "statuses".into(),
                        a: Some(xa.into()),
                        b: Some(yb.into()),
                    });
                }
            }
            (Some(x), Some(y)) => {
                for k in 0..x.exchanges.len().max(y.exchanges.len()) {
                    compare_exchange(
                        case,
                        k + 1,
                        x.exchanges.get(k).map(|e| (na, e)),
                        y.exchanges.get(k).map(|e| (nb, e)),
                        &mut differences,
                    );
                }
            }
            (x, y) => differences.push(Difference {
                exchange: 0,
                path: "step".into(),
                a: x.map(|_| Value::String(ra.clone().unwrap_or_default())),
                b: y.map(|_| Value::String(rb.clone().unwrap_or_default())),
            }),
        }
        if !differences.is_empty() {
            out.push(StepDiff {
                number: n,
                title: sa.or(sb).and_then(|s| s.title.clone()),
                request: ra.or(rb).unwrap_or_default(),
                differences,
            });
        }
    }
    out
}

/// Whether a step's requests went out together (a `parallel` or `alongside` step): then which
/// answer came first, and what each body saw, depend on timing. Such a step sends one request
/// more than once; a paged listing never does (each page has its own marker).
fn concurrent(n: &Normalizer, s: &StepRecord) -> bool {
    let lines: BTreeSet<String> = s.exchanges.iter().map(|e| request_line(n, e)).collect();
    lines.len() < s.exchanges.len()
}

/// Drops from listings (arrays named `images` or `namespaces`) what other cases created (named
/// `imgconf-<run>-<another case>`, or after another run): in a parallel run they come and go
/// with timing.
fn drop_other_cases(v: &mut Value, own: &str) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                let listing = k == "images" || k == "namespaces";
                if let (true, Value::Array(items)) = (listing, &mut *item) {
                    let named = |i: &Value| {
                        ["name", "namespace"]
                            .iter()
                            .find_map(|f| i.get(*f).and_then(Value::as_str).map(str::to_string))
                    };
                    items.retain(|i| match named(i).as_deref() {
                        Some(name) if name.starts_with("imgconf-") => name.starts_with(own),
                        _ => true,
                    });
                }
                drop_other_cases(item, own);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| drop_other_cases(i, own)),
        _ => {}
    }
}

/// `METHOD /path?query`, without the origin, normalised.
fn request_line(n: &Normalizer, e: &ExchangeRecord) -> String {
    n.text(&format!("{} {}", e.request.method, e.request.url))
        .replace("<origin>", "")
}

fn compare_exchange(
    case: &Case,
    number: usize,
    a: Option<(&Normalizer, &ExchangeRecord)>,
    b: Option<(&Normalizer, &ExchangeRecord)>,
    out: &mut Vec<Difference>,
) {
    let mut put = |path: &str, a: Option<Value>, b: Option<Value>| {
        out.push(Difference {
            exchange: number,
            path: path.to_string(),
            a,
            b,
        })
    };
    let (Some((na, ea)), Some((nb, eb))) = (a, b) else {
        let line = |x: Option<(&Normalizer, &ExchangeRecord)>| {
            x.map(|(n, e)| Value::String(request_line(n, e)))
        };
        put("exchange", line(a), line(b));
        return;
    };
    let (la, lb) = (request_line(na, ea), request_line(nb, eb));
    if la != lb {
        put("request", Some(la.into()), Some(lb.into()));
    }
    let (ra, rb) = match (&ea.response, &eb.response) {
        (Some(x), Some(y)) => (x, y),
        (x, y) => {
            let what = |r: &Option<crate::outcome::ResponseEvidence>,
                        e: &ExchangeRecord,
                        n: &Normalizer| match r {
                Some(r) => Value::String(format!("status {}", r.status)),
                None => Value::String(n.text(e.error.as_deref().unwrap_or("no response"))),
            };
            let (va, vb) = (what(x, ea, na), what(y, eb, nb));
            if va != vb {
                put("response", Some(va), Some(vb));
            }
            return;
        }
    };
    if ra.status != rb.status {
        put("status", Some(ra.status.into()), Some(rb.status.into()));
    }
    let headers = |n: &Normalizer, h: &[(String, String)]| -> BTreeMap<String, String> {
        h.iter()
            .filter(|(k, _)| !normalize::ignored_header(k))
            .map(|(k, v)| (k.to_ascii_lowercase(), n.text(v)))
            .collect()
    };
    let (ha, hb) = (headers(na, &ra.headers), headers(nb, &rb.headers));
    let names: BTreeSet<&String> = ha.keys().chain(hb.keys()).collect();
    for name in names {
        let (va, vb) = (ha.get(name), hb.get(name));
        if va != vb {
            put(
                &format!("headers.{name}"),
                va.map(|v| Value::String(v.clone())),
                vb.map(|v| Value::String(v.clone())),
            );
        }
    }
    let (mut ba, mut bb) = (na.body(&ra.body), nb.body(&rb.body));
    drop_other_cases(&mut ba, case.own);
    drop_other_cases(&mut bb, case.own);
    let mut changes = Vec::new();
    jsondiff::diff("body", &ba, &bb, &mut changes, DIFF_LIMIT);
    for c in changes {
        put(&c.path, c.a, c.b);
    }
}

#[cfg(test)]
mod tests;
