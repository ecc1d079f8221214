//! Web sessions in the database (issue #18): every instance of a node sees the same sessions,
//! so a login on one instance works on the next, and a session outlives the process that made
//! it. The cookie's value is never stored, only its SHA-256 (`id_hash`); the session's content
//! is the web layer's (`data`, text it encodes), the store keeps it and its times.

use super::*;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub person: Option<String>,
    pub data: String,
    pub created: Timestamp,
    pub last_seen: Timestamp,
}

fn stored(r: &sqlx::any::AnyRow) -> Result<StoredSession> {
    Ok(StoredSession {
        person: r.try_get("person")?,
        data: r.try_get("data")?,
        created: from_ms(r.try_get("created_ms")?)?,
        last_seen: from_ms(r.try_get("last_seen_ms")?)?,
    })
}

impl Store {
    pub async fn session_insert(
        &self,
        id_hash: &str,
        person: Option<&str>,
        data: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, person, data, created_ms, last_seen_ms) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id_hash)
        .bind(person)
        .bind(data)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session_load(&self, id_hash: &str) -> Result<Option<StoredSession>> {
        let row = sqlx::query(
            "SELECT person, data, created_ms, last_seen_ms FROM web_sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(stored).transpose()
    }

    /// The session was used at `now`.
    pub async fn session_touch(&self, id_hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE web_sessions SET last_seen_ms = $1 WHERE id_hash = $2")
            .bind(ms(now))
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Change a session's content in one transaction (the row locked on PostgreSQL, so two
    /// instances never both take its one-shot message or pending login): `change` gets the
    /// stored content and returns the new one (or `None`: unchanged) and its answer.
    pub async fn session_modify<R>(
        &self,
        id_hash: &str,
        change: impl FnOnce(&str) -> (Option<String>, R),
    ) -> Result<Option<R>> {
        let mut tx = self.begin().await?;
        let sql = match self.backend {
            Backend::Postgres => "SELECT data FROM web_sessions WHERE id_hash = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT data FROM web_sessions WHERE id_hash = $1",
        };
        let Some(row) = sqlx::query(sql)
            .bind(id_hash)
            .fetch_optional(&mut *tx.tx)
            .await?
        else {
            return Ok(None);
        };
        let data: String = row.try_get("data")?;
        let (new, answer) = change(&data);
        if let Some(new) = new {
            sqlx::query("UPDATE web_sessions SET data = $1 WHERE id_hash = $2")
                .bind(new)
                .bind(id_hash)
                .execute(&mut *tx.tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(answer))
    }

    pub async fn session_delete(&self, id_hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Forget sessions idle since before `idle_before`, made before `made_before`, or (before
    /// login) made before `anonymous_before`. Returns how many.
    pub async fn session_purge(
        &self,
        idle_before: Timestamp,
        made_before: Timestamp,
        anonymous_before: Timestamp,
    ) -> Result<u64> {
        let r = sqlx::query(
            "DELETE FROM web_sessions WHERE last_seen_ms < $1 OR created_ms < $2 \
             OR (person IS NULL AND created_ms < $3)",
        )
        .bind(ms(idle_before))
        .bind(ms(made_before))
        .bind(ms(anonymous_before))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// How many sessions there are before login and of logged-in people.
    pub async fn session_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN person IS NULL THEN 1 ELSE 0 END), 0) AS anonymous, \
             COALESCE(SUM(CASE WHEN person IS NULL THEN 0 ELSE 1 END), 0) AS logged_in \
             FROM web_sessions",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("anonymous")?, row.try_get("logged_in")?))
    }

    /// Make room among sessions before login: forget the least recently used one.
    pub async fn session_drop_oldest_anonymous(&self) -> Result<()> {
        sqlx::query(
            "DELETE FROM web_sessions WHERE id_hash IN (SELECT id_hash FROM web_sessions \
             WHERE person IS NULL ORDER BY last_seen_ms LIMIT 1)",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
