//! The comparison as one self-contained page (no network, no external assets): the two runs in
//! side-by-side columns, and for every differing case each difference as a row, A's value left
//! and B's right, highlighted.

use super::normalize::MASKS;
use super::{verdict_name, CaseDiff, Change, Comparison, Side};
use crate::report::html::esc;
use serde_json::Value;
use std::fmt::Write;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:84rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.5rem;margin:.2rem 0} h2{font-size:1.15rem;margin:1.6rem 0 .4rem} h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{padding:.25rem .5rem;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
th.path,td.path{width:22%}td.path code{word-break:break-all}
.counts{display:flex;gap:.6rem;flex-wrap:wrap;margin:1rem 0}
.count{border-radius:6px;padding:.5rem .9rem;min-width:6rem;background:#f3f3f3}.count b{display:block;font-size:1.5rem}
.case{margin:.3rem 0;padding:.3rem .6rem;border-radius:4px;background:#fafafa}.case summary{cursor:pointer}
.verdict{font-weight:600}.pass{color:#1f7a3a}.fail{color:#b42318}.error{color:#b45f06}.skip{color:#666}.deviation{color:#3f51b5}
td.a{background:#fbeaea}td.b{background:#e6f6ea}td.absent{background:#f3f3f3;color:#777;font-style:italic}
pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
.trouble{background:#fff3c4;border:2px solid #d6a400;border-radius:6px;padding:.5rem .8rem;font-weight:600}
.note{color:#555}
";

/// One line of the side-by-side table of the two runs.
type Describe = fn(&Side) -> String;

pub fn render(cmp: &Comparison) -> String {
    let mut s = String::new();
    let c = &cmp.counts;
    let differing = c.verdict_changes + c.response_differences + c.only_in_a + c.only_in_b;
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>imgconf compare</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        s,
        "<h1>imgconf compare: <span id=\"outcome\">{}</span></h1>",
        if differing == 0 && cmp.same_suite {
            "no difference"
        } else {
            "the runs differ"
        }
    );
    if let Some(t) = cmp.trouble() {
        let _ = write!(s, "<p class=\"trouble\">{}</p>", esc(&t));
    }
    s.push_str("<table class=\"runs\"><tr><th class=\"path\"></th><th>A</th><th>B</th></tr>");
    let rows: [(&str, Describe); 6] = [
        ("read from", |x| x.source.clone()),
        ("target", |x| {
            if x.reference_server {
                format!("{} (built-in reference server)", x.endpoint)
            } else {
                x.endpoint.clone()
            }
        }),
        ("profile", |x| x.profile.clone()),
        ("run", |x| {
            format!("{} · started {}", x.run_id, x.started_at)
        }),
        ("imgconf", |x| format!("{} ({})", x.tool_version, x.commit)),
        ("verdicts", |x| {
            let k = &x.counts;
            format!(
                "{} cases: {} passed, {} failed, {} errors, {} skipped, {} deviations",
                k.total, k.passed, k.failed, k.errors, k.skipped, k.deviations
            )
        }),
    ];
    for (label, f) in rows {
        let _ = write!(
            s,
            "<tr><th class=\"path\">{label}</th><td>{}</td><td>{}</td></tr>",
            esc(&f(&cmp.a)),
            esc(&f(&cmp.b))
        );
    }
    s.push_str("</table><div class=\"counts\">");
    for (id, label, n) in [
        ("compared", "in both runs", c.compared),
        ("same", "the same", c.same),
        ("verdict-changes", "verdict changes", c.verdict_changes),
        (
            "response-differences",
            "same verdict, different responses",
            c.response_differences,
        ),
        ("only-in-a", "only in A", c.only_in_a),
        ("only-in-b", "only in B", c.only_in_b),
    ] {
        let _ = write!(
            s,
            "<div class=\"count\"><b id=\"count-{id}\">{n}</b>{label}</div>"
        );
    }
    s.push_str("</div>");
    for (change, title) in [
        (Change::Verdict, "Verdict changes"),
        (Change::Responses, "Same verdict, different responses"),
    ] {
        let cases: Vec<&CaseDiff> = cmp.cases.iter().filter(|c| c.change == change).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = write!(s, "<h2>{title} ({})</h2>", cases.len());
        let mut area = "";
        for c in cases {
            if c.area != area {
                area = &c.area;
                let _ = write!(
                    s,
                    "<h3>{} <span class=\"note\">({})</span></h3>",
                    esc(&c.area_title),
                    esc(&c.area)
                );
            }
            case(&mut s, c);
        }
    }
    for (title, lone) in [("Only in A", &cmp.only_in_a), ("Only in B", &cmp.only_in_b)] {
        if !lone.is_empty() {
            let _ = write!(s, "<h2>{title} ({})</h2><ul>", lone.len());
            for l in lone.iter() {
                let v = verdict_name(l.verdict);
                let _ = write!(
                    s,
                    "<li><code>{}</code> <span class=\"verdict {v}\">{v}</span></li>",
                    esc(&l.id)
                );
            }
            s.push_str("</ul>");
        }
    }
    let masks: Vec<String> = MASKS
        .iter()
        .map(|(m, what)| format!("<code>{}</code> {}", esc(m), esc(what)))
        .collect();
    let _ = write!(
        s,
        "<p class=\"note\">Not compared: the headers <code>{}</code>. Masked before comparing: {}. Arrays named <code>tags</code> are compared as sets.</p></body></html>",
        esc(&cmp.ignored_headers.join(", ")),
        masks.join("; ")
    );
    s
}

fn case(s: &mut String, c: &CaseDiff) {
    let (va, vb) = (verdict_name(c.a.verdict), verdict_name(c.b.verdict));
    let _ = write!(
        s,
        "<details class=\"case\" data-change=\"{}\"{}><summary><code>{}</code> <span class=\"verdict {va}\">{va}</span> → <span class=\"verdict {vb}\">{vb}</span></summary><p class=\"note\">{}</p><table>",
        if c.change == Change::Verdict { "verdict" } else { "responses" },
        if c.change == Change::Verdict { " open" } else { "" },
        esc(&c.id),
        esc(&c.proves)
    );
    if c.a.reason != c.b.reason {
        let _ = write!(
            s,
            "<tr><td class=\"path\">reason</td>{}{}</tr>",
            text_cell("a", &c.a.reason),
            text_cell("b", &c.b.reason)
        );
    }
    for st in &c.steps {
        let title = st
            .title
            .as_deref()
            .map(|t| format!(": {}", esc(t)))
            .unwrap_or_default();
        let _ = write!(
            s,
            "<tr><th colspan=\"3\">step {}{title} <code>{}</code></th></tr>",
            st.number,
            esc(&st.request)
        );
        for d in &st.differences {
            let exchange = if d.exchange > 1 {
                format!(" <span class=\"note\">(response {})</span>", d.exchange)
            } else {
                String::new()
            };
            let _ = write!(
                s,
                "<tr class=\"difference\"><td class=\"path\"><code>{}</code>{exchange}</td>{}{}</tr>",
                esc(&d.path),
                value_cell("a", &d.a),
                value_cell("b", &d.b)
            );
        }
    }
    s.push_str("</table></details>");
}

fn text_cell(class: &str, text: &str) -> String {
    if text.is_empty() {
        "<td class=\"absent\">none</td>".into()
    } else {
        format!("<td class=\"{class}\"><pre>{}</pre></td>", esc(text))
    }
}

fn value_cell(class: &str, v: &Option<Value>) -> String {
    match v {
        None => "<td class=\"absent\">absent</td>".into(),
        Some(Value::String(t)) if !t.is_empty() => text_cell(class, t),
        Some(v) => format!(
            "<td class=\"{class}\"><pre>{}</pre></td>",
            esc(&serde_json::to_string_pretty(v).unwrap_or_default())
        ),
    }
}
