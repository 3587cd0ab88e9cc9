//! The whole suite as loaded for a run: schemas, cases and the profile, from disk or built in.

use crate::case::{self, Case, LoadError};
use crate::profile::{Known, Profile};
use crate::schema::SchemaSet;
use crate::source::{self, SourceFile};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub struct Suite {
    pub schemas: Arc<SchemaSet>,
    pub cases: Vec<Case>,
    /// Whether the cases are the built-in ones (which the built-in profiles name).
    pub builtin_cases: bool,
}

#[derive(Debug)]
pub enum SuiteError {
    Io(String),
    Schema(String),
    Cases(Vec<LoadError>),
    Profile(String),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuiteError::Io(e) | SuiteError::Schema(e) | SuiteError::Profile(e) => f.write_str(e),
            SuiteError::Cases(errors) => {
                for e in errors {
                    writeln!(f, "{e}")?;
                }
                write!(
                    f,
                    "{} problem(s) in case files; nothing was run",
                    errors.len()
                )
            }
        }
    }
}

impl Suite {
    pub fn load(cases_dir: Option<&Path>, schemas_dir: Option<&Path>) -> Result<Suite, SuiteError> {
        let schema_files = match schemas_dir {
            Some(d) => source::from_dir(d, "json").map_err(SuiteError::Io)?,
            None => source::builtin("fixtures/schemas", "json"),
        };
        let schemas = SchemaSet::compile(&schema_files).map_err(SuiteError::Schema)?;
        let case_files = match cases_dir {
            Some(d) => source::from_dir(d, "yaml").map_err(SuiteError::Io)?,
            None => source::builtin("cases", "yaml"),
        };
        if case_files.is_empty() {
            return Err(SuiteError::Io(match cases_dir {
                Some(d) => format!("{}: no *.yaml case files", d.display()),
                None => "this binary was built without case files".into(),
            }));
        }
        let cases = case::load(&case_files, &schemas).map_err(SuiteError::Cases)?;
        Ok(Suite {
            builtin_cases: cases_dir.is_none(),
            schemas: Arc::new(schemas),
            cases,
        })
    }

    /// `strict`, `glance` (built in) or a path to a profile file; `extends` chains are followed.
    pub fn profile(&self, name: &str) -> Result<Profile, SuiteError> {
        let known = Known::new(&self.cases, self.schemas.names());
        let mut chain = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(n) = next {
            if chain.len() == 8 {
                return Err(SuiteError::Profile(format!(
                    "{name}: `extends` goes more than 8 profiles deep"
                )));
            }
            let file = profile_file(&n)?;
            // A built-in profile names built-in cases; with other case files it cannot be checked.
            let builtin_profile = !(n.ends_with(".yaml") || n.contains('/'));
            let known = (self.builtin_cases || !builtin_profile).then_some(&known);
            let p = Profile::parse(&file, known).map_err(SuiteError::Profile)?;
            next = p.extends.clone();
            chain.push(p);
        }
        // The most specific profile comes first; fold the bases under it.
        let mut merged = chain.remove(0);
        for base in chain {
            merged.inherit(base);
        }
        Ok(merged)
    }

    /// Puts the profile's schema fixtures in place of the ones cases name.
    pub fn apply_profile(&mut self, profile: &Profile) -> Result<(), SuiteError> {
        let schemas = Arc::get_mut(&mut self.schemas)
            .ok_or_else(|| SuiteError::Schema("the schema set is already shared".into()))?;
        for (name, with) in &profile.schemas {
            schemas.replace(name, with).map_err(|e| {
                SuiteError::Profile(format!("profile `{}`: schemas.{name}: {e}", profile.name))
            })?;
        }
        Ok(())
    }
}

fn profile_file(name: &str) -> Result<SourceFile, SuiteError> {
    if name.ends_with(".yaml") || name.contains('/') {
        let text = std::fs::read_to_string(name)
            .map_err(|e| SuiteError::Profile(format!("{name}: {e}")))?;
        return Ok(SourceFile::new(name, text));
    }
    let builtin = source::builtin("profiles", "yaml");
    let mut known: Vec<String> = builtin
        .iter()
        .filter_map(|f| f.stem().map(String::from))
        .collect();
    known.sort();
    builtin
        .into_iter()
        .find(|f| f.stem() == Some(name))
        .ok_or_else(|| {
            SuiteError::Profile(format!(
                "no built-in profile `{name}` (built in: {})",
                known.join(", ")
            ))
        })
}
