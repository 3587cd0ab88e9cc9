//! Checking a response (or the variables) against a step's expectations.
//!
//! Every rule of a step is evaluated, not just the first broken one, so a report shows all that
//! is wrong with a response at once.

use crate::case::plan::{Condition, Expect, JsonType, Pos, Predicate};
use crate::schema::{SchemaError, SchemaSet};
use crate::template::{Env, JsonTemplate, Template};
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
    /// All findings for `expect` against one answer, each placed where its check is written.
    pub fn check(&self, expect: &Expect, s: &Subject) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(allowed) = &expect.status {
            if !allowed.contains(&s.status) {
                let want = allowed
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ");
                let codes = allowed.iter().map(|c| Value::from(*c)).collect();
                let message = format!("expected {want}, got {}", s.status);
                let f = Finding::new("status", Check::Status, message)
                    .expected(Value::Array(codes))
                    .actual(Value::from(s.status));
                out.push(placed(f, allowed.pos));
            }
        }
        for (name, pred) in &expect.headers {
            let value = header(s.headers, name).map(Value::String);
            self.predicate(&format!("headers.{name}"), value.as_ref(), pred, &mut out);
        }
        self.documents(expect, s.body, &mut out);
        out.extend(self.checks(&expect.checks, Some(s)));
        out
    }

    /// The findings of the rules on the whole body: its schema, and documents it must contain
    /// or equal.
    fn documents(&self, expect: &Expect, body: &Result<Value, String>, out: &mut Vec<Finding>) {
        let first = [
            expect.schema.as_ref().map(|s| s.pos),
            expect.body.as_ref().map(|b| b.pos),
            expect.body_exact.as_ref().map(|b| b.pos),
        ];
        let Some(pos) = first.into_iter().flatten().next() else {
            return;
        };
        let body = match body {
            Ok(body) => body,
            Err(why) => {
                let message = format!("expected a JSON body: {why}");
                return out.push(placed(Finding::new("body", Check::Json, message), pos));
            }
        };
        let from = out.len();
        if let Some(name) = &expect.schema {
            self.schema(&format!("schema {}", name.item), name, body, out);
            stamp(&mut out[from..], name.pos);
        }
        for (rule, t, subset) in [
            ("body", &expect.body, true),
            ("body_exact", &expect.body_exact, false),
        ] {
            if let Some(t) = t {
                let from = out.len();
                self.compare(rule, t, body, subset, out);
                stamp(&mut out[from..], t.pos);
            }
        }
    }

    /// The findings of checks on values (of the answer, if there is one, or of variables).
    pub fn checks(
        &self,
        checks: &[(ValuePath, Predicate)],
        subject: Option<&Subject>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for (path, pred) in checks {
            match self.resolve(path, subject) {
                Ok(value) => self.predicate(&path.to_string(), value.as_ref(), pred, &mut out),
                Err(why) => {
                    let f = Finding::new(path.to_string(), Check::Unreadable, why);
                    out.push(placed(f, pred.pos));
                }
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

    /// The findings of `p` on `value` (absent: `None`), each placed at its condition.
    fn predicate(&self, rule: &str, value: Option<&Value>, p: &Predicate, out: &mut Vec<Finding>) {
        let absent = p
            .conditions
            .iter()
            .find(|c| matches!(c.item, Condition::Absent));
        let v = match (absent, value) {
            (Some(c), Some(v)) => {
                let message = format!("expected absent, found {}", short(v));
                let f = Finding::new(rule, Check::Absent, message).actual(v.clone());
                return out.push(placed(f, c.pos));
            }
            (Some(_), None) => return,
            // Any other condition on an absent value fails for its absence, once.
            (None, None) => {
                let pos = p.conditions.first().map_or(p.pos, |c| c.pos);
                let f = Finding::new(rule, Check::Present, "expected present, but it is absent");
                return out.push(placed(f, pos));
            }
            (None, Some(v)) => v,
        };
        for c in &p.conditions {
            let from = out.len();
            let fail = |out: &mut Vec<Finding>, check: Check, message: String| {
                out.push(Finding::new(rule, check, message).actual(v.clone()))
            };
            match &c.item {
                Condition::Present | Condition::Absent => {}
                Condition::Equals(t) => self.equals(rule, t, v, out),
                Condition::NotEquals(t) => {
                    if self.render(t, rule, out).as_ref() == Some(v) {
                        fail(
                            out,
                            Check::NotEquals,
                            format!("expected anything but {}", short(v)),
                        );
                    }
                }
                Condition::OneOf(options) => self.one_of(rule, options, v, out),
                Condition::Subset(t) => self.compare(rule, t, v, true, out),
                Condition::Regex(re) => {
                    if let Some(message) = regex_mismatch(re, v) {
                        fail(out, Check::Regex, message);
                    }
                }
                Condition::StartsWith(t) => self.affix(rule, t, v, Affix::Start, out),
                Condition::EndsWith(t) => self.affix(rule, t, v, Affix::End, out),
                Condition::Contains(t) => self.contains(rule, t, v, true, out),
                Condition::NotContains(t) => self.contains(rule, t, v, false, out),
                Condition::ContainsOnce(t) => self.contains_once(rule, t, v, out),
                Condition::ContainsEachOnce(t) => self.contains_each_once(rule, t, v, out),
                Condition::SetEquals(ts) => self.set_equals(rule, ts, v, out),
                Condition::Unique => {
                    if let Some(message) = duplicates(v) {
                        fail(out, Check::Unique, message);
                    }
                }
                Condition::Len(n) => length(rule, v, *n, Bound::Exactly, out),
                Condition::MinLen(n) => length(rule, v, *n, Bound::AtLeast, out),
                Condition::MaxLen(n) => length(rule, v, *n, Bound::AtMost, out),
                Condition::Type(t) => {
                    if let Some(message) = type_mismatch(*t, v) {
                        fail(out, Check::Type, message);
                    }
                }
                Condition::Gt(t) => self.order(rule, t, v, Check::Gt, out),
                Condition::Ge(t) => self.order(rule, t, v, Check::Ge, out),
                Condition::Lt(t) => self.order(rule, t, v, Check::Lt, out),
                Condition::Le(t) => self.order(rule, t, v, Check::Le, out),
                Condition::Schema(name) => self.schema(rule, name, v, out),
                Condition::ValidAgainst(t) => self.valid_against(rule, t, v, out),
                Condition::Each(each) => match v.as_array() {
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
                },
            }
            stamp(&mut out[from..], c.pos);
        }
    }

    fn equals(&self, rule: &str, t: &JsonTemplate, v: &Value, out: &mut Vec<Finding>) {
        let Some(e) = self.render(t, rule, out) else {
            return;
        };
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

    fn one_of(&self, rule: &str, options: &[JsonTemplate], v: &Value, out: &mut Vec<Finding>) {
        let rendered: Vec<Value> = options
            .iter()
            .filter_map(|t| self.render(t, rule, out))
            .collect();
        if !rendered.contains(v) {
            let list = Value::Array(rendered);
            let message = format!("expected one of {}, got {}", short(&list), short(v));
            out.push(
                Finding::new(rule, Check::OneOf, message)
                    .expected(list)
                    .actual(v.clone()),
            );
        }
    }

    fn affix(&self, rule: &str, t: &Template, v: &Value, which: Affix, out: &mut Vec<Finding>) {
        let (check, how) = match which {
            Affix::Start => (Check::StartsWith, "starting"),
            Affix::End => (Check::EndsWith, "ending"),
        };
        let message = match t.render_string(self.env) {
            Err(_) => "cannot build the expected text".to_string(),
            Ok(want) => {
                let ok = v.as_str().is_some_and(|s| match which {
                    Affix::Start => s.starts_with(&want),
                    Affix::End => s.ends_with(&want),
                });
                if ok {
                    return;
                }
                format!("expected a string {how} with {want:?}, got {}", short(v))
            }
        };
        out.push(Finding::new(rule, check, message).actual(v.clone()));
    }

    fn contains(
        &self,
        rule: &str,
        t: &JsonTemplate,
        v: &Value,
        want: bool,
        out: &mut Vec<Finding>,
    ) {
        let Some(e) = self.render(t, rule, out) else {
            return;
        };
        if contains(v, &e) != want {
            let (check, how) = match want {
                true => (Check::Contains, "to contain"),
                false => (Check::NotContains, "not to contain"),
            };
            let message = format!("expected it {how} {}, got {}", short(&e), short(v));
            out.push(Finding::new(rule, check, message).actual(v.clone()));
        }
    }

    fn contains_once(&self, rule: &str, t: &JsonTemplate, v: &Value, out: &mut Vec<Finding>) {
        let Some(e) = self.render(t, rule, out) else {
            return;
        };
        let message = match v.as_array() {
            None => format!("expected an array, got {}", short(v)),
            Some(items) => match items.iter().filter(|i| *i == &e).count() {
                1 => return,
                n => format!(
                    "expected {} exactly once, found it {n} time(s) in {}",
                    short(&e),
                    short(v)
                ),
            },
        };
        out.push(Finding::new(rule, Check::ContainsOnce, message).actual(v.clone()));
    }

    fn contains_each_once(&self, rule: &str, t: &JsonTemplate, v: &Value, out: &mut Vec<Finding>) {
        let Some(e) = self.render(t, rule, out) else {
            return;
        };
        let message = match (v.as_array(), e.as_array()) {
            (None, _) => format!("expected an array, got {}", short(v)),
            (_, None) => format!("`contains_each_once` needs a list, got {}", short(&e)),
            (Some(items), Some(wanted)) => {
                let wrong: Vec<String> = wanted
                    .iter()
                    .filter_map(|w| {
                        let n = items.iter().filter(|i| *i == w).count();
                        (n != 1).then(|| format!("{} {n} time(s)", short(w)))
                    })
                    .collect();
                if wrong.is_empty() {
                    return;
                }
                format!(
                    "expected each of {} exactly once, found {}",
                    short(&e),
                    wrong.join(", ")
                )
            }
        };
        out.push(Finding::new(rule, Check::ContainsEachOnce, message).actual(v.clone()));
    }

    fn set_equals(&self, rule: &str, ts: &[JsonTemplate], v: &Value, out: &mut Vec<Finding>) {
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
        let Some(items) = v.as_array() else {
            let message = format!("expected an array, got {}", short(v));
            return out.push(Finding::new(rule, Check::SetEquals, message).actual(v.clone()));
        };
        let missing: Vec<Value> = want
            .iter()
            .filter(|w| !items.contains(w))
            .cloned()
            .collect();
        let extra: Vec<Value> = items
            .iter()
            .filter(|i| !want.contains(i))
            .cloned()
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let want = Value::Array(want);
        let message = format!(
            "expected the set {}, got {} (missing {}, unexpected {})",
            short(&want),
            short(v),
            short(&Value::Array(missing)),
            short(&Value::Array(extra))
        );
        out.push(
            Finding::new(rule, Check::SetEquals, message)
                .actual(v.clone())
                .expected(want),
        );
    }

    fn order(&self, rule: &str, t: &JsonTemplate, v: &Value, check: Check, out: &mut Vec<Finding>) {
        let Some(bound) = self.render(t, rule, out) else {
            return;
        };
        let (op, accept): (&str, &[Ordering]) = match check {
            Check::Gt => (">", &[Ordering::Greater]),
            Check::Ge => (">=", &[Ordering::Greater, Ordering::Equal]),
            Check::Lt => ("<", &[Ordering::Less]),
            _ => ("<=", &[Ordering::Less, Ordering::Equal]),
        };
        let message = match order(v, &bound) {
            Some(o) if accept.contains(&o) => return,
            Some(_) => format!("expected {} {op} {}", short(v), short(&bound)),
            None => format!("cannot order {} against {}", short(v), short(&bound)),
        };
        out.push(Finding::new(rule, check, message).actual(v.clone()));
    }

    fn valid_against(&self, rule: &str, t: &JsonTemplate, v: &Value, out: &mut Vec<Finding>) {
        let Some(doc) = self.render(t, rule, out) else {
            return;
        };
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
            Err(e) => out.push(Finding::new(rule, Check::ValidAgainst, e).actual(v.clone())),
        }
    }
}

#[derive(Clone, Copy)]
enum Affix {
    Start,
    End,
}

#[derive(Clone, Copy)]
enum Bound {
    Exactly,
    AtLeast,
    AtMost,
}

/// `f`, placed where its check is written.
fn placed(mut f: Finding, pos: Pos) -> Finding {
    f.at = Some(pos);
    f
}

/// Places the findings not placed yet (a nested check's keep their own place).
fn stamp(findings: &mut [Finding], pos: Pos) {
    for f in findings {
        f.at.get_or_insert(pos);
    }
}

fn regex_mismatch(re: &crate::case::plan::Pattern, v: &Value) -> Option<String> {
    match v.as_str().map(|s| re.is_match(s)) {
        Some(Ok(true)) => None,
        Some(Err(e)) => Some(format!("regex /{re}/ cannot be built: {e}")),
        _ => Some(format!(
            "expected a string matching /{re}/, got {}",
            short(v)
        )),
    }
}

fn duplicates(v: &Value) -> Option<String> {
    let Some(items) = v.as_array() else {
        return Some(format!("expected an array, got {}", short(v)));
    };
    let dups: Vec<Value> = items
        .iter()
        .enumerate()
        .filter(|(i, x)| items[..*i].contains(x))
        .map(|(_, x)| x.clone())
        .collect();
    (!dups.is_empty()).then(|| {
        format!(
            "expected no duplicates, but these repeat: {}",
            short(&Value::Array(dups))
        )
    })
}

fn length(rule: &str, v: &Value, bound: usize, how: Bound, out: &mut Vec<Finding>) {
    let n = match v {
        Value::Array(a) => a.len(),
        Value::String(s) => s.chars().count(),
        Value::Object(o) => o.len(),
        _ => usize::MAX,
    };
    let (check, name, ok) = match how {
        Bound::Exactly => (Check::Len, "exactly", n == bound),
        Bound::AtLeast => (Check::MinLen, "at least", n >= bound),
        Bound::AtMost => (Check::MaxLen, "at most", n <= bound),
    };
    let message = if n == usize::MAX {
        format!("expected something with a length, got {}", short(v))
    } else if ok {
        return;
    } else {
        format!("expected a length of {name} {bound}, got {n}: {}", short(v))
    };
    out.push(Finding::new(rule, check, message).actual(v.clone()));
}

fn type_mismatch(t: JsonType, v: &Value) -> Option<String> {
    let actual = JsonType::of(v);
    let ok = actual == t || (t == JsonType::Number && actual == JsonType::Integer);
    (!ok).then(|| {
        format!(
            "expected a JSON {}, got a {}: {}",
            t.name(),
            actual.name(),
            short(v)
        )
    })
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

    /// A check of one condition, written at line 7, column 3.
    fn p(c: Condition) -> plan::Predicate {
        plan::Predicate {
            pos: HERE,
            conditions: vec![plan::At::new(HERE, c)],
        }
    }

    const HERE: Pos = Pos { line: 7, column: 3 };

    #[test]
    fn presence() {
        assert_eq!(
            run(None, p(Condition::Present)),
            ["expected present, but it is absent"]
        );
        assert_eq!(
            run(Some(json!(1)), p(Condition::Absent)),
            ["expected absent, found 1"]
        );
        assert!(run(None, p(Condition::Absent)).is_empty());
        // Any other condition on an absent value fails for absence.
        assert_eq!(
            run(None, p(Condition::Len(1))),
            ["expected present, but it is absent"]
        );
    }

    #[test]
    fn equality_and_templates() {
        assert!(run(Some(json!("abc")), p(Condition::Equals(t(json!("{{id}}"))))).is_empty());
        assert_eq!(
            run(Some(json!("abd")), p(Condition::Equals(t(json!("{{id}}"))))),
            [r#"expected "abc", got "abd""#]
        );
        assert_eq!(
            run(Some(json!(2)), p(Condition::NotEquals(t(json!(2))))),
            ["expected anything but 2"]
        );
        assert_eq!(
            run(
                Some(json!(3)),
                p(Condition::OneOf(vec![t(json!(1)), t(json!(2))]))
            ),
            ["expected one of [1,2], got 3"]
        );
    }

    #[test]
    fn strings() {
        let re = plan::Pattern::new("^a+$").unwrap();
        assert_eq!(
            run(Some(json!("b")), p(Condition::Regex(re))),
            [r#"expected a string matching /^a+$/, got "b""#]
        );
        let huge = plan::Pattern::new(r"\w{1000}{1000}").unwrap();
        let out = run(Some(json!("a")), p(Condition::Regex(huge)));
        assert!(
            out[0].starts_with(r"regex /\w{1000}{1000}/ cannot be built: "),
            "{out:?}"
        );
        let st = crate::template::Template::parse("/v2/{{id}}").unwrap();
        assert!(run(
            Some(json!("http://h/v2/abc")),
            p(Condition::EndsWith(st.clone()))
        )
        .is_empty());
        assert_eq!(
            run(
                Some(json!("http://h/v2/x")),
                p(Condition::EndsWith(st.clone()))
            ),
            [r#"expected a string ending with "/v2/abc", got "http://h/v2/x""#]
        );
        assert_eq!(
            run(Some(json!("x/v2/abc")), p(Condition::StartsWith(st))),
            [r#"expected a string starting with "/v2/abc", got "x/v2/abc""#]
        );
    }

    #[test]
    fn arrays() {
        let tags = json!(["a", "b", "a"]);
        assert_eq!(
            run(
                Some(tags.clone()),
                p(Condition::ContainsOnce(t(json!("a"))))
            ),
            [r#"expected "a" exactly once, found it 2 time(s) in ["a","b","a"]"#]
        );
        assert_eq!(
            run(Some(tags.clone()), p(Condition::Unique)),
            [r#"expected no duplicates, but these repeat: ["a"]"#]
        );
        assert_eq!(
            run(Some(tags.clone()), p(Condition::Contains(t(json!("c"))))),
            [r#"expected it to contain "c", got ["a","b","a"]"#]
        );
        assert_eq!(
            run(Some(tags.clone()), p(Condition::NotContains(t(json!("b"))))),
            [r#"expected it not to contain "b", got ["a","b","a"]"#]
        );
        assert_eq!(
            run(
                Some(json!(["b", "c"])),
                p(Condition::SetEquals(vec![t(json!("a")), t(json!("b"))]))
            ),
            [r#"expected the set ["a","b"], got ["b","c"] (missing ["a"], unexpected ["c"])"#]
        );
        assert!(run(
            Some(json!(["b", "a"])),
            p(Condition::SetEquals(vec![t(json!("a")), t(json!("b"))]))
        )
        .is_empty());
        assert_eq!(
            run(Some(json!("s")), p(Condition::ContainsOnce(t(json!("a"))))),
            [r#"expected an array, got "s""#]
        );
    }

    #[test]
    fn lengths_types_and_order() {
        assert_eq!(
            run(Some(json!([1, 2, 3])), p(Condition::MaxLen(2))),
            ["expected a length of at most 2, got 3: [1,2,3]"]
        );
        assert_eq!(
            run(Some(json!([])), p(Condition::MinLen(1))),
            ["expected a length of at least 1, got 0: []"]
        );
        assert_eq!(
            run(Some(json!("ab")), p(Condition::Len(3))),
            [r#"expected a length of exactly 3, got 2: "ab""#]
        );
        assert_eq!(
            run(Some(json!(true)), p(Condition::Len(3))),
            ["expected something with a length, got true"]
        );
        assert_eq!(
            run(Some(json!("1")), p(Condition::Type(JsonType::Integer))),
            [r#"expected a JSON integer, got a string: "1""#]
        );
        assert!(run(Some(json!(1)), p(Condition::Type(JsonType::Number))).is_empty());
        assert_eq!(
            run(Some(json!(1)), p(Condition::Gt(t(json!(1))))),
            ["expected 1 > 1"]
        );
        assert!(run(
            Some(json!("2026-01-02T00:00:00Z")),
            p(Condition::Ge(t(json!("2026-01-01T00:00:00Z"))))
        )
        .is_empty());
        assert_eq!(
            run(Some(json!("a")), p(Condition::Lt(t(json!(1))))),
            [r#"cannot order "a" against 1"#]
        );
    }

    #[test]
    fn schema_and_each() {
        let msgs = run(Some(json!({"id": 1})), p(Condition::Schema("thing".into())));
        assert_eq!(
            msgs,
            ["does not validate against schema `thing`: 1 error(s)"]
        );
        let each = p(Condition::Each(Box::new(p(Condition::Type(
            JsonType::String,
        )))));
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
            body: Some(plan::At::new(
                HERE,
                t(json!({"status": "queued", "tags": []})),
            )),
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
        let f = checker.check(&expect, &subject);
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
            status: Some(plan::At::new(HERE, vec![200, 204])),
            headers: vec![("location".into(), p(Condition::Present))],
            schema: Some(plan::At::new(HERE, "thing".into())),
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
            .check(&expect, &subject)
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
    fn a_finding_is_placed_at_the_condition_that_made_it() {
        let env = Env::new("r", "a::b");
        let schemas = schemas();
        let checker = Checker {
            env: &env,
            schemas: &schemas,
        };
        let at = |line, column| Pos { line, column };
        let inner = plan::Predicate {
            pos: at(4, 20),
            conditions: vec![plan::At::new(at(4, 27), Condition::Type(JsonType::String))],
        };
        let pred = plan::Predicate {
            pos: at(4, 5),
            conditions: vec![
                plan::At::new(at(4, 9), Condition::MaxLen(1)),
                plan::At::new(at(4, 20), Condition::Each(Box::new(inner))),
            ],
        };
        let mut out = Vec::new();
        checker.predicate("body.tags", Some(&json!(["a", 2])), &pred, &mut out);
        let placed: Vec<(Option<Pos>, Check)> = out.iter().map(|f| (f.at, f.check)).collect();
        // The nested condition keeps its own place, not the `each` that holds it.
        assert_eq!(
            placed,
            [
                (Some(at(4, 9)), Check::MaxLen),
                (Some(at(4, 27)), Check::Type)
            ]
        );
        // An absent value fails once, at the first condition; `exists: false` at itself.
        let mut out = Vec::new();
        checker.predicate("body.x", None, &pred, &mut out);
        assert_eq!((out.len(), out[0].at), (1, Some(at(4, 9))));
        let mut out = Vec::new();
        checker.predicate("body.x", Some(&json!(1)), &p(Condition::Absent), &mut out);
        assert_eq!(out[0].at, Some(HERE));
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
