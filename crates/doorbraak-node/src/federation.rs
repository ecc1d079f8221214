//! The node's side of the federation contract: what it does with deliveries, requests and
//! fetches from other nodes. The caller is always the OIN of its verified certificate and must
//! be a member of the signed directory; every refusal is in the access log.

use std::sync::Arc;

use doorbraak_federation::identity::PeerIdentity;
use doorbraak_federation::transport::caller;
use doorbraak_model::{Actor, Escalation, Minutes, Oin, Role, RuleViolation, canonical};
use doorbraak_proto::v1;
use doorbraak_proto::v1::federation_server::Federation;
use doorbraak_store::{AccessAction, AccessEntry, StoredEvent, Stream, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{FedError, Node, NodeError};

/// Most messages in one Deliver call, and events in one message.
const MAX_MESSAGES: usize = 1024;
const MAX_EVENTS: usize = 4096;

/// The JSON in a refusal's status details.
#[derive(Debug, Serialize, serde::Deserialize)]
struct RuleDetails {
    rule: String,
    message_nl: String,
    message_en: String,
}

/// A rule violation as a gRPC status, with the rule and both messages in the details.
pub fn rule_status(v: &RuleViolation) -> Status {
    let code = if v.is_access() {
        tonic::Code::PermissionDenied
    } else if v.is_input() {
        tonic::Code::InvalidArgument
    } else if matches!(v, RuleViolation::NotFound { .. }) {
        tonic::Code::NotFound
    } else {
        tonic::Code::FailedPrecondition
    };
    let details = serde_json::to_vec(&RuleDetails {
        rule: v.rule().into(),
        message_nl: v.message_nl(),
        message_en: v.message_en(),
    })
    .unwrap_or_default();
    Status::with_details(
        code,
        format!("{}: {}", v.rule(), v.message_en()),
        details.into(),
    )
}

/// A federation refusal with its rule code in the message and the details (the sender reads
/// the rule from the details, never from the sentence).
fn federation_status(code: tonic::Code, rule: &str, message_en: String) -> Status {
    let details = serde_json::to_vec(&RuleDetails {
        rule: rule.into(),
        message_nl: String::new(),
        message_en: message_en.clone(),
    })
    .unwrap_or_default();
    Status::with_details(code, format!("{rule}: {message_en}"), details.into())
}

fn node_status(e: NodeError) -> Status {
    match e {
        NodeError::Rule(v) => rule_status(&v),
        NodeError::Federation(FedError::NotHome { .. }) => federation_status(
            tonic::Code::PermissionDenied,
            doorbraak_federation::delivery::RULE_NOT_HOME,
            e.to_string(),
        ),
        NodeError::Federation(FedError::IdNotOfHome { .. }) => federation_status(
            tonic::Code::PermissionDenied,
            "federation.stream_id_of_home",
            e.to_string(),
        ),
        NodeError::Federation(FedError::Divergence { .. }) => {
            Status::aborted(format!("federation.replica_diverged: {e}"))
        }
        NodeError::Federation(FedError::NotAParty) => Status::permission_denied(e.to_string()),
        NodeError::Federation(FedError::Gap { .. }) => Status::failed_precondition(e.to_string()),
        NodeError::Federation(FedError::Wire(_)) | NodeError::Replay(_) => {
            Status::invalid_argument(e.to_string())
        }
        NodeError::Federation(FedError::Remote {
            rule, message_en, ..
        }) => Status::failed_precondition(format!("{rule}: {message_en}")),
        other => {
            tracing::error!(error = %other, "federation call failed");
            Status::internal("internal error")
        }
    }
}

/// A status from the home, as the requesting node's error (keeps the rule and messages).
pub fn remote_error(home: &Oin, s: Status) -> NodeError {
    if let Ok(d) = serde_json::from_slice::<RuleDetails>(s.details()) {
        let status = match s.code() {
            tonic::Code::PermissionDenied => 403,
            tonic::Code::InvalidArgument => 422,
            tonic::Code::NotFound => 404,
            _ => 409,
        };
        return FedError::Remote {
            status,
            rule: d.rule,
            message_nl: d.message_nl,
            message_en: d.message_en,
        }
        .into();
    }
    FedError::Unreachable {
        home: home.to_string(),
        detail: format!("{:?}: {}", s.code(), s.message()),
    }
    .into()
}

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
    A::Body: Serialize + DeserializeOwned + Send + Sync,
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
    A::Body: Serialize + DeserializeOwned + Send + Sync,
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
async fn apply_decoded<A>(
    node: &Node,
    tx: &mut Tx,
    from: &Oin,
    decoded: Vec<(&str, Vec<StoredEvent<A::Body>>)>,
) -> Result<(Vec<(String, i64)>, Applied<A>), NodeError>
where
    A: Stream,
    A::Body: Serialize + DeserializeOwned + Send + Sync,
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
        tx.event_ids(A::KIND, &overlapping, from_seq).await?
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
    for (id, events) in decoded {
        let Some((state, version, pending)) = states.get_mut(id) else {
            continue;
        };
        if let Some(s) = state.as_ref()
            && &s.home() != from
        {
            return Err(FedError::NotHome {
                home: s.home().to_string(),
                from: from.to_string(),
            }
            .into());
        }
        for e in events.iter().filter(|e| e.seq <= *version) {
            let local = pending
                .iter()
                .find(|p| p.seq == e.seq)
                .map(|p| p.event_id.to_string())
                .or_else(|| held.get(&(id.to_owned(), e.seq)).cloned());
            if let Some(local) = local
                && local != e.event_id.to_string()
            {
                return Err(FedError::Divergence {
                    kind: A::KIND,
                    id: id.to_owned(),
                    seq: e.seq,
                    local,
                    home_event: e.event_id.to_string(),
                }
                .into());
            }
        }
        let new: Vec<StoredEvent<A::Body>> =
            events.into_iter().filter(|e| e.seq > *version).collect();
        if let Some(first) = new.first() {
            if first.seq != *version + 1 {
                return Err(FedError::Gap {
                    have: *version,
                    got: first.seq,
                }
                .into());
            }
            let mut next = state.take();
            for e in &new {
                next = Some(A::apply(next, &e.event)?);
            }
            let next = next.ok_or(FedError::Wire("no state".into()))?;
            if &next.home() != from {
                return Err(FedError::NotHome {
                    home: next.home().to_string(),
                    from: from.to_string(),
                }
                .into());
            }
            if next.stream_id() != id {
                return Err(
                    FedError::Wire("the stream id is not the aggregate's own id".into()).into(),
                );
            }
            // the id names its home: nobody delivers a stream under another home's id
            if !uuid::Uuid::parse_str(id).is_ok_and(|u| doorbraak_model::is_of_home(&u, from)) {
                return Err(FedError::IdNotOfHome {
                    id: id.to_owned(),
                    from: from.to_string(),
                }
                .into());
            }
            if !next.parties().contains(node.oin()) {
                return Err(FedError::NotAParty.into());
            }
            *version += new.len() as i64;
            *state = Some(next);
            pending.extend(new);
        }
        entries.push(federation_entry(
            node,
            from,
            AccessAction::U,
            A::KIND,
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
    tx.log_access_many(&entries).await?;
    let finals = states
        .into_iter()
        .map(|(id, (state, version, _))| (id.to_owned(), (state, version)))
        .collect();
    Ok((versions, finals))
}

fn federation_entry(
    node: &Node,
    from: &Oin,
    action: AccessAction,
    kind: &str,
    id: &str,
    outcome: String,
) -> AccessEntry {
    AccessEntry {
        event_id: Uuid::now_v7(),
        action,
        at: node.now(),
        user_id: format!("node:{from}"),
        user_role: "federation".into(),
        on_behalf_of: None,
        org_oin: from.to_string(),
        object_type: kind.into(),
        object_id: id.into(),
        purpose: "federation".into(),
        outcome,
        source_node: node.oin().to_string(),
    }
}

/// Every event of a stream after `after` from `home`, page by page (each answer holds at most
/// [`MAX_EVENTS`]).
async fn fetch_all(
    node: &Node,
    home: &Oin,
    kind: &str,
    id: &str,
    after: i64,
) -> Result<Vec<v1::StoredEvent>, Status> {
    let fed = node
        .federation
        .as_ref()
        .ok_or_else(|| Status::unavailable("no federation"))?;
    let mut client = fed.peers.client(home)?;
    let mut events: Vec<v1::StoredEvent> = Vec::new();
    let mut after = after;
    loop {
        let page = client
            .fetch_events(v1::FetchEventsRequest {
                stream_kind: kind.to_owned(),
                stream_id: id.to_owned(),
                after_seq: after,
            })
            .await?
            .into_inner()
            .events;
        let n = page.len();
        after = page.last().map_or(after, |e| e.seq);
        events.extend(page);
        if n < MAX_EVENTS || events.len() > 1_000_000 {
            return Ok(events);
        }
    }
}

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
        %home, kind, %id, seq, local_event = %local, home_event = %home_event,
        "replica diverged from its home; repairing it from the home's log"
    );
    let now = node.now();
    let mut tx = node.store.begin().await?;
    tx.record_divergence(&doorbraak_store::Divergence {
        id: Uuid::now_v7(),
        stream_kind: (*kind).to_owned(),
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
    let wire = fetch_all(node, home, kind, id, 0)
        .await
        .map_err(|s| FedError::Unreachable {
            home: home.to_string(),
            detail: s.message().to_owned(),
        })?;
    match *kind {
        "escalation" => replace_from::<Escalation>(node, home, id, &wire).await,
        "minutes" => replace_from::<Minutes>(node, home, id, &wire).await,
        other => Err(FedError::Wire(format!("no replicas of kind '{other}'")).into()),
    }
}

async fn replace_from<A>(
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
    tx.divergences_repaired(A::KIND, id, now).await?;
    tx.log_access(&federation_entry(
        node,
        home,
        AccessAction::U,
        A::KIND,
        id,
        "repaired_from_home".into(),
    ))
    .await?;
    tx.commit().await?;
    tracing::warn!(%home, kind = A::KIND, %id, version = events.len(), "replica repaired from its home");
    Ok(())
}

/// Why applying a delivery stopped: a refusal for the sender, or a divergence to repair.
enum Refusal {
    Status(Status),
    Diverged(FedError),
}

impl From<Status> for Refusal {
    fn from(s: Status) -> Self {
        Refusal::Status(s)
    }
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
    if let Some(m) = fresh
        .iter()
        .find(|m| m.stream_kind != "escalation" && m.stream_kind != "minutes")
    {
        return Err(whole(
            FedError::Wire(format!("unknown stream kind '{}'", m.stream_kind)).into(),
        ));
    }
    let mut versions = Vec::new();
    for kind in ["escalation", "minutes"] {
        let of_kind: Vec<&v1::Message> = fresh
            .iter()
            .copied()
            .filter(|m| m.stream_kind == kind)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let r = match kind {
            "escalation" => apply_batch::<Escalation>(node, &mut tx, from, &of_kind).await,
            _ => apply_batch::<Minutes>(node, &mut tx, from, &of_kind).await,
        };
        match r {
            Ok(v) => versions.extend(v),
            Err(error) => {
                return Err(Unapplied {
                    kind,
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

/// The gRPC service of a node.
pub struct FederationService {
    pub node: Arc<Node>,
}

impl FederationService {
    /// Who is calling: a member of the directory, by OIN and certificate fingerprint.
    async fn admit<T>(&self, req: &Request<T>, call: &str) -> Result<PeerIdentity, Status> {
        let peer = caller(req)?;
        if !self.node.directory().admits(&peer.oin, &peer.fingerprint) {
            let entry = federation_entry(
                &self.node,
                &peer.oin,
                AccessAction::E,
                "federation",
                call,
                "refused:federation.not_a_member".into(),
            );
            let _ = self.node.store.log_access(&entry).await;
            return Err(federation_status(
                tonic::Code::PermissionDenied,
                doorbraak_federation::delivery::RULE_NOT_A_MEMBER,
                format!(
                    "{} is not a member of the federation directory (or its certificate is not the listed one)",
                    peer.oin
                ),
            ));
        }
        // the peer is alive: deliver what waits for it now, with a fresh backoff
        if let Ok(n) = self
            .node
            .store
            .reset_backoff(peer.oin.as_str(), self.node.now())
            .await
            && n > 0
        {
            self.node.wake.notify_one();
        }
        Ok(peer)
    }

    async fn refuse(&self, peer: &Oin, kind: &str, id: &str, status: Status) -> Status {
        let entry = federation_entry(
            &self.node,
            peer,
            AccessAction::E,
            kind,
            id,
            format!(
                "refused:{}",
                status.message().chars().take(120).collect::<String>()
            ),
        );
        let _ = self.node.store.log_access(&entry).await;
        status
    }

    /// Fill a gap before applying: fetch the missing events from the home.
    async fn fill_gap(&self, from: &Oin, m: &mut v1::Message, have: i64) -> Result<(), Status> {
        m.events = fetch_all(&self.node, from, &m.stream_kind, &m.stream_id, have).await?;
        Ok(())
    }

    /// A meeting that arrives must belong to an escalation this node knows, scheduled by (and
    /// with participants of) that escalation's parties: nobody places minutes under someone
    /// else's escalation.
    async fn check_meetings(&self, from: &Oin, messages: &[v1::Message]) -> Result<(), Status> {
        use doorbraak_model::MinutesEvent;
        for m in messages.iter().filter(|m| m.stream_kind == "minutes") {
            let events = doorbraak_proto::from_wire::<MinutesEvent>(&m.events)
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
            for e in &events {
                let MinutesEvent::Scheduled { id, meeting, .. } = &e.event.body else {
                    continue;
                };
                let bad = |why: &str| Status::invalid_argument(format!("meeting refused: {why}"));
                if id.to_string() != m.stream_id {
                    return Err(bad("the stream id is not the meeting's"));
                }
                let esc = self
                    .node
                    .escalation(&meeting.escalation.to_string())
                    .await
                    .map_err(node_status)?
                    .ok_or_else(|| bad("its escalation is unknown here"))?;
                if !esc.is_party(from) || !meeting.participants.iter().all(|p| esc.is_party(&p.org))
                {
                    return Err(bad(
                        "the scheduler and participants must be parties of its escalation",
                    ));
                }
            }
        }
        Ok(())
    }

    /// An approval that comes from another node must be signed by that node's certificate,
    /// over exactly what is approved.
    async fn check_approval_signature(
        &self,
        peer: &PeerIdentity,
        r: &v1::CommandRequest,
    ) -> Result<(), Status> {
        use doorbraak_model::MinutesCommand;
        let Ok(MinutesCommand::Approve {
            target,
            revision,
            content_hash,
            signature,
        }) = canonical::from_slice::<MinutesCommand>(&r.command)
        else {
            return Ok(());
        };
        let refuse =
            |why: String| Status::invalid_argument(format!("minutes.signature_invalid: {why}"));
        let (Some(fed), Some(person)) = (self.node.federation.as_ref(), r.person.as_ref()) else {
            return Err(refuse("no person".into()));
        };
        let Some(sig) = signature else {
            return Err(self
                .refuse(
                    &peer.oin,
                    "minutes",
                    &r.stream_id,
                    refuse("an approval from another node must be signed".into()),
                )
                .await);
        };
        let role: Role = person
            .role
            .parse()
            .map_err(|_| Status::invalid_argument("unknown role"))?;
        let Some(m) = self.node.minutes(&r.stream_id).await.map_err(node_status)? else {
            return Err(Status::not_found("no such minutes at this node"));
        };
        let statement = m.statement(
            target,
            revision,
            &content_hash,
            &doorbraak_model::PersonId::new(person.id.clone()),
            role,
            &peer.oin,
            sig.signed_at,
        );
        let dir = self.node.directory();
        let check = doorbraak_federation::signing::verify(&statement, &sig, &fed.tls.ca_der, &dir)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                use base64::Engine;
                let der = base64::engine::general_purpose::STANDARD
                    .decode(&sig.certificate)
                    .map_err(|e| e.to_string())?;
                if doorbraak_federation::identity::fingerprint(&der) == peer.fingerprint {
                    Ok(())
                } else {
                    Err("signed with another certificate than the caller's".into())
                }
            });
        match check {
            Ok(()) => Ok(()),
            Err(why) => Err(self
                .refuse(&peer.oin, "minutes", &r.stream_id, refuse(why))
                .await),
        }
    }

    async fn decide_request<A>(
        &self,
        peer: &PeerIdentity,
        r: &v1::CommandRequest,
    ) -> Result<v1::CommandResponse, Status>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + DeserializeOwned + Sync,
    {
        let local = self
            .node
            .store
            .load::<A>(&r.stream_id)
            .await
            .map_err(|e| node_status(e.into()))?;
        let Some(local) = local else {
            return Err(self
                .refuse(
                    &peer.oin,
                    A::KIND,
                    &r.stream_id,
                    Status::not_found("no such stream at this node"),
                )
                .await);
        };
        if &local.state.home() != self.node.oin() {
            return Err(Status::failed_precondition(
                "this node is not the home of the stream",
            ));
        }
        if !local.state.parties().contains(&peer.oin) {
            let v = RuleViolation::NotAParty;
            return Err(self
                .refuse(&peer.oin, A::KIND, &r.stream_id, rule_status(&v))
                .await);
        }
        let person = r
            .person
            .as_ref()
            .ok_or_else(|| Status::invalid_argument("person is required"))?;
        let role: Role = person
            .role
            .parse()
            .map_err(|_| Status::invalid_argument("unknown role"))?;
        if person.id.is_empty() || person.id.len() > 300 {
            return Err(Status::invalid_argument(
                "person id must be 1-300 characters",
            ));
        }
        let cmd: A::Command = canonical::from_slice(&r.command)
            .map_err(|e| Status::invalid_argument(format!("command: {e}")))?;
        // the organisation is the caller's certificate, never the message
        let actor = Actor::person(person.id.clone(), role, peer.oin.clone());
        let applied = if r.request_id.is_empty() {
            self.node
                .execute::<A>(&actor, &r.stream_id, &cmd, "remote_request", vec![])
                .await
        } else {
            if Uuid::parse_str(&r.request_id).is_err() {
                return Err(Status::invalid_argument("request ids are UUIDs"));
            }
            self.node
                .execute_once::<A>(&actor, &r.stream_id, &cmd, peer.oin.as_str(), &r.request_id)
                .await
        }
        .map_err(node_status)?;
        let events = applied
            .events
            .iter()
            .map(doorbraak_proto::to_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(v1::CommandResponse {
            version: applied.version,
            events,
        })
    }

    async fn fetch<A>(
        &self,
        peer: &PeerIdentity,
        r: &v1::FetchEventsRequest,
    ) -> Result<v1::FetchEventsResponse, Status>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
    {
        let local = self
            .node
            .store
            .load::<A>(&r.stream_id)
            .await
            .map_err(|e| node_status(e.into()))?;
        let allowed = local
            .as_ref()
            .is_some_and(|l| l.state.parties().contains(&peer.oin));
        if !allowed {
            return Err(self
                .refuse(
                    &peer.oin,
                    A::KIND,
                    &r.stream_id,
                    rule_status(&RuleViolation::NotAParty),
                )
                .await);
        }
        let events = self
            .node
            .store
            .events::<A>(&r.stream_id, r.after_seq.max(0))
            .await
            .map_err(|e| node_status(e.into()))?;
        let entry = federation_entry(
            &self.node,
            &peer.oin,
            AccessAction::R,
            A::KIND,
            &r.stream_id,
            "success".into(),
        );
        self.node
            .store
            .log_access(&entry)
            .await
            .map_err(|e| node_status(e.into()))?;
        Ok(v1::FetchEventsResponse {
            events: events
                .iter()
                .take(MAX_EVENTS)
                .map(doorbraak_proto::to_wire)
                .collect::<Result<_, _>>()
                .map_err(|e| Status::internal(e.to_string()))?,
        })
    }

    /// Apply a delivery (gaps already filled) with [`apply_delivery`]; a divergence is handed
    /// back for repair, every other refusal is logged and answered with its status.
    async fn apply_messages(
        &self,
        from: &Oin,
        messages: &[v1::Message],
    ) -> Result<v1::DeliverResponse, Refusal> {
        match apply_delivery(&self.node, from, messages).await {
            Ok(r) => Ok(r),
            Err(Unapplied {
                error: NodeError::Federation(d @ FedError::Divergence { .. }),
                ..
            }) => Err(Refusal::Diverged(d)),
            Err(Unapplied {
                kind,
                stream_id,
                error,
            }) => {
                if matches!(error, NodeError::Federation(FedError::NotHome { .. })) {
                    // only the home delivers: a sender that thinks it is the home of a stream
                    // this node knows under another home is a bug (or an attack)
                    tracing::warn!(peer = %from, error = %error, "refused a delivery from a node that is not the stream's home");
                }
                let status = node_status(error);
                Err(self.refuse(from, kind, &stream_id, status).await.into())
            }
        }
    }
}

#[tonic::async_trait]
impl Federation for FederationService {
    async fn identity(
        &self,
        req: Request<v1::IdentityRequest>,
    ) -> Result<Response<v1::IdentityResponse>, Status> {
        self.admit(&req, "identity").await?;
        Ok(Response::new(v1::IdentityResponse {
            oin: self.node.oin().to_string(),
            name: self.node.settings.name.clone(),
            software_version: env!("CARGO_PKG_VERSION").into(),
        }))
    }

    async fn deliver(
        &self,
        req: Request<v1::DeliverRequest>,
    ) -> Result<Response<v1::DeliverResponse>, Status> {
        let peer = self.admit(&req, "deliver").await?;
        let mut messages = req.into_inner().messages;
        if messages.len() > MAX_MESSAGES || messages.iter().any(|m| m.events.len() > MAX_EVENTS) {
            return Err(Status::resource_exhausted(format!(
                "at most {MAX_MESSAGES} messages of {MAX_EVENTS} events per call"
            )));
        }
        for m in &messages {
            if Uuid::parse_str(&m.message_id).is_err() || Uuid::parse_str(&m.stream_id).is_err() {
                return Err(Status::invalid_argument("message and stream ids are UUIDs"));
            }
        }
        // a gap (e.g. this node joined the escalation later) is filled from the home first;
        // within a batch, a stream's later messages continue where its earlier ones end
        let mut next_seq: std::collections::HashMap<(String, String), i64> = Default::default();
        for kind in ["escalation", "minutes"] {
            let ids: Vec<&str> = messages
                .iter()
                .filter(|m| m.stream_kind == kind)
                .map(|m| m.stream_id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let versions = self
                .node
                .store
                .versions(kind, &ids)
                .await
                .map_err(|e| node_status(e.into()))?;
            for id in ids {
                next_seq.insert(
                    (kind.to_owned(), id.to_owned()),
                    versions.get(id).copied().unwrap_or(0),
                );
            }
        }
        for m in &mut messages {
            let key = (m.stream_kind.clone(), m.stream_id.clone());
            let have = next_seq.get(&key).copied().unwrap_or(0);
            if let Some(first) = m.events.first()
                && first.seq > have + 1
            {
                self.fill_gap(&peer.oin, m, have).await?;
            }
            let last = m.events.last().map_or(have, |e| e.seq);
            next_seq.insert(key, have.max(last));
        }
        self.check_meetings(&peer.oin, &messages).await?;
        // a divergence is repaired from the home (the sender) once, then the batch is applied
        let mut repaired = false;
        loop {
            match self.apply_messages(&peer.oin, &messages).await {
                Ok(r) => return Ok(Response::new(r)),
                Err(Refusal::Status(s)) => return Err(s),
                Err(Refusal::Diverged(d)) if !repaired => {
                    repair_replica(&self.node, &peer.oin, &d)
                        .await
                        .map_err(|e| {
                            tracing::warn!(error = %e, "repairing a replica failed; the home retries");
                            Status::unavailable(format!("federation.replica_diverged: repair pending: {e}"))
                        })?;
                    repaired = true;
                }
                Err(Refusal::Diverged(d)) => return Err(node_status(d.into())),
            }
        }
    }

    async fn request(
        &self,
        req: Request<v1::CommandRequest>,
    ) -> Result<Response<v1::CommandResponse>, Status> {
        let peer = self.admit(&req, "request").await?;
        let r = req.into_inner();
        if Uuid::parse_str(&r.stream_id).is_err() {
            return Err(Status::invalid_argument("stream ids are UUIDs"));
        }
        let resp = match r.stream_kind.as_str() {
            "escalation" => self.decide_request::<Escalation>(&peer, &r).await?,
            "minutes" => {
                self.check_approval_signature(&peer, &r).await?;
                self.decide_request::<Minutes>(&peer, &r).await?
            }
            other => {
                return Err(Status::invalid_argument(format!(
                    "unknown stream kind '{other}'"
                )));
            }
        };
        Ok(Response::new(resp))
    }

    async fn aggregates(
        &self,
        req: Request<v1::AggregatesRequest>,
    ) -> Result<Response<v1::AggregatesResponse>, Status> {
        let peer = self.admit(&req, "aggregates").await?;
        if !crate::oversight::may_oversee(&self.node, &peer.oin) {
            return Err(self
                .refuse(
                    &peer.oin,
                    "oversight",
                    "aggregates",
                    Status::permission_denied(
                        "oversight.not_allowed: the directory gives this organisation no oversight role for this region",
                    ),
                )
                .await);
        }
        let figures = crate::oversight::compute(&self.node, self.node.now())
            .await
            .map_err(node_status)?;
        let entry = federation_entry(
            &self.node,
            &peer.oin,
            AccessAction::R,
            "oversight",
            "aggregates",
            "success".into(),
        );
        self.node
            .store
            .log_access(&entry)
            .await
            .map_err(|e| node_status(e.into()))?;
        Ok(Response::new(v1::AggregatesResponse {
            figures: canonical::to_vec(&figures).map_err(|e| Status::internal(e.to_string()))?,
        }))
    }

    async fn fetch_events(
        &self,
        req: Request<v1::FetchEventsRequest>,
    ) -> Result<Response<v1::FetchEventsResponse>, Status> {
        let peer = self.admit(&req, "fetch_events").await?;
        let r = req.into_inner();
        if Uuid::parse_str(&r.stream_id).is_err() {
            return Err(Status::invalid_argument("stream ids are UUIDs"));
        }
        let resp = match r.stream_kind.as_str() {
            "escalation" => self.fetch::<Escalation>(&peer, &r).await?,
            "minutes" => self.fetch::<Minutes>(&peer, &r).await?,
            other => {
                return Err(Status::invalid_argument(format!(
                    "unknown stream kind '{other}'"
                )));
            }
        };
        Ok(Response::new(resp))
    }
}
