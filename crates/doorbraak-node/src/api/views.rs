//! The JSON API's typed answers that are not a type of the operations layer themselves: an
//! aggregate's state with what this node knows about it now, and the small answers of the
//! admin actions. The states are the model's (described as objects here; their fields are the
//! model's, see docs/DOMAIN.md).

use super::*;

/// One escalation, with whether it is overdue now.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationView {
    pub version: i64,
    pub overdue: bool,
    pub current_step: Option<Step>,
    /// The escalation as the model keeps it.
    #[schema(value_type = Object)]
    pub state: Escalation,
}

/// One kwestie, with what it offers now.
#[derive(Debug, Serialize, ToSchema)]
pub struct KwestieResponse {
    pub version: i64,
    pub overdue: bool,
    /// The pickup deadline passed: escalating to the board is offered.
    pub offers_board_escalation: bool,
    /// The kwestie as the model keeps it.
    #[schema(value_type = Object)]
    pub state: doorbraak_model::Kwestie,
}

/// A meeting with its minutes, revisions and approvals.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    pub version: i64,
    /// The meeting and its minutes as the model keeps them.
    #[schema(value_type = Object)]
    pub state: Minutes,
}

/// One event of a stream's log (the documented form of `StoredEvent`).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventEntry {
    /// Its position in the log, from 1.
    pub seq: i64,
    pub event_id: uuid::Uuid,
    /// The event: when, by whom, and what (`body`).
    pub event: JsonObject,
}

/// The documented form of a verification bundle of final minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesBundleDoc {
    /// Always `doorbraak.minutes.bundle.v2`.
    pub bundle: String,
    pub minutes: JsonObject,
    /// The exporting node's trust anchors, base64 DER (for information only).
    pub trust_anchors: Vec<String>,
    /// Every directory manifest an approval was signed under (and the one in force), each
    /// signed by the federation operator.
    pub directories: Vec<JsonObject>,
}

/// An object whose fields the model defines (only documented, never built).
#[derive(Debug, Serialize)]
pub struct JsonObject;

impl utoipa::PartialSchema for JsonObject {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .into()
    }
}

impl ToSchema for JsonObject {}

/// What waits for a peer after a resend.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resent {
    pub pending: u64,
}

/// The directory after a reload.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// Members in the manifest now in use.
    pub members: usize,
}
