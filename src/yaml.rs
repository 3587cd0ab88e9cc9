//! YAML read once into a tree that keeps each node's position, and serde over that tree.
//!
//! Case files need two things from one text: typed values (serde) and the line of any field a
//! later check complains about (`cases[2].steps[0].expect.status` → line 31). Parsing with a serde
//! YAML crate and again with an event parser for positions cost two full parses per file, most of
//! `imgconf run --list`'s start-up; here the event parser builds the tree once and both come
//! from it. Plain scalars resolve as in YAML 1.2's core schema (`~`/`null`, `true`/`false`,
//! integers, floats; anything else is a string), and a field typed as a string takes any scalar
//! as written, so `since: 2.14` reads as the text `2.14`.

use saphyr_parser::{Event, Parser, ScalarStyle, Span as Marks};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// Deeper nesting than any real file has: stops a hostile file before it exhausts the stack.
const MAX_DEPTH: usize = 128;
/// Nodes a document may expand to through aliases (a "billion laughs" file stops here).
const MAX_NODES: usize = 1_000_000;

/// A 1-based line and column in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a value is written: its position (for a mapping entry, its key's) and the field it is
/// (`cases[0].steps[1].expect.status`), as problems and findings name it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    pub pos: Pos,
    pub field: String,
}

/// A value read with its [`Span`]: the case-file model keeps where each part was written, so
/// a later problem or a failed check points at it without looking the field up again.
/// Only this module's deserialiser can make one (it is a struct no other format has).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Spanned<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            span: self.span,
            value: f(self.value),
        }
    }

    pub fn pos(&self) -> Pos {
        self.span.pos
    }
}

/// The struct name and fields by which [`Spanned`] asks [`De`] for its position.
const SPANNED: &str = "$imgconf::yaml::Spanned";
const SPANNED_FIELDS: &[&str] = &["$line", "$column", "$field", "$value"];

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Spanned<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value read from a YAML file with its position")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Spanned<T>, A::Error> {
                fn key<'de, A: de::MapAccess<'de>>(m: &mut A, i: usize) -> Result<(), A::Error> {
                    match m.next_key::<String>()? {
                        Some(k) if k == SPANNED_FIELDS[i] => Ok(()),
                        _ => Err(de::Error::missing_field(SPANNED_FIELDS[i])),
                    }
                }
                key(&mut m, 0)?;
                let line = m.next_value()?;
                key(&mut m, 1)?;
                let column = m.next_value()?;
                key(&mut m, 2)?;
                let field = m.next_value()?;
                key(&mut m, 3)?;
                let value = m.next_value()?;
                Ok(Spanned {
                    span: Span {
                        pos: Pos { line, column },
                        field,
                    },
                    value,
                })
            }
        }
        d.deserialize_struct(SPANNED, SPANNED_FIELDS, V(std::marker::PhantomData))
    }
}

/// The four entries a [`Spanned`] reads: the node's position and field, then the node.
struct SpannedAccess<'a> {
    de: De<'a>,
    next: usize,
}

impl<'de> de::MapAccess<'de> for SpannedAccess<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(name) = SPANNED_FIELDS.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (line, column) = self.de.at;
        self.next += 1;
        match self.next {
            1 => seed.deserialize(line.into_deserializer()),
            2 => seed.deserialize(column.into_deserializer()),
            3 => seed.deserialize(self.de.path.to_string().into_deserializer()),
            _ => seed.deserialize(self.de),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node<'t> {
    pub kind: Kind<'t>,
    /// 1-based position of the node's first character.
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'t> {
    /// `plain`: written without quotes or block style, so it may resolve to null, a bool or a
    /// number when the target type accepts any value. The text is as the parser gives it.
    Scalar {
        text: Cow<'t, str>,
        plain: bool,
    },
    Seq(Vec<Node<'t>>),
    Map(Vec<(Node<'t>, Node<'t>)>),
}

/// A syntax or type problem, with where it is and (for type problems) the field it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub column: usize,
    /// `cases[0].steps[1].expect`; empty at the top level and for syntax errors.
    pub path: String,
    pub message: String,
    located: bool,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            line: 1,
            column: 1,
            path: String::new(),
            message: msg.to_string(),
            located: false,
        }
    }
}

fn at(span: &Marks) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

fn syntax(line: usize, column: usize, message: impl Into<String>) -> Error {
    Error {
        line,
        column,
        path: String::new(),
        message: message.into(),
        located: true,
    }
}

/// A container being built, with its anchor, its size in nodes so far (what an alias to it
/// costs) and, in a mapping, the key waiting for its value.
struct Open<'t> {
    node: Node<'t>,
    anchor: usize,
    size: usize,
    key: Option<Node<'t>>,
}

/// Parses one YAML document (an empty text is a null scalar).
pub fn parse(text: &str) -> Result<Node<'_>, Error> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut anchors: HashMap<usize, (Node<'_>, usize)> = HashMap::new();
    let mut nodes = 0usize;
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            syntax(m.line(), m.col() + 1, e.info())
        })?;
        let (line, column) = at(&span);
        let done = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(syntax(line, column, "only one YAML document is allowed"));
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let mut plain = style == ScalarStyle::Plain;
                if let Some(tag) = tag {
                    match (tag.is_yaml_core_schema(), tag.suffix.as_str()) {
                        (true, "str") => plain = false,
                        (true, "null" | "bool" | "int" | "float") => plain = true,
                        _ => {
                            return Err(syntax(
                                line,
                                column,
                                format!("unsupported tag `{}{}`", tag.handle, tag.suffix),
                            ))
                        }
                    }
                }
                nodes += 1;
                let node = Node {
                    kind: Kind::Scalar { text, plain },
                    line,
                    column,
                };
                (node, anchor, 1)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        line,
                        column,
                        format!("nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                nodes += 1;
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    Kind::Seq(Vec::new())
                } else {
                    Kind::Map(Vec::new())
                };
                stack.push(Open {
                    node: Node { kind, line, column },
                    anchor,
                    size: 1,
                    key: None,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                if let Kind::Map(entries) = &open.node.kind {
                    duplicate_key(entries)?;
                }
                (open.node, open.anchor, open.size)
            }
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    return Err(syntax(line, column, "alias to an unknown anchor"));
                };
                nodes += size;
                let mut node = node.clone();
                node.line = line;
                node.column = column;
                (node, 0, *size)
            }
            _ => continue,
        };
        if nodes > MAX_NODES {
            return Err(syntax(
                line,
                column,
                format!("more than {MAX_NODES} nodes once aliases are expanded"),
            ));
        }
        let (node, anchor, size) = done;
        if anchor != 0 {
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(open) => {
                open.size += size;
                match &mut open.node.kind {
                    Kind::Seq(items) => items.push(node),
                    Kind::Map(entries) => match open.key.take() {
                        None => open.key = Some(node),
                        Some(key) => entries.push((key, node)),
                    },
                    Kind::Scalar { .. } => unreachable!("only containers are open"),
                }
            }
        }
    }
    Ok(root.unwrap_or(Node {
        kind: Kind::Scalar {
            text: Cow::Borrowed(""),
            plain: true,
        },
        line: 1,
        column: 1,
    }))
}

/// A key written twice would silently lose one value; it is an error instead.
fn duplicate_key(entries: &[(Node<'_>, Node<'_>)]) -> Result<(), Error> {
    let mut keys: Vec<(&str, &Node<'_>)> = entries
        .iter()
        .filter_map(|(k, _)| match &k.kind {
            Kind::Scalar { text, .. } => Some((&**text, k)),
            _ => None,
        })
        .collect();
    keys.sort_by(|a, b| a.0.cmp(b.0).then(a.1.line.cmp(&b.1.line)));
    match keys.windows(2).find(|w| w[0].0 == w[1].0) {
        Some(w) => Err(syntax(
            w[1].1.line,
            w[1].1.column,
            format!("duplicate key `{}` (first at line {})", w[1].0, w[0].1.line),
        )),
        None => Ok(()),
    }
}

impl Node<'_> {
    /// Line and column of the field at `path` (`deviations[1].case`; a mapping entry is where
    /// its key is), or of its deepest ancestor that exists. For files read without positions
    /// (profiles); case files keep theirs in [`Spanned`] values and template nodes.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        let mut node = self;
        let mut pos = (self.line, self.column);
        let mut rest = path;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let Some(end) = r.find(']') else { break };
                let item = r[..end]
                    .parse::<usize>()
                    .ok()
                    .zip(match &node.kind {
                        Kind::Seq(items) => Some(items),
                        _ => None,
                    })
                    .and_then(|(i, items)| items.get(i));
                let Some(item) = item else { break };
                node = item;
                pos = (node.line, node.column);
                rest = &r[end + 1..];
            } else {
                let r = rest.strip_prefix('.').unwrap_or(rest);
                let Kind::Map(entries) = &node.kind else {
                    break;
                };
                // Keys may hold dots themselves: the longest key that ends at a separator wins.
                let found = entries
                    .iter()
                    .filter_map(|(k, v)| {
                        let Kind::Scalar { text, .. } = &k.kind else {
                            return None;
                        };
                        let tail = r.strip_prefix(&**text)?;
                        (tail.is_empty() || tail.starts_with(['.', '['])).then_some((
                            k,
                            v,
                            tail,
                            text.len(),
                        ))
                    })
                    .max_by_key(|f| f.3);
                let Some((k, v, tail, _)) = found else { break };
                pos = (k.line, k.column);
                node = v;
                rest = tail;
            }
        }
        pos
    }
}

/// Parses `text` and deserialises it into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    from_node(&parse(text)?)
}

/// Deserialises a parsed tree into `T`; errors carry the field path and the node's position.
pub fn from_node<T: DeserializeOwned>(node: &Node<'_>) -> Result<T, Error> {
    T::deserialize(De {
        node,
        path: Path::Root,
        at: (node.line, node.column),
    })
}

/// Where a node sits, formatted only when an error needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, k) => f.write_str(k),
            Path::Key(p, k) => write!(f, "{p}.{k}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// A plain scalar resolved by YAML 1.2's core schema.
enum Resolved<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'a str),
}

fn resolve(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::F64(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::F64(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::F64(f64::NAN),
        _ => {}
    }
    let (negative, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = [("0x", 16), ("0o", 8)]
        .into_iter()
        .find_map(|(p, r)| digits.strip_prefix(p).map(|d| (d, r)));
    let (body, radix) = radix.unwrap_or((digits, 10));
    if !body.is_empty() && body.chars().all(|c| c.is_digit(radix)) {
        if let Ok(n) = u64::from_str_radix(body, radix) {
            if !negative {
                return Resolved::U64(n);
            }
            if let Some(n) = 0i64.checked_sub_unsigned(n) {
                return Resolved::I64(n);
            }
        }
    }
    let numeric = digits.chars().any(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if numeric && radix == 10 {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::F64(f);
        }
    }
    Resolved::Str(text)
}

/// Copy: an error raised after the node is handed to a visitor still needs its position.
#[derive(Clone, Copy)]
struct De<'a> {
    node: &'a Node<'a>,
    path: Path<'a>,
    /// Where the field is written: a mapping value's key, else the node itself.
    at: (usize, usize),
}

impl De<'_> {
    /// Gives an error from below the node's position and field path, unless it has them.
    fn fix(&self, mut e: Error) -> Error {
        if !e.located {
            e.line = self.node.line;
            e.column = self.node.column;
            e.path = self.path.to_string();
            e.located = true;
        }
        e
    }

    fn scalar(&self) -> Option<(&str, bool)> {
        match &self.node.kind {
            Kind::Scalar { text, plain } => Some((text, *plain)),
            _ => None,
        }
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node<'a>>,
    index: usize,
    path: &'a Path<'a>,
}

impl<'de> de::SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let de = De {
            node,
            path: Path::Index(self.path, self.index),
            at: (node.line, node.column),
        };
        self.index += 1;
        seed.deserialize(de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, (Node<'a>, Node<'a>)>,
    value: Option<&'a Node<'a>>,
    key: &'a str,
    key_at: (usize, usize),
    path: &'a Path<'a>,
}

impl<'de> de::MapAccess<'de> for Map<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        self.key_at = (key.line, key.column);
        self.key = match &key.kind {
            Kind::Scalar { text, .. } => text,
            _ => "?",
        };
        // A key's problem (an unknown field) is reported at the key, in the mapping's field.
        seed.deserialize(De {
            node: key,
            path: *self.path,
            at: self.key_at,
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self.value.take().expect("a value follows its key");
        seed.deserialize(De {
            node,
            path: Path::Key(self.path, self.key),
            at: self.key_at,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// `variant` or `{variant: value}`.
struct Enum<'a> {
    variant: &'a Node<'a>,
    value: Option<&'a Node<'a>>,
    path: &'a Path<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for Enum<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let v = seed.deserialize(De {
            node: self.variant,
            path: *self.path,
            at: (self.variant.line, self.variant.column),
        })?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(de::Error::invalid_type(
                de::Unexpected::Map,
                &"a variant name",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        self.with_value(|de| seed.deserialize(de))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.with_value(|de| de::Deserializer::deserialize_seq(de, visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.with_value(|de| de::Deserializer::deserialize_map(de, visitor))
    }
}

impl Enum<'_> {
    fn with_value<T>(self, f: impl FnOnce(De<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let Some(node) = self.value else {
            return Err(de::Error::invalid_type(
                de::Unexpected::UnitVariant,
                &"a variant with a value",
            ));
        };
        let key = match &self.variant.kind {
            Kind::Scalar { text, .. } => &**text,
            _ => "?",
        };
        f(De {
            node,
            path: Path::Key(self.path, key),
            at: (self.variant.line, self.variant.column),
        })
    }
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let out = match &self.node.kind {
            Kind::Scalar { text, plain: false } => visitor.visit_str(text),
            Kind::Scalar { text, plain: true } => match resolve(text) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::U64(n) => visitor.visit_u64(n),
                Resolved::I64(n) => visitor.visit_i64(n),
                Resolved::F64(f) => visitor.visit_f64(f),
                Resolved::Str(s) => visitor.visit_str(s),
            },
            Kind::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
                path: &self.path,
            }),
            Kind::Map(entries) => visitor.visit_map(Map {
                entries: entries.iter(),
                value: None,
                key: "",
                key_at: (0, 0),
                path: &self.path,
            }),
        };
        out.map_err(|e| self.fix(e))
    }

    /// Any scalar is a string as written; a sequence or mapping is the wrong type.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scalar() {
            Some((text, _)) => visitor.visit_str(text).map_err(|e| self.fix(e)),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scalar() {
            Some((text, true)) if matches!(resolve(text), Resolved::Null) => {
                visitor.visit_none().map_err(|e| self.fix(e))
            }
            _ => visitor.visit_some(self).map_err(|e| self.fix(e)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self).map_err(|e| self.fix(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let access = match &self.node.kind {
            Kind::Scalar { .. } => Enum {
                variant: self.node,
                value: None,
                path: &self.path,
            },
            Kind::Map(entries) if entries.len() == 1 => Enum {
                variant: &entries[0].0,
                value: Some(&entries[0].1),
                path: &self.path,
            },
            _ => {
                let found = match self.node.kind {
                    Kind::Seq(_) => de::Unexpected::Seq,
                    _ => de::Unexpected::Map,
                };
                return Err(self.fix(de::Error::invalid_type(
                    found,
                    &"a variant name or a one-entry mapping",
                )));
            }
        };
        visitor.visit_enum(access).map_err(|e| self.fix(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED && fields == SPANNED_FIELDS {
            return visitor.visit_map(SpannedAccess { de: self, next: 0 });
        }
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 bytes byte_buf unit unit_struct
        seq tuple tuple_struct map
    }
}

impl<'de> IntoDeserializer<'de, Error> for De<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{json, Value};

    const DOC: &str = "area: tags\ncases:\n  - name: a\n    steps:\n      - request:\n          method: GET\n        expect:\n          status: 200\n  - name: b\n    steps: []\n";

    #[test]
    fn locates_nested_fields_at_their_keys() {
        let root = parse(DOC).unwrap();
        assert_eq!(root.locate("area"), (1, 1));
        assert_eq!(root.locate("cases[0].name"), (3, 5));
        assert_eq!(root.locate("cases[0].steps[0].request.method").0, 6);
        assert_eq!(root.locate("cases[0].steps[0].expect.status").0, 8);
        assert_eq!(root.locate("cases[1].name").0, 9);
        assert_eq!(root.locate("cases[1]"), (9, 5));
    }

    #[test]
    fn a_missing_field_is_located_at_its_deepest_ancestor() {
        let root = parse(DOC).unwrap();
        assert_eq!(root.locate("cases[0].steps[0].expect.headers.X").0, 7);
        assert_eq!(root.locate("cases[7].name").0, 2);
        let dotted = parse("headers:\n  X-Meta.a: 1\n  X-Meta: 2\n").unwrap();
        assert_eq!(dotted.locate("headers.X-Meta.a").0, 2);
        assert_eq!(dotted.locate("headers.X-Meta").0, 3);
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema_and_quoted_ones_stay_strings() {
        let v: Value = from_str(
            "[~, null, true, False, 12, -3, 0x1f, 1.5, 2e3, '12', \"true\", yes, 1.2.3, !!str 7, '']",
        )
        .unwrap();
        assert_eq!(
            v,
            json!([
                null, null, true, false, 12, -3, 31, 1.5, 2000.0, "12", "true", "yes", "1.2.3",
                "7", ""
            ])
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Step {
        since: Option<String>,
        status: u16,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[test]
    fn a_string_field_takes_any_scalar_as_written() {
        let s: Step = from_str("since: 2.14\nstatus: 200\ntags: [1, true]\n").unwrap();
        assert_eq!(s.since.as_deref(), Some("2.14"));
        assert_eq!(s.tags, ["1", "true"]);
        let s: Step = from_str("since: ~\nstatus: 200\n").unwrap();
        assert_eq!(s.since, None);
    }

    #[test]
    fn type_errors_name_the_field_and_the_value_position() {
        let e = from_str::<Vec<Step>>("- status: 200\n- status: '200'\n").unwrap_err();
        assert_eq!(e.path, "[1].status");
        assert_eq!((e.line, e.column), (2, 11));
        assert!(e.message.starts_with("invalid type: string \"200\""), "{e}");
    }

    #[test]
    fn unknown_and_missing_fields_are_reported_in_their_mapping() {
        let e = from_str::<Vec<Step>>("- status: 1\n  statuss: 2\n").unwrap_err();
        assert_eq!((e.path.as_str(), e.line, e.column), ("[0]", 2, 3));
        assert!(e.message.starts_with("unknown field `statuss`"), "{e}");
        let e = from_str::<Step>("tags: []\n").unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("", 1));
        assert_eq!(e.message, "missing field `status`");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line >= 1 && e.path.is_empty(), "{e}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.message, "duplicate key `a` (first at line 1)");
        let e = parse("--- 1\n--- 2\n").unwrap_err();
        assert_eq!(e.message, "only one YAML document is allowed");
        let e = parse("a: !custom 1\n").unwrap_err();
        assert_eq!(e.message, "unsupported tag `!custom`");
    }

    #[test]
    fn hostile_nesting_and_alias_bombs_stop_with_an_error() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested deeper than 128"), "{e}");
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, c) in ('b'..='h').enumerate() {
            let prev = (b'a' + i as u8) as char;
            bomb.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb)
            .unwrap_err()
            .message
            .contains("more than 1000000 nodes"));
    }

    #[test]
    fn anchors_and_aliases_copy_the_node() {
        let v: Value = from_str("a: &x {k: [1, 2]}\nb: *x\n").unwrap();
        assert_eq!(v, json!({"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Format {
        Raw,
        Qcow2,
    }

    #[test]
    fn a_spanned_value_keeps_its_field_and_where_it_is_written() {
        #[derive(Deserialize)]
        struct S {
            a: Spanned<Vec<Spanned<u32>>>,
            b: Option<Spanned<String>>,
            c: indexmap::IndexMap<String, Spanned<Value>>,
        }
        let s: S = from_str("a:\n  - 1\n  - 2\nb: text\nc: {x: null}\n").unwrap();
        assert_eq!(s.a.span.pos, Pos { line: 1, column: 1 });
        assert_eq!(s.a.span.field, "a");
        assert_eq!(s.a[1].span.pos, Pos { line: 3, column: 5 });
        assert_eq!((s.a[1].span.field.as_str(), s.a[1].value), ("a[1]", 2));
        let b = s.b.unwrap();
        assert_eq!(
            (b.span.pos.line, b.span.pos.column, b.as_str()),
            (4, 1, "text")
        );
        let x = &s.c["x"];
        assert_eq!(
            (x.span.pos, &x.span.field, &x.value),
            (Pos { line: 5, column: 5 }, &"c.x".to_string(), &Value::Null)
        );
        // The value's own problems keep the value's position.
        let e = from_str::<S>("a: [1, x]\nc: {}\n").err().unwrap();
        assert_eq!((e.line, e.column, e.path.as_str()), (1, 8, "a[1]"));
    }

    #[test]
    fn enums_read_from_a_name() {
        let v: Vec<Format> = from_str("[raw, qcow2]").unwrap();
        assert_eq!(v, [Format::Raw, Format::Qcow2]);
        let e = from_str::<Vec<Format>>("[raw, vmdk]").unwrap_err();
        assert_eq!(e.path, "[1]");
        assert!(e.message.starts_with("unknown variant `vmdk`"), "{e}");
        let e = from_str::<Format>("{raw: 1, qcow2: 2}").unwrap_err();
        assert!(e.message.starts_with("invalid type: map"), "{e}");
    }
}
