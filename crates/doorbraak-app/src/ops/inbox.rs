//! A person's inbox ("Meldingen"): what waits for them, newest first; opening one marks it read.

use doorbraak_model::Timestamp;
use doorbraak_model::notify::Reason;
use doorbraak_store::InboxRow;
use serde::Serialize;

use crate::{Node, NodeError, User};

/// One notice as the JSON API answers it: what waits for this person, about which item, by
/// when. The same notices the web's "Meldingen" page lists (the model's `Notify` decides them).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: uuid::Uuid,
    /// Why the person is told: `pick_up`, `overdue`, `board_offer`, `approval_wanted`,
    /// `approval_reminder`, `minutes_final` or `changed`.
    pub reason: String,
    pub message_nl: String,
    pub message_en: String,
    /// The item: `escalation`, `kwestie` or `minutes`, and its id.
    pub stream_kind: String,
    pub stream_id: String,
    /// The item's case reference.
    pub case_ref: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Opened (in the web) or not.
    pub read: bool,
}

impl From<InboxRow> for Notice {
    fn from(r: InboxRow) -> Self {
        let reason = Reason::from_code(&r.reason);
        Notice {
            id: r.id,
            message_nl: reason.map_or(r.reason.clone(), |x| x.label_nl().to_owned()),
            message_en: reason.map_or(r.reason.clone(), |x| x.label_en().to_owned()),
            reason: r.reason,
            stream_kind: r.stream_kind,
            stream_id: r.stream_id,
            case_ref: r.case_ref,
            deadline: r.deadline,
            created_at: r.created_at,
            read: r.read_at.is_some(),
        }
    }
}

/// This person's newest notices (one page), the read logged first.
pub async fn notices(node: &Node, u: &User) -> Result<Vec<Notice>, NodeError> {
    let (rows, _) = page(node, u, 1).await?;
    Ok(rows.into_iter().map(Notice::from).collect())
}

/// Rows per page of the inbox.
pub const PAGE: i64 = 50;

/// One page of this person's inbox and how many are unread (the read is logged: the rows
/// name items and their case references).
pub async fn page(node: &Node, u: &User, page: i64) -> Result<(Vec<InboxRow>, i64), NodeError> {
    node.log_read(u, "inbox", &u.id).await?;
    let offset = (page.max(1) - 1).saturating_mul(PAGE);
    Ok(node.store.inbox(&u.id, PAGE, offset).await?)
}

/// How many of this person's rows are unread (the count in the page header; no content).
pub async fn unread(node: &Node, u: &User) -> Result<i64, NodeError> {
    Ok(node.store.unread(&u.id).await?)
}

/// Open one of this person's rows: marked read, and the item it is about (kind, id); `None`
/// when the row is not theirs.
pub async fn open(node: &Node, u: &User, id: &str) -> Result<Option<(String, String)>, NodeError> {
    let id = super::stream_id(id)?;
    Ok(node.store.read_inbox(&u.id, &id, node.now()).await?)
}

/// This person's choice: each notification mailed at once, or one daily digest (overdue items
/// are always sent at once). The change is logged.
pub async fn set_digest(node: &Node, u: &User, digest: bool) -> Result<(), NodeError> {
    node.store.set_digest(&u.id, digest).await?;
    node.log_change(u, "notification_preference", &u.id).await
}

/// Whether this person chose the daily digest.
pub async fn digest(node: &Node, u: &User) -> Result<bool, NodeError> {
    Ok(node.store.digest_of(&u.id).await?)
}
