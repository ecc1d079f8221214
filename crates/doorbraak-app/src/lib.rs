//! # doorbraak-app
//!
//! The application of one organisation's node: a person's command -> `doorbraak-model` -> one
//! store transaction (events + projection + outbox + access log). Nothing here re-implements a
//! rule. The adapters (the JSON API, the web pages and the federation's gRPC service in
//! `doorbraak-node`) call the per-area operations in [`ops`] and never the store.
#![forbid(unsafe_code)]

pub mod access_chain;
pub mod directory;
pub mod lang;
pub mod metrics;
pub mod ops;
pub mod sessions;
pub mod settings;
pub mod time;
pub mod views;

use std::time::Instant;

use doorbraak_model::escalation::EscalationCommand;
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    Actor, Aggregate, CaseRef, Escalation, Kwestie, Minutes, Oin, PersonId, ReplayError, Role,
    RuleViolation, StreamKind, Timestamp, canonical,
};
use doorbraak_store::{
    AccessAction, AccessEntry, CaseRow, Loaded, NewOutbox, Store, StoreError, StoredEvent, Stream,
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

use crate::directory::Directory;
use crate::metrics::{CommandLabels, Metrics};
use crate::settings::AppSettings as Settings;

mod error;
mod execute;
mod forward;
mod health;
mod idempotency;
mod inbox;
pub mod mail;
mod outbox;
pub mod peers;
mod reads;
mod records;
pub mod repair;
pub mod replica;
mod restore;
mod serving;
pub mod sweeper;

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
        trace_id: doorbraak_federation::trace::current_trace_id(),
        trail: trail(node, "federation", kind, id, Some(from)),
    }
}

pub use error::{FedError, NodeError};
pub use execute::Applied;
use idempotency::Keyed;
pub use idempotency::{IDEMPOTENCY_KEPT, Idempotency};
pub use records::RecordsPass;
pub use restore::Relearned;

/// An authenticated person of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// The Logboek Dataverwerkingen fields of an entry written now: the current trace's spans, the
/// external party a federation call came from, the processing activity of `purpose` in the
/// register, and the data subject (the pseudonymous case reference, where the object is a case).
fn trail(
    node: &Node,
    purpose: &str,
    object_type: &str,
    object_id: &str,
    from: Option<&Oin>,
) -> doorbraak_store::Trail {
    let t = doorbraak_federation::trace::current();
    doorbraak_store::Trail {
        span_id: t.as_ref().map(|t| t.span_id.clone()),
        parent_span_id: t.and_then(|t| t.parent_span_id),
        foreign_entity: from.map(|o| format!("urn:oin:{o}")),
        processing_activity: Some(node.settings.processing_activity(purpose)),
        data_subject: (object_type == ContentKind::Case.code()).then(|| object_id.to_owned()),
    }
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

/// Most days the development clock moves ahead.
pub const MAX_CLOCK_DAYS: i64 = 3650;

pub struct Node {
    pub settings: Settings,
    store: Store,
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
    /// Restored from a backup and not yet re-learned: no decisions on own shared streams.
    relearning: std::sync::atomic::AtomicBool,
    /// What each peer announced of its release in the greeting (by OIN).
    releases: RwLock<std::collections::HashMap<String, PeerRelease>>,
    /// On SQLite: this process's hold on the database file (one process per file).
    process_lock: std::sync::Mutex<Option<doorbraak_store::process_lock::ProcessLock>>,
}

/// The store itself, for tests that look behind the application (never for an adapter: the
/// feature is on only in dev-dependencies).
#[cfg(feature = "testing")]
impl Node {
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Node {
    /// Open the node's database at `database_url` (migrated; on SQLite held by this process
    /// alone, refused before the database is touched when another holds it).
    pub async fn open(
        settings: Settings,
        database_url: &str,
        max_connections: u32,
        directory: Directory,
        tls: Option<TlsMaterial>,
    ) -> Result<Self, StoreError> {
        let lock = doorbraak_store::process_lock::ProcessLock::acquire(database_url)?;
        let store = Store::connect(database_url, max_connections).await?;
        let node = Self::new(settings, store, directory, tls);
        node.hold(lock);
        Ok(node)
    }

    /// Keep `lock` for as long as the node lives.
    fn hold(&self, lock: Option<doorbraak_store::process_lock::ProcessLock>) {
        if let Ok(mut l) = self.process_lock.lock() {
            *l = lock;
        }
    }
}

/// A peer's release as it announced it in the greeting between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerRelease {
    pub software_version: String,
    pub events: doorbraak_model::EventVersions,
    /// Can this node and the peer exchange events (each reads what the other writes)?
    pub compatible: bool,
}

impl Node {
    fn new(
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
                tls.intermediates.clone(),
                &tls.key_pkcs8,
                settings.tls.rsa_padding,
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
            relearning: std::sync::atomic::AtomicBool::new(false),
            releases: RwLock::new(std::collections::HashMap::new()),
            process_lock: std::sync::Mutex::new(None),
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

    /// Give every per-peer metric a series for every other member (zero until something
    /// happens), so that an alert on it sees a value rather than nothing.
    pub fn touch_peer_metrics(&self) {
        let m = &self.metrics;
        for member in self.directory().members() {
            if &member.oin == self.oin() {
                continue;
            }
            let labels = crate::metrics::PeerLabels {
                peer: member.oin.to_string(),
            };
            drop(m.delivered.get_or_create(&labels));
            drop(m.delivery_failures.get_or_create(&labels));
            drop(m.pending.get_or_create(&labels));
            drop(m.oldest_pending.get_or_create(&labels));
            drop(m.dead_letters.get_or_create(&labels));
            drop(m.refusals.get_or_create(&labels));
            drop(m.refusals_unlogged.get_or_create(&labels));
        }
    }

    /// Replace the directory (after a verified reload).
    pub fn set_directory(&self, d: Directory) {
        if let Ok(mut g) = self.directory.write() {
            *g = Arc::new(d);
        }
        if let Some(f) = &self.federation {
            f.peers.reset();
        }
        self.directory_metrics();
        self.touch_peer_metrics();
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

    /// How far ahead of this node's clock a delivered event may be dated: the configured skew,
    /// and on a node whose development clock moves, the days it may move.
    pub fn max_clock_skew(&self) -> jiff::SignedDuration {
        let dev = if self.settings.clock_adjustable {
            jiff::SignedDuration::from_hours(24 * MAX_CLOCK_DAYS)
        } else {
            jiff::SignedDuration::ZERO
        };
        self.settings.max_clock_skew.saturating_add(dev)
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
            trace_id: doorbraak_federation::trace::current_trace_id(),
            // a person of another organisation acts here through its node: a foreign operation
            trail: trail(
                self,
                purpose(object_type),
                object_type,
                object_id,
                Some(actor.org()).filter(|o| *o != self.oin()),
            ),
        }
    }

    /// Log a refusal (action E, outcome `refused:<rule>`) and return it as the error; if even
    /// the log cannot be written, that is the error.
    pub(crate) async fn refused(
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

    /// The greeting this node sends: its release and event versions.
    pub fn greeting() -> v1::IdentityRequest {
        v1::IdentityRequest {
            software_version: env!("CARGO_PKG_VERSION").into(),
            event_version_oldest: u32::from(doorbraak_model::OLDEST_EVENT_VERSION),
            event_version_current: u32::from(doorbraak_model::EVENT_VERSION),
            event_version_newest: u32::from(doorbraak_model::NEWEST_EVENT_VERSION),
        }
    }

    /// Remember what a peer announced of its release (a peer of a release before the
    /// announcement sends nothing: then nothing is known). An incompatible peer is logged.
    pub fn peer_announced(&self, peer: &Oin, software: &str, versions: [u32; 3]) {
        let [Ok(oldest), Ok(writes), Ok(newest)] = versions.map(u16::try_from) else {
            return;
        };
        if writes == 0 {
            return;
        }
        // a peer that does not say how new it reads, reads up to what it writes
        let newest = newest.max(writes);
        let events = doorbraak_model::EventVersions {
            oldest,
            newest,
            writes,
        };
        let compatible = doorbraak_model::EventVersions::OURS.compatible(events);
        if !compatible {
            tracing::error!(peer = %peer, software, oldest, newest, writes, "a peer's release cannot exchange events with this one: upgrade one of the two");
        }
        if let Ok(mut r) = self.releases.write() {
            r.insert(
                peer.to_string(),
                PeerRelease {
                    software_version: software.chars().take(40).collect(),
                    events,
                    compatible,
                },
            );
        }
    }

    /// What a peer announced of its release, if it did.
    pub fn peer_release(&self, peer: &str) -> Option<PeerRelease> {
        self.releases.read().ok()?.get(peer).cloned()
    }

    /// Say hello to every member (an Identity call, announcing this node's release): a peer
    /// that kept messages for us while we were down resets its backoff and delivers them now,
    /// and its answer tells which release it runs.
    pub async fn greet_peers(self: &Arc<Self>) {
        let Some(fed) = &self.federation else { return };
        for m in self.directory().members() {
            if &m.oin == self.oin() {
                continue;
            }
            if let Ok(mut c) = fed.peers.client(&m.oin) {
                let oin = m.oin.clone();
                let node = self.clone();
                tokio::spawn(async move {
                    match c.identity(Node::greeting()).await {
                        Ok(r) => {
                            let r = r.into_inner();
                            node.peer_announced(
                                &oin,
                                &r.software_version,
                                [
                                    r.event_version_oldest,
                                    r.event_version_current,
                                    r.event_version_newest,
                                ],
                            );
                        }
                        Err(s) => {
                            tracing::debug!(peer = %oin, error = %s.message(), "peer not reachable at start");
                        }
                    }
                });
            }
        }
    }

    /// Re-read and verify the directory manifest; on failure the old directory stays.
    pub async fn reload_directory(&self) -> Result<usize, crate::directory::ReloadError> {
        use crate::directory::ReloadError;
        let d = crate::directory::load(
            &self.settings,
            self.federation.as_ref().map(|f| &f.tls),
            self.now(),
        )?;
        let old = self.directory();
        if let (Some(new), Some(in_use)) = (d.serial(), old.serial()) {
            if new < in_use {
                return Err(ReloadError::Older {
                    on_disk: new,
                    in_use,
                });
            }
            if new == in_use {
                if d.manifest == old.manifest {
                    return Ok(old.members().len());
                }
                return Err(ReloadError::SerialReused(new));
            }
        }
        self.keep_directory(&d).await?;
        let n = d.members().len();
        self.set_directory(d);
        Ok(n)
    }

    /// Keep a signed directory in the store under its serial (refused if the serial was kept
    /// with other content).
    pub async fn keep_directory(&self, d: &Directory) -> Result<(), crate::directory::ReloadError> {
        use crate::directory::ReloadError;
        let Some(m) = &d.manifest else {
            return Ok(());
        };
        let json = serde_json::to_string(m).map_err(|e| ReloadError::Store(e.to_string()))?;
        let kept = self
            .store
            .keep_directory(
                m.manifest.serial,
                m.manifest.issued_at,
                m.manifest.expires_at,
                &json,
                self.now(),
            )
            .await
            .map_err(|e| ReloadError::Store(e.to_string()))?;
        if kept == doorbraak_store::KeptDirectory::Different {
            return Err(ReloadError::SerialReused(m.manifest.serial));
        }
        Ok(())
    }

    /// At start: never go back. If the manifest file is older than the newest version this
    /// node accepted before, that version (verified again, and in force) is used instead.
    pub async fn settle_directory(&self) -> Result<(), crate::directory::ReloadError> {
        use crate::directory::ReloadError;
        let current = self.directory();
        let (Some(serial), Some(operator)) = (
            current.serial(),
            self.settings.directory.operator_fingerprint.as_deref(),
        ) else {
            return Ok(());
        };
        let newest = self
            .store
            .newest_directory()
            .await
            .map_err(|e| ReloadError::Store(e.to_string()))?;
        if let Some((kept_serial, json)) = newest
            && kept_serial > serial
        {
            let signed = crate::directory::kept(&json, operator)?;
            doorbraak_federation::directory::check_fresh(&signed, self.now())?;
            tracing::warn!(
                file = serial,
                kept = kept_serial,
                "the directory manifest file is older than the version accepted before; using the newer one"
            );
            self.set_directory(Directory::from_signed(signed));
            return Ok(());
        }
        self.keep_directory(&current).await
    }

    /// Set the directory gauges (serial, age, time to expiry) from the directory in force.
    pub fn directory_metrics(&self) {
        let d = self.directory();
        if let Some(m) = &d.manifest {
            let now = self.now().as_second();
            let m = &m.manifest;
            self.metrics
                .directory_serial
                .set(i64::try_from(m.serial).unwrap_or(i64::MAX));
            self.metrics
                .directory_age
                .set(now - m.issued_at.as_second());
            self.metrics
                .directory_expires_in
                .set(m.expires_at.as_second() - now);
        }
    }

    /// Fetch the manifest from the configured URL (if any) into the manifest file when it
    /// verifies and is newer, then reload the file when it holds a newer serial. Refusals are
    /// logged; the directory in use stays.
    pub async fn refresh_directory(&self, http: &reqwest::Client) {
        let d = &self.settings.directory;
        if let (Some(url), Some(path), Some(operator)) =
            (&d.url, &d.manifest, &d.operator_fingerprint)
        {
            match fetch_manifest(http, url, operator, self.now()).await {
                Ok(signed)
                    if self
                        .directory()
                        .serial()
                        .is_none_or(|s| signed.manifest.serial > s) =>
                {
                    if let Err(e) = write_atomically(path, &signed) {
                        tracing::warn!(error = %e, "the fetched directory manifest could not be written");
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "fetching the directory manifest failed; keeping the one in use")
                }
            }
        }
        let before = self.directory().serial();
        match self.reload_directory().await {
            Ok(n) if self.directory().serial() != before => {
                tracing::info!(members = n, serial = ?self.directory().serial(), "directory reloaded");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "directory reload refused; keeping the one in use")
            }
        }
        self.directory_metrics();
    }

    /// Read the CRLs again (the `tls.crl` file and `tls.crl_urls`); when they changed, every
    /// handshake from now on checks them, open connections of certificates they revoke are
    /// closed, and outgoing channels are made anew. Returns the connections closed. A list
    /// that cannot be read or fetched leaves the ones in force.
    pub async fn refresh_crls(&self, http: &reqwest::Client) -> Result<usize, String> {
        use rustls::pki_types::CertificateRevocationListDer;
        use rustls::pki_types::pem::PemObject;
        let Some(fed) = &self.federation else {
            return Ok(0);
        };
        let mut crls = match &self.settings.tls.crl {
            Some(p) => doorbraak_federation::tls::read_crls(p).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        for url in &self.settings.tls.crl_urls {
            let resp = http
                .get(url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| format!("{url}: {e}"))?;
            let bytes = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
            if bytes.len() > MAX_CRL_BYTES {
                return Err(format!("{url}: larger than 16 MiB"));
            }
            if bytes.starts_with(b"-----BEGIN") {
                for c in CertificateRevocationListDer::pem_slice_iter(&bytes) {
                    crls.push(c.map_err(|e| format!("{url}: {e}"))?);
                }
            } else {
                crls.push(CertificateRevocationListDer::from(bytes.to_vec()));
            }
        }
        if crls == fed.tls.revocation.crls() {
            return Ok(0);
        }
        fed.tls
            .revocation
            .set_crls(crls.clone())
            .map_err(|e| e.to_string())?;
        let closed = fed.tls.live.close_revoked(&crls);
        fed.peers.reset();
        self.metrics.crl_reloads.inc();
        self.metrics
            .revoked_connections_closed
            .inc_by(closed as u64);
        Ok(closed)
    }

    /// A kept directory version by serial (the current one without a store read).
    pub async fn directory_version(
        &self,
        serial: u64,
    ) -> Result<Option<crate::directory::SignedManifest>, NodeError> {
        let current = self.directory();
        if let Some(m) = current
            .manifest
            .as_ref()
            .filter(|m| m.manifest.serial == serial)
        {
            return Ok(Some(m.clone()));
        }
        let Some(json) = self.store.directory_version(serial).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&json).ok())
    }

    /// Archive the access log's sealed rows older than its term (`records.access_log_years`):
    /// each segment, ending at a signed checkpoint, is written to `archive/` beside the
    /// database and synced before its rows leave the database (one transaction, with the
    /// file's SHA-256). Returns how many rows were archived.
    pub async fn archive_access_log(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let cutoff = doorbraak_model::records::term_start(now, self.settings.access_log_years);
        let Some(seg) = self.store.archive_candidate(cutoff).await? else {
            return Ok(0);
        };
        let text = seg.to_jsonl()?;
        let name = format!(
            "archive/access-log-{:012}-{:012}.jsonl",
            seg.header.from_seq, seg.header.up_to_seq
        );
        let path = self.settings.data_dir.join(&name);
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("jsonl.tmp");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| NodeError::Io(format!("writing {}: {e}", path.display())))?;
        let digest = canonical::sha256_hex(text.as_bytes());
        self.store.commit_archive(&seg, &name, &digest, now).await?;
        tracing::info!(file = %name, rows = seg.links.len(), "access log segment archived");
        Ok(seg.links.len())
    }

    /// Seal the access log's new rows into its hash chain, and sign a checkpoint of the chain's
    /// head when one is due (every 1,000 links or every hour, whichever comes first; unsigned
    /// on a node without a key).
    pub async fn seal_access_log(&self) -> Result<(), NodeError> {
        const LINKS: i64 = 1000;
        const EVERY_SECS: i64 = 3600;
        let now = self.now();
        let due = |last: &Option<doorbraak_store::Checkpoint>,
                   head: &doorbraak_store::ChainHead| {
            match last {
                None => true,
                Some(c) => {
                    c.chain_seq != head.seq
                        && (head.seq - c.chain_seq >= LINKS
                            || now.as_second() - c.at.as_second() >= EVERY_SECS)
                }
            }
        };
        // a checkpoint that is due by time goes on the chain as it stood (e.g. at the last stop)
        // before new rows join it, so that what was sealed then can be archived as one segment
        if let Some(head) = self.store.seal_head().await? {
            let last = self.store.last_checkpoint().await?;
            if last.is_some() && due(&last, &head) {
                self.checkpoint(head, now).await?;
            }
        }
        let Some(head) = self.store.seal_access_log(now, 10_000).await? else {
            return Ok(());
        };
        let last = self.store.last_checkpoint().await?;
        if due(&last, &head) {
            self.checkpoint(head, now).await?;
        }
        Ok(())
    }

    /// Sign and record a checkpoint of the chain's head (unsigned on a node without a key).
    async fn checkpoint(
        &self,
        head: doorbraak_store::ChainHead,
        now: Timestamp,
    ) -> Result<(), NodeError> {
        let bytes = doorbraak_store::Checkpoint::signed_bytes(head.seq, &head.hash, now);
        let (algorithm, certificate, signature) =
            match self.federation.as_ref().and_then(|f| f.signer.as_ref()) {
                Some(s) => s
                    .sign_bytes(&bytes)
                    .map_err(|e| FedError::Wire(format!("signing a checkpoint failed: {e}")))?,
                None => Default::default(),
            };
        self.store
            .add_checkpoint(&doorbraak_store::Checkpoint {
                chain_seq: head.seq,
                chain_hash: head.hash,
                at: now,
                algorithm,
                certificate,
                signature,
            })
            .await?;
        Ok(())
    }

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
        let serial = self.directory().serial().unwrap_or(0);
        signer
            .sign(&statement, serial)
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

/// Most bytes of a fetched CRL.
const MAX_CRL_BYTES: usize = 16 << 20;

/// Most bytes of a fetched directory manifest.
const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Fetch and verify a manifest from `url` (signed by the operator, in force at `now`).
async fn fetch_manifest(
    http: &reqwest::Client,
    url: &str,
    operator: &str,
    now: Timestamp,
) -> Result<crate::directory::SignedManifest, String> {
    let resp = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_MANIFEST_BYTES as u64)
    {
        return Err("the manifest is larger than 4 MiB".into());
    }
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err("the manifest is larger than 4 MiB".into());
    }
    let signed: crate::directory::SignedManifest =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a signed manifest: {e}"))?;
    doorbraak_federation::directory::verify(&signed, operator).map_err(|e| e.to_string())?;
    doorbraak_federation::directory::check_fresh(&signed, now).map_err(|e| e.to_string())?;
    Ok(signed)
}

/// Write the manifest next to `path` and rename it into place (never a half-written file).
fn write_atomically(
    path: &std::path::Path,
    signed: &crate::directory::SignedManifest,
) -> Result<(), String> {
    let text = serde_json::to_string_pretty(signed).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("json.new");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
