//! The read models the application answers with, as the store keeps them: a case, a stream's
//! row in a list, an access-log entry, a list's filter and cursor, a records list. The adapters
//! name them here and depend on this crate alone; the store itself (what writes) is reachable
//! only through [`Node`](crate::Node).

pub use doorbraak_store::{
    AccessAction, AccessEntry, AccessLogFilter, Backend, CaseRow, ListCursor, ListFilter, ListSort,
    Notification, PrivateNote, ProjectionRow, StoreError, Stream, redact,
};

/// Records management's read models (retention, destruction lists, restrictions).
pub mod records {
    pub use doorbraak_store::records::{DestructionList, Restriction, RetainedRow};
}
