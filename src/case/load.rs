//! Case files → checked plan. Every problem is reported with its file, line and field before
//! anything is sent to a target.

use super::expand::{self, Templates};
use super::model::{
    self, CaseDef, CaseFile, ConditionDef, ExpectDef, PredicateDef, RequestDef, StepDef,
};
use super::plan::{
    self, Alongside, ApiVersion, At, Body, Capture, Case, Condition, Exchange, Expect, JsonType,
    Mode, Persona, Predicate, Request, Step, StepKind,
};
use crate::schema::SchemaSet;
use crate::source::SourceFile;
use crate::template::{JsonTemplate, Template};
use crate::valuepath::{Root, ValuePath};
use crate::yaml::{self, Span, Spanned};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// A problem in a case file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field the problem is in (`cases[0].steps[1].expect.status`), when known.
    pub field: String,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

const DEFAULT_MAX_PAGES: u32 = 100;
/// What a `patch:` body is sent as: the media type the Images API asks of a PATCH.
pub const PATCH_MEDIA_TYPE: &str = "application/openstack-images-v2.1-json-patch";
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// One file's cases, or all its problems.
type FileResult = Result<Vec<Case>, Vec<LoadError>>;

/// Loads every case file; all errors of all files are returned together. Files are parsed and
/// checked on as many threads as there are cores (start-up is mostly this), then merged in order.
pub fn load(files: &[SourceFile], schemas: &SchemaSet) -> Result<Vec<Case>, Vec<LoadError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    // Files differ in size by ten times: each thread takes the next file when it is done.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut loaded: Vec<(usize, FileResult)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break done };
                        done.push((i, load_file(file, schemas)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a case-file loader panicked"))
            .collect()
    });
    loaded.sort_by_key(|(i, _)| *i);
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (_, result) in loaded {
        match result {
            Ok(file_cases) => {
                for case in file_cases {
                    let here = format!("{}:{}", case.file, case.line);
                    if let Some(first) = seen.get(&case.id) {
                        errors.push(LoadError {
                            file: case.file.clone(),
                            line: case.line,
                            column: 1,
                            field: "name".into(),
                            message: format!(
                                "duplicate case name `{}` (first at {first})",
                                case.id
                            ),
                        });
                    } else {
                        seen.insert(case.id.clone(), here);
                        cases.push(case);
                    }
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(cases)
    } else {
        // A problem in the built-in templates comes back from every file: say it once.
        let mut said = HashSet::new();
        errors.retain(|e| said.insert(e.to_string()));
        Err(errors)
    }
}

fn load_file(file: &SourceFile, schemas: &SchemaSet) -> Result<Vec<Case>, Vec<LoadError>> {
    let tree = yaml::parse(&file.text).map_err(|e| vec![LoadError::from_yaml(file, e)])?;
    let templates = Templates::builtin().map_err(<[LoadError]>::to_vec)?;
    let expanded = expand::expand(&file.path, &tree, templates)?;
    let tree = expanded.unwrap_or(tree);
    let parsed: CaseFile =
        yaml::from_node(&tree).map_err(|e| vec![LoadError::from_yaml(file, e)])?;
    let mut ctx = Ctx {
        file: &file.path,
        errors: Vec::new(),
        schemas,
        personas: BTreeSet::new(),
    };
    if !is_slug(&parsed.area, true) {
        ctx.error(
            &parsed.area.span,
            "must be lower-case words joined by `-` or `.` (like `images.create`)",
        );
    }
    if parsed.cases.is_empty() {
        ctx.error(&parsed.cases.span, "a case file needs at least one case");
    }
    let mut names = HashSet::new();
    let mut cases: Vec<Case> = parsed
        .cases
        .iter()
        .filter_map(|def| {
            if !names.insert(def.name.as_str()) {
                let message = format!("duplicate case name `{}`", def.name.value);
                ctx.error(&def.name.span, &message);
            }
            ctx.case(&parsed, def)
        })
        .collect();
    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    // A case's lines run to the last written line before the next case (or the file's end).
    let source: std::sync::Arc<str> = std::sync::Arc::from(file.text.as_str());
    let lines: Vec<&str> = file.text.lines().collect();
    let starts: Vec<usize> = parsed.cases.iter().map(|c| c.span.pos.line).collect();
    for case in &mut cases {
        let next = starts.iter().find(|l| **l > case.line).copied();
        let mut end = next.map_or(lines.len(), |n| n - 1);
        while end > case.line && lines.get(end - 1).is_some_and(|l| l.trim().is_empty()) {
            end -= 1;
        }
        case.end_line = end.max(case.line);
        case.source = source.clone();
    }
    Ok(cases)
}

impl LoadError {
    /// A YAML syntax or type problem of `file`, in the `file:line:column: field: message` form
    /// every data file's problems take (case files, profiles, the catalogue).
    pub fn from_yaml(file: &SourceFile, e: yaml::Error) -> LoadError {
        LoadError {
            file: file.path.clone(),
            line: e.line,
            column: e.column,
            field: e.path,
            message: e.message,
        }
    }
}

fn is_slug(s: &str, allow_dot: bool) -> bool {
    !s.is_empty()
        && s.split(|c| c == '-' || (allow_dot && c == '.')).all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

struct Ctx<'a> {
    file: &'a str,
    errors: Vec<LoadError>,
    schemas: &'a SchemaSet,
    /// Personas the current case uses (acts as, or names the project of).
    personas: BTreeSet<Persona>,
}

/// Whether a step makes a request, so its checks may look at an answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Expected,
    None,
}

impl Ctx<'_> {
    /// A problem with the value written at `span`.
    fn error(&mut self, span: &Span, message: &str) {
        self.errors.push(LoadError {
            file: self.file.to_string(),
            line: span.pos.line,
            column: span.pos.column,
            field: span.field.clone(),
            message: message.to_string(),
        });
    }

    fn case(&mut self, file: &CaseFile, def: &Spanned<CaseDef>) -> Option<Case> {
        let before = self.errors.len();
        self.personas.clear();
        if !is_slug(&def.name, false) {
            self.error(&def.name.span, "must be lower-case words joined by `-`");
        }
        if def.proves.trim().is_empty() {
            self.error(&def.proves.span, "must say the behaviour in one sentence");
        }
        if def.steps.is_empty() {
            self.error(&def.steps.span, "a case needs at least one step");
        }
        // A case's own value, or the file's default (whose problems are the default's).
        let since = match &def.since {
            Some(own) => own.as_ref(),
            None => file.defaults.since.as_ref(),
        };
        let since = since.and_then(|s| {
            s.parse::<ApiVersion>()
                .map_err(|e| self.error(&s.span, &e))
                .ok()
        });
        let requires = def.requires.as_ref().or(file.defaults.requires.as_ref());
        for r in requires.iter().flat_map(|r| r.iter()) {
            let ok = !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-:._".contains(c));
            if !ok {
                self.error(
                    &r.span,
                    "a feature name is lower-case letters, digits and `-:._`",
                );
            }
        }
        // Variables are defined in order: case vars, then each step's captures for later steps.
        let mut defined: HashSet<String> = HashSet::new();
        let mut vars = Vec::new();
        for (name, value) in &def.vars {
            if let Some(t) = self.json(value, &defined) {
                vars.push((name.clone(), t));
            }
            defined.insert(name.clone());
        }
        let mut steps = Vec::new();
        for (i, s) in def.steps.iter().enumerate() {
            if let Some(step) = self.step(s, i + 1, &mut defined) {
                steps.push(step);
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Case {
            id: format!("{}::{}", file.area.value, def.name.value),
            area: file.area.value.clone(),
            area_title: file.title.clone(),
            file: self.file.to_string(),
            line: def.span.pos.line,
            // Set once the file's cases are known: up to where the next one starts.
            end_line: def.span.pos.line,
            source: std::sync::Arc::from(""),
            proves: def.proves.trim().to_string(),
            behaviours: def.behaviours.clone(),
            document: def
                .spec
                .document
                .clone()
                .unwrap_or_else(|| file.document.clone()),
            section: def.spec.section.clone(),
            since,
            requires: requires
                .map(|r| r.iter().map(|s| s.value.clone()).collect())
                .unwrap_or_default(),
            personas: std::mem::take(&mut self.personas),
            vars,
            steps,
        })
    }

    fn step(
        &mut self,
        s: &Spanned<StepDef>,
        number: usize,
        defined: &mut HashSet<String>,
    ) -> Option<Step> {
        let kind = match &s.request {
            None => self.vars_step(s, defined).map(StepKind::Vars),
            Some(r) => self
                .send(s, r, defined)
                .map(|x| StepKind::Send(Box::new(x))),
        };
        Some(Step {
            number,
            line: s.span.pos.line,
            title: s.title.clone(),
            kind: kind?,
        })
    }

    /// A step without a request: checks on variables, and nothing that needs an answer.
    fn vars_step(
        &mut self,
        s: &Spanned<StepDef>,
        defined: &HashSet<String>,
    ) -> Option<Vec<(ValuePath, Predicate)>> {
        let e = &s.expect;
        if e.status.is_some()
            || !e.headers.is_empty()
            || e.schema.is_some()
            || e.body.is_some()
            || e.body_exact.is_some()
        {
            self.error(
                &e.span,
                "a step without `request` may only have `checks` on `vars.`",
            );
        }
        if e.checks.is_empty() {
            self.error(&s.span, "a step needs a `request` or `expect.checks`");
        }
        let needs_request = [
            ("as", s.as_.as_ref().map(|x| &x.span)),
            ("follow", s.follow.as_ref().map(|x| &x.span)),
            ("max_pages", s.max_pages.as_ref().map(|x| &x.span)),
            ("parallel", s.parallel.as_ref().map(|x| &x.span)),
            ("poll", s.poll.as_ref().map(|x| &x.span)),
            ("alongside", s.alongside.as_ref().map(|x| &x.span)),
            ("repeat", s.repeat.as_ref().map(|x| &x.span)),
        ];
        let given = needs_request
            .into_iter()
            .filter_map(|(key, span)| Some((key, span?)));
        let captures = s.capture.values().map(|x| ("capture", &x.span));
        let collects = s.collect.values().map(|x| ("collect", &x.span));
        for (key, span) in given.chain(captures).chain(collects) {
            let message = format!("`{key}` goes with a step's `request`; this step sends none");
            self.error(span, &message);
        }
        if let Some(w) = &s.wait_past {
            self.error(
                &w.span,
                "`wait_past` waits before a step's `request`; this step sends none",
            );
        }
        self.checks(&e.checks, defined, Answer::None)
    }

    /// A step that sends its request: the exchange, how it is repeated, and another client's.
    fn send(
        &mut self,
        s: &Spanned<StepDef>,
        r: &Spanned<RequestDef>,
        defined: &mut HashSet<String>,
    ) -> Option<plan::Send> {
        if let Some(n) = &s.repeat {
            self.error(
                &n.span,
                "`repeat` numbers the requests of an `alongside` step",
            );
        }
        // The other client's requests are made before this step's go out: they cannot use
        // this step's captures; its `collect` variables are set once both have run.
        let alongside = s
            .alongside
            .as_ref()
            .and_then(|side| self.alongside(s, side, defined));
        let exchange = self.exchange(s, r, defined);
        let wait_past = s.wait_past.as_ref().and_then(|w| self.template(w, defined));
        let mode = self.mode(s, defined, alongside);
        defined.extend(s.collect.keys().cloned());
        Some(plan::Send {
            exchange: exchange?,
            wait_past,
            mode: mode?,
        })
    }

    /// The request, who sends it, and the rules each answer is judged by.
    fn exchange(
        &mut self,
        s: &StepDef,
        r: &Spanned<RequestDef>,
        defined: &mut HashSet<String>,
    ) -> Option<Exchange> {
        let request = self.request(r, defined);
        let persona = s.as_.as_ref().and_then(|name| self.persona(name));
        // Captures are taken before the checks, so a check may use a value from the same answer.
        let capture = self.captures(&s.capture, defined);
        defined.extend(s.capture.keys().cloned());
        let expect = self.expect(&s.expect, defined, Answer::Expected);
        let collect = self.captures(&s.collect, defined);
        let request = request?;
        Some(Exchange {
            creates: plan::Creates::of(&request.method, &request.path),
            request,
            persona,
            expect: expect?,
            capture: capture?,
            collect: collect?,
        })
    }

    fn persona(&mut self, name: &Spanned<String>) -> Option<Persona> {
        match Persona::parse(name) {
            Some(p) => {
                self.personas.insert(p);
                Some(p)
            }
            None => {
                let names: Vec<_> = Persona::ALL.iter().map(|(n, _)| *n).collect();
                let message = format!(
                    "`{}` is not a persona (personas: {})",
                    name.value,
                    names.join(", ")
                );
                self.error(&name.span, &message);
                None
            }
        }
    }

    /// Another client's step: a request with its `expect` and `collect`, sent `repeat` times.
    fn alongside(
        &mut self,
        outer: &StepDef,
        side: &Spanned<Box<StepDef>>,
        defined: &mut HashSet<String>,
    ) -> Option<Alongside> {
        if outer.parallel.is_some() || outer.poll.is_some() || side.alongside.is_some() {
            self.error(
                &side.span,
                "`alongside` goes with a step that sends a `request`, without `parallel` or `poll`, and does not nest",
            );
        }
        if side.request.is_none()
            || side.follow.is_some()
            || side.poll.is_some()
            || side.parallel.is_some()
            || side.max_pages.is_some()
            || !side.capture.is_empty()
        {
            self.error(
                &side.span,
                "an `alongside` step has a `request` and no `follow`, `poll`, `parallel` or `capture` (use `collect`)",
            );
        }
        if let Some(w) = &side.wait_past {
            self.error(
                &w.span,
                "`wait_past` waits before a step's `request`; this step sends none",
            );
        }
        let copies = match &side.repeat {
            Some(n) if !(1..=64).contains(&n.value) => {
                self.error(&n.span, "`repeat` sends 1 to 64 copies");
                1
            }
            Some(n) => n.value,
            None => 1,
        };
        let exchange = self.exchange(side, side.request.as_ref()?, defined)?;
        defined.extend(side.collect.keys().cloned());
        Some(Alongside {
            exchange: Box::new(exchange),
            copies,
        })
    }

    /// How the step repeats its request: at most one of `follow`, `poll` and `parallel`.
    fn mode(
        &mut self,
        s: &StepDef,
        defined: &HashSet<String>,
        alongside: Option<Alongside>,
    ) -> Option<Mode> {
        if let (Some(m), None) = (&s.max_pages, &s.follow) {
            self.error(&m.span, "`max_pages` only goes with `follow`");
        }
        if let Some(p) = &s.poll {
            if !(2..=600).contains(&p.attempts) || !(1..=60_000).contains(&p.interval_ms) {
                self.error(
                    &p.span,
                    "`poll` takes 2 to 600 attempts, 1 ms to 60 s apart",
                );
            }
            if s.follow.is_some() || s.parallel.is_some() || !s.collect.is_empty() {
                self.error(
                    &p.span,
                    "`poll` needs a `request` and goes with neither `follow`, `parallel` nor `collect`",
                );
            }
            return Some(Mode::Poll {
                attempts: p.attempts,
                interval_ms: p.interval_ms,
            });
        }
        if let Some(n) = &s.parallel {
            if !(2..=64).contains(&n.value) {
                self.error(&n.span, "`parallel` sends 2 to 64 copies at once");
            }
            if s.follow.is_some() {
                self.error(
                    &n.span,
                    "`parallel` needs a `request` and cannot go with `follow`",
                );
            }
            return Some(Mode::Parallel { copies: n.value });
        }
        let Some(f) = &s.follow else {
            return Some(Mode::Once { alongside });
        };
        let link = self.path(f, defined, Answer::Expected)?;
        Some(Mode::Follow {
            link: At::new(f.pos(), link),
            max_pages: s.max_pages.as_ref().map_or(DEFAULT_MAX_PAGES, |m| m.value),
            alongside,
        })
    }

    fn captures(
        &mut self,
        paths: &indexmap::IndexMap<String, Spanned<String>>,
        defined: &HashSet<String>,
    ) -> Option<Vec<Capture>> {
        let before = self.errors.len();
        let out: Vec<Capture> = paths
            .iter()
            .filter_map(|(name, path)| {
                Some(Capture {
                    name: name.clone(),
                    path: At::new(path.pos(), self.path(path, defined, Answer::Expected)?),
                })
            })
            .collect();
        (self.errors.len() == before).then_some(out)
    }

    fn request(&mut self, r: &Spanned<RequestDef>, defined: &HashSet<String>) -> Option<Request> {
        let method = r.method.to_ascii_uppercase();
        let method = if METHODS.contains(&method.as_str()) {
            method.parse::<reqwest::Method>().ok()
        } else {
            let message = format!("`{}` is not one of {}", r.method.value, METHODS.join(", "));
            self.error(&r.method.span, &message);
            None
        };
        if !r.path.starts_with('/') {
            self.error(
                &r.path.span,
                "must start with `/` (it is relative to the endpoint)",
            );
        }
        let path = self.template(&r.path, defined);
        let mut headers = Vec::new();
        for (name, value) in &r.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.error(&value.span, "not a valid header name");
            }
            if let Some(t) = self.template(value, defined) {
                headers.push((name.clone(), t));
            }
        }
        let body = self.body(r, &mut headers, defined);
        Some(Request {
            stream: r.stream,
            method: method?,
            path: path?,
            headers,
            body: body.ok()?,
        })
    }

    /// The request's body, of the one kind given (`Ok(None)`: none; `Err`: a problem).
    fn body(
        &mut self,
        r: &Spanned<RequestDef>,
        headers: &mut Vec<(String, Template)>,
        defined: &HashSet<String>,
    ) -> Result<Option<Body>, ()> {
        let bodies = usize::from(r.json.is_some())
            + usize::from(r.patch.is_some())
            + usize::from(r.body.is_some())
            + usize::from(r.generate.is_some())
            + usize::from(r.disk_image.is_some());
        if bodies > 1 {
            self.error(
                &r.span,
                "give one of `json`, `patch`, `body`, `generate` or `disk_image`, not several",
            );
            return Err(());
        }
        let body = if let Some(d) = &r.disk_image {
            // One L1 table entry per 32 KiB must fit the single refcount block qcow2() writes.
            if d.virtual_size.value > 1 << 32 {
                self.error(&d.virtual_size.span, "at most 4294967296 (4 GiB)");
                return Err(());
            }
            match d.format {
                model::DiskFormat::Qcow2 => Some(Body::Qcow2 {
                    virtual_size: d.virtual_size.value,
                }),
            }
        } else if let Some(j) = &r.json {
            Some(Body::Json(self.json(j, defined).ok_or(())?))
        } else if let Some(p) = &r.patch {
            Some(self.patch(r, headers, p, defined).ok_or(())?)
        } else if let Some(b) = &r.body {
            Some(Body::Raw(self.template(b, defined).ok_or(())?))
        } else {
            r.generate.as_ref().map(|g| Body::Generated {
                size: g.bytes,
                seed: g.seed,
            })
        };
        Ok(body)
    }

    /// A `patch:` body: a list of operations, sent with the json-patch media type, which the
    /// step may not also set itself.
    fn patch(
        &mut self,
        r: &RequestDef,
        headers: &mut Vec<(String, Template)>,
        ops: &Spanned<serde_json::Value>,
        defined: &HashSet<String>,
    ) -> Option<Body> {
        if !ops.is_array() {
            self.error(
                &ops.span,
                "a JSON Patch is a list of operations (`[{op: replace, path: /name, value: x}]`)",
            );
            return None;
        }
        if let Some((_, value)) = r
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            let message = format!(
                "`patch` sends Content-Type {PATCH_MEDIA_TYPE}; give `json` to send another"
            );
            self.error(&value.span, &message);
            return None;
        }
        let body = self.json(ops, defined)?;
        let media = Template::parse(PATCH_MEDIA_TYPE).expect("a media type is plain text");
        headers.push(("Content-Type".to_string(), media));
        Some(Body::Json(body))
    }

    fn expect(
        &mut self,
        e: &ExpectDef,
        defined: &HashSet<String>,
        answer: Answer,
    ) -> Option<Expect> {
        let before = self.errors.len();
        let mut out = Expect {
            status: e.status.as_ref().map(|s| At::new(s.pos(), s.0.clone())),
            ..Expect::default()
        };
        for (name, p) in &e.headers {
            if let Some(at) = &p.at {
                self.error(
                    &at.span,
                    "a header check needs no `at`: the header is the value",
                );
            }
            if let Some(pred) = self.predicate(p, &p.span, defined) {
                out.headers.push((name.to_ascii_lowercase(), pred));
            }
        }
        if let Some(name) = &e.schema {
            self.schema_name(name);
            out.schema = Some(At::new(name.pos(), name.value.clone()));
        }
        let document = |ctx: &mut Self, b: &Option<Spanned<serde_json::Value>>| {
            b.as_ref()
                .and_then(|b| Some(At::new(b.pos(), ctx.json(b, defined)?)))
        };
        out.body = document(self, &e.body);
        out.body_exact = document(self, &e.body_exact);
        out.checks = self.checks(&e.checks, defined, answer).unwrap_or_default();
        (self.errors.len() == before).then_some(out)
    }

    fn checks(
        &mut self,
        checks: &[Spanned<PredicateDef>],
        defined: &HashSet<String>,
        answer: Answer,
    ) -> Option<Vec<(ValuePath, Predicate)>> {
        let before = self.errors.len();
        let mut out = Vec::new();
        for c in checks {
            let Some(at) = &c.at else {
                self.error(
                    &c.span,
                    "a check needs `at` (the path of the value to check)",
                );
                continue;
            };
            let path = self.path(at, defined, answer);
            let pred = self.predicate(c, &c.span, defined);
            if let (Some(path), Some(pred)) = (path, pred) {
                out.push((path, pred));
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    /// The conditions of a check (or of `each`, or a header's), written at `span`.
    fn predicate(
        &mut self,
        p: &PredicateDef,
        span: &Span,
        defined: &HashSet<String>,
    ) -> Option<Predicate> {
        let before = self.errors.len();
        if p.conditions.is_empty() {
            self.error(
                span,
                "states no condition (give one of exists, equals, regex, contains, len, schema, …)",
            );
        }
        let conditions: Vec<At<Condition>> = p
            .conditions
            .iter()
            .filter_map(|c| Some(At::new(c.pos(), self.condition(c, defined)?)))
            .collect();
        (self.errors.len() == before).then_some(Predicate {
            pos: span.pos,
            conditions,
        })
    }

    fn condition(
        &mut self,
        c: &Spanned<ConditionDef>,
        defined: &HashSet<String>,
    ) -> Option<Condition> {
        use ConditionDef as D;
        let json = |ctx: &mut Self, v: &serde_json::Value| ctx.json_at(&c.span, v, defined);
        let list = |ctx: &mut Self, items: &[Spanned<serde_json::Value>]| {
            let all: Vec<_> = items.iter().map(|i| ctx.json(i, defined)).collect();
            all.into_iter().collect::<Option<Vec<_>>>()
        };
        Some(match &c.value {
            D::Exists(true) => Condition::Present,
            D::Exists(false) => Condition::Absent,
            D::Unique(true) => Condition::Unique,
            D::Unique(false) => {
                self.error(&c.span, "`unique: false` states nothing: leave it out");
                return None;
            }
            D::Equals(v) => Condition::Equals(json(self, v)?),
            D::NotEquals(v) => Condition::NotEquals(json(self, v)?),
            D::OneOf(items) => Condition::OneOf(list(self, items)?),
            D::Subset(v) => Condition::Subset(json(self, v)?),
            D::Regex(r) => match plan::Pattern::new(r) {
                Ok(p) => Condition::Regex(p),
                Err(e) => {
                    self.error(&c.span, &regex_problem(r, &e));
                    return None;
                }
            },
            D::StartsWith(t) => Condition::StartsWith(self.template_at(&c.span, t, defined)?),
            D::EndsWith(t) => Condition::EndsWith(self.template_at(&c.span, t, defined)?),
            D::Contains(v) => Condition::Contains(json(self, v)?),
            D::NotContains(v) => Condition::NotContains(json(self, v)?),
            D::ContainsOnce(v) => Condition::ContainsOnce(json(self, v)?),
            D::ContainsEachOnce(v) => Condition::ContainsEachOnce(json(self, v)?),
            D::SetEquals(items) => Condition::SetEquals(list(self, items)?),
            D::Len(n) => Condition::Len(*n),
            D::MinLen(n) => Condition::MinLen(*n),
            D::MaxLen(n) => Condition::MaxLen(*n),
            D::Type(t) => match JsonType::NAMES.iter().find(|(n, _)| n == t) {
                Some((_, ty)) => Condition::Type(*ty),
                None => {
                    let names: Vec<_> = JsonType::NAMES.iter().map(|(n, _)| *n).collect();
                    self.error(
                        &c.span,
                        &format!("`{t}` is not one of {}", names.join(", ")),
                    );
                    return None;
                }
            },
            D::Gt(v) => Condition::Gt(json(self, v)?),
            D::Ge(v) => Condition::Ge(json(self, v)?),
            D::Lt(v) => Condition::Lt(json(self, v)?),
            D::Le(v) => Condition::Le(json(self, v)?),
            D::Schema(name) => {
                self.schema_name_at(&c.span, name);
                Condition::Schema(name.clone())
            }
            D::ValidAgainst(v) => Condition::ValidAgainst(json(self, v)?),
            D::Each(p) => {
                if let Some(at) = &p.at {
                    self.error(
                        &at.span,
                        "`each` applies to every element; it takes no `at`",
                    );
                }
                Condition::Each(Box::new(self.predicate(p, &c.span, defined)?))
            }
        })
    }

    fn schema_name(&mut self, name: &Spanned<String>) {
        self.schema_name_at(&name.span, name);
    }

    fn schema_name_at(&mut self, span: &Span, name: &str) {
        if !self.schemas.contains(name) {
            let known: Vec<_> = self.schemas.names().collect();
            self.error(
                span,
                &format!(
                    "no schema `{name}` in fixtures/schemas (known: {})",
                    known.join(", ")
                ),
            );
        }
    }

    fn path(
        &mut self,
        text: &Spanned<String>,
        defined: &HashSet<String>,
        answer: Answer,
    ) -> Option<ValuePath> {
        let p = match text.parse::<ValuePath>() {
            Ok(p) => p,
            Err(e) => {
                self.error(&text.span, &format!("bad path `{}`: {e}", text.value));
                return None;
            }
        };
        match &p.root {
            Root::Var(v) if !defined.contains(v) => {
                let message = format!(
                    "unknown variable `{v}` (not in `vars` nor captured by an earlier step)"
                );
                self.error(&text.span, &message);
                None
            }
            Root::Var(_) => Some(p),
            _ if answer == Answer::None => {
                self.error(
                    &text.span,
                    "this step sends no request, so only `vars.` paths exist",
                );
                None
            }
            _ => Some(p),
        }
    }

    fn template(&mut self, text: &Spanned<String>, defined: &HashSet<String>) -> Option<Template> {
        self.template_at(&text.span, text, defined)
    }

    fn template_at(
        &mut self,
        span: &Span,
        text: &str,
        defined: &HashSet<String>,
    ) -> Option<Template> {
        match Template::parse(text) {
            Ok(t) => {
                self.personas.extend(t.personas());
                let unknown: Vec<String> = t
                    .variables()
                    .filter(|v| !defined.contains(*v))
                    .map(String::from)
                    .collect();
                self.unknown_vars(span, &unknown);
                unknown.is_empty().then_some(t)
            }
            Err(e) => {
                self.error(span, &e);
                None
            }
        }
    }

    fn json(
        &mut self,
        value: &Spanned<serde_json::Value>,
        defined: &HashSet<String>,
    ) -> Option<JsonTemplate> {
        self.json_at(&value.span, value, defined)
    }

    fn json_at(
        &mut self,
        span: &Span,
        value: &serde_json::Value,
        defined: &HashSet<String>,
    ) -> Option<JsonTemplate> {
        match JsonTemplate::parse(value) {
            Ok(t) => {
                self.personas.extend(t.personas());
                let unknown: Vec<String> = t
                    .variables()
                    .into_iter()
                    .filter(|v| !defined.contains(*v))
                    .map(String::from)
                    .collect();
                self.unknown_vars(span, &unknown);
                unknown.is_empty().then_some(t)
            }
            Err(e) => {
                self.error(span, &e);
                None
            }
        }
    }

    fn unknown_vars(&mut self, span: &Span, unknown: &[String]) {
        for v in unknown {
            self.error(
                span,
                &format!("unknown variable `{v}` (not in `vars` nor captured by an earlier step)"),
            );
        }
    }
}

/// A regex error in one line: the regex crate draws a caret under the pattern over several
/// lines, which a `file:line:col: field: message` report cannot carry.
fn regex_problem(pattern: &str, text: &str) -> String {
    let what = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().next().unwrap_or_default());
    format!("invalid regex `{pattern}`: {what}")
}
