//! Running one case against the target: render each step, send it, check the response, capture
//! variables, follow pagination links, and always delete what the case created.

use crate::case::plan::{
    Alongside, At, Body, Capture, Creates, Exchange, Mode, Request, Send, Step, StepKind,
};
use crate::case::{ApiVersion, Case};
use crate::cleanup::{Kind, Tracker};
use crate::expect::{Check, Checker, Finding, Subject};
use crate::http::{Outgoing, Received, SentRequest, Target};
use crate::outcome::{CaseResult, ExchangeRecord, ResponseEvidence, StepRecord, Verdict};
use crate::persona::{Persona, Personas};
use crate::schema::SchemaSet;
use crate::template::Env;
use crate::valuepath::ValuePath;
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
    show_in_case(case, &mut result.steps);
    result.cleanup = ctx.tracker.delete(&ctx.target, Some(&case.id)).await;
    result.duration_ms = started.elapsed().as_millis();
    result
}

/// Gives each finding of a written check the case's lines around it, so a person reading it
/// sees the check that failed.
fn show_in_case(case: &Case, steps: &mut [StepRecord]) {
    for f in steps.iter_mut().flat_map(|s| s.findings.iter_mut()) {
        if let Some(at) = f.at {
            let lines = case.line..=case.end_line;
            f.excerpt = Some(crate::report::excerpt::excerpt(
                &case.source,
                lines,
                at,
                &f.message,
            ));
        }
    }
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
    let mut record = StepRecord {
        number: step.number,
        line: step.line,
        title: step.title.clone(),
        exchanges: Vec::new(),
        findings: Vec::new(),
    };
    let end = match &step.kind {
        StepKind::Vars(checks) => {
            record.findings = Checker {
                env,
                schemas: &ctx.schemas,
            }
            .checks(checks, None);
            summarize(&record.findings)
        }
        StepKind::Send(send) => run_send(ctx, case, send, env, &mut record)
            .await
            .unwrap_or_else(StepEnd::Errored),
    };
    (record, end)
}

/// A step that sends its request, in the step's mode. `Err` is a harness error: the request
/// could not be made, or no answer came.
async fn run_send(
    ctx: &RunContext,
    case: &Case,
    send: &Send,
    env: &mut Env,
    record: &mut StepRecord,
) -> Result<StepEnd, String> {
    if let Some(shown) = &send.wait_past {
        let unit = shown
            .render_string(env)
            .and_then(|t| crate::precision::unit_of(&t))
            .map_err(|e| format!("wait_past: {e}"))?;
        tokio::time::sleep(unit).await;
    }
    let ex = &send.exchange;
    let url = ex
        .request
        .path
        .render_string(env)
        .map(|p| ctx.target.url(&p))
        .map_err(|e| format!("request path: {e}"))?;
    let at = Place { ctx, case, ex };
    match &send.mode {
        Mode::Once { alongside } => at.pages(env, url, None, alongside.as_ref(), record).await,
        Mode::Follow {
            link,
            max_pages,
            alongside,
        } => {
            let follow = Some((link, *max_pages));
            at.pages(env, url, follow, alongside.as_ref(), record).await
        }
        Mode::Poll {
            attempts,
            interval_ms,
        } => at.poll(env, &url, *attempts, *interval_ms, record).await,
        Mode::Parallel { copies } => at.parallel(env, &url, *copies, record).await,
    }
}

/// One request sent: what went out, and the answer if one came.
struct Sent {
    headers: Vec<(String, String)>,
    request: SentRequest,
    answer: Result<Received, String>,
}

/// Sends one rendered request: every request of every step goes out here.
async fn exchange(
    ctx: &RunContext,
    method: reqwest::Method,
    url: &str,
    (headers, body): Rendered,
    stream: bool,
) -> Sent {
    let (request, answer) = ctx
        .target
        .send_with(method, url, &headers, body, stream)
        .await;
    Sent {
        headers,
        request,
        answer: answer.map_err(|e| e.to_string()),
    }
}

/// What a step's requests are judged against: the case and the exchange as planned.
#[derive(Clone, Copy)]
struct Place<'a> {
    ctx: &'a RunContext,
    case: &'a Case,
    ex: &'a Exchange,
}

/// An answer taken in: its findings, and the answer with its body as parsed.
struct Judged {
    findings: Vec<Finding>,
    received: Received,
    body: Result<Value, String>,
    sent: Option<crate::http::Digest>,
}

impl Place<'_> {
    /// Files a sent request's exchange in the record and judges its answer; `label` says
    /// which of several requests it was. No answer is a harness error.
    fn settle(
        self,
        env: &mut Env,
        url: &str,
        sent: Sent,
        label: Option<String>,
        record: &mut StepRecord,
    ) -> Result<Judged, String> {
        let received = match sent.answer {
            Ok(r) => r,
            Err(e) => {
                let why = match &label {
                    Some(l) => format!("{l}: {e}"),
                    None => e,
                };
                record.exchanges.push(ExchangeRecord {
                    request: sent.request,
                    response: None,
                    error: Some(why.clone()),
                });
                return Err(why);
            }
        };
        let digest = sent.request.digest.clone();
        record.exchanges.push(ExchangeRecord {
            request: sent.request,
            response: Some(ResponseEvidence::from(&received)),
            error: None,
        });
        let (mut findings, body) = judge(
            self.ctx,
            self.case,
            self.ex,
            env,
            url,
            &sent.headers,
            digest.as_ref(),
            &received,
        );
        for f in &mut findings {
            f.response.clone_from(&label);
        }
        Ok(Judged {
            findings,
            received,
            body,
            sent: digest,
        })
    }

    fn render(self, env: &Env, follow_up: bool) -> Result<Rendered, String> {
        let identity = self.ctx.identity(self.ex.persona);
        render_request(&self.ex.request, env, &identity, follow_up)
    }

    /// The request, then each page its link leads to, while another client's requests (if
    /// any) go out.
    async fn pages(
        self,
        env: &mut Env,
        url: String,
        follow: Option<(&At<ValuePath>, u32)>,
        side: Option<&Alongside>,
        record: &mut StepRecord,
    ) -> Result<StepEnd, String> {
        let Some(side) = side else {
            return self.walk(env, url, follow, None, record).await;
        };
        // The other client's requests are made first (they cannot depend on this step's
        // answers), sent one after another once this step has its first answer, so its
        // changes land while the step is under way, and judged after both.
        let other = Place {
            ex: &side.exchange,
            ..self
        };
        let side_url = side
            .exchange
            .request
            .path
            .render_string(env)
            .map(|p| self.ctx.target.url(&p))
            .map_err(|e| format!("alongside path: {e}"))?;
        let mut rendered = Vec::new();
        for copy in 0..side.copies {
            env.copy = Some(copy);
            let r = other.render(env, false);
            env.copy = None;
            rendered.push(r.map_err(|e| format!("alongside: {e}"))?);
        }
        let started = tokio::sync::Notify::new();
        let request = &side.exchange.request;
        let sends = async {
            started.notified().await;
            let mut answers = Vec::new();
            for r in rendered {
                let method = request.method.clone();
                answers.push(exchange(self.ctx, method, &side_url, r, request.stream).await);
            }
            answers
        };
        let (end, answers) =
            tokio::join!(self.walk(env, url, follow, Some(&started), record), sends);
        let n = answers.len();
        let mut findings = Vec::new();
        for (i, sent) in answers.into_iter().enumerate() {
            let label = Some(format!("alongside request {} of {n}", i + 1));
            findings.extend(other.settle(env, &side_url, sent, label, record)?.findings);
        }
        let side_failed = !findings.is_empty();
        record.findings.extend(findings);
        Ok(match end? {
            StepEnd::Passed if side_failed => StepEnd::Failed,
            other => other,
        })
    }

    /// The request and the pages after it; `started` is told when the first answer is in
    /// (also when there is none).
    async fn walk(
        self,
        env: &mut Env,
        mut url: String,
        follow: Option<(&At<ValuePath>, u32)>,
        started: Option<&tokio::sync::Notify>,
        record: &mut StepRecord,
    ) -> Result<StepEnd, String> {
        // Whoever waits for the first answer is let go whatever happens to this step.
        struct Release<'a>(Option<&'a tokio::sync::Notify>);
        impl Release<'_> {
            fn now(&mut self) {
                if let Some(n) = self.0.take() {
                    n.notify_one();
                }
            }
        }
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.now();
            }
        }
        let mut release = Release(started);
        let mut page = 1;
        loop {
            let method = match page {
                1 => self.ex.request.method.clone(),
                _ => reqwest::Method::GET,
            };
            let rendered = self.render(env, page > 1)?;
            let sent = exchange(self.ctx, method, &url, rendered, self.ex.request.stream).await;
            release.now();
            let judged = self.settle(env, &url, sent, None, record)?;
            if !judged.findings.is_empty() {
                let end = not_applicable(self.ctx, self.case, self.ex, &judged.received)
                    .unwrap_or(StepEnd::Failed);
                record.findings = judged.findings;
                return Ok(end);
            }
            let Some((link, max_pages)) = follow else {
                return Ok(StepEnd::Passed);
            };
            let subject = subject(&judged.received, &judged.body, judged.sent.as_ref());
            let next = Checker {
                env,
                schemas: &self.ctx.schemas,
            }
            .resolve(link, Some(&subject))?;
            let rule = link.to_string();
            let finding = match next {
                Some(Value::String(next)) if page < max_pages as usize => {
                    url = self.ctx.target.url(&next);
                    page += 1;
                    continue;
                }
                None | Some(Value::Null) => return Ok(StepEnd::Passed),
                Some(Value::String(_)) => {
                    let why = format!("still more pages after {page}: the links never end");
                    Finding::new(rule, Check::Follow, why)
                }
                Some(other) => {
                    let why = format!("expected a link (string), got {other}");
                    Finding::new(rule, Check::Follow, why).actual(other)
                }
            };
            record.findings.push(Finding {
                at: Some(link.pos),
                ..finding
            });
            return Ok(StepEnd::Failed);
        }
    }

    /// Asks until the expectation holds: only an answer with an expected status whose
    /// findings are all about awaited state is asked again.
    async fn poll(
        self,
        env: &mut Env,
        url: &str,
        attempts: u32,
        interval_ms: u64,
        record: &mut StepRecord,
    ) -> Result<StepEnd, String> {
        let mut attempt = 0;
        loop {
            let rendered = self.render(env, false)?;
            let method = self.ex.request.method.clone();
            let sent = exchange(self.ctx, method, url, rendered, self.ex.request.stream).await;
            let judged = self.settle(env, url, sent, None, record)?;
            if judged.findings.is_empty() {
                return Ok(StepEnd::Passed);
            }
            let expected_status = match &self.ex.expect.status {
                Some(codes) => codes.contains(&judged.received.status),
                None => (200..300).contains(&judged.received.status),
            };
            attempt += 1;
            // Waiting changes the state polled for (body, checks), never the shape of an
            // answer (schema, headers): such a finding is judged at once.
            let awaited_only = judged.findings.iter().all(awaited);
            if expected_status && awaited_only && attempt < attempts {
                // Not there yet: keep only the latest exchange as evidence and ask again.
                record.exchanges.clear();
                tokio::time::sleep(std::time::Duration::from_millis(interval_ms)).await;
                continue;
            }
            let mut findings = judged.findings;
            if expected_status && awaited_only {
                // The last answer's findings stand, each saying how long it was waited for.
                for f in &mut findings {
                    f.message = format!(
                        "still not so after {attempt} attempts, {interval_ms} ms apart: {}",
                        f.message
                    );
                }
                record.findings = findings;
                return Ok(StepEnd::Failed);
            }
            record.findings = findings;
            return Ok(
                not_applicable(self.ctx, self.case, self.ex, &judged.received)
                    .unwrap_or(StepEnd::Failed),
            );
        }
    }

    /// The same request sent `copies` times at once; every answer must meet `expect`, and
    /// `collect` gathers from all of them (for checks on the whole set in a later step).
    async fn parallel(
        self,
        env: &mut Env,
        url: &str,
        copies: u32,
        record: &mut StepRecord,
    ) -> Result<StepEnd, String> {
        let mut rendered = Vec::new();
        for copy in 0..copies {
            env.copy = Some(copy);
            let r = self.render(env, false);
            env.copy = None;
            rendered.push(r?);
        }
        let request = &self.ex.request;
        let sends = rendered
            .into_iter()
            .map(|r| exchange(self.ctx, request.method.clone(), url, r, request.stream));
        let answers = futures_util::future::join_all(sends).await;
        let n = answers.len();
        for (i, sent) in answers.into_iter().enumerate() {
            let label = Some(format!("response {} of {n}", i + 1));
            let judged = self.settle(env, url, sent, label, record)?;
            record.findings.extend(judged.findings);
        }
        Ok(summarize(&record.findings))
    }
}

/// Whether a finding is about the state a polling step waits for, which a later answer may
/// bring; schema, header and not-JSON findings are about the answer's shape instead.
fn awaited(f: &Finding) -> bool {
    !(f.check == Check::Json || f.rule.starts_with("schema ") || f.rule.starts_with("headers."))
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
    ex: &Exchange,
    env: &mut Env,
    url: &str,
    headers: &[(String, String)],
    sent: Option<&crate::http::Digest>,
    received: &Received,
) -> (Vec<Finding>, Result<Value, String>) {
    let body = parse_json(received);
    note_created(ctx, case, ex.creates, url, received, &body, headers);
    let subject = subject(received, &body, sent);
    // Captures come first so checks can use them; their problems are listed after the checks'.
    let capture_problems = capture(ctx, env, &ex.capture, false, &subject);
    let mut findings = Checker {
        env,
        schemas: &ctx.schemas,
    }
    .check(&ex.expect, &subject);
    findings.extend(capture_problems);
    findings.extend(capture(ctx, env, &ex.collect, true, &subject));
    (findings, body)
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
    captures: &[Capture],
    append: bool,
    subject: &Subject,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut set = Vec::new();
    let checker = Checker {
        env,
        schemas: &ctx.schemas,
    };
    for c in captures {
        match checker.resolve(&c.path, Some(subject)) {
            Ok(Some(v)) => set.push((c.name.clone(), v)),
            Ok(None) => findings.push(capture_finding(c, "absent")),
            Err(e) => findings.push(capture_finding(c, &e)),
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

fn capture_finding(c: &Capture, why: &str) -> Finding {
    Finding {
        at: Some(c.path.pos),
        ..Finding::new(
            format!("capture {}", c.name),
            Check::Capture,
            format!("cannot capture `{}` from {}: {why}", c.name, c.path.item),
        )
    }
}

/// A failed step whose expectation does not hold for this deployment's personas or
/// configuration ends the case as skipped, with the reason.
fn not_applicable(
    ctx: &RunContext,
    case: &Case,
    ex: &Exchange,
    received: &Received,
) -> Option<StepEnd> {
    let by_role = ctx.personas.as_ref().and_then(|ps| {
        crate::applicable::admin_was_allowed(
            ex.persona.unwrap_or(Persona::Owner),
            ps,
            ex.expect.status.as_deref().map(|s| s.as_slice()),
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
    use crate::expect::{Check, Finding};

    #[test]
    fn polling_waits_for_state_never_for_the_shape_of_an_answer() {
        let f = |rule: &str, check| Finding::new(rule, check, "m");
        assert!(super::awaited(&f("body.status", Check::Equals)));
        assert!(super::awaited(&f("status", Check::Status)));
        assert!(!super::awaited(&f("body", Check::Json)));
        assert!(!super::awaited(&f("schema image", Check::Schema)));
        assert!(!super::awaited(&f("headers.location", Check::Present)));
    }
    #[test]
    fn a_renamed_namespace_is_known_by_its_path_segment_as_written() {
        let base = "http://h/v2/metadefs/namespaces";
        assert_eq!(super::last_segment(&format!("{base}/a+b%20c")), "a+b c");
        assert_eq!(super::last_segment(&format!("{base}/plain")), "plain");
    }
}
