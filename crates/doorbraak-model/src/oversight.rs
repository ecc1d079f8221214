//! The alderman's stagnation view as pure functions: one node's figures ([`NodeFigures`], what
//! crosses the wire), and the merged, suppressed view over the figures of the contributing
//! nodes ([`StagnationFigures`]). Small counts are hidden ("<5"), a second cell is hidden when
//! one alone would be given away by a total, and a figure with too few organisations behind it
//! is not shown at all. No case content, no names.
//!
//! Gathering the figures (the store, the federation) is the node's business; what may be shown
//! of them is decided here.

use crate::Timestamp;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A distribution of whole days: how many took how many days. The same size at 100 or
/// 100,000 values. On the wire a map of days to counts (`{"3": 2}`); an older node's list of
/// values (`[3, 3]`) reads too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts(BTreeMap<i64, u64>);

impl DayCounts {
    pub fn add(&mut self, days: i64, n: u64) {
        if n > 0 {
            let e = self.0.entry(days).or_default();
            *e = e.saturating_add(n);
        }
    }

    pub fn merge(&mut self, other: &DayCounts) {
        for (d, n) in &other.0 {
            self.add(*d, *n);
        }
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.0.values().fold(0u64, |a, n| a.saturating_add(*n))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value at rank `i` (0-based) of the values in order.
    pub fn nth(&self, i: u64) -> Option<i64> {
        let mut seen = 0u64;
        for (d, n) in &self.0 {
            seen = seen.saturating_add(*n);
            if i < seen {
                return Some(*d);
            }
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.0.iter().map(|(d, n)| (*d, *n))
    }
}

impl FromIterator<i64> for DayCounts {
    fn from_iter<I: IntoIterator<Item = i64>>(values: I) -> Self {
        let mut out = DayCounts::default();
        for v in values {
            out.add(v, 1);
        }
        out
    }
}

impl Serialize for DayCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(d, n)| (d.to_string(), n)))
    }
}

impl<'de> Deserialize<'de> for DayCounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Counts(BTreeMap<String, u64>),
            Values(Vec<i64>),
        }
        match Raw::deserialize(d)? {
            Raw::Values(v) => Ok(v.into_iter().collect()),
            Raw::Counts(m) => {
                let mut out = DayCounts::default();
                for (k, n) in m {
                    let days = k
                        .parse()
                        .map_err(|_| serde::de::Error::custom(format!("not days: {k:?}")))?;
                    out.add(days, n);
                }
                Ok(out)
            }
        }
    }
}

impl fmt::Display for DayCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} values", self.count())
    }
}

/// One node's figures: what a node answers when the region's oversight asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFigures {
    /// The OIN of the organisation the figures are of.
    pub org: String,
    /// Open escalations by "step/situation", e.g. "2/2".
    pub open_by_step_situation: BTreeMap<String, u64>,
    /// Open escalations by "home OIN -> counterpart OIN".
    pub open_by_pair: BTreeMap<String, u64>,
    /// Calendar days (Dutch) each open escalation has been in its current step: how many
    /// escalations took how many days (see [`DayCounts`]).
    pub age_in_step_days: DayCounts,
    pub overdue_steps: u64,
    pub opened_per_month: BTreeMap<String, u64>,
    pub closed_per_month: BTreeMap<String, u64>,
    /// Days from invocation to outcome of every ended step, by step number.
    pub lead_time_days: BTreeMap<String, DayCounts>,
    /// Bottleneck classes of closed escalations and resolved kwesties.
    pub bottlenecks: BTreeMap<String, u64>,
    pub kwestie_categories: BTreeMap<String, u64>,
    /// The recommendations register, as counts by status.
    #[serde(default)]
    pub recommendations_by_status: BTreeMap<String, u64>,
    /// Recommendations whose text the organisation chose to share with the municipality.
    #[serde(default)]
    pub shared_recommendations: Vec<SharedRecommendation>,
    /// Escalations opened and closed per ISO week ("2026-W49", Dutch time).
    #[serde(default)]
    pub opened_per_week: BTreeMap<String, u64>,
    #[serde(default)]
    pub closed_per_week: BTreeMap<String, u64>,
    /// Days from a step's invocation to its pick-up, of every step picked up.
    #[serde(default)]
    pub pickup_days: DayCounts,
    /// Days from opening to closing, of every closed escalation.
    #[serde(default)]
    pub close_days: DayCounts,
}

/// The period the figures of events cover: from `from`, up to (not including) `to`; no bound
/// where `None`. Figures of the present (what is open now) do not depend on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl Period {
    /// The whole history.
    pub const ALL: Period = Period {
        from: None,
        to: None,
    };

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// A period whose end lies before its start holds nothing, and is refused.
    pub fn check(&self) -> Result<(), crate::RuleViolation> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if t <= f => Err(crate::RuleViolation::InvalidField {
                field: "period.to",
                reason: "lies before the start of the period",
            }),
            _ => Ok(()),
        }
    }
}

/// A recommendation shared with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharedRecommendation {
    pub title: String,
    pub text: String,
    pub status: String,
    pub due: String,
}

/// How small counts are hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// Counts from 1 to `below - 1` are shown as "<below>".
    pub below: u64,
    /// A figure is shown only if at least this many organisations contribute to it.
    pub min_organisations: usize,
}

impl Default for Suppression {
    fn default() -> Self {
        Self {
            below: 5,
            min_organisations: 2,
        }
    }
}

/// One count of the view. On the wire a number, `"<5"` or `"suppressed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Shown as it is.
    Count(u64),
    /// Between 1 and `below - 1`: shown as "<below>" (primary suppression).
    Small { below: u64 },
    /// Large enough, but hidden so that a total cannot give a small cell away (secondary
    /// suppression).
    Suppressed,
}

impl Cell {
    /// The number, when it is shown.
    pub fn count(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Small { below } => write!(f, "<{below}"),
            Cell::Suppressed => f.write_str("suppressed"),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Count(n) => s.serialize_u64(*n),
            other => s.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Cell::Count(n)),
            Raw::S(s) if s == "suppressed" => Ok(Cell::Suppressed),
            Raw::S(s) => s
                .strip_prefix('<')
                .and_then(|b| b.parse().ok())
                .map(|below| Cell::Small { below })
                .ok_or_else(|| serde::de::Error::custom(format!("not a cell: {s:?}"))),
        }
    }
}

/// A figure, or that too few organisations contribute to it. On the wire the figure itself, or
/// the text `"insufficient contributors"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure<T> {
    Shown(T),
    InsufficientContributors,
}

const INSUFFICIENT_CONTRIBUTORS: &str = "insufficient contributors";
const INSUFFICIENT_DATA: &str = "insufficient data";

impl<T> Figure<T> {
    pub fn shown(&self) -> Option<&T> {
        match self {
            Figure::Shown(t) => Some(t),
            Figure::InsufficientContributors => None,
        }
    }
}

impl<T: Serialize> Serialize for Figure<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Figure::Shown(t) => t.serialize(s),
            Figure::InsufficientContributors => s.serialize_str(INSUFFICIENT_CONTRIBUTORS),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Figure<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<T> {
            Shown(T),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Shown(t) => Ok(Figure::Shown(t)),
            Raw::Text(s) if s == INSUFFICIENT_CONTRIBUTORS => Ok(Figure::InsufficientContributors),
            Raw::Text(s) => Err(serde::de::Error::custom(format!("not a figure: {s:?}"))),
        }
    }
}

/// Counts by key, merged over the organisations and suppressed.
pub type Cells = Figure<BTreeMap<String, Cell>>;

/// Median and 90th percentile, or that there are too few values (or organisations) to show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantiles {
    /// The p90 is only given over ten values or more: over fewer it is close to one escalation's
    /// own figure.
    Shown {
        median: i64,
        p90: Option<i64>,
    },
    InsufficientData,
}

impl Serialize for Quantiles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Q {
            median: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            p90: Option<i64>,
        }
        match *self {
            Quantiles::Shown { median, p90 } => Q { median, p90 }.serialize(s),
            Quantiles::InsufficientData => s.serialize_str(INSUFFICIENT_DATA),
        }
    }
}

impl<'de> Deserialize<'de> for Quantiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Q {
            median: i64,
            #[serde(default)]
            p90: Option<i64>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Shown(Q),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Shown(Q { median, p90 }) => Ok(Quantiles::Shown { median, p90 }),
            Raw::Text(s) if s == INSUFFICIENT_DATA => Ok(Quantiles::InsufficientData),
            Raw::Text(s) => Err(serde::de::Error::custom(format!("not quantiles: {s:?}"))),
        }
    }
}

/// A bottleneck class that recurs across organisations and cases: perhaps structural.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructuralCandidate {
    pub bottleneck: String,
    /// How many organisations know it (no count of cases: the class may be suppressed in the
    /// bottleneck figure).
    pub organisations: usize,
}

/// The merged, suppressed figures of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagnationFigures {
    pub structural_candidates: Vec<StructuralCandidate>,
    pub recommendations_by_status: Cells,
    pub shared_recommendations: Vec<SharedRecommendation>,
    pub open_by_step_situation: Cells,
    pub open_by_pair: Cells,
    pub age_in_step_days: Quantiles,
    pub overdue_steps: Figure<Cell>,
    pub opened_per_month: Cells,
    pub closed_per_month: Cells,
    pub lead_time_days_per_step: BTreeMap<String, Quantiles>,
    pub bottlenecks: Cells,
    pub kwestie_categories: Cells,
    pub opened_per_week: Cells,
    pub closed_per_week: Cells,
    /// Days from a step's invocation to its pick-up.
    pub time_to_pickup_days: Quantiles,
    /// Days from opening an escalation to closing it.
    pub time_to_close_days: Quantiles,
}

/// The directory role that lets an organisation see the figures of a region's nodes.
pub fn oversight_role(region: &str) -> String {
    format!("oversight:{region}")
}

/// May an organisation with directory `roles` see the figures of a node in `region`?
pub fn may_oversee(region: &str, roles: &[String]) -> bool {
    let wanted = oversight_role(region);
    roles.iter().any(|r| r == &wanted)
}

fn cell(n: u64, s: Suppression) -> Cell {
    if n > 0 && n < s.below {
        Cell::Small { below: s.below }
    } else {
        Cell::Count(n)
    }
}

/// Merge counts and suppress: primary ("<5") for small cells; secondary ("suppressed") for the
/// smallest other cell when only one cell of a figure is hidden, so the figure's total cannot
/// give it away; "insufficient contributors" when too few organisations contribute.
pub fn suppress_map(parts: &[&BTreeMap<String, u64>], s: Suppression) -> Cells {
    let contributors = parts.iter().filter(|m| m.values().any(|v| *v > 0)).count();
    if contributors < s.min_organisations {
        return Figure::InsufficientContributors;
    }
    let mut sum: BTreeMap<String, u64> = BTreeMap::new();
    for m in parts {
        for (k, v) in m.iter() {
            let e = sum.entry(k.clone()).or_default();
            *e = e.saturating_add(*v);
        }
    }
    let small: Vec<&String> = sum
        .iter()
        .filter(|(_, v)| **v > 0 && **v < s.below)
        .map(|(k, _)| k)
        .collect();
    let secondary = if small.len() == 1 {
        sum.iter()
            .filter(|(k, v)| **v >= s.below && !small.contains(k))
            .min_by_key(|(_, v)| **v)
            .map(|(k, _)| k.clone())
    } else {
        None
    };
    Figure::Shown(
        sum.iter()
            .map(|(k, v)| {
                let c = if secondary.as_ref() == Some(k) {
                    Cell::Suppressed
                } else {
                    cell(*v, s)
                };
                (k.clone(), c)
            })
            .collect(),
    )
}

/// A single count over the organisations' parts.
pub fn suppress_count(parts: &[u64], s: Suppression) -> Figure<Cell> {
    let n: u64 = parts.iter().fold(0u64, |a, v| a.saturating_add(*v));
    // zero reveals nothing; anything else needs enough organisations behind it
    if n > 0 && parts.iter().filter(|v| **v > 0).count() < s.min_organisations {
        return Figure::InsufficientContributors;
    }
    Figure::Shown(cell(n, s))
}

/// Median and p90 of `values`, from `contributors` organisations.
pub fn quantiles(values: &DayCounts, s: Suppression, contributors: usize) -> Quantiles {
    let len = values.count();
    if contributors < s.min_organisations || len < s.below || len == 0 {
        return Quantiles::InsufficientData;
    }
    // the value at rank round((len - 1) * p) of the values in order
    let q = |p: f64| {
        values
            .nth(((len - 1) as f64 * p).round() as u64)
            .unwrap_or(0)
    };
    // no count (it would reveal the sum of suppressed cells elsewhere); a p90 of fewer than 10
    // values is close to one escalation's own figure
    Quantiles::Shown {
        median: q(0.5),
        p90: (len >= 10).then(|| q(0.9)),
    }
}

/// The merged, suppressed view over the figures of the contributing nodes.
pub fn view(figures: &[NodeFigures], s: Suppression) -> StagnationFigures {
    let maps =
        |f: fn(&NodeFigures) -> &BTreeMap<String, u64>| figures.iter().map(f).collect::<Vec<_>>();
    let with_open = figures
        .iter()
        .filter(|f| !f.age_in_step_days.is_empty())
        .count();
    let mut ages = DayCounts::default();
    for f in figures {
        ages.merge(&f.age_in_step_days);
    }
    let mut steps: BTreeMap<String, (DayCounts, usize)> = BTreeMap::new();
    for f in figures {
        for (k, v) in &f.lead_time_days {
            let e = steps.entry(k.clone()).or_default();
            e.0.merge(v);
            e.1 += 1;
        }
    }
    let overdue: Vec<u64> = figures.iter().map(|f| f.overdue_steps).collect();
    let spread = |f: fn(&NodeFigures) -> &DayCounts| {
        let contributors = figures.iter().filter(|n| !f(n).is_empty()).count();
        let mut all = DayCounts::default();
        for n in figures {
            all.merge(f(n));
        }
        quantiles(&all, s, contributors)
    };
    // structural candidates: a bottleneck class that recurs across organisations (at least
    // `min_organisations` of them) and cases (at least `below` in all)
    let mut classes: BTreeMap<&String, (u64, usize)> = BTreeMap::new();
    for f in figures {
        for (k, v) in &f.bottlenecks {
            let e = classes.entry(k).or_default();
            e.0 = e.0.saturating_add(*v);
            e.1 += usize::from(*v > 0);
        }
    }
    let structural_candidates = classes
        .into_iter()
        .filter(|(_, (n, orgs))| *n >= s.below && *orgs >= s.min_organisations)
        .map(|(k, (_, organisations))| StructuralCandidate {
            bottleneck: k.clone(),
            organisations,
        })
        .collect();
    StagnationFigures {
        structural_candidates,
        recommendations_by_status: suppress_map(&maps(|f| &f.recommendations_by_status), s),
        shared_recommendations: figures
            .iter()
            .flat_map(|f| f.shared_recommendations.iter().cloned())
            .collect(),
        open_by_step_situation: suppress_map(&maps(|f| &f.open_by_step_situation), s),
        open_by_pair: suppress_map(&maps(|f| &f.open_by_pair), s),
        age_in_step_days: quantiles(&ages, s, with_open),
        overdue_steps: suppress_count(&overdue, s),
        opened_per_month: suppress_map(&maps(|f| &f.opened_per_month), s),
        closed_per_month: suppress_map(&maps(|f| &f.closed_per_month), s),
        lead_time_days_per_step: steps
            .into_iter()
            .map(|(k, (v, c))| (k, quantiles(&v, s, c)))
            .collect(),
        bottlenecks: suppress_map(&maps(|f| &f.bottlenecks), s),
        kwestie_categories: suppress_map(&maps(|f| &f.kwestie_categories), s),
        opened_per_week: suppress_map(&maps(|f| &f.opened_per_week), s),
        closed_per_week: suppress_map(&maps(|f| &f.closed_per_week), s),
        time_to_pickup_days: spread(|f| &f.pickup_days),
        time_to_close_days: spread(|f| &f.close_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn m(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn js<T: Serialize>(t: &T) -> serde_json::Value {
        serde_json::to_value(t).unwrap_or_default()
    }

    #[test]
    fn small_counts_are_hidden_and_one_more_when_a_total_would_give_it_away() {
        let s = Suppression::default();
        let a = m(&[("2/2", 6), ("1/1", 1)]);
        let b = m(&[("2/3", 5)]);
        assert_eq!(
            js(&suppress_map(&[&a, &b], s)),
            json!({ "1/1": "<5", "2/3": "suppressed", "2/2": 6 })
        );
        // two small cells: both hidden, nothing more needed
        let c = m(&[("x", 2), ("y", 3), ("z", 9)]);
        assert_eq!(
            js(&suppress_map(&[&c, &m(&[("z", 1)])], s)),
            json!({ "x": "<5", "y": "<5", "z": 10 })
        );
    }

    #[test]
    fn a_figure_of_one_organisation_is_not_shown() {
        let s = Suppression::default();
        let c = m(&[("x", 20)]);
        assert_eq!(
            suppress_map(&[&c, &BTreeMap::new()], s),
            Figure::InsufficientContributors
        );
        assert_eq!(
            js(&suppress_map(&[&c, &BTreeMap::new()], s)),
            json!("insufficient contributors")
        );
        assert_eq!(suppress_count(&[7, 0], s), Figure::InsufficientContributors);
        assert_eq!(
            suppress_count(&[0, 0], s),
            Figure::Shown(Cell::Count(0)),
            "zero reveals nothing"
        );
        assert_eq!(
            suppress_count(&[3, 4], s),
            Figure::Shown(Cell::Count(7)),
            "two organisations, enough in all"
        );
        assert_eq!(
            suppress_count(&[1, 2], s),
            Figure::Shown(Cell::Small { below: 5 })
        );
    }

    #[test]
    fn a_bottleneck_recurring_across_organisations_is_a_structural_candidate() {
        let s = Suppression::default();
        let a = NodeFigures {
            bottlenecks: m(&[("system.financial", 3), ("personal", 4)]),
            ..NodeFigures::default()
        };
        let b = NodeFigures {
            bottlenecks: m(&[("system.financial", 2)]),
            ..NodeFigures::default()
        };
        assert_eq!(
            view(&[a, b], s).structural_candidates,
            vec![StructuralCandidate {
                bottleneck: "system.financial".into(),
                organisations: 2
            }],
            "personal recurs in one organisation only"
        );
    }

    #[test]
    fn only_the_oversight_role_of_the_region_sees_its_figures() {
        assert!(may_oversee("utrecht", &["oversight:utrecht".into()]));
        assert!(!may_oversee("utrecht", &["oversight:amsterdam".into()]));
        assert!(!may_oversee("utrecht", &[]));
    }

    #[test]
    fn quantiles_need_enough_values() {
        let s = Suppression::default();
        let v = |x: &[i64]| x.iter().copied().collect::<DayCounts>();
        assert_eq!(quantiles(&v(&[1, 2, 3]), s, 2), Quantiles::InsufficientData);
        assert_eq!(
            quantiles(&v(&[1, 2, 3, 4, 5]), s, 1),
            Quantiles::InsufficientData,
            "one organisation"
        );
        assert_eq!(
            js(&quantiles(&v(&[5, 1, 4, 2, 3, 10]), s, 2)),
            json!({ "median": 4 })
        );
        let ten: DayCounts = (1..=10).collect();
        assert_eq!(js(&quantiles(&ten, s, 2)), json!({ "median": 6, "p90": 9 }));
    }

    #[test]
    fn the_view_reads_back_from_its_json() {
        let s = Suppression::default();
        let a = NodeFigures {
            open_by_step_situation: m(&[("2/2", 6), ("1/1", 1)]),
            age_in_step_days: [1, 2, 3].into_iter().collect(),
            overdue_steps: 2,
            ..NodeFigures::default()
        };
        let b = NodeFigures {
            open_by_step_situation: m(&[("2/3", 5)]),
            age_in_step_days: [4, 5, 6].into_iter().collect(),
            overdue_steps: 1,
            ..NodeFigures::default()
        };
        let v = view(&[a, b], s);
        let back: StagnationFigures =
            serde_json::from_value(js(&v)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, v);
        assert!(serde_json::from_value::<Cell>(json!("many")).is_err());
    }

    #[test]
    fn a_period_holds_its_start_not_its_end_and_never_ends_before_it_starts() {
        let t = |s: &str| {
            s.parse::<Timestamp>()
                .unwrap_or_else(|e| panic!("{s}: {e}"))
        };
        let p = Period {
            from: Some(t("2026-11-01T00:00:00Z")),
            to: Some(t("2026-12-01T00:00:00Z")),
        };
        assert!(p.contains(t("2026-11-01T00:00:00Z")));
        assert!(p.contains(t("2026-11-30T23:59:59Z")));
        assert!(!p.contains(t("2026-12-01T00:00:00Z")));
        assert!(!p.contains(t("2026-10-31T23:59:59Z")));
        assert!(Period::ALL.contains(t("1999-01-01T00:00:00Z")));
        assert!(p.check().is_ok());
        let backwards = Period {
            from: p.to,
            to: p.from,
        };
        assert_eq!(
            backwards.check().map_err(|v| v.rule()),
            Err("input.invalid_field")
        );
    }

    #[test]
    fn weekly_throughput_and_lead_times_are_suppressed_like_every_figure() {
        let node = |org: &str, opened: u64, close: Vec<i64>| NodeFigures {
            org: org.into(),
            opened_per_week: m(&[("2026-W48", opened), ("2026-W49", 7)]),
            close_days: close.into_iter().collect(),
            ..NodeFigures::default()
        };
        let s = Suppression::default();
        let one = view(&[node("a", 3, vec![1, 2, 3, 4, 5, 6])], s);
        assert_eq!(one.opened_per_week, Figure::InsufficientContributors);
        assert_eq!(one.time_to_close_days, Quantiles::InsufficientData);
        let two = view(
            &[node("a", 3, vec![1, 2, 3]), node("b", 0, vec![4, 5, 6])],
            s,
        );
        assert_eq!(
            js(&two.opened_per_week),
            json!({ "2026-W48": "<5", "2026-W49": "suppressed" })
        );
        assert_eq!(
            two.time_to_close_days,
            Quantiles::Shown {
                median: 4,
                p90: None
            }
        );
    }

    proptest! {
        /// No shown cell of a merged figure is between 1 and the threshold, and when any cell is
        /// hidden, at least two are (so the total gives none away).
        #[test]
        fn no_small_count_is_ever_shown(
            a in proptest::collection::btree_map("[a-e]", 0u64..20, 0..5),
            b in proptest::collection::btree_map("[a-e]", 0u64..20, 0..5),
        ) {
            let s = Suppression::default();
            if let Figure::Shown(cells) = suppress_map(&[&a, &b], s) {
                for c in cells.values() {
                    if let Cell::Count(n) = c { prop_assert!(*n == 0 || *n >= s.below); }
                }
                let hidden = cells.values().filter(|c| c.count().is_none()).count();
                let shown_nonzero = cells.values().filter(|c| c.count().is_some_and(|n| n > 0)).count();
                prop_assert!(hidden != 1 || shown_nonzero == 0, "{cells:?}");
            }
        }
    }
}
