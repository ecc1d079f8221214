//! What "one writer per stream" needs from the store: idempotency keys, the event ids a
//! replica compares with its home's, divergences and their repair, dead-lettered messages,
//! and the federation-aware audit.

use std::collections::HashMap;

use doorbraak_model::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use crate::{
    Backend, BatchItem, Result, Store, StoreError, StoredEvent, Stream, Tx, from_ms, ms, numbered,
    stored_uuid,
};

/// A replica's event that differed from the home's event at the same sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    pub id: Uuid,
    pub stream_kind: String,
    pub stream_id: String,
    pub home_oin: String,
    pub seq: i64,
    pub local_event_id: String,
    pub home_event_id: String,
    pub detected_at: Timestamp,
    /// When the replica was rebuilt from the home's log.
    pub repaired_at: Option<Timestamp>,
}

/// A message a peer refused for good: set aside, no longer sent, shown to the administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub message_id: String,
    pub destination: String,
    pub stream_kind: Option<String>,
    pub stream_id: Option<String>,
    pub created_at: Timestamp,
    pub rejected_at: Timestamp,
    pub attempts: i64,
    /// The peer's answer: why it refused.
    pub reason: String,
}

/// One stream's log as (sequence number, event id), with its home: what a replica must equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLog {
    pub kind: String,
    pub id: String,
    pub home: Option<String>,
    pub events: Vec<(i64, String)>,
    /// The type of each event (`step_picked_up`, ...), in the same order.
    pub types: Vec<String>,
}

/// What an auditor checks: every count here is zero on a healthy node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Projections whose version differs from the number of their events.
    pub version_mismatches: i64,
    /// Streams with events but no projection.
    pub streams_without_projection: i64,
    /// Streams of this node (it is their home) whose creation has no access-log entry.
    pub unlogged_creations: i64,
    /// Replicas (another organisation is their home) that no federation entry of the access
    /// log accounts for.
    pub unlogged_replicas: i64,
    /// Streams of this node with parties elsewhere but no outbox row for them.
    pub shared_streams_without_outbox: i64,
    /// Messages a peer refused for good (dead letters).
    pub dead_letters: i64,
    /// Divergences of a replica from its home that were not repaired.
    pub unrepaired_divergences: i64,
}

impl Audit {
    /// (check name, count) pairs, for metrics and logs.
    pub fn findings(&self) -> [(&'static str, i64); 7] {
        [
            ("version_mismatches", self.version_mismatches),
            (
                "streams_without_projection",
                self.streams_without_projection,
            ),
            ("unlogged_creations", self.unlogged_creations),
            ("unlogged_replicas", self.unlogged_replicas),
            (
                "shared_streams_without_outbox",
                self.shared_streams_without_outbox,
            ),
            ("dead_letters", self.dead_letters),
            ("unrepaired_divergences", self.unrepaired_divergences),
        ]
    }

    pub fn is_clean(&self) -> bool {
        self.findings().iter().all(|(_, n)| *n == 0)
    }
}

impl Tx {
    /// The stored answer for an idempotency key: `(fingerprint, answer)`.
    pub async fn idempotent_answer(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT fingerprint, answer FROM idempotency WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| Ok((r.try_get("fingerprint")?, r.try_get("answer")?)))
            .transpose()
    }

    /// Keep the answer of a keyed command, in the command's own transaction. False if the key
    /// is taken already (then nothing is written).
    pub async fn remember_answer(
        &mut self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        answer: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO idempotency (scope, idem_key, fingerprint, answer, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(answer)
        .bind(ms(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The event ids this node holds for `ids` (one kind) from sequence number `from_seq` on:
    /// what a replica compares with the home's events where their sequence numbers overlap.
    pub async fn event_ids(
        &mut self,
        kind: &str,
        ids: &[&str],
        from_seq: i64,
    ) -> Result<HashMap<(String, i64), String>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(crate::CHUNK) {
            let sql = format!(
                "SELECT stream_id, seq, event_id FROM events WHERE seq >= {} AND stream_kind = {} \
                 AND stream_id IN ({})",
                match self.backend {
                    Backend::Sqlite => "?",
                    Backend::Postgres => "$1",
                },
                match self.backend {
                    Backend::Sqlite => "?",
                    Backend::Postgres => "$2",
                },
                numbered(self.backend, 3, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(from_seq).bind(kind);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.insert(
                    (r.try_get("stream_id")?, r.try_get("seq")?),
                    r.try_get("event_id")?,
                );
            }
        }
        Ok(out)
    }

    /// Replace a replica with the home's whole log and the state replayed from it (the repair
    /// after a divergence). Never for a stream this node is the home of.
    pub async fn replace_replica<A: Stream>(
        &mut self,
        id: &str,
        events: &[StoredEvent<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<()>
where {
        if self.owner.as_deref() == Some(state.home().as_str()) {
            return Err(StoreError::OwnStream {
                kind: A::KIND.code(),
                id: id.to_owned(),
            });
        }
        for sql in [
            "DELETE FROM events WHERE stream_kind = $1 AND stream_id = $2",
            "DELETE FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        ] {
            sqlx::query(sql)
                .bind(A::KIND.code())
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        let item = BatchItem::<A> {
            id,
            version: i64::try_from(events.len()).unwrap_or(i64::MAX),
            events: events.iter().collect(),
            state,
        };
        self.write_batch(std::slice::from_ref(&item), now).await
    }

    /// Record a divergence; returns its id.
    pub async fn record_divergence(&mut self, d: &Divergence) -> Result<()> {
        sqlx::query(
            "INSERT INTO divergences (id, stream_kind, stream_id, home_oin, seq, local_event_id, \
             home_event_id, detected_at_ms, repaired_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(d.id.to_string())
        .bind(&d.stream_kind)
        .bind(&d.stream_id)
        .bind(&d.home_oin)
        .bind(d.seq)
        .bind(&d.local_event_id)
        .bind(&d.home_event_id)
        .bind(ms(d.detected_at))
        .bind(d.repaired_at.map(ms))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Mark the divergences of a stream repaired.
    pub async fn divergences_repaired(
        &mut self,
        kind: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE divergences SET repaired_at_ms = $1 WHERE stream_kind = $2 AND stream_id = $3 \
             AND repaired_at_ms IS NULL",
        )
        .bind(ms(now))
        .bind(kind)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Forget idempotency keys older than `before`; returns how many.
    pub async fn forget_answers(&self, before: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM idempotency WHERE created_at_ms < $1")
            .bind(ms(before))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Every divergence, newest first (at most `limit`).
    pub async fn divergences(&self, limit: i64) -> Result<Vec<Divergence>> {
        let rows = sqlx::query("SELECT * FROM divergences ORDER BY detected_at_ms DESC LIMIT $1")
            .bind(limit.clamp(1, 10_000))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Divergence {
                    id: stored_uuid("divergence id", &id)?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    home_oin: r.try_get("home_oin")?,
                    seq: r.try_get("seq")?,
                    local_event_id: r.try_get("local_event_id")?,
                    home_event_id: r.try_get("home_event_id")?,
                    detected_at: from_ms(r.try_get("detected_at_ms")?)?,
                    repaired_at: r
                        .try_get::<Option<i64>, _>("repaired_at_ms")?
                        .map(from_ms)
                        .transpose()?,
                })
            })
            .collect()
    }

    /// Every message a peer refused for good, newest first (at most `limit`).
    pub async fn dead_letters(&self, limit: i64) -> Result<Vec<DeadLetter>> {
        let rows = sqlx::query(
            "SELECT message_id, destination, stream_kind, stream_id, created_at_ms, rejected_at_ms, \
             attempts, last_error FROM outbox WHERE rejected_at_ms IS NOT NULL \
             ORDER BY rejected_at_ms DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    message_id: r.try_get("message_id")?,
                    destination: r.try_get("destination")?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    rejected_at: from_ms(r.try_get("rejected_at_ms")?)?,
                    attempts: r.try_get("attempts")?,
                    reason: r
                        .try_get::<Option<String>, _>("last_error")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Every stream's log as (seq, event id), ordered by kind, id and seq: what the crash
    /// tests compare between a home and its replicas.
    pub async fn stream_logs(&self) -> Result<Vec<StreamLog>> {
        let rows = sqlx::query(
            "SELECT e.stream_kind, e.stream_id, e.seq, e.event_id, e.payload, p.home_oin FROM events e \
             LEFT JOIN projections p ON p.stream_kind = e.stream_kind AND p.stream_id = e.stream_id \
             ORDER BY e.stream_kind, e.stream_id, e.seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<StreamLog> = Vec::new();
        for r in &rows {
            let (kind, id): (String, String) = (r.try_get("stream_kind")?, r.try_get("stream_id")?);
            let entry = (r.try_get("seq")?, r.try_get("event_id")?);
            let payload: String = r.try_get("payload")?;
            let ty = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["body"]["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            match out.last_mut() {
                Some(l) if l.kind == kind && l.id == id => {
                    l.events.push(entry);
                    l.types.push(ty);
                }
                _ => out.push(StreamLog {
                    kind,
                    id,
                    home: r.try_get("home_oin")?,
                    events: vec![entry],
                    types: vec![ty],
                }),
            }
        }
        Ok(out)
    }

    /// Cross-table consistency checks ("nothing half-written", "no replica that silently
    /// differs"), for the node `own`: its own streams and its replicas are checked apart.
    pub async fn audit(&self, own: &str) -> Result<Audit> {
        // `own` is bound to the queries that name it as $1, the others take no parameter
        let one = |sql: &'static str| async move {
            let q = sqlx::query(sql);
            let q = if sql.contains("$1") { q.bind(own) } else { q };
            let row = q.fetch_one(&self.pool).await?;
            Ok::<i64, StoreError>(row.try_get("n")?)
        };
        Ok(Audit {
            version_mismatches: one(
                "SELECT COUNT(*) AS n FROM projections p WHERE p.version <> \
                 (SELECT COUNT(*) FROM events e WHERE e.stream_kind = p.stream_kind AND e.stream_id = p.stream_id)",
            )
            .await?,
            streams_without_projection: one(
                "SELECT COUNT(*) AS n FROM (SELECT DISTINCT stream_kind, stream_id FROM events) e \
                 WHERE NOT EXISTS (SELECT 1 FROM projections p WHERE p.stream_kind = e.stream_kind \
                 AND p.stream_id = e.stream_id)",
            )
            .await?,
            unlogged_creations: one(
                "SELECT COUNT(*) AS n FROM projections p WHERE p.home_oin = $1 AND NOT EXISTS \
                 (SELECT 1 FROM access_log a WHERE a.object_type = p.stream_kind \
                 AND a.object_id = p.stream_id AND a.action = 'C')",
            )
            .await?,
            unlogged_replicas: one(
                "SELECT COUNT(*) AS n FROM projections p WHERE p.home_oin <> $1 AND NOT EXISTS \
                 (SELECT 1 FROM access_log a WHERE a.object_type = p.stream_kind \
                 AND a.object_id = p.stream_id AND a.user_role = 'federation')",
            )
            .await?,
            shared_streams_without_outbox: one(
                "SELECT COUNT(*) AS n FROM projections p WHERE p.home_oin = $1 AND EXISTS \
                 (SELECT 1 FROM stream_parties sp WHERE sp.stream_kind = p.stream_kind \
                 AND sp.stream_id = p.stream_id AND sp.oin <> $1) AND NOT EXISTS \
                 (SELECT 1 FROM outbox o WHERE o.stream_kind = p.stream_kind AND o.stream_id = p.stream_id)",
            )
            .await?,
            dead_letters: one(
                "SELECT COUNT(*) AS n FROM outbox WHERE rejected_at_ms IS NOT NULL",
            )
            .await?,
            unrepaired_divergences: one(
                "SELECT COUNT(*) AS n FROM divergences WHERE repaired_at_ms IS NULL",
            )
            .await?,
        })
    }
}

/// What keeping a directory version found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptDirectory {
    /// Not seen before: kept now.
    New,
    /// Kept before, with the same content.
    Same,
    /// A version with this serial was kept before with other content (a reused serial).
    Different,
}

impl Store {
    /// Keep an accepted directory manifest (its JSON) under its serial, for good.
    pub async fn keep_directory(
        &self,
        serial: u64,
        issued_at: Timestamp,
        expires_at: Timestamp,
        manifest_json: &str,
        now: Timestamp,
    ) -> Result<KeptDirectory> {
        let serial = i64::try_from(serial).map_err(|_| StoreError::Corrupt {
            what: "directory serial",
            detail: "larger than 2^63".into(),
        })?;
        let r = sqlx::query(
            "INSERT INTO directory_versions (serial, issued_at, expires_at, manifest, accepted_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial)
        .bind(issued_at.to_string())
        .bind(expires_at.to_string())
        .bind(manifest_json)
        .bind(now.to_string())
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 1 {
            return Ok(KeptDirectory::New);
        }
        let same = self
            .directory_version(serial as u64)
            .await?
            .is_some_and(|kept| kept == manifest_json);
        Ok(if same {
            KeptDirectory::Same
        } else {
            KeptDirectory::Different
        })
    }

    /// The JSON of the kept directory version with this serial.
    pub async fn directory_version(&self, serial: u64) -> Result<Option<String>> {
        let serial = i64::try_from(serial).map_err(|_| StoreError::Corrupt {
            what: "directory serial",
            detail: "larger than 2^63".into(),
        })?;
        let row = sqlx::query("SELECT manifest FROM directory_versions WHERE serial = $1")
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("manifest"))
            .transpose()?)
    }

    /// The newest kept directory version: its serial and JSON.
    pub async fn newest_directory(&self) -> Result<Option<(u64, String)>> {
        let row = sqlx::query(
            "SELECT serial, manifest FROM directory_versions ORDER BY serial DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                r.try_get::<i64, _>("serial")?.max(0) as u64,
                r.try_get::<String, _>("manifest")?,
            ))
        })
        .transpose()
    }
}
