//! rustls configurations for the federation's mutual TLS.
//!
//! - client certificates are required and must chain to one of the trust anchors (a bundle:
//!   the PKIoverheid private root and its intermediates, or the development CA); a node sends
//!   its intermediates after its certificate;
//! - certificates listed in the CRL are refused (on both sides);
//! - TLS 1.3, and TLS 1.2 only with ECDHE (forward-secret) AEAD suites, for Digikoppeling-era
//!   peers;
//! - ALPN `h2` (gRPC);
//! - no session resumption: every connection is checked against the CRLs in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};

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
    /// The CRLs both configurations check, replaceable while the node runs.
    pub revocation: Arc<Revocation>,
    /// The server's open connections, closed when their peer's certificate is revoked.
    pub live: Arc<crate::revocation::LiveConnections>,
}

/// The verifiers of both sides, rebuilt with new CRLs without a restart: every handshake
/// after [`Revocation::set_crls`] checks the new lists.
#[derive(Debug)]
pub struct Revocation {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    hints: Vec<DistinguishedName>,
    client: std::sync::RwLock<Arc<dyn ClientCertVerifier>>,
    server: std::sync::RwLock<Arc<dyn ServerCertVerifier>>,
    crls: std::sync::RwLock<Vec<CertificateRevocationListDer<'static>>>,
}

impl Revocation {
    fn new(
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<Self, TlsError> {
        let (client, server) = verifiers(&roots, &provider, &crls)?;
        Ok(Self {
            hints: client.root_hint_subjects().to_vec(),
            roots,
            provider,
            client: std::sync::RwLock::new(client),
            server: std::sync::RwLock::new(server),
            crls: std::sync::RwLock::new(crls),
        })
    }

    /// Check these CRLs from the next handshake on (each must be readable; a list that
    /// cannot be used leaves the current ones in force).
    pub fn set_crls(
        &self,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<(), TlsError> {
        let (client, server) = verifiers(&self.roots, &self.provider, &crls)?;
        if let (Ok(mut c), Ok(mut s), Ok(mut l)) =
            (self.client.write(), self.server.write(), self.crls.write())
        {
            *c = client;
            *s = server;
            *l = crls;
        }
        Ok(())
    }

    /// The CRLs in force.
    pub fn crls(&self) -> Vec<CertificateRevocationListDer<'static>> {
        self.crls.read().map(|l| l.clone()).unwrap_or_default()
    }

    fn client(&self) -> Arc<dyn ClientCertVerifier> {
        match self.client.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn server(&self) -> Arc<dyn ServerCertVerifier> {
        match self.server.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

type Verifiers = (Arc<dyn ClientCertVerifier>, Arc<dyn ServerCertVerifier>);

fn verifiers(
    roots: &Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
    crls: &[CertificateRevocationListDer<'static>],
) -> Result<Verifiers, TlsError> {
    let client = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
        .with_crls(crls.to_vec())
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let server = rustls::client::WebPkiServerVerifier::builder_with_provider(
        roots.clone(),
        provider.clone(),
    )
    .with_crls(crls.to_vec())
    .build()
    .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((client, server))
}

/// The server side's client-certificate verifier, always the current one.
#[derive(Debug)]
struct CurrentClientVerifier(Arc<Revocation>);

impl ClientCertVerifier for CurrentClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.0.hints
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: rustls::pki_types::UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0
            .client()
            .verify_client_cert(end_entity, intermediates, now)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.client().verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.client().verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.client().supported_verify_schemes()
    }
}

/// The client side's server-certificate verifier, always the current one.
#[derive(Debug)]
struct CurrentServerVerifier(Arc<Revocation>);

impl ServerCertVerifier for CurrentServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0.server().verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.server().verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.server().verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.server().supported_verify_schemes()
    }
}

/// Read the CRLs of a PEM file (none if it does not exist).
pub fn read_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| file_err(path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(path, e))
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

        let crls = match &files.crl {
            Some(p) => read_crls(p)?,
            None => Vec::new(),
        };
        let mut roots = RootCertStore::empty();
        for a in &anchors {
            roots.add(a.clone()).map_err(|e| file_err(&files.ca, e))?;
        }
        let provider = provider();
        let revocation = Arc::new(Revocation::new(Arc::new(roots), provider.clone(), crls)?);

        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(Arc::new(CurrentClientVerifier(revocation.clone())))
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        server.alpn_protocols = vec![b"h2".to_vec()];
        // no session resumption: every connection presents its certificate and is checked
        // against the CRLs in force (a resumed session would skip that after a revocation)
        server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        server.send_tls13_tickets = 0;

        let mut client = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(VERSIONS)
            .map_err(|e| TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CurrentServerVerifier(revocation.clone())))
            .with_client_auth_cert(chain, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        client.alpn_protocols = vec![b"h2".to_vec()];
        client.resumption = rustls::client::Resumption::disabled();

        Ok(Self {
            anchors: anchors.iter().map(|a| a.to_vec()).collect(),
            own,
            cert_der,
            intermediates,
            key_pkcs8,
            server: Arc::new(server),
            client: Arc::new(client),
            revocation,
            live: Arc::new(crate::revocation::LiveConnections::new(
                anchors.iter().map(|a| a.to_vec()).collect(),
            )),
        })
    }
}
