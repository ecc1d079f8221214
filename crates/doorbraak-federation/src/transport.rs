//! The TLS edges of the gRPC transport: the server's accept loop (handshakes with our rustls
//! config, then hands verified streams to tonic, which exposes the peer certificates on every
//! request), and a pool of client channels, one per peer, reused for every call.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use doorbraak_model::Oin;
use doorbraak_proto::v1::federation_client::FederationClient;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

pub use crate::revocation::Revocable;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Request, Status};

use crate::directory::Directory;
use crate::identity::PeerIdentity;
use crate::tls::TlsMaterial;

/// Largest gRPC message a node sends or accepts.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Deadline of every outgoing call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept TCP connections on `listener`, complete the TLS handshake (client certificate
/// required, CRL checked) and yield the established streams. Failed handshakes are dropped.
/// Each connection is registered in `tls.live` with its peer's certificate, so that it is
/// closed when that certificate becomes revoked.
pub fn incoming(
    listener: TcpListener,
    tls: &TlsMaterial,
) -> ReceiverStream<Result<TlsStream<Revocable>, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(128);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server.clone());
    let live = tls.live.clone();
    tokio::spawn(async move {
        loop {
            // stop accepting (and free the port) when the server is gone
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = tx.closed() => return,
            };
            let (tcp, remote) = match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            if tx.is_closed() {
                return;
            }
            let (acceptor, conn_tx, live) = (acceptor.clone(), tx.clone(), live.clone());
            tokio::spawn(async move {
                let (conn, handle) = Revocable::new(tcp);
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(conn)).await {
                    Ok(Ok(stream)) => {
                        if let Some(chain) = stream.get_ref().1.peer_certificates() {
                            live.register(chain, handle);
                        }
                        let _ = conn_tx.send(Ok(stream)).await;
                    }
                    Ok(Err(e)) => tracing::info!(%remote, error = %e, "TLS handshake refused"),
                    Err(_) => tracing::info!(%remote, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// The verified identity of the caller of a request: the OIN in its client certificate.
pub fn caller<T>(req: &Request<T>) -> Result<PeerIdentity, Status> {
    let certs = req
        .peer_certs()
        .ok_or_else(|| Status::unauthenticated("no client certificate"))?;
    let leaf = certs
        .first()
        .ok_or_else(|| Status::unauthenticated("no client certificate"))?;
    PeerIdentity::from_der(leaf).map_err(|e| Status::unauthenticated(e.to_string()))
}

/// One channel per peer organisation, created on first use and reused.
pub struct Peers {
    tls: Arc<rustls::ClientConfig>,
    directory: Arc<RwLock<Arc<Directory>>>,
    channels: std::sync::Mutex<HashMap<Oin, Channel>>,
}

impl Peers {
    pub fn new(tls: &TlsMaterial, directory: Arc<RwLock<Arc<Directory>>>) -> Self {
        Self {
            tls: tls.client.clone(),
            directory,
            channels: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Forget cached channels (after a directory reload changed endpoints).
    pub fn reset(&self) {
        if let Ok(mut c) = self.channels.lock() {
            c.clear();
        }
    }

    /// A client for the member `oin`, over a reused channel; every call carries the current
    /// trace (`traceparent`).
    pub fn client(&self, oin: &Oin) -> Result<PeerClient, Status> {
        let mut channels = self
            .channels
            .lock()
            .map_err(|_| Status::internal("channel pool poisoned"))?;
        if let Some(ch) = channels.get(oin) {
            return Ok(client(ch.clone()));
        }
        let (endpoint, fingerprint) = {
            let dir = self
                .directory
                .read()
                .map_err(|_| Status::internal("directory lock poisoned"))?;
            let m = dir
                .get(oin)
                .filter(|m| !m.endpoint.is_empty())
                .ok_or_else(|| {
                    Status::not_found(format!("{oin} has no endpoint in the directory"))
                })?;
            let listed = dir.signed.then(|| m.certificates.clone());
            (m.endpoint.clone(), listed)
        };
        let ch = channel_pinned(&endpoint, self.tls.clone(), oin.clone(), fingerprint)?;
        channels.insert(oin.clone(), ch.clone());
        Ok(client(ch))
    }
}

/// What every outgoing call passes through: it adds the current trace.
pub type Interceptor = fn(tonic::Request<()>) -> Result<tonic::Request<()>, Status>;

/// A client to a peer.
pub type PeerClient =
    FederationClient<tonic::service::interceptor::InterceptedService<Channel, Interceptor>>;

fn add_trace(req: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
    Ok(crate::trace::with_traceparent(req))
}

fn client(ch: Channel) -> PeerClient {
    FederationClient::with_interceptor(ch, add_trace as Interceptor)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

/// A lazily connecting channel to `endpoint` over mutual TLS that only accepts a server whose
/// certificate carries `expected` as its OIN.
pub fn channel(
    endpoint: &str,
    tls: Arc<rustls::ClientConfig>,
    expected: Oin,
) -> Result<Channel, Status> {
    channel_pinned(endpoint, tls, expected, None)
}

/// Like [`channel`], and the server's certificate must be one listed for the member in the
/// signed directory, within its window at the time of connecting, so a superseded
/// certificate cannot pose as the member.
pub fn channel_pinned(
    endpoint: &str,
    tls: Arc<rustls::ClientConfig>,
    expected: Oin,
    listed: Option<Vec<crate::directory::ListedCertificate>>,
) -> Result<Channel, Status> {
    let uri: Uri = format!("http://{endpoint}")
        .parse()
        .map_err(|_| Status::invalid_argument(format!("bad endpoint '{endpoint}'")))?;
    let connector = tower::service_fn(move |uri: Uri| {
        let tls = tls.clone();
        let expected = expected.clone();
        let listed = listed.clone();
        async move {
            let host = uri
                .host()
                .unwrap_or("localhost")
                .trim_matches(['[', ']'])
                .to_owned();
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            let name = ServerName::try_from(host)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            let stream = tokio_rustls::TlsConnector::from(tls)
                .connect(name, tcp)
                .await?;
            let peer = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| PeerIdentity::from_der(c))
                .transpose()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
            match peer {
                Some(p)
                    if p.oin == expected
                        && listed.as_ref().is_none_or(|l| {
                            let now = jiff::Timestamp::now();
                            l.iter().any(|c| {
                                c.fingerprint.eq_ignore_ascii_case(&p.fingerprint)
                                    && c.valid_at(now)
                            })
                        }) =>
                {
                    Ok(TokioIo::new(stream))
                }
                Some(p) if p.oin == expected => Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!(
                        "{expected} presented a certificate that is not the one in the directory"
                    ),
                )),
                Some(p) => Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("the node at this endpoint is {}, not {expected}", p.oin),
                )),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the server presented no certificate",
                )),
            }
        }
    });
    Ok(Endpoint::from(uri)
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .connect_with_connector_lazy(connector))
}

/// Bind a listener (for tests and the demo: port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
