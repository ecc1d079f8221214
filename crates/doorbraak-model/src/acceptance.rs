//! Whether a replica accepts a delivery of its home's events: a pure function of what the
//! replica holds, what arrived, who sent it (the certificate's organisation) and what the
//! federation directory says of every organisation named in it.
//!
//! The node's gRPC adapter only translates bytes into a [`Receipt`] and the answer back; every
//! check of a received stream lives here, and runs on every delivery:
//!
//! - the stream id names the sender as its home (`federation.stream_id_of_home`), and a
//!   stream this node already holds has the sender as its home (`federation.not_home`);
//! - a message carries events (`federation.empty_message`), numbered from 1
//!   (`federation.sequence_from_one`) without holes (`federation.sequence_contiguous`);
//! - no event is dated further ahead of the receiver's clock than the tolerated clock skew
//!   (`federation.event_in_future`);
//! - a person who acted exists at the kind of organisation the *directory* names for theirs
//!   (`access.role_not_at_org_kind`; an organisation outside the directory:
//!   `federation.not_in_directory`), and no free text holds a BSN (`privacy.no_bsn`);
//! - where the events overlap what the replica holds, their ids are the same (else a
//!   divergence, repaired from the home); the first new event follows on (else a gap, filled
//!   from the home);
//! - every new event passes [`Streamed::check_received`] (the actor is the home or a party);
//!   the resulting state declares every organisation with the kind the directory gives it
//!   (`federation.kind_not_in_directory`), names participants only in roles that exist at their
//!   organisation's kind, is the stream the id names (`federation.stream_id_mismatch`), and has
//!   this node as a party (`access.not_a_party`).

use jiff::SignedDuration;
use uuid::Uuid;

use crate::event::{Event, ReplayError, StoredEvent};
use crate::identity::{Actor, Oin, OrgKind};
use crate::stream::{Streamed, is_of_home};
use crate::{RuleViolation, Timestamp};

/// How far ahead of the receiver's clock a delivered event may be dated, by default.
pub const DEFAULT_MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_secs(300);

/// The federation directory as the receiver sees it: the kind of each member organisation.
pub trait Members {
    /// The kind the directory gives this organisation (`None`: not a member).
    fn kind_of(&self, oin: &Oin) -> Option<OrgKind>;
}

impl<F: Fn(&Oin) -> Option<OrgKind>> Members for F {
    fn kind_of(&self, oin: &Oin) -> Option<OrgKind> {
        self(oin)
    }
}

/// The receiving node: who it is, its clock and the skew it tolerates, and its directory.
pub struct Receiver<'a, M: Members + ?Sized> {
    pub me: &'a Oin,
    pub now: Timestamp,
    pub max_skew: SignedDuration,
    pub members: &'a M,
}

/// One stream's part of a delivery, as it arrived (already decoded).
pub struct Receipt<'a, B> {
    pub stream_id: &'a str,
    pub events: &'a [StoredEvent<B>],
}

/// What the replica does with a receipt that breaks no rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every event is already held (the same ones): nothing to write.
    Skip,
    /// Store the events from index `from` of the receipt on; the new state is handed back.
    Apply { from: usize },
    /// Events are missing between what the replica holds and what arrived: fetch them from the
    /// home first.
    Gap { have: i64, got: i64 },
    /// The home's event at `seq` is not the one the replica holds: repair from the home.
    Divergence { seq: i64, local: Uuid, home: Uuid },
}

/// Why a receipt is not accepted: a rule (answered and logged as such), or a log that cannot be
/// folded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// Decide what the replica does with `receipt`, sent by `from` (the peer certificate's
/// organisation). `state`/`version` are what the replica holds; `held(seq)` the id of the event
/// it holds at `seq`. On [`Verdict::Apply`] the returned state is the state after the new events
/// (else `state` is handed back as it was). `each` sees every new event with the state after it
/// (the node derives its notifications there).
pub fn accept<A, M>(
    state: Option<A>,
    version: i64,
    held: impl Fn(i64) -> Option<Uuid>,
    receipt: &Receipt<'_, A::Body>,
    from: &Oin,
    receiver: &Receiver<'_, M>,
    mut each: impl FnMut(&A, &Event<A::Body>, i64),
) -> Result<(Verdict, Option<A>), Refused>
where
    A: Streamed,
    M: Members + ?Sized,
{
    let members = receiver.members;
    // the stream is the sender's own, and a stream held here is still the sender's
    let id_of_sender = Uuid::parse_str(receipt.stream_id).is_ok_and(|u| is_of_home(&u, from));
    if !id_of_sender {
        return Err(RuleViolation::StreamIdNotOfHome.into());
    }
    if members.kind_of(from).is_none() {
        return Err(RuleViolation::NotInDirectory.into());
    }
    if let Some(s) = &state
        && &s.home() != from
    {
        return Err(RuleViolation::NotHome.into());
    }
    let (Some(first), Some(last)) = (receipt.events.first(), receipt.events.last()) else {
        return Err(RuleViolation::EmptyMessage.into());
    };
    if first.seq < 1 {
        return Err(RuleViolation::SequenceFromOne { got: first.seq }.into());
    }
    if receipt
        .events
        .windows(2)
        .any(|w| w[1].seq != w[0].seq.saturating_add(1))
    {
        return Err(RuleViolation::SequenceContiguous.into());
    }
    // every event, held or new: its time, its actor's role at the directory's kind, its text
    let latest = receiver
        .now
        .checked_add(receiver.max_skew)
        .unwrap_or(receiver.now);
    for e in receipt.events {
        check_event::<A, M>(&e.event, latest, members)?;
    }
    // where the events overlap what is held, they are the same events
    for e in receipt.events.iter().filter(|e| e.seq <= version) {
        if let Some(local) = held(e.seq)
            && local != e.event_id
        {
            return Ok((
                Verdict::Divergence {
                    seq: e.seq,
                    local,
                    home: e.event_id,
                },
                state,
            ));
        }
    }
    if last.seq <= version {
        return Ok((Verdict::Skip, state));
    }
    let from_index = receipt
        .events
        .iter()
        .position(|e| e.seq > version)
        .unwrap_or(receipt.events.len());
    let first_new = &receipt.events[from_index];
    if first_new.seq != version + 1 {
        return Ok((
            Verdict::Gap {
                have: version,
                got: first_new.seq,
            },
            state,
        ));
    }
    let mut next = state;
    for e in &receipt.events[from_index..] {
        let parties_before = next.as_ref().map(Streamed::parties);
        let applied = A::apply(next, &e.event)?;
        // the home decided under the model's rules; this party checks them again
        A::check_received(parties_before.as_deref(), &applied, &e.event, from)?;
        each(&applied, &e.event, e.seq);
        next = Some(applied);
    }
    let Some(after) = next else {
        return Err(RuleViolation::EmptyMessage.into());
    };
    check_state(&after, receipt.stream_id, from, receiver)?;
    Ok((Verdict::Apply { from: from_index }, Some(after)))
}

/// What is checked of every received event, held or new, without the stream's state.
fn check_event<A: Streamed, M: Members + ?Sized>(
    event: &Event<A::Body>,
    latest: Timestamp,
    members: &M,
) -> Result<(), RuleViolation> {
    if event.at > latest {
        return Err(RuleViolation::EventInFuture { at: event.at });
    }
    if let Actor::Person { role, org, .. } = &event.by {
        let kind = members.kind_of(org).ok_or(RuleViolation::NotInDirectory)?;
        if !role.exists_at(kind) {
            return Err(RuleViolation::RoleNotAtOrgKind { role: *role, kind });
        }
    }
    crate::privacy::check_free_text(A::free_text(&event.body))
}

/// What is checked of the state the new events lead to.
fn check_state<A: Streamed, M: Members + ?Sized>(
    after: &A,
    stream_id: &str,
    from: &Oin,
    receiver: &Receiver<'_, M>,
) -> Result<(), RuleViolation> {
    if &after.home() != from {
        return Err(RuleViolation::NotHome);
    }
    if after.stream_id() != stream_id {
        return Err(RuleViolation::StreamIdMismatch);
    }
    let members = receiver.members;
    for (oin, declared) in after.declared_kinds() {
        let kind = members.kind_of(&oin).ok_or(RuleViolation::NotInDirectory)?;
        if kind != declared {
            return Err(RuleViolation::KindNotInDirectory {
                declared,
                directory: kind,
            });
        }
    }
    for (oin, role) in after.roles_named() {
        let kind = members.kind_of(&oin).ok_or(RuleViolation::NotInDirectory)?;
        if !role.exists_at(kind) {
            return Err(RuleViolation::RoleNotAtOrgKind { role, kind });
        }
    }
    if !after.parties().contains(receiver.me) {
        return Err(RuleViolation::NotAParty);
    }
    Ok(())
}
