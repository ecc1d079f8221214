//! The signatures the federation makes and checks (approvals of minutes, directory manifests)
//! and the certificate paths behind them.
//!
//! - keys: ECDSA P-256 (SHA-256), ECDSA P-384 (SHA-384), and RSA 2048–4096 bits with SHA-256,
//!   PKCS#1 v1.5 or PSS (PKIoverheid private-services certificates carry RSA keys);
//! - the algorithm travels with every signature and is part of what is signed, so a signature
//!   is never read under another algorithm than the one it was made with;
//! - a signing certificate is checked as TLS checks a peer: a path through the intermediates
//!   it carries to one of the trust anchors (rustls-webpki), valid at the time of signing.

use std::time::Duration;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls::pki_types::{CertificateDer, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// A signature algorithm, by the code recorded beside (and inside) what it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    RsaPkcs1Sha256,
    RsaPssSha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 4] = [
        Algorithm::EcdsaP256Sha256,
        Algorithm::EcdsaP384Sha384,
        Algorithm::RsaPkcs1Sha256,
        Algorithm::RsaPssSha256,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Algorithm::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Algorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Algorithm::RsaPssSha256 => "rsa-pss-sha256",
        }
    }

    pub fn parse(code: &str) -> Result<Self, CryptoError> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == code)
            .ok_or_else(|| CryptoError::Algorithm(code.chars().take(40).collect()))
    }

    fn is_rsa(self) -> bool {
        matches!(self, Algorithm::RsaPkcs1Sha256 | Algorithm::RsaPssSha256)
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Algorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            Algorithm::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            Algorithm::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        }
    }
}

/// How an RSA key signs: PKCS#1 v1.5 (the default) or PSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RsaPadding {
    #[default]
    Pkcs1,
    Pss,
}

/// Smallest and largest RSA modulus accepted, in bits.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error(
        "the key is not an ECDSA P-256/P-384 or RSA 2048-4096 key in PKCS#8 form (or does not fit its certificate)"
    )]
    Key,
    #[error("unsupported signature algorithm '{0}'")]
    Algorithm(String),
    #[error("the certificate is not readable")]
    Certificate,
    #[error("the certificate's key does not fit the algorithm {0}")]
    KeyMismatch(&'static str),
    #[error("the certificate's RSA key has {0} bits; 2048 to 4096 are accepted")]
    RsaSize(usize),
    #[error("the signature does not verify")]
    Mismatch,
    #[error("the certificate does not chain to a trust anchor at that time: {0}")]
    Path(String),
    #[error("signing failed")]
    Sign,
}

enum Inner {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair, &'static dyn signature::RsaEncoding),
}

/// A private key that signs.
pub struct SigningKey {
    inner: Inner,
    algorithm: Algorithm,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm.code())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// From a PKCS#8 private key (DER): ECDSA P-256 or P-384, or RSA 2048-4096 bits signing
    /// with `padding`.
    pub fn from_pkcs8(pkcs8: &[u8], padding: RsaPadding) -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let ecdsa = [
            (
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                Algorithm::EcdsaP256Sha256,
            ),
            (
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                Algorithm::EcdsaP384Sha384,
            ),
        ];
        for (alg, algorithm) in ecdsa {
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng) {
                return Ok(Self {
                    inner: Inner::Ecdsa(k),
                    algorithm,
                    rng,
                });
            }
        }
        let k = RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| CryptoError::Key)?;
        let bits = k.public().modulus_len() * 8;
        if !RSA_BITS.contains(&bits) {
            return Err(CryptoError::RsaSize(bits));
        }
        let (encoding, algorithm): (&'static dyn signature::RsaEncoding, _) = match padding {
            RsaPadding::Pkcs1 => (&signature::RSA_PKCS1_SHA256, Algorithm::RsaPkcs1Sha256),
            RsaPadding::Pss => (&signature::RSA_PSS_SHA256, Algorithm::RsaPssSha256),
        };
        Ok(Self {
            inner: Inner::Rsa(k, encoding),
            algorithm,
            rng,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn sign(&self, bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.inner {
            Inner::Ecdsa(k) => k
                .sign(&self.rng, bytes)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| CryptoError::Sign),
            Inner::Rsa(k, encoding) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(*encoding, &self.rng, bytes, &mut sig)
                    .map_err(|_| CryptoError::Sign)?;
                Ok(sig)
            }
        }
    }

    /// Does this key belong to the certificate (DER)?
    pub fn fits(&self, cert_der: &[u8]) -> bool {
        let Ok((_, cert)) = X509Certificate::from_der(cert_der) else {
            return false;
        };
        let public: &[u8] = match &self.inner {
            Inner::Ecdsa(k) => k.public_key().as_ref(),
            Inner::Rsa(k, _) => k.public().as_ref(),
        };
        cert.public_key().subject_public_key.data.as_ref() == public
    }
}

/// Check `signature` over `bytes` by the key of `cert_der` under `algorithm`; the key must be
/// of the algorithm's kind (and an RSA key 2048-4096 bits).
pub fn verify(
    algorithm: Algorithm,
    cert_der: &[u8],
    bytes: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|_| CryptoError::Certificate)?;
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(k)) if algorithm.is_rsa() => {
            let bits = k.key_size();
            if !RSA_BITS.contains(&bits) {
                return Err(CryptoError::RsaSize(bits));
            }
        }
        Ok(PublicKey::EC(_)) if !algorithm.is_rsa() => {}
        _ => return Err(CryptoError::KeyMismatch(algorithm.code())),
    }
    signature::UnparsedPublicKey::new(algorithm.verification(), &spki.subject_public_key.data)
        .verify(bytes, sig)
        .map_err(|_| CryptoError::Mismatch)
}

/// Does `cert_der` chain, through `intermediates`, to one of `anchors` (DER certificates),
/// with every certificate on the path valid at `at` (seconds since the Unix epoch)?
pub fn check_path(
    cert_der: &[u8],
    intermediates: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: i64,
) -> Result<(), CryptoError> {
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.as_slice()))
        .collect();
    let trust: Vec<_> = anchor_ders
        .iter()
        .filter_map(|a| webpki::anchor_from_trusted_cert(a).ok())
        .collect();
    if trust.is_empty() {
        return Err(CryptoError::Path("no readable trust anchor".into()));
    }
    let cert = CertificateDer::from(cert_der);
    let ee = webpki::EndEntityCert::try_from(&cert).map_err(|_| CryptoError::Certificate)?;
    let inter: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|i| CertificateDer::from(i.as_slice()))
        .collect();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    ee.verify_for_usage(
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .all,
        &trust,
        &inter,
        time,
        webpki::KeyUsage::client_auth(),
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| CryptoError::Path(format!("{e:?}")))
}

/// Every certificate in a PEM text, as DER, in order.
pub fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, CryptoError> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| CryptoError::Certificate)?;
    if certs.is_empty() {
        return Err(CryptoError::Certificate);
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_its_code_and_an_unknown_one_is_refused() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.code()), Ok(a));
        }
        assert_eq!(
            Algorithm::parse("rsa-pkcs1-sha1"),
            Err(CryptoError::Algorithm("rsa-pkcs1-sha1".into()))
        );
    }

    #[test]
    fn an_ecdsa_key_signs_and_its_certificate_verifies_but_not_under_another_algorithm() {
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
        ] {
            let kp = rcgen::KeyPair::generate_for(alg).unwrap_or_else(|e| panic!("{e}"));
            let cert = rcgen::CertificateParams::new(vec!["x".into()])
                .and_then(|p| p.self_signed(&kp))
                .unwrap_or_else(|e| panic!("{e}"));
            let key = SigningKey::from_pkcs8(&kp.serialize_der(), RsaPadding::Pkcs1)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(key.fits(cert.der()));
            let sig = key.sign(b"verslag").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                verify(key.algorithm(), cert.der(), b"verslag", &sig),
                Ok(())
            );
            assert_eq!(
                verify(key.algorithm(), cert.der(), b"ander verslag", &sig),
                Err(CryptoError::Mismatch)
            );
            assert_eq!(
                verify(Algorithm::RsaPkcs1Sha256, cert.der(), b"verslag", &sig),
                Err(CryptoError::KeyMismatch("rsa-pkcs1-sha256"))
            );
        }
    }
}
