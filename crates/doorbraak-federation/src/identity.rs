//! Who a peer is: the OIN in its verified certificate (subject serialNumber), its organisation
//! name (subject O), and the certificate's SHA-256 fingerprint.

use doorbraak_model::Oin;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The identity carried by a node certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    pub oin: Oin,
    pub name: String,
    /// SHA-256 of the certificate's DER, lower-case hex.
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("not a valid X.509 certificate")]
    Parse,
    #[error("the certificate has no subject serialNumber (OIN)")]
    NoOin,
    #[error("the certificate's serialNumber is not a valid OIN: {0}")]
    BadOin(String),
}

/// SHA-256 fingerprint of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(der))
}

impl PeerIdentity {
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| IdentityError::Parse)?;
        let subject = cert.subject();
        let serial = subject
            .iter_attributes()
            .find(|a| a.attr_type() == &x509_parser::oid_registry::OID_X509_SERIALNUMBER)
            .and_then(|a| a.as_str().ok())
            .ok_or(IdentityError::NoOin)?;
        let oin = Oin::parse(serial)
            .map_err(|_| IdentityError::BadOin(serial.chars().take(40).collect()))?;
        let name = subject
            .iter_organization()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok(Self {
            oin,
            name,
            fingerprint: fingerprint(der),
        })
    }
}

/// What an administrator needs to know about a certificate: whose it is and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub fingerprint: String,
}

impl CertificateSummary {
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| IdentityError::Parse)?;
        Ok(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            fingerprint: fingerprint(der),
        })
    }
}
