//! # doorbraak-node
//!
//! One organisation's node: people's commands go through `doorbraak-model` and are committed
//! by `doorbraak-store` in one transaction each (events, projection, outbox, access log). The
//! HTTP side (JSON API and the web UI) is axum; the deadline sweeper runs beside it.
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod error;
pub mod federation;
pub mod http;
pub mod idp;
pub mod limit;
pub mod logboek;
pub mod record;
pub mod server;
pub mod telemetry;
pub mod web;

pub use config::{NodeConfig, Settings};
pub use doorbraak_app::{Node, NodeError, User};
