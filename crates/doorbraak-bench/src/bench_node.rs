//! Node command throughput and latency: "open escalation" and "invoke next step", each one
//! store transaction (events + projection + outbox + access log), on SQLite and PostgreSQL.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-node -- [N] [CONCURRENCY...]`
//! PostgreSQL is measured when `DOORBRAAK_TEST_POSTGRES_URL` is set (see `.ci/postgres.sh`),
//! also as one, two and three instances of one node on one database ("open escalation" spread
//! round robin over them, 16 at a time): each instance its own `Node` with its own pool and
//! instance name, in this process (the database is what they share and contend for).
#![forbid(unsafe_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use doorbraak_bench::{LT, VT, oin, open_escalation, percentile};
use doorbraak_model::escalation::{EscalationCommand as C, StepOutcome};
use doorbraak_model::{
    Actor, Escalation, EscalationId, Participant, PersonId, Role, Situation, Step,
};
use doorbraak_node::Node;

fn open_cmd(id: EscalationId) -> anyhow::Result<C> {
    open_escalation(
        id,
        "LT-BENCH-1",
        Situation::ProfessionalDilemma,
        vec![Participant {
            person: PersonId::new("anna"),
            name: "Anna".into(),
            role: Role::Professional,
            org: oin(LT)?,
        }],
    )
}

struct Row {
    backend: &'static str,
    op: &'static str,
    concurrency: usize,
    n: usize,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn node(url: &str, dir: &Path) -> anyhow::Result<Arc<Node>> {
    instance(url, dir, "main").await
}

async fn instance(url: &str, dir: &Path, name: &str) -> anyhow::Result<Arc<Node>> {
    let toml = format!(
        "[node]\noin = \"{LT}\"\nname = \"Bench\"\nkind = \"local_team\"\ndata_dir = \"{}\"\n[database]\nurl = \"{url}\"\nmax_connections = 16\n",
        dir.display()
    );
    let vars = vec![("DOORBRAAK__NODE__INSTANCE".to_owned(), name.to_owned())];
    let settings =
        doorbraak_node::NodeConfig::from_toml(&toml, Path::new("bench.toml"), dir, vars)?;
    Ok(doorbraak_node::server::open(settings).await?.node)
}

/// "open escalation" on one PostgreSQL database through `k` instances, round robin.
async fn bench_instances(dir: &Path, n: usize, k: usize) -> anyhow::Result<Row> {
    let url = doorbraak_store::testing::fresh_postgres()
        .await
        .context("postgres")?;
    let mut nodes = Vec::new();
    for r in 0..k {
        let sub = dir.join(format!("instances-{k}-{r}"));
        std::fs::create_dir_all(&sub)?;
        nodes.push(instance(&url, &sub, &format!("r{r}")).await?);
    }
    let nodes = Arc::new(nodes);
    let anna = Actor::person("anna", Role::Professional, oin(LT)?);
    let ids: Arc<Vec<EscalationId>> = Arc::new(
        (0..n)
            .map(|_| EscalationId(nodes[0].new_stream_id()))
            .collect(),
    );
    let (nd, a, ids2) = (nodes.clone(), anna, ids.clone());
    let (wall, lat) = drive(n, 16, move |i| {
        let (nd, a, ids2) = (nd.clone(), a.clone(), ids2.clone());
        async move {
            let id = ids2[i];
            nd[i % nd.len()]
                .execute::<Escalation>(&a, &id.to_string(), &open_cmd(id)?, "open")
                .await?;
            Ok(())
        }
    })
    .await?;
    for nd in nodes.iter() {
        nd.close().await;
    }
    Ok(Row {
        backend: match k {
            1 => "postgres, 1 instance",
            2 => "postgres, 2 instances",
            _ => "postgres, 3 instances",
        },
        op: "open escalation",
        concurrency: 16,
        n,
        per_sec: n as f64 / wall.as_secs_f64(),
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    })
}

/// Run `op` for ids `0..n` with `concurrency` tasks; returns wall time and latencies.
async fn drive<F, Fut>(
    n: usize,
    concurrency: usize,
    op: F,
) -> anyhow::Result<(Duration, Vec<Duration>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let t = Instant::now();
                op(i).await?;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = started.elapsed();
    all.sort();
    Ok((wall, all))
}

async fn bench_backend(
    backend: &'static str,
    url: &str,
    dir: &Path,
    n: usize,
    conc: &[usize],
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &c in conc {
        let sub = dir.join(format!("{backend}-{c}"));
        std::fs::create_dir_all(&sub)?;
        let url = if url.is_empty() {
            format!("sqlite://{}/node.db", sub.display())
        } else {
            doorbraak_store::testing::fresh_postgres()
                .await
                .context("postgres")?
        };
        let node = node(&url, &sub).await?;
        let anna = Actor::person("anna", Role::Professional, oin(LT)?);
        let bram = Actor::person("bram", Role::BehaviouralScientist, oin(VT)?);
        let ids: Arc<Vec<EscalationId>> =
            Arc::new((0..n).map(|_| EscalationId(node.new_stream_id())).collect());

        // open escalation
        let (nd, a, ids2) = (node.clone(), anna.clone(), ids.clone());
        let (wall, lat) = drive(n, c, move |i| {
            let (nd, a, ids2) = (nd.clone(), a.clone(), ids2.clone());
            async move {
                let id = ids2[i];
                nd.execute::<Escalation>(&a, &id.to_string(), &open_cmd(id)?, "open")
                    .await?;
                Ok(())
            }
        })
        .await?;
        rows.push(Row {
            backend,
            op: "open escalation",
            concurrency: c,
            n,
            per_sec: n as f64 / wall.as_secs_f64(),
            p50: percentile(&lat, 0.5),
            p99: percentile(&lat, 0.99),
        });

        // prepare: the counterpart picks up step 1 and it ends unbridged (not measured)
        for id in ids.iter() {
            let id = id.to_string();
            node.execute::<Escalation>(&bram, &id, &C::PickUp { name: None }, "pick_up")
                .await?;
            let outcome = C::RecordOutcome {
                outcome: StepOutcome::Unresolved {
                    summary: "niet overbrugd".into(),
                },
            };
            node.execute::<Escalation>(&bram, &id, &outcome, "record_outcome")
                .await?;
        }

        // invoke next step
        let (nd, a, ids2) = (node.clone(), anna.clone(), ids.clone());
        let (wall, lat) = drive(n, c, move |i| {
            let (nd, a, ids2) = (nd.clone(), a.clone(), ids2.clone());
            async move {
                let cmd = C::InvokeStep {
                    step: Step::Management,
                    participants: vec![Participant {
                        person: PersonId::new("eva"),
                        name: "Eva".into(),
                        role: Role::TeamManager,
                        org: oin(LT)?,
                    }],
                    joining: vec![],
                    reason: String::new(),
                };
                nd.execute::<Escalation>(&a, &ids2[i].to_string(), &cmd, "invoke_step")
                    .await?;
                Ok(())
            }
        })
        .await?;
        rows.push(Row {
            backend,
            op: "invoke next step",
            concurrency: c,
            n,
            per_sec: n as f64 / wall.as_secs_f64(),
            p50: percentile(&lat, 0.5),
            p99: percentile(&lat, 0.99),
        });
        node.close().await;
    }
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let conc: Vec<usize> = if args.len() > 1 {
        args[1..]
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?
    } else {
        vec![1, 16]
    };
    let dir = std::env::temp_dir().join(format!("doorbraak-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = bench_backend("sqlite", "", &dir, n, &conc).await?;
    if std::env::var(doorbraak_store::testing::POSTGRES_ENV).is_ok() {
        rows.extend(bench_backend("postgres", "pg", &dir, n, &conc).await?);
        for k in 1..=3 {
            rows.push(bench_instances(&dir, n, k).await?);
        }
    } else {
        eprintln!(
            "PostgreSQL skipped: {} not set",
            doorbraak_store::testing::POSTGRES_ENV
        );
    }
    println!("| backend | command | concurrency | commands | commands/s | p50 | p99 |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms |",
            r.backend,
            r.op,
            r.concurrency,
            r.n,
            r.per_sec,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
