//! Step templates and step counts, expanded in the YAML tree before a case file is read.
//!
//! A step `{use: create-image, with: {visibility: shared}}` is replaced by the steps of the
//! template `create-image` (`cases/templates/steps.yaml`) with its parameters filled in, and a step
//! with `times: 5` by five copies of itself. Everything after this (the typed model, the checks
//! of `load`, the plan, the runner, the reports) sees only ordinary steps. The nodes a template
//! adds take the position of the step that uses it, and a parameter's value keeps its own, so
//! a problem found later points at the line the case's author wrote.
//!
//! In a template's steps, a scalar that is exactly `${param}` is replaced by the parameter's
//! value (any YAML value; a mapping entry or list item whose value is a parameter left null is
//! left out), `${param}` inside other text is replaced by the value's text, and the entry
//! `<<: ${param}` merges a mapping parameter into the mapping it is in.

use super::load::LoadError;
use crate::yaml::{self, Kind, Node};
use indexmap::IndexMap;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Where the built-in templates are, as messages name the file.
pub const TEMPLATES_FILE: &str = "cases/templates/steps.yaml";

/// Copies a step may ask for with `times`.
pub const TIMES: std::ops::RangeInclusive<u64> = 2..=64;

/// The keys a step that uses a template may have besides the template's parameters.
const USE_KEYS: [&str; 3] = ["use", "with", "times"];

/// The template file as written; only its shape is read through serde, the steps stay nodes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    templates: IndexMap<String, TemplateDef>,
}

/// Read for its shape only (`about` must be there, no key is unknown); the steps stay nodes.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateDef {
    /// What the template does, in one sentence.
    about: String,
    #[serde(default)]
    params: IndexMap<String, ParamDef>,
    /// The parameter (a mapping) that takes every `with` key not declared as a parameter.
    #[serde(default)]
    rest: Option<String>,
    steps: Vec<IgnoredAny>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamDef {
    about: String,
    /// Without it the parameter is required; `default: ~` makes it optional and absent.
    #[serde(default)]
    default: Option<IgnoredAny>,
}

/// One template, ready to expand.
#[derive(Debug)]
pub struct Template {
    pub name: String,
    /// Parameters in declared order, with their defaults (`None`: required).
    params: Vec<(String, Option<Node<'static>>)>,
    rest: Option<String>,
    /// Parameters spliced into text, which must be scalars.
    in_text: BTreeSet<String>,
    /// Parameters merged with `<<`, which must be mappings.
    merged: BTreeSet<String>,
    steps: Vec<Node<'static>>,
}

#[derive(Debug)]
pub struct Templates {
    list: Vec<Template>,
}

impl Templates {
    /// The built-in templates, read and checked once.
    pub fn builtin() -> Result<&'static Templates, &'static [LoadError]> {
        static BUILTIN: OnceLock<Result<Templates, Vec<LoadError>>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let text = crate::source::builtin_text(TEMPLATES_FILE).unwrap_or("templates: {}");
                Templates::parse(TEMPLATES_FILE, text)
            })
            .as_ref()
            .map_err(Vec::as_slice)
    }

    /// Reads a template file; `text` lives as long as the templates (the built-in one always).
    pub fn parse(file: &str, text: &'static str) -> Result<Templates, Vec<LoadError>> {
        let source = crate::source::SourceFile::new(file, text.to_string());
        let tree = yaml::parse(text).map_err(|e| vec![LoadError::from_yaml(&source, e)])?;
        let parsed: FileDef =
            yaml::from_node(&tree).map_err(|e| vec![LoadError::from_yaml(&source, e)])?;
        let mut errors = Vec::new();
        let mut error = |field: String, (line, column): (usize, usize), message: String| {
            errors.push(LoadError {
                file: file.to_string(),
                line,
                column,
                field,
                message,
            });
        };
        let entries = entries(get(&tree, "templates").expect("read by serde"));
        let mut list = Vec::new();
        for ((name, def), (key, node)) in parsed.templates.iter().zip(entries) {
            let at = format!("templates.{name}");
            let steps_at = key_pos(node, "steps").unwrap_or(pos(key));
            let params_node = get(node, "params");
            let params: Vec<(String, Option<Node<'static>>)> = def
                .params
                .keys()
                .map(|p| {
                    let default = params_node
                        .and_then(|ps| get(ps, p))
                        .and_then(|d| get(d, "default"))
                        .cloned();
                    (p.clone(), default)
                })
                .collect();
            let steps: Vec<Node<'static>> = match get(node, "steps").map(|s| &s.kind) {
                Some(Kind::Seq(items)) => items.clone(),
                _ => Vec::new(),
            };
            if steps.is_empty() {
                error(
                    format!("{at}.steps"),
                    steps_at,
                    "a template has at least one step".into(),
                );
            }
            let mut uses = Uses::default();
            for s in &steps {
                uses.scan(s);
            }
            for p in uses.all().filter(|p| !def.params.contains_key(*p)) {
                error(
                    format!("{at}.steps"),
                    steps_at,
                    format!("`${{{p}}}` is not a parameter of `{name}`"),
                );
            }
            for p in def.params.keys().filter(|p| !uses.all().any(|u| u == *p)) {
                let here = params_node.and_then(|ps| key_pos(ps, p));
                error(
                    format!("{at}.params.{p}"),
                    here.unwrap_or(pos(key)),
                    format!("parameter `{p}` is not used in the steps"),
                );
            }
            if let Some(r) = &def.rest {
                let default_is_map = params
                    .iter()
                    .find(|(p, _)| p == r)
                    .and_then(|(_, d)| d.as_ref())
                    .is_some_and(|d| matches!(d.kind, Kind::Map(_)));
                if !default_is_map || !uses.merged.contains(r) {
                    error(
                        format!("{at}.rest"),
                        key_pos(node, "rest").unwrap_or(pos(key)),
                        format!("`rest` names a parameter with a mapping `default` that the steps merge with `<<: ${{{r}}}`"),
                    );
                }
            }
            list.push(Template {
                name: name.clone(),
                params,
                rest: def.rest.clone(),
                in_text: uses.in_text,
                merged: uses.merged,
                steps,
            });
        }
        if errors.is_empty() {
            Ok(Templates { list })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, name: &str) -> Option<&Template> {
        self.list.iter().find(|t| t.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|t| t.name.as_str())
    }
}

/// The parameters a template's steps refer to, by how.
#[derive(Default)]
struct Uses {
    whole: BTreeSet<String>,
    in_text: BTreeSet<String>,
    merged: BTreeSet<String>,
}

impl Uses {
    fn scan(&mut self, node: &Node<'_>) {
        match &node.kind {
            Kind::Scalar { text, .. } => match whole_ref(text) {
                Some(p) => {
                    self.whole.insert(p.to_string());
                }
                None => self.in_text.extend(text_refs(text).map(String::from)),
            },
            Kind::Seq(items) => items.iter().for_each(|i| self.scan(i)),
            Kind::Map(entries) => {
                for (k, v) in entries {
                    if let Some(p) = merge_ref(k, v) {
                        self.merged.insert(p.to_string());
                    } else {
                        self.scan(k);
                        self.scan(v);
                    }
                }
            }
        }
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        self.whole
            .iter()
            .chain(&self.in_text)
            .chain(&self.merged)
            .map(String::as_str)
    }
}

/// `p` when `text` is exactly `${p}`.
fn whole_ref(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    (!inner.contains(['{', '}'])).then_some(inner)
}

/// Every `${p}` in `text`.
fn text_refs(text: &str) -> impl Iterator<Item = &str> {
    text.split("${")
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(p, _)| p))
}

/// `p` for the mapping entry `<<: ${p}`.
fn merge_ref<'a>(k: &Node<'_>, v: &'a Node<'_>) -> Option<&'a str> {
    (scalar(k)? == "<<").then_some(())?;
    whole_ref(scalar(v)?)
}

fn scalar<'a>(node: &'a Node<'_>) -> Option<&'a str> {
    match &node.kind {
        Kind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn is_null(node: &Node<'_>) -> bool {
    matches!(&node.kind, Kind::Scalar { text, plain: true } if matches!(&**text, "" | "~" | "null" | "Null" | "NULL"))
}

fn entries<'a, 't>(node: &'a Node<'t>) -> &'a [(Node<'t>, Node<'t>)] {
    match &node.kind {
        Kind::Map(e) => e,
        _ => &[],
    }
}

/// Where `node` is written.
fn pos(node: &Node<'_>) -> (usize, usize) {
    (node.line, node.column)
}

/// Where the key `key` of the mapping `node` is written: a field's problems are shown there.
fn key_pos(node: &Node<'_>, key: &str) -> Option<(usize, usize)> {
    entries(node)
        .iter()
        .find(|(k, _)| scalar(k) == Some(key))
        .map(|(k, _)| pos(k))
}

fn get<'a, 't>(node: &'a Node<'t>, key: &str) -> Option<&'a Node<'t>> {
    entries(node)
        .iter()
        .find(|(k, _)| scalar(k) == Some(key))
        .map(|(_, v)| v)
}

/// `node` with every position set to `at` (a template's nodes, placed where they are used).
fn placed<'t>(node: &Node<'static>, at: (usize, usize)) -> Node<'t> {
    let kind = match &node.kind {
        Kind::Scalar { text, plain } => Kind::Scalar {
            text: text.clone(),
            plain: *plain,
        },
        Kind::Seq(items) => Kind::Seq(items.iter().map(|i| placed(i, at)).collect()),
        Kind::Map(e) => Kind::Map(
            e.iter()
                .map(|(k, v)| (placed(k, at), placed(v, at)))
                .collect(),
        ),
    };
    Node {
        kind,
        line: at.0,
        column: at.1,
    }
}

/// Where a template is used: the step's field, its position, and its `with` (whose key, or
/// the `use` key without one, is where a missing parameter is reported).
struct Site<'a, 't> {
    at: &'a str,
    here: (usize, usize),
    with: Option<&'a Node<'t>>,
    with_at: (usize, usize),
}

impl Site<'_, '_> {
    /// Where parameter `p` is given in `with`, else where `with` (or `use`) is.
    fn given(&self, p: &str) -> (usize, usize) {
        self.with
            .and_then(|w| key_pos(w, p))
            .unwrap_or(self.with_at)
    }
}

/// A case file's tree with every `use` and `times` step expanded; the tree itself when it has
/// none. Problems are located in the file as written.
pub fn expand<'t>(
    file: &str,
    tree: &Node<'t>,
    templates: &Templates,
) -> Result<Option<Node<'t>>, Vec<LoadError>> {
    let mut x = Expander {
        file,
        templates,
        errors: Vec::new(),
    };
    let Some(Kind::Seq(cases)) = get(tree, "cases").map(|c| &c.kind) else {
        return Ok(None);
    };
    let wanted = cases.iter().any(|c| {
        matches!(get(c, "steps").map(|s| &s.kind), Some(Kind::Seq(steps))
            if steps.iter().any(|s| get(s, "use").is_some() || get(s, "times").is_some() || get(s, "with").is_some()))
    });
    if !wanted {
        return Ok(None);
    }
    let mut out = tree.clone();
    let Kind::Map(root) = &mut out.kind else {
        return Ok(None);
    };
    for (k, v) in root.iter_mut() {
        if scalar(k) != Some("cases") {
            continue;
        }
        let Kind::Seq(cases) = &mut v.kind else {
            continue;
        };
        for (i, case) in cases.iter_mut().enumerate() {
            let Kind::Map(fields) = &mut case.kind else {
                continue;
            };
            for (k, v) in fields.iter_mut() {
                if scalar(k) != Some("steps") {
                    continue;
                }
                if let Kind::Seq(steps) = &mut v.kind {
                    let written = std::mem::take(steps);
                    for (j, step) in written.into_iter().enumerate() {
                        steps.extend(x.step(step, &format!("cases[{i}].steps[{j}]")));
                    }
                }
            }
        }
    }
    if x.errors.is_empty() {
        Ok(Some(out))
    } else {
        Err(x.errors)
    }
}

struct Expander<'a> {
    file: &'a str,
    templates: &'a Templates,
    errors: Vec<LoadError>,
}

impl<'t> Expander<'_> {
    /// A problem with `field`, written at `(line, column)`.
    fn error(&mut self, field: &str, (line, column): (usize, usize), message: String) {
        self.errors.push(LoadError {
            file: self.file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    /// The steps one written step stands for.
    fn step(&mut self, step: Node<'t>, at: &str) -> Vec<Node<'t>> {
        let times = match get(&step, "times") {
            None => 1,
            Some(n) => match scalar(n).and_then(|t| t.parse::<u64>().ok()) {
                Some(n) if TIMES.contains(&n) => n as usize,
                _ => {
                    self.error(
                        &format!("{at}.times"),
                        key_pos(&step, "times").unwrap_or(pos(&step)),
                        format!(
                            "`times` sends the step {} to {} times in a row",
                            TIMES.start(),
                            TIMES.end()
                        ),
                    );
                    1
                }
            },
        };
        let one = if get(&step, "use").is_some() {
            self.use_(&step, at)
        } else {
            if get(&step, "with").is_some() {
                self.error(
                    &format!("{at}.with"),
                    key_pos(&step, "with").unwrap_or(pos(&step)),
                    "`with` gives a template's parameters; this step has no `use`".into(),
                );
            }
            let mut plain = step;
            if let Kind::Map(e) = &mut plain.kind {
                e.retain(|(k, _)| scalar(k) != Some("times"));
            }
            vec![plain]
        };
        let mut out = Vec::with_capacity(one.len() * times);
        for _ in 0..times {
            out.extend(one.iter().cloned());
        }
        out
    }

    fn use_(&mut self, step: &Node<'t>, at: &str) -> Vec<Node<'t>> {
        for (k, _) in entries(step) {
            let key = scalar(k).unwrap_or("?");
            if !USE_KEYS.contains(&key) {
                self.error(
                    &format!("{at}.{key}"),
                    pos(k),
                    format!("a step that uses a template has only `use`, `with` and `times`; `{key}` goes in `with` if the template takes it"),
                );
            }
        }
        let templates = self.templates;
        let name = get(step, "use").and_then(scalar).unwrap_or("");
        let Some(template) = templates.get(name) else {
            let known: Vec<_> = templates.names().collect();
            self.error(
                &format!("{at}.use"),
                key_pos(step, "use").unwrap_or(pos(step)),
                format!("no template `{name}` (templates: {})", known.join(", ")),
            );
            return Vec::new();
        };
        let here = (step.line, step.column);
        let mut args: Vec<(String, Node<'t>)> = Vec::new();
        let mut rest: Vec<(Node<'t>, Node<'t>)> = Vec::new();
        let with = get(step, "with");
        let site = Site {
            at,
            here,
            with,
            with_at: key_pos(step, if with.is_some() { "with" } else { "use" }).unwrap_or(here),
        };
        let (with_at, given_at) = (site.with_at, |p: &str| site.given(p));
        match with.map(|w| &w.kind) {
            None | Some(Kind::Map(_)) => {}
            Some(_) => self.error(
                &format!("{at}.with"),
                key_pos(step, "with").unwrap_or(pos(step)),
                "`with` is a mapping of parameter names to values".into(),
            ),
        }
        for (k, v) in with.map(entries).unwrap_or_default() {
            let key = scalar(k).unwrap_or("?");
            if template.params.iter().any(|(p, _)| p == key) {
                args.push((key.to_string(), v.clone()));
            } else if template.rest.is_some() {
                rest.push((k.clone(), v.clone()));
            } else {
                let names: Vec<_> = template.params.iter().map(|(p, _)| p.as_str()).collect();
                self.error(
                    &format!("{at}.with.{key}"),
                    pos(k),
                    format!(
                        "template `{name}` has no parameter `{key}` (parameters: {})",
                        names.join(", ")
                    ),
                );
            }
        }
        for (p, default) in &template.params {
            let given = args.iter().position(|(a, _)| a == p);
            if Some(p) == template.rest.as_ref() {
                // Undeclared keys and the parameter itself, given as a mapping, both count.
                let mut merged = match given.map(|i| args.remove(i).1) {
                    Some(Node {
                        kind: Kind::Map(e), ..
                    }) => e,
                    Some(_) => {
                        let field = format!("{at}.with.{p}");
                        self.error(&field, given_at(p), format!("`{p}` is a mapping"));
                        Vec::new()
                    }
                    None => match default.as_ref().map(|d| placed(d, here)) {
                        Some(Node {
                            kind: Kind::Map(e), ..
                        }) => e,
                        _ => Vec::new(),
                    },
                };
                merged.append(&mut rest);
                args.push((
                    p.clone(),
                    Node {
                        kind: Kind::Map(merged),
                        line: here.0,
                        column: here.1,
                    },
                ));
                continue;
            }
            match (given, default) {
                (Some(_), _) => {}
                (None, Some(d)) => args.push((p.clone(), placed(d, here))),
                (None, None) => self.error(
                    &format!("{at}.{}", if with.is_some() { "with" } else { "use" }),
                    with_at,
                    format!("template `{name}` needs the parameter `{p}` (`with: {{{p}: …}}`)"),
                ),
            }
        }
        for (p, v) in &args {
            let field = format!("{at}.with.{p}");
            if template.in_text.contains(p) && !matches!(v.kind, Kind::Scalar { .. }) {
                self.error(
                    &field,
                    given_at(p),
                    format!("`{p}` is written into text, so it is a single value"),
                );
            }
            if template.merged.contains(p) && !matches!(v.kind, Kind::Map(_)) && !is_null(v) {
                self.error(&field, given_at(p), format!("`{p}` is a mapping"));
            }
        }
        let before = self.errors.len();
        let out: Vec<Node<'t>> = template
            .steps
            .iter()
            .filter_map(|s| self.fill(s, &args, &site))
            .collect();
        if self.errors.len() > before {
            return Vec::new();
        }
        out
    }

    /// A template node with the parameters filled in; `None` for a parameter left null.
    fn fill(
        &mut self,
        node: &Node<'static>,
        args: &[(String, Node<'t>)],
        site: &Site<'_, 't>,
    ) -> Option<Node<'t>> {
        let here = site.here;
        let arg = |p: &str| args.iter().find(|(a, _)| a == p).map(|(_, v)| v);
        match &node.kind {
            Kind::Scalar { text, .. } => {
                if let Some(p) = whole_ref(text) {
                    let v = arg(p)?;
                    return (!is_null(v)).then(|| v.clone());
                }
                if !text.contains("${") {
                    return Some(placed(node, here));
                }
                let mut out = String::new();
                let mut rest: &str = text;
                while let Some(open) = rest.find("${") {
                    out.push_str(&rest[..open]);
                    let (p, after) = rest[open + 2..].split_once('}').unwrap_or(("", ""));
                    out.push_str(arg(p).and_then(scalar).unwrap_or(""));
                    rest = after;
                }
                out.push_str(rest);
                Some(Node {
                    kind: Kind::Scalar {
                        text: Cow::Owned(out),
                        plain: false,
                    },
                    line: here.0,
                    column: here.1,
                })
            }
            Kind::Seq(items) => Some(Node {
                kind: Kind::Seq(
                    items
                        .iter()
                        .filter_map(|i| self.fill(i, args, site))
                        .collect(),
                ),
                line: here.0,
                column: here.1,
            }),
            Kind::Map(e) => {
                let mut out: Vec<(Node<'t>, Node<'t>)> = Vec::new();
                for (k, v) in e {
                    let added: Vec<(Node<'t>, Node<'t>)> = match merge_ref(k, v) {
                        Some(p) => arg(p).map(|m| entries(m).to_vec()).unwrap_or_default(),
                        None => {
                            // An entry whose value the case gave is where that value is.
                            let given = scalar(v).and_then(whole_ref).is_some();
                            match (self.fill(k, args, site), self.fill(v, args, site)) {
                                (Some(mut k), Some(v)) => {
                                    if given {
                                        (k.line, k.column) = (v.line, v.column);
                                    }
                                    vec![(k, v)]
                                }
                                _ => Vec::new(),
                            }
                        }
                    };
                    for (k, v) in added {
                        let key = scalar(&k).unwrap_or("?").to_string();
                        if out.iter().any(|(o, _)| scalar(o) == Some(&key)) {
                            self.error(
                                &format!("{}.with.{key}", site.at),
                                site.given(&key),
                                format!("`{key}` is given twice once the template is filled in"),
                            );
                            continue;
                        }
                        out.push((k, v));
                    }
                }
                Some(Node {
                    kind: Kind::Map(out),
                    line: here.0,
                    column: here.1,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &'static str) -> Vec<String> {
        Templates::parse("t.yaml", text)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn the_builtin_templates_load() {
        let t = Templates::builtin().unwrap_or_else(|e| panic!("{e:#?}"));
        assert!(t.get("create-image").is_some());
        assert!(t.get("upload").is_some());
    }

    #[test]
    fn a_template_file_names_its_problems() {
        assert_eq!(
            problems("templates:\n  t:\n    about: a\n    steps:\n      - request: ${x}\n"),
            ["t.yaml:4:5: templates.t.steps: `${x}` is not a parameter of `t`"]
        );
        assert_eq!(
            problems("templates:\n  t:\n    about: a\n    params: {p: {about: b}}\n    steps: [{title: t}]\n"),
            ["t.yaml:4:14: templates.t.params.p: parameter `p` is not used in the steps"]
        );
        assert_eq!(
            problems("templates:\n  t:\n    about: a\n    params: {p: {about: b}}\n    rest: p\n    steps: [{title: \"${p}\"}]\n"),
            ["t.yaml:5:5: templates.t.rest: `rest` names a parameter with a mapping `default` that the steps merge with `<<: ${p}`"]
        );
        assert_eq!(
            problems("templates:\n  t:\n    about: a\n    steps: []\n"),
            ["t.yaml:4:5: templates.t.steps: a template has at least one step"]
        );
        let e = problems("templates:\n  t:\n    steps: [{title: x}]\n");
        assert!(e[0].contains("missing field `about`"), "{e:?}");
        let e = problems("templates:\n  t:\n    about: a\n    params: {p: {about: b, defualt: 1}}\n    steps: [{title: \"${p}\"}]\n");
        assert!(e[0].contains("unknown field `defualt`"), "{e:?}");
    }

    #[test]
    fn parameters_fill_whole_values_text_and_merges() {
        let templates = Templates::parse(
            "t.yaml",
            "templates:\n  t:\n    about: a\n    params:\n      a: {about: x}\n      b: {about: x, default: ~}\n      m: {about: x, default: {k: 1}}\n    steps:\n      - {x: \"${a}\", y: \"p-${a}-q\", z: \"${b}\", w: {first: 0, <<: \"${m}\"}, l: [\"${b}\", 1]}\n",
        )
        .unwrap();
        let case = "cases:\n  - steps:\n      - {use: t, with: {a: [1, 2]}}\n";
        let tree = yaml::parse(case).unwrap();
        let errors = expand("c.yaml", &tree, &templates).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "c.yaml:3:25: cases[0].steps[0].with.a: `a` is written into text, so it is a single value"
        );
        let case = "cases:\n  - steps:\n      - {use: t, with: {a: v, m: {j: 2}}}\n";
        let tree = yaml::parse(case).unwrap();
        let out = expand("c.yaml", &tree, &templates).unwrap().unwrap();
        let v: serde_json::Value = yaml::from_node(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"cases": [{"steps": [
                {"x": "v", "y": "p-v-q", "w": {"first": 0, "j": 2}, "l": [1]}
            ]}]})
        );
    }
}
