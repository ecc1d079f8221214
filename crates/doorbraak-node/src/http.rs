//! What the two HTTP adapters share: the JSON API (`crate::api`, bearer tokens) and the web UI
//! (`crate::web`, sessions) are separate routers with states of their own, and neither imports
//! the other (`crate::server::http_router` puts them side by side). Both read a command's
//! idempotency key here ([`IdemKey`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use doorbraak_model::RuleViolation;

use crate::app::{Idempotency, User};
use crate::error::ApiError;

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

/// A stream id from a path: a UUID, or `404` naming the id (cut to 64 characters).
pub fn uuid(s: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(s).map_err(|_| ApiError::bad_id(&s.chars().take(64).collect::<String>()))
}
