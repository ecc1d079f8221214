//! Login with OpenID Connect: the authorization code flow with PKCE (S256), a nonce and a state
//! bound to the browser's session, against the organisation's own identity provider
//! (`[oidc]` in node.toml). The ID token is verified by the `openidconnect` crate (issuer,
//! audience, expiry, signature against the provider's published keys, nonce); the person's role
//! comes from a configurable claim of that verified token.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope,
};
use serde::Deserialize;

use super::Site;
use super::session::PendingLogin;
use super::{Ctx, error_page};
use doorbraak_app::User;

use crate::error::HttpError;
pub use crate::idp::{LoginError, Oidc, role_from_claim};
use crate::idp::{error_chain, send};

/// A login must come back from the provider within this time.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);
impl Oidc {
    fn client(
        &self,
        meta: CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        LoginError,
    > {
        let redirect = RedirectUrl::new(self.cfg.redirect_url.clone())
            .map_err(|e| LoginError::Config(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(self.cfg.client_id.clone()),
            Some(ClientSecret::new(self.cfg.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider URL to send the browser to, and what to remember until it comes back.
    pub async fn start(&self) -> Result<(String, PendingLogin), LoginError> {
        let client = self.client(self.metadata(false).await?)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in self.cfg.scopes.iter().filter(|s| *s != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        Ok((
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                started: doorbraak_model::Timestamp::now(),
            },
        ))
    }

    /// Exchange the code, verify the ID token, and read who this is.
    /// The person who logged in, and the `email` claim if the token has one.
    pub async fn finish(
        &self,
        code: String,
        p: PendingLogin,
    ) -> Result<(User, Option<String>), LoginError> {
        let meta = self.metadata(false).await?;
        let client = self.client(meta)?;
        let http_client = self.http()?;
        let http = move |req| send(http_client.clone(), req);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| LoginError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(p.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|e| LoginError::Exchange(error_chain(&e)))?;
        use openidconnect::TokenResponse;
        let id_token = token.id_token().ok_or(LoginError::NoIdToken)?;
        let nonce = Nonce::new(p.nonce);
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            Err(_) => {
                // the provider may have rotated its keys: read them again once
                let client = self.client(self.metadata(true).await?)?;
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| LoginError::IdToken(error_chain(&e)))?
                    .clone()
            }
        };
        let sub = claims.subject().as_str().to_owned();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| sub.clone());
        // the signature was verified above; read the role claim from the same token
        let payload = verified_payload(&id_token.to_string())
            .ok_or_else(|| LoginError::IdToken("unreadable payload".into()))?;
        let role = role_from_claim(&self.cfg, payload.get(&self.cfg.role_claim))?;
        let email = claims.email().map(|e| e.as_str().to_owned());
        Ok((
            User {
                id: sub,
                name: name.chars().take(200).collect(),
                role,
            },
            email,
        ))
    }
}

/// The JSON payload of a compact JWT (only called after its signature was verified).
fn verified_payload(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `GET /auth/login`: send the browser to the provider.
pub async fn login(State(site): State<Arc<Site>>, ctx: Ctx) -> Response {
    let Some(oidc) = &site.web.oidc else {
        return error_page(&site, &ctx, &not_configured());
    };
    let (sid, new) = match &ctx.sid {
        Some(s) => (s.clone(), false),
        None => match site.web.sessions.create(None).await {
            Ok(sid) => (sid, true),
            Err(e) => return error_page(&site, &ctx, &super::session_error(&e)),
        },
    };
    let (url, pending) = match oidc.start().await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "OpenID Connect login could not start");
            return error_page(&site, &ctx, &e.to_api());
        }
    };
    if !site.web.sessions.set_pending(&sid, pending).await {
        return error_page(&site, &ctx, &super::sessions_unavailable());
    }
    let mut r = Redirect::to(&url).into_response();
    if new {
        r.headers_mut()
            .insert(header::SET_COOKIE, site.web.cookie(Some(&sid)));
    }
    r
}

fn not_configured() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "auth.oidc_not_configured",
        "Inloggen via de identity provider is niet ingesteld ([oidc] in node.toml)",
        "Login through the identity provider is not configured ([oidc] in node.toml)",
    )
}

/// The provider's answer. Providers add parameters (`iss`, `session_state`): unknown ones are
/// ignored here.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `GET /auth/callback`: check the state, exchange the code, start the person's session.
pub async fn callback(
    State(site): State<Arc<Site>>,
    ctx: Ctx,
    q: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    let fail = |status: StatusCode, rule: &str, nl: &str, en: &str| {
        error_page(&site, &ctx, &HttpError::new(status, rule, nl, en))
    };
    let Some(oidc) = &site.web.oidc else {
        return error_page(&site, &ctx, &not_configured());
    };
    let Ok(Query(q)) = q else {
        return fail(
            StatusCode::BAD_REQUEST,
            "auth.bad_callback",
            "Onbekend antwoord van de identity provider",
            "Malformed answer from the identity provider",
        );
    };
    // the pending login is used up only by its own state: a forged callback cannot cancel it
    let pending = match (ctx.sid.as_ref(), q.state.as_deref()) {
        (Some(sid), Some(state)) => site.web.sessions.take_pending(sid, state).await,
        _ => None,
    };
    let Some(pending) = pending else {
        return fail(
            StatusCode::BAD_REQUEST,
            "auth.state_mismatch",
            "Dit antwoord hoort niet bij een inlogpoging in deze browser (state). Begin opnieuw bij Inloggen.",
            "This answer does not belong to a login in this browser (state). Start again at Log in.",
        );
    };
    let elapsed = doorbraak_model::Timestamp::now().duration_since(pending.started);
    if elapsed > jiff::SignedDuration::try_from(LOGIN_TIMEOUT).unwrap_or(jiff::SignedDuration::MAX)
    {
        return fail(
            StatusCode::BAD_REQUEST,
            "auth.login_expired",
            "De inlogpoging duurde te lang. Begin opnieuw.",
            "The login took too long. Start again.",
        );
    }
    if let Some(err) = q.error {
        let detail: String = format!("{err} {}", q.error_description.unwrap_or_default())
            .chars()
            .take(200)
            .collect();
        return fail(
            StatusCode::UNAUTHORIZED,
            "auth.provider_refused",
            &format!("De identity provider heeft het inloggen geweigerd: {detail}"),
            &format!("The identity provider refused the login: {detail}"),
        );
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "auth.bad_callback",
            "Het antwoord van de identity provider bevat geen code",
            "The identity provider's answer has no code",
        );
    };
    let (user, email) = match oidc.finish(code, pending).await {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "OpenID Connect login refused");
            return error_page(&site, &ctx, &e.to_api());
        }
    };
    super::pages::login::start_session(
        &site,
        &ctx,
        user,
        doorbraak_app::ops::admin::LoginSource::Oidc,
        email.as_deref(),
    )
    .await
}
