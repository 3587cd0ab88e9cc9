//! The differences between two JSON values, each at its path (`body.images[0].tags`), in the
//! path syntax of the case files.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One difference: the value at `path` in each run; absent (`null` in JSON) where that run has
/// nothing there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    pub a: Option<Value>,
    pub b: Option<Value>,
}

/// Appends the differences between `a` and `b` under `path` to `out`, stopping at `limit`
/// entries so that two unrelated bodies do not flood the report.
pub fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<Change>, limit: usize) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = key_path(path, k);
                match y.get(k) {
                    Some(vb) => diff(&p, va, vb, out, limit),
                    None => push(out, limit, p, Some(va.clone()), None),
                }
            }
            for (k, vb) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                push(out, limit, key_path(path, k), None, Some(vb.clone()));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(va), Some(vb)) => diff(&p, va, vb, out, limit),
                    (va, vb) => push(out, limit, p, va.cloned(), vb.cloned()),
                }
            }
        }
        _ => push(
            out,
            limit,
            path.to_string(),
            Some(a.clone()),
            Some(b.clone()),
        ),
    }
}

fn push(out: &mut Vec<Change>, limit: usize, path: String, a: Option<Value>, b: Option<Value>) {
    if out.len() < limit {
        out.push(Change { path, a, b });
    }
}

/// `base.key`, or `base["key"]` when the key is not a plain name.
fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", Value::String(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(a: Value, b: Value, limit: usize) -> Vec<Change> {
        let mut out = Vec::new();
        diff("body", &a, &b, &mut out, limit);
        out
    }

    #[test]
    fn reports_changed_missing_and_extra_values_with_their_paths() {
        let a = json!({"status": "active", "images": [{"id": 1, "os_hidden": false}], "x y": 1});
        let b = json!({"status": "queued", "images": [{"id": 1}, {"id": 2}], "extra": null});
        let got = changes(a, b, 50);
        let want = vec![
            Change {
                path: "body.status".into(),
                a: Some(json!("active")),
                b: Some(json!("queued")),
            },
            Change {
                path: "body.images[0].os_hidden".into(),
                a: Some(json!(false)),
                b: None,
            },
            Change {
                path: "body.images[1]".into(),
                a: None,
                b: Some(json!({"id": 2})),
            },
            Change {
                path: r#"body["x y"]"#.into(),
                a: Some(json!(1)),
                b: None,
            },
            Change {
                path: "body.extra".into(),
                a: None,
                b: Some(json!(null)),
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn equal_values_give_nothing_and_type_changes_one_entry() {
        assert!(changes(json!({"a": [1, {"b": 2}]}), json!({"a": [1, {"b": 2}]}), 5).is_empty());
        assert_eq!(
            changes(json!({"a": [1]}), json!({"a": "1"}), 5),
            vec![Change {
                path: "body.a".into(),
                a: Some(json!([1])),
                b: Some(json!("1"))
            }]
        );
    }

    #[test]
    fn stops_at_the_limit() {
        let a = json!((0..10).collect::<Vec<_>>());
        let b = json!((10..20).collect::<Vec<_>>());
        assert_eq!(changes(a, b, 3).len(), 3);
    }
}
