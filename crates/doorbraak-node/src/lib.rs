//! # doorbraak-node
//!
//! One organisation's node: people's commands go through `doorbraak-model` and are committed
//! by `doorbraak-store` in one transaction each (events, projection, outbox, access log). The
//! HTTP side (JSON API and the web UI) is axum; the deadline sweeper runs beside it.
#![forbid(unsafe_code)]

pub mod access_chain;
pub mod api;
pub mod app;
pub mod config;
pub mod directory;
pub mod error;
pub mod federation;
pub mod http;
pub mod idp;
pub mod lang;
pub mod limit;
pub mod logboek;
pub mod metrics;
pub mod ops;
pub mod record;
pub mod server;
pub mod telemetry;
pub mod time;
pub mod web;

pub use app::{Node, NodeError, User};
pub use config::{NodeConfig, Settings};
