//! A node's figures at 100, 10,000 and 100,000 escalations (almost five years of them, open and
//! closed: `doorbraak_store::testing::escalation_life`), on SQLite and, when
//! `DOORBRAAK_TEST_POSTGRES_URL` names a server, on PostgreSQL: how long the figures take from
//! the counters (the whole history, and one year), p50/p95/max over `ROUNDS` answers; and, as the
//! baseline measured in the same run, reading every projection as the node did before it kept
//! counters.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-figures -- [ROUNDS] [SIZES...]`
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use doorbraak_model::figures::{self, Days};
use doorbraak_model::{Escalation, Oin, StreamKind, Streamed};
use doorbraak_store::{ListCursor, ListFilter, ListSort, Store};

const LT: &str = "00000001000000000010";
const VT: &str = "00000001000000000020";

fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The figures as the node answers them (its recommendations' texts aside).
async fn from_counters(store: &Store, days: Days) -> anyhow::Result<u64> {
    let now = jiff::Timestamp::now();
    let f = figures::figures_from(
        LT,
        store.figure_counts(days).await?,
        figures::dutch_day(now),
        store.overdue_by_deadline(LT, now).await?,
    );
    Ok(f.opened_per_month.values().sum())
}

/// The old way: every projection read and counted.
async fn by_reading_every_projection(store: &Store) -> anyhow::Result<u64> {
    let mut after: Option<ListCursor> = None;
    let mut n = 0u64;
    loop {
        let rows = store
            .list(
                StreamKind::Escalation,
                &ListFilter {
                    limit: 2000,
                    sort: ListSort::Oldest,
                    after: after.take(),
                    ..ListFilter::default()
                },
            )
            .await?;
        for r in &rows {
            let e: Escalation = serde_json::from_value(r.state.clone())?;
            n +=
                u64::try_from(doorbraak_model::escalation::escalation_facts(&e).len()).unwrap_or(0);
        }
        if rows.len() < 2000 {
            return Ok(n);
        }
        after = rows.last().map(|r| ListCursor::after(ListSort::Oldest, r));
    }
}

async fn time<F, Fut>(rounds: usize, mut f: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<u64>>,
{
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(f().await?);
        out.push(t.elapsed());
    }
    out.sort();
    Ok(out)
}

async fn run(name: &str, store: Store, rounds: usize, sizes: &[u64]) -> anyhow::Result<()> {
    let (lt, vt) = (Oin::parse(LT)?, Oin::parse(VT)?);
    let year = Days {
        from: Some("2024-01-01".parse()?),
        to: Some("2025-01-01".parse()?),
    };
    let mut written = 0u64;
    println!("## {name}");
    println!(
        "| escalations | counters: whole history p50 / p95 / max (ms) | counters: 2024 p50 / p95 (ms) | reading every projection p50 (ms) | fill (s) |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for &size in sizes {
        let t = Instant::now();
        while written < size {
            let mut tx = store.begin().await?;
            for i in written..size.min(written + 2000) {
                let (e, events) = doorbraak_store::testing::escalation_life(&lt, &vt, i)
                    .map_err(anyhow::Error::msg)?;
                let at = events.last().map_or(e.opened_at, |e| e.at);
                tx.append(&e.stream_id(), 0, &events, &e, at).await?;
            }
            tx.commit().await?;
            written = size.min(written + 2000);
        }
        let fill = t.elapsed();
        let all = time(rounds, || from_counters(&store, Days::default())).await?;
        let one = time(rounds, || from_counters(&store, year)).await?;
        let old = time(rounds.min(5), || by_reading_every_projection(&store)).await?;
        println!(
            "| {size} | {} / {} / {} | {} / {} | {} | {:.1} |",
            ms(quantile(&all, 0.5)),
            ms(quantile(&all, 0.95)),
            ms(quantile(&all, 1.0)),
            ms(quantile(&one, 0.5)),
            ms(quantile(&one, 0.95)),
            ms(quantile(&old, 0.5)),
            fill.as_secs_f64(),
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);
    let mut sizes: Vec<u64> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    if sizes.is_empty() {
        sizes = vec![100, 10_000, 100_000];
    }
    println!(
        "bench-figures: {rounds} answers per size, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir =
        std::env::temp_dir().join(format!("doorbraak-bench-figures-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = Store::connect(&doorbraak_store::testing::fresh_sqlite(&dir), 8).await?;
    run("SQLite", sqlite, rounds, &sizes).await?;
    if std::env::var(doorbraak_store::testing::POSTGRES_ENV).is_ok()
        && let Some(url) = doorbraak_store::testing::fresh_postgres().await
    {
        let pg = Store::connect(&url, 8).await?;
        run("PostgreSQL", pg, rounds, &sizes).await?;
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
