//! Stage 2 of a run: which cases run, and which of them the profile leaves out. `--ignored` is
//! refused, `--rerun-failed` and `--partition` narrow the suite, libtest's filters and `--skip`
//! are counted here (libtest-mimic applies them), and `--list` ends the run with the plan.

use super::config::RunConfig;
use crate::case::Case;
use crate::persona::{Persona, Personas};
use crate::progress::Console;
use crate::report::results::RunReport;
use libtest_mimic::Trial;

/// A case the run will offer to libtest, and why the profile excludes it, if it does.
pub struct Planned {
    pub case: Case,
    pub excluded: Option<String>,
}

pub struct Plan {
    pub cases: Vec<Planned>,
    /// How many of them libtest's filter and `--skip` leave in.
    pub selected: usize,
    /// The arguments libtest-mimic runs (or lists) the cases with.
    pub libtest: libtest_mimic::Arguments,
}

impl Plan {
    /// The plan for `cases` (the whole suite, the profile already applied); `None` when there
    /// is nothing to run and that is a success (a rerun of a green run).
    pub fn make(
        config: &RunConfig,
        mut cases: Vec<Case>,
        console: Console,
    ) -> Result<Option<Plan>, String> {
        let args = &config.args;
        if args.libtest.ignored {
            return Err("--ignored selects the cases marked ignored before the run, and imgconf marks none: a case that cannot run here is skipped while running, with its reason (drop --ignored)".into());
        }
        let libtest = args.libtest.to_mimic();
        // After the profile, which may name any case of the suite.
        if let Some(path) = &args.rerun_failed {
            let saved = RunReport::read(path)?;
            let failed: std::collections::BTreeSet<&str> = saved
                .cases
                .iter()
                .filter(|c| c.verdict.is_failure())
                .map(|c| c.id.as_str())
                .collect();
            if failed.is_empty() {
                console.note(&format!(
                    "{}: no case failed in that run; nothing to rerun",
                    path.display()
                ));
                return Ok(None);
            }
            cases.retain(|c| failed.contains(c.id.as_str()));
            console.note(&format!(
                "rerunning the {} case(s) that failed in {}",
                cases.len(),
                path.display()
            ));
        }
        if let Some(p) = &args.partition {
            let mut i = 0;
            cases.retain(|c| {
                i += 1;
                p.contains(i - 1, &c.id)
            });
        }
        let selected = cases.iter().filter(|c| !filtered_out(&libtest, c)).count();
        let cases = cases
            .into_iter()
            .map(|case| Planned {
                excluded: config.profile.exclusion(&case),
                case,
            })
            .collect();
        Ok(Some(Plan {
            cases,
            selected,
            libtest,
        }))
    }

    /// `--list`: the selected cases, as libtest lists tests; no target needed.
    pub fn list(&self) {
        let trials = self
            .cases
            .iter()
            .map(|p| Trial::test(p.case.id.clone(), || Ok(())))
            .collect();
        let _ = libtest_mimic::run(&self.libtest, trials);
    }

    /// Fails when the selection leaves no case, naming what selected.
    pub fn require_some(&self, config: &RunConfig) -> Result<(), String> {
        if self.selected > 0 {
            return Ok(());
        }
        let args = &config.args.libtest;
        let given = match (&args.filter, args.skip.is_empty()) {
            (Some(f), _) => format!("the filter `{f}`"),
            (None, false) => "--skip".to_string(),
            (None, true) => "the selection (--partition / --rerun-failed)".to_string(),
        };
        Err(format!(
            "{given} matches no case (see `imgconf run --list`)"
        ))
    }

    /// How many selected cases will be skipped for want of personas, and how to get them.
    pub fn persona_shortfall(&self, personas: Option<&Personas>) -> Option<String> {
        let mut wanted = std::collections::BTreeSet::new();
        let mut count = 0;
        for p in &self.cases {
            if filtered_out(&self.libtest, &p.case) {
                continue;
            }
            let missing: Vec<Persona> = p
                .case
                .personas
                .iter()
                .copied()
                .filter(|p| !personas.is_some_and(|ps| ps.has(*p)))
                .collect();
            if !missing.is_empty() {
                count += 1;
                wanted.extend(missing);
            }
        }
        if count == 0 {
            return None;
        }
        let names: Vec<&str> = wanted.iter().map(|p| p.name()).collect();
        let how = match personas {
            None => "a run without identities has none; certify with Keystone credentials or trusted headers",
            Some(_) => "give --persona NAME=CLOUD for each, or --dynamic-personas with admin credentials to have them made for the run",
        };
        Some(format!(
            "{count} case(s) will be skipped for want of persona(s) {}: {how}",
            names.join(", ")
        ))
    }
}

fn filtered_out(libtest: &libtest_mimic::Arguments, case: &Case) -> bool {
    libtest.is_filtered_out(&Trial::test(case.id.clone(), || Ok(())))
}
