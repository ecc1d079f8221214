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
