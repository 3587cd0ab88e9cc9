//! Where each field of a YAML file is: `cases[2].steps[0].expect.status` → line 31.
//!
//! serde reports syntax and type errors with their position, but checks that happen after
//! deserialising (an unknown variable, a bad regex, a missing schema) need the line of the field
//! they are about; this index gives it from one pass over the parser's events.

use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct SpanIndex {
    lines: HashMap<String, (usize, usize)>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

impl SpanIndex {
    /// Indexes `text`; a file that does not parse gives an empty index (serde reports that error).
    pub fn build(text: &str) -> SpanIndex {
        let mut lines = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let at = (span.start.line(), span.start.col() + 1);
            match event {
                Event::Scalar(value, ..) => {
                    // A scalar in key position names the path of the value that follows.
                    if let Some(Frame::Map { path, key }) = stack.last_mut() {
                        if key.is_none() {
                            let child = join_key(path, &value);
                            lines.insert(child.clone(), at);
                            *key = Some(child);
                            continue;
                        }
                    }
                    if let Some(path) = value_path(&mut stack) {
                        lines.entry(path).or_insert(at);
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let path = value_path(&mut stack).unwrap_or_default();
                    lines.entry(path.clone()).or_insert(at);
                    stack.push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Map { path, key: None }
                    } else {
                        Frame::Seq { path, next: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        SpanIndex { lines }
    }

    /// Line and column of `path`, or of its nearest ancestor that is known.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(pos) = self.lines.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

/// The path of the value about to start, consuming the pending key or advancing the index.
fn value_path(stack: &mut [Frame]) -> Option<String> {
    match stack.last_mut()? {
        Frame::Map { key, path } => Some(key.take().unwrap_or_else(|| path.clone())),
        Frame::Seq { path, next } => {
            let p = format!("{path}[{next}]");
            *next += 1;
            Some(p)
        }
    }
}

fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "area: tags\ncases:\n  - name: a\n    steps:\n      - request:\n          method: GET\n        expect:\n          status: 200\n  - name: b\n    steps: []\n";

    #[test]
    fn finds_nested_fields() {
        let idx = SpanIndex::build(DOC);
        assert_eq!(idx.locate("area"), Some((1, 1)));
        assert_eq!(idx.locate("cases[0].name").map(|p| p.0), Some(3));
        assert_eq!(
            idx.locate("cases[0].steps[0].request.method").map(|p| p.0),
            Some(6)
        );
        assert_eq!(
            idx.locate("cases[0].steps[0].expect.status").map(|p| p.0),
            Some(8)
        );
        assert_eq!(idx.locate("cases[1].name").map(|p| p.0), Some(9));
    }

    #[test]
    fn falls_back_to_the_nearest_known_ancestor() {
        let idx = SpanIndex::build(DOC);
        assert_eq!(
            idx.locate("cases[0].steps[0].expect.headers.X")
                .map(|p| p.0),
            Some(7)
        );
    }
}
