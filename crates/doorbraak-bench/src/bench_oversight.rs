//! The alderman's stagnation view across 50 simulated member nodes, 10 % of which do not
//! answer: a real municipality node (mTLS, signed directory) fans out to 50 in-process gRPC
//! servers with their own certificates; 45 answer with figures, 5 never answer within the
//! deadline. Reports p50/p95 of the whole view.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-oversight -- [ROUNDS]`
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use doorbraak_federation::directory::Member;
use doorbraak_federation::pki::PkiDir;
use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_model::oversight::{NodeFigures, Period, Suppression};
use doorbraak_model::{Oin, OrgKind};
use doorbraak_proto::v1;
use tonic::{Request, Response, Status};

const MEMBERS: usize = 50;
const SILENT: usize = 5;

struct Stub {
    figures: Vec<u8>,
    silent: bool,
}

#[tonic::async_trait]
impl v1::federation_server::Federation for Stub {
    async fn identity(
        &self,
        _: Request<v1::IdentityRequest>,
    ) -> Result<Response<v1::IdentityResponse>, Status> {
        Err(Status::unimplemented("stub"))
    }
    async fn deliver(
        &self,
        _: Request<v1::DeliverRequest>,
    ) -> Result<Response<v1::DeliverResponse>, Status> {
        Err(Status::unimplemented("stub"))
    }
    async fn request(
        &self,
        _: Request<v1::CommandRequest>,
    ) -> Result<Response<v1::CommandResponse>, Status> {
        Err(Status::unimplemented("stub"))
    }
    async fn fetch_events(
        &self,
        _: Request<v1::FetchEventsRequest>,
    ) -> Result<Response<v1::FetchEventsResponse>, Status> {
        Err(Status::unimplemented("stub"))
    }
    async fn streams_of_home(
        &self,
        _: Request<v1::StreamsOfHomeRequest>,
    ) -> Result<Response<v1::StreamsOfHomeResponse>, Status> {
        Err(Status::unimplemented("stub"))
    }
    async fn aggregates(
        &self,
        _: Request<v1::AggregatesRequest>,
    ) -> Result<Response<v1::AggregatesResponse>, Status> {
        if self.silent {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Ok(Response::new(v1::AggregatesResponse {
            figures: self.figures.clone(),
        }))
    }
}

fn oin(i: usize) -> String {
    format!("00000001{:012}", 100 + i)
}

fn material(pki: &PkiDir, o: &str) -> anyhow::Result<TlsMaterial> {
    let f = pki.node_files(o);
    Ok(TlsMaterial::load(&TlsFiles {
        ca: f.ca,
        cert: f.cert,
        key: f.key,
        crl: Some(f.crl),
    })?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    doorbraak_federation::tls::install_default_provider();
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(40);
    let dir = std::env::temp_dir().join(format!(
        "doorbraak-bench-oversight-{}",
        uuid::Uuid::now_v7()
    ));
    std::fs::create_dir_all(&dir)?;
    let pki = PkiDir(dir.join("pki"));
    pki.init_ca("bench")?;
    let gem = "00000001000000000040";
    pki.issue_node(gem, "Gemeente", &["localhost".into(), "127.0.0.1".into()])?;
    let mut members = vec![];
    let mut servers = vec![];
    for i in 0..MEMBERS {
        let o = oin(i);
        pki.issue_node(
            &o,
            &format!("Organisatie {i}"),
            &["localhost".into(), "127.0.0.1".into()],
        )?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut f = NodeFigures {
            org: o.clone(),
            ..NodeFigures::default()
        };
        f.open_by_step_situation
            .insert("2/2".into(), 3 + (i as u64 % 7));
        f.open_by_pair
            .insert(format!("{o} -> {gem}"), 2 + (i as u64 % 5));
        f.age_in_step_days = (0..10).map(|d| d * (i as i64 % 4 + 1)).collect();
        f.overdue_steps = i as u64 % 3;
        f.bottlenecks
            .insert("system.organisational".into(), 1 + i as u64 % 2);
        let stub = Stub {
            figures: doorbraak_model::canonical::to_vec(&f)?,
            silent: i < SILENT,
        };
        let incoming = doorbraak_federation::transport::incoming(listener, &material(&pki, &o)?);
        servers.push(tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(v1::federation_server::FederationServer::new(stub))
                .serve_with_incoming(incoming)
                .await;
        }));
        members.push(Member {
            oin: Oin::parse(&o).map_err(|e| anyhow::anyhow!("{e}"))?,
            name: format!("Organisatie {i}"),
            kind: OrgKind::CareProvider,
            region: "bench".into(),
            endpoint: addr.to_string(),
            certificates: Vec::new(),
            roles: vec![],
            person_roles: Vec::new(),
        });
    }
    members.push(Member {
        oin: Oin::parse(gem).map_err(|e| anyhow::anyhow!("{e}"))?,
        name: "Gemeente".into(),
        kind: OrgKind::Municipality,
        region: "bench".into(),
        endpoint: "127.0.0.1:1".into(),
        certificates: Vec::new(),
        roles: vec!["oversight:bench".into()],
        person_roles: Vec::new(),
    });
    let manifest = dir.join("directory.json");
    let operator = doorbraak_federation::operator::OperatorDir(dir.join("operator"));
    doorbraak_federation::operator::sign_dev_manifest(
        &operator, &pki, "bench", members, &manifest,
    )?;
    let f = pki.node_files(gem);
    let toml = format!(
        "[node]\noin = \"{gem}\"\nname = \"Gemeente\"\nkind = \"municipality\"\ndata_dir = \"{}\"\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\ncrl = \"{}\"\n[directory]\nmanifest = \"{}\"\noperator = \"{}\"\n",
        dir.join("gem").display(),
        f.ca.display(),
        f.cert.display(),
        f.key.display(),
        f.crl.display(),
        manifest.display(),
        dir.join("operator").join("operator.pem").display()
    );
    let settings =
        doorbraak_node::NodeConfig::from_toml(&toml, Path::new("bench.toml"), &dir, Vec::new())?;
    let deadline = Duration::from_millis(settings.oversight.deadline_ms);
    let node = doorbraak_node::server::open(settings).await?;

    let mut lat = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        last = Some(
            doorbraak_node::ops::oversight::region_view(
                &node,
                deadline,
                Suppression::default(),
                Period::ALL,
            )
            .await?,
        );
        lat.push(t.elapsed());
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    println!(
        "| members | not answering | deadline | rounds | p50 | p95 | max | contributing | missing |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {MEMBERS} | {SILENT} | {} ms | {rounds} | {:.0} ms | {:.0} ms | {:.0} ms | {} | {} |",
        deadline.as_millis(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        last.as_ref().map_or(0, |v| v.contributing.len()),
        last.as_ref().map_or(0, |v| v.missing.len()),
    );
    for s in servers {
        s.abort();
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
