//! The application layer: a person's command -> `doorbraak-model` -> one store transaction
//! (events + projection + outbox + access log). Nothing here re-implements a rule.

use std::time::Instant;

use doorbraak_model::escalation::EscalationCommand;
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    Actor, Aggregate, CaseRef, Escalation, Kwestie, Minutes, Oin, PersonId, ReplayError, Role,
    RuleViolation, Timestamp, canonical,
};
use doorbraak_store::{
    AccessAction, AccessEntry, CaseRow, Loaded, NewOutbox, Notification, Store, StoreError,
    StoredEvent, Stream,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use uuid::Uuid;

use std::sync::{Arc, RwLock};

use doorbraak_federation::tls::TlsMaterial;
use doorbraak_federation::transport::Peers;
use doorbraak_proto::v1;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::directory::Directory;
use crate::metrics::{CommandLabels, Metrics};

/// An authenticated person of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A rule of the model refused the command.
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log could not be folded (a bug or a corrupt store).
    #[error("inconsistent event log: {0}")]
    Replay(#[from] ReplayError),
    #[error("the change could not be committed after retries; try again")]
    Busy,
    /// Something about the federation (a peer, the wire, the home) went wrong.
    #[error(transparent)]
    Federation(#[from] FedError),
}

/// Federation failures of a node operation.
#[derive(Debug, thiserror::Error)]
pub enum FedError {
    #[error("only the home of a stream delivers its events ({home} is its home, not {from})")]
    NotHome { home: String, from: String },
    #[error("this organisation is not a party to the stream")]
    NotAParty,
    #[error("missing events: have up to {have}, got from {got}")]
    Gap { have: i64, got: i64 },
    /// The home's event at `seq` is not the one this replica holds: the replica diverged.
    #[error(
        "the replica of {kind} {id} diverged from its home at seq {seq}: here {local}, at the home {home_event}"
    )]
    Divergence {
        kind: &'static str,
        id: String,
        seq: i64,
        local: String,
        home_event: String,
    },
    /// A stream id names its home; this one does not name the sender.
    #[error("the stream id {id} does not belong to {from}: only its home delivers it")]
    IdNotOfHome { id: String, from: String },
    #[error("invalid message: {0}")]
    Wire(String),
    #[error("the home node {home} could not be reached: {detail}")]
    Unreachable { home: String, detail: String },
    /// The home refused the command by a rule.
    #[error("{rule}: {message_en}")]
    Remote {
        status: u16,
        rule: String,
        message_nl: String,
        message_en: String,
    },
    #[error("this node has no federation configured (no [tls] section)")]
    NotConfigured,
}

/// The result of a committed command (also what an idempotency key keeps).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "A: Serialize, A::Body: Serialize",
    deserialize = "A: DeserializeOwned, A::Body: DeserializeOwned"
))]
pub struct Applied<A: Aggregate> {
    pub id: String,
    pub version: i64,
    pub state: A,
    pub events: Vec<StoredEvent<A::Body>>,
}

/// A key that makes a command safe to retry: a repeated key returns the first answer and has
/// no second effect. `scope` separates whose keys they are: `user:<person id>` for this node's
/// people (the `Idempotency-Key` header, a web form's key), `peer:<OIN>` for requests another
/// node forwarded (the key is its request id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub scope: String,
    pub key: String,
}

impl Idempotency {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 128;

    /// A person's key, validated: 1-128 visible ASCII characters.
    pub fn for_user(user: &User, key: &str) -> Result<Self, RuleViolation> {
        if key.is_empty() || key.len() > Self::MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(RuleViolation::InvalidField {
                field: "Idempotency-Key",
                reason: "1-128 visible ASCII characters",
            });
        }
        Ok(Self {
            scope: format!("user:{}", user.id),
            key: key.to_owned(),
        })
    }

    /// The id of a stream that a keyed command creates: the same for every retry, naming
    /// `home` as its home.
    pub fn stream_id(&self, home: &Oin) -> Uuid {
        doorbraak_model::stream_uuid(
            home,
            doorbraak_model::derived_uuid("doorbraak/stream", &[&self.scope, &self.key]),
        )
    }

    /// The request id under which a keyed command is forwarded to the home: the same for every
    /// retry, so the home decides it once.
    fn request_id(&self) -> Uuid {
        doorbraak_model::derived_uuid("doorbraak/request", &[&self.scope, &self.key])
    }
}

/// How long idempotency keys are kept (at least 24 hours are promised).
pub const IDEMPOTENCY_KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(72);

/// An idempotency key with what it is used for (operation and object).
struct Keyed<'a> {
    idem: &'a Idempotency,
    fingerprint: String,
}

impl Keyed<'_> {
    /// The stored answer of this key, if it was used before; another use of the key is refused.
    async fn recall<T: DeserializeOwned>(
        &self,
        tx: &mut doorbraak_store::Tx,
    ) -> Result<Option<T>, NodeError> {
        match tx
            .idempotent_answer(&self.idem.scope, &self.idem.key)
            .await?
        {
            None => Ok(None),
            Some((fingerprint, _)) if fingerprint != self.fingerprint => {
                Err(RuleViolation::IdempotencyKeyReused.into())
            }
            Some((_, answer)) => serde_json::from_str(&answer).map(Some).map_err(|e| {
                StoreError::Corrupt {
                    what: "idempotency answer",
                    detail: e.to_string(),
                }
                .into()
            }),
        }
    }

    /// Keep `answer` for this key; false if the key was taken meanwhile (nothing written).
    async fn remember<T: Serialize>(
        &self,
        tx: &mut doorbraak_store::Tx,
        answer: &T,
        now: Timestamp,
    ) -> Result<bool, NodeError> {
        let answer = serde_json::to_string(answer).map_err(|e| StoreError::Corrupt {
            what: "idempotency answer",
            detail: e.to_string(),
        })?;
        Ok(tx
            .remember_answer(
                &self.idem.scope,
                &self.idem.key,
                &self.fingerprint,
                &answer,
                now,
            )
            .await?)
    }
}

/// A batch of a stream's events for one party, as it is put in the outbox.
#[derive(Debug, Serialize)]
pub struct EventBatch<'a, B> {
    pub stream_kind: &'static str,
    pub stream_id: &'a str,
    /// The organisation whose node holds the authoritative log.
    pub home: &'a Oin,
    pub events: &'a [StoredEvent<B>],
}

/// The purpose recorded in the access log for each kind of object.
fn purpose(kind: &str) -> &'static str {
    match kind {
        "escalation" => "escalation_handling",
        "kwestie" => "kwestie_handling",
        "minutes" => "minutes_approval",
        "recommendation" => "quality_improvement",
        "case" => "case_handling",
        _ => "administration",
    }
}

/// The federation side of a node: its TLS material and its channels to peers.
pub struct Federation {
    pub tls: TlsMaterial,
    pub peers: Arc<Peers>,
    /// Signs this node's approvals of minutes with the node certificate's key.
    pub signer: Option<doorbraak_federation::signing::Signer>,
}

pub struct Node {
    pub settings: Settings,
    pub store: Store,
    directory: Arc<RwLock<Arc<Directory>>>,
    pub metrics: Metrics,
    pub federation: Option<Federation>,
    /// Notified after every commit that added outbox rows: wakes the delivery loop.
    pub wake: Arc<Notify>,
    /// (stream id, version) after each received message is committed (for live views and
    /// benchmarks; nobody needs to listen).
    pub applied: tokio::sync::broadcast::Sender<(String, i64)>,
}

impl Node {
    pub fn new(
        settings: Settings,
        store: Store,
        directory: Directory,
        tls: Option<TlsMaterial>,
    ) -> Self {
        // the store's own line of defence: it appends only to this organisation's streams
        let store = store.owned_by(settings.oin.as_str());
        let directory = Arc::new(RwLock::new(Arc::new(directory)));
        let federation = tls.map(|tls| Federation {
            peers: Arc::new(Peers::new(&tls, directory.clone())),
            signer: doorbraak_federation::signing::Signer::new(
                tls.cert_der.clone(),
                &tls.key_pkcs8,
            )
            .map_err(|e| tracing::warn!(error = %e, "approvals will not be signed"))
            .ok(),
            tls,
        });
        Self {
            settings,
            store,
            directory,
            metrics: Metrics::default(),
            federation,
            wake: Arc::new(Notify::new()),
            applied: tokio::sync::broadcast::channel(4096).0,
        }
    }

    /// The current directory.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory
            .read()
            .map(|d| d.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Replace the directory (after a verified reload).
    pub fn set_directory(&self, d: Directory) {
        if let Ok(mut g) = self.directory.write() {
            *g = Arc::new(d);
        }
        if let Some(f) = &self.federation {
            f.peers.reset();
        }
    }

    pub fn directory_handle(&self) -> Arc<RwLock<Arc<Directory>>> {
        self.directory.clone()
    }

    pub fn oin(&self) -> &Oin {
        &self.settings.oin
    }

    /// The node's clock: UTC, whole milliseconds (as stored), shifted by the development
    /// clock offset if one is configured.
    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        let shifted = now
            .checked_add(jiff::SignedDuration::from_hours(
                24 * self.settings.clock_offset_days,
            ))
            .unwrap_or(now);
        Timestamp::from_millisecond(shifted.as_millisecond()).unwrap_or(shifted)
    }

    /// A fresh id for a stream this node opens: time-ordered, naming this node as its home.
    pub fn new_stream_id(&self) -> Uuid {
        doorbraak_model::stream_uuid(self.oin(), Uuid::now_v7())
    }

    pub fn actor(&self, user: &User) -> Actor {
        Actor::person(user.id.clone(), user.role, self.oin().clone())
    }

    fn entry(
        &self,
        actor: &Actor,
        action: AccessAction,
        object_type: &str,
        object_id: &str,
        outcome: String,
        now: Timestamp,
    ) -> AccessEntry {
        let (user_id, user_role) = match actor {
            Actor::Person { person, role, .. } => (person.0.clone(), role.code().to_owned()),
            Actor::System { .. } => ("system".to_owned(), "system".to_owned()),
        };
        AccessEntry {
            event_id: Uuid::now_v7(),
            action,
            at: now,
            user_id,
            user_role,
            on_behalf_of: None,
            org_oin: actor.org().to_string(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            purpose: purpose(object_type).to_owned(),
            outcome,
            source_node: self.oin().to_string(),
        }
    }

    /// Log a refusal (action E, outcome `refused:<rule>`) and return it as the error; if even
    /// the log cannot be written, that is the error.
    async fn refused(
        &self,
        actor: &Actor,
        kind: &str,
        id: &str,
        violation: RuleViolation,
        now: Timestamp,
    ) -> NodeError {
        let entry = self.entry(
            actor,
            AccessAction::E,
            kind,
            id,
            format!("refused:{}", violation.rule()),
            now,
        );
        match self.store.log_access(&entry).await {
            Ok(()) => violation.into(),
            Err(e) => e.into(),
        }
    }

    /// Decide `cmd` against the stream `id` and commit the outcome in one transaction: the
    /// events, the new projection, one outbox row per other party, the access-log row and any
    /// notifications. A refusal is logged (in its own transaction) and returned.
    pub async fn execute<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        notifications: Vec<Notification>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        self.execute_traced::<A>(actor, id, cmd, command, notifications, None)
            .await
    }

    /// [`Node::execute`] with an optional idempotency key: a repeated key returns the first
    /// answer and has no second effect, also when the command is forwarded to the home.
    pub async fn execute_keyed<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        key: Option<&Idempotency>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        self.execute_traced::<A>(actor, id, cmd, command, Vec::new(), key)
            .await
    }

    /// [`Node::execute`] with the span and metrics, and an optional idempotency key.
    async fn execute_traced<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        notifications: Vec<Notification>,
        key: Option<&Idempotency>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        let span = tracing::info_span!(
            "command",
            org = %self.oin(),
            kind = A::KIND,
            id = %id,
            command,
            role = actor.role().map_or("system", Role::code),
        );
        let started = Instant::now();
        let keyed = key.map(|idem| Keyed {
            idem,
            fingerprint: format!("{command}:{}:{id}", A::KIND),
        });
        let result = self
            .execute_inner::<A>(actor, id, cmd, notifications, None, keyed.as_ref())
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(NodeError::Rule(_)) => "refused",
            Err(_) => "error",
        };
        self.metrics
            .commands
            .get_or_create(&CommandLabels {
                kind: A::KIND,
                command,
                outcome,
            })
            .inc();
        self.metrics
            .command_seconds
            .observe(started.elapsed().as_secs_f64());
        let _enter = span.enter();
        match &result {
            Ok(a) => tracing::info!(version = a.version, "committed"),
            Err(NodeError::Rule(v)) => tracing::info!(rule = v.rule(), "refused"),
            Err(e) => tracing::warn!(error = %e, "failed"),
        }
        result
    }

    async fn execute_inner<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        notifications: Vec<Notification>,
        at: Option<Timestamp>,
        keyed: Option<&Keyed<'_>>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        for _attempt in 0..5 {
            let now = at.unwrap_or_else(|| self.now());
            let mut tx = self.store.begin().await?;
            // loaded (and on PostgreSQL locked) first: commands on one stream take turns, so a
            // key's first answer is visible to its repeat before the repeat decides anything
            let current = tx.load::<A>(id).await?;
            // a key seen before is answered with its first answer, not decided again
            if let Some(k) = keyed {
                match k.recall::<Applied<A>>(&mut tx).await {
                    Ok(Some(first)) => return Ok(first),
                    Ok(None) => {}
                    Err(NodeError::Rule(v)) => {
                        drop(tx);
                        return Err(self.refused(actor, A::KIND, id, v, now).await);
                    }
                    Err(e) => return Err(e),
                }
            }
            // One writer per stream, checked inside the transaction that appends: a stream whose
            // home is another organisation is a replica here, and its commands go to the home.
            if let Some(local) = current.as_ref()
                && &local.state.home() != self.oin()
            {
                drop(tx);
                let local = current.ok_or(ReplayError::NotACreation(A::KIND))?;
                return self.forward::<A>(actor, id, cmd, local, keyed).await;
            }
            let (state, version) = match current {
                Some(Loaded { state, version }) => (Some(state), version),
                None => (None, 0),
            };
            let events = match A::decide(state.as_ref(), cmd, actor, now) {
                Ok(events) => events,
                Err(violation) => {
                    drop(tx);
                    // a stream another member is the home of, not (yet) here: its replica is
                    // on its way (or this organisation is no party, which the home would say)
                    let violation = match violation {
                        RuleViolation::NotFound { .. }
                            if state.is_none() && self.foreign_home_of(id).is_some() =>
                        {
                            RuleViolation::ReplicaPending
                        }
                        v => v,
                    };
                    return Err(self.refused(actor, A::KIND, id, violation, now).await);
                }
            };
            let mut next = state;
            for e in &events {
                next = Some(A::apply(next, e)?);
            }
            let Some(next) = next else {
                return Err(ReplayError::NotACreation(A::KIND).into());
            };
            let stored = match tx.append(id, version, &events, &next, now).await {
                Ok(s) => s,
                // changed concurrently, or a replica of this id arrived meanwhile: decide again
                // on what is there now (a replica is then forwarded to its home)
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotHome { .. }) if version == 0 => continue,
                Err(e) => return Err(e.into()),
            };
            let own = self.oin().clone();
            let recipients: Vec<Oin> = next.parties().into_iter().filter(|p| p != &own).collect();
            // nothing BSN-shaped is stored, let alone sent: refused before anything is written
            let texts = events.iter().flat_map(|e| A::free_text(&e.body));
            if let Err(v) = doorbraak_model::privacy::check_free_text(texts) {
                drop(tx);
                return Err(self.refused(actor, A::KIND, id, v, now).await);
            }
            if !recipients.is_empty() {
                let payload = canonical::to_string(&EventBatch {
                    stream_kind: A::KIND,
                    stream_id: id,
                    home: &own,
                    events: &stored,
                })
                .map_err(StoreError::from)?;
                for to in &recipients {
                    tx.enqueue(&NewOutbox {
                        message_id: Uuid::now_v7(),
                        destination: to.to_string(),
                        kind: "events".into(),
                        stream_kind: Some(A::KIND.into()),
                        stream_id: Some(id.to_owned()),
                        payload: payload.clone(),
                        created_at: now,
                    })
                    .await?;
                }
            }
            let action = if version == 0 {
                AccessAction::C
            } else {
                AccessAction::U
            };
            tx.log_access(&self.entry(actor, action, A::KIND, id, "success".into(), now))
                .await?;
            for n in &notifications {
                tx.notify(n).await?;
            }
            let applied = Applied {
                id: id.to_owned(),
                version: version + i64::try_from(stored.len()).unwrap_or(0),
                state: next,
                events: stored,
            };
            // a concurrent repeat of the key got there first: answer as it did (next round)
            if let Some(k) = keyed
                && !k.remember(&mut tx, &applied, now).await?
            {
                continue;
            }
            tx.commit().await?;
            if !recipients.is_empty() {
                self.wake.notify_one();
            }
            return Ok(applied);
        }
        Err(NodeError::Busy)
    }

    /// Why a stream is not here: its replica is still on its way (the id names another member
    /// as its home), or it does not exist.
    pub fn absent(&self, what: &'static str, id: &str) -> RuleViolation {
        if self.foreign_home_of(id).is_some() {
            RuleViolation::ReplicaPending
        } else {
            RuleViolation::NotFound { what }
        }
    }

    /// The other member of the directory that a stream id names as its home, if any.
    pub fn foreign_home_of(&self, id: &str) -> Option<Oin> {
        let id = Uuid::parse_str(id).ok()?;
        let dir = self.directory();
        dir.members()
            .iter()
            .map(|m| &m.oin)
            .find(|o| *o != self.oin() && doorbraak_model::is_of_home(&id, o))
            .cloned()
    }

    /// Read a stream's state for a person; the read is logged before the content is returned.
    pub async fn read<A>(&self, user: &User, id: &str) -> Result<Loaded<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
    {
        let loaded = self.store.load::<A>(id).await?;
        let actor = self.actor(user);
        let now = self.now();
        let Some(loaded) = loaded else {
            let entry = self.entry(
                &actor,
                AccessAction::R,
                A::KIND,
                id,
                "not_found".into(),
                now,
            );
            self.store.log_access(&entry).await?;
            return Err(RuleViolation::NotFound { what: A::KIND }.into());
        };
        let allowed = match content_access(user.role, A::KIND) {
            ContentAccess::All => true,
            ContentAccess::WhereInvolved => loaded
                .state
                .involves(&PersonId::new(user.id.clone()), self.oin()),
            ContentAccess::Never => false,
        };
        if !allowed {
            let refusal = content_refused(user.role, A::KIND);
            let entry = self.entry(
                &actor,
                AccessAction::R,
                A::KIND,
                id,
                format!("refused:{}", refusal.rule()),
                now,
            );
            self.store.log_access(&entry).await?;
            return Err(refusal.into());
        }
        let entry = self.entry(&actor, AccessAction::R, A::KIND, id, "success".into(), now);
        self.store.log_access(&entry).await?;
        Ok(loaded)
    }

    /// Log a refused read (outcome `refused:<rule>`).
    pub async fn log_refusal(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
        rule: &str,
    ) -> Result<(), NodeError> {
        self.log_read_outcome(user, object_type, object_id, format!("refused:{rule}"))
            .await
    }

    /// Log a read of a list or other object (e.g. an overview) before it is shown.
    pub async fn log_read(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
    ) -> Result<(), NodeError> {
        self.log_read_outcome(user, object_type, object_id, "success".into())
            .await
    }

    async fn log_read_outcome(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
        outcome: String,
    ) -> Result<(), NodeError> {
        let entry = self.entry(
            &self.actor(user),
            AccessAction::R,
            object_type,
            object_id,
            outcome,
            self.now(),
        );
        self.store.log_access(&entry).await?;
        Ok(())
    }

    /// Add a private note (this organisation only; no outbox row, ever).
    pub async fn add_private_note(
        &self,
        user: &User,
        kind: &str,
        id: &str,
        text: &str,
        key: Option<&Idempotency>,
    ) -> Result<doorbraak_store::PrivateNote, NodeError> {
        let now = self.now();
        // a note stays here, and still never names anyone by BSN
        if let Err(v) = doorbraak_model::privacy::check_free_text([("text", text)]) {
            return Err(self
                .refused(&self.actor(user), "private_note", id, v, now)
                .await);
        }
        let keyed = key.map(|idem| Keyed {
            idem,
            fingerprint: format!("add_note:{kind}:{id}"),
        });
        let note = doorbraak_store::PrivateNote {
            id: Uuid::now_v7(),
            stream_kind: kind.to_owned(),
            stream_id: id.to_owned(),
            author: user.id.clone(),
            author_role: user.role.code().to_owned(),
            created_at: now,
            text: text.to_owned(),
        };
        let mut tx = self.store.begin().await?;
        if let Some(k) = &keyed {
            if let Some(first) = k.recall(&mut tx).await? {
                return Ok(first);
            }
            k.remember(&mut tx, &note, now).await?;
        }
        tx.add_private_note(&note).await?;
        tx.log_access(&self.entry(
            &self.actor(user),
            AccessAction::C,
            "private_note",
            id,
            "success".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        Ok(note)
    }

    /// Register a local case.
    pub async fn create_case(
        &self,
        user: &User,
        case_ref: &str,
        title: &str,
        key: Option<&Idempotency>,
    ) -> Result<CaseRow, NodeError> {
        let actor = self.actor(user);
        doorbraak_model::access::Operation::CreateCase.check(actor.role())?;
        let case_ref = CaseRef::parse(case_ref)?;
        doorbraak_model::text::require("title", title, doorbraak_model::text::MAX_SHORT)?;
        let now = self.now();
        if let Err(v) = doorbraak_model::privacy::check_free_text([("title", title)]) {
            return Err(self
                .refused(&actor, "case", case_ref.as_str(), v, now)
                .await);
        }
        let row = CaseRow {
            case_ref: case_ref.to_string(),
            title: title.to_owned(),
            responsible: user.id.clone(),
            created_by: user.id.clone(),
            created_at: now,
        };
        let keyed = key.map(|idem| Keyed {
            idem,
            fingerprint: format!("create_case:{}", row.case_ref),
        });
        let mut tx = self.store.begin().await?;
        if let Some(k) = &keyed {
            if let Some(first) = k.recall(&mut tx).await? {
                return Ok(first);
            }
            k.remember(&mut tx, &row, now).await?;
        }
        if !tx.insert_case(&row).await? {
            return Err(RuleViolation::AlreadyExists { what: "Case" }.into());
        }
        tx.log_access(&self.entry(
            &actor,
            AccessAction::C,
            "case",
            &row.case_ref,
            "success".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// One pass of the deadline sweeper: every stream whose deadline passed gets its overdue
    /// event (as the system actor) and a reminder. Returns how many were marked.
    pub async fn sweep(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let due = self.store.due(self.oin().as_str(), now, 500).await?;
        let system = Actor::system(self.oin().clone());
        let mut marked = 0;
        for (kind, id) in due {
            let result = match kind.as_str() {
                "escalation" => {
                    // only the home marks its steps; replicas receive the event
                    if !self.is_home::<Escalation>(&id).await? {
                        continue;
                    }
                    let note = self.reminder(&kind, &id, Role::TeamManager, now);
                    self.execute::<Escalation>(
                        &system,
                        &id,
                        &EscalationCommand::MarkOverdue,
                        "mark_overdue",
                        vec![note],
                    )
                    .await
                    .map(|_| ())
                }
                "minutes" => {
                    // remind this node's participants who have not answered yet
                    let notes = match self.minutes(&id).await? {
                        Some(m) => m
                            .meeting
                            .participants
                            .iter()
                            .filter(|p| &p.org == self.oin())
                            .filter(|p| {
                                [doorbraak_model::DocTarget::Main]
                                    .into_iter()
                                    .chain(
                                        (1..=m.addenda.len() as u32)
                                            .map(doorbraak_model::DocTarget::Addendum),
                                    )
                                    .any(|t| {
                                        m.awaiting(t)
                                            .iter()
                                            .any(|a| a.person == p.person && a.org == p.org)
                                    })
                            })
                            .map(|p| Notification {
                                id: Uuid::now_v7(),
                                created_at: now,
                                recipient_role: p.role.code().to_owned(),
                                recipient_person: Some(p.person.0.clone()),
                                stream_kind: kind.clone(),
                                stream_id: id.clone(),
                                kind: "approval_overdue".into(),
                                message_nl:
                                    "Een verslag wacht op uw goedkeuring; de termijn is verstreken"
                                        .into(),
                                message_en: "Minutes await your approval; the deadline has passed"
                                    .into(),
                            })
                            .collect(),
                        None => Vec::new(),
                    };
                    self.execute::<Minutes>(
                        &system,
                        &id,
                        &doorbraak_model::MinutesCommand::MarkOverdue,
                        "mark_overdue",
                        notes,
                    )
                    .await
                    .map(|_| ())
                }
                "kwestie" => {
                    let note = self.reminder(&kind, &id, Role::TeamManager, now);
                    self.execute::<Kwestie>(
                        &system,
                        &id,
                        &KwestieCommand::MarkOverdue,
                        "mark_overdue",
                        vec![note],
                    )
                    .await
                    .map(|_| ())
                }
                _ => Ok(()),
            };
            match result {
                Ok(()) => {
                    marked += 1;
                    self.metrics.overdue_marked.inc();
                }
                // another replica or a pickup got there first: nothing to do
                Err(NodeError::Rule(v)) => tracing::debug!(rule = v.rule(), %id, "not marked"),
                // one broken stream must not stop the sweep of the others
                Err(e) => tracing::warn!(error = %e, %id, "deadline sweep of one stream failed"),
            }
        }
        Ok(marked)
    }

    /// The auditor's checks over this node's store, exported as metrics (and logged at WARN
    /// when something is found); also forgets idempotency keys past their time.
    pub async fn audit(&self) -> Result<doorbraak_store::Audit, NodeError> {
        let audit = self.store.audit(self.oin().as_str()).await?;
        for (check, n) in audit.findings() {
            self.metrics
                .audit_findings
                .get_or_create(&crate::metrics::CheckLabels { check })
                .set(n);
        }
        if !audit.is_clean() {
            tracing::warn!(?audit, "the store audit found inconsistencies");
        }
        let before = self
            .now()
            .checked_sub(IDEMPOTENCY_KEPT)
            .unwrap_or(Timestamp::MIN);
        self.store.forget_answers(before).await?;
        Ok(audit)
    }

    fn reminder(&self, kind: &str, id: &str, role: Role, now: Timestamp) -> Notification {
        let (nl, en) = match kind {
            "escalation" => (
                "De oppaktermijn van een escalatiestap is verstreken",
                "The pickup deadline of an escalation step has passed",
            ),
            _ => (
                "De oppaktermijn van een kwestie is verstreken; opschalen naar het bestuur is mogelijk",
                "The pickup deadline of a kwestie has passed; escalation to the board is possible",
            ),
        };
        Notification {
            id: Uuid::now_v7(),
            created_at: now,
            recipient_role: role.code().to_owned(),
            recipient_person: None,
            stream_kind: kind.to_owned(),
            stream_id: id.to_owned(),
            kind: "deadline_passed".into(),
            message_nl: nl.into(),
            message_en: en.into(),
        }
    }

    /// Say hello to every member (an Identity call): a peer that kept messages for us while we
    /// were down resets its backoff and delivers them now.
    pub async fn greet_peers(&self) {
        let Some(fed) = &self.federation else { return };
        for m in self.directory().members() {
            if &m.oin == self.oin() {
                continue;
            }
            if let Ok(mut c) = fed.peers.client(&m.oin) {
                let oin = m.oin.clone();
                tokio::spawn(async move {
                    if let Err(s) = c.identity(v1::IdentityRequest {}).await {
                        tracing::debug!(peer = %oin, error = %s.message(), "peer not reachable at start");
                    }
                });
            }
        }
    }

    /// Re-read and verify the directory manifest; on failure the old directory stays.
    pub fn reload_directory(&self) -> Result<usize, crate::server::ServerError> {
        let d = crate::server::load_directory(
            &self.settings,
            self.federation.as_ref().map(|f| &f.tls),
        )?;
        let old = self.directory();
        if let (Some(new), Some(old)) = (&d.manifest, &old.manifest)
            && new.manifest.issued_at < old.manifest.issued_at
        {
            return Err(crate::server::ServerError::TlsConfig(format!(
                "the manifest on disk ({}) is older than the one in use ({}); refusing to go back",
                new.manifest.issued_at, old.manifest.issued_at
            )));
        }
        let n = d.members().len();
        self.set_directory(d);
        Ok(n)
    }

    /// This node's signature of `actor`'s approval (None on a node without federation keys).
    pub fn sign_approval(
        &self,
        minutes: &Minutes,
        target: doorbraak_model::DocTarget,
        revision: u32,
        content_hash: &str,
        actor: &Actor,
    ) -> Result<Option<doorbraak_model::ApprovalSignature>, NodeError> {
        let Some(signer) = self.federation.as_ref().and_then(|f| f.signer.as_ref()) else {
            return Ok(None);
        };
        let statement = minutes
            .approval_statement(target, revision, content_hash, actor, self.now())
            .ok_or(RuleViolation::NotAMeetingParticipant)?;
        signer
            .sign(&statement)
            .map(Some)
            .map_err(|e| FedError::Wire(format!("signing failed: {e}")).into())
    }

    /// Decide a request that another node sent on behalf of its person, at most once per
    /// (sender, request id).
    pub async fn execute_once<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        source: &str,
        request_id: &str,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        let key = Idempotency {
            scope: format!("peer:{source}"),
            key: request_id.to_owned(),
        };
        self.execute_traced::<A>(actor, id, cmd, "remote_request", Vec::new(), Some(&key))
            .await
    }

    /// Execute a command as if at `at` (seeding the demo with history, e.g. an escalation
    /// opened weeks ago). Development only; the API never calls this.
    pub async fn execute_at<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        at: Timestamp,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        self.execute_inner::<A>(actor, id, cmd, Vec::new(), Some(at), None)
            .await
    }

    async fn is_home<A>(&self, id: &str) -> Result<bool, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
    {
        Ok(self
            .store
            .load::<A>(id)
            .await?
            .is_some_and(|l| &l.state.home() == self.oin()))
    }

    /// Send a person's command on a replica to the stream's home, and apply the events the
    /// home appended (the home also delivers them through its outbox; duplicates are skipped).
    async fn forward<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        local: Loaded<A>,
        keyed: Option<&Keyed<'_>>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Serialize + Sync,
    {
        let home = local.state.home();
        let fed = self.federation.as_ref().ok_or(FedError::NotConfigured)?;
        let Actor::Person { person, role, .. } = actor else {
            return Err(FedError::Wire("only people's commands are forwarded".into()).into());
        };
        // The BSN check happens before anything leaves: on what the replica would decide.
        if let Ok(events) = A::decide(Some(&local.state), cmd, actor, self.now()) {
            let texts = events.iter().flat_map(|e| A::free_text(&e.body));
            if let Err(v) = doorbraak_model::privacy::check_free_text(texts) {
                return Err(self.refused(actor, A::KIND, id, v, self.now()).await);
            }
        }
        let command = canonical::to_vec(cmd).map_err(|e| FedError::Wire(e.to_string()))?;
        let mut client = fed.peers.client(&home).map_err(|s| FedError::Unreachable {
            home: home.to_string(),
            detail: s.message().to_owned(),
        })?;
        // a keyed command keeps its request id across retries (and restarts): the home decides
        // a request id once and answers a repeat with its first answer
        let request_id = keyed
            .map_or_else(Uuid::now_v7, |k| k.idem.request_id())
            .to_string();
        let call = |mut c: doorbraak_proto::v1::federation_client::FederationClient<
            tonic::transport::Channel,
        >,
                    command: Vec<u8>| {
            let request_id = request_id.clone();
            let (person, role) = (person.0.clone(), role.code().to_owned());
            async move {
                c.request(v1::CommandRequest {
                    stream_kind: A::KIND.into(),
                    stream_id: id.to_owned(),
                    person: Some(v1::Person { id: person, role }),
                    command,
                    request_id,
                })
                .await
            }
        };
        // one retry with the same request id when the answer was lost on the way: the home
        // decides a request id once
        let first = call(client.clone(), command.clone()).await;
        let answer = match first {
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
                ) =>
            {
                call(client.clone(), command).await
            }
            other => other,
        };
        let resp = answer
            .map_err(|s| crate::federation::remote_error(&home, s))?
            .into_inner();
        let events: Vec<StoredEvent<A::Body>> =
            doorbraak_proto::from_wire(&resp.events).map_err(|e| FedError::Wire(e.to_string()))?;
        // The home committed. Apply its events here; if this replica is behind (an earlier
        // event still on its way), fetch what is missing from the home first. A failure here is
        // not the command's failure: the home's outbox brings the events anyway.
        let mut all = events.clone();
        if events.first().is_some_and(|e| e.seq > local.version + 1)
            && let Ok(resp) = client
                .fetch_events(v1::FetchEventsRequest {
                    stream_kind: A::KIND.into(),
                    stream_id: id.to_owned(),
                    after_seq: local.version,
                })
                .await
            && let Ok(fetched) = doorbraak_proto::from_wire::<A::Body>(&resp.into_inner().events)
        {
            all = fetched;
        }
        let mut tx = self.store.begin().await?;
        match crate::federation::apply_in_tx::<A>(self, &mut tx, &home, id, all).await {
            Ok((state, version)) => {
                let applied = Applied {
                    id: id.to_owned(),
                    version,
                    state,
                    events,
                };
                // the answer is kept here too, so a retry is answered without asking the home
                if let Some(k) = keyed {
                    k.remember(&mut tx, &applied, self.now()).await?;
                }
                tx.commit().await?;
                Ok(applied)
            }
            Err(e) => {
                drop(tx);
                if let NodeError::Federation(d @ FedError::Divergence { .. }) = &e
                    && let Err(r) = crate::federation::repair_replica(self, &home, d).await
                {
                    tracing::warn!(error = %r, "repairing a replica failed; the next delivery tries again");
                }
                tracing::warn!(error = %e, "applying the home's answer locally failed; delivery will bring it");
                Ok(Applied {
                    id: id.to_owned(),
                    version: resp.version,
                    state: local.state,
                    events,
                })
            }
        }
    }

    /// Loaded state of an escalation, for checks that span aggregates (meetings).
    pub async fn escalation(&self, id: &str) -> Result<Option<Escalation>, NodeError> {
        Ok(self.store.load::<Escalation>(id).await?.map(|l| l.state))
    }

    /// Loaded minutes, for handlers that derive commands from the current state.
    pub async fn minutes(&self, id: &str) -> Result<Option<Minutes>, NodeError> {
        Ok(self.store.load::<Minutes>(id).await?.map(|l| l.state))
    }
}

pub use doorbraak_model::access::ContentAccess;

/// [`doorbraak_model::access::content_access`] for a stream or object kind code; a code that
/// is not case content is read by nobody through this path.
pub fn content_access(role: Role, kind: &str) -> ContentAccess {
    doorbraak_model::access::ContentKind::from_code(kind).map_or(ContentAccess::Never, |k| {
        doorbraak_model::access::content_access(role, k)
    })
}

/// The refusal for a read outside [`content_access`].
pub fn content_refused(role: Role, kind: &str) -> RuleViolation {
    use doorbraak_model::access::ContentKind;
    doorbraak_model::access::content_refused(
        role,
        ContentKind::from_code(kind).unwrap_or(ContentKind::Case),
    )
}

/// Names of the events, for API responses.
pub fn event_names<B: Serialize>(events: &[StoredEvent<B>]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            serde_json::to_value(&e.event.body)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        })
        .collect()
}
