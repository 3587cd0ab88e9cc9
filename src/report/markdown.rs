//! `summary.md`: a short Markdown summary fit for a CI step summary.

use super::results::{Counts, RunReport};
use crate::outcome::Verdict;
use std::fmt::Write;

pub fn render(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.counts;
    let verdict = if c.failed + c.errors == 0 {
        "✅ passed"
    } else {
        "❌ failed"
    };
    let _ = writeln!(s, "## imgconf certification: {verdict}\n");
    let _ = writeln!(
        s,
        "Endpoint `{}`{} · profile `{}` · Images API up to {} · run `{}` · {:.1} s\n",
        r.run.endpoint,
        if r.run.reference_server {
            " (built-in reference server)"
        } else {
            ""
        },
        r.run.profile,
        r.run
            .api_versions
            .first()
            .map(String::as_str)
            .unwrap_or("unknown"),
        r.run.run_id,
        r.run.duration_ms as f64 / 1000.0
    );
    if let Some(f) = r.faults() {
        let _ = writeln!(
            s,
            "> **Faults switched on:** `{f}` (the built-in server was broken on purpose)\n"
        );
    }
    for w in &r.run.warnings {
        let _ = writeln!(s, "> ⚠️ **WARNING:** {w}\n");
    }
    let _ = writeln!(
        s,
        "| area | passed | failed | errors | skipped | deviations |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for (area, cases) in r.areas() {
        row(&mut s, area, &Counts::of(cases.iter().copied()));
    }
    row(&mut s, "**all**", c);
    let bad: Vec<_> = r.cases.iter().filter(|c| c.verdict.is_failure()).collect();
    if !bad.is_empty() {
        let _ = writeln!(s, "\n### Failures\n");
        for case in bad.iter().take(50) {
            let kind = if case.verdict == Verdict::Error {
                "error"
            } else {
                "fail"
            };
            let _ = writeln!(
                s,
                "- **{}** ({kind}): {} — replay: `{}`",
                case.id,
                escape(&case.reason),
                super::reproduce::path_for(&case.id)
            );
        }
        if bad.len() > 50 {
            let _ = writeln!(s, "- … and {} more (see report.html)", bad.len() - 50);
        }
    }
    let devs: Vec<_> = r
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Deviation)
        .collect();
    if !devs.is_empty() {
        let _ = writeln!(s, "\n### Expected deviations ({})\n", devs.len());
        for case in devs {
            let why = case
                .deviation
                .as_ref()
                .map(|d| d.reason.as_str())
                .unwrap_or("");
            let why = crate::references::resolve_text(why);
            let _ = writeln!(s, "- **{}**: {}", case.id, escape(&why));
        }
    }
    let gone = super::text::deviations_gone(&r.cases);
    if !gone.is_empty() {
        let _ = writeln!(
            s,
            "\n### Declared deviations that did not occur ({})\n",
            gone.len()
        );
        for line in gone {
            let _ = writeln!(s, "- {}", escape(&line));
        }
    }
    s
}

fn row(s: &mut String, area: &str, c: &Counts) {
    let _ = writeln!(
        s,
        "| {area} | {} | {} | {} | {} | {} |",
        c.passed, c.failed, c.errors, c.skipped, c.deviations
    );
}

/// Keeps one line and no table-breaking pipes.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
