//! Idempotency keys: a repeated key returns the first answer and has no second effect.

use super::*;

/// A key that makes a command safe to retry: a repeated key returns the first answer and has
/// no second effect. `scope` separates whose keys they are: `user:<person id>` for this node's
/// people (the `Idempotency-Key` header, a web form's key), `peer:<OIN>` for requests another
/// node forwarded (the key is its request id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub scope: String,
    pub key: String,
    /// The digest of the request that carried the key (method, path and body, from the HTTP
    /// layer), if it came with one; without it the key is bound to the command itself.
    pub request: Option<String>,
}

impl Idempotency {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 128;

    /// A person's key, validated: 1-128 visible ASCII characters.
    pub fn for_user(user: &User, key: &str) -> Result<Self, RuleViolation> {
        if key.is_empty() || key.len() > Self::MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(RuleViolation::InvalidField {
                field: "Idempotency-Key",
                reason: "1-128 visible ASCII characters",
            });
        }
        Ok(Self {
            scope: format!("user:{}", user.id),
            key: key.to_owned(),
            request: None,
        })
    }

    /// The id of a stream that a keyed command creates: the same for every retry, naming
    /// `home` as its home.
    pub fn stream_id(&self, home: &Oin) -> Uuid {
        doorbraak_model::stream_uuid(
            home,
            doorbraak_model::derived_uuid("doorbraak/stream", &[&self.scope, &self.key]),
        )
    }

    /// Another id a keyed command makes (a meeting's): the same for every retry.
    pub fn derived(&self, label: &str) -> Uuid {
        doorbraak_model::derived_uuid(label, &[&self.scope, &self.key])
    }

    /// The request id under which a keyed command is forwarded to the home: the same for every
    /// retry, so the home decides it once.
    pub(super) fn request_id(&self) -> Uuid {
        doorbraak_model::derived_uuid("doorbraak/request", &[&self.scope, &self.key])
    }
}

/// How long idempotency keys are kept (at least 24 hours are promised).
pub const IDEMPOTENCY_KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(72);

/// An idempotency key with the request it is bound to: the operation and its object, who asks,
/// and a digest of what they asked (the IETF Idempotency-Key draft: the same key with another
/// request is refused, `idempotency.key_reused`, never answered with the first answer).
pub(super) struct Keyed<'a> {
    pub(super) idem: &'a Idempotency,
    pub(super) fingerprint: String,
}

impl<'a> Keyed<'a> {
    /// Bind `idem` to `operation` (with its object), the person or node `by`, and what was
    /// asked: the request's digest where the HTTP layer gave one, else `body` (its canonical
    /// JSON's SHA-256, a node's `signature` left out: a node signs anew at every try).
    pub(super) fn new<T: Serialize + ?Sized>(
        idem: &'a Idempotency,
        operation: &str,
        by: &Actor,
        body: &T,
    ) -> Result<Self, NodeError> {
        use sha2::Digest;
        let who = match by {
            Actor::Person { person, role, org } => format!("{org}/{person}/{}", role.code()),
            Actor::System { org } => format!("{org}/node"),
        };
        let asked = match &idem.request {
            Some(digest) => format!("request:{digest}"),
            None => {
                let mut value = serde_json::to_value(body)?;
                if let Some(fields) = value.as_object_mut() {
                    fields.remove("signature");
                }
                let bytes = doorbraak_model::canonical::to_vec(&value).map_err(|e| {
                    StoreError::Corrupt {
                        what: "idempotent request",
                        detail: e.to_string(),
                    }
                })?;
                format!("body:{}", hex::encode(sha2::Sha256::digest(&bytes)))
            }
        };
        Ok(Self {
            idem,
            fingerprint: format!("{operation}|{who}|{asked}"),
        })
    }

    /// The stored answer of this key, if it was used before; another use of the key is refused.
    pub(super) async fn recall<T: DeserializeOwned>(
        &self,
        tx: &mut doorbraak_store::Tx,
    ) -> Result<Option<T>, NodeError> {
        match tx
            .idempotent_answer(&self.idem.scope, &self.idem.key)
            .await?
        {
            None => Ok(None),
            Some((fingerprint, _)) if fingerprint != self.fingerprint => {
                Err(RuleViolation::IdempotencyKeyReused.into())
            }
            Some((_, answer)) => serde_json::from_str(&answer).map(Some).map_err(|e| {
                StoreError::Corrupt {
                    what: "idempotency answer",
                    detail: e.to_string(),
                }
                .into()
            }),
        }
    }

    /// Keep `answer` for this key; false if the key was taken meanwhile (nothing written).
    pub(super) async fn remember<T: Serialize>(
        &self,
        tx: &mut doorbraak_store::Tx,
        answer: &T,
        now: Timestamp,
    ) -> Result<bool, NodeError> {
        let answer = serde_json::to_string(answer).map_err(|e| StoreError::Corrupt {
            what: "idempotency answer",
            detail: e.to_string(),
        })?;
        Ok(tx
            .remember_answer(
                &self.idem.scope,
                &self.idem.key,
                &self.fingerprint,
                &answer,
                now,
            )
            .await?)
    }
}
