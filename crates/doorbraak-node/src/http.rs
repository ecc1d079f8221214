//! What the two HTTP adapters share: the JSON API (`crate::api`, bearer tokens) and the web UI
//! (`crate::web`, sessions) are separate routers with states of their own, and neither imports
//! the other (`crate::server::http_router` puts them side by side). Both read a command's
//! idempotency key here ([`IdemKey`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use doorbraak_model::RuleViolation;

use crate::error::HttpError;
use doorbraak_app::{Idempotency, User};

/// The idempotency key of a command: the `Idempotency-Key` header of an API call, or the key a
/// rendered web form carries (`_idem`). A repeated key returns the first answer and has no
/// second effect; keys are per person and kept at least 24 hours.
#[derive(Debug, Clone, Default)]
pub struct IdemKey(pub Option<String>, pub Option<String>);

/// The key a web form carried, put into the request by the web guard.
#[derive(Debug, Clone)]
pub struct FormKey(pub String);

/// The digest of a request that carries an idempotency key: its method, path and query, and
/// body (a web form's without its CSRF token, which changes with the session). The key is bound
/// to it: the same key with another request is refused (`idempotency.key_reused`).
#[derive(Debug, Clone)]
pub struct RequestDigest(pub String);

impl RequestDigest {
    pub fn of(method: &axum::http::Method, uri: &axum::http::Uri, body: &[u8]) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(method.as_str().as_bytes());
        h.update(b" ");
        h.update(uri.path().as_bytes());
        h.update(b"?");
        h.update(uri.query().unwrap_or("").as_bytes());
        h.update(b"\n");
        h.update(body);
        RequestDigest(hex::encode(h.finalize()))
    }

    /// A form's fields without `_csrf`, as the digest takes them.
    pub fn form_body(body: &[u8]) -> Vec<u8> {
        let kept: Vec<(String, String)> = form_urlencoded::parse(body)
            .filter(|(k, _)| k != "_csrf")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish()
            .into_bytes()
    }
}

/// Buffer the body of a POST that carries an `Idempotency-Key` (up to `max` bytes; a larger
/// one is refused here with 413, as the body extractor would) and put its
/// [`RequestDigest`] beside it.
pub async fn digest_keyed(
    max: usize,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.method() != axum::http::Method::POST || !req.headers().contains_key(IDEMPOTENCY_HEADER) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        return HttpError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "input.body_too_large",
            "Het verzoek is te groot",
            "The request body is too large",
        )
        .into_response();
    };
    let digest = RequestDigest::of(&parts.method, &parts.uri, &bytes);
    parts.extensions.insert(digest);
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

impl IdemKey {
    /// A key of its own for a second command that one request causes (e.g. the web's pick-up
    /// also adds the person as participant): derived, so it repeats with the request's key.
    pub fn sub(&self, part: &str) -> IdemKey {
        IdemKey(
            self.0.as_ref().map(|k| {
                let mut k = format!("{k}/{part}");
                k.truncate(Idempotency::MAX_LEN);
                k
            }),
            self.1.clone(),
        )
    }

    /// The key, validated, in the person's scope.
    pub fn scoped(&self, u: &User) -> Result<Option<Idempotency>, HttpError> {
        self.0
            .as_deref()
            .map(|k| {
                Idempotency::for_user(u, k).map(|i| Idempotency {
                    request: self.1.clone(),
                    ..i
                })
            })
            .transpose()
            .map_err(HttpError::from)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        if let Some(v) = parts.headers.get(IDEMPOTENCY_HEADER) {
            let v = v.to_str().map_err(|_| {
                HttpError::from(RuleViolation::InvalidField {
                    field: "Idempotency-Key",
                    reason: "1-128 visible ASCII characters",
                })
            })?;
            let digest = parts.extensions.get::<RequestDigest>().map(|d| d.0.clone());
            return Ok(IdemKey(Some(v.to_owned()), digest));
        }
        Ok(IdemKey(
            parts.extensions.get::<FormKey>().map(|k| k.0.clone()),
            parts.extensions.get::<RequestDigest>().map(|d| d.0.clone()),
        ))
    }
}

/// A stream id from a path: a UUID, or `404` naming the id (cut to 64 characters).
pub fn uuid(s: &str) -> Result<uuid::Uuid, HttpError> {
    uuid::Uuid::parse_str(s).map_err(|_| HttpError::bad_id(&s.chars().take(64).collect::<String>()))
}
