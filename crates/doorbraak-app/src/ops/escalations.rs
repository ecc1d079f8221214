//! Escalations: opening one, every command on one (at its home, or forwarded to it), lists.

use doorbraak_model::StreamKind;
use doorbraak_model::escalation::{EscalationCommand, Participant};
use doorbraak_model::{
    Escalation, EscalationEvent, EscalationId, Oin, OrgRef, PersonId, RuleViolation, Situation,
    Step,
};
use doorbraak_store::ListFilter;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::lists::Listed;
use crate::{Applied, Idempotency, Node, NodeError, User};

/// What opens an escalation (the JSON API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenEscalationRequest {
    /// A case of this node.
    #[schema(value_type = doorbraak_model::CaseRef)]
    pub case_ref: String,
    pub situation: Situation,
    /// Step 1 for situation 1; step 2 for situations 2 and 3.
    pub first_step: Step,
    /// OINs of the counterpart organisations (members of the federation directory).
    #[schema(value_type = Vec<doorbraak_model::Oin>, min_items = 1, max_items = 16)]
    pub counterparts: Vec<String>,
    /// Participants of the first step; the opener is added if missing.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// What is asked of whom.
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub question: String,
    /// What the child or family needs.
    #[schema(schema_with = doorbraak_model::schema::text)]
    pub needs: String,
    /// Required, with no default: is the ask "I (a youth protector) cannot reach the local team
    /// while seeking youth help"? `true` is refused with the pointer to the referral routes
    /// (aanmeldroutes): that is not an escalation.
    pub seeking_youth_help_access: bool,
}

/// What invokes the next step (the JSON API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeStepRequest {
    pub step: Step,
    pub participants: Vec<Participant>,
    /// OINs of organisations joining at this step (e.g. the municipality at step 3).
    #[serde(default)]
    #[schema(value_type = Vec<doorbraak_model::Oin>)]
    pub joining: Vec<String>,
    /// Why the step is needed (required for step 3).
    #[serde(default)]
    #[schema(schema_with = doorbraak_model::schema::optional_text)]
    pub reason: String,
}

/// An OIN from a request field.
pub fn oin(field: &'static str, s: &str) -> Result<Oin, RuleViolation> {
    Oin::parse(s).map_err(|_| RuleViolation::InvalidField {
        field,
        reason: "not a valid OIN (20 positions with a prefix of the OIN-stelsel)",
    })
}

/// A member organisation of the directory, by OIN.
fn member(node: &Node, field: &'static str, s: &str) -> Result<OrgRef, RuleViolation> {
    node.directory()
        .org_ref(&oin(field, s)?)
        .ok_or(RuleViolation::NotFound {
            what: "The organisation in the federation directory",
        })
}

/// The id of a new stream at this node: derived from the idempotency key when there is one
/// (every retry creates the same stream), else fresh; it always names this node as home.
pub fn new_stream_id(node: &Node, key: Option<&Idempotency>) -> Uuid {
    match key {
        Some(k) => k.stream_id(node.oin()),
        None => node.new_stream_id(),
    }
}

/// Open an escalation at its first step, the opener taking part when their role does.
pub async fn open(
    node: &Node,
    u: &User,
    r: OpenEscalationRequest,
    key: Option<&Idempotency>,
) -> Result<Applied<Escalation>, NodeError> {
    // access before existence: who may not open learns nothing of which cases exist
    if let Err(v) = r.first_step.check_invoker(Some(u.role)) {
        node.log_refusal(u, "escalation", "*", v.rule()).await?;
        return Err(v.into());
    }
    let case_ref = super::cases::known(node, &r.case_ref).await?;
    if r.counterparts.len() > 16 {
        return Err(RuleViolation::InvalidField {
            field: "counterparts",
            reason: "at most 16 organisations",
        }
        .into());
    }
    let counterparts = r
        .counterparts
        .iter()
        .map(|c| member(node, "counterparts", c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut participants = r.participants;
    if participants.len() > 64 {
        return Err(RuleViolation::InvalidField {
            field: "participants",
            reason: "at most 64 participants",
        }
        .into());
    }
    r.first_step.add_opener(
        &mut participants,
        Participant {
            person: PersonId::new(u.id.clone()),
            name: u.name.clone(),
            role: u.role,
            org: node.oin().clone(),
        },
    );
    let id = EscalationId(new_stream_id(node, key));
    let cmd = EscalationCommand::Open {
        id,
        home: OrgRef {
            oin: node.oin().clone(),
            kind: node.settings.kind,
        },
        counterparts,
        case_ref,
        situation: r.situation,
        first_step: r.first_step,
        participants,
        question: r.question,
        needs: r.needs,
        seeking_youth_help_access: r.seeking_youth_help_access,
        policy: node.settings.policy,
    };
    node.execute_keyed::<Escalation>(&node.actor(u), &id.to_string(), &cmd, "open", key)
        .await
}

/// A command on an escalation (decided here at its home, or forwarded to the home).
pub async fn command(
    node: &Node,
    u: &User,
    id: &str,
    cmd: EscalationCommand,
    key: Option<&Idempotency>,
) -> Result<Applied<Escalation>, NodeError> {
    super::command::<Escalation>(node, u, id, &cmd, cmd.name(), key).await
}

/// Invoke the next step of the ladder, with the organisations that join at it.
pub async fn invoke_step(
    node: &Node,
    u: &User,
    id: &str,
    r: InvokeStepRequest,
    key: Option<&Idempotency>,
) -> Result<Applied<Escalation>, NodeError> {
    let joining = r
        .joining
        .iter()
        .map(|j| member(node, "joining", j))
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = EscalationCommand::InvokeStep {
        step: r.step,
        participants: r.participants,
        joining,
        reason: r.reason,
    };
    command(node, u, id, cmd, key).await
}

/// Add a private note to an escalation: it stays on this node (never shared, never sent).
/// Notes are case content: only for who may read the escalation (logged, refusals too).
pub async fn add_note(
    node: &Node,
    u: &User,
    id: &str,
    text: &str,
    key: Option<&Idempotency>,
) -> Result<doorbraak_store::PrivateNote, NodeError> {
    let id = super::stream_id(id)?;
    doorbraak_model::text::require("text", text, doorbraak_model::text::MAX_TEXT)?;
    let loaded = node.read::<Escalation>(u, &id).await?;
    // a note is a change of the record: none on a destroyed or erased one, none while its
    // processing is restricted
    node.records_gate(u, &loaded.state, doorbraak_model::records::Use::Change)
        .await?;
    node.add_private_note(u, StreamKind::Escalation, &id, text, key)
        .await
}

/// This organisation's private notes on an escalation (the read logged).
pub async fn notes(
    node: &Node,
    u: &User,
    id: &str,
) -> Result<Vec<doorbraak_store::PrivateNote>, NodeError> {
    let id = super::stream_id(id)?;
    node.read::<Escalation>(u, &id).await?;
    node.log_read(u, "private_note", &id).await?;
    Ok(node
        .store
        .private_notes(StreamKind::Escalation, &id)
        .await?)
}

/// One page of the escalations this person may read, typed, with the list's size.
pub async fn page(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<super::lists::Page<Listed<Escalation>>, NodeError> {
    super::lists::typed_page::<Escalation>(node, u, filter).await
}

/// The escalations this person may read, typed.
pub async fn list(
    node: &Node,
    u: &User,
    filter: &ListFilter,
) -> Result<Vec<Listed<Escalation>>, NodeError> {
    super::lists::typed::<Escalation>(node, u, filter).await
}

/// An escalation with its whole log, for the page that tells its story (the read logged
/// first; refused for the roles that may not read it).
pub async fn with_history(
    node: &Node,
    u: &User,
    id: &str,
) -> Result<
    (
        Escalation,
        Vec<doorbraak_store::StoredEvent<EscalationEvent>>,
    ),
    NodeError,
> {
    let id = super::stream_id(id)?;
    let e = node.read::<Escalation>(u, &id).await?.state;
    let events = node.store.events::<Escalation>(&id, 0).await?;
    Ok((e, events))
}

/// The open escalations of a case with an organisation among its counterparts (a second one
/// between the same parties is usually a mistake: the form warns before it opens one).
pub async fn open_between(
    node: &Node,
    u: &User,
    case_ref: &str,
    counterpart: &str,
) -> Result<Vec<EscalationId>, NodeError> {
    let filter = ListFilter {
        status: Some(doorbraak_model::Status::Open),
        case_ref: Some(case_ref.to_owned()),
        ..ListFilter::default()
    };
    Ok(list(node, u, &filter)
        .await?
        .into_iter()
        .filter(|l| {
            l.state
                .counterparts
                .iter()
                .any(|c| c.oin.as_str() == counterpart)
        })
        .map(|l| l.state.id)
        .collect())
}

/// The counterpart picks up the current step; the person who picks up joins it under their
/// name when their role acts in it (the model's rule, the same for the API and the web).
pub async fn pick_up(
    node: &Node,
    u: &User,
    id: &str,
    key: Option<&Idempotency>,
) -> Result<Applied<Escalation>, NodeError> {
    let cmd = EscalationCommand::PickUp {
        name: Some(u.name.clone()),
    };
    command(node, u, id, cmd, key).await
}
