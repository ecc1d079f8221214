//! Meetings and their minutes: scheduling one within a step, the commands on its minutes
//! (decided at its home, or forwarded), a signed approval, lists.

use doorbraak_model::escalation::Participant;
use doorbraak_model::{
    DocTarget, Meeting, MeetingId, Minutes, MinutesCommand, MinutesId, PersonId, RuleViolation,
    Step, StreamKind, Timestamp,
};
use doorbraak_store::ListFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lists::Listed;
use crate::{Applied, Idempotency, Node, NodeError, User};

/// What schedules a meeting (the JSON API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleMeetingRequest {
    /// The escalation this meeting belongs to.
    #[schema(schema_with = doorbraak_model::schema::uuid)]
    pub escalation: String,
    pub step: Step,
    /// RFC 3339 date and time of the meeting.
    #[schema(schema_with = doorbraak_model::schema::date_time)]
    pub date: String,
    pub participants: Vec<Participant>,
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub agenda: String,
}

/// Schedule a meeting within a step of an escalation this organisation is a party of, with
/// participants of its parties.
pub async fn schedule(
    node: &Node,
    u: &User,
    r: ScheduleMeetingRequest,
    key: Option<&Idempotency>,
) -> Result<Applied<Minutes>, NodeError> {
    let esc_id = super::stream_id(&r.escalation)?;
    let esc = node
        .escalation(&esc_id)
        .await?
        .ok_or_else(|| node.absent("Escalation", &esc_id))?;
    if !esc.is_party(node.oin()) {
        return Err(RuleViolation::NotAParty.into());
    }
    if esc.step(r.step).is_none() {
        return Err(RuleViolation::StepNotReached { step: r.step }.into());
    }
    if r.participants.iter().any(|p| !esc.is_party(&p.org)) {
        return Err(RuleViolation::ParticipantNotOfParty.into());
    }
    let date: doorbraak_model::Timestamp =
        r.date.parse().map_err(|_| RuleViolation::InvalidField {
            field: "date",
            reason: "not an RFC 3339 date-time",
        })?;
    let id = MinutesId(super::escalations::new_stream_id(node, key));
    let cmd = MinutesCommand::Schedule {
        id,
        meeting: Meeting {
            // the same meeting for every retry of a keyed request
            id: MeetingId(key.map_or_else(Uuid::now_v7, |k| k.derived("doorbraak/meeting"))),
            escalation: esc.id,
            step: r.step,
            date,
            participants: r.participants,
            agenda: r.agenda,
        },
        policy: node.settings.policy,
    };
    node.execute_keyed::<Minutes>(&node.actor(u), &id.to_string(), &cmd, "schedule", key)
        .await
}

/// A command on a meeting's minutes.
pub async fn command(
    node: &Node,
    u: &User,
    id: &str,
    cmd: MinutesCommand,
    name: &'static str,
    key: Option<&Idempotency>,
) -> Result<Applied<Minutes>, NodeError> {
    super::command::<Minutes>(node, u, id, &cmd, name, key).await
}

/// Approve a revision, naming its number and content hash; this node signs its person's
/// approval with its certificate's key.
pub async fn approve(
    node: &Node,
    u: &User,
    id: &str,
    target: DocTarget,
    revision: u32,
    content_hash: String,
    key: Option<&Idempotency>,
) -> Result<Applied<Minutes>, NodeError> {
    let id = super::stream_id(id)?;
    let m = node
        .minutes(&id)
        .await?
        .ok_or_else(|| node.absent("Meeting", &id))?;
    let signature = node.sign_approval(&m, target, revision, &content_hash, &node.actor(u))?;
    let cmd = MinutesCommand::Approve {
        target,
        revision,
        content_hash,
        signature,
    };
    command(node, u, &id, cmd, "approve", key).await
}

/// The meetings this person may read, typed.
pub async fn list(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<Minutes>>, NodeError> {
    super::lists::typed::<Minutes>(node, u, filter).await
}

/// Minutes waiting for a person's approval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Awaiting {
    #[schema(value_type = String)]
    pub meeting: MinutesId,
    #[schema(value_type = String)]
    pub escalation: doorbraak_model::EscalationId,
    #[schema(value_type = Object)]
    pub target: DocTarget,
    pub revision: u32,
    #[schema(value_type = Option<String>)]
    pub deadline: Option<Timestamp>,
    pub overdue: bool,
}

/// Minutes waiting for this person's approval (what their reminders are about), with their
/// deadlines; the read logged first.
pub async fn awaiting_me(node: &Node, u: &User) -> Result<Vec<Awaiting>, NodeError> {
    node.log_read(u, StreamKind::Minutes.code(), "awaiting-me")
        .await?;
    let me = PersonId::new(u.id.clone());
    let mut out = Vec::new();
    for r in node
        .store
        .list(StreamKind::Minutes, &ListFilter::default())
        .await?
    {
        let Ok(m) = serde_json::from_value::<Minutes>(r.state) else {
            continue;
        };
        let docs = m.main.iter().map(|d| (DocTarget::Main, d)).chain(
            m.addenda
                .iter()
                .enumerate()
                .map(|(i, d)| (DocTarget::Addendum(i as u32 + 1), d)),
        );
        for (target, doc) in docs {
            let waiting = doc.circulated == Some(doc.current_number())
                && m.awaiting(target)
                    .iter()
                    .any(|p| p.person == me && &p.org == node.oin());
            if waiting {
                out.push(Awaiting {
                    meeting: m.id,
                    escalation: m.meeting.escalation,
                    target,
                    revision: doc.current_number(),
                    deadline: doc.approval_deadline,
                    overdue: doc.overdue_since.is_some(),
                });
            }
        }
    }
    Ok(out)
}

/// Minutes as the dossier's record: the text (final, or the newest draft), with the names the
/// reader knows — the organisations' names and the escalation's case reference — instead of
/// ids and OINs.
#[derive(Debug, Clone)]
pub struct MinutesRecord {
    pub minutes: Minutes,
    /// The case reference of the escalation the meeting belongs to, if this node holds it.
    pub case_ref: Option<String>,
    /// The name of each participating organisation (from the directory).
    pub org_names: std::collections::BTreeMap<doorbraak_model::Oin, String>,
}

impl MinutesRecord {
    /// The name of an organisation (its OIN when the directory does not know it).
    pub fn org_name(&self, oin: &doorbraak_model::Oin) -> String {
        self.org_names
            .get(oin)
            .cloned()
            .unwrap_or_else(|| oin.to_string())
    }
}

/// The record of a meeting's minutes for the dossier (read logged; the model refuses minutes
/// without any text).
pub async fn record(node: &Node, u: &User, id: &str) -> Result<MinutesRecord, NodeError> {
    let id = super::stream_id(id)?;
    let m = node.read::<Minutes>(u, &id).await?.state;
    m.printable()?;
    let case_ref = node
        .escalation(&m.meeting.escalation.to_string())
        .await?
        .map(|e| e.case_ref.as_str().to_owned());
    let dir = node.directory();
    let org_names = m
        .meeting
        .participants
        .iter()
        .map(|p| {
            let name = dir
                .get(&p.org)
                .map_or_else(|| p.org.to_string(), |mem| mem.name.clone());
            (p.org.clone(), name)
        })
        .collect();
    Ok(MinutesRecord {
        minutes: m,
        case_ref,
        org_names,
    })
}
