//! The federation directory: who is a member, signed by the federation operator.
//!
//! The operator (for example the youth-care region's office) decides who is a member and signs
//! the manifest with a key of its own, apart from the TLS trust anchors (with PKIoverheid,
//! nobody in the region holds the CA's key). A node names the operator's certificate (or its
//! fingerprint) in node.toml and accepts only a manifest signed by it, not expired, and not
//! older than one it accepted before (a serial number that only grows).
//!
//! A member may have several certificates, each with its own window in the directory: during a
//! renewal the old and the new one both work, the old one not after its window.

use std::path::Path;

use base64::Engine;
use doorbraak_model::{Oin, OrgKind, OrgRef, Role, Timestamp, canonical};
use serde::{Deserialize, Serialize};

use crate::crypto::{self, Algorithm, CryptoError, RsaPadding, SigningKey};
use crate::identity::fingerprint;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// One certificate of a member, with the window in which the directory accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedCertificate {
    /// SHA-256 of the certificate's DER, hex.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Timestamp>,
}

impl ListedCertificate {
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.not_before.is_none_or(|b| b <= at) && self.not_after.is_none_or(|a| at < a)
    }
}

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
    /// The member's node certificates (empty in unsigned development lists).
    #[serde(default)]
    pub certificates: Vec<ListedCertificate>,
    /// Directory roles, e.g. `oversight:utrecht` (may see the region's aggregates).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The roles this member may name its people in when it forwards their commands; empty:
    /// every role that exists at its kind of organisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub person_roles: Vec<Role>,
}

impl Member {
    /// Is the certificate with this fingerprint one of this member's at `at`?
    pub fn lists(&self, fp: &str, at: Timestamp) -> bool {
        self.certificates
            .iter()
            .any(|c| c.fingerprint.eq_ignore_ascii_case(fp) && c.valid_at(at))
    }
}

/// The signed part of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub federation: String,
    /// Grows by one with every manifest the operator signs; a node never goes back.
    pub serial: u64,
    pub issued_at: Timestamp,
    /// After this a node no longer accepts the manifest: the operator signs a new one in time.
    pub expires_at: Timestamp,
    pub members: Vec<Member>,
}

/// The manifest with the operator's signature, the algorithm and the operator's certificate
/// (base64 DER). The signature is over the canonical JSON (RFC 8785) of the statement
/// `doorbraak.directory.v2` with the algorithm, the certificate and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub algorithm: String,
    pub certificate: String,
    pub signature: String,
}

#[derive(Serialize)]
struct Statement<'a> {
    statement: &'static str,
    algorithm: &'a str,
    certificate: &'a str,
    manifest: &'a Manifest,
}

const STATEMENT: &str = "doorbraak.directory.v2";

fn signed_bytes(
    algorithm: &str,
    certificate: &str,
    manifest: &Manifest,
) -> Result<Vec<u8>, DirectoryError> {
    canonical::to_vec(&Statement {
        statement: STATEMENT,
        algorithm,
        certificate,
        manifest,
    })
    .map_err(|e| DirectoryError::Sign(e.to_string()))
}

/// An unsigned member list, accepted only by a node without federation TLS (a standalone
/// development node), and the operator's draft of the next manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberList {
    #[serde(default)]
    pub federation: String,
    /// The serial of the last manifest signed from this list.
    #[serde(default)]
    pub serial: u64,
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
    #[error("the signature of the directory manifest does not verify: {0}")]
    BadSignature(CryptoError),
    #[error(
        "the directory manifest is signed by certificate {got}, not by the federation operator's ({expected}) named in directory.operator"
    )]
    NotTheOperator { got: String, expected: String },
    #[error(
        "the directory manifest (serial {serial}) expired at {at}; the federation operator signs a new one"
    )]
    Expired { serial: u64, at: Timestamp },
    #[error("the federation operator's key or certificate: {0}")]
    Operator(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// The federation operator's signing identity: its key and certificate.
pub struct Operator {
    key: SigningKey,
    cert_der: Vec<u8>,
}

impl Operator {
    /// From the operator's certificate (DER) and PKCS#8 key (DER); RSA keys sign with
    /// `padding`.
    pub fn new(
        cert_der: Vec<u8>,
        pkcs8: &[u8],
        padding: RsaPadding,
    ) -> Result<Self, DirectoryError> {
        let key = SigningKey::from_pkcs8(pkcs8, padding)
            .map_err(|e| DirectoryError::Operator(e.to_string()))?;
        if !key.fits(&cert_der) {
            return Err(DirectoryError::Operator(
                "the key does not belong to the certificate".into(),
            ));
        }
        Ok(Self { key, cert_der })
    }

    /// SHA-256 of the operator certificate (what node.toml may name instead of the file).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.cert_der)
    }

    pub fn sign(&self, manifest: Manifest) -> Result<SignedManifest, DirectoryError> {
        let algorithm = self.key.algorithm().code().to_owned();
        let certificate = b64().encode(&self.cert_der);
        let bytes = signed_bytes(&algorithm, &certificate, &manifest)?;
        let sig = self
            .key
            .sign(&bytes)
            .map_err(|e| DirectoryError::Sign(e.to_string()))?;
        Ok(SignedManifest {
            manifest,
            algorithm,
            certificate,
            signature: b64().encode(sig),
        })
    }
}

/// Verify a signed manifest: signed by the operator certificate with this fingerprint.
pub fn verify(signed: &SignedManifest, operator_fingerprint: &str) -> Result<(), DirectoryError> {
    let bad = DirectoryError::BadSignature;
    let cert = b64()
        .decode(&signed.certificate)
        .map_err(|_| bad(CryptoError::Certificate))?;
    let got = fingerprint(&cert);
    if !got.eq_ignore_ascii_case(operator_fingerprint) {
        return Err(DirectoryError::NotTheOperator {
            got,
            expected: operator_fingerprint.to_ascii_lowercase(),
        });
    }
    let algorithm = Algorithm::parse(&signed.algorithm).map_err(bad)?;
    let sig = b64()
        .decode(&signed.signature)
        .map_err(|_| bad(CryptoError::Mismatch))?;
    let bytes = signed_bytes(&signed.algorithm, &signed.certificate, &signed.manifest)?;
    crypto::verify(algorithm, &cert, &bytes, &sig).map_err(bad)
}

/// Is the manifest still in force at `now`?
pub fn check_fresh(signed: &SignedManifest, now: Timestamp) -> Result<(), DirectoryError> {
    let m = &signed.manifest;
    if now >= m.expires_at {
        return Err(DirectoryError::Expired {
            serial: m.serial,
            at: m.expires_at,
        });
    }
    Ok(())
}

/// Read and parse a signed manifest (not yet verified).
pub fn read_signed(path: &Path) -> Result<SignedManifest, DirectoryError> {
    let text = read(path)?;
    serde_json::from_str(&text).map_err(|e| DirectoryError::Parse {
        path: path.display().to_string(),
        message: e.to_string(),
    })
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
    pub fn from_signed(signed: SignedManifest) -> Self {
        Self {
            federation: signed.manifest.federation.clone(),
            members: signed.manifest.members.clone(),
            signed: true,
            manifest: Some(signed),
        }
    }

    /// Load a signed manifest, verify it against the operator's certificate fingerprint, and
    /// check that it is in force at `now`.
    pub fn load_signed(
        path: &Path,
        operator_fingerprint: &str,
        now: Timestamp,
    ) -> Result<Self, DirectoryError> {
        let signed = read_signed(path)?;
        verify(&signed, operator_fingerprint)?;
        check_fresh(&signed, now)?;
        Ok(Self::from_signed(signed))
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

    /// The serial of the signed manifest (None: unsigned).
    pub fn serial(&self) -> Option<u64> {
        self.manifest.as_ref().map(|m| m.manifest.serial)
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

    /// Is this certificate (OIN and fingerprint) a member's at `at`? In a signed directory
    /// the certificate must be listed for the member with a window that holds `at`; an
    /// unsigned one has none to compare.
    pub fn admits(&self, oin: &Oin, fingerprint: &str, at: Timestamp) -> bool {
        self.get(oin)
            .is_some_and(|m| !self.signed || m.lists(fingerprint, at))
    }
}

fn read(path: &Path) -> Result<String, DirectoryError> {
    std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn operator() -> Operator {
        let kp = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .and_then(|p| p.self_signed(&kp))
            .unwrap_or_else(|e| panic!("{e}"));
        Operator::new(cert.der().to_vec(), &kp.serialize_der(), RsaPadding::Pkcs1)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn manifest(serial: u64) -> Manifest {
        Manifest {
            federation: "Test".into(),
            serial,
            issued_at: t("2026-12-01T00:00:00Z"),
            expires_at: t("2027-03-01T00:00:00Z"),
            members: vec![Member {
                oin: Oin::parse("00000001000000000010").unwrap_or_else(|e| panic!("{e}")),
                name: "Lokaal Team".into(),
                kind: OrgKind::LocalTeam,
                region: String::new(),
                endpoint: String::new(),
                certificates: vec![
                    ListedCertificate {
                        fingerprint: "aa".into(),
                        not_before: None,
                        not_after: Some(t("2026-12-15T00:00:00Z")),
                    },
                    ListedCertificate {
                        fingerprint: "bb".into(),
                        not_before: Some(t("2026-12-10T00:00:00Z")),
                        not_after: None,
                    },
                ],
                roles: vec![],
                person_roles: vec![],
            }],
        }
    }

    #[test]
    fn a_manifest_signed_by_the_operator_verifies_and_one_by_another_key_does_not() {
        let op = operator();
        let signed = op.sign(manifest(1)).unwrap_or_else(|e| panic!("{e}"));
        assert!(verify(&signed, &op.fingerprint()).is_ok());
        let other = operator();
        assert!(matches!(
            verify(&signed, &other.fingerprint()),
            Err(DirectoryError::NotTheOperator { .. })
        ));
        // a member added after signing
        let mut changed = signed.clone();
        changed.manifest.serial = 2;
        assert!(matches!(
            verify(&changed, &op.fingerprint()),
            Err(DirectoryError::BadSignature(CryptoError::Mismatch))
        ));
        // another certificate put in with the same signature
        let mut swapped = signed;
        swapped.certificate = other
            .sign(manifest(1))
            .unwrap_or_else(|e| panic!("{e}"))
            .certificate;
        assert!(verify(&swapped, &other.fingerprint()).is_err());
    }

    #[test]
    fn an_expired_manifest_is_not_in_force() {
        let signed = operator()
            .sign(manifest(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_fresh(&signed, t("2027-02-28T23:59:59Z")).is_ok());
        assert!(matches!(
            check_fresh(&signed, t("2027-03-01T00:00:00Z")),
            Err(DirectoryError::Expired { serial: 1, .. })
        ));
    }

    #[test]
    fn during_a_renewal_both_certificates_are_admitted_and_the_old_one_not_after() {
        let dir = Directory::from_signed(
            operator()
                .sign(manifest(1))
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let lt = Oin::parse("00000001000000000010").unwrap_or_else(|e| panic!("{e}"));
        let before = t("2026-12-05T00:00:00Z");
        let overlap = t("2026-12-12T00:00:00Z");
        let after = t("2026-12-20T00:00:00Z");
        assert!(dir.admits(&lt, "aa", before));
        assert!(!dir.admits(&lt, "bb", before));
        assert!(dir.admits(&lt, "AA", overlap) && dir.admits(&lt, "bb", overlap));
        assert!(!dir.admits(&lt, "aa", after));
        assert!(dir.admits(&lt, "bb", after));
        assert!(!dir.admits(&lt, "cc", overlap));
    }
}
