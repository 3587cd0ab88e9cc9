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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::suite::Suite;
    use clap::Parser;

    /// The plan of `imgconf run ARGS` over the built-in suite, with `profile` applied.
    fn planned(list: &[&str]) -> Result<(RunConfig, Option<Plan>), String> {
        let cli = Cli::try_parse_from(["imgconf", "run"].iter().chain(list)).unwrap();
        let Command::Run(args) = cli.command else {
            unreachable!()
        };
        let dir = tempfile::tempdir().unwrap();
        let env = crate::auth::Environment {
            cwd: Some(dir.path().to_path_buf()),
            home: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let mut suite = Suite::load(None, None).unwrap();
        let config = RunConfig::from(*args, &env, &suite)?;
        suite.apply_profile(&config.profile).unwrap();
        let plan = Plan::make(&config, std::mem::take(&mut suite.cases), Console)?;
        Ok((config, plan))
    }

    fn selected(list: &[&str]) -> usize {
        planned(list).unwrap().1.unwrap().selected
    }

    #[test]
    fn filters_and_partitions_select_and_an_empty_selection_says_what_emptied_it() {
        let all = selected(&[]);
        let tags = selected(&["tags::"]);
        assert!(0 < tags && tags < all, "{tags} of {all}");
        let halves = (
            selected(&["--partition", "count:1/2"]),
            selected(&["--partition", "count:2/2"]),
        );
        assert_eq!(halves.0 + halves.1, all);
        assert!(halves.0.abs_diff(halves.1) <= 1, "{halves:?}");
        let empty = |list: &[&str]| {
            let (config, plan) = planned(list).unwrap();
            plan.unwrap().require_some(&config).unwrap_err()
        };
        assert_eq!(
            empty(&["no-such-case"]),
            "the filter `no-such-case` matches no case (see `imgconf run --list`)"
        );
        assert_eq!(
            empty(&["--skip", "::"]),
            "--skip matches no case (see `imgconf run --list`)"
        );
        let (config, plan) = planned(&["tags::"]).unwrap();
        assert!(plan.unwrap().require_some(&config).is_ok());
        assert!(plan_err(&["--ignored"]).starts_with("--ignored selects the cases marked ignored"));
    }

    fn plan_err(list: &[&str]) -> String {
        planned(list).err().unwrap()
    }

    #[test]
    fn the_profile_excludes_cases_in_the_plan_with_its_reason() {
        let (_, plan) = planned(&["--profile", "huawei-ims"]).unwrap();
        let plan = plan.unwrap();
        let members: Vec<&Planned> = plan
            .cases
            .iter()
            .filter(|p| p.case.area == "members")
            .collect();
        assert!(!members.is_empty());
        assert!(members.iter().all(|p| p.excluded.is_some()));
        // Cases it names, in other areas, too; the rest stay in.
        let excluded = plan.cases.iter().filter(|p| p.excluded.is_some()).count();
        assert!(excluded > members.len(), "{excluded}");
        assert!(plan.cases.iter().any(|p| p.excluded.is_none()));
        let (_, strict) = planned(&[]).unwrap();
        assert!(strict.unwrap().cases.iter().all(|p| p.excluded.is_none()));
    }

    #[test]
    fn personas_the_selection_needs_and_the_run_lacks_are_counted() {
        let (_, plan) = planned(&[]).unwrap();
        let plan = plan.unwrap();
        let line = plan.persona_shortfall(None).unwrap();
        assert!(
            line.contains("case(s) will be skipped for want of persona(s) "),
            "{line}"
        );
        assert!(
            line.ends_with("certify with Keystone credentials or trusted headers"),
            "{line}"
        );
        let everyone = Personas::trusted_headers("r");
        assert_eq!(plan.persona_shortfall(Some(&everyone)), None);
    }
}
