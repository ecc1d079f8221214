//! Access tokens of the organisation's identity provider for the JSON API: a JWT signed with
//! one of the provider's keys (its JWKS), of its issuer, for this node's audience
//! (`oidc.api_audience`), not expired; the role comes from the same claim as at the web
//! login. A person's token names them by `sub`; a service account's (client credentials) by
//! its `client_id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::error::HttpError;
use crate::idp::{Oidc, role_from_claim};
use doorbraak_app::User;

/// How long the last keys fetched stay in use while the provider cannot be reached.
const JWKS_KEEP: Duration = Duration::from_secs(24 * 3600);
/// The keys are asked for again at most this often (an unknown key, a provider that failed).
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(10);
/// Longest token accepted, in bytes.
const MAX_TOKEN: usize = 8 * 1024;

/// The provider's keys as last fetched, and when they were last asked for.
#[derive(Default)]
struct KeyCache {
    /// The last good key set and when it was fetched.
    set: Option<(Instant, Arc<jsonwebtoken::jwk::JwkSet>)>,
    /// When the keys were last asked for (successfully or not).
    asked: Option<Instant>,
}

pub struct AccessTokens {
    oidc: Oidc,
    audience: String,
    /// How often the keys are fetched again.
    refresh: Duration,
    /// Never held across a fetch: a request with a known key never waits for the provider.
    keys: std::sync::Mutex<KeyCache>,
    /// One fetch at a time; only a request that needs (or renews) the keys takes it.
    fetching: tokio::sync::Mutex<()>,
}

fn refused(rule: &'static str, nl: &str, en: &str) -> HttpError {
    HttpError::new(StatusCode::UNAUTHORIZED, rule, nl.to_owned(), en.to_owned())
}

fn issuer_refused() -> HttpError {
    refused(
        "auth.token_issuer",
        "Het toegangstoken komt niet van de identity provider van deze organisatie",
        "The access token is not from this organisation's identity provider",
    )
}

/// The `iss` claim of a JWT, unverified.
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

impl AccessTokens {
    pub fn new(settings: &crate::config::OidcSettings) -> Option<Arc<Self>> {
        let audience = settings.api_audience.clone()?;
        Some(Arc::new(Self {
            oidc: Oidc::new(settings.clone()),
            audience,
            refresh: settings.jwks_refresh,
            keys: std::sync::Mutex::new(KeyCache::default()),
            fetching: tokio::sync::Mutex::new(()),
        }))
    }

    /// Does this bearer token look like a JWT (three base64url parts)?
    pub fn is_jwt(token: &str) -> bool {
        token.len() <= MAX_TOKEN
            && token.split('.').count() == 3
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    }

    /// The cached keys: the set while it may be used, whether it is due for renewal, and
    /// whether the provider may be asked again now.
    fn cached(&self) -> (Option<Arc<jsonwebtoken::jwk::JwkSet>>, bool, bool) {
        let c = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let usable = c
            .set
            .as_ref()
            .filter(|(at, _)| at.elapsed() < JWKS_KEEP)
            .map(|(_, s)| s.clone());
        let due = c
            .set
            .as_ref()
            .is_none_or(|(at, _)| at.elapsed() >= self.refresh);
        let may_ask = c.asked.is_none_or(|at| at.elapsed() >= JWKS_MIN_REFETCH);
        (usable, due, may_ask)
    }

    /// Fetch the keys (one fetch at a time, outside the cache's lock); a failure keeps the last
    /// good keys. `force`: also when another request fetched them meanwhile (an unknown key).
    async fn fetch(&self) -> Result<Arc<jsonwebtoken::jwk::JwkSet>, HttpError> {
        let one = self.fetching.lock().await;
        // another request may have fetched them while this one waited
        if let (Some(set), false, _) = self.cached() {
            return Ok(set);
        }
        self.renew(one).await
    }

    /// Fetch the keys, holding the one fetch (`_one`).
    async fn renew(
        &self,
        _one: tokio::sync::MutexGuard<'_, ()>,
    ) -> Result<Arc<jsonwebtoken::jwk::JwkSet>, HttpError> {
        let fetched = self.oidc.jwks().await;
        let mut c = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.asked = Some(Instant::now());
        match fetched {
            Ok(set) => {
                let set = Arc::new(set);
                c.set = Some((Instant::now(), set.clone()));
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the identity provider's keys could not be fetched; the last keys stay in use");
                match c.set.as_ref().filter(|(at, _)| at.elapsed() < JWKS_KEEP) {
                    Some((_, set)) => Ok(set.clone()),
                    None => Err(e.to_api()),
                }
            }
        }
    }

    /// Fetch the keys again for a key this node does not know (at most every few seconds).
    async fn fetch_unknown(&self) -> Result<Arc<jsonwebtoken::jwk::JwkSet>, HttpError> {
        let _one = self.fetching.lock().await;
        let may_ask = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .asked
            .is_none_or(|at| at.elapsed() >= JWKS_MIN_REFETCH);
        let fetched = if may_ask {
            Some(self.oidc.jwks().await)
        } else {
            None
        };
        let mut c = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(fetched) = fetched {
            c.asked = Some(Instant::now());
            match fetched {
                Ok(set) => c.set = Some((Instant::now(), Arc::new(set))),
                Err(e) => {
                    tracing::warn!(error = %e, "the identity provider's keys could not be fetched")
                }
            }
        }
        c.set
            .as_ref()
            .map(|(_, s)| s.clone())
            .ok_or_else(|| crate::idp::LoginError::Discovery("no keys".into()).to_api())
    }

    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, HttpError> {
        let find = |set: &jsonwebtoken::jwk::JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        let (cached, due, may_ask) = self.cached();
        let set = match cached {
            // renewal due: one request renews (the others go on with the keys they have)
            Some(set) if due && may_ask => match self.fetching.try_lock() {
                Ok(one) => self.renew(one).await?,
                Err(_) => set,
            },
            Some(set) => set,
            None => self.fetch().await?,
        };
        let mut jwk = find(&set);
        // a key the provider added since: ask once more (not more than every few seconds)
        if jwk.is_none() {
            jwk = find(self.fetch_unknown().await?.as_ref());
        }
        let jwk = jwk.ok_or_else(|| {
            refused(
                "auth.token_signature",
                "Het toegangstoken is ondertekend met een sleutel die de identity provider niet (meer) heeft",
                "The access token is signed with a key the identity provider does not (or no longer) have",
            )
        })?;
        DecodingKey::from_jwk(&jwk).map_err(|_| {
            refused(
                "auth.token_signature",
                "De sleutel van het toegangstoken is niet bruikbaar",
                "The access token's key cannot be used",
            )
        })
    }

    /// The person or service account behind a token, or why it is refused.
    pub async fn user(&self, token: &str) -> Result<User, HttpError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            refused(
                "auth.token_invalid",
                "Het toegangstoken is geen geldig JWT",
                "The access token is not a valid JWT",
            )
        })?;
        const ALLOWED: [Algorithm; 6] = [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
        ];
        if !ALLOWED.contains(&header.alg) {
            return Err(refused(
                "auth.token_invalid",
                "Het toegangstoken gebruikt een ondertekening die niet wordt geaccepteerd",
                "The access token uses a signature algorithm that is not accepted",
            ));
        }
        // the issuer the token names, read before its signature only to say why it is refused
        // (a token of another provider is signed with a key this one does not have)
        let configured = self.oidc.cfg.issuer.trim_end_matches('/');
        if unverified_issuer(token).is_some_and(|iss| iss.trim_end_matches('/') != configured) {
            return Err(issuer_refused());
        }
        let key = self.key(header.kid.as_deref()).await?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[
            self.oidc.cfg.issuer.trim_end_matches('/'),
            &self.oidc.cfg.issuer,
        ]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        // clocks of provider and node are NTP-synchronised; tokens live minutes
        v.leeway = 10;
        v.validate_nbf = true;
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &v)
                .map_err(|e| match e.kind() {
                    ErrorKind::ExpiredSignature => refused(
                        "auth.token_expired",
                        "Het toegangstoken is verlopen; vraag een nieuw aan",
                        "The access token has expired; get a new one",
                    ),
                    ErrorKind::InvalidAudience => refused(
                        "auth.token_audience",
                        "Het toegangstoken is niet voor deze node bestemd (audience)",
                        "The access token is not meant for this node (audience)",
                    ),
                    ErrorKind::InvalidIssuer => issuer_refused(),
                    ErrorKind::ImmatureSignature => refused(
                        "auth.token_not_yet_valid",
                        "Het toegangstoken is nog niet geldig",
                        "The access token is not valid yet",
                    ),
                    ErrorKind::InvalidSignature => refused(
                        "auth.token_signature",
                        "De handtekening van het toegangstoken klopt niet",
                        "The access token's signature does not verify",
                    ),
                    _ => refused(
                        "auth.token_invalid",
                        "Het toegangstoken is niet geldig",
                        "The access token is not valid",
                    ),
                })?;
        let claims = data.claims;
        let role = role_from_claim(&self.oidc.cfg, claims.get(&self.oidc.cfg.role_claim))
            .map_err(|e| e.to_api())?;
        let text = |k: &str| {
            claims
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty() && s.len() <= 300)
        };
        // a service account's token (client credentials) has no person: its client is who acts
        let (id, name) = match (text("sub"), text("client_id")) {
            (Some(sub), client) if client != Some(sub) => (
                sub.to_owned(),
                text("name")
                    .or(text("preferred_username"))
                    .unwrap_or(sub)
                    .to_owned(),
            ),
            (_, Some(client)) => (
                format!("service:{client}"),
                format!("Dienstaccount {client}"),
            ),
            _ => {
                return Err(refused(
                    "auth.token_invalid",
                    "Het toegangstoken noemt geen persoon of dienstaccount (sub of client_id)",
                    "The access token names no person or service account (sub or client_id)",
                ));
            }
        };
        Ok(User { id, name, role })
    }
}
