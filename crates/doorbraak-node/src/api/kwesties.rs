//! Kwesties.

use super::*;

pub use doorbraak_app::ops::kwesties::RaiseKwestieRequest;

/// Raise a kwestie (to the team manager and/or the team meeting's agenda).
#[utoipa::path(post, path = "/api/v1/kwesties", request_body = RaiseKwestieRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn raise_kwestie(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<RaiseKwestieRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a = doorbraak_app::ops::kwesties::raise(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// The team's kwesties: overdue first, then by deadline.
#[utoipa::path(get, path = "/api/v1/kwesties", params(ListQuery), responses((status = 200, body = Vec<doorbraak_app::views::ProjectionRow>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more rows follow"))), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn list_kwesties(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    list_rows(&api, &u, StreamKind::Kwestie, "/api/v1/kwesties", q).await
}

/// One kwestie.
#[utoipa::path(get, path = "/api/v1/kwesties/{id}", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = KwestieResponse), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_kwestie(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<KwestieResponse>> {
    uuid(&id)?;
    let k = doorbraak_app::ops::kwesties::get(&api.node, &u, &id).await?;
    Ok(Json(KwestieResponse {
        version: k.version,
        overdue: k.overdue,
        offers_board_escalation: k.offers_board_escalation,
        state: k.state,
    }))
}

pub(crate) async fn kwestie_cmd(
    api: &Api,
    u: &User,
    key: &IdemKey,
    id: &str,
    cmd: KwestieCommand,
    name: &'static str,
) -> ApiResult<Json<CommandResponse>> {
    let id = uuid(id)?.to_string();
    applied(
        doorbraak_app::ops::kwesties::command(
            &api.node,
            u,
            &id,
            cmd,
            name,
            key.scoped(u)?.as_ref(),
        )
        .await?,
    )
}

/// The team manager (or, once escalated to the board, a board member) picks up a kwestie.
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/pick-up", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn kwestie_pick_up(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandResponse>> {
    kwestie_cmd(&api, &u, &key, &id, KwestieCommand::PickUp, "pick_up").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateToBoardRequest {
    /// The other person taking this step (the team manager when a professional asks, or the
    /// professional when the team manager asks).
    #[schema(schema_with = doorbraak_model::schema::short_text)]
    pub co_signer: String,
    pub co_signer_role: Role,
}

/// Escalate an overdue kwestie to the board (professional together with team manager).
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/escalate-to-board", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = EscalateToBoardRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn kwestie_to_board(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<EscalateToBoardRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = KwestieCommand::EscalateToBoard {
        co_signer: PersonId::new(r.co_signer),
        co_signer_role: r.co_signer_role,
    };
    kwestie_cmd(&api, &u, &key, &id, cmd, "escalate_to_board").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveKwestieRequest {
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub solution: String,
    pub scope: SolutionScope,
    pub solved_for_family: bool,
    pub classification: BottleneckClassification,
}

/// Record how a kwestie was solved; it is then closed.
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/resolve", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = ResolveKwestieRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn kwestie_resolve(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<ResolveKwestieRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = KwestieCommand::Resolve {
        solution: r.solution,
        scope: r.scope,
        solved_for_family: r.solved_for_family,
        classification: r.classification,
    };
    kwestie_cmd(&api, &u, &key, &id, cmd, "resolve").await
}
