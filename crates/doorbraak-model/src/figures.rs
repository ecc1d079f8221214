//! What a node counts for the stagnation view, kept as counters.
//!
//! Every stream a node is home of states its [`Fact`]s (an escalation: the day it was opened,
//! its current step and situation while open, every ended step's lead time, ...). The store
//! keeps, in the transaction that stores the stream's new state, a counter per fact: it adds
//! the new state's facts and takes away the old state's. A node's figures ([`NodeFigures`]) are
//! read back from these counters ([`figures_from`]), never by loading every stream: exact at any
//! number of escalations, and costing about the same at 100 or 100,000.
//!
//! A fact of an event is counted on its Dutch day (Europe/Amsterdam) and, where the figure is a
//! distribution or a total over a long period, also on its month and year ([`Grain`]): a
//! period of whole Dutch days is answered from whole years, whole months and the days at its
//! edges ([`ranges`]), a few thousand counters at most whatever the number of escalations.
//! Facts of the present (what is open now) are counted without a day.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};

use crate::Timestamp;
use crate::oversight::NodeFigures;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// An escalation opened (on its day), for the figures per month.
    OpenedMonth,
    /// The same, for the figures per ISO week.
    OpenedWeek,
    /// An escalation closed (on its day), per month.
    ClosedMonth,
    /// The same, per ISO week.
    ClosedWeek,
    /// The bottleneck class of a closed escalation or a resolved kwestie (key: the class).
    Bottleneck,
    /// Days from opening to closing (key: the days).
    CloseDays,
    /// Days from a step's invocation to its outcome (key: "step/days").
    LeadTime,
    /// Days from a step's invocation to its pick-up (key: the days).
    Pickup,
    /// A category of a kwestie raised (key: the category).
    KwestieCategory,
    /// An open escalation by "step/situation".
    OpenStepSituation,
    /// An open escalation by "home OIN -> counterpart OIN".
    OpenPair,
    /// An open escalation's current step, by the day it started (its age is read at `today`).
    OpenStepSince,
    /// An open escalation whose current step was marked overdue and is not picked up.
    OverdueMarked,
    /// A recommendation by status.
    RecommendationStatus,
}

impl Metric {
    pub const ALL: [Metric; 14] = [
        Metric::OpenedMonth,
        Metric::OpenedWeek,
        Metric::ClosedMonth,
        Metric::ClosedWeek,
        Metric::Bottleneck,
        Metric::CloseDays,
        Metric::LeadTime,
        Metric::Pickup,
        Metric::KwestieCategory,
        Metric::OpenStepSituation,
        Metric::OpenPair,
        Metric::OpenStepSince,
        Metric::OverdueMarked,
        Metric::RecommendationStatus,
    ];

    /// The stable code, as stored.
    pub const fn code(self) -> &'static str {
        match self {
            Metric::OpenedMonth => "opened_month",
            Metric::OpenedWeek => "opened_week",
            Metric::ClosedMonth => "closed_month",
            Metric::ClosedWeek => "closed_week",
            Metric::Bottleneck => "bottleneck",
            Metric::CloseDays => "close_days",
            Metric::LeadTime => "lead_time",
            Metric::Pickup => "pickup",
            Metric::KwestieCategory => "kwestie_category",
            Metric::OpenStepSituation => "open_step_situation",
            Metric::OpenPair => "open_pair",
            Metric::OpenStepSince => "open_step_since",
            Metric::OverdueMarked => "overdue_marked",
            Metric::RecommendationStatus => "recommendation_status",
        }
    }

    pub fn from_code(s: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }

    /// How its facts are counted in time.
    pub const fn timing(self) -> Timing {
        match self {
            Metric::OpenedMonth | Metric::ClosedMonth => Timing::Months,
            Metric::OpenedWeek | Metric::ClosedWeek => Timing::Weeks,
            Metric::Bottleneck
            | Metric::CloseDays
            | Metric::LeadTime
            | Metric::Pickup
            | Metric::KwestieCategory => Timing::Rollup,
            Metric::OpenStepSituation
            | Metric::OpenPair
            | Metric::OpenStepSince
            | Metric::OverdueMarked
            | Metric::RecommendationStatus => Timing::Present,
        }
    }
}

/// How a metric's facts are counted in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Of the present: not in a period.
    Present,
    /// Per day and per month (a figure per month).
    Months,
    /// Per day and per ISO week (a figure per week).
    Weeks,
    /// Per day, per month and per year (a total or a distribution: a long period is read from
    /// its years).
    Rollup,
}

impl Timing {
    pub const PERIODIC: [Timing; 3] = [Timing::Months, Timing::Weeks, Timing::Rollup];
}

/// The time unit of a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    /// No period: a fact of the present (its bucket may still name a day, see
    /// [`Metric::OpenStepSince`]).
    Present,
    Day,
    Week,
    Month,
    Year,
}

impl Grain {
    pub const fn code(self) -> &'static str {
        match self {
            Grain::Present => "-",
            Grain::Day => "d",
            Grain::Week => "w",
            Grain::Month => "m",
            Grain::Year => "y",
        }
    }

    pub fn from_code(s: &str) -> Option<Grain> {
        [
            Grain::Present,
            Grain::Day,
            Grain::Week,
            Grain::Month,
            Grain::Year,
        ]
        .into_iter()
        .find(|g| g.code() == s)
    }
}

/// One fact a stream adds to its home's figures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fact {
    pub metric: Metric,
    /// The Dutch day it happened on (for an event), or the day it started
    /// ([`Metric::OpenStepSince`]).
    pub on: Option<Date>,
    pub key: String,
}

/// One counter: a metric in a time bucket (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or empty), by key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counter {
    pub metric: Metric,
    pub grain: Grain,
    pub bucket: String,
    pub key: String,
}

impl Fact {
    pub(crate) fn new(metric: Metric, on: Option<Date>, key: impl Into<String>) -> Fact {
        Fact {
            metric,
            on,
            key: key.into(),
        }
    }

    /// The counters this fact adds one to.
    pub fn counters(&self) -> Vec<Counter> {
        let c = |grain: Grain, bucket: String| Counter {
            metric: self.metric,
            grain,
            bucket,
            key: self.key.clone(),
        };
        match (self.metric.timing(), self.on) {
            (Timing::Present, on) => vec![c(
                Grain::Present,
                on.map(|d| d.to_string()).unwrap_or_default(),
            )],
            (_, None) => Vec::new(),
            (Timing::Months, Some(d)) => vec![
                c(Grain::Day, d.to_string()),
                c(Grain::Month, month_bucket(d)),
            ],
            (Timing::Weeks, Some(d)) => {
                vec![c(Grain::Day, d.to_string()), c(Grain::Week, iso_week(d))]
            }
            (Timing::Rollup, Some(d)) => vec![
                c(Grain::Day, d.to_string()),
                c(Grain::Month, month_bucket(d)),
                c(Grain::Year, year_bucket(d)),
            ],
        }
    }
}

fn month_bucket(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn year_bucket(d: Date) -> String {
    format!("{:04}", d.year())
}

/// The counters of a set of facts, each once per fact.
pub fn counters(facts: &[Fact]) -> BTreeMap<Counter, i64> {
    let mut out = BTreeMap::new();
    for f in facts {
        for c in f.counters() {
            *out.entry(c).or_default() += 1;
        }
    }
    out
}

/// What changes in the counters when a stream's facts go from `old` to `new` (zero changes left
/// out).
pub fn delta(old: &[Fact], new: &[Fact]) -> BTreeMap<Counter, i64> {
    let mut d = counters(new);
    for (c, n) in counters(old) {
        *d.entry(c).or_default() -= n;
    }
    d.retain(|_, n| *n != 0);
    d
}

use crate::calendar::zone;

/// The Dutch (Europe/Amsterdam) calendar day of a moment.
pub fn dutch_day(t: Timestamp) -> Date {
    crate::calendar::dutch_date(t)
}

/// The moment a Dutch day starts.
pub fn dutch_day_start(d: Date) -> Option<Timestamp> {
    zone()
        .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        .ok()
}

/// The ISO week of a Dutch day, as the figures name it ("2026-W49").
pub fn iso_week(d: Date) -> String {
    let w = d.iso_week_date();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Whole days between two moments (never negative).
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).max(0) / 86_400
}

/// A period of whole Dutch days: from `from`, up to (not including) `to`; unbounded where `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Days {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl crate::oversight::Period {
    /// The period in whole Dutch days. A bound that is not the start of a Dutch day is refused:
    /// the figures count events per day.
    pub fn dutch_days(&self) -> Result<Days, crate::RuleViolation> {
        let day = |field: &'static str, t: Option<Timestamp>| match t {
            None => Ok(None),
            Some(t) => {
                let d = dutch_day(t);
                if dutch_day_start(d) == Some(t) {
                    Ok(Some(d))
                } else {
                    Err(crate::RuleViolation::InvalidField {
                        field,
                        reason: "not the start of a day in Europe/Amsterdam",
                    })
                }
            }
        };
        Ok(Days {
            from: day("period.from", self.from)?,
            to: day("period.to", self.to)?,
        })
    }

    /// The ISO weeks (`2026-W05`) the period touches in Dutch time, oldest first: its end is
    /// `now` when open, its start twelve weeks before the end when open; at most two years'
    /// worth (105 weeks, the first ones). The weekly figures are drawn over these.
    pub fn weeks(&self, now: Timestamp) -> Vec<String> {
        const MAX_WEEKS: usize = 105;
        let end = self.to.map_or(now, |t| {
            t.saturating_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(t)
        });
        let start = self.from.unwrap_or_else(|| {
            end.saturating_sub(jiff::SignedDuration::from_hours(24 * 7 * 12))
                .unwrap_or(end)
        });
        let (last, mut d) = (dutch_day(end), monday(dutch_day(start)));
        let mut weeks = Vec::new();
        while d <= last && weeks.len() < MAX_WEEKS {
            weeks.push(iso_week(d));
            let Ok(next) = d.checked_add(jiff::Span::new().days(7)) else {
                break;
            };
            d = next;
        }
        weeks
    }
}

/// One range of counters to read: `grain` buckets from `from` up to (not including) `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub grain: Grain,
    pub from: String,
    pub to: String,
}

const FIRST: Date = date(1, 1, 1);
const LAST: Date = date(9999, 1, 1);

fn month_start(d: Date) -> Date {
    d.first_of_month()
}

fn next_month_start(d: Date) -> Date {
    if d.day() == 1 {
        d
    } else {
        d.last_of_month().tomorrow().unwrap_or(LAST)
    }
}

fn year_start(d: Date) -> Date {
    d.first_of_year()
}

fn next_year_start(d: Date) -> Date {
    if d.day() == 1 && d.month() == 1 {
        d
    } else {
        d.last_of_year().tomorrow().unwrap_or(LAST)
    }
}

fn next_monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    if back == 0 {
        d
    } else {
        d.checked_add(jiff::Span::new().days(7 - back))
            .unwrap_or(LAST)
    }
}

fn monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(FIRST)
}

/// The buckets that together hold the days of `period` exactly once, for metrics counted with
/// `timing`: whole years, whole months of the years at its edges, and the days of the months
/// at its edges ([`Timing::Rollup`]); whole months and edge days ([`Timing::Months`]); whole
/// ISO weeks and edge days ([`Timing::Weeks`]).
pub fn ranges(timing: Timing, period: Days) -> Vec<Range> {
    let a = period.from.unwrap_or(FIRST);
    let b = period.to.unwrap_or(LAST);
    let mut out = Vec::new();
    let mut push = |grain: Grain, from: Date, to: Date| {
        if from < to {
            let s = |d: Date| match grain {
                Grain::Year => year_bucket(d),
                Grain::Month => month_bucket(d),
                Grain::Week => iso_week(d),
                _ => d.to_string(),
            };
            out.push(Range {
                grain,
                from: s(from),
                to: s(to),
            });
        }
    };
    if timing == Timing::Weeks {
        let (wa, wb) = (next_monday(a), monday(b));
        if wa >= wb {
            push(Grain::Day, a, b);
        } else {
            push(Grain::Day, a, wa);
            push(Grain::Week, wa, wb);
            push(Grain::Day, wb, b);
        }
        return out;
    }
    let (ma, mb) = (next_month_start(a), month_start(b));
    if ma >= mb {
        push(Grain::Day, a, b);
        return out;
    }
    push(Grain::Day, a, ma);
    let (ya, yb) = (next_year_start(ma), year_start(mb));
    if ya >= yb || timing == Timing::Months {
        push(Grain::Month, ma, mb);
    } else {
        push(Grain::Month, ma, ya);
        push(Grain::Year, ya, yb);
        push(Grain::Month, yb, mb);
    }
    push(Grain::Day, mb, b);
    out
}

/// A node's figures from its counters (each counter once, summed over every bucket read),
/// `today` being the Dutch day the figures are of, and `overdue_by_deadline` the open steps
/// whose pick-up deadline has passed but which the sweeper has not marked yet (read from the
/// deadline column, which is exact to the moment).
pub fn figures_from(
    org: &str,
    counts: impl IntoIterator<Item = (Counter, i64)>,
    today: Date,
    overdue_by_deadline: u64,
) -> NodeFigures {
    let mut f = NodeFigures {
        org: org.to_owned(),
        overdue_steps: overdue_by_deadline,
        ..NodeFigures::default()
    };
    let add = |m: &mut BTreeMap<String, u64>, k: String, n: u64| {
        let e = m.entry(k).or_default();
        *e = e.saturating_add(n);
    };
    for (c, n) in counts {
        let Ok(n) = u64::try_from(n) else { continue };
        if n == 0 {
            continue;
        }
        let day = || c.bucket.parse::<Date>().ok();
        let days = || c.key.parse::<i64>().ok();
        match (c.metric, c.grain) {
            (Metric::OpenedMonth | Metric::ClosedMonth, grain) => {
                let month = match grain {
                    Grain::Day => day().map(month_bucket),
                    Grain::Month => Some(c.bucket.clone()),
                    _ => None,
                };
                let Some(month) = month else { continue };
                let months = if c.metric == Metric::OpenedMonth {
                    &mut f.opened_per_month
                } else {
                    &mut f.closed_per_month
                };
                add(months, month, n);
            }
            (Metric::OpenedWeek | Metric::ClosedWeek, grain) => {
                let week = match grain {
                    Grain::Day => day().map(iso_week),
                    Grain::Week => Some(c.bucket.clone()),
                    _ => None,
                };
                let Some(week) = week else { continue };
                let weeks = if c.metric == Metric::OpenedWeek {
                    &mut f.opened_per_week
                } else {
                    &mut f.closed_per_week
                };
                add(weeks, week, n);
            }
            (Metric::Bottleneck, _) => add(&mut f.bottlenecks, c.key, n),
            (Metric::KwestieCategory, _) => add(&mut f.kwestie_categories, c.key, n),
            (Metric::CloseDays, _) => {
                if let Some(v) = days() {
                    f.close_days.add(v, n);
                }
            }
            (Metric::Pickup, _) => {
                if let Some(v) = days() {
                    f.pickup_days.add(v, n);
                }
            }
            (Metric::LeadTime, _) => {
                if let Some((step, v)) = c.key.split_once('/')
                    && let Ok(v) = v.parse()
                {
                    f.lead_time_days
                        .entry(step.to_owned())
                        .or_default()
                        .add(v, n);
                }
            }
            (Metric::OpenStepSituation, _) => add(&mut f.open_by_step_situation, c.key, n),
            (Metric::OpenPair, _) => add(&mut f.open_by_pair, c.key, n),
            (Metric::OpenStepSince, _) => {
                if let Some(d) = day() {
                    let age = today.since(d).map_or(0, |s| i64::from(s.get_days()));
                    f.age_in_step_days.add(age.max(0), n);
                }
            }
            (Metric::OverdueMarked, _) => f.overdue_steps = f.overdue_steps.saturating_add(n),
            (Metric::RecommendationStatus, _) => add(&mut f.recommendations_by_status, c.key, n),
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oversight::DayCounts;

    #[test]
    fn a_period_touches_its_iso_weeks_in_dutch_time() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // Monday 5 January 2026 00:00 in Amsterdam is 4 January 23:00 UTC: week 2 from there
        let p = crate::oversight::Period {
            from: Some(at("2026-01-04T23:00:00Z")),
            to: Some(at("2026-01-19T23:00:00Z")),
        };
        assert_eq!(
            p.weeks(at("2030-01-01T00:00:00Z")),
            ["2026-W02", "2026-W03", "2026-W04"]
        );
        // open at both ends: twelve weeks back from now, thirteen weeks touched
        let open = crate::oversight::Period {
            from: None,
            to: None,
        };
        let weeks = open.weeks(at("2026-03-18T12:00:00Z"));
        assert_eq!(weeks.len(), 13, "{weeks:?}");
        assert_eq!(weeks.last().map(String::as_str), Some("2026-W12"));
        // never more than two years' worth
        let long = crate::oversight::Period {
            from: Some(at("2000-01-01T00:00:00Z")),
            to: None,
        };
        assert_eq!(long.weeks(at("2026-03-18T12:00:00Z")).len(), 105);
    }
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// In how many of the buckets read for `period` the day `probe` is counted.
    fn covered(timing: Timing, period: Days, probe: Date) -> usize {
        ranges(timing, period)
            .iter()
            .filter(|r| {
                let b = match r.grain {
                    Grain::Year => year_bucket(probe),
                    Grain::Month => month_bucket(probe),
                    Grain::Week => iso_week(probe),
                    _ => probe.to_string(),
                };
                r.from <= b && b < r.to
            })
            .count()
    }

    #[test]
    fn a_period_is_read_from_its_whole_years_months_and_edge_days() {
        let p = Days {
            from: Some(d("2023-03-15")),
            to: Some(d("2025-02-10")),
        };
        let r: Vec<(Grain, String, String)> = ranges(Timing::Rollup, p)
            .into_iter()
            .map(|r| (r.grain, r.from, r.to))
            .collect();
        let want = [
            (Grain::Day, "2023-03-15", "2023-04-01"),
            (Grain::Month, "2023-04", "2024-01"),
            (Grain::Year, "2024", "2025"),
            (Grain::Month, "2025-01", "2025-02"),
            (Grain::Day, "2025-02-01", "2025-02-10"),
        ]
        .map(|(g, a, b)| (g, a.to_owned(), b.to_owned()));
        assert_eq!(r, want);
        let all = ranges(Timing::Rollup, Days::default());
        assert_eq!(all.len(), 1, "the whole history: its years");
        assert_eq!(all[0].grain, Grain::Year);
        let weeks: Vec<Grain> = ranges(Timing::Weeks, p).iter().map(|r| r.grain).collect();
        assert_eq!(
            weeks,
            [Grain::Day, Grain::Week],
            "10 February 2025 is a Monday"
        );
        assert_eq!(
            ranges(Timing::Weeks, p)[1].from,
            "2023-W12",
            "from Monday 20 March"
        );
    }

    proptest! {
        #[test]
        fn every_day_of_a_period_is_in_one_bucket_and_no_other_day_is(
            a in 0i64..2000, len in 1i64..1500, probe in -50i64..3600,
        ) {
            let base = d("2022-01-01");
            let at = |n: i64| base.checked_add(jiff::Span::new().days(n)).unwrap_or(base);
            let p = Days { from: Some(at(a)), to: Some(at(a + len)) };
            let x = at(probe);
            let inside = x >= at(a) && x < at(a + len);
            for t in Timing::PERIODIC {
                prop_assert_eq!(covered(t, p, x), usize::from(inside), "{:?} {:?} {}", t, p, x);
                let open_start = Days { from: None, to: Some(at(a + len)) };
                prop_assert_eq!(covered(t, open_start, x), usize::from(x < at(a + len)));
                let open_end = Days { from: Some(at(a)), to: None };
                prop_assert_eq!(covered(t, open_end, x), usize::from(x >= at(a)));
            }
        }

        #[test]
        fn quantiles_of_day_counts_are_those_of_the_values(
            values in proptest::collection::vec(0i64..400, 0..200),
        ) {
            let counts: DayCounts = values.iter().copied().collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            prop_assert_eq!(counts.count(), sorted.len() as u64);
            for (i, v) in sorted.iter().enumerate() {
                prop_assert_eq!(counts.nth(i as u64), Some(*v));
            }
            prop_assert_eq!(counts.nth(sorted.len() as u64), None);
        }
    }

    #[test]
    fn day_counts_go_as_a_map_and_an_older_nodes_list_still_reads() {
        let c: DayCounts = [3, 3, 10].into_iter().collect();
        let text = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(text, r#"{"3":2,"10":1}"#);
        assert_eq!(
            serde_json::from_str::<DayCounts>(&text).ok(),
            Some(c.clone())
        );
        assert_eq!(serde_json::from_str::<DayCounts>("[3,10,3]").ok(), Some(c));
        assert!(serde_json::from_str::<DayCounts>(r#"{"x":1}"#).is_err());
    }

    #[test]
    fn a_period_of_the_figures_starts_and_ends_at_dutch_midnight() {
        let p = |from: &str| crate::oversight::Period {
            from: Some(from.parse().unwrap_or_else(|e| panic!("{e}"))),
            to: None,
        };
        // 1 December 2026 starts at 23:00 UTC the day before (winter time)
        assert_eq!(
            p("2026-11-30T23:00:00Z").dutch_days().ok(),
            Some(Days {
                from: Some(d("2026-12-01")),
                to: None
            })
        );
        // 1 July at 22:00 UTC the day before (summer time)
        assert!(p("2026-06-30T22:00:00Z").dutch_days().is_ok());
        let refused = p("2026-12-01T00:00:00Z").dutch_days();
        assert_eq!(
            refused.as_ref().map_err(|v| v.rule()),
            Err("input.invalid_field")
        );
        assert!(
            refused
                .err()
                .is_some_and(|v| v.to_string().contains("period.from"))
        );
    }

    #[test]
    fn a_change_of_state_moves_its_counts_and_nothing_else() {
        let a = vec![
            Fact::new(Metric::OpenedMonth, Some(d("2026-12-01")), ""),
            Fact::new(Metric::OpenStepSituation, None, "1/1"),
        ];
        let b = vec![
            Fact::new(Metric::OpenedMonth, Some(d("2026-12-01")), ""),
            Fact::new(Metric::OpenStepSituation, None, "2/1"),
        ];
        let delta = delta(&a, &b);
        let keys: Vec<(&str, i64)> = delta.iter().map(|(c, n)| (c.key.as_str(), *n)).collect();
        assert_eq!(keys, vec![("1/1", -1), ("2/1", 1)]);
        assert!(super::delta(&a, &a).is_empty());
    }
}
