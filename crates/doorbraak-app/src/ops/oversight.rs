//! The alderman's stagnation view: figures computed by every node over the escalations it is
//! home of (so nothing is counted twice) and its own kwesties, asked for by a municipality node
//! with the oversight role for the region, merged and suppressed there by the model
//! (`doorbraak_model::oversight`). No case content and no names cross.

use std::time::Duration;

use doorbraak_model::access::Operation;
use doorbraak_model::calendar::dutch_date;
use doorbraak_model::oversight::{self, NodeFigures, Period, StagnationFigures, Suppression};
use doorbraak_model::{Oin, Recommendation, StreamKind, Timestamp};
use doorbraak_store::ListFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Node, NodeError, User};

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

/// An organisation whose figures in the view are its last good answer, not a fresh one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Stale {
    pub oin: String,
    pub name: String,
    /// When it answered (UTC, RFC 3339) and how long ago, in seconds.
    pub answered_at: String,
    pub age_seconds: i64,
    /// Why there is no fresh answer.
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
    /// Not every organisation answered afresh: some are last-known (`stale`) or absent
    /// (`missing`).
    pub partial: bool,
    pub contributing: Vec<Contributor>,
    pub missing: Vec<Missing>,
    /// Organisations counted with their last good answer, with its age.
    #[serde(default)]
    pub stale: Vec<Stale>,
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

/// Recommendations, a page at a time (a register of a few per year: only their shared texts
/// are read from the streams; their counts come from the counters).
struct Pages<'a> {
    node: &'a Node,
    after: Option<doorbraak_store::ListCursor>,
    done: bool,
}

impl<'a> Pages<'a> {
    const SIZE: i64 = 500;

    async fn next(&mut self) -> Result<Option<Vec<doorbraak_store::ProjectionRow>>, NodeError> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .node
            .store
            .list(
                StreamKind::Recommendation,
                &ListFilter {
                    limit: Self::SIZE,
                    sort: doorbraak_store::ListSort::Oldest,
                    after: self.after.take(),
                    ..ListFilter::default()
                },
            )
            .await?;
        self.done = rows.len() < usize::try_from(Self::SIZE).unwrap_or(usize::MAX);
        self.after = rows
            .last()
            .map(|r| doorbraak_store::ListCursor::after(doorbraak_store::ListSort::Oldest, r));
        Ok((!rows.is_empty()).then_some(rows))
    }
}

/// This node's figures at `now`; the figures of events (opened, closed, picked up, ended, raised)
/// only of those in `period` (whole Dutch days). Read from the counters the store keeps with
/// every change of a stream (`doorbraak_model::figures`): exact at any number of escalations,
/// and about as fast at 100 as at 100,000.
pub async fn figures(
    node: &Node,
    now: Timestamp,
    period: Period,
) -> Result<NodeFigures, NodeError> {
    let days = period.dutch_days()?;
    let own = node.oin().to_string();
    let counts = node.store.figure_counts(days).await?;
    let overdue = node.store.overdue_by_deadline(&own, now).await?;
    let mut f = doorbraak_model::figures::figures_from(
        &own,
        counts,
        doorbraak_model::figures::dutch_day(now),
        overdue,
    );
    let mut pages = Pages {
        node,
        after: None,
        done: false,
    };
    while let Some(rows) = pages.next().await? {
        for row in rows {
            let Ok(r) = serde_json::from_value::<Recommendation>(row.state) else {
                continue;
            };
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
    }
    Ok(f)
}

/// At most this many members are asked at once. The asks wait on the network, not the CPU:
/// the bound is for sockets and memory, high enough that members that do not answer (each
/// holding its place until its ask times out) do not keep the others from being asked in time.
const CONCURRENT_ASKS: usize = 256;

/// A member that failed is asked again only after this long (doubling per failure, at most
/// [`MAX_BACKOFF`]): until then the view uses its last good answer without waiting for it.
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

const ASK_AGAIN: doorbraak_federation::backoff::Backoff =
    doorbraak_federation::backoff::Backoff::exact(FIRST_BACKOFF, MAX_BACKOFF);

fn backoff(failures: i64) -> Duration {
    ASK_AGAIN.after_failures(failures)
}

/// A member's answer, asked once more (a hedge, `second`) if `first` has not answered within
/// half the deadline: the first good answer counts. Both calls end within the deadline.
async fn hedged<F>(first: F, second: F, half: Duration) -> Result<NodeFigures, String>
where
    F: std::future::Future<Output = Result<NodeFigures, String>>,
{
    tokio::pin!(first);
    tokio::select! {
        r = &mut first => return r,
        _ = tokio::time::sleep(half) => {}
    }
    tokio::pin!(second);
    tokio::select! {
        r = &mut first => match r {
            Ok(f) => Ok(f),
            Err(_) => second.await,
        },
        r = &mut second => match r {
            Ok(f) => Ok(f),
            Err(_) => first.await,
        },
    }
}

/// How long an ask may take, in deadlines of the view, and at most.
const LATE_FACTOR: u32 = 4;
const MAX_LATE: Duration = Duration::from_secs(30);

/// The asks still going when the view had to be answered: their answers are kept (as late
/// ones: the member stays in its backoff) for the next view, in the background.
fn keep_late_answers(
    store: doorbraak_store::Store,
    mut tasks: tokio::task::JoinSet<(
        doorbraak_federation::directory::Member,
        Result<NodeFigures, String>,
    )>,
    key: String,
    now: Timestamp,
    started: tokio::time::Instant,
) {
    tokio::spawn(async move {
        while let Some(joined) = tasks.join_next().await {
            let Ok((m, Ok(f))) = joined else { continue };
            if f.org != m.oin.as_str() {
                continue;
            }
            let at = jiff::SignedDuration::try_from(started.elapsed())
                .ok()
                .and_then(|d| now.checked_add(d).ok())
                .unwrap_or(now);
            if let Ok(text) = serde_json::to_string(&f)
                && let Err(e) = store
                    .save_member_answer(m.oin.as_str(), &key, &text, at, true)
                    .await
            {
                tracing::warn!(error = %e, "keeping a late answer failed");
            }
        }
    });
}

/// The key of a period among the kept answers.
fn period_key(p: Period) -> String {
    let b = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    format!("{}/{}", b(p.from), b(p.to))
}

/// Ask every member of this node's region (at most [`CONCURRENT_ASKS`] at once, each within
/// `deadline`, hedged) and merge. A member that does not answer in time is counted with its
/// last good answer for this period, marked with its age (`stale`); one that failed lately is
/// not asked again before its backoff has passed; one without any answer is `missing`.
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
    let key = period_key(period);
    let mut kept = node.store.member_answers(&key).await?;
    let health = node.store.member_health().await?;
    let mut all = vec![figures(node, now, period).await?];
    let mut contributing = vec![Contributor {
        oin: node.oin().to_string(),
        name: node.settings.name.clone(),
    }];
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    let mut unanswered = Vec::new();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_ASKS));
    let mut pending = std::collections::HashMap::new();
    let started = tokio::time::Instant::now();
    // an ask may go on after the view (its answer kept for the next one), this long at most
    let late = (deadline * LATE_FACTOR).min(MAX_LATE);
    let mut tasks = tokio::task::JoinSet::new();
    // the members that answered well lately first: one that fails waits for its turn last
    let mut members: Vec<_> = dir
        .members()
        .iter()
        .filter(|m| &m.oin != node.oin() && m.region == region)
        .cloned()
        .collect();
    members.sort_by_key(|m| health.get(m.oin.as_str()).map_or(0, |h| h.failures));
    for m in members {
        // down lately: not waited for on every view
        if let Some(h) = health.get(m.oin.as_str())
            && h.failures > 0
            && let Some(failed) = h.last_failure
        {
            let retry = failed
                .checked_add(
                    jiff::SignedDuration::try_from(backoff(h.failures))
                        .unwrap_or(jiff::SignedDuration::MAX),
                )
                .unwrap_or(Timestamp::MAX);
            if now < retry {
                unanswered.push((
                    m,
                    format!(
                        "not asked: no answer the last {} time(s); asked again from {}",
                        h.failures, retry
                    ),
                    false,
                ));
                continue;
            }
        }
        let half = deadline / 2;
        let first = node.ask_figures(&m.oin, late, period);
        let second = node.ask_figures(&m.oin, late, period);
        let limit = limit.clone();
        pending.insert(m.oin.to_string(), m.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (m, hedged(first, second, half).await)
        });
    }
    // the whole view waits at most the deadline (and a little for the merge), however many
    // members wait for a turn; answers that come later are kept for the next view
    let until = started + deadline + Duration::from_millis(50);
    loop {
        let joined = match tokio::time::timeout_at(until, tasks.join_next()).await {
            Ok(Some(j)) => j,
            Ok(None) => break,
            Err(_) => {
                for (_, m) in pending.drain() {
                    unanswered.push((m, "no answer within the view's deadline".into(), true));
                }
                keep_late_answers(node.store.clone(), tasks, key.clone(), now, started);
                break;
            }
        };
        let Ok((m, result)) = joined else { continue };
        pending.remove(m.oin.as_str());
        let oin = m.oin.to_string();
        match result {
            Ok(f) if f.org == oin => {
                if let Ok(text) = serde_json::to_string(&f)
                    && let Err(e) = node
                        .store
                        .save_member_answer(&oin, &key, &text, now, false)
                        .await
                {
                    tracing::warn!(error = %e, "keeping a member's answer failed");
                }
                contributing.push(Contributor { oin, name: m.name });
                all.push(f);
            }
            Ok(_) => unanswered.push((m, "answered for another organisation".into(), true)),
            Err(reason) => unanswered.push((m, reason, true)),
        }
    }
    for (m, reason, asked) in unanswered {
        let oin = m.oin.to_string();
        if asked && let Err(e) = node.store.member_failed(&oin, now).await {
            tracing::warn!(error = %e, "recording a member's failure failed");
        }
        let last = kept
            .remove(&oin)
            .and_then(|a| {
                Some((
                    serde_json::from_str::<NodeFigures>(&a.figures).ok()?,
                    a.answered_at,
                ))
            })
            .filter(|(f, _)| f.org == oin);
        match last {
            Some((f, at)) => {
                stale.push(Stale {
                    oin: oin.clone(),
                    name: m.name.clone(),
                    answered_at: at.to_string(),
                    age_seconds: (now.as_second() - at.as_second()).max(0),
                    reason,
                });
                contributing.push(Contributor { oin, name: m.name });
                all.push(f);
            }
            None => missing.push(Missing {
                oin,
                name: m.name,
                reason,
            }),
        }
    }
    Ok(StagnationView {
        figures: oversight::view(&all, s),
        region,
        generated_at: now.to_string(),
        partial: !missing.is_empty() || !stale.is_empty(),
        contributing,
        missing,
        stale,
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
        let day = dutch_date(now).to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(org: &str) -> NodeFigures {
        NodeFigures {
            org: org.into(),
            ..NodeFigures::default()
        }
    }

    /// An answer after `after`, or a failure.
    async fn answer(after: Duration, org: Option<&'static str>) -> Result<NodeFigures, String> {
        tokio::time::sleep(after).await;
        org.map(figures).ok_or_else(|| "refused".to_owned())
    }

    #[tokio::test]
    async fn a_slow_member_is_asked_twice_and_the_first_good_answer_counts() {
        let half = Duration::from_millis(40);
        // the first is slow: the hedge answers
        let r = hedged(
            answer(Duration::from_secs(5), Some("first")),
            answer(Duration::from_millis(1), Some("hedge")),
            half,
        )
        .await;
        assert_eq!(r.unwrap().org, "hedge");
        // a quick answer needs no hedge
        let r = hedged(
            answer(Duration::from_millis(1), Some("first")),
            answer(Duration::from_millis(1), Some("hedge")),
            half,
        )
        .await;
        assert_eq!(r.unwrap().org, "first");
        // the hedge fails: the first, late, still counts
        let r = hedged(
            answer(Duration::from_millis(80), Some("first")),
            answer(Duration::from_millis(1), None),
            half,
        )
        .await;
        assert_eq!(r.unwrap().org, "first");
        // both fail: the failure is the answer
        let r = hedged(
            answer(Duration::from_millis(60), None),
            answer(Duration::from_millis(1), None),
            half,
        )
        .await;
        assert!(r.is_err());
    }

    #[test]
    fn a_member_that_fails_again_waits_longer_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(10), MAX_BACKOFF);
        assert_eq!(backoff(i64::MAX), MAX_BACKOFF);
        assert_eq!(backoff(0), FIRST_BACKOFF, "never less than the first");
    }
}
