//! # doorbraak-model
//!
//! The rules of `DOMAIN.md` as plain types and pure functions, in the sans-IO style of
//! quinn-proto and rustls. Nothing in this crate reads a clock, touches a socket or a
//! database: time is passed in, and every decision is a function of its inputs.
//!
//! Each aggregate (an [`Escalation`], a [`Kwestie`], a set of [`Minutes`], a
//! [`Recommendation`]) follows the same shape, captured by [`Aggregate`]:
//!
//! ```text
//!   decide(state, command, actor, now) -> Result<Vec<Event>, RuleViolation>
//!   apply(state, &event)               -> Result<state, ReplayError>
//! ```
//!
//! `decide` is where every rule lives; `apply` only folds facts that were already decided
//! (or received from the home node of an escalation) into state, and never refuses a fact
//! for a business reason — only for an inconsistent log.
//!
//! Events are wrapped in an [`Event`] envelope that carries the encoding version, the time
//! and the actor. Their canonical encoding (RFC 8785 JSON, see [`canonical`]) is what is
//! stored, sent and signed.
#![forbid(unsafe_code)]

pub mod acceptance;
pub mod access;
pub mod calendar;
pub mod canonical;
pub mod classification;
pub mod escalation;
pub mod event;
pub mod figures;
pub mod identity;
pub mod kwestie;
pub mod learning;
pub mod minutes;
pub mod notify;
pub mod oversight;
pub mod policy;
pub mod privacy;
pub mod records;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod status;
pub mod stream;
pub mod text;
pub mod violation;
pub mod vocabulary;

pub use escalation::{
    Escalation, EscalationCommand, EscalationEvent, EscalationId, EscalationStatus, FamilyInformed,
    Participant, Situation, Step, StepOutcome, StepRecord,
};
pub use event::{
    Aggregate, EVENT_VERSION, Event, EventVersions, NEWEST_EVENT_VERSION, OLDEST_EVENT_VERSION,
    ReplayError, StoredEvent, replay,
};
pub use identity::{Actor, CaseRef, Oin, OrgKind, OrgRef, PersonId, Role, check_claimed_role};
pub use kwestie::{Kwestie, KwestieCategory, KwestieCommand, KwestieEvent, KwestieId};
pub use learning::{
    Bottleneck, BottleneckClassification, Recommendation, RecommendationCommand,
    RecommendationEvent, RecommendationId, RecommendationOrigin, RecommendationStatus, RootCause,
    RootCauseAnswer, SolutionScope, SystemNature,
};
pub use minutes::{
    ApprovalSignature, ApprovalStatement, DocTarget, Meeting, MeetingId, Minutes, MinutesCommand,
    MinutesEvent, MinutesId,
};
pub use policy::DeadlinePolicy;
pub use status::Status;
pub use stream::{Streamed, derived_uuid, is_of_home, stream_uuid};
pub use violation::{RefusalKind, RuleViolation};
pub use vocabulary::StreamKind;

/// Timestamps are UTC instants; their serde form is RFC 3339 (`2026-11-25T09:00:00Z`).
pub type Timestamp = jiff::Timestamp;
