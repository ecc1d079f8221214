//! Time as the people of the field read and write it: in Europe/Amsterdam (summer and winter
//! time from the time-zone database embedded in the binary), in Dutch formats ("di 1 december
//! 2026, 14:05"), and deadlines as countdowns ("nog 9 dagen", "3 dagen te laat"). The node
//! stores and sends UTC; only the screens speak local time.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::{DateTime, Weekday};
use jiff::tz::{Disambiguation, TimeZone};

use crate::lang::Lang;

/// The time zone of every screen.
pub const ZONE: &str = "Europe/Amsterdam";

fn zone() -> &'static TimeZone {
    static ZONE_CELL: OnceLock<TimeZone> = OnceLock::new();
    // the database is embedded (jiff's bundled tzdb), so the lookup cannot miss; UTC would
    // only be a safe fallback
    ZONE_CELL.get_or_init(|| jiff::tz::db().get(ZONE).unwrap_or(TimeZone::UTC))
}

const DAYS_NL: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
const DAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn local(ts: Timestamp) -> DateTime {
    zone().to_datetime(ts)
}

fn weekday(w: Weekday, lang: Lang) -> &'static str {
    let i = usize::from(w.to_monday_zero_offset().unsigned_abs());
    match lang {
        Lang::Nl => DAYS_NL[i % 7],
        Lang::En => DAYS_EN[i % 7],
    }
}

fn month(m: i8, lang: Lang) -> &'static str {
    let i = usize::from(m.unsigned_abs()).saturating_sub(1) % 12;
    match lang {
        Lang::Nl => MONTHS_NL[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// The name of month `m` (1-12).
pub fn month_name(m: usize, lang: Lang) -> &'static str {
    let i = m.saturating_sub(1) % 12;
    match lang {
        Lang::Nl => MONTHS_NL[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// "di 1 december 2026, 14:05" (Amsterdam time).
pub fn moment(ts: Timestamp, lang: Lang) -> String {
    let d = local(ts);
    format!(
        "{} {} {} {}, {:02}:{:02}",
        weekday(d.weekday(), lang),
        d.day(),
        month(d.month(), lang),
        d.year(),
        d.hour(),
        d.minute()
    )
}

/// "1 december 2026" (the day in Amsterdam).
pub fn day(ts: Timestamp, lang: Lang) -> String {
    let d = local(ts);
    format!("{} {} {}", d.day(), month(d.month(), lang), d.year())
}

/// A deadline from `now`: "nog 9 dagen", "vandaag", "3 dagen te laat" (whole days in
/// Amsterdam).
pub fn countdown(deadline: Timestamp, now: Timestamp, lang: Lang) -> String {
    let days = (local(deadline).date() - local(now).date()).get_days();
    match (days, lang) {
        (0, Lang::Nl) => "vandaag".into(),
        (0, Lang::En) => "today".into(),
        (1, Lang::Nl) => "nog 1 dag".into(),
        (1, Lang::En) => "1 day left".into(),
        (n, Lang::Nl) if n > 1 => format!("nog {n} dagen"),
        (n, Lang::En) if n > 1 => format!("{n} days left"),
        (-1, Lang::Nl) => "1 dag te laat".into(),
        (-1, Lang::En) => "1 day overdue".into(),
        (n, Lang::Nl) => format!("{} dagen te laat", -n),
        (n, Lang::En) => format!("{} days overdue", -n),
    }
}

/// The value of a `datetime-local` field for `ts` ("2026-12-01T14:05", Amsterdam).
pub fn input_value(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` field's value ("YYYY-MM-DDTHH:MM", Amsterdam time) as a moment. In the
/// hour that does not exist when summer time starts the later reading counts; in the hour that
/// repeats when it ends, the earlier.
pub fn parse_input(value: &str) -> Option<Timestamp> {
    let dt: DateTime = value.trim().parse().ok()?;
    zone()
        .to_ambiguous_timestamp(dt)
        .disambiguate(Disambiguation::Compatible)
        .ok()
}

/// The hour of a moment in Dutch time (0-23).
pub fn hour(ts: Timestamp) -> i8 {
    local(ts).hour()
}

/// The Dutch day of a moment.
pub fn date(ts: Timestamp) -> jiff::civil::Date {
    local(ts).date()
}

/// A day entered by a person (`YYYY-MM-DD`, Dutch time) as the moment it starts; `next` gives
/// the start of the day after (for "up to and including"). Empty is no bound.
pub fn day_bound(
    field: &'static str,
    v: Option<&str>,
    next: bool,
) -> Result<Option<Timestamp>, doorbraak_model::RuleViolation> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || doorbraak_model::RuleViolation::InvalidField {
        field,
        reason: "not a date (YYYY-MM-DD)",
    };
    let d: jiff::civil::Date = v.parse().map_err(|_| invalid())?;
    let d = if next {
        d.tomorrow().map_err(|_| invalid())?
    } else {
        d
    };
    day_start(d).map(Some).ok_or_else(invalid)
}

/// The moment a Dutch day starts (midnight in Amsterdam).
pub fn day_start(d: jiff::civil::Date) -> Option<Timestamp> {
    parse_input(&format!("{d}T00:00"))
}

/// The Monday of an ISO week ("2026-W49"), for its label ("week 49, vanaf 30 november").
pub fn week_monday(week: &str) -> Option<jiff::civil::Date> {
    let (y, w) = week.split_once("-W")?;
    jiff::civil::ISOWeekDate::new(y.parse().ok()?, w.parse().ok()?, Weekday::Monday)
        .ok()
        .map(|d| d.date())
}

/// A short Dutch (or English) date without the weekday: "30 nov." / "30 Nov".
pub fn short_day(d: jiff::civil::Date, lang: Lang) -> String {
    let m = month(d.month(), lang);
    format!("{} {}", d.day(), m.chars().take(3).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks_in_dutch_time() {
        let iso_week = |t| doorbraak_model::figures::iso_week(date(t));
        // Sunday 23:30 in Amsterdam is still week 48; Monday 00:30 is week 49
        assert_eq!(iso_week(ts("2026-11-29T22:30:00Z")), "2026-W48");
        assert_eq!(iso_week(ts("2026-11-29T23:30:00Z")), "2026-W49");
        assert_eq!(
            week_monday("2026-W49").map(|d| d.to_string()).as_deref(),
            Some("2026-11-30")
        );
        assert_eq!(week_monday("2026-W99"), None);
        assert_eq!(iso_week(ts("2027-01-01T12:00:00Z")), "2026-W53");
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn times_are_shown_in_amsterdam_in_dutch() {
        // winter time: UTC+1
        assert_eq!(
            moment(ts("2026-12-01T13:05:00Z"), Lang::Nl),
            "di 1 december 2026, 14:05"
        );
        // summer time: UTC+2, and the day turns over
        assert_eq!(
            moment(ts("2026-07-31T22:30:00Z"), Lang::Nl),
            "za 1 augustus 2026, 00:30"
        );
        assert_eq!(day(ts("2026-07-31T22:30:00Z"), Lang::Nl), "1 augustus 2026");
        assert_eq!(
            moment(ts("2026-12-01T13:05:00Z"), Lang::En),
            "Tue 1 December 2026, 14:05"
        );
    }

    #[test]
    fn deadlines_count_down_in_whole_days() {
        let now = ts("2026-12-01T10:00:00Z");
        assert_eq!(
            countdown(ts("2026-12-10T08:00:00Z"), now, Lang::Nl),
            "nog 9 dagen"
        );
        assert_eq!(
            countdown(ts("2026-12-01T20:00:00Z"), now, Lang::Nl),
            "vandaag"
        );
        assert_eq!(
            countdown(ts("2026-12-02T09:00:00Z"), now, Lang::Nl),
            "nog 1 dag"
        );
        assert_eq!(
            countdown(ts("2026-11-28T10:00:00Z"), now, Lang::Nl),
            "3 dagen te laat"
        );
    }

    #[test]
    fn a_local_time_entered_is_read_in_amsterdam() {
        assert_eq!(
            parse_input("2026-12-01T14:05"),
            Some(ts("2026-12-01T13:05:00Z"))
        );
        assert_eq!(
            parse_input("2026-07-01T14:05"),
            Some(ts("2026-07-01T12:05:00Z"))
        );
        assert_eq!(input_value(ts("2026-07-01T12:05:00Z")), "2026-07-01T14:05");
        // 02:30 does not exist on 29 March 2026: read as 03:30 summer time
        assert_eq!(
            parse_input("2026-03-29T02:30"),
            Some(ts("2026-03-29T01:30:00Z"))
        );
        assert_eq!(parse_input("morgen"), None);
    }
}
