//! The access log (NEN 7513): its entries, written in a command's transaction or on their own,
//! and read back for the administrator.

use super::*;

/// The NEN 7513 action codes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    pub fn code(self) -> &'static str {
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

/// Which access-log entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLogFilter {
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    /// Only entries of the people whose name contains this (case-insensitive; see `persons`).
    pub user_name: Option<String>,
    /// From this moment (inclusive).
    pub from: Option<Timestamp>,
    /// Until this moment (exclusive).
    pub until: Option<Timestamp>,
    pub limit: i64,
    /// Entries to skip (newest first), for the next page.
    pub offset: i64,
}

/// One access-log entry (NEN 7513): who did what to which object, when, why, with what result.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub event_id: Uuid,
    pub action: AccessAction,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
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
    /// The W3C trace id of the request it was written in (the same at every node the request
    /// reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The rest of Logboek Dataverwerkingen's fields (see [`Trail`]).
    #[serde(default, flatten)]
    pub trail: Trail,
}

/// What Logius' Logboek Dataverwerkingen asks of a log line beyond NEN 7513: this node's
/// operation (span id) and the calling one (`parent_span_id`), the external party a call came
/// from (`foreign_entity`, `urn:oin:<OIN>`), the processing activity (a URI of the register of
/// processing activities) and the data subject (the pseudonymous case reference).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_activity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_subject: Option<String>,
}

/// The VALUES of `rows` access-log rows (18 parameters each). The data subject, when the entry
/// does not name it, is the case the object is about: a stream's case reference, or that of the
/// escalation a meeting belongs to (resolved as the row is written: rows are never updated).
/// Parameters are named `$n` on both backends (SQLite numbers a repeated name once).
pub(crate) fn access_values(rows: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for r in 0..rows {
        let b = r * 18;
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 1..=17 {
            let _ = write!(s, "${},", b + c);
        }
        let (kind, id, subject) = (b + 8, b + 9, b + 18);
        let _ = write!(
            s,
            "COALESCE(${subject}, (SELECT p.case_ref FROM projections p WHERE p.stream_kind = ${kind} \
             AND p.stream_id = ${id}), (SELECT e.case_ref FROM projections p JOIN projections e \
             ON e.stream_kind = 'escalation' AND e.stream_id = p.link \
             WHERE p.stream_kind = ${kind} AND p.stream_id = ${id})))"
        );
    }
    s
}

pub(crate) async fn insert_access<'e, E>(ex: E, e: &AccessEntry) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, on_behalf_of, org_oin, \
         object_type, object_id, purpose, outcome, source_node, trace_id, span_id, parent_span_id, \
         foreign_entity, processing_activity, data_subject) VALUES {}",
        access_values(1)
    )))
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
    .bind(e.trace_id.clone())
    .bind(e.trail.span_id.clone())
    .bind(e.trail.parent_span_id.clone())
    .bind(e.trail.foreign_entity.clone())
    .bind(e.trail.processing_activity.clone())
    .bind(e.trail.data_subject.clone())
    .execute(ex)
    .await?;
    Ok(())
}

impl Store {
    /// Access-log entries, newest first, optionally for one object.
    /// The newest access-log entries (at most `limit`, up to 10,000) about `object_id` and/or
    /// by `user_id` (`None`: any).
    pub async fn access_log(
        &self,
        object_id: Option<&str>,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AccessEntry>> {
        self.access_log_page(&AccessLogFilter {
            object_id: object_id.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
            limit,
            ..AccessLogFilter::default()
        })
        .await
    }

    /// One page of the access log, newest first, within a period.
    pub async fn access_log_page(&self, f: &AccessLogFilter) -> Result<Vec<AccessEntry>> {
        let name = f
            .user_name
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_lowercase();
        let rows = sqlx::query(
            "SELECT * FROM access_log WHERE ($1 = '' OR object_id = $1) \
             AND ($3 = '' OR user_id = $3) AND at_ms >= $4 AND at_ms < $5 \
             AND ($7 = '' OR EXISTS (SELECT 1 FROM persons p WHERE p.id = access_log.user_id \
                  AND LOWER(p.name) LIKE $8 ESCAPE '\\')) \
             ORDER BY at_ms DESC, event_id DESC LIMIT $2 OFFSET $6",
        )
        .bind(f.object_id.as_deref().unwrap_or_default())
        .bind(f.limit.clamp(1, 10_000))
        .bind(f.user_id.as_deref().unwrap_or_default())
        .bind(f.from.map_or(i64::MIN, |t| t.as_millisecond()))
        .bind(f.until.map_or(i64::MAX, |t| t.as_millisecond()))
        .bind(f.offset.max(0))
        .bind(name.as_str())
        .bind(crate::reads::contains_pattern(&name))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(access_entry).collect()
    }
}

/// An access-log row as read from the database.
pub(crate) fn access_entry(r: &AnyRow) -> Result<AccessEntry> {
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
        trace_id: r.try_get("trace_id")?,
        trail: Trail {
            span_id: r.try_get("span_id")?,
            parent_span_id: r.try_get("parent_span_id")?,
            foreign_entity: r.try_get("foreign_entity")?,
            processing_activity: r.try_get("processing_activity")?,
            data_subject: r.try_get("data_subject")?,
        },
    })
}

impl Store {
    /// Record that a person logged in (their name and role as now), keeping when they were
    /// first seen.
    pub async fn person_seen(
        &self,
        id: &str,
        name: &str,
        role: &str,
        source: &str,
        email: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO persons (id, name, role, source, first_seen_ms, last_seen_ms, email) \
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, role = excluded.role, source = excluded.source, \
             last_seen_ms = excluded.last_seen_ms, email = excluded.email",
        )
        .bind(id)
        .bind(name)
        .bind(role)
        .bind(source)
        .bind(at.as_millisecond())
        .bind(email)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everyone who logged in at this node, by name.
    pub async fn persons(&self) -> Result<Vec<crate::PersonRow>> {
        let rows = sqlx::query("SELECT * FROM persons ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::PersonRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    source: r.try_get("source")?,
                    first_seen: from_ms(r.try_get("first_seen_ms")?)?,
                    last_seen: from_ms(r.try_get("last_seen_ms")?)?,
                    email: r.try_get("email")?,
                })
            })
            .collect()
    }

    /// Write one access-log entry on its own (reads, refusals).
    pub async fn log_access(&self, e: &AccessEntry) -> Result<()> {
        insert_access(&self.pool, e).await
    }
}
