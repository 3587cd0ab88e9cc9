//! The checked, ready-to-run form of a case: templates parsed, paths parsed, regexes checked.

use crate::template::{JsonTemplate, Template};
use crate::valuepath::ValuePath;
use regex::Regex;
use std::fmt;
use std::sync::{Arc, OnceLock};

pub use crate::persona::Persona;
pub use crate::yaml::Pos;

#[derive(Debug, Clone)]
pub struct Case {
    /// `area::name`, the trial name.
    pub id: String,
    pub area: String,
    pub area_title: String,
    /// The case file and the lines the case takes in it.
    pub file: String,
    pub line: usize,
    pub end_line: usize,
    /// The case file's text, for showing a failed check among the case's lines.
    pub source: Arc<str>,
    pub proves: String,
    pub behaviours: Vec<String>,
    pub document: String,
    pub section: String,
    pub since: Option<ApiVersion>,
    pub requires: Vec<String>,
    /// Personas the case acts as or names; without them it is skipped.
    pub personas: std::collections::BTreeSet<Persona>,
    pub vars: Vec<(String, JsonTemplate)>,
    pub steps: Vec<Step>,
}

/// An Images API version `2.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl std::str::FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim_start_matches('v');
        let (a, b) = t
            .split_once('.')
            .ok_or_else(|| format!("`{s}` is not a version like 2.5"))?;
        Ok(ApiVersion {
            major: a
                .parse()
                .map_err(|_| format!("`{s}` is not a version like 2.5"))?,
            minor: b
                .parse()
                .map_err(|_| format!("`{s}` is not a version like 2.5"))?,
        })
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A part of the plan with where the case file states it, so that what it finds can point
/// there. Its `Debug` form is the part's alone: two spellings of the same cases dump alike.
#[derive(Clone, PartialEq)]
pub struct At<T> {
    pub pos: Pos,
    pub item: T,
}

impl<T: fmt::Debug> fmt::Debug for At<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.item.fmt(f)
    }
}

impl<T> std::ops::Deref for At<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

impl<T> At<T> {
    pub fn new(pos: Pos, item: T) -> At<T> {
        At { pos, item }
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based, as shown to people.
    pub number: usize,
    pub line: usize,
    pub title: Option<String>,
    pub kind: StepKind,
}

/// What a step does. Each kind holds only what it can use, so a combination the runner
/// could not honour cannot be planned.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Checks on variables only: nothing is sent.
    Vars(Vec<(ValuePath, Predicate)>),
    /// A request and what its answers must be.
    Send(Box<Send>),
}

#[derive(Debug, Clone)]
pub struct Send {
    pub exchange: Exchange,
    /// Wait past the precision of this shown timestamp before the request.
    pub wait_past: Option<Template>,
    pub mode: Mode,
}

/// How many requests a step makes of its exchange, and when.
#[derive(Debug, Clone)]
pub enum Mode {
    /// One request; another client's requests may go out while it runs.
    Once { alongside: Option<Alongside> },
    /// The request, then a GET of the link at `link` while there is one: every page is judged.
    Follow {
        link: At<ValuePath>,
        max_pages: u32,
        alongside: Option<Alongside>,
    },
    /// Ask again until the expectation holds, for state an asynchronous call reaches later.
    Poll { attempts: u32, interval_ms: u64 },
    /// This many copies of the request at once; every answer is judged.
    Parallel { copies: u32 },
}

/// Another client's requests, sent one after another while a step runs (from its first
/// answer to its last page), and judged once both are done. It captures nothing: what it
/// gathers is `collect`ed.
#[derive(Debug, Clone)]
pub struct Alongside {
    pub exchange: Box<Exchange>,
    pub copies: u32,
}

/// One request as written and the rules every answer to it is judged by.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: Request,
    /// Who sends the request; `None` is the run's default identity.
    pub persona: Option<Persona>,
    pub expect: Expect,
    pub capture: Vec<Capture>,
    pub collect: Vec<Capture>,
    /// What a successful answer to the request leaves on the target, for the run to delete.
    pub creates: Option<Creates>,
}

/// A variable set (or, collected, extended) from an answer.
#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub path: At<ValuePath>,
}

/// What a step's request makes on the target when it succeeds: the resources the run must
/// delete at its end (and journals for `imgconf cleanup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    /// `POST /v2/images`: an image, by the answer's `id`.
    Image,
    /// `POST /v2/metadefs/namespaces`: a namespace, by the answer's `namespace`.
    Namespace,
    /// `PUT /v2/metadefs/namespaces/{name}`: the namespace may get the answer's new name.
    NamespaceRename,
}

impl Creates {
    /// Decided once, from the request as the case file writes it: the API's creating calls.
    pub fn of(method: &reqwest::Method, path: &Template) -> Option<Creates> {
        const IMAGES: &str = "/v2/images";
        const NAMESPACES: &str = "/v2/metadefs/namespaces";
        let shape = path.shape();
        let bare = shape.split('?').next().unwrap_or(&shape);
        match *method {
            reqwest::Method::POST if bare == IMAGES => Some(Creates::Image),
            reqwest::Method::POST if bare == NAMESPACES => Some(Creates::Namespace),
            // One path segment after the collection, whatever it is made of.
            reqwest::Method::PUT => bare
                .strip_prefix(NAMESPACES)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|seg| !seg.is_empty() && !seg.contains('/'))
                .map(|_| Creates::NamespaceRename),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub path: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Body>,
    /// Hash and count the response instead of holding it.
    pub stream: bool,
}

#[derive(Debug, Clone)]
pub enum Body {
    Json(JsonTemplate),
    Raw(Template),
    Generated {
        size: u64,
        seed: u64,
    },
    /// An empty qcow2 disk of this virtual size.
    Qcow2 {
        virtual_size: u64,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<At<Vec<u16>>>,
    pub headers: Vec<(String, Predicate)>,
    pub schema: Option<At<String>>,
    pub body: Option<At<JsonTemplate>>,
    pub body_exact: Option<At<JsonTemplate>>,
    pub checks: Vec<(ValuePath, Predicate)>,
}

/// Conditions on one value; every one must hold. `pos` is where the check is written, each
/// condition has its own.
#[derive(Debug, Clone)]
pub struct Predicate {
    pub pos: Pos,
    pub conditions: Vec<At<Condition>>,
}

/// One condition on a value (see the README's case format for each).
#[derive(Debug, Clone)]
pub enum Condition {
    /// `exists: true`.
    Present,
    /// `exists: false`.
    Absent,
    Equals(JsonTemplate),
    NotEquals(JsonTemplate),
    OneOf(Vec<JsonTemplate>),
    Subset(JsonTemplate),
    Regex(Pattern),
    StartsWith(Template),
    EndsWith(Template),
    Contains(JsonTemplate),
    NotContains(JsonTemplate),
    ContainsOnce(JsonTemplate),
    ContainsEachOnce(JsonTemplate),
    SetEquals(Vec<JsonTemplate>),
    Unique,
    Len(usize),
    MinLen(usize),
    MaxLen(usize),
    Type(JsonType),
    Gt(JsonTemplate),
    Ge(JsonTemplate),
    Lt(JsonTemplate),
    Le(JsonTemplate),
    Schema(String),
    ValidAgainst(JsonTemplate),
    Each(Box<Predicate>),
}

impl Condition {
    /// The kind of check this condition is, as findings name it.
    pub fn kind(&self) -> crate::expect::Check {
        use crate::expect::Check as K;
        match self {
            Condition::Present => K::Present,
            Condition::Absent => K::Absent,
            Condition::Equals(_) => K::Equals,
            Condition::NotEquals(_) => K::NotEquals,
            Condition::OneOf(_) => K::OneOf,
            Condition::Subset(_) => K::Subset,
            Condition::Regex(_) => K::Regex,
            Condition::StartsWith(_) => K::StartsWith,
            Condition::EndsWith(_) => K::EndsWith,
            Condition::Contains(_) => K::Contains,
            Condition::NotContains(_) => K::NotContains,
            Condition::ContainsOnce(_) => K::ContainsOnce,
            Condition::ContainsEachOnce(_) => K::ContainsEachOnce,
            Condition::SetEquals(_) => K::SetEquals,
            Condition::Unique => K::Unique,
            Condition::Len(_) => K::Len,
            Condition::MinLen(_) => K::MinLen,
            Condition::MaxLen(_) => K::MaxLen,
            Condition::Type(_) => K::Type,
            Condition::Gt(_) => K::Gt,
            Condition::Ge(_) => K::Ge,
            Condition::Lt(_) => K::Lt,
            Condition::Le(_) => K::Le,
            Condition::Schema(_) => K::Schema,
            Condition::ValidAgainst(_) => K::ValidAgainst,
            Condition::Each(_) => K::Each,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    pub const NAMES: [(&'static str, JsonType); 7] = [
        ("null", JsonType::Null),
        ("boolean", JsonType::Boolean),
        ("integer", JsonType::Integer),
        ("number", JsonType::Number),
        ("string", JsonType::String),
        ("array", JsonType::Array),
        ("object", JsonType::Object),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn of(v: &serde_json::Value) -> JsonType {
        use serde_json::Value as V;
        match v {
            V::Null => JsonType::Null,
            V::Bool(_) => JsonType::Boolean,
            V::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            V::Number(_) => JsonType::Number,
            V::String(_) => JsonType::String,
            V::Array(_) => JsonType::Array,
            V::Object(_) => JsonType::Object,
        }
    }
}

/// A regex whose syntax is checked when the case file loads and which is compiled on first use:
/// compiling is most of the cost of a pattern, and listing or a filtered run needs none of them.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    compiled: Arc<OnceLock<Result<Regex, String>>>,
}

impl Pattern {
    /// Checks the syntax; the error is the parser's (several lines, with a caret).
    pub fn new(source: &str) -> Result<Pattern, String> {
        regex_syntax::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_string(),
            compiled: Arc::default(),
        })
    }

    /// Whether `text` matches; an error if the pattern, though well-formed, cannot be built
    /// (over the regex crate's size limit).
    pub fn is_match(&self, text: &str) -> Result<bool, String> {
        match self
            .compiled
            .get_or_init(|| Regex::new(&self.source).map_err(|e| e.to_string()))
        {
            Ok(re) => Ok(re.is_match(text)),
            Err(e) => Err(e.clone()),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Every case's plan in one canonical text: the `Debug` form of each case with the positions
/// (case and step lines, where each check is written) left out, so two spellings of the same
/// cases compare equal. Case-file format changes are checked with it
/// (`cargo run --release --example plan-dump`).
pub fn dump(cases: &[Case]) -> String {
    let mut out = String::new();
    for case in cases {
        let mut case = case.clone();
        (case.line, case.end_line, case.source) = (0, 0, Arc::from(""));
        for step in &mut case.steps {
            step.line = 0;
        }
        out.push_str(&format!("{case:#?}\n"));
    }
    out
}

impl Step {
    /// The exchanges the step makes: its own and another client's.
    pub fn exchanges(&self) -> Vec<&Exchange> {
        let StepKind::Send(send) = &self.kind else {
            return Vec::new();
        };
        let side = match &send.mode {
            Mode::Once { alongside } | Mode::Follow { alongside, .. } => alongside.as_ref(),
            _ => None,
        };
        std::iter::once(&send.exchange)
            .chain(side.map(|a| &*a.exchange))
            .collect()
    }
}

/// The kinds of check a case states (its steps' and their `alongside` requests'), as findings
/// name them: what `imgconf faults` weighs against the kinds some fault makes fail.
impl Case {
    pub fn check_kinds(&self) -> std::collections::BTreeSet<crate::expect::Check> {
        let mut out = std::collections::BTreeSet::new();
        for step in &self.steps {
            if let StepKind::Vars(checks) = &step.kind {
                checks.iter().for_each(|(_, p)| p.add_kinds(&mut out));
            }
            for x in step.exchanges() {
                x.expect.add_kinds(&mut out);
            }
        }
        out
    }
}

impl Expect {
    fn add_kinds(&self, out: &mut std::collections::BTreeSet<crate::expect::Check>) {
        use crate::expect::Check;
        let stated = [
            (self.status.is_some(), Check::Status),
            (self.schema.is_some(), Check::Schema),
            (self.body.is_some(), Check::Subset),
            (self.body_exact.is_some(), Check::Exact),
        ];
        out.extend(stated.into_iter().filter(|(on, _)| *on).map(|(_, c)| c));
        let headers = self.headers.iter().map(|(_, p)| p);
        for p in headers.chain(self.checks.iter().map(|(_, p)| p)) {
            p.add_kinds(out);
        }
    }
}

impl Predicate {
    fn add_kinds(&self, out: &mut std::collections::BTreeSet<crate::expect::Check>) {
        for c in &self.conditions {
            out.insert(c.kind());
            if let Condition::Each(each) = &c.item {
                each.add_kinds(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Creates, Pattern, Template};

    #[test]
    fn a_pattern_is_checked_at_once_and_compiled_when_first_used() {
        let p = Pattern::new("^a+$").unwrap();
        assert_eq!(p.is_match("aaa"), Ok(true));
        assert_eq!(p.is_match("b"), Ok(false));
        assert!(Pattern::new("([a-")
            .unwrap_err()
            .contains("unclosed character class"));
    }

    #[test]
    fn a_well_formed_pattern_too_big_to_build_fails_when_used() {
        let p = Pattern::new(r"\w{1000}{1000}").unwrap();
        let e = p.is_match("x").unwrap_err();
        assert!(e.contains("size limit"), "{e}");
    }

    #[test]
    fn the_creating_calls_are_known_from_the_request_as_written() {
        let t = |p: &str| Template::parse(p).unwrap();
        let of = |m: reqwest::Method, p: &str| Creates::of(&m, &t(p));
        use reqwest::Method as M;
        assert_eq!(of(M::POST, "/v2/images"), Some(Creates::Image));
        assert_eq!(of(M::POST, "/v2/images?x=1"), Some(Creates::Image));
        assert_eq!(of(M::POST, "/v2/images/{{id}}/members"), None);
        assert_eq!(of(M::GET, "/v2/images"), None);
        assert_eq!(
            of(M::POST, "/v2/metadefs/namespaces"),
            Some(Creates::Namespace)
        );
        assert_eq!(
            of(M::PUT, "/v2/metadefs/namespaces/{{ns}}"),
            Some(Creates::NamespaceRename)
        );
        assert_eq!(
            of(M::PUT, "/v2/metadefs/namespaces/fixed"),
            Some(Creates::NamespaceRename)
        );
        assert_eq!(of(M::PUT, "/v2/metadefs/namespaces/{{ns}}/objects/o"), None);
        assert_eq!(of(M::POST, "/v2/metadefs/namespaces/{{ns}}/objects"), None);
    }
}
