//! The outbox's delivery to the other members: `doorbraak-federation`'s delivery loop over
//! this node's store, peers and clock, counted in this node's metrics.

use super::*;
use doorbraak_federation::Backoff;
use doorbraak_federation::delivery::{Delivery, DeliveryObserver};

use crate::metrics::PeerLabels;

impl Node {
    /// Start the delivery loop of this node's outbox (if it is in a federation), until `stop`.
    pub fn spawn_delivery(
        self: &Arc<Self>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let delivery = Arc::new(self.delivery()?);
        Some(tokio::spawn(delivery.run(stop)))
    }

    /// The delivery loop of this node's outbox, if it is in a federation.
    fn delivery(self: &Arc<Self>) -> Option<Delivery> {
        let fed = self.federation.as_ref()?;
        let node = self.clone();
        Some(Delivery {
            store: self.store.clone(),
            peers: fed.peers.clone(),
            wake: self.wake.clone(),
            backoff: Backoff::default(),
            // stable across restarts: a restarted node takes over its own leases at once
            // instead of waiting for the lease of its killed predecessor to expire
            owner: format!("{}/{}", self.oin(), self.settings.instance),
            observer: Arc::new(Observer(self.clone())),
            clock: Arc::new(move || node.now()),
        })
    }

    /// Close the database (at stop, after every task ended).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The database's kind (`sqlite` or `postgres`).
    pub fn backend_name(&self) -> &'static str {
        self.store.backend().name()
    }

    /// Log what another node was refused here (action E, outcome `refused:…`).
    pub async fn log_federation_refusal(
        &self,
        from: &Oin,
        kind: &str,
        id: &str,
        outcome: String,
    ) -> Result<(), StoreError> {
        let entry = federation_entry(self, from, AccessAction::E, kind, id, outcome);
        self.store.log_access(&entry).await
    }
}

struct Observer(Arc<Node>);

impl DeliveryObserver for Observer {
    fn delivered(&self, destination: &str, messages: usize) {
        self.0
            .metrics
            .delivered
            .get_or_create(&PeerLabels {
                peer: destination.into(),
            })
            .inc_by(messages as u64);
    }
    fn dead_lettered(&self, destination: &str, _message_id: &str, _error: &str) {
        self.0
            .metrics
            .dead_letters
            .get_or_create(&PeerLabels {
                peer: destination.into(),
            })
            .inc();
    }
    fn failed(&self, destination: &str, _error: &str) {
        self.0
            .metrics
            .delivery_failures
            .get_or_create(&PeerLabels {
                peer: destination.into(),
            })
            .inc();
    }
}
