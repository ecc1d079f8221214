//! Meetings (overleg) within an escalation step, and their minutes (verslag) for approval.
//!
//! One participant drafts; the draft is circulated; each participant approves or asks for
//! changes. A change makes a new revision and voids every earlier approval. The minutes are
//! final when every participant approved the same revision; final minutes never change. A
//! correction is an addendum that goes through the same approval.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;
use crate::canonical::sha256_hex;
use crate::escalation::{EscalationId, Participant, Step};
use crate::event::{Aggregate, Event, ReplayError, check_version};
use crate::identity::{Actor, Oin, PersonId, Role};
use crate::policy::DeadlinePolicy;
use crate::text::{self, MAX_SHORT, MAX_TEXT};
use crate::violation::RuleViolation;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MeetingId(pub Uuid);

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MinutesId(pub Uuid);

impl fmt::Display for MinutesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A meeting of one escalation step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    pub id: MeetingId,
    pub escalation: EscalationId,
    pub step: Step,
    pub date: Timestamp,
    pub participants: Vec<Participant>,
    pub agenda: String,
}

/// A meeting that arrives from `from` (a party's node) for a node to hold: it belongs to an
/// escalation the node holds (`escalation`), is scheduled by one of that escalation's parties,
/// with participants of its parties only, under the stream id it names. Nobody places a meeting
/// under someone else's escalation.
pub fn check_arriving_meeting(
    escalation: Option<&crate::Escalation>,
    from: &crate::Oin,
    stream_id: &str,
    id: &MinutesId,
    meeting: &Meeting,
) -> Result<(), RuleViolation> {
    if id.to_string() != stream_id {
        return Err(RuleViolation::StreamIdMismatch);
    }
    let esc = escalation.ok_or(RuleViolation::MeetingEscalationUnknown)?;
    if !esc.is_party(from) || !meeting.participants.iter().all(|p| esc.is_party(&p.org)) {
        return Err(RuleViolation::MeetingOutsideEscalation);
    }
    Ok(())
}

/// The SHA-256 (hex) of minutes content, as approvals name it.
pub fn content_hash(content: &str) -> String {
    sha256_hex(content.as_bytes())
}

/// Which document of the minutes: the main text or one of its addenda (numbered from 1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "number",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum DocTarget {
    Main,
    Addendum(#[serde(deserialize_with = "crate::text::whole_number")] u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    pub content: String,
    pub content_hash: String,
    pub author: Actor,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub org: Oin,
    pub person: PersonId,
    pub revision: u32,
    pub content_hash: String,
    pub role: Role,
    pub at: Timestamp,
    /// The approving node's signature over the [`ApprovalStatement`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<ApprovalSignature>,
}

/// What an approving node signs: canonical JSON (RFC 8785) of this statement. Never protobuf
/// bytes, never the event (whose time is the home's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStatement {
    /// Always `doorbraak.minutes.approval.v1`.
    pub statement: String,
    pub minutes: MinutesId,
    pub target: DocTarget,
    pub revision: u32,
    /// SHA-256 (hex) of the approved text.
    pub content_sha256: String,
    pub person: PersonId,
    pub role: Role,
    pub org: Oin,
    /// SHA-256 (hex) of the canonical JSON of the meeting's participants (sorted): who had to
    /// approve is part of what is signed, so nobody can drop a participant from an export.
    pub participants_sha256: String,
    pub signed_at: Timestamp,
    /// The signature algorithm (`ecdsa-p256-sha256`, `rsa-pss-sha256`, ...): part of what is
    /// signed, so a signature is never read under another algorithm. Filled in by the signer.
    #[serde(default)]
    pub algorithm: String,
    /// The serial of the directory manifest in force at the signing node when it signed: the
    /// signature is checked against that version, also after later renewals.
    #[serde(default)]
    pub directory_serial: u64,
}

impl ApprovalStatement {
    pub const KIND: &'static str = "doorbraak.minutes.approval.v3";
}

/// A signature of an approval by the key of the approving organisation's node certificate
/// (ECDSA P-256/P-384 or RSA 2048-4096, see `algorithm`), which travels along (base64 DER)
/// with its intermediates, so that anyone holding the trust anchors and the directory can
/// verify it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSignature {
    pub algorithm: String,
    pub signed_at: Timestamp,
    pub certificate: String,
    /// Intermediate certificates between the signing certificate and a trust anchor (base64
    /// DER), as the node sends them in TLS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// The directory manifest's serial in force at signing (see [`ApprovalStatement`]).
    #[serde(default)]
    pub directory_serial: u64,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub revision: u32,
    pub by: Actor,
    pub comment: String,
    pub at: Timestamp,
}

/// One approvable text: the minutes proper, or an addendum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub revisions: Vec<Revision>,
    /// Approvals of the current revision, in the order they were given.
    pub approvals: Vec<Approval>,
    pub change_requests: Vec<ChangeRequest>,
    pub circulated: Option<u32>,
    pub final_revision: Option<u32>,
    pub final_at: Option<Timestamp>,
    /// When the circulated revision must be approved (working days after circulation).
    #[serde(default)]
    pub approval_deadline: Option<Timestamp>,
    #[serde(default)]
    pub overdue_since: Option<Timestamp>,
}

impl Doc {
    fn new(rev: Revision) -> Self {
        Self {
            revisions: vec![rev],
            approvals: Vec::new(),
            change_requests: Vec::new(),
            circulated: None,
            final_revision: None,
            final_at: None,
            approval_deadline: None,
            overdue_since: None,
        }
    }

    pub fn current(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn current_number(&self) -> u32 {
        self.current().map_or(0, |r| r.number)
    }

    pub fn is_final(&self) -> bool {
        self.final_revision.is_some()
    }

    /// Has this person (of this organisation) approved the current revision?
    pub fn approved_by(&self, org: &Oin, person: &PersonId) -> bool {
        self.approvals
            .iter()
            .any(|a| &a.org == org && &a.person == person)
    }

    /// The final text, if any.
    pub fn final_text(&self) -> Option<&Revision> {
        let n = self.final_revision?;
        self.revisions.iter().find(|r| r.number == n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    pub id: MinutesId,
    pub meeting: Meeting,
    /// The deadline policy in force when the meeting was scheduled.
    #[serde(default)]
    pub policy: DeadlinePolicy,
    pub scheduled_by: Actor,
    pub main: Option<Doc>,
    pub addenda: Vec<Doc>,
    /// Legal hold and destruction (see [`crate::records`]).
    #[serde(default)]
    pub records: crate::records::Records,
}

impl Minutes {
    /// When the minutes became final (their retention term counts from then).
    pub fn closed_at(&self) -> Option<Timestamp> {
        self.main.as_ref().and_then(|d| d.final_at)
    }

    /// What a printed record shows: the final text, or else the newest draft (printed marked
    /// as a draft; `true` means final).
    pub fn printable(&self) -> Result<(&Doc, &Revision, bool), RuleViolation> {
        let doc = self.main.as_ref().ok_or(RuleViolation::NotFound {
            what: "Minutes draft",
        })?;
        match (doc.final_text(), doc.current()) {
            (Some(text), _) => Ok((doc, text, true)),
            (None, Some(text)) => Ok((doc, text, false)),
            (None, None) => Err(RuleViolation::NotFound {
                what: "Minutes draft",
            }),
        }
    }

    pub fn doc(&self, target: DocTarget) -> Option<&Doc> {
        match target {
            DocTarget::Main => self.main.as_ref(),
            DocTarget::Addendum(n) => self.addenda.get((n as usize).checked_sub(1)?),
        }
    }

    fn doc_mut(&mut self, target: DocTarget) -> Option<&mut Doc> {
        match target {
            DocTarget::Main => self.main.as_mut(),
            DocTarget::Addendum(n) => self.addenda.get_mut((n as usize).checked_sub(1)?),
        }
    }

    pub fn is_final(&self) -> bool {
        self.main.as_ref().is_some_and(Doc::is_final)
    }

    pub fn docs(&self) -> impl Iterator<Item = (DocTarget, &Doc)> {
        self.main.iter().map(|d| (DocTarget::Main, d)).chain(
            self.addenda
                .iter()
                .enumerate()
                .map(|(i, d)| (DocTarget::Addendum(i as u32 + 1), d)),
        )
    }

    /// Documents waiting for approval past their deadline at `now` and not yet marked.
    fn past_deadline(&self, now: Timestamp) -> Vec<(DocTarget, u32)> {
        self.docs()
            .filter(|(_, d)| {
                !d.is_final()
                    && d.circulated == Some(d.current_number())
                    && d.overdue_since.is_none()
                    && d.approval_deadline.is_some_and(|dl| now > dl)
            })
            .map(|(t, d)| (t, d.current_number()))
            .collect()
    }

    /// For the deadline sweeper: the earliest approval deadline still running.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.docs()
            .filter(|(_, d)| {
                !d.is_final()
                    && d.circulated == Some(d.current_number())
                    && d.overdue_since.is_none()
            })
            .filter_map(|(_, d)| d.approval_deadline)
            .min()
    }

    /// Is some document's approval overdue (marked by the sweeper, not final since)?
    pub fn is_overdue(&self) -> bool {
        self.docs()
            .any(|(_, d)| !d.is_final() && d.overdue_since.is_some())
    }

    pub fn participant(&self, actor: &Actor) -> Option<&Participant> {
        let person = actor.person_id()?;
        self.meeting
            .participants
            .iter()
            .find(|p| &p.person == person && &p.org == actor.org())
    }

    /// Organisations taking part: those that keep the final text and nobody else.
    pub fn organisations(&self) -> Vec<Oin> {
        let mut v: Vec<Oin> = self
            .meeting
            .participants
            .iter()
            .map(|p| p.org.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The statement `actor` signs to approve `revision` of `target` with `content_hash`.
    pub fn approval_statement(
        &self,
        target: DocTarget,
        revision: u32,
        content_hash: &str,
        actor: &Actor,
        signed_at: Timestamp,
    ) -> Option<ApprovalStatement> {
        let Actor::Person { person, role, org } = actor else {
            return None;
        };
        Some(self.statement(
            target,
            revision,
            content_hash,
            person,
            *role,
            org,
            signed_at,
        ))
    }

    /// The statement an approval by `person` (`role`, `org`) signs: the one definition used to
    /// sign, to check at the home and to verify offline.
    #[allow(clippy::too_many_arguments)]
    pub fn statement(
        &self,
        target: DocTarget,
        revision: u32,
        content_hash: &str,
        person: &PersonId,
        role: Role,
        org: &Oin,
        signed_at: Timestamp,
    ) -> ApprovalStatement {
        let mut participants = self.meeting.participants.clone();
        participants.sort();
        let participants_sha256 = crate::canonical::to_vec(&participants)
            .map(|b| sha256_hex(&b))
            .unwrap_or_default();
        ApprovalStatement {
            statement: ApprovalStatement::KIND.into(),
            minutes: self.id,
            target,
            revision,
            content_sha256: content_hash.to_owned(),
            person: person.clone(),
            role,
            org: org.clone(),
            participants_sha256,
            signed_at,
            algorithm: String::new(),
            directory_serial: 0,
        }
    }

    /// Participants who have not yet approved the current revision of `target`.
    pub fn awaiting(&self, target: DocTarget) -> Vec<&Participant> {
        let Some(doc) = self.doc(target) else {
            return Vec::new();
        };
        if doc.is_final() {
            return Vec::new();
        }
        self.meeting
            .participants
            .iter()
            .filter(|p| !doc.approved_by(&p.org, &p.person))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MinutesCommand {
    Schedule {
        id: MinutesId,
        meeting: Meeting,
        #[serde(default)]
        policy: DeadlinePolicy,
    },
    Draft {
        content: String,
    },
    Revise {
        target: DocTarget,
        content: String,
    },
    Circulate {
        target: DocTarget,
    },
    Approve {
        target: DocTarget,
        revision: u32,
        content_hash: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<ApprovalSignature>,
    },
    RequestChanges {
        target: DocTarget,
        revision: u32,
        comment: String,
    },
    AddAddendum {
        content: String,
    },
    /// The deadline sweeper records that circulated text was not approved in time.
    MarkOverdue,
    /// Legal hold, destruction, erasure, a party's confirmation.
    Records {
        records: crate::records::RecordsCommand,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MinutesEvent {
    Scheduled {
        id: MinutesId,
        meeting: Meeting,
        #[serde(default)]
        policy: DeadlinePolicy,
    },
    RevisionMade {
        target: DocTarget,
        number: u32,
        content: String,
        content_hash: String,
    },
    Circulated {
        target: DocTarget,
        revision: u32,
        #[serde(default)]
        deadline: Option<Timestamp>,
    },
    ApprovalOverdue {
        target: DocTarget,
        revision: u32,
    },
    Approved {
        target: DocTarget,
        revision: u32,
        content_hash: String,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<ApprovalSignature>,
    },
    ChangesRequested {
        target: DocTarget,
        revision: u32,
        comment: String,
    },
    Finalised {
        target: DocTarget,
        revision: u32,
        content_hash: String,
    },
    Records {
        records: crate::records::RecordsEvent,
    },
}

impl crate::records::Redact for MinutesEvent {
    /// Erase the agenda, the participants' names, every text and comment; the hashes and
    /// signatures of the approvals stay (they prove what was approved, not what it said).
    fn redact(&mut self) {
        match self {
            MinutesEvent::Scheduled { meeting, .. } => {
                meeting.agenda.clear();
                meeting.participants.iter_mut().for_each(|p| p.name.clear());
            }
            MinutesEvent::RevisionMade { content, .. } => content.clear(),
            MinutesEvent::ChangesRequested { comment, .. } => comment.clear(),
            MinutesEvent::Records { records } => records.redact(),
            MinutesEvent::Circulated { .. }
            | MinutesEvent::ApprovalOverdue { .. }
            | MinutesEvent::Approved { .. }
            | MinutesEvent::Finalised { .. } => {}
        }
    }
}

impl MinutesEvent {
    /// The free text in this event, by field (for the BSN check before it leaves the node).
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        match self {
            MinutesEvent::Scheduled { meeting, .. } => {
                let mut v = vec![("agenda", meeting.agenda.as_str())];
                v.extend(
                    meeting
                        .participants
                        .iter()
                        .map(|p| ("participant.name", p.name.as_str())),
                );
                v
            }
            MinutesEvent::RevisionMade { content, .. } => vec![("content", content)],
            MinutesEvent::ChangesRequested { comment, .. } => vec![("comment", comment)],
            MinutesEvent::Records { records } => records.free_text(),
            MinutesEvent::Circulated { .. }
            | MinutesEvent::ApprovalOverdue { .. }
            | MinutesEvent::Approved { .. }
            | MinutesEvent::Finalised { .. } => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            MinutesEvent::Scheduled { .. } => "scheduled",
            MinutesEvent::RevisionMade { .. } => "revision_made",
            MinutesEvent::Circulated { .. } => "circulated",
            MinutesEvent::ApprovalOverdue { .. } => "approval_overdue",
            MinutesEvent::Approved { .. } => "approved",
            MinutesEvent::ChangesRequested { .. } => "changes_requested",
            MinutesEvent::Finalised { .. } => "finalised",
            MinutesEvent::Records { records } => records.name(),
        }
    }
}

fn open_doc(m: &Minutes, target: DocTarget) -> Result<&Doc, RuleViolation> {
    let doc = m.doc(target).ok_or(RuleViolation::NotFound {
        what: match target {
            DocTarget::Main => "Minutes draft",
            DocTarget::Addendum(_) => "Addendum",
        },
    })?;
    if doc.is_final() {
        return Err(RuleViolation::MinutesFinal);
    }
    Ok(doc)
}

fn check_revision(doc: &Doc, given: u32) -> Result<(), RuleViolation> {
    let current = doc.current_number();
    if doc.circulated != Some(current) {
        return Err(RuleViolation::NotCirculated);
    }
    if given != current {
        return Err(RuleViolation::StaleRevision { given, current });
    }
    Ok(())
}

impl Aggregate for Minutes {
    type Command = MinutesCommand;
    type Body = MinutesEvent;

    fn decide(
        state: Option<&Self>,
        cmd: &MinutesCommand,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Event<MinutesEvent>>, RuleViolation> {
        use MinutesCommand as C;
        use MinutesEvent as E;
        let ev = |body| Event::new(now, actor.clone(), body);
        if let C::Schedule {
            id,
            meeting,
            policy,
        } = cmd
        {
            let policy = policy.validate()?;
            if state.is_some() {
                return Err(RuleViolation::AlreadyExists { what: "Meeting" });
            }
            // the scheduler's organisation is the meeting's home
            if !crate::stream::is_of_home(&id.0, actor.org()) {
                return Err(RuleViolation::StreamIdNotOfHome);
            }
            text::require("agenda", &meeting.agenda, MAX_TEXT)?;
            for (i, p) in meeting.participants.iter().enumerate() {
                text::require("participant.name", &p.name, MAX_SHORT)?;
                if meeting.participants[..i]
                    .iter()
                    .any(|q| q.person == p.person && q.org == p.org)
                {
                    return Err(RuleViolation::DuplicateParticipant);
                }
            }
            let mut orgs: Vec<&Oin> = meeting.participants.iter().map(|p| &p.org).collect();
            orgs.sort();
            orgs.dedup();
            if orgs.len() < 2 {
                return Err(RuleViolation::MeetingNeedsTwoOrganisations);
            }
            let is_participant = meeting
                .participants
                .iter()
                .any(|p| Some(&p.person) == actor.person_id() && &p.org == actor.org());
            if !is_participant {
                return Err(RuleViolation::NotAMeetingParticipant);
            }
            return Ok(vec![ev(E::Scheduled {
                id: *id,
                meeting: meeting.clone(),
                policy,
            })]);
        }
        let m = state.ok_or(RuleViolation::NotFound { what: "Meeting" })?;
        let parties = m.organisations();
        let home = m.scheduled_by.org();
        let subject = crate::records::Subject {
            home,
            parties: &parties,
            closed_at: m.closed_at(),
            records: &m.records,
        };
        let records_cmd = match cmd {
            C::Records { records } => Some(records),
            _ => None,
        };
        crate::records::check_command(&subject, records_cmd, actor)?;
        if let Some(records) = records_cmd {
            return Ok(crate::records::decide(&subject, records, actor, now)?
                .into_iter()
                .map(|records| ev(E::Records { records }))
                .collect());
        }
        if matches!(cmd, C::MarkOverdue) {
            let late = m.past_deadline(now);
            if late.is_empty() {
                return Err(match m.next_deadline() {
                    Some(deadline) => RuleViolation::NotYetOverdue { deadline },
                    None => RuleViolation::AlreadyMarkedOverdue,
                });
            }
            return Ok(late
                .into_iter()
                .map(|(target, revision)| ev(E::ApprovalOverdue { target, revision }))
                .collect());
        }
        let me = m
            .participant(actor)
            .ok_or(RuleViolation::NotAMeetingParticipant)?;
        match cmd {
            C::Schedule { .. } => Err(RuleViolation::AlreadyExists { what: "Meeting" }),
            C::MarkOverdue => Err(RuleViolation::AlreadyMarkedOverdue),
            C::Records { .. } => Ok(Vec::new()),
            C::Draft { content } => {
                if m.main.is_some() {
                    return Err(RuleViolation::MinutesAlreadyDrafted);
                }
                text::require("content", content, MAX_TEXT)?;
                Ok(vec![ev(E::RevisionMade {
                    target: DocTarget::Main,
                    number: 1,
                    content: content.clone(),
                    content_hash: content_hash(content),
                })])
            }
            C::Revise { target, content } => {
                let doc = open_doc(m, *target)?;
                text::require("content", content, MAX_TEXT)?;
                Ok(vec![ev(E::RevisionMade {
                    target: *target,
                    number: doc.current_number() + 1,
                    content: content.clone(),
                    content_hash: content_hash(content),
                })])
            }
            C::Circulate { target } => {
                let doc = open_doc(m, *target)?;
                if doc.circulated == Some(doc.current_number()) {
                    return Err(RuleViolation::AlreadyExists {
                        what: "Circulation of this revision",
                    });
                }
                Ok(vec![ev(E::Circulated {
                    target: *target,
                    revision: doc.current_number(),
                    // the approval period runs from the circulation, but never from before the
                    // meeting: minutes of a meeting still to come cannot be approved yet
                    deadline: Some(crate::calendar::add_working_days(
                        now.max(m.meeting.date),
                        m.policy.minutes_approval_working_days,
                    )),
                })])
            }
            C::Approve {
                target,
                revision,
                content_hash: hash,
                signature,
            } => {
                if now < m.meeting.date {
                    return Err(RuleViolation::ApprovalBeforeMeeting);
                }
                let doc = open_doc(m, *target)?;
                check_revision(doc, *revision)?;
                let cur = doc.current().ok_or(RuleViolation::NotCirculated)?;
                if &cur.content_hash != hash {
                    return Err(RuleViolation::ContentHashMismatch);
                }
                if doc.approved_by(&me.org, &me.person) {
                    return Err(RuleViolation::AlreadyApproved {
                        revision: *revision,
                    });
                }
                let mut out = vec![ev(E::Approved {
                    target: *target,
                    revision: *revision,
                    content_hash: hash.clone(),
                    role: me.role,
                    signature: signature.clone(),
                })];
                let all = m.meeting.participants.iter().all(|p| {
                    (p.org == me.org && p.person == me.person) || doc.approved_by(&p.org, &p.person)
                });
                if all {
                    out.push(ev(E::Finalised {
                        target: *target,
                        revision: *revision,
                        content_hash: hash.clone(),
                    }));
                }
                Ok(out)
            }
            C::RequestChanges {
                target,
                revision,
                comment,
            } => {
                let doc = open_doc(m, *target)?;
                check_revision(doc, *revision)?;
                text::require("comment", comment, MAX_TEXT)?;
                Ok(vec![ev(E::ChangesRequested {
                    target: *target,
                    revision: *revision,
                    comment: comment.clone(),
                })])
            }
            C::AddAddendum { content } => {
                if !m.is_final() {
                    return Err(RuleViolation::AddendumOnlyWhenFinal);
                }
                text::require("content", content, MAX_TEXT)?;
                let n = u32::try_from(m.addenda.len() + 1).map_err(|_| {
                    RuleViolation::InvalidField {
                        field: "addenda",
                        reason: "too many addenda",
                    }
                })?;
                Ok(vec![ev(E::RevisionMade {
                    target: DocTarget::Addendum(n),
                    number: 1,
                    content: content.clone(),
                    content_hash: content_hash(content),
                })])
            }
        }
    }

    fn apply(state: Option<Self>, event: &Event<MinutesEvent>) -> Result<Self, ReplayError> {
        use MinutesEvent as E;
        check_version(event)?;
        let incons = |reason| ReplayError::Inconsistent {
            event: event.body.name(),
            reason,
        };
        if let E::Scheduled {
            id,
            meeting,
            policy,
        } = &event.body
        {
            if state.is_some() {
                return Err(ReplayError::AlreadyCreated("scheduled"));
            }
            return Ok(Minutes {
                id: *id,
                meeting: meeting.clone(),
                policy: *policy,
                scheduled_by: event.by.clone(),
                main: None,
                addenda: Vec::new(),
                records: crate::records::Records::default(),
            });
        }
        let mut m = state.ok_or(ReplayError::NotACreation(event.body.name()))?;
        match &event.body {
            E::Scheduled { .. } => return Err(ReplayError::AlreadyCreated("scheduled")),
            E::RevisionMade {
                target,
                number,
                content,
                content_hash,
            } => {
                let rev = Revision {
                    number: *number,
                    content: content.clone(),
                    content_hash: content_hash.clone(),
                    author: event.by.clone(),
                    at: event.at,
                };
                match (target, m.doc_mut(*target)) {
                    (_, Some(doc)) => {
                        if doc.is_final() {
                            return Err(incons("final minutes never change"));
                        }
                        if *number != doc.current_number() + 1 {
                            return Err(incons("revision numbers are consecutive"));
                        }
                        doc.revisions.push(rev);
                        doc.approvals.clear();
                        doc.approval_deadline = None;
                        doc.overdue_since = None;
                    }
                    (DocTarget::Main, None) => m.main = Some(Doc::new(rev)),
                    (DocTarget::Addendum(n), None) => {
                        if *n as usize != m.addenda.len() + 1 {
                            return Err(incons("addenda are numbered consecutively"));
                        }
                        m.addenda.push(Doc::new(rev));
                    }
                }
            }
            E::Circulated {
                target,
                revision,
                deadline,
            } => {
                let doc = m.doc_mut(*target).ok_or(incons("no such document"))?;
                doc.circulated = Some(*revision);
                doc.approval_deadline = *deadline;
                doc.overdue_since = None;
            }
            E::ApprovalOverdue { target, .. } => {
                let doc = m.doc_mut(*target).ok_or(incons("no such document"))?;
                doc.overdue_since = Some(event.at);
            }
            E::Approved {
                target,
                revision,
                content_hash,
                role,
                signature,
            } => {
                let person = event
                    .by
                    .person_id()
                    .cloned()
                    .ok_or(incons("approvals are made by people"))?;
                let doc = m.doc_mut(*target).ok_or(incons("no such document"))?;
                if doc.is_final() {
                    return Err(incons("final minutes never change"));
                }
                doc.approvals.push(Approval {
                    org: event.by.org().clone(),
                    person,
                    revision: *revision,
                    content_hash: content_hash.clone(),
                    role: *role,
                    at: event.at,
                    signature: signature.clone(),
                });
            }
            E::ChangesRequested {
                target,
                revision,
                comment,
            } => {
                let doc = m.doc_mut(*target).ok_or(incons("no such document"))?;
                doc.change_requests.push(ChangeRequest {
                    revision: *revision,
                    by: event.by.clone(),
                    comment: comment.clone(),
                    at: event.at,
                });
            }
            E::Finalised {
                target, revision, ..
            } => {
                let doc = m.doc_mut(*target).ok_or(incons("no such document"))?;
                if doc.is_final() {
                    return Err(incons("already final"));
                }
                doc.final_revision = Some(*revision);
                doc.final_at = Some(event.at);
            }
            E::Records { records } => m.records.apply(records, event.at, &event.by),
        }
        Ok(m)
    }
}

impl crate::stream::Streamed for crate::Minutes {
    fn list_status(&self) -> crate::Status {
        match &self.main {
            None => crate::Status::Scheduled,
            Some(d) if d.is_final() => crate::Status::Final,
            Some(d) if d.circulated == Some(d.current_number()) => crate::Status::Circulated,
            Some(_) => crate::Status::Draft,
        }
    }
    const KIND: crate::vocabulary::StreamKind = crate::vocabulary::StreamKind::Minutes;

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

    fn parties(&self) -> Vec<Oin> {
        self.organisations()
    }

    fn roles_named(&self) -> Vec<(Oin, crate::Role)> {
        self.meeting
            .participants
            .iter()
            .map(|p| (p.org.clone(), p.role))
            .collect()
    }

    fn home(&self) -> Oin {
        self.scheduled_by.org().clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }

    fn records(&self) -> Option<&crate::records::Records> {
        Some(&self.records)
    }
    fn closed_at(&self) -> Option<crate::Timestamp> {
        crate::Minutes::closed_at(self)
    }
    fn linked_escalation(&self) -> Option<String> {
        Some(self.meeting.escalation.0.to_string())
    }
    fn redact(body: &mut Self::Body) {
        crate::records::Redact::redact(body);
    }
    fn is_destruction(body: &Self::Body) -> bool {
        matches!(
            body,
            crate::MinutesEvent::Records {
                records: crate::records::RecordsEvent::Destroyed { .. }
            }
        )
    }
    fn is_confirmation(body: &Self::Body) -> bool {
        matches!(
            body,
            crate::MinutesEvent::Records {
                records: crate::records::RecordsEvent::DestructionConfirmed { .. }
            }
        )
    }

    fn involves(&self, person: &crate::PersonId, org: &Oin) -> bool {
        self.meeting
            .participants
            .iter()
            .any(|p| &p.person == person && &p.org == org)
    }
}
