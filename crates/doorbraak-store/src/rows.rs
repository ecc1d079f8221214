//! The rows read back from the store: projections, cases, private notes, notifications.

use super::*;

/// A projection row: the query columns and the state as JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_deadline: Option<Timestamp>,
    pub overdue: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// What it is about (see `Summary::subject`).
    #[serde(default)]
    pub subject: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub state: serde_json::Value,
}

/// Which projections to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub case_ref: Option<String>,
    pub overdue_only: bool,
    pub limit: i64,
    /// Rows to skip (server-side pagination).
    pub offset: i64,
    /// Only at this step (1-3) / in this situation (1-3).
    pub step: Option<i64>,
    pub situation: Option<i64>,
    /// Only streams this organisation is a party to.
    pub party: Option<String>,
    /// Only streams of a local case this person is responsible for.
    pub responsible: Option<String>,
    /// Only streams whose subject or case reference contains this (case-insensitive).
    pub search: Option<String>,
    pub sort: ListSort,
}

/// The order of a list; every order ends on the stream id, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListSort {
    /// Overdue first, then by the next deadline, then the newest.
    #[default]
    Deadline,
    Newest,
    Oldest,
    /// By case reference.
    Case,
    /// The most recently changed first.
    Updated,
}

impl ListSort {
    pub(crate) fn order_by(self) -> &'static str {
        match self {
            ListSort::Deadline => {
                "overdue DESC, CASE WHEN next_deadline_ms IS NULL THEN 1 ELSE 0 END, \
                 next_deadline_ms, created_at_ms DESC, stream_id"
            }
            ListSort::Newest => "created_at_ms DESC, stream_id",
            ListSort::Oldest => "created_at_ms, stream_id",
            ListSort::Case => {
                "CASE WHEN case_ref IS NULL THEN 1 ELSE 0 END, case_ref, created_at_ms DESC, stream_id"
            }
            ListSort::Updated => "updated_at_ms DESC, stream_id",
        }
    }
}

/// A local case.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    pub case_ref: String,
    pub title: String,
    pub responsible: String,
    pub created_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A person of this node who logged in, as last seen.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: String,
    pub name: String,
    /// The role code (`professional`, `team_manager`, …).
    pub role: String,
    /// How they log in: `dev` (a development account) or `oidc`.
    pub source: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// Where mail reaches them (the OIDC `email` claim at the last login); none: in-app only.
    pub email: Option<String>,
}

/// Something that waits for one person of this node (table `notices`, migration 0005).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub id: Uuid,
    pub person: String,
    /// A `doorbraak_model::notify::Reason` code.
    pub reason: String,
    pub stream_kind: String,
    pub stream_id: String,
    /// The event that caused it.
    pub seq: i64,
    pub deadline: Option<Timestamp>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    /// The item's case reference (from its projection; shown in the app, never in a mail).
    pub case_ref: Option<String>,
    /// To be mailed too (the node has `[mail]`).
    pub mail: bool,
}

/// A notice waiting to be mailed, with its person's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDue {
    pub notice: InboxRow,
    pub email: Option<String>,
    pub attempts: i64,
    /// The person chose one daily digest; and the Dutch day of their last one.
    pub digest: bool,
    pub last_digest: Option<String>,
}

/// A private note on a stream: stays on this node.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateNote {
    pub id: Uuid,
    pub stream_kind: String,
    pub stream_id: String,
    pub author: String,
    pub author_role: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub text: String,
}

/// A reminder for the people of this node.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
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

pub(crate) fn loaded<A: Stream>(r: &AnyRow) -> Result<Loaded<A>>
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

pub(crate) fn projection_row(r: &AnyRow) -> Result<ProjectionRow> {
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
        subject: r.try_get("subject")?,
        state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?,
    })
}

pub(crate) fn case_row(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        case_ref: r.try_get("case_ref")?,
        title: r.try_get("title")?,
        responsible: r.try_get("responsible")?,
        created_by: r.try_get("created_by")?,
        created_at: from_ms(r.try_get("created_at_ms")?)?,
    })
}
