//! Lists of streams for a person: who may read them, the read logged first, typed states.

use doorbraak_model::access::{ContentAccess, ContentKind};
use doorbraak_model::{PersonId, RuleViolation, StreamKind, Streamed};
use doorbraak_store::{ListFilter, ProjectionRow, Stream};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::{Node, NodeError, User, content_access, content_refused};

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

/// One row of a list with its typed state.
#[derive(Debug, Clone)]
pub struct Listed<A> {
    pub row: ProjectionRow,
    pub state: A,
}

/// The rows of one kind for a person (only those they take part in, for the roles that read
/// only those): the read is logged first; overdue first, then by deadline.
pub async fn rows(
    node: &Node,
    u: &User,
    kind: StreamKind,
    filter: &ListFilter,
) -> Result<Vec<ProjectionRow>, NodeError> {
    let access = may_read(node, u, kind.into()).await?;
    node.log_read(u, kind.code(), "*").await?;
    let mut rows = node.store.list(kind, filter).await?;
    if access == ContentAccess::WhereInvolved {
        let me = PersonId::new(u.id.clone());
        let org = node.oin();
        let involves = |r: &ProjectionRow| match kind {
            StreamKind::Escalation => {
                serde_json::from_value::<doorbraak_model::Escalation>(r.state.clone())
                    .is_ok_and(|e| e.involves(&me, org))
            }
            StreamKind::Minutes => {
                serde_json::from_value::<doorbraak_model::Minutes>(r.state.clone())
                    .is_ok_and(|m| m.involves(&me, org))
            }
            StreamKind::Kwestie | StreamKind::Recommendation => false,
        };
        rows.retain(involves);
    }
    Ok(rows)
}

/// [`rows`] with each state typed (a row whose state does not read as `A` is a corrupt store).
pub async fn typed<A>(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<A>>, NodeError>
where
    A: Stream,
    A::Body: Serialize + DeserializeOwned + Send + Sync,
{
    rows(node, u, A::KIND, filter)
        .await?
        .into_iter()
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
