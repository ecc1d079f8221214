//! The team manager's overview and the team meeting's agenda (basisteamoverleg).

use std::collections::BTreeSet;

use doorbraak_model::access::Operation;
use doorbraak_model::{
    CaseRef, Kwestie, KwestieCategory, KwestieId, Status, StreamKind, Timestamp,
};
use doorbraak_store::ListFilter;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{Node, NodeError, User};

/// Whole days from `since` to `now`.
fn age_days(since: Timestamp, now: Timestamp) -> i64 {
    (now.as_second() - since.as_second()).max(0) / 86_400
}

/// One open kwestie or escalation of the team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamItem {
    pub id: String,
    #[schema(value_type = String)]
    pub status: Status,
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

/// Every row of a kind (of `status`, if given), a page at a time in the overview's order: no
/// cap (the overview and the agenda used to stop at their first 500 rows, open or not).
async fn every(
    node: &Node,
    kind: StreamKind,
    status: Option<Status>,
) -> Result<Vec<doorbraak_store::ProjectionRow>, NodeError> {
    const PAGE: i64 = 1000;
    let sort = doorbraak_store::ListSort::Deadline;
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let filter = ListFilter {
            status,
            limit: PAGE,
            sort,
            after: after.take(),
            // a restricted case's streams are read by the responsible role only
            hide_restricted: true,
            ..ListFilter::default()
        };
        let rows = node.store.list(kind, &filter).await?;
        let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
        after = rows
            .last()
            .map(|r| doorbraak_store::ListCursor::after(sort, r));
        out.extend(rows);
        if !full {
            return Ok(out);
        }
    }
}

/// The team manager's overview (the read logged first).
pub async fn overview(node: &Node, u: &User) -> Result<TeamOverview, NodeError> {
    Operation::ReadTeamOverview.check(Some(u.role))?;
    node.log_read(u, "team_overview", "*").await?;
    let now = node.now();
    let item = |r: doorbraak_store::ProjectionRow| TeamItem {
        age_days: age_days(r.created_at, now),
        id: r.id,
        status: r.status,
        overdue: r.overdue,
        next_deadline: r.next_deadline,
        case_ref: r.case_ref,
        step: r.step,
        situation: r.situation,
        home: r.home_oin,
    };
    let open = |r: &doorbraak_store::ProjectionRow| r.status.is_open();
    let kwesties = every(node, StreamKind::Kwestie, None).await?;
    let escalations = every(node, StreamKind::Escalation, Some(Status::Open)).await?;
    Ok(TeamOverview {
        kwesties: kwesties.into_iter().filter(open).map(item).collect(),
        escalations: escalations.into_iter().filter(open).map(item).collect(),
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
    for r in every(node, StreamKind::Kwestie, None).await? {
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
