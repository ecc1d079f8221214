//! A person's inbox ("Meldingen"): what waits for them, newest first; opening one marks it read.

use doorbraak_store::InboxRow;

use crate::app::{Node, NodeError, User};

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
