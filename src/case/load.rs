//! Case files → checked plan. Every problem is reported with its file, line and field before
//! anything is sent to a target.

use super::expand::{self, Templates};
use super::model::{self, CaseFile};
use super::plan::{self, ApiVersion, Body, Case, Expect, JsonType, Persona, Request, Step};
use crate::schema::SchemaSet;
use crate::source::SourceFile;
use crate::template::{JsonTemplate, Template};
use crate::valuepath::{Root, ValuePath};
use crate::yaml;
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

impl LoadError {
    /// A problem with `field` of `file`, located in its parsed `tree`.
    pub fn at(file: &str, tree: &yaml::Node<'_>, field: &str, message: String) -> LoadError {
        let (line, column) = tree.locate(field);
        LoadError {
            file: file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        }
    }
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
        tree: &tree,
        errors: Vec::new(),
        schemas,
        personas: BTreeSet::new(),
    };
    if !is_slug(&parsed.area, true) {
        ctx.error(
            "area",
            "must be lower-case words joined by `-` or `.` (like `images.create`)",
        );
    }
    if parsed.cases.is_empty() {
        ctx.error("cases", "a case file needs at least one case");
    }
    let mut names = HashSet::new();
    let cases: Vec<Case> = parsed
        .cases
        .iter()
        .enumerate()
        .filter_map(|(i, def)| {
            let at = format!("cases[{i}]");
            if !names.insert(def.name.as_str()) {
                ctx.error(
                    &format!("{at}.name"),
                    &format!("duplicate case name `{}`", def.name),
                );
            }
            ctx.case(&parsed, def, &at)
        })
        .collect();
    if ctx.errors.is_empty() {
        Ok(cases)
    } else {
        Err(ctx.errors)
    }
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
    /// The parsed file, for the line of any field.
    tree: &'a yaml::Node<'a>,
    errors: Vec<LoadError>,
    schemas: &'a SchemaSet,
    /// Personas the current case uses (acts as, or names the project of).
    personas: BTreeSet<Persona>,
}

impl Ctx<'_> {
    fn error(&mut self, field: &str, message: &str) {
        let e = LoadError::at(self.file, self.tree, field, message.to_string());
        self.errors.push(e);
    }

    fn line(&self, field: &str) -> usize {
        self.tree.locate(field).0
    }

    fn case(&mut self, file: &CaseFile, def: &model::CaseDef, at: &str) -> Option<Case> {
        let before = self.errors.len();
        self.personas.clear();
        if !is_slug(&def.name, false) {
            self.error(
                &format!("{at}.name"),
                "must be lower-case words joined by `-`",
            );
        }
        if def.proves.trim().is_empty() {
            self.error(
                &format!("{at}.proves"),
                "must say the behaviour in one sentence",
            );
        }
        if def.steps.is_empty() {
            self.error(&format!("{at}.steps"), "a case needs at least one step");
        }
        // A case's own value, or the file's default (whose problems are the default's).
        let (since_at, since) = match (&def.since, &file.defaults.since) {
            (Some(s), _) => (format!("{at}.since"), s.as_ref()),
            (None, d) => ("defaults.since".to_string(), d.as_ref()),
        };
        let since = since.and_then(|s| {
            s.parse::<ApiVersion>()
                .map_err(|e| self.error(&since_at, &e))
                .ok()
        });
        let (requires_at, requires) = match (&def.requires, &file.defaults.requires) {
            (Some(r), _) => (format!("{at}.requires"), r.clone()),
            (None, d) => (
                "defaults.requires".to_string(),
                d.clone().unwrap_or_default(),
            ),
        };
        for (i, r) in requires.iter().enumerate() {
            let ok = !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-:._".contains(c));
            if !ok {
                self.error(
                    &format!("{requires_at}[{i}]"),
                    "a feature name is lower-case letters, digits and `-:._`",
                );
            }
        }
        // Variables are defined in order: case vars, then each step's captures for later steps.
        let mut defined: HashSet<String> = HashSet::new();
        let mut vars = Vec::new();
        for (name, value) in &def.vars {
            let field = format!("{at}.vars.{name}");
            if let Some(t) = self.json(&field, value, &defined) {
                vars.push((name.clone(), t));
            }
            defined.insert(name.clone());
        }
        let mut steps = Vec::new();
        for (i, s) in def.steps.iter().enumerate() {
            if let Some(step) = self.step(s, &format!("{at}.steps[{i}]"), i + 1, &mut defined) {
                steps.push(step);
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Case {
            id: format!("{}::{}", file.area, def.name),
            area: file.area.clone(),
            area_title: file.title.clone(),
            file: self.file.to_string(),
            line: self.line(at),
            proves: def.proves.trim().to_string(),
            behaviours: def.behaviours.clone(),
            document: def
                .spec
                .document
                .clone()
                .unwrap_or_else(|| file.document.clone()),
            section: def.spec.section.clone(),
            since,
            requires,
            personas: std::mem::take(&mut self.personas),
            vars,
            steps,
        })
    }

    fn step(
        &mut self,
        s: &model::StepDef,
        at: &str,
        number: usize,
        defined: &mut HashSet<String>,
    ) -> Option<Step> {
        self.step_in(s, at, number, defined, false)
    }

    /// A step, or (`inside_alongside`) the other client's step of an `alongside`.
    fn step_in(
        &mut self,
        s: &model::StepDef,
        at: &str,
        number: usize,
        defined: &mut HashSet<String>,
        inside_alongside: bool,
    ) -> Option<Step> {
        let request = s
            .request
            .as_ref()
            .and_then(|r| self.request(r, &format!("{at}.request"), defined));
        if s.request.is_none() {
            if s.expect.status.is_some()
                || !s.expect.headers.is_empty()
                || s.expect.schema.is_some()
                || s.expect.body.is_some()
                || s.expect.body_exact.is_some()
                || s.follow.is_some()
            {
                self.error(
                    &format!("{at}.expect"),
                    "a step without `request` may only have `checks` on `vars.`",
                );
            }
            if s.expect.checks.is_empty() {
                self.error(at, "a step needs a `request` or `expect.checks`");
            }
        }
        let persona = s
            .as_
            .as_deref()
            .and_then(|name| match Persona::parse(name) {
                Some(p) => {
                    self.personas.insert(p);
                    Some(p)
                }
                None => {
                    let names: Vec<_> = Persona::ALL.iter().map(|(n, _)| *n).collect();
                    self.error(
                        &format!("{at}.as"),
                        &format!("`{name}` is not a persona (personas: {})", names.join(", ")),
                    );
                    None
                }
            });
        if s.as_.is_some() && s.request.is_none() {
            self.error(
                &format!("{at}.as"),
                "`as` says who sends the request; this step sends none",
            );
        }
        let alongside = match &s.alongside {
            None => None,
            Some(inner) => {
                let where_ = format!("{at}.alongside");
                if inside_alongside
                    || s.request.is_none()
                    || s.parallel.is_some()
                    || s.poll.is_some()
                {
                    self.error(
                        &where_,
                        "`alongside` goes with a step that sends a `request`, without `parallel` or `poll`, and does not nest",
                    );
                }
                if inner.request.is_none()
                    || inner.follow.is_some()
                    || inner.poll.is_some()
                    || inner.parallel.is_some()
                    || !inner.capture.is_empty()
                {
                    self.error(
                        &where_,
                        "an `alongside` step has a `request` and no `follow`, `poll`, `parallel` or `capture` (use `collect`)",
                    );
                }
                // Rendered before this step's request goes out: it cannot use this step's
                // captures; its `collect` variables are set once both have run.
                self.step_in(inner, &where_, number, defined, true)
                    .map(Box::new)
            }
        };
        let has_response = s.request.is_some();
        // Captures are taken before the checks, so a check may use a value from the same response.
        let mut capture = Vec::new();
        for (name, path) in &s.capture {
            if let Some(p) = self.path(&format!("{at}.capture.{name}"), path, defined, has_response)
            {
                capture.push((name.clone(), p));
            }
        }
        defined.extend(s.capture.keys().cloned());
        let expect = self.expect(&s.expect, &format!("{at}.expect"), defined, has_response);
        let mut collect = Vec::new();
        for (name, path) in &s.collect {
            if let Some(p) = self.path(&format!("{at}.collect.{name}"), path, defined, has_response)
            {
                collect.push((name.clone(), p));
            }
        }
        let follow = s
            .follow
            .as_ref()
            .and_then(|f| self.path(&format!("{at}.follow"), f, defined, has_response));
        if s.max_pages.is_some() && follow.is_none() {
            self.error(
                &format!("{at}.max_pages"),
                "`max_pages` only goes with `follow`",
            );
        }
        if let Some(p) = s.poll {
            if !(2..=600).contains(&p.attempts) || !(1..=60_000).contains(&p.interval_ms) {
                self.error(
                    &format!("{at}.poll"),
                    "`poll` takes 2 to 600 attempts, 1 ms to 60 s apart",
                );
            }
            if s.request.is_none()
                || s.follow.is_some()
                || s.parallel.is_some()
                || !s.collect.is_empty()
            {
                self.error(&format!("{at}.poll"), "`poll` needs a `request` and goes with neither `follow`, `parallel` nor `collect`");
            }
        }
        let wait_past = s.wait_past.as_ref().and_then(|w| {
            if s.request.is_none() || inside_alongside {
                self.error(
                    &format!("{at}.wait_past"),
                    "`wait_past` waits before a step's `request`; this step sends none",
                );
            }
            self.template(&format!("{at}.wait_past"), w, defined)
        });
        if let Some(n) = s.parallel {
            if !(2..=64).contains(&n) {
                self.error(
                    &format!("{at}.parallel"),
                    "`parallel` sends 2 to 64 copies at once",
                );
            }
            if s.follow.is_some() || s.request.is_none() {
                self.error(
                    &format!("{at}.parallel"),
                    "`parallel` needs a `request` and cannot go with `follow`",
                );
            }
        }
        if s.repeat.is_some() && !inside_alongside {
            self.error(
                &format!("{at}.repeat"),
                "`repeat` numbers the requests of an `alongside` step",
            );
        }
        if let Some(n) = s.repeat {
            if !(1..=64).contains(&n) {
                self.error(&format!("{at}.repeat"), "`repeat` sends 1 to 64 copies");
            }
        }
        defined.extend(s.collect.keys().cloned());
        let creates = request
            .as_ref()
            .and_then(|r| super::plan::Creates::of(&r.method, &r.path));
        Some(Step {
            creates,
            number,
            line: self.line(at),
            title: s.title.clone(),
            request,
            persona,
            expect: expect?,
            capture,
            collect,
            follow,
            max_pages: s.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
            parallel: s.parallel.unwrap_or(1),
            poll: s.poll,
            wait_past,
            alongside,
            repeat: s.repeat.unwrap_or(1),
        })
    }

    fn request(
        &mut self,
        r: &model::RequestDef,
        at: &str,
        defined: &HashSet<String>,
    ) -> Option<Request> {
        let method = r.method.to_ascii_uppercase();
        let method = if METHODS.contains(&method.as_str()) {
            method.parse::<reqwest::Method>().ok()
        } else {
            self.error(
                &format!("{at}.method"),
                &format!("`{}` is not one of {}", r.method, METHODS.join(", ")),
            );
            None
        };
        if !r.path.starts_with('/') {
            self.error(
                &format!("{at}.path"),
                "must start with `/` (it is relative to the endpoint)",
            );
        }
        let path = self.template(&format!("{at}.path"), &r.path, defined);
        let mut headers = Vec::new();
        for (name, value) in &r.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.error(&format!("{at}.headers.{name}"), "not a valid header name");
            }
            if let Some(t) = self.template(&format!("{at}.headers.{name}"), value, defined) {
                headers.push((name.clone(), t));
            }
        }
        let bodies = usize::from(r.json.is_some())
            + usize::from(r.patch.is_some())
            + usize::from(r.body.is_some())
            + usize::from(r.generate.is_some())
            + usize::from(r.disk_image.is_some());
        let body = if bodies > 1 {
            self.error(
                &format!("{at}.body"),
                "give one of `json`, `patch`, `body`, `generate` or `disk_image`, not several",
            );
            None
        } else if let Some(d) = &r.disk_image {
            // One L1 table entry per 32 KiB must fit the single refcount block qcow2() writes.
            if d.virtual_size > 1 << 32 {
                self.error(
                    &format!("{at}.disk_image.virtual_size"),
                    "at most 4294967296 (4 GiB)",
                );
            }
            match d.format {
                model::DiskFormat::Qcow2 => Some(Body::Qcow2 {
                    virtual_size: d.virtual_size,
                }),
            }
        } else if let Some(j) = &r.json {
            self.json(&format!("{at}.json"), j, defined).map(Body::Json)
        } else if let Some(p) = &r.patch {
            self.patch(&mut headers, p, at, defined)
        } else if let Some(b) = &r.body {
            self.template(&format!("{at}.body"), b, defined)
                .map(Body::Raw)
        } else {
            r.generate.as_ref().map(|g| Body::Generated {
                size: g.bytes,
                seed: g.seed,
            })
        };
        Some(Request {
            stream: r.stream,
            method: method?,
            path: path?,
            headers,
            body,
        })
    }

    /// A `patch:` body: a list of operations, sent with the json-patch media type, which the
    /// step may not also set itself.
    fn patch(
        &mut self,
        headers: &mut Vec<(String, Template)>,
        ops: &serde_json::Value,
        at: &str,
        defined: &HashSet<String>,
    ) -> Option<Body> {
        let field = format!("{at}.patch");
        if !ops.is_array() {
            self.error(
                &field,
                "a JSON Patch is a list of operations (`[{op: replace, path: /name, value: x}]`)",
            );
            return None;
        }
        if let Some((name, _)) = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            self.error(
                &format!("{at}.headers.{name}"),
                &format!(
                    "`patch` sends Content-Type {PATCH_MEDIA_TYPE}; give `json` to send another"
                ),
            );
            return None;
        }
        let body = self.json(&field, ops, defined)?;
        let media = Template::parse(PATCH_MEDIA_TYPE).expect("a media type is plain text");
        headers.push(("Content-Type".to_string(), media));
        Some(Body::Json(body))
    }

    fn expect(
        &mut self,
        e: &model::ExpectDef,
        at: &str,
        defined: &HashSet<String>,
        has_response: bool,
    ) -> Option<Expect> {
        let before = self.errors.len();
        let mut out = Expect {
            status: e.status.as_ref().map(|s| s.0.clone()),
            ..Expect::default()
        };
        for (name, p) in &e.headers {
            let field = format!("{at}.headers.{name}");
            if p.at.is_some() {
                self.error(
                    &format!("{field}.at"),
                    "a header check needs no `at`: the header is the value",
                );
            }
            if let Some(pred) = self.predicate(&field, p, defined) {
                out.headers.push((name.to_ascii_lowercase(), pred));
            }
        }
        if let Some(name) = &e.schema {
            self.schema_name(&format!("{at}.schema"), name);
            out.schema = Some(name.clone());
        }
        out.body = e
            .body
            .as_ref()
            .and_then(|b| self.json(&format!("{at}.body"), b, defined));
        out.body_exact = e
            .body_exact
            .as_ref()
            .and_then(|b| self.json(&format!("{at}.body_exact"), b, defined));
        for (i, c) in e.checks.iter().enumerate() {
            let field = format!("{at}.checks[{i}]");
            let Some(path_text) = &c.at else {
                self.error(
                    &field,
                    "a check needs `at` (the path of the value to check)",
                );
                continue;
            };
            let path = self.path(&format!("{field}.at"), path_text, defined, has_response);
            let pred = self.predicate(&field, c, defined);
            if let (Some(path), Some(pred)) = (path, pred) {
                out.checks.push((path, pred));
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    fn predicate(
        &mut self,
        at: &str,
        p: &model::Predicate,
        defined: &HashSet<String>,
    ) -> Option<plan::Predicate> {
        let before = self.errors.len();
        let f = |k: &str| format!("{at}.{k}");
        let j = |ctx: &mut Self, k: &str, v: &Option<serde_json::Value>| {
            v.as_ref().and_then(|v| ctx.json(&f(k), v, defined))
        };
        let list = |ctx: &mut Self, k: &str, v: &Option<Vec<serde_json::Value>>| {
            v.as_ref().map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| ctx.json(&format!("{at}.{k}[{i}]"), v, defined))
                    .collect()
            })
        };
        let regex = p.regex.as_ref().and_then(|r| {
            plan::Pattern::new(r)
                .map_err(|e| self.error(&f("regex"), &regex_problem(r, &e)))
                .ok()
        });
        let type_ = p.type_.as_ref().and_then(|t| {
            let found = JsonType::NAMES
                .iter()
                .find(|(n, _)| n == t)
                .map(|(_, v)| *v);
            if found.is_none() {
                let names: Vec<_> = JsonType::NAMES.iter().map(|(n, _)| *n).collect();
                self.error(
                    &f("type"),
                    &format!("`{t}` is not one of {}", names.join(", ")),
                );
            }
            found
        });
        if let Some(s) = &p.schema {
            self.schema_name(&f("schema"), s);
        }
        let each = p.each.as_ref().and_then(|e| {
            if e.at.is_some() {
                self.error(
                    &format!("{at}.each.at"),
                    "`each` applies to every element; it takes no `at`",
                );
            }
            self.predicate(&f("each"), e, defined).map(Box::new)
        });
        let out = plan::Predicate {
            exists: p.exists,
            equals: j(self, "equals", &p.equals),
            not_equals: j(self, "not_equals", &p.not_equals),
            one_of: list(self, "one_of", &p.one_of),
            subset: j(self, "subset", &p.subset),
            regex,
            starts_with: p
                .starts_with
                .as_ref()
                .and_then(|s| self.template(&f("starts_with"), s, defined)),
            ends_with: p
                .ends_with
                .as_ref()
                .and_then(|s| self.template(&f("ends_with"), s, defined)),
            contains: j(self, "contains", &p.contains),
            not_contains: j(self, "not_contains", &p.not_contains),
            contains_once: j(self, "contains_once", &p.contains_once),
            contains_each_once: j(self, "contains_each_once", &p.contains_each_once),
            set_equals: list(self, "set_equals", &p.set_equals),
            unique: p.unique,
            len: p.len,
            min_len: p.min_len,
            max_len: p.max_len,
            type_,
            gt: j(self, "gt", &p.gt),
            ge: j(self, "ge", &p.ge),
            lt: j(self, "lt", &p.lt),
            le: j(self, "le", &p.le),
            schema: p.schema.clone(),
            valid_against: j(self, "valid_against", &p.valid_against),
            each,
        };
        if is_empty(p) {
            self.error(
                at,
                "states no condition (give one of exists, equals, regex, contains, len, schema, …)",
            );
        }
        (self.errors.len() == before).then_some(out)
    }

    fn schema_name(&mut self, field: &str, name: &str) {
        if !self.schemas.contains(name) {
            let known: Vec<_> = self.schemas.names().collect();
            self.error(
                field,
                &format!(
                    "no schema `{name}` in fixtures/schemas (known: {})",
                    known.join(", ")
                ),
            );
        }
    }

    fn path(
        &mut self,
        field: &str,
        text: &str,
        defined: &HashSet<String>,
        has_response: bool,
    ) -> Option<ValuePath> {
        match text.parse::<ValuePath>() {
            Ok(p) => {
                match &p.root {
                    Root::Var(v) if !defined.contains(v) => {
                        self.error(field, &format!("unknown variable `{v}` (not in `vars` nor captured by an earlier step)"));
                        return None;
                    }
                    Root::Var(_) => {}
                    _ if !has_response => {
                        self.error(
                            field,
                            "this step sends no request, so only `vars.` paths exist",
                        );
                        return None;
                    }
                    _ => {}
                }
                Some(p)
            }
            Err(e) => {
                self.error(field, &format!("bad path `{text}`: {e}"));
                None
            }
        }
    }

    fn template(&mut self, field: &str, text: &str, defined: &HashSet<String>) -> Option<Template> {
        match Template::parse(text) {
            Ok(t) => {
                self.personas.extend(t.personas());
                let unknown: Vec<String> = t
                    .variables()
                    .filter(|v| !defined.contains(*v))
                    .map(String::from)
                    .collect();
                self.unknown_vars(field, &unknown);
                unknown.is_empty().then_some(t)
            }
            Err(e) => {
                self.error(field, &e);
                None
            }
        }
    }

    fn json(
        &mut self,
        field: &str,
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
                self.unknown_vars(field, &unknown);
                unknown.is_empty().then_some(t)
            }
            Err(e) => {
                self.error(field, &e);
                None
            }
        }
    }

    fn unknown_vars(&mut self, field: &str, unknown: &[String]) {
        for v in unknown {
            self.error(
                field,
                &format!("unknown variable `{v}` (not in `vars` nor captured by an earlier step)"),
            );
        }
    }
}

fn is_empty(p: &model::Predicate) -> bool {
    let model::Predicate {
        at: _,
        exists,
        equals,
        not_equals,
        one_of,
        subset,
        regex,
        starts_with,
        ends_with,
        contains,
        not_contains,
        contains_once,
        contains_each_once,
        set_equals,
        unique,
        len,
        min_len,
        max_len,
        type_,
        gt,
        ge,
        lt,
        le,
        schema,
        valid_against,
        each,
    } = p;
    exists.is_none()
        && equals.is_none()
        && not_equals.is_none()
        && one_of.is_none()
        && subset.is_none()
        && regex.is_none()
        && starts_with.is_none()
        && ends_with.is_none()
        && contains.is_none()
        && not_contains.is_none()
        && contains_once.is_none()
        && contains_each_once.is_none()
        && set_equals.is_none()
        && unique.is_none()
        && len.is_none()
        && min_len.is_none()
        && max_len.is_none()
        && type_.is_none()
        && gt.is_none()
        && ge.is_none()
        && lt.is_none()
        && le.is_none()
        && schema.is_none()
        && valid_against.is_none()
        && each.is_none()
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
