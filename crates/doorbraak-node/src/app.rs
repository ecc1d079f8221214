//! The application layer: a person's command -> `doorbraak-model` -> one store transaction
//! (events + projection + outbox + access log). Nothing here re-implements a rule.

use std::time::Instant;

use doorbraak_model::escalation::EscalationCommand;
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    Actor, Aggregate, CaseRef, Escalation, Kwestie, Minutes, Oin, ReplayError, Role, RuleViolation,
    Timestamp, canonical,
};
use doorbraak_store::{
    AccessAction, AccessEntry, CaseRow, Loaded, NewOutbox, Notification, Store, StoreError,
    StoredEvent, Stream,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use uuid::Uuid;

use crate::config::Settings;
use crate::directory::Directory;
use crate::metrics::{CommandLabels, Metrics};

/// An authenticated person of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}

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
}

/// The result of a committed command.
#[derive(Debug, Clone)]
pub struct Applied<A: Aggregate> {
    pub id: String,
    pub version: i64,
    pub state: A,
    pub events: Vec<StoredEvent<A::Body>>,
}

/// A batch of a stream's events for one party, as it is put in the outbox.
#[derive(Debug, Serialize)]
pub struct EventBatch<'a, B> {
    pub stream_kind: &'static str,
    pub stream_id: &'a str,
    /// The organisation whose node holds the authoritative log.
    pub home: &'a Oin,
    pub events: &'a [StoredEvent<B>],
}

/// The purpose recorded in the access log for each kind of object.
fn purpose(kind: &str) -> &'static str {
    match kind {
        "escalation" => "escalation_handling",
        "kwestie" => "kwestie_handling",
        "minutes" => "minutes_approval",
        "recommendation" => "quality_improvement",
        "case" => "case_handling",
        _ => "administration",
    }
}

pub struct Node {
    pub settings: Settings,
    pub store: Store,
    pub directory: Directory,
    pub metrics: Metrics,
}

impl Node {
    pub fn new(settings: Settings, store: Store, directory: Directory) -> Self {
        Self {
            settings,
            store,
            directory,
            metrics: Metrics::default(),
        }
    }

    pub fn oin(&self) -> &Oin {
        &self.settings.oin
    }

    /// The node's clock: UTC, whole milliseconds (as stored), shifted by the development
    /// clock offset if one is configured.
    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        let shifted = now
            .checked_add(jiff::SignedDuration::from_hours(
                24 * self.settings.clock_offset_days,
            ))
            .unwrap_or(now);
        Timestamp::from_millisecond(shifted.as_millisecond()).unwrap_or(shifted)
    }

    pub fn actor(&self, user: &User) -> Actor {
        Actor::person(user.id.clone(), user.role, self.oin().clone())
    }

    fn entry(
        &self,
        actor: &Actor,
        action: AccessAction,
        object_type: &str,
        object_id: &str,
        outcome: String,
        now: Timestamp,
    ) -> AccessEntry {
        let (user_id, user_role) = match actor {
            Actor::Person { person, role, .. } => (person.0.clone(), role.code().to_owned()),
            Actor::System { .. } => ("system".to_owned(), "system".to_owned()),
        };
        AccessEntry {
            event_id: Uuid::now_v7(),
            action,
            at: now,
            user_id,
            user_role,
            on_behalf_of: None,
            org_oin: actor.org().to_string(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            purpose: purpose(object_type).to_owned(),
            outcome,
            source_node: self.oin().to_string(),
        }
    }

    /// Decide `cmd` against the stream `id` and commit the outcome in one transaction: the
    /// events, the new projection, one outbox row per other party, the access-log row and any
    /// notifications. A refusal is logged (in its own transaction) and returned.
    pub async fn execute<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        notifications: Vec<Notification>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Sync,
    {
        let span = tracing::info_span!(
            "command",
            org = %self.oin(),
            kind = A::KIND,
            id = %id,
            command,
            role = actor.role().map_or("system", Role::code),
        );
        let started = Instant::now();
        let result = self
            .execute_inner::<A>(actor, id, cmd, notifications)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(NodeError::Rule(_)) => "refused",
            Err(_) => "error",
        };
        self.metrics
            .commands
            .get_or_create(&CommandLabels {
                kind: A::KIND,
                command,
                outcome,
            })
            .inc();
        self.metrics
            .command_seconds
            .observe(started.elapsed().as_secs_f64());
        let _enter = span.enter();
        match &result {
            Ok(a) => tracing::info!(version = a.version, "committed"),
            Err(NodeError::Rule(v)) => tracing::info!(rule = v.rule(), "refused"),
            Err(e) => tracing::warn!(error = %e, "failed"),
        }
        result
    }

    async fn execute_inner<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        notifications: Vec<Notification>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
        A::Command: Sync,
    {
        for _attempt in 0..5 {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let current = tx.load::<A>(id).await?;
            let (state, version) = match current {
                Some(Loaded { state, version }) => (Some(state), version),
                None => (None, 0),
            };
            let events = match A::decide(state.as_ref(), cmd, actor, now) {
                Ok(events) => events,
                Err(violation) => {
                    drop(tx);
                    let entry = self.entry(
                        actor,
                        AccessAction::E,
                        A::KIND,
                        id,
                        format!("refused:{}", violation.rule()),
                        now,
                    );
                    self.store.log_access(&entry).await?;
                    return Err(violation.into());
                }
            };
            let mut next = state;
            for e in &events {
                next = Some(A::apply(next, e)?);
            }
            let Some(next) = next else {
                return Err(ReplayError::NotACreation(A::KIND).into());
            };
            let stored = match tx.append(id, version, &events, &next, now).await {
                Ok(s) => s,
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let own = self.oin().clone();
            let recipients: Vec<Oin> = next.parties().into_iter().filter(|p| p != &own).collect();
            if !recipients.is_empty() {
                let payload = canonical::to_string(&EventBatch {
                    stream_kind: A::KIND,
                    stream_id: id,
                    home: &own,
                    events: &stored,
                })
                .map_err(StoreError::from)?;
                for to in recipients {
                    tx.enqueue(&NewOutbox {
                        message_id: Uuid::now_v7(),
                        destination: to.to_string(),
                        kind: "events".into(),
                        stream_kind: Some(A::KIND.into()),
                        stream_id: Some(id.to_owned()),
                        payload: payload.clone(),
                        created_at: now,
                    })
                    .await?;
                }
            }
            let action = if version == 0 {
                AccessAction::C
            } else {
                AccessAction::U
            };
            tx.log_access(&self.entry(actor, action, A::KIND, id, "success".into(), now))
                .await?;
            for n in &notifications {
                tx.notify(n).await?;
            }
            tx.commit().await?;
            return Ok(Applied {
                id: id.to_owned(),
                version: version + i64::try_from(stored.len()).unwrap_or(0),
                state: next,
                events: stored,
            });
        }
        Err(NodeError::Busy)
    }

    /// Read a stream's state for a person; the read is logged before the content is returned.
    pub async fn read<A>(&self, user: &User, id: &str) -> Result<Loaded<A>, NodeError>
    where
        A: Stream,
        A::Body: Serialize + DeserializeOwned + Send + Sync,
    {
        let loaded = self.store.load::<A>(id).await?;
        let actor = self.actor(user);
        let now = self.now();
        let Some(loaded) = loaded else {
            let entry = self.entry(
                &actor,
                AccessAction::R,
                A::KIND,
                id,
                "not_found".into(),
                now,
            );
            self.store.log_access(&entry).await?;
            return Err(RuleViolation::NotFound { what: A::KIND }.into());
        };
        let entry = self.entry(&actor, AccessAction::R, A::KIND, id, "success".into(), now);
        self.store.log_access(&entry).await?;
        Ok(loaded)
    }

    /// Log a read of a list or other object (e.g. an overview) before it is shown.
    pub async fn log_read(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
    ) -> Result<(), NodeError> {
        let entry = self.entry(
            &self.actor(user),
            AccessAction::R,
            object_type,
            object_id,
            "success".into(),
            self.now(),
        );
        self.store.log_access(&entry).await?;
        Ok(())
    }

    /// Register a local case.
    pub async fn create_case(
        &self,
        user: &User,
        case_ref: &str,
        title: &str,
    ) -> Result<CaseRow, NodeError> {
        let actor = self.actor(user);
        actor_may(
            &actor,
            &[
                Role::Professional,
                Role::BehaviouralScientist,
                Role::TeamManager,
            ],
            "create_case",
        )?;
        let case_ref = CaseRef::parse(case_ref)?;
        doorbraak_model::text::require("title", title, doorbraak_model::text::MAX_SHORT)?;
        let now = self.now();
        let row = CaseRow {
            case_ref: case_ref.to_string(),
            title: title.to_owned(),
            responsible: user.id.clone(),
            created_by: user.id.clone(),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        if !tx.insert_case(&row).await? {
            return Err(RuleViolation::AlreadyExists { what: "Case" }.into());
        }
        tx.log_access(&self.entry(
            &actor,
            AccessAction::C,
            "case",
            &row.case_ref,
            "success".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// One pass of the deadline sweeper: every stream whose deadline passed gets its overdue
    /// event (as the system actor) and a reminder. Returns how many were marked.
    pub async fn sweep(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let due = self.store.due(now, 500).await?;
        let system = Actor::system(self.oin().clone());
        let mut marked = 0;
        for (kind, id) in due {
            let result = match kind.as_str() {
                "escalation" => {
                    let note = self.reminder(&kind, &id, Role::TeamManager, now);
                    self.execute::<Escalation>(
                        &system,
                        &id,
                        &EscalationCommand::MarkOverdue,
                        "mark_overdue",
                        vec![note],
                    )
                    .await
                    .map(|_| ())
                }
                "kwestie" => {
                    let note = self.reminder(&kind, &id, Role::TeamManager, now);
                    self.execute::<Kwestie>(
                        &system,
                        &id,
                        &KwestieCommand::MarkOverdue,
                        "mark_overdue",
                        vec![note],
                    )
                    .await
                    .map(|_| ())
                }
                _ => Ok(()),
            };
            match result {
                Ok(()) => {
                    marked += 1;
                    self.metrics.overdue_marked.inc();
                }
                // another replica or a pickup got there first: nothing to do
                Err(NodeError::Rule(v)) => tracing::debug!(rule = v.rule(), %id, "not marked"),
                Err(e) => return Err(e),
            }
        }
        Ok(marked)
    }

    fn reminder(&self, kind: &str, id: &str, role: Role, now: Timestamp) -> Notification {
        let (nl, en) = match kind {
            "escalation" => (
                "De oppaktermijn van een escalatiestap is verstreken",
                "The pickup deadline of an escalation step has passed",
            ),
            _ => (
                "De oppaktermijn van een kwestie is verstreken; opschalen naar het bestuur is mogelijk",
                "The pickup deadline of a kwestie has passed; escalation to the board is possible",
            ),
        };
        Notification {
            id: Uuid::now_v7(),
            created_at: now,
            recipient_role: role.code().to_owned(),
            stream_kind: kind.to_owned(),
            stream_id: id.to_owned(),
            kind: "deadline_passed".into(),
            message_nl: nl.into(),
            message_en: en.into(),
        }
    }

    /// Loaded state of an escalation, for checks that span aggregates (meetings).
    pub async fn escalation(&self, id: &str) -> Result<Option<Escalation>, NodeError> {
        Ok(self.store.load::<Escalation>(id).await?.map(|l| l.state))
    }

    /// Loaded minutes, for handlers that derive commands from the current state.
    pub async fn minutes(&self, id: &str) -> Result<Option<Minutes>, NodeError> {
        Ok(self.store.load::<Minutes>(id).await?.map(|l| l.state))
    }
}

/// Role check for node operations that are not aggregate commands (cases, access log).
pub fn actor_may(
    actor: &Actor,
    allowed: &[Role],
    action: &'static str,
) -> Result<(), RuleViolation> {
    match actor.role() {
        Some(r) if allowed.contains(&r) => Ok(()),
        role => Err(RuleViolation::RoleNotAllowed {
            action,
            role,
            allowed: allowed.to_vec(),
        }),
    }
}

/// Names of the events, for API responses.
pub fn event_names<B: Serialize>(events: &[StoredEvent<B>]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            serde_json::to_value(&e.event.body)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        })
        .collect()
}
