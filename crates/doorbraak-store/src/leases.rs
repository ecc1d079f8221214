//! Leases: work that one process of a node at a time may do (sending to one destination, the
//! sweeper, the daily snapshots), shared by every instance of the node through the database.
//! A lease is one row; it is taken, renewed and taken over in one upsert that wins only over
//! the owner's own lease or an expired one, so two owners never hold it at once on SQLite or
//! PostgreSQL (the row is locked by the statement itself), and a dead owner's lease expires.

use super::*;

/// The lease of sending to `destination`.
pub(crate) fn outbox(destination: &str) -> String {
    format!("outbox:{destination}")
}

/// The lease of a job that runs on one instance at a time.
fn job(name: &str) -> String {
    format!("job:{name}")
}

/// Take (or renew) `name` for `owner` until `until`, unless another owner holds it past `now`.
pub(crate) async fn take(
    tx: &mut Tx,
    name: &str,
    owner: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO leases (name, owner, expires_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms \
         WHERE leases.owner = excluded.owner OR leases.expires_ms < $4",
    )
    .bind(name)
    .bind(owner)
    .bind(ms(until))
    .bind(ms(now))
    .execute(&mut *tx.tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

impl Store {
    /// Take or renew the lease of job `name` (the sweeper, the snapshots) for `owner` until
    /// `until`; false while another instance holds it.
    pub async fn take_job_lease(
        &self,
        name: &str,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let won = take(&mut tx, &job(name), owner, now, until).await?;
        tx.commit().await?;
        Ok(won)
    }

    /// Give up `owner`'s lease of sending to `destination` (nothing more to send), so another
    /// instance with new messages for it need not wait for it to expire.
    pub async fn release_outbox_lease(&self, destination: &str, owner: &str) -> Result<()> {
        self.release(&outbox(destination), owner).await
    }

    /// Give up `owner`'s lease of job `name` (a instance that stops).
    pub async fn release_job_lease(&self, name: &str, owner: &str) -> Result<()> {
        self.release(&job(name), owner).await
    }

    async fn release(&self, name: &str, owner: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who holds lease `name` and until when (for the admin page and tests).
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, Timestamp)>> {
        let row = sqlx::query("SELECT owner, expires_ms FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("owner")?, from_ms(r.try_get("expires_ms")?)?)))
            .transpose()
    }
}
