//! `doorbraak pki`: the development federation PKI and the signed directory manifest.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use doorbraak_federation::directory::{Manifest, MemberList, sign};
use doorbraak_federation::identity::fingerprint;
use doorbraak_federation::pki::{PkiDir, pem_to_der};

#[derive(Subcommand)]
pub enum PkiCommand {
    /// Make a development federation CA in DIR.
    Init {
        #[arg(long)]
        dir: PathBuf,
        /// Name of the federation (in the CA's subject).
        #[arg(long, default_value = "Doorbraak ontwikkelfederatie")]
        federation: String,
    },
    /// Issue a node certificate: OIN in subject serialNumber, organisation name in O.
    Issue {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        oin: String,
        #[arg(long)]
        name: String,
        /// Host names or IP addresses the node is reached at.
        #[arg(long = "host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        hosts: Vec<String>,
    },
    /// Revoke the current certificate of an organisation (re-signs crl.pem).
    Revoke {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        oin: String,
    },
    /// Build and sign the directory manifest from a member list (JSON `{"members": [...]}`);
    /// certificate fingerprints are filled in from DIR/nodes.
    Manifest {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        members: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "Doorbraak ontwikkelfederatie")]
        federation: String,
    },
}

/// Sign `members` into a manifest with the CA in `pki`.
pub fn write_manifest(
    pki: &PkiDir,
    mut list: MemberList,
    federation: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    for m in &mut list.members {
        let path = pki.node_cert(m.oin.as_str());
        let pem = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no certificate for {} ({}); issue it first",
                m.oin,
                path.display()
            )
        })?;
        m.fingerprint = fingerprint(&pem_to_der(&pem)?);
    }
    let manifest = Manifest {
        federation: federation.to_owned(),
        issued_at: jiff::Timestamp::now(),
        members: list.members,
    };
    let signed = sign(manifest, &pki.ca_keypair()?)?;
    std::fs::write(out, serde_json::to_string_pretty(&signed)?)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

pub fn run(cmd: PkiCommand) -> anyhow::Result<()> {
    match cmd {
        PkiCommand::Init { dir, federation } => {
            let pki = PkiDir(dir);
            pki.init_ca(&federation)?;
            println!("CA created: {}", pki.ca_cert().display());
        }
        PkiCommand::Issue {
            dir,
            oin,
            name,
            hosts,
        } => {
            let pki = PkiDir(dir);
            pki.issue_node(&oin, &name, &hosts)?;
            println!(
                "issued: {} and {}",
                pki.node_cert(&oin).display(),
                pki.node_key(&oin).display()
            );
        }
        PkiCommand::Revoke { dir, oin } => {
            let pki = PkiDir(dir);
            let serial = pki.revoke(&oin)?;
            println!(
                "revoked {oin} (serial {serial}); CRL: {}",
                pki.crl().display()
            );
        }
        PkiCommand::Manifest {
            dir,
            members,
            out,
            federation,
        } => {
            let text = std::fs::read_to_string(&members)
                .with_context(|| format!("reading {}", members.display()))?;
            let list: MemberList = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", members.display()))?;
            write_manifest(&PkiDir(dir), list, &federation, &out)?;
            println!("signed manifest: {}", out.display());
        }
    }
    Ok(())
}
