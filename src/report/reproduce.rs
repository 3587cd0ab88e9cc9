//! `reproduce/<case>.sh` in the results folder, one per failed case: the case's every request
//! again with curl, as the run sent it, so a failure can be shown without imgconf. Ids the
//! target made during the run (image ids, task ids) are taken from the new answers, not reused;
//! secrets are read from environment variables, never written; the images it creates are
//! deleted when it ends.

use super::results::RunReport;
use crate::outcome::CaseResult;
use regex::Regex;
use serde_json::Value;
use std::fmt::Write;

/// The script's path inside the results folder.
pub fn path_for(case_id: &str) -> String {
    let safe: String = case_id
        .replace("::", "__")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("reproduce/{safe}.sh")
}

/// Header names whose values are secrets, and the variable the script reads instead.
const SECRET_HEADERS: [(&str, &str); 3] = [
    ("x-auth-token", "IMGCONF_TOKEN"),
    ("x-subject-token", "IMGCONF_SUBJECT_TOKEN"),
    ("authorization", "IMGCONF_AUTHORIZATION"),
];

pub fn script(report: &RunReport, case: &CaseResult) -> String {
    let endpoint = report.run.endpoint.trim_end_matches('/');
    let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("a fixed pattern");
    let mut s = String::new();
    let _ = writeln!(s, "#!/usr/bin/env bash");
    let _ = writeln!(
        s,
        "# Replays every request of {} as run {} sent it.",
        case.id, report.run.run_id
    );
    let _ = writeln!(s, "# proves: {}", one_line(&case.proves));
    let _ = writeln!(s, "# case:   {}:{}", case.file, case.line);
    let _ = writeln!(s, "# failed: {}", one_line(&case.reason));
    let _ = writeln!(
        s,
        "# Usage: IMGCONF_ENDPOINT=URL bash {} (default: the run's endpoint); a",
        path_for(&case.id)
    );
    let _ = writeln!(
        s,
        "# token goes in IMGCONF_TOKEN. Needs curl and python3. Exit 0 when every status is"
    );
    let _ = writeln!(
        s,
        "# the one the run got (the failure reproduces), 1 when one differs."
    );
    let _ = writeln!(s, "set -u");
    let _ = writeln!(s, "EP=\"${{IMGCONF_ENDPOINT:-{}}}\"", sh_dq(endpoint));
    let _ = writeln!(s, "EP=\"${{EP%/}}\"");
    let _ = writeln!(s, "W=$(mktemp -d)");
    let _ = writeln!(s, "differ=0");
    let _ = writeln!(s, "created=()");
    let _ = writeln!(s, "cleanup() {{ for id in \"${{created[@]}}\"; do curl -sS -o /dev/null -X DELETE \"$EP/v2/images/$id\" \"${{ID_HEADERS[@]}}\" || true; done; rm -rf \"$W\"; }}");
    let _ = writeln!(s, "ID_HEADERS=()");
    let _ = writeln!(s, "trap cleanup EXIT");
    let _ = writeln!(
        s,
        "# the value at a JSON path of a saved answer (empty when absent)"
    );
    let _ = writeln!(s, "pick() {{ python3 -c 'import json,sys\nv=json.load(open(sys.argv[1]))\nfor k in json.loads(sys.argv[2]):\n    v=v[k]\nprint(v)' \"$1\" \"$2\" 2>/dev/null; }}");
    // Old id → (shell variable, where it first came from).
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut n = 0;
    // What the requests so far carried: an id in it is ours, not one the target made.
    let mut sent = String::new();
    for step in &case.steps {
        let title = step
            .title
            .as_deref()
            .map(|t| format!(": {}", one_line(t)))
            .unwrap_or_default();
        let _ = writeln!(s, "\n# step {} (line {}){title}", step.number, step.line);
        for f in &step.findings {
            let _ = writeln!(s, "#   the run found: {}: {}", f.rule, one_line(&f.message));
        }
        for ex in &step.exchanges {
            n += 1;
            let r = &ex.request;
            let subst = |text: &str, vars: &[(String, String)]| -> String {
                let mut t = sh_dq(text);
                for (old, var) in vars {
                    t = t.replace(old, &format!("${{{var}}}"));
                }
                t
            };
            let url = match r.url.strip_prefix(endpoint) {
                Some(rest) => format!("$EP{}", subst(rest, &vars)),
                None => subst(&r.url, &vars),
            };
            let mut line = format!("code=$(curl -sS -o \"$W/{n}.body\" -D \"$W/{n}.head\" -w '%{{http_code}}' -X {} \"{url}\"", r.method);
            let mut identity = Vec::new();
            for (name, value) in &r.headers {
                let lower = name.to_ascii_lowercase();
                let header = match SECRET_HEADERS.iter().find(|(h, _)| *h == lower) {
                    Some((_, var)) => format!("{name}: ${{{var}:?set {var}}}"),
                    None => format!("{}: {}", sh_dq(name), subst(value, &vars)),
                };
                if lower.starts_with("x-") || lower == "authorization" {
                    identity.push(header.clone());
                }
                let _ = write!(line, " -H \"{header}\"");
            }
            match (&r.body, &r.digest) {
                (Some(body), _) => {
                    let _ = write!(line, " --data-binary \"{}\"", subst(body, &vars));
                }
                (None, Some(d)) => {
                    let _ = writeln!(
                        s,
                        "# the run sent {} generated bytes here; zeros of that size stand in",
                        d.size
                    );
                    let _ = write!(line, " --data-binary @<(head -c {} /dev/zero)", d.size);
                }
                (None, None) => {}
            }
            let _ = writeln!(s, "{line})");
            let quoted: Vec<String> = identity.iter().map(|h| format!("\"{h}\"")).collect();
            if !quoted.is_empty() {
                let _ = writeln!(s, "ID_HEADERS=({})", quoted.join(" "));
            }
            let recorded = ex
                .response
                .as_ref()
                .map(|r| r.status.to_string())
                .unwrap_or_else(|| "none".into());
            let _ = writeln!(
                s,
                "echo \"{} {url} -> HTTP $code (the run got {recorded})\"",
                r.method
            );
            let _ = writeln!(s, "[ \"$code\" = \"{recorded}\" ] || differ=1");
            sent.push_str(&r.url);
            sent.push_str(r.body.as_deref().unwrap_or(""));
            for (_, v) in &r.headers {
                sent.push_str(v);
            }
            // Ids this answer made, for the requests after it.
            let Some(resp) = &ex.response else { continue };
            let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
            let mut found = Vec::new();
            json_strings(&body, &mut Vec::new(), &mut found);
            for (path, value) in found {
                if !uuid.is_match(&value)
                    || vars.iter().any(|(o, _)| *o == value)
                    || sent.contains(&value)
                {
                    continue;
                }
                let var = format!("ID{}", vars.len() + 1);
                let path = serde_json::to_string(&path).unwrap_or_default();
                let _ = writeln!(s, "{var}=$(pick \"$W/{n}.body\" '{path}')");
                if r.method == "POST" && r.url.ends_with("/v2/images") && path == "[\"id\"]" {
                    let _ = writeln!(s, "[ -n \"${var}\" ] && created+=(\"${var}\")");
                }
                vars.push((value, var));
            }
        }
    }
    let _ = writeln!(s, "\nif [ $differ = 0 ]; then echo 'every status as in the run: the failure reproduces'; else echo 'a status differs from the run'; fi");
    let _ = writeln!(s, "exit $differ");
    s
}

/// Every string in a JSON document with its path (keys and indexes).
fn json_strings(v: &Value, path: &mut Vec<Value>, out: &mut Vec<(Vec<Value>, String)>) {
    match v {
        Value::String(s) => out.push((path.clone(), s.clone())),
        Value::Object(o) => {
            for (k, x) in o {
                path.push(Value::String(k.clone()));
                json_strings(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                json_strings(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn one_line(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The inside of a double-quoted shell word: `\`, `"`, `$` and `` ` `` escaped.
fn sh_dq(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_plain_file_names() {
        assert_eq!(
            path_for("images.create::a-b"),
            "reproduce/images.create__a-b.sh"
        );
        assert_eq!(path_for("x::a b/c"), "reproduce/x__a_b_c.sh");
    }

    #[test]
    fn shell_words_keep_their_text() {
        assert_eq!(sh_dq(r#"{"a": "$x`"}"#), r#"{\"a\": \"\$x\`\"}"#);
    }
}
