//! `imgconf compare A B`, and the comparison `imgconf run --compare-with` makes after a run.

use super::{compare, html, load, text, Comparison, EXIT_TROUBLE};
use crate::report::results::RunReport;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where to write the comparison besides the console.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    pub md: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

impl Outputs {
    /// Writes each file asked for, passed through `redact` on its way out.
    pub fn write(&self, cmp: &Comparison, redact: &dyn Fn(String) -> String) -> Result<(), String> {
        let write = |path: &Path, text: String| {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, redact(text)).map_err(|e| format!("{}: {e}", path.display()))
        };
        if let Some(p) = &self.md {
            write(p, text::markdown(cmp))?;
        }
        if let Some(p) = &self.html {
            write(p, html::render(cmp))?;
        }
        if let Some(p) = &self.json {
            let json = serde_json::to_string_pretty(cmp)
                .map_err(|e| format!("cannot write the comparison as JSON: {e}"))?;
            write(p, json)?;
        }
        Ok(())
    }
}

/// `imgconf compare`: prints the table (unless `quiet`), writes the files, and exits as
/// diff(1) does.
pub fn main(a: &Path, b: &Path, outputs: &Outputs, quiet: bool) -> ExitCode {
    let result = (|| -> Result<u8, String> {
        let (ra, rb) = (load(a)?, load(b)?);
        let cmp = compare(&a.display().to_string(), &ra, &b.display().to_string(), &rb);
        if !quiet {
            print!("{}", text::console(&cmp));
        }
        outputs.write(&cmp, &|t| t)?;
        if let Some(t) = cmp.trouble() {
            eprintln!("imgconf: error: {t}");
        }
        Ok(cmp.exit_code())
    })();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("imgconf: error: {e}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// After `imgconf run --compare-with BASELINE`: compares the baseline (A) with this run (B),
/// prints the table to stderr, writes compare.md, compare.html and compare.json next to the
/// run's reports, and returns the comparison.
pub fn after_run(
    baseline_path: &Path,
    baseline: &RunReport,
    run: &RunReport,
    dir: &Path,
    redact: &dyn Fn(String) -> String,
) -> Result<Comparison, String> {
    let cmp = compare(
        &baseline_path.display().to_string(),
        baseline,
        &dir.display().to_string(),
        run,
    );
    eprint!("\n{}", redact(text::console(&cmp)));
    Outputs {
        md: Some(dir.join("compare.md")),
        html: Some(dir.join("compare.html")),
        json: Some(dir.join("compare.json")),
    }
    .write(&cmp, redact)?;
    Ok(cmp)
}
