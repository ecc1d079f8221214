//! Rate limits per client address (tower_governor, a token bucket per key): the JSON API, and
//! the login routes. A request over the limit gets 429 with the rule `http.rate_limited`, a
//! Dutch and an English message and `Retry-After`; refusals are counted and logged (at most
//! one log line a second). The key is the TCP peer address: behind a reverse proxy, every
//! client shares the proxy's budget (see docs/SECURITY.md).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::IntoResponse;
use tower_governor::GovernorLayer;
use tower_governor::errors::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use crate::error::HttpError;

/// The peer address of the connection; requests that arrive without one (a router driven in
/// a test, not over a socket) share one key.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddress;

impl KeyExtractor for PeerAddress {
    type Key = IpAddr;
    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()))
    }
}

pub type Layer = GovernorLayer<PeerAddress, governor::middleware::NoOpMiddleware, axum::body::Body>;

/// What a limited route is, for the message and the log.
#[derive(Debug, Clone, Copy)]
pub enum Route {
    Api,
    Login,
}

/// A layer allowing a burst of `burst` requests per address, refilled one per `period`;
/// `None` when the limit is off.
pub fn layer(
    route: Route,
    burst: u32,
    period: Duration,
    refused: prometheus_client::metrics::counter::Counter,
) -> Option<Layer> {
    if burst == 0 || period.is_zero() {
        return None;
    }
    let config = GovernorConfigBuilder::default()
        .key_extractor(PeerAddress)
        .period(period)
        .burst_size(burst)
        .finish()?;
    let last_log = Arc::new(AtomicI64::new(0));
    Some(
        GovernorLayer::new(Arc::new(config)).error_handler(move |e| {
            refused.inc();
            let wait = match &e {
                GovernorError::TooManyRequests { wait_time, .. } => (*wait_time).max(1),
                _ => 1,
            };
            let now = jiff::Timestamp::now().as_second();
            if last_log.swap(now, Ordering::Relaxed) != now {
                tracing::warn!(route = ?route, retry_after = wait, "rate limit reached; requests refused with 429");
            }
            let (nl, en) = match route {
                Route::Api => (
                    format!("Te veel verzoeken vanaf dit adres; probeer het over {wait} seconden opnieuw"),
                    format!("Too many requests from this address; try again in {wait} seconds"),
                ),
                Route::Login => (
                    format!("Te vaak geprobeerd in te loggen vanaf dit adres; probeer het over {wait} seconden opnieuw"),
                    format!("Too many login attempts from this address; try again in {wait} seconds"),
                ),
            };
            let mut resp =
                HttpError::new(StatusCode::TOO_MANY_REQUESTS, "http.rate_limited", nl, en)
                    .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }),
    )
}

/// `route` with the layer on it, if there is one.
pub fn limited<S: Clone + Send + Sync + 'static>(
    route: axum::routing::MethodRouter<S>,
    layer: &Option<Layer>,
) -> axum::routing::MethodRouter<S> {
    match layer {
        Some(l) => route.layer(l.clone()),
        None => route,
    }
}

/// The login limit of a node's settings.
pub fn login_layer(node: &doorbraak_app::Node, limits: crate::config::RateLimits) -> Option<Layer> {
    let r = limits;
    layer(
        Route::Login,
        r.login_burst,
        Duration::from_secs(r.login_period_secs),
        node.metrics.rate_limited.clone(),
    )
}

/// The API limit of a node's settings.
pub fn api_layer(node: &doorbraak_app::Node, limits: crate::config::RateLimits) -> Option<Layer> {
    let r = limits;
    if r.api_per_second == 0 {
        return None;
    }
    layer(
        Route::Api,
        r.api_burst,
        Duration::from_secs(1) / r.api_per_second,
        node.metrics.rate_limited.clone(),
    )
}
