//! A PKIoverheid-shaped certificate chain for tests, made with rcgen: a root (RSA 4096) → an
//! intermediate "private services" CA (RSA 2048) → node certificates with an RSA 2048 key, the
//! OIN in the subject serialNumber, the organisation in O, client and server auth. A node's
//! certificate file holds its certificate followed by the intermediate (nodes send their
//! intermediates); the trust bundle holds only the root.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256,
};

fn rsa_key(bits: usize) -> KeyPair {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &PKCS_RSA_SHA256).unwrap()
}

fn validity(p: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::hours(1);
    p.not_after = now + time::Duration::days(days);
}

pub struct Chain {
    pub root_pem: String,
    intermediate_pem: String,
    intermediate: Issuer<'static, KeyPair>,
}

/// A node's files: certificate chain (leaf, intermediate) and PKCS#8 key, PEM.
pub struct NodeCert {
    pub chain_pem: String,
    pub key_pem: String,
}

impl Chain {
    pub fn new() -> Chain {
        let root_key = rsa_key(4096);
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            "Staat der Nederlanden Private Root CA - G1 (test)",
        );
        dn.push(DnType::OrganizationName, "Staat der Nederlanden (test)");
        dn.push(DnType::CountryName, "NL");
        p.distinguished_name = dn;
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut p, 3650);
        let root = p.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(p, root_key);

        let inter_key = rsa_key(2048);
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            "Staat der Nederlanden Private Services CA - G1 (test)",
        );
        dn.push(DnType::OrganizationName, "Staat der Nederlanden (test)");
        dn.push(DnType::CountryName, "NL");
        p.distinguished_name = dn;
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut p, 1825);
        let inter = p.signed_by(&inter_key, &root_issuer).unwrap();
        Chain {
            root_pem: root.pem(),
            intermediate_pem: inter.pem(),
            intermediate: Issuer::new(p, inter_key),
        }
    }

    /// A node certificate for `oin` at organisation `name`, reachable on loopback.
    pub fn issue(&self, oin: &str, name: &str) -> NodeCert {
        let key = rsa_key(2048);
        let mut p =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("doorbraak.{oin}.test"));
        dn.push(DnType::OrganizationName, name);
        dn.push(DnType::CountryName, "NL");
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(oin.try_into().unwrap()),
        );
        p.distinguished_name = dn;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        validity(&mut p, 365);
        let cert = p.signed_by(&key, &self.intermediate).unwrap();
        NodeCert {
            chain_pem: format!("{}{}", cert.pem(), self.intermediate_pem),
            key_pem: key.serialize_pem(),
        }
    }
}
