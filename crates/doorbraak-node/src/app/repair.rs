//! Fetching a stream's log from its home, and rebuilding a diverged replica from it.

use super::peers::fetch_all;
use super::*;

/// A replica diverged from its home (the error is a [`FedError::Divergence`]): record it,
/// count it, say so at WARN with both event ids, and rebuild the replica from the home's
/// whole log (the home is the truth), in one transaction.
pub async fn repair_replica(
    node: &Node,
    home: &Oin,
    divergence: &FedError,
) -> Result<(), NodeError> {
    let FedError::Divergence {
        kind,
        id,
        seq,
        local,
        home_event,
    } = divergence
    else {
        return Ok(());
    };
    node.metrics.replica_divergences.inc();
    tracing::warn!(
        %home, %kind, %id, seq, local_event = %local, home_event = %home_event,
        "replica diverged from its home; repairing it from the home's log"
    );
    let now = node.now();
    let mut tx = node.store.begin().await?;
    tx.record_divergence(&doorbraak_store::Divergence {
        id: Uuid::now_v7(),
        stream_kind: kind.code().to_owned(),
        stream_id: id.clone(),
        home_oin: home.to_string(),
        seq: *seq,
        local_event_id: local.clone(),
        home_event_id: home_event.clone(),
        detected_at: now,
        repaired_at: None,
    })
    .await?;
    tx.commit().await?;
    let wire = fetch_all(node, home, *kind, id, 0)
        .await
        .map_err(|s| FedError::Unreachable {
            home: home.to_string(),
            detail: s.message().to_owned(),
        })?;
    match *kind {
        StreamKind::Escalation => replace_from::<Escalation>(node, home, id, &wire).await,
        StreamKind::Minutes => replace_from::<Minutes>(node, home, id, &wire).await,
        other => Err(FedError::Wire(format!("no replicas of kind '{other}'")).into()),
    }
}

pub(super) async fn replace_from<A>(
    node: &Node,
    home: &Oin,
    id: &str,
    wire: &[v1::StoredEvent],
) -> Result<(), NodeError>
where
    A: Stream,
    A::Body: Serialize + DeserializeOwned + Send + Sync,
{
    let events =
        doorbraak_proto::from_wire::<A::Body>(wire).map_err(|e| FedError::Wire(e.to_string()))?;
    if events.first().is_some_and(|e| e.seq != 1) {
        return Err(FedError::Gap {
            have: 0,
            got: events[0].seq,
        }
        .into());
    }
    let state = doorbraak_model::replay::<A>(events.iter().map(|e| &e.event))?
        .ok_or(FedError::Wire("the home sent no events".into()))?;
    if &state.home() != home || state.stream_id() != id {
        return Err(FedError::NotHome {
            home: state.home().to_string(),
            from: home.to_string(),
        }
        .into());
    }
    if !state.parties().contains(node.oin()) {
        return Err(FedError::NotAParty.into());
    }
    let now = node.now();
    let mut tx = node.store.begin().await?;
    tx.replace_replica(id, &events, &state, now).await?;
    tx.divergences_repaired(A::KIND.code(), id, now).await?;
    tx.log_access(&federation_entry(
        node,
        home,
        AccessAction::U,
        A::KIND.code(),
        id,
        "repaired_from_home".into(),
    ))
    .await?;
    tx.commit().await?;
    tracing::warn!(%home, kind = A::KIND.code(), %id, version = events.len(), "replica repaired from its home");
    Ok(())
}
