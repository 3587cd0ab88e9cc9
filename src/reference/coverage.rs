//! Which kinds of check the built-in faults exercise: the kinds the cases state, and of those the
//! ones no fault makes fail (a check no fault has ever failed may be more lenient than it looks).
//! Measured by `tests/mutation.rs`, which keeps docs/fault-coverage.json true; `imgconf faults`
//! shows it.

use serde::{Deserialize, Serialize};

/// Where the measurement is kept, from the repository's root.
pub const PATH: &str = "docs/fault-coverage.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultCoverage {
    /// Every kind of check some built-in case states.
    pub stated_by_cases: Vec<String>,
    /// Those some fault makes fail.
    pub made_to_fail: Vec<String>,
    /// Those no fault makes fail.
    pub no_fault_exercises: Vec<String>,
}

impl FaultCoverage {
    /// The measurement built into the binary.
    pub fn builtin() -> FaultCoverage {
        serde_json::from_str(include_str!("../../docs/fault-coverage.json"))
            .expect("docs/fault-coverage.json is a fault coverage document")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializable") + "\n"
    }

    /// One line for people: `imgconf faults` prints it, the README quotes it.
    pub fn summary(&self) -> String {
        if self.no_fault_exercises.is_empty() {
            format!(
                "Faults make all {} kinds of check the cases state fail.",
                self.stated_by_cases.len()
            )
        } else {
            format!(
                "Faults make {} of the {} kinds of check the cases state fail; no fault exercises: {}.",
                self.made_to_fail.len(),
                self.stated_by_cases.len(),
                self.no_fault_exercises
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_measurement_is_consistent() {
        let c = FaultCoverage::builtin();
        let mut both: Vec<&String> = c.made_to_fail.iter().chain(&c.no_fault_exercises).collect();
        both.sort();
        let mut stated: Vec<&String> = c.stated_by_cases.iter().collect();
        stated.sort();
        assert_eq!(both, stated);
    }

    #[test]
    fn the_summary_names_what_no_fault_exercises() {
        let c = FaultCoverage {
            stated_by_cases: vec!["equals".into(), "ge".into()],
            made_to_fail: vec!["equals".into()],
            no_fault_exercises: vec!["ge".into()],
        };
        assert_eq!(
            c.summary(),
            "Faults make 1 of the 2 kinds of check the cases state fail; no fault exercises: `ge`."
        );
    }
}
