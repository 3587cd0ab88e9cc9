//! Turning case results into what people and CI read: the console evidence ([`text`]), JUnit XML
//! ([`junit`]), `results.json` ([`results`]), `report.html` ([`html`]) and `summary.md`
//! ([`markdown`]); [`excerpt`] points a failed check out in its case file. Every file is
//! rendered from a [`results::RunReport`], so a saved `results.json` renders the same files
//! again.

pub mod excerpt;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod reproduce;
pub mod results;
#[cfg(test)]
mod testing;
pub mod text;

use results::RunReport;
use std::path::Path;

/// Writes `junit.xml`, `results.json`, `report.html` and `summary.md` into `dir`, each passed
/// through `redact` (which masks the run's secrets) on its way out.
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    redact: &dyn Fn(String) -> String,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, redact(text)).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("junit.xml", junit::render_report(report)?)?;
    write(
        "results.json",
        serde_json::to_string_pretty(report)
            .map_err(|e| format!("cannot write results.json: {e}"))?,
    )?;
    write("report.html", html::render(report))?;
    write("summary.md", markdown::render(report))?;
    for case in report.cases.iter().filter(|c| c.verdict.is_failure()) {
        let rel = reproduce::path_for(&case.id);
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        write(&rel, reproduce::script(report, case))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(())
}
