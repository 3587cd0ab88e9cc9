//! Choosing which cases a run executes beyond libtest's filters: CI partitions
//! (`--partition hash:M/N` or `count:M/N`, as cargo-nextest) and `--rerun-failed`.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// Shard `m` of `n` by a stable hash of the case name: stable when cases are added.
    Hash { m: u64, n: u64 },
    /// Shard `m` of `n` by position in name order: evenly sized.
    Count { m: u64, n: u64 },
}

impl FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a partition: use hash:M/N or count:M/N with 1 <= M <= N");
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let (m, n) = rest.split_once('/').ok_or_else(bad)?;
        let (m, n): (u64, u64) = (m.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if m == 0 || n == 0 || m > n {
            return Err(bad());
        }
        match kind {
            "hash" => Ok(Partition::Hash { m, n }),
            "count" => Ok(Partition::Count { m, n }),
            _ => Err(bad()),
        }
    }
}

impl Partition {
    /// Whether the case at `index` (in name order) named `name` belongs to this shard.
    pub fn contains(&self, index: usize, name: &str) -> bool {
        match *self {
            Partition::Count { m, n } => (index as u64 % n) + 1 == m,
            Partition::Hash { m, n } => (fnv1a(name) % n) + 1 == m,
        }
    }
}

/// FNV-1a, 64 bit: a fixed hash, so shards do not change between builds or platforms.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            "hash:1/3".parse::<Partition>(),
            Ok(Partition::Hash { m: 1, n: 3 })
        );
        assert_eq!(
            "count:2/2".parse::<Partition>(),
            Ok(Partition::Count { m: 2, n: 2 })
        );
        for bad in [
            "hash:0/3",
            "count:4/3",
            "slice:1/2",
            "hash:1",
            "1/2",
            "hash:a/b",
        ] {
            assert!(
                bad.parse::<Partition>()
                    .unwrap_err()
                    .contains("is not a partition"),
                "{bad}"
            );
        }
    }

    #[test]
    fn shards_cover_every_case_exactly_once() {
        let names: Vec<String> = (0..50).map(|i| format!("area::case-{i}")).collect();
        for n in 1..5 {
            for kind in ["hash", "count"] {
                let shards: Vec<Partition> = (1..=n)
                    .map(|m| format!("{kind}:{m}/{n}").parse().unwrap())
                    .collect();
                for (i, name) in names.iter().enumerate() {
                    assert_eq!(shards.iter().filter(|p| p.contains(i, name)).count(), 1);
                }
            }
        }
    }
}
