//! Meetings and their minutes: scheduling, drafts, revisions, circulation, signed
//! approvals, change requests, addenda, the verification bundle and the printable record.

use super::*;

pub use doorbraak_app::ops::minutes::ScheduleMeetingRequest;

/// Schedule a meeting (overleg) within a step of an escalation.
#[utoipa::path(post, path = "/api/v1/meetings", request_body = ScheduleMeetingRequest, responses((status = 201, body = CommandResponse), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn schedule_meeting(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<ScheduleMeetingRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    let r = body(b)?;
    let a =
        doorbraak_app::ops::minutes::schedule(&api.node, &u, r, key.scoped(&u)?.as_ref()).await?;
    created(applied(a))
}

/// Meetings and their minutes on this node: overdue approvals first (for the overviews).
#[utoipa::path(get, path = "/api/v1/meetings", params(ListQuery), responses((status = 200, body = Vec<doorbraak_app::views::ProjectionRow>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more rows follow"))), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn list_meetings(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    list_rows(&api, &u, StreamKind::Minutes, "/api/v1/meetings", q).await
}

/// Minutes waiting for my approval (what my reminders are about), with their deadlines.
#[utoipa::path(get, path = "/api/v1/meetings/awaiting-me", responses((status = 200, body = Vec<doorbraak_app::ops::minutes::Awaiting>)), security(("bearer" = [])))]
pub(crate) async fn awaiting_me(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_app::ops::minutes::Awaiting>>> {
    Ok(Json(
        doorbraak_app::ops::minutes::awaiting_me(&api.node, &u).await?,
    ))
}

/// A meeting with its minutes, revisions and approvals.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = MeetingView), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_meeting(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingView>> {
    let id = uuid(&id)?.to_string();
    let m = api.node.read::<Minutes>(&u, &id).await?;
    Ok(Json(MeetingView {
        version: m.version,
        state: m.state,
    }))
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
        doorbraak_app::ops::minutes::command(&api.node, u, &id, cmd, name, key.scoped(u)?.as_ref())
            .await?,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentRequest {
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub content: String,
}

/// Draft the minutes (revision 1).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = ContentRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub content: String,
}

/// Make a new revision (voids earlier approvals).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/revisions", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = ReviseRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/meetings/{id}/circulate", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = CirculateRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
    #[serde(deserialize_with = "doorbraak_model::text::whole_number")]
    #[schema(maximum = 4294967295_u64)]
    pub revision: u32,
    /// SHA-256 (hex) of the text being approved.
    #[schema(schema_with = doorbraak_model::schema::sha256)]
    pub content_hash: String,
}

/// Approve a revision (naming its number and content hash).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/approve", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = ApproveRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        doorbraak_app::ops::minutes::approve(
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
#[utoipa::path(get, path = "/api/v1/meetings/{id}/bundle", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, body = MinutesBundleDoc), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "federation.not_configured",
            "Zonder federatie (certificaten en adresboek) is er niets te verifiëren",
            "Without a federation (certificates and directory) there is nothing to verify",
        ));
    };
    // every directory version an approval was signed under, and the one in force
    let mut serials: Vec<u64> = m
        .state
        .main
        .iter()
        .chain(m.state.addenda.iter())
        .flat_map(|d| d.approvals.iter())
        .filter_map(|a| a.signature.as_ref().map(|s| s.directory_serial))
        .chain(std::iter::once(manifest.manifest.serial))
        .collect();
    serials.sort_unstable();
    serials.dedup();
    let mut directories = Vec::with_capacity(serials.len());
    for serial in serials {
        if let Some(v) = api.node.directory_version(serial).await? {
            directories.push(v);
        }
    }
    Ok(Json(doorbraak_federation::signing::MinutesBundle {
        bundle: doorbraak_federation::signing::MinutesBundle::KIND.into(),
        minutes: m.state,
        trust_anchors: fed
            .tls
            .anchors
            .iter()
            .map(|a| base64::engine::general_purpose::STANDARD.encode(a))
            .collect(),
        directories,
    }))
}

/// The minutes with their approval record as a printable page (Dutch, print stylesheet): the final text, or the newest draft marked CONCEPT.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/print", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), responses((status = 200, content_type = "text/html"), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn minutes_print(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let m = doorbraak_app::ops::minutes::record(&api.node, &u, &id).await?;
    Ok(crate::record::response(&m))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestChangesRequest {
    #[serde(default = "main_doc")]
    pub target: DocTarget,
    #[serde(deserialize_with = "doorbraak_model::text::whole_number")]
    #[schema(maximum = 4294967295_u64)]
    pub revision: u32,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub comment: String,
}

/// Ask for changes to a revision, with a comment.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/request-changes", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = RequestChangesRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/meetings/{id}/addenda", params(("id" = uuid::Uuid, Path, description = "The id (a UUID)")), request_body = ContentRequest, responses((status = 200, body = CommandResponse), (status = 409, body = ApiErrorBody)), security(("bearer" = [])))]
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
