//! Health, readiness, metrics and the OpenAPI document.

use super::*;

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn readyz(State(api): State<Arc<Api>>) -> Response {
    match api.node.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub(crate) async fn metrics(State(api): State<Arc<Api>>) -> Response {
    use doorbraak_store::Table;
    let node = &api.node;
    for (table, name) in [
        (Table::Events, "events"),
        (Table::OutboxPending, "outbox_pending"),
        (Table::AccessLog, "access_log"),
    ] {
        if let Ok(n) = node.store.count(table).await {
            node.metrics
                .rows
                .get_or_create(&crate::metrics::TableLabels { table: name })
                .set(n);
        }
    }
    if let Ok(n) = node
        .store
        .missed_deadlines(
            node.oin().as_str(),
            node.now(),
            2 * node.settings.sweeper_interval,
        )
        .await
    {
        node.metrics.missed_deadlines.set(n);
    }
    let now = node.now();
    if let Ok(peers) = node.store.peer_status().await {
        for p in peers {
            let labels = crate::metrics::PeerLabels {
                peer: p.destination.clone(),
            };
            node.metrics.pending.get_or_create(&labels).set(p.pending);
            let age = p
                .oldest_pending
                .map_or(0, |t| (now.as_second() - t.as_second()).max(0));
            node.metrics.oldest_pending.get_or_create(&labels).set(age);
        }
    }
    if let Some(f) = &node.federation
        && let Ok(c) = doorbraak_federation::identity::CertificateSummary::from_der(&f.tls.cert_der)
    {
        node.metrics
            .certificate_expires_in
            .set(c.not_after - now.as_second());
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.encode(),
    )
        .into_response()
}

pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
