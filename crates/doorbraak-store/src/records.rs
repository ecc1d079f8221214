//! Records: retention terms, destruction lists, restriction of processing, and carrying a
//! destruction or a correction through everything the node holds of a stream (its events, its
//! projection, its outbox rows, the answers kept for idempotency keys, private notes).

use doorbraak_model::StreamKind;

use super::*;
use crate::tx::Tx;

/// A record whose retention term is set: what a destruction list names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetainedRow {
    pub stream_kind: String,
    pub stream_id: String,
    pub case_ref: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: Timestamp,
    pub years: i64,
    pub basis: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub destroy_on: Timestamp,
    pub held: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub destroyed_at: Option<Timestamp>,
    /// Parties that have not confirmed the destruction of their replica.
    pub unconfirmed: Vec<String>,
}

/// A record that closed and has no retention term yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedRow {
    pub stream_kind: String,
    pub stream_id: String,
    pub closed_at: Timestamp,
}

/// A destruction list and its items.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestructionList {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub proposed_at: Timestamp,
    pub status: String,
    pub decided_by: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub decided_at: Option<Timestamp>,
    pub items: Vec<DestructionItem>,
}

/// One record on a destruction list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestructionItem {
    pub stream_kind: String,
    pub stream_id: String,
    pub case_ref: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: Timestamp,
    pub years: i64,
    pub basis: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub destroy_on: Timestamp,
    /// `destroyed`, or `skipped:<rule>`; `None` until the list is carried out.
    pub outcome: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub done_at: Option<Timestamp>,
    /// Parties that have not confirmed the destruction of their replica (from the projection).
    pub unconfirmed: Vec<String>,
}

/// A restriction of processing on a case.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restriction {
    pub case_ref: String,
    pub reason: String,
    pub by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

fn split_oins(v: Option<String>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn retained(r: &AnyRow) -> Result<RetainedRow> {
    let held: i64 = r.try_get("held")?;
    Ok(RetainedRow {
        stream_kind: r.try_get("stream_kind")?,
        stream_id: r.try_get("stream_id")?,
        case_ref: r.try_get("case_ref")?,
        closed_at: from_ms(r.try_get("closed_at_ms")?)?,
        years: r.try_get("years")?,
        basis: r.try_get("basis")?,
        destroy_on: from_ms(r.try_get("destroy_on_ms")?)?,
        held: held != 0,
        destroyed_at: r
            .try_get::<Option<i64>, _>("destroyed_at_ms")?
            .map(from_ms)
            .transpose()?,
        unconfirmed: split_oins(r.try_get("unconfirmed")?),
    })
}

const RETAINED: &str = "SELECT r.stream_kind, r.stream_id, p.case_ref, r.closed_at_ms, r.years, r.basis, \
     r.destroy_on_ms, p.held, p.destroyed_at_ms, p.unconfirmed FROM retention r \
     JOIN projections p ON p.stream_kind = r.stream_kind AND p.stream_id = r.stream_id";

/// A record on a rejected destruction list is proposed again after 30 days, not before.
const REJECTED_KEPT_OFF_MS: i64 = 30 * 24 * 3600 * 1000;
/// A record on an approved list is being carried out for this long after the approval (it
/// takes seconds); one still not done after it (the carrying out stopped: a crash, a failed
/// write) is proposed again rather than forgotten.
const APPROVED_CARRYING_OUT_MS: i64 = 3600 * 1000;

impl Store {
    /// Records of this node's own (`home`) that closed and have no retention term yet.
    pub async fn closed_without_retention(&self, home: &str, limit: i64) -> Result<Vec<ClosedRow>> {
        let rows = sqlx::query(
            "SELECT p.stream_kind, p.stream_id, p.closed_at_ms FROM projections p \
             WHERE p.closed_at_ms IS NOT NULL AND p.home_oin = $1 AND NOT EXISTS \
             (SELECT 1 FROM retention r WHERE r.stream_kind = p.stream_kind AND r.stream_id = p.stream_id) \
             ORDER BY p.closed_at_ms LIMIT $2",
        )
        .bind(home)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClosedRow {
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    closed_at: from_ms(r.try_get("closed_at_ms")?)?,
                })
            })
            .collect()
    }

    /// Give records closed before the records columns existed (migration 0013) their closing
    /// time, from their state (at most `limit` per call); how many were filled in.
    pub async fn backfill_closed<A: Stream>(&self, limit: i64) -> Result<usize>
where {
        let rows = sqlx::query(
            "SELECT stream_id FROM projections WHERE stream_kind = $1 AND closed_at_ms IS NULL \
             AND status IN ('closed', 'resolved', 'final') LIMIT $2",
        )
        .bind(A::KIND.code())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut n = 0;
        for r in rows {
            let id: String = r.try_get("stream_id")?;
            let Some(loaded) = self.load::<A>(&id).await? else {
                continue;
            };
            let Some(at) = loaded.state.closed_at() else {
                continue;
            };
            sqlx::query(
                "UPDATE projections SET closed_at_ms = $3 WHERE stream_kind = $1 AND stream_id = $2",
            )
            .bind(A::KIND.code())
            .bind(&id)
            .bind(ms(at))
            .execute(&self.pool)
            .await?;
            n += 1;
        }
        Ok(n)
    }

    /// Set the retention term of a closed record (once: a term, once given, stays).
    pub async fn set_retention(
        &self,
        kind: StreamKind,
        id: &str,
        retention: &doorbraak_model::records::Retention,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO retention (stream_kind, stream_id, closed_at_ms, years, basis, destroy_on_ms, set_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(kind.code())
        .bind(id)
        .bind(ms(retention.closed_at))
        .bind(i64::from(retention.years))
        .bind(retention.basis.clone())
        .bind(ms(retention.destroy_on))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The retention of one record.
    pub async fn retention_of(&self, kind: StreamKind, id: &str) -> Result<Option<RetainedRow>> {
        let sql = format!("{RETAINED} WHERE r.stream_kind = $1 AND r.stream_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.code())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(retained).transpose()
    }

    /// Records of `home` due for destruction at `now`: term ended, no legal hold, not destroyed,
    /// not on a list still awaiting a decision, nor on an approved one still being carried out
    /// (for an hour after its approval; after that, an item it did not reach is due again).
    pub async fn due_for_destruction(
        &self,
        home: &str,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<RetainedRow>> {
        let sql = format!(
            "{RETAINED} WHERE p.home_oin = $1 AND r.destroy_on_ms <= $2 AND p.held = 0 \
             AND p.destroyed_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM destruction_items i \
             JOIN destruction_lists l ON l.id = i.list_id WHERE i.stream_kind = r.stream_kind \
             AND i.stream_id = r.stream_id AND (l.status = 'proposed' \
             OR (l.status = 'approved' AND i.done_at_ms IS NULL AND l.decided_at_ms > $5) \
             OR (l.status = 'rejected' AND l.decided_at_ms > $4))) \
             ORDER BY r.destroy_on_ms, r.stream_id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(home)
            .bind(ms(now))
            .bind(limit)
            .bind(ms(now) - REJECTED_KEPT_OFF_MS)
            .bind(ms(now) - APPROVED_CARRYING_OUT_MS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(retained).collect()
    }

    /// Every record with a retention term, newest destruction date last (the records overview).
    pub async fn retained(&self, home: &str, limit: i64) -> Result<Vec<RetainedRow>> {
        let sql = format!(
            "{RETAINED} WHERE p.home_oin = $1 ORDER BY r.destroy_on_ms, r.stream_id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(home)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(retained).collect()
    }

    /// Propose a destruction list of `items`; returns its id (`None`: nothing to propose).
    pub async fn propose_destruction(
        &self,
        items: &[RetainedRow],
        now: Timestamp,
    ) -> Result<Option<String>> {
        if items.is_empty() {
            return Ok(None);
        }
        let id = Uuid::now_v7().to_string();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO destruction_lists (id, proposed_at_ms, status) VALUES ($1, $2, 'proposed')",
        )
        .bind(id.clone())
        .bind(ms(now))
        .execute(&mut *tx.tx)
        .await?;
        for it in items {
            sqlx::query(
                "INSERT INTO destruction_items (list_id, stream_kind, stream_id, case_ref, closed_at_ms, \
                 years, basis, destroy_on_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.clone())
            .bind(it.stream_kind.clone())
            .bind(it.stream_id.clone())
            .bind(it.case_ref.clone())
            .bind(ms(it.closed_at))
            .bind(it.years)
            .bind(it.basis.clone())
            .bind(ms(it.destroy_on))
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Destruction lists, newest first.
    pub async fn destruction_lists(&self, limit: i64) -> Result<Vec<DestructionList>> {
        let rows = sqlx::query(
            "SELECT id FROM destruction_lists ORDER BY proposed_at_ms DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            if let Some(l) = self.destruction_list(&id).await? {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// One destruction list with its items.
    pub async fn destruction_list(&self, id: &str) -> Result<Option<DestructionList>> {
        let Some(l) = sqlx::query("SELECT * FROM destruction_lists WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let items = sqlx::query(
            "SELECT i.*, p.unconfirmed FROM destruction_items i LEFT JOIN projections p \
             ON p.stream_kind = i.stream_kind AND p.stream_id = i.stream_id \
             WHERE i.list_id = $1 ORDER BY i.destroy_on_ms, i.stream_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let items = items
            .iter()
            .map(|r| {
                Ok(DestructionItem {
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    case_ref: r.try_get("case_ref")?,
                    closed_at: from_ms(r.try_get("closed_at_ms")?)?,
                    years: r.try_get("years")?,
                    basis: r.try_get("basis")?,
                    destroy_on: from_ms(r.try_get("destroy_on_ms")?)?,
                    outcome: r.try_get("outcome")?,
                    done_at: r
                        .try_get::<Option<i64>, _>("done_at_ms")?
                        .map(from_ms)
                        .transpose()?,
                    unconfirmed: split_oins(r.try_get("unconfirmed")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(DestructionList {
            id: l.try_get("id")?,
            proposed_at: from_ms(l.try_get("proposed_at_ms")?)?,
            status: l.try_get("status")?,
            decided_by: l.try_get("decided_by")?,
            decided_at: l
                .try_get::<Option<i64>, _>("decided_at_ms")?
                .map(from_ms)
                .transpose()?,
            items,
        }))
    }

    /// Decide a proposed list (approved or rejected) once; false when it was not proposed.
    pub async fn decide_destruction(
        &self,
        id: &str,
        approved: bool,
        by: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE destruction_lists SET status = $2, decided_by = $3, decided_at_ms = $4 \
             WHERE id = $1 AND status = 'proposed'",
        )
        .bind(id)
        .bind(if approved { "approved" } else { "rejected" })
        .bind(by)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Record what became of one item of an approved list.
    pub async fn destruction_outcome(
        &self,
        list: &str,
        kind: &str,
        id: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE destruction_items SET outcome = $4, done_at_ms = $5 \
             WHERE list_id = $1 AND stream_kind = $2 AND stream_id = $3",
        )
        .bind(list)
        .bind(kind)
        .bind(id)
        .bind(outcome)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replicas of other homes that were destroyed here and whose destruction this node has
    /// not yet confirmed to their home: (kind, id, home).
    pub async fn unconfirmed_replicas(
        &self,
        own: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id, home_oin FROM projections WHERE destroyed_at_ms IS NOT NULL \
             AND home_oin <> $1 AND unconfirmed LIKE $2 ORDER BY destroyed_at_ms LIMIT $3",
        )
        .bind(own)
        .bind(format!("%{own}%"))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("stream_kind")?,
                    r.try_get("stream_id")?,
                    r.try_get::<Option<String>, _>("home_oin")?
                        .unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// Restrict processing of a case (once; false when it already was).
    pub async fn restrict(&self, r: &Restriction) -> Result<bool> {
        let res = sqlx::query(
            "INSERT INTO restrictions (case_ref, reason, by_person, at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(r.case_ref.clone())
        .bind(r.reason.clone())
        .bind(r.by.clone())
        .bind(ms(r.at))
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Lift a restriction; false when none stood.
    pub async fn lift_restriction(&self, case_ref: &str) -> Result<bool> {
        let res = sqlx::query("DELETE FROM restrictions WHERE case_ref = $1")
            .bind(case_ref)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// The restriction on a case, if one stands.
    pub async fn restriction(&self, case_ref: &str) -> Result<Option<Restriction>> {
        let row = sqlx::query("SELECT * FROM restrictions WHERE case_ref = $1")
            .bind(case_ref)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Restriction {
                case_ref: r.try_get("case_ref")?,
                reason: r.try_get("reason")?,
                by: r.try_get("by_person")?,
                at: from_ms(r.try_get("at_ms")?)?,
            })
        })
        .transpose()
    }

    /// The streams of one kind about a case (by its reference), and for minutes those of its
    /// escalations' meetings: what an inzage export gathers.
    pub async fn streams_of_case(&self, kind: StreamKind, case_ref: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT stream_id FROM projections WHERE stream_kind = $1 AND case_ref = $2 ORDER BY created_at_ms",
        )
        .bind(kind.code())
        .bind(case_ref)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("stream_id").map_err(Into::into))
            .collect()
    }
}

impl Store {
    /// The case a stream is about, from its projection.
    pub async fn case_of(&self, kind: StreamKind, id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT case_ref FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(kind.code())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("case_ref")).transpose()?.flatten())
    }

    /// Meetings (minutes) of these escalations.
    pub async fn minutes_of(&self, escalations: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in escalations.chunks(CHUNK) {
            let sql = format!(
                "SELECT stream_id FROM projections WHERE stream_kind = 'minutes' AND link IN ({}) \
                 ORDER BY created_at_ms",
                numbered(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for e in chunk {
                q = q.bind(e.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(r.try_get("stream_id")?);
            }
        }
        Ok(out)
    }

    /// Every access-log entry about a case: its data subject is the case, or its object is the
    /// case or one of `objects` (its streams), oldest first (at most 10,000).
    pub async fn access_log_about(
        &self,
        case_ref: &str,
        objects: &[String],
    ) -> Result<Vec<AccessEntry>> {
        let mut ids: Vec<String> = objects.to_vec();
        ids.push(case_ref.to_owned());
        ids.truncate(CHUNK);
        let sql = format!(
            "SELECT * FROM access_log WHERE data_subject = {} OR object_id IN ({}) \
             ORDER BY at_ms, event_id LIMIT 10000",
            p1(self.backend),
            numbered(self.backend, 2, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(case_ref.to_owned());
        for i in ids {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(crate::access::access_entry).collect()
    }
}

impl Store {
    /// The shared streams whose home is `home`, as this node holds them: (kind, id, version).
    pub async fn streams_of_home(&self, home: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id, version FROM projections WHERE home_oin = $1 \
             AND stream_kind IN ('escalation', 'minutes') ORDER BY stream_kind, stream_id",
        )
        .bind(home)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("stream_kind")?,
                    r.try_get("stream_id")?,
                    r.try_get("version")?,
                ))
            })
            .collect()
    }

    /// Mark the database as restored from a backup: the node re-learns its own streams from
    /// its peers before it decides anything on them.
    pub async fn mark_restored(&self, now: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO restores (restored_at_ms) VALUES ($1)")
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When the restore still being re-learned was made (`None`: none is).
    pub async fn pending_restore(&self) -> Result<Option<Timestamp>> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(restored_at_ms) FROM restores WHERE relearned_at_ms IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        v.map(from_ms).transpose()
    }

    /// Record that every member was asked and what they held was re-learned.
    pub async fn restore_relearned(&self, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE restores SET relearned_at_ms = $1 WHERE relearned_at_ms IS NULL")
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Tx {
    /// Append to a stream of this node's own events it decided before a restore and re-learned
    /// from a party (with their sequence numbers and ids), and the state they lead to.
    pub async fn append_relearned<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
        events: &[StoredEvent<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<()>
where {
        self.append_stored(id, expected, events, state, now).await
    }

    /// Is any of these cases restricted (checked inside the command's transaction)?
    pub async fn restricted(&mut self, case_refs: &[String]) -> Result<bool> {
        for c in case_refs {
            let row = sqlx::query("SELECT 1 AS one FROM restrictions WHERE case_ref = $1")
                .bind(c.clone())
                .fetch_optional(&mut *self.tx)
                .await?;
            if row.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The case a stream is about, from its projection (a meeting's escalation's case).
    pub async fn case_of(&mut self, kind: StreamKind, id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT case_ref FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(kind.code())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|r| r.try_get("case_ref")).transpose()?.flatten())
    }

    /// Carry a destruction or a correction through everything this node holds of stream `id`
    /// (call after its events are written, in the same transaction): every event rewritten as
    /// the model says ([`doorbraak_model::stream::settle_log`]), the projection replayed from
    /// them, the outbox rows still holding the old events rewritten; on a destruction also the
    /// answers kept for idempotency keys, private notes and reminders of the stream go.
    /// Returns the settled state (`None`: nothing to carry through).
    pub async fn settle<A: Stream>(&mut self, id: &str, now: Timestamp) -> Result<Option<A>>
where {
        let kind = A::KIND.code();
        let rows = sqlx::query(
            "SELECT seq, event_id, payload FROM events WHERE stream_kind = $1 AND stream_id = $2 ORDER BY seq",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut events = rows
            .iter()
            .map(|r| {
                let event_id: String = r.try_get("event_id")?;
                let payload: String = r.try_get("payload")?;
                Ok(StoredEvent {
                    seq: r.try_get("seq")?,
                    event_id: stored_uuid("event id", &event_id)?,
                    event: canonical::from_slice(payload.as_bytes())?,
                })
            })
            .collect::<Result<Vec<StoredEvent<A::Body>>>>()?;
        let destroyed = events.iter().any(|e| A::is_destruction(&e.event.body));
        let Some(state) = doorbraak_model::stream::settle_log::<A>(&mut events).map_err(|e| {
            StoreError::Corrupt {
                what: "event log",
                detail: e.to_string(),
            }
        })?
        else {
            return Ok(None);
        };
        for e in &events {
            sqlx::query(
                "UPDATE events SET payload = $4 WHERE stream_kind = $1 AND stream_id = $2 AND seq = $3",
            )
            .bind(kind)
            .bind(id)
            .bind(e.seq)
            .bind(canonical::to_string(&e.event)?)
            .execute(&mut *self.tx)
            .await?;
        }
        let s = state.summary();
        let json = serde_json::to_string(&state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?;
        sqlx::query(
            "UPDATE projections SET state = $3, subject = $4, status = $5, closed_at_ms = $6, \
             destroyed_at_ms = $7, held = $8, unconfirmed = $9, updated_at_ms = $10 \
             WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(kind)
        .bind(id)
        .bind(json)
        .bind(s.subject.chars().take(200).collect::<String>())
        .bind(s.status.code())
        .bind(s.closed_at.map(ms))
        .bind(s.destroyed_at.map(ms))
        .bind(i64::from(s.held))
        .bind(s.unconfirmed)
        .bind(ms(now))
        .execute(&mut *self.tx)
        .await?;
        // outbox rows (sent or not) hold copies of the events: they hold what the log holds now
        let by_seq: std::collections::HashMap<i64, &StoredEvent<A::Body>> =
            events.iter().map(|e| (e.seq, e)).collect();
        let outbox = sqlx::query(
            "SELECT message_id, payload FROM outbox WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?;
        for r in outbox {
            let message_id: String = r.try_get("message_id")?;
            let payload: String = r.try_get("payload")?;
            let Ok(mut batch) = serde_json::from_str::<OutboxBatch<StoredEvent<A::Body>>>(&payload)
            else {
                continue;
            };
            for e in &mut batch.events {
                if let Some(settled) = by_seq.get(&e.seq) {
                    e.event = settled.event.clone();
                }
            }
            sqlx::query("UPDATE outbox SET payload = $2 WHERE message_id = $1")
                .bind(message_id)
                .bind(canonical::to_string(&batch)?)
                .execute(&mut *self.tx)
                .await?;
        }
        // answers kept for idempotency keys hold the state and events of their time
        sqlx::query("DELETE FROM idempotency WHERE fingerprint LIKE $1")
            .bind(format!("%:{kind}:{id}"))
            .execute(&mut *self.tx)
            .await?;
        if destroyed {
            for sql in [
                "DELETE FROM private_notes WHERE stream_kind = $1 AND stream_id = $2",
                "DELETE FROM notifications WHERE stream_kind = $1 AND stream_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(kind)
                    .bind(id)
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        Ok(Some(state))
    }
}
