//! The case-file data model, exactly as written in `cases/*.yaml`.
//!
//! Everything here is plain data with `deny_unknown_fields`, so a typo in a case file is an error
//! that names the field rather than a silently ignored key. Semantic checks (paths, regexes,
//! variables, schema names) happen in [`super::load`], which also turns these into a plan.

use crate::yaml::Spanned;
use indexmap::IndexMap;
use serde::{de, Deserialize, Deserializer};
use serde_json::Value;

/// One case file: one API area.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Short area id used as the first part of every case name (`tags`, `images.create`).
    pub area: Spanned<String>,
    /// Human title of the area.
    pub title: String,
    /// The document this area follows by default; a case may name another.
    pub document: String,
    /// What every case of the file has unless it says otherwise.
    #[serde(default)]
    pub defaults: Defaults,
    pub cases: Spanned<Vec<Spanned<CaseDef>>>,
}

/// File-level values of case fields; a case that gives the field replaces the default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// `since` of every case that has none.
    #[serde(default)]
    pub since: Option<Spanned<String>>,
    /// `requires` of every case that has none (a case's own list replaces it whole).
    #[serde(default)]
    pub requires: Option<Spanned<Vec<Spanned<String>>>>,
}

/// One behaviour and the steps that prove it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDef {
    /// Stable name, unique within the area (`put-is-idempotent`).
    pub name: Spanned<String>,
    /// The behaviour, in one sentence.
    pub proves: Spanned<String>,
    /// Behaviour ids from the catalogue (`B130`).
    #[serde(default)]
    pub behaviours: Vec<String>,
    /// Where the behaviour is documented.
    pub spec: SpecRef,
    /// Lowest Images API version that has the behaviour (`"2.5"`); absent, the file's default;
    /// `~`, none even where the file has a default (`Some(None)`).
    #[serde(default, deserialize_with = "given")]
    pub since: Option<Option<Spanned<String>>>,
    /// Optional features the case needs (`import:glance-direct`, `multistore`); without them it is
    /// skipped with that reason.
    #[serde(default)]
    pub requires: Option<Spanned<Vec<Spanned<String>>>>,
    /// Variables evaluated once, in order, when the case starts.
    #[serde(default)]
    pub vars: IndexMap<String, Spanned<Value>>,
    pub steps: Spanned<Vec<Spanned<StepDef>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecRef {
    /// Document key; defaults to the file's `document`.
    #[serde(default)]
    pub document: Option<String>,
    pub section: String,
}

/// A request with its expectations, or (without `request`) checks on variables only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    /// What the step does, for failure messages.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub request: Option<Spanned<RequestDef>>,
    /// Who sends the request: `owner` (the default when personas exist), `other`, `third`, `admin`.
    #[serde(default, rename = "as")]
    pub as_: Option<Spanned<String>>,
    #[serde(default)]
    pub expect: Spanned<ExpectDef>,
    /// Variables set from the response: name → path (`body.id`).
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<String>>,
    /// Lists extended from each response: name → path (`body.images[*].id`).
    #[serde(default)]
    pub collect: IndexMap<String, Spanned<String>>,
    /// Path of a link to follow with GET while present (pagination); every page meets `expect`.
    #[serde(default)]
    pub follow: Option<Spanned<String>>,
    /// Send the request this many times at once (2–64) to prove behaviour under concurrency;
    /// every response must meet `expect`, and `collect` gathers from all of them.
    #[serde(default)]
    pub parallel: Option<Spanned<u32>>,
    /// Repeat the request until `expect` holds, for state that a documented asynchronous call
    /// reaches later (an import). Only a response with an expected status is retried; any other
    /// status fails at once, so a server error is never retried away.
    #[serde(default)]
    pub poll: Option<Spanned<PollDef>>,
    /// Upper bound on pages when following links.
    #[serde(default)]
    pub max_pages: Option<Spanned<u32>>,
    /// A timestamp the target showed (`"{{updated_at}}"`): before its request, the step waits
    /// one unit of the precision that timestamp is shown in (1 s for whole seconds), so that a
    /// change the step makes must show a later time.
    #[serde(default)]
    pub wait_past: Option<Spanned<String>>,
    /// Another client's requests, sent while this step runs (from its first request to its
    /// last page): a step with `request`, `as`, `expect`, `collect` and `repeat`. Its copies go
    /// out one after another (`{{$copy}}` numbers them); every response must meet its `expect`.
    #[serde(default)]
    pub alongside: Option<Spanned<Box<StepDef>>>,
    /// In an `alongside` step: how many copies of the request to send (1–64, default 1).
    #[serde(default)]
    pub repeat: Option<Spanned<u32>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDef {
    pub method: Spanned<String>,
    /// Path (and query) relative to the endpoint, templated.
    pub path: Spanned<String>,
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<String>>,
    /// JSON body (templated); `Content-Type: application/json` unless a header says otherwise.
    #[serde(default)]
    pub json: Option<Spanned<Value>>,
    /// A JSON Patch (a list of operations, templated), sent with the Images API's json-patch
    /// media type as `Content-Type`.
    #[serde(default)]
    pub patch: Option<Spanned<Value>>,
    /// Raw text body, sent as is (templated).
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// A body of pseudo-random bytes made while sending (image data of any size, never held in
    /// memory whole); `sent.md5`, `sent.sha512` and `sent.size` describe it afterwards.
    #[serde(default)]
    pub generate: Option<GenerateDef>,
    /// A small disk image of a real format, made by the harness (for format inspection):
    /// `{format: qcow2, virtual_size: 1048576}`.
    #[serde(default)]
    pub disk_image: Option<Spanned<DiskImageDef>>,
    /// Read the response as a stream: hash and count all of it (`received.*`), keep only its
    /// beginning, whatever its size.
    #[serde(default)]
    pub stream: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollDef {
    /// How many times to ask at most.
    pub attempts: u32,
    /// Pause between attempts.
    pub interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskImageDef {
    /// The format; `qcow2` (an empty disk as `qemu-img create -f qcow2` makes it).
    pub format: DiskFormat,
    /// The disk size the image's header states, in bytes.
    pub virtual_size: Spanned<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskFormat {
    Qcow2,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateDef {
    /// How many bytes.
    pub bytes: u64,
    /// Generator seed: the same seed gives the same bytes.
    #[serde(default)]
    pub seed: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDef {
    #[serde(default)]
    pub status: Option<Spanned<StatusDef>>,
    /// Header name (case-insensitive) → predicate on its value.
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<PredicateDef>>,
    /// The body validates against `fixtures/schemas/<name>.json`.
    #[serde(default)]
    pub schema: Option<Spanned<String>>,
    /// The body contains this JSON (objects compared as subsets, arrays element by element).
    #[serde(default)]
    pub body: Option<Spanned<Value>>,
    /// The body equals this JSON exactly.
    #[serde(default)]
    pub body_exact: Option<Spanned<Value>>,
    /// Checks on values in the response or variables; each names its `at` path.
    #[serde(default)]
    pub checks: Vec<Spanned<PredicateDef>>,
}

/// One expected status code or a set of allowed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDef(pub Vec<u16>);

impl<'de> Deserialize<'de> for StatusDef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = StatusDef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an HTTP status code (100-599) or a list of them")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusDef, E> {
                code(v).map(|c| StatusDef(vec![c]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusDef, E> {
                self.visit_u64(u64::try_from(v).map_err(|_| E::custom("negative status code"))?)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<StatusDef, A::Error> {
                let mut codes = Vec::new();
                while let Some(v) = seq.next_element::<u64>()? {
                    codes.push(code(v)?);
                }
                if codes.is_empty() {
                    return Err(de::Error::custom("empty list of status codes"));
                }
                Ok(StatusDef(codes))
            }
        }
        fn code<E: de::Error>(v: u64) -> Result<u16, E> {
            match u16::try_from(v) {
                Ok(c) if (100..=599).contains(&c) => Ok(c),
                _ => Err(E::custom(format!("{v} is not an HTTP status code"))),
            }
        }
        d.deserialize_any(V)
    }
}

/// A field that may be given as null: absent is `None`, `~` is `Some(None)`.
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Conditions on one JSON value, each with where it is written; every one must hold.
#[derive(Debug, Clone, Default)]
pub struct PredicateDef {
    /// Where the value is: `body…`, `headers.<name>`, `status` or `vars.<name>…`. Required in
    /// `checks`, not allowed in `headers` or `each` (there the value is implied).
    pub at: Option<Spanned<String>>,
    /// In the order written.
    pub conditions: Vec<Spanned<ConditionDef>>,
}

/// One condition as written: its key names the kind, its value the argument.
#[derive(Debug, Clone)]
pub enum ConditionDef {
    /// Present (`true`) or absent (`false`).
    Exists(bool),
    Equals(Value),
    NotEquals(Value),
    OneOf(Vec<Spanned<Value>>),
    /// Object subset / element-wise array match, as `expect.body`.
    Subset(Value),
    /// A string matching this regular expression.
    Regex(String),
    StartsWith(String),
    EndsWith(String),
    /// Array has this element, or string has this substring (object: this key).
    Contains(Value),
    NotContains(Value),
    /// Array has this element exactly once.
    ContainsOnce(Value),
    /// Array has every element of this list (usually a collected variable) exactly once.
    ContainsEachOnce(Value),
    /// Array has these elements, in any order, and no others (duplicates ignored).
    SetEquals(Vec<Spanned<Value>>),
    /// Array has no duplicate elements (`unique: true`).
    Unique(bool),
    /// Length of an array, string or object.
    Len(usize),
    MinLen(usize),
    MaxLen(usize),
    /// JSON type name: null, boolean, integer, number, string, array, object.
    Type(String),
    /// Ordering against a number or string (timestamps of one format compare as strings).
    Gt(Value),
    Ge(Value),
    Lt(Value),
    Le(Value),
    /// Validates against `fixtures/schemas/<name>.json`.
    Schema(String),
    /// Validates against a schema document given as a value, usually one the target served
    /// (`"{{served}}"`): is the target consistent with its own published schema?
    ValidAgainst(Value),
    /// Applies to every element of an array.
    Each(Box<PredicateDef>),
}

/// The keys a check may have: `at` and one per condition.
pub const CHECK_KEYS: &[&str] = &[
    "at",
    "exists",
    "equals",
    "not_equals",
    "one_of",
    "subset",
    "regex",
    "starts_with",
    "ends_with",
    "contains",
    "not_contains",
    "contains_once",
    "contains_each_once",
    "set_equals",
    "unique",
    "len",
    "min_len",
    "max_len",
    "type",
    "gt",
    "ge",
    "lt",
    "le",
    "schema",
    "valid_against",
    "each",
];

/// A check's key, read as an identifier so that a misspelt one is reported at the key.
struct CheckKey(&'static str);

impl<'de> Deserialize<'de> for CheckKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = CheckKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a condition name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CheckKey, E> {
                CHECK_KEYS
                    .iter()
                    .find(|k| **k == v)
                    .map(|k| CheckKey(k))
                    .ok_or_else(|| E::unknown_field(v, CHECK_KEYS))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for PredicateDef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = PredicateDef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of conditions (`{at: body.name, equals: x}`)")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<PredicateDef, A::Error> {
                let mut out = PredicateDef::default();
                while let Some(CheckKey(key)) = m.next_key()? {
                    if key == "at" {
                        out.at = Some(m.next_value()?);
                    } else {
                        out.conditions.push(condition(key, &mut m)?);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// The value of condition `key`, read as the type that condition takes.
fn condition<'de, A: de::MapAccess<'de>>(
    key: &str,
    m: &mut A,
) -> Result<Spanned<ConditionDef>, A::Error> {
    use ConditionDef as C;
    /// The value as the type `make` takes, kept with its place.
    fn read<'de, A: de::MapAccess<'de>, T: Deserialize<'de>>(
        m: &mut A,
        make: impl FnOnce(T) -> ConditionDef,
    ) -> Result<Spanned<ConditionDef>, A::Error> {
        Ok(m.next_value::<Spanned<T>>()?.map(make))
    }
    match key {
        "exists" => read(m, C::Exists),
        "unique" => read(m, C::Unique),
        "equals" => read(m, C::Equals),
        "not_equals" => read(m, C::NotEquals),
        "subset" => read(m, C::Subset),
        "contains" => read(m, C::Contains),
        "not_contains" => read(m, C::NotContains),
        "contains_once" => read(m, C::ContainsOnce),
        "contains_each_once" => read(m, C::ContainsEachOnce),
        "gt" => read(m, C::Gt),
        "ge" => read(m, C::Ge),
        "lt" => read(m, C::Lt),
        "le" => read(m, C::Le),
        "valid_against" => read(m, C::ValidAgainst),
        "regex" => read(m, C::Regex),
        "starts_with" => read(m, C::StartsWith),
        "ends_with" => read(m, C::EndsWith),
        "type" => read(m, C::Type),
        "schema" => read(m, C::Schema),
        "len" => read(m, C::Len),
        "min_len" => read(m, C::MinLen),
        "max_len" => read(m, C::MaxLen),
        "one_of" => read(m, C::OneOf),
        "set_equals" => read(m, C::SetEquals),
        "each" => read(m, |p| C::Each(Box::new(p))),
        other => Err(de::Error::custom(format!("`{other}` has no reader"))),
    }
}

#[cfg(test)]
mod tests {
    use super::{PredicateDef, CHECK_KEYS};

    #[test]
    fn every_condition_key_has_a_reader() {
        for key in &CHECK_KEYS[1..] {
            let value = match *key {
                "exists" | "unique" => "true",
                "len" | "min_len" | "max_len" => "1",
                "one_of" | "set_equals" => "[1]",
                "each" => "{exists: true}",
                _ => "x",
            };
            let text = format!("{{at: body, {key}: {value}}}");
            let p: PredicateDef =
                crate::yaml::from_str(&text).unwrap_or_else(|e| panic!("`{key}`: {e}"));
            assert_eq!(p.conditions.len(), 1, "{key}");
            // Read as its own condition: `not_equals` is `NotEquals(…)`, not another kind.
            let variant: String = key
                .split('_')
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            let read = format!("{:?}", p.conditions[0].value);
            assert!(
                read.starts_with(&format!("{variant}(")),
                "`{key}` read as {read}"
            );
        }
        let e = crate::yaml::from_str::<PredicateDef>("{at: body, eqals: 1}").unwrap_err();
        assert!(e.message.starts_with("unknown field `eqals`"), "{e}");
    }
}
