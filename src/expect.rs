//! Checking a response (or the variables) against a step's expectations.
//!
//! Every rule of a step is evaluated, not just the first broken one, so a report shows all that
//! is wrong with a response at once.

use crate::case::plan::{Expect, JsonType, Predicate};
use crate::schema::{SchemaError, SchemaSet};
use crate::template::{Env, JsonTemplate};
use crate::valuepath::{walk, Root, ValuePath};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

/// What one step's response looked like, as far as the checks need it.
pub struct Subject<'a> {
    pub status: u16,
    /// Lower-case name → value (repeated headers joined with ", ").
    pub headers: &'a [(String, String)],
    /// The body parsed as JSON, or why it is not JSON.
    pub body: &'a Result<Value, String>,
    /// The body as received (for a streamed response, its beginning).
    pub raw: &'a [u8],
    /// Size and hashes of the whole response body, when it was streamed (otherwise they are
    /// computed from `raw` if a check asks).
    pub received: Option<&'a crate::http::Digest>,
    /// Size and hashes of the request body, if the step sent one.
    pub sent: Option<&'a crate::http::Digest>,
}

/// How a rule was checked: the kind of check that found the response wanting. With the rule it
/// names the check for good (a profile's deviation names the checks it excuses this way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Results written before findings were structured.
    #[default]
    Unknown,
    Status,
    Present,
    Absent,
    /// The body had to be JSON.
    Json,
    Schema,
    Subset,
    Exact,
    Equals,
    NotEquals,
    OneOf,
    Regex,
    StartsWith,
    EndsWith,
    Contains,
    NotContains,
    ContainsOnce,
    ContainsEachOnce,
    SetEquals,
    Unique,
    Len,
    MinLen,
    MaxLen,
    Type,
    Gt,
    Ge,
    Lt,
    Le,
    ValidAgainst,
    Each,
    /// The value could not be looked at, or the expected value not built.
    Unreadable,
    Capture,
    Follow,
    /// Deleting what the case created.
    Cleanup,
}

impl Check {
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// One broken rule: what was checked (`rule`, `check`), what was expected and what came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Which value (`status`, `headers.location`, `schema image`, `body`, `body.tags`).
    pub rule: String,
    #[serde(default)]
    pub check: Check,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// The value found (absent: there was none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// Which of several responses of the step (`response 2 of 5`, `alongside request 1 of 3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    pub message: String,
    /// Unified diff, expected against actual, when the rule compares documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_errors: Vec<SchemaError>,
    /// Where the case file states the check that found this (its line and column), when a
    /// written check did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<crate::yaml::Pos>,
    /// The case's lines around `at`, marked, as a person reads them under the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl Finding {
    pub fn new(rule: impl Into<String>, check: Check, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.into(),
            check,
            expected: None,
            actual: None,
            response: None,
            message: message.into(),
            diff: None,
            schema_errors: Vec::new(),
            at: None,
            excerpt: None,
        }
    }

    pub fn expected(mut self, v: impl Into<Option<Value>>) -> Finding {
        self.expected = v.into();
        self
    }

    pub fn actual(mut self, v: impl Into<Option<Value>>) -> Finding {
        self.actual = v.into();
        self
    }

    /// `rule: message`, after the response it is about when the step had several.
    pub fn line(&self) -> String {
        match &self.response {
            Some(r) => format!("{r}: {}: {}", self.rule, self.message),
            None => format!("{}: {}", self.rule, self.message),
        }
    }
}

pub struct Checker<'a> {
    pub env: &'a Env,
    pub schemas: &'a SchemaSet,
}

impl Checker<'_> {
    /// All findings for `expect` against `subject` (None for steps without a request).
    pub fn check(&self, expect: &Expect, subject: Option<&Subject>) -> Vec<Finding> {
        let mut out = Vec::new();
        if let (Some(allowed), Some(s)) = (&expect.status, subject) {
            if !allowed.contains(&s.status) {
                let want = allowed
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ");
                let codes = allowed.iter().map(|c| Value::from(*c)).collect();
                out.push(
                    Finding::new(
                        "status",
                        Check::Status,
                        format!("expected {want}, got {}", s.status),
                    )
                    .expected(Value::Array(codes))
                    .actual(Value::from(s.status)),
                );
            }
        }
        if let Some(s) = subject {
            for (name, pred) in &expect.headers {
                let value = header(s.headers, name).map(Value::String);
                self.predicate(&format!("headers.{name}"), value.as_ref(), pred, &mut out);
            }
            let needs_body =
                expect.schema.is_some() || expect.body.is_some() || expect.body_exact.is_some();
            if needs_body {
                match s.body {
                    Err(why) => out.push(Finding::new(
                        "body",
                        Check::Json,
                        format!("expected a JSON body: {why}"),
                    )),
                    Ok(body) => {
                        if let Some(name) = &expect.schema {
                            self.schema(&format!("schema {name}"), name, body, &mut out);
                        }
                        if let Some(t) = &expect.body {
                            self.compare("body", t, body, true, &mut out);
                        }
                        if let Some(t) = &expect.body_exact {
                            self.compare("body_exact", t, body, false, &mut out);
                        }
                    }
                }
            }
        }
        for (path, pred) in &expect.checks {
            match self.resolve(path, subject) {
                Ok(value) => self.predicate(&path.to_string(), value.as_ref(), pred, &mut out),
                Err(why) => out.push(Finding::new(path.to_string(), Check::Unreadable, why)),
            }
        }
        out
    }

    /// The value at `path`; `Ok(None)` when absent, `Err` when it cannot be looked at.
    pub fn resolve(
        &self,
        path: &ValuePath,
        subject: Option<&Subject>,
    ) -> Result<Option<Value>, String> {
        let root = match (&path.root, subject) {
            (Root::Var(name), _) => match self.env.vars.get(name) {
                Some(v) => v.clone(),
                None => return Err(format!("variable `{name}` has no value")),
            },
            (_, None) => return Err("no response to look at".into()),
            (Root::Status, Some(s)) => Value::from(s.status),
            (Root::Header(name), Some(s)) => match header(s.headers, name) {
                Some(v) => Value::String(v),
                None => return Ok(None),
            },
            (Root::Raw, Some(s)) => Value::String(String::from_utf8_lossy(s.raw).into_owned()),
            (Root::Received(f), Some(s)) => match s.received {
                Some(d) => digest_value(d, *f),
                None => digest_value(&crate::http::digest(s.raw), *f),
            },
            (Root::Sent(f), Some(s)) => match s.sent {
                Some(d) => digest_value(d, *f),
                None => return Err("this step sent no body".into()),
            },
            (Root::Body, Some(s)) => match s.body {
                Ok(b) => b.clone(),
                Err(why) => return Err(format!("the body is not JSON: {why}")),
            },
        };
        Ok(walk(&root, &path.segments))
    }

    fn render(&self, t: &JsonTemplate, rule: &str, out: &mut Vec<Finding>) -> Option<Value> {
        t.render(self.env)
            .map_err(|e| {
                out.push(Finding::new(
                    rule,
                    Check::Unreadable,
                    format!("cannot build the expected value: {e}"),
                ))
            })
            .ok()
    }

    fn schema(&self, rule: &str, name: &str, value: &Value, out: &mut Vec<Finding>) {
        match self.schemas.validate(name, value) {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => out.push(Finding {
                schema_errors: errors.clone(),
                ..Finding::new(
                    rule,
                    Check::Schema,
                    format!(
                        "does not validate against schema `{name}`: {} error(s)",
                        errors.len()
                    ),
                )
                .expected(Value::String(name.to_string()))
            }),
            Err(e) => out.push(Finding::new(rule, Check::Schema, e)),
        }
    }

    fn compare(
        &self,
        rule: &str,
        expected: &JsonTemplate,
        actual: &Value,
        subset: bool,
        out: &mut Vec<Finding>,
    ) {
        let Some(expected) = self.render(expected, rule, out) else {
            return;
        };
        let ok = if subset {
            is_subset(&expected, actual)
        } else {
            &expected == actual
        };
        if !ok {
            let shown = if subset {
                project(actual, &expected)
            } else {
                actual.clone()
            };
            let how = if subset {
                "does not contain the expected document"
            } else {
                "differs from the expected document"
            };
            let check = if subset { Check::Subset } else { Check::Exact };
            out.push(Finding {
                diff: Some(json_diff(&expected, &shown)),
                ..Finding::new(rule, check, how)
                    .expected(expected)
                    .actual(shown)
            });
        }
    }

    fn predicate(&self, rule: &str, value: Option<&Value>, p: &Predicate, out: &mut Vec<Finding>) {
        // Every finding below is about `value`, which is what was found.
        let fail = |out: &mut Vec<Finding>, check: Check, msg: String| {
            out.push(Finding::new(rule, check, msg).actual(value.cloned()))
        };
        match (p.exists, value) {
            (Some(false), Some(v)) => {
                return fail(
                    out,
                    Check::Absent,
                    format!("expected absent, found {}", short(v)),
                )
            }
            (Some(false), None) => return,
            (_, None) => {
                return fail(
                    out,
                    Check::Present,
                    "expected present, but it is absent".into(),
                )
            }
            _ => {}
        }
        let Some(v) = value else { return };
        if let Some(t) = &p.equals {
            if let Some(e) = self.render(t, rule, out) {
                if &e != v {
                    let message = format!("expected {}, got {}", short(&e), short(v));
                    out.push(Finding {
                        diff: (e.is_object() || e.is_array()).then(|| json_diff(&e, v)),
                        ..Finding::new(rule, Check::Equals, message)
                            .expected(e)
                            .actual(v.clone())
                    });
                }
            }
        }
        if let Some(t) = &p.not_equals {
            if self.render(t, rule, out).as_ref() == Some(v) {
                fail(
                    out,
                    Check::NotEquals,
                    format!("expected anything but {}", short(v)),
                );
            }
        }
        if let Some(options) = &p.one_of {
            let rendered: Vec<Value> = options
                .iter()
                .filter_map(|t| self.render(t, rule, out))
                .collect();
            if !rendered.contains(v) {
                fail(
                    out,
                    Check::OneOf,
                    format!(
                        "expected one of {}, got {}",
                        short(&Value::Array(rendered.clone())),
                        short(v)
                    ),
                );
                expecting(out, Value::Array(rendered));
            }
        }
        if let Some(t) = &p.subset {
            self.compare(rule, t, v, true, out);
        }
        if let Some(re) = &p.regex {
            match v.as_str().map(|s| re.is_match(s)) {
                Some(Ok(true)) => {}
                Some(Err(e)) => fail(
                    out,
                    Check::Regex,
                    format!("regex /{re}/ cannot be built: {e}"),
                ),
                _ => fail(
                    out,
                    Check::Regex,
                    format!("expected a string matching /{re}/, got {}", short(v)),
                ),
            }
        }
        for (t, start) in [(&p.starts_with, true), (&p.ends_with, false)] {
            let Some(t) = t else { continue };
            let how_check = if start {
                Check::StartsWith
            } else {
                Check::EndsWith
            };
            let Ok(want) = t.render_string(self.env) else {
                fail(out, how_check, "cannot build the expected text".into());
                continue;
            };
            let ok = v.as_str().is_some_and(|s| {
                if start {
                    s.starts_with(&want)
                } else {
                    s.ends_with(&want)
                }
            });
            if !ok {
                let how = if start { "starting" } else { "ending" };
                fail(
                    out,
                    how_check,
                    format!("expected a string {how} with {want:?}, got {}", short(v)),
                );
            }
        }
        if let Some(t) = &p.contains {
            if let Some(e) = self.render(t, rule, out) {
                if !contains(v, &e) {
                    fail(
                        out,
                        Check::Contains,
                        format!("expected it to contain {}, got {}", short(&e), short(v)),
                    );
                }
            }
        }
        if let Some(t) = &p.not_contains {
            if let Some(e) = self.render(t, rule, out) {
                if contains(v, &e) {
                    fail(
                        out,
                        Check::NotContains,
                        format!("expected it not to contain {}, got {}", short(&e), short(v)),
                    );
                }
            }
        }
        if let Some(t) = &p.contains_once {
            if let Some(e) = self.render(t, rule, out) {
                match v.as_array() {
                    Some(items) => {
                        let n = items.iter().filter(|i| *i == &e).count();
                        if n != 1 {
                            fail(
                                out,
                                Check::ContainsOnce,
                                format!(
                                    "expected {} exactly once, found it {n} time(s) in {}",
                                    short(&e),
                                    short(v)
                                ),
                            );
                        }
                    }
                    None => fail(
                        out,
                        Check::ContainsOnce,
                        format!("expected an array, got {}", short(v)),
                    ),
                }
            }
        }
        if let Some(t) = &p.contains_each_once {
            if let Some(e) = self.render(t, rule, out) {
                match (v.as_array(), e.as_array()) {
                    (Some(items), Some(wanted)) => {
                        let wrong: Vec<String> = wanted
                            .iter()
                            .filter_map(|w| {
                                let n = items.iter().filter(|i| *i == w).count();
                                (n != 1).then(|| format!("{} {n} time(s)", short(w)))
                            })
                            .collect();
                        if !wrong.is_empty() {
                            fail(
                                out,
                                Check::ContainsEachOnce,
                                format!(
                                    "expected each of {} exactly once, found {}",
                                    short(&e),
                                    wrong.join(", ")
                                ),
                            );
                        }
                    }
                    (None, _) => fail(
                        out,
                        Check::ContainsEachOnce,
                        format!("expected an array, got {}", short(v)),
                    ),
                    (_, None) => fail(
                        out,
                        Check::ContainsEachOnce,
                        format!("`contains_each_once` needs a list, got {}", short(&e)),
                    ),
                }
            }
        }
        if let Some(ts) = &p.set_equals {
            let want: Vec<Value> = ts
                .iter()
                .filter_map(|t| self.render(t, rule, out))
                .collect();
            // A rendered element that is itself a list (a collected variable) stands for its items.
            let want: Vec<Value> = want
                .into_iter()
                .flat_map(|w| match w {
                    Value::Array(items) if ts.len() == 1 => items,
                    other => vec![other],
                })
                .collect();
            match v.as_array() {
                Some(items) => {
                    let missing: Vec<&Value> = want.iter().filter(|w| !items.contains(w)).collect();
                    let extra: Vec<&Value> = items.iter().filter(|i| !want.contains(i)).collect();
                    if !missing.is_empty() || !extra.is_empty() {
                        fail(
                            out,
                            Check::SetEquals,
                            format!(
                                "expected the set {}, got {} (missing {}, unexpected {})",
                                short(&Value::Array(want.clone())),
                                short(v),
                                short(&Value::Array(missing.into_iter().cloned().collect())),
                                short(&Value::Array(extra.into_iter().cloned().collect()))
                            ),
                        );
                        expecting(out, Value::Array(want.clone()));
                    }
                }
                None => fail(
                    out,
                    Check::SetEquals,
                    format!("expected an array, got {}", short(v)),
                ),
            }
        }
        if p.unique == Some(true) {
            match v.as_array() {
                Some(items) => {
                    let dups: Vec<&Value> = items
                        .iter()
                        .enumerate()
                        .filter(|(i, x)| items[..*i].contains(x))
                        .map(|(_, x)| x)
                        .collect();
                    if !dups.is_empty() {
                        let d = Value::Array(dups.into_iter().cloned().collect());
                        fail(
                            out,
                            Check::Unique,
                            format!("expected no duplicates, but these repeat: {}", short(&d)),
                        );
                    }
                }
                None => fail(
                    out,
                    Check::Unique,
                    format!("expected an array, got {}", short(v)),
                ),
            }
        }
        let length = match v {
            Value::Array(a) => Some(a.len()),
            Value::String(s) => Some(s.chars().count()),
            Value::Object(o) => Some(o.len()),
            _ => None,
        };
        for (bound, name, bound_check, ok) in [
            (
                p.len,
                "exactly",
                Check::Len,
                (|n: usize, b: usize| n == b) as fn(usize, usize) -> bool,
            ),
            (p.min_len, "at least", Check::MinLen, |n, b| n >= b),
            (p.max_len, "at most", Check::MaxLen, |n, b| n <= b),
        ] {
            let Some(b) = bound else { continue };
            match length {
                Some(n) if ok(n, b) => {}
                Some(n) => fail(
                    out,
                    bound_check,
                    format!("expected a length of {name} {b}, got {n}: {}", short(v)),
                ),
                None => fail(
                    out,
                    bound_check,
                    format!("expected something with a length, got {}", short(v)),
                ),
            }
        }
        if let Some(t) = p.type_ {
            let actual = JsonType::of(v);
            let ok = actual == t || (t == JsonType::Number && actual == JsonType::Integer);
            if !ok {
                fail(
                    out,
                    Check::Type,
                    format!(
                        "expected a JSON {}, got a {}: {}",
                        t.name(),
                        actual.name(),
                        short(v)
                    ),
                );
            }
        }
        for (t, op, order_check, accept) in [
            (&p.gt, ">", Check::Gt, &[Ordering::Greater][..]),
            (
                &p.ge,
                ">=",
                Check::Ge,
                &[Ordering::Greater, Ordering::Equal][..],
            ),
            (&p.lt, "<", Check::Lt, &[Ordering::Less][..]),
            (
                &p.le,
                "<=",
                Check::Le,
                &[Ordering::Less, Ordering::Equal][..],
            ),
        ] {
            let Some(t) = t else { continue };
            let Some(bound) = self.render(t, rule, out) else {
                continue;
            };
            match order(v, &bound) {
                Some(o) if accept.contains(&o) => {}
                Some(_) => fail(
                    out,
                    order_check,
                    format!("expected {} {op} {}", short(v), short(&bound)),
                ),
                None => fail(
                    out,
                    order_check,
                    format!("cannot order {} against {}", short(v), short(&bound)),
                ),
            }
        }
        if let Some(name) = &p.schema {
            self.schema(rule, name, v, out);
        }
        if let Some(t) = &p.valid_against {
            if let Some(doc) = self.render(t, rule, out) {
                match crate::schema::validate_with(&doc, v) {
                    Ok(errors) if errors.is_empty() => {}
                    Ok(errors) => out.push(Finding {
                        schema_errors: errors.clone(),
                        ..Finding::new(
                            rule,
                            Check::ValidAgainst,
                            format!(
                                "does not validate against the given schema: {} error(s)",
                                errors.len()
                            ),
                        )
                        .actual(v.clone())
                    }),
                    Err(e) => fail(out, Check::ValidAgainst, e),
                }
            }
        }
        if let Some(each) = &p.each {
            match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.predicate(&format!("{rule}[{i}]"), Some(item), each, out);
                    }
                }
                None => fail(
                    out,
                    Check::Each,
                    format!("expected an array, got {}", short(v)),
                ),
            }
        }
    }
}

/// Adds what was expected to the finding just made.
fn expecting(out: &mut [Finding], want: Value) {
    if let Some(f) = out.last_mut() {
        f.expected = Some(want);
    }
}

fn digest_value(d: &crate::http::Digest, f: crate::valuepath::DigestField) -> Value {
    use crate::valuepath::DigestField as F;
    match f {
        F::Size => Value::from(d.size),
        F::Md5 => Value::String(d.md5.clone()),
        F::Sha512 => Value::String(d.sha512.clone()),
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::Array(items), n) => items.contains(n),
        (Value::String(s), Value::String(n)) => s.contains(n.as_str()),
        (Value::Object(o), Value::String(k)) => o.contains_key(k),
        _ => false,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `expected` is found in `actual`: objects by their keys, arrays element by element.
pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| is_subset(ev, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| is_subset(ev, av))
        }
        _ => expected == actual,
    }
}

/// `actual` cut down to the keys `expected` names, so a diff shows only what was asked about.
fn project(actual: &Value, expected: &Value) -> Value {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => Value::Object(
            a.iter()
                .filter(|(k, _)| e.contains_key(*k))
                .map(|(k, v)| (k.clone(), project(v, &e[k])))
                .collect(),
        ),
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            Value::Array(a.iter().zip(e).map(|(x, y)| project(x, y)).collect())
        }
        _ => actual.clone(),
    }
}

/// Unified diff of two JSON documents, pretty-printed with sorted keys.
pub fn json_diff(expected: &Value, actual: &Value) -> String {
    let e = pretty_sorted(expected);
    let a = pretty_sorted(actual);
    similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

fn pretty_sorted(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<_> = o.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&o[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sort(v)).unwrap_or_default();
    s.push('\n');
    s
}

/// A value in one line, cut to a readable length.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}… ({} chars)", s.len())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::plan;
    use serde_json::json;

    fn t(v: Value) -> JsonTemplate {
        JsonTemplate::parse(&v).unwrap()
    }

    fn schemas() -> SchemaSet {
        let s =
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]});
        SchemaSet::compile(&[crate::source::SourceFile::new("thing.json", s.to_string())]).unwrap()
    }

    /// Messages of the findings when `pred` is applied to `value`.
    fn run(value: Option<Value>, pred: plan::Predicate) -> Vec<String> {
        let mut env = Env::new("r", "a::b");
        env.vars.insert("id".into(), json!("abc"));
        let schemas = schemas();
        let checker = Checker {
            env: &env,
            schemas: &schemas,
        };
        let mut out = Vec::new();
        checker.predicate("x", value.as_ref(), &pred, &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    fn p() -> plan::Predicate {
        plan::Predicate::default()
    }

    #[test]
    fn presence() {
        assert_eq!(
            run(
                None,
                plan::Predicate {
                    exists: Some(true),
                    ..p()
                }
            ),
            ["expected present, but it is absent"]
        );
        assert_eq!(
            run(
                Some(json!(1)),
                plan::Predicate {
                    exists: Some(false),
                    ..p()
                }
            ),
            ["expected absent, found 1"]
        );
        assert!(run(
            None,
            plan::Predicate {
                exists: Some(false),
                ..p()
            }
        )
        .is_empty());
        // Any other condition on an absent value fails for absence.
        assert_eq!(
            run(
                None,
                plan::Predicate {
                    len: Some(1),
                    ..p()
                }
            ),
            ["expected present, but it is absent"]
        );
    }

    #[test]
    fn equality_and_templates() {
        assert!(run(
            Some(json!("abc")),
            plan::Predicate {
                equals: Some(t(json!("{{id}}"))),
                ..p()
            }
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!("abd")),
                plan::Predicate {
                    equals: Some(t(json!("{{id}}"))),
                    ..p()
                }
            ),
            [r#"expected "abc", got "abd""#]
        );
        assert_eq!(
            run(
                Some(json!(2)),
                plan::Predicate {
                    not_equals: Some(t(json!(2))),
                    ..p()
                }
            ),
            ["expected anything but 2"]
        );
        assert_eq!(
            run(
                Some(json!(3)),
                plan::Predicate {
                    one_of: Some(vec![t(json!(1)), t(json!(2))]),
                    ..p()
                }
            ),
            ["expected one of [1,2], got 3"]
        );
    }

    #[test]
    fn strings() {
        let re = Some(plan::Pattern::new("^a+$").unwrap());
        assert_eq!(
            run(Some(json!("b")), plan::Predicate { regex: re, ..p() }),
            [r#"expected a string matching /^a+$/, got "b""#]
        );
        let huge = Some(plan::Pattern::new(r"\w{1000}{1000}").unwrap());
        let out = run(Some(json!("a")), plan::Predicate { regex: huge, ..p() });
        assert!(
            out[0].starts_with(r"regex /\w{1000}{1000}/ cannot be built: "),
            "{out:?}"
        );
        let st = Some(crate::template::Template::parse("/v2/{{id}}").unwrap());
        assert!(run(
            Some(json!("http://h/v2/abc")),
            plan::Predicate {
                ends_with: st.clone(),
                ..p()
            }
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!("http://h/v2/x")),
                plan::Predicate {
                    ends_with: st.clone(),
                    ..p()
                }
            ),
            [r#"expected a string ending with "/v2/abc", got "http://h/v2/x""#]
        );
        assert_eq!(
            run(
                Some(json!("x/v2/abc")),
                plan::Predicate {
                    starts_with: st,
                    ..p()
                }
            ),
            [r#"expected a string starting with "/v2/abc", got "x/v2/abc""#]
        );
    }

    #[test]
    fn arrays() {
        let tags = json!(["a", "b", "a"]);
        assert_eq!(
            run(
                Some(tags.clone()),
                plan::Predicate {
                    contains_once: Some(t(json!("a"))),
                    ..p()
                }
            ),
            [r#"expected "a" exactly once, found it 2 time(s) in ["a","b","a"]"#]
        );
        assert_eq!(
            run(
                Some(tags.clone()),
                plan::Predicate {
                    unique: Some(true),
                    ..p()
                }
            ),
            [r#"expected no duplicates, but these repeat: ["a"]"#]
        );
        assert_eq!(
            run(
                Some(tags.clone()),
                plan::Predicate {
                    contains: Some(t(json!("c"))),
                    ..p()
                }
            ),
            [r#"expected it to contain "c", got ["a","b","a"]"#]
        );
        assert_eq!(
            run(
                Some(tags.clone()),
                plan::Predicate {
                    not_contains: Some(t(json!("b"))),
                    ..p()
                }
            ),
            [r#"expected it not to contain "b", got ["a","b","a"]"#]
        );
        assert_eq!(
            run(
                Some(json!(["b", "c"])),
                plan::Predicate {
                    set_equals: Some(vec![t(json!("a")), t(json!("b"))]),
                    ..p()
                }
            ),
            [r#"expected the set ["a","b"], got ["b","c"] (missing ["a"], unexpected ["c"])"#]
        );
        assert!(run(
            Some(json!(["b", "a"])),
            plan::Predicate {
                set_equals: Some(vec![t(json!("a")), t(json!("b"))]),
                ..p()
            }
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!("s")),
                plan::Predicate {
                    contains_once: Some(t(json!("a"))),
                    ..p()
                }
            ),
            [r#"expected an array, got "s""#]
        );
    }

    #[test]
    fn lengths_types_and_order() {
        assert_eq!(
            run(
                Some(json!([1, 2, 3])),
                plan::Predicate {
                    max_len: Some(2),
                    ..p()
                }
            ),
            ["expected a length of at most 2, got 3: [1,2,3]"]
        );
        assert_eq!(
            run(
                Some(json!([])),
                plan::Predicate {
                    min_len: Some(1),
                    ..p()
                }
            ),
            ["expected a length of at least 1, got 0: []"]
        );
        assert_eq!(
            run(
                Some(json!("ab")),
                plan::Predicate {
                    len: Some(3),
                    ..p()
                }
            ),
            [r#"expected a length of exactly 3, got 2: "ab""#]
        );
        assert_eq!(
            run(
                Some(json!(true)),
                plan::Predicate {
                    len: Some(3),
                    ..p()
                }
            ),
            ["expected something with a length, got true"]
        );
        assert_eq!(
            run(
                Some(json!("1")),
                plan::Predicate {
                    type_: Some(JsonType::Integer),
                    ..p()
                }
            ),
            [r#"expected a JSON integer, got a string: "1""#]
        );
        assert!(run(
            Some(json!(1)),
            plan::Predicate {
                type_: Some(JsonType::Number),
                ..p()
            }
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!(1)),
                plan::Predicate {
                    gt: Some(t(json!(1))),
                    ..p()
                }
            ),
            ["expected 1 > 1"]
        );
        assert!(run(
            Some(json!("2026-01-02T00:00:00Z")),
            plan::Predicate {
                ge: Some(t(json!("2026-01-01T00:00:00Z"))),
                ..p()
            }
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!("a")),
                plan::Predicate {
                    lt: Some(t(json!(1))),
                    ..p()
                }
            ),
            [r#"cannot order "a" against 1"#]
        );
    }

    #[test]
    fn schema_and_each() {
        let msgs = run(
            Some(json!({"id": 1})),
            plan::Predicate {
                schema: Some("thing".into()),
                ..p()
            },
        );
        assert_eq!(
            msgs,
            ["does not validate against schema `thing`: 1 error(s)"]
        );
        let each = plan::Predicate {
            each: Some(Box::new(plan::Predicate {
                type_: Some(JsonType::String),
                ..p()
            })),
            ..p()
        };
        assert_eq!(
            run(Some(json!(["a", 2])), each),
            ["expected a JSON string, got a integer: 2"]
        );
    }

    #[test]
    fn subset_compare_shows_a_focused_diff() {
        let env = Env::new("r", "a::b");
        let schemas = schemas();
        let checker = Checker {
            env: &env,
            schemas: &schemas,
        };
        let expect = Expect {
            body: Some(t(json!({"status": "queued", "tags": []}))),
            ..Expect::default()
        };
        let body = Ok(json!({"status": "active", "tags": [], "name": "n"}));
        let subject = Subject {
            status: 200,
            headers: &[],
            body: &body,
            raw: b"",
            received: None,
            sent: None,
        };
        let f = checker.check(&expect, Some(&subject));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "does not contain the expected document");
        let diff = f[0].diff.as_deref().unwrap();
        assert!(
            diff.contains("-  \"status\": \"queued\"")
                && diff.contains("+  \"status\": \"active\""),
            "{diff}"
        );
        assert!(
            !diff.contains("name"),
            "unrelated keys are left out: {diff}"
        );
    }

    #[test]
    fn status_headers_and_non_json_bodies() {
        let env = Env::new("r", "a::b");
        let schemas = schemas();
        let checker = Checker {
            env: &env,
            schemas: &schemas,
        };
        let expect = Expect {
            status: Some(vec![200, 204]),
            headers: vec![(
                "location".into(),
                plan::Predicate {
                    exists: Some(true),
                    ..p()
                },
            )],
            schema: Some("thing".into()),
            ..Expect::default()
        };
        let body = Err("not JSON (Content-Type: text/plain): expected value".to_string());
        let subject = Subject {
            status: 500,
            headers: &[],
            body: &body,
            raw: b"not json",
            received: None,
            sent: None,
        };
        let f: Vec<String> = checker
            .check(&expect, Some(&subject))
            .into_iter()
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        assert_eq!(
            f,
            [
                "status: expected 200 or 204, got 500",
                "headers.location: expected present, but it is absent",
                "body: expected a JSON body: not JSON (Content-Type: text/plain): expected value",
            ]
        );
    }

    #[test]
    fn subset_semantics() {
        assert!(is_subset(
            &json!({"a": {"b": 1}}),
            &json!({"a": {"b": 1, "c": 2}, "d": 3})
        ));
        assert!(!is_subset(&json!({"a": [1]}), &json!({"a": [1, 2]})));
        assert!(!is_subset(&json!({"a": null}), &json!({})));
    }
}
