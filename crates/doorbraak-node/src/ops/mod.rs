//! The typed application operations: what a person can do at this node, with typed inputs and
//! typed results, and no HTTP, HTML or gRPC in sight. The JSON API (`crate::api`) and the web
//! pages (`crate::web`) are adapters over these, side by side: a page never calls an API
//! handler and never reads untyped JSON.
//!
//! Moved here so far: lists, cases and escalations. The other areas (kwesties, minutes,
//! oversight, administration) still live in `crate::api` and move here the same way.

pub mod cases;
pub mod escalations;
pub mod lists;
