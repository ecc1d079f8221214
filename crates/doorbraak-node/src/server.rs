//! Running a node: open the store, start the deadline sweeper and the HTTP server, stop
//! cleanly when `shutdown` resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use doorbraak_store::Store;
use tokio::net::TcpListener;

use crate::api::{Api, router};
use crate::app::Node;
use crate::config::Settings;
use crate::directory::{Directory, Member};

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
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// Build the node from its settings: data dir, database (migrated), directory.
pub async fn open(settings: Settings) -> Result<Arc<Node>, ServerError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| ServerError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let store = Store::connect(&settings.database_url, settings.max_connections)
        .await
        .map_err(|source| ServerError::Store {
            url: doorbraak_store::redact(&settings.database_url),
            source,
        })?;
    let me = Member {
        oin: settings.oin.clone(),
        name: settings.name.clone(),
        kind: settings.kind,
        region: String::new(),
        endpoint: settings.grpc_listen.to_string(),
        roles: Vec::new(),
    };
    let directory = match &settings.directory_manifest {
        Some(path) => Directory::load(path, me)?,
        None => Directory::own(me),
    };
    Ok(Arc::new(Node::new(settings, store, directory)))
}

/// Serve until `shutdown` resolves. `on_ready` receives the bound HTTP address.
pub async fn run(
    node: Arc<Node>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let addr = node.settings.http_listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(ServerError::Serve)?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(sweeper(node.clone(), stop_rx));

    let app = router(Arc::new(Api::new(node.clone())));
    tracing::info!(org = %node.oin(), http = %local, backend = node.store.backend().name(), "node ready");
    on_ready(local);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve);
    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    node.store.close().await;
    tracing::info!("node stopped");
    served
}

/// The deadline sweeper: at start (deadlines that passed while the node was down) and then
/// every interval. The database is the source of truth; no timer is kept in memory.
async fn sweeper(node: Arc<Node>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(node.settings.sweeper_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        match node.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(marked = n, "deadline sweep"),
            Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
        }
    }
}
