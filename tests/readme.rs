//! The README matches the binary: every flag it names for a subcommand is in that subcommand's
//! `--help`, and the libtest flags it says are refused are not.

mod common;

use regex::Regex;
use std::collections::BTreeMap;

const SUBCOMMANDS: [&str; 6] = ["run", "serve", "cleanup", "report", "coverage", "faults"];

fn help(sub: &str) -> String {
    let o = common::bin().args([sub, "--help"]).output().unwrap();
    assert!(o.status.success(), "{sub} --help");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Flags the README names, by the subcommand they are named for.
fn named_flags(readme: &str) -> BTreeMap<&'static str, Vec<String>> {
    let flag = Regex::new(r"--[a-z][a-z0-9-]*").unwrap();
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut add = |sub: &'static str, text: &str| {
        for m in flag.find_iter(text) {
            out.entry(sub).or_default().push(m.as_str().to_string());
        }
    };
    // Commands in code blocks and in inline code: `imgconf SUB …`.
    let mut in_block = false;
    let mut spans: Vec<String> = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            spans.push(line.split(" # ").next().unwrap_or("").to_string());
        }
    }
    let prose: String = readme
        .split("```")
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\n', " ");
    spans.extend(prose.split('`').skip(1).step_by(2).map(str::to_string));
    for span in &spans {
        for sub in SUBCOMMANDS {
            if let Some(at) = span.find(&format!("imgconf {sub}")) {
                add(sub, &span[at..]);
            }
        }
    }
    // The options paragraph and the Keystone/TLS table are `run`'s.
    let options = readme
        .split("\n\n")
        .find(|p| p.starts_with("Options (each also from an environment variable"))
        .expect("the options paragraph");
    add("run", options);
    for row in readme.lines().filter(|l| l.starts_with("| `--")) {
        add("run", row.split(" | ").next().unwrap_or(""));
    }
    out
}

#[test]
fn every_flag_the_readme_names_exists() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let named = named_flags(&readme);
    assert!(named["run"].len() > 40, "{named:?}");
    // Named in the README as refused.
    let refused = ["--bench", "--test", "--nocapture", "--show-output"];
    // Accepted but hidden: it only explains itself.
    let hidden = ["--ignored"];
    let mut missing = Vec::new();
    let flag = Regex::new(r"--[a-z][a-z0-9-]*").unwrap();
    for (sub, flags) in &named {
        let text = help(sub);
        let offered: Vec<&str> = flag.find_iter(&text).map(|m| m.as_str()).collect();
        for f in flags.iter().filter(|f| !hidden.contains(&f.as_str())) {
            let is_refused = *sub == "run" && refused.contains(&f.as_str());
            if is_refused == offered.contains(&f.as_str()) {
                missing.push(format!("imgconf {sub} {f}"));
            }
        }
    }
    missing.dedup();
    assert!(
        missing.is_empty(),
        "the README and --help disagree: {missing:?}"
    );
}
