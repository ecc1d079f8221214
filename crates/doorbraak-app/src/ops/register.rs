//! The recommendations register (aanbevelingenregister): adding a recommendation, moving it
//! on, following it up, the register's list.

use doorbraak_model::{
    PersonId, Recommendation, RecommendationCommand, RecommendationId, RuleViolation,
};
use doorbraak_store::ListFilter;
use serde::Deserialize;
use utoipa::ToSchema;

use super::lists::Listed;
use crate::{Applied, Idempotency, Node, NodeError, User};

/// What adds a recommendation (the JSON API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecommendationRequest {
    pub origin: doorbraak_model::RecommendationOrigin,
    #[schema(schema_with = doorbraak_model::schema::short_text)]
    pub title: String,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub text: String,
    /// Person id of the owner.
    #[schema(schema_with = doorbraak_model::schema::short_text)]
    pub owner: String,
    /// Due date, `YYYY-MM-DD`.
    #[schema(schema_with = doorbraak_model::schema::date)]
    pub due: String,
    /// Share the text (not only the counts) with the municipality.
    #[serde(default)]
    pub share_text: bool,
}

/// Add a recommendation to the register.
pub async fn create(
    node: &Node,
    u: &User,
    r: CreateRecommendationRequest,
    key: Option<&Idempotency>,
) -> Result<Applied<Recommendation>, NodeError> {
    let due: jiff::civil::Date = r.due.parse().map_err(|_| RuleViolation::InvalidField {
        field: "due",
        reason: "not a date (YYYY-MM-DD)",
    })?;
    let id = RecommendationId(super::escalations::new_stream_id(node, key));
    let cmd = RecommendationCommand::Create {
        id,
        origin: r.origin,
        title: r.title,
        text: r.text,
        owner: PersonId::new(r.owner),
        due,
        share_text: r.share_text,
    };
    node.execute_keyed::<Recommendation>(&node.actor(u), &id.to_string(), &cmd, "create", key)
        .await
}

/// A command on a recommendation (its status, a follow-up).
pub async fn command(
    node: &Node,
    u: &User,
    id: &str,
    cmd: RecommendationCommand,
    name: &'static str,
    key: Option<&Idempotency>,
) -> Result<Applied<Recommendation>, NodeError> {
    super::command::<Recommendation>(node, u, id, &cmd, name, key).await
}

/// The register, typed.
pub async fn list(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<Recommendation>>, NodeError> {
    super::lists::typed::<Recommendation>(node, u, filter).await
}
