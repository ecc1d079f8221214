//! # doorbraak-store
//!
//! Persistence of one organisation's node with sqlx, on SQLite (the embedded default: one file,
//! WAL) or PostgreSQL, chosen by the database URL at start-up. Both have their own migrations,
//! embedded in the binary and applied by [`Store::connect`]. All queries are runtime queries
//! (`sqlx::query`): a build never needs a live database.
//!
//! The unit of work is a [`Tx`]: one command's events, the projection of the new state, the
//! outbox rows for the parties that must hear of it, and its access-log row commit together or
//! not at all.
#![forbid(unsafe_code)]

mod access;
pub mod backup;
pub mod chain;
mod federation;
mod figures;
mod leases;
mod member_answers;
mod outbox;
pub mod process_lock;
mod reads;
pub mod records;
mod rows;
mod sessions;
mod sql;
mod stream;
pub mod testing;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use doorbraak_model::{Event, Timestamp, canonical};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Executor, Row};
use uuid::Uuid;

use access::insert_access;
pub use access::{AccessAction, AccessEntry, AccessLogFilter, Trail};
pub use chain::{ArchiveRow, ArchiveSegment, ChainFinding, ChainHead, Checkpoint};
pub use federation::{Audit, DeadLetter, Divergence, KeptDirectory, StreamLog};
pub use member_answers::{MemberAnswer, MemberHealth};
pub use outbox::{NewOutbox, OutboxBatch, OutboxEvent, OutboxRow, PeerStatus};
pub use rows::{
    BadCursor, CaseRow, InboxRow, ListCursor, ListFilter, ListSort, MailDue, Notification,
    PersonRow, PrivateNote, ProjectionRow,
};
use rows::{case_row, loaded, projection_row};
pub use sessions::StoredSession;
use sql::{CHUNK, numbered, p1, values_clause};
pub use stream::{Stream, Summary};
pub use tx::{BatchItem, Tx};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("stored {what} could not be read: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("the {kind} {id} was changed concurrently (expected version {expected})")]
    Conflict {
        kind: &'static str,
        id: String,
        expected: i64,
    },
    /// One writer per stream: this node may append only to streams it is the home of.
    #[error(
        "the {kind} {id} has its home at {home}; this node ({owner}) keeps a replica and never appends to it"
    )]
    NotHome {
        kind: &'static str,
        id: String,
        home: String,
        owner: String,
    },
    /// One process per SQLite file: another node process (or a restore) has it open.
    #[error(
        "another node process has the SQLite database {path} open ({holder}): one process per SQLite file; several replicas of a node need PostgreSQL"
    )]
    InUse { path: String, holder: String },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    /// A replica write (the home's events) for a stream this node is itself the home of.
    #[error("the {kind} {id} has its home at this node; no other node's events are written to it")]
    OwnStream { kind: &'static str, id: String },
}

impl From<canonical::CanonicalError> for StoreError {
    fn from(e: canonical::CanonicalError) -> Self {
        StoreError::Corrupt {
            what: "event",
            detail: e.to_string(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A URL without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A UUID read back from the database; anything else means a corrupt row.
fn stored_uuid(what: &'static str, s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_ms(v: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| StoreError::Corrupt {
        what: "timestamp",
        detail: e.to_string(),
    })
}

fn migrator(backend: Backend) -> Migrator {
    let steps: [(i64, &str, &'static str); 18] = match backend {
        Backend::Sqlite => [
            (
                1,
                "init",
                include_str!("../migrations/sqlite/0001_init.sql"),
            ),
            (
                2,
                "one_writer",
                include_str!("../migrations/sqlite/0002_one_writer.sql"),
            ),
            (
                3,
                "lists",
                include_str!("../migrations/sqlite/0003_lists.sql"),
            ),
            (
                4,
                "persons",
                include_str!("../migrations/sqlite/0004_persons.sql"),
            ),
            (
                5,
                "notices",
                include_str!("../migrations/sqlite/0005_notices.sql"),
            ),
            (
                6,
                "person_email",
                include_str!("../migrations/sqlite/0006_person_email.sql"),
            ),
            (
                7,
                "notice_mail",
                include_str!("../migrations/sqlite/0007_notice_mail.sql"),
            ),
            (
                8,
                "digest",
                include_str!("../migrations/sqlite/0008_digest.sql"),
            ),
            (
                9,
                "directory_versions",
                include_str!("../migrations/sqlite/0009_directory_versions.sql"),
            ),
            (
                10,
                "access_chain",
                include_str!("../migrations/sqlite/0010_access_chain.sql"),
            ),
            (
                11,
                "access_trace",
                include_str!("../migrations/sqlite/0011_access_trace.sql"),
            ),
            (
                12,
                "access_dpl",
                include_str!("../migrations/sqlite/0012_access_dpl.sql"),
            ),
            (
                13,
                "records",
                include_str!("../migrations/sqlite/0013_records.sql"),
            ),
            (
                14,
                "access_archive",
                include_str!("../migrations/sqlite/0014_access_archive.sql"),
            ),
            (
                15,
                "restores",
                include_str!("../migrations/sqlite/0015_restores.sql"),
            ),
            (
                16,
                "instances",
                include_str!("../migrations/sqlite/0016_instances.sql"),
            ),
            (
                17,
                "member_answers",
                include_str!("../migrations/sqlite/0017_member_answers.sql"),
            ),
            (
                18,
                "figure_counts",
                include_str!("../migrations/sqlite/0018_figure_counts.sql"),
            ),
        ],
        Backend::Postgres => [
            (
                1,
                "init",
                include_str!("../migrations/postgres/0001_init.sql"),
            ),
            (
                2,
                "one_writer",
                include_str!("../migrations/postgres/0002_one_writer.sql"),
            ),
            (
                3,
                "lists",
                include_str!("../migrations/postgres/0003_lists.sql"),
            ),
            (
                4,
                "persons",
                include_str!("../migrations/postgres/0004_persons.sql"),
            ),
            (
                5,
                "notices",
                include_str!("../migrations/postgres/0005_notices.sql"),
            ),
            (
                6,
                "person_email",
                include_str!("../migrations/postgres/0006_person_email.sql"),
            ),
            (
                7,
                "notice_mail",
                include_str!("../migrations/postgres/0007_notice_mail.sql"),
            ),
            (
                8,
                "digest",
                include_str!("../migrations/postgres/0008_digest.sql"),
            ),
            (
                9,
                "directory_versions",
                include_str!("../migrations/postgres/0009_directory_versions.sql"),
            ),
            (
                10,
                "access_chain",
                include_str!("../migrations/postgres/0010_access_chain.sql"),
            ),
            (
                11,
                "access_trace",
                include_str!("../migrations/postgres/0011_access_trace.sql"),
            ),
            (
                12,
                "access_dpl",
                include_str!("../migrations/postgres/0012_access_dpl.sql"),
            ),
            (
                13,
                "records",
                include_str!("../migrations/postgres/0013_records.sql"),
            ),
            (
                14,
                "access_archive",
                include_str!("../migrations/postgres/0014_access_archive.sql"),
            ),
            (
                15,
                "restores",
                include_str!("../migrations/postgres/0015_restores.sql"),
            ),
            (
                16,
                "instances",
                include_str!("../migrations/postgres/0016_instances.sql"),
            ),
            (
                17,
                "member_answers",
                include_str!("../migrations/postgres/0017_member_answers.sql"),
            ),
            (
                18,
                "figure_counts",
                include_str!("../migrations/postgres/0018_figure_counts.sql"),
            ),
        ],
    };
    Migrator::with_migrations(
        steps
            .into_iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    version,
                    name.into(),
                    MigrationType::Simple,
                    AssertSqlSafe(sql).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

use sqlx::SqlSafeStr;

/// The database of one node.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time; writers queue here (fair, FIFO) instead of sleeping in
    /// SQLite's busy handler, which made tail latency jump under concurrency.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// The organisation whose node this is. When set, [`Tx::append`] refuses streams whose
    /// home is another organisation, and replica writes refuse streams of this one.
    owner: Option<Arc<str>>,
}

/// A stream's current state and its version (the sequence number of its last event).
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    pub state: A,
    pub version: i64,
}

pub use doorbraak_model::StoredEvent;

impl Store {
    /// Connect, create the SQLite file if needed, and apply the embedded migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // durability first: a commit survives power loss, not only a crash
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            });
        let pool = opts.connect(&url).await?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        migrator(backend).run(&pool).await?;
        Ok(Self {
            pool,
            backend,
            write_lock: Arc::default(),
            owner: None,
        })
    }

    /// The same store, as the store of `oin`'s node: from now on it appends only to streams
    /// whose home is `oin` (the second line of defence of "one writer per stream").
    pub fn owned_by(mut self, oin: &str) -> Self {
        self.owner = Some(Arc::from(oin));
        self
    }

    /// The organisation this store belongs to, if it was set.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begin a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a read-then-write never fails half-way with a busy snapshot.
    pub async fn begin(&self) -> Result<Tx> {
        let (tx, guard) = match self.backend {
            Backend::Sqlite => {
                let guard = self.write_lock.clone().lock_owned().await;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(guard))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            owner: self.owner.clone(),
            _writer: guard,
            counting: figures::Counting::default(),
        })
    }

    /// Number of rows in one of the node's tables (for health, metrics and tests).
    pub async fn count(&self, table: Table) -> Result<i64> {
        let sql = match table {
            Table::Events => "SELECT COUNT(*) AS n FROM events",
            Table::Projections => "SELECT COUNT(*) AS n FROM projections",
            Table::Outbox => "SELECT COUNT(*) AS n FROM outbox",
            Table::OutboxPending => {
                "SELECT COUNT(*) AS n FROM outbox WHERE delivered_at_ms IS NULL"
            }
            Table::AccessLog => "SELECT COUNT(*) AS n FROM access_log",
            Table::Cases => "SELECT COUNT(*) AS n FROM cases",
        };
        Ok(sqlx::query(sql).fetch_one(&self.pool).await?.try_get("n")?)
    }
}

/// Tables that [`Store::count`] can count.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Events,
    Projections,
    Outbox,
    OutboxPending,
    AccessLog,
    Cases,
}
