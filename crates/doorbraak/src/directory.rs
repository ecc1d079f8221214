//! `doorbraak directory`: the federation operator's commands. The operator (e.g. the youth-care
//! region's office) keeps a working directory with its signing key and the draft member list,
//! and publishes each signed manifest to the members' nodes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use doorbraak_federation::directory::{Member, SignedManifest};
use doorbraak_federation::operator::{OperatorDir, read_cert};
use doorbraak_model::{Oin, OrgKind, Role, Timestamp};

#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Start a federation's directory in DIR: a new operator key with a self-signed
    /// certificate, or an existing certificate and key (`--cert`, `--key`, e.g. the region
    /// office's PKIoverheid certificate), and an empty member list.
    Init {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        federation: String,
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
    /// Add a member (or replace its entry) with its node certificate.
    AddMember {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        oin: String,
        #[arg(long)]
        name: String,
        /// municipality, local_team, veilig_thuis, certified_institution, care_provider
        #[arg(long)]
        kind: String,
        /// The node's gRPC endpoint, host:port.
        #[arg(long)]
        endpoint: String,
        /// The node certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        #[arg(long, default_value = "")]
        region: String,
        /// A directory role, e.g. `oversight:utrecht` (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Narrow the roles the member may name its people in (repeatable; none: all roles
        /// that exist at its kind of organisation).
        #[arg(long = "person-role")]
        person_roles: Vec<String>,
    },
    /// Remove a member.
    RemoveMember {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        oin: String,
    },
    /// A member renews its certificate: the new one is listed from now, the old ones until
    /// the end of the overlap.
    Rotate {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        oin: String,
        /// The new node certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Days in which the old and the new certificate both work.
        #[arg(long, default_value_t = 14)]
        overlap_days: i64,
    },
    /// Sign the member list as the next manifest (serial one higher) and write it to OUT.
    Sign {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Days the manifest stays in force; sign a new one before.
        #[arg(long, default_value_t = 90)]
        valid_days: i64,
    },
    /// Check a manifest: signed by this operator certificate, in force now.
    Verify {
        manifest: PathBuf,
        /// The operator's certificate (PEM) you trust.
        #[arg(long)]
        operator: PathBuf,
    },
}

fn oin(s: &str) -> anyhow::Result<Oin> {
    Oin::parse(s).map_err(|e| anyhow::anyhow!("--oin: {}", e.message_en()))
}

fn days(n: i64) -> anyhow::Result<jiff::SignedDuration> {
    if !(0..=366).contains(&n) {
        anyhow::bail!("between 0 and 366 days");
    }
    Ok(jiff::SignedDuration::from_hours(24 * n))
}

fn write_manifest(out: &Path, signed: &SignedManifest) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(signed)?;
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

pub fn run(cmd: DirectoryCommand) -> anyhow::Result<()> {
    match cmd {
        DirectoryCommand::Init {
            dir,
            federation,
            cert,
            key,
        } => {
            let op = OperatorDir(dir);
            op.init(&federation, cert.as_deref().zip(key.as_deref()))?;
            println!(
                "operator ready: {} (SHA-256 {}); name it in each node's [directory] operator",
                op.cert().display(),
                op.fingerprint()?
            );
        }
        DirectoryCommand::AddMember {
            dir,
            oin: o,
            name,
            kind,
            endpoint,
            cert,
            region,
            roles,
            person_roles,
        } => {
            let kind: OrgKind = serde_json::from_value(serde_json::Value::String(kind.clone()))
                .map_err(|_| anyhow::anyhow!("--kind: '{kind}' is not a kind of organisation"))?;
            let person_roles = person_roles
                .iter()
                .map(|r| {
                    r.parse::<Role>()
                        .map_err(|_| anyhow::anyhow!("--person-role: '{r}' is not a role"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            for r in &person_roles {
                doorbraak_model::check_claimed_role(*r, kind, &[])
                    .map_err(|e| anyhow::anyhow!("--person-role: {}", e.message_en()))?;
            }
            let der = read_cert(&cert)?;
            let member = Member {
                oin: oin(&o)?,
                name,
                kind,
                region,
                endpoint,
                certificates: Vec::new(),
                roles,
                person_roles,
            };
            OperatorDir(dir).add_member(member, &der)?;
            println!("added {o}; sign the list to publish it");
        }
        DirectoryCommand::RemoveMember { dir, oin: o } => {
            OperatorDir(dir).remove_member(&oin(&o)?)?;
            println!("removed {o}; sign the list to publish it");
        }
        DirectoryCommand::Rotate {
            dir,
            oin: o,
            cert,
            overlap_days,
        } => {
            let now = Timestamp::now();
            let until = now.checked_add(days(overlap_days)?)?;
            OperatorDir(dir).rotate(&oin(&o)?, &read_cert(&cert)?, now, until)?;
            println!(
                "new certificate of {o} listed; the old one until {until}; sign the list to publish it"
            );
        }
        DirectoryCommand::Sign {
            dir,
            out,
            valid_days,
        } => {
            let signed = OperatorDir(dir).sign(Timestamp::now(), valid_days)?;
            write_manifest(&out, &signed)?;
            println!(
                "signed manifest serial {} ({} members), in force until {}: {}",
                signed.manifest.serial,
                signed.manifest.members.len(),
                signed.manifest.expires_at,
                out.display()
            );
        }
        DirectoryCommand::Verify { manifest, operator } => {
            let signed = doorbraak_federation::directory::read_signed(&manifest)?;
            let fp = doorbraak_federation::identity::fingerprint(&read_cert(&operator)?);
            doorbraak_federation::directory::verify(&signed, &fp)?;
            doorbraak_federation::directory::check_fresh(&signed, Timestamp::now())?;
            println!(
                "valid: serial {}, {} members, signed by the operator, in force until {}",
                signed.manifest.serial,
                signed.manifest.members.len(),
                signed.manifest.expires_at
            );
        }
    }
    Ok(())
}
