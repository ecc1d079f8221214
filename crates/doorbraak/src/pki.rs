//! `doorbraak pki`: the development federation PKI (CA, node certificates, CRL). The directory
//! is the operator's: `doorbraak directory`.

use std::path::PathBuf;

use clap::Subcommand;
use doorbraak_federation::pki::PkiDir;

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
    }
    Ok(())
}
