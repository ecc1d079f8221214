//! A development PKI for the federation: a CA, node certificates with the OIN in the subject
//! serialNumber (as PKIoverheid/Digikoppeling do) and the organisation name in O, a CRL, and
//! the signed directory manifest. Production uses real certificates; the file layout is the
//! same.
//!
//! Layout of a PKI directory:
//! ```text
//! ca.pem ca.key            the federation CA (ECDSA P-256)
//! nodes/OIN.pem OIN.key    node certificates (client and server auth)
//! revoked.json crl.pem     revoked serial numbers and the CRL signed by the CA
//! ```

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber,
};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("{0}")]
    Invalid(String),
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), PkiError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| PkiError::Io {
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| PkiError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(())
}

/// Write a private key readable by its owner only.
fn write_secret(path: &Path, text: &str) -> Result<(), PkiError> {
    write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| PkiError::Io {
                path: path.to_owned(),
                source,
            },
        )?;
    }
    Ok(())
}

fn random_serial() -> SerialNumber {
    let mut b: [u8; 16] = rand::random();
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // no leading zero byte
    SerialNumber::from_slice(&b)
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(days);
}

/// Paths of a PKI directory.
#[derive(Debug, Clone)]
pub struct PkiDir(pub PathBuf);

impl PkiDir {
    pub fn ca_cert(&self) -> PathBuf {
        self.0.join("ca.pem")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.0.join("ca.key")
    }
    pub fn node_cert(&self, oin: &str) -> PathBuf {
        self.0.join("nodes").join(format!("{oin}.pem"))
    }
    pub fn node_key(&self, oin: &str) -> PathBuf {
        self.0.join("nodes").join(format!("{oin}.key"))
    }
    pub fn crl(&self) -> PathBuf {
        self.0.join("crl.pem")
    }
    fn revoked(&self) -> PathBuf {
        self.0.join("revoked.json")
    }

    /// Make a new federation CA (refuses to overwrite an existing one).
    pub fn init_ca(&self, name: &str) -> Result<(), PkiError> {
        if self.ca_cert().exists() {
            return Err(PkiError::Invalid(format!(
                "{} exists already; a federation has one CA",
                self.ca_cert().display()
            )));
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("{name} CA"));
        dn.push(DnType::OrganizationName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial());
        validity(&mut params, 3650);
        let cert = params.self_signed(&key)?;
        write(&self.ca_cert(), &cert.pem())?;
        write_secret(&self.ca_key(), &key.serialize_pem())?;
        write(&self.revoked(), "[]")?;
        self.write_crl()?;
        Ok(())
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::from_pem(&read(&self.ca_key())?)?;
        Ok(Issuer::from_ca_cert_pem(&read(&self.ca_cert())?, key)?)
    }

    /// The CA's key, for signing the directory manifest.
    pub fn ca_keypair(&self) -> Result<KeyPair, PkiError> {
        Ok(KeyPair::from_pem(&read(&self.ca_key())?)?)
    }

    /// Issue a node certificate for an organisation: OIN in serialNumber, name in O, `hosts`
    /// as subject alternative names (DNS names or IP addresses).
    pub fn issue_node(&self, oin: &str, name: &str, hosts: &[String]) -> Result<(), PkiError> {
        doorbraak_model::Oin::parse(oin).map_err(|e| PkiError::Invalid(e.message_en()))?;
        let issuer = self.issuer()?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(hosts.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, name);
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(
                oin.try_into()
                    .map_err(|_| PkiError::Invalid("OIN is not printable".into()))?,
            ),
        );
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.serial_number = Some(random_serial());
        validity(&mut params, 825);
        let cert = params.signed_by(&key, &issuer)?;
        write(&self.node_cert(oin), &cert.pem())?;
        write_secret(&self.node_key(oin), &key.serialize_pem())?;
        Ok(())
    }

    /// Revoke the current certificate of `oin` and re-sign the CRL.
    pub fn revoke(&self, oin: &str) -> Result<String, PkiError> {
        let pem = read(&self.node_cert(oin))?;
        let der = certificate_der(&pem)?;
        let (_, cert) = X509Certificate::from_der(&der)
            .map_err(|_| PkiError::Invalid("not a certificate".into()))?;
        let serial = hex::encode(cert.raw_serial());
        let mut revoked: Vec<String> = serde_json::from_str(&read(&self.revoked())?)
            .map_err(|e| PkiError::Invalid(format!("revoked.json: {e}")))?;
        if !revoked.contains(&serial) {
            revoked.push(serial.clone());
        }
        write(
            &self.revoked(),
            &serde_json::to_string_pretty(&revoked)
                .map_err(|e| PkiError::Invalid(e.to_string()))?,
        )?;
        self.write_crl()?;
        Ok(serial)
    }

    fn write_crl(&self) -> Result<(), PkiError> {
        let revoked: Vec<String> = serde_json::from_str(&read(&self.revoked())?)
            .map_err(|e| PkiError::Invalid(format!("revoked.json: {e}")))?;
        let now = time::OffsetDateTime::now_utc();
        let params = CertificateRevocationListParams {
            this_update: now - time::Duration::minutes(5),
            next_update: now + time::Duration::days(30),
            crl_number: random_serial(),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .filter_map(|s| hex::decode(s).ok())
                .map(|b| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&b),
                    revocation_time: now - time::Duration::minutes(1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer()?)?;
        write(&self.crl(), &crl.pem()?)
    }
}

/// The DER bytes of the first certificate in PEM text: a block labelled `CERTIFICATE` with its
/// `END` line (rustls-pki-types reads it); a key or another block before it is passed over.
pub fn certificate_der(pem: &str) -> Result<Vec<u8>, PkiError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.to_vec())
        .map_err(|e| PkiError::Invalid(format!("no certificate in the PEM text: {e}")))
}

/// The node files to configure a node with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub crl: PathBuf,
}

impl PkiDir {
    pub fn node_files(&self, oin: &str) -> NodeFiles {
        NodeFiles {
            ca: self.ca_cert(),
            cert: self.node_cert(oin),
            key: self.node_key(oin),
            crl: self.crl(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_read_by_its_label_and_its_end_line() {
        let dir = std::env::temp_dir().join(format!("doorbraak-pem-{}", uuid::Uuid::now_v7()));
        let pki = PkiDir(dir.clone());
        pki.init_ca("PEM").unwrap_or_else(|e| panic!("{e}"));
        let cert = read(&pki.ca_cert()).unwrap_or_else(|e| panic!("{e}"));
        let key = read(&pki.ca_key()).unwrap_or_else(|e| panic!("{e}"));
        let der = certificate_der(&cert).unwrap_or_else(|e| panic!("{e}"));
        // a key before the certificate is passed over, not taken for it
        assert_eq!(
            certificate_der(&format!("{key}{cert}")).unwrap_or_else(|e| panic!("{e}")),
            der
        );
        // a key alone is no certificate; a block without its END line is refused
        assert!(certificate_der(&key).is_err());
        let cut: String = cert
            .lines()
            .filter(|l| !l.starts_with("-----END"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(certificate_der(&cut).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
