//! Backups of a node's database. SQLite: a consistent online copy with `VACUUM INTO` (the
//! node keeps running), checked by opening the copy read-only. PostgreSQL: `pg_dump` (see
//! docs/beheer.md); the restore is marked the same way on both.

use super::*;

/// What a checked backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub events: i64,
    pub streams: i64,
    pub access_log: i64,
}

/// The file of a SQLite database URL (`sqlite://path?…` or `sqlite:path`).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

impl Store {
    /// Write a consistent copy of the database to `out` while the node runs (SQLite only;
    /// `out` must not exist yet).
    pub async fn backup_into(&self, out: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt {
                what: "backup",
                detail: "on PostgreSQL, back up with pg_dump (see docs/beheer.md)".into(),
            });
        }
        let target = out.to_string_lossy().replace('\'', "''");
        sqlx::query(AssertSqlSafe(format!("VACUUM INTO '{target}'")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Open a SQLite backup read-only, check its integrity, and count what it holds.
pub async fn check_sqlite_backup(path: &std::path::Path) -> Result<BackupSummary> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await?;
    if ok != "ok" {
        return Err(StoreError::Corrupt {
            what: "backup",
            detail: ok,
        });
    }
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await }
    };
    let summary = BackupSummary {
        events: count("SELECT COUNT(*) FROM events").await?,
        streams: count("SELECT COUNT(*) FROM projections").await?,
        access_log: count("SELECT COUNT(*) FROM access_log").await?,
    };
    pool.close().await;
    Ok(summary)
}
