//! What this node answers another member, as the application sees it: the gRPC service
//! (`doorbraak-node`'s `federation`) admits the caller by its certificate and calls these; each
//! answer that shows something is in the access log before it leaves.

use super::*;

impl Node {
    /// A member called: it is alive, so what waits for it is due now (a fresh backoff).
    /// Returns how many outbox rows became due.
    pub async fn peer_is_alive(&self, peer: &Oin) -> Result<u64, NodeError> {
        Ok(self.store.reset_backoff(peer.as_str(), self.now()).await?)
    }

    /// Does this node hold the stream `id` of kind `A` (home or replica)?
    pub async fn holds<A: Stream>(&self, id: &str) -> Result<bool, NodeError> {
        Ok(self.store.load::<A>(id).await?.is_some())
    }

    /// Does this node hold the stream `id` of kind `A` with `peer` among its parties (and, with
    /// `at_home`, as its home)? Nothing of the stream's content leaves this function.
    pub async fn is_party<A: Stream>(
        &self,
        id: &str,
        peer: &Oin,
        at_home: bool,
    ) -> Result<bool, NodeError> {
        Ok(self.store.load::<A>(id).await?.is_some_and(|l| {
            (!at_home || &l.state.home() == self.oin()) && l.state.parties().contains(peer)
        }))
    }

    /// The stored versions of these streams of kind `kind` (those this node holds).
    pub async fn held_versions(
        &self,
        kind: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, i64>, NodeError> {
        Ok(self.store.versions(kind, ids).await?)
    }

    /// The events of stream `id` after `after` for a party `peer` (its read logged first).
    pub async fn events_for_party<A: Stream>(
        &self,
        peer: &Oin,
        id: &str,
        after: i64,
    ) -> Result<Vec<StoredEvent<A::Body>>, NodeError> {
        let events = self.store.events::<A>(id, after.max(0)).await?;
        self.log_federation_read(peer, A::KIND.code(), id).await?;
        Ok(events)
    }

    /// The streams of home `peer` that this node holds, with their versions (its read logged
    /// first): what a restored home asks every member.
    pub async fn streams_of_home_for(
        &self,
        peer: &Oin,
    ) -> Result<Vec<(String, String, i64)>, NodeError> {
        let held = self.store.streams_of_home(peer.as_str()).await?;
        self.log_federation_read(peer, "federation", "streams_of_home")
            .await?;
        Ok(held)
    }

    /// Log that another node read `kind`/`id` here (action R, success).
    pub async fn log_federation_read(
        &self,
        peer: &Oin,
        kind: &str,
        id: &str,
    ) -> Result<(), NodeError> {
        let entry = federation_entry(self, peer, AccessAction::R, kind, id, "success".into());
        Ok(self.store.log_access(&entry).await?)
    }

    /// Count the figures of the stored streams once, for a database older than the counters;
    /// `Some(n)` when `n` streams were counted.
    pub async fn build_figure_counts(&self) -> Result<Option<u64>, NodeError> {
        Ok(self
            .store
            .build_figure_counts(self.oin().as_str(), self.now())
            .await?)
    }

    /// How many streams this node holds (home and replica).
    pub async fn streams_held(&self) -> Result<i64, NodeError> {
        Ok(self
            .store
            .count(doorbraak_store::Table::Projections)
            .await?)
    }
}
