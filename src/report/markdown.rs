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
            let at = super::text::first_location(case)
                .map(|l| format!(" — at `{}`", escape(&l)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "- **{}** ({kind}): {}{at} — replay: `{}`",
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

#[cfg(test)]
mod tests {
    use super::super::testing::{failed_case, located, report};
    use super::*;
    use crate::expect::{Check, Finding};

    #[test]
    fn a_failure_names_where_its_check_is_written() {
        let md = render(&report(vec![failed_case(vec![located(true)])]));
        assert!(
            md.contains("- **images.update::rename** (fail): step 1 (line 30): body.name: expected \"<b>&\", got \"x\" — at `cases/update.yaml:32:19` — replay: `reproduce/images.update__rename.sh`\n"),
            "{md}"
        );
        // A summary: one line per failure, the case's lines are for the full reports.
        assert!(!md.contains("32 |"), "{md}");
    }

    #[test]
    fn a_failure_without_a_position_reads_as_before() {
        let plain = Finding::new("body.name", Check::Equals, "m");
        let md = render(&report(vec![failed_case(vec![plain])]));
        assert!(
            md.contains(
                "(fail): step 1 (line 30): body.name: expected \"<b>&\", got \"x\" — replay: `"
            ),
            "{md}"
        );
    }
}
