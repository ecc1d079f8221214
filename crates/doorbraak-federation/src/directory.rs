//! The federation directory: a manifest of members signed by the federation CA. A node
//! verifies the signature at start and on reload; only members' certificates (by OIN and
//! fingerprint) are accepted.

use std::path::Path;

use doorbraak_model::{Oin, OrgKind, OrgRef, Timestamp, canonical};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub oin: Oin,
    pub name: String,
    pub kind: OrgKind,
    #[serde(default)]
    pub region: String,
    /// gRPC endpoint `host:port` of the member's node.
    #[serde(default)]
    pub endpoint: String,
    /// SHA-256 fingerprint of the member's node certificate (hex); empty in unsigned
    /// development lists.
    #[serde(default)]
    pub fingerprint: String,
    /// Directory roles, e.g. `oversight:utrecht` (may see the region's aggregates).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The roles this member may name its people in when it forwards their commands; empty:
    /// every role that exists at its kind of organisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub person_roles: Vec<doorbraak_model::Role>,
}

/// The signed part of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub federation: String,
    pub issued_at: Timestamp,
    pub members: Vec<Member>,
}

/// The manifest with the CA's signature (ECDSA P-256 SHA-256, DER, base64) over the manifest's
/// canonical JSON (RFC 8785).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub signature: String,
}

/// An unsigned member list, accepted only by a node without federation TLS (a standalone
/// development node).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberList {
    pub members: Vec<Member>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read directory manifest {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("directory manifest {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("the signature of the directory manifest does not verify against the federation CA")]
    BadSignature,
    #[error("federation CA certificate: {0}")]
    Ca(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Sign a manifest with the CA key.
pub fn sign(manifest: Manifest, ca_key: &rcgen::KeyPair) -> Result<SignedManifest, DirectoryError> {
    use base64::Engine;
    use rcgen::SigningKey;
    let bytes = canonical::to_vec(&manifest).map_err(|e| DirectoryError::Sign(e.to_string()))?;
    let sig = ca_key
        .sign(&bytes)
        .map_err(|e| DirectoryError::Sign(e.to_string()))?;
    Ok(SignedManifest {
        manifest,
        signature: base64::engine::general_purpose::STANDARD.encode(sig),
    })
}

/// Verify a signed manifest against the CA certificate (DER).
pub fn verify(signed: &SignedManifest, ca_der: &[u8]) -> Result<(), DirectoryError> {
    use base64::Engine;
    let (_, ca) =
        X509Certificate::from_der(ca_der).map_err(|e| DirectoryError::Ca(e.to_string()))?;
    let public = ca.public_key().subject_public_key.data.to_vec();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&signed.signature)
        .map_err(|_| DirectoryError::BadSignature)?;
    let bytes = canonical::to_vec(&signed.manifest).map_err(|_| DirectoryError::BadSignature)?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, public)
        .verify(&bytes, &sig)
        .map_err(|_| DirectoryError::BadSignature)
}

#[derive(Debug, Clone)]
pub struct Directory {
    pub federation: String,
    members: Vec<Member>,
    /// Whether the members came from a verified, signed manifest.
    pub signed: bool,
    /// The verified manifest itself (for export in minutes bundles).
    pub manifest: Option<SignedManifest>,
}

impl Directory {
    /// A directory with just one member (a standalone node).
    pub fn own(me: Member) -> Self {
        Self {
            federation: String::new(),
            members: vec![me],
            signed: false,
            manifest: None,
        }
    }

    /// A directory from an already verified manifest.
    pub fn from_manifest(m: Manifest) -> Self {
        Self {
            federation: m.federation,
            members: m.members,
            signed: true,
            manifest: None,
        }
    }

    /// Load a signed manifest and verify it against `ca_der`.
    pub fn load_signed(path: &Path, ca_der: &[u8]) -> Result<Self, DirectoryError> {
        let text = read(path)?;
        let signed: SignedManifest =
            serde_json::from_str(&text).map_err(|e| DirectoryError::Parse {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        verify(&signed, ca_der)?;
        Ok(Self {
            federation: signed.manifest.federation.clone(),
            members: signed.manifest.members.clone(),
            signed: true,
            manifest: Some(signed),
        })
    }

    /// Load an unsigned member list (standalone development node); `me` is added if missing.
    pub fn load_unsigned(path: &Path, me: Member) -> Result<Self, DirectoryError> {
        let text = read(path)?;
        let list: MemberList = serde_json::from_str(&text).map_err(|e| DirectoryError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut members = list.members;
        if !members.iter().any(|m| m.oin == me.oin) {
            members.push(me);
        }
        Ok(Self {
            federation: String::new(),
            members,
            signed: false,
            manifest: None,
        })
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn get(&self, oin: &Oin) -> Option<&Member> {
        self.members.iter().find(|m| &m.oin == oin)
    }

    pub fn org_ref(&self, oin: &Oin) -> Option<OrgRef> {
        self.get(oin).map(|m| OrgRef {
            oin: m.oin.clone(),
            kind: m.kind,
        })
    }

    /// Is this certificate (OIN and fingerprint) a member's? In a signed directory the
    /// fingerprint must match; an unsigned one has none to compare.
    pub fn admits(&self, oin: &Oin, fingerprint: &str) -> bool {
        self.get(oin)
            .is_some_and(|m| !self.signed || m.fingerprint.eq_ignore_ascii_case(fingerprint))
    }
}

fn read(path: &Path) -> Result<String, DirectoryError> {
    std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
        path: path.display().to_string(),
        source,
    })
}
