//! The access log and reminders, the team overview and agenda, the recommendations register,
//! and the stagnation view.

use super::*;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    /// Only entries about this object id.
    pub object_id: Option<String>,
    /// Only entries of this person (user id).
    pub user_id: Option<String>,
    /// At most this many (default 500).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

/// The access log (NEN 7513), for the functional administrator and quality officer.
#[utoipa::path(get, path = "/api/v1/access-log", params(AccessLogQuery), responses((status = 200, body = Vec<doorbraak_app::views::AccessEntry>), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn access_log(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<AccessLogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<doorbraak_app::views::AccessEntry>>> {
    Ok(Json(read_log(&api, &u, q).await?))
}

async fn read_log(
    api: &Api,
    u: &doorbraak_app::User,
    q: Result<Query<AccessLogQuery>, QueryRejection>,
) -> ApiResult<Vec<doorbraak_app::views::AccessEntry>> {
    let Query(q) = q?;
    Ok(doorbraak_app::ops::admin::access_log(
        &api.node,
        u,
        q.object_id.as_deref(),
        q.user_id.as_deref(),
        q.limit,
    )
    .await?)
}

/// The access log in the form of Logius' Logboek Dataverwerkingen (trace and operation ids,
/// foreign operation, processing activity, data subject), for the same readers.
#[utoipa::path(get, path = "/api/v1/access-log/export", params(AccessLogQuery), responses((status = 200, body = Vec<crate::logboek::LogRecord>), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn access_log_export(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<AccessLogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<crate::logboek::LogRecord>>> {
    let rows = read_log(&api, &u, q).await?;
    Ok(Json(rows.iter().map(crate::logboek::record).collect()))
}

/// My newest notices (what waits for me: a pick-up, a passed deadline, minutes to approve…),
/// the same the web's "Meldingen" lists.
#[utoipa::path(get, path = "/api/v1/notifications", responses((status = 200, body = Vec<doorbraak_app::ops::inbox::Notice>)), security(("bearer" = [])))]
pub(crate) async fn notifications(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_app::ops::inbox::Notice>>> {
    Ok(Json(
        doorbraak_app::ops::inbox::notices(&api.node, &u).await?,
    ))
}

// ------------------------------------------------------------------ team overview and agenda

/// The team manager's overview: every kwestie and escalation of this node, overdue first, then
/// by next deadline, with its age in days.
#[utoipa::path(get, path = "/api/v1/team/overview", responses((status = 200, body = doorbraak_app::ops::team::TeamOverview), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn team_overview(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<doorbraak_app::ops::team::TeamOverview>> {
    Ok(Json(
        doorbraak_app::ops::team::overview(&api.node, &u).await?,
    ))
}

/// The agenda of the team meeting (basisteamoverleg): open kwesties routed to it, overdue first,
/// then the oldest.
#[utoipa::path(get, path = "/api/v1/team/agenda", responses((status = 200, body = doorbraak_app::ops::team::TeamAgenda), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn team_agenda(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<doorbraak_app::ops::team::TeamAgenda>> {
    Ok(Json(doorbraak_app::ops::team::agenda(&api.node, &u).await?))
}

// ------------------------------------------------------------------ recommendations register

pub use doorbraak_app::ops::register::CreateRecommendationRequest;

/// Add an entry to the recommendations register (aanbevelingenregister).
#[utoipa::path(post, path = "/api/v1/recommendations", request_body = CreateRecommendationRequest, responses((status = 201, body = CommandResponse), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn create_recommendation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<CreateRecommendationRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a =
        doorbraak_app::ops::register::create(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// The recommendations register of this organisation.
#[utoipa::path(get, path = "/api/v1/recommendations", params(ListQuery), responses((status = 200, body = Vec<doorbraak_app::views::ProjectionRow>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more rows follow"))), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn list_recommendations(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    list_rows(
        &api,
        &u,
        StreamKind::Recommendation,
        "/api/v1/recommendations",
        q,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationStatusRequest {
    pub status: doorbraak_model::RecommendationStatus,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub note: String,
}

/// Move a recommendation on (in progress, done, dropped), with a note.
#[utoipa::path(post, path = "/api/v1/recommendations/{id}/status", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = RecommendationStatusRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/recommendations/{id}/follow-up", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = NoteRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    let a = doorbraak_app::ops::register::command(
        &api.node,
        &u,
        &id,
        cmd,
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
#[utoipa::path(get, path = "/api/v1/oversight/stagnation", params(PeriodQuery), responses((status = 200, body = doorbraak_app::ops::oversight::StagnationView), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn stagnation(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<doorbraak_app::ops::oversight::StagnationView>> {
    let Query(q) = q?;
    let period = doorbraak_app::ops::oversight::days_period(
        q.from.as_deref(),
        q.to.as_deref(),
        ("period.from", "period.to"),
    )?;
    Ok(Json(
        doorbraak_app::ops::oversight::stagnation(&api.node, &u, period).await?,
    ))
}

/// The period the figures of events cover, in Dutch days; the figures of what is open now do
/// not depend on it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// From this day (YYYY-MM-DD, Dutch time).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Up to and including this day.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// Daily snapshots of the stagnation view, for the trend.
#[utoipa::path(get, path = "/api/v1/oversight/trend", responses((status = 200, body = Vec<doorbraak_app::ops::oversight::Snapshot>), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn trend(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_app::ops::oversight::Snapshot>>> {
    Ok(Json(
        doorbraak_app::ops::oversight::trend(&api.node, &u).await?,
    ))
}
