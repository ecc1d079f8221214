//! The alderman's stagnation view across simulated member nodes (50, 200 and 500 by default),
//! 10 % of which never answer and 10 % of which answer after twice the deadline: a real
//! municipality node (mTLS, signed directory) fans out to in-process gRPC servers with their
//! own certificates. Reports, in one run, the first view (every member asked fresh, nothing
//! known: the baseline) and the views after it (slow and silent members served from their
//! last answer or named missing, not waited for), p50/p95, and the process's CPU time and peak
//! memory.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-oversight -- [ROUNDS] [MEMBERS...]`
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

struct Stub {
    figures: Vec<u8>,
    /// Never answers / answers after this long.
    delay: Option<Duration>,
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
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
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
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(40);
    let sizes: Vec<usize> = args.map(|s| s.parse()).collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![50, 200, 500]
    } else {
        sizes
    };
    println!(
        "| members | silent | slow (2× deadline) | deadline | first view (all asked fresh) | later views p50 | p95 | max | fresh | last-known | missing | CPU (process) | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        run(n, rounds).await?;
    }
    Ok(())
}

/// CPU seconds of this process so far, and its peak resident memory (kB), from /proc.
fn usage() -> (f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (cpu, hwm)
}

async fn run(members_n: usize, rounds: usize) -> anyhow::Result<()> {
    let silent = members_n / 10;
    let slow = members_n / 10;
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
    // the deadline of the view (the node's default), known before the stubs are made
    let deadline = Duration::from_millis(750);
    for i in 0..members_n {
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
            delay: if i < silent {
                Some(Duration::from_secs(3600))
            } else if i < silent + slow {
                Some(2 * deadline)
            } else {
                None
            },
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
    anyhow::ensure!(
        settings.app.oversight.deadline_ms == 750,
        "the default deadline changed"
    );
    let node = doorbraak_node::server::open(settings).await?;

    let (cpu0, _) = usage();
    let t = Instant::now();
    doorbraak_app::ops::oversight::region_view(
        &node,
        deadline,
        Suppression::default(),
        Period::ALL,
    )
    .await?;
    let first = t.elapsed();
    // the slow members' late answers come in behind the first view
    tokio::time::sleep(3 * deadline).await;
    let mut lat = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        last = Some(
            doorbraak_app::ops::oversight::region_view(
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
    let (cpu1, hwm) = usage();
    let v = last.as_ref();
    let stale = v.map_or(0, |v| v.stale.len());
    println!(
        "| {members_n} | {silent} | {slow} | {} ms | {:.0} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {stale} | {} | {:.2} s for {} views | {} MB |",
        deadline.as_millis(),
        first.as_secs_f64() * 1e3,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        v.map_or(0, |v| v.contributing.len()) - stale,
        v.map_or(0, |v| v.missing.len()),
        cpu1 - cpu0,
        rounds + 1,
        hwm / 1024,
    );
    for s in servers {
        s.abort();
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
