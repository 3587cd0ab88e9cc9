//! The suite proves its own power: with each fault of the reference server switched on, the run
//! fails, and among the failures is a case the fault names as its catcher. Every case must also be
//! the catcher of some fault, so a case or a fault added without the other fails here.

use imgconf::reference::faults::FAULTS;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

struct Run {
    code: Option<i32>,
    failed: BTreeSet<String>,
    skipped: BTreeSet<String>,
    all: BTreeSet<String>,
}

fn run(fault: Option<&str>, dir: &std::path::Path) -> Run {
    let junit: PathBuf = dir.join(format!("{}.xml", fault.unwrap_or("clean")));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imgconf"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("IMGCONF_ENDPOINT")
        .args(["run", "--format", "terse", "--junit"])
        .arg(&junit);
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
    };
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
    for (i, r) in runs {
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
