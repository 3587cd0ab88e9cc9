//! Where case files, schemas and profiles come from: a directory on disk, or the copies built
//! into the binary so that `imgconf run` works anywhere without a checkout.

use std::path::Path;

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown in messages (`cases/tags.yaml`).
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: String) -> SourceFile {
        SourceFile {
            path: path.into(),
            text,
        }
    }

    pub fn stem(&self) -> Option<&str> {
        Path::new(&self.path).file_stem()?.to_str()
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in files under `dir` (`cases`, `fixtures/schemas`, `profiles`) with extension `ext`.
pub fn builtin(dir: &str, ext: &str) -> Vec<SourceFile> {
    embedded::FILES
        .iter()
        .filter(|(path, _)| {
            Path::new(path).parent() == Some(Path::new(dir)) && path.ends_with(&format!(".{ext}"))
        })
        .map(|(path, text)| SourceFile::new(*path, text.to_string()))
        .collect()
}

/// The text of one built-in file (`cases/templates/steps.yaml`).
pub fn builtin_text(path: &str) -> Option<&'static str> {
    embedded::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// Files in `dir` with extension `ext`, sorted by name.
pub fn from_dir(dir: &Path, ext: &str) -> Result<Vec<SourceFile>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(SourceFile::new(p.display().to_string(), text))
        })
        .collect()
}
