//! Kwesties: raising one, the commands on one, reading one, lists.

use std::collections::BTreeSet;

use doorbraak_model::kwestie::{KwestieCommand, KwestieRoute, Preparation};
use doorbraak_model::{Kwestie, KwestieCategory, KwestieId, Timestamp};
use doorbraak_store::ListFilter;
use serde::Deserialize;
use utoipa::ToSchema;

use super::lists::Listed;
use crate::{Applied, Idempotency, Node, NodeError, User};

/// What raises a kwestie (the JSON API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseKwestieRequest {
    #[schema(value_type = Option<doorbraak_model::CaseRef>)]
    pub case_ref: Option<String>,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub obstacle: String,
    pub categories: BTreeSet<KwestieCategory>,
    pub preparation: Preparation,
    #[serde(default)]
    #[schema(schema_with = doorbraak_model::schema::optional_text)]
    pub child_needs: String,
    #[serde(default)]
    #[schema(schema_with = doorbraak_model::schema::optional_text)]
    pub facilities_needed: String,
    pub route: KwestieRoute,
}

/// Raise a kwestie (to the team manager and/or the team meeting's agenda).
pub async fn raise(
    node: &Node,
    u: &User,
    r: RaiseKwestieRequest,
    key: Option<&Idempotency>,
) -> Result<Applied<Kwestie>, NodeError> {
    // access before existence: who may not raise learns nothing of which cases exist
    if let Err(v) = doorbraak_model::kwestie::check_raiser(Some(u.role)) {
        node.log_refusal(u, "kwestie", "*", v.rule()).await?;
        return Err(v.into());
    }
    let case_ref = match r.case_ref.as_deref() {
        Some(c) => Some(super::cases::known(node, c).await?),
        None => None,
    };
    let id = KwestieId(super::escalations::new_stream_id(node, key));
    let cmd = KwestieCommand::Raise {
        id,
        case_ref,
        obstacle: r.obstacle,
        categories: r.categories,
        preparation: r.preparation,
        child_needs: r.child_needs,
        facilities_needed: r.facilities_needed,
        route: r.route,
        policy: node.settings.policy,
    };
    node.execute_keyed::<Kwestie>(&node.actor(u), &id.to_string(), &cmd, "raise", key)
        .await
}

/// A command on a kwestie of this node.
pub async fn command(
    node: &Node,
    u: &User,
    id: &str,
    cmd: KwestieCommand,
    name: &'static str,
    key: Option<&Idempotency>,
) -> Result<Applied<Kwestie>, NodeError> {
    super::command::<Kwestie>(node, u, id, &cmd, name, key).await
}

/// A kwestie as its page shows it.
#[derive(Debug, Clone)]
pub struct KwestieView {
    pub version: i64,
    pub state: Kwestie,
    pub overdue: bool,
    /// The pickup deadline passed: escalating to the board is offered.
    pub offers_board_escalation: bool,
    /// When this view was taken (for "is picking up allowed now").
    pub now: Timestamp,
}

/// One kwestie (the read logged first).
pub async fn get(node: &Node, u: &User, id: &str) -> Result<KwestieView, NodeError> {
    let id = super::stream_id(id)?;
    let k = node.read::<Kwestie>(u, &id).await?;
    let now = node.now();
    Ok(KwestieView {
        version: k.version,
        overdue: k.state.is_overdue(now),
        offers_board_escalation: k.state.offers_board_escalation(now),
        state: k.state,
        now,
    })
}

/// The kwesties this person may read, typed.
pub async fn list(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<Kwestie>>, NodeError> {
    super::lists::typed::<Kwestie>(node, u, filter).await
}
