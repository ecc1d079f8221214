//! The transactional outbox: rows written with the change that caused them, leased per
//! destination, marked delivered or refused, and the per-peer delivery status.

use super::*;

/// What an outbox row of a stream carries: a batch of its events for one party. The node
/// writes it with the events as stored (`OutboxBatch<&StoredEvent<B>>`, canonical JSON); the
/// delivery reads it back with each event untouched ([`OutboxEvent`]) and sends it byte for
/// byte. One type for both sides, so they cannot drift apart.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxBatch<E> {
    pub stream_kind: String,
    pub stream_id: String,
    /// The organisation whose node holds the authoritative log.
    pub home: String,
    pub events: Vec<E>,
}

/// An event of an [`OutboxBatch`] as the delivery reads it.
#[derive(Debug, Deserialize)]
pub struct OutboxEvent {
    pub seq: i64,
    pub event_id: String,
    /// The event exactly as stored: the payload is canonical JSON, so every nested object in
    /// it is already in canonical form and is sent byte for byte, not re-encoded.
    pub event: Box<serde_json::value::RawValue>,
}

/// An outbox row to be written in a command's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbox {
    pub message_id: Uuid,
    pub destination: String,
    pub kind: String,
    pub stream_kind: Option<String>,
    pub stream_id: Option<String>,
    pub payload: String,
    pub created_at: Timestamp,
}

/// An outbox row as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRow {
    pub message_id: String,
    pub destination: String,
    pub kind: String,
    pub stream_kind: Option<String>,
    pub stream_id: Option<String>,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub delivered: bool,
}

/// Delivery status towards one peer organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    pub destination: String,
    pub pending: i64,
    pub delivered: i64,
    /// Attempts of the oldest pending message (the current backoff level).
    pub attempts: i64,
    /// Messages the peer refused for good (set aside, not retried).
    pub rejected: i64,
    pub next_attempt: Option<Timestamp>,
    pub oldest_pending: Option<Timestamp>,
    pub last_error: Option<String>,
}

pub(crate) fn outbox_row(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        message_id: r.try_get("message_id")?,
        destination: r.try_get("destination")?,
        kind: r.try_get("kind")?,
        stream_kind: r.try_get("stream_kind")?,
        stream_id: r.try_get("stream_id")?,
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
        next_attempt_ms: r.try_get("next_attempt_ms")?,
        last_error: r.try_get("last_error")?,
        delivered: r.try_get::<Option<i64>, _>("delivered_at_ms")?.is_some(),
    })
}

impl Store {
    /// Outbox rows, optionally for one stream (for status views and tests).
    pub async fn outbox(&self, stream_id: Option<&str>) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT * FROM outbox WHERE ($1 = '' OR stream_id = $1) ORDER BY created_at_ms, message_id",
        )
        .bind(stream_id.unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_row).collect()
    }
}

impl Store {
    /// Destinations with pending messages whose backoff has expired at `now`.
    pub async fn due_destinations(&self, now: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT destination FROM outbox WHERE delivered_at_ms IS NULL \
             GROUP BY destination HAVING MAX(next_attempt_ms) <= $1",
        )
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("destination")?)).collect()
    }

    /// When the next destination becomes due (for the delivery loop's sleep).
    pub async fn next_due(&self) -> Result<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MIN(m) AS n FROM (SELECT MAX(next_attempt_ms) AS m FROM outbox \
             WHERE delivered_at_ms IS NULL GROUP BY destination) d",
        )
        .fetch_one(&self.pool)
        .await?;
        row.try_get::<Option<i64>, _>("n")?.map(from_ms).transpose()
    }

    /// Lease every pending message for `destination` to `owner` until `until`, unless another
    /// owner holds a live lease; returns the leased messages in order.
    pub async fn lease(
        &self,
        destination: &str,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        let mut tx = self.begin().await?;
        // one sender per destination keeps the order: the destination's lease first (one row,
        // taken in one statement, so two instances never both hold it), then its oldest
        // `limit` pending messages
        if !leases::take(&mut tx, &leases::outbox(destination), owner, now, until).await? {
            return Ok(Vec::new());
        }
        sqlx::query(
            "UPDATE outbox SET lease_owner = $1, lease_expires_ms = $2 \
             WHERE message_id IN (SELECT message_id FROM outbox WHERE destination = $3 \
               AND delivered_at_ms IS NULL ORDER BY created_at_ms, message_id LIMIT $4)",
        )
        .bind(owner)
        .bind(ms(until))
        .bind(destination)
        .bind(limit)
        .execute(&mut *tx.tx)
        .await?;
        let rows = sqlx::query(
            "SELECT * FROM outbox WHERE destination = $1 AND lease_owner = $2 \
             AND delivered_at_ms IS NULL ORDER BY created_at_ms, message_id LIMIT $3",
        )
        .bind(destination)
        .bind(owner)
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(outbox_row).collect()
    }

    /// The peer acknowledged these messages.
    pub async fn mark_delivered(&self, ids: &[String], now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "UPDATE outbox SET delivered_at_ms = {}, lease_owner = NULL, lease_expires_ms = NULL, \
                 last_error = NULL WHERE message_id IN ({})",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(ms(now));
            for id in chunk {
                q = q.bind(id.clone());
            }
            q.execute(&mut *tx.tx).await?;
        }
        tx.commit().await
    }

    /// Delivery to `destination` failed: one more attempt on its pending messages, the next
    /// one not before `next`, and the error for the status view.
    pub async fn mark_failed(
        &self,
        destination: &str,
        owner: &str,
        next: Timestamp,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = $1, last_error = $2, \
             lease_owner = NULL, lease_expires_ms = NULL \
             WHERE destination = $3 AND delivered_at_ms IS NULL \
             AND (lease_owner IS NULL OR lease_owner = $4)",
        )
        .bind(ms(next))
        .bind(error.chars().take(500).collect::<String>())
        .bind(destination)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The peer refused this message for good (it can never be applied there): it is set
    /// aside, visible in the peer status, so that what follows is not blocked behind it.
    pub async fn mark_rejected(&self, message_id: &str, now: Timestamp, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET delivered_at_ms = $1, rejected_at_ms = $1, last_error = $2, \
             lease_owner = NULL, lease_expires_ms = NULL WHERE message_id = $3",
        )
        .bind(ms(now))
        .bind(error.chars().take(500).collect::<String>())
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The peer contacted us, or an administrator asked for a resend: try again now, with a
    /// fresh backoff. Returns the number of pending messages.
    pub async fn reset_backoff(&self, destination: &str, now: Timestamp) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE outbox SET next_attempt_ms = $1, attempts = 0 \
             WHERE destination = $2 AND delivered_at_ms IS NULL",
        )
        .bind(ms(now))
        .bind(destination)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Per-peer delivery status.
    pub async fn peer_status(&self) -> Result<Vec<PeerStatus>> {
        let rows = sqlx::query(
            "SELECT destination, \
               SUM(CASE WHEN delivered_at_ms IS NULL THEN 1 ELSE 0 END) AS pending, \
               SUM(CASE WHEN delivered_at_ms IS NULL OR rejected_at_ms IS NOT NULL THEN 0 ELSE 1 END) AS delivered, \
               SUM(CASE WHEN rejected_at_ms IS NULL THEN 0 ELSE 1 END) AS rejected, \
               MAX(CASE WHEN delivered_at_ms IS NULL THEN attempts ELSE 0 END) AS attempts, \
               MAX(CASE WHEN delivered_at_ms IS NULL THEN next_attempt_ms END) AS next_attempt_ms, \
               MIN(CASE WHEN delivered_at_ms IS NULL THEN created_at_ms END) AS oldest_ms, \
               MAX(CASE WHEN delivered_at_ms IS NULL OR rejected_at_ms IS NOT NULL THEN last_error END) AS last_error \
             FROM outbox GROUP BY destination ORDER BY destination",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PeerStatus {
                    destination: r.try_get("destination")?,
                    pending: r.try_get("pending")?,
                    delivered: r.try_get("delivered")?,
                    attempts: r.try_get("attempts")?,
                    rejected: r.try_get("rejected")?,
                    next_attempt: r
                        .try_get::<Option<i64>, _>("next_attempt_ms")?
                        .map(from_ms)
                        .transpose()?,
                    oldest_pending: r
                        .try_get::<Option<i64>, _>("oldest_ms")?
                        .map(from_ms)
                        .transpose()?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }
}
