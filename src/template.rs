//! `{{name}}` substitution in case files.
//!
//! Templates are parsed once at load time so that unknown variables are caught before any request
//! is sent. A string that is exactly one `{{name}}` takes the variable's JSON value as is (so a
//! captured list or number keeps its type); anywhere else the value is spliced in as text.
//! `{{$repeat(TEXT, N)}}` is text written out when the template is parsed (a 255-character tag
//! without typing it), so it is a literal by the time anything runs.

use crate::persona::{Persona, Personas};
use indexmap::IndexMap;
use serde_json::Value;

/// Values the harness provides; their names start with `$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// A fresh random UUID at each use.
    Uuid,
    /// The run id, shared by every case of one run.
    RunId,
    /// `imgconf-<run id>`: the prefix of every name the run gives a resource.
    Prefix,
    /// `imgconf-<run id>-<case>`: a name unique to this case in this run.
    Name,
    /// The project id of a persona (`$project_other`); the case needs that persona.
    Project(Persona),
    /// In a `parallel` step, the copy's number (0, 1, …).
    Copy,
    /// A URL the target can fetch for web-download (see `websource`).
    WebDownloadUrl,
    /// The hex SHA-512 of what `$web_download_url` serves.
    WebDownloadSha512,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 11] = [
        ("$web_download_url", Builtin::WebDownloadUrl),
        ("$web_download_sha512", Builtin::WebDownloadSha512),
        ("$copy", Builtin::Copy),
        ("$uuid", Builtin::Uuid),
        ("$run_id", Builtin::RunId),
        ("$prefix", Builtin::Prefix),
        ("$name", Builtin::Name),
        ("$project_owner", Builtin::Project(Persona::Owner)),
        ("$project_other", Builtin::Project(Persona::Other)),
        ("$project_third", Builtin::Project(Persona::Third)),
        ("$project_admin", Builtin::Project(Persona::Admin)),
    ];
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var(String),
    Builtin(Builtin),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                push_text(&mut parts, &rest[..open]);
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` without `}}}}` in {text:?}"))?;
            let name = after[..close].trim();
            if let Some(args) = name
                .strip_prefix("$repeat(")
                .and_then(|a| a.strip_suffix(')'))
            {
                push_text(&mut parts, &repeat(args)?);
            } else if let Some(b) = name.strip_prefix('$') {
                let builtin = Builtin::ALL
                    .iter()
                    .find(|(n, _)| &n[1..] == b)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| {
                        let known: Vec<_> = Builtin::ALL.iter().map(|(n, _)| *n).collect();
                        format!(
                            "unknown built-in `{name}` (known: {}, $repeat(TEXT, N))",
                            known.join(", ")
                        )
                    })?;
                parts.push(Part::Builtin(builtin));
            } else if is_identifier(name) {
                parts.push(Part::Var(name.to_string()));
            } else {
                return Err(format!("`{{{{{name}}}}}` is not a variable name"));
            }
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            push_text(&mut parts, rest);
        }
        Ok(Template { parts })
    }

    /// The text of a template with no variables or built-ins left once parsed (a `$repeat` is
    /// expanded when parsed), which is a literal string.
    pub fn as_literal(&self) -> Option<String> {
        match self.parts.as_slice() {
            [] => Some(String::new()),
            [Part::Text(t)] => Some(t.clone()),
            _ => None,
        }
    }

    /// The template with every variable and built-in shown as `{}`: its shape, for telling
    /// which API call a path names.
    pub fn shape(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                _ => "{}",
            })
            .collect()
    }

    /// Personas whose project ids this template uses.
    pub fn personas(&self) -> impl Iterator<Item = Persona> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Builtin(Builtin::Project(persona)) => Some(*persona),
            _ => None,
        })
    }

    /// Names of the case variables this template reads.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }

    pub fn render(&self, env: &Env) -> Result<Value, String> {
        if let [single] = self.parts.as_slice() {
            if !matches!(single, Part::Text(_)) {
                return env.lookup(single);
            }
        }
        Ok(Value::String(self.render_string(env)?))
    }

    pub fn render_string(&self, env: &Env) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match env.lookup(part)? {
                Value::String(s) => out.push_str(&s),
                other => out.push_str(&other.to_string()),
            }
        }
        Ok(out)
    }
}

/// Longest text `$repeat` makes: a tag or name limit is 255, a property value's 65535.
pub const MAX_REPEAT: usize = 65_536;

/// Appends text, joined with text just before it: a template's text is one part however it
/// was written.
fn push_text(parts: &mut Vec<Part>, text: &str) {
    match parts.last_mut() {
        Some(Part::Text(t)) => t.push_str(text),
        _ => parts.push(Part::Text(text.to_string())),
    }
}

/// `$repeat(TEXT, N)`: TEXT (everything before the last comma, trimmed) written N times.
fn repeat(args: &str) -> Result<String, String> {
    let usage =
        || format!("`$repeat({args})`: write `$repeat(TEXT, N)` with N from 1 to {MAX_REPEAT}");
    let (text, count) = args.rsplit_once(',').ok_or_else(usage)?;
    let text = text.trim();
    let count: usize = count.trim().parse().map_err(|_| usage())?;
    if text.is_empty() || !(1..=MAX_REPEAT).contains(&count) || text.len() * count > MAX_REPEAT {
        return Err(usage());
    }
    Ok(text.repeat(count))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// A JSON document whose strings may hold templates (object keys stay literal).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    Literal(Value),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn parse(value: &Value) -> Result<JsonTemplate, String> {
        Ok(match value {
            Value::String(s) if s.contains("{{") => {
                let t = Template::parse(s)?;
                match t.as_literal() {
                    Some(text) => JsonTemplate::Literal(Value::String(text)),
                    None => JsonTemplate::String(t),
                }
            }
            Value::Array(items) => {
                JsonTemplate::Array(items.iter().map(Self::parse).collect::<Result<_, _>>()?)
            }
            Value::Object(map) => JsonTemplate::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::parse(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => JsonTemplate::Literal(other.clone()),
        })
    }

    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk_strings(&mut |t| out.extend(t.variables()));
        out
    }

    pub fn personas(&self) -> Vec<Persona> {
        let mut out = Vec::new();
        self.walk_strings(&mut |t| out.extend(t.personas()));
        out
    }

    fn walk_strings<'a>(&'a self, f: &mut impl FnMut(&'a Template)) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::String(t) => f(t),
            JsonTemplate::Array(items) => items.iter().for_each(|i| i.walk_strings(f)),
            JsonTemplate::Object(fields) => fields.iter().for_each(|(_, v)| v.walk_strings(f)),
        }
    }

    pub fn render(&self, env: &Env) -> Result<Value, String> {
        Ok(match self {
            JsonTemplate::Literal(v) => v.clone(),
            JsonTemplate::String(t) => t.render(env)?,
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.render(env))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(env)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// The variables of one running case.
#[derive(Debug, Clone)]
pub struct Env {
    pub run_id: String,
    /// The case's full name, made safe for resource names.
    pub case_slug: String,
    pub vars: IndexMap<String, Value>,
    /// The run's personas, when the target has identities.
    pub personas: Option<Personas>,
    /// The copy being rendered in a `parallel` step.
    pub copy: Option<u32>,
    /// The run's web-download source, if it has one.
    pub web_source: Option<crate::websource::WebSource>,
}

impl Env {
    pub fn new(run_id: &str, case_name: &str) -> Env {
        let case_slug = case_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Env {
            run_id: run_id.to_string(),
            case_slug,
            vars: IndexMap::new(),
            personas: None,
            copy: None,
            web_source: None,
        }
    }

    pub fn prefix(&self) -> String {
        format!("imgconf-{}", self.run_id)
    }

    fn web_source(&self) -> Result<&crate::websource::WebSource, String> {
        self.web_source.as_ref().ok_or_else(|| {
            format!(
                "the run has no web-download source (a case using it requires `{}`)",
                crate::websource::FEATURE
            )
        })
    }

    fn lookup(&self, part: &Part) -> Result<Value, String> {
        Ok(match part {
            Part::Text(t) => Value::String(t.clone()),
            Part::Var(name) => self.vars.get(name).cloned().ok_or_else(|| {
                format!("variable `{name}` has no value (was its capture absent?)")
            })?,
            Part::Builtin(Builtin::Uuid) => Value::String(uuid::Uuid::new_v4().to_string()),
            Part::Builtin(Builtin::RunId) => Value::String(self.run_id.clone()),
            Part::Builtin(Builtin::Prefix) => Value::String(self.prefix()),
            Part::Builtin(Builtin::Name) => {
                Value::String(format!("{}-{}", self.prefix(), self.case_slug))
            }
            Part::Builtin(Builtin::Copy) => {
                Value::from(self.copy.ok_or(
                    "`$copy` numbers the copies of a `parallel` step; this step is not one",
                )?)
            }
            Part::Builtin(Builtin::WebDownloadUrl) => Value::String(self.web_source()?.url.clone()),
            Part::Builtin(Builtin::WebDownloadSha512) => {
                Value::String(self.web_source()?.sha512.clone())
            }
            Part::Builtin(Builtin::Project(p)) => Value::String(
                self.personas
                    .as_ref()
                    .and_then(|ps| ps.project(*p))
                    .ok_or_else(|| format!("persona `{}` is not configured", p.name()))?
                    .to_string(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Env {
        let mut e = Env::new("r1", "tags::put-is-idempotent");
        e.vars.insert("id".into(), json!("abc"));
        e.vars.insert("n".into(), json!(3));
        e.vars.insert("list".into(), json!(["a", "b"]));
        e
    }

    #[test]
    fn whole_string_keeps_the_json_type() {
        assert_eq!(
            Template::parse("{{n}}").unwrap().render(&env()).unwrap(),
            json!(3)
        );
        assert_eq!(
            Template::parse("{{ list }}")
                .unwrap()
                .render(&env())
                .unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(
            Template::parse("/v2/images/{{id}}?limit={{n}}")
                .unwrap()
                .render(&env())
                .unwrap(),
            json!("/v2/images/abc?limit=3")
        );
    }

    #[test]
    fn builtins() {
        let e = env();
        assert_eq!(
            Template::parse("{{$name}}")
                .unwrap()
                .render_string(&e)
                .unwrap(),
            "imgconf-r1-tags-put-is-idempotent"
        );
        let a = Template::parse("{{$uuid}}")
            .unwrap()
            .render_string(&e)
            .unwrap();
        let b = Template::parse("{{$uuid}}")
            .unwrap()
            .render_string(&e)
            .unwrap();
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert!(Template::parse("{{id").unwrap_err().contains("without"));
        assert!(Template::parse("{{$nope}}")
            .unwrap_err()
            .contains("unknown built-in"));
        assert!(Template::parse("{{a b}}")
            .unwrap_err()
            .contains("not a variable name"));
    }

    #[test]
    fn repeat_writes_its_text_n_times_when_parsed() {
        let t = Template::parse("/v2/images/{{id}}/tags/{{$repeat(t, 3)}}x").unwrap();
        assert_eq!(t, Template::parse("/v2/images/{{id}}/tags/tttx").unwrap());
        let j = JsonTemplate::parse(&json!("{{ $repeat(ab, 2) }}")).unwrap();
        assert_eq!(j, JsonTemplate::Literal(json!("abab")));
        assert_eq!(
            Template::parse("{{$repeat(t, 255)}}")
                .unwrap()
                .render(&env())
                .unwrap(),
            json!("t".repeat(255))
        );
        for bad in [
            "{{$repeat(t)}}",
            "{{$repeat(t, 0)}}",
            "{{$repeat(t, x)}}",
            "{{$repeat(, 2)}}",
            "{{$repeat(tt, 40000)}}",
        ] {
            let e = Template::parse(bad).unwrap_err();
            assert!(
                e.contains("write `$repeat(TEXT, N)` with N from 1 to 65536"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn missing_value_is_a_render_error() {
        let err = Template::parse("{{gone}}")
            .unwrap()
            .render(&env())
            .unwrap_err();
        assert!(err.contains("`gone` has no value"), "{err}");
    }

    #[test]
    fn json_templates_render_nested_values_and_list_variables() {
        let t = JsonTemplate::parse(&json!({"id": "{{id}}", "tags": ["x", "{{id}}-y"], "n": 1}))
            .unwrap();
        assert_eq!(t.variables(), vec!["id", "id"]);
        assert_eq!(
            t.render(&env()).unwrap(),
            json!({"id": "abc", "tags": ["x", "abc-y"], "n": 1})
        );
    }
}
