//! The application layer: a person's command -> `doorbraak-model` -> one store transaction
//! (events + projection + outbox + access log). Nothing here re-implements a rule.

use std::time::Instant;

use doorbraak_model::escalation::EscalationCommand;
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    Actor, Aggregate, CaseRef, Escalation, Kwestie, Minutes, Oin, PersonId, ReplayError, Role,
    RuleViolation, StreamKind, Timestamp, canonical,
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

mod error;
mod execute;
mod forward;
mod idempotency;
mod inbox;
pub mod mail;
pub mod peers;
mod reads;
pub mod repair;
pub mod replica;
mod sweeper;

/// Most events in one message (a stream's log is fetched from its home in pages of this size).
pub const MAX_EVENTS: usize = 4096;

/// An access-log entry for what another node did here (or this node did on its behalf).
pub fn federation_entry(
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

pub use error::{FedError, NodeError};
pub use execute::Applied;
use idempotency::Keyed;
pub use idempotency::{IDEMPOTENCY_KEPT, Idempotency};

/// An authenticated person of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// The purpose recorded in the access log for each kind of object.
fn purpose(kind: &str) -> &'static str {
    match kind.parse::<StreamKind>() {
        Ok(StreamKind::Escalation) => "escalation_handling",
        Ok(StreamKind::Kwestie) => "kwestie_handling",
        Ok(StreamKind::Minutes) => "minutes_approval",
        Ok(StreamKind::Recommendation) => "quality_improvement",
        Err(_) if kind == ContentKind::Case.code() => "case_handling",
        Err(_) => "administration",
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
    /// Where notification mails go (`[mail]`); none: the in-app inbox only.
    pub mailer: Option<mail::Transport>,
    /// Days the clock is shifted (development only; see `dev.clock_offset_days`).
    clock_offset_days: std::sync::atomic::AtomicI64,
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
            store,
            directory,
            metrics: Metrics::default(),
            federation,
            wake: Arc::new(Notify::new()),
            applied: tokio::sync::broadcast::channel(4096).0,
            clock_offset_days: std::sync::atomic::AtomicI64::new(settings.clock_offset_days),
            mailer: settings.mail.as_ref().and_then(|m| {
                mail::Transport::new(m)
                    .map_err(|e| tracing::error!(error = %e, "notification mails cannot be sent"))
                    .ok()
            }),
            settings,
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
                24 * self.clock_offset_days(),
            ))
            .unwrap_or(now);
        Timestamp::from_millisecond(shifted.as_millisecond()).unwrap_or(shifted)
    }

    /// Days the development clock is ahead (0 in production).
    pub fn clock_offset_days(&self) -> i64 {
        self.clock_offset_days
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Move the development clock (only where `dev.clock_adjustable` allows it).
    pub fn set_clock_offset_days(&self, days: i64) -> Result<(), RuleViolation> {
        if !self.settings.clock_adjustable {
            return Err(RuleViolation::DevClockFixed);
        }
        self.clock_offset_days
            .store(days, std::sync::atomic::Ordering::Relaxed);
        Ok(())
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
    pub fn reload_directory(&self) -> Result<usize, crate::directory::ReloadError> {
        let d = crate::directory::load(&self.settings, self.federation.as_ref().map(|f| &f.tls))?;
        let old = self.directory();
        if let (Some(new), Some(old)) = (&d.manifest, &old.manifest)
            && new.manifest.issued_at < old.manifest.issued_at
        {
            return Err(crate::directory::ReloadError::Older {
                on_disk: new.manifest.issued_at.to_string(),
                in_use: old.manifest.issued_at.to_string(),
            });
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
}

pub use doorbraak_model::access::ContentAccess;

pub use doorbraak_model::access::{ContentKind, content_access, content_refused};

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
