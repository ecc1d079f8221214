//! Who am I, and the cases of this node.

use super::*;

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
    #[schema(value_type = doorbraak_model::CaseRef)]
    pub case_ref: String,
    #[schema(schema_with = doorbraak_model::schema::short_text)]
    pub title: String,
}

/// Register a local case.
#[utoipa::path(post, path = "/api/v1/cases", request_body = CreateCaseRequest, responses((status = 201, body = doorbraak_app::views::CaseRow), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn create_case(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    b: Result<Json<CreateCaseRequest>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let req = body(b)?;
    let row = doorbraak_app::ops::cases::create(
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
#[utoipa::path(get, path = "/api/v1/cases", responses((status = 200, body = Vec<doorbraak_app::views::CaseRow>)), security(("bearer" = [])))]
pub(crate) async fn list_cases(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<doorbraak_app::views::CaseRow>>> {
    Ok(Json(doorbraak_app::ops::cases::list(&api.node, &u).await?))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{case_ref}", params(("case_ref" = doorbraak_model::CaseRef, Path)), responses((status = 200, body = doorbraak_app::views::CaseRow), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn get_case(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    Path(case_ref): Path<String>,
) -> ApiResult<Json<doorbraak_app::views::CaseRow>> {
    Ok(Json(
        doorbraak_app::ops::cases::get(&api.node, &u, &case_ref).await?,
    ))
}
