//! The event envelope and the shape every aggregate shares.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::identity::Actor;
use crate::violation::RuleViolation;

/// Version of the event encoding this code writes. Stored and sent with every event.
pub const EVENT_VERSION: u16 = 1;

/// The oldest event version this code still reads: the previous release's during a rolling
/// upgrade (equal to [`EVENT_VERSION`] until an encoding changes). `apply` refuses any version
/// outside `OLDEST_EVENT_VERSION..=EVENT_VERSION`.
pub const OLDEST_EVENT_VERSION: u16 = 1;

/// The newest event version this code reads. A rolling upgrade to a new encoding takes two
/// releases: the first reads it (this constant goes up) but still writes the old one, the
/// second writes it once every member runs the first.
pub const NEWEST_EVENT_VERSION: u16 = 1;

/// What a node announces of its event versions in the greeting between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventVersions {
    /// The oldest version it reads.
    pub oldest: u16,
    /// The newest version it reads.
    pub newest: u16,
    /// The version it writes.
    pub writes: u16,
}

impl EventVersions {
    /// This code's versions.
    pub const OURS: EventVersions = EventVersions {
        oldest: OLDEST_EVENT_VERSION,
        newest: NEWEST_EVENT_VERSION,
        writes: EVENT_VERSION,
    };

    /// Can two nodes exchange events: each reads the version the other writes?
    pub fn compatible(self, peer: EventVersions) -> bool {
        (self.oldest..=self.newest).contains(&peer.writes)
            && (peer.oldest..=peer.newest).contains(&self.writes)
    }
}

/// One recorded fact: what happened (`body`), when, and who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event<B> {
    /// Encoding version, always [`EVENT_VERSION`] for events made by this code.
    pub v: u16,
    pub at: Timestamp,
    pub by: Actor,
    pub body: B,
}

impl<B> Event<B> {
    pub fn new(at: Timestamp, by: Actor, body: B) -> Self {
        Self {
            v: EVENT_VERSION,
            at,
            by,
            body,
        }
    }
}

/// Why a log cannot be folded into state. These are never business refusals: they mean the
/// log itself is inconsistent (a bug, a corrupt store, or a peer sending nonsense).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "event version {0} is not supported (this node reads {OLDEST_EVENT_VERSION} to {NEWEST_EVENT_VERSION})"
    )]
    UnsupportedVersion(u16),
    #[error("the first event of a log must create the aggregate, got {0}")]
    NotACreation(&'static str),
    #[error("a creation event ({0}) cannot follow an existing aggregate")]
    AlreadyCreated(&'static str),
    #[error("inconsistent event {event}: {reason}")]
    Inconsistent {
        event: &'static str,
        reason: &'static str,
    },
}

/// The command → events → state shape of every aggregate.
pub trait Aggregate: Sized + Clone {
    type Command;
    type Body: Clone;

    /// Decide a command against the current state (`None` before creation). Pure: the same
    /// inputs always give the same output.
    fn decide(
        state: Option<&Self>,
        command: &Self::Command,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Event<Self::Body>>, RuleViolation>;

    /// Fold one event into state.
    fn apply(state: Option<Self>, event: &Event<Self::Body>) -> Result<Self, ReplayError>;

    /// Decide and apply in one go: the new state and the events that lead to it.
    fn execute(
        state: Option<&Self>,
        command: &Self::Command,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Executed<Self>, ExecuteError> {
        let events = Self::decide(state, command, actor, now)?;
        let mut next = state.cloned();
        for e in &events {
            next = Some(Self::apply(next, e)?);
        }
        match next {
            Some(s) => Ok((s, events)),
            None => Err(ExecuteError::Replay(ReplayError::NotACreation("none"))),
        }
    }
}

/// The new state and the events that lead to it.
pub type Executed<A> = (A, Vec<Event<<A as Aggregate>::Body>>);

/// Either a refusal or (a bug) an inconsistent log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// Rebuild state from a whole log.
pub fn replay<'a, A: Aggregate + 'a>(
    events: impl IntoIterator<Item = &'a Event<A::Body>>,
) -> Result<Option<A>, ReplayError>
where
    A::Body: 'a,
{
    let mut state = None;
    for e in events {
        state = Some(A::apply(state, e)?);
    }
    Ok(state)
}

pub(crate) fn check_version<B>(e: &Event<B>) -> Result<(), ReplayError> {
    if (OLDEST_EVENT_VERSION..=NEWEST_EVENT_VERSION).contains(&e.v) {
        Ok(())
    } else {
        Err(ReplayError::UnsupportedVersion(e.v))
    }
}

/// One event with its position in its stream's log and its id: what a node stores, sends to
/// the parties, and what a replica compares with the home's (same sequence number, same id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent<B> {
    pub seq: i64,
    pub event_id: uuid::Uuid,
    pub event: Event<B>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_exchange_events_when_each_reads_what_the_other_writes() {
        let v = |oldest, newest, writes| EventVersions {
            oldest,
            newest,
            writes,
        };
        assert!(v(1, 1, 1).compatible(v(1, 1, 1)));
        // a rolling upgrade: the first new release reads 2 but writes 1, so the old ones read it
        assert!(v(1, 2, 1).compatible(v(1, 1, 1)));
        // once every member reads 2, the next release writes it
        assert!(v(1, 2, 2).compatible(v(1, 2, 1)));
        // writing 2 while a peer reads only 1: the peer could not read it
        assert!(!v(1, 2, 2).compatible(v(1, 1, 1)));
        // a peer two encodings ahead, or one that no longer reads ours
        assert!(!v(1, 1, 1).compatible(v(3, 3, 3)));
        assert!(!v(2, 2, 2).compatible(v(1, 1, 1)));
    }
}
