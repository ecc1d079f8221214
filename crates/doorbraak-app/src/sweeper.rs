//! The deadline sweeper: its loop (one instance of a node at a time, under a lease), its pass
//! over the deadlines, and the periodic store audit.

use super::*;

/// The lease of the sweeper's jobs (deadlines, records, sealing and archiving the access log,
/// reminders, mail, the store audit).
pub const SWEEPER_JOB: &str = "sweeper";

/// The deadline sweeper: at start (deadlines that passed while the node was down) and then
/// every interval. The database is the source of truth; no timer is kept in memory.
///
/// `sessions` are the web's, forgotten here once they ended.
pub async fn run(
    node: Arc<Node>,
    sessions: crate::sessions::Sessions,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(node.settings.sweeper_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // the store audit runs at start and then about once a minute
    let audit_every = (60 / node.settings.sweeper_interval.as_secs().max(1)).max(1);
    let mut ticks: u64 = 0;
    // one instance of the node at a time runs these jobs; a dead one's lease runs out after
    // three intervals (at least 30 s) and the next instance's tick takes over
    let owner = format!("{}/{}", node.oin(), node.settings.instance);
    let hold = (3 * node.settings.sweeper_interval).max(std::time::Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => {
                let _ = node.store.release_job_lease(SWEEPER_JOB, &owner).await;
                return;
            }
        }
        let t = node.now();
        let until = t
            .checked_add(jiff::SignedDuration::try_from(hold).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(t);
        match node
            .store
            .take_job_lease(SWEEPER_JOB, &owner, t, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("the sweeper runs on another instance");
                continue;
            }
            Err(e) => {
                node.metrics.store_errors.inc();
                tracing::warn!(error = %e, "taking the sweeper's lease failed");
                continue;
            }
        }
        if node.relearning() {
            match node.relearn_pass().await {
                Ok(r) if !r.unreachable.is_empty() => {
                    tracing::info!(asked = r.asked, waiting_for = ?r.unreachable, "still re-learning after the restore");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "re-learning after the restore failed; trying again")
                }
            }
        }
        match node.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(marked = n, "deadline sweep"),
            Err(e) => {
                if matches!(e, NodeError::Store(_)) {
                    node.metrics.store_errors.inc();
                }
                tracing::warn!(error = %e, "deadline sweep failed");
            }
        }
        match node.records_pass().await {
            Ok(p) if p.retained > 0 || p.proposed.is_some() || p.confirmed > 0 => {
                tracing::info!(retained = p.retained, proposed = ?p.proposed, confirmed = p.confirmed, "records pass");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "records pass failed"),
        }
        if let Err(e) = node.seal_access_log().await {
            tracing::warn!(error = %e, "sealing the access log failed");
        }
        if let Err(e) = node.remind().await {
            tracing::warn!(error = %e, "approval reminders failed");
        }
        match node.send_mails().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "notification mails"),
            Err(e) => tracing::warn!(error = %e, "sending notification mails failed"),
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = node.audit().await
        {
            tracing::warn!(error = %e, "store audit failed");
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = sessions.purge().await
        {
            tracing::warn!(error = %e, "forgetting ended web sessions failed");
        }
        if ticks.is_multiple_of(audit_every)
            && let Err(e) = node.archive_access_log().await
        {
            tracing::warn!(error = %e, "archiving the access log failed");
        }
        ticks += 1;
    }
}

impl Node {
    /// One pass of the deadline sweeper: every stream whose deadline passed gets its overdue
    /// event (as the system actor), and with it the notices the model names. Returns how many
    /// were marked.
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
            // who is told is the model's (`Notify` of each overdue event), like every notice
            let result = match kind.parse::<StreamKind>() {
                Ok(StreamKind::Escalation) => {
                    // only the home marks its steps; replicas receive the event
                    if !self.is_home::<Escalation>(&id).await? {
                        continue;
                    }
                    self.execute::<Escalation>(
                        &system,
                        &id,
                        &EscalationCommand::MarkOverdue,
                        "mark_overdue",
                    )
                    .await
                    .map(|_| ())
                }
                Ok(StreamKind::Minutes) => self
                    .execute::<Minutes>(
                        &system,
                        &id,
                        &doorbraak_model::MinutesCommand::MarkOverdue,
                        "mark_overdue",
                    )
                    .await
                    .map(|_| ()),
                Ok(StreamKind::Kwestie) => self
                    .execute::<Kwestie>(&system, &id, &KwestieCommand::MarkOverdue, "mark_overdue")
                    .await
                    .map(|_| ()),
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
}
