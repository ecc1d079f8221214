//! Federation administration: members and delivery, health, resend, directory reload.

use super::*;

pub use doorbraak_app::ops::admin::{FederationHealth, PeerView};

/// Members of the federation with the delivery status towards each (admin).
#[utoipa::path(get, path = "/api/v1/federation/peers", responses((status = 200, body = [PeerView]), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn peers(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<Vec<PeerView>>> {
    Ok(Json(doorbraak_app::ops::admin::peers(&api.node, &u).await?))
}

/// Dead letters, divergences and the store audit (admin).
#[utoipa::path(get, path = "/api/v1/federation/health", responses((status = 200, body = FederationHealth), (status = 403, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn federation_health(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
) -> ApiResult<Json<FederationHealth>> {
    Ok(Json(
        doorbraak_app::ops::admin::health(&api.node, &u).await?,
    ))
}

/// Resend now whatever waits for this peer, with a fresh backoff (admin).
#[utoipa::path(post, path = "/api/v1/federation/peers/{oin}/resend", params(("oin" = doorbraak_model::Oin, Path)), responses((status = 200, body = Resent), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn resend(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
    Path(peer): Path<String>,
) -> ApiResult<Json<Resent>> {
    // idempotent by nature: a key is checked like everywhere, and changes nothing
    key.scoped(&u)?;
    let pending = doorbraak_app::ops::admin::resend(&api.node, &u, &peer).await?;
    Ok(Json(Resent { pending }))
}

/// Re-read and verify the directory manifest (admin).
#[utoipa::path(post, path = "/api/v1/federation/directory/reload", responses((status = 200, body = Reloaded), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn reload_directory(
    State(api): State<Arc<Api>>,
    AuthUser(u): AuthUser,
    key: IdemKey,
) -> ApiResult<impl IntoResponse> {
    key.scoped(&u)?;
    match doorbraak_app::ops::admin::reload_directory(&api.node, &u).await {
        Ok(members) => Ok(Json(Reloaded { members })),
        Err(doorbraak_app::ops::admin::ReloadRefused::Node(e)) => Err(e.into()),
        Err(doorbraak_app::ops::admin::ReloadRefused::Directory(e)) => {
            Err(crate::error::directory_not_loaded(&e))
        }
    }
}

pub(crate) async fn not_found() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "http.not_found",
        "Deze pagina of dit endpoint bestaat niet",
        "No such page or endpoint",
    )
}
