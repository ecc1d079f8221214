//! The federation operator's working directory: its signing key and certificate, the draft
//! member list, and the signing of each new manifest (`doorbraak directory ...`).
//!
//! Layout:
//! ```text
//! operator.pem operator.key   the operator's certificate and key (made by `init`, or an
//!                             existing one, e.g. the region office's PKIoverheid certificate)
//! members.json                the draft: federation name, last serial, members
//! ```

use std::path::{Path, PathBuf};

use doorbraak_model::{Oin, Timestamp};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, KeyUsagePurpose};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::crypto::RsaPadding;
use crate::directory::{ListedCertificate, Manifest, Member, MemberList, Operator, SignedManifest};
use crate::identity::{PeerIdentity, fingerprint};

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    #[error("key generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> OperatorError {
    OperatorError::File {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The operator's directory.
#[derive(Debug, Clone)]
pub struct OperatorDir(pub PathBuf);

/// A certificate's SHA-256 and its own validity, as a directory entry.
pub fn listed(cert_der: &[u8]) -> Result<ListedCertificate, OperatorError> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|_| OperatorError::Invalid("not an X.509 certificate".into()))?;
    let ts = |secs: i64| Timestamp::from_second(secs).ok();
    Ok(ListedCertificate {
        fingerprint: fingerprint(cert_der),
        not_before: ts(cert.validity().not_before.timestamp()),
        not_after: ts(cert.validity().not_after.timestamp()),
    })
}

/// The first certificate of a PEM file, as DER.
pub fn read_cert(path: &Path) -> Result<Vec<u8>, OperatorError> {
    let pem = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
    crate::crypto::pem_certificates(&pem)
        .map_err(|e| file_err(path, e))?
        .into_iter()
        .next()
        .ok_or_else(|| file_err(path, "no certificate"))
}

fn read_key(path: &Path) -> Result<Vec<u8>, OperatorError> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    match PrivateKeyDer::from_pem_file(path).map_err(|e| file_err(path, e))? {
        PrivateKeyDer::Pkcs8(k) => Ok(k.secret_pkcs8_der().to_vec()),
        _ => Err(file_err(
            path,
            "the key is not in PKCS#8 form (BEGIN PRIVATE KEY)",
        )),
    }
}

impl OperatorDir {
    pub fn cert(&self) -> PathBuf {
        self.0.join("operator.pem")
    }
    pub fn key(&self) -> PathBuf {
        self.0.join("operator.key")
    }
    pub fn draft_path(&self) -> PathBuf {
        self.0.join("members.json")
    }

    /// Start a federation's directory: a new operator key (ECDSA P-256) with a self-signed
    /// certificate, or the given certificate and key (`existing`), and an empty draft.
    pub fn init(
        &self,
        federation: &str,
        existing: Option<(&Path, &Path)>,
    ) -> Result<(), OperatorError> {
        if self.draft_path().exists() {
            return Err(OperatorError::Invalid(format!(
                "{} exists already; this directory has an operator",
                self.draft_path().display()
            )));
        }
        std::fs::create_dir_all(&self.0).map_err(|e| file_err(&self.0, e))?;
        match existing {
            Some((cert, key)) => {
                let der = read_cert(cert)?;
                let pkcs8 = read_key(key)?;
                Operator::new(der, &pkcs8, RsaPadding::Pkcs1)?;
                copy(cert, &self.cert())?;
                copy(key, &self.key())?;
                restrict(&self.key())?;
            }
            None => {
                let key = KeyPair::generate()?;
                let mut params = CertificateParams::new(Vec::<String>::new())?;
                let mut dn = DistinguishedName::new();
                dn.push(DnType::CommonName, format!("{federation} federatiebeheer"));
                dn.push(DnType::OrganizationName, federation);
                params.distinguished_name = dn;
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                let now = time::OffsetDateTime::now_utc();
                params.not_before = now - time::Duration::hours(1);
                params.not_after = now + time::Duration::days(3650);
                let cert = params.self_signed(&key)?;
                write(&self.cert(), &cert.pem())?;
                write(&self.key(), &key.serialize_pem())?;
                restrict(&self.key())?;
            }
        }
        self.save(&MemberList {
            federation: federation.to_owned(),
            serial: 0,
            members: Vec::new(),
        })
    }

    /// The operator's signing identity; an RSA key signs with `padding`.
    pub fn operator(&self, padding: RsaPadding) -> Result<Operator, OperatorError> {
        Ok(Operator::new(
            read_cert(&self.cert())?,
            &read_key(&self.key())?,
            padding,
        )?)
    }

    /// SHA-256 of the operator certificate: what a node names as `directory.operator_fingerprint`.
    pub fn fingerprint(&self) -> Result<String, OperatorError> {
        Ok(fingerprint(&read_cert(&self.cert())?))
    }

    pub fn draft(&self) -> Result<MemberList, OperatorError> {
        let p = self.draft_path();
        let text = std::fs::read_to_string(&p).map_err(|e| file_err(&p, e))?;
        serde_json::from_str(&text).map_err(|e| file_err(&p, e))
    }

    pub fn save(&self, list: &MemberList) -> Result<(), OperatorError> {
        let text = serde_json::to_string_pretty(list)
            .map_err(|e| OperatorError::Invalid(e.to_string()))?;
        write(&self.draft_path(), &text)
    }

    /// Add (or replace) a member; its certificate (DER) must carry its OIN.
    pub fn add_member(&self, mut member: Member, cert_der: &[u8]) -> Result<(), OperatorError> {
        let who = PeerIdentity::from_der(cert_der)
            .map_err(|e| OperatorError::Invalid(format!("the member's certificate: {e}")))?;
        if who.oin != member.oin {
            return Err(OperatorError::Invalid(format!(
                "the certificate is of {}, not of {}",
                who.oin, member.oin
            )));
        }
        member.certificates = vec![listed(cert_der)?];
        let mut list = self.draft()?;
        list.members.retain(|m| m.oin != member.oin);
        list.members.push(member);
        list.members.sort_by(|a, b| a.oin.cmp(&b.oin));
        self.save(&list)
    }

    pub fn remove_member(&self, oin: &Oin) -> Result<(), OperatorError> {
        let mut list = self.draft()?;
        let before = list.members.len();
        list.members.retain(|m| &m.oin != oin);
        if list.members.len() == before {
            return Err(OperatorError::Invalid(format!("{oin} is not a member")));
        }
        self.save(&list)
    }

    /// A member renews its certificate: the new one is listed from now, the ones it had until
    /// `overlap_until` at the latest (both work in between, the old ones not after).
    pub fn rotate(
        &self,
        oin: &Oin,
        new_cert_der: &[u8],
        now: Timestamp,
        overlap_until: Timestamp,
    ) -> Result<(), OperatorError> {
        let who = PeerIdentity::from_der(new_cert_der)
            .map_err(|e| OperatorError::Invalid(format!("the new certificate: {e}")))?;
        if &who.oin != oin {
            return Err(OperatorError::Invalid(format!(
                "the new certificate is of {}, not of {oin}",
                who.oin
            )));
        }
        let mut list = self.draft()?;
        let m = list
            .members
            .iter_mut()
            .find(|m| &m.oin == oin)
            .ok_or_else(|| OperatorError::Invalid(format!("{oin} is not a member")))?;
        let mut new = listed(new_cert_der)?;
        if m.certificates
            .iter()
            .any(|c| c.fingerprint == new.fingerprint)
        {
            return Err(OperatorError::Invalid(
                "this certificate is listed already".into(),
            ));
        }
        new.not_before = Some(new.not_before.map_or(now, |b| b.max(now)));
        for c in &mut m.certificates {
            c.not_after = Some(c.not_after.map_or(overlap_until, |a| a.min(overlap_until)));
        }
        // certificates whose window is over are dropped from the next manifest
        m.certificates
            .retain(|c| c.not_after.is_none_or(|a| a > now));
        m.certificates.push(new);
        self.save(&list)
    }

    /// Sign the draft as the next manifest (serial one higher), in force for `valid_days`.
    pub fn sign(&self, now: Timestamp, valid_days: i64) -> Result<SignedManifest, OperatorError> {
        if !(1..=366).contains(&valid_days) {
            return Err(OperatorError::Invalid(
                "a manifest is valid for 1 to 366 days".into(),
            ));
        }
        let mut list = self.draft()?;
        let expires_at = now
            .checked_add(jiff::SignedDuration::from_hours(24 * valid_days))
            .map_err(|e| OperatorError::Invalid(e.to_string()))?;
        list.serial += 1;
        let signed = self.operator(RsaPadding::Pkcs1)?.sign(Manifest {
            federation: list.federation.clone(),
            serial: list.serial,
            issued_at: now,
            expires_at,
            members: list.members.clone(),
        })?;
        self.save(&list)?;
        Ok(signed)
    }
}

fn write(path: &Path, text: &str) -> Result<(), OperatorError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| file_err(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| file_err(path, e))
}

fn copy(from: &Path, to: &Path) -> Result<(), OperatorError> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| file_err(from, e))
}

fn restrict(path: &Path) -> Result<(), OperatorError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| file_err(path, e))?;
    }
    Ok(())
}

/// A development directory in one go: the operator in `operator` (made if it has none) lists
/// `members`, each with its node certificate from `pki`, and signs them as the next manifest
/// (valid for 366 days), written to `out`.
pub fn sign_dev_manifest(
    operator: &OperatorDir,
    pki: &crate::pki::PkiDir,
    federation: &str,
    members: Vec<Member>,
    out: &Path,
) -> Result<SignedManifest, OperatorError> {
    if !operator.draft_path().exists() {
        operator.init(federation, None)?;
    }
    for m in members {
        let der = read_cert(&pki.node_cert(m.oin.as_str()))?;
        operator.add_member(m, &der)?;
    }
    let signed = operator.sign(Timestamp::now(), 366)?;
    let text =
        serde_json::to_string_pretty(&signed).map_err(|e| OperatorError::Invalid(e.to_string()))?;
    write(out, &text)?;
    Ok(signed)
}
