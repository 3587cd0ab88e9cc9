//! The comparison for people: a console table and a Markdown summary (short enough for a CI
//! step summary). Both show the first differences of each case; `--json` and `--html` have all.

use super::{verdict_name, CaseDiff, Change, Comparison, Difference, Side};
use serde_json::Value;
use std::fmt::Write;

/// Differences shown per case in the console and in Markdown.
const SHOWN: usize = 4;
/// Characters of a value shown in the console and in Markdown.
const VALUE_CHARS: usize = 70;

fn describe(s: &Side) -> String {
    let target = if s.reference_server {
        "built-in reference server".to_string()
    } else {
        s.endpoint.clone()
    };
    format!(
        "{} ({target}, profile {}, run {}, imgconf {})",
        s.source, s.profile, s.run_id, s.tool_version
    )
}

/// A value in one line: JSON, cut; `absent` when the run has none.
pub fn shown(v: &Option<Value>) -> String {
    let Some(v) = v else {
        return "absent".into();
    };
    let text = v.to_string();
    if text.chars().count() > VALUE_CHARS {
        let cut: String = text.chars().take(VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// `step 2 (GET /v2/images/<uuid>) body.tags: ["a"] | absent`.
pub fn difference_line(step: usize, request: &str, d: &Difference) -> String {
    let exchange = if d.exchange > 1 {
        format!(" response {}", d.exchange)
    } else {
        String::new()
    };
    format!(
        "step {step} ({request}){exchange} {}: {} | {}",
        d.path,
        shown(&d.a),
        shown(&d.b)
    )
}

fn lines(c: &CaseDiff) -> Vec<String> {
    c.steps
        .iter()
        .flat_map(|s| {
            s.differences
                .iter()
                .map(move |d| difference_line(s.number, &s.request, d))
        })
        .collect()
}

fn count(c: &CaseDiff) -> usize {
    c.steps.iter().map(|s| s.differences.len()).sum()
}

/// The console report.
pub fn console(cmp: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "A: {}", describe(&cmp.a));
    let _ = writeln!(s, "B: {}", describe(&cmp.b));
    if let Some(t) = cmp.trouble() {
        let _ = writeln!(s, "imgconf compare: {t}");
    }
    let c = &cmp.counts;
    let _ = writeln!(
        s,
        "{} cases in both runs: {} the same, {} verdict changes, {} with the same verdict but different responses; {} only in A, {} only in B",
        c.compared, c.same, c.verdict_changes, c.response_differences, c.only_in_a, c.only_in_b
    );
    let width = cmp
        .cases
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(0)
        .max(4);
    for (change, title) in [
        (Change::Verdict, "Verdict changes"),
        (Change::Responses, "Same verdict, different responses"),
    ] {
        let cases: Vec<&CaseDiff> = cmp.cases.iter().filter(|c| c.change == change).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title} ({}):", cases.len());
        let _ = writeln!(s, "  {:width$}  {:10} {:10} differences", "case", "A", "B");
        for c in cases {
            let _ = writeln!(
                s,
                "  {:width$}  {:10} {:10} {}",
                c.id,
                verdict_name(c.a.verdict),
                verdict_name(c.b.verdict),
                count(c)
            );
            if change == Change::Verdict {
                for (side, cs) in [("A", &c.a), ("B", &c.b)] {
                    if !cs.reason.is_empty() {
                        let _ = writeln!(s, "      {side}: {}", one_line(&cs.reason));
                    }
                }
            }
            let all = lines(c);
            for l in all.iter().take(SHOWN) {
                let _ = writeln!(s, "      {l}");
            }
            if all.len() > SHOWN {
                let _ = writeln!(
                    s,
                    "      … {} more (--html or --json show all)",
                    all.len() - SHOWN
                );
            }
        }
    }
    for (title, lone) in [("Only in A", &cmp.only_in_a), ("Only in B", &cmp.only_in_b)] {
        if !lone.is_empty() {
            let _ = writeln!(s, "\n{title} ({}):", lone.len());
            for l in lone.iter() {
                let _ = writeln!(s, "  {:width$}  {}", l.id, verdict_name(l.verdict));
            }
        }
    }
    s
}

fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if first.chars().count() > 160 {
        format!("{}…", first.chars().take(160).collect::<String>())
    } else {
        first.to_string()
    }
}

/// Markdown: table cells may hold neither `|` nor newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown summary (a CI step summary).
pub fn markdown(cmp: &Comparison) -> String {
    let mut s = String::new();
    let c = &cmp.counts;
    let _ = writeln!(s, "## imgconf compare\n");
    let _ = writeln!(s, "- **A**: {}", cell(&describe(&cmp.a)));
    let _ = writeln!(s, "- **B**: {}\n", cell(&describe(&cmp.b)));
    if let Some(t) = cmp.trouble() {
        let _ = writeln!(s, "**{}**\n", cell(&t));
    }
    let _ = writeln!(
        s,
        "| in both | same | verdict changes | same verdict, different responses | only in A | only in B |\n|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} |",
        c.compared, c.same, c.verdict_changes, c.response_differences, c.only_in_a, c.only_in_b
    );
    for (change, title) in [
        (Change::Verdict, "Verdict changes"),
        (Change::Responses, "Same verdict, different responses"),
    ] {
        let cases: Vec<&CaseDiff> = cmp.cases.iter().filter(|c| c.change == change).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n### {title} ({})\n", cases.len());
        let _ = writeln!(s, "| Case | A | B | Differences |\n|---|---|---|---|");
        for c in cases {
            let all = lines(c);
            let mut shown: Vec<String> = all
                .iter()
                .take(SHOWN)
                .map(|l| format!("`{}`", l.replace('`', "'")))
                .collect();
            if all.len() > SHOWN {
                shown.push(format!("… {} more", all.len() - SHOWN));
            }
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                c.id,
                verdict_name(c.a.verdict),
                verdict_name(c.b.verdict),
                cell(&shown.join("<br>"))
            );
        }
    }
    for (title, lone) in [("Only in A", &cmp.only_in_a), ("Only in B", &cmp.only_in_b)] {
        if !lone.is_empty() {
            let ids: Vec<String> = lone
                .iter()
                .map(|l| format!("`{}` ({})", l.id, verdict_name(l.verdict)))
                .collect();
            let _ = writeln!(s, "\n### {title} ({})\n\n{}", lone.len(), ids.join(", "));
        }
    }
    let _ = writeln!(
        s,
        "\nNot compared: the headers {}; masked: ids, the run id, timestamps, hosts, hex digests; `tags` compared as sets.",
        cmp.ignored_headers.join(", ")
    );
    s
}
