//! Why a node operation failed.

use super::*;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A rule of the model refused the command.
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log could not be folded (a bug or a corrupt store).
    #[error("inconsistent event log: {0}")]
    Replay(#[from] ReplayError),
    #[error("the change could not be committed after retries; try again")]
    Busy,
    /// A value could not be written as JSON (a bug).
    #[error("could not encode: {0}")]
    Encode(#[from] serde_json::Error),
    /// Something about the federation (a peer, the wire, the home) went wrong.
    #[error(transparent)]
    Federation(#[from] FedError),
    /// Restored from a backup and still re-learning its streams from its peers.
    #[error(
        "this node was restored from a backup and is re-learning its escalations from its peers; try again shortly"
    )]
    Relearning,
    /// A file beside the database (an archived segment of the access log) could not be written.
    #[error("file: {0}")]
    Io(String),
}

/// Federation failures of a node operation.
#[derive(Debug, thiserror::Error)]
pub enum FedError {
    #[error("only the home of a stream delivers its events ({home} is its home, not {from})")]
    NotHome { home: String, from: String },
    #[error("this organisation is not a party to the stream")]
    NotAParty,
    #[error("missing events: have up to {have}, got from {got}")]
    Gap { have: i64, got: i64 },
    /// The home's event at `seq` is not the one this replica holds: the replica diverged.
    #[error(
        "the replica of {kind} {id} diverged from its home at seq {seq}: here {local}, at the home {home_event}"
    )]
    Divergence {
        kind: StreamKind,
        id: String,
        seq: i64,
        local: String,
        home_event: String,
    },
    /// A stream id names its home; this one does not name the sender.
    #[error("the stream id {id} does not belong to {from}: only its home delivers it")]
    IdNotOfHome { id: String, from: String },
    #[error("invalid message: {0}")]
    Wire(String),
    #[error("the home node {home} could not be reached: {detail}")]
    Unreachable { home: String, detail: String },
    /// The home refused the command by a rule (its kind, rule and messages as the home said).
    #[error("{}: {}", .0.rule, .0.message_en)]
    Remote(doorbraak_federation::refusal::Refusal),
    #[error("this node has no federation configured (no [tls] section)")]
    NotConfigured,
}

/// A status from the home, as the requesting node's error (keeps the kind, rule and messages).
pub fn remote_error(home: &Oin, s: tonic::Status) -> NodeError {
    // a home restored from a backup says so: the same answer as at the home itself
    if s.code() == tonic::Code::Unavailable
        && doorbraak_federation::refusal::rule_in(&s).as_deref()
            == Some(doorbraak_federation::refusal::RULE_RELEARNING)
    {
        return NodeError::Relearning;
    }
    match doorbraak_federation::refusal::Refusal::from_status(&s) {
        Some(r) => FedError::Remote(r).into(),
        None => FedError::Unreachable {
            home: home.to_string(),
            detail: format!("{:?}: {}", s.code(), s.message()),
        }
        .into(),
    }
}
