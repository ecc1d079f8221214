//! The node's view of the federation directory (re-exported from `doorbraak-federation`):
//! a signed manifest verified against the federation CA when the node has federation TLS, or
//! an unsigned member list for a standalone development node.

pub use doorbraak_federation::directory::{Directory, DirectoryError, Member, MemberList};

use doorbraak_federation::tls::TlsMaterial;

use crate::config::Settings;

/// Why a directory reload was refused (the directory in use stays).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(
        "the manifest on disk ({on_disk}) is older than the one in use ({in_use}); refusing to go back"
    )]
    Older { on_disk: String, in_use: String },
}

/// Load (and verify) the directory for these settings: the signed manifest with federation
/// TLS, an unsigned member list without, or only this node when no manifest is configured.
pub fn load(settings: &Settings, tls: Option<&TlsMaterial>) -> Result<Directory, DirectoryError> {
    let me = Member {
        oin: settings.oin.clone(),
        name: settings.name.clone(),
        kind: settings.kind,
        region: String::new(),
        endpoint: settings.grpc_listen.to_string(),
        fingerprint: tls.map(|t| t.own.fingerprint.clone()).unwrap_or_default(),
        roles: Vec::new(),
        person_roles: Vec::new(),
    };
    Ok(match (&settings.directory_manifest, tls) {
        (Some(path), Some(tls)) => Directory::load_signed(path, &tls.ca_der)?,
        (Some(path), None) => Directory::load_unsigned(path, me)?,
        (None, _) => Directory::own(me),
    })
}
