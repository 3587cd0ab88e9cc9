//! `created.jsonl` in a run's results folder: one line per resource the run creates, written as
//! it is created (so it survives a killed run), and one per resource deleted. `imgconf cleanup`
//! reads it to find what is left by id, whatever a case did to the resource's name.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE: &str = "created.jsonl";

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub run_id: String,
    pub endpoint: String,
    /// `image` or `namespace` (a metadata-definition namespace, by name).
    pub kind: String,
    pub id: String,
    /// `created` or `deleted`.
    pub event: String,
}

/// Appends entries to one run's journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    run_id: String,
    endpoint: String,
    file: Mutex<Option<std::fs::File>>,
}

impl Journal {
    /// Creates (or continues) the journal; the folder must exist.
    pub fn open(path: &Path, run_id: &str, endpoint: &str) -> Result<Journal, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Journal {
            path: path.to_path_buf(),
            run_id: run_id.to_string(),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            file: Mutex::new(Some(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line; a write that fails is said once on the console and the journal stops
    /// (the run's own cleanup does not depend on it).
    pub fn write(&self, kind: &str, id: &str, event: &str) {
        let entry = Entry {
            run_id: self.run_id.clone(),
            endpoint: self.endpoint.clone(),
            kind: kind.to_string(),
            id: id.to_string(),
            event: event.to_string(),
        };
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = file.as_mut() else { return };
        let line = serde_json::to_string(&entry).unwrap_or_default() + "\n";
        if let Err(e) = f.write_all(line.as_bytes()).and_then(|_| f.flush()) {
            eprintln!(
                "imgconf: cannot write {}: {e}; `imgconf cleanup` finds this run's images by name only",
                self.path.display()
            );
            *file = None;
        }
    }
}

/// What the journals say is still there: entries created and not deleted since, for
/// `endpoint` (and `run_id`, if given), oldest first, each once.
pub fn left(
    journals: &[PathBuf],
    endpoint: &str,
    run_id: Option<&str>,
) -> Result<Vec<(PathBuf, Entry)>, String> {
    let endpoint = endpoint.trim_end_matches('/');
    let mut live: Vec<(PathBuf, Entry)> = Vec::new();
    for path in journals {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let e: Entry = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: not a journal line: {e}", path.display(), n + 1))?;
            if e.endpoint != endpoint || run_id.is_some_and(|r| r != e.run_id) {
                continue;
            }
            let same = |(_, x): &(PathBuf, Entry)| x.kind == e.kind && x.id == e.id;
            match e.event.as_str() {
                "created" if !live.iter().any(same) => live.push((path.clone(), e)),
                "deleted" => live.retain(|x| !same(x)),
                _ => {}
            }
        }
    }
    Ok(live)
}

/// The journals under `reports/*/` (the default results folders), sorted.
pub fn default_journals(reports: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(reports)
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join(FILE))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_created_and_not_deleted_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let j = Journal::open(&path, "r1", "http://h:9292/").unwrap();
        j.write("image", "a", "created");
        j.write("image", "b", "created");
        j.write("namespace", "ns", "created");
        j.write("image", "a", "deleted");
        let other = Journal::open(&path, "r2", "http://h:9292").unwrap();
        other.write("image", "c", "created");
        let ids = |v: Vec<(PathBuf, Entry)>| v.into_iter().map(|(_, e)| e.id).collect::<Vec<_>>();
        let all = left(std::slice::from_ref(&path), "http://h:9292", None).unwrap();
        assert_eq!(ids(all), ["b", "ns", "c"]);
        let one = left(std::slice::from_ref(&path), "http://h:9292", Some("r2")).unwrap();
        assert_eq!(ids(one), ["c"]);
        assert!(left(&[path], "http://elsewhere", None).unwrap().is_empty());
    }
}
