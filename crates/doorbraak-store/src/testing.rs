//! Helpers for test suites that must run on both databases.
use sqlx::{AnyConnection, Connection, Executor};

/// The variable that names the PostgreSQL server for tests (set by `.ci/postgres.sh`).
pub const POSTGRES_ENV: &str = "DOORBRAAK_TEST_POSTGRES_URL";

/// A URL of a fresh, empty PostgreSQL database, or `None` (with a message saying why the
/// PostgreSQL half is skipped) when no server is configured. CI always configures one;
/// with `DOORBRAAK_REQUIRE_POSTGRES=1` a missing server is an error instead of a skip.
pub async fn fresh_postgres() -> Option<String> {
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_POSTGRES").is_err(),
            "{POSTGRES_ENV} is not set but DOORBRAAK_REQUIRE_POSTGRES is"
        );
        eprintln!(
            "SKIPPED the PostgreSQL half: {POSTGRES_ENV} is not set \
             (run `eval \"$(.ci/postgres.sh)\"` to start one; CI always does)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("doorbraak_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
    let _ = conn.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A URL for a fresh SQLite file in `dir`.
pub fn fresh_sqlite(dir: &std::path::Path) -> String {
    format!("sqlite://{}/node.db", dir.display())
}
