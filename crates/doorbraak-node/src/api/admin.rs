//! Federation administration: members and delivery, health, resend, directory reload.

use super::*;

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
