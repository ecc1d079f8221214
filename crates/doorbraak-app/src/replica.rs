//! Applying the home's events to a replica: the checks (sender is the home, no gap, the id
//! names the home, this node is a party, overlapping events are the same) and the writes.

use super::*;
use doorbraak_model::acceptance::Verdict;
use doorbraak_store::Tx;

/// Apply events received from `from` (the stream's home) to the local replica, in `tx`.
/// Events already present are skipped; a gap is an error. The sender must be the home of the
/// stream and this node must be a party. Returns the new state and version.
pub async fn apply_in_tx<A>(
    node: &Node,
    tx: &mut Tx,
    from: &Oin,
    id: &str,
    events: Vec<StoredEvent<A::Body>>,
) -> Result<(A, i64), NodeError>
where
    A: Stream,
{
    let (_, mut states) = apply_decoded::<A>(node, tx, from, vec![(id, events)]).await?;
    match states.remove(id) {
        Some((Some(state), version)) => Ok((state, version)),
        _ => Err(FedError::Wire("no events".into()).into()),
    }
}

/// A stream's state while a batch is applied: state, version, events to write.
type Pending<A> = (
    Option<A>,
    i64,
    Vec<StoredEvent<<A as doorbraak_model::Aggregate>::Body>>,
);

/// Apply a batch of messages of one stream kind from `from` with a few multi-row statements
/// (the steady-state delivery path). Same checks as [`apply_in_tx`], message by message, in
/// order; returns (stream id, new version) per message.
pub async fn apply_batch<A>(
    node: &Node,
    tx: &mut Tx,
    from: &Oin,
    messages: &[&v1::Message],
) -> Result<Vec<(String, i64)>, NodeError>
where
    A: Stream,
{
    let mut decoded = Vec::with_capacity(messages.len());
    for m in messages {
        let events = doorbraak_proto::from_wire::<A::Body>(&m.events)
            .map_err(|e| FedError::Wire(e.to_string()))?;
        decoded.push((m.stream_id.as_str(), events));
    }
    Ok(apply_decoded::<A>(node, tx, from, decoded).await?.0)
}

/// The per-stream states after [`apply_decoded`]: state (None if still unknown) and version.
type Applied<A> = std::collections::HashMap<String, (Option<A>, i64)>;

/// Apply decoded messages `(stream id, events)` in order: the one place that checks that the
/// sender is the stream's home, that events follow on without a gap, that the stream id is the
/// aggregate's own and that this node is a party; then writes everything with a few multi-row
/// statements. Returns the version after each message and the final states.
pub(super) async fn apply_decoded<A>(
    node: &Node,
    tx: &mut Tx,
    from: &Oin,
    decoded: Vec<(&str, Vec<StoredEvent<A::Body>>)>,
) -> Result<(Vec<(String, i64)>, Applied<A>), NodeError>
where
    A: Stream,
{
    let mut ids: Vec<&str> = decoded.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let loaded = tx.load_many::<A>(&ids).await?;
    // where the home's events overlap what this node holds, they must be the same events
    let overlapping: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| {
            let have = loaded.get(*id).map_or(0, |l| l.version);
            decoded
                .iter()
                .any(|(i, evs)| i == id && evs.first().is_some_and(|e| e.seq <= have))
        })
        .collect();
    let held = if overlapping.is_empty() {
        std::collections::HashMap::new()
    } else {
        let from_seq = decoded
            .iter()
            .filter(|(i, _)| overlapping.contains(i))
            .filter_map(|(_, evs)| evs.first().map(|e| e.seq))
            .min()
            .unwrap_or(1);
        tx.event_ids(A::KIND.code(), &overlapping, from_seq).await?
    };
    let mut states: std::collections::HashMap<&str, Pending<A>> = ids
        .iter()
        .map(|id| {
            let (s, v) = loaded
                .get(*id)
                .map_or((None, 0), |l| (Some(l.state.clone()), l.version));
            (*id, (s, v, Vec::new()))
        })
        .collect();
    let mut versions = Vec::with_capacity(decoded.len());
    let mut entries = Vec::with_capacity(decoded.len());
    let mut notices: Vec<(String, super::inbox::Noticed)> = Vec::new();
    let directory = node.directory();
    let members = |oin: &Oin| directory.get(oin).map(|m| m.kind);
    let receiver = doorbraak_model::acceptance::Receiver {
        me: node.oin(),
        now: node.now(),
        max_skew: node.max_clock_skew(),
        members: &members,
    };
    for (id, events) in decoded {
        let Some((state, version, pending)) = states.get_mut(id) else {
            continue;
        };
        let receipt = doorbraak_model::acceptance::Receipt {
            stream_id: id,
            events: &events,
        };
        let held = |seq: i64| {
            pending
                .iter()
                .find(|p| p.seq == seq)
                .map(|p| p.event_id)
                .or_else(|| {
                    held.get(&(id.to_owned(), seq))
                        .and_then(|h| uuid::Uuid::parse_str(h).ok())
                })
        };
        let mut noticed = Vec::new();
        // the model decides; this only translates its verdict into writes or errors
        let (verdict, next) = doorbraak_model::acceptance::accept::<A, _>(
            state.take(),
            *version,
            held,
            &receipt,
            from,
            &receiver,
            |applied, event, seq| node.notices_of(applied, event, seq, &mut noticed),
        )
        .map_err(|e| match e {
            // a member delivering a stream that is not its own: who it is, not what it sent
            // (answered as an access refusal, as the gap check before it answers)
            doorbraak_model::acceptance::Refused::Rule(RuleViolation::StreamIdNotOfHome) => {
                NodeError::from(FedError::IdNotOfHome {
                    id: id.to_owned(),
                    from: from.to_string(),
                })
            }
            doorbraak_model::acceptance::Refused::Rule(v) => NodeError::from(v),
            doorbraak_model::acceptance::Refused::Replay(r) => NodeError::from(r),
        })?;
        *state = next;
        match verdict {
            Verdict::Skip => {}
            Verdict::Apply { from: first } => {
                let new: Vec<StoredEvent<A::Body>> = events.into_iter().skip(first).collect();
                notices.push((id.to_owned(), noticed));
                *version += new.len() as i64;
                pending.extend(new);
            }
            Verdict::Gap { have, got } => return Err(FedError::Gap { have, got }.into()),
            Verdict::Divergence { seq, local, home } => {
                return Err(FedError::Divergence {
                    kind: A::KIND,
                    id: id.to_owned(),
                    seq,
                    local: local.to_string(),
                    home_event: home.to_string(),
                }
                .into());
            }
        }
        entries.push(federation_entry(
            node,
            from,
            AccessAction::U,
            A::KIND.code(),
            id,
            "success".into(),
        ));
        versions.push((id.to_owned(), *version));
    }
    let items: Vec<doorbraak_store::BatchItem<'_, A>> = states
        .iter()
        .filter(|(_, (_, _, pending))| !pending.is_empty())
        .filter_map(|(id, (state, version, pending))| {
            state.as_ref().map(|s| doorbraak_store::BatchItem {
                id,
                version: *version,
                events: pending.iter().collect(),
                state: s,
            })
        })
        .collect();
    let now = node.now();
    tx.write_batch(&items, now).await?;
    // a destruction or a correction from the home is carried through this replica too
    let settling: Vec<String> = items
        .iter()
        .filter(|it| {
            it.events
                .iter()
                .any(|e| A::is_destruction(&e.event.body) || A::is_correction(&e.event.body))
        })
        .map(|it| it.id.to_owned())
        .collect();
    drop(items);
    for id in settling {
        if let Some(settled) = tx.settle::<A>(&id, now).await?
            && let Some((state, _, _)) = states.get_mut(id.as_str())
        {
            *state = Some(settled);
        }
    }
    tx.log_access_many(&entries).await?;
    for (id, noticed) in notices {
        node.to_inbox(tx, A::KIND, &id, noticed, now).await?;
    }
    let finals = states
        .into_iter()
        .map(|(id, (state, version, _))| (id.to_owned(), (state, version)))
        .collect();
    Ok((versions, finals))
}

/// Why a delivery was not applied: the error, and the kind and id of the stream it concerns.
#[derive(Debug)]
pub struct Unapplied {
    pub kind: &'static str,
    pub stream_id: String,
    pub error: NodeError,
}

/// Apply a delivery from `from` (gaps already filled) in one transaction: messages seen before
/// (by id) are skipped, the rest applied per stream kind with a few multi-row statements, their
/// ids recorded. All of it or nothing: a refusal of any message applies none. This is the
/// receiving half of the delivery protocol without its transport (the seeded simulation drives
/// it directly).
pub async fn apply_delivery(
    node: &Node,
    from: &Oin,
    messages: &[v1::Message],
) -> Result<v1::DeliverResponse, Unapplied> {
    let whole = |error: NodeError| Unapplied {
        kind: "federation",
        stream_id: "deliver".into(),
        error,
    };
    let mut tx = node.store.begin().await.map_err(|e| whole(e.into()))?;
    let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
    let seen = tx
        .seen_many(from.as_str(), &ids)
        .await
        .map_err(|e| whole(e.into()))?;
    let (fresh, dup): (Vec<&v1::Message>, Vec<&v1::Message>) =
        messages.iter().partition(|m| !seen.contains(&m.message_id));
    let duplicates: Vec<String> = dup.iter().map(|m| m.message_id.clone()).collect();
    let applied: Vec<String> = fresh.iter().map(|m| m.message_id.clone()).collect();
    if let Some(m) = fresh.iter().find(|m| {
        !m.stream_kind
            .parse::<StreamKind>()
            .is_ok_and(StreamKind::is_shared)
    }) {
        return Err(whole(
            FedError::Wire(format!("unknown stream kind '{}'", m.stream_kind)).into(),
        ));
    }
    let mut versions = Vec::new();
    for kind in StreamKind::SHARED {
        let of_kind: Vec<&v1::Message> = fresh
            .iter()
            .copied()
            .filter(|m| m.stream_kind == kind.code())
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let r = match kind {
            StreamKind::Escalation => {
                apply_batch::<Escalation>(node, &mut tx, from, &of_kind).await
            }
            _ => apply_batch::<Minutes>(node, &mut tx, from, &of_kind).await,
        };
        match r {
            Ok(v) => versions.extend(v),
            Err(error) => {
                return Err(Unapplied {
                    kind: kind.code(),
                    stream_id: of_kind[0].stream_id.clone(),
                    error,
                });
            }
        }
    }
    tx.mark_seen_many(&applied, from.as_str(), node.now())
        .await
        .map_err(|e| whole(e.into()))?;
    tx.commit().await.map_err(|e| whole(e.into()))?;
    node.metrics.received.inc_by(applied.len() as u64);
    for v in versions {
        let _ = node.applied.send(v);
    }
    Ok(v1::DeliverResponse {
        applied,
        duplicates,
    })
}
