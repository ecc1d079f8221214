//! Working days for deadlines counted in working days (minutes approval): weekends and the
//! public holidays of the Dutch *Algemene termijnenwet* do not count — New Year's Day, Easter
//! Sunday and Monday, King's Day (27 April, or 26 April when the 27th is a Sunday), Liberation
//! Day (5 May), Ascension Day, Whit Sunday and Monday, Christmas Day and Boxing Day.
//!
//! Dates are UTC calendar dates (a deadline at 09:00 UTC is 10:00 or 11:00 in Amsterdam).

use jiff::civil::{Date, Weekday, date};

use crate::Timestamp;

/// Easter Sunday (Gregorian calendar, computed by the `computus` crate); `None` outside the
/// years it covers (1583-9999), where no Easter-based holiday is counted.
pub fn easter(year: i16) -> Option<Date> {
    let e = computus::gregorian(i32::from(year)).ok()?;
    Date::new(year, i8::try_from(e.month).ok()?, i8::try_from(e.day).ok()?).ok()
}

/// Is `d` a public holiday under the Algemene termijnenwet?
pub fn is_public_holiday(d: Date) -> bool {
    let y = d.year();
    let e = easter(y);
    let shift = |days: i64| e.and_then(|e| e.checked_add(jiff::Span::new().days(days)).ok());
    let kings = if date(y, 4, 27).weekday() == Weekday::Sunday {
        date(y, 4, 26)
    } else {
        date(y, 4, 27)
    };
    let fixed = [
        date(y, 1, 1),
        kings,
        date(y, 5, 5),
        date(y, 12, 25),
        date(y, 12, 26),
    ];
    fixed.contains(&d)
        || [0, 1, 39, 49, 50]
            .into_iter()
            .filter_map(shift)
            .any(|h| h == d)
}

pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(d)
}

/// The UTC calendar date of an instant.
pub fn utc_date(t: Timestamp) -> Date {
    let days = t.as_second().div_euclid(86_400);
    date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(Date::MAX)
}

/// `from` plus `n` working days, at the same time of day (UTC).
pub fn add_working_days(from: Timestamp, n: u32) -> Timestamp {
    let day = jiff::SignedDuration::from_hours(24);
    let mut t = from;
    let mut left = n;
    while left > 0 {
        t = match t.checked_add(day) {
            Ok(next) => next,
            Err(_) => return Timestamp::MAX,
        };
        if is_working_day(utc_date(t)) {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter(2027), Some(date(2027, 3, 28)));
    }

    #[test]
    fn dutch_holidays() {
        for d in [
            date(2026, 1, 1),
            date(2026, 4, 5),  // Easter Sunday
            date(2026, 4, 6),  // Easter Monday
            date(2026, 4, 27), // King's Day
            date(2026, 5, 5),  // Liberation Day
            date(2026, 5, 14), // Ascension Day
            date(2026, 5, 24), // Whit Sunday
            date(2026, 5, 25), // Whit Monday
            date(2026, 12, 25),
            date(2026, 12, 26),
            date(2025, 4, 26), // King's Day moves to Saturday when the 27th is a Sunday
        ] {
            assert!(is_public_holiday(d), "{d}");
        }
        assert!(!is_public_holiday(date(2025, 4, 27)));
        assert!(
            !is_public_holiday(date(2026, 4, 3)),
            "Good Friday is not in the Algemene termijnenwet"
        );
        assert!(!is_working_day(date(2026, 11, 28)), "Saturday");
        assert!(is_working_day(date(2026, 11, 30)));
    }

    #[test]
    fn five_working_days() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        // Wednesday 25 Nov 2026 + 5 working days = Wednesday 2 Dec
        assert_eq!(
            add_working_days(t("2026-11-25T10:00:00Z"), 5),
            t("2026-12-02T10:00:00Z")
        );
        // over Christmas: Wed 23 Dec + 5 = Thu 31 Dec (25, 26 and the weekend do not count)
        assert_eq!(
            add_working_days(t("2026-12-23T10:00:00Z"), 5),
            t("2026-12-31T10:00:00Z")
        );
        // over Ascension: Tue 12 May 2026 + 2 = Fri 15 May
        assert_eq!(
            add_working_days(t("2026-05-12T10:00:00Z"), 2),
            t("2026-05-15T10:00:00Z")
        );
    }
}
