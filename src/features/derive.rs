//! Values derived from a raw field before a column maps it: calendar parts of a unix
//! timestamp (UTC) and the year in a title.

use serde::{Deserialize, Serialize};

/// A transformation of a raw field's text into the value a column sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derive {
    /// Day of the week of a unix timestamp, UTC: Monday = 0 … Sunday = 6.
    DayOfWeek,
    /// Hour of the day of a unix timestamp, UTC: 0 … 23.
    HourOfDay,
    /// Calendar year of a unix timestamp, UTC.
    Year,
    /// The four-digit year in parentheses at the end of a title, e.g. `Heat (1995)` → 1995.
    TitleYear,
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Derive {
    /// Apply to a raw field. `None` when the field does not hold what the derivation needs.
    #[must_use]
    pub fn apply(self, raw: &str) -> Option<String> {
        match self {
            Derive::TitleYear => {
                let t = raw.trim().strip_suffix(')')?;
                let open = t.rfind('(')?;
                let y = &t[open + 1..];
                (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())).then(|| y.to_string())
            }
            _ => {
                let ts: i64 = raw.trim().parse().ok().or_else(|| {
                    raw.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .map(|v| v as i64)
                })?;
                let days = ts.div_euclid(86_400);
                let secs = ts.rem_euclid(86_400);
                Some(match self {
                    // 1970-01-01 was a Thursday (= 3 when Monday = 0).
                    Derive::DayOfWeek => ((days + 3).rem_euclid(7)).to_string(),
                    Derive::HourOfDay => (secs / 3600).to_string(),
                    Derive::Year => civil_from_days(days).0.to_string(),
                    Derive::TitleYear => unreachable!("handled above"),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_parts_utc() {
        // 2024-01-02 08:30:00 UTC is a Tuesday.
        let ts = "1704184200";
        assert_eq!(Derive::DayOfWeek.apply(ts).as_deref(), Some("1"));
        assert_eq!(Derive::HourOfDay.apply(ts).as_deref(), Some("8"));
        assert_eq!(Derive::Year.apply(ts).as_deref(), Some("2024"));
        assert_eq!(Derive::DayOfWeek.apply("0").as_deref(), Some("3"));
        assert_eq!(Derive::DayOfWeek.apply("-1").as_deref(), Some("2"));
        assert_eq!(Derive::DayOfWeek.apply("x"), None);
    }

    #[test]
    fn title_year() {
        assert_eq!(
            Derive::TitleYear.apply("Heat (1995)").as_deref(),
            Some("1995")
        );
        assert_eq!(Derive::TitleYear.apply("unknown"), None);
    }
}
