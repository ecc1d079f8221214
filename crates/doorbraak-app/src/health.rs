//! The node's own health: whether it can serve, and its metrics with the gauges read fresh.

use super::*;

impl Node {
    /// Whether the node can serve: its database answers.
    pub async fn ready(&self) -> Result<(), NodeError> {
        Ok(self.store.ping().await?)
    }

    /// The metrics in the OpenMetrics text format, the gauges read from the store and the
    /// certificate now (a gauge that cannot be read keeps its last value).
    pub async fn metrics_text(&self) -> String {
        use doorbraak_store::Table;
        for (table, name) in [
            (Table::Events, "events"),
            (Table::OutboxPending, "outbox_pending"),
            (Table::AccessLog, "access_log"),
        ] {
            if let Ok(n) = self.store.count(table).await {
                self.metrics
                    .rows
                    .get_or_create(&crate::metrics::TableLabels { table: name })
                    .set(n);
            }
        }
        let now = self.now();
        if let Ok(n) = self
            .store
            .missed_deadlines(self.oin().as_str(), now, 2 * self.settings.sweeper_interval)
            .await
        {
            self.metrics.missed_deadlines.set(n);
        }
        if let Ok(peers) = self.store.peer_status().await {
            for p in peers {
                let labels = crate::metrics::PeerLabels {
                    peer: p.destination.clone(),
                };
                self.metrics.pending.get_or_create(&labels).set(p.pending);
                let age = p
                    .oldest_pending
                    .map_or(0, |t| (now.as_second() - t.as_second()).max(0));
                self.metrics.oldest_pending.get_or_create(&labels).set(age);
            }
        }
        if let Some(f) = &self.federation
            && let Ok(c) =
                doorbraak_federation::identity::CertificateSummary::from_der(&f.tls.cert_der)
        {
            self.metrics
                .certificate_expires_in
                .set(c.not_after - now.as_second());
        }
        self.metrics.encode()
    }
}
