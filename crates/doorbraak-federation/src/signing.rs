//! Signed approvals of minutes, and their offline verification.
//!
//! A node signs an [`ApprovalStatement`] (canonical JSON, RFC 8785, with the algorithm and the
//! directory serial in it) with the key of its node certificate — ECDSA P-256/P-384 or RSA
//! 2048-4096 (PKIoverheid) — and attaches the certificate and its intermediates. Anyone with
//! the trust anchors and the signed directory version in force at signing can check, offline,
//! that the signature is by a certificate of the approving organisation that chains to an
//! anchor and is listed for it in that directory version.

use base64::Engine;
use doorbraak_model::{ApprovalSignature, ApprovalStatement, canonical};

use crate::crypto::{self, Algorithm, CryptoError, RsaPadding, SigningKey};
use crate::directory::{Directory, SignedManifest};
use crate::identity::{PeerIdentity, fingerprint};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the node key cannot sign: {0}")]
    Key(String),
    #[error("unsupported signature algorithm '{0}'")]
    Algorithm(String),
    #[error("the signing certificate is not readable")]
    Certificate,
    #[error("the signing certificate does not chain to a trust anchor at the time of signing: {0}")]
    NotFromCa(String),
    #[error("the signing certificate belongs to {cert}, not to the approving organisation {org}")]
    WrongOrganisation { cert: String, org: String },
    #[error(
        "the signing certificate of {0} is not one listed for it in the federation directory in force at signing"
    )]
    NotInDirectory(String),
    #[error("the directory version {0} in force at signing is not available")]
    NoDirectory(u64),
    #[error(
        "the signature does not match the approval (person, role, revision, text hash, time or algorithm differ)"
    )]
    Mismatch,
    #[error("the signature's key does not fit its algorithm: {0}")]
    KeyMismatch(String),
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The bytes signed for a statement under an algorithm and a directory version.
fn signed_bytes(
    statement: &ApprovalStatement,
    algorithm: &str,
    directory_serial: u64,
) -> Result<Vec<u8>, SignatureError> {
    let mut s = statement.clone();
    s.algorithm = algorithm.to_owned();
    s.directory_serial = directory_serial;
    canonical::to_vec(&s).map_err(|e| SignatureError::Key(e.to_string()))
}

/// Signs approval statements with the node certificate's key.
pub struct Signer {
    key: SigningKey,
    cert_der: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl Signer {
    /// From the node's certificate (DER), the intermediates it sends, and its PKCS#8 private
    /// key (DER); an RSA key signs with `padding`.
    pub fn new(
        cert_der: Vec<u8>,
        chain: Vec<Vec<u8>>,
        pkcs8: &[u8],
        padding: RsaPadding,
    ) -> Result<Self, SignatureError> {
        let key = SigningKey::from_pkcs8(pkcs8, padding)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        if !key.fits(&cert_der) {
            return Err(SignatureError::Key(
                "the key does not belong to the node certificate".into(),
            ));
        }
        Ok(Self {
            key,
            cert_der,
            chain,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// Sign other bytes (an access-log checkpoint) with the node key: the algorithm, the
    /// certificate (base64 DER) and the signature (base64).
    pub fn sign_bytes(&self, bytes: &[u8]) -> Result<(String, String, String), SignatureError> {
        let sig = self
            .key
            .sign(bytes)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok((
            self.key.algorithm().code().to_owned(),
            b64().encode(&self.cert_der),
            b64().encode(sig),
        ))
    }

    /// Sign `statement` under the directory version `directory_serial` in force here.
    pub fn sign(
        &self,
        statement: &ApprovalStatement,
        directory_serial: u64,
    ) -> Result<ApprovalSignature, SignatureError> {
        let algorithm = self.key.algorithm().code();
        let bytes = signed_bytes(statement, algorithm, directory_serial)?;
        let sig = self
            .key
            .sign(&bytes)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(ApprovalSignature {
            algorithm: algorithm.into(),
            signed_at: statement.signed_at,
            certificate: b64().encode(&self.cert_der),
            chain: self.chain.iter().map(|c| b64().encode(c)).collect(),
            directory_serial,
            signature: b64().encode(sig),
        })
    }
}

/// Check one signed approval: the certificate chains (through the intermediates it carries)
/// to one of `anchors` at the time of signing, belongs to the approving organisation, is listed
/// for it in `directory` (the version in force at signing) at that time, and signed
/// `statement` under the algorithm it names.
pub fn verify(
    statement: &ApprovalStatement,
    sig: &ApprovalSignature,
    anchors: &[Vec<u8>],
    directory: &Directory,
) -> Result<(), SignatureError> {
    let algorithm = Algorithm::parse(&sig.algorithm)
        .map_err(|_| SignatureError::Algorithm(sig.algorithm.chars().take(40).collect()))?;
    let cert_der = b64()
        .decode(&sig.certificate)
        .map_err(|_| SignatureError::Certificate)?;
    let chain = sig
        .chain
        .iter()
        .take(8)
        .map(|c| b64().decode(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| SignatureError::Certificate)?;
    crypto::check_path(&cert_der, &chain, anchors, statement.signed_at.as_second())
        .map_err(|e| SignatureError::NotFromCa(e.to_string()))?;
    let who = PeerIdentity::from_der(&cert_der).map_err(|_| SignatureError::Certificate)?;
    if who.oin != statement.org {
        return Err(SignatureError::WrongOrganisation {
            cert: who.oin.to_string(),
            org: statement.org.to_string(),
        });
    }
    if !directory.admits(&who.oin, &fingerprint(&cert_der), statement.signed_at) {
        return Err(SignatureError::NotInDirectory(who.oin.to_string()));
    }
    let bytes = signed_bytes(statement, &sig.algorithm, sig.directory_serial)
        .map_err(|_| SignatureError::Mismatch)?;
    let raw = b64()
        .decode(&sig.signature)
        .map_err(|_| SignatureError::Mismatch)?;
    crypto::verify(algorithm, &cert_der, &bytes, &raw).map_err(|e| match e {
        CryptoError::Mismatch => SignatureError::Mismatch,
        other => SignatureError::KeyMismatch(other.to_string()),
    })
}

/// The directory version with this serial among verified `versions`.
pub fn directory_at(versions: &[SignedManifest], serial: u64) -> Option<Directory> {
    versions
        .iter()
        .find(|v| v.manifest.serial == serial)
        .cloned()
        .map(Directory::from_signed)
}

/// Everything needed to check final minutes offline.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinutesBundle {
    /// Always `doorbraak.minutes.bundle.v2`.
    pub bundle: String,
    pub minutes: doorbraak_model::Minutes,
    /// The trust anchors of the exporting node (base64 DER), for information: a verifier
    /// checks against the anchors it trusts itself, never these alone.
    pub trust_anchors: Vec<String>,
    /// Every directory version an approval was signed under, signed by the operator.
    pub directories: Vec<SignedManifest>,
}

impl MinutesBundle {
    pub const KIND: &'static str = "doorbraak.minutes.bundle.v2";
}

/// Check a bundle against the trust anchors and the federation operator the verifier trusts
/// (never those inside the bundle alone: anyone can make a CA); returns what does not match
/// (empty: valid).
pub fn verify_bundle(
    b: &MinutesBundle,
    trusted_anchors: &[Vec<u8>],
    operator_fingerprint: &str,
) -> Vec<String> {
    use doorbraak_model::DocTarget;
    use doorbraak_model::minutes::content_hash;
    let mut problems = Vec::new();
    if b.bundle != MinutesBundle::KIND {
        problems.push(format!("not a minutes bundle ('{}')", b.bundle));
        return problems;
    }
    let mut versions = Vec::new();
    for d in &b.directories {
        match crate::directory::verify(d, operator_fingerprint) {
            Ok(()) => versions.push(d.clone()),
            Err(e) => problems.push(format!("directory version {}: {e}", d.manifest.serial)),
        }
    }
    if !problems.is_empty() {
        return problems;
    }
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
            let checked = directory_at(&versions, sig.directory_serial)
                .ok_or(SignatureError::NoDirectory(sig.directory_serial))
                .and_then(|dir| verify(&statement, sig, trusted_anchors, &dir));
            if let Err(e) = checked {
                problems.push(format!("{label}: signature of {who}: {e}"));
            }
        }
    }
    problems
}
