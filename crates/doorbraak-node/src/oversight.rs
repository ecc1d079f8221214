//! The alderman's stagnation view: figures computed by every node over the escalations it is
//! home of (so nothing is counted twice) and its own kwesties, asked for by a municipality node
//! with the oversight role for the region, merged and suppressed there. No case content and no
//! names cross; small counts are shown as "<5".

use std::collections::BTreeMap;
use std::time::Duration;

use doorbraak_model::calendar::utc_date;
use doorbraak_model::{Escalation, Kwestie, Oin, Timestamp};
use doorbraak_proto::v1;
use doorbraak_store::ListFilter;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{Node, NodeError};

/// One node's figures (what crosses the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFigures {
    pub org: String,
    /// Open escalations by "step/situation", e.g. "2/2".
    pub open_by_step_situation: BTreeMap<String, u64>,
    /// Open escalations by "home OIN -> counterpart OIN".
    pub open_by_pair: BTreeMap<String, u64>,
    /// Days each open escalation has been in its current step.
    pub age_in_step_days: Vec<i64>,
    pub overdue_steps: u64,
    pub opened_per_month: BTreeMap<String, u64>,
    pub closed_per_month: BTreeMap<String, u64>,
    /// Days from invocation to outcome of every ended step, by step number.
    pub lead_time_days: BTreeMap<String, Vec<i64>>,
    /// Bottleneck classes of closed escalations and resolved kwesties.
    pub bottlenecks: BTreeMap<String, u64>,
    pub kwestie_categories: BTreeMap<String, u64>,
    /// The recommendations register, as counts by status.
    #[serde(default)]
    pub recommendations_by_status: BTreeMap<String, u64>,
    /// Recommendations whose text the organisation chose to share with the municipality.
    #[serde(default)]
    pub shared_recommendations: Vec<SharedRecommendation>,
}

/// A recommendation shared with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedRecommendation {
    pub title: String,
    pub text: String,
    pub status: String,
    pub due: String,
}

fn month(t: Timestamp) -> String {
    let d = utc_date(t);
    format!("{:04}-{:02}", d.year(), d.month())
}

fn days(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).max(0) / 86_400
}

/// This node's figures at `now`.
pub async fn compute(node: &Node, now: Timestamp) -> Result<NodeFigures, NodeError> {
    let own = node.oin().to_string();
    let mut f = NodeFigures {
        org: own.clone(),
        ..NodeFigures::default()
    };
    let all = ListFilter {
        limit: 5000,
        ..ListFilter::default()
    };
    for row in node.store.list("escalation", &all).await? {
        if row.home_oin.as_deref() != Some(own.as_str()) {
            continue; // only the home counts an escalation
        }
        let Ok(e) = serde_json::from_value::<Escalation>(row.state) else {
            continue;
        };
        *f.opened_per_month.entry(month(e.opened_at)).or_default() += 1;
        for s in &e.steps {
            if let Some((_, at)) = &s.outcome {
                f.lead_time_days
                    .entry(s.step.number().to_string())
                    .or_default()
                    .push(days(s.invoked_at, *at));
            }
        }
        match &e.status {
            doorbraak_model::EscalationStatus::Closed { at, classification } => {
                *f.closed_per_month.entry(month(*at)).or_default() += 1;
                *f.bottlenecks
                    .entry(classification.bottleneck.code().into())
                    .or_default() += 1;
            }
            doorbraak_model::EscalationStatus::Open => {
                let Some(cur) = e.current() else { continue };
                *f.open_by_step_situation
                    .entry(format!("{}/{}", cur.step.number(), e.situation.number()))
                    .or_default() += 1;
                for c in &e.counterparts {
                    *f.open_by_pair
                        .entry(format!("{} -> {}", e.home.oin, c.oin))
                        .or_default() += 1;
                }
                f.age_in_step_days.push(days(cur.invoked_at, now));
                if cur.is_overdue(now) || cur.overdue_since.is_some() && cur.picked_up.is_none() {
                    f.overdue_steps += 1;
                }
            }
        }
    }
    for row in node.store.list("kwestie", &all).await? {
        let Ok(k) = serde_json::from_value::<Kwestie>(row.state) else {
            continue;
        };
        for c in &k.categories {
            *f.kwestie_categories.entry(c.code().into()).or_default() += 1;
        }
        if let Some(r) = &k.resolution {
            *f.bottlenecks
                .entry(r.classification.bottleneck.code().into())
                .or_default() += 1;
        }
    }
    for row in node.store.list("recommendation", &all).await? {
        let Ok(r) = serde_json::from_value::<doorbraak_model::Recommendation>(row.state) else {
            continue;
        };
        *f.recommendations_by_status
            .entry(r.status.code().into())
            .or_default() += 1;
        if r.share_text {
            f.shared_recommendations.push(SharedRecommendation {
                title: r.title,
                text: r.text,
                status: r.status.code().into(),
                due: r.due.to_string(),
            });
        }
    }
    f.age_in_step_days.sort_unstable();
    Ok(f)
}

/// How small counts are hidden.
#[derive(Debug, Clone, Copy)]
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

/// Merge counts and suppress: primary ("<5") for small cells; secondary ("suppressed") for the
/// smallest other cell when only one cell of a figure is hidden, so the figure's total cannot
/// give it away; "insufficient contributors" when too few organisations contribute.
fn suppress_map(parts: &[&BTreeMap<String, u64>], s: Suppression) -> Value {
    let contributors = parts.iter().filter(|m| m.values().any(|v| *v > 0)).count();
    if contributors < s.min_organisations {
        return json!("insufficient contributors");
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
    let mut secondary: Option<String> = None;
    if small.len() == 1 {
        secondary = sum
            .iter()
            .filter(|(k, v)| **v >= s.below && !small.contains(k))
            .min_by_key(|(_, v)| **v)
            .map(|(k, _)| k.clone());
    }
    let out: serde_json::Map<String, Value> = sum
        .iter()
        .map(|(k, v)| {
            let cell = if *v > 0 && *v < s.below {
                json!(format!("<{}", s.below))
            } else if secondary.as_ref() == Some(k) {
                json!("suppressed")
            } else {
                json!(v)
            };
            (k.clone(), cell)
        })
        .collect();
    Value::Object(out)
}

fn count(parts: &[u64], s: Suppression) -> Value {
    let n: u64 = parts.iter().fold(0u64, |a, v| a.saturating_add(*v));
    // zero reveals nothing; anything else needs enough organisations behind it
    if n > 0 && parts.iter().filter(|v| **v > 0).count() < s.min_organisations {
        return json!("insufficient contributors");
    }
    if n > 0 && n < s.below {
        json!(format!("<{}", s.below))
    } else {
        json!(n)
    }
}

fn quantiles(values: &mut [i64], s: Suppression, contributors: usize) -> Value {
    if contributors < s.min_organisations || (values.len() as u64) < s.below {
        return json!("insufficient data");
    }
    values.sort_unstable();
    let q = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    // no count (it would reveal the sum of suppressed cells elsewhere); a p90 of fewer than 10
    // values is close to one escalation's own figure
    if values.len() >= 10 {
        json!({ "median": q(0.5), "p90": q(0.9) })
    } else {
        json!({ "median": q(0.5) })
    }
}

/// The merged, suppressed view over the figures of the contributing nodes.
pub fn view(figures: &[NodeFigures], s: Suppression) -> Value {
    let maps =
        |f: fn(&NodeFigures) -> &BTreeMap<String, u64>| figures.iter().map(f).collect::<Vec<_>>();
    let with_open = figures
        .iter()
        .filter(|f| !f.age_in_step_days.is_empty())
        .count();
    let mut ages: Vec<i64> = figures
        .iter()
        .flat_map(|f| f.age_in_step_days.iter().copied())
        .collect();
    let mut steps: BTreeMap<String, (Vec<i64>, usize)> = BTreeMap::new();
    for f in figures {
        for (k, v) in &f.lead_time_days {
            let e = steps.entry(k.clone()).or_default();
            e.0.extend(v);
            e.1 += 1;
        }
    }
    let lead: serde_json::Map<String, Value> = steps
        .into_iter()
        .map(|(k, (mut v, c))| (k, quantiles(&mut v, s, c)))
        .collect();
    let overdue: Vec<u64> = figures.iter().map(|f| f.overdue_steps).collect();
    // structural candidates: a bottleneck class that recurs across organisations (at least
    // `min_organisations` of them) and cases (at least `below` in all)
    let mut structural = Vec::new();
    let mut classes: BTreeMap<&String, (u64, usize)> = BTreeMap::new();
    for f in figures {
        for (k, v) in &f.bottlenecks {
            let e = classes.entry(k).or_default();
            e.0 = e.0.saturating_add(*v);
            e.1 += usize::from(*v > 0);
        }
    }
    for (k, (n, orgs)) in classes {
        if n >= s.below && orgs >= s.min_organisations {
            // no exact number: the class may be suppressed in `bottlenecks`
            structural.push(json!({ "bottleneck": k, "organisations": orgs }));
        }
    }
    let shared: Vec<&SharedRecommendation> = figures
        .iter()
        .flat_map(|f| f.shared_recommendations.iter())
        .collect();
    json!({
        "structural_candidates": structural,
        "recommendations_by_status": suppress_map(&maps(|f| &f.recommendations_by_status), s),
        "shared_recommendations": shared,
        "open_by_step_situation": suppress_map(&maps(|f| &f.open_by_step_situation), s),
        "open_by_pair": suppress_map(&maps(|f| &f.open_by_pair), s),
        "age_in_step_days": quantiles(&mut ages, s, with_open),
        "overdue_steps": count(&overdue, s),
        "opened_per_month": suppress_map(&maps(|f| &f.opened_per_month), s),
        "closed_per_month": suppress_map(&maps(|f| &f.closed_per_month), s),
        "lead_time_days_per_step": Value::Object(lead),
        "bottlenecks": suppress_map(&maps(|f| &f.bottlenecks), s),
        "kwestie_categories": suppress_map(&maps(|f| &f.kwestie_categories), s),
    })
}

/// Ask every member of this node's region (concurrently, each with `deadline`) and merge.
pub async fn stagnation(
    node: &Node,
    deadline: Duration,
    s: Suppression,
) -> Result<Value, NodeError> {
    let now = node.now();
    let dir = node.directory();
    let region = dir
        .get(node.oin())
        .map(|m| m.region.clone())
        .unwrap_or_default();
    let mut figures = vec![compute(node, now).await?];
    let mut contributing =
        vec![json!({ "oin": node.oin().to_string(), "name": node.settings.name })];
    let mut missing = Vec::new();
    let members: Vec<_> = dir
        .members()
        .iter()
        .filter(|m| &m.oin != node.oin() && m.region == region)
        .cloned()
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for m in members {
        let client = node.federation.as_ref().map(|f| f.peers.client(&m.oin));
        tasks.spawn(async move {
            let result = match client {
                Some(Ok(mut c)) => {
                    match tokio::time::timeout(deadline, c.aggregates(v1::AggregatesRequest {}))
                        .await
                    {
                        Ok(Ok(r)) => doorbraak_model::canonical::from_slice::<NodeFigures>(
                            &r.into_inner().figures,
                        )
                        .map_err(|e| format!("invalid figures: {e}")),
                        Ok(Err(s)) => Err(format!("{:?}: {}", s.code(), s.message())),
                        Err(_) => Err(format!("no answer within {} ms", deadline.as_millis())),
                    }
                }
                Some(Err(s)) => Err(s.message().to_owned()),
                None => Err("this node has no federation".into()),
            };
            (m, result)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let Ok((m, result)) = joined else { continue };
        match result {
            Ok(f) if f.org == m.oin.as_str() => {
                contributing.push(json!({ "oin": m.oin.to_string(), "name": m.name }));
                figures.push(f);
            }
            Ok(_) => missing.push(json!({ "oin": m.oin.to_string(), "name": m.name, "reason": "answered for another organisation" })),
            Err(reason) => missing.push(json!({ "oin": m.oin.to_string(), "name": m.name, "reason": reason })),
        }
    }
    let mut v = view(&figures, s);
    if let Value::Object(o) = &mut v {
        o.insert("region".into(), json!(region));
        o.insert("generated_at".into(), json!(now.to_string()));
        o.insert("partial".into(), json!(!missing.is_empty()));
        o.insert("contributing".into(), Value::Array(contributing));
        o.insert("missing".into(), Value::Array(missing));
        o.insert("suppressed_below".into(), json!(s.below));
        o.insert("min_organisations".into(), json!(s.min_organisations));
    }
    Ok(v)
}

/// May `peer` see this node's figures? Its directory roles must include `oversight:REGION` for
/// this node's region.
pub fn may_oversee(node: &Node, peer: &Oin) -> bool {
    let dir = node.directory();
    let Some(me) = dir.get(node.oin()) else {
        return false;
    };
    let wanted = format!("oversight:{}", me.region);
    dir.get(peer)
        .is_some_and(|p| p.roles.iter().any(|r| r == &wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn primary_and_secondary_suppression() {
        let s = Suppression::default();
        let a = m(&[("2/2", 6), ("1/1", 1)]);
        let b = m(&[("2/3", 5)]);
        let v = suppress_map(&[&a, &b], s);
        assert_eq!(v, json!({ "1/1": "<5", "2/3": "suppressed", "2/2": 6 }));
        // two small cells: both hidden, nothing more needed
        let c = m(&[("x", 2), ("y", 3), ("z", 9)]);
        assert_eq!(
            suppress_map(&[&c, &m(&[("z", 1)])], s),
            json!({ "x": "<5", "y": "<5", "z": 10 })
        );
        // a single organisation: not shown at all
        assert_eq!(
            suppress_map(&[&c, &BTreeMap::new()], s),
            json!("insufficient contributors")
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
        let v = view(&[a, b], s);
        assert_eq!(
            v["structural_candidates"],
            json!([{ "bottleneck": "system.financial", "organisations": 2 }]),
            "personal recurs in one organisation only"
        );
    }

    #[test]
    fn quantiles_need_enough_values() {
        let s = Suppression::default();
        assert_eq!(quantiles(&mut [1, 2, 3], s, 2), json!("insufficient data"));
        assert_eq!(
            quantiles(&mut [5, 1, 4, 2, 3, 10], s, 2),
            json!({ "median": 4 })
        );
        let mut ten: Vec<i64> = (1..=10).collect();
        assert_eq!(quantiles(&mut ten, s, 2), json!({ "median": 6, "p90": 9 }));
    }
}
