//! The JSON API under `/api/v1`, plus `/healthz`, `/readyz`, `/metrics` and the OpenAPI
//! document at `/api/v1/openapi.json` (generated from these handlers with utoipa).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorbraak_model::escalation::{EscalationCommand, FamilyInformed, Participant, StepOutcome};
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    BottleneckClassification, DocTarget, Escalation, Minutes, MinutesCommand, Oin, PersonId, Role,
    RuleViolation, Situation, SolutionScope, Step,
};
use doorbraak_store::{ListFilter, Stream};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use uuid::Uuid;

use crate::app::{Applied, Idempotency, Node, User, event_names};
use crate::error::{ApiError, ApiErrorBody};
use doorbraak_model::access::Operation;

type ApiResult<T> = Result<T, ApiError>;

/// Shared state of the HTTP side.
pub struct Api {
    pub node: Arc<Node>,
    tokens: HashMap<String, User>,
    pub web: crate::web::Web,
}

impl Api {
    pub fn new(node: Arc<Node>) -> Self {
        let tokens = node
            .settings
            .dev_users
            .iter()
            .map(|u| {
                (
                    u.token.clone(),
                    User {
                        id: u.id.clone(),
                        name: u.name.clone(),
                        role: u.role,
                    },
                )
            })
            .collect();
        let web = crate::web::Web::new(&node.settings);
        Self { node, tokens, web }
    }
}

/// The idempotency key of a command: the `Idempotency-Key` header of an API call, or the key a
/// rendered web form carries (`_idem`). A repeated key returns the first answer and has no
/// second effect; keys are per person and kept at least 24 hours.
#[derive(Debug, Clone, Default)]
pub struct IdemKey(pub Option<String>);

/// The key a web form carried, put into the request by the web guard.
#[derive(Debug, Clone)]
pub struct FormKey(pub String);

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

impl IdemKey {
    /// A key of its own for a second command that one request causes (e.g. the web's pick-up
    /// also adds the person as participant): derived, so it repeats with the request's key.
    pub fn sub(&self, part: &str) -> IdemKey {
        IdemKey(self.0.as_ref().map(|k| {
            let mut k = format!("{k}/{part}");
            k.truncate(Idempotency::MAX_LEN);
            k
        }))
    }

    /// The key, validated, in the person's scope.
    pub fn scoped(&self, u: &User) -> Result<Option<Idempotency>, ApiError> {
        self.0
            .as_deref()
            .map(|k| Idempotency::for_user(u, k))
            .transpose()
            .map_err(ApiError::from)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if let Some(v) = parts.headers.get(IDEMPOTENCY_HEADER) {
            let v = v.to_str().map_err(|_| {
                ApiError::from(RuleViolation::InvalidField {
                    field: "Idempotency-Key",
                    reason: "1-128 visible ASCII characters",
                })
            })?;
            return Ok(IdemKey(Some(v.to_owned())));
        }
        Ok(IdemKey(
            parts.extensions.get::<FormKey>().map(|k| k.0.clone()),
        ))
    }
}

/// The person behind the request's bearer token.
pub struct AuthUser(pub User);

impl FromRequestParts<Arc<Api>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthenticated)?;
        api.tokens
            .get(token.trim())
            .cloned()
            .map(AuthUser)
            .ok_or_else(ApiError::unauthenticated)
    }
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(ApiError::from)
}

pub(crate) fn uuid(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| ApiError::bad_id(&s.chars().take(64).collect::<String>()))
}

/// What a command returns: the new version, the events it recorded, and the new state.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResponse {
    pub id: String,
    pub version: i64,
    /// The types of the events recorded, e.g. `["step_invoked"]`.
    pub events: Vec<String>,
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
}

fn applied<A: Stream>(a: Applied<A>) -> ApiResult<Json<CommandResponse>>
where
    A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
{
    Ok(Json(CommandResponse {
        events: event_names(&a.events),
        id: a.id,
        version: a.version,
        state: serde_json::to_value(&a.state).map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "node.internal",
                "Interne fout",
                "Internal error",
            )
        })?,
    }))
}

fn created(r: ApiResult<Json<CommandResponse>>) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    r.map(|j| (StatusCode::CREATED, j))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status (e.g. `open`, `closed`, `raised`, `picked_up`).
    pub status: Option<String>,
    /// Only overdue items.
    pub overdue: Option<bool>,
    pub case_ref: Option<String>,
    pub limit: Option<i64>,
}

pub use crate::ops::lists::MAX_LIST;

pub use crate::ops::admin::MAX_ACCESS_LOG;

pub(crate) use crate::ops::lists::limit as list_limit;

impl ListQuery {
    fn filter(self) -> Result<ListFilter, RuleViolation> {
        Ok(ListFilter {
            limit: list_limit(self.limit, MAX_LIST)?,
            status: self.status,
            case_ref: self.case_ref,
            overdue_only: self.overdue.unwrap_or(false),
        })
    }
}

/// A list of one kind of stream for a person (see [`crate::ops::lists::rows`]).
pub(crate) async fn list_rows(
    api: &Api,
    u: &User,
    kind: &str,
    q: ListQuery,
) -> ApiResult<Json<Vec<doorbraak_store::ProjectionRow>>> {
    let filter = q.filter()?;
    Ok(Json(
        crate::ops::lists::rows(&api.node, u, kind, &filter).await?,
    ))
}

// ------------------------------------------------------------------ health and metrics

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn readyz(State(api): State<Arc<Api>>) -> Response {
    match api.node.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub(crate) async fn metrics(State(api): State<Arc<Api>>) -> Response {
    use doorbraak_store::Table;
    let node = &api.node;
    for (table, name) in [
        (Table::Events, "events"),
        (Table::OutboxPending, "outbox_pending"),
        (Table::AccessLog, "access_log"),
    ] {
        if let Ok(n) = node.store.count(table).await {
            node.metrics
                .rows
                .get_or_create(&crate::metrics::TableLabels { table: name })
                .set(n);
        }
    }
    if let Ok(n) = node
        .store
        .missed_deadlines(
            node.oin().as_str(),
            node.now(),
            2 * node.settings.sweeper_interval,
        )
        .await
    {
        node.metrics.missed_deadlines.set(n);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.encode(),
    )
        .into_response()
}

pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ------------------------------------------------------------------ me and cases

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: String,
    pub name: String,
    pub role: Role,
    #[schema(value_type = String)]
    pub organisation: Oin,
    pub organisation_name: String,
}

/// Who am I (the user behind the token, and this node's organisation).
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeResponse), (status = 401, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn me(State(api): State<Arc<Api>>, AuthUser(u): AuthUser) -> Json<MeResponse> {
    Json(MeResponse {
        id: u.id,
        name: u.name,
        role: u.role,
        organisation: api.node.oin().clone(),
        organisation_name: api.node.settings.name.clone(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// Pseudonymous case reference (never a BSN).
    pub case_ref: String,
    pub title: String,
}

/// Register a local case.
#[utoipa::path(post, path = "/api/v1/cases", request_body = CreateCaseRequest, responses((status = 201, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn create_case(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<CreateCaseRequest>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let req = body(b)?;
    let row = crate::ops::cases::create(
        &api.node,
        &u,
        &req.case_ref,
        &req.title,
        key.scoped(&u)?.as_ref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// The cases of this node.
#[utoipa::path(get, path = "/api/v1/cases", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_cases(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_store::CaseRow>>> {
    Ok(Json(crate::ops::cases::list(&api.node, &u).await?))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{case_ref}", params(("case_ref" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_case(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
) -> ApiResult<Json<doorbraak_store::CaseRow>> {
    Ok(Json(
        crate::ops::cases::get(&api.node, &u, &case_ref).await?,
    ))
}

// ------------------------------------------------------------------ kwesties

pub use crate::ops::kwesties::RaiseKwestieRequest;

/// Raise a kwestie (to the team manager and/or the team meeting's agenda).
#[utoipa::path(post, path = "/api/v1/kwesties", request_body = RaiseKwestieRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn raise_kwestie(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<RaiseKwestieRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a = crate::ops::kwesties::raise(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// The team's kwesties: overdue first, then by deadline.
#[utoipa::path(get, path = "/api/v1/kwesties", params(ListQuery), responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_kwesties(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_store::ProjectionRow>>> {
    let Query(q) = q?;
    list_rows(&api, &u, "kwestie", q).await
}

/// One kwestie.
#[utoipa::path(get, path = "/api/v1/kwesties/{id}", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_kwestie(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    uuid(&id)?;
    let k = crate::ops::kwesties::get(&api.node, &u, &id).await?;
    Ok(Json(serde_json::json!({
        "version": k.version,
        "overdue": k.overdue,
        "offers_board_escalation": k.offers_board_escalation,
        "state": k.state,
    })))
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
        crate::ops::kwesties::command(&api.node, u, &id, cmd, name, key.scoped(u)?.as_ref())
            .await?,
    )
}

/// The team manager (or, once escalated to the board, a board member) picks up a kwestie.
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/pick-up", params(("id" = String, Path)), responses((status = 200, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    pub co_signer: String,
    pub co_signer_role: Role,
}

/// Escalate an overdue kwestie to the board (professional together with team manager).
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/escalate-to-board", params(("id" = String, Path)), request_body = EscalateToBoardRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    pub solution: String,
    pub scope: SolutionScope,
    pub solved_for_family: bool,
    pub classification: BottleneckClassification,
}

/// Record how a kwestie was solved; it is then closed.
#[utoipa::path(post, path = "/api/v1/kwesties/{id}/resolve", params(("id" = String, Path)), request_body = ResolveKwestieRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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

// ------------------------------------------------------------------ escalations

pub use crate::ops::escalations::{InvokeStepRequest, OpenEscalationRequest};

/// Open an escalation at its first step.
#[utoipa::path(post, path = "/api/v1/escalations", request_body = OpenEscalationRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn open_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<OpenEscalationRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a = crate::ops::escalations::open(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// Escalations of this node: overdue first, then by deadline.
#[utoipa::path(get, path = "/api/v1/escalations", params(ListQuery), responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_escalations(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_store::ProjectionRow>>> {
    let Query(q) = q?;
    list_rows(&api, &u, "escalation", q).await
}

/// One escalation, with whether it is overdue now.
#[utoipa::path(get, path = "/api/v1/escalations/{id}", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_escalation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = uuid(&id)?.to_string();
    let e = api.node.read::<Escalation>(&u, &id).await?;
    let now = api.node.now();
    Ok(Json(serde_json::json!({
        "version": e.version,
        "overdue": e.state.is_overdue(now),
        "current_step": e.state.current_step(),
        "state": e.state,
    })))
}

/// The ordered event log of an escalation.
#[utoipa::path(get, path = "/api/v1/escalations/{id}/events", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn escalation_events(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = uuid(&id)?.to_string();
    api.node.read::<Escalation>(&u, &id).await?;
    let events = api
        .node
        .store
        .events::<Escalation>(&id, 0)
        .await
        .map_err(crate::app::NodeError::from)?;
    Ok(Json(events))
}

pub(crate) async fn esc_cmd(
    api: &Api,
    u: &User,
    key: &IdemKey,
    id: &str,
    cmd: EscalationCommand,
    _name: &'static str,
) -> ApiResult<Json<CommandResponse>> {
    let id = uuid(id)?.to_string();
    applied(
        crate::ops::escalations::command(&api.node, u, &id, cmd, key.scoped(u)?.as_ref()).await?,
    )
}

/// Invoke the next step of the ladder.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/steps", params(("id" = String, Path)), request_body = InvokeStepRequest, responses((status = 200, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        crate::ops::escalations::invoke_step(&api.node, &u, &id, r, key.scoped(&u)?.as_ref())
            .await?,
    )
}

/// The counterpart picks up the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/pick-up", params(("id" = String, Path)), responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn esc_pick_up(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandResponse>> {
    esc_cmd(&api, &u, &key, &id, EscalationCommand::PickUp, "pick_up").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddParticipantRequest {
    pub participant: Participant,
}

/// Add a participant to the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/participants", params(("id" = String, Path)), request_body = AddParticipantRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        "add_participant",
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
#[utoipa::path(post, path = "/api/v1/escalations/{id}/family-informed", params(("id" = String, Path)), request_body = FamilyInformedRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    esc_cmd(&api, &u, &key, &id, cmd, "record_family_informed").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    pub outcome: StepOutcome,
}

/// Record the outcome of the current step.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/outcome", params(("id" = String, Path)), request_body = OutcomeRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        "record_outcome",
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SituationRequest {
    pub to: Situation,
    pub reason: String,
}

/// Change the situation (an explicit, recorded act with a reason).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/situation", params(("id" = String, Path)), request_body = SituationRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    esc_cmd(&api, &u, &key, &id, cmd, "change_situation").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub classification: BottleneckClassification,
}

/// Close the escalation (needs a family-informed record for every step).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/close", params(("id" = String, Path)), request_body = CloseRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        "close",
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub text: String,
}

/// Add a private note to an escalation: it stays on this node (never shared, never sent).
#[utoipa::path(post, path = "/api/v1/escalations/{id}/notes", params(("id" = String, Path)), request_body = NoteRequest, responses((status = 201, body = Object), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn add_note(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<NoteRequest>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    doorbraak_model::text::require("text", &r.text, doorbraak_model::text::MAX_TEXT)?;
    // notes are case content: only for who may read the escalation (logged, refusals too)
    api.node.read::<Escalation>(&u, &id).await?;
    let note = api
        .node
        .add_private_note(&u, "escalation", &id, &r.text, key.scoped(&u)?.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The private notes of this organisation on an escalation.
#[utoipa::path(get, path = "/api/v1/escalations/{id}/notes", params(("id" = String, Path)), responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_notes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = uuid(&id)?.to_string();
    api.node.read::<Escalation>(&u, &id).await?;
    api.node.log_read(&u, "private_note", &id).await?;
    let notes = api
        .node
        .store
        .private_notes("escalation", &id)
        .await
        .map_err(crate::app::NodeError::from)?;
    Ok(Json(notes))
}

// ------------------------------------------------------------------ meetings and minutes

pub use crate::ops::minutes::ScheduleMeetingRequest;

/// Schedule a meeting (overleg) within a step of an escalation.
#[utoipa::path(post, path = "/api/v1/meetings", request_body = ScheduleMeetingRequest, responses((status = 201, body = CommandResponse), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn schedule_meeting(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<ScheduleMeetingRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a = crate::ops::minutes::schedule(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// Meetings and their minutes on this node: overdue approvals first (for the overviews).
#[utoipa::path(get, path = "/api/v1/meetings", params(ListQuery), responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_meetings(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_store::ProjectionRow>>> {
    let Query(q) = q?;
    list_rows(&api, &u, "minutes", q).await
}

/// Minutes waiting for my approval (what my reminders are about), with their deadlines.
#[utoipa::path(get, path = "/api/v1/meetings/awaiting-me", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn awaiting_me(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<crate::ops::minutes::Awaiting>>> {
    Ok(Json(crate::ops::minutes::awaiting_me(&api.node, &u).await?))
}

/// A meeting with its minutes, revisions and approvals.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_meeting(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = uuid(&id)?.to_string();
    let m = api.node.read::<Minutes>(&u, &id).await?;
    Ok(Json(
        serde_json::json!({ "version": m.version, "state": m.state }),
    ))
}

pub(crate) async fn minutes_cmd(
    api: &Api,
    u: &User,
    key: &IdemKey,
    id: &str,
    cmd: MinutesCommand,
    name: &'static str,
) -> ApiResult<Json<CommandResponse>> {
    let id = uuid(id)?.to_string();
    applied(
        crate::ops::minutes::command(&api.node, u, &id, cmd, name, key.scoped(u)?.as_ref()).await?,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentRequest {
    pub content: String,
}

/// Draft the minutes (revision 1).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes", params(("id" = String, Path)), request_body = ContentRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn draft_minutes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<ContentRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    minutes_cmd(
        &api,
        &u,
        &key,
        &id,
        MinutesCommand::Draft { content: r.content },
        "draft",
    )
    .await
}

fn main_doc() -> DocTarget {
    DocTarget::Main
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseRequest {
    #[serde(default = "main_doc")]
    pub target: DocTarget,
    pub content: String,
}

/// Make a new revision (voids earlier approvals).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/revisions", params(("id" = String, Path)), request_body = ReviseRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn revise_minutes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<ReviseRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = MinutesCommand::Revise {
        target: r.target,
        content: r.content,
    };
    minutes_cmd(&api, &u, &key, &id, cmd, "revise").await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CirculateRequest {
    #[serde(default = "main_doc")]
    pub target: DocTarget,
}

/// Circulate the current revision for approval.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/circulate", params(("id" = String, Path)), request_body = CirculateRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn circulate_minutes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<CirculateRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    minutes_cmd(
        &api,
        &u,
        &key,
        &id,
        MinutesCommand::Circulate { target: r.target },
        "circulate",
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    #[serde(default = "main_doc")]
    pub target: DocTarget,
    pub revision: u32,
    /// SHA-256 (hex) of the text being approved.
    pub content_hash: String,
}

/// Approve a revision (naming its number and content hash).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/approve", params(("id" = String, Path)), request_body = ApproveRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn approve_minutes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<ApproveRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    applied(
        crate::ops::minutes::approve(
            &api.node,
            &u,
            &id,
            r.target,
            r.revision,
            r.content_hash,
            key.scoped(&u)?.as_ref(),
        )
        .await?,
    )
}

/// An export of final minutes with everything needed to verify the approvals offline
/// (`doorbraak minutes verify BUNDLE`).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/bundle", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn minutes_bundle(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    use base64::Engine;
    let id = uuid(&id)?.to_string();
    let m = api.node.read::<Minutes>(&u, &id).await?;
    let dir = api.node.directory();
    let (Some(fed), Some(manifest)) = (api.node.federation.as_ref(), dir.manifest.clone()) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "federation.not_configured",
            "Zonder federatie (certificaten en adresboek) is er niets te verifiëren",
            "Without a federation (certificates and directory) there is nothing to verify",
        ));
    };
    Ok(Json(doorbraak_federation::signing::MinutesBundle {
        bundle: doorbraak_federation::signing::MinutesBundle::KIND.into(),
        minutes: m.state,
        ca_certificate: base64::engine::general_purpose::STANDARD.encode(&fed.tls.ca_der),
        directory: manifest,
    }))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The final minutes with their approval record as a printable page (Dutch, print stylesheet).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/print", params(("id" = String, Path)), responses((status = 200, content_type = "text/html"), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn minutes_print(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = uuid(&id)?.to_string();
    let m = api.node.read::<Minutes>(&u, &id).await?.state;
    let Some(doc) = m.main.as_ref() else {
        return Err(RuleViolation::NotFound {
            what: "Minutes draft",
        }
        .into());
    };
    let Some(text) = doc.final_text() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "minutes.not_final",
            "Alleen een definitief verslag kan worden afgedrukt voor het dossier",
            "Only final minutes can be printed for the dossier",
        ));
    };
    let mut html = String::from(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Verslag overleg</title>\
         <style>body{font-family:Georgia,serif;max-width:42rem;margin:2rem auto;color:#111}\
         h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:.3rem;text-align:left}\
         pre{white-space:pre-wrap;font-family:inherit}.meta{color:#333}@media print{body{margin:0}a{color:#000}}</style></head><body>",
    );
    html.push_str(&format!(
        "<h1>Verslag van het overleg ({})</h1><p class=\"meta\">Datum overleg: {} · Escalatie {} · Versie {} · Definitief sinds {}</p>",
        esc(m.meeting.step.label_nl()),
        esc(&m.meeting.date.to_string()),
        esc(&m.meeting.escalation.to_string()),
        text.number,
        esc(&doc.final_at.map(|t| t.to_string()).unwrap_or_default()),
    ));
    html.push_str(&format!(
        "<h2>Agenda</h2><pre>{}</pre><h2>Verslag</h2><pre>{}</pre>",
        esc(&m.meeting.agenda),
        esc(&text.content)
    ));
    html.push_str("<h2>Goedkeuringen</h2><table><tr><th>Naam</th><th>Rol</th><th>Organisatie (OIN)</th><th>Goedgekeurd op</th><th>Ondertekend</th></tr>");
    for p in &m.meeting.participants {
        let a = doc
            .approvals
            .iter()
            .find(|a| a.org == p.org && a.person == p.person);
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            esc(p.role.label_nl()),
            esc(p.org.as_str()),
            esc(&a.map(|a| a.at.to_string()).unwrap_or_else(|| "—".into())),
            if a.and_then(|a| a.signature.as_ref()).is_some() {
                "ja (ECDSA P-256)"
            } else {
                "nee"
            },
        ));
    }
    html.push_str(&format!(
        "</table><p class=\"meta\">SHA-256 van de tekst: <code>{}</code></p>",
        esc(&text.content_hash)
    ));
    for (i, a) in m.addenda.iter().enumerate() {
        if let Some(t) = a.final_text() {
            html.push_str(&format!(
                "<h2>Addendum {}</h2><pre>{}</pre>",
                i + 1,
                esc(&t.content)
            ));
        }
    }
    html.push_str("</body></html>");
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestChangesRequest {
    #[serde(default = "main_doc")]
    pub target: DocTarget,
    pub revision: u32,
    pub comment: String,
}

/// Ask for changes to a revision, with a comment.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/request-changes", params(("id" = String, Path)), request_body = RequestChangesRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn request_changes(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<RequestChangesRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let cmd = MinutesCommand::RequestChanges {
        target: r.target,
        revision: r.revision,
        comment: r.comment,
    };
    minutes_cmd(&api, &u, &key, &id, cmd, "request_changes").await
}

/// Add an addendum (a correction) to final minutes.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/addenda", params(("id" = String, Path)), request_body = ContentRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn add_addendum(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<ContentRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    minutes_cmd(
        &api,
        &u,
        &key,
        &id,
        MinutesCommand::AddAddendum { content: r.content },
        "add_addendum",
    )
    .await
}

// ------------------------------------------------------------------ access log, reminders

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    /// Only entries about this object id.
    pub object_id: Option<String>,
    /// Only entries of this person (user id).
    pub user_id: Option<String>,
    pub limit: Option<i64>,
}

/// The access log (NEN 7513), for the functional administrator and quality officer.
#[utoipa::path(get, path = "/api/v1/access-log", params(AccessLogQuery), responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn access_log(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<AccessLogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_store::AccessEntry>>> {
    let Query(q) = q?;
    let rows = crate::ops::admin::access_log(
        &api.node,
        &u,
        q.object_id.as_deref(),
        q.user_id.as_deref(),
        q.limit,
    )
    .await?;
    Ok(Json(rows))
}

/// Reminders for my role (e.g. a pickup deadline passed).
#[utoipa::path(get, path = "/api/v1/notifications", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn notifications(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_store::Notification>>> {
    Ok(Json(crate::ops::reminders(&api.node, &u).await?))
}

// ------------------------------------------------------------------ team overview and agenda

/// The team manager's overview: every kwestie and escalation of this node, overdue first, then
/// by next deadline, with its age in days.
#[utoipa::path(get, path = "/api/v1/team/overview", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn team_overview(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<crate::ops::team::TeamOverview>> {
    Ok(Json(crate::ops::team::overview(&api.node, &u).await?))
}

/// The agenda of the team meeting (basisteamoverleg): open kwesties routed to it, overdue first,
/// then the oldest.
#[utoipa::path(get, path = "/api/v1/team/agenda", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn team_agenda(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<crate::ops::team::TeamAgenda>> {
    Ok(Json(crate::ops::team::agenda(&api.node, &u).await?))
}

// ------------------------------------------------------------------ recommendations register

pub use crate::ops::register::CreateRecommendationRequest;

/// Add an entry to the recommendations register (aanbevelingenregister).
#[utoipa::path(post, path = "/api/v1/recommendations", request_body = CreateRecommendationRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn create_recommendation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<CreateRecommendationRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a = crate::ops::register::create(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// The recommendations register of this organisation.
#[utoipa::path(get, path = "/api/v1/recommendations", params(ListQuery), responses((status = 200, body = Object)), security(("bearer" = [])))]
pub(crate) async fn list_recommendations(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_store::ProjectionRow>>> {
    let Query(q) = q?;
    list_rows(&api, &u, "recommendation", q).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationStatusRequest {
    pub status: doorbraak_model::RecommendationStatus,
    pub note: String,
}

/// Move a recommendation on (in progress, done, dropped), with a note.
#[utoipa::path(post, path = "/api/v1/recommendations/{id}/status", params(("id" = String, Path)), request_body = RecommendationStatusRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn recommendation_status(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<RecommendationStatusRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    let cmd = doorbraak_model::RecommendationCommand::SetStatus {
        status: r.status,
        note: r.note,
    };
    let a = api
        .node
        .execute_keyed::<doorbraak_model::Recommendation>(
            &api.node.actor(&u),
            &id,
            &cmd,
            "set_status",
            key.scoped(&u)?.as_ref(),
        )
        .await?;
    applied(a)
}

/// Record follow-up on a recommendation.
#[utoipa::path(post, path = "/api/v1/recommendations/{id}/follow-up", params(("id" = String, Path)), request_body = NoteRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn recommendation_follow_up(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(id): Path<String>,
    b: Result<Json<NoteRequest>, JsonRejection>,
) -> ApiResult<Json<CommandResponse>> {
    let r = body(b)?;
    let id = uuid(&id)?.to_string();
    let cmd = doorbraak_model::RecommendationCommand::AddFollowUp { note: r.text };
    let a = api
        .node
        .execute_keyed::<doorbraak_model::Recommendation>(
            &api.node.actor(&u),
            &id,
            &cmd,
            "follow_up",
            key.scoped(&u)?.as_ref(),
        )
        .await?;
    applied(a)
}

// ------------------------------------------------------------------ oversight

/// The alderman's stagnation view of the region: aggregates from every member node (nothing
/// counted twice, no case content, small counts suppressed); names the nodes that did not
/// answer in time. Also stored as today's snapshot.
#[utoipa::path(get, path = "/api/v1/oversight/stagnation", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn stagnation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<serde_json::Value>> {
    Operation::ReadStagnationView.check(Some(u.role))?;
    api.node.log_read(&u, "oversight", "stagnation").await?;
    let o = &api.node.settings.oversight;
    let v = crate::oversight::stagnation(
        &api.node,
        std::time::Duration::from_millis(o.deadline_ms),
        crate::oversight::Suppression {
            below: o.suppress_below,
            min_organisations: o.min_organisations,
        },
    )
    .await?;
    // only complete views are kept: a partial one next to a complete one would give away
    // the missing organisation's figures
    if v["partial"] == false {
        let now = api.node.now();
        let day = doorbraak_model::calendar::utc_date(now).to_string();
        api.node
            .store
            .save_snapshot(&day, now, &v.to_string())
            .await
            .map_err(crate::app::NodeError::from)?;
    }
    Ok(Json(v))
}

/// Daily snapshots of the stagnation view, for the trend.
#[utoipa::path(get, path = "/api/v1/oversight/trend", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn trend(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    Operation::ReadStagnationView.check(Some(u.role))?;
    api.node.log_read(&u, "oversight", "trend").await?;
    let snaps = api
        .node
        .store
        .snapshots(366)
        .await
        .map_err(crate::app::NodeError::from)?;
    let out: Vec<serde_json::Value> = snaps
        .into_iter()
        .map(|(day, view)| serde_json::json!({ "day": day, "view": serde_json::from_str::<serde_json::Value>(&view).unwrap_or_default() }))
        .collect();
    Ok(Json(out))
}

// ------------------------------------------------------------------ federation administration

pub use crate::ops::admin::{FederationHealth, PeerView};

/// Members of the federation with the delivery status towards each (admin).
#[utoipa::path(get, path = "/api/v1/federation/peers", responses((status = 200, body = [PeerView]), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn peers(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<PeerView>>> {
    Ok(Json(crate::ops::admin::peers(&api.node, &u).await?))
}

/// Dead letters, divergences and the store audit (admin).
#[utoipa::path(get, path = "/api/v1/federation/health", responses((status = 200, body = FederationHealth), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn federation_health(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<FederationHealth>> {
    Ok(Json(crate::ops::admin::health(&api.node, &u).await?))
}

/// Resend now whatever waits for this peer, with a fresh backoff (admin).
#[utoipa::path(post, path = "/api/v1/federation/peers/{oin}/resend", params(("oin" = String, Path)), responses((status = 200, body = Object), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn resend(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(peer): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let n = crate::ops::admin::resend(&api.node, &u, &peer).await?;
    Ok(Json(serde_json::json!({ "pending": n })))
}

/// Re-read and verify the directory manifest (admin).
#[utoipa::path(post, path = "/api/v1/federation/directory/reload", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn reload_directory(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<impl IntoResponse> {
    Operation::ReloadDirectory.check(Some(u.role))?;
    match api.node.reload_directory() {
        Ok(n) => Ok(Json(serde_json::json!({ "members": n }))),
        Err(e) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "federation.directory_invalid",
            format!("Het adresboek is niet geladen (het oude blijft in gebruik): {e}"),
            format!("The directory was not loaded (the old one stays in use): {e}"),
        )),
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "http.not_found",
        "Deze pagina of dit endpoint bestaat niet",
        "No such page or endpoint",
    )
}

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every command accepts an `Idempotency-Key` (the federation's admin actions, which are
/// idempotent by nature, too: there it changes nothing).
struct IdempotencyAddon;

impl Modify for IdempotencyAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        let header = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes the command safe to retry: a repeated key (per person, kept at least 24 \
                 hours) returns the first answer and has no second effect; the same key for \
                 another operation is refused (422 input.idempotency_key_reused).",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(Idempotency::MAX_LEN))
                    .pattern(Some("^[!-~]+$")),
            ))
            .build();
        for item in openapi.paths.paths.values_mut() {
            if let Some(op) = item.post.as_mut() {
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(header.clone().into());
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Doorbraak node API", description = "The JSON API of one organisation's Doorbraak node. Errors are `{code, rule, message_nl, message_en}`."),
    paths(
        me, create_case, list_cases, get_case,
        raise_kwestie, list_kwesties, get_kwestie, kwestie_pick_up, kwestie_to_board, kwestie_resolve,
        open_escalation, list_escalations, get_escalation, escalation_events, invoke_step, esc_pick_up,
        add_participant, family_informed, record_outcome, change_situation, close_escalation, add_note, list_notes,
        schedule_meeting, list_meetings, awaiting_me, get_meeting, draft_minutes, revise_minutes, circulate_minutes,
        approve_minutes, request_changes, add_addendum, minutes_bundle, minutes_print, access_log, notifications,
        peers, federation_health, resend, reload_directory, team_overview, team_agenda, create_recommendation,
        list_recommendations, recommendation_status, recommendation_follow_up, stagnation, trend,
    ),
    modifiers(&SecurityAddon, &IdempotencyAddon)
)]
pub struct ApiDoc;

/// The node's HTTP router.
pub fn router(api: Arc<Api>) -> Router {
    let limit = api.node.settings.max_body_bytes;
    let v1 = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/cases", post(create_case).get(list_cases))
        .route("/cases/{case_ref}", get(get_case))
        .route("/kwesties", post(raise_kwestie).get(list_kwesties))
        .route("/kwesties/{id}", get(get_kwestie))
        .route("/kwesties/{id}/pick-up", post(kwestie_pick_up))
        .route("/kwesties/{id}/escalate-to-board", post(kwestie_to_board))
        .route("/kwesties/{id}/resolve", post(kwestie_resolve))
        .route("/escalations", post(open_escalation).get(list_escalations))
        .route("/escalations/{id}", get(get_escalation))
        .route("/escalations/{id}/events", get(escalation_events))
        .route("/escalations/{id}/steps", post(invoke_step))
        .route("/escalations/{id}/pick-up", post(esc_pick_up))
        .route("/escalations/{id}/participants", post(add_participant))
        .route("/escalations/{id}/family-informed", post(family_informed))
        .route("/escalations/{id}/outcome", post(record_outcome))
        .route("/escalations/{id}/situation", post(change_situation))
        .route("/escalations/{id}/close", post(close_escalation))
        .route("/escalations/{id}/notes", post(add_note).get(list_notes))
        .route("/meetings", post(schedule_meeting).get(list_meetings))
        .route("/meetings/awaiting-me", get(awaiting_me))
        .route("/meetings/{id}", get(get_meeting))
        .route("/meetings/{id}/minutes", post(draft_minutes))
        .route("/meetings/{id}/revisions", post(revise_minutes))
        .route("/meetings/{id}/circulate", post(circulate_minutes))
        .route("/meetings/{id}/approve", post(approve_minutes))
        .route("/meetings/{id}/request-changes", post(request_changes))
        .route("/meetings/{id}/addenda", post(add_addendum))
        .route("/meetings/{id}/bundle", get(minutes_bundle))
        .route("/meetings/{id}/print", get(minutes_print))
        .route("/access-log", get(access_log))
        .route("/notifications", get(notifications))
        .route("/oversight/stagnation", get(stagnation))
        .route("/oversight/trend", get(trend))
        .route("/team/overview", get(team_overview))
        .route("/team/agenda", get(team_agenda))
        .route(
            "/recommendations",
            post(create_recommendation).get(list_recommendations),
        )
        .route("/recommendations/{id}/status", post(recommendation_status))
        .route(
            "/recommendations/{id}/follow-up",
            post(recommendation_follow_up),
        )
        .route("/federation/peers", get(peers))
        .route("/federation/health", get(federation_health))
        .route("/federation/peers/{oin}/resend", post(resend))
        .route("/federation/directory/reload", post(reload_directory))
        .fallback(not_found);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest("/api/v1", v1)
        .merge(crate::web::router(api.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(api)
}
