//! Escalations and their private notes.

use super::*;

pub use doorbraak_app::ops::escalations::{InvokeStepRequest, OpenEscalationRequest};

/// Open an escalation at its first step.
#[utoipa::path(post, path = "/api/v1/escalations", request_body = OpenEscalationRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn open_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<OpenEscalationRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a =
        doorbraak_app::ops::escalations::open(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// Escalations of this node: overdue first, then by deadline.
#[utoipa::path(get, path = "/api/v1/escalations", params(ListQuery), responses((status = 200, body = Vec<doorbraak_app::views::ProjectionRow>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more rows follow"))), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn list_escalations(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    list_rows(&api, &u, StreamKind::Escalation, "/api/v1/escalations", q).await
}

/// One escalation, with whether it is overdue now.
#[utoipa::path(get, path = "/api/v1/escalations/{id}", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = EscalationView), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<EscalationView>> {
    let id = uuid(&id)?.to_string();
    let e = api.node.read::<Escalation>(&u, &id).await?;
    let now = api.node.now();
    Ok(Json(EscalationView {
        version: e.version,
        overdue: e.state.is_overdue(now),
        current_step: e.state.current_step(),
        state: e.state,
    }))
}

/// The ordered event log of an escalation.
#[utoipa::path(get, path = "/api/v1/escalations/{id}/events", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = Vec<EventEntry>), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn escalation_events(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = uuid(&id)?.to_string();
    // the web's read path: the read logged, then the log
    let (_, events) = doorbraak_app::ops::escalations::with_history(&api.node, &u, &id).await?;
    Ok(Json(events))
}

pub(crate) async fn esc_cmd(
    api: &Api,
    u: &User,
    key: &IdemKey,
    id: &str,
    cmd: EscalationCommand,
) -> ApiResult<Json<CommandResponse>> {
    let id = uuid(id)?.to_string();
    applied(
        doorbraak_app::ops::escalations::command(&api.node, u, &id, cmd, key.scoped(u)?.as_ref())
            .await?,
    )
}

/// Invoke the next step of the ladder.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/steps", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = InvokeStepRequest, responses((status = 200, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn invoke_step(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<InvokeStepRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    applied(
        doorbraak_app::ops::escalations::invoke_step(
            &api.node,
            &u,
            &id,
            r,
            key.scoped(&u)?.as_ref(),
        )
        .await?,
    )
}

/// The counterpart picks up the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/pick-up", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn esc_pick_up(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandResponse>> {
    let id = uuid(&id)?.to_string();
    applied(
        doorbraak_app::ops::escalations::pick_up(&api.node, &u, &id, key.scoped(&u)?.as_ref())
            .await?,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddParticipantRequest {
    pub participant: Participant,
}

/// Add a participant to the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/participants", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = AddParticipantRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn add_participant(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<AddParticipantRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    esc_cmd(
        &api,
        &u,
        &key,
        &id,
        EscalationCommand::AddParticipant {
            participant: r.participant,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyInformedRequest {
    pub step: Step,
    pub informed: FamilyInformed,
}

/// Record whether and when the family was informed about a step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/family-informed", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = FamilyInformedRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn family_informed(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<FamilyInformedRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = EscalationCommand::RecordFamilyInformed {
        step: r.step,
        informed: r.informed,
    };
    esc_cmd(&api, &u, &key, &id, cmd).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    pub outcome: StepOutcome,
}

/// Record the outcome of the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/outcome", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = OutcomeRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn record_outcome(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<OutcomeRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    esc_cmd(
        &api,
        &u,
        &key,
        &id,
        EscalationCommand::RecordOutcome { outcome: r.outcome },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SituationRequest {
    pub to: Situation,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub reason: String,
}

/// Change the situation (an explicit, recorded act with a reason).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/situation", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = SituationRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn change_situation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<SituationRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = EscalationCommand::ChangeSituation {
        to: r.to,
        reason: r.reason,
    };
    esc_cmd(&api, &u, &key, &id, cmd).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub classification: BottleneckClassification,
}

/// Close the escalation (needs a family-informed record for every step).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/close", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = CloseRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn close_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<CloseRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    esc_cmd(
        &api,
        &u,
        &key,
        &id,
        EscalationCommand::Close {
            classification: r.classification,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub text: String,
}

/// Add a private note to an escalation: it stays on this node (never shared, never sent).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/notes", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = NoteRequest, responses((status = 201, body = doorbraak_app::views::PrivateNote), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn add_note(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<NoteRequest>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    let note = doorbraak_app::ops::escalations::add_note(
        &api.node,
        &u,
        &id,
        &r.text,
        key.scoped(&u)?.as_ref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The private notes of this organisation on an escalation.
#[utoipa::path(get, path = "/api/v1/escalations/{id}/notes", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = Vec<doorbraak_app::views::PrivateNote>)), security(("bearer" = [])))]
pub(crate) async fn list_notes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = uuid(&id)?.to_string();
    let notes = doorbraak_app::ops::escalations::notes(&api.node, &u, &id).await?;
    Ok(Json(notes))
}
