//! Records: retention terms, destruction lists, legal holds, erasure on request, restriction
//! of processing, the inzage export of a case, and the correction of shared text.

use super::*;

use doorbraak_app::views::records::DestructionList;
use doorbraak_model::escalation::CorrectableField;

pub use doorbraak_app::ops::records::RecordsOverview;

/// The kind of a record in a path.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Escalation,
    Kwestie,
    Minutes,
}

/// A reason for a legal hold, an erasure or a restriction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub reason: String,
}

/// A proposed destruction list (`list` is absent when nothing is due).
#[derive(Debug, Serialize, ToSchema)]
pub struct Proposed {
    pub list: Option<DestructionList>,
}

/// What is done.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub done: bool,
}

/// The records overview: what is due, every retention term, the destruction lists.
#[utoipa::path(get, path = "/api/v1/records", responses((status = 200, body = RecordsOverview), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn records_overview(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<RecordsOverview>> {
    Ok(Json(
        doorbraak_app::ops::records::overview(&api.node, &u).await?,
    ))
}

/// Propose a destruction list of every record due now.
#[utoipa::path(post, path = "/api/v1/records/destruction-lists", responses((status = 200, body = Proposed), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn propose_destruction(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Proposed>> {
    Ok(Json(Proposed {
        list: doorbraak_app::ops::records::propose(&api.node, &u).await?,
    }))
}

/// One destruction list, with what became of each record on it.
#[utoipa::path(get, path = "/api/v1/records/destruction-lists/{id}", params(("id" = uuid::Uuid, Path, description = "The list's id (a UUID)")), responses((status = 200, body = DestructionList), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn destruction_list(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DestructionList>> {
    Ok(Json(
        doorbraak_app::ops::records::list(&api.node, &u, &id).await?,
    ))
}

/// Approve a destruction list: every record on it is destroyed now (or skipped, with the
/// rule that stopped it), at this node and then at every party.
#[utoipa::path(post, path = "/api/v1/records/destruction-lists/{id}/approve", params(("id" = uuid::Uuid, Path, description = "The list's id (a UUID)")), responses((status = 200, body = DestructionList), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn approve_destruction(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DestructionList>> {
    Ok(Json(
        doorbraak_app::ops::records::decide(&api.node, &u, &id, true).await?,
    ))
}

/// Reject a destruction list (its records are proposed again after 30 days).
#[utoipa::path(post, path = "/api/v1/records/destruction-lists/{id}/reject", params(("id" = uuid::Uuid, Path, description = "The list's id (a UUID)")), responses((status = 200, body = DestructionList), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn reject_destruction(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DestructionList>> {
    Ok(Json(
        doorbraak_app::ops::records::decide(&api.node, &u, &id, false).await?,
    ))
}

/// Place a legal hold on a record: it is not destroyed while the hold stands.
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/hold", params(("kind" = RecordKind, Path, description = "escalation, kwestie or minutes"), ("id" = uuid::Uuid, Path, description = "The record's id (a UUID)")), request_body = ReasonRequest, responses((status = 200, body = Done), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn place_hold(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path((kind, id)): Path<(String, String)>,
    b: Result<Json<ReasonRequest>, JsonRejection>,
) -> ApiResult<Json<Done>> {
    let r = body(b)?;
    doorbraak_app::ops::records::hold(&api.node, &u, &kind, &id, &r.reason).await?;
    Ok(Json(Done { done: true }))
}

/// Lift the legal hold of a record.
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/lift-hold", params(("kind" = RecordKind, Path, description = "escalation, kwestie or minutes"), ("id" = uuid::Uuid, Path, description = "The record's id (a UUID)")), responses((status = 200, body = Done), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn lift_hold(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<Json<Done>> {
    doorbraak_app::ops::records::lift_hold(&api.node, &u, &kind, &id).await?;
    Ok(Json(Done { done: true }))
}

/// Erase a closed record on the request of a person in it, with the reason (refused while
/// it is open or a legal hold stands).
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/erase", params(("kind" = RecordKind, Path, description = "escalation, kwestie or minutes"), ("id" = uuid::Uuid, Path, description = "The record's id (a UUID)")), request_body = ReasonRequest, responses((status = 200, body = Done), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn erase_record(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path((kind, id)): Path<(String, String)>,
    b: Result<Json<ReasonRequest>, JsonRejection>,
) -> ApiResult<Json<Done>> {
    let r = body(b)?;
    doorbraak_app::ops::records::erase(&api.node, &u, &kind, &id, &r.reason).await?;
    Ok(Json(Done { done: true }))
}

/// Everything this node holds about a case (inzage, AVG art. 15), as JSON.
#[utoipa::path(get, path = "/api/v1/cases/{case_ref}/inzage", params(("case_ref" = doorbraak_model::CaseRef, Path)), responses((status = 200, body = JsonObject), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn inzage(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
) -> ApiResult<Json<doorbraak_app::ops::records::Inzage>> {
    Ok(Json(
        doorbraak_app::ops::records::inzage(&api.node, &u, &case_ref).await?,
    ))
}

/// Restrict processing of a case (AVG art. 18).
#[utoipa::path(post, path = "/api/v1/cases/{case_ref}/restriction", params(("case_ref" = doorbraak_model::CaseRef, Path)), request_body = ReasonRequest, responses((status = 200, body = doorbraak_app::views::records::Restriction), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn restrict_case(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
    b: Result<Json<ReasonRequest>, JsonRejection>,
) -> ApiResult<Json<doorbraak_app::views::records::Restriction>> {
    let r = body(b)?;
    Ok(Json(
        doorbraak_app::ops::records::restrict(&api.node, &u, &case_ref, &r.reason).await?,
    ))
}

/// Lift the restriction of a case.
#[utoipa::path(post, path = "/api/v1/cases/{case_ref}/lift-restriction", params(("case_ref" = doorbraak_model::CaseRef, Path)), responses((status = 200, body = Done), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn lift_restriction(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
) -> ApiResult<Json<Done>> {
    doorbraak_app::ops::records::lift_restriction(&api.node, &u, &case_ref).await?;
    Ok(Json(Done { done: true }))
}

/// A correction of shared text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    pub field: CorrectableField,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub text: String,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub reason: String,
}

/// Correct shared free text of an escalation (by the home, with a reason): every party shows
/// the new text, and the old text is kept nowhere.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/correct", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = CorrectRequest, responses((status = 200, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn correct_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<CorrectRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    esc_cmd(
        &api,
        &u,
        &key,
        &id,
        EscalationCommand::Correct {
            field: r.field,
            text: r.text,
            reason: r.reason,
        },
    )
    .await
}

/// The declaration of destruction of a list, as a printable Dutch page.
#[utoipa::path(get, path = "/api/v1/records/destruction-lists/{id}/declaration", params(("id" = uuid::Uuid, Path, description = "The list's id (a UUID)")), responses((status = 200, content_type = "text/html"), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn destruction_declaration(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (l, approver) = doorbraak_app::ops::records::declaration(&api.node, &u, &id).await?;
    Ok(crate::record::page(crate::record::declaration(
        &l,
        &api.node.settings.name,
        &approver,
    )))
}

/// Everything this node holds about a case (inzage), as a printable Dutch page.
#[utoipa::path(get, path = "/api/v1/cases/{case_ref}/inzage/print", params(("case_ref" = doorbraak_model::CaseRef, Path)), responses((status = 200, content_type = "text/html"), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn inzage_print(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
) -> ApiResult<Response> {
    let i = doorbraak_app::ops::records::inzage(&api.node, &u, &case_ref).await?;
    Ok(crate::record::page(crate::record::inzage(
        &i,
        &api.node.settings.name,
    )))
}
