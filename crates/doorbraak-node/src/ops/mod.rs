//! The typed application operations: what a person can do at this node, with typed inputs and
//! typed results, and no HTTP, HTML or gRPC in sight. The JSON API (`crate::api`) and the web
//! pages (`crate::web`) are adapters over these, side by side: a page never calls an API
//! handler and never reads untyped JSON.
//!
//! Moved here so far: lists, cases, escalations, kwesties and meetings. The other areas
//! (oversight, administration) still live in `crate::api` and move here the same way.

pub mod cases;
pub mod escalations;
pub mod kwesties;
pub mod lists;
pub mod minutes;

use doorbraak_model::RuleViolation;

/// A stream id from a path or form: a UUID, in its canonical form.
pub fn stream_id(id: &str) -> Result<String, RuleViolation> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| RuleViolation::InvalidField {
            field: "id",
            reason: "not a UUID",
        })
}
