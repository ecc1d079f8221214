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

mod federation;
mod stream;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use doorbraak_model::{Event, Timestamp, canonical};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Executor, Row};
use uuid::Uuid;

pub use federation::{Audit, DeadLetter, Divergence, StreamLog};
pub use stream::{Stream, Summary};

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
    let steps: [(i64, &str, &'static str); 2] = match backend {
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

/// One stored event with its position in the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent<B> {
    pub seq: i64,
    pub event_id: Uuid,
    pub event: Event<B>,
}

/// A projection row: the query columns and the state as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionRow {
    pub kind: String,
    pub id: String,
    pub version: i64,
    pub status: String,
    pub home_oin: Option<String>,
    pub case_ref: Option<String>,
    pub step: Option<i64>,
    pub situation: Option<i64>,
    pub next_deadline: Option<Timestamp>,
    pub overdue: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub state: serde_json::Value,
}

/// Which projections to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub case_ref: Option<String>,
    pub overdue_only: bool,
    pub limit: i64,
}

/// The NEN 7513 action codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessAction {
    /// Create
    C,
    /// Read
    R,
    /// Update
    U,
    /// Delete
    D,
    /// Execute (e.g. an export, a refused attempt that changed nothing)
    E,
}

impl AccessAction {
    fn code(self) -> &'static str {
        match self {
            AccessAction::C => "C",
            AccessAction::R => "R",
            AccessAction::U => "U",
            AccessAction::D => "D",
            AccessAction::E => "E",
        }
    }
}

impl FromStr for AccessAction {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "C" => AccessAction::C,
            "R" => AccessAction::R,
            "U" => AccessAction::U,
            "D" => AccessAction::D,
            "E" => AccessAction::E,
            _ => {
                return Err(StoreError::Corrupt {
                    what: "access_log.action",
                    detail: s.to_owned(),
                });
            }
        })
    }
}

/// One access-log entry (NEN 7513): who did what to which object, when, why, with what result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub event_id: Uuid,
    pub action: AccessAction,
    pub at: Timestamp,
    pub user_id: String,
    pub user_role: String,
    /// The responsible user on whose behalf the action was done, if not the user.
    pub on_behalf_of: Option<String>,
    pub org_oin: String,
    pub object_type: String,
    pub object_id: String,
    pub purpose: String,
    /// `success`, or `refused:<rule>`.
    pub outcome: String,
    /// The node (OIN) where the action was done.
    pub source_node: String,
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

/// A local case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    pub case_ref: String,
    pub title: String,
    pub responsible: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// A private note on a stream: stays on this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateNote {
    pub id: Uuid,
    pub stream_kind: String,
    pub stream_id: String,
    pub author: String,
    pub author_role: String,
    pub created_at: Timestamp,
    pub text: String,
}

/// A reminder for the people of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub recipient_role: String,
    /// One person, or everyone with the role.
    #[serde(default)]
    pub recipient_person: Option<String>,
    pub stream_kind: String,
    pub stream_id: String,
    pub kind: String,
    pub message_nl: String,
    pub message_en: String,
}

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
        })
    }

    /// The current state of a stream, from its projection.
    pub async fn load<A: Stream>(&self, id: &str) -> Result<Option<Loaded<A>>>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let row = sqlx::query(
            "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(A::KIND)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| loaded::<A>(&r)).transpose()
    }

    /// The versions of several streams (0 for unknown ones are simply absent).
    pub async fn versions(
        &self,
        kind: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, i64>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT stream_id, version FROM projections WHERE stream_kind = {} AND stream_id IN ({})",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(kind.to_owned());
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("stream_id")?, r.try_get("version")?);
            }
        }
        Ok(out)
    }

    /// The events of a stream after sequence number `after` (0: all), in order.
    pub async fn events<A: Stream>(&self, id: &str, after: i64) -> Result<Vec<StoredEvent<A::Body>>>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let rows = sqlx::query(
            "SELECT seq, event_id, payload FROM events \
             WHERE stream_kind = $1 AND stream_id = $2 AND seq > $3 ORDER BY seq",
        )
        .bind(A::KIND)
        .bind(id)
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event_id: String = r.try_get("event_id")?;
                let payload: String = r.try_get("payload")?;
                Ok(StoredEvent {
                    seq: r.try_get("seq")?,
                    event_id: stored_uuid("event id", &event_id)?,
                    event: canonical::from_slice(payload.as_bytes())?,
                })
            })
            .collect()
    }

    /// Projections of one kind: overdue first, then by next deadline, then newest first.
    pub async fn list(&self, kind: &str, filter: &ListFilter) -> Result<Vec<ProjectionRow>> {
        let limit = if filter.limit <= 0 {
            500
        } else {
            filter.limit.min(5000)
        };
        let rows = sqlx::query(
            "SELECT * FROM projections WHERE stream_kind = $1 \
             AND ($2 = '' OR status = $2) AND ($3 = '' OR case_ref = $3) AND ($4 = 0 OR overdue = 1) \
             ORDER BY overdue DESC, CASE WHEN next_deadline_ms IS NULL THEN 1 ELSE 0 END, \
             next_deadline_ms, created_at_ms DESC LIMIT $5",
        )
        .bind(kind)
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.case_ref.clone().unwrap_or_default())
        .bind(i64::from(filter.overdue_only))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(projection_row).collect()
    }

    /// Streams whose next deadline has passed at `now`: work for the deadline sweeper.
    pub async fn due(
        &self,
        own: &str,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        // only streams this node is home of: replicas receive the overdue event from the home
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id FROM projections \
             WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms < $1 AND home_oin = $3 \
             ORDER BY next_deadline_ms LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .bind(own)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("stream_kind")?, r.try_get("stream_id")?)))
            .collect()
    }

    /// Streams whose deadline passed more than `grace` ago without the overdue event: what an
    /// auditor checks to find lost timers.
    pub async fn missed_deadlines(
        &self,
        own: &str,
        now: Timestamp,
        grace: Duration,
    ) -> Result<i64> {
        let cutoff = ms(now) - i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM projections \
             WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms < $1 AND home_oin = $2",
        )
        .bind(cutoff)
        .bind(own)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn cases(&self) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query("SELECT * FROM cases ORDER BY created_at_ms DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case_row).collect()
    }

    pub async fn case(&self, case_ref: &str) -> Result<Option<CaseRow>> {
        let row = sqlx::query("SELECT * FROM cases WHERE case_ref = $1")
            .bind(case_ref)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// Access-log entries, newest first, optionally for one object.
    /// The newest access-log entries (at most `limit`, up to 10,000) about `object_id` and/or
    /// by `user_id` (`None`: any).
    pub async fn access_log(
        &self,
        object_id: Option<&str>,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AccessEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM access_log WHERE ($1 = '' OR object_id = $1) \
             AND ($3 = '' OR user_id = $3) \
             ORDER BY at_ms DESC, event_id DESC LIMIT $2",
        )
        .bind(object_id.unwrap_or_default())
        .bind(limit.clamp(1, 10_000))
        .bind(user_id.unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event_id: String = r.try_get("event_id")?;
                let action: String = r.try_get("action")?;
                Ok(AccessEntry {
                    event_id: stored_uuid("access_log.event_id", &event_id)?,
                    action: action.parse()?,
                    at: from_ms(r.try_get("at_ms")?)?,
                    user_id: r.try_get("user_id")?,
                    user_role: r.try_get("user_role")?,
                    on_behalf_of: r.try_get("on_behalf_of")?,
                    org_oin: r.try_get("org_oin")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                    purpose: r.try_get("purpose")?,
                    outcome: r.try_get("outcome")?,
                    source_node: r.try_get("source_node")?,
                })
            })
            .collect()
    }

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

    /// Keep today's snapshot of the stagnation view (the latest of the day wins).
    pub async fn save_snapshot(&self, day: &str, now: Timestamp, view: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO oversight_snapshots (day, created_at_ms, view) VALUES ($1, $2, $3) \
             ON CONFLICT (day) DO UPDATE SET created_at_ms = excluded.created_at_ms, view = excluded.view",
        )
        .bind(day)
        .bind(ms(now))
        .bind(view)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Daily snapshots, oldest first: (day, view JSON).
    pub async fn snapshots(&self, limit: i64) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT day, view FROM oversight_snapshots ORDER BY day DESC LIMIT $1")
                .bind(limit.clamp(1, 3660))
                .fetch_all(&self.pool)
                .await?;
        let mut out: Vec<(String, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("view")?)))
            .collect::<Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    /// The private notes on a stream, oldest first.
    pub async fn private_notes(&self, kind: &str, id: &str) -> Result<Vec<PrivateNote>> {
        let rows = sqlx::query(
            "SELECT * FROM private_notes WHERE stream_kind = $1 AND stream_id = $2 ORDER BY created_at_ms, id",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(PrivateNote {
                    id: stored_uuid("private note id", &id)?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    author: r.try_get("author")?,
                    author_role: r.try_get("author_role")?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    text: r.try_get("text")?,
                })
            })
            .collect()
    }

    pub async fn notifications(&self, role: &str, person: &str) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE recipient_role = $1 \
             AND (recipient_person IS NULL OR recipient_person = $2) ORDER BY created_at_ms DESC LIMIT 500",
        )
        .bind(role)
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Notification {
                    id: stored_uuid("notification id", &id)?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    recipient_role: r.try_get("recipient_role")?,
                    recipient_person: r.try_get("recipient_person")?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    kind: r.try_get("kind")?,
                    message_nl: r.try_get("message_nl")?,
                    message_en: r.try_get("message_en")?,
                })
            })
            .collect()
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
        // the oldest `limit` pending messages, and only while no other owner holds a live lease
        // on this destination (one sender per destination keeps the order)
        sqlx::query(
            "UPDATE outbox SET lease_owner = $1, lease_expires_ms = $2 \
             WHERE message_id IN (SELECT message_id FROM outbox WHERE destination = $3 \
               AND delivered_at_ms IS NULL ORDER BY created_at_ms, message_id LIMIT $5) \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.destination = $3 \
               AND o.delivered_at_ms IS NULL AND o.lease_owner IS NOT NULL \
               AND o.lease_owner <> $1 AND o.lease_expires_ms >= $4)",
        )
        .bind(owner)
        .bind(ms(until))
        .bind(destination)
        .bind(ms(now))
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

fn loaded<A: Stream>(r: &AnyRow) -> Result<Loaded<A>>
where
    A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
{
    let state: String = r.try_get("state")?;
    Ok(Loaded {
        version: r.try_get("version")?,
        state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?,
    })
}

fn projection_row(r: &AnyRow) -> Result<ProjectionRow> {
    let state: String = r.try_get("state")?;
    Ok(ProjectionRow {
        kind: r.try_get("stream_kind")?,
        id: r.try_get("stream_id")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        home_oin: r.try_get("home_oin")?,
        case_ref: r.try_get("case_ref")?,
        step: r.try_get("step")?,
        situation: r.try_get("situation")?,
        next_deadline: r
            .try_get::<Option<i64>, _>("next_deadline_ms")?
            .map(from_ms)
            .transpose()?,
        overdue: r.try_get::<i64, _>("overdue")? != 0,
        created_at: from_ms(r.try_get("created_at_ms")?)?,
        updated_at: from_ms(r.try_get("updated_at_ms")?)?,
        state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?,
    })
}

fn outbox_row(r: &AnyRow) -> Result<OutboxRow> {
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

fn case_row(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        case_ref: r.try_get("case_ref")?,
        title: r.try_get("title")?,
        responsible: r.try_get("responsible")?,
        created_by: r.try_get("created_by")?,
        created_at: from_ms(r.try_get("created_at_ms")?)?,
    })
}

/// `($1,$2,..),($k,..)` for `rows` rows of `cols` columns (placeholders that work on both
/// SQLite and PostgreSQL through the Any driver).
/// SQLite gets positional `?` (no lookup of parameter names, which costs O(n) per bind in
/// long statements); PostgreSQL needs `$N`.
fn values_clause(backend: Backend, rows: usize, cols: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    let sqlite = backend == Backend::Sqlite;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if sqlite {
                s.push('?');
            } else {
                let _ = write!(s, "${n}");
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$first,...,$(first+n-1)`: a numbered parameter list for `IN (...)`.
/// Positional `?` on SQLite (no per-bind name lookup), `$N` on PostgreSQL.
fn numbered(backend: Backend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The first parameter of a statement that continues with [`numbered`] parameters.
fn p1(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "?",
        Backend::Postgres => "$1",
    }
}

/// Rows per multi-row statement (keeps bind parameters well under both databases' limits).
const CHUNK: usize = 500;

/// One stream's new events and state in a batch write (a replica applying a delivery).
pub struct BatchItem<'a, A: Stream>
where
    A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
{
    pub id: &'a str,
    pub version: i64,
    pub events: Vec<&'a StoredEvent<A::Body>>,
    pub state: &'a A,
}

/// One unit of work: commit writes everything, dropping it writes nothing.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    owner: Option<Arc<str>>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    /// The current state of a stream, locked for this transaction.
    pub async fn load<A: Stream>(&mut self, id: &str) -> Result<Option<Loaded<A>>>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2"
            }
            Backend::Postgres => {
                "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2 FOR UPDATE"
            }
        };
        let row = sqlx::query(sql)
            .bind(A::KIND)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| loaded::<A>(&r)).transpose()
    }

    /// Append `events` to the stream at `expected` version and store `state` as its
    /// projection. Returns the stored events with their sequence numbers.
    pub async fn append<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
        events: &[Event<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<Vec<StoredEvent<A::Body>>>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let stored: Vec<StoredEvent<A::Body>> = events
            .iter()
            .zip(expected + 1..)
            .map(|(e, seq)| StoredEvent {
                seq,
                event_id: Uuid::now_v7(),
                event: e.clone(),
            })
            .collect();
        self.append_stored(id, expected, &stored, state, now)
            .await?;
        Ok(stored)
    }

    /// Append events with their sequence numbers and ids to a stream of this node's own
    /// (the home path: every event a node decides goes through here) and store `state` as the
    /// projection. With an owner set (see [`Store::owned_by`]) a stream whose home is another
    /// organisation is refused with [`StoreError::NotHome`]: checked against the new state and
    /// against the stored row, inside this transaction.
    async fn append_stored<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
        events: &[StoredEvent<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<()>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let home = state.home().to_string();
        if let Some(owner) = self.owner.clone()
            && home != *owner
        {
            return Err(StoreError::NotHome {
                kind: A::KIND,
                id: id.to_owned(),
                home,
                owner: owner.to_string(),
            });
        }
        let last = expected + i64::try_from(events.len()).unwrap_or(i64::MAX);
        for (stored, seq) in events.iter().zip(expected + 1..) {
            if stored.seq != seq {
                return Err(StoreError::Conflict {
                    kind: A::KIND,
                    id: id.to_owned(),
                    expected,
                });
            }
        }
        let s = state.summary();
        let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?;
        let created = s.created_at.unwrap_or(now);
        // the projection first: its row decides whether this stream may be written at all
        let result = if expected == 0 {
            // creating a stream: only if no stream of this id exists (not even a replica)
            sqlx::query(
                "INSERT INTO projections (stream_kind, stream_id, version, status, home_oin, case_ref, \
                 step, situation, next_deadline_ms, overdue, created_at_ms, updated_at_ms, state) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
            )
            .bind(A::KIND)
            .bind(id)
            .bind(last)
            .bind(s.status)
            .bind(s.home_oin)
            .bind(s.case_ref)
            .bind(s.step)
            .bind(s.situation)
            .bind(s.next_deadline.map(ms))
            .bind(i64::from(s.overdue))
            .bind(ms(created))
            .bind(ms(now))
            .bind(json)
            .execute(&mut *self.tx)
            .await?
        } else {
            // only the home's own row, at the version the command was decided on
            sqlx::query(
                "UPDATE projections SET version = $3, status = $4, home_oin = $5, case_ref = $6, \
                 step = $7, situation = $8, next_deadline_ms = $9, overdue = $10, updated_at_ms = $11, \
                 state = $12 WHERE stream_kind = $1 AND stream_id = $2 AND version = $13 AND home_oin = $5",
            )
            .bind(A::KIND)
            .bind(id)
            .bind(last)
            .bind(s.status)
            .bind(s.home_oin)
            .bind(s.case_ref)
            .bind(s.step)
            .bind(s.situation)
            .bind(s.next_deadline.map(ms))
            .bind(i64::from(s.overdue))
            .bind(ms(now))
            .bind(json)
            .bind(expected)
            .execute(&mut *self.tx)
            .await?
        };
        if result.rows_affected() != 1 {
            // why not: a stream of another home under this id, or a concurrent change
            let row = sqlx::query(
                "SELECT home_oin FROM projections WHERE stream_kind = $1 AND stream_id = $2",
            )
            .bind(A::KIND)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(r) = row {
                let stored: Option<String> = r.try_get("home_oin")?;
                if let Some(stored) = stored
                    && stored != home
                {
                    return Err(StoreError::NotHome {
                        kind: A::KIND,
                        id: id.to_owned(),
                        home: stored,
                        owner: self.owner.as_deref().unwrap_or(&home).to_owned(),
                    });
                }
            }
            return Err(StoreError::Conflict {
                kind: A::KIND,
                id: id.to_owned(),
                expected,
            });
        }
        for stored in events {
            let (event_id, e) = (stored.event_id, &stored.event);
            sqlx::query(
                "INSERT INTO events (stream_kind, stream_id, seq, event_id, at_ms, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(A::KIND)
            .bind(id)
            .bind(stored.seq)
            .bind(event_id.to_string())
            .bind(ms(e.at))
            .bind(canonical::to_string(e)?)
            .execute(&mut *self.tx)
            .await?;
        }
        for party in state.parties() {
            sqlx::query(
                "INSERT INTO stream_parties (stream_kind, stream_id, oin) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(A::KIND)
            .bind(id)
            .bind(party.to_string())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Which of these message ids were applied before.
    pub async fn seen_many(
        &mut self,
        source: &str,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT message_id FROM inbox WHERE source = {} AND message_id IN ({})",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(source);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.insert(r.try_get("message_id")?);
            }
        }
        Ok(out)
    }

    /// The current state of several streams (locked for this transaction on PostgreSQL).
    pub async fn load_many<A: Stream>(
        &mut self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, Loaded<A>>>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let lock = if self.backend == Backend::Postgres {
                " FOR UPDATE"
            } else {
                ""
            };
            let sql = format!(
                "SELECT stream_id, version, state FROM projections WHERE stream_kind = {} AND stream_id IN ({}){lock}",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(A::KIND);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.insert(r.try_get("stream_id")?, loaded::<A>(&r)?);
            }
        }
        Ok(out)
    }

    /// Write a replica batch with a few multi-row statements: all events, the projections
    /// (upserted to their final state), and the parties.
    pub async fn write_batch<A: Stream>(
        &mut self,
        items: &[BatchItem<'_, A>],
        now: Timestamp,
    ) -> Result<()>
    where
        A::Body: Serialize + serde::de::DeserializeOwned + Send + Sync,
    {
        // a replica write: never to a stream this node is the home of
        if let Some(owner) = self.owner.as_deref()
            && let Some(own) = items.iter().find(|it| it.state.home().as_str() == owner)
        {
            return Err(StoreError::OwnStream {
                kind: A::KIND,
                id: own.id.to_owned(),
            });
        }
        let events: Vec<(&str, &StoredEvent<A::Body>)> = items
            .iter()
            .flat_map(|it| it.events.iter().map(move |e| (it.id, *e)))
            .collect();
        for chunk in events.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO events (stream_kind, stream_id, seq, event_id, at_ms, payload) VALUES {}",
                values_clause(self.backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, e) in chunk {
                q = q
                    .bind(A::KIND)
                    .bind(*id)
                    .bind(e.seq)
                    .bind(e.event_id.to_string())
                    .bind(ms(e.event.at))
                    .bind(canonical::to_string(&e.event)?);
            }
            q.execute(&mut *self.tx).await?;
        }
        for chunk in items.chunks(CHUNK / 4) {
            let sql = format!(
                "INSERT INTO projections (stream_kind, stream_id, version, status, home_oin, case_ref, \
                 step, situation, next_deadline_ms, overdue, created_at_ms, updated_at_ms, state) VALUES {} \
                 ON CONFLICT (stream_kind, stream_id) DO UPDATE SET version = excluded.version, \
                 status = excluded.status, home_oin = excluded.home_oin, case_ref = excluded.case_ref, \
                 step = excluded.step, situation = excluded.situation, \
                 next_deadline_ms = excluded.next_deadline_ms, overdue = excluded.overdue, \
                 updated_at_ms = excluded.updated_at_ms, state = excluded.state",
                values_clause(self.backend, chunk.len(), 13)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for it in chunk {
                let s = it.state.summary();
                let json = serde_json::to_string(it.state).map_err(|e| StoreError::Corrupt {
                    what: "projection",
                    detail: e.to_string(),
                })?;
                q = q
                    .bind(A::KIND)
                    .bind(it.id)
                    .bind(it.version)
                    .bind(s.status)
                    .bind(s.home_oin)
                    .bind(s.case_ref)
                    .bind(s.step)
                    .bind(s.situation)
                    .bind(s.next_deadline.map(ms))
                    .bind(i64::from(s.overdue))
                    .bind(ms(s.created_at.unwrap_or(now)))
                    .bind(ms(now))
                    .bind(json);
            }
            q.execute(&mut *self.tx).await?;
        }
        let parties: Vec<(&str, String)> = items
            .iter()
            .flat_map(|it| {
                it.state
                    .parties()
                    .into_iter()
                    .map(move |p| (it.id, p.to_string()))
            })
            .collect();
        for chunk in parties.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO stream_parties (stream_kind, stream_id, oin) VALUES {} ON CONFLICT DO NOTHING",
                values_clause(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, oin) in chunk {
                q = q.bind(A::KIND).bind(*id).bind(oin.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Several access-log rows in one statement.
    pub async fn log_access_many(&mut self, entries: &[AccessEntry]) -> Result<()> {
        for chunk in entries.chunks(CHUNK / 2) {
            let sql = format!(
                "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, on_behalf_of, org_oin, \
                 object_type, object_id, purpose, outcome, source_node) VALUES {}",
                values_clause(self.backend, chunk.len(), 12)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.event_id.to_string())
                    .bind(e.action.code())
                    .bind(ms(e.at))
                    .bind(e.user_id.clone())
                    .bind(e.user_role.clone())
                    .bind(e.on_behalf_of.clone())
                    .bind(e.org_oin.clone())
                    .bind(e.object_type.clone())
                    .bind(e.object_id.clone())
                    .bind(e.purpose.clone())
                    .bind(e.outcome.clone())
                    .bind(e.source_node.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Record several message ids as applied.
    pub async fn mark_seen_many(
        &mut self,
        ids: &[String],
        source: &str,
        now: Timestamp,
    ) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO inbox (message_id, source, received_at_ms) VALUES {} ON CONFLICT DO NOTHING",
                values_clause(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone()).bind(source).bind(ms(now));
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Has this message id been applied before? (idempotent receipt)
    pub async fn seen(&mut self, source: &str, message_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM inbox WHERE source = $1 AND message_id = $2")
            .bind(source)
            .bind(message_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    /// Record a message id as applied, in the same transaction as its effects.
    pub async fn mark_seen(
        &mut self,
        message_id: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbox (message_id, source, received_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
            .bind(message_id)
            .bind(source)
            .bind(ms(now))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn enqueue(&mut self, msg: &NewOutbox) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (message_id, destination, kind, stream_kind, stream_id, payload, \
             created_at_ms, attempts, next_attempt_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)",
        )
        .bind(msg.message_id.to_string())
        .bind(&msg.destination)
        .bind(&msg.kind)
        .bind(msg.stream_kind.clone())
        .bind(msg.stream_id.clone())
        .bind(&msg.payload)
        .bind(ms(msg.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn log_access(&mut self, e: &AccessEntry) -> Result<()> {
        insert_access(&mut *self.tx, e).await
    }

    pub async fn insert_case(&mut self, c: &CaseRow) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO cases (case_ref, title, responsible, created_by, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&c.case_ref)
        .bind(&c.title)
        .bind(&c.responsible)
        .bind(&c.created_by)
        .bind(ms(c.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn case_exists(&mut self, case_ref: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM cases WHERE case_ref = $1")
            .bind(case_ref)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    pub async fn add_private_note(&mut self, n: &PrivateNote) -> Result<()> {
        sqlx::query(
            "INSERT INTO private_notes (id, stream_kind, stream_id, author, author_role, created_at_ms, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(n.id.to_string())
        .bind(&n.stream_kind)
        .bind(&n.stream_id)
        .bind(&n.author)
        .bind(&n.author_role)
        .bind(ms(n.created_at))
        .bind(&n.text)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn notify(&mut self, n: &Notification) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (id, created_at_ms, recipient_role, recipient_person, stream_kind, \
             stream_id, kind, message_nl, message_en) VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8)",
        )
        .bind(n.id.to_string())
        .bind(ms(n.created_at))
        .bind(&n.recipient_role)
        .bind(&n.stream_kind)
        .bind(&n.stream_id)
        .bind(&n.kind)
        .bind(&n.message_nl)
        .bind(&n.message_en)
        .bind(n.recipient_person.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

async fn insert_access<'e, E>(ex: E, e: &AccessEntry) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, on_behalf_of, org_oin, \
         object_type, object_id, purpose, outcome, source_node) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(e.event_id.to_string())
    .bind(e.action.code())
    .bind(ms(e.at))
    .bind(&e.user_id)
    .bind(&e.user_role)
    .bind(e.on_behalf_of.clone())
    .bind(&e.org_oin)
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(&e.purpose)
    .bind(&e.outcome)
    .bind(&e.source_node)
    .execute(ex)
    .await?;
    Ok(())
}

impl Store {
    /// Write one access-log entry on its own (reads, refusals).
    pub async fn log_access(&self, e: &AccessEntry) -> Result<()> {
        insert_access(&self.pool, e).await
    }
}

/// Helpers for test suites that must run on both databases.
pub mod testing {
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
}
