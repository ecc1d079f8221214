//! Running a node: open the store and the directory, start the deadline sweeper, the HTTP
//! server and (with federation TLS) the gRPC server and the outbox delivery loop; stop cleanly
//! when `shutdown` resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use doorbraak_federation::Backoff;
use doorbraak_federation::delivery::{Delivery, DeliveryObserver};
use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_proto::v1::federation_server::FederationServer;
use doorbraak_store::Store;
use tokio::net::TcpListener;

use crate::app::Node;
use crate::config::Settings;
use crate::federation::FederationService;
use crate::metrics::PeerLabels;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create data dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {url}: {source}")]
    Store {
        url: String,
        source: doorbraak_store::StoreError,
    },
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    #[error(transparent)]
    DirectoryVersion(#[from] crate::directory::ReloadError),
    #[error("federation TLS: {0}")]
    Tls(#[from] doorbraak_federation::tls::TlsError),
    #[error("config key 'tls': {0}")]
    TlsConfig(String),
    #[error("the node certificate is for {cert}, but the config says node.oin = {config}")]
    WrongCertificate { cert: String, config: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(String),
}

fn tls_files(settings: &Settings) -> Result<Option<TlsFiles>, ServerError> {
    let t = &settings.tls;
    match (&t.ca, &t.cert, &t.key) {
        (None, None, None) => Ok(None),
        (Some(ca), Some(cert), Some(key)) => Ok(Some(TlsFiles {
            ca: ca.clone(),
            cert: cert.clone(),
            key: key.clone(),
            crl: t.crl.clone(),
        })),
        _ => Err(ServerError::TlsConfig(
            "set ca, cert and key together (or none for a standalone node)".into(),
        )),
    }
}

/// Build the node from its settings: data dir, database (migrated), TLS, directory.
pub async fn open(settings: Settings) -> Result<Arc<Node>, ServerError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| ServerError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let tls = tls_files(&settings)?
        .map(|f| TlsMaterial::load(&f))
        .transpose()?;
    if let Some(t) = &tls
        && t.own.oin != settings.oin
    {
        return Err(ServerError::WrongCertificate {
            cert: t.own.oin.to_string(),
            config: settings.oin.to_string(),
        });
    }
    let now = doorbraak_model::Timestamp::now();
    let directory = crate::directory::load(&settings, tls.as_ref(), now)?;
    let db_error = |source| ServerError::Store {
        url: doorbraak_store::redact(&settings.database_url),
        source,
    };
    // one process per SQLite file, refused before the database is touched
    let lock = doorbraak_store::process_lock::ProcessLock::acquire(&settings.database_url)
        .map_err(db_error)?;
    let store = Store::connect(&settings.database_url, settings.max_connections)
        .await
        .map_err(db_error)?;
    let node = Arc::new(Node::new(settings, store, directory, tls));
    node.hold(lock);
    node.load_restore_state()
        .await
        .map_err(|e| ServerError::Serve(format!("reading the restore state: {e}")))?;
    // a database older than the figure counters gets them once, before the node serves
    let building = std::time::Instant::now();
    match node
        .store
        .build_figure_counts(node.oin().as_str(), now)
        .await
    {
        Ok(Some(streams)) if streams > 0 => tracing::info!(
            streams,
            ms = building.elapsed().as_millis(),
            "built the figure counters from the stored streams"
        ),
        Ok(_) => {}
        Err(e) => {
            return Err(ServerError::Serve(format!(
                "building the figure counters: {e}"
            )));
        }
    }
    node.settle_directory().await?;
    node.directory_metrics();
    node.touch_peer_metrics();
    Ok(node)
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

/// Addresses a running node listens on.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub http: SocketAddr,
    pub grpc: Option<SocketAddr>,
}

/// Serve until `shutdown` resolves. `on_ready` receives the bound addresses.
pub async fn run(
    node: Arc<Node>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(Bound),
) -> Result<(), ServerError> {
    let addr = node.settings.http_listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let http = listener
        .local_addr()
        .map_err(|e| ServerError::Serve(e.to_string()))?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = vec![tokio::spawn(sweeper(node.clone(), stop_rx.clone()))];

    let mut grpc = None;
    if let Some(fed) = &node.federation {
        let gaddr = node.settings.grpc_listen;
        let glistener = TcpListener::bind(gaddr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: gaddr,
                source,
            })?;
        grpc = Some(
            glistener
                .local_addr()
                .map_err(|e| ServerError::Serve(e.to_string()))?,
        );
        let incoming = doorbraak_federation::transport::incoming(glistener, &fed.tls);
        let svc = FederationServer::new(FederationService::new(node.clone()))
            .max_decoding_message_size(doorbraak_federation::transport::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(doorbraak_federation::transport::MAX_MESSAGE_BYTES);
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let result = tonic::transport::Server::builder()
                .timeout(std::time::Duration::from_secs(30))
                .layer(doorbraak_federation::trace::TraceLayer)
                .layer(
                    tower_http::trace::TraceLayer::new_for_grpc()
                        .make_span_with(crate::telemetry::grpc_span::<tonic::body::Body>),
                )
                .add_service(svc)
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = stop.changed().await;
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "gRPC server failed");
            }
        }));
        let delivery = Arc::new(Delivery {
            store: node.store.clone(),
            peers: fed.peers.clone(),
            wake: node.wake.clone(),
            backoff: Backoff::default(),
            // stable across restarts: a restarted node takes over its own leases at once
            // instead of waiting for the lease of its killed predecessor to expire
            owner: format!("{}/{}", node.oin(), node.settings.instance),
            observer: Arc::new(Observer(node.clone())),
            clock: {
                let node = node.clone();
                Arc::new(move || node.now())
            },
        });
        tasks.push(tokio::spawn(delivery.run(stop_rx.clone())));
        tasks.push(tokio::spawn(directory_refresh(
            node.clone(),
            stop_rx.clone(),
        )));
        tasks.push(tokio::spawn(crl_refresh(node.clone(), stop_rx.clone())));
        node.greet_peers().await;
    }

    let app = http_router(node.clone());
    if let Some(addr) = node.settings.admin_listen {
        let admin = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let router = crate::api::monitoring_router(Arc::new(crate::api::Api::new(node.clone())));
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let served = axum::serve(admin, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the monitoring listener failed");
            }
        }));
    }
    tracing::info!(org = %node.oin(), %http, grpc = ?grpc, admin = ?node.settings.admin_listen, backend = node.store.backend().name(), "node ready");
    on_ready(Bound { http, grpc });
    // the peer address is the rate limits' key
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| ServerError::Serve(e.to_string()));
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    // what was logged since the last sweep is sealed before the node stops
    if let Err(e) = node.seal_access_log().await {
        tracing::warn!(error = %e, "sealing the access log at stop failed");
    }
    node.store.close().await;
    tracing::info!("node stopped");
    served
}

/// The lease of the sweeper's jobs (deadlines, records, sealing and archiving the access log,
/// reminders, mail, the store audit).
pub const SWEEPER_JOB: &str = "sweeper";

/// The deadline sweeper: at start (deadlines that passed while the node was down) and then
/// every interval. The database is the source of truth; no timer is kept in memory.
async fn sweeper(node: Arc<Node>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(node.settings.sweeper_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // the store audit runs at start and then about once a minute
    let audit_every = (60 / node.settings.sweeper_interval.as_secs().max(1)).max(1);
    let mut ticks: u64 = 0;
    // one instance of the node at a time runs these jobs; a dead one's lease runs out after
    // three intervals (at least 30 s) and the next instance's tick takes over
    let owner = format!("{}/{}", node.oin(), node.settings.instance);
    let hold = (3 * node.settings.sweeper_interval).max(std::time::Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => {
                let _ = node.store.release_job_lease(SWEEPER_JOB, &owner).await;
                return;
            }
        }
        let t = node.now();
        let until = t
            .checked_add(jiff::SignedDuration::try_from(hold).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(t);
        match node
            .store
            .take_job_lease(SWEEPER_JOB, &owner, t, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("the sweeper runs on another instance");
                continue;
            }
            Err(e) => {
                node.metrics.store_errors.inc();
                tracing::warn!(error = %e, "taking the sweeper's lease failed");
                continue;
            }
        }
        if node.relearning() {
            match node.relearn_pass().await {
                Ok(r) if !r.unreachable.is_empty() => {
                    tracing::info!(asked = r.asked, waiting_for = ?r.unreachable, "still re-learning after the restore");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "re-learning after the restore failed; trying again")
                }
            }
        }
        match node.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(marked = n, "deadline sweep"),
            Err(e) => {
                if matches!(e, crate::app::NodeError::Store(_)) {
                    node.metrics.store_errors.inc();
                }
                tracing::warn!(error = %e, "deadline sweep failed");
            }
        }
        match node.records_pass().await {
            Ok(p) if p.retained > 0 || p.proposed.is_some() || p.confirmed > 0 => {
                tracing::info!(retained = p.retained, proposed = ?p.proposed, confirmed = p.confirmed, "records pass");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "records pass failed"),
        }
        if let Err(e) = node.seal_access_log().await {
            tracing::warn!(error = %e, "sealing the access log failed");
        }
        if let Err(e) = node.remind().await {
            tracing::warn!(error = %e, "approval reminders failed");
        }
        match node.send_mails().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "notification mails"),
            Err(e) => tracing::warn!(error = %e, "sending notification mails failed"),
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = node.audit().await
        {
            tracing::warn!(error = %e, "store audit failed");
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = crate::web::session::purge(&node).await
        {
            tracing::warn!(error = %e, "forgetting ended web sessions failed");
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = node.archive_access_log().await
        {
            tracing::warn!(error = %e, "archiving the access log failed");
        }
        ticks += 1;
    }
}

/// The HTTP client of a refresh loop (10 s per fetch), or `None` (logged) if none can be made.
fn refresh_client(redirects: reqwest::redirect::Policy, what: &str) -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(redirects)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| tracing::error!(error = %e, "no HTTP client for the {what} refresh"))
        .ok()
}

/// Read the directory again every `directory.refresh_secs` (from its URL too, if set): a
/// manifest the operator published is taken up without a restart.
async fn directory_refresh(node: Arc<Node>, mut stop: tokio::sync::watch::Receiver<bool>) {
    if node.settings.directory.manifest.is_none() {
        return;
    }
    let Some(http) = refresh_client(reqwest::redirect::Policy::none(), "directory") else {
        return;
    };
    let mut interval = tokio::time::interval(node.settings.directory.refresh);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        node.refresh_directory(&http).await;
    }
}

/// Read the CRLs again every `tls.crl_refresh_secs`: a revocation takes effect without a
/// restart, and open connections of revoked certificates are closed.
async fn crl_refresh(node: Arc<Node>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(http) = refresh_client(reqwest::redirect::Policy::limited(3), "CRL") else {
        return;
    };
    let every = std::time::Duration::from_secs(node.settings.tls.crl_refresh_secs);
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        match node.refresh_crls(&http).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                closed = n,
                "revoked certificates: their open connections were closed"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the CRLs could not be read again; the ones in force stay")
            }
        }
    }
}

/// The node's HTTP router: the JSON API beside the web UI, under one body limit and one trace
/// layer.
pub fn http_router(node: Arc<Node>) -> axum::Router {
    let limit = node.settings.max_body_bytes;
    let api = Arc::new(crate::api::Api::new(node.clone()));
    let site = Arc::new(crate::web::Site::new(node));
    crate::web::router(site)
        .merge(crate::api::router(api))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::http_span::<axum::body::Body>),
        )
        // outermost: every request is served inside its trace (its `traceparent`, or a new one)
        .layer(doorbraak_federation::trace::TraceLayer)
}
