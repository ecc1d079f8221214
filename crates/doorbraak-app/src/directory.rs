//! The node's view of the federation directory (re-exported from `doorbraak-federation`):
//! a manifest signed by the federation operator (named in node.toml) when the node has
//! federation TLS, or an unsigned member list for a standalone development node.
//!
//! Every accepted manifest is kept in the store under its serial: a node never goes back to an
//! older serial (at start it takes the newest it accepted if the file is older), and approvals
//! are checked against the version in force when they were signed.

pub use doorbraak_federation::directory::{
    Directory, DirectoryError, ListedCertificate, Member, MemberList, SignedManifest,
};

use doorbraak_federation::tls::TlsMaterial;
use doorbraak_model::Timestamp;

use crate::settings::AppSettings as Settings;

/// Why a directory reload was refused (the directory in use stays).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(
        "the manifest on disk (serial {on_disk}) is older than the one in use (serial {in_use}); refusing to go back"
    )]
    Older { on_disk: u64, in_use: u64 },
    #[error(
        "the manifest on disk reuses serial {0} with other content than the version accepted before; the operator signs changes under a new serial"
    )]
    SerialReused(u64),
    #[error("the accepted directory could not be kept: {0}")]
    Store(String),
}

impl ReloadError {
    /// The stable code of what was refused.
    pub fn rule(&self) -> &'static str {
        match self {
            ReloadError::Directory(DirectoryError::NotTheOperator { .. }) => {
                "directory.not_the_operator"
            }
            ReloadError::Directory(DirectoryError::Expired { .. }) => "directory.expired",
            ReloadError::Directory(DirectoryError::BadSignature(_)) => "directory.bad_signature",
            ReloadError::Older { .. } => "directory.older",
            ReloadError::SerialReused(_) => "directory.serial_reused",
            _ => "federation.directory_invalid",
        }
    }

    /// What was refused, in Dutch.
    pub fn message_nl(&self) -> String {
        match self {
            ReloadError::Directory(DirectoryError::NotTheOperator { .. }) => {
                "het adresboek is niet ondertekend door de federatiebeheerder die in de configuratie staat".into()
            }
            ReloadError::Directory(DirectoryError::Expired { serial, at }) => {
                format!("het adresboek (versie {serial}) is verlopen op {at}; de federatiebeheerder ondertekent een nieuw")
            }
            ReloadError::Directory(DirectoryError::BadSignature(_)) => {
                "de handtekening onder het adresboek klopt niet".into()
            }
            ReloadError::Older { on_disk, in_use } => format!(
                "het adresboek op schijf (versie {on_disk}) is ouder dan dat in gebruik (versie {in_use}); een node gaat nooit terug"
            ),
            ReloadError::SerialReused(n) => format!(
                "versie {n} van het adresboek bestaat al met een andere inhoud; een wijziging krijgt een nieuw versienummer"
            ),
            _ => "het adresboek kon niet worden gelezen of gecontroleerd".into(),
        }
    }
}

/// This node as a member, for a directory without a signed manifest.
fn me(settings: &Settings, tls: Option<&TlsMaterial>) -> Member {
    Member {
        oin: settings.oin.clone(),
        name: settings.name.clone(),
        kind: settings.kind,
        region: String::new(),
        endpoint: settings.grpc_listen.to_string(),
        certificates: tls
            .map(|t| ListedCertificate {
                fingerprint: t.own.fingerprint.clone(),
                not_before: None,
                not_after: None,
            })
            .into_iter()
            .collect(),
        roles: Vec::new(),
        person_roles: Vec::new(),
    }
}

/// Load (and verify) the directory for these settings: the manifest signed by the operator
/// with federation TLS (in force at `now`), an unsigned member list without, or only this node
/// when no manifest is configured.
pub fn load(
    settings: &Settings,
    tls: Option<&TlsMaterial>,
    now: Timestamp,
) -> Result<Directory, DirectoryError> {
    let d = &settings.directory;
    Ok(match (&d.manifest, tls) {
        (Some(path), Some(_)) => {
            let operator = d
                .operator_fingerprint
                .as_deref()
                .ok_or_else(|| DirectoryError::Operator("directory.operator is not set".into()))?;
            Directory::load_signed(path, operator, now)?
        }
        (Some(path), None) => Directory::load_unsigned(path, me(settings, tls))?,
        (None, _) => Directory::own(me(settings, tls)),
    })
}

/// Verify a kept version again (it was verified when accepted; the operator pin may have
/// changed since).
pub fn kept(json: &str, operator_fingerprint: &str) -> Result<SignedManifest, DirectoryError> {
    let signed: SignedManifest = serde_json::from_str(json).map_err(|e| DirectoryError::Parse {
        path: "directory_versions".into(),
        message: e.to_string(),
    })?;
    doorbraak_federation::directory::verify(&signed, operator_fingerprint)?;
    Ok(signed)
}
