//! The precision a target shows its timestamps in, learnt from one it showed.
//!
//! A case about a timestamp moving must make its change after the shown value can move: Glance
//! shows whole seconds, so two changes within one second show the same `updated_at`. Waiting one
//! unit of the shown precision after the old value was read is enough: the target's clock was
//! at or past the shown value when it answered, so one unit later it is past the next unit.

use std::time::Duration;

/// One unit of the precision `shown` (an ISO 8601 date-time) is written in: 1 s for
/// `2026-12-03T02:19:22Z`, 1 ms for `…22.123Z`, 60 s when the seconds are left out.
pub fn unit_of(shown: &str) -> Result<Duration, String> {
    let bad = || format!("`{shown}` is not an ISO 8601 date-time (YYYY-MM-DDThh:mm[:ss[.f]])");
    let (date, time) = shown.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let date_ok = date.len() == 10
        && date.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    // The zone (Z or ±hh:mm) does not change the precision.
    let clock = time
        .split(['Z', 'z', '+', '-'])
        .next()
        .filter(|c| !c.is_empty())
        .ok_or_else(bad)?;
    let (hms, fraction) = match clock.split_once(['.', ',']) {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let parts_ok = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
    if !date_ok || !parts_ok {
        return Err(bad());
    }
    match fraction {
        None if parts.len() == 2 => Ok(Duration::from_secs(60)),
        None => Ok(Duration::from_secs(1)),
        Some(f) if parts.len() == 3 && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            // Nine digits are nanoseconds; more cannot be waited for any more precisely.
            let digits = u32::try_from(f.len().min(9)).unwrap_or(9);
            Ok(Duration::from_nanos(10u64.pow(9 - digits)))
        }
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::unit_of;
    use std::time::Duration;

    #[test]
    fn the_unit_is_the_last_digit_shown() {
        assert_eq!(unit_of("2026-12-03T02:19:22Z"), Ok(Duration::from_secs(1)));
        assert_eq!(unit_of("2026-12-03T02:19:22"), Ok(Duration::from_secs(1)));
        assert_eq!(
            unit_of("2026-12-03T02:19:22.123+01:00"),
            Ok(Duration::from_millis(1))
        );
        assert_eq!(
            unit_of("2026-12-03T02:19:22.123456"),
            Ok(Duration::from_micros(1))
        );
        assert_eq!(unit_of("2026-12-03T02:19Z"), Ok(Duration::from_secs(60)));
    }

    #[test]
    fn anything_else_is_refused_with_the_form_expected() {
        for bad in [
            "",
            "yesterday",
            "2026-12-03",
            "2026-12-03T2:19:22Z",
            "2026-12-03T02:19:22.Z",
        ] {
            let e = unit_of(bad).unwrap_err();
            assert!(e.contains("is not an ISO 8601 date-time"), "{bad}: {e}");
        }
    }
}
