//! The canonical encoding of events and anything that is signed.
//!
//! Encoding: JSON canonicalised per RFC 8785 (JCS): object keys sorted by UTF-16 code units,
//! no insignificant whitespace, strings with minimal escaping, numbers in their shortest
//! form. Our events contain no floating-point numbers. Timestamps are RFC 3339 strings in
//! UTC; enums are `snake_case` strings or objects tagged with `"type"`.
//!
//! This is the form that is stored in event logs, sent inside federation messages (as bytes,
//! never re-encoded by protobuf) and signed. Changing it is a breaking change that needs a
//! new [`crate::EVENT_VERSION`].

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Errors of encoding or decoding the canonical form.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    #[error("canonical encoding failed: {0}")]
    Encode(String),
    #[error("not a valid event encoding: {0}")]
    Decode(#[from] serde_json::Error),
}

/// The canonical bytes of `value`.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError::Encode(e.to_string()))
}

/// The canonical form as a string.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, CanonicalError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| CanonicalError::Encode(e.to_string()))
}

/// Decode bytes in canonical (or any valid JSON) form.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CanonicalError> {
    Ok(serde_json::from_slice(bytes)?)
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
