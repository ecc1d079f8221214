//! Cases of this node, by their pseudonymous reference.

use doorbraak_model::{CaseRef, RuleViolation};
use doorbraak_store::CaseRow;

use crate::app::{Idempotency, Node, NodeError, User};

/// The cases of this node (the read logged first).
pub async fn list(node: &Node, u: &User) -> Result<Vec<CaseRow>, NodeError> {
    super::lists::may_read(node, u, doorbraak_model::access::ContentKind::Case).await?;
    node.log_read(u, "case", "*").await?;
    Ok(node.store.cases().await?)
}

/// One page of the cases (newest first), searched by reference or description, optionally
/// only this person's own (responsible for, or registered by them); the read logged first.
pub async fn page(
    node: &Node,
    u: &User,
    search: &str,
    mine: bool,
    limit: i64,
    offset: i64,
) -> Result<super::lists::Page<CaseRow>, NodeError> {
    if search.chars().count() > 100 {
        return Err(RuleViolation::InvalidField {
            field: "zoek",
            reason: "too long",
        }
        .into());
    }
    super::lists::may_read(node, u, doorbraak_model::access::ContentKind::Case).await?;
    node.log_read(u, "case", "*").await?;
    let who = if mine { u.id.as_str() } else { "" };
    let (rows, total) = node.store.cases_page(search, who, limit, offset).await?;
    Ok(super::lists::Page {
        rows,
        total,
        offset,
        limit,
    })
}

/// One case (the read logged first).
pub async fn get(node: &Node, u: &User, case_ref: &str) -> Result<CaseRow, NodeError> {
    let case_ref = CaseRef::parse(case_ref)?;
    super::lists::may_read(node, u, doorbraak_model::access::ContentKind::Case).await?;
    node.log_read(u, "case", case_ref.as_str()).await?;
    node.store
        .case(case_ref.as_str())
        .await?
        .ok_or_else(|| RuleViolation::NotFound { what: "Case" }.into())
}

/// Register a case.
pub async fn create(
    node: &Node,
    u: &User,
    case_ref: &str,
    title: &str,
    key: Option<&Idempotency>,
) -> Result<CaseRow, NodeError> {
    node.create_case(u, case_ref, title, key).await
}

/// A case reference that names a case of this node.
pub async fn known(node: &Node, case_ref: &str) -> Result<CaseRef, NodeError> {
    let c = CaseRef::parse(case_ref)?;
    match node.store.case(c.as_str()).await? {
        Some(_) => Ok(c),
        None => Err(RuleViolation::NotFound {
            what: "The case (case_ref) on this node",
        }
        .into()),
    }
}
