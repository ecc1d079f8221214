//! The alderman's stagnation view: figures computed by every node over the escalations it is
//! home of (so nothing is counted twice) and its own kwesties, asked for by a municipality node
//! with the oversight role for the region, merged and suppressed there by the model
//! (`doorbraak_model::oversight`). No case content and no names cross.

use std::time::Duration;

use doorbraak_model::access::Operation;
use doorbraak_model::calendar::utc_date;
use doorbraak_model::oversight::{self, NodeFigures, Period, StagnationFigures, Suppression};
use doorbraak_model::{
    Escalation, EscalationStatus, Kwestie, Oin, Recommendation, StreamKind, Timestamp,
};
use doorbraak_store::ListFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{Node, NodeError, User};

/// An organisation of the region, by OIN and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contributor {
    pub oin: String,
    pub name: String,
}

/// An organisation whose figures are missing from the view, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Missing {
    pub oin: String,
    pub name: String,
    pub reason: String,
}

/// The stagnation view of a region, as the alderman sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StagnationView {
    /// The merged, suppressed figures: counts (a number, "<5" or "suppressed"), or
    /// "insufficient contributors" when too few organisations are behind a figure.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub figures: StagnationFigures,
    pub region: String,
    /// When the view was computed (UTC, RFC 3339).
    pub generated_at: String,
    /// Some organisations did not answer (they are named in `missing`).
    pub partial: bool,
    pub contributing: Vec<Contributor>,
    pub missing: Vec<Missing>,
    pub suppressed_below: u64,
    pub min_organisations: usize,
}

/// One day's snapshot of the view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Snapshot {
    /// The day (UTC), YYYY-MM-DD.
    pub day: String,
    pub view: StagnationView,
}

fn month(t: Timestamp) -> String {
    let d = utc_date(t);
    format!("{:04}-{:02}", d.year(), d.month())
}

fn days(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).max(0) / 86_400
}

/// A period of Dutch days (`YYYY-MM-DD`, from and up to and including), as a person enters it;
/// `fields` name the two fields in errors.
pub fn days_period(
    from: Option<&str>,
    to: Option<&str>,
    fields: (&'static str, &'static str),
) -> Result<Period, doorbraak_model::RuleViolation> {
    let day = crate::time::day_bound;
    let p = Period {
        from: day(fields.0, from, false)?,
        to: day(fields.1, to, true)?,
    };
    p.check()
        .map_err(|_| doorbraak_model::RuleViolation::InvalidField {
            field: fields.1,
            reason: "lies before the start of the period",
        })?;
    Ok(p)
}

/// A period as another node sends it (RFC 3339 moments, empty for no bound).
pub fn wire_period(from: &str, to: &str) -> Result<Period, doorbraak_model::RuleViolation> {
    let bound = |field: &'static str, s: &str| -> Result<Option<Timestamp>, _> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| doorbraak_model::RuleViolation::InvalidField {
                field,
                reason: "not a moment (RFC 3339)",
            })
    };
    let p = Period {
        from: bound("period.from", from)?,
        to: bound("period.to", to)?,
    };
    p.check()?;
    Ok(p)
}

/// This node's figures at `now`; the figures of events (opened, closed, picked up, ended, raised)
/// only of those in `period`.
pub async fn figures(
    node: &Node,
    now: Timestamp,
    period: Period,
) -> Result<NodeFigures, NodeError> {
    let own = node.oin().to_string();
    let mut f = NodeFigures {
        org: own.clone(),
        ..NodeFigures::default()
    };
    let all = ListFilter {
        limit: 5000,
        ..ListFilter::default()
    };
    for row in node.store.list(StreamKind::Escalation, &all).await? {
        if row.home_oin.as_deref() != Some(own.as_str()) {
            continue; // only the home counts an escalation
        }
        let Ok(e) = serde_json::from_value::<Escalation>(row.state) else {
            continue;
        };
        if period.contains(e.opened_at) {
            *f.opened_per_month.entry(month(e.opened_at)).or_default() += 1;
            *f.opened_per_week
                .entry(crate::time::iso_week(e.opened_at))
                .or_default() += 1;
        }
        for s in &e.steps {
            if let Some((_, at)) = &s.outcome
                && period.contains(*at)
            {
                f.lead_time_days
                    .entry(s.step.number().to_string())
                    .or_default()
                    .push(days(s.invoked_at, *at));
            }
            if let Some((_, at)) = &s.picked_up
                && period.contains(*at)
            {
                f.pickup_days.push(days(s.invoked_at, *at));
            }
        }
        match &e.status {
            EscalationStatus::Closed { at, classification } => {
                if period.contains(*at) {
                    *f.closed_per_month.entry(month(*at)).or_default() += 1;
                    *f.closed_per_week
                        .entry(crate::time::iso_week(*at))
                        .or_default() += 1;
                    *f.bottlenecks
                        .entry(classification.bottleneck.code().into())
                        .or_default() += 1;
                    f.close_days.push(days(e.opened_at, *at));
                }
            }
            EscalationStatus::Open => {
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
    for row in node.store.list(StreamKind::Kwestie, &all).await? {
        let Ok(k) = serde_json::from_value::<Kwestie>(row.state) else {
            continue;
        };
        if period.contains(k.raised_at) {
            for c in &k.categories {
                *f.kwestie_categories.entry(c.code().into()).or_default() += 1;
            }
        }
        if let Some(r) = &k.resolution
            && period.contains(r.at)
        {
            *f.bottlenecks
                .entry(r.classification.bottleneck.code().into())
                .or_default() += 1;
        }
    }
    for row in node.store.list(StreamKind::Recommendation, &all).await? {
        let Ok(r) = serde_json::from_value::<Recommendation>(row.state) else {
            continue;
        };
        *f.recommendations_by_status
            .entry(r.status.code().into())
            .or_default() += 1;
        if r.share_text {
            f.shared_recommendations
                .push(doorbraak_model::oversight::SharedRecommendation {
                    title: r.title,
                    text: r.text,
                    status: r.status.code().into(),
                    due: r.due.to_string(),
                });
        }
    }
    f.age_in_step_days.sort_unstable();
    f.pickup_days.sort_unstable();
    f.close_days.sort_unstable();
    Ok(f)
}

/// Ask every member of this node's region (concurrently, each with `deadline`) and merge.
pub async fn region_view(
    node: &Node,
    deadline: Duration,
    s: Suppression,
    period: Period,
) -> Result<StagnationView, NodeError> {
    let now = node.now();
    let dir = node.directory();
    let region = dir
        .get(node.oin())
        .map(|m| m.region.clone())
        .unwrap_or_default();
    let mut all = vec![figures(node, now, period).await?];
    let mut contributing = vec![Contributor {
        oin: node.oin().to_string(),
        name: node.settings.name.clone(),
    }];
    let mut missing = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for m in dir
        .members()
        .iter()
        .filter(|m| &m.oin != node.oin() && m.region == region)
        .cloned()
    {
        let ask = node.ask_figures(&m.oin, deadline, period);
        tasks.spawn(async move { (m, ask.await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let Ok((m, result)) = joined else { continue };
        let (oin, name) = (m.oin.to_string(), m.name);
        match result {
            Ok(f) if f.org == oin => {
                contributing.push(Contributor { oin, name });
                all.push(f);
            }
            Ok(_) => missing.push(Missing {
                oin,
                name,
                reason: "answered for another organisation".into(),
            }),
            Err(reason) => missing.push(Missing { oin, name, reason }),
        }
    }
    Ok(StagnationView {
        figures: oversight::view(&all, s),
        region,
        generated_at: now.to_string(),
        partial: !missing.is_empty(),
        contributing,
        missing,
        suppressed_below: s.below,
        min_organisations: s.min_organisations,
    })
}

/// The stagnation view for an alderman or civil servant, with the node's settings. Only a
/// complete view is kept as the day's snapshot: a partial one next to a complete one would give
/// away the missing organisation's figures.
pub async fn stagnation(
    node: &Node,
    u: &User,
    period: Period,
) -> Result<StagnationView, NodeError> {
    Operation::ReadStagnationView.check(Some(u.role))?;
    period.check()?;
    node.log_read(u, "oversight", "stagnation").await?;
    let o = &node.settings.oversight;
    let v = region_view(
        node,
        Duration::from_millis(o.deadline_ms),
        Suppression {
            below: o.suppress_below,
            min_organisations: o.min_organisations,
        },
        period,
    )
    .await?;
    // the day's snapshot is of the whole view, not of a chosen period
    if !v.partial && period == Period::ALL {
        let now = node.now();
        let day = utc_date(now).to_string();
        let json = serde_json::to_string(&v)?;
        node.store.save_snapshot(&day, now, &json).await?;
    }
    Ok(v)
}

/// The daily snapshots of the view (the last year), oldest first.
pub async fn trend(node: &Node, u: &User) -> Result<Vec<Snapshot>, NodeError> {
    Operation::ReadStagnationView.check(Some(u.role))?;
    node.log_read(u, "oversight", "trend").await?;
    let mut out = Vec::new();
    for (day, view) in node.store.snapshots(366).await? {
        match serde_json::from_str::<StagnationView>(&view) {
            Ok(view) => out.push(Snapshot { day, view }),
            Err(e) => {
                tracing::warn!(%day, error = %e, "a stored snapshot does not read back; left out of the trend")
            }
        }
    }
    Ok(out)
}

/// May `peer` see this node's figures? Its directory roles must include the oversight role
/// for this node's region.
pub fn may_oversee(node: &Node, peer: &Oin) -> bool {
    let dir = node.directory();
    let Some(me) = dir.get(node.oin()) else {
        return false;
    };
    dir.get(peer)
        .is_some_and(|p| oversight::may_oversee(&me.region, &p.roles))
}
