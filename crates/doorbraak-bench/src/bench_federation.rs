//! Federation delivery against a raw mTLS baseline, in one run:
//!
//! 1. baseline: a bare tonic unary call (the Identity RPC answered from memory) over the same
//!    mutual TLS stack, at concurrency 1 and 64: calls/s, p50, p99;
//! 2. end to end: two real nodes (local team -> Veilig Thuis, SQLite, in-process, real sockets
//!    and mTLS); an escalation opened at the home is committed there, delivered from the
//!    outbox and committed at the party. Latency from commit at the sender to commit at the
//!    receiver, at concurrency 1 (idle) and 64 (load);
//! 3. sustained delivery: a backlog built while the party is unreachable, then delivered:
//!    durable events/s, as a ratio to the baseline.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-federation -- [N]`
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use doorbraak_bench::{LT, VT, oin, open_escalation};
use doorbraak_federation::directory::Member;
use doorbraak_federation::pki::PkiDir;
use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::{Actor, Escalation, EscalationId, OrgKind, Role, Situation};
use doorbraak_node::server::Server;
use doorbraak_proto::v1;
use tokio::sync::{Mutex, oneshot};
use tonic::{Request, Response, Status};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The baseline server: answers Identity from memory.
struct Echo;

#[tonic::async_trait]
impl v1::federation_server::Federation for Echo {
    async fn identity(
        &self,
        _: Request<v1::IdentityRequest>,
    ) -> Result<Response<v1::IdentityResponse>, Status> {
        Ok(Response::new(v1::IdentityResponse {
            oin: LT.into(),
            name: "echo".into(),
            software_version: "0".into(),
            ..Default::default()
        }))
    }
    async fn deliver(
        &self,
        _: Request<v1::DeliverRequest>,
    ) -> Result<Response<v1::DeliverResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
    async fn request(
        &self,
        _: Request<v1::CommandRequest>,
    ) -> Result<Response<v1::CommandResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
    async fn aggregates(
        &self,
        _: Request<v1::AggregatesRequest>,
    ) -> Result<Response<v1::AggregatesResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
    async fn fetch_events(
        &self,
        _: Request<v1::FetchEventsRequest>,
    ) -> Result<Response<v1::FetchEventsResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
    async fn streams_of_home(
        &self,
        _: Request<v1::StreamsOfHomeRequest>,
    ) -> Result<Response<v1::StreamsOfHomeResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
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

async fn baseline(
    pki: &PkiDir,
    n: usize,
    conc: usize,
) -> anyhow::Result<(f64, Duration, Duration)> {
    let server = material(pki, LT)?;
    let client = material(pki, VT)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = doorbraak_federation::transport::incoming(listener, &server);
    let (stop, stopped) = oneshot::channel::<()>();
    let srv = tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(v1::federation_server::FederationServer::new(Echo))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await;
    });
    let ch = doorbraak_federation::transport::channel(
        &addr.to_string(),
        client.client.clone(),
        oin(LT)?,
    )?;
    let c = v1::federation_client::FederationClient::new(ch);
    // warm up the connection
    c.clone().identity(v1::IdentityRequest::default()).await?;
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (mut c, next) = (c.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let t = Instant::now();
                c.identity(v1::IdentityRequest::default()).await?;
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let wall = started.elapsed();
    lat.sort();
    let _ = stop.send(());
    let _ = srv.await;
    Ok((
        n as f64 / wall.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
    ))
}

struct Pair {
    lt: Server,
    vt: Server,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    vt_config: String,
}

async fn start_node(
    toml: &str,
    dir: &Path,
    stop: &tokio::sync::watch::Sender<bool>,
) -> anyhow::Result<(Server, tokio::task::JoinHandle<()>)> {
    let settings =
        doorbraak_node::NodeConfig::from_toml(toml, Path::new("bench.toml"), dir, Vec::new())?;
    let node = doorbraak_node::server::open(settings).await?;
    let (tx, rx) = oneshot::channel();
    let mut srx = stop.subscribe();
    let n = node.clone();
    let task = tokio::spawn(async move {
        let _ = doorbraak_node::server::run(
            n,
            async move {
                let _ = srx.changed().await;
            },
            move |b| {
                let _ = tx.send(b);
            },
        )
        .await;
    });
    rx.await.context("node did not start")?;
    Ok((node, task))
}

fn config(pki: &PkiDir, manifest: &Path, o: &str, http: u16, grpc: u16, dir: &Path) -> String {
    let f = pki.node_files(o);
    format!(
        "[node]\noin = \"{o}\"\nname = \"{o}\"\nkind = \"{}\"\ndata_dir = \"{}\"\n[http]\nlisten = \"127.0.0.1:{http}\"\n[grpc]\nlisten = \"127.0.0.1:{grpc}\"\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\ncrl = \"{}\"\n[directory]\nmanifest = \"{}\"\noperator = \"{}\"\n[database]\nmax_connections = 16\n",
        if o == LT {
            "local_team"
        } else {
            "veilig_thuis"
        },
        dir.join(o).display(),
        f.ca.display(),
        f.cert.display(),
        f.key.display(),
        f.crl.display(),
        manifest.display(),
        manifest
            .with_file_name("operator")
            .join("operator.pem")
            .display()
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn pair(pki: &PkiDir, dir: &Path) -> anyhow::Result<Pair> {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect::<anyhow::Result<_>>()?;
    let mut members = Vec::new();
    for (o, kind, grpc) in [
        (LT, OrgKind::LocalTeam, ports[1]),
        (VT, OrgKind::VeiligThuis, ports[3]),
    ] {
        members.push(Member {
            oin: oin(o)?,
            name: o.into(),
            kind,
            region: "bench".into(),
            endpoint: format!("127.0.0.1:{grpc}"),
            certificates: Vec::new(),
            roles: vec![],
            person_roles: Vec::new(),
        });
    }
    let manifest = dir.join("directory.json");
    let operator = doorbraak_federation::operator::OperatorDir(dir.join("operator"));
    doorbraak_federation::operator::sign_dev_manifest(&operator, pki, "bench", members, &manifest)?;
    let (stop, _) = tokio::sync::watch::channel(false);
    let (lt, t1) = start_node(
        &config(pki, &manifest, LT, ports[0], ports[1], dir),
        dir,
        &stop,
    )
    .await?;
    let vt_config = config(pki, &manifest, VT, ports[2], ports[3], dir);
    let (vt, t2) = start_node(&vt_config, dir, &stop).await?;
    Ok(Pair {
        lt,
        vt,
        stop,
        tasks: vec![t1, t2],
        vt_config,
    })
}

fn open(id: EscalationId) -> anyhow::Result<C> {
    open_escalation(id, "LT-BENCH", Situation::AgreementsNotKept, vec![])
}

/// Open `n` escalations with `conc` tasks; each waits until its escalation is committed at
/// the party. Returns events/s and the commit-to-commit latencies.
async fn end_to_end(p: &Pair, n: usize, conc: usize) -> anyhow::Result<(f64, Vec<Duration>)> {
    let waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Instant>>>> = Arc::default();
    let mut rx = p.vt.applied.subscribe();
    let w = waiting.clone();
    let dispatcher = tokio::spawn(async move {
        while let Ok((id, _)) = rx.recv().await {
            let now = Instant::now();
            if let Some(tx) = w.lock().await.remove(&id) {
                let _ = tx.send(now);
            }
        }
    });
    let anna = Actor::person("anna", Role::Professional, oin(LT)?);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (lt, anna, next, waiting) = (p.lt.clone(), anna.clone(), next.clone(), waiting.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let id = EscalationId(lt.new_stream_id());
                let (tx, rx) = oneshot::channel();
                waiting.lock().await.insert(id.to_string(), tx);
                lt.execute::<Escalation>(&anna, &id.to_string(), &open(id)?, "open")
                    .await?;
                let committed = Instant::now();
                let arrived = tokio::time::timeout(Duration::from_secs(30), rx).await??;
                lat.push(arrived.saturating_duration_since(committed));
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let wall = started.elapsed();
    dispatcher.abort();
    lat.sort();
    Ok(((2 * n) as f64 / wall.as_secs_f64(), lat))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    doorbraak_federation::tls::install_default_provider();
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("doorbraak-bench-fed-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let pki = PkiDir(dir.join("pki"));
    pki.init_ca("bench")?;
    for o in [LT, VT] {
        pki.issue_node(o, o, &["localhost".into(), "127.0.0.1".into()])?;
    }

    println!("| what | concurrency | rate | p50 | p99 |");
    println!("|---|---|---|---|---|");
    // the echo baseline varies a lot between runs on these VMs: take the median of three
    let mut base = HashMap::new();
    for conc in [1, 64] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            runs.push(baseline(&pki, n * 5, conc).await?);
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, p50, p99) = runs[1];
        base.insert(conc, rate);
        println!(
            "| raw tonic mTLS echo (unary), median of 3 ({:.0}-{:.0}) | {conc} | {rate:.0} calls/s | {} | {} |",
            runs[0].0,
            runs[2].0,
            ms(p50),
            ms(p99)
        );
    }

    let p = pair(&pki, &dir).await?;
    p.lt.create_case(
        &doorbraak_node::User {
            id: "anna".into(),
            name: "Anna".into(),
            role: Role::Professional,
        },
        "LT-BENCH",
        "bench",
        None,
    )
    .await?;
    let only_backlog = std::env::var("BENCH_ONLY_BACKLOG").is_ok();
    for conc in [1, 64] {
        if only_backlog {
            break;
        }
        let (rate, lat) = end_to_end(&p, if conc == 1 { n / 4 } else { n }, conc).await?;
        println!(
            "| escalation opened -> durable at the party | {conc} | {rate:.0} events/s ({:.1} % of echo) | {} | {} |",
            100.0 * rate / base[&conc],
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.99))
        );
    }

    // sustained delivery of a backlog: the party is down while the home commits
    let _ = p.stop.send(true);
    for t in p.tasks {
        let _ = t.await;
    }
    let (stop, _) = tokio::sync::watch::channel(false);
    let (lt, t1) = {
        let settings = (*p.lt.settings).clone();
        drop(p.lt);
        drop(p.vt);
        let node = doorbraak_node::server::open(settings).await?;
        let mut srx = stop.subscribe();
        let n2 = node.clone();
        let (tx, rx) = oneshot::channel();
        let t = tokio::spawn(async move {
            let _ = doorbraak_node::server::run(
                n2,
                async move {
                    let _ = srx.changed().await;
                },
                move |b| {
                    let _ = tx.send(b);
                },
            )
            .await;
        });
        rx.await?;
        (node, t)
    };
    let anna = Actor::person("anna", Role::Professional, oin(LT)?);
    let backlog = n;
    let mut ids = Vec::new();
    for _ in 0..backlog {
        let id = EscalationId(lt.new_stream_id());
        lt.execute::<Escalation>(&anna, &id.to_string(), &open(id)?, "open")
            .await?;
        ids.push(id.to_string());
    }
    let (vt, t2) = start_node(&p.vt_config, &dir, &stop).await?;
    let mut rx = vt.applied.subscribe();
    // from the moment the party serves (it greets the home, which then drains its backlog)
    let started = Instant::now();
    let mut left: std::collections::HashSet<String> = ids.into_iter().collect();
    // the party greets the home at start: the home resets its backoff and delivers at once
    while !left.is_empty() {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Ok((id, _))) => {
                left.remove(&id);
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                // count what is durable instead
                let rows = vt.streams_held().await?;
                if rows as usize >= backlog {
                    break;
                }
            }
            _ => anyhow::bail!("backlog delivery stalled with {} left", left.len()),
        }
    }
    let wall = started.elapsed();
    let rate = (2 * backlog) as f64 / wall.as_secs_f64();
    println!(
        "| backlog of {backlog} escalations delivered, durable at the party | batches of ≤1024 | {rate:.0} events/s ({:.1} % of echo c=64) | | |",
        100.0 * rate / base[&64]
    );
    let _ = stop.send(true);
    let _ = t1.await;
    let _ = t2.await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
