//! Working days for deadlines counted in working days (minutes approval): weekends and the
//! public holidays of the Dutch *Algemene termijnenwet* do not count — New Year's Day, Easter
//! Sunday and Monday, King's Day (27 April, or 26 April when the 27th is a Sunday), Liberation
//! Day (5 May), Ascension Day, Whit Sunday and Monday, Christmas Day and Boxing Day.
//!
//! Dates are Dutch calendar dates (Europe/Amsterdam): a moment at 00:30 on Christmas Day in
//! Amsterdam is on Christmas Day, though it is still the 24th in UTC; "one working day later"
//! is the same Dutch time of day on the next working day.

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

/// Europe/Amsterdam, from the time-zone database embedded in the binary (the lookup cannot
/// miss; UTC would only stand in for a build without it).
pub(crate) fn zone() -> &'static jiff::tz::TimeZone {
    static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| {
        jiff::tz::db()
            .get("Europe/Amsterdam")
            .unwrap_or(jiff::tz::TimeZone::UTC)
    })
}

/// The Dutch (Europe/Amsterdam) calendar date of an instant.
pub fn dutch_date(t: Timestamp) -> Date {
    zone().to_datetime(t).date()
}

/// `t` moved by `days` Dutch calendar days, at the same Dutch time of day (across a change to
/// or from summer time too).
fn shift_days(t: Timestamp, days: i64) -> Option<Timestamp> {
    let at = zone()
        .to_datetime(t)
        .checked_add(jiff::Span::new().days(days))
        .ok()?;
    zone().to_timestamp(at).ok()
}

/// `from` plus `n` working days (Dutch dates), at the same Dutch time of day.
pub fn add_working_days(from: Timestamp, n: u32) -> Timestamp {
    let mut t = from;
    let mut left = n;
    while left > 0 {
        t = match shift_days(t, 1) {
            Some(next) => next,
            None => return Timestamp::MAX,
        };
        if is_working_day(dutch_date(t)) {
            left -= 1;
        }
    }
    t
}

/// The same Dutch time of day on the last working day before `t`'s Dutch day.
pub fn working_day_before(t: Timestamp) -> Timestamp {
    let mut at = t;
    for _ in 0..14 {
        at = shift_days(at, -1).unwrap_or(at);
        if is_working_day(dutch_date(at)) {
            break;
        }
    }
    at
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

    #[test]
    fn working_days_are_dutch_dates_also_late_in_the_evening_and_just_after_midnight() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        // 23:30 in Amsterdam on Thursday 24 December, the day before Christmas: one working
        // day later is Monday 28 December 23:30 (25, 26 and the Sunday do not count)
        assert_eq!(
            add_working_days(t("2026-12-24T23:30:00+01:00"), 1),
            t("2026-12-28T23:30:00+01:00")
        );
        // 00:30 on Christmas Day in Amsterdam (still the 24th in UTC): it is Christmas, and
        // one working day later is Monday 28 December 00:30 — not Tuesday
        assert_eq!(
            dutch_date(t("2026-12-25T00:30:00+01:00")),
            date(2026, 12, 25)
        );
        assert!(!is_working_day(dutch_date(t("2026-12-25T00:30:00+01:00"))));
        assert_eq!(
            add_working_days(t("2026-12-25T00:30:00+01:00"), 1),
            t("2026-12-28T00:30:00+01:00")
        );
        // 23:30 on Sunday 26 April 2026 in summer time, the day before King's Day: one working
        // day later is Tuesday 28 April 23:30
        assert_eq!(
            add_working_days(t("2026-04-26T23:30:00+02:00"), 1),
            t("2026-04-28T23:30:00+02:00")
        );
        // across the change to summer time the Dutch time of day stays: Friday 27 March 2026
        // 09:00 (+01:00) plus one working day is Monday 30 March 09:00 (+02:00)
        assert_eq!(
            add_working_days(t("2026-03-27T09:00:00+01:00"), 1),
            t("2026-03-30T09:00:00+02:00")
        );
        // the working day before a deadline at 00:30 on Monday 28 December is Thursday 24th
        assert_eq!(
            working_day_before(t("2026-12-28T00:30:00+01:00")),
            t("2026-12-24T00:30:00+01:00")
        );
        // and before 23:30 on Tuesday 29 December, Monday the 28th
        assert_eq!(
            working_day_before(t("2026-12-29T23:30:00+01:00")),
            t("2026-12-28T23:30:00+01:00")
        );
    }
}
