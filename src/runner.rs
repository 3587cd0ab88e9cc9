//! Running one case against the target: render each step, send it, check the response, capture
//! variables, follow pagination links, and always delete what the case created.

use crate::case::plan::{Body, Creates, Request, Step};
use crate::case::{ApiVersion, Case};
use crate::cleanup::{Kind, Tracker};
use crate::expect::{Check, Checker, Finding, Subject};
use crate::http::{Outgoing, Received, SentRequest, Target};
use crate::outcome::{CaseResult, ExchangeRecord, ResponseEvidence, StepRecord, Verdict};
use crate::persona::{Persona, Personas};
use crate::schema::SchemaSet;
use crate::template::Env;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

/// What every case of a run shares.
pub struct RunContext {
    pub target: Target,
    pub schemas: Arc<SchemaSet>,
    pub run_id: String,
    /// Highest API version the target advertises, when known.
    pub api_version: Option<ApiVersion>,
    pub tracker: Tracker,
    /// Identities to act as; `None` for a target without identities (noauth).
    pub personas: Option<Personas>,
    /// Optional features the target offers (detected, or set on the command line).
    pub features: BTreeSet<String>,
    /// A token sent as `X-Auth-Token` with every request (never shown: masked in all output).
    pub token: Option<String>,
    /// Data for web-download cases, when the run has a source the target can fetch.
    pub web_source: Option<crate::websource::WebSource>,
}

impl RunContext {
    /// Identity headers for a request sent as `persona` (the owner by default).
    pub fn identity(&self, persona: Option<Persona>) -> Vec<(String, String)> {
        let mut headers = match &self.personas {
            Some(ps) => ps.headers(persona.unwrap_or(Persona::Owner)),
            None => Vec::new(),
        };
        if let Some(t) = &self.token {
            headers.push(("X-Auth-Token".into(), t.clone()));
        }
        headers
    }
}

/// How a step ended. A failed step's findings are in its record; whether they fail the case is
/// for `verdict::judge` to say, with the profile.
enum StepEnd {
    Passed,
    Failed,
    Errored(String),
    /// The expectation does not apply to this deployment (see [`crate::applicable`]).
    NotApplicable(String),
}

/// The result of a case that is not run, and why.
pub fn skipped(case: &Case, reason: String) -> CaseResult {
    CaseResult {
        verdict: Verdict::Skip,
        reason,
        ..blank(case)
    }
}

fn blank(case: &Case) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        area: case.area.clone(),
        area_title: case.area_title.clone(),
        proves: case.proves.clone(),
        behaviours: case.behaviours.clone(),
        document: case.document.clone(),
        section: case.section.clone(),
        file: case.file.clone(),
        line: case.line,
        verdict: Verdict::Pass,
        reason: String::new(),
        steps: Vec::new(),
        cleanup: Vec::new(),
        deviation: None,
        duration_ms: 0,
    }
}

/// Runs the case and gathers the evidence: the steps up to the first that did not pass, with
/// their findings, and what cleaning up found. The verdict is left to `verdict::judge` (here it
/// is only `Skip` or `Error` when the case could not be run or decided, and `Pass` otherwise).
pub async fn run_case(ctx: &RunContext, case: &Case) -> CaseResult {
    let started = Instant::now();
    let mut result = blank(case);
    if let (Some(since), Some(have)) = (case.since, ctx.api_version) {
        if have < since {
            result.verdict = Verdict::Skip;
            result.reason = format!("needs Images API {since}; the target offers up to {have}");
            return result;
        }
    }
    if let Some(why) = unmet_requirement(ctx, case) {
        result.verdict = Verdict::Skip;
        result.reason = why;
        return result;
    }
    let mut env = Env::new(&ctx.run_id, &case.id);
    env.personas = ctx.personas.clone();
    env.web_source = ctx.web_source.clone();
    for (name, t) in &case.vars {
        match t.render(&env) {
            Ok(v) => {
                env.vars.insert(name.clone(), v);
            }
            Err(e) => {
                result.verdict = Verdict::Error;
                result.reason = format!("vars.{name}: {e}");
                return result;
            }
        }
    }
    for step in &case.steps {
        let (record, end) = run_step(ctx, case, step, &mut env).await;
        result.steps.push(record);
        match end {
            StepEnd::Passed => continue,
            StepEnd::Failed => {}
            StepEnd::Errored(why) => {
                result.verdict = Verdict::Error;
                result.reason = format!("step {} (line {}): {why}", step.number, step.line);
            }
            StepEnd::NotApplicable(why) => {
                result.verdict = Verdict::Skip;
                result.reason = format!("step {} (line {}): {why}", step.number, step.line);
            }
        }
        break;
    }
    result.cleanup = ctx.tracker.delete(&ctx.target, Some(&case.id)).await;
    result.duration_ms = started.elapsed().as_millis();
    result
}

/// Why the case cannot run on this target, if it cannot.
fn unmet_requirement(ctx: &RunContext, case: &Case) -> Option<String> {
    let missing: Vec<&str> = case
        .personas
        .iter()
        .filter(|p| !ctx.personas.as_ref().is_some_and(|ps| ps.has(**p)))
        .map(|p| p.name())
        .collect();
    if let Some(why) = ctx
        .personas
        .as_ref()
        .and_then(|ps| crate::applicable::missing_role(&case.personas, ps))
    {
        return Some(why);
    }
    if let Some(why) = ctx
        .personas
        .as_ref()
        .and_then(|ps| crate::applicable::owner_is_admin(&case.requires, ps))
    {
        return Some(why);
    }
    if !missing.is_empty() {
        return Some(match &ctx.personas {
            None => format!(
                "needs persona(s) {}, which a run without identities (`--auth none`) does not have",
                missing.join(", ")
            ),
            Some(_) => format!(
                "needs persona(s) {}, not configured for this run (`--persona NAME=CLOUD`)",
                missing.join(", ")
            ),
        });
    }
    let missing: Vec<&str> = case
        .requires
        .iter()
        .filter(|f| *f != crate::applicable::NON_ADMIN_OWNER && !ctx.features.contains(*f))
        .map(String::as_str)
        .collect();
    if missing.contains(&crate::websource::FEATURE) {
        return Some(format!(
            "needs `{}`: a URL the target can fetch (the target is not on this machine; give --web-download-url and --web-download-sha512)",
            crate::websource::FEATURE
        ));
    }
    if let Some(policy) = missing.iter().find(|f| f.starts_with("policy:")) {
        return Some(match ctx.features.iter().find(|f| f.starts_with("policy:")) {
            Some(have) => format!("applies under `{policy}`; this run certifies `{have}`"),
            None => format!(
                "its expected answer depends on the target's policy (it applies under `{policy}`), which the run was not told and could not observe (the banner says why): give --policy legacy|srbac"
            ),
        });
    }
    if !missing.is_empty() {
        return Some(format!(
            "needs feature(s) the target does not offer: {}",
            missing.join(", ")
        ));
    }
    None
}

async fn run_step(
    ctx: &RunContext,
    case: &Case,
    step: &Step,
    env: &mut Env,
) -> (StepRecord, StepEnd) {
    let Some(side) = &step.alongside else {
        return run_one_step(ctx, case, step, env, None).await;
    };
    // The other client's requests are made first (they cannot depend on this step's
    // responses), then sent one after another while this step runs, and judged after both.
    let Some(side_request) = &side.request else {
        return (
            empty_record(step),
            StepEnd::Errored("`alongside` without a request".into()),
        );
    };
    let identity = ctx.identity(side.persona);
    let mut rendered = Vec::new();
    for copy in 0..side.repeat {
        env.copy = Some(copy);
        let r = render_request(side_request, env, &identity, false);
        env.copy = None;
        match r {
            Ok(x) => rendered.push(x),
            Err(e) => {
                return (
                    empty_record(step),
                    StepEnd::Errored(format!("alongside: {e}")),
                )
            }
        }
    }
    let url = match side_request.path.render_string(env) {
        Ok(p) => ctx.target.url(&p),
        Err(e) => {
            return (
                empty_record(step),
                StepEnd::Errored(format!("alongside path: {e}")),
            )
        }
    };
    // The other client starts once this step has its first response, so its changes land
    // while the step is under way (between its pages), not before it began.
    let started = tokio::sync::Notify::new();
    let sends = async {
        started.notified().await;
        let mut answers = Vec::new();
        for (headers, body) in rendered {
            let (sent, received) = ctx
                .target
                .send_with(
                    side_request.method.clone(),
                    &url,
                    &headers,
                    body,
                    side_request.stream,
                )
                .await;
            answers.push((headers, sent, received));
        }
        answers
    };
    let ((mut record, end), answers) =
        tokio::join!(run_one_step(ctx, case, step, env, Some(&started)), sends);
    let n = answers.len();
    let mut findings = Vec::new();
    for (i, (headers, sent, received)) in answers.into_iter().enumerate() {
        let received = match received {
            Ok(r) => r,
            Err(e) => {
                return no_response(
                    record,
                    sent,
                    format!("alongside request {} of {n}: {e}", i + 1),
                )
            }
        };
        let sent_digest = sent.digest.clone();
        record.exchanges.push(ExchangeRecord {
            request: sent,
            response: Some(ResponseEvidence::from(&received)),
            error: None,
        });
        let (found, _) = judge(
            ctx,
            case,
            side,
            env,
            &url,
            &headers,
            sent_digest.as_ref(),
            &received,
        );
        for mut f in found {
            f.response = Some(format!("alongside request {} of {n}", i + 1));
            findings.push(f);
        }
    }
    match end {
        StepEnd::Passed if !findings.is_empty() => {
            let end = summarize(&findings);
            record.findings.extend(findings);
            (record, end)
        }
        other => {
            record.findings.extend(findings);
            (record, other)
        }
    }
}

fn empty_record(step: &Step) -> StepRecord {
    StepRecord {
        number: step.number,
        line: step.line,
        title: step.title.clone(),
        exchanges: Vec::new(),
        findings: Vec::new(),
    }
}

/// One step without an `alongside`: a request (repeated when polling, once per page when
/// following links, or sent in parallel copies), or checks on variables.
/// `started` is told when the first response is in (also when there is none).
async fn run_one_step(
    ctx: &RunContext,
    case: &Case,
    step: &Step,
    env: &mut Env,
    started: Option<&tokio::sync::Notify>,
) -> (StepRecord, StepEnd) {
    // Whatever happens, whoever waits for the first response is let go when this step ends.
    struct Release<'a>(Option<&'a tokio::sync::Notify>);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            if let Some(n) = self.0 {
                n.notify_one();
            }
        }
    }
    let release = Release(started);
    let mut record = StepRecord {
        number: step.number,
        line: step.line,
        title: step.title.clone(),
        exchanges: Vec::new(),
        findings: Vec::new(),
    };
    let Some(request) = &step.request else {
        let findings = Checker {
            env,
            schemas: &ctx.schemas,
        }
        .check(&step.expect, None);
        let end = summarize(&findings);
        record.findings = findings;
        return (record, end);
    };
    if let Some(shown) = &step.wait_past {
        let unit = shown
            .render_string(env)
            .and_then(|t| crate::precision::unit_of(&t));
        match unit {
            Ok(unit) => tokio::time::sleep(unit).await,
            Err(e) => return (record, StepEnd::Errored(format!("wait_past: {e}"))),
        }
    }
    let mut url = match request.path.render_string(env) {
        Ok(p) => ctx.target.url(&p),
        Err(e) => return (record, StepEnd::Errored(format!("request path: {e}"))),
    };
    if step.parallel > 1 {
        return run_parallel(ctx, case, step, env, request, &url, record).await;
    }
    let mut page = 1;
    let mut attempt = 0;
    loop {
        let identity = ctx.identity(step.persona);
        let (headers, body) = match render_request(request, env, &identity, page > 1) {
            Ok(x) => x,
            Err(e) => return (record, StepEnd::Errored(e)),
        };
        let method = if page > 1 {
            reqwest::Method::GET
        } else {
            request.method.clone()
        };
        let (sent, received) = ctx
            .target
            .send_with(method.clone(), &url, &headers, body, request.stream)
            .await;
        let received = match received {
            Ok(r) => r,
            Err(e) => return no_response(record, sent, e.to_string()),
        };
        if page == 1 && attempt == 0 {
            if let Some(n) = release.0 {
                n.notify_one();
            }
        }
        let sent_digest = sent.digest.clone();
        record.exchanges.push(ExchangeRecord {
            request: sent,
            response: Some(ResponseEvidence::from(&received)),
            error: None,
        });
        let (findings, body) = judge(
            ctx,
            case,
            step,
            env,
            &url,
            &headers,
            sent_digest.as_ref(),
            &received,
        );
        if !findings.is_empty() {
            if let Some(poll) = &step.poll {
                let expected_status = match &step.expect.status {
                    Some(codes) => codes.contains(&received.status),
                    None => (200..300).contains(&received.status),
                };
                attempt += 1;
                // Waiting changes the state polled for (body, checks), never the shape of an
                // answer (schema, headers): such a finding is judged at once.
                let awaited_only = findings.iter().all(awaited);
                if expected_status && awaited_only && attempt < poll.attempts {
                    // Not there yet: keep only the latest exchange as evidence and ask again.
                    record.exchanges.clear();
                    tokio::time::sleep(std::time::Duration::from_millis(poll.interval_ms)).await;
                    continue;
                }
                if expected_status && awaited_only {
                    // The last answer's findings stand, each saying how long it was waited for.
                    let mut findings = findings;
                    for f in &mut findings {
                        f.message = format!(
                            "still not so after {attempt} attempts, {} ms apart: {}",
                            poll.interval_ms, f.message
                        );
                    }
                    record.findings = findings;
                    return (record, StepEnd::Failed);
                }
            }
            let end =
                not_applicable(ctx, case, step, &received).unwrap_or_else(|| summarize(&findings));
            record.findings = findings;
            return (record, end);
        }
        let Some(follow) = &step.follow else { break };
        let subject = subject(&received, &body, sent_digest.as_ref());
        let link = Checker {
            env,
            schemas: &ctx.schemas,
        }
        .resolve(follow, Some(&subject));
        match link {
            Ok(Some(Value::String(next))) => {
                if page >= step.max_pages as usize {
                    let why = format!("still more pages after {page}: the links never end");
                    return fail_with(record, Finding::new(follow.to_string(), Check::Follow, why));
                }
                url = ctx.target.url(&next);
                page += 1;
            }
            Ok(None) | Ok(Some(Value::Null)) => break,
            Ok(Some(other)) => {
                let why = format!("expected a link (string), got {other}");
                let f = Finding::new(follow.to_string(), Check::Follow, why).actual(other);
                return fail_with(record, f);
            }
            Err(e) => return (record, StepEnd::Errored(e)),
        }
    }
    (record, StepEnd::Passed)
}

/// Whether a finding is about the state a polling step waits for, which a later answer may
/// bring; schema, header and not-JSON findings are about the answer's shape instead.
fn awaited(f: &Finding) -> bool {
    !(f.rule.starts_with("schema ")
        || f.rule.starts_with("headers.")
        || (f.rule == "body" && f.message.starts_with("expected a JSON body")))
}

/// What the checks look at in one response.
fn subject<'a>(
    received: &'a Received,
    body: &'a Result<Value, String>,
    sent: Option<&'a crate::http::Digest>,
) -> Subject<'a> {
    Subject {
        status: received.status,
        headers: &received.headers,
        body,
        raw: &received.bytes,
        received: received.streamed.as_ref(),
        sent,
    }
}

/// Captures, checks and collects for one response; records what it created. Returns the
/// findings and the body as parsed.
#[allow(clippy::too_many_arguments)]
fn judge(
    ctx: &RunContext,
    case: &Case,
    step: &Step,
    env: &mut Env,
    url: &str,
    headers: &[(String, String)],
    sent: Option<&crate::http::Digest>,
    received: &Received,
) -> (Vec<Finding>, Result<Value, String>) {
    let body = parse_json(received);
    note_created(ctx, case, step.creates, url, received, &body, headers);
    let subject = subject(received, &body, sent);
    // Captures come first so checks can use them; their problems are listed after the checks'.
    let capture_problems = capture(ctx, env, &step.capture, false, &subject);
    let mut findings = Checker {
        env,
        schemas: &ctx.schemas,
    }
    .check(&step.expect, Some(&subject));
    findings.extend(capture_problems);
    findings.extend(capture(ctx, env, &step.collect, true, &subject));
    (findings, body)
}

/// The same request sent `step.parallel` times at once; every response must meet `expect`,
/// and `collect` gathers from all of them (for checks on the whole set in a later step).
async fn run_parallel(
    ctx: &RunContext,
    case: &Case,
    step: &Step,
    env: &mut Env,
    request: &Request,
    url: &str,
    mut record: StepRecord,
) -> (StepRecord, StepEnd) {
    let identity = ctx.identity(step.persona);
    let mut sends = Vec::new();
    for copy in 0..step.parallel {
        env.copy = Some(copy);
        let rendered = render_request(request, env, &identity, false);
        env.copy = None;
        match rendered {
            Ok((headers, body)) => sends.push((headers, body)),
            Err(e) => return (record, StepEnd::Errored(e)),
        }
    }
    let answers =
        futures_util::future::join_all(sends.into_iter().map(|(headers, body)| async move {
            let (sent, received) = ctx
                .target
                .send_with(request.method.clone(), url, &headers, body, request.stream)
                .await;
            (headers, sent, received)
        }))
        .await;
    let n = answers.len();
    let mut findings = Vec::new();
    for (i, (headers, sent, received)) in answers.into_iter().enumerate() {
        let received = match received {
            Ok(r) => r,
            Err(e) => return no_response(record, sent, format!("response {} of {n}: {e}", i + 1)),
        };
        let sent_digest = sent.digest.clone();
        record.exchanges.push(ExchangeRecord {
            request: sent,
            response: Some(ResponseEvidence::from(&received)),
            error: None,
        });
        for mut f in judge(
            ctx,
            case,
            step,
            env,
            url,
            &headers,
            sent_digest.as_ref(),
            &received,
        )
        .0
        {
            f.response = Some(format!("response {} of {n}", i + 1));
            findings.push(f);
        }
    }
    let end = summarize(&findings);
    record.findings = findings;
    (record, end)
}

type Rendered = (Vec<(String, String)>, Option<Outgoing>);

/// Headers and body of a request; pages after the first are plain GETs of the link.
fn render_request(
    request: &Request,
    env: &Env,
    identity: &[(String, String)],
    follow_up: bool,
) -> Result<Rendered, String> {
    let has = |headers: &[(String, String)], n: &str| {
        headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(n))
    };
    let mut own = Vec::new();
    for (name, t) in &request.headers {
        own.push((
            name.clone(),
            t.render_string(env)
                .map_err(|e| format!("header {name}: {e}"))?,
        ));
    }
    // Identity first; a header the case sets itself wins.
    let mut headers: Vec<(String, String)> = identity
        .iter()
        .filter(|(n, _)| !has(&own, n))
        .cloned()
        .collect();
    headers.append(&mut own);
    // Error bodies are only comparable as JSON when JSON is asked for (Glance picks by Accept).
    if !has(&headers, "accept") {
        headers.push(("Accept".into(), "application/json".into()));
    }
    if follow_up {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        return Ok((headers, None));
    }
    let body = match &request.body {
        None => None,
        Some(Body::Raw(t)) => Some(Outgoing::Bytes(
            t.render_string(env)
                .map_err(|e| format!("body: {e}"))?
                .into_bytes(),
        )),
        Some(Body::Json(t)) => {
            if !has(&headers, "content-type") {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            let v = t.render(env).map_err(|e| format!("json body: {e}"))?;
            Some(Outgoing::Bytes(
                serde_json::to_vec(&v).map_err(|e| format!("json body: {e}"))?,
            ))
        }
        Some(Body::Qcow2 { virtual_size }) => {
            Some(Outgoing::Bytes(crate::diskimage::qcow2(*virtual_size)))
        }
        Some(Body::Generated { size, seed }) => Some(Outgoing::Generated {
            size: *size,
            seed: *seed,
        }),
    };
    Ok((headers, body))
}

fn parse_json(r: &Received) -> Result<Value, String> {
    if !r.complete {
        return Err(format!(
            "the body was streamed ({} bytes); only its size and hashes were kept",
            r.body_len
        ));
    }
    if r.bytes.is_empty() {
        return Err("the body is empty".into());
    }
    serde_json::from_slice(&r.bytes).map_err(|e| {
        let ct = r
            .headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.as_str())
            .unwrap_or("none");
        format!("not JSON (Content-Type: {ct}): {e}")
    })
}

/// Records an image the target created, so it is deleted whatever happens next.
fn note_created(
    ctx: &RunContext,
    case: &Case,
    creates: Option<Creates>,
    url: &str,
    r: &Received,
    body: &Result<Value, String>,
    headers: &[(String, String)],
) {
    let Some(creates) = creates.filter(|_| (200..300).contains(&r.status)) else {
        return;
    };
    let field = |k: &str| {
        body.as_ref()
            .ok()
            .and_then(|b| b.get(k))
            .and_then(Value::as_str)
    };
    match creates {
        Creates::Image => {
            if let Some(id) = field("id") {
                ctx.tracker.record(&case.id, id, headers);
            }
        }
        Creates::Namespace => {
            if let Some(name) = field("namespace") {
                ctx.tracker
                    .record_kind(&case.id, Kind::Namespace, name, headers);
            }
        }
        // A namespace renamed by PUT is then deleted under its new name.
        Creates::NamespaceRename => {
            let path = url.split('?').next().unwrap_or(url);
            let old = last_segment(path);
            if let Some(new) = field("namespace").filter(|n| *n != old) {
                ctx.tracker.rename(Kind::Namespace, &old, new);
            }
        }
    }
}

/// The last segment of a URL path, percent-decoded (a `+` in a path is a plus, not a space).
fn last_segment(path: &str) -> String {
    let seg = path.rsplit('/').next().unwrap_or(path);
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// Sets (or, with `append`, extends) variables from the response; findings for absent values.
fn capture(
    ctx: &RunContext,
    env: &mut Env,
    paths: &[(String, crate::valuepath::ValuePath)],
    append: bool,
    subject: &Subject,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut set = Vec::new();
    let checker = Checker {
        env,
        schemas: &ctx.schemas,
    };
    for (name, path) in paths {
        match checker.resolve(path, Some(subject)) {
            Ok(Some(v)) => set.push((name.clone(), v)),
            Ok(None) => findings.push(capture_finding(name, path, "absent")),
            Err(e) => findings.push(capture_finding(name, path, &e)),
        }
    }
    for (name, value) in set {
        if !append {
            env.vars.insert(name, value);
            continue;
        }
        let list = env
            .vars
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            match value {
                Value::Array(more) => items.extend(more),
                one => items.push(one),
            }
        }
    }
    findings
}

fn capture_finding(name: &str, path: &crate::valuepath::ValuePath, why: &str) -> Finding {
    Finding::new(
        format!("capture {name}"),
        Check::Capture,
        format!("cannot capture `{name}` from {path}: {why}"),
    )
}

/// Ends a step on a request that got no usable response (a harness error, not a failure).
fn no_response(mut record: StepRecord, request: SentRequest, why: String) -> (StepRecord, StepEnd) {
    record.exchanges.push(ExchangeRecord {
        request,
        response: None,
        error: Some(why.clone()),
    });
    (record, StepEnd::Errored(why))
}

/// Ends a step on one finding.
fn fail_with(mut record: StepRecord, f: Finding) -> (StepRecord, StepEnd) {
    record.findings.push(f);
    (record, StepEnd::Failed)
}

/// A failed step whose expectation does not hold for this deployment's personas or
/// configuration ends the case as skipped, with the reason.
fn not_applicable(
    ctx: &RunContext,
    case: &Case,
    step: &Step,
    received: &Received,
) -> Option<StepEnd> {
    let by_role = ctx.personas.as_ref().and_then(|ps| {
        crate::applicable::admin_was_allowed(
            step.persona.unwrap_or(Persona::Owner),
            ps,
            step.expect.status.as_deref(),
            received.status,
        )
    });
    by_role
        .or_else(|| {
            crate::applicable::web_download_filtered(
                &case.requires,
                received.status,
                &received.bytes,
            )
        })
        .map(StepEnd::NotApplicable)
}

fn summarize(findings: &[Finding]) -> StepEnd {
    if findings.is_empty() {
        StepEnd::Passed
    } else {
        StepEnd::Failed
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_renamed_namespace_is_known_by_its_path_segment_as_written() {
        let base = "http://h/v2/metadefs/namespaces";
        assert_eq!(super::last_segment(&format!("{base}/a+b%20c")), "a+b c");
        assert_eq!(super::last_segment(&format!("{base}/plain")), "plain");
    }
}
