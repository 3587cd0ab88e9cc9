//! Paths into a response or the variables: `status`, `headers.Location`, `body.images[*].id`,
//! `body["login-user"]`, `raw` (the body as text, for data that is not JSON), `vars.seen`.
//!
//! Parsed once when the case file loads, so a bad path is a load error with a line number.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Status,
    Header(String),
    Body,
    /// The body as text (UTF-8, lossy), whatever its type.
    Raw,
    /// Size or hash of the request body the step sent (`sent.md5`).
    Sent(DigestField),
    /// Size or hash of the whole response body, also when it was streamed (`received.sha512`).
    Received(DigestField),
    Var(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestField {
    Size,
    Md5,
    Sha512,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    /// Every element of an array; the result is the array of what the rest finds in each.
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePath {
    pub root: Root,
    pub segments: Vec<Segment>,
    text: String,
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for ValuePath {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (head, mut rest) = split_ident(text);
        let root = match head {
            "status" => Root::Status,
            "body" => Root::Body,
            "raw" => Root::Raw,
            "sent" | "received" => {
                let field = match rest {
                    ".size" => DigestField::Size,
                    ".md5" => DigestField::Md5,
                    ".sha512" => DigestField::Sha512,
                    _ => {
                        return Err(format!(
                            "`{head}` is followed by `.size`, `.md5` or `.sha512`"
                        ))
                    }
                };
                rest = "";
                if head == "sent" {
                    Root::Sent(field)
                } else {
                    Root::Received(field)
                }
            }
            "headers" | "vars" => {
                let Some(r) = rest.strip_prefix('.') else {
                    return Err(format!("`{head}` must be followed by `.name`"));
                };
                let (name, r) = split_name(r);
                if name.is_empty() {
                    return Err(format!("`{head}.` needs a name"));
                }
                rest = r;
                if head == "headers" {
                    if !rest.is_empty() {
                        return Err(
                            "a header value has no parts: nothing may follow its name".into()
                        );
                    }
                    Root::Header(name.to_ascii_lowercase())
                } else {
                    Root::Var(name.to_string())
                }
            }
            other => {
                return Err(format!(
                    "path must start with `status`, `headers.`, `body` or `vars.`, not `{other}`"
                ))
            }
        };
        if matches!(root, Root::Status | Root::Raw) && !rest.is_empty() {
            return Err(format!("nothing may follow `{head}`"));
        }
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let (name, r) = split_name(r);
                if name.is_empty() {
                    return Err("empty key after `.`".into());
                }
                segments.push(Segment::Key(name.to_string()));
                rest = r;
            } else if let Some(r) = rest.strip_prefix('[') {
                let close = r.find(']').ok_or("unclosed `[`")?;
                let inner = &r[..close];
                rest = &r[close + 1..];
                if inner == "*" {
                    segments.push(Segment::All);
                } else if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    segments.push(Segment::Key(q.to_string()));
                } else {
                    let i = inner
                        .parse::<usize>()
                        .map_err(|_| format!("`[{inner}]` is not an index, `*` or a quoted key"))?;
                    segments.push(Segment::Index(i));
                }
            } else {
                return Err(format!("unexpected `{rest}`"));
            }
        }
        Ok(ValuePath {
            root,
            segments,
            text: text.to_string(),
        })
    }
}

fn split_ident(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// A key runs to the next `.` or `[`; keys with those characters use `["…"]`.
fn split_name(s: &str) -> (&str, &str) {
    let end = s.find(['.', '[']).unwrap_or(s.len());
    s.split_at(end)
}

/// Follows `segments` into `value`; `None` when something on the way is absent.
pub fn walk(value: &Value, segments: &[Segment]) -> Option<Value> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(value.clone());
    };
    match first {
        Segment::Key(k) => walk(value.as_object()?.get(k)?, rest),
        Segment::Index(i) => walk(value.as_array()?.get(*i)?, rest),
        Segment::All => Some(Value::Array(
            value
                .as_array()?
                .iter()
                .filter_map(|v| walk(v, rest))
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> ValuePath {
        s.parse().unwrap()
    }

    #[test]
    fn parses_roots_and_segments() {
        assert_eq!(p("status").root, Root::Status);
        assert_eq!(p("headers.Location").root, Root::Header("location".into()));
        let v = p("vars.seen[*].id");
        assert_eq!(v.root, Root::Var("seen".into()));
        assert_eq!(v.segments, vec![Segment::All, Segment::Key("id".into())]);
        assert_eq!(
            p(r#"body["a.b"].c[2]"#).segments,
            vec![
                Segment::Key("a.b".into()),
                Segment::Key("c".into()),
                Segment::Index(2)
            ]
        );
        assert_eq!(
            p("body.login-user").segments,
            vec![Segment::Key("login-user".into())]
        );
    }

    #[test]
    fn rejects_bad_paths_with_a_reason() {
        for (bad, why) in [
            ("bdy.id", "must start with"),
            ("body.images[x]", "is not an index"),
            ("body.images[0", "unclosed"),
            ("status.x", "nothing may follow"),
            ("raw.x", "nothing may follow `raw`"),
            ("sent.crc", "followed by `.size`"),
            ("headers.", "needs a name"),
            ("headers.a.b", "no parts"),
            ("body..x", "empty key"),
        ] {
            let err = bad.parse::<ValuePath>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn walks_with_wildcards() {
        let doc = json!({"images": [{"id": "a"}, {"id": "b"}, {"name": "no id"}]});
        assert_eq!(
            walk(&doc, &p("body.images[*].id").segments),
            Some(json!(["a", "b"]))
        );
        assert_eq!(
            walk(&doc, &p("body.images[1].id").segments),
            Some(json!("b"))
        );
        assert_eq!(walk(&doc, &p("body.images[9]").segments), None);
        assert_eq!(walk(&doc, &p("body.next").segments), None);
    }
}
