//! rustls configurations for the federation's mutual TLS.
//!
//! - client certificates are required and must chain to one of the trust anchors (a bundle:
//!   the PKIoverheid private root and its intermediates, or the development CA); a node sends
//!   its intermediates after its certificate;
//! - certificates listed in the CRL are refused (on both sides);
//! - TLS 1.3, and TLS 1.2 only with ECDHE (forward-secret) AEAD suites, for Digikoppeling-era
//!   peers;
//! - ALPN `h2` (gRPC).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::identity::PeerIdentity;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("own certificate: {0}")]
    Identity(#[from] crate::identity::IdentityError),
}

/// Paths of a node's TLS material.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub crl: Option<PathBuf>,
}

/// Loaded TLS material and the configurations built from it.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// The trust anchors (DER), every certificate of the CA file.
    pub anchors: Vec<Vec<u8>>,
    pub own: PeerIdentity,
    /// The node certificate (DER), the intermediates sent after it, and its key (PKCS#8 DER),
    /// for signing approvals.
    pub cert_der: Vec<u8>,
    pub intermediates: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
    pub server: Arc<ServerConfig>,
    pub client: Arc<ClientConfig>,
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The provider: ring, with TLS 1.3 suites and TLS 1.2 ECDHE AEAD suites only.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite as cs;
    let mut p = rustls::crypto::ring::default_provider();
    p.cipher_suites = vec![
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(p)
}

/// Install the ring provider as the process default (tonic and other rustls users that do not
/// get an explicit config). Returns false if one was installed already.
pub fn install_default_provider() -> bool {
    rustls::crypto::ring::default_provider()
        .install_default()
        .is_ok()
}

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

impl TlsMaterial {
    pub fn load(files: &TlsFiles) -> Result<Self, TlsError> {
        let anchors: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.ca)
            .map_err(|e| file_err(&files.ca, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| file_err(&files.ca, e))?;
        if anchors.is_empty() {
            return Err(file_err(&files.ca, "no certificate in file"));
        }
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
            .map_err(|e| file_err(&files.cert, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| file_err(&files.cert, e))?;
        let leaf = chain
            .first()
            .ok_or_else(|| file_err(&files.cert, "no certificate in file"))?;
        let own = PeerIdentity::from_der(leaf)?;
        let cert_der = leaf.to_vec();
        let intermediates = chain.iter().skip(1).map(|c| c.to_vec()).collect();
        let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_err(&files.key, e))?;
        let key_pkcs8 = match &key {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => Vec::new(),
        };

        let crls: Vec<CertificateRevocationListDer<'static>> = match &files.crl {
            Some(p) if p.exists() => CertificateRevocationListDer::pem_file_iter(p)
                .map_err(|e| file_err(p, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| file_err(p, e))?,
            _ => Vec::new(),
        };
        let mut roots = RootCertStore::empty();
        for a in &anchors {
            roots.add(a.clone()).map_err(|e| file_err(&files.ca, e))?;
        }
        let roots = Arc::new(roots);
        let provider = provider();

        let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
            .with_crls(crls.clone())
            .build()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        server.alpn_protocols = vec![b"h2".to_vec()];

        let server_verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .with_crls(crls)
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(VERSIONS)
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_webpki_verifier(server_verifier)
            .with_client_auth_cert(chain, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        client.alpn_protocols = vec![b"h2".to_vec()];

        Ok(Self {
            anchors: anchors.iter().map(|a| a.to_vec()).collect(),
            own,
            cert_der,
            intermediates,
            key_pkcs8,
            server: Arc::new(server),
            client: Arc::new(client),
        })
    }
}
