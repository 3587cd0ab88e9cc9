//! Profiles: what a kind of target is expected to do differently from the documents.
//!
//! A profile is data (`profiles/<name>.yaml`, or a file given with `--profile PATH`). It says
//! which areas and cases apply (an excluded one is reported as skipped with the profile's
//! reason), which optional features to take as offered or absent whatever discovery finds,
//! which schema fixtures replace the ones cases name, and the expected deviations: cases that
//! fail on that kind of target for a known, documented reason, each naming the findings it
//! excuses (`verdict.rs` judges a case with them).

use crate::case::Case;
use crate::expect::Check;
use crate::source::SourceFile;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// A profile (built-in name or path) whose rules this one starts from.
    #[serde(default)]
    pub extends: Option<String>,
    /// Which areas (case files) apply.
    #[serde(default)]
    pub areas: AreaRules,
    /// Single cases that do not apply.
    #[serde(default)]
    pub cases: CaseRules,
    /// Optional features taken as offered or absent, whatever discovery finds.
    #[serde(default)]
    pub features: FeatureRules,
    /// Schema fixture a case names → the fixture checked in its place (`image: huawei-ims-image`).
    #[serde(default)]
    pub schemas: BTreeMap<String, String>,
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    /// `false`: the deviations are another implementation's (Glance's), so they are not expected
    /// on imgconf's own reference server, which the run recognises. Absent: the base's; true.
    #[serde(default)]
    pub deviations_on_reference_server: Option<bool>,
    /// The Glance release series this profile certifies (`2025.1`); absent: the base's, else
    /// the latest. `--glance-release` overrides it.
    #[serde(default)]
    pub glance_release: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaRules {
    /// Only these areas run (the others are skipped, naming the profile); absent: all.
    #[serde(default)]
    pub include: Option<Vec<String>>,
    #[serde(default)]
    pub exclude: Vec<AreaExclusion>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaExclusion {
    pub area: String,
    pub reason: String,
    pub reference: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRules {
    #[serde(default)]
    pub exclude: Vec<CaseExclusion>,
}

/// Cases that do not apply, for one reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseExclusion {
    /// Full case names (`tags::put-adds-the-tag`).
    pub cases: Vec<String>,
    pub reason: String,
    pub reference: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureRules {
    /// Taken as offered although discovery did not find them.
    #[serde(default)]
    pub with: Vec<String>,
    /// Taken as absent although discovery found them.
    #[serde(default)]
    pub without: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Full case name (`images.create::array-body-is-rejected`).
    pub case: String,
    /// Why the target behaves this way.
    pub reason: String,
    /// Where the difference is recorded: a public URL or a file of this repository.
    pub reference: String,
    /// The findings the deviation excuses. The case deviates only when every finding it makes
    /// matches one of these; any other finding fails it.
    pub excuses: Vec<Excuse>,
    /// A race: it shows in some runs and not in others, so a pass is not a sign that it is gone.
    #[serde(default)]
    pub intermittent: bool,
    /// The last Glance release series that behaves this way (`2025.1`): a later release changed
    /// the behaviour without raising the Images API version, so the deviation applies only to a
    /// target of that series or older (`--glance-release`, the profile's `glance_release`).
    #[serde(default)]
    pub until_release: Option<String>,
}

/// A Glance release series, `YYYY.N` (2025.1, 2025.2), in release order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Series(u32, u32);

impl std::str::FromStr for Series {
    type Err = String;
    fn from_str(s: &str) -> Result<Series, String> {
        let bad = || format!("`{s}` is not a release series such as 2025.1");
        let (year, n) = s.split_once('.').ok_or_else(bad)?;
        let year: u32 = year.parse().map_err(|_| bad())?;
        let n: u32 = n.parse().map_err(|_| bad())?;
        if !(2010..=2100).contains(&year) || !(1..=2).contains(&n) {
            return Err(bad());
        }
        Ok(Series(year, n))
    }
}

/// The newest release a target can run, as far as its versions document alone tells: Images API
/// 2.17 came with Glance 2024.2 and every later release advertises it (or 2.18), so a CURRENT
/// version below 2.17 means 2024.1 or older. A higher one tells nothing for certain (Glance 33
/// still has 2.17 CURRENT when it has no image cache), so nothing is inferred from it.
pub fn release_at_most(current: crate::case::ApiVersion) -> Option<(Series, String)> {
    (current.major == 2 && current.minor < 17).then(|| {
        (
            Series(2024, 1),
            format!("2024.1 or older (inferred: the versions document's CURRENT is v{current}, and Glance 2024.2 and later serve v2.17 or above)"),
        )
    })
}

/// One finding a deviation excuses: the check (the rule, in which step, of which kind) and,
/// where a different value must not be excused, the value found.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Excuse {
    /// Step number (1 is the case's first step); absent: any step. Cleanup has no step.
    #[serde(default)]
    pub step: Option<usize>,
    /// What was checked, as findings name it: `status`, `headers.content-md5`, `body.tags`,
    /// `schema image`, `body`, `cleanup` (a delete of what the case created).
    pub rule: String,
    /// The kind of check (`equals`, `set_equals`, `present`…), where the rule has several.
    #[serde(default)]
    pub check: Option<Check>,
    /// The value found (a status code, a header's text, a JSON value); absent: any.
    #[serde(default)]
    pub actual: Option<serde_json::Value>,
}

/// What a profile may name, from the suite it is checked against.
pub struct Known<'a> {
    /// Case name → how many steps it has.
    pub cases: BTreeMap<&'a str, usize>,
    pub areas: BTreeSet<&'a str>,
    pub schemas: BTreeSet<&'a str>,
}

impl<'a> Known<'a> {
    pub fn new(cases: &'a [Case], schemas: impl Iterator<Item = &'a str>) -> Known<'a> {
        Known {
            cases: cases
                .iter()
                .map(|c| (c.id.as_str(), c.steps.len()))
                .collect(),
            areas: cases.iter().map(|c| c.area.as_str()).collect(),
            schemas: schemas.collect(),
        }
    }
}

impl Profile {
    /// Parses a profile and checks every name it uses against the suite (`None`: the cases are
    /// not the ones the profile was written for, so names cannot be checked). Errors read
    /// `file:line:column: field: problem`.
    pub fn parse(file: &SourceFile, known: Option<&Known>) -> Result<Profile, String> {
        let located = |e| crate::case::LoadError::from_yaml(file, e).to_string();
        let tree = crate::yaml::parse(&file.text).map_err(located)?;
        let p: Profile = crate::yaml::from_node(&tree).map_err(located)?;
        let mut problems = Vec::new();
        let mut problem = |field: String, message: String| {
            let (line, column) = tree.locate(&field);
            problems.push(format!("{}:{line}:{column}: {field}: {message}", file.path));
        };
        for (i, f) in p
            .features
            .with
            .iter()
            .chain(&p.features.without)
            .enumerate()
        {
            let (list, j) = if i < p.features.with.len() {
                ("with", i)
            } else {
                ("without", i - p.features.with.len())
            };
            let ok = !f.is_empty()
                && f.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-:._".contains(c));
            if !ok {
                problem(
                    format!("features.{list}[{j}]"),
                    format!("`{f}`: a feature name is lower-case letters, digits and `-:._`"),
                );
            } else if list == "without" && p.features.with.contains(f) {
                problem(
                    format!("features.{list}[{j}]"),
                    format!("`{f}` is in both `with` and `without`"),
                );
            }
        }
        let mut ruled: BTreeSet<&str> = BTreeSet::new();
        for (i, x) in p.cases.exclude.iter().enumerate() {
            if x.cases.is_empty() {
                problem(format!("cases.exclude[{i}].cases"), "names no case".into());
            }
            for c in &x.cases {
                if !ruled.insert(c) {
                    problem(
                        format!("cases.exclude[{i}].cases"),
                        format!("`{c}` is excluded twice"),
                    );
                }
            }
        }
        for (i, d) in p.deviations.iter().enumerate() {
            if !ruled.insert(&d.case) {
                problem(
                    format!("deviations[{i}].case"),
                    format!("`{}` is already excluded or has a deviation", d.case),
                );
            }
            if d.excuses.is_empty() {
                problem(
                    format!("deviations[{i}].excuses"),
                    "names no finding to excuse".into(),
                );
            }
            if let Some(Err(e)) = d.until_release.as_deref().map(str::parse::<Series>) {
                problem(format!("deviations[{i}].until_release"), e);
            }
        }
        if let Some(Err(e)) = p.glance_release.as_deref().map(str::parse::<Series>) {
            problem("glance_release".into(), e);
        }
        if let Some(known) = known {
            for (i, d) in p.deviations.iter().enumerate() {
                let Some(&steps) = known.cases.get(d.case.as_str()) else {
                    problem(
                        format!("deviations[{i}].case"),
                        format!("deviation for unknown case `{}`", d.case),
                    );
                    continue;
                };
                for (j, e) in d.excuses.iter().enumerate() {
                    if e.step.is_some_and(|n| n == 0 || n > steps) {
                        problem(
                            format!("deviations[{i}].excuses[{j}].step"),
                            format!("`{}` has steps 1 to {steps}", d.case),
                        );
                    }
                }
            }
            for (i, x) in p.cases.exclude.iter().enumerate() {
                for (j, c) in x.cases.iter().enumerate() {
                    if !known.cases.contains_key(c.as_str()) {
                        problem(
                            format!("cases.exclude[{i}].cases[{j}]"),
                            format!("unknown case `{c}`"),
                        );
                    }
                }
            }
            let areas = p.areas.include.iter().flatten().enumerate();
            for (i, a) in areas {
                if !known.areas.contains(a.as_str()) {
                    problem(format!("areas.include[{i}]"), format!("unknown area `{a}`"));
                }
            }
            for (i, x) in p.areas.exclude.iter().enumerate() {
                if !known.areas.contains(x.area.as_str()) {
                    problem(
                        format!("areas.exclude[{i}].area"),
                        format!("unknown area `{}`", x.area),
                    );
                }
            }
            for (from, to) in &p.schemas {
                for name in [from, to] {
                    if !known.schemas.contains(name.as_str()) {
                        problem(
                            format!("schemas.{from}"),
                            format!("no schema fixture `{name}`"),
                        );
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Whether any deviation depends on the target's release (only then is a release worth
    /// inferring).
    pub fn has_release_bound_deviations(&self) -> bool {
        self.deviations.iter().any(|d| d.until_release.is_some())
    }

    /// Keeps the deviations that apply to a target of `release` (`None`: the latest series):
    /// one marked `until_release` only when the target is of that series or older.
    pub fn for_release(&mut self, release: Option<Series>) {
        self.deviations.retain(|d| match &d.until_release {
            None => true,
            Some(until) => release.is_some_and(|r| until.parse().is_ok_and(|u: Series| r <= u)),
        });
    }

    /// Takes the base's rules for whatever this profile says nothing about.
    pub fn inherit(&mut self, base: Profile) {
        let mine: BTreeSet<String> = self
            .deviations
            .iter()
            .map(|d| d.case.clone())
            .chain(self.cases.exclude.iter().flat_map(|x| x.cases.clone()))
            .collect();
        for d in base.deviations {
            if !mine.contains(&d.case) {
                self.deviations.push(d);
            }
        }
        for mut x in base.cases.exclude {
            x.cases.retain(|c| !mine.contains(c));
            if !x.cases.is_empty() {
                self.cases.exclude.push(x);
            }
        }
        if self.areas.include.is_none() {
            self.areas.include = base.areas.include;
        }
        if self.deviations_on_reference_server.is_none() {
            self.deviations_on_reference_server = base.deviations_on_reference_server;
        }
        if self.glance_release.is_none() {
            self.glance_release = base.glance_release;
        }
        for x in base.areas.exclude {
            if !self.areas.exclude.iter().any(|m| m.area == x.area) {
                self.areas.exclude.push(x);
            }
        }
        for f in base.features.with {
            if !self.features.without.contains(&f) && !self.features.with.contains(&f) {
                self.features.with.push(f);
            }
        }
        for f in base.features.without {
            if !self.features.with.contains(&f) && !self.features.without.contains(&f) {
                self.features.without.push(f);
            }
        }
        for (k, v) in base.schemas {
            self.schemas.entry(k).or_insert(v);
        }
    }

    /// Why the profile says a case does not apply, if it does.
    pub fn exclusion(&self, case: &Case) -> Option<String> {
        if let Some(include) = &self.areas.include {
            if !include.contains(&case.area) {
                return Some(format!(
                    "profile `{}` covers only the areas {}",
                    self.name,
                    include.join(", ")
                ));
            }
        }
        let (reason, reference) = self
            .areas
            .exclude
            .iter()
            .find(|x| x.area == case.area)
            .map(|x| (&x.reason, &x.reference))
            .or_else(|| {
                self.cases
                    .exclude
                    .iter()
                    .find(|x| x.cases.contains(&case.id))
                    .map(|x| (&x.reason, &x.reference))
            })?;
        Some(format!(
            "excluded by profile `{}`: {} ({})",
            self.name,
            reason.trim(),
            reference
        ))
    }

    /// Features after the profile's rules: discovery's, plus `with`, minus `without`.
    pub fn apply_features(&self, features: &mut BTreeSet<String>) {
        features.extend(self.features.with.iter().cloned());
        features.retain(|f| !self.features.without.contains(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_series_are_checked_and_ordered() {
        let text = "name: t\ndescription: d\nglance_release: epoxy\ndeviations:\n  - {case: a::b, reason: r, reference: f, until_release: \"2025\", excuses: [{rule: status}]}\n";
        let err = Profile::parse(&SourceFile::new("p.yaml", text.into()), None).unwrap_err();
        assert!(
            err.contains("glance_release: `epoxy` is not a release series such as 2025.1"),
            "{err}"
        );
        assert!(
            err.contains("deviations[0].until_release: `2025` is not a release series"),
            "{err}"
        );
        let s = |t: &str| t.parse::<Series>().unwrap();
        let v = |minor| crate::case::ApiVersion { major: 2, minor };
        let (at_most, why) = release_at_most(v(16)).unwrap();
        assert_eq!(at_most, s("2024.1"));
        assert!(
            why.starts_with("2024.1 or older (inferred: the versions document's CURRENT is v2.16"),
            "{why}"
        );
        assert_eq!(release_at_most(v(17)), None);
        assert_eq!(release_at_most(v(18)), None);
        assert!(s("2024.2") < s("2025.1") && s("2025.1") < s("2025.2"));
    }

    #[test]
    fn unknown_case_is_an_error() {
        let text = "name: t\ndescription: d\ndeviations:\n  - {case: x::y, reason: r, reference: f, excuses: [{rule: status}]}\n  - {case: a::b, reason: r, reference: f, excuses: [{step: 3, rule: status}]}\n  - {case: a::c, reason: r, reference: f, excuses: []}\n";
        let known = Known {
            cases: [("a::b", 2), ("a::c", 1)].into(),
            areas: ["a"].into(),
            schemas: ["image"].into(),
        };
        let err =
            Profile::parse(&SourceFile::new("p.yaml", text.into()), Some(&known)).unwrap_err();
        assert!(
            err.contains("p.yaml:4:6: deviations[0].case: deviation for unknown case `x::y`"),
            "{err}"
        );
        assert!(
            err.contains("deviations[1].excuses[0].step: `a::b` has steps 1 to 2"),
            "{err}"
        );
        assert!(
            err.contains("deviations[2].excuses: names no finding to excuse"),
            "{err}"
        );
        let text = "name: t\ndescription: d\nareas:\n  include: [a, zz]\nschemas: {image: nope}\nfeatures: {with: [Bad]}\n";
        let err =
            Profile::parse(&SourceFile::new("p.yaml", text.into()), Some(&known)).unwrap_err();
        assert!(
            err.contains("p.yaml:4:16: areas.include[1]: unknown area `zz`"),
            "{err}"
        );
        assert!(
            err.contains("schemas.image: no schema fixture `nope`"),
            "{err}"
        );
        assert!(err.contains("features.with[0]: `Bad`"), "{err}");
        let err = Profile::parse(
            &SourceFile::new("p.yaml", "name: t\ndescription: d\nexclude: []\n".into()),
            None,
        )
        .unwrap_err();
        assert!(
            err.starts_with("p.yaml:3:1: unknown field `exclude`"),
            "{err}"
        );
    }
}
