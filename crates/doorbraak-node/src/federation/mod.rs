//! The node's side of the federation contract: what it does with deliveries, requests and
//! fetches from other nodes. The caller is always the OIN of its verified certificate and must
//! be a member of the signed directory; every refusal is in the access log.

use std::sync::Arc;

use doorbraak_app::views::Stream;
use doorbraak_federation::identity::PeerIdentity;
use doorbraak_federation::transport::caller;
use doorbraak_model::{
    Actor, Escalation, Minutes, Oin, Role, RuleViolation, StreamKind, canonical,
};
use doorbraak_proto::v1;
use doorbraak_proto::v1::federation_server::Federation;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use doorbraak_app::{FedError, Node, NodeError};

mod status;
pub mod throttle;

use doorbraak_app::peers::fetch_all;
use doorbraak_app::repair::repair_replica;
use doorbraak_app::replica::{Unapplied, apply_delivery};
pub use status::rule_status;
use status::{federation_status, node_status, unlogged};

/// Most messages in one Deliver call, and events in one message.
const MAX_MESSAGES: usize = 1024;
use doorbraak_app::MAX_EVENTS;

/// Why applying a delivery stopped: a refusal for the sender, or a divergence to repair.
pub(super) enum Refusal {
    Status(Status),
    Diverged(FedError),
}

impl From<Status> for Refusal {
    fn from(s: Status) -> Self {
        Refusal::Status(s)
    }
}

/// A stream kind from the wire that crosses it (escalations and minutes); anything else is
/// refused as an invalid argument.
fn shared_kind(code: &str) -> Result<StreamKind, Status> {
    match code.parse::<StreamKind>() {
        Ok(k) if k.is_shared() => Ok(k),
        Ok(k) => Err(Status::invalid_argument(format!(
            "a {k} stays at its organisation; it never crosses the wire"
        ))),
        Err(e) => Err(Status::invalid_argument(e.to_string())),
    }
}

/// The gRPC service of a node.
pub struct FederationService {
    pub node: Arc<Node>,
    /// How often each peer's refusals are written to the access log one by one.
    throttle: throttle::Throttle,
}

impl FederationService {
    pub fn new(node: Arc<Node>) -> Self {
        Self {
            node,
            throttle: throttle::Throttle::default(),
        }
    }

    /// Who is calling: a member of the directory, by OIN and certificate fingerprint.
    async fn admit<T>(&self, req: &Request<T>, call: &str) -> Result<PeerIdentity, Status> {
        let peer = caller(req)?;
        if !self
            .node
            .directory()
            .admits(&peer.oin, &peer.fingerprint, self.node.now())
        {
            let refusal = federation_status(
                doorbraak_model::RefusalKind::Access,
                doorbraak_federation::delivery::RULE_NOT_A_MEMBER,
                format!(
                    "{} is not a member of the federation directory (or its certificate is not the listed one)",
                    peer.oin
                ),
            );
            return Err(self.refuse(&peer.oin, "federation", call, refusal).await);
        }
        // the peer is alive: deliver what waits for it now, with a fresh backoff
        if let Ok(n) = self.node.peer_is_alive(&peer.oin).await
            && n > 0
        {
            self.node.wake.notify_one();
        }
        Ok(peer)
    }

    /// Answer a refusal, recorded in the access log: one by one up to
    /// [`throttle::PER_WINDOW`] per peer and rule in a minute, the rest counted into the next
    /// entry (a flood of refused calls cannot fill the log, and none goes unrecorded).
    async fn refuse(&self, peer: &Oin, kind: &str, id: &str, status: Status) -> Status {
        let labels = doorbraak_app::metrics::PeerLabels {
            peer: peer.to_string(),
        };
        self.node.metrics.refusals.get_or_create(&labels).inc();
        let rule = throttle::rule_of(&status);
        let message: String = status.message().chars().take(120).collect();
        let outcome = match self.throttle.decide(peer, &rule, self.node.now()) {
            throttle::Decision::Count => {
                self.node
                    .metrics
                    .refusals_unlogged
                    .get_or_create(&labels)
                    .inc();
                return status;
            }
            throttle::Decision::Log { unlogged_before: 0 } => format!("refused:{message}"),
            throttle::Decision::Log { unlogged_before } => {
                tracing::warn!(peer = %peer, rule = %rule, unlogged_before, "a peer's refused calls were counted rather than logged one by one");
                format!(
                    "refused:{message} (and {unlogged_before} more {rule} refusals of this peer in the minute before, counted)"
                )
            }
        };
        match self
            .node
            .log_federation_refusal(peer, kind, id, outcome)
            .await
        {
            Ok(()) => status,
            Err(e) => unlogged(status, &e),
        }
    }

    /// Fill a gap before applying: fetch the missing events from the home.
    async fn fill_gap(&self, from: &Oin, m: &mut v1::Message, have: i64) -> Result<(), Status> {
        let kind = shared_kind(&m.stream_kind)?;
        m.events = fetch_all(&self.node, from, kind, &m.stream_id, have).await?;
        Ok(())
    }

    /// A meeting that arrives must belong to an escalation this node knows, scheduled by (and
    /// with participants of) that escalation's parties: nobody places minutes under someone
    /// else's escalation.
    async fn check_meetings(&self, from: &Oin, messages: &[v1::Message]) -> Result<(), Status> {
        use doorbraak_model::MinutesEvent;
        for m in messages
            .iter()
            .filter(|m| m.stream_kind == StreamKind::Minutes.code())
        {
            let events = doorbraak_proto::from_wire::<MinutesEvent>(&m.events)
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
            for e in &events {
                let MinutesEvent::Scheduled { id, meeting, .. } = &e.event.body else {
                    continue;
                };
                let esc = self
                    .node
                    .escalation(&meeting.escalation.to_string())
                    .await
                    .map_err(node_status)?;
                doorbraak_model::minutes::check_arriving_meeting(
                    esc.as_ref(),
                    from,
                    &m.stream_id,
                    id,
                    meeting,
                )
                .map_err(|v| rule_status(&v))?;
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
        let refuse = |why: String| {
            doorbraak_federation::refusal::with_rule(
                tonic::Code::InvalidArgument,
                "minutes.signature_invalid",
                why,
            )
        };
        let (Some(fed), Some(person)) = (self.node.federation.as_ref(), r.person.as_ref()) else {
            return Err(refuse("no person".into()));
        };
        let Some(sig) = signature else {
            return Err(self
                .refuse(
                    &peer.oin,
                    StreamKind::Minutes.code(),
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
        // checked against the directory version the signer had in force
        let dir = self
            .node
            .directory_version(sig.directory_serial)
            .await
            .map_err(node_status)?
            .map(doorbraak_app::directory::Directory::from_signed);
        let check = dir
            .ok_or_else(|| {
                format!(
                    "signed under directory version {}, which this node does not have (it has {}); the directory is reloaded from the operator",
                    sig.directory_serial,
                    self.node.directory().serial().unwrap_or(0)
                )
            })
            .and_then(|dir| {
                doorbraak_federation::signing::verify(&statement, &sig, &fed.tls.anchors, &dir)
                    .map_err(|e| e.to_string())
            })
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
                .refuse(
                    &peer.oin,
                    StreamKind::Minutes.code(),
                    &r.stream_id,
                    refuse(why),
                )
                .await),
        }
    }

    /// The stream a request acts on, if this node is its home and the caller one of its
    /// parties. Whatever the reason it is not (no such stream, a replica here, not a party),
    /// the answer is the same `access.not_a_party`: a member learns nothing of which stream ids
    /// exist at another node (as with FetchEvents).
    async fn party_stream<A>(&self, peer: &PeerIdentity, id: &str) -> Result<(), Status>
    where
        A: Stream,
    {
        let allowed = self
            .node
            .is_party::<A>(id, &peer.oin, true)
            .await
            .map_err(node_status)?;
        if allowed {
            Ok(())
        } else {
            let v = RuleViolation::NotAParty;
            Err(self
                .refuse(&peer.oin, A::KIND.code(), id, rule_status(&v))
                .await)
        }
    }

    /// Decide a forwarded command at this home ([`Self::party_stream`] checked first): the
    /// organisation is the caller's certificate; its person's role must exist at that kind of
    /// organisation and be one the directory lets it claim.
    async fn decide_request<A>(
        &self,
        peer: &PeerIdentity,
        r: &v1::CommandRequest,
    ) -> Result<v1::CommandResponse, Status>
    where
        A: Stream,
    {
        // without a person, the calling node itself acts: the model allows a party's node
        // only to confirm that it destroyed its replica (federation.node_acts_at_home_only)
        let Some(person) = r.person.as_ref() else {
            let cmd: A::Command = canonical::from_slice(&r.command)
                .map_err(|e| Status::invalid_argument(format!("command: {e}")))?;
            if Uuid::parse_str(&r.request_id).is_err() {
                return Err(Status::invalid_argument("request ids are UUIDs"));
            }
            let actor = Actor::system(peer.oin.clone());
            let applied = self
                .node
                .execute_once::<A>(&actor, &r.stream_id, &cmd, peer.oin.as_str(), &r.request_id)
                .await
                .map_err(node_status)?;
            let events = applied
                .events
                .iter()
                .map(doorbraak_proto::to_wire)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Status::internal(e.to_string()))?;
            return Ok(v1::CommandResponse {
                version: applied.version,
                events,
            });
        };
        let role: Role = person
            .role
            .parse()
            .map_err(|_| Status::invalid_argument("unknown role"))?;
        let member = self.node.directory().get(&peer.oin).cloned();
        let claim = match &member {
            Some(m) => doorbraak_model::check_claimed_role(role, m.kind, &m.person_roles),
            None => Err(RuleViolation::NotAParty),
        };
        if let Err(v) = claim {
            tracing::warn!(peer = %peer.oin, role = %role, rule = v.rule(), "refused a forwarded person in a role the member may not claim");
            return Err(self
                .refuse(&peer.oin, A::KIND.code(), &r.stream_id, rule_status(&v))
                .await);
        }
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
                .execute::<A>(&actor, &r.stream_id, &cmd, "remote_request")
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
    {
        let allowed = self
            .node
            .is_party::<A>(&r.stream_id, &peer.oin, false)
            .await
            .map_err(node_status)?;
        if !allowed {
            return Err(self
                .refuse(
                    &peer.oin,
                    A::KIND.code(),
                    &r.stream_id,
                    rule_status(&RuleViolation::NotAParty),
                )
                .await);
        }
        let events = self
            .node
            .events_for_party::<A>(&peer.oin, &r.stream_id, r.after_seq)
            .await
            .map_err(node_status)?;
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
        let peer = self.admit(&req, "identity").await?;
        let hello = req.get_ref();
        self.node.peer_announced(
            &peer.oin,
            &hello.software_version,
            [
                hello.event_version_oldest,
                hello.event_version_current,
                hello.event_version_newest,
            ],
        );
        Ok(Response::new(v1::IdentityResponse {
            oin: self.node.oin().to_string(),
            name: self.node.settings.name.clone(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            event_version_oldest: u32::from(doorbraak_model::OLDEST_EVENT_VERSION),
            event_version_current: u32::from(doorbraak_model::EVENT_VERSION),
            event_version_newest: u32::from(doorbraak_model::NEWEST_EVENT_VERSION),
        }))
    }

    async fn deliver(
        &self,
        req: Request<v1::DeliverRequest>,
    ) -> Result<Response<v1::DeliverResponse>, Status> {
        let peer = self.admit(&req, "deliver").await?;
        // which instance of the peer sent it, as it says (for the log: the certificate decides
        // who the sender is)
        let instance = req
            .metadata()
            .get(doorbraak_federation::delivery::SENDER_METADATA)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(120)
            .collect::<String>();
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
        for m in &messages {
            tracing::debug!(target: "doorbraak::received", peer = %peer.oin, %instance,
                message_id = %m.message_id, "message received");
        }
        // a gap (e.g. this node joined the escalation later) is filled from the home first;
        // within a batch, a stream's later messages continue where its earlier ones end
        let mut next_seq: std::collections::HashMap<(String, String), i64> = Default::default();
        for kind in StreamKind::SHARED {
            let ids: Vec<&str> = messages
                .iter()
                .filter(|m| m.stream_kind == kind.code())
                .map(|m| m.stream_id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let versions = self
                .node
                .held_versions(kind.code(), &ids)
                .await
                .map_err(node_status)?;
            for id in ids {
                next_seq.insert(
                    (kind.code().to_owned(), id.to_owned()),
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
                // only a stream the sender is the home of is fetched from it: checked before
                // this node calls anyone back
                let of_sender = Uuid::parse_str(&m.stream_id)
                    .is_ok_and(|u| doorbraak_model::is_of_home(&u, &peer.oin));
                if !of_sender {
                    let e = NodeError::Federation(FedError::IdNotOfHome {
                        id: m.stream_id.clone(),
                        from: peer.oin.to_string(),
                    });
                    let kind = shared_kind(&m.stream_kind)?;
                    return Err(self
                        .refuse(&peer.oin, kind.code(), &m.stream_id, node_status(e))
                        .await);
                }
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
                            doorbraak_federation::refusal::unavailable(
                                "federation.replica_diverged",
                                format!("repair pending: {e}"),
                            )
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
        tracing::info!(
            peer = %peer.oin,
            kind = %r.stream_kind,
            trace_id = doorbraak_federation::trace::current_trace_id().unwrap_or_default(),
            "a party's command arrived for a stream of this home"
        );
        let resp = match shared_kind(&r.stream_kind)? {
            StreamKind::Minutes => {
                self.party_stream::<Minutes>(&peer, &r.stream_id).await?;
                self.check_approval_signature(&peer, &r).await?;
                self.decide_request::<Minutes>(&peer, &r).await?
            }
            _ => {
                self.party_stream::<Escalation>(&peer, &r.stream_id).await?;
                self.decide_request::<Escalation>(&peer, &r).await?
            }
        };
        Ok(Response::new(resp))
    }

    async fn aggregates(
        &self,
        req: Request<v1::AggregatesRequest>,
    ) -> Result<Response<v1::AggregatesResponse>, Status> {
        let peer = self.admit(&req, "aggregates").await?;
        if !doorbraak_app::ops::oversight::may_oversee(&self.node, &peer.oin) {
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
        let r = req.get_ref();
        let period = doorbraak_app::ops::oversight::wire_period(&r.from, &r.to)
            .map_err(|v| Status::invalid_argument(format!("{}: {}", v.rule(), v.message_en())))?;
        let figures = doorbraak_app::ops::oversight::figures(&self.node, self.node.now(), period)
            .await
            .map_err(node_status)?;
        self.node
            .log_federation_read(&peer.oin, "oversight", "aggregates")
            .await
            .map_err(node_status)?;
        Ok(Response::new(v1::AggregatesResponse {
            figures: canonical::to_vec(&figures).map_err(|e| Status::internal(e.to_string()))?,
        }))
    }

    async fn streams_of_home(
        &self,
        req: Request<v1::StreamsOfHomeRequest>,
    ) -> Result<Response<v1::StreamsOfHomeResponse>, Status> {
        let peer = self.admit(&req, "streams_of_home").await?;
        // only the caller's own streams, as this node holds them: nothing of anyone else's
        let held = self
            .node
            .streams_of_home_for(&peer.oin)
            .await
            .map_err(node_status)?;
        Ok(Response::new(v1::StreamsOfHomeResponse {
            streams: held
                .into_iter()
                .map(|(stream_kind, stream_id, version)| v1::HeldStream {
                    stream_kind,
                    stream_id,
                    version,
                })
                .collect(),
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
        let resp = match shared_kind(&r.stream_kind)? {
            StreamKind::Minutes => self.fetch::<Minutes>(&peer, &r).await?,
            _ => self.fetch::<Escalation>(&peer, &r).await?,
        };
        Ok(Response::new(resp))
    }
}
