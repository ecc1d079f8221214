//! The team manager's overview and the team meeting's agenda (basisteamoverleg).

use std::collections::BTreeSet;

use doorbraak_model::access::Operation;
use doorbraak_model::{CaseRef, Kwestie, KwestieCategory, KwestieId, StreamKind, Timestamp};
use doorbraak_store::ListFilter;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::{Node, NodeError, User};

/// Whole days from `since` to `now`.
fn age_days(since: Timestamp, now: Timestamp) -> i64 {
    (now.as_second() - since.as_second()).max(0) / 86_400
}

/// One open kwestie or escalation of the team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamItem {
    pub id: String,
    pub status: String,
    pub overdue: bool,
    pub age_days: i64,
    #[schema(value_type = Option<String>)]
    pub next_deadline: Option<Timestamp>,
    pub case_ref: Option<String>,
    pub step: Option<i64>,
    pub situation: Option<i64>,
    /// OIN of the home organisation.
    pub home: Option<String>,
}

/// Every open kwestie and escalation of this node: overdue first, then by next deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamOverview {
    pub kwesties: Vec<TeamItem>,
    pub escalations: Vec<TeamItem>,
}

/// The team manager's overview (the read logged first).
pub async fn overview(node: &Node, u: &User) -> Result<TeamOverview, NodeError> {
    Operation::ReadTeamOverview.check(Some(u.role))?;
    node.log_read(u, "team_overview", "*").await?;
    let now = node.now();
    // every open one, a page at a time in the overview's order (no cap: the list used to stop
    // at its first 500 rows, open or not)
    let open = |kind: StreamKind, status: Option<&'static str>| async move {
        const PAGE: i64 = 1000;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let filter = ListFilter {
                status: status.map(str::to_owned),
                limit: PAGE,
                sort: doorbraak_store::ListSort::Deadline,
                after: after.take(),
                ..ListFilter::default()
            };
            let rows = node.store.list(kind, &filter).await?;
            let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
            after = rows.last().map(|r| {
                doorbraak_store::ListCursor::after(doorbraak_store::ListSort::Deadline, r)
            });
            out.extend(
                rows.into_iter()
                    .filter(|r| r.status != "resolved" && r.status != "closed")
                    .map(|r| TeamItem {
                        age_days: age_days(r.created_at, now),
                        id: r.id,
                        status: r.status,
                        overdue: r.overdue,
                        next_deadline: r.next_deadline,
                        case_ref: r.case_ref,
                        step: r.step,
                        situation: r.situation,
                        home: r.home_oin,
                    }),
            );
            if !full {
                return Ok::<_, NodeError>(out);
            }
        }
    };
    Ok(TeamOverview {
        kwesties: open(StreamKind::Kwestie, None).await?,
        escalations: open(StreamKind::Escalation, Some("open")).await?,
    })
}

/// A kwestie on the team meeting's agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    #[schema(value_type = String)]
    pub kwestie: KwestieId,
    pub obstacle: String,
    #[schema(value_type = Vec<String>)]
    pub categories: BTreeSet<KwestieCategory>,
    #[schema(value_type = String)]
    pub status: doorbraak_model::kwestie::KwestieStatus,
    pub age_days: i64,
    pub overdue: bool,
    pub offers_board_escalation: bool,
    #[schema(value_type = Option<String>)]
    pub case_ref: Option<CaseRef>,
}

/// The agenda of the team meeting: open kwesties routed to it, overdue first, then the oldest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamAgenda {
    pub items: Vec<AgendaItem>,
}

/// The team meeting's agenda (the read logged first).
pub async fn agenda(node: &Node, u: &User) -> Result<TeamAgenda, NodeError> {
    Operation::ReadTeamAgenda.check(Some(u.role))?;
    node.log_read(u, "team_agenda", "*").await?;
    let now = node.now();
    let mut items = Vec::new();
    for r in node
        .store
        .list(StreamKind::Kwestie, &ListFilter::default())
        .await?
    {
        let Ok(k) = serde_json::from_value::<Kwestie>(r.state) else {
            continue;
        };
        if k.is_closed() || !k.route.on_team_agenda {
            continue;
        }
        items.push(AgendaItem {
            kwestie: k.id,
            age_days: age_days(k.raised_at, now),
            overdue: k.is_overdue(now),
            offers_board_escalation: k.offers_board_escalation(now),
            status: k.status(),
            obstacle: k.obstacle,
            categories: k.categories,
            case_ref: k.case_ref,
        });
    }
    items.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.age_days.cmp(&a.age_days)));
    Ok(TeamAgenda { items })
}
