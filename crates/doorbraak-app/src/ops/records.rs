//! Records: the overview of retention terms and destruction lists, deciding a list, legal
//! holds, erasure on request, restriction of processing, and the inzage export of a case.
//! Every rule is the model's (`doorbraak_model::records`); this is the typed operation.

use doorbraak_model::records::{self, RecordsCommand, Term};
use doorbraak_model::{
    CaseRef, Escalation, Kwestie, Minutes, RuleViolation, StreamKind, Timestamp,
};
use doorbraak_store::records::{DestructionList, Restriction, RetainedRow};
use doorbraak_store::{AccessEntry, CaseRow, PrivateNote, StoredEvent, Stream};
use serde::Serialize;

use crate::{Node, NodeError, User};

/// What the records overview shows: what is due, every term, the lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordsOverview {
    /// Records whose term ended, not held, not destroyed, not on a list awaiting a decision.
    pub due: Vec<RetainedRow>,
    /// Every record with a retention term (first due first).
    pub retained: Vec<RetainedRow>,
    /// Destruction lists, newest first.
    pub lists: Vec<DestructionList>,
}

/// A kind of record from a path (`escalation`, `kwestie`, `minutes`).
pub fn record_kind(kind: &str) -> Result<StreamKind, RuleViolation> {
    match kind.parse::<StreamKind>() {
        Ok(k @ (StreamKind::Escalation | StreamKind::Kwestie | StreamKind::Minutes)) => Ok(k),
        _ => Err(RuleViolation::InvalidField {
            field: "kind",
            reason: "escalation, kwestie or minutes",
        }),
    }
}

async fn reader(node: &Node, u: &User, object: &str) -> Result<(), NodeError> {
    if let Err(v) = records::check_records_reader(Some(u.role)) {
        node.log_refusal(u, "records", object, v.rule()).await?;
        return Err(v.into());
    }
    node.log_read(u, "records", object).await
}

async fn responsible(
    node: &Node,
    u: &User,
    action: &'static str,
    object: &str,
) -> Result<(), NodeError> {
    if let Err(v) = records::check_responsible(Some(u.role), action) {
        node.log_refusal(u, "records", object, v.rule()).await?;
        return Err(v.into());
    }
    Ok(())
}

/// The records overview (metadata only: kinds, ids, case references, dates, terms).
pub async fn overview(node: &Node, u: &User) -> Result<RecordsOverview, NodeError> {
    reader(node, u, "*").await?;
    let own = node.oin().as_str();
    let now = node.now();
    Ok(RecordsOverview {
        due: node.store.due_for_destruction(own, now, 1000).await?,
        retained: node.store.retained(own, 1000).await?,
        lists: node.store.destruction_lists(50).await?,
    })
}

/// One destruction list.
pub async fn list(node: &Node, u: &User, id: &str) -> Result<DestructionList, NodeError> {
    let id = crate::ops::stream_id(id)?;
    reader(node, u, &id).await?;
    node.store.destruction_list(&id).await?.ok_or_else(|| {
        RuleViolation::NotFound {
            what: "Destruction list",
        }
        .into()
    })
}

/// Propose a destruction list now of everything due (the sweeper does this too).
pub async fn propose(node: &Node, u: &User) -> Result<Option<DestructionList>, NodeError> {
    responsible(node, u, "propose_destruction_list", "*").await?;
    match node.propose_destruction().await? {
        Some(id) => Ok(node.store.destruction_list(&id).await?),
        None => Ok(None),
    }
}

/// Approve (and carry out) or reject a destruction list.
pub async fn decide(
    node: &Node,
    u: &User,
    id: &str,
    approve: bool,
) -> Result<DestructionList, NodeError> {
    node.decide_destruction(u, id, approve).await
}

/// Place a legal hold on a record (its destruction waits while it stands).
pub async fn hold(
    node: &Node,
    u: &User,
    kind: &str,
    id: &str,
    reason: &str,
) -> Result<(), NodeError> {
    let (kind, id) = (record_kind(kind)?, crate::ops::stream_id(id)?);
    node.records_command(
        &node.actor(u),
        kind,
        &id,
        RecordsCommand::PlaceHold {
            reason: reason.to_owned(),
        },
    )
    .await
}

/// Lift a legal hold.
pub async fn lift_hold(node: &Node, u: &User, kind: &str, id: &str) -> Result<(), NodeError> {
    let (kind, id) = (record_kind(kind)?, crate::ops::stream_id(id)?);
    node.records_command(&node.actor(u), kind, &id, RecordsCommand::LiftHold)
        .await
}

/// Erase a closed record on the request of a person in it (AVG art. 17), with the reason;
/// refused while it is open or held. The term recorded is the one it got when it closed.
pub async fn erase(
    node: &Node,
    u: &User,
    kind: &str,
    id: &str,
    reason: &str,
) -> Result<(), NodeError> {
    let (kind, id) = (record_kind(kind)?, crate::ops::stream_id(id)?);
    let term = match node.store.retention_of(kind, &id).await? {
        Some(r) => Term {
            years: u16::try_from(r.years).unwrap_or(u16::MAX),
            basis: r.basis,
        },
        None => node
            .settings
            .retention
            .term(kind)
            .cloned()
            .ok_or(RuleViolation::NotFound { what: "Record" })?,
    };
    node.records_command(
        &node.actor(u),
        kind,
        &id,
        RecordsCommand::Erase {
            reason: reason.to_owned(),
            term,
        },
    )
    .await
}

/// Restrict processing of a case (AVG art. 18): nothing of it changes, only the responsible
/// role reads it, until the restriction is lifted.
pub async fn restrict(
    node: &Node,
    u: &User,
    case_ref: &str,
    reason: &str,
) -> Result<Restriction, NodeError> {
    let case_ref = CaseRef::parse(case_ref)?;
    responsible(node, u, "restrict_processing", case_ref.as_str()).await?;
    doorbraak_model::text::require("reason", reason, doorbraak_model::text::MAX_TEXT)?;
    doorbraak_model::privacy::check_free_text([("reason", reason)])?;
    let r = Restriction {
        case_ref: case_ref.to_string(),
        reason: reason.to_owned(),
        by: u.id.clone(),
        at: node.now(),
    };
    if !node.store.restrict(&r).await? {
        return Err(RuleViolation::AlreadyExists {
            what: "Restriction",
        }
        .into());
    }
    node.log_change(u, "case", case_ref.as_str()).await?;
    Ok(r)
}

/// Lift the restriction of a case.
pub async fn lift_restriction(node: &Node, u: &User, case_ref: &str) -> Result<(), NodeError> {
    let case_ref = CaseRef::parse(case_ref)?;
    responsible(node, u, "lift_restriction", case_ref.as_str()).await?;
    if !node.store.lift_restriction(case_ref.as_str()).await? {
        return Err(RuleViolation::NotFound {
            what: "Restriction",
        }
        .into());
    }
    node.log_change(u, "case", case_ref.as_str()).await
}

/// One record in an inzage export: its state, its whole log, its term.
#[derive(Debug, Clone, Serialize)]
#[serde(bound(serialize = "A: Serialize, A::Body: Serialize"))]
pub struct InzageRecord<A: doorbraak_model::Aggregate> {
    pub id: String,
    /// The organisation whose node keeps the authoritative log.
    pub home: String,
    /// This node holds a replica (the home is another organisation).
    pub replica: bool,
    pub state: A,
    pub events: Vec<StoredEvent<A::Body>>,
    pub retention: Option<RetainedRow>,
    /// This organisation's private notes on it (never shared).
    pub notes: Vec<PrivateNote>,
}

/// Everything this node holds about one case (AVG art. 15): the case, its kwesties, its
/// escalations (replicas too), their meetings and minutes, private notes, and who read or
/// changed any of it.
#[derive(Debug, Clone, Serialize)]
pub struct Inzage {
    /// Always `doorbraak.inzage.v1`.
    pub format: &'static str,
    pub case_ref: String,
    /// The organisation (OIN) whose node made the export.
    pub organisation: String,
    pub made_at: Timestamp,
    pub made_by: String,
    pub case: Option<CaseRow>,
    pub restriction: Option<Restriction>,
    pub escalations: Vec<InzageRecord<Escalation>>,
    pub kwesties: Vec<InzageRecord<Kwestie>>,
    pub minutes: Vec<InzageRecord<Minutes>>,
    /// Every access-log entry about the case or its records, oldest first.
    pub access_log: Vec<AccessEntry>,
}

async fn record<A>(node: &Node, id: &str) -> Result<Option<InzageRecord<A>>, NodeError>
where
    A: Stream,
{
    let Some(loaded) = node.store.load::<A>(id).await? else {
        return Ok(None);
    };
    let home = loaded.state.home();
    Ok(Some(InzageRecord {
        id: id.to_owned(),
        replica: &home != node.oin(),
        home: home.to_string(),
        events: node.store.events::<A>(id, 0).await?,
        retention: node.store.retention_of(A::KIND, id).await?,
        notes: node.store.private_notes(A::KIND, id).await?,
        state: loaded.state,
    }))
}

/// The inzage export of a case (the responsible role; the export itself is logged first).
pub async fn inzage(node: &Node, u: &User, case_ref: &str) -> Result<Inzage, NodeError> {
    let case_ref = CaseRef::parse(case_ref)?;
    responsible(node, u, "inzage_export", case_ref.as_str()).await?;
    node.log_read(u, "case", case_ref.as_str()).await?;
    let c = case_ref.as_str();
    let esc_ids = node
        .store
        .streams_of_case(StreamKind::Escalation, c)
        .await?;
    let kw_ids = node.store.streams_of_case(StreamKind::Kwestie, c).await?;
    let min_ids = node.store.minutes_of(&esc_ids).await?;
    let mut escalations = Vec::new();
    for id in &esc_ids {
        escalations.extend(record::<Escalation>(node, id).await?);
    }
    let mut kwesties = Vec::new();
    for id in &kw_ids {
        kwesties.extend(record::<Kwestie>(node, id).await?);
    }
    let mut minutes = Vec::new();
    for id in &min_ids {
        minutes.extend(record::<Minutes>(node, id).await?);
    }
    let objects: Vec<String> = esc_ids
        .iter()
        .chain(&kw_ids)
        .chain(&min_ids)
        .cloned()
        .collect();
    Ok(Inzage {
        format: "doorbraak.inzage.v1",
        case_ref: c.to_owned(),
        organisation: node.oin().to_string(),
        made_at: node.now(),
        made_by: u.id.clone(),
        case: node.store.case(c).await?,
        restriction: node.store.restriction(c).await?,
        escalations,
        kwesties,
        minutes,
        access_log: node.store.access_log_about(c, &objects).await?,
    })
}

/// A destruction list for its declaration, with the name of who decided it.
pub async fn declaration(
    node: &Node,
    u: &User,
    id: &str,
) -> Result<(DestructionList, String), NodeError> {
    let l = list(node, u, id).await?;
    let name = match &l.decided_by {
        Some(by) => node
            .store
            .persons()
            .await?
            .into_iter()
            .find(|p| &p.id == by)
            .map_or_else(|| by.clone(), |p| p.name),
        None => String::new(),
    };
    Ok((l, name))
}
