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
{
    let events =
        doorbraak_proto::from_wire::<A::Body>(wire).map_err(|e| FedError::Wire(e.to_string()))?;
    // the home's whole log, judged as a new replica judges a first delivery: every check on
    // every event (a repair is no way around them)
    let directory = node.directory();
    let members = |oin: &Oin| directory.get(oin).map(|m| m.kind);
    let receiver = doorbraak_model::acceptance::Receiver {
        me: node.oin(),
        now: node.now(),
        max_skew: node.max_clock_skew(),
        members: &members,
    };
    let receipt = doorbraak_model::acceptance::Receipt {
        stream_id: id,
        events: &events,
    };
    let (verdict, state) = doorbraak_model::acceptance::accept::<A, _>(
        None,
        0,
        |_| None,
        &receipt,
        home,
        &receiver,
        |_, _, _| {},
    )
    .map_err(|e| match e {
        doorbraak_model::acceptance::Refused::Rule(v) => NodeError::from(v),
        doorbraak_model::acceptance::Refused::Replay(r) => NodeError::from(r),
    })?;
    let state = match (verdict, state) {
        (doorbraak_model::acceptance::Verdict::Apply { from: 0 }, Some(state)) => state,
        (doorbraak_model::acceptance::Verdict::Gap { have, got }, _) => {
            return Err(FedError::Gap { have, got }.into());
        }
        _ => return Err(FedError::Wire("the home sent no whole log".into()).into()),
    };
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
