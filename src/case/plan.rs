//! The checked, ready-to-run form of a case: templates parsed, paths parsed, regexes checked.

use crate::template::{JsonTemplate, Template};
use crate::valuepath::ValuePath;
use regex::Regex;
use std::fmt;
use std::sync::{Arc, OnceLock};

pub use crate::persona::Persona;

#[derive(Debug, Clone)]
pub struct Case {
    /// `area::name`, the trial name.
    pub id: String,
    pub area: String,
    pub area_title: String,
    /// The case file and the line where the case starts.
    pub file: String,
    pub line: usize,
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

#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based, as shown to people.
    pub number: usize,
    pub line: usize,
    pub title: Option<String>,
    pub request: Option<Request>,
    /// Who sends the request; `None` is the run's default identity.
    pub persona: Option<Persona>,
    pub expect: Expect,
    pub capture: Vec<(String, ValuePath)>,
    pub collect: Vec<(String, ValuePath)>,
    pub follow: Option<ValuePath>,
    pub max_pages: u32,
    /// How many copies of the request go out at once (1: an ordinary step).
    pub parallel: u32,
    /// Ask again until `expect` holds.
    pub poll: Option<super::model::PollDef>,
    /// Wait past the precision of this shown timestamp before the request.
    pub wait_past: Option<Template>,
    /// Requests of another client sent while this step runs.
    pub alongside: Option<Box<Step>>,
    /// Copies of an `alongside` request, sent one after another.
    pub repeat: u32,
    /// What a successful answer to the request leaves on the target, for the run to delete.
    pub creates: Option<Creates>,
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
    pub status: Option<Vec<u16>>,
    pub headers: Vec<(String, Predicate)>,
    pub schema: Option<String>,
    pub body: Option<JsonTemplate>,
    pub body_exact: Option<JsonTemplate>,
    pub checks: Vec<(ValuePath, Predicate)>,
}

#[derive(Debug, Clone, Default)]
pub struct Predicate {
    pub exists: Option<bool>,
    pub equals: Option<JsonTemplate>,
    pub not_equals: Option<JsonTemplate>,
    pub one_of: Option<Vec<JsonTemplate>>,
    pub subset: Option<JsonTemplate>,
    pub regex: Option<Pattern>,
    pub starts_with: Option<Template>,
    pub ends_with: Option<Template>,
    pub contains: Option<JsonTemplate>,
    pub not_contains: Option<JsonTemplate>,
    pub contains_once: Option<JsonTemplate>,
    pub contains_each_once: Option<JsonTemplate>,
    pub set_equals: Option<Vec<JsonTemplate>>,
    pub unique: Option<bool>,
    pub len: Option<usize>,
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub type_: Option<JsonType>,
    pub gt: Option<JsonTemplate>,
    pub ge: Option<JsonTemplate>,
    pub lt: Option<JsonTemplate>,
    pub le: Option<JsonTemplate>,
    pub schema: Option<String>,
    pub valid_against: Option<JsonTemplate>,
    pub each: Option<Box<Predicate>>,
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
/// (case and step lines) left out, so two spellings of the same cases compare equal. Case-file
/// format changes are checked with it (`cargo run --release --example plan-dump`).
pub fn dump(cases: &[Case]) -> String {
    let mut out = String::new();
    for case in cases {
        let mut case = case.clone();
        case.line = 0;
        let mut steps: Vec<&mut Step> = case.steps.iter_mut().collect();
        while let Some(step) = steps.pop() {
            step.line = 0;
            steps.extend(step.alongside.as_deref_mut());
        }
        out.push_str(&format!("{case:#?}\n"));
    }
    out
}

/// The kinds of check a case states (its steps' and their `alongside` requests'), as findings
/// name them: what `imgconf faults` weighs against the kinds some fault makes fail.
impl Case {
    pub fn check_kinds(&self) -> std::collections::BTreeSet<crate::expect::Check> {
        let mut out = std::collections::BTreeSet::new();
        let mut steps: Vec<&Step> = self.steps.iter().collect();
        while let Some(step) = steps.pop() {
            step.expect.add_kinds(&mut out);
            steps.extend(step.alongside.as_deref());
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
        use crate::expect::Check;
        let stated = [
            (self.exists == Some(true), Check::Present),
            (self.exists == Some(false), Check::Absent),
            (self.equals.is_some(), Check::Equals),
            (self.not_equals.is_some(), Check::NotEquals),
            (self.one_of.is_some(), Check::OneOf),
            (self.subset.is_some(), Check::Subset),
            (self.regex.is_some(), Check::Regex),
            (self.starts_with.is_some(), Check::StartsWith),
            (self.ends_with.is_some(), Check::EndsWith),
            (self.contains.is_some(), Check::Contains),
            (self.not_contains.is_some(), Check::NotContains),
            (self.contains_once.is_some(), Check::ContainsOnce),
            (self.contains_each_once.is_some(), Check::ContainsEachOnce),
            (self.set_equals.is_some(), Check::SetEquals),
            (self.unique.is_some(), Check::Unique),
            (self.len.is_some(), Check::Len),
            (self.min_len.is_some(), Check::MinLen),
            (self.max_len.is_some(), Check::MaxLen),
            (self.type_.is_some(), Check::Type),
            (self.gt.is_some(), Check::Gt),
            (self.ge.is_some(), Check::Ge),
            (self.lt.is_some(), Check::Lt),
            (self.le.is_some(), Check::Le),
            (self.schema.is_some(), Check::Schema),
            (self.valid_against.is_some(), Check::ValidAgainst),
            (self.each.is_some(), Check::Each),
        ];
        out.extend(stated.into_iter().filter(|(on, _)| *on).map(|(_, c)| c));
        if let Some(each) = &self.each {
            each.add_kinds(out);
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
