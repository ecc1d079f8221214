//! Running a node: open the store and the directory, start the deadline sweeper, the HTTP
//! server and (with federation TLS) the gRPC server and the outbox delivery loop; stop cleanly
//! when `shutdown` resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_proto::v1::federation_server::FederationServer;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::federation::FederationService;
use doorbraak_app::Node;

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
        source: doorbraak_app::views::StoreError,
    },
    #[error(transparent)]
    Directory(#[from] doorbraak_app::directory::DirectoryError),
    #[error(transparent)]
    DirectoryVersion(#[from] doorbraak_app::directory::ReloadError),
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
    let t = &settings.app.tls;
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

/// An opened node with the server's settings: what [`run`] serves and [`http_router`] routes.
/// It derefs to the application's [`Node`] (the composition root and the tests reach the
/// application through it); the adapters get the server's settings beside it.
#[derive(Clone)]
pub struct Server {
    pub node: Arc<Node>,
    pub settings: Arc<Settings>,
}

impl std::ops::Deref for Server {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
}

/// Build the node from its settings: data dir, database (migrated), TLS, directory.
pub async fn open(settings: Settings) -> Result<Server, ServerError> {
    std::fs::create_dir_all(&settings.app.data_dir).map_err(|source| ServerError::DataDir {
        path: settings.app.data_dir.display().to_string(),
        source,
    })?;
    let tls = tls_files(&settings)?
        .map(|f| TlsMaterial::load(&f))
        .transpose()?;
    if let Some(t) = &tls
        && t.own.oin != settings.app.oin
    {
        return Err(ServerError::WrongCertificate {
            cert: t.own.oin.to_string(),
            config: settings.app.oin.to_string(),
        });
    }
    let now = doorbraak_model::Timestamp::now();
    let app = settings.app.clone();
    let directory = doorbraak_app::directory::load(&app, tls.as_ref(), now)?;
    let db_error = |source| ServerError::Store {
        url: doorbraak_app::views::redact(&settings.database_url),
        source,
    };
    let node = Arc::new(
        Node::open(
            app,
            &settings.database_url,
            settings.max_connections,
            directory,
            tls,
        )
        .await
        .map_err(db_error)?,
    );
    node.load_restore_state()
        .await
        .map_err(|e| ServerError::Serve(format!("reading the restore state: {e}")))?;
    // a database older than the figure counters gets them once, before the node serves
    let building = std::time::Instant::now();
    match node.build_figure_counts().await {
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
    Ok(Server {
        node,
        settings: Arc::new(settings),
    })
}

/// Addresses a running node listens on.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub http: SocketAddr,
    pub grpc: Option<SocketAddr>,
}

/// Serve until `shutdown` resolves. `on_ready` receives the bound addresses.
pub async fn run(
    server: Server,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(Bound),
) -> Result<(), ServerError> {
    let node = server.node.clone();
    let addr = server.settings.http_listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let http = listener
        .local_addr()
        .map_err(|e| ServerError::Serve(e.to_string()))?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = vec![tokio::spawn(doorbraak_app::sweeper::run(
        node.clone(),
        doorbraak_app::sessions::Sessions::new(
            &node,
            server.settings.web.session_idle(),
            server.settings.web.session_max_age(),
        ),
        stop_rx.clone(),
    ))];

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
        if let Some(delivery) = node.spawn_delivery(stop_rx.clone()) {
            tasks.push(delivery);
        }
        tasks.push(tokio::spawn(directory_refresh(
            node.clone(),
            stop_rx.clone(),
        )));
        tasks.push(tokio::spawn(crl_refresh(node.clone(), stop_rx.clone())));
        node.greet_peers().await;
    }

    let app = http_router(server.clone());
    if let Some(addr) = server.settings.admin_listen {
        let admin = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let router = crate::api::monitoring_router(Arc::new(crate::api::Api::new(
            server.node.clone(),
            server.settings.clone(),
        )));
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
    tracing::info!(org = %node.oin(), %http, grpc = ?grpc, admin = ?server.settings.admin_listen, backend = node.backend_name(), "node ready");
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
    node.close().await;
    tracing::info!("node stopped");
    served
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
pub fn http_router(server: Server) -> axum::Router {
    let limit = server.settings.max_body_bytes;
    let api = Arc::new(crate::api::Api::new(
        server.node.clone(),
        server.settings.clone(),
    ));
    let site = Arc::new(crate::web::Site::new(
        server.node.clone(),
        server.settings.clone(),
    ));
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
