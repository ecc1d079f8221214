//! The organisation's OpenID Connect provider, as both HTTP adapters use it: its metadata
//! (discovery) and signing keys, fetched over HTTPS with a size limit and no redirects, and
//! the person's Doorbraak role from a claim. The web UI's login flow (`crate::web::oidc`) and
//! the JSON API's access tokens (`crate::api`) are built on this; neither imports the other.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use doorbraak_model::Role;
use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;

use crate::config::OidcSettings;
use crate::error::HttpError;

/// The provider's metadata (and signing keys) are read again after this time.
const METADATA_TTL: Duration = Duration::from_secs(900);
/// Largest response accepted from the provider.
const MAX_RESPONSE: usize = 1024 * 1024;

/// Why a login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the identity provider could not be reached or described itself wrongly: {0}")]
    Discovery(String),
    #[error("the identity provider did not exchange the code: {0}")]
    Exchange(String),
    #[error("the identity provider returned no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
    #[error("the account has no Doorbraak role (claim '{claim}' = {value})")]
    NoRole { claim: String, value: String },
    #[error("configuration: {0}")]
    Config(String),
}

impl LoginError {
    pub fn to_api(&self) -> HttpError {
        match self {
            LoginError::NoRole { claim, value } => HttpError::new(
                StatusCode::FORBIDDEN,
                "auth.no_role",
                format!(
                    "Uw account heeft geen rol in Doorbraak (claim '{claim}' = {value}). Vraag de beheerder van uw organisatie om een rol."
                ),
                format!(
                    "Your account has no role in Doorbraak (claim '{claim}' = {value}). Ask your organisation's administrator for a role."
                ),
            ),
            // the details (addresses, token checks) go to the node's log, not to the visitor
            LoginError::Discovery(_) | LoginError::Exchange(_) | LoginError::Config(_) => {
                HttpError::new(
                    StatusCode::BAD_GATEWAY,
                    "auth.provider_unreachable",
                    "Inloggen lukt nu niet: de identity provider is niet bereikbaar of antwoordt niet zoals verwacht. Probeer het later opnieuw of meld het bij de beheerder.",
                    "Login is not possible now: the identity provider cannot be reached or does not answer as expected. Try again later or tell the administrator.",
                )
            }
            LoginError::NoIdToken | LoginError::IdToken(_) => HttpError::new(
                StatusCode::UNAUTHORIZED,
                "auth.invalid_login",
                "Inloggen is mislukt: het antwoord van de identity provider is niet geldig. Begin opnieuw bij Inloggen.",
                "Login failed: the identity provider's answer is not valid. Start again at Log in.",
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderHttpError(String);

pub struct Oidc {
    pub cfg: OidcSettings,
    pub(crate) http: Result<reqwest::Client, String>,
    pub(crate) meta: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

pub(crate) async fn send(
    client: reqwest::Client,
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, ProviderHttpError> {
    let (parts, body) = req.into_parts();
    let resp = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| ProviderHttpError(e.to_string()))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE as u64)
    {
        return Err(ProviderHttpError("response too large".into()));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ProviderHttpError(e.to_string()))?;
    if bytes.len() > MAX_RESPONSE {
        return Err(ProviderHttpError("response too large".into()));
    }
    let mut out = http::Response::new(bytes.to_vec());
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    Ok(out)
}

impl Oidc {
    pub fn new(cfg: OidcSettings) -> Self {
        // reqwest's rustls uses the process-wide provider; this workspace uses ring
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // no redirects: a provider that redirects its token endpoint is refused (SSRF)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string());
        Self {
            cfg,
            http,
            meta: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) fn http(&self) -> Result<reqwest::Client, LoginError> {
        self.http.clone().map_err(LoginError::Config)
    }

    /// The provider's signing keys (its `jwks_uri`), for checking access tokens.
    pub(crate) async fn jwks(&self) -> Result<jsonwebtoken::jwk::JwkSet, LoginError> {
        let meta = self.metadata(false).await?;
        let url = meta.jwks_uri().url().clone();
        let resp = self
            .http()?
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| LoginError::Discovery(error_chain(&e)))?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| LoginError::Discovery(error_chain(&e)))?;
        if bytes.len() > 1 << 20 {
            return Err(LoginError::Discovery(
                "the key set is larger than 1 MiB".into(),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| LoginError::Discovery(e.to_string()))
    }

    pub(crate) async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, LoginError> {
        if let Some((at, m)) = self.meta.lock().await.as_ref()
            && !refresh
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        // fetched without holding the lock: one slow provider answer does not queue every login
        let client = self.http()?;
        let http = move |req| send(client.clone(), req);
        let issuer = IssuerUrl::new(self.cfg.issuer.clone())
            .map_err(|e| LoginError::Config(e.to_string()))?;
        let m = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| LoginError::Discovery(error_chain(&e)))?;
        *self.meta.lock().await = Some((Instant::now(), m.clone()));
        Ok(m)
    }
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// The role named by the claim: through the configured mapping, else a role code. A claim
/// with several values gives the first that names a role.
pub fn role_from_claim(
    cfg: &OidcSettings,
    value: Option<&serde_json::Value>,
) -> Result<Role, LoginError> {
    let values: Vec<&str> = match value {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    for v in &values {
        if let Some(r) = cfg.roles.get(*v) {
            return Ok(*r);
        }
        if cfg.roles.is_empty()
            && let Some(r) = Role::ALL.iter().find(|r| r.code() == *v)
        {
            return Ok(*r);
        }
    }
    Err(LoginError::NoRole {
        claim: cfg.role_claim.clone(),
        value: match value {
            None => "(none)".into(),
            Some(v) => v.to_string().chars().take(80).collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(roles: &[(&str, Role)]) -> OidcSettings {
        OidcSettings {
            jwks_refresh: std::time::Duration::from_secs(300),
            issuer: "https://idp.example".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            redirect_url: "https://node.example/auth/callback".into(),
            role_claim: "doorbraak_role".into(),
            roles: roles.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            scopes: vec!["openid".into()],
            api_audience: None,
        }
    }

    #[test]
    fn role_codes_and_mappings_name_a_role_and_anything_else_is_refused() {
        let plain = cfg(&[]);
        let j = |v: serde_json::Value| role_from_claim(&plain, Some(&v));
        assert_eq!(
            j(serde_json::json!("team_manager")).unwrap(),
            Role::TeamManager
        );
        assert_eq!(
            j(serde_json::json!(["student", "professional"])).unwrap(),
            Role::Professional
        );
        let err = j(serde_json::json!("student")).unwrap_err();
        assert!(err.to_string().contains("doorbraak_role"), "{err}");
        assert_eq!(err.to_api().rule, "auth.no_role");
        assert!(role_from_claim(&plain, None).is_err());

        let mapped = cfg(&[("jeugd-gw", Role::BehaviouralScientist)]);
        assert_eq!(
            role_from_claim(&mapped, Some(&serde_json::json!("jeugd-gw"))).unwrap(),
            Role::BehaviouralScientist
        );
        // with a mapping, only mapped values count
        assert!(role_from_claim(&mapped, Some(&serde_json::json!("admin"))).is_err());
    }
}
