//! Cases of this node, by their pseudonymous reference.

use doorbraak_model::{CaseRef, RuleViolation};
use doorbraak_store::CaseRow;

use crate::{Idempotency, Node, NodeError, User};

/// The cases of this node (the read logged first).
pub async fn list(node: &Node, u: &User) -> Result<Vec<CaseRow>, NodeError> {
    super::lists::may_read(node, u, doorbraak_model::access::ContentKind::Case).await?;
    node.log_read(u, "case", "*").await?;
    let hide = !doorbraak_model::records::sees_restricted(Some(u.role));
    let mut cases = node.store.cases().await?;
    if hide {
        let mut kept = Vec::with_capacity(cases.len());
        for c in cases {
            if node.store.restriction(&c.case_ref).await?.is_none() {
                kept.push(c);
            }
        }
        cases = kept;
    }
    Ok(cases)
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
    // a case whose processing is restricted is listed for the responsible role only
    let hide = !doorbraak_model::records::sees_restricted(Some(u.role));
    let (rows, total) = node
        .store
        .cases_page_of(search, who, hide, limit, offset)
        .await?;
    Ok(super::lists::Page {
        rows,
        total,
        offset,
        limit,
    })
}

/// One case (the read logged first; a restricted one for the responsible role only).
pub async fn get(node: &Node, u: &User, case_ref: &str) -> Result<CaseRow, NodeError> {
    let case_ref = CaseRef::parse(case_ref)?;
    super::lists::may_read(node, u, doorbraak_model::access::ContentKind::Case).await?;
    let restricted = node.store.restriction(case_ref.as_str()).await?.is_some();
    if let Err(v) = doorbraak_model::records::gate(
        false,
        restricted,
        doorbraak_model::records::Use::Read,
        Some(u.role),
    ) {
        node.log_refusal(u, "case", case_ref.as_str(), v.rule())
            .await?;
        return Err(v.into());
    }
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
