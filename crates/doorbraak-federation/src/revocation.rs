//! Revocation while connected: every accepted connection is registered with its peer's
//! certificate; when new CRLs are taken up, the connections whose certificate they list are
//! closed (new handshakes already check the new lists, see `tls::Revocation`).
//!
//! A CRL closes a connection only if it verifies against the key of the certificate's issuer
//! (a trust anchor, or the intermediate the peer sent): a forged list closes nothing.

use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::transport::server::{Connected, TcpConnectInfo};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

/// A server-side connection that is closed (its reads and writes fail) once its handle is
/// cancelled.
pub struct Revocable {
    tcp: TcpStream,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    revoked: bool,
    _alive: Arc<()>,
}

/// What the registry keeps of a connection: how to close it and whether it still exists.
pub struct Handle {
    token: CancellationToken,
    alive: Weak<()>,
}

impl Revocable {
    pub fn new(tcp: TcpStream) -> (Self, Handle) {
        let token = CancellationToken::new();
        let alive = Arc::new(());
        let handle = Handle {
            token: token.clone(),
            alive: Arc::downgrade(&alive),
        };
        (
            Self {
                tcp,
                cancelled: Box::pin(token.cancelled_owned()),
                revoked: false,
                _alive: alive,
            },
            handle,
        )
    }

    fn closed(&mut self, cx: &mut Context<'_>) -> Option<std::io::Error> {
        if !self.revoked && self.cancelled.as_mut().poll(cx).is_ready() {
            self.revoked = true;
        }
        self.revoked.then(|| {
            std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the peer's certificate was revoked",
            )
        })
    }
}

impl AsyncRead for Revocable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(e) = self.closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Revocable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Some(e) = self.closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if let Some(e) = self.closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

impl Connected for Revocable {
    type ConnectInfo = TcpConnectInfo;
    fn connect_info(&self) -> Self::ConnectInfo {
        self.tcp.connect_info()
    }
}

struct Live {
    /// The peer certificate's issuer (raw DN) and serial.
    issuer: Vec<u8>,
    serial: Vec<u8>,
    /// Certificates that may have issued it (the peer's intermediates), DER.
    chain: Vec<Vec<u8>>,
    handle: Handle,
}

/// The open connections of a server, by their peer's certificate.
pub struct LiveConnections {
    anchors: Vec<Vec<u8>>,
    conns: Mutex<Vec<Live>>,
}

impl std::fmt::Debug for LiveConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveConnections")
            .field("open", &self.len())
            .finish_non_exhaustive()
    }
}

impl LiveConnections {
    pub fn new(anchors: Vec<Vec<u8>>) -> Self {
        Self {
            anchors,
            conns: Mutex::new(Vec::new()),
        }
    }

    /// Register an accepted connection with the chain its peer presented.
    pub fn register(&self, chain: &[CertificateDer<'_>], handle: Handle) {
        let Some(leaf) = chain.first() else {
            return;
        };
        let Ok((_, cert)) = X509Certificate::from_der(leaf) else {
            return;
        };
        let live = Live {
            issuer: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
            chain: chain.iter().skip(1).map(|c| c.to_vec()).collect(),
            handle,
        };
        if let Ok(mut conns) = self.conns.lock() {
            conns.retain(|c| c.handle.alive.strong_count() > 0);
            conns.push(live);
        }
    }

    /// Open connections now.
    pub fn len(&self) -> usize {
        self.conns.lock().map_or(0, |mut c| {
            c.retain(|c| c.handle.alive.strong_count() > 0);
            c.len()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Close every open connection whose certificate one of `crls` revokes; returns how many.
    pub fn close_revoked(&self, crls: &[CertificateRevocationListDer<'_>]) -> usize {
        let parsed: Vec<CertificateRevocationList<'_>> = crls
            .iter()
            .filter_map(|c| CertificateRevocationList::from_der(c.as_ref()).ok())
            .map(|(_, crl)| crl)
            .collect();
        let Ok(mut conns) = self.conns.lock() else {
            return 0;
        };
        conns.retain(|c| c.handle.alive.strong_count() > 0);
        let mut closed = 0;
        for c in conns.iter() {
            let revoked = parsed.iter().any(|crl| {
                crl.issuer().as_raw() == c.issuer.as_slice()
                    && crl
                        .iter_revoked_certificates()
                        .any(|r| r.raw_serial() == c.serial.as_slice())
                    && self.issued_by_ca(crl, &c.chain)
            });
            if revoked {
                c.handle.token.cancel();
                closed += 1;
            }
        }
        closed
    }

    /// Does the CRL verify against a trust anchor or one of the peer's intermediates?
    fn issued_by_ca(&self, crl: &CertificateRevocationList<'_>, chain: &[Vec<u8>]) -> bool {
        self.anchors.iter().chain(chain.iter()).any(|der| {
            X509Certificate::from_der(der).is_ok_and(|(_, ca)| {
                ca.subject().as_raw() == crl.issuer().as_raw()
                    && crl.verify_signature(ca.public_key()).is_ok()
            })
        })
    }
}
