//! Traceability: which catalogued behaviours the cases prove, per area, and which they do not.
//!
//! The catalogue (`catalogue/behaviours.yaml`) lists every behaviour once; cases name the ids they
//! prove. Everything here is derived from those two, so the coverage table cannot drift from the
//! cases it describes.

use crate::case::Case;
use crate::source::SourceFile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub behaviours: Vec<Behaviour>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub id: String,
    pub area: String,
    pub request: String,
    pub documented: String,
    #[serde(default)]
    pub since: Option<String>,
    pub glance: String,
    /// Why no case proves it, when that is a decision.
    #[serde(default)]
    pub not_covered: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaCoverage {
    pub area: String,
    pub behaviours: usize,
    pub covered: usize,
    /// Uncovered ids, each with its reason (or "no case yet").
    pub uncovered: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub areas: Vec<AreaCoverage>,
    pub behaviours: usize,
    pub covered: usize,
    pub cases: usize,
    /// Ids that cases name but the catalogue does not have.
    pub unknown_ids: Vec<(String, String)>,
}

impl Catalogue {
    pub fn parse(file: &SourceFile) -> Result<Catalogue, String> {
        let c: Catalogue = crate::yaml::from_str(&file.text)
            .map_err(|e| crate::case::LoadError::from_yaml(file, e).to_string())?;
        let mut seen = BTreeSet::new();
        for b in &c.behaviours {
            if !seen.insert(b.id.as_str()) {
                return Err(format!("{}: behaviour {} is listed twice", file.path, b.id));
            }
        }
        Ok(c)
    }

    /// The built-in catalogue: every `catalogue/*.yaml` file, in name order.
    pub fn builtin() -> Result<Catalogue, String> {
        let files = crate::source::builtin("catalogue", "yaml");
        if files.is_empty() {
            return Err("this binary was built without the behaviour catalogue".into());
        }
        let mut all = Catalogue {
            behaviours: Vec::new(),
        };
        for f in &files {
            all.behaviours.extend(Catalogue::parse(f)?.behaviours);
        }
        let mut seen = BTreeSet::new();
        for b in &all.behaviours {
            if !seen.insert(b.id.as_str()) {
                return Err(format!(
                    "catalogue: behaviour {} is listed in two files",
                    b.id
                ));
            }
        }
        Ok(all)
    }

    pub fn coverage(&self, cases: &[Case]) -> Coverage {
        let mut proven: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in cases {
            for b in &c.behaviours {
                proven.entry(b.as_str()).or_default().push(c.id.as_str());
            }
        }
        let known: BTreeSet<&str> = self.behaviours.iter().map(|b| b.id.as_str()).collect();
        let mut unknown_ids = Vec::new();
        for (id, by) in &proven {
            if !known.contains(id) {
                for case in by {
                    unknown_ids.push((id.to_string(), case.to_string()));
                }
            }
        }
        let mut order: Vec<&str> = Vec::new();
        let mut areas: BTreeMap<&str, AreaCoverage> = BTreeMap::new();
        for b in &self.behaviours {
            if !areas.contains_key(b.area.as_str()) {
                order.push(&b.area);
            }
            let a = areas.entry(&b.area).or_insert_with(|| AreaCoverage {
                area: b.area.clone(),
                behaviours: 0,
                covered: 0,
                uncovered: Vec::new(),
            });
            a.behaviours += 1;
            if proven.contains_key(b.id.as_str()) {
                a.covered += 1;
            } else {
                let why = b
                    .not_covered
                    .clone()
                    .unwrap_or_else(|| "no case yet".into());
                a.uncovered.push((b.id.clone(), why));
            }
        }
        let areas: Vec<AreaCoverage> = order.iter().filter_map(|a| areas.remove(a)).collect();
        Coverage {
            behaviours: areas.iter().map(|a| a.behaviours).sum(),
            covered: areas.iter().map(|a| a.covered).sum(),
            cases: cases.len(),
            areas,
            unknown_ids,
        }
    }
}

impl Coverage {
    /// The Markdown table the README quotes.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| area | behaviours | covered | not covered |");
        let _ = writeln!(s, "| --- | ---: | ---: | --- |");
        for a in &self.areas {
            let ids: Vec<&str> = a.uncovered.iter().map(|(id, _)| id.as_str()).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                a.area,
                a.behaviours,
                a.covered,
                ids.join(" ")
            );
        }
        let _ = writeln!(
            s,
            "| **all** | **{}** | **{}** | {} cases prove {} of {} catalogued behaviours |",
            self.behaviours, self.covered, self.cases, self.covered, self.behaviours
        );
        // Behaviours left out on purpose, grouped by their reason.
        let mut decided: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, why) in self.areas.iter().flat_map(|a| a.uncovered.iter()) {
            if why != "no case yet" {
                decided.entry(why.as_str()).or_default().push(id.as_str());
            }
        }
        if !decided.is_empty() {
            let _ = writeln!(s, "\nNot covered on purpose:\n");
            for (why, ids) in decided {
                let _ = writeln!(s, "- {}: {why}", ids.join(" "));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let text = "behaviours:\n  - {id: B1, area: tags, request: r, documented: d, glance: g}\n  - {id: B2, area: tags, request: r, documented: d, glance: g}\n  - {id: B3, area: list, request: r, documented: d, glance: g, not_covered: needs a cache}\n";
        Catalogue::parse(&SourceFile::new("catalogue/behaviours.yaml", text.into())).unwrap()
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = "behaviours:\n  - {id: B1, area: a, request: r, documented: d, glance: g}\n  - {id: B1, area: a, request: r, documented: d, glance: g}\n";
        let err = Catalogue::parse(&SourceFile::new("c.yaml", text.into())).unwrap_err();
        assert!(err.contains("behaviour B1 is listed twice"), "{err}");
    }

    #[test]
    fn a_malformed_entry_names_file_line_and_field() {
        let text = "behaviours:\n  - {id: B1, area: a, request: r, documented: d, glance: g}\n  - {id: B2, area: a}\n";
        let err = Catalogue::parse(&SourceFile::new("c.yaml", text.into())).unwrap_err();
        assert!(
            err.starts_with("c.yaml:3:5: behaviours[1]: missing field `request`"),
            "{err}"
        );
    }

    #[test]
    fn table_counts_areas_and_reasons() {
        let cov = catalogue().coverage(&[]);
        assert_eq!((cov.behaviours, cov.covered), (3, 0));
        let md = cov.markdown();
        assert!(md.contains("| tags | 2 | 0 | B1 B2 |"), "{md}");
        assert!(md.contains("- B3: needs a cache"), "{md}");
    }
}
