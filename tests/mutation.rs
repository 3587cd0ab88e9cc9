//! The suite proves its own power: with each fault of the reference server switched on, the run
//! fails, and among the failures is a case the fault names as its catcher. Every case must also be
//! the catcher of some fault, so a case or a fault added without the other fails here.
//!
//! It also weighs the checks, not only the cases: which kinds of check the cases state that no
//! fault makes fail. That list is kept in docs/fault-coverage.json (shown by `imgconf faults`
//! and quoted in the README) and must match what the faults really do;
//! `IMGCONF_UPDATE_FAULT_COVERAGE=1` rewrites it.

mod common;

use imgconf::expect::Check;
use imgconf::outcome::Verdict;
use imgconf::reference::faults::FAULTS;
use imgconf::report::results::RunReport;
use std::collections::BTreeSet;
use std::path::PathBuf;

struct Run {
    code: Option<i32>,
    failed: BTreeSet<String>,
    skipped: BTreeSet<String>,
    all: BTreeSet<String>,
    /// The kinds of check among the failed cases' findings.
    kinds: BTreeSet<Check>,
}

fn run(fault: Option<&str>, dir: &std::path::Path) -> Run {
    let name = fault.unwrap_or("clean");
    let junit: PathBuf = dir.join(format!("{name}.xml"));
    let reports = dir.join(name);
    let mut cmd = common::bin();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("IMGCONF_ENDPOINT")
        .args(["run", "--format", "terse", "--junit"])
        .arg(&junit)
        .arg("--report-dir")
        .arg(&reports);
    if let Some(f) = fault {
        // Many faults leave cases polling until their attempts run out (15 s and more), so a
        // faulty run mostly waits: more cases at once overlap the waits, not the CPU work.
        cmd.args(["--fault", f, "--test-threads", "16"]);
    }
    let out = cmd.output().expect("run imgconf");
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    let mut r = Run {
        code: out.status.code(),
        failed: BTreeSet::new(),
        skipped: BTreeSet::new(),
        all: BTreeSet::new(),
        kinds: BTreeSet::new(),
    };
    if let Ok(report) = RunReport::read(&reports.join("results.json")) {
        r.kinds = report
            .cases
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .flat_map(|c| c.steps.iter().flat_map(|s| &s.findings))
            .map(|f| f.check)
            .collect();
    }
    for chunk in xml.split("<testcase ").skip(1) {
        let name = chunk
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        let body = chunk.split("</testcase>").next().unwrap_or(chunk);
        if body.contains("<failure") || body.contains("<error") {
            r.failed.insert(name.clone());
        } else if body.contains("<skipped") {
            r.skipped.insert(name.clone());
        }
        r.all.insert(name);
    }
    r
}

#[test]
fn every_fault_is_caught_and_every_case_catches_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let clean = run(None, dir.path());
    assert_eq!(
        clean.code,
        Some(0),
        "the clean server must pass: {:?}",
        clean.failed
    );
    assert!(clean.all.len() > 20);

    // Faults run several at a time: each run is a whole suite against its own server, and
    // most of a faulty run's time is spent waiting on polls.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let runs: Vec<(usize, Run)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(fault) = FAULTS.get(i) else {
                            return mine;
                        };
                        mine.push((i, run(Some(fault.name), dir.path())));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut caught = 0;
    let mut problems = Vec::new();
    let mut catchers: BTreeSet<String> = BTreeSet::new();
    let mut failing_kinds: BTreeSet<Check> = BTreeSet::new();
    for (i, r) in runs {
        failing_kinds.extend(&r.kinds);
        let fault = &FAULTS[i];
        let named: Vec<&String> = r
            .failed
            .iter()
            .filter(|c| fault.caught_by.iter().any(|p| c.starts_with(p)))
            .collect();
        if r.code == Some(101) && !named.is_empty() {
            caught += 1;
        } else {
            problems.push(format!(
                "fault `{}` ({}): exit {:?}, failed {:?}, expected one of {:?}",
                fault.name, fault.breaks, r.code, r.failed, fault.caught_by
            ));
        }
        catchers.extend(r.failed);
    }
    println!("mutation score: {caught}/{} faults caught", FAULTS.len());
    problems.extend(check_fault_coverage(&failing_kinds));
    let uncaught_cases: Vec<&String> = clean
        .all
        .iter()
        .filter(|c| !clean.skipped.contains(*c) && !catchers.contains(*c))
        .collect();
    for c in &uncaught_cases {
        problems.push(format!(
            "case `{c}` fails under no fault: add a fault it catches"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Compares the kinds of check no fault makes fail with docs/fault-coverage.json and the README.
fn check_fault_coverage(failing: &BTreeSet<Check>) -> Vec<String> {
    let suite = imgconf::suite::Suite::load(None, None).unwrap();
    let stated: BTreeSet<Check> = suite.cases.iter().flat_map(|c| c.check_kinds()).collect();
    let names =
        |set: &mut dyn Iterator<Item = &Check>| -> Vec<String> { set.map(|c| c.name()).collect() };
    let measured = imgconf::reference::coverage::FaultCoverage {
        stated_by_cases: names(&mut stated.iter()),
        made_to_fail: names(&mut stated.intersection(failing)),
        no_fault_exercises: names(&mut stated.difference(failing)),
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(imgconf::reference::coverage::PATH);
    if std::env::var_os("IMGCONF_UPDATE_FAULT_COVERAGE").is_some() {
        std::fs::write(&path, measured.to_json()).unwrap();
    }
    let mut problems = Vec::new();
    let kept = imgconf::reference::coverage::FaultCoverage::builtin();
    if kept != measured {
        problems.push(format!(
            "{} is stale: measured {measured:?}, kept {kept:?} (IMGCONF_UPDATE_FAULT_COVERAGE=1 rewrites it)",
            imgconf::reference::coverage::PATH
        ));
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let line = measured.summary();
    if !readme.contains(&line) {
        problems.push(format!("README.md does not say: {line}"));
    }
    problems
}
