//! `report.html`: one self-contained page (no network, no external assets) that a person reads:
//! the summary on one screen, then each area and case, with the evidence of failures folded.

use super::results::{Counts, RunReport};
use crate::outcome::{CaseResult, Verdict};
use std::fmt::Write;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.5rem;margin:.2rem 0} h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
.meta{color:#555}.meta code{background:#f3f3f3;padding:0 .25rem;border-radius:3px}
.counts{display:flex;gap:.6rem;flex-wrap:wrap;margin:1rem 0}
.count{border-radius:6px;padding:.5rem .9rem;min-width:6rem;background:#f3f3f3}
.count b{display:block;font-size:1.5rem}
.pass{background:#dff3e4}.fail{background:#fbe0e0}.error{background:#fdebd3}.skip{background:#ececec}.deviation{background:#e4e9fb}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;text-align:left;border-bottom:1px solid #eee}
.bar{display:flex;height:.8rem;width:16rem;border-radius:3px;overflow:hidden;background:#eee}
.bar span{display:block;height:100%}.bar .pass{background:#3aa655}.bar .fail{background:#d64545}
.bar .error{background:#e8912d}.bar .skip{background:#b5b5b5}.bar .deviation{background:#5b73d6}
.case{margin:.15rem 0;padding:.3rem .6rem;border-radius:4px}
.case summary{cursor:pointer}.verdict{font-weight:600;display:inline-block;min-width:5.5rem}
.why{color:#444}.proves{color:#555;margin:.3rem 0}
pre{background:#fafafa;border:1px solid #eee;padding:.6rem;overflow-x:auto;font-size:12px;white-space:pre-wrap}
pre .add{color:#0a6b2c;background:#e6f6ea}pre .del{color:#a31515;background:#fbeaea}
.warning{background:#fff3c4;border:2px solid #d6a400;border-radius:6px;padding:.5rem .8rem;font-weight:600}
";

pub fn render(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.counts;
    let ok = c.failed + c.errors == 0;
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>imgconf: {}</title><style>{STYLE}</style></head><body>",
        esc(&r.run.endpoint)
    );
    let _ = write!(
        s,
        "<h1>imgconf certification: <span id=\"verdict\">{}</span></h1>",
        if ok { "passed" } else { "failed" }
    );
    let _ = write!(
        s,
        "<p class=\"meta\">Endpoint <code>{}</code>{} · profile <code>{}</code> · identity {} · Images API up to <code>{}</code> · run <code>{}</code> · {} {} · started {} · {:.1} s</p>",
        esc(&r.run.endpoint),
        if r.run.reference_server { " (built-in reference server)" } else { "" },
        esc(&r.run.profile),
        esc(&r.run.identity),
        esc(r.run.api_versions.first().map(String::as_str).unwrap_or("unknown")),
        esc(&r.run.run_id),
        esc(&r.run.tool),
        esc(&r.run.tool_version),
        esc(&r.run.started_at),
        r.run.duration_ms as f64 / 1000.0
    );
    if let Some(f) = r.faults() {
        let _ = write!(
            s,
            "<p class=\"warning\" id=\"faults\">Faults switched on: <code>{}</code> (the built-in server was broken on purpose)</p>",
            esc(f)
        );
    }
    for w in &r.run.warnings {
        let _ = write!(s, "<p class=\"warning\">⚠ {}</p>", esc(w));
    }
    s.push_str("<div class=\"counts\">");
    for (id, label, n, class) in [
        ("total", "cases", c.total, ""),
        ("passed", "passed", c.passed, "pass"),
        ("failed", "failed", c.failed, "fail"),
        ("errors", "errors", c.errors, "error"),
        ("skipped", "skipped", c.skipped, "skip"),
        ("deviations", "deviations", c.deviations, "deviation"),
        (
            "deviations-gone",
            "deviations that did not occur",
            c.deviations_gone,
            "deviation",
        ),
    ] {
        let _ = write!(
            s,
            "<div class=\"count {class}\"><b id=\"count-{id}\">{n}</b>{label}</div>"
        );
    }
    s.push_str("</div>");
    // The failures first, each a link to its evidence below: found without scrolling past
    // hundreds of passes.
    let bad: Vec<&CaseResult> = r.cases.iter().filter(|c| c.verdict.is_failure()).collect();
    if !bad.is_empty() {
        let _ = write!(
            s,
            "<h2 id=\"failures\">Failures ({})</h2><ul class=\"failures\">",
            bad.len()
        );
        for c in bad {
            let _ = write!(
                s,
                "<li><a href=\"#case-{id}\">{id}</a> <span class=\"why\">{}</span> (<a href=\"{}\">replay with curl</a>)</li>",
                esc(&c.reason),
                esc(&super::reproduce::path_for(&c.id)),
                id = esc(&c.id)
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("<table><tr><th>area</th><th>cases</th><th></th><th>passed</th><th>failed</th><th>errors</th><th>skipped</th><th>deviations</th></tr>");
    for (area, cases) in r.areas() {
        let ac = Counts::of(cases.iter().copied());
        let _ = write!(
            s,
            "<tr><td><a href=\"#area-{a}\">{a}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ac.total,
            bar(&ac),
            ac.passed,
            ac.failed,
            ac.errors,
            ac.skipped,
            ac.deviations,
            a = esc(area)
        );
    }
    s.push_str("</table>");
    for (area, cases) in r.areas() {
        let title = cases.first().map(|c| c.area_title.as_str()).unwrap_or(area);
        let _ = write!(s, "<h2 id=\"area-{}\">{}</h2>", esc(area), esc(title));
        for case in cases {
            case_html(&mut s, case);
        }
    }
    s.push_str("</body></html>\n");
    s
}

fn case_html(s: &mut String, c: &CaseResult) {
    let (class, label) = match c.verdict {
        Verdict::Pass => ("pass", "pass"),
        Verdict::Fail => ("fail", "FAIL"),
        Verdict::Error => ("error", "ERROR"),
        Verdict::Skip => ("skip", "skipped"),
        Verdict::Deviation => ("deviation", "deviation"),
        Verdict::DeviationGone => ("deviation", "deviation did not occur"),
    };
    let open = if c.verdict.is_failure() { " open" } else { "" };
    let _ = write!(
        s,
        "<details id=\"case-{}\" class=\"case {class}\" data-verdict=\"{class}\"{open}><summary><span class=\"verdict\">{label}</span> {} <span class=\"why\">{}</span></summary>",
        esc(&c.id),
        esc(&c.id),
        esc(&c.reason)
    );
    let behaviours = if c.behaviours.is_empty() {
        String::new()
    } else {
        format!(" [{}]", c.behaviours.join(", "))
    };
    let _ = write!(
        s,
        "<div class=\"proves\">{}<br>{} — {}{} · {}:{} · {} ms</div>",
        esc(&c.proves),
        esc(&c.document),
        esc(&c.section),
        esc(&behaviours),
        esc(&c.file),
        c.line,
        c.duration_ms
    );
    if c.verdict.is_failure() || matches!(c.verdict, Verdict::Deviation | Verdict::DeviationGone) {
        s.push_str("<pre>");
        // A diff's lines are coloured; `--> file:line:col` and the case's lines are not diff.
        for line in super::text::failure(c).lines() {
            let t = line.trim_start();
            let class = if t.starts_with('+') && !t.starts_with("+++") {
                Some("add")
            } else if t.starts_with('-') && !t.starts_with("---") && !t.starts_with("-->") {
                Some("del")
            } else {
                None
            };
            match class {
                Some(k) => {
                    let _ = writeln!(s, "<span class=\"{k}\">{}</span>", esc(line));
                }
                None => {
                    let _ = writeln!(s, "{}", esc(line));
                }
            }
        }
        s.push_str("</pre>");
    }
    s.push_str("</details>");
}

fn bar(c: &Counts) -> String {
    let total = c.total.max(1) as f64;
    let mut s = String::from("<div class=\"bar\">");
    for (n, class) in [
        (c.passed, "pass"),
        (c.deviations, "deviation"),
        (c.failed, "fail"),
        (c.errors, "error"),
        (c.skipped, "skip"),
    ] {
        if n > 0 {
            let _ = write!(
                s,
                "<span class=\"{class}\" style=\"width:{:.2}%\"></span>",
                n as f64 * 100.0 / total
            );
        }
    }
    s.push_str("</div>");
    s
}

pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{failed_case, located, report};
    use super::*;

    #[test]
    fn a_failed_check_is_shown_escaped_in_its_case_file() {
        let html = render(&report(vec![failed_case(vec![located(true)])]));
        assert!(
            html.contains("\n    --&gt; cases/update.yaml:32:19\n"),
            "{html}"
        );
        assert!(
            html.contains("\n    32 |         checks: [{at: body.name, equals: &quot;&lt;b&gt;&amp;&quot;}]\n       |                   ^ expected &quot;&lt;b&gt;&amp;&quot;, got &quot;x&quot;\n"),
            "{html}"
        );
        // In the case's evidence, not coloured as a diff's line.
        let pre = &html[html.find("<pre>").unwrap()..html.find("</pre>").unwrap()];
        assert!(
            pre.contains("--&gt;") && !pre.contains("class=\"del\""),
            "{pre}"
        );
    }

    #[test]
    fn a_position_without_lines_is_shown_as_file_line_column() {
        let html = render(&report(vec![failed_case(vec![located(false)])]));
        assert!(
            html.contains("\n    --&gt; cases/update.yaml:32:19\n</pre>"),
            "{html}"
        );
    }
}
