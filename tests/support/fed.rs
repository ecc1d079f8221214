//! A federation of real `doorbraak node` processes on loopback with a real development PKI,
//! a signed directory and mutual TLS.

use std::path::PathBuf;

use doorbraak_federation::directory::{Member, MemberList};
use doorbraak_federation::operator::OperatorDir;
use doorbraak_federation::pki::PkiDir;
use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_model::{Oin, OrgKind};
use doorbraak_proto::v1::federation_client::FederationClient;
use serde_json::Value;
use tonic::transport::Channel;

use super::NodeProc;

pub struct FedOrg {
    pub oin: &'static str,
    pub name: &'static str,
    pub kind: OrgKind,
    pub http: u16,
    pub grpc: u16,
    pub config: PathBuf,
    pub proc: Option<NodeProc>,
    /// A PostgreSQL database instead of the node's SQLite file.
    pub database: Option<String>,
}

pub struct Fed {
    pub dir: PathBuf,
    pub pki: PkiDir,
    pub orgs: Vec<FedOrg>,
}

/// Users of every test org `i`: (id, role); tokens are `test-token-{i}-{id}`.
pub const USERS: [(&str, &str); 8] = [
    ("p", "professional"),
    ("g", "behavioural_scientist"),
    ("tm", "team_manager"),
    ("d", "director"),
    ("b", "board_member"),
    ("cs", "civil_servant"),
    ("w", "alderman"),
    ("a", "admin"),
];

pub fn tok(i: usize, user: &str) -> String {
    format!("test-token-{i}-{user}")
}

/// The person id of `user` at org `i` (unique across orgs).
pub fn pid(i: usize, user: &str) -> String {
    format!("{user}{i}")
}

/// (seq, event id, event type) of an escalation's log at a node, as the holder of `token`.
pub async fn escalation_log(node: &NodeProc, token: &str, id: &str) -> Vec<(i64, String, String)> {
    let (s, b) = node
        .get(&format!("/api/v1/escalations/{id}/events"), token)
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["event_id"].as_str().unwrap().to_owned(),
                e["event"]["body"]["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

impl Fed {
    /// PKI, certificates, signed manifest and configs for `orgs`; `outsiders` get certificates
    /// of the same CA but are not in the directory; `revoked` are members whose certificate is
    /// revoked before the nodes start.
    pub fn create(
        tag: &str,
        orgs: &[(&'static str, &'static str, OrgKind)],
        outsiders: &[&str],
        revoked: &[(&'static str, &'static str, OrgKind)],
    ) -> Fed {
        let dir = super::tempdir(tag);
        let pki = PkiDir(dir.join("pki"));
        pki.init_ca("Testfederatie").unwrap();
        let mut list = Vec::new();
        let mut fed_orgs = Vec::new();
        for (oin, name, kind) in orgs.iter().chain(revoked.iter()) {
            pki.issue_node(oin, name, &["localhost".into(), "127.0.0.1".into()])
                .unwrap();
            let (http, grpc) = (super::free_port(), super::free_port());
            list.push(Member {
                oin: Oin::parse(oin).unwrap(),
                name: (*name).into(),
                kind: *kind,
                region: "utrecht".into(),
                endpoint: format!("127.0.0.1:{grpc}"),
                certificates: Vec::new(),
                roles: if *kind == OrgKind::Municipality {
                    vec!["oversight:utrecht".into()]
                } else {
                    vec![]
                },
                person_roles: Vec::new(),
            });
            fed_orgs.push(FedOrg {
                oin,
                name,
                kind: *kind,
                http,
                grpc,
                config: PathBuf::new(),
                proc: None,
                database: None,
            });
        }
        for o in outsiders {
            pki.issue_node(
                o,
                "Buitenstaander",
                &["localhost".into(), "127.0.0.1".into()],
            )
            .unwrap();
        }
        let manifest = dir.join("directory.json");
        // signed by the federation's operator, the certificates from the PKI
        let operator = OperatorDir(dir.join("operator"));
        doorbraak_federation::operator::sign_dev_manifest(
            &operator,
            &pki,
            "Testfederatie",
            list,
            &manifest,
        )
        .unwrap();
        for (oin, _, _) in revoked {
            pki.revoke(oin).unwrap();
        }
        for (i, o) in fed_orgs.iter_mut().enumerate() {
            let node_dir = dir.join(format!("node{i}"));
            std::fs::create_dir_all(&node_dir).unwrap();
            let f = pki.node_files(o.oin);
            let kind = serde_json::to_value(o.kind).unwrap();
            let mut toml = format!(
                "[node]\noin = \"{}\"\nname = \"{}\"\nkind = \"{}\"\ndata_dir = \"data\"\n\n[http]\nlisten = \"127.0.0.1:{}\"\n\n[grpc]\nlisten = \"127.0.0.1:{}\"\n\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\ncrl = \"{}\"\n\n[directory]\nmanifest = \"{}\"\noperator = \"{}\"\n\n[sweeper]\ninterval_secs = 1\n",
                o.oin,
                o.name,
                kind.as_str().unwrap(),
                o.http,
                o.grpc,
                f.ca.display(),
                f.cert.display(),
                f.key.display(),
                f.crl.display(),
                manifest.display(),
                operator.cert().display()
            );
            for (u, role) in USERS {
                toml.push_str(&format!(
                    "\n[[dev_users]]\nid = \"{}\"\nname = \"Persoon {}\"\nrole = \"{role}\"\ntoken = \"{}\"\n",
                    pid(i, u),
                    pid(i, u),
                    tok(i, u)
                ));
            }
            o.config = node_dir.join("node.toml");
            std::fs::write(&o.config, toml).unwrap();
        }
        Fed {
            dir,
            pki,
            orgs: fed_orgs,
        }
    }

    /// Change the member list and have the operator sign it as the next manifest; nodes read
    /// it on reload.
    #[allow(dead_code)]
    pub fn edit_directory(&self, edit: impl FnOnce(&mut MemberList)) {
        let op = self.operator();
        let mut list = op.draft().unwrap();
        edit(&mut list);
        op.save(&list).unwrap();
        self.publish();
    }

    /// The operator signs its list as the next manifest, written where the nodes read it.
    fn publish(&self) {
        let signed = self.operator().sign(jiff::Timestamp::now(), 366).unwrap();
        std::fs::write(
            self.dir.join("directory.json"),
            serde_json::to_string_pretty(&signed).unwrap(),
        )
        .unwrap();
    }

    /// Put every org on a PKIoverheid-shaped RSA chain (before they start): the trust bundle
    /// is the chain's root only, each node sends its intermediate, no CRL; the operator lists
    /// the new certificates in the next manifest.
    #[allow(dead_code)]
    pub fn use_pkioverheid(&self, chain: &super::pkio::Chain) {
        std::fs::write(self.pki.ca_cert(), &chain.root_pem).unwrap();
        let _ = std::fs::remove_file(self.pki.crl());
        let op = self.operator();
        let mut list = op.draft().unwrap();
        for o in &self.orgs {
            let c = chain.issue(o.oin, o.name);
            std::fs::write(self.pki.node_cert(o.oin), &c.chain_pem).unwrap();
            std::fs::write(self.pki.node_key(o.oin), &c.key_pem).unwrap();
            let der =
                doorbraak_federation::operator::read_cert(&self.pki.node_cert(o.oin)).unwrap();
            for m in list.members.iter_mut().filter(|m| m.oin.as_str() == o.oin) {
                m.certificates = vec![doorbraak_federation::operator::listed(&der).unwrap()];
            }
        }
        op.save(&list).unwrap();
        self.publish();
    }

    /// The federation operator's working directory.
    #[allow(dead_code)]
    pub fn operator(&self) -> OperatorDir {
        OperatorDir(self.dir.join("operator"))
    }

    pub fn start(&mut self, i: usize) {
        self.start_with(i, &[]);
    }

    /// Start org `i` with extra environment variables.
    pub fn start_with(&mut self, i: usize, env: &[(&str, &str)]) {
        let p = NodeProc::start(&self.orgs[i].config, env);
        self.orgs[i].proc = Some(p);
    }

    pub fn start_all(&mut self, n: usize) {
        for i in 0..n {
            self.start(i);
        }
    }

    pub fn stop(&mut self, i: usize) {
        if let Some(mut p) = self.orgs[i].proc.take() {
            p.kill();
        }
    }

    pub fn node(&self, i: usize) -> &NodeProc {
        self.orgs[i].proc.as_ref().expect("node running")
    }

    pub fn db_url(&self, i: usize) -> String {
        match &self.orgs[i].database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}/node{i}/data/node.db", self.dir.display()),
        }
    }

    /// Put org `i` on a PostgreSQL database (before it starts).
    pub fn use_database(&mut self, i: usize, url: &str) {
        let mut toml = std::fs::read_to_string(&self.orgs[i].config).unwrap();
        toml.push_str(&format!("\n[database]\nurl = \"{url}\"\n"));
        std::fs::write(&self.orgs[i].config, toml).unwrap();
        self.orgs[i].database = Some(url.to_owned());
    }

    /// Every org on a fresh PostgreSQL database of its own, when `postgres` is set.
    pub async fn on_backend(&mut self, postgres: bool) {
        if !postgres {
            return;
        }
        for i in 0..self.orgs.len() {
            let url = doorbraak_store::testing::fresh_postgres()
                .await
                .expect("PostgreSQL configured");
            self.use_database(i, &url);
        }
    }

    /// Send a signal (`STOP`, `CONT`) to org `i`'s process.
    pub fn signal(&self, i: usize, sig: &str) {
        if let Some(p) = &self.orgs[i].proc {
            let _ = std::process::Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(p.child.id().to_string())
                .status();
        }
    }

    /// TLS material of the certificate issued for `oin` (member or outsider).
    pub fn material(&self, oin: &str) -> TlsMaterial {
        let f = self.pki.node_files(oin);
        TlsMaterial::load(&TlsFiles {
            ca: f.ca,
            cert: f.cert,
            key: f.key,
            crl: Some(f.crl),
        })
        .unwrap()
    }

    /// A gRPC client to org `target`, presenting the certificate of `as_oin`.
    pub fn client_as(&self, as_oin: &str, target: usize) -> FederationClient<Channel> {
        let m = self.material(as_oin);
        let ch = doorbraak_federation::transport::channel(
            &format!("127.0.0.1:{}", self.orgs[target].grpc),
            m.client,
            Oin::parse(self.orgs[target].oin).unwrap(),
        )
        .unwrap();
        FederationClient::new(ch)
    }

    /// Poll `GET path` on org `i` until `ok(body)` holds (up to ~15 s).
    pub async fn wait_for(
        &self,
        i: usize,
        user: &str,
        path: &str,
        ok: impl Fn(u16, &Value) -> bool,
    ) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            let (s, b) = self.node(i).get(path, &tok(i, user)).await;
            if ok(s, &b) {
                return b;
            }
            last = b;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting on org {i} for {path}: last {last}");
    }

    /// (seq, event id, event type) of an escalation's log at org `i` (as its team manager).
    pub async fn events(&self, i: usize, id: &str) -> Vec<(i64, String, String)> {
        escalation_log(self.node(i), &tok(i, "tm"), id).await
    }

    /// Wait until org `i` delivered everything (nothing pending, nothing refused).
    pub async fn drained(&self, i: usize) {
        self.wait_for(i, "a", "/api/v1/federation/peers", |s, b| {
            s == 200
                && b.as_array()
                    .is_some_and(|a| a.iter().all(|p| p["pending"] == 0 && p["rejected"] == 0))
        })
        .await;
    }
}
