//! The typed application operations: what a person can do at this node, with typed inputs and
//! typed results, and no HTTP, HTML or gRPC in sight. The JSON API (`crate::api`) and the web
//! pages (`crate::web`) are adapters over these, side by side: a page never calls an API
//! handler and never reads untyped JSON.
//!
//! Moved here so far: lists, cases, escalations, kwesties and meetings. The other area
//! (the stagnation view) still lives in `crate::api` and move here the same way.

pub mod admin;
pub mod cases;
pub mod escalations;
pub mod inbox;
pub mod kwesties;
pub mod lists;
pub mod minutes;
pub mod oversight;
pub mod records;
pub mod register;
pub mod team;

use doorbraak_model::RuleViolation;

/// A stream id from a path or form: a UUID, in its canonical form.
pub fn stream_id(id: &str) -> Result<String, RuleViolation> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| RuleViolation::InvalidField {
            field: "id",
            reason: "not a UUID",
        })
}

/// A command on a stream of kind `A`, in the person's name (decided here at the stream's home,
/// or forwarded to it).
pub async fn command<A>(
    node: &crate::Node,
    u: &crate::User,
    id: &str,
    cmd: &A::Command,
    name: &'static str,
    key: Option<&crate::Idempotency>,
) -> Result<crate::Applied<A>, crate::NodeError>
where
    A: doorbraak_store::Stream,
{
    let id = stream_id(id)?;
    // access before existence: a role that never reads this kind learns nothing of which ids
    // exist, whatever it asks to be done with them
    let kind = A::KIND.into();
    if crate::content_access(u.role, kind) == doorbraak_model::access::ContentAccess::Never {
        let refusal = crate::content_refused(u.role, kind);
        return Err(node.refuse_command(u, A::KIND.code(), &id, refusal).await);
    }
    node.execute_keyed::<A>(&node.actor(u), &id, cmd, name, key)
        .await
}
