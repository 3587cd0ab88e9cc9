//! The plain-text evidence of a failed case: shown by the console and kept in JUnit.

use crate::expect::Finding;
use crate::outcome::{CaseResult, ExchangeRecord, Verdict};
use std::fmt::Write;

/// Everything a reader needs to see why `r` failed and to repeat it by hand.
pub fn failure(r: &CaseResult) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.reason);
    let _ = writeln!(s, "  proves: {}", r.proves);
    let behaviours = if r.behaviours.is_empty() {
        String::new()
    } else {
        format!(" [{}]", r.behaviours.join(", "))
    };
    let _ = writeln!(
        s,
        "  spec:   {} — {}{behaviours}",
        crate::references::resolve_text(&r.document),
        crate::references::resolve_text(&r.section)
    );
    if let Some(url) = crate::references::area_url(&r.area) {
        let _ = writeln!(s, "  see:    {url}");
    }
    let _ = writeln!(s, "  case:   {}:{}", r.file, r.line);
    if r.verdict.is_failure() {
        let _ = writeln!(
            s,
            "  replay: {} in the results folder (every step with curl)",
            super::reproduce::path_for(&r.id)
        );
    }
    if let Some(d) = &r.deviation {
        let _ = writeln!(
            s,
            "  deviation: {} ({})",
            crate::references::resolve_text(&d.reason),
            crate::references::resolve_text(&d.reference)
        );
    }
    if let Some(step) = r
        .steps
        .iter()
        .rev()
        .find(|st| !st.findings.is_empty() || st.exchanges.iter().any(|e| e.error.is_some()))
    {
        let title = step
            .title
            .as_deref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        let _ = writeln!(s, "\n  step {} (line {}){title}", step.number, step.line);
        for f in &step.findings {
            let _ = writeln!(s, "  ✗ {}", f.line());
            checked_at(&mut s, &r.file, f);
            for e in &f.schema_errors {
                let _ = writeln!(s, "      {e}");
            }
            if let Some(d) = &f.diff {
                for line in d.lines() {
                    let _ = writeln!(s, "      {line}");
                }
            }
        }
        if let Some(x) = step.exchanges.last() {
            exchange(&mut s, x);
        }
    }
    for c in &r.cleanup {
        let _ = writeln!(s, "  cleanup: {c}");
    }
    s
}

/// Where the case file states the check that found `f` (`--> cases/tags.yaml:31:15`), and the
/// case's lines there, marked, when the runner kept them.
fn checked_at(s: &mut String, file: &str, f: &Finding) {
    if let Some(at) = f.at {
        let _ = writeln!(s, "    --> {}", super::excerpt::location(file, at));
    }
    for line in f.excerpt.iter().flat_map(|x| x.lines()) {
        let _ = writeln!(s, "    {line}");
    }
}

/// `cases/tags.yaml:31:15` for the first finding of `r` that knows where its check is written:
/// the one its one-line reason is about, in every case without a declared deviation.
pub fn first_location(r: &CaseResult) -> Option<String> {
    r.steps
        .iter()
        .flat_map(|st| &st.findings)
        .find_map(|f| f.at)
        .map(|at| super::excerpt::location(&r.file, at))
}

fn exchange(s: &mut String, x: &ExchangeRecord) {
    let _ = writeln!(s, "\n  request:  {} {}", x.request.method, x.request.url);
    if let Some(b) = &x.request.body {
        let _ = writeln!(s, "            body: {}", one_line(b, 300));
    }
    match (&x.response, &x.error) {
        (Some(resp), _) => {
            let _ = writeln!(
                s,
                "  response: HTTP {} ({} ms)",
                resp.status, resp.elapsed_ms
            );
            for (n, v) in &resp.headers {
                let _ = writeln!(s, "            {n}: {v}");
            }
            if resp.body_len > 0 {
                let _ = writeln!(
                    s,
                    "            body ({} bytes): {}",
                    resp.body_len,
                    one_line(&resp.body, 1200)
                );
            }
        }
        (None, Some(e)) => {
            let _ = writeln!(s, "  no response: {e}");
        }
        (None, None) => {}
    }
    let _ = writeln!(s, "  reproduce: {}", x.request.curl());
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

/// One line per accepted deviation, for the end of the console output.
pub fn deviations(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.verdict == Verdict::Deviation)
        .filter_map(|r| {
            r.deviation.as_ref().map(|d| {
                format!(
                    "{}: {} ({})",
                    r.id,
                    crate::references::resolve_text(&d.reason),
                    crate::references::resolve_text(&d.reference)
                )
            })
        })
        .collect()
}

/// One line per declared deviation that did not occur (the case passed).
pub fn deviations_gone(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.verdict == Verdict::DeviationGone)
        .filter_map(|r| {
            r.deviation
                .as_ref()
                .map(|d| format!("{}: {} ({})", r.id, d.reason, d.reference))
        })
        .collect()
}

/// The run per API area, for the end of the console output.
pub fn area_summary(r: &super::results::RunReport) -> String {
    use super::results::Counts;
    let rows: Vec<(String, Counts)> = r
        .areas()
        .into_iter()
        .map(|(a, cases)| (a.to_string(), Counts::of(cases.iter().copied())))
        .chain(std::iter::once(("all".to_string(), r.counts.clone())))
        .collect();
    let width = rows.iter().map(|(a, _)| a.len()).max().unwrap_or(4);
    let mut s = format!(
        "\n{:width$}  {:>6} {:>6} {:>6} {:>6} {:>7} {:>10}\n",
        "area", "cases", "passed", "failed", "errors", "skipped", "deviations"
    );
    for (a, c) in rows {
        let _ = writeln!(
            s,
            "{a:width$}  {:>6} {:>6} {:>6} {:>6} {:>7} {:>10}",
            c.total, c.passed, c.failed, c.errors, c.skipped, c.deviations
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::testing::{failed_case, located};
    use super::*;

    #[test]
    fn a_failed_check_is_shown_in_its_case_file() {
        let text = failure(&failed_case(vec![located(true)]));
        let want = "  ✗ body.name: expected \"<b>&\", got \"x\"
    --> cases/update.yaml:32:19
       |
    30 |     - request: {method: PATCH, path: \"/v2/images/{{image_id}}\"}
    31 |       expect:
    32 |         checks: [{at: body.name, equals: \"<b>&\"}]
       |                   ^ expected \"<b>&\", got \"x\"
    33 |     - request: {method: GET, path: \"/v2/images/{{image_id}}\"}
       |
";
        assert!(text.contains(want), "{text}");
        // The reason and the case's own line stay as they were.
        assert!(text.starts_with("step 1 (line 30): body.name: "), "{text}");
        assert!(text.contains("  case:   cases/update.yaml:28\n"), "{text}");
        assert!(text.contains("\n  step 1 (line 30)\n"), "{text}");
    }

    #[test]
    fn a_position_without_lines_is_shown_as_file_line_column() {
        let text = failure(&failed_case(vec![located(false)]));
        assert!(
            text.ends_with(
                "  ✗ body.name: expected \"<b>&\", got \"x\"\n    --> cases/update.yaml:32:19\n"
            ),
            "{text}"
        );
        assert_eq!(
            first_location(&failed_case(vec![located(false)])).as_deref(),
            Some("cases/update.yaml:32:19")
        );
    }

    #[test]
    fn a_finding_without_a_position_is_shown_as_before() {
        let plain = Finding::new("body.name", crate::expect::Check::Equals, "m");
        let text = failure(&failed_case(vec![plain]));
        assert!(
            text.ends_with("\n  step 1 (line 30)\n  ✗ body.name: m\n"),
            "{text}"
        );
        assert!(!text.contains("-->"), "{text}");
        assert_eq!(first_location(&failed_case(vec![])), None);
    }
}
