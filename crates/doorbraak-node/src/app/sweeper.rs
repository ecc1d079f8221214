//! The deadline sweeper's pass and the periodic store audit.

use super::*;

impl Node {
    /// One pass of the deadline sweeper: every stream whose deadline passed gets its overdue
    /// event (as the system actor) and a reminder. Returns how many were marked.
    pub async fn sweep(&self) -> Result<usize, NodeError> {
        // after a restore, deadlines wait until the node re-learned its streams
        if self.relearning() {
            return Ok(0);
        }
        let now = self.now();
        let due = self.store.due(self.oin().as_str(), now, 500).await?;
        let system = Actor::system(self.oin().clone());
        let mut marked = 0;
        for (kind, id) in due {
            let result = match kind.parse::<StreamKind>() {
                Ok(StreamKind::Escalation) => {
                    // only the home marks its steps; replicas receive the event
                    if !self.is_home::<Escalation>(&id).await? {
                        continue;
                    }
                    let note = self.reminder(StreamKind::Escalation, &id, Role::TeamManager, now);
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
                Ok(StreamKind::Minutes) => {
                    // remind this node's participants who have not answered yet
                    let notes = match self.minutes(&id).await? {
                        Some(m) => m
                            .meeting
                            .participants
                            .iter()
                            .filter(|p| &p.org == self.oin())
                            .filter(|p| {
                                [doorbraak_model::DocTarget::Main]
                                    .into_iter()
                                    .chain(
                                        (1..=m.addenda.len() as u32)
                                            .map(doorbraak_model::DocTarget::Addendum),
                                    )
                                    .any(|t| {
                                        m.awaiting(t)
                                            .iter()
                                            .any(|a| a.person == p.person && a.org == p.org)
                                    })
                            })
                            .map(|p| Notification {
                                id: Uuid::now_v7(),
                                created_at: now,
                                recipient_role: p.role.code().to_owned(),
                                recipient_person: Some(p.person.0.clone()),
                                stream_kind: kind.clone(),
                                stream_id: id.clone(),
                                kind: "approval_overdue".into(),
                                message_nl:
                                    "Een verslag wacht op uw goedkeuring; de termijn is verstreken"
                                        .into(),
                                message_en: "Minutes await your approval; the deadline has passed"
                                    .into(),
                            })
                            .collect(),
                        None => Vec::new(),
                    };
                    self.execute::<Minutes>(
                        &system,
                        &id,
                        &doorbraak_model::MinutesCommand::MarkOverdue,
                        "mark_overdue",
                        notes,
                    )
                    .await
                    .map(|_| ())
                }
                Ok(StreamKind::Kwestie) => {
                    let note = self.reminder(StreamKind::Kwestie, &id, Role::TeamManager, now);
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
                Ok(StreamKind::Recommendation) | Err(_) => Ok(()),
            };
            match result {
                Ok(()) => {
                    marked += 1;
                    self.metrics.overdue_marked.inc();
                }
                // another replica or a pickup got there first: nothing to do
                Err(NodeError::Rule(v)) => tracing::debug!(rule = v.rule(), %id, "not marked"),
                // one broken stream must not stop the sweep of the others
                Err(e) => tracing::warn!(error = %e, %id, "deadline sweep of one stream failed"),
            }
        }
        Ok(marked)
    }

    /// The auditor's checks over this node's store, exported as metrics (and logged at WARN
    /// when something is found); also forgets idempotency keys past their time.
    pub async fn audit(&self) -> Result<doorbraak_store::Audit, NodeError> {
        let audit = self.store.audit(self.oin().as_str()).await?;
        for (check, n) in audit.findings() {
            self.metrics
                .audit_findings
                .get_or_create(&crate::metrics::CheckLabels { check })
                .set(n);
        }
        if !audit.is_clean() {
            tracing::warn!(?audit, "the store audit found inconsistencies");
        }
        let before = self
            .now()
            .checked_sub(IDEMPOTENCY_KEPT)
            .unwrap_or(Timestamp::MIN);
        self.store.forget_answers(before).await?;
        Ok(audit)
    }

    pub(super) fn reminder(
        &self,
        kind: StreamKind,
        id: &str,
        role: Role,
        now: Timestamp,
    ) -> Notification {
        let (nl, en) = match kind {
            StreamKind::Escalation => (
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
            recipient_person: None,
            stream_kind: kind.code().to_owned(),
            stream_id: id.to_owned(),
            kind: "deadline_passed".into(),
            message_nl: nl.into(),
            message_en: en.into(),
        }
    }
}
