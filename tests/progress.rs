//! The live progress line: drawn on a terminal (a pseudo-terminal from util-linux `script`),
//! never into a pipe or a report, not with --quiet or IMGCONF_NO_PROGRESS, and libtest's lines
//! still come out whole.
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

const LINE: &str = "15/15 cases done, 0 failed,";

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `imgconf run ARGS images.show::` with a terminal as stdout and stderr; returns what the
/// terminal received, and the report files' text.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = vec![quote(env!("CARGO_BIN_EXE_imgconf")), "run".into()];
    cmd.extend(args.iter().map(|a| quote(a)));
    let report = dir.path().join("r");
    cmd.extend([
        "--report-dir".into(),
        quote(report.to_str().unwrap()),
        "--junit".into(),
        quote(dir.path().join("j.xml").to_str().unwrap()),
        "images.show::".into(),
    ]);
    let o = Command::new("script")
        .args(["-qfec", &cmd.join(" "), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("IMGCONF_ENDPOINT")
        .env_remove("IMGCONF_NO_PROGRESS")
        .envs(env.iter().copied())
        .output()
        .expect("util-linux `script` (Debian bsdutils) runs a command on a pseudo-terminal");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{out}");
    let reports = ["j.xml", "r/results.json", "r/report.html", "r/summary.md"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    (out, reports)
}

#[test]
fn a_terminal_shows_the_live_line_and_libtest_lines_stay_whole() {
    for threads in ["1", "2"] {
        let (out, reports) = on_a_terminal(&["--test-threads", threads], &[]);
        assert!(out.contains(LINE), "threads {threads}: {out:?}");
        assert!(out.contains("\x1b[2K"), "the line is erased: {out:?}");
        // Erased before every other output: libtest's lines and the summary come out whole.
        assert!(
            out.contains("\r\nrunning 15 tests\r\n") || out.contains("\x1b[2Krunning 15 tests\r\n"),
            "{out:?}"
        );
        // Colours as libtest gives a terminal, although stdout goes through the relay.
        assert!(
            out.contains("test result: \x1b[32mok\x1b[0m. 15 passed; 0 failed"),
            "{out:?}"
        );
        assert!(
            out.contains("test images.show::unknown-id-is-404 ") && out.contains(" ... "),
            "{out:?}"
        );
        // The last thing on the screen is not the progress line: it was erased at the end.
        let tail = &out[out.rfind("test result:").unwrap()..];
        assert!(
            !tail.ends_with(&format!("{LINE} 0 s\r")),
            "left on screen: {tail:?}"
        );
        assert!(!reports.contains("cases done"), "in a report: {reports}");
        assert!(!reports.contains('\x1b'), "escape codes in a report");
    }
}

#[test]
fn quiet_or_no_progress_draws_no_line_on_a_terminal() {
    let (out, _) = on_a_terminal(&["--quiet"], &[]);
    assert!(!out.contains("cases done"), "{out:?}");
    let (out, _) = on_a_terminal(&["--no-progress"], &[]);
    assert!(!out.contains("cases done"), "{out:?}");
    let (out, _) = on_a_terminal(&[], &[("IMGCONF_NO_PROGRESS", "true")]);
    assert!(!out.contains("cases done"), "{out:?}");
    assert!(out.contains("15 passed; 0 failed"), "{out:?}");
}

#[test]
fn a_pipe_gets_no_progress_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::bin()
        .args(["run", "images.show::", "--report-dir"])
        .arg(dir.path().join("r"))
        .arg("--junit")
        .arg(dir.path().join("j.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("cases done"), "{all}");
    assert!(!all.contains('\x1b') && !all.contains('\r'), "{all:?}");
    assert!(
        all.contains("test images.show::unknown-id-is-404 ... ok")
            || all.contains("test images.show::unknown-id-is-404"),
        "{all}"
    );
}
