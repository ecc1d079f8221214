//! Signed approvals of minutes, and their offline verification.
//!
//! A node signs an [`ApprovalStatement`] (canonical JSON, RFC 8785) with the key of its node
//! certificate (ECDSA P-256, SHA-256) and attaches the certificate. Anyone with the federation
//! CA and the signed directory can check, offline, that the signature is by a certificate of the
//! approving organisation that chains to the CA and is the one listed in the directory.

use base64::Engine;
use doorbraak_model::{ApprovalSignature, ApprovalStatement, canonical};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::directory::Directory;
use crate::identity::{PeerIdentity, fingerprint};

pub const ALGORITHM: &str = "ecdsa-p256-sha256";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the node key cannot sign: {0}")]
    Key(String),
    #[error("unsupported signature algorithm '{0}'")]
    Algorithm(String),
    #[error("the signing certificate is not readable")]
    Certificate,
    #[error("the signing certificate does not chain to the federation CA")]
    NotFromCa,
    #[error("the signing certificate belongs to {cert}, not to the approving organisation {org}")]
    WrongOrganisation { cert: String, org: String },
    #[error("the signing certificate of {0} is not the one in the federation directory")]
    NotInDirectory(String),
    #[error(
        "the signature does not match the approval (person, role, revision, text hash or time differ)"
    )]
    Mismatch,
    #[error("the signing certificate was not valid at the time of signing")]
    NotValidAt,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Signs approval statements with the node certificate's key.
pub struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    rng: SystemRandom,
}

impl Signer {
    /// From the node's certificate (DER) and its PKCS#8 private key (DER).
    pub fn new(cert_der: Vec<u8>, pkcs8: &[u8]) -> Result<Self, SignatureError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Self { key, cert_der, rng })
    }

    pub fn sign(&self, statement: &ApprovalStatement) -> Result<ApprovalSignature, SignatureError> {
        let bytes = canonical::to_vec(statement).map_err(|e| SignatureError::Key(e.to_string()))?;
        let sig = self
            .key
            .sign(&self.rng, &bytes)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(ApprovalSignature {
            algorithm: ALGORITHM.into(),
            signed_at: statement.signed_at,
            certificate: b64().encode(&self.cert_der),
            signature: b64().encode(sig.as_ref()),
        })
    }
}

/// Check one signed approval: the certificate chains to `ca_der`, belongs to the approving
/// organisation, is that organisation's certificate in `directory`, and signed `statement`.
pub fn verify(
    statement: &ApprovalStatement,
    sig: &ApprovalSignature,
    ca_der: &[u8],
    directory: &Directory,
) -> Result<(), SignatureError> {
    if sig.algorithm != ALGORITHM {
        return Err(SignatureError::Algorithm(
            sig.algorithm.chars().take(40).collect(),
        ));
    }
    let cert_der = b64()
        .decode(&sig.certificate)
        .map_err(|_| SignatureError::Certificate)?;
    let (_, cert) =
        X509Certificate::from_der(&cert_der).map_err(|_| SignatureError::Certificate)?;
    let (_, ca) = X509Certificate::from_der(ca_der).map_err(|_| SignatureError::Certificate)?;
    cert.verify_signature(Some(ca.public_key()))
        .map_err(|_| SignatureError::NotFromCa)?;
    let at = x509_parser::time::ASN1Time::from_timestamp(statement.signed_at.as_second())
        .map_err(|_| SignatureError::NotValidAt)?;
    if !cert.validity().is_valid_at(at) {
        return Err(SignatureError::NotValidAt);
    }
    let who = PeerIdentity::from_der(&cert_der).map_err(|_| SignatureError::Certificate)?;
    if who.oin != statement.org {
        return Err(SignatureError::WrongOrganisation {
            cert: who.oin.to_string(),
            org: statement.org.to_string(),
        });
    }
    if !directory.admits(&who.oin, &fingerprint(&cert_der)) {
        return Err(SignatureError::NotInDirectory(who.oin.to_string()));
    }
    let bytes = canonical::to_vec(statement).map_err(|_| SignatureError::Mismatch)?;
    let raw = b64()
        .decode(&sig.signature)
        .map_err(|_| SignatureError::Mismatch)?;
    let public = cert.public_key().subject_public_key.data.to_vec();
    ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public)
        .verify(&bytes, &raw)
        .map_err(|_| SignatureError::Mismatch)
}

/// Everything needed to check final minutes offline.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinutesBundle {
    /// Always `doorbraak.minutes.bundle.v1`.
    pub bundle: String,
    pub minutes: doorbraak_model::Minutes,
    /// The federation CA certificate, base64 DER.
    pub ca_certificate: String,
    /// The signed directory manifest in force.
    pub directory: crate::directory::SignedManifest,
}

impl MinutesBundle {
    pub const KIND: &'static str = "doorbraak.minutes.bundle.v1";
}

/// Check a bundle against the federation CA the verifier trusts (never the one inside the
/// bundle alone: anyone can make a CA); returns what does not match (empty: valid).
pub fn verify_bundle(b: &MinutesBundle, trusted_ca_der: &[u8]) -> Vec<String> {
    use doorbraak_model::DocTarget;
    use doorbraak_model::minutes::content_hash;
    let mut problems = Vec::new();
    if b.bundle != MinutesBundle::KIND {
        problems.push(format!("not a minutes bundle ('{}')", b.bundle));
        return problems;
    }
    let Ok(ca) = b64().decode(&b.ca_certificate) else {
        problems.push("the CA certificate is not readable".into());
        return problems;
    };
    if ca != trusted_ca_der {
        problems.push(format!(
            "the bundle's CA (SHA-256 {}) is not the trusted federation CA (SHA-256 {})",
            fingerprint(&ca),
            fingerprint(trusted_ca_der)
        ));
        return problems;
    }
    if let Err(e) = crate::directory::verify(&b.directory, &ca) {
        problems.push(format!("directory: {e}"));
        return problems;
    }
    let dir = Directory::from_manifest(b.directory.manifest.clone());
    let m = &b.minutes;
    let mut docs = vec![(DocTarget::Main, "the minutes".to_string(), m.main.as_ref())];
    for (i, a) in m.addenda.iter().enumerate() {
        docs.push((
            DocTarget::Addendum(i as u32 + 1),
            format!("addendum {}", i + 1),
            Some(a),
        ));
    }
    for (target, label, doc) in docs {
        let Some(doc) = doc else {
            problems.push(format!("{label}: no text"));
            continue;
        };
        for r in &doc.revisions {
            if content_hash(&r.content) != r.content_hash {
                problems.push(format!(
                    "{label}: the text of revision {} does not match its recorded SHA-256 (changed after it was written)",
                    r.number
                ));
            }
        }
        let Some(final_rev) = doc.final_text() else {
            problems.push(format!("{label}: not final"));
            continue;
        };
        for p in &m.meeting.participants {
            let who = format!("{} ({}, {})", p.name, p.role.code(), p.org);
            let Some(a) = doc
                .approvals
                .iter()
                .find(|a| a.org == p.org && a.person == p.person)
            else {
                problems.push(format!("{label}: no approval by {who}"));
                continue;
            };
            if a.revision != final_rev.number {
                problems.push(format!(
                    "{label}: {who} approved revision {}, not the final revision {}",
                    a.revision, final_rev.number
                ));
            }
            if a.content_hash != final_rev.content_hash {
                problems.push(format!(
                    "{label}: {who} approved a different text (hash {}) than the final one",
                    a.content_hash
                ));
            }
            let Some(sig) = &a.signature else {
                problems.push(format!("{label}: the approval by {who} is not signed"));
                continue;
            };
            let statement = m.statement(
                target,
                a.revision,
                &a.content_hash,
                &a.person,
                a.role,
                &a.org,
                sig.signed_at,
            );
            if let Err(e) = verify(&statement, sig, &ca, &dir) {
                problems.push(format!("{label}: signature of {who}: {e}"));
            }
        }
    }
    problems
}
