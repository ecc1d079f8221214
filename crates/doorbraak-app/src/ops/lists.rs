//! Lists of streams for a person: who may read them, the read logged first, typed states.

use doorbraak_model::access::{ContentAccess, ContentKind};
use doorbraak_model::{PersonId, RuleViolation, StreamKind, Streamed};
use doorbraak_store::{ListCursor, ListFilter, ProjectionRow, Stream};

use crate::{Node, NodeError, User, content_access, content_refused};

/// Most rows one list answers.
pub const MAX_LIST: i64 = 5000;

/// A list's `limit`: 1 to `max`, 500 when absent; anything else is refused (no silent "every
/// row").
pub fn limit(limit: Option<i64>, max: i64) -> Result<i64, RuleViolation> {
    match limit {
        None => Ok(500),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(RuleViolation::InvalidField {
            field: "limit",
            reason: if max == MAX_LIST {
                "a whole number from 1 to 5000"
            } else {
                "a whole number from 1 to 10000"
            },
        }),
    }
}

/// Whether this person may read items of `kind` at all; a refusal is logged.
pub async fn may_read(
    node: &Node,
    u: &User,
    kind: ContentKind,
) -> Result<ContentAccess, NodeError> {
    let access = content_access(u.role, kind);
    if access == ContentAccess::Never {
        let refusal = content_refused(u.role, kind);
        node.log_refusal(u, kind.code(), "*", refusal.rule())
            .await?;
        return Err(refusal.into());
    }
    Ok(access)
}

/// The filter as the records gate has it for this person: the streams of a case whose
/// processing is restricted are left out for all but the responsible role.
pub fn gated(u: &User, filter: &ListFilter) -> ListFilter {
    ListFilter {
        hide_restricted: filter.hide_restricted
            || !doorbraak_model::records::sees_restricted(Some(u.role)),
        ..filter.clone()
    }
}

/// One row of a list with its typed state.
#[derive(Debug, Clone)]
pub struct Listed<A> {
    pub row: ProjectionRow,
    pub state: A,
}

/// One page of a list, and how many rows the whole list holds.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Whether a row is one this person takes part in (for the roles that read only those).
fn involved(kind: StreamKind, u: &User, org: &doorbraak_model::Oin, r: &ProjectionRow) -> bool {
    let me = PersonId::new(u.id.clone());
    match kind {
        StreamKind::Escalation => {
            serde_json::from_value::<doorbraak_model::Escalation>(r.state.clone())
                .is_ok_and(|e| e.involves(&me, org))
        }
        StreamKind::Minutes => serde_json::from_value::<doorbraak_model::Minutes>(r.state.clone())
            .is_ok_and(|m| m.involves(&me, org)),
        StreamKind::Kwestie | StreamKind::Recommendation => false,
    }
}

/// One page of the rows of one kind for a person (only those they take part in, for the
/// roles that read only those), filtered, sorted and paged by the store: the read is logged
/// first.
pub async fn page(
    node: &Node,
    u: &User,
    kind: StreamKind,
    filter: &ListFilter,
) -> Result<Page<ProjectionRow>, NodeError> {
    let access = may_read(node, u, kind.into()).await?;
    node.log_read(u, kind.code(), "*").await?;
    let filter = &gated(u, filter);
    // as the store reads it: no limit is its default of 500
    let limit = if filter.limit <= 0 {
        500
    } else {
        filter.limit.min(MAX_LIST)
    };
    let offset = filter.offset.max(0);
    if access == ContentAccess::WhereInvolved {
        // the administrative layer takes part in few streams: filter them all, page here
        let all = ListFilter {
            offset: 0,
            limit: MAX_LIST,
            ..filter.clone()
        };
        let mut rows = node.store.list(kind, &all).await?;
        rows.retain(|r| involved(kind, u, node.oin(), r));
        let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let rows = rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        return Ok(Page {
            rows,
            total,
            offset,
            limit,
        });
    }
    let rows = node.store.list(kind, filter).await?;
    let total = node.store.list_count(kind, filter).await?;
    Ok(Page {
        rows,
        total,
        offset,
        limit,
    })
}

/// One page of a list from a cursor on (keyset pagination, the JSON API): at most
/// `filter.limit` rows after `filter.after` in the list's order, and the cursor of the next
/// page if there is one. Every row is reachable, at any size of the list; the same rules of
/// who reads what as [`page`].
pub async fn cursor_page(
    node: &Node,
    u: &User,
    kind: StreamKind,
    filter: &ListFilter,
) -> Result<(Vec<ProjectionRow>, Option<ListCursor>), NodeError> {
    let access = may_read(node, u, kind.into()).await?;
    node.log_read(u, kind.code(), "*").await?;
    let filter = &gated(u, filter);
    let limit = usize::try_from(filter.limit.clamp(1, MAX_LIST)).unwrap_or(1);
    let sort = filter.after.as_ref().map_or(filter.sort, ListCursor::sort);
    let mut rows = Vec::new();
    if access == ContentAccess::WhereInvolved {
        // the rows this person takes part in, scanned batch by batch from the cursor on
        let mut after = filter.after.clone();
        loop {
            let batch = node
                .store
                .list(
                    kind,
                    &ListFilter {
                        after: after.clone(),
                        limit: MAX_LIST,
                        offset: 0,
                        ..filter.clone()
                    },
                )
                .await?;
            let full = batch.len() == usize::try_from(MAX_LIST).unwrap_or(usize::MAX);
            after = batch.last().map(|r| ListCursor::after(sort, r));
            rows.extend(
                batch
                    .into_iter()
                    .filter(|r| involved(kind, u, node.oin(), r)),
            );
            if rows.len() > limit || !full {
                break;
            }
        }
    } else {
        let more = ListFilter {
            limit: filter.limit.clamp(1, MAX_LIST) + 1,
            ..filter.clone()
        };
        rows = node.store.list(kind, &more).await?;
    }
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| ListCursor::after(sort, r))
    } else {
        None
    };
    Ok((rows, next))
}

/// The rows of one kind for a person (see [`page`]): overdue first, then by deadline.
pub async fn rows(
    node: &Node,
    u: &User,
    kind: StreamKind,
    filter: &ListFilter,
) -> Result<Vec<ProjectionRow>, NodeError> {
    Ok(page(node, u, kind, filter).await?.rows)
}

/// [`page`] with each state typed (a row whose state does not read as `A` is a corrupt store).
pub async fn typed_page<A>(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Page<Listed<A>>, NodeError>
where
    A: Stream,
{
    let p = page(node, u, A::KIND, filter).await?;
    Ok(Page {
        rows: typed_rows(p.rows)?,
        total: p.total,
        offset: p.offset,
        limit: p.limit,
    })
}

fn typed_rows<A>(rows: Vec<ProjectionRow>) -> Result<Vec<Listed<A>>, NodeError>
where
    A: Stream,
{
    rows.into_iter()
        .map(|row| {
            let state = serde_json::from_value::<A>(row.state.clone()).map_err(|e| {
                doorbraak_store::StoreError::Corrupt {
                    what: "projection",
                    detail: e.to_string(),
                }
            })?;
            Ok(Listed { row, state })
        })
        .collect()
}

/// [`rows`] with each state typed (a row whose state does not read as `A` is a corrupt store).
pub async fn typed<A>(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<A>>, NodeError>
where
    A: Stream,
{
    typed_rows(rows(node, u, A::KIND, filter).await?)
}
