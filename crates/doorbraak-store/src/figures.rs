//! The home's figures as counters (`figure_counts`): what a stream adds to its home's figures
//! ([`doorbraak_model::figures`]) is counted in the transaction that stores its new state, and
//! read back per period from a few thousand rows, never by loading the streams.

use doorbraak_model::figures::{self, Counter, Days, Fact, Grain, Metric, Timing};
use doorbraak_model::{Escalation, Kwestie, Recommendation, StreamKind};

use super::*;

/// A counter every command of the home touches is spread over this many rows on PostgreSQL (the
/// instances of a node would queue on one row otherwise); SQLite has one writer anyway.
const PG_SHARDS: u32 = 4;

fn shard(backend: Backend, id: &str) -> i64 {
    match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => {
            let h = id
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            i64::from(h % PG_SHARDS)
        }
    }
}

/// What a transaction will add to the counters at its commit, and the facts of the streams it
/// loaded (so that a change is counted against what the stream held before).
#[derive(Default)]
pub(crate) struct Counting {
    pending: std::collections::BTreeMap<(Counter, i64), i64>,
    loaded: std::collections::HashMap<(StreamKind, String), Vec<Fact>>,
}

impl Tx {
    /// Remember the facts of a stream as loaded in this transaction.
    pub(crate) fn loaded_facts(&mut self, kind: StreamKind, id: &str, facts: Vec<Fact>) {
        self.counting.loaded.insert((kind, id.to_owned()), facts);
    }

    /// The facts of a stream before this transaction's change: as loaded, or read.
    pub(crate) async fn facts_before<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
    ) -> Result<Vec<Fact>>
where {
        if expected == 0 {
            return Ok(Vec::new());
        }
        if let Some(f) = self.counting.loaded.remove(&(A::KIND, id.to_owned())) {
            return Ok(f);
        }
        let row = sqlx::query(
            "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(A::KIND.code())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(match row {
            Some(r) => loaded::<A>(&r)?.state.facts(),
            None => Vec::new(),
        })
    }

    /// Count a stream's change of facts, written at commit.
    pub(crate) fn count_change(&mut self, kind: StreamKind, id: &str, old: &[Fact], new: &[Fact]) {
        let s = shard(self.backend, id);
        for (c, n) in figures::delta(old, new) {
            *self.counting.pending.entry((c, s)).or_default() += n;
        }
        self.counting
            .loaded
            .insert((kind, id.to_owned()), new.to_vec());
    }

    /// Write the counted changes: one statement per few hundred counters, in key order (two
    /// transactions lock the rows they share in the same order: no deadlock).
    pub(crate) async fn write_counts(&mut self) -> Result<()> {
        let pending: Vec<((Counter, i64), i64)> = std::mem::take(&mut self.counting.pending)
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .collect();
        write_counters(&mut self.tx, self.backend, &pending).await
    }
}

async fn write_counters(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    rows: &[((Counter, i64), i64)],
) -> Result<()> {
    for chunk in rows.chunks(CHUNK / 6) {
        let sql = format!(
            "INSERT INTO figure_counts (metric, grain, bucket, label, shard, n) VALUES {} \
             ON CONFLICT (metric, grain, bucket, label, shard) DO UPDATE SET n = figure_counts.n + excluded.n",
            values_clause(backend, chunk.len(), 6)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for ((c, shard), n) in chunk {
            q = q
                .bind(c.metric.code())
                .bind(c.grain.code())
                .bind(c.bucket.clone())
                .bind(c.key.clone())
                .bind(*shard)
                .bind(*n);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn codes(metrics: impl Iterator<Item = Metric>) -> String {
    metrics
        .map(|m| format!("'{}'", m.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The counters of the figures for `period`: those of the present, and for the others the
    /// whole years, months or weeks of the period and the days at its edges (see
    /// [`figures::ranges`]); each counter summed over its shards.
    pub async fn figure_counts(&self, period: Days) -> Result<Vec<(Counter, i64)>> {
        let of = |t: Timing| codes(Metric::ALL.into_iter().filter(move |m| m.timing() == t));
        let reads: Vec<(String, figures::Range)> = Timing::PERIODIC
            .into_iter()
            .flat_map(|t| {
                let metrics = of(t);
                figures::ranges(t, period)
                    .into_iter()
                    .map(move |r| (metrics.clone(), r))
            })
            .collect();
        let mut out = Vec::new();
        let select =
            "SELECT metric, grain, bucket, label, CAST(SUM(n) AS BIGINT) AS n FROM figure_counts";
        let group = "GROUP BY metric, grain, bucket, label";
        let present = format!(
            "{select} WHERE metric IN ({}) AND grain = '-' {group}",
            of(Timing::Present)
        );
        self.read_counts(&present, None, &mut out).await?;
        for (metrics, r) in reads {
            let sql = format!(
                "{select} WHERE metric IN ({metrics}) AND grain = $1 AND bucket >= $2 AND bucket < $3 {group}"
            );
            self.read_counts(&sql, Some(&r), &mut out).await?;
        }
        Ok(out)
    }

    async fn read_counts(
        &self,
        sql: &str,
        range: Option<&figures::Range>,
        out: &mut Vec<(Counter, i64)>,
    ) -> Result<()> {
        let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
        if let Some(r) = range {
            q = q
                .bind(r.grain.code())
                .bind(r.from.clone())
                .bind(r.to.clone());
        }
        for row in q.fetch_all(&self.pool).await? {
            let metric: String = row.try_get("metric")?;
            let grain: String = row.try_get("grain")?;
            let corrupt = |what: &str, v: &str| StoreError::Corrupt {
                what: "figure counter",
                detail: format!("unknown {what} '{v}'"),
            };
            out.push((
                Counter {
                    metric: Metric::from_code(&metric).ok_or_else(|| corrupt("metric", &metric))?,
                    grain: Grain::from_code(&grain).ok_or_else(|| corrupt("grain", &grain))?,
                    bucket: row.try_get("bucket")?,
                    key: row.try_get("label")?,
                },
                row.try_get("n")?,
            ));
        }
        Ok(())
    }

    /// Open escalations of `home` whose current step's pick-up deadline passed before `now` and
    /// that the sweeper has not marked overdue yet (the deadline column is exact to the moment).
    pub async fn overdue_by_deadline(&self, home: &str, now: Timestamp) -> Result<u64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM projections WHERE next_deadline_ms IS NOT NULL \
             AND next_deadline_ms < $1 AND stream_kind = 'escalation' AND home_oin = $2",
        )
        .bind(ms(now))
        .bind(home)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Build the counters from the stored streams of `home`, once: a database that predates them
    /// (or was restored without them) gets them at the node's first start. `None` when they were
    /// built before; otherwise how many streams were counted. One transaction: a concurrent
    /// writer's change is counted either in the build or after it, never in both.
    pub async fn build_figure_counts(&self, home: &str, now: Timestamp) -> Result<Option<u64>> {
        let done = sqlx::query("SELECT id FROM figure_counts_built")
            .fetch_optional(&self.pool)
            .await?;
        if done.is_some() {
            return Ok(None);
        }
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            // writers add their changes at commit: they wait for the build, and add to it
            sqlx::query("LOCK TABLE figure_counts IN EXCLUSIVE MODE")
                .execute(&mut *tx.tx)
                .await?;
        }
        let built = sqlx::query(
            "INSERT INTO figure_counts_built (id, built_at_ms, streams) VALUES (1, $1, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ms(now))
        .execute(&mut *tx.tx)
        .await?;
        if built.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM figure_counts")
            .execute(&mut *tx.tx)
            .await?;
        let mut all = std::collections::BTreeMap::<(Counter, i64), i64>::new();
        let mut streams = 0u64;
        streams += count_kind::<Escalation>(&mut tx, home, &mut all).await?;
        streams += count_kind::<Kwestie>(&mut tx, home, &mut all).await?;
        streams += count_kind::<Recommendation>(&mut tx, home, &mut all).await?;
        let rows: Vec<((Counter, i64), i64)> = all.into_iter().filter(|(_, n)| *n != 0).collect();
        write_counters(&mut tx.tx, self.backend, &rows).await?;
        sqlx::query("UPDATE figure_counts_built SET streams = $1 WHERE id = 1")
            .bind(i64::try_from(streams).unwrap_or(i64::MAX))
            .execute(&mut *tx.tx)
            .await?;
        tx.tx.commit().await?;
        Ok(Some(streams))
    }

    /// Forget the counters (they are built again at the next start): for an operator after a
    /// repair by hand, and for tests.
    pub async fn forget_figure_counts(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM figure_counts",
            "DELETE FROM figure_counts_built",
        ] {
            sqlx::query(sql).execute(&mut *tx.tx).await?;
        }
        tx.tx.commit().await?;
        Ok(())
    }
}

/// Count every stream of one kind of `home`, a page at a time.
async fn count_kind<A: Stream>(
    tx: &mut Tx,
    home: &str,
    all: &mut std::collections::BTreeMap<(Counter, i64), i64>,
) -> Result<u64>
where
{
    const PAGE: i64 = 1000;
    let mut after = String::new();
    let mut n = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT stream_id, version, state FROM projections WHERE stream_kind = $1 \
             AND home_oin = $2 AND stream_id > $3 ORDER BY stream_id LIMIT $4",
        )
        .bind(A::KIND.code())
        .bind(home)
        .bind(after.clone())
        .bind(PAGE)
        .fetch_all(&mut *tx.tx)
        .await?;
        for r in &rows {
            let id: String = r.try_get("stream_id")?;
            let s = shard(tx.backend, &id);
            for (c, k) in figures::counters(&loaded::<A>(r)?.state.facts()) {
                *all.entry((c, s)).or_default() += k;
            }
            n += 1;
            after = id;
        }
        if rows.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            return Ok(n);
        }
        if n % 10_000 < u64::try_from(PAGE).unwrap_or(u64::MAX) {
            tracing::info!(
                kind = A::KIND.code(),
                streams = n,
                "building the figure counters"
            );
        }
    }
}
