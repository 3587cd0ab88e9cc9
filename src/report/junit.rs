//! JUnit XML: one testsuite per area, one testcase per case, with the evidence of failures.
//!
//! Written by hand to the Ant/Jenkins format (tests/data/junit.xsd states its rules and a test
//! validates every report with xmllint): the root carries only name/tests/failures/errors/time,
//! and properties exist only on a testsuite, so what a case proves goes into its `<system-out>`.

use crate::outcome::{CaseResult, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// JUnit for a whole run report.
pub fn render_report(r: &super::results::RunReport) -> Result<String, String> {
    render(
        &r.cases,
        &r.run.run_id,
        &r.run.endpoint,
        &r.run.profile,
        &r.run.warnings,
    )
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    ms: u128,
}

impl Counts {
    fn add(&mut self, r: &CaseResult) {
        self.tests += 1;
        self.ms += r.duration_ms;
        match r.verdict {
            Verdict::Fail => self.failures += 1,
            Verdict::Error => self.errors += 1,
            Verdict::Skip => self.skipped += 1,
            Verdict::Pass | Verdict::Deviation | Verdict::DeviationGone => {}
        }
    }
}

pub fn render(
    results: &[CaseResult],
    run_id: &str,
    endpoint: &str,
    profile: &str,
    warnings: &[String],
) -> Result<String, String> {
    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    let mut all = Counts::default();
    for r in results {
        areas.entry(r.area.as_str()).or_default().push(r);
        all.add(r);
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"imgconf\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        all.tests,
        all.failures,
        all.errors,
        seconds(all.ms)
    );
    for (area, cases) in areas {
        let mut c = Counts::default();
        cases.iter().for_each(|r| c.add(r));
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            attr(area),
            c.tests,
            c.failures,
            c.errors,
            c.skipped,
            seconds(c.ms)
        );
        x.push_str("    <properties>\n");
        for (name, value) in [
            ("run_id", run_id),
            ("endpoint", endpoint),
            ("profile", profile),
        ]
        .into_iter()
        .chain(warnings.iter().map(|w| ("warning", w.as_str())))
        {
            let _ = writeln!(
                x,
                "      <property name=\"{name}\" value=\"{}\"/>",
                attr(value)
            );
        }
        x.push_str("    </properties>\n");
        for r in cases {
            testcase(&mut x, r);
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    Ok(x)
}

fn testcase(x: &mut String, r: &CaseResult) {
    let _ = writeln!(
        x,
        "    <testcase name=\"{}\" classname=\"imgconf.{}\" time=\"{}\">",
        attr(&r.id),
        attr(&r.area),
        seconds(r.duration_ms)
    );
    let outcome = match r.verdict {
        Verdict::Pass | Verdict::Deviation | Verdict::DeviationGone => None,
        Verdict::Skip => Some(("skipped", None)),
        Verdict::Fail => Some(("failure", Some("conformance failure"))),
        Verdict::Error => Some(("error", Some("harness error"))),
    };
    if let Some((tag, kind)) = outcome {
        let kind = kind.map(|k| format!(" type=\"{k}\"")).unwrap_or_default();
        let text = if r.verdict == Verdict::Skip {
            String::new()
        } else {
            text(&super::text::failure(r))
        };
        let _ = writeln!(
            x,
            "      <{tag}{kind} message=\"{}\">{text}</{tag}>",
            attr(&r.reason)
        );
    }
    // What the case proves and where that is documented: the format has no per-testcase
    // properties, and CI servers show system-out next to the case.
    let mut out = format!(
        "proves: {}\nspec: {} — {}\n",
        r.proves, r.document, r.section
    );
    if !r.behaviours.is_empty() {
        let _ = writeln!(out, "behaviours: {}", r.behaviours.join(", "));
    }
    let _ = writeln!(out, "case: {}:{}", r.file, r.line);
    if let Some(d) = &r.deviation {
        let _ = writeln!(out, "deviation: {} ({})", d.reason, d.reference);
        if r.verdict == Verdict::DeviationGone {
            let _ = writeln!(out, "declared deviation did not occur: {}", r.reason);
        }
        if r.verdict == Verdict::Deviation {
            let _ = write!(
                out,
                "\nexpected deviation: {}\n{}",
                d.reason,
                super::text::failure(r)
            );
        }
    }
    let _ = writeln!(x, "      <system-out>{}</system-out>", text(&out));
    x.push_str("    </testcase>\n");
}

/// Seconds with millisecond precision, as Ant writes them.
fn seconds(ms: u128) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Text content: markup escaped; characters XML 1.0 cannot carry (a hostile server's control
/// bytes in evidence) shown as `\u{..}` so the document stays well-formed.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Attribute value: as text, and quotes and line breaks as references so they survive parsing.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if allowed(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out
}

/// The characters of XML 1.0 (`Char` production), less tab/LF/CR handled above.
fn allowed(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_markup_are_escaped() {
        assert_eq!(
            text("a<b>&\u{0}\u{1b}\tc\n"),
            "a&lt;b&gt;&amp;\\u{0}\\u{1b}\tc\n"
        );
        assert_eq!(attr("\"x\"\ny\r"), "&quot;x&quot;&#10;y&#13;");
        assert_eq!(text("\u{FFFE}é😀"), "\\u{fffe}é😀");
    }

    #[test]
    fn a_failed_check_is_shown_escaped_in_its_case_file() {
        use super::super::testing::{failed_case, located, report};
        let xml = render_report(&report(vec![failed_case(vec![located(true)])])).unwrap();
        let failure = &xml[xml.find("<failure").unwrap()..xml.find("</failure>").unwrap()];
        assert!(
            failure.contains("\n    --&gt; cases/update.yaml:32:19\n"),
            "{xml}"
        );
        assert!(
            failure.contains("\n    32 |         checks: [{at: body.name, equals: \"&lt;b&gt;&amp;\"}]\n       |                   ^ expected \"&lt;b&gt;&amp;\", got \"x\"\n"),
            "{xml}"
        );
        let bare = render_report(&report(vec![failed_case(vec![located(false)])])).unwrap();
        assert!(
            bare.contains("\n    --&gt; cases/update.yaml:32:19\n</failure>"),
            "{bare}"
        );
    }

    #[test]
    fn seconds_have_three_decimals() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(61_005), "61.005");
    }
}
