//! The rows read back from the store: projections, cases, private notes, notifications.

use super::*;

/// A projection row: the query columns and the state as JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionRow {
    pub kind: String,
    pub id: String,
    pub version: i64,
    pub status: doorbraak_model::Status,
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
    pub status: Option<doorbraak_model::Status>,
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
    /// Only the rows after this one in the list's order (keyset pagination: a page is the
    /// same whatever was added or removed before it). Its sort wins over `sort`; `offset` is
    /// then not used.
    pub after: Option<ListCursor>,
    /// Leave out the streams of a case whose processing is restricted (for everyone but the
    /// responsible role: `doorbraak_model::records::sees_restricted`).
    pub hide_restricted: bool,
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
    /// The list's order: expressions, whether each is descending and whether its value is
    /// text (else a number). The order by clause and a cursor's condition are both made from it.
    fn keys(self) -> &'static [(&'static str, bool, bool)] {
        const NO_DEADLINE: &str = "(CASE WHEN next_deadline_ms IS NULL THEN 1 ELSE 0 END)";
        const NO_CASE: &str = "(CASE WHEN case_ref IS NULL THEN 1 ELSE 0 END)";
        match self {
            ListSort::Deadline => &[
                ("overdue", true, false),
                (NO_DEADLINE, false, false),
                ("COALESCE(next_deadline_ms, 0)", false, false),
                ("created_at_ms", true, false),
                ("stream_id", false, true),
            ],
            ListSort::Newest => &[("created_at_ms", true, false), ("stream_id", false, true)],
            ListSort::Oldest => &[("created_at_ms", false, false), ("stream_id", false, true)],
            ListSort::Case => &[
                (NO_CASE, false, false),
                ("COALESCE(case_ref, '')", false, true),
                ("created_at_ms", true, false),
                ("stream_id", false, true),
            ],
            ListSort::Updated => &[("updated_at_ms", true, false), ("stream_id", false, true)],
        }
    }

    pub(crate) fn order_by(self) -> String {
        self.keys()
            .iter()
            .map(|(e, desc, _)| {
                if *desc {
                    format!("{e} DESC")
                } else {
                    (*e).to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn code(self) -> char {
        match self {
            ListSort::Deadline => 'd',
            ListSort::Newest => 'n',
            ListSort::Oldest => 'o',
            ListSort::Case => 'c',
            ListSort::Updated => 'u',
        }
    }

    fn from_code(c: char) -> Option<ListSort> {
        [
            ListSort::Deadline,
            ListSort::Newest,
            ListSort::Oldest,
            ListSort::Case,
            ListSort::Updated,
        ]
        .into_iter()
        .find(|s| s.code() == c)
    }

    /// A row's values of the list's order, as [`Self::keys`] names them.
    fn values(self, r: &ProjectionRow) -> Vec<KeyValue> {
        use KeyValue::{Int, Text};
        let ms = |t: Timestamp| t.as_millisecond();
        let deadline = r.next_deadline.map(ms);
        match self {
            ListSort::Deadline => vec![
                Int(i64::from(r.overdue)),
                Int(i64::from(deadline.is_none())),
                Int(deadline.unwrap_or(0)),
                Int(ms(r.created_at)),
                Text(r.id.clone()),
            ],
            ListSort::Newest | ListSort::Oldest => vec![Int(ms(r.created_at)), Text(r.id.clone())],
            ListSort::Case => vec![
                Int(i64::from(r.case_ref.is_none())),
                Text(r.case_ref.clone().unwrap_or_default()),
                Int(ms(r.created_at)),
                Text(r.id.clone()),
            ],
            ListSort::Updated => vec![Int(ms(r.updated_at)), Text(r.id.clone())],
        }
    }
}

/// One value of a row's place in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyValue {
    Int(i64),
    Text(String),
}

/// Where a page of a list ends: the last row's values of the list's order. Opaque to clients
/// (`encode`, `decode`); a changed or forged cursor is refused, never misread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub(crate) sort: ListSort,
    pub(crate) values: Vec<KeyValue>,
}

/// A cursor that is not one this store made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a cursor of this list")]
pub struct BadCursor;

impl ListCursor {
    /// The place after `row` in a list of order `sort`.
    pub fn after(sort: ListSort, row: &ProjectionRow) -> ListCursor {
        ListCursor {
            sort,
            values: sort.values(row),
        }
    }

    pub fn sort(&self) -> ListSort {
        self.sort
    }

    /// URL-safe text: hex of `v1`, the order's code and the values.
    pub fn encode(&self) -> String {
        let mut s = format!("v1\u{1f}{}", self.sort.code());
        for v in &self.values {
            match v {
                KeyValue::Int(i) => s.push_str(&format!("\u{1f}i{i}")),
                KeyValue::Text(t) => s.push_str(&format!("\u{1f}t{t}")),
            }
        }
        hex::encode(s)
    }

    pub fn decode(text: &str) -> std::result::Result<ListCursor, BadCursor> {
        if text.len() > 1024 {
            return Err(BadCursor);
        }
        let bytes = hex::decode(text).map_err(|_| BadCursor)?;
        let s = String::from_utf8(bytes).map_err(|_| BadCursor)?;
        let mut parts = s.split('\u{1f}');
        if parts.next() != Some("v1") {
            return Err(BadCursor);
        }
        let mut code = parts.next().ok_or(BadCursor)?.chars();
        let sort = code
            .next()
            .and_then(ListSort::from_code)
            .filter(|_| code.next().is_none())
            .ok_or(BadCursor)?;
        let values = parts
            .map(|p| match p.split_at_checked(1) {
                Some(("i", n)) => n.parse().map(KeyValue::Int).map_err(|_| BadCursor),
                Some(("t", t)) => Ok(KeyValue::Text(t.to_owned())),
                _ => Err(BadCursor),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // as many values as the order has keys, each of its type
        let keys = sort.keys();
        let typed = values.len() == keys.len()
            && values
                .iter()
                .zip(keys)
                .all(|(v, (_, _, text))| matches!(v, KeyValue::Text(_)) == *text);
        if !typed {
            return Err(BadCursor);
        }
        Ok(ListCursor { sort, values })
    }

    /// The condition "after this row" in the list's order, its parameters numbered from `first`.
    pub(crate) fn condition(&self, first: usize) -> String {
        let keys = self.sort.keys();
        let mut n = first;
        let mut param = || {
            let p = format!("${n}");
            n += 1;
            p
        };
        let mut ors = Vec::new();
        for i in 0..keys.len() {
            let mut ands = Vec::new();
            for (e, _, _) in &keys[..i] {
                ands.push(format!("{e} = {}", param()));
            }
            let (e, desc, _) = keys[i];
            ands.push(format!("{e} {} {}", if desc { "<" } else { ">" }, param()));
            ors.push(format!("({})", ands.join(" AND ")));
        }
        format!("({})", ors.join(" OR "))
    }

    /// The parameters of [`Self::condition`], in its order.
    pub(crate) fn parameters(&self) -> Vec<KeyValue> {
        let mut out = Vec::new();
        for i in 0..self.values.len() {
            out.extend(self.values[..=i].iter().cloned());
        }
        out
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
        status: {
            let code: String = r.try_get("status")?;
            doorbraak_model::Status::from_code(&code).ok_or(StoreError::Corrupt {
                what: "status",
                detail: code,
            })?
        },
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
